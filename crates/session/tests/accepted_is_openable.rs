//! Accepted ⇒ openable, as a property: random sequences of every edit the app offers — with
//! typed values far out of range, NaN and infinities, absurd times, names of any length, indices
//! that point nowhere — applied to a session always leave a session that passes the strict check,
//! saves, and reopens exactly as it was, with its history. The cases are drawn from a fixed seed:
//! the same 160 sequences on every run, so a failure is one that can be run again.

use mixroom_engine::{InsertKind, SendParam, StripParam};
use mixroom_session::stored::{Stored, ViewState};
use mixroom_session::automation::{AutomationMode, AutomationPoint, Param, PassEnd, PointShape};
use mixroom_session::{limits, Clip, LoopRegion, Naming, NewTrack, Session, StripRef};
use proptest::prelude::*;

/// One edit, with its arguments as a user (or a hostile page) could give them.
#[derive(Clone, Debug)]
enum Edit {
    StripParam(Strip, usize, f32),
    InsertParam(Strip, usize, usize, f32),
    Bypass(Strip, usize, bool),
    SendParam(Strip, usize, usize, f32),
    AddInsert(Strip, usize, usize),
    RemoveInsert(Strip, usize),
    MoveInsert(Strip, usize, usize),
    SetOutput(Strip, Target),
    AddSend(Strip, Target, f32, bool),
    RemoveSend(Strip, usize),
    Sidechain(Strip, usize, Option<Target>),
    MoveTrack(usize, usize),
    NewFolder(usize, String),
    SetFolder(usize, Option<usize>),
    Collapse(usize, bool),
    AddTracks(Vec<(String, u8, u64)>, Option<usize>),
    EditClip(usize, usize, ClipValues),
    SetLoop(u64, u64, bool),
    AddMarker(u64),
    RemoveMarker(usize),
    Rename(Name, String),
    AddBus(String, bool),
    SetColour(usize, String),
    GainStage(Vec<f64>, f32),
    /// A lane's points (the parameter by index among the strip's automatable ones).
    Automate(Strip, usize, Vec<(u64, f32, u8, f32)>),
    /// A pass recorded on a lane: values at frames, released (Touch) or stopped, absolute or trim.
    Pass(Strip, usize, Vec<(u64, f32)>, bool, bool),
    TrimLane(Strip, usize, u64, u64, f32),
    Mode(Strip, usize),
    Suspend(bool),
    /// An offline track's audio relinked to a file (`sha256-<k>`, of any channels and length).
    Relink(usize, usize, u8, u64),
}

/// A strip by kind (0 track, 1 bus, 2 return, 3 master) and index, which may be past the end.
#[derive(Clone, Copy, Debug)]
struct Strip(u8, usize);

impl Strip {
    fn at(self) -> StripRef {
        match self.0 % 4 {
            0 => StripRef::Track(self.1),
            1 => StripRef::Bus(self.1),
            2 => StripRef::Return(self.1),
            _ => StripRef::Master,
        }
    }
}

/// Where an output, send or key points: one of the session's strips (by position in mixer order)
/// or any text at all.
#[derive(Clone, Debug)]
enum Target {
    Existing(usize),
    Text(String),
}

impl Target {
    fn key(&self, s: &Session) -> String {
        match self {
            Target::Existing(i) => {
                let refs = s.strip_refs();
                s.strip_key(refs[i % refs.len()])
            }
            Target::Text(t) => t.clone(),
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Name {
    Session,
    Strip(Strip),
    Marker(usize),
}

#[derive(Clone, Debug)]
struct ClipValues {
    start: u64,
    offset: u64,
    length: u64,
    fade_in: u64,
    fade_out: u64,
    gain_db: f32,
    shape: String,
}

fn value() -> impl Strategy<Value = f32> {
    prop_oneof![any::<f32>(), -100.0f32..100.0, Just(f32::NAN), Just(f32::INFINITY), Just(f32::NEG_INFINITY), Just(1e30), Just(-1e30)]
}

/// Times in frames: ordinary ones, and typed absurdities (1e15, "800:00" at 48 kHz, u64::MAX).
fn frames() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..2_000_000, any::<u64>(), Just(1_000_000_000_000_000), Just(800 * 60 * 48_000), Just(u64::MAX), Just(limits::timeline_frames(48_000))]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9 ]{0,24}",
        "\\PC{0,40}",
        // Longer than any name may be (a lyric line of 300 characters, and more).
        "[a-z ]{250,400}",
        Just("<img src=x onerror=alert(1)>".to_owned()),
        Just("   ".to_owned()),
    ]
}

