//! The session's checks — every limit of [`crate::limits`] and every reference — written once and
//! run in one of two modes:
//!
//! - **strict** ([`Session::validate`]): the edit path. The first problem refuses the edit, with a
//!   message naming the strip and the setting.
//! - **salvaging** ([`Session::read`]): the reader. Each problem in stored data is mended — the one
//!   value clamped, or the one item dropped — and said; the rest of the session opens as it was.
//!
//! Because both modes run the same checks, a session the edit path accepts is one the reader opens
//! unchanged, and a salvaged session always passes the strict check.

use std::collections::HashMap;

use mixroom_engine::{InsertKind, Plan};

use crate::limits::{self, NAME_CHARS};
use crate::automation::Param;
use crate::{Session, SessionError, Source, Strip};

/// Runs the checks: strict (`salvage` false) or mending (`salvage` true). Returns what was mended.
pub(crate) fn check(s: &mut Session, salvage: bool) -> Result<Vec<String>, SessionError> {
    let mut c = Checker { salvage, repairs: Vec::new() };
    session_values(&mut c, s)?;
    tracks(&mut c, s)?;
    ids(&mut c, s)?;
    strips(&mut c, s)?;
    routing(&mut c, s)?;
    folders(&mut c, s)?;
    automation(&mut c, s)?;
    references(&mut c, s)?;
    alternates(&mut c, s)?;
    Ok(c.repairs)
}

/// Alternate versions: at most [`limits::ALTERNATES`], their names within the limit, their
/// offsets finite and within ±[`crate::alternates::OFFSET_DB`], the tracks they name present.
fn alternates(c: &mut Checker, s: &mut Session) -> Result<(), SessionError> {
    use crate::alternates::OFFSET_DB;
    if s.alternates.len() > limits::ALTERNATES {
        c.problem(format!("it has {} alternate versions; Mixroom keeps up to {}", s.alternates.len(), limits::ALTERNATES), "those after the limit were left out")?;
        s.alternates.truncate(limits::ALTERNATES);
    }
    let ids: Vec<String> = s.tracks.iter().map(|t| t.id.clone()).collect();
    for a in &mut s.alternates {
        let label = format!("the alternate version {}", quoted(&a.name));
        if chars(&a.name) > NAME_CHARS {
            c.problem(format!("the name of {label} is longer than {NAME_CHARS} characters"), "it was cut")?;
            cut(&mut a.name);
        }
        let offsets = a.role_offsets.iter_mut().map(|o| &mut o.db).chain(a.track_offsets.iter_mut().map(|o| &mut o.db));
        for db in offsets {
            if !(db.is_finite() && (-OFFSET_DB..=OFFSET_DB).contains(db)) {
                c.problem(format!("{label} offsets a level by {} dB, beyond ±{OFFSET_DB} dB", num(*db)), "it was brought within")?;
                *db = if db.is_nan() { 0.0 } else { db.clamp(-OFFSET_DB, OFFSET_DB) };
            }
        }
        if a.mute_tracks.iter().chain(a.track_offsets.iter().map(|o| &o.track)).any(|t| !ids.contains(t)) {
            c.problem(format!("{label} names a track the session does not have"), "that part of it was dropped")?;
            a.mute_tracks.retain(|t| ids.contains(t));
            a.track_offsets.retain(|o| ids.contains(&o.track));
        }
    }
    Ok(())
}

