//! Automation in the session file (format 5): lanes of every kind round-trip; files of every
//! earlier format open without automation; damaged lanes are mended and said, never refused
//! whole; the edits that renumber inserts and sends take their lanes along; the engine gets the
//! curves as the engineer drew them.

use mixroom_engine::{InsertKind, SendParam, StripParam, Target};
use mixroom_session::automation::{AutomationLane, AutomationMode, AutomationPoint, Param, PassEnd, PointShape};
use mixroom_session::{Session, StripRef, VERSION};

fn point(frame: u64, value: f32) -> AutomationPoint {
    AutomationPoint { frame, value, shape: PointShape::Linear, bend: 0.0 }
}

fn lane(param: &str, points: Vec<AutomationPoint>) -> AutomationLane {
    AutomationLane { param: param.into(), points }
}

/// The demo with track 1 given an EQ and a compressor and a send to the plate, and lanes on
/// everything: its fader (from −∞), pan, mute, the send's level and on/off, an EQ gain with a
/// bent curve, a compressor threshold, a bypass; the master's fader in Latch.
fn automated() -> Session {
    let mut s = Session::demo();
    let t = StripRef::Track(0);
    s.tracks[0].strip.inserts.clear();
    s.tracks[0].strip.sends.clear();
    s.add_insert(t, InsertKind::Eq, 0).unwrap();
    s.add_insert(t, InsertKind::Compressor, 1).unwrap();
    s.add_send(t, "verb", -12.0, false).unwrap();
    s.tracks[0].strip.automation = vec![
        lane("fader", vec![point(0, f32::NEG_INFINITY), point(48_000, 0.0), AutomationPoint { shape: PointShape::Hold, ..point(96_000, -6.0) }, point(120_000, 3.0)]),
        lane("pan", vec![point(0, -1.0), point(96_000, 1.0)]),
        lane("mute", vec![point(0, 0.0), point(50_000, 1.0), point(51_000, 0.0)]),
        lane("send/0/level", vec![point(10_000, -40.0), point(20_000, 0.0)]),
        lane("send/0/on", vec![point(0, 1.0), point(30_000, 0.0)]),
        lane("insert/0/lomid_gain", vec![AutomationPoint { shape: PointShape::Curve, bend: 0.5, ..point(0, -12.0) }, point(96_000, 12.0)]),
        lane("insert/1/threshold", vec![point(0, -30.0), point(96_000, -10.0)]),
        lane("insert/1/bypass", vec![point(0, 0.0), point(40_000, 1.0)]),
    ];
    s.master.strip.automation = vec![lane("fader", vec![point(0, 0.0), point(1_000, -3.0)])];
    s.master.strip.automation_mode = AutomationMode::Latch;
    s.validate().unwrap();
    s
}

#[test]
fn every_kind_of_lane_round_trips() {
    let s = automated();
    let json = s.to_json();
    assert!(json.contains(&format!("\"version\": {VERSION}")) && VERSION >= 5);
    assert!(json.contains("\"param\": \"insert/0/lomid_gain\"") && json.contains("\"automation_mode\": \"latch\""));
    assert!(json.contains("\"value\": null"), "−∞ is written null");
    assert_eq!(Session::from_json(&json).unwrap(), s);
    assert_eq!(Session::read(&json).unwrap(), (s.clone(), Default::default()));
    // Strips without automation write nothing new.
    assert!(!Session::demo().to_json().contains("automation"));
}