fn strip() -> impl Strategy<Value = Strip> {
    (0u8..4, 0usize..14).prop_map(|(k, i)| Strip(k, i))
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![4 => (0usize..64).prop_map(Target::Existing), 1 => text().prop_map(Target::Text), 1 => Just(Target::Text("master".into()))]
}

fn edit() -> impl Strategy<Value = Edit> {
    let small = || 0usize..12;
    prop_oneof![
        (strip(), 0usize..9, value()).prop_map(|(s, p, v)| Edit::StripParam(s, p, v)),
        (strip(), small(), 0usize..40, value()).prop_map(|(s, slot, k, v)| Edit::InsertParam(s, slot, k, v)),
        (strip(), small(), any::<bool>()).prop_map(|(s, slot, b)| Edit::Bypass(s, slot, b)),
        (strip(), small(), 0usize..3, value()).prop_map(|(s, i, p, v)| Edit::SendParam(s, i, p, v)),
        (strip(), 0usize..11, 0usize..40).prop_map(|(s, k, slot)| Edit::AddInsert(s, k, slot)),
        (strip(), small()).prop_map(|(s, slot)| Edit::RemoveInsert(s, slot)),
        (strip(), small(), small()).prop_map(|(s, a, b)| Edit::MoveInsert(s, a, b)),
        (strip(), target()).prop_map(|(s, t)| Edit::SetOutput(s, t)),
        (strip(), target(), value(), any::<bool>()).prop_map(|(s, t, v, pre)| Edit::AddSend(s, t, v, pre)),
        (strip(), small()).prop_map(|(s, i)| Edit::RemoveSend(s, i)),
        (strip(), small(), proptest::option::of(target())).prop_map(|(s, slot, t)| Edit::Sidechain(s, slot, t)),
        (0usize..40, 0usize..40).prop_map(|(a, b)| Edit::MoveTrack(a, b)),
        (0usize..20, text()).prop_map(|(t, n)| Edit::NewFolder(t, n)),
        (0usize..20, proptest::option::of(0usize..6)).prop_map(|(t, b)| Edit::SetFolder(t, b)),
        (0usize..6, any::<bool>()).prop_map(|(b, c)| Edit::Collapse(b, c)),
        (proptest::collection::vec((text(), 0u8..4, frames()), 1..4), proptest::option::of(0usize..20)).prop_map(|(t, a)| Edit::AddTracks(t, a)),
        (0usize..20, 0usize..3, (frames(), frames(), frames(), frames(), frames(), value(), prop_oneof![Just("linear".to_owned()), Just("s_curve".to_owned()), text()]))
            .prop_map(|(t, k, (start, offset, length, fade_in, fade_out, gain_db, shape))| Edit::EditClip(t, k, ClipValues { start, offset, length, fade_in, fade_out, gain_db, shape })),
        (frames(), frames(), any::<bool>()).prop_map(|(a, b, e)| Edit::SetLoop(a, b, e)),
        frames().prop_map(Edit::AddMarker),
        small().prop_map(Edit::RemoveMarker),
        (prop_oneof![Just(Name::Session), strip().prop_map(Name::Strip), small().prop_map(Name::Marker)], text()).prop_map(|(n, t)| Edit::Rename(n, t)),
        (text(), any::<bool>()).prop_map(|(n, r)| Edit::AddBus(n, r)),
        (0usize..20, prop_oneof![Just("#a1b2c3".to_owned()), Just("#A1B2C3".to_owned()), text()]).prop_map(|(t, c)| Edit::SetColour(t, c)),
        (proptest::collection::vec(prop_oneof![any::<f64>(), -80.0f64..0.0], 0..20), value()).prop_map(|(l, t)| Edit::GainStage(l, t)),
        (strip(), 0usize..200, proptest::collection::vec((frames(), value(), 0u8..4, value()), 0..12)).prop_map(|(s, p, pts)| Edit::Automate(s, p, pts)),
        (strip(), 0usize..200, proptest::collection::vec((frames(), value()), 0..12), any::<bool>(), any::<bool>()).prop_map(|(s, p, pts, r, t)| Edit::Pass(s, p, pts, r, t)),
        (strip(), 0usize..200, frames(), frames(), value()).prop_map(|(s, p, a, b, d)| Edit::TrimLane(s, p, a, b, d)),
        (strip(), 0usize..8).prop_map(|(s, m)| Edit::Mode(s, m)),
        any::<bool>().prop_map(Edit::Suspend),
        (0usize..20, 0usize..4, 0u8..4, frames()).prop_map(|(t, k, c, f)| Edit::Relink(t, k, c, f)),
    ]
}

