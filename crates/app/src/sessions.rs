//! Sessions that last: every edit is saved to the browser's store shortly after it is made (with
//! the view and the undo history), the session open last comes back on the next visit, and the
//! session browser creates, opens, renames, duplicates and deletes sessions.
//!
//! Nothing is lost to a failed save: the session stays open as it is, the previous save stays
//! whole (a save is one transaction), the message says what happened and the next edit (or "Save
//! now") tries again. A session that cannot be opened is left as it is in the store.

use std::collections::BTreeSet;

use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;
use mixroom_session::{limits, Naming, Repairs, Session, Stored};

use std::rc::Rc;

use crate::desk::{desk, Desk, PreparedSource, Status};
use crate::tabs::{self, News, Tabs};
use crate::store::{self, human_bytes, Entry, Store, StoreError, Usage};

/// The demo's id in the store: one entry, which "Reset" returns to how it ships.
pub const DEMO_ID: &str = "demo";
/// The setting naming a session being opened on arrival, until it has opened.
const OPENING: &str = "opening";
/// How long after the last edit the session is saved, ms: a drag saves once, at its end.
const AUTOSAVE_DELAY_MS: u32 = 600;

/// Whether the open session is saved.
#[derive(Clone, Debug, PartialEq)]
pub enum SaveState {
    /// Not saving in this browser (no storage, or a benchmark session), and why.
    Off(String),
    Saving,
    Saved,
    /// The last save failed: what happened and what to do.
    Failed(String),
}

/// The stored sessions and the saving of the open one.
#[derive(Clone, Copy)]
pub struct Library {
    store: StoredValue<Option<Store>, LocalStorage>,
    /// The open session's id in the store.
    pub current: RwSignal<Option<String>>,
    pub save_state: RwSignal<SaveState>,
    /// Every stored session, most recent first.
    pub entries: RwSignal<Vec<Entry>>,
    pub usage: RwSignal<Option<Usage>>,
    /// A message from the session browser (a session that would not open, a refused delete).
    pub notice: RwSignal<Option<String>>,
    /// Whether the session browser is shown.
    pub shown: RwSignal<bool>,
    /// Whether edits are saved (off while a session is being opened).
    autosave: StoredValue<bool>,
    /// Audio the store has, by content id.
    known_audio: StoredValue<BTreeSet<String>>,
    /// Bumped by every edit: a pending save runs only if no edit came after it.
    generation: StoredValue<u64>,
    saving: StoredValue<bool>,
    /// Something a reload restores changed since the last save began.
    dirty: StoredValue<bool>,
    /// A session-browser action is under way.
    acting: StoredValue<bool>,
    /// The site's other tabs: what they have open, and news of the stored sessions.
    tabs: StoredValue<Option<Rc<Tabs>>, LocalStorage>,
}

impl Library {
    pub fn new() -> Library {
        Library {
            store: StoredValue::new_local(None),
            current: RwSignal::new(None),
            save_state: RwSignal::new(SaveState::Saving),
            entries: RwSignal::new(Vec::new()),
            usage: RwSignal::new(None),
            notice: RwSignal::new(None),
            shown: RwSignal::new(false),
            autosave: StoredValue::new(false),
            known_audio: StoredValue::new(BTreeSet::new()),
            generation: StoredValue::new(0),
            saving: StoredValue::new(false),
            dirty: StoredValue::new(false),
            acting: StoredValue::new(false),
            tabs: StoredValue::new_local(None),
        }
    }

    fn store(self) -> Option<Store> {
        self.store.get_value()
    }