/// Reference tracks: imported audio of one or two channels, at most [`limits::REFERENCES`], each
/// with its own id, its cue and loop section within its audio, a measured loudness or none.
fn references(c: &mut Checker, s: &mut Session) -> Result<(), SessionError> {
    if s.references.len() > limits::REFERENCES {
        c.problem(format!("it has {} reference tracks; Mixroom keeps up to {}", s.references.len(), limits::REFERENCES), "those after the limit were left out")?;
        s.references.truncate(limits::REFERENCES);
    }
    let mut kept = Vec::with_capacity(s.references.len());
    for r in std::mem::take(&mut s.references) {
        let unusable = match &r.source {
            Source::Audio { channels, .. } if !(1..=2).contains(channels) => Some(format!("reference {} has audio of {channels} channels; a reference holds one or two", quoted(&r.name))),
            Source::DemoStem { .. } => Some(format!("reference {} is not imported audio", quoted(&r.name))),
            _ => None,
        };
        match unusable {
            Some(why) => c.problem(why, "it was left out")?,
            None => kept.push(r),
        }
    }
    s.references = kept;
    let longest = limits::source_frames(s.sample_rate);
    let rate = s.sample_rate;
    let mut seen = std::collections::HashSet::new();
    let taken: std::collections::HashSet<String> = s.references.iter().map(|r| r.id.clone()).collect();
    let mut next = 1;
    for r in &mut s.references {
        let label = format!("reference {}", quoted(&r.name));
        if let Source::Audio { frames, .. } = &mut r.source {
            if *frames > longest {
                c.problem(format!("{label} is longer than {}", limits::duration(longest, rate)), "the rest of it is not played")?;
                *frames = longest;
            }
        }
        let frames = r.frames();
        if chars(&r.name) > NAME_CHARS {
            c.problem(format!("the name of {label} is longer than {NAME_CHARS} characters"), "it was cut")?;
            cut(&mut r.name);
        }
        let unusable = r.id.is_empty() || r.id.len() > limits::ID_BYTES;
        if unusable || seen.contains(&r.id) {
            let why = if unusable { format!("{label} has an unusable id “{}”", short(&r.id)) } else { format!("the reference id “{}” is used twice", r.id) };
            c.problem(why, "it has a new id")?;
            let n = (next..).find(|n| !taken.contains(&format!("ref-{n}")) && !seen.contains(&format!("ref-{n}"))).expect("an unused id exists");
            next = n + 1;
            r.id = format!("ref-{n}");
        }
        seen.insert(r.id.clone());
        if r.cue >= frames.max(1) {
            c.problem(format!("{label}: its cue lies beyond its end"), "it is at its start now")?;
            r.cue = 0;
        }
        if let Some(l) = &mut r.loop_region {
            if l.end > frames {
                c.problem(format!("{label}: its loop section reaches past its end"), "it now ends there")?;
                l.end = frames;
            }
            if l.end <= l.start {
                c.problem(format!("{label}: its loop section ends before it starts"), "it was removed")?;
                r.loop_region = None;
            }
        }
        if r.loudness_lufs.is_some_and(|l| !limits::LOUDNESS_LUFS.contains(&l)) {
            c.problem(format!("{label} has a measured loudness of {} LUFS, which no audio has", num(r.loudness_lufs.unwrap_or(f64::NAN))), "it is measured again")?;
            r.loudness_lufs = None;
        }
    }
    Ok(())
}

/// A folder is a view of the routing: a group bus that is its tracks' output. A track shown in a
/// folder its routing does not follow is shown outside folders (the routing wins).
fn folders(c: &mut Checker, s: &mut Session) -> Result<(), SessionError> {
    let buses: Vec<&str> = s.buses.iter().map(|b| b.id.as_str()).collect();
    for (i, t) in s.tracks.iter_mut().enumerate() {
        if let Some(f) = t.folder.as_ref().filter(|f| **f != t.strip.output || !buses.contains(&f.as_str())) {
            c.problem(format!("track {} ({}) is shown in the folder “{}”, which its routing does not go to", i + 1, quoted(&t.name), short(f)), "it is shown outside folders now")?;
            t.folder = None;
        }
    }
    Ok(())
}

struct Checker {
    salvage: bool,
    repairs: Vec<String>,
}

impl Checker {
    /// A problem found. Strict: the error. Salvaging: noted with how it is mended (which the
    /// caller then does).
    fn problem(&mut self, what: String, mend: &str) -> Result<(), SessionError> {
        if self.salvage {
            self.repairs.push(format!("{what}: {mend}"));
            Ok(())
        } else {
            Err(SessionError::Invalid(what))
        }
    }
}

