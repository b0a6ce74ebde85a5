//! Fuzzing the readers of session files and stored sessions: the demo session, and a stored
//! session with its undo history, damaged in thousands of ways — any value replaced by any other
//! kind of value (absurd numbers, nulls, strings of every length, the id of another strip),
//! keys and items dropped or repeated, patches in the history rewritten, the text cut and spliced.
//!
//! Zero panics, zero hangs, and never a session that does not hold: whatever reads is a session
//! the strict check passes, which reads again unchanged. A fixed budget (a seeded generator: the
//! same inputs every run) keeps it deterministic and within seconds.

use std::sync::mpsc;
use std::time::Duration;

use mixroom_session::stored::{Stored, ViewState};
use mixroom_session::{Repairs, Session, StripRef};
use serde_json::{json, Value};

const CASES: usize = 3_000;
/// A read that takes longer than this has hung (each takes milliseconds).
const HANG: Duration = Duration::from_secs(60);

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A value of any kind, chosen to break readers.
fn nasty(rng: &mut Rng, donor: &Value) -> Value {
    match rng.below(16) {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(0),
        3 => json!(-1),
        4 => json!(1e308),
        5 => json!(-1e308),
        6 => json!(u64::MAX),
        7 => json!(i64::MIN),
        8 => json!(0.5),
        9 => json!(""),
        10 => json!("x".repeat(rng.below(3_000))),
        11 => json!(["master", "verb", "drums", "<img src=x onerror=alert(1)>"][rng.below(4)]),
        12 => json!([]),
        13 => json!({}),
        // Another part of the same document, put where it does not belong.
        _ => pick(donor, rng).clone(),
    }
}

/// Some node of the tree.
fn pick<'a>(v: &'a Value, rng: &mut Rng) -> &'a Value {
    let mut at = v;
    for _ in 0..rng.below(6) {
        let next = match at {
            Value::Array(a) if !a.is_empty() => &a[rng.below(a.len())],
            Value::Object(o) if !o.is_empty() => o.values().nth(rng.below(o.len())).expect("in range"),
            _ => break,
        };
        at = next;
    }
    at
}

/// A value of the same kind as `old` (so that it parses), chosen to be beyond every limit.
fn same_kind(old: &Value, rng: &mut Rng, donor: &Value) -> Value {
    match old {
        Value::Number(n) if n.is_u64() => json!([0u64, 1, 7, 100_000, u32::MAX as u64, 1_000_000_000_000_000, u64::MAX][rng.below(7)]),
        Value::Number(_) => json!([-1e30, -1e6, -61.0, -1.0001, 0.0, 1.0001, 2.5, 24.5, 1e6, 1e30, f32::MAX as f64][rng.below(11)]),
        Value::String(_) => json!(["", "master", "verb", "drums", "kick", "#12345", "#zzzzzz", "autotune", "s_curve"][rng.below(9)].to_owned() + &"y".repeat(if rng.below(3) == 0 { 300 } else { 0 })),
        Value::Bool(b) => json!(!b),
        _ => nasty(rng, donor),
    }
}

/// Damages one node of the tree: replaced, dropped, or (in an array) repeated.
fn damage(v: &mut Value, donor: &Value, rng: &mut Rng, depth: usize) {
    let descend = depth < 7 && rng.below(4) != 0;
    match v {
        Value::Object(o) if !o.is_empty() => {
            let key = o.keys().nth(rng.below(o.len())).expect("in range").clone();
            if descend {
                damage(o.get_mut(&key).expect("the key is there"), donor, rng, depth + 1);
            } else {
                match rng.below(4) {
                    0 => {
                        o.remove(&key);
                    }
                    1 => {
                        o.insert(key, nasty(rng, donor));
                    }
                    _ => {
                        let value = same_kind(&o[&key], rng, donor);
                        o.insert(key, value);
                    }
                }
            }
        }
        Value::Array(a) if !a.is_empty() => {
            let i = rng.below(a.len());
            if descend {
                damage(&mut a[i], donor, rng, depth + 1);
            } else {
                match rng.below(3) {
                    0 => {
                        a.remove(i);
                    }
                    1 => {
                        let copy = a[i].clone();
                        for _ in 0..rng.below(40) {
                            a.push(copy.clone());
                        }
                    }
                    _ => a[i] = nasty(rng, donor),
                }
            }
        }
        other => *other = if rng.below(3) == 0 { nasty(rng, donor) } else { same_kind(other, rng, donor) },
    }
}

