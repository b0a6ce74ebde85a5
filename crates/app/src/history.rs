//! Undo and redo: the sessions as they were before each edit, newest last.
//!
//! An engineer undoes what they think of as one action, so runs of edits are one step: everything
//! during a drag (a *gesture*, from pointer down to pointer up), a run of keyboard nudges on one
//! control, and the tracks of the files of one import. A run is named by a key; consecutive edits
//! with the same key are one step, and any other edit, an undo or a redo ends the run.

use mixroom_session::Session;

/// Undo steps kept in memory (the store keeps the most recent
/// [`MAX_HISTORY`](mixroom_session::stored::MAX_HISTORY)).
const LIMIT: usize = 500;

#[derive(Default)]
pub struct History {
    pub undo: Vec<Session>,
    pub redo: Vec<Session>,
    /// The run of the edit being made (set around it by [`History::run`]'s caller).
    run: Option<String>,
    /// The gesture under way, if any: a key of its own.
    gesture: Option<String>,
    gestures: u64,
    /// The run the newest undo step belongs to.
    last: Option<String>,
}

impl History {
    /// A history with these steps (as stored), no run under way.
    pub fn with(undo: Vec<Session>, redo: Vec<Session>) -> History {
        History { undo, redo, ..History::default() }
    }

    /// (undo steps, redo steps).
    pub fn len(&self) -> (usize, usize) {
        (self.undo.len(), self.redo.len())
    }

    /// Records the session as it was before an edit — unless the edit continues the run the newest
    /// step belongs to.
    pub fn checkpoint(&mut self, before: Session) {
        let run = self.run.clone().or_else(|| self.gesture.clone());
        if run.is_some() && run == self.last {
            return;
        }
        self.undo.push(before);
        if self.undo.len() > LIMIT {
            self.undo.remove(0);
        }
        self.redo.clear();
        self.last = run;
    }

    /// The edits made until [`History::set_run`]`(None)` belong to run `key`.
    pub fn set_run(&mut self, key: Option<String>) {
        self.run = key;
    }

    /// A drag starts: everything until [`History::end_gesture`] is one step.
    pub fn begin_gesture(&mut self) {
        self.gestures += 1;
        self.gesture = Some(format!("gesture {}", self.gestures));
    }

    pub fn end_gesture(&mut self) {
        self.gesture = None;
    }

    /// Steps back (`back`) or forward: the session to go to, given the one there is now. Ends any
    /// run: the next edit is a step of its own.
    pub fn step(&mut self, back: bool, current: Session) -> Option<Session> {
        let target = if back { self.undo.pop() } else { self.redo.pop() }?;
        if back {
            self.redo.push(current);
        } else {
            self.undo.push(current);
        }
        self.last = None;
        Some(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn named(n: &str) -> Session {
        Session::empty(n)
    }

    #[wasm_bindgen_test]
    fn runs_of_one_kind_are_one_step_and_anything_else_ends_them() {
        let mut h = History::default();
        // Five nudges of one fader: one step.
        h.set_run(Some("keys: Kick fader".into()));
        for n in 0..5 {
            h.checkpoint(named(&format!("nudge {n}")));
        }
        h.set_run(None);
        assert_eq!(h.len(), (1, 0));
        assert_eq!(h.undo[0].name, "nudge 0", "the step goes back to before the first nudge");
        // Another control's nudges are another step; a plain edit one of its own.
        h.set_run(Some("keys: Snare fader".into()));
        h.checkpoint(named("snare"));
        h.set_run(None);
        h.checkpoint(named("mute"));
        assert_eq!(h.len(), (3, 0));
        // The same control again after another edit: a new step.
        h.set_run(Some("keys: Kick fader".into()));
        h.checkpoint(named("kick again"));
        h.checkpoint(named("kick again 2"));
        h.set_run(None);
        assert_eq!(h.len(), (4, 0));
        // A drag is one step, and the next drag another.
        h.begin_gesture();
        h.checkpoint(named("drag 1a"));
        h.checkpoint(named("drag 1b"));
        h.end_gesture();
        h.begin_gesture();
        h.checkpoint(named("drag 2"));
        h.end_gesture();
        assert_eq!(h.len(), (6, 0));
        // An undo ends a run: the same key afterwards is a new step.
        h.set_run(Some("import 7".into()));
        h.checkpoint(named("import a"));
        let back = h.step(true, named("after import a")).unwrap();
        assert_eq!(back.name, "import a");
        h.checkpoint(named("import b"));
        h.set_run(None);
        assert_eq!(h.len(), (7, 0), "the redo is gone and the import is a step again");
    }
}