/// Every earlier format opens with no lanes, every strip in Read, automation not suspended.
#[test]
fn files_of_every_earlier_format_open_without_automation() {
    for version in 2..VERSION {
        let mut old: serde_json::Value = serde_json::from_str(&Session::demo().to_json()).unwrap();
        old["version"] = version.into();
        let s = Session::from_json(&old.to_string()).unwrap();
        assert_eq!(s.version, VERSION);
        assert!(!s.automation_suspended);
        for strip in s.tracks.iter().map(|t| &t.strip).chain(s.buses.iter().map(|b| &b.strip)).chain([&s.master.strip]) {
            assert!(strip.automation.is_empty() && strip.automation_mode == AutomationMode::Read);
        }
    }
    let v1 = r#"{"format":"mixroom-session","version":1,"name":"Old","sample_rate":48000,"tempo_bpm":120,
        "tracks":[{"name":"Kick","source":{"kind":"demo_stem","stem":"kick"},"fader_db":-3}],"master":{"fader_db":0}}"#;
    let s = Session::from_json(v1).unwrap();
    assert!(s.tracks[0].strip.automation.is_empty());
}

/// Damaged lanes are mended one by one, each said; the rest opens and passes the strict check.
/// The strict reader refuses the same file with the first problem.
#[test]
fn damaged_lanes_are_mended_and_said() {
    let mut v: serde_json::Value = serde_json::from_str(&automated().to_json()).unwrap();
    let lanes = v["tracks"][0]["automation"].as_array_mut().unwrap();
    lanes.push(serde_json::json!({"param": "send/7/level", "points": [{"frame": 0, "value": 0}]}));
    lanes.push(serde_json::json!({"param": "volume", "points": []}));
    lanes.push(serde_json::json!({"param": "pan", "points": [{"frame": 5, "value": 0.5}]}));
    lanes.push(serde_json::json!({"param": "width", "points": [
        {"frame": 900, "value": 1.0}, {"frame": 10, "value": 7.0}, {"frame": 99999999999999u64, "value": 0.5},
        {"frame": 20, "value": "loud"}, {"frame": 30, "value": 1.0, "shape": "curve", "bend": 40.0}, {"frame": 40, "value": 1.0, "shape": "wiggly"}]}));
    let text = v.to_string();
    let (s, repairs) = Session::read(&text).unwrap();
    let said = repairs.0.join("; ");
    for expected in ["“send/7/level”, which it does not have", "“volume”", "two lanes of Pan", "point(s) outside 0 … 2", "beyond the timeline's 24 hours", "bent beyond", "out of time order", "point 4 could not be read: it was left out"] {
        assert!(said.contains(expected), "{expected:?} not in: {said}");
    }
    s.validate().unwrap();
    let width = s.tracks[0].strip.lane(&Param::Width).unwrap();
    let frames: Vec<u64> = width.points.iter().map(|p| p.frame).collect();
    assert!(frames.is_sorted() && frames.len() == 5, "{frames:?}");
    assert!(width.points.iter().all(|p| (0.0..=2.0).contains(&p.value)));
    assert_eq!(s.tracks[0].strip.lane(&Param::Pan).unwrap().points.len(), 2, "the first pan lane is kept");
    // Everything else as it was.
    assert_eq!(s.tracks[0].strip.automation[..8], automated().tracks[0].strip.automation[..]);
    assert!(Session::from_json(&text).is_err());
}

/// Removing or moving inserts and sends takes their lanes with them.
#[test]
fn lanes_follow_their_inserts_and_sends() {
    let params = |s: &Session| -> Vec<String> { s.tracks[0].strip.automation.iter().map(|l| l.param.clone()).collect() };
    let t = StripRef::Track(0);
    let mut s = automated();
    s.move_insert(t, 1, 0).unwrap();
    let p = params(&s);
    assert!(p.contains(&"insert/1/lomid_gain".into()) && p.contains(&"insert/0/threshold".into()) && p.contains(&"insert/0/bypass".into()), "{p:?}");
    s.add_insert(t, InsertKind::Filters, 0).unwrap();
    assert!(params(&s).contains(&"insert/2/lomid_gain".into()));
    s.remove_insert(t, 1).unwrap();
    let p = params(&s);
    assert!(!p.iter().any(|p| p.contains("threshold") || p.contains("bypass")), "{p:?}");
    assert!(p.contains(&"insert/1/lomid_gain".into()));
    s.remove_send(t, 0).unwrap();
    assert!(!params(&s).iter().any(|p| p.starts_with("send/")));
    s.validate().unwrap();
}