/// The documents damaged: a session file, and a stored session with a history.
fn seeds() -> Vec<(bool, Value)> {
    let mut s = Session::demo();
    let mut undo = Vec::new();
    for (i, db) in [-3.0, -6.5, 2.0].into_iter().enumerate() {
        undo.push(s.clone());
        s.set_strip_param(StripRef::Track(i), mixroom_engine::StripParam::Fader, db);
    }
    undo.push(s.clone());
    s.add_marker(96_000).unwrap();
    // Automation lanes to damage too: a fader ride, a send's on/off, an EQ band's frequency.
    use mixroom_session::automation::{AutomationPoint, Param, PointShape};
    let p = |frame: u64, value: f32, shape: PointShape| AutomationPoint { frame, value, shape, bend: 0.4 };
    s.set_automation(StripRef::Track(0), &Param::Fader, vec![p(0, f32::NEG_INFINITY, PointShape::Curve), p(48_000, -3.0, PointShape::Hold), p(96_000, 0.0, PointShape::Linear)]).unwrap();
    s.set_automation(StripRef::Track(1), &Param::Pan, vec![p(100, -0.5, PointShape::Linear), p(9_000, 0.5, PointShape::Linear)]).unwrap();
    s.set_automation_mode(StripRef::Master, mixroom_session::automation::AutomationMode::Touch).unwrap();
    let stored = Stored { session: s.clone(), view: ViewState::default(), undo, redo: Vec::new() };
    vec![(false, serde_json::from_str(&s.to_json()).unwrap()), (true, serde_json::from_str(&stored.to_json()).unwrap())]
}

/// What became of a document.
#[derive(Clone, Copy, PartialEq)]
enum Outcome {
    Refused,
    Opened,
    Mended,
}

/// Reads a document as the app and the CLI would; panics (caught by the test) on anything that
/// does not hold.
fn read(stored: bool, text: &str) -> Outcome {
    let session = if stored { Stored::from_json(text).map(|(s, r)| (s.session, r)) } else { Session::read(text) };
    let (session, mended) = match session {
        Ok(x) => x,
        Err(e) => {
            if std::env::var("FUZZ_DEBUG").is_ok() {
                let m = e.to_string();
                eprintln!("REFUSED {}", m.chars().take(90).collect::<String>());
            }
            return Outcome::Refused;
        }
    };
    {
        assert!(session.validate().is_ok(), "a salvaged session fails the strict check: {:?}", session.validate());
        let (again, repairs) = Session::read(&session.to_json()).expect("a salvaged session reads");
        assert_eq!(repairs, Repairs::default(), "a salvaged session is mended again");
        assert_eq!(again, session);
    }
    if mended.is_empty() { Outcome::Opened } else { Outcome::Mended }
}

#[test]
fn no_document_makes_the_readers_panic_hang_or_open_a_session_that_does_not_hold() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut inputs = Vec::new();
    for (stored, seed) in seeds() {
        for _ in 0..CASES {
            let mut v = seed.clone();
            for _ in 0..1 + rng.below(4) {
                damage(&mut v, &seed, &mut rng, 0);
            }
            let mut text = v.to_string();
            // Now and then the text itself: cut short, or a stretch of it repeated.
            match rng.below(10) {
                0 => text.truncate(rng.below(text.len())),
                1 => {
                    let at = rng.below(text.len());
                    let piece: String = text.chars().skip(at).take(rng.below(200)).collect();
                    text.insert_str(text.char_indices().nth(rng.below(text.chars().count())).map_or(0, |(i, _)| i), &piece);
                }
                _ => {}
            }
            inputs.push((stored, text));
        }
    }
    // The most tracks a session holds, every one with a setting that cannot be read: the reader's
    // work is bounded (it gives up after so many drops), not a hang.
    let mut big: Value = serde_json::from_str(&Session::demo_copies(64).to_json()).unwrap();
    for t in big["tracks"].as_array_mut().unwrap() {
        t["pan"] = json!("wide");
    }
    inputs.push((false, big.to_string()));
    // Every strip with the same id: new ids for all but the first, in linear time.
    let mut same: Value = serde_json::from_str(&Session::demo_copies(64).to_json()).unwrap();
    for t in same["tracks"].as_array_mut().unwrap() {
        t["id"] = json!("kick");
    }
    inputs.push((false, same.to_string()));
    // A track with 200 000 keys of junk before a setting that cannot be read: found in one pass.
    let mut wide: Value = serde_json::from_str(&Session::demo().to_json()).unwrap();
    let track = wide["tracks"][0].as_object_mut().unwrap();
    for k in 0..200_000 {
        track.insert(format!("a{k:06}"), json!(k));
    }
    track.insert("pan".into(), json!("hard left"));
    inputs.push((false, wide.to_string()));
    // Nested far deeper than any session, and a history of a thousand empty patches.
    inputs.push((false, format!("{}{}", "[".repeat(100_000), "]".repeat(100_000))));
    inputs.push((true, format!("{{\"format\":\"mixroom-stored-session\",\"version\":1,\"session\":{},\"undo\":[{}]}}", Session::demo().to_json(), vec!["[]"; 1_000].join(","))));

    let messages = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let kept = messages.clone();
    std::panic::set_hook(Box::new(move |info| kept.lock().unwrap().push(info.to_string())));
    let total = inputs.len();
    let (tx, rx) = mpsc::channel::<Result<Outcome, String>>();
    let worker = std::thread::spawn(move || {
        for (stored, text) in inputs {
            let shown = text.chars().take(300).collect::<String>();
            let outcome = std::panic::catch_unwind(|| read(stored, &text)).map_err(|_| shown);
            if tx.send(outcome).is_err() {
                return;
            }
        }
    });
    let mut failures = Vec::new();
    let mut mended = 0;
    for _ in 0..total {
        match rx.recv_timeout(HANG) {
            Ok(Err(input)) => failures.push(input),
            Ok(Ok(outcome)) => mended += (outcome == Outcome::Mended) as usize,
            Err(_) => {
                let _ = std::panic::take_hook();
                panic!("a read took longer than {HANG:?}: it hangs");
            }
        }
    }
    worker.join().unwrap();
    let _ = std::panic::take_hook();
    let messages = messages.lock().unwrap();
    assert!(failures.is_empty(), "{} of {total} documents broke a reader; the first: {}\nbecause: {}", failures.len(), failures[0], messages.first().cloned().unwrap_or_default());
    // The damage reaches the salvaging, not only the parser: many documents open mended.
    println!("{mended} of {total} documents opened mended");
    assert!(mended * 5 > total, "only {mended} of {total} documents were mended: the damage is too coarse to test the salvaging");
}