    /// Opens the store and the session open last (the demo on a first visit); `ephemeral` opens a
    /// session that is never saved instead (load tests).
    pub fn start(self, desk: Desk, ephemeral: Option<Session>) {
        self.watch_edits(desk);
        if ephemeral.is_none() {
            self.watch_other_tabs(desk);
        }
        spawn_local(async move {
            if let Some(session) = ephemeral {
                self.save_state.set(SaveState::Off("This load-test session is not saved.".into()));
                if let Err(message) = desk.open(Stored::fresh(session), None).await {
                    desk.status.set(Status::Error(message));
                }
                return;
            }
            desk.status.set(Status::Busy("Opening your sessions…".into()));
            let store = match Store::open().await {
                Ok(store) => Some(store),
                Err(e) => {
                    self.save_state.set(SaveState::Off(format!("Sessions are not saved: {e}.")));
                    None
                }
            };
            let (id, stored) = match &store {
                Some(store) => {
                    let first = self.first_session(store).await;
                    crate::audio::mark("mixroom-session-read");
                    first
                }
                None => (None, Stored::fresh(Session::demo())),
            };
            if let (Some(store), Some(id)) = (&store, &id) {
                // Marked until it has opened: a session that stops the page while opening is not
                // opened again on arrival (see `first_session`).
                let _ = store.set_setting(OPENING, Some(id)).await;
            }
            self.store.set_value(store);
            let store = self.store();
            // Which audio is stored (what a save need not write again) is read while the session
            // opens: saving starts after it has.
            let known = async {
                if let Some(store) = &store {
                    self.known_audio.set_value(store.audio_ids().await.unwrap_or_default());
                }
            };
            let (opened, ()) = futures::join!(desk.open(stored, store.as_ref()), known);
            if let Err(message) = opened {
                desk.status.set(Status::Error(message));
                return;
            }
            if let Some(store) = self.store() {
                let _ = store.set_setting(OPENING, None).await;
            }
            self.keep_only(id.as_deref());
            // Pages a failed save left, no record naming them: collected once the session plays,
            // before this tab saves, and only when no other tab has a session open (one might be
            // saving: its pages come before its records); this tab holds the one it opened.
            if let Some(store) = self.store() {
                if crate::tabs::sessions_held().await == Some(1) {
                    let _ = store.collect_unnamed_pages().await;
                }
            }
            self.current.set(id);
            self.autosave.set_value(true);
            self.announce();
            let _ = self.save(desk).await;
            if self.store().is_some() {
                store::request_persistence().await;
                self.refresh().await;
            }
        });
    }

    /// The session to open on arrival: the one open last, else the demo. One that no longer reads
    /// is left untouched and named in a notice.
    async fn first_session(self, store: &Store) -> (Option<String>, Stored) {
        let unfinished = store.setting(OPENING).await;
        if let Some(id) = store.last_open().await.filter(|id| {
            let stopped = unfinished.as_ref() == Some(id);
            if stopped {
                self.notice.set(Some("The session open last did not finish opening the last time (the page stopped). It is kept as it was; open it from the list to try again.".into()));
                self.shown.set(true);
            }
            !stopped
        }) {
            let name = store.list().await.ok().and_then(|l| l.into_iter().find(|x| x.id == id)).map_or(id.clone(), |x| x.name);
            // Held before it is read: no other tab deletes it meanwhile.
            self.hold(&id).await;
            match store.document(&id).await {
                Ok(Some(doc)) => match Stored::from_json(&doc) {
                    Ok((stored, repairs)) => {
                        self.say_repairs(&name, &repairs);
                        return (Some(id), stored);
                    }
                    Err(e) => {
                        self.notice.set(Some(format!("“{name}” could not be opened: {e} It is kept as it was; the demo is open instead.")));
                        self.shown.set(true);
                    }
                },
                Ok(None) => {}
                Err(e) => {
                    self.notice.set(Some(format!("“{name}” could not be read: {e}. It is kept as it was; the demo is open instead.")));
                    self.shown.set(true);
                }
            }
        }
        self.hold(DEMO_ID).await;
        match store.document(DEMO_ID).await {
            Ok(None) => (Some(DEMO_ID.to_owned()), Stored::fresh(Session::demo())),
            Ok(Some(doc)) => match Stored::from_json(&doc) {
                Ok((demo, repairs)) => {
                    self.say_repairs("the demo", &repairs);
                    (Some(DEMO_ID.to_owned()), demo)
                }
                // A stored demo that does not read stays as it is (Reset is offered for it).
                Err(_) => (Some(new_id()), Stored::fresh(Session::demo())),
            },
            Err(_) => (Some(new_id()), Stored::fresh(Session::demo())),
        }
    }

    /// Says what the reader mended to open a session (values beyond the limits, as an older
    /// Mixroom or a damaged store left them); the next save keeps the mended session.
    fn say_repairs(self, name: &str, repairs: &Repairs) {
        if !repairs.is_empty() {
            self.notice.set(Some(format!("“{name}” was opened with changes, because some of its values were beyond what Mixroom holds: {repairs}.")));
            self.shown.set(true);
        }
    }

    /// Tells the other tabs of this site which session this one has open.
    fn announce(self) {
        let Some(id) = self.current.get_untracked() else { return };
        self.with_tabs(|t| t.announce(&id));
    }

    /// Holds session `id` open here (before reading it): no tab deletes it while this one has it.
    async fn hold(self, id: &str) {
        if let Some(tabs) = self.tabs.get_value() {
            tabs.hold(id).await;
        }
    }

    /// Lets go of every session held here but `keep` (the one open).
    fn keep_only(self, keep: Option<&str>) {
        self.with_tabs(|t| t.keep_only(keep));
    }

    fn with_tabs(self, f: impl FnOnce(&Tabs)) {
        if let Some(tabs) = self.tabs.get_value() {
            f(&tabs);
        }
    }