/// A number for messages: NaN (a value JSON could not hold) reads as what it is to a user.
fn num(v: impl Into<f64>) -> String {
    let v: f64 = v.into();
    if v.is_nan() {
        "an unreadable number".into()
    } else if v.is_infinite() {
        (if v > 0.0 { "+∞" } else { "−∞" }).into()
    } else {
        format!("{}", v as f32)
    }
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn cut(name: &mut String) {
    *name = name.chars().take(NAME_CHARS).collect();
}

/// Text from the file, for messages: at most 40 characters of it.
fn short(text: &str) -> String {
    text.chars().take(40).collect()
}

/// A name for messages, quoted: at most 40 characters of it.
fn quoted(name: &str) -> String {
    let cut = short(name);
    if cut.len() < name.len() {
        format!("“{cut}…”")
    } else {
        format!("“{cut}”")
    }
}

fn session_values(c: &mut Checker, s: &mut Session) -> Result<(), SessionError> {
    if !limits::SAMPLE_RATES.contains(&s.sample_rate) {
        c.problem(format!("its sample rate {} Hz is outside 8–192 kHz", s.sample_rate), "it is now 48 kHz")?;
        s.sample_rate = 48_000;
    }
    if !(s.tempo_bpm.is_finite() && limits::TEMPO_BPM.contains(&s.tempo_bpm)) {
        c.problem(format!("its tempo {} BPM is outside 10–999 BPM", num(s.tempo_bpm)), "it is now 120 BPM")?;
        s.tempo_bpm = limits::DEFAULT_TEMPO_BPM;
    }
    if chars(&s.name) > NAME_CHARS {
        c.problem(format!("its name is longer than {NAME_CHARS} characters"), "it was cut")?;
        cut(&mut s.name);
    }
    if s.tracks.len() > limits::TRACKS {
        c.problem(format!("it has {} tracks; Mixroom handles up to {}", s.tracks.len(), limits::TRACKS), "the tracks after the limit were left out")?;
        s.tracks.truncate(limits::TRACKS);
    }
    for (kind, list) in [("group buses", &mut s.buses), ("effect returns", &mut s.returns)] {
        if list.len() > limits::BUSES {
            c.problem(format!("it has {} {kind}; Mixroom handles up to {}", list.len(), limits::BUSES), "those after the limit were left out")?;
            list.truncate(limits::BUSES);
        }
    }
    for b in s.buses.iter_mut().chain(s.returns.iter_mut()) {
        if chars(&b.name) > NAME_CHARS {
            c.problem(format!("the name of bus {} is longer than {NAME_CHARS} characters", quoted(&b.name)), "it was cut")?;
            cut(&mut b.name);
        }
    }
    let timeline = limits::timeline_frames(s.sample_rate);
    let rate = s.sample_rate;
    if s.markers.len() > limits::MARKERS {
        c.problem(format!("it has {} markers; Mixroom keeps up to {}", s.markers.len(), limits::MARKERS), "the markers after the limit were left out")?;
        s.markers.truncate(limits::MARKERS);
    }
    for m in &mut s.markers {
        if chars(&m.name) > NAME_CHARS {
            c.problem(format!("the name of marker {} is longer than {NAME_CHARS} characters", quoted(&m.name)), "it was cut")?;
            cut(&mut m.name);
        }
        if m.frame > timeline {
            c.problem(format!("marker {} lies beyond the timeline's {} hours", quoted(&m.name), limits::TIMELINE_HOURS), &format!("it is now at {}", limits::duration(timeline, rate)))?;
            m.frame = timeline;
        }
    }
    if let Some(l) = &mut s.loop_region {
        if l.end > timeline {
            c.problem(format!("its loop ends beyond the timeline's {} hours", limits::TIMELINE_HOURS), "it now ends there")?;
            l.end = timeline;
        }
        if l.end <= l.start {
            c.problem("its loop region ends before it starts".into(), "the loop region was removed")?;
            s.loop_region = None;
        }
    }
    Ok(())
}

fn tracks(c: &mut Checker, s: &mut Session) -> Result<(), SessionError> {
    let timeline = limits::timeline_frames(s.sample_rate);
    let rate = s.sample_rate;
    // Tracks whose source this version cannot play are left out (the rest of the mix opens).
    let mut kept = Vec::with_capacity(s.tracks.len());
    for t in std::mem::take(&mut s.tracks) {
        let unusable = match &t.source {
            Source::DemoStem { stem } if mixroom_demo::stem(stem).is_none() => Some(format!("track {} uses a demo stem “{stem}” this version does not have", quoted(&t.name))),
            Source::Audio { channels, .. } if !(1..=2).contains(channels) => Some(format!("track {} has audio of {channels} channels; a track holds one or two", quoted(&t.name))),
            _ => None,
        };
        match unusable {
            Some(why) => c.problem(why, "the track was left out")?,
            None => kept.push(t),
        }
    }
    s.tracks = kept;
    for i in 0..s.tracks.len() {
        let label = format!("track {} ({})", i + 1, quoted(&s.tracks[i].name));
        let longest = limits::source_frames(rate);
        if let Source::Audio { frames, .. } = &mut s.tracks[i].source {
            if *frames > longest {
                c.problem(format!("{label} has audio longer than {}", limits::duration(longest, rate)), "the rest of it is not played")?;
                *frames = longest;
            }
        }
        let frames = s.source_frames(i);
        let t = &mut s.tracks[i];
        if chars(&t.name) > NAME_CHARS {
            c.problem(format!("the name of {label} is longer than {NAME_CHARS} characters"), "it was cut")?;
            cut(&mut t.name);
        }
        if t.colour.as_ref().is_some_and(|c| !is_colour(c)) {
            c.problem(format!("{label} has a colour that is not #rrggbb"), "it has the default colour now")?;
            t.colour = None;
        }
        if t.clips.len() > limits::CLIPS {
            c.problem(format!("{label} has more than {} clips", limits::CLIPS), "the clips after the limit were left out")?;
            t.clips.truncate(limits::CLIPS);
        }
        let mut k = 0;
        while k < t.clips.len() {
            let what = |why: &str| format!("clip {} of {label} {why}", k + 1);
            let clip = &mut t.clips[k];
            if clip.length == 0 || clip.offset >= frames {
                c.problem(what("holds none of its source"), "the clip was removed")?;
                t.clips.remove(k);
                continue;
            }
            if clip.offset.saturating_add(clip.length) > frames {
                c.problem(what("reaches past the end of its source"), "it now ends there")?;
                clip.length = frames - clip.offset;
            }
            if clip.length > timeline {
                c.problem(what(&format!("is longer than the timeline's {} hours", limits::TIMELINE_HOURS)), "it was shortened")?;
                clip.length = timeline;
            }
            if clip.start.saturating_add(clip.length) > timeline {
                let start = timeline - clip.length;
                c.problem(what(&format!("ends beyond the timeline's {} hours", limits::TIMELINE_HOURS)), &format!("it now starts at {}", limits::duration(start, rate)))?;
                clip.start = start;
            }
            if clip.fade_in.saturating_add(clip.fade_out) > clip.length {
                c.problem(what("has fades longer than itself"), "they were shortened")?;
                clip.fade_in = clip.fade_in.min(clip.length);
                clip.fade_out = clip.fade_out.min(clip.length - clip.fade_in);
            }
            if !(clip.gain_db.is_finite() && limits::CLIP_GAIN_DB.contains(&clip.gain_db)) {
                c.problem(what(&format!("has a gain of {} dB, outside −60 … +24 dB", num(clip.gain_db))), "it was brought within")?;
                clip.gain_db = if clip.gain_db.is_nan() { 0.0 } else { clip.gain_db.clamp(*limits::CLIP_GAIN_DB.start(), *limits::CLIP_GAIN_DB.end()) };
            }
            for shape in [&mut clip.fade_in_shape, &mut clip.fade_out_shape] {
                if mixroom_engine::FadeShape::from_key(shape).is_none() {
                    c.problem(what(&format!("has an unknown fade shape “{shape}”")), "it is linear now")?;
                    *shape = crate::default_shape();
                }
            }
            k += 1;
        }
    }
    Ok(())
}

/// Whether `c` is a colour as sessions write them: `#rrggbb`.
pub(crate) fn is_colour(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|h| h.is_ascii_hexdigit())
}

