//! What the browser keeps of a session between visits: the session, where the engineer was looking,
//! and the undo history — one document, written whole in one transaction, so that a closed tab
//! leaves either the previous save or the new one, never half of each.
//!
//! The document has its own format tag and version (`STORED_VERSION`); the session inside is a
//! session file of any version (read through [`Session::read`], so every session migration
//! applies to stored sessions too). Undo and redo steps are kept as JSON patches between
//! neighbouring states rather than as whole sessions: a step that moved one fader costs a few dozen
//! bytes, not the whole mix.
//!
//! A damaged history never costs the session: a step that no longer reads ends the history there
//! (older undo steps, later redo steps are dropped) and the session opens.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Repairs, Session, SessionError, Source, StripRef};

/// The `format` tag of a stored session.
pub const STORED_FORMAT: &str = "mixroom-stored-session";
/// The newest stored-session version this build writes and reads.
///
/// Version 1 is the first; a later version adds its reader here and carries older documents
/// forward the way [`crate::migrate`] does for session files.
pub const STORED_VERSION: u32 = 1;
/// The most undo (and redo) steps kept in a stored session: the most recent ones. (Pro Tools keeps
/// 64 steps, and none across a reopen.) Writing and reading a stored history costs time on every
/// save and open — 100 steps of a 32-track mix write in 17–31 ms and read in about 30 ms natively
/// (`cargo run --release -p mixroom-session --example stored_cost`).
pub const MAX_HISTORY: usize = 100;

/// Which of the two views fills the window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Page {
    #[default]
    Mixer,
    Timeline,
}

/// The timeline's view: what is scrolled into view and at which zoom, and the grid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TimelineView {
    /// The frame at the left edge.
    pub start_frame: f64,
    /// Zoom, frames per pixel; 0 fits the whole session into the window.
    pub frames_per_px: f64,
    /// How far the track list is scrolled down, px.
    pub scroll_top: f64,
    pub snap: bool,
    /// The grid: an index into the app's grid choices (bars, beats, …).
    pub grid: usize,
    /// The automation lanes open under tracks: (track id, parameter address), in the order
    /// opened (at most [`MAX_SHOWN_LANES`] are kept).
    pub lanes: Vec<(String, String)>,
}

/// The most automation lanes a stored view keeps open (a damaged view costs only itself).
pub const MAX_SHOWN_LANES: usize = 1_000;

impl Default for TimelineView {
    fn default() -> Self {
        TimelineView { start_frame: 0.0, frames_per_px: 0.0, scroll_top: 0.0, snap: true, grid: 1, lanes: Vec::new() }
    }
}

/// Where the engineer was: the view, the selection, the play position and the timeline's view.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ViewState {
    pub page: Page,
    pub selected: Option<StripRef>,
    /// The selected clip: (track, clip).
    pub selected_clip: Option<(usize, usize)>,
    /// The play position, frames.
    pub position: u64,
    pub timeline: TimelineView,
}

/// A session as the browser keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct Stored {
    pub session: Session,
    pub view: ViewState,
    /// The sessions before each undoable edit, oldest first.
    pub undo: Vec<Session>,
    /// The sessions undone, the next redo last.
    pub redo: Vec<Session>,
}

/// The stored document as written: the format tag, the version and the parts.
#[derive(Serialize, Deserialize)]
struct Document {
    format: String,
    version: u32,
    session: Value,
    #[serde(default)]
    view: Value,
    /// Arrays of patches; read as any value, so that a damaged history costs only itself.
    #[serde(default)]
    undo: Value,
    #[serde(default)]
    redo: Value,
}

impl Stored {
    /// A session with no history, viewed from the start.
    pub fn fresh(session: Session) -> Stored {
        Stored { session, view: ViewState::default(), undo: Vec::new(), redo: Vec::new() }
    }