    /// No session is current here (switching, or another tab took it): nothing is saved.
    fn let_go(self) {
        self.generation.update_value(|g| *g += 1);
        self.current.set(None);
    }

    /// Stored sessions changed here: this tab's list and the other tabs' lists are read again.
    async fn stored_changed(self) {
        self.with_tabs(Tabs::stored_changed);
        self.refresh().await;
    }

    /// The same session opened in another tab: the newest tab has it, this one stops saving it
    /// (two tabs saving one session would each overwrite the other's edits) and says so.
    fn watch_other_tabs(self, desk: Desk) {
        let tabs = Tabs::new(new_id(), move |news| match news {
            News::Opened(id) if Some(&id) == self.current.get_untracked().as_ref() => {
                self.autosave.set_value(false);
                self.let_go();
                // The other tab has it: this one no longer holds it (it could be deleted there).
                self.keep_only(None);
                let name = desk.session.with_untracked(|s| s.name.clone());
                let why = format!("“{name}” was opened in another tab, which has it now: this tab no longer saves it. Reload this tab to take it back.");
                self.save_state.set(SaveState::Off(why.clone()));
                self.notice.set(Some(why));
                self.shown.set(true);
            }
            News::Opened(_) => {}
            // Another tab saved, created, renamed or deleted sessions (and may have collected
            // audio this tab thought stored: the next save here stores it again).
            News::Stored => spawn_local(async move {
                if let Some(store) = self.store() {
                    if let Ok(ids) = store.audio_ids().await {
                        self.known_audio.set_value(ids);
                    }
                }
                self.refresh().await;
            }),
        });
        self.tabs.set_value(Some(tabs));
    }

    /// Saves shortly after any edit, view change or stop: everything a reload must find again.
    fn watch_edits(self, desk: Desk) {
        // The engine reports the position and transport ~30 times a second, changed or not: only
        // a change is a reason to save, and the position only while stopped.
        let resting_position = Memo::new(move |_| (!desk.playing.get()).then(|| desk.position.get() as u64));
        Effect::new(move |_| {
            desk.session.track();
            desk.history_len.track();
            desk.view.track();
            desk.selected.track();
            desk.selected_clip.track();
            desk.timeline.track();
            resting_position.track();
            if !self.autosave.get_value() || self.store().is_none() {
                return;
            }
            let generation = self.generation.get_value() + 1;
            self.generation.set_value(generation);
            self.save_state.set(SaveState::Saving);
            self.dirty.set_value(true);
            spawn_local(async move {
                TimeoutFuture::new(AUTOSAVE_DELAY_MS).await;
                if self.generation.get_value() == generation {
                    let _ = self.save(desk).await;
                }
            });
        });
        // A tab being hidden (switched away from), closed or reloaded saves what is pending at
        // once — the save's writes are all made, and committed, before the page goes — and while
        // a save is pending or under way, leaving asks first.
        let _ = window_event_listener(leptos::ev::visibilitychange, move |_| {
            if web_sys::window().and_then(|w| w.document()).is_some_and(|d| d.hidden()) {
                self.flush(desk);
            }
        });
        let _ = window_event_listener(leptos::ev::pagehide, move |_| {
            self.flush(desk);
        });
        let _ = window_event_listener(leptos::ev::beforeunload, move |ev: web_sys::BeforeUnloadEvent| {
            if self.flush(desk) || self.saving.get_value() {
                ev.prevent_default();
                ev.set_return_value("Your latest change is still being saved.");
            }
        });
    }

    /// Saves now what is waiting for the autosave; returns whether there was anything.
    /// (A save under way takes care of the rest: one that finds the page hidden and something
    /// changed since it began saves again at once.)
    fn flush(self, desk: Desk) -> bool {
        let pending = self.dirty.get_value() && self.autosave.get_value() && self.current.get_untracked().is_some();
        if pending && !self.saving.get_value() {
            self.generation.update_value(|g| *g += 1);
            spawn_local(async move {
                let _ = self.save(desk).await;
            });
        }
        pending
    }