/// What kind of strip an id names.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Track,
    Bus,
    Return,
    Master,
}

fn ids(c: &mut Checker, s: &mut Session) -> Result<(), SessionError> {
    use std::collections::HashSet;
    // Every id of the file is reserved first, so that a fresh one never takes a later strip's.
    let mut taken: HashSet<String> = s.tracks.iter().map(|t| t.id.clone()).chain(s.buses.iter().chain(&s.returns).map(|b| b.id.clone())).collect();
    let mut seen: HashSet<String> = HashSet::new();
    let mut next: HashMap<&str, usize> = HashMap::new();
    let strips = s.tracks.iter_mut().map(|t| ("track", &t.name, &mut t.id)).chain(s.buses.iter_mut().map(|b| ("bus", &b.name, &mut b.id))).chain(s.returns.iter_mut().map(|b| ("return", &b.name, &mut b.id)));
    for (prefix, name, id) in strips {
        let unusable = id.is_empty() || id == "master" || id.len() > limits::ID_BYTES;
        if unusable || seen.contains(id.as_str()) {
            let why = if unusable { format!("{} has an unusable id “{}”", quoted(name), short(id)) } else { format!("the id “{id}” is used twice") };
            c.problem(why, "the strip has a new id")?;
            // Numbered on from the last one given: linear however many ids need it.
            let from = next.entry(prefix).or_insert(1);
            let n = (*from..).find(|n| !taken.contains(&format!("{prefix}-{n}"))).expect("an unused id exists");
            *from = n + 1;
            let fresh = format!("{prefix}-{n}");
            taken.insert(fresh.clone());
            *id = fresh;
        }
        seen.insert(id.clone());
    }
    Ok(())
}