    /// Writes the stored document (compact JSON: it is read by Mixroom, not by people).
    pub fn to_json(&self) -> String {
        let value = |s: &Session| serde_json::to_value(s).expect("a session always serializes: it holds only plain data");
        let current = value(&self.session);
        let document = Document {
            format: STORED_FORMAT.into(),
            version: STORED_VERSION,
            view: serde_json::to_value(&self.view).expect("the view is plain data"),
            undo: Value::Array(chain(&current, self.undo.iter().rev().take(MAX_HISTORY).map(value)).into_iter().rev().collect()),
            redo: Value::Array(chain(&current, self.redo.iter().rev().take(MAX_HISTORY).map(value)).into_iter().rev().collect()),
            session: current,
        };
        serde_json::to_string(&document).expect("plain JSON values always serialize")
    }

    /// Reads a stored document: a clear error when the session itself cannot be read (damaged,
    /// not Mixroom's, or from a newer Mixroom), otherwise the session — salvaged where a value is
    /// beyond the limits, with what was mended — and as much of its view and history as reads.
    pub fn from_json(text: &str) -> Result<(Stored, Repairs), SessionError> {
        let version = crate::format_version(text, STORED_FORMAT)?;
        if version > STORED_VERSION {
            return Err(SessionError::NewerStore(version));
        }
        let document: Document = serde_json::from_str(text).map_err(|e| SessionError::Malformed(e.to_string()))?;
        let (session, repairs) = Session::read_value(document.session.clone())?;
        let view = serde_json::from_value(document.view).unwrap_or_default();
        let steps = |v: &Value| v.as_array().map(|a| a.iter().rev().take(MAX_HISTORY).cloned().collect::<Vec<_>>()).unwrap_or_default();
        let undo = unchain(&document.session, steps(&document.undo).iter()).into_iter().rev().collect();
        let redo = unchain(&document.session, steps(&document.redo).iter()).into_iter().rev().collect();
        Ok((Stored { session, view, undo, redo }, repairs))
    }

    /// Every audio source the session and its history use — its tracks' and its references' —:
    /// what must stay stored while it exists.
    pub fn audio_ids(&self) -> BTreeSet<String> {
        std::iter::once(&self.session)
            .chain(&self.undo)
            .chain(&self.redo)
            .flat_map(|s| s.sources())
            .filter_map(|(_, source)| match source {
                Source::Audio { id, .. } => Some(id.clone()),
                Source::DemoStem { .. } => None,
            })
            .collect()
    }
}

/// Patches walking from `current` through `states` (nearest first): each one turns the state
/// before it into the next.
fn chain(current: &Value, states: impl Iterator<Item = Value>) -> Vec<Value> {
    let mut previous = current.clone();
    let mut patches = Vec::new();
    for state in states {
        let patch = json_patch::diff(&previous, &state);
        patches.push(serde_json::to_value(patch).expect("a patch is plain JSON"));
        previous = state;
    }
    patches
}