/// The engine gets a curve per lane, as drawn: a send's "on" as the engine's mute, turned round;
/// nothing for a strip in Off or with automation suspended.
#[test]
fn the_engine_gets_the_curves() {
    let s = automated();
    let mixer = s.to_mixer().unwrap();
    let track = &mixer.strips[0].automation;
    assert_eq!(track.len(), 8);
    let curve = |target: Target| track.iter().find(|(t, _)| *t == target).map(|(_, c)| c).unwrap();
    assert_eq!(curve(Target::Strip(StripParam::Fader)).value_at(24_000), mixroom_dsp::gain::SILENCE_DB / 2.0);
    assert_eq!(curve(Target::Send(0, SendParam::Mute)).value_at(0), 0.0);
    assert_eq!(curve(Target::Send(0, SendParam::Mute)).value_at(40_000), 1.0);
    let gain_id = InsertKind::Eq.params().iter().position(|p| p.key == "lomid_gain").unwrap();
    let eq = curve(Target::Insert(0, gain_id));
    assert!(eq.value_at(48_000) > 0.0, "bent up early: {}", eq.value_at(48_000));
    assert_eq!(s.tracks[0].strip.automated_value(&Param::Insert(0, "lomid_gain".into()), 48_000, 48_000, false), Some(eq.value_at(48_000)));
    let master = mixer.strips.len() - 1;
    assert_eq!(mixer.strips[master].automation.len(), 1);

    let mut off = s.clone();
    off.tracks[0].strip.automation_mode = AutomationMode::Off;
    assert!(off.to_mixer().unwrap().strips[0].automation.is_empty());
    let mut suspended = s;
    suspended.automation_suspended = true;
    assert!(suspended.to_mixer().unwrap().strips.iter().all(|st| st.automation.is_empty()));
}

/// A ride drawn on the session plays in a native render: the fader lane closes the track.
#[test]
fn a_session_render_plays_its_automation() {
    let mut s = Session::demo();
    let sources = s.render_sources().unwrap();
    let plain = s.build_engine(&sources).unwrap().render_all();
    for t in &mut s.tracks {
        let set = t.strip.fader_db;
        t.strip.automation = vec![lane("fader", vec![point(0, set), AutomationPoint { shape: PointShape::Hold, ..point(48_000, set) }, point(48_001, f32::NEG_INFINITY)])];
    }
    let ridden = s.build_engine(&sources).unwrap().render_all();
    let peak = |x: &[f32], range: std::ops::Range<usize>| x[range].iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert_eq!(plain[0][..48_000], ridden[0][..48_000], "the same until the step");
    assert!(peak(&plain[0], 96_000..200_000) > 0.1);
    // After the step only the returns' tails are left, then silence.
    assert!(peak(&ridden[0], 240_000..300_000) < 1e-4, "{}", peak(&ridden[0], 240_000..300_000));
}

fn values(s: &Session, r: StripRef, param: &Param) -> Vec<(u64, f32)> {
    s.automation_points(r, param).iter().map(|p| (p.frame, p.value)).collect()
}

/// Equal, or within `tolerance` (−∞ equals only −∞).
fn close(a: f32, b: f32, tolerance: f32) -> bool {
    a == b || (a - b).abs() <= tolerance
}

fn value_at(s: &Session, param: &Param, frame: u64) -> f32 {
    s.tracks[0].strip.automated_value(param, frame, s.sample_rate, false).unwrap()
}