    /// Saves the open session now (after any save under way), in one transaction with any of its
    /// audio not stored yet.
    pub async fn save(self, desk: Desk) -> Result<(), StoreError> {
        while self.saving.get_value() {
            TimeoutFuture::new(10).await;
        }
        let (Some(store), Some(id)) = (self.store(), self.current.get_untracked()) else { return Ok(()) };
        self.saving.set_value(true);
        self.save_state.set(SaveState::Saving);
        self.dirty.set_value(false);
        let stored = desk.stored();
        let document = stored.to_json();
        let ids = stored.audio_ids();
        let sources = desk.sources.imported(&ids);
        let audio_bytes: f64 = sources.iter().map(|p| match &p.source {
            mixroom_session::Source::Audio { channels, frames, .. } => *channels as f64 * *frames as f64 * 4.0,
            mixroom_session::Source::DemoStem { .. } => 0.0,
        }).sum();
        let unsaved: Vec<_> = sources.into_iter().filter(|p| p.audio_id().is_some_and(|id| !self.known_audio.with_value(|k| k.contains(id)))).collect();
        let entry = Entry {
            demo: id == DEMO_ID,
            id,
            name: stored.session.name.clone(),
            modified: js_sys::Date::now(),
            bytes: document.len() as f64 + audio_bytes,
            audio: ids.into_iter().collect(),
        };
        let result = store.save(&entry, &document, &unsaved).await;
        self.saving.set_value(false);
        match &result {
            Ok(()) => {
                self.known_audio.update_value(|k| k.extend(unsaved.iter().filter_map(|p| p.audio_id()).map(str::to_owned)));
                // What is stored now need not be held in the page: the engine streams it.
                desk.stream_saved_audio(|id| self.known_audio.with_value(|k| k.contains(id)));
                // Saved, unless an edit came in meanwhile (its own save follows: the autosave's,
                // or — the page hidden, closing, its timers stopped — this one's, now).
                if self.dirty.get_value() {
                    if web_sys::window().and_then(|w| w.document()).is_some_and(|d| d.hidden()) {
                        spawn_local(async move {
                            let _ = self.save(desk).await;
                        });
                    }
                } else if self.save_state.get_untracked() == SaveState::Saving {
                    self.save_state.set(SaveState::Saved);
                }
                self.stored_changed().await;
            }
            Err(e) => {
                self.refresh().await;
                self.save_state.set(SaveState::Failed(self.failure_message(e)));
            }
        }
        result
    }

    fn failure_message(self, e: &StoreError) -> String {
        let what = match e {
            StoreError::Full => {
                let usage = self.usage.get_untracked().map(|u| format!(" ({} used of {})", human_bytes(u.used), human_bytes(u.quota))).unwrap_or_default();
                format!("the browser's storage for this site is full{usage}. Delete sessions you no longer need (Sessions…) and Mixroom saves again")
            }
            other => format!("{other}. Mixroom tries again at your next edit"),
        };
        format!("Not saved: {what}. Everything is still open here, and the last save is intact.")
    }

    /// Reads the list of sessions and the storage estimate again.
    pub async fn refresh(self) {
        if let Some(store) = self.store() {
            if let Ok(list) = store.list().await {
                self.entries.set(list);
            }
        }
        self.usage.set(store::usage().await);
    }

    /// Opens `stored` as session `id` (nothing is saved while it loads).
    ///
    /// While it opens, no session is current, so a save waiting meanwhile writes nothing. If it
    /// fails before the desk took it, the previous session stays current (and unsaved edits to it
    /// are kept); if after, the new one is current, as the desk shows it.
    async fn switch(self, desk: Desk, id: String, stored: Stored) -> bool {
        let previous = self.current.get_untracked();
        self.autosave.set_value(false);
        self.let_go();
        let target = stored.session.clone();
        let opened = desk.open(stored, self.store().as_ref()).await;
        let taken = opened.is_ok() || desk.session.with_untracked(|s| *s == target);
        self.current.set(if taken { Some(id) } else { previous });
        self.keep_only(self.current.get_untracked().as_deref());
        self.autosave.set_value(true);
        self.announce();
        if let Err(message) = &opened {
            desk.status.set(Status::Error(message.clone()));
        }
        if taken {
            let _ = self.save(desk).await;
        }
        opened.is_ok()
    }

    /// Runs session-browser actions one at a time (a click
    /// while one runs waits for it).
    fn act(self, action: impl std::future::Future<Output = ()> + 'static) {
        spawn_local(async move {
            while self.acting.get_value() {
                TimeoutFuture::new(10).await;
            }
            self.acting.set_value(true);
            action.await;
            self.acting.set_value(false);
        });
    }

    /// The demo, fresh, to open when nothing else will: under the demo's id when there is no stored
    /// demo, else under a new id (a stored demo that did not read is left as it is).
    fn fresh_demo(self) -> (String, Stored) {
        let stored_demo = self.entries.with_untracked(|l| l.iter().any(|e| e.id == DEMO_ID));
        (if stored_demo { new_id() } else { DEMO_ID.to_owned() }, Stored::fresh(Session::demo()))
    }

    /// Saves the open session before leaving it; says so and refuses when that fails (leaving it
    /// would lose the unsaved edits).
    async fn leave(self, desk: Desk) -> bool {
        self.generation.update_value(|g| *g += 1);
        match self.save(desk).await {
            Ok(()) => true,
            Err(e) => {
                let name = desk.session.with_untracked(|s| s.name.clone());
                self.notice.set(Some(format!("“{name}” stays open: it could not be saved ({e}), and leaving it would lose your latest edits.")));
                false
            }
        }
    }