/// The link decoder, fed links of every damage: characters changed, cut, repeated; the packed mix's
/// bytes hit before they are written out; parameters doubled or emptied. No panic, no hang, and a
/// link that opens holds a session the strict check passes.
#[test]
fn no_link_makes_the_decoder_panic_hang_or_open_what_does_not_hold() {
    use base64::Engine as _;
    use mixroom_session::link;
    let good = link::encode(&Session::demo(), Some("https://files.example/mix.mixroom"));
    let prefix = format!("mix={}.", link::LINK_VERSION);
    let data = good.split_once(prefix.as_str()).unwrap().1.split('&').next().unwrap().to_owned();
    let packed = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&data).unwrap();
    let mut rng = Rng(0x5EED_0F_11AC_5u64);
    const CASES: usize = 2_500;
    let alphabet: Vec<char> = "ABCxyz019-_.=&%#!é/".chars().collect();
    let mut inputs = Vec::new();
    for _ in 0..CASES {
        let fragment = match rng.below(4) {
            0 => {
                let mut c: Vec<char> = good.chars().collect();
                for _ in 0..1 + rng.below(4) {
                    let i = rng.below(c.len());
                    c[i] = alphabet[rng.below(alphabet.len())];
                }
                c.into_iter().collect::<String>()
            }
            1 => good.chars().take(rng.below(good.len())).collect(),
            2 => {
                let mut p = packed.clone();
                for _ in 0..1 + rng.below(6) {
                    let i = rng.below(p.len());
                    p[i] ^= 1 << rng.below(8);
                }
                format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(p))
            }
            _ => ["", "mix=", "mix=1.", "mix=1.&mix=2.", "project=%ZZ&mix=2.AA", "mix=1.", "&&&", "mix=99999999999999999999.AA"][rng.below(8)].to_owned() + &good[..rng.below(good.len() / 4)],
        };
        inputs.push(fragment);
    }
    let (tx, rx) = mpsc::channel::<bool>();
    let total = inputs.len();
    let worker = std::thread::spawn(move || {
        for f in inputs {
            let ok = std::panic::catch_unwind(|| {
                if let Ok(l) = link::decode(&f) {
                    assert!(l.session.validate().is_ok());
                }
            })
            .is_ok();
            if tx.send(ok).is_err() {
                return;
            }
        }
    });
    for n in 0..total {
        match rx.recv_timeout(HANG) {
            Ok(true) => {}
            Ok(false) => panic!("link {n} made the decoder panic"),
            Err(_) => panic!("a link took longer than {HANG:?} to decode: it hangs"),
        }
    }
    worker.join().unwrap();
}