fn kinds(s: &Session) -> HashMap<String, Kind> {
    let mut map: HashMap<String, Kind> = s.tracks.iter().map(|t| (t.id.clone(), Kind::Track)).collect();
    map.extend(s.buses.iter().map(|b| (b.id.clone(), Kind::Bus)));
    map.extend(s.returns.iter().map(|b| (b.id.clone(), Kind::Return)));
    map.insert("master".into(), Kind::Master);
    map
}

fn strips(c: &mut Checker, s: &mut Session) -> Result<(), SessionError> {
    let kinds = kinds(s);
    let labelled = s
        .tracks
        .iter_mut()
        .enumerate()
        .map(|(i, t)| (format!("track {} ({})", i + 1, quoted(&t.name)), Some(t.id.clone()), &mut t.strip))
        .chain(s.buses.iter_mut().map(|b| (format!("bus {}", quoted(&b.name)), Some(b.id.clone()), &mut b.strip)))
        .chain(s.returns.iter_mut().map(|b| (format!("return {}", quoted(&b.name)), Some(b.id.clone()), &mut b.strip)))
        .chain(std::iter::once(("the master".to_owned(), None, &mut s.master.strip)));
    for (label, id, strip) in labelled {
        check_strip(c, &label, id.as_deref(), strip, &kinds)?;
    }
    Ok(())
}