/// The states the patches lead to from `current` (nearest first), stopping at the first patch that
/// does not apply or whose result is not a session at all. A state beyond the limits is salvaged
/// as the session itself is (quietly: it is history, not what the user sees).
fn unchain<'a>(current: &Value, patches: impl Iterator<Item = &'a Value>) -> Vec<Session> {
    let mut state = current.clone();
    let mut sessions = Vec::new();
    for patch in patches {
        let Ok(patch) = serde_json::from_value::<json_patch::Patch>(patch.clone()) else { break };
        // Only what `chain` writes (`json_patch::diff` makes adds, removes and replaces): a copy or
        // a move could make each step double the document.
        let written_by_us = patch.0.iter().all(|op| matches!(op, json_patch::PatchOperation::Add(_) | json_patch::PatchOperation::Remove(_) | json_patch::PatchOperation::Replace(_)));
        if !written_by_us || json_patch::patch(&mut state, &patch).is_err() {
            break;
        }
        match Session::read_history_step(state.clone()) {
            Ok(session) => sessions.push(session),
            Err(_) => break,
        }
    }
    sessions
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NewTrack;

    /// The demo, with an imported track added, a fader moved and a rename: `(states, last)`, every
    /// state before each edit and the session after the last.
    fn edited_demo() -> (Vec<Session>, Session) {
        let mut states = Vec::new();
        let mut s = Session::demo();
        states.push(s.clone());
        s.add_audio_tracks(&[NewTrack { name: "Gtr DI".into(), source_id: "sha256-aa".into(), channels: 1, frames: 48_000 }]).unwrap();
        states.push(s.clone());
        s.tracks[2].strip.fader_db = -7.5;
        states.push(s.clone());
        s.tracks[0].name = "Kick In".into();
        (states, s)
    }

    #[test]
    fn a_session_its_view_and_its_history_come_back_exactly() {
        let (mut undo, current) = edited_demo();
        let redo = vec![undo.pop().unwrap()];
        let view = ViewState {
            page: Page::Timeline,
            selected: Some(StripRef::Track(3)),
            selected_clip: Some((3, 0)),
            position: 123_456,
            timeline: TimelineView { start_frame: 9_600.5, frames_per_px: 312.25, scroll_top: 40.0, snap: false, grid: 3, lanes: vec![("vox".into(), "fader".into()), ("keys".into(), "insert/2/lomid_gain".into())] },
        };
        let stored = Stored { session: current, view, undo, redo };
        let back = Stored::from_json(&stored.to_json()).unwrap().0;
        assert_eq!(back, stored);
        assert_eq!(back.audio_ids(), BTreeSet::from(["sha256-aa".to_owned()]));
    }

    #[test]
    fn each_undo_step_costs_its_change_not_the_whole_session() {
        let mut s = Session::demo();
        let mut undo = Vec::new();
        for i in 0..200 {
            undo.push(s.clone());
            s.tracks[i % 8].strip.fader_db = -(i as f32) / 10.0;
        }
        let alone = Stored::fresh(s.clone()).to_json().len();
        let with_history = Stored { session: s, view: ViewState::default(), undo, redo: Vec::new() }.to_json().len();
        // A fader step is one "replace" of one value: well under 100 bytes, where a whole session is
        // thousands.
        let per_step = (with_history - alone) / 200;
        assert!(per_step < 100 && alone > 4_000, "{per_step} bytes per step, {alone} for the session");
    }

    #[test]
    fn audio_only_the_history_uses_stays_needed() {
        let (undo, mut current) = edited_demo();
        current.tracks.pop();
        let stored = Stored { session: current, view: ViewState::default(), undo, redo: Vec::new() };
        assert_eq!(stored.audio_ids(), BTreeSet::from(["sha256-aa".to_owned()]));
        assert!(Stored::fresh(Session::demo()).audio_ids().is_empty());
    }

    /// A stored session as an older Mixroom would have written it: a format-1 session inside, and an
    /// undo step written against format 1 (the Kick fader was −6 dB before the last edit).
    const STORED_V1_WITH_FORMAT_1_SESSION: &str = r#"{
      "format": "mixroom-stored-session", "version": 1,
      "session": { "format": "mixroom-session", "version": 1, "name": "Old mix", "sample_rate": 48000, "tempo_bpm": 96.0,
        "tracks": [ { "name": "Kick", "source": { "kind": "demo_stem", "stem": "kick" }, "fader_db": -4.0 } ],
        "master": { "fader_db": null } },
      "view": { "page": "timeline", "position": 480 },
      "undo": [ [ { "op": "replace", "path": "/tracks/0/fader_db", "value": -6.0 } ] ]
    }"#;

    #[test]
    fn stored_sessions_of_older_formats_open_with_their_history() {
        let stored = Stored::from_json(STORED_V1_WITH_FORMAT_1_SESSION).unwrap().0;
        assert_eq!(stored.session.version, crate::VERSION);
        assert_eq!((stored.session.tracks[0].strip.fader_db, stored.session.master.strip.fader_db), (-4.0, f32::NEG_INFINITY));
        assert_eq!(stored.session.tracks[0].id, "track-1");
        assert_eq!((stored.view.page, stored.view.position, stored.view.timeline.snap), (Page::Timeline, 480, true));
        assert_eq!(stored.undo.len(), 1);
        assert_eq!(stored.undo[0].tracks[0].strip.fader_db, -6.0);
        assert_eq!(stored.undo[0].version, crate::VERSION);
    }

    #[test]
    fn a_damaged_history_or_view_costs_only_itself() {
        let (undo, current) = edited_demo();
        let stored = Stored { session: current.clone(), view: ViewState::default(), undo, redo: Vec::new() };
        let mut doc: Value = serde_json::from_str(&stored.to_json()).unwrap();
        // The second-newest undo step points at a track that is not there: it and the older ones go.
        doc["undo"][1] = serde_json::json!([{ "op": "replace", "path": "/tracks/99/name", "value": "x" }]);
        doc["view"] = serde_json::json!({ "page": "nonsense" });
        let back = Stored::from_json(&doc.to_string()).unwrap().0;
        assert_eq!(back.session, current);
        assert_eq!(back.undo, stored.undo[2..]);
        assert_eq!(back.view, ViewState::default());
        // A copy (which a hostile file could use to double the document each step) ends it too.
        let mut hostile = doc.clone();
        hostile["undo"][2] = serde_json::json!([{ "op": "copy", "from": "/tracks", "path": "/spare" }]);
        assert!(Stored::from_json(&hostile.to_string()).unwrap().0.undo.is_empty());
        // A history that is not even a list costs only itself.
        hostile["undo"] = 5.into();
        assert_eq!(Stored::from_json(&hostile.to_string()).unwrap().0.session, current);
        // A step whose result is not a session at all ends it the same way…
        doc["undo"][2] = serde_json::json!([{ "op": "replace", "path": "/tracks", "value": "none" }]);
        assert!(Stored::from_json(&doc.to_string()).unwrap().0.undo.is_empty());
        // …while one with a value beyond its limits (a fader far out of range) is salvaged, as the
        // session itself would be.
        doc["undo"][2] = serde_json::json!([{ "op": "replace", "path": "/tracks/0/fader_db", "value": 1e9 }]);
        let back = Stored::from_json(&doc.to_string()).unwrap().0;
        assert_eq!(back.undo.len(), 1);
        assert_eq!(back.undo[0].tracks[0].strip.fader_db, crate::limits::FADER_MAX_DB);
    }

    #[test]
    fn unreadable_documents_get_human_errors() {
        assert!(matches!(Stored::from_json("{"), Err(SessionError::Malformed(_))));
        assert_eq!(Stored::from_json(&Session::demo().to_json()), Err(SessionError::NotASession));
        // A document that is not a document at all.
        assert!(matches!(Stored::from_json("42"), Err(SessionError::Malformed(_))));
        let newer = Stored::fresh(Session::demo()).to_json().replace("\"version\":1,", "\"version\":9,");
        let err = Stored::from_json(&newer).unwrap_err();
        assert_eq!(err, SessionError::NewerStore(9));
        assert!(err.to_string().contains("newer version of Mixroom"));
        // The session inside is read like any session file: a value beyond its limits is salvaged,
        // and said.
        let mut doc: Value = serde_json::from_str(&Stored::fresh(Session::demo()).to_json()).unwrap();
        doc["session"]["tracks"][0]["fader_db"] = 99.0.into();
        let (stored, repairs) = Stored::from_json(&doc.to_string()).unwrap();
        assert_eq!(stored.session.tracks[0].strip.fader_db, crate::limits::FADER_MAX_DB);
        assert!(repairs.to_string().contains("fader at 99 dB"), "{repairs}");
    }
}