    fn entry(self, id: &str) -> Option<Entry> {
        self.entries.with_untracked(|l| l.iter().find(|e| e.id == id).cloned())
    }

    /// Reads a stored session, or says why it cannot be.
    async fn read(self, id: &str) -> Option<Stored> {
        let store = self.store()?;
        let name = self.entry(id).map_or_else(|| id.to_owned(), |e| e.name);
        match store.document(id).await {
            Ok(Some(doc)) => match Stored::from_json(&doc) {
                Ok((stored, repairs)) => {
                    self.say_repairs(&name, &repairs);
                    Some(stored)
                }
                Err(e) => {
                    self.notice.set(Some(format!("“{name}” could not be opened: {e} It is kept as it was.")));
                    None
                }
            },
            Ok(None) => {
                self.notice.set(Some(format!("“{name}” is no longer stored in this browser.")));
                None
            }
            Err(e) => {
                self.notice.set(Some(format!("“{name}” could not be read: {e}.")));
                None
            }
        }
    }

    /// Whether this browser stores the audio of content id `id`.
    pub fn has_audio(self, id: &str) -> bool {
        self.known_audio.with_value(|k| k.contains(id))
    }

    /// The stored session named `name`, if one is.
    pub fn named(self, name: &str) -> Option<String> {
        self.entries.with_untracked(|l| l.iter().find(|e| e.name == name).map(|e| e.id.clone()))
    }

    /// Opens stored session `id` and replaces its mix with `session` (a link's), as one undoable
    /// edit: an undo there brings the session back as it was stored. `sources` as for
    /// [`Library::open_new`].
    pub fn replace_with(self, desk: Desk, id: String, session: Session, sources: Vec<PreparedSource>) {
        self.act(async move {
            if self.current.get_untracked().as_deref() != Some(id.as_str()) {
                if !self.leave(desk).await {
                    return;
                }
                self.hold(&id).await;
                let Some(stored) = self.read(&id).await else {
                    self.keep_only(self.current.get_untracked().as_deref());
                    return;
                };
                if !self.switch(desk, id, stored).await {
                    return;
                }
            }
            desk.sources.add(sources);
            desk.replace_session(session);
        });
    }

    pub fn open(self, desk: Desk, id: String) {
        self.act(async move {
            if self.current.get_untracked().as_deref() == Some(id.as_str()) || !self.leave(desk).await {
                return;
            }
            // Held before it is read: no other tab deletes it meanwhile.
            self.hold(&id).await;
            // An earlier message goes; what reading this one says (the values it mended) stays.
            self.notice.set(None);
            match self.read(&id).await {
                Some(stored) => {
                    let _ = self.switch(desk, id, stored).await;
                }
                None => self.keep_only(self.current.get_untracked().as_deref()),
            }
        });
    }

    /// Opens `stored` (a project file's, a link's) as a new session — never over one the user
    /// has — with `sources`, the audio it plays that storage may not have yet (stored with it, each
    /// once: what is stored already is not written again).
    pub fn open_new(self, desk: Desk, mut stored: Stored, sources: Vec<PreparedSource>) {
        self.act(async move {
            if !self.leave(desk).await {
                return;
            }
            let taken: Vec<String> = self.entries.with_untracked(|l| l.iter().map(|e| e.name.clone()).collect());
            let name = if stored.session.name.trim().is_empty() { "Shared session".to_owned() } else { stored.session.name.clone() };
            stored.session.name = unused_name(&name, &taken);
            desk.sources.add(sources);
            let _ = self.switch(desk, new_id(), stored).await;
        });
    }

    pub fn new_session(self, desk: Desk) {
        self.act(async move {
            if !self.leave(desk).await {
                return;
            }
            let taken: Vec<String> = self.entries.with_untracked(|l| l.iter().map(|e| e.name.clone()).collect());
            let name = unused_name("Untitled session", &taken);
            let _ = self.switch(desk, new_id(), Stored::fresh(Session::empty(&name))).await;
        });
    }

    /// Renames a session (cut to the longest a name can be, and said; an empty name changes
    /// nothing).
    pub fn rename(self, desk: Desk, id: String, typed: String) {
        if limits::name(&typed).is_none() {
            return;
        }
        if self.current.get_untracked().as_deref() == Some(id.as_str()) {
            if desk.edit_session(move |s| s.rename(Naming::Session, &typed)) == Some(true) {
                self.notice.set(Some(limits::name_cut_message("session's name")));
            }
            return;
        }
        spawn_local(async move {
            // Not while another tab has it open: its next save would write the old name back.
            let renamed = tabs::exclusively(&id, async {
                let (Some(store), Some(mut stored), Some(mut entry)) = (self.store(), self.read(&id).await, self.entry(&id)) else { return };
                if stored.session.rename(Naming::Session, &typed) == Ok(true) {
                    self.notice.set(Some(limits::name_cut_message("session's name")));
                }
                entry.name = stored.session.name.clone();
                entry.modified = js_sys::Date::now();
                if let Err(e) = store.put_session(&entry, &stored.to_json()).await {
                    self.notice.set(Some(format!("The session could not be renamed: {e}.")));
                }
            })
            .await;
            if renamed.is_none() {
                self.open_elsewhere(&id, "rename");
            }
            self.stored_changed().await;
        });
    }