/// A Touch pass: the curve before the pass and after its return is as it was; inside, the ride
/// (thinned: a straight ride of 200 values keeps its two ends); released, it returns to the curve
/// over the return time. One call: one undo step in the app.
#[test]
fn a_touch_pass_replaces_exactly_its_span_and_returns_to_the_curve() {
    let mut s = automated();
    let (t, fader) = (StripRef::Track(0), Param::Fader);
    let before = s.clone();
    // A ride from −10 dB to −2 dB between frames 60 000 and 80 000, a value every 100 frames.
    let ride: Vec<(u64, f32)> = (0..=200).map(|k| (60_000 + k * 100, -10.0 + 8.0 * k as f32 / 200.0)).collect();
    s.write_pass(t, &fader, &ride, PassEnd::Release { return_frames: 4_800 }, false, 0.1).unwrap();
    s.validate().unwrap();
    for frame in (0..60_000).step_by(997).chain((84_801..200_000).step_by(997)) {
        // (A guard point splits a straight segment: the line beyond it is the same to rounding.)
        assert!(close(value_at(&s, &fader, frame), value_at(&before, &fader, frame), 1e-4), "frame {frame} is outside the pass");
    }
    // (From where the curve was, the ride is joined by a step, de-clicked over 3 ms.)
    for (frame, v) in ride.iter().filter(|(f, _)| *f > 60_000 + 145) {
        assert!((value_at(&s, &fader, *frame) - v).abs() < 0.1, "frame {frame}: {} for {v}", value_at(&s, &fader, *frame));
    }
    let inside = values(&s, t, &fader).iter().filter(|(f, _)| (60_000..=84_800).contains(f)).count();
    assert!(inside <= 5, "a straight ride is thinned to its ends and guards: {:?}", values(&s, t, &fader));
    // Returning: between the last value and the curve.
    let mid = value_at(&s, &fader, 82_400);
    let (last, curve) = (-2.0f32, value_at(&before, &fader, 84_800));
    assert!(mid > last.min(curve) && mid < last.max(curve), "{mid}");
}

/// A Latch pass ended by Stop holds its last value to the stop and leaves everything after it;
/// a Trim pass moves the curve under it by the offsets ridden, in dB.
#[test]
fn latch_ends_at_the_stop_and_trim_moves_the_curve() {
    let (t, fader) = (StripRef::Track(0), Param::Fader);
    let before = automated();
    let mut s = before.clone();
    let ride: Vec<(u64, f32)> = (0..50).map(|k| (30_000 + k * 200, -4.0 + (k as f32 * 0.3).sin())).collect();
    s.write_pass(t, &fader, &ride, PassEnd::Stop, false, 0.05).unwrap();
    assert_eq!(value_at(&s, &fader, 39_800), ride[49].1);
    for frame in [39_801 + 144, 50_000, 100_000, 130_000] {
        assert!(close(value_at(&s, &fader, frame), value_at(&before, &fader, frame), 1e-4), "{frame}");
    }
    let mut trimmed = before.clone();
    let offsets: Vec<(u64, f32)> = (0..=100).map(|k| (40_000 + k * 400, -3.0)).collect();
    trimmed.write_pass(t, &fader, &offsets, PassEnd::Stop, true, 0.1).unwrap();
    for frame in [45_000u64, 48_000, 60_000, 79_000] {
        let want = value_at(&before, &fader, frame) - 3.0;
        assert!((value_at(&trimmed, &fader, frame) - want).abs() < 0.11, "{frame}: {} for {want}", value_at(&trimmed, &fader, frame));
    }
    assert_eq!(value_at(&trimmed, &fader, 100_000), value_at(&before, &fader, 100_000));
}

/// A region of a lane scaled down by 4 dB: inside it moves, outside it stays.
#[test]
fn a_region_of_a_lane_is_trimmed_in_db() {
    let (t, fader) = (StripRef::Track(0), Param::Fader);
    let before = automated();
    let mut s = before.clone();
    s.trim_automation(t, &fader, 50_000, 90_000, -4.0).unwrap();
    for frame in [50_000u64, 60_000, 89_999, 90_000] {
        assert!(close(value_at(&s, &fader, frame), value_at(&before, &fader, frame) - 4.0, 1e-3), "{frame}");
    }
    for frame in [0u64, 30_000, 49_999, 90_001, 110_000] {
        assert!(close(value_at(&s, &fader, frame), value_at(&before, &fader, frame), 1e-3), "{frame}");
    }
    assert!(s.trim_automation(t, &Param::Pan, 0, 10, 1.0).is_err(), "pan is not a level");
}