fn check_strip(c: &mut Checker, label: &str, id: Option<&str>, s: &mut Strip, kinds: &HashMap<String, Kind>) -> Result<(), SessionError> {
    let mut problem = |what: String, mend: &str| c.problem(format!("{label} {what}"), mend);
    let trim = limits::TRIM_RANGE_DB;
    if !(s.trim_db.is_finite() && (-trim..=trim).contains(&s.trim_db)) {
        problem(format!("has a trim of {} dB, outside ±{trim} dB", num(s.trim_db)), "it was brought within")?;
        s.trim_db = if s.trim_db.is_nan() { 0.0 } else { s.trim_db.clamp(-trim, trim) };
    }
    if s.fader_db.is_nan() || s.fader_db > limits::FADER_MAX_DB {
        let why = if s.fader_db.is_nan() { "has a fader level that cannot be read".to_owned() } else { format!("has a fader at {} dB, above +{} dB", num(s.fader_db), limits::FADER_MAX_DB) };
        problem(why, if s.fader_db.is_nan() { "it is at 0 dB now" } else { "it was brought within" })?;
        s.fader_db = if s.fader_db.is_nan() { 0.0 } else { limits::FADER_MAX_DB };
    }
    if !(s.pan.is_finite() && limits::PAN.contains(&s.pan)) {
        problem(format!("has a pan of {}, outside −1 … +1", num(s.pan)), "it was brought within")?;
        s.pan = if s.pan.is_nan() { 0.0 } else { s.pan.clamp(-1.0, 1.0) };
    }
    if !(s.width.is_finite() && limits::WIDTH.contains(&s.width)) {
        problem(format!("has a width of {}, outside 0 … 2", num(s.width)), "it was brought within")?;
        s.width = if s.width.is_nan() { 1.0 } else { s.width.clamp(0.0, 2.0) };
    }
    if s.pan_law >= limits::PAN_LAWS {
        problem(format!("has an unknown pan law {}", s.pan_law), "it is −3 dB now")?;
        s.pan_law = 0;
    }
    if s.inserts.len() > limits::INSERTS {
        problem(format!("has more than {} inserts", limits::INSERTS), "those after the limit were left out")?;
        s.inserts.truncate(limits::INSERTS);
    }
    if s.sends.len() > limits::SENDS {
        problem(format!("has more than {} sends", limits::SENDS), "those after the limit were left out")?;
        s.sends.truncate(limits::SENDS);
    }
    if let Some(own) = id {
        let fits = own != s.output && matches!(kinds.get(&s.output), Some(Kind::Bus | Kind::Master));
        if !fits {
            let why = match kinds.get(&s.output) {
                None => format!("is routed to “{}”, which does not exist", short(&s.output)),
                Some(_) if own == s.output => "is routed to itself".to_owned(),
                Some(_) => format!("is routed to “{}”, which is not a bus", s.output),
            };
            problem(why, "it goes to the master now")?;
            s.output = "master".into();
        }
    }
    let mut slot = 0;
    while slot < s.inserts.len() {
        let insert = &mut s.inserts[slot];
        let Some(kind) = InsertKind::from_key(&insert.kind) else {
            problem(format!("has an insert of unknown kind “{}” in slot {}", short(&insert.kind), slot + 1), "it was removed")?;
            s.inserts.remove(slot);
            continue;
        };
        let keys: Vec<String> = insert.params.keys().cloned().collect();
        for key in keys {
            let value = insert.params[&key];
            let Some(info) = kind.params().iter().find(|p| p.key == key) else {
                problem(format!("has an unknown setting “{}” on its {} (slot {})", short(&key), kind.label(), slot + 1), "it was removed")?;
                insert.params.remove(&key);
                continue;
            };
            if !(value.is_finite() && value >= info.min && value <= info.max) {
                problem(format!("has {} at {} on its {} (slot {}), outside {} … {}", info.name, num(value), kind.label(), slot + 1, info.min, info.max), "it was brought within")?;
                insert.params.insert(key, if value.is_nan() { info.default } else { info.clamp(value) });
            }
        }
        if let Some(key) = insert.sidechain.clone() {
            let why = if kind != InsertKind::Compressor {
                Some(format!("has a side-chain on its {}, which takes none", kind.label()))
            } else if !kinds.contains_key(&key) {
                Some(format!("keys its compressor from “{}”, which does not exist", short(&key)))
            } else if id == Some(key.as_str()) || (id.is_none() && key == "master") {
                Some("keys its compressor from itself".to_owned())
            } else {
                None
            };
            if let Some(why) = why {
                problem(why, "the compressor hears its own input now")?;
                insert.sidechain = None;
            }
        }
        slot += 1;
    }
    let mut index = 0;
    while index < s.sends.len() {
        let send = &mut s.sends[index];
        let target = kinds.get(&send.to).copied();
        let why = match target {
            None => Some(format!("sends to “{}”, which does not exist", short(&send.to))),
            Some(Kind::Track | Kind::Master) => Some(format!("sends to “{}”, which is not a return or a bus", send.to)),
            Some(_) if id == Some(send.to.as_str()) => Some("sends to itself".to_owned()),
            Some(_) => None,
        };
        if let Some(why) = why {
            problem(why, "the send was removed")?;
            s.sends.remove(index);
            continue;
        }
        if send.level_db.is_nan() || send.level_db > limits::SEND_MAX_DB {
            let why = if send.level_db.is_nan() { "has a send level that cannot be read".to_owned() } else { format!("has a send at {} dB, above +{} dB", num(send.level_db), limits::SEND_MAX_DB) };
            problem(why, if send.level_db.is_nan() { "the send is off now" } else { "it was brought within" })?;
            send.level_db = if send.level_db.is_nan() { f32::NEG_INFINITY } else { limits::SEND_MAX_DB };
        }
        index += 1;
    }
    Ok(())
}

/// The routing as a whole (what no single strip shows: loops), in the engine's words. Salvaging a
/// loop takes two steps at most: without sends and side-chains; then every strip straight to the
/// master, which cannot loop.
fn routing(c: &mut Checker, s: &mut Session) -> Result<(), SessionError> {
    let check = |s: &Session| Plan::check(&crate::mixer::to_mixer_unchecked(s)).map_err(|e| e.to_string());
    let Err(why) = check(s) else { return Ok(()) };
    c.problem(format!("its routing is impossible ({why})"), "its sends and side-chains were removed")?;
    let strips = s.tracks.iter_mut().map(|t| &mut t.strip).chain(s.buses.iter_mut().chain(s.returns.iter_mut()).map(|b| &mut b.strip)).chain([&mut s.master.strip]);
    for strip in strips {
        strip.sends.clear();
        strip.inserts.iter_mut().for_each(|i| i.sidechain = None);
    }
    let Err(why) = check(s) else { return Ok(()) };
    c.problem(format!("its routing is still impossible ({why})"), "every strip goes straight to the master now")?;
    for strip in s.tracks.iter_mut().map(|t| &mut t.strip).chain(s.buses.iter_mut().chain(s.returns.iter_mut()).map(|b| &mut b.strip)) {
        strip.output = "master".into();
    }
    for t in &mut s.tracks {
        t.folder = None;
    }
    check(s).map_err(SessionError::Invalid)
}