    pub fn duplicate(self, desk: Desk, id: String) {
        self.act(async move {
            if self.current.get_untracked().as_deref() == Some(id.as_str()) && !self.leave(desk).await {
                return;
            }
            let (Some(store), Some(mut stored), Some(mut entry)) = (self.store(), self.read(&id).await, self.entry(&id)) else { return };
            let taken: Vec<String> = self.entries.with_untracked(|l| l.iter().map(|e| e.name.clone()).collect());
            stored.session.name = unused_name(&format!("{} copy", stored.session.name), &taken);
            let document = stored.to_json();
            entry = Entry { id: new_id(), name: stored.session.name.clone(), modified: js_sys::Date::now(), demo: false, ..entry };
            // The copy uses the same audio: stored once, used by both.
            if let Err(e) = store.put_session(&entry, &document).await {
                self.notice.set(Some(format!("The session could not be duplicated: {e}.")));
            }
            self.stored_changed().await;
        });
    }

    /// Deletes a session and the audio only it used; deleting the open session opens the most
    /// recent other one (or the demo).
    pub fn delete(self, desk: Desk, id: String) {
        self.act(async move {
            let Some(store) = self.store() else { return };
            if self.current.get_untracked().as_deref() == Some(id.as_str()) {
                // Another session opens instead: the most recent one no other tab has open.
                let mut next = None;
                for candidate in self.entries.with_untracked(|l| l.iter().filter(|e| e.id != id).map(|e| e.id.clone()).collect::<Vec<_>>()) {
                    if tabs::open_anywhere(&candidate).await != Some(true) {
                        self.hold(&candidate).await;
                        next = self.read(&candidate).await.map(|stored| (candidate, stored));
                        if next.is_some() {
                            break;
                        }
                    }
                }
                let (next, stored) = next.unwrap_or_else(|| self.fresh_demo());
                if !self.switch(desk, next, stored).await {
                    return;
                }
            }
            // Not while a save runs: it could be storing audio this delete would find unused.
            while self.saving.get_value() {
                TimeoutFuture::new(10).await;
            }
            self.saving.set_value(true);
            // Only while no tab has it open (nor can open it meanwhile): a session open elsewhere
            // is not deleted from under that tab, nor its audio.
            let deleted = tabs::exclusively(&id, store.delete(&id)).await;
            self.known_audio.set_value(store.audio_ids().await.unwrap_or_default());
            self.saving.set_value(false);
            match deleted {
                None => self.open_elsewhere(&id, "delete"),
                Some(Err(e)) => self.notice.set(Some(format!("The session could not be deleted: {e}."))),
                Some(Ok(())) => {}
            }
            self.stored_changed().await;
            // Space freed: a save that failed for want of it is tried again.
            if matches!(self.save_state.get_untracked(), SaveState::Failed(_)) {
                let _ = self.save(desk).await;
            }
        });
    }

    /// Says that `what` (delete, rename, reset) was not done to session `id`: another tab has it
    /// open, and would lose it (or save over what was done here).
    fn open_elsewhere(self, id: &str, what: &str) {
        let name = self.entry(id).map_or_else(|| "This session".to_owned(), |e| format!("“{}”", e.name));
        self.notice.set(Some(format!("{name} is open in another tab of Mixroom: {what} it there, or open another session there first, then {what} it here.")));
    }

    /// Returns the demo to how it ships.
    pub fn reset_demo(self, desk: Desk) {
        self.act(async move {
            let fresh = Stored::fresh(Session::demo());
            if self.current.get_untracked().as_deref() == Some(DEMO_ID) {
                let _ = self.switch(desk, DEMO_ID.to_owned(), fresh).await;
            } else if let Some(store) = self.store() {
                let entry = Entry { id: DEMO_ID.into(), name: fresh.session.name.clone(), modified: js_sys::Date::now(), bytes: 0.0, audio: Vec::new(), demo: true };
                let document = fresh.to_json();
                let entry = Entry { bytes: document.len() as f64, ..entry };
                match tabs::exclusively(DEMO_ID, store.put_session(&entry, &document)).await {
                    None => self.open_elsewhere(DEMO_ID, "reset"),
                    Some(Err(e)) => self.notice.set(Some(format!("The demo could not be reset: {e}."))),
                    Some(Ok(())) => {}
                }
                self.stored_changed().await;
            }
        });
    }
}