/// Applies an edit the way the app does: through the session's edit functions. Refused edits are
/// fine; what matters is what is left.
fn apply(s: &mut Session, edit: &Edit) {
    match edit {
        Edit::StripParam(r, p, v) => {
            s.set_strip_param(r.at(), StripParam::ALL[*p], *v);
        }
        Edit::InsertParam(r, slot, k, v) => {
            let key = s.strip(r.at()).and_then(|st| st.inserts.get(*slot)).and_then(|i| InsertKind::from_key(&i.kind)).map(|kind| kind.params().get(*k).map_or("nonsense", |p| p.key));
            if let Some(key) = key {
                s.set_insert_param(r.at(), *slot, key, *v);
            }
        }
        Edit::Bypass(r, slot, b) => {
            s.set_insert_bypass(r.at(), *slot, *b);
        }
        Edit::SendParam(r, i, p, v) => {
            let p = [SendParam::Level, SendParam::PreFader, SendParam::Mute][*p];
            s.set_send_param(r.at(), *i, p, *v);
        }
        Edit::AddInsert(r, k, slot) => {
            let _ = s.add_insert(r.at(), InsertKind::ALL[*k], *slot);
        }
        Edit::RemoveInsert(r, slot) => {
            let _ = s.remove_insert(r.at(), *slot);
        }
        Edit::MoveInsert(r, a, b) => {
            let _ = s.move_insert(r.at(), *a, *b);
        }
        Edit::SetOutput(r, t) => {
            let to = t.key(s);
            let _ = s.set_output(r.at(), &to);
        }
        Edit::AddSend(r, t, v, pre) => {
            let to = t.key(s);
            let _ = s.add_send(r.at(), &to, *v, *pre);
        }
        Edit::RemoveSend(r, i) => {
            let _ = s.remove_send(r.at(), *i);
        }
        Edit::Sidechain(r, slot, t) => {
            let key = t.as_ref().map(|t| t.key(s));
            let _ = s.set_sidechain(r.at(), *slot, key.as_deref());
        }
        Edit::MoveTrack(a, b) => {
            let _ = s.move_track(*a, *b);
        }
        Edit::NewFolder(t, name) => {
            let _ = s.new_folder(*t, name);
        }
        Edit::SetFolder(t, b) => {
            let bus = b.and_then(|b| s.buses.get(b)).map(|b| b.id.clone());
            let _ = s.set_folder(*t, bus.as_deref());
        }
        Edit::Collapse(b, c) => s.set_folder_collapsed(*b, *c),
        Edit::AddTracks(new, after) => {
            let new: Vec<NewTrack> = new.iter().enumerate().map(|(i, (name, channels, frames))| NewTrack { name: name.clone(), source_id: format!("sha256-{i}"), channels: *channels, frames: *frames }).collect();
            let _ = s.add_audio_tracks_after(&new, *after);
        }
        Edit::EditClip(t, k, v) => {
            let v = v.clone();
            let _ = s.edit_clip(*t, *k, move |c: &mut Clip| {
                *c = Clip { start: v.start, offset: v.offset, length: v.length, fade_in: v.fade_in, fade_out: v.fade_out, gain_db: v.gain_db, fade_in_shape: v.shape.clone(), fade_out_shape: v.shape };
            });
        }
        Edit::SetLoop(a, b, enabled) => {
            s.set_loop(Some(LoopRegion { start: *a, end: *b, enabled: *enabled }));
        }
        Edit::AddMarker(frame) => {
            let _ = s.add_marker(*frame);
        }
        Edit::RemoveMarker(i) => s.remove_marker(*i),
        Edit::Rename(what, typed) => {
            let what = match what {
                Name::Session => Naming::Session,
                Name::Strip(r) => Naming::Strip(r.at()),
                Name::Marker(i) => Naming::Marker(*i),
            };
            let _ = s.rename(what, typed);
        }
        Edit::AddBus(name, return_) => {
            let _ = s.add_bus(name, *return_);
        }
        Edit::SetColour(t, c) => {
            let _ = s.set_colour(*t, Some(c));
        }
        Edit::GainStage(levels, target) => {
            s.gain_stage_levels(levels, *target);
        }
        Edit::Automate(r, p, points) => {
            if let Some(param) = param(s, *r, *p) {
                let shapes = [PointShape::Hold, PointShape::Linear, PointShape::Curve, PointShape::Curve];
                let points = points.iter().map(|&(frame, value, shape, bend)| AutomationPoint { frame, value, shape: shapes[shape as usize % 4], bend }).collect();
                let _ = s.set_automation(r.at(), &param, points);
            }
        }
        Edit::Pass(r, p, recorded, release, trim) => {
            if let Some(param) = param(s, *r, *p) {
                let end = if *release { PassEnd::Release { return_frames: recorded.first().map_or(0, |p| p.0 % 100_000) } } else { PassEnd::Stop };
                let _ = s.write_pass(r.at(), &param, recorded, end, *trim, 0.1);
            }
        }
        Edit::TrimLane(r, p, a, b, delta) => {
            if let Some(param) = param(s, *r, *p) {
                let _ = s.trim_automation(r.at(), &param, *a, *b, *delta);
            }
        }
        Edit::Mode(r, m) => {
            let _ = s.set_automation_mode(r.at(), AutomationMode::ALL[*m % AutomationMode::ALL.len()]);
        }
        Edit::Suspend(on) => s.set_automation_suspended(*on),
        Edit::Relink(t, k, channels, frames) => {
            let old = match s.tracks.get(*t).map(|t| &t.source) {
                Some(mixroom_session::Source::Audio { id, .. }) => id.clone(),
                _ => return,
            };
            let _ = s.replace_source(&old, mixroom_session::Source::Audio { id: format!("sha256-{k}"), channels: *channels, frames: *frames });
        }
    }
}