/// Thinning keeps what a ride says within the tolerance, and every change of a switch.
#[test]
fn thinning_keeps_the_ride_within_its_tolerance() {
    let range = Param::Fader.range(&automated().tracks[0].strip).unwrap();
    let ride: Vec<(u64, f32)> = (0..2_000).map(|k| (k * 480, -12.0 + 6.0 * (k as f32 * 0.01).sin() + if k % 500 == 0 { 3.0 } else { 0.0 })).collect();
    let thin = mixroom_session::automation::thin(&ride, range, 0.1);
    assert!(thin.len() < ride.len() / 10, "{} of {}", thin.len(), ride.len());
    let mut s = automated();
    let points = thin.iter().map(|&(f, v)| point(f, v)).collect();
    s.set_automation(StripRef::Track(0), &Param::Fader, points).unwrap();
    for &(frame, v) in &ride {
        assert!((value_at(&s, &Param::Fader, frame) - v).abs() <= 0.1 + 1e-4, "{frame}");
    }
    let switch = Param::Mute.range(&s.tracks[0].strip).unwrap();
    let flips: Vec<(u64, f32)> = (0..100).map(|k| (k, if (k / 7) % 2 == 0 { 0.0 } else { 1.0 })).collect();
    let kept = mixroom_session::automation::thin(&flips, switch, 0.5);
    assert_eq!(kept.iter().filter(|p| p.1 == 1.0).count(), 7);
    assert!(kept.windows(2).all(|w| w[0].1 != w[1].1 || w[1] == *flips.last().unwrap()));
}

/// The engine edit of an automation change, applied to a running engine, gives the render of the
/// changed session (packing loses nothing); an undo back gives the original's.
#[test]
fn automation_edits_reach_a_running_engine_exactly() {
    let before = automated();
    let mut after = before.clone();
    after.write_pass(StripRef::Track(0), &Param::Pan, &[(1_000, 0.5), (30_000, -0.5)], PassEnd::Stop, false, 0.0).unwrap();
    after.set_automation(StripRef::Track(0), &Param::Insert(0, "lomid_gain".into()), Vec::new()).unwrap();
    after.set_automation_mode(StripRef::Master, AutomationMode::Off).unwrap();
    let sources = before.render_sources().unwrap();
    let render = |s: &Session, edits: Option<Vec<mixroom_session::EngineEdit>>| -> Vec<f32> {
        let mut e = s.build_engine(&sources).unwrap();
        for edit in edits.into_iter().flatten() {
            match edit {
                mixroom_session::EngineEdit::Param(p) => p.apply(&mut e),
                mixroom_session::EngineEdit::Automation(values) => {
                    let (strip, curves) = mixroom_session::automation::unpack(&values, s.sample_rate as f32).unwrap();
                    drop(e.set_automation(strip, Box::new(mixroom_engine::StripLanes::new(&curves))));
                }
                other => panic!("{other:?}"),
            }
        }
        e.settle();
        let mut out = Vec::new();
        e.play();
        while out.len() < 96_000 {
            e.process(128);
            out.extend_from_slice(&e.output(0)[..128]);
        }
        out
    };
    let edits = before.changes_to(&after).unwrap();
    assert_eq!(edits.iter().filter(|e| matches!(e, mixroom_session::EngineEdit::Automation(_))).count(), 2);
    let direct = render(&after, None);
    assert_ne!(direct, render(&before, None));
    assert_eq!(render(&before, Some(edits)), direct);
    assert_eq!(render(&after, Some(after.changes_to(&before).unwrap())), render(&before, None));
}