impl Default for Library {
    fn default() -> Self {
        Library::new()
    }
}

/// A new session id: the time and a random part, never reused.
fn new_id() -> String {
    format!("s{:x}-{:06x}", js_sys::Date::now() as u64, (js_sys::Math::random() * 16_777_216.0) as u32)
}

/// `base`, or "`base` 2", "`base` 3"… whichever no session has yet — within the longest a name
/// can be (a long base is cut to leave room for the number).
fn unused_name(base: &str, taken: &[String]) -> String {
    let room: String = base.chars().take(limits::NAME_CHARS - 8).collect();
    let base = if room.len() < base.len() { room.trim_end() } else { base };
    std::iter::once(base.to_owned()).chain((2..).map(|n| format!("{base} {n}"))).find(|n| !taken.contains(n)).expect("some number is free")
}

pub fn library() -> Library {
    expect_context::<Library>()
}

/// The save indicator next to the session name.
#[component]
pub fn SaveIndicator() -> impl IntoView {
    let lib = library();
    let desk = desk();
    let text = move || match lib.save_state.get() {
        SaveState::Off(_) => "Not saved",
        SaveState::Saving => "Saving…",
        SaveState::Saved => "Saved",
        SaveState::Failed(_) => "Not saved",
    };
    let detail = move || match lib.save_state.get() {
        SaveState::Off(why) | SaveState::Failed(why) => why,
        SaveState::Saving => "Saving to this browser's storage".into(),
        SaveState::Saved => "Every change is saved in this browser".into(),
    };
    let failed = move || matches!(lib.save_state.get(), SaveState::Failed(_));
    view! {
        <span class="save-state" class:failed=failed title=detail role="status" aria-label=move || format!("Save state: {}", text())>{text}</span>
        <Show when=failed>
            <div class="save-failure" role="alert">
                <span>{move || detail()}</span>
                <button on:click=move |_| spawn_local(async move { let _ = lib.save(desk).await; })>"Save now"</button>
            </div>
        </Show>
    }
}