/// The `index`-th automatable parameter of strip `r` (wrapping), if the strip exists.
fn param(s: &Session, r: Strip, index: usize) -> Option<Param> {
    let all = Param::all(s.strip(r.at())?);
    all.get(index % all.len()).cloned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, max_shrink_iters: 2_000, failure_persistence: None, rng_seed: proptest::test_runner::RngSeed::Fixed(0x4d69_7872_6f6f_6d10), ..ProptestConfig::default() })]

    #[test]
    fn every_edit_leaves_a_session_that_saves_and_reopens_identically(edits in proptest::collection::vec(edit(), 1..40)) {
        let mut s = Session::demo();
        let mut undo = Vec::new();
        for (n, e) in edits.iter().enumerate() {
            undo.push(s.clone());
            apply(&mut s, e);
            let valid = s.validate();
            prop_assert!(valid.is_ok(), "edit {} ({:?}) left a session the strict check refuses: {}", n, e, valid.unwrap_err());
            let (back, repairs) = Session::read(&s.to_json()).expect("an accepted session reads");
            prop_assert!(repairs.is_empty(), "edit {} ({:?}): reopening mended it: {}", n, e, repairs);
            prop_assert_eq!(&back, &s, "edit {} ({:?}) did not reopen identically", n, e);
        }
        // The stored form, with every step as history, comes back whole.
        let stored = Stored { session: s, view: ViewState::default(), undo, redo: Vec::new() };
        let (back, repairs) = Stored::from_json(&stored.to_json()).expect("an accepted stored session reads");
        prop_assert!(repairs.is_empty());
        let kept = mixroom_session::stored::MAX_HISTORY.min(stored.undo.len());
        prop_assert_eq!(&back.session, &stored.session);
        prop_assert_eq!(&back.undo[..], &stored.undo[stored.undo.len() - kept..]);
    }
}
