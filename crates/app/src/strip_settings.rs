//! One strip's settings as its controls read them: a memo of the strip over the session.
//!
//! Every control of a channel strip reads its strip through one of these, not through the
//! session signal itself. A session change then re-runs one memo per strip, and only the
//! controls of the strip that changed. Read from the session directly, each of a 64-track
//! console's ~1,300 controls subscribed to the session: every edit re-ran all of them, and Leptos
//! removes a subscriber from a signal's set in order (a linear shift, kept for effects' order) —
//! the square of that on each change: 263 ms of self time in the open of a 64-track session
//! (docs/BENCHMARKS.md, "Where a 64-track open and seek spend their time").

use leptos::prelude::*;
use mixroom_session::automation::Param;
use mixroom_session::{Strip, StripRef};

use crate::desk::Desk;

/// What a strip's controls show: the strip, with the two session-wide settings its automation
/// reads.
#[derive(Clone, Debug, PartialEq)]
struct Shown {
    strip: Strip,
    automation_suspended: bool,
    sample_rate: u32,
}

/// One strip's settings, followed from the session (none once the strip is gone).
#[derive(Clone, Copy)]
pub struct StripSettings {
    pub strip: StripRef,
    shown: Memo<Option<Shown>>,
}

impl StripSettings {
    /// Follows `strip` in the desk's session. Owned by the reactive owner it is made in (the
    /// strip's view), and gone with it.
    pub fn new(desk: Desk, strip: StripRef) -> StripSettings {
        // Compared in place with what it held before, so an unchanged strip (every strip but the
        // one edited) is not cloned on each change.
        let shown = Memo::new_owning(move |old: Option<Option<Shown>>| {
            desk.session.with(|s| {
                let now = s.strip(strip);
                let same = match (&old, now) {
                    (Some(Some(o)), Some(st)) => o.strip == *st && o.automation_suspended == s.automation_suspended && o.sample_rate == s.sample_rate,
                    (Some(None), None) => true,
                    _ => false,
                };
                if same {
                    (old.flatten(), false)
                } else {
                    (now.map(|st| Shown { strip: st.clone(), automation_suspended: s.automation_suspended, sample_rate: s.sample_rate }), true)
                }
            })
        });
        StripSettings { strip, shown }
    }

    /// `f` of the strip (tracked), or `None` once the strip is gone.
    pub fn with<R>(&self, f: impl FnOnce(&Strip) -> R) -> Option<R> {
        self.shown.with(|s| s.as_ref().map(|s| f(&s.strip)))
    }

    /// The value of `param` as the strip plays it now (see [`played_value`]).
    pub fn automated(&self, desk: Desk, param: &Param) -> Option<f32> {
        self.shown.with(|s| s.as_ref().and_then(|s| played_value(desk, &s.strip, param, s.sample_rate, s.automation_suspended)))
    }
}

/// The value of `param` as `strip` plays it now: its curve at the play position where one plays,
/// else its setting (none for a parameter the strip does not have). The play position is read
/// (and tracked) only where a curve plays: a control without one must not be redrawn (and a value
/// being typed into it overwritten) at every report of the position.
pub fn played_value(desk: Desk, strip: &Strip, param: &Param, sample_rate: u32, automation_suspended: bool) -> Option<f32> {
    let curve_plays = !automation_suspended && strip.automation_mode.plays() && strip.lane(param).is_some_and(|l| !l.points.is_empty());
    let frame = if curve_plays { desk.position.get().max(0.0) as u64 } else { 0 };
    strip.automated_value(param, frame, sample_rate, automation_suspended)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mixroom_engine::StripParam;
    use mixroom_session::Session;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn a_strip_follows_its_own_changes_only() {
        let owner = Owner::new();
        owner.set();
        let desk = Desk::new(Session::demo());
        let (first, second) = (StripRef::Track(0), StripRef::Track(1));
        let settings = StripSettings::new(desk, first);
        // A control of the first strip, counting how often it is worked out again.
        let runs = Arc::new(AtomicU32::new(0));
        let counted = runs.clone();
        let fader = Memo::new(move |_| {
            counted.fetch_add(1, Ordering::Relaxed);
            settings.with(|s| s.fader_db)
        });
        assert_eq!(fader.get(), desk.session.with_untracked(|s| s.strip(first).map(|s| s.fader_db)));
        assert_eq!(runs.load(Ordering::Relaxed), 1);
        // Another strip moves: the control is not worked out again.
        desk.session.update(|s| {
            s.set_strip_param(second, StripParam::Fader, -7.5);
        });
        assert_eq!(fader.get(), desk.session.with_untracked(|s| s.strip(first).map(|s| s.fader_db)));
        assert_eq!(runs.load(Ordering::Relaxed), 1, "a change to another strip reached this strip's control");
        // Its own strip moves: it follows.
        desk.session.update(|s| {
            s.set_strip_param(first, StripParam::Fader, -3.25);
        });
        assert_eq!(fader.get(), Some(-3.25));
        assert_eq!(runs.load(Ordering::Relaxed), 2);
        // So does a session-wide setting its automation reads.
        desk.session.update(|s| s.set_automation_suspended(true));
        assert_eq!(settings.automated(desk, &Param::Fader), Some(-3.25));
        // And a strip that is gone reads as none.
        let gone = StripSettings::new(desk, StripRef::Track(99));
        assert_eq!(gone.with(|s| s.fader_db), None);
    }
}