/// The session browser: every stored session with its last-modified time and size, and what can be
/// done with each; the storage used and the browser's quota.
#[component]
pub fn SessionBrowser() -> impl IntoView {
    let lib = library();
    let desk = desk();
    let renaming = RwSignal::new(None::<String>);
    let confirming = RwSignal::new(None::<String>);
    // Escape closes it (a rename being typed takes its Escape for itself).
    let escape = window_event_listener(leptos::ev::keydown, move |ev: web_sys::KeyboardEvent| {
        if ev.key() == "Escape" && !ev.default_prevented() {
            lib.shown.set(false);
        }
    });
    on_cleanup(move || escape.remove());
    let usage = move || match lib.usage.get() {
        Some(Usage { used, quota, persistent }) => format!(
            "Storage: {} used of {} this browser allows this site. {}",
            human_bytes(used),
            human_bytes(quota),
            if persistent { "Kept by the browser even when space runs short." } else { "The browser may clear it when space runs short: export sessions you cannot lose." }
        ),
        None => "This browser does not report its storage.".into(),
    };
    view! {
        <section class="session-browser" role="dialog" aria-label="Sessions">
            <header>
                <h2>"Sessions"</h2>
                <button on:click=move |_| lib.new_session(desk)>"New session"</button>
                <button aria-label="Close the session browser" on:click=move |_| lib.shown.set(false)>"×"</button>
            </header>
            <p class="storage-usage">{usage}</p>
            {move || lib.notice.get().map(|n| view! {
                <p class="notice" role="alert">{n}<button aria-label="Dismiss the message" on:click=move |_| lib.notice.set(None)>"×"</button></p>
            })}
            <table>
                <thead><tr><th>"Name"</th><th>"Modified"</th><th>"Size"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                <tbody>
                    // Keyed by id alone: a save changing an entry's time or size updates its row in
                    // place, and never takes a rename being typed away.
                    <For each=move || lib.entries.get() key=|e| e.id.clone() let:entry>
                        {
                            let id = entry.id.clone();
                            let demo = entry.demo;
                            let current = { let id = id.clone(); move || lib.entries.with(|l| l.iter().find(|e| e.id == id).cloned()) };
                            let name = { let current = current.clone(); move || current().map(|e| e.name).unwrap_or_default() };
                            let is_open = { let id = id.clone(); move || lib.current.get().as_deref() == Some(id.as_str()) };
                            let modified = { let current = current.clone(); move || current().map(|e| js_sys::Date::new(&e.modified.into()).to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED).as_string().unwrap_or_default()).unwrap_or_default() };
                            let size = { let current = current.clone(); move || current().map(|e| human_bytes(e.bytes)).unwrap_or_default() };
                            let editing = { let id = id.clone(); move || renaming.get().as_deref() == Some(id.as_str()) };
                            let confirm = { let id = id.clone(); move || confirming.get().as_deref() == Some(id.as_str()) };
                            let commit = {
                                let id = id.clone();
                                move |value: String| {
                                    // Once only (Enter, then the blur as the field goes), and not
                                    // after Escape cancelled it.
                                    if renaming.get_untracked().as_deref() != Some(id.as_str()) {
                                        return;
                                    }
                                    renaming.set(None);
                                    lib.rename(desk, id.clone(), value);
                                }
                            };
                            let label = move |verb: &'static str, name: &dyn Fn() -> String| format!("{verb} {}", name());
                            let name_at_edit = name.clone();
                            view! {
                                <tr class:open=is_open.clone()>
                                    <td>
                                        <Show when=editing.clone() fallback={
                                            let (name, is_open, id) = (name.clone(), is_open.clone(), id.clone());
                                            move || {
                                                let (name, is_open, id) = (name.clone(), is_open.clone(), id.clone());
                                                let shown = name.clone();
                                                view! {
                                                    <button class="session-open" aria-label=move || label("Open", &name) on:click=move |_| lib.open(desk, id.clone())>
                                                        {shown}{move || if is_open() { " (open)" } else { "" }}
                                                    </button>
                                                }
                                            }
                                        }>
                                            {
                                                // The name as it was when the rename began: the field is the user's until they commit.
                                                let at_start = name_at_edit();
                                                view! {
                                                    <input class="session-rename" value=at_start.clone() aria-label=format!("New name for {at_start}") autofocus
                                                        on:keydown={ let commit = commit.clone(); move |ev: web_sys::KeyboardEvent| match ev.key().as_str() {
                                                            "Enter" => commit(event_target_value(&ev)),
                                                            "Escape" => {
                                                                ev.prevent_default();
                                                                renaming.set(None);
                                                            }
                                                            _ => {}
                                                        } }
                                                        on:blur={ let commit = commit.clone(); move |ev| commit(event_target_value(&ev)) } />
                                                }
                                            }
                                        </Show>
                                    </td>
                                    <td>{modified}</td>
                                    <td>{size}</td>
                                    <td class="session-actions">
                                        <button aria-label={ let name = name.clone(); move || label("Rename", &name) } on:click={ let id = id.clone(); move |_| renaming.set(Some(id.clone())) }>"Rename"</button>
                                        <button aria-label={ let name = name.clone(); move || label("Duplicate", &name) } on:click={ let id = id.clone(); move |_| lib.duplicate(desk, id.clone()) }>"Duplicate"</button>
                                        {if demo {
                                            view! { <button aria-label="Reset the demo" on:click=move |_| lib.reset_demo(desk)>"Reset"</button> }.into_any()
                                        } else {
                                            let (name, id) = (name.clone(), id.clone());
                                            view! {
                                                <Show when=confirm.clone() fallback={
                                                    let (name, id) = (name.clone(), id.clone());
                                                    move || {
                                                        let (name, id) = (name.clone(), id.clone());
                                                        view! { <button aria-label=move || label("Delete", &name) on:click=move |_| confirming.set(Some(id.clone()))>"Delete"</button> }
                                                    }
                                                }>
                                                    {
                                                        let (name, id) = (name.clone(), id.clone());
                                                        view! { <button class="danger" aria-label=move || format!("Confirm deleting {}", name()) on:click=move |_| { confirming.set(None); lib.delete(desk, id.clone()) }>"Delete for good"</button> }
                                                    }
                                                </Show>
                                            }.into_any()
                                        }}
                                    </td>
                                </tr>
                            }
                        }
                    </For>
                </tbody>
            </table>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn new_names_never_repeat_one_in_use() {
        let taken = vec!["Untitled session".to_owned(), "Untitled session 2".to_owned()];
        assert_eq!(unused_name("Untitled session", &taken), "Untitled session 3");
        assert_eq!(unused_name("Mix copy", &taken), "Mix copy");
        assert_ne!(new_id(), new_id());
        // A name at the limit is cut to leave room for its number: always within the limit.
        let long = "x".repeat(limits::NAME_CHARS);
        let cut = unused_name(&long, &[long.clone()]);
        assert!(cut != long && cut.chars().count() <= limits::NAME_CHARS, "{cut}");
        let numbered = unused_name(&long, &[long.clone(), cut.clone()]);
        assert!(numbered.ends_with(" 2") && numbered.chars().count() <= limits::NAME_CHARS, "{numbered}");
    }
}