/// Automation lanes: each of a parameter the strip has, one per parameter, at most
/// [`limits::AUTOMATION_POINTS`] points in time order, every value within its parameter's range
/// and every point on the timeline. (Run after the routing: a send it removed takes its lanes.)
fn automation(c: &mut Checker, s: &mut Session) -> Result<(), SessionError> {
    let end = limits::timeline_frames(s.sample_rate);
    let labelled = s
        .tracks
        .iter_mut()
        .enumerate()
        .map(|(i, t)| (format!("track {} ({})", i + 1, quoted(&t.name)), &mut t.strip))
        .chain(s.buses.iter_mut().map(|b| (format!("bus {}", quoted(&b.name)), &mut b.strip)))
        .chain(s.returns.iter_mut().map(|b| (format!("return {}", quoted(&b.name)), &mut b.strip)))
        .chain(std::iter::once(("the master".to_owned(), &mut s.master.strip)));
    for (label, strip) in labelled {
        lanes(c, &label, strip, end)?;
    }
    Ok(())
}

fn lanes(c: &mut Checker, label: &str, strip: &mut Strip, end: u64) -> Result<(), SessionError> {
    let mut seen = std::collections::HashSet::new();
    let mut i = 0;
    while i < strip.automation.len() {
        let address = strip.automation[i].param.clone();
        let Some((param, range)) = Param::parse(&address).and_then(|p| p.range(strip).map(|r| (p, r))) else {
            c.problem(format!("{label} has automation of “{}”, which it does not have", short(&address)), "the lane was removed")?;
            strip.automation.remove(i);
            continue;
        };
        let name = param.label(strip);
        if !seen.insert(param) {
            c.problem(format!("{label} has two lanes of {name}"), "the second was removed")?;
            strip.automation.remove(i);
            continue;
        }
        let mut problem = |what: String, mend: &str| c.problem(format!("{label} has {what} in its {name} automation"), mend);
        let points = &mut strip.automation[i].points;
        if points.len() > limits::AUTOMATION_POINTS {
            problem(format!("more than {} points", limits::AUTOMATION_POINTS), "those after the limit were left out")?;
            points.truncate(limits::AUTOMATION_POINTS);
        }
        let unreadable = points.iter().filter(|p| p.value.is_nan()).count();
        if unreadable > 0 {
            problem(format!("{unreadable} point(s) whose value cannot be read"), "they were removed")?;
            points.retain(|p| !p.value.is_nan());
        }
        let outside = points.iter().filter(|p| range.clamp(p.value) != Some(p.value)).count();
        if outside > 0 {
            let bounds = if range.closes { format!("−∞ … {}", num(range.max)) } else { format!("{} … {}", num(range.min), num(range.max)) };
            problem(format!("{outside} point(s) outside {bounds}"), "they were brought within")?;
            for p in points.iter_mut() {
                p.value = range.clamp(p.value).unwrap_or(range.min);
            }
        }
        let late = points.iter().filter(|p| p.frame > end).count();
        if late > 0 {
            problem(format!("{late} point(s) beyond the timeline's {} hours", limits::TIMELINE_HOURS), "they were moved to its end")?;
            for p in points.iter_mut() {
                p.frame = p.frame.min(end);
            }
        }
        let bent = points.iter().filter(|p| !(p.bend.is_finite() && (-1.0..=1.0).contains(&p.bend))).count();
        if bent > 0 {
            problem(format!("{bent} curve(s) bent beyond −1 … +1"), "they were brought within")?;
            for p in points.iter_mut() {
                p.bend = if p.bend.is_nan() { 0.0 } else { p.bend.clamp(-1.0, 1.0) };
            }
        }
        if !points.is_sorted_by_key(|p| p.frame) {
            problem("points out of time order".to_owned(), "they were put in order")?;
            points.sort_by_key(|p| p.frame);
        }
        i += 1;
    }
    Ok(())
}
