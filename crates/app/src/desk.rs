//! The desk: the app's state — the session, the engine, the meters, the selection, the status — and
//! every action the UI can take on it. Components read the signals and call these actions; nothing
//! else changes the mix.

use std::rc::Rc;

use futures::future::{FutureExt, LocalBoxFuture, Shared};

use leptos::prelude::*;
use leptos::task::spawn_local;
use mixroom_engine::ParamChange;
use mixroom_session::{EngineEdit, Session, SessionError, Source, Stored, StripRef, ViewState};

use crate::audio::{mark, EngineModule, LiveEngine, MeterReading, TrackAudio, TrackLoad};
use crate::files;
use crate::history::History;
use crate::meters::Meters;
pub use crate::source::PreparedSource;
use crate::sources::Sources;
use crate::store::Store;
use crate::waveform::Overview;

/// Said when the page is served without cross-origin isolation (its host sends no COOP/COEP).
const NOT_ISOLATED: &str = "This page is not cross-origin isolated (its host does not send the COOP and COEP headers: see Hosting in the README), so audio streamed from storage reaches the audio engine as messages rather than through shared memory. It plays, at more cost to the audio thread.";

/// How long after a seek or Play the engine's reports may still show the state before it, s.
const SEEK_SETTLE_S: f64 = 0.5;

/// A track's audio as an export gets it.
pub enum ExportAudio {
    /// Held in the page: its samples.
    Held(TrackAudio),
    /// In storage, its records under `pages`: the delivery worker reads it page by page as it
    /// renders.
    Stored { pages: String, channels: u8, frames: u64 },
}

/// What the user is told about the state of the app.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    /// Work in progress, with a description.
    Busy(String),
    Ready,
    /// Something failed; the message says what and, where possible, what to do.
    Error(String),
    /// Done, but not quite as asked (a name cut to the limit, a time brought within the
    /// timeline): what became of it.
    Notice(String),
}

pub use crate::view::View;
use crate::view::TimelineState;

/// The app's state. `Copy`: every field is a handle into Leptos' arena.
#[derive(Clone, Copy)]
pub struct Desk {
    pub session: RwSignal<Session>,
    /// The strip shown in the inspector.
    pub selected: RwSignal<Option<StripRef>>,
    pub status: RwSignal<Status>,
    /// The meters and the spectrum as shown.
    pub meters: Meters,
    /// Play position, frames.
    pub position: RwSignal<f64>,
    pub playing: RwSignal<bool>,
    pub ready: RwSignal<bool>,
    /// Quanta in which a streamed track's audio came late from storage (it played silence there),
    /// since the engine last loaded the session.
    pub underruns: RwSignal<u64>,
    engine: StoredValue<Option<Rc<LiveEngine>>, LocalStorage>,
    /// The engine's module, compiling or compiled (see [`Desk::engine_module`]).
    module: StoredValue<Option<Shared<LocalBoxFuture<'static, Result<EngineModule, String>>>>, LocalStorage>,
    /// Each track's audio as handed to the engine (none held for audio the engine streams from
    /// storage).
    audio: StoredValue<Vec<TrackAudio>, LocalStorage>,
    /// Each track's gated RMS level (dBFS), measured while preparing the audio: for gain staging.
    levels: StoredValue<Vec<f64>>,
    /// Each track's waveform overview, built once while preparing the audio.
    pub overviews: StoredValue<Vec<Overview>>,
    /// Which view fills the window.
    pub view: RwSignal<View>,
    pub timeline: TimelineState,
    /// The selected clip: (track, clip index).
    pub selected_clip: RwSignal<Option<(usize, usize)>>,
    history: StoredValue<History>,
    /// (undo steps, redo steps): what the Undo and Redo buttons show.
    pub history_len: RwSignal<(usize, usize)>,
    /// The last seek not yet reflected by the engine's reports: (target frame, when, ms).
    pending_seek: StoredValue<Option<(f64, f64)>>,
    /// When Play was pressed, until the engine reports playing: reports posted before it got
    /// Play say "stopped", and would make the next Space play again instead of stopping.
    pending_play: StoredValue<Option<f64>>,
    /// When the engine last reported its position, ms (`Date.now`).
    reported_at: StoredValue<f64>,
    /// The sources the session and its history play, kept once each.
    pub sources: Sources,
}

impl Desk {
    pub fn new(session: Session) -> Desk {
        let strips = session.strip_refs().len();
        Desk {
            session: RwSignal::new(session),
            selected: RwSignal::new(None),
            status: RwSignal::new(Status::Busy("Starting…".into())),
            meters: Meters::new(strips),
            position: RwSignal::new(0.0),
            playing: RwSignal::new(false),
            ready: RwSignal::new(false),
            underruns: RwSignal::new(0),
            engine: StoredValue::new_local(None),
            module: StoredValue::new_local(None),
            audio: StoredValue::new_local(Vec::new()),
            levels: StoredValue::new(Vec::new()),
            overviews: StoredValue::new(Vec::new()),
            view: RwSignal::new(View::Mixer),
            timeline: TimelineState::new(),
            selected_clip: RwSignal::new(None),
            history: StoredValue::new(History::default()),
            reported_at: StoredValue::new(0.0),
            history_len: RwSignal::new((0, 0)),
            pending_seek: StoredValue::new(None),
            pending_play: StoredValue::new(None),
            sources: Sources::new(),
        }
    }

    /// Keeps the engine's analysis tap on the selected strip while a spectrum is on screen — on the
    /// master while the master's spectrum (the final check's) is.
    pub fn follow_tap(self) {
        let target = Memo::new(move |_| {
            let strip = if self.meters.master_views.get() > 0 {
                self.ready.get().then_some(StripRef::Master)
            } else {
                (self.ready.get() && self.meters.spectrum_views.get() > 0).then(|| self.selected.get()).flatten()
            };
            strip.map(|r| self.session.with(|s| s.strip_id(r)))
        });
        Effect::new(move |_| {
            let strip = target.get();
            self.meters.clear_spectrum();
            self.with_engine(|e| e.set_tap(strip));
        });
    }

    /// The engine's module: fetched and compiled once, at the first call (calls meanwhile wait
    /// for the same compilation). A failure (a dropped connection) is tried again at the next call.
    pub async fn engine_module(self) -> Result<EngineModule, String> {
        let compiling = match self.module.get_value() {
            Some(compiling) => compiling,
            None => {
                let compiling = EngineModule::load().boxed_local().shared();
                self.module.set_value(Some(compiling.clone()));
                compiling
            }
        };
        let module = compiling.await;
        if module.is_err() {
            self.module.set_value(None);
        }
        module
    }

    /// Opens a session — from the store, or new — with its history and view: prepares the audio
    /// of any source not yet prepared (synthesizing the demo's stems, reading imported audio from
    /// `store`), then starts the engine with it, or loads it into the running engine.
    pub async fn open(self, stored: Stored, store: Option<&Store>) -> Result<(), String> {
        let Stored { session, view, undo, redo } = stored;
        if self.playing.get_untracked() {
            self.stop();
        }
        self.ready.set(false);
        // Work started for the previous session (an import) stops here.
        self.sources.begin_open();
        let states: Vec<&Session> = std::iter::once(&session).chain(&undo).chain(&redo).collect();
        // A new engine (none yet, or the session's rate differs) starts while the sources are
        // read: its audio output, processor and reader take a while on a busy page.
        let rate_changed = self.session.with_untracked(|s| s.sample_rate) != session.sample_rate;
        let rate = session.sample_rate;
        let starting = async move {
            if self.engine.with_value(Option::is_some) && !rate_changed {
                return Ok(None);
            }
            let module = self.engine_module().await?;
            LiveEngine::start(
                &module,
                rate,
                move |reading| self.on_meters(reading),
                move |samples| self.meters.tap(&samples, self.session.with_untracked(|s| s.sample_rate as f32)),
                move |message| self.status.set(Status::Error(message)),
            )
            .await
            .map(Some)
        };
        let progress = move |what: String| self.status.set(Status::Busy(what));
        let (prepared, started) = futures::join!(self.sources.prepare(&states, store, progress), starting);
        let (missing, not_updated) = match prepared {
            Ok(prepared) => prepared,
            Err(e) => {
                // The session open stays as it was, with its engine.
                if let Ok(Some(engine)) = &started {
                    engine.close();
                }
                return Err(e);
            }
        };
        mark("mixroom-sources-prepared");
        let started = started?;
        let tracks = self.rebuild_track_data(&session);
        let how = self.track_loads(&session, None);
        if let Some(engine) = started {
            if let Some(running) = self.engine.get_value() {
                running.close();
            }
            self.engine.set_value(Some(Rc::new(engine)));
        }
        let Some(engine) = self.engine.get_value() else { return Err("The audio engine is not running".into()) };
        // The engine loads before the page shows the session: drawing it (a 64-track console's
        // first strips) would hold the engine's answer back, and Play with it.
        engine.reload(&session.to_json(), &tracks, &how, false).await?;
        mark("mixroom-engine-loaded");
        let strips = session.strip_refs().len();
        self.history.set_value(History::with(undo, redo));
        self.history_len.set(self.history.with_value(History::len));
        self.session.set(session.clone());
        self.meters.reset(strips);
        self.restore_view(&view, strips);
        let position = view.position.min(session.length_frames());
        self.seek(position);
        self.ready.set(true);
        mark("mixroom-ready");
        // Nothing more is read here: the engine streams what it plays (the mark stays for the
        // open benchmark, which timed the whole read before streaming).
        mark("mixroom-audio-read");
        self.status.set(match (missing, not_updated) {
            (0, None) if !crate::audio::isolated() => Status::Notice(NOT_ISOLATED.into()),
            (0, None) => Status::Ready,
            (0, Some(why)) => Status::Notice(format!("Some stored audio could not be updated for streaming ({why}): it plays, but reads more from storage than it needs to. It is tried again when the session next opens.")),
            (n, _) => Status::Error(format!("{} of this session {} offline: {} audio is not in this browser. Relink each with its file (its Offline button on the timeline), or open the session's project file. Until then {} silence.", if n == 1 { "A source".to_owned() } else { format!("{n} sources") }, if n == 1 { "is" } else { "are" }, if n == 1 { "its" } else { "their" }, if n == 1 { "it plays" } else { "they play" })),
        });
        Ok(())
    }

    /// Which opening of a session this is (changes with every [`Desk::open`]): work started for one
    /// session (an import) checks it has not been replaced meanwhile.
    pub fn opened(self) -> u64 {
        self.sources.opened()
    }

    /// Where the engineer was in a session (selection beyond the session's strips is dropped).
    fn restore_view(self, view: &ViewState, strips: usize) {
        self.view.set(view.page);
        let valid = self.session.with_untracked(|s| view.selected.filter(|r| s.strip_refs().contains(r)));
        self.selected.set(valid.filter(|_| strips > 0));
        let clip = self.session.with_untracked(|s| view.selected_clip.filter(|&(t, c)| s.tracks.get(t).is_some_and(|t| c < t.clips.len().max(1))));
        self.selected_clip.set(clip);
        self.timeline.set(&view.timeline, self.session.with_untracked(|s| s.sample_rate));
    }

    /// The session as the store keeps it: with where the engineer is and the undo history.
    pub fn stored(self) -> Stored {
        // Only what is stored (the most recent steps), not the whole history kept in memory.
        let recent = |v: &Vec<Session>| v[v.len().saturating_sub(mixroom_session::stored::MAX_HISTORY)..].to_vec();
        let (undo, redo) = self.history.with_value(|h| (recent(&h.undo), recent(&h.redo)));
        let view = ViewState {
            page: self.view.get_untracked(),
            selected: self.selected.get_untracked(),
            selected_clip: self.selected_clip.get_untracked(),
            position: self.position.get_untracked().max(0.0) as u64,
            timeline: self.timeline.get(),
        };
        Stored { session: self.session.get_untracked(), view, undo, redo }
    }

    /// How each of `session`'s tracks reaches the engine: audio in storage streams, audio held
    /// here goes as samples — and with `running` (the session the engine plays), a track that stays
    /// (the same track playing the same source) keeps the audio the engine has.
    fn track_loads(self, session: &Session, running: Option<&Session>) -> Vec<TrackLoad> {
        session
            .tracks
            .iter()
            .map(|t| match (running.and_then(|r| r.tracks.iter().position(|o| o.id == t.id && o.source == t.source)), &t.source, self.sources.stored_under(&t.source)) {
                (Some(i), _, _) => TrackLoad::Keep(i),
                (None, Source::Audio { channels, frames, .. }, Some(pages)) => TrackLoad::Stored { pages, channels: *channels, frames: *frames },
                (None, _, _) => TrackLoad::Samples,
            })
            .collect()
    }

    fn on_meters(self, reading: MeterReading) {
        let underruns = reading.underruns as u64;
        if underruns != self.underruns.get_untracked() {
            self.underruns.set(underruns);
            // For benchmarks and tests, beside the status line's count.
            if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
                let _ = root.set_attribute("data-underruns", &underruns.to_string());
            }
        }
        if !self.stale_position(reading.position) {
            self.position.set(reading.position);
            self.reported_at.set_value(js_sys::Date::now());
        }
        let stale = !reading.playing && self.pending_play.get_value().is_some_and(|at| js_sys::Date::now() - at < SEEK_SETTLE_S * 1000.0);
        if !stale {
            self.pending_play.set_value(None);
            self.playing.set(reading.playing);
        }
        self.meters.reading(&reading.levels, reading.playing);
        self.meters.master_reading(&reading.analysis);
        if !reading.scope.is_empty() {
            self.meters.scope.set(reading.scope);
        }
    }

    /// The frame the engineer hears now: while playing, the engine's last reported position
    /// moved on by the time since the report and back by the audio output's latency — where a
    /// gesture made now belongs on the timeline (an automation pass is written there).
    pub fn heard_frame(self) -> u64 {
        let reported = self.position.get_untracked().max(0.0);
        if !self.playing.get_untracked() {
            return reported as u64;
        }
        let rate = self.session.with_untracked(|s| s.sample_rate) as f64;
        let age = (js_sys::Date::now() - self.reported_at.get_value()) / 1000.0;
        let latency = self.engine.get_value().map_or(0.0, |e| e.output_latency());
        heard_frame(reported, age, latency, rate)
    }

    /// Runs `f` on the live engine, if it is running (features that talk to the engine directly:
    /// the final check's monitor and meters).
    pub(crate) fn with_engine(self, f: impl FnOnce(&LiveEngine)) {
        if let Some(engine) = self.engine.get_value() {
            f(&engine);
        }
    }

    pub fn play(self) {
        self.with_engine(LiveEngine::play);
        self.playing.set(true);
        self.pending_play.set_value(Some(js_sys::Date::now()));
    }

    pub fn stop(self) {
        self.pending_play.set_value(None);
        self.with_engine(LiveEngine::stop);
    }

    /// Returns to the session start.
    pub fn rewind(self) {
        self.seek(0);
    }

    /// Moves the play position (playing or not), within the timeline.
    pub fn seek(self, frame: u64) {
        let frame = frame.min(self.session.with_untracked(|s| mixroom_session::limits::timeline_frames(s.sample_rate)));
        self.with_engine(|e| e.seek(frame));
        self.position.set(frame as f64);
        self.pending_seek.set_value(Some((frame as f64, js_sys::Date::now())));
    }

    /// Whether a reported play position is one from before the last seek (posted by the engine
    /// before it received the seek), to be ignored: it would send the position back for a moment.
    fn stale_position(self, reported: f64) -> bool {
        let Some((target, at)) = self.pending_seek.get_value() else { return false };
        let rate = self.session.with_untracked(|s| s.sample_rate as f64);
        let caught_up = reported >= target && reported <= target + SEEK_SETTLE_S * rate;
        if caught_up || js_sys::Date::now() - at > SEEK_SETTLE_S * 1000.0 {
            self.pending_seek.set_value(None);
        }
        !caught_up && self.pending_seek.get_value().is_some()
    }

    /// A track's audio samples `[from, to)` of one channel, for drawing single samples: of audio
    /// in storage, read for the purpose (empty until it is in: see `Sources::stored_samples`).
    pub fn samples(self, track: usize, channel: usize, from: usize, to: usize) -> Vec<f32> {
        let source = self.session.with_untracked(|s| s.tracks.get(track).map(|t| t.source.clone()));
        if let Some(source @ Source::Audio { frames, .. }) = &source {
            if let Some(pages) = self.sources.stored_under(source) {
                let to = to.min(*frames as usize);
                return self.sources.stored_samples(&pages, channel, from.min(to), to).unwrap_or_default();
            }
        }
        self.audio.with_value(|a| {
            a.get(track).and_then(|c| c.get(channel).or(c.first())).map_or(Vec::new(), |arr| {
                let len = arr.length() as usize;
                let (from, to) = (from.min(len), to.min(len));
                arr.subarray(from as u32, to as u32).to_vec()
            })
        })
    }

    /// A parameter edit: changes the session and sends the same change to the engine. Undoable: a
    /// whole gesture (a drag) is one step.
    pub fn edit(self, f: impl FnOnce(&mut Session) -> Option<ParamChange>) {
        self.edit_engine(move |s| f(s).map(EngineEdit::Param));
    }

    /// An edit the engine does not hear (names, colours, markers): undoable like the others. A
    /// refused edit changes nothing and says why; otherwise its result is returned.
    pub fn edit_session<T>(self, f: impl FnOnce(&mut Session) -> Result<T, SessionError>) -> Option<T> {
        let before = self.session.get_untracked();
        let mut next = before.clone();
        match f(&mut next).and_then(|t| self.accepted(&next).map(|()| t)) {
            Ok(t) => {
                if next != before {
                    self.session.set(next);
                    self.checkpoint(before);
                }
                Some(t)
            }
            Err(e) => {
                self.refused(e);
                None
            }
        }
    }

    /// An edit the running engine follows through [`Session::changes_to`] (automation: lanes,
    /// modes, recorded passes, suspend): undoable like the others; a refused edit changes nothing
    /// and says why, otherwise its result is returned.
    pub fn edit_followed<T>(self, f: impl FnOnce(&mut Session) -> Result<T, SessionError>) -> Option<T> {
        let before = self.session.get_untracked();
        let mut next = before.clone();
        match f(&mut next).and_then(|t| self.accepted(&next).map(|()| t)) {
            Ok(t) => {
                if next != before {
                    let changes = before.changes_to(&next);
                    self.checkpoint(before);
                    self.install(next, changes);
                }
                Some(t)
            }
            Err(e) => {
                self.refused(e);
                None
            }
        }
    }

    /// Sends a change to the engine alone, the session left as it is: what a control plays while
    /// an automation pass records it.
    pub fn play_live(self, change: &EngineEdit) {
        self.with_engine(|e| e.apply(change));
    }

    /// An edit whose engine side is any [`EngineEdit`] (clips, the loop, a parameter). Returns
    /// whether it was made.
    pub fn edit_engine(self, f: impl FnOnce(&mut Session) -> Option<EngineEdit>) -> bool {
        let before = self.session.get_untracked();
        let mut next = before.clone();
        let Some(change) = f(&mut next) else { return false };
        if let Err(e) = self.accepted(&next) {
            self.refused(e);
            return false;
        }
        self.session.set(next);
        self.checkpoint(before);
        self.with_engine(|e| e.apply(&change));
        true
    }

    /// The edit path's last word: a session is taken only if the strict check passes it, so that
    /// whatever an editor accepts the reader opens unchanged (see `mixroom_session::limits`).
    fn accepted(self, next: &Session) -> Result<(), SessionError> {
        next.validate()
    }

    /// Says why an edit was not made (the session is as it was).
    fn refused(self, e: SessionError) {
        let why = match e {
            SessionError::Invalid(why) => why,
            other => other.to_string(),
        };
        self.status.set(Status::Error(format!("That change was not made: {why}.")));
    }

    /// Tells the user what became of an edit that was not made quite as asked.
    pub fn notice(self, message: impl Into<String>) {
        self.status.set(Status::Notice(message.into()));
    }

    /// Runs `f`, whose edits are one undo step with the other edits of run `key` just before them
    /// (nudges of one control, the files of one import).
    pub fn in_run<T>(self, key: impl Into<String>, f: impl FnOnce() -> T) -> T {
        self.history.update_value(|h| h.set_run(Some(key.into())));
        let t = f();
        self.history.update_value(|h| h.set_run(None));
        t
    }

    /// Lays out what the desk keeps per track for `session`'s tracks from the kept sources (a
    /// track whose source is missing plays silence), and returns the tracks' audio for the engine.
    fn rebuild_track_data(self, session: &Session) -> Vec<TrackAudio> {
        let layout = self.sources.lay_out(session);
        self.audio.set_value(layout.audio.clone());
        self.levels.set_value(layout.levels);
        self.overviews.set_value(layout.overviews);
        self.meters.reset(session.strip_refs().len());
        layout.audio
    }

    /// Audio saved to storage (`stored` says which content ids are) is let go of here, and the
    /// tracks playing it stream it from storage from now on — so importing a long session holds
    /// only what is not saved yet. Not while playing (the engine would reload under the music: the
    /// next save while stopped does it), and not a reference track's audio (its player holds it).
    pub fn stream_saved_audio(self, stored: impl Fn(&str) -> bool) {
        if self.playing.get_untracked() {
            return;
        }
        let Some(engine) = self.engine.get_value() else { return };
        let session = self.session.get_untracked();
        let released = self.sources.let_go(|p| {
            p.audio_id().is_some_and(&stored) && session.tracks.iter().any(|t| t.source == p.source) && !session.references.iter().any(|r| r.source == p.source)
        });
        if released.is_empty() {
            return;
        }
        let tracks = self.rebuild_track_data(&session);
        let how: Vec<TrackLoad> = session
            .tracks
            .iter()
            .enumerate()
            .map(|(i, t)| match &t.source {
                Source::Audio { id, channels, frames } if released.contains(&t.source) => TrackLoad::Stored { pages: self.sources.pages_of(&t.source).unwrap_or_else(|| id.clone()), channels: *channels, frames: *frames },
                _ => TrackLoad::Keep(i),
            })
            .collect();
        let at = self.position.get_untracked() as u64;
        spawn_local(async move {
            if let Err(message) = engine.reload(&session.to_json(), &tracks, &how, false).await {
                self.status.set(Status::Error(message));
            }
            engine.seek(at);
        });
    }

    /// Keeps imported audio (once per source) and adds a track for each, as one undoable step.
    /// With `after` (a track's id), the tracks go just after it (and into its folder); returns the
    /// id of the last track added.
    pub fn add_imported(self, prepared: Vec<PreparedSource>, names: Vec<String>, after: Option<String>) -> Option<String> {
        let new: Vec<mixroom_session::NewTrack> = prepared
            .iter()
            .zip(&names)
            .filter_map(|(p, name)| match &p.source {
                mixroom_session::Source::Audio { id, channels, frames } => Some(mixroom_session::NewTrack { name: name.clone(), source_id: id.clone(), channels: *channels, frames: *frames }),
                _ => None,
            })
            .collect();
        // Kept before the edit (laying the new tracks out needs their audio), and let go of again
        // if the edit is refused (the session would be over its limits).
        let added = self.sources.add(prepared);
        let mut last = None;
        let made = self.try_restructure(|s| {
            let anchor = after.and_then(|id| s.tracks.iter().position(|t| t.id == id));
            let placed = s.add_audio_tracks_after(&new, anchor)?;
            last = placed.last().map(|&i| s.tracks[i].id.clone());
            Ok(())
        });
        if !made {
            self.sources.forget(&added);
        }
        last
    }

    /// Keeps the selected track and clip on the same track after a move: track `i` was `order[i]`.
    /// (Audio, levels and overviews are laid out again from the stored sources.)
    fn follow_track_order(self, order: &[usize]) {
        let new_index = |old: usize| order.iter().position(|&o| o == old);
        if let Some(StripRef::Track(i)) = self.selected.get_untracked() {
            self.selected.set(new_index(i).map(StripRef::Track));
        }
        if let Some((track, clip)) = self.selected_clip.get_untracked() {
            self.selected_clip.set(new_index(track).map(|t| (t, clip)));
        }
    }

    /// Brings an offline source back: `prepared` is a file's audio the user chose for source `id`.
    /// The same audio (its content id `id`) is taken as it is; other audio replaces the source of
    /// every track that played it, as an undoable edit (the caller has asked the user).
    pub fn relink(self, id: &str, prepared: PreparedSource) {
        let same = prepared.audio_id() == Some(id);
        let source = prepared.source.clone();
        self.sources.add(vec![prepared]);
        if same {
            // The session is as it was: only the engine hears the audio now.
            let session = self.session.get_untracked();
            let fresh: Vec<usize> = session.tracks.iter().enumerate().filter(|(_, t)| matches!(&t.source, Source::Audio { id: i, .. } if i == id)).map(|(i, _)| i).collect();
            let tracks = self.rebuild_track_data(&session);
            let how: Vec<TrackLoad> = (0..session.tracks.len()).map(|i| if fresh.contains(&i) { TrackLoad::Samples } else { TrackLoad::Keep(i) }).collect();
            // (A relinked file is held here: its tracks get samples.)
            if let Some(engine) = self.engine.get_value() {
                let (playing, at) = (self.playing.get_untracked(), self.position.get_untracked() as u64);
                spawn_local(async move {
                    if let Err(message) = engine.reload(&session.to_json(), &tracks, &how, playing).await {
                        self.status.set(Status::Error(message));
                    }
                    engine.seek(at);
                });
            }
            // Saved with it (the session is unchanged, its audio is not).
            self.session.update(|_| {});
        } else {
            let old = id.to_owned();
            self.restructure(move |s| s.replace_source(&old, source).map(|_| ()));
        }
    }

    /// Replaces the whole mix with `session` (a link's), as one undoable step.
    pub fn replace_session(self, session: Session) {
        self.restructure(move |s| {
            *s = session;
            Ok(())
        });
    }

    /// A structural edit (inserts, routing): applied only if the result is a valid mix, then the
    /// engine swaps in the new plan. A refused edit leaves everything as it was and says why.
    pub fn restructure(self, f: impl FnOnce(&mut Session) -> Result<(), SessionError>) {
        self.try_restructure(f);
    }

    /// [`Desk::restructure`], saying whether the edit was made.
    fn try_restructure(self, f: impl FnOnce(&mut Session) -> Result<(), SessionError>) -> bool {
        let before = self.session.get_untracked();
        let mut next = before.clone();
        match f(&mut next).and_then(|()| self.accepted(&next)) {
            Ok(()) => {
                self.checkpoint(before);
                self.install(next, None);
                true
            }
            Err(e) => {
                self.refused(e);
                false
            }
        }
    }

    /// Makes `next` the session, bringing the engine along: with `changes` when given (same shape),
    /// otherwise with a new plan.
    fn install(self, next: Session, changes: Option<Vec<EngineEdit>>) {
        let strips = next.strip_refs().len();
        let json = changes.is_none().then(|| next.to_json());
        // Tracks in a new order (moved, or a move undone): everything kept per track follows.
        let same_tracks = self.session.with_untracked(|current| next.track_order_from(current).is_some());
        let order = self.session.with_untracked(|current| next.track_order_from(current)).filter(|o| o.iter().enumerate().any(|(i, &o)| i != o));
        if let Some(order) = &order {
            self.follow_track_order(order);
        }
        // Tracks moved, added or removed: what the desk keeps per track is laid out again from the
        // stored sources; the engine reloads when tracks came or went.
        let tracks = (order.is_some() || !same_tracks).then(|| self.rebuild_track_data(&next));
        let reload = tracks.filter(|_| !same_tracks);
        // Tracks that stay keep their audio in the engine (the same track playing the same source).
        let how = self.session.with_untracked(|current| self.track_loads(&next, Some(current)));
        self.session.set(next);
        self.meters.resize(strips);
        if let Some(engine) = self.engine.get_value() {
            match (changes, json) {
                (Some(changes), _) => changes.iter().for_each(|c| engine.apply(c)),
                (None, Some(json)) => spawn_local(async move {
                    let done = match (&order, reload) {
                        (_, Some(tracks)) => {
                            let (playing, at) = (self.playing.get_untracked(), self.position.get_untracked() as u64);
                            let done = engine.reload(&json, &tracks, &how, playing).await;
                            engine.seek(at);
                            done
                        }
                        (Some(order), None) => engine.reorder(&json, order).await,
                        (None, None) => engine.update(&json).await,
                    };
                    if let Err(message) = done {
                        self.status.set(Status::Error(message));
                    }
                }),
                (None, None) => {}
            }
        }
    }

    /// Records the session as it was before an edit (unless the edit continues a run).
    fn checkpoint(self, before: Session) {
        self.history.update_value(|h| h.checkpoint(before));
        self.history_len.set(self.history.with_value(History::len));
    }

    /// A drag starts: everything until [`Desk::end_gesture`] undoes as one step.
    pub fn begin_gesture(self) {
        self.history.update_value(History::begin_gesture);
    }

    pub fn end_gesture(self) {
        self.history.update_value(History::end_gesture);
    }

    /// Steps back one edit (or one whole drag).
    pub fn undo(self) {
        self.step(true);
    }

    /// Steps forward again after an undo.
    pub fn redo(self) {
        self.step(false);
    }

    fn step(self, back: bool) {
        let current = self.session.get_untracked();
        let Some(target) = self.history.try_update_value(|h| h.step(back, current.clone())).flatten() else { return };
        let changes = current.changes_to(&target);
        self.install(target, changes);
        self.history_len.set(self.history.with_value(History::len));
    }

    /// Sets every track's trim so its level sits at `target_db` dBFS RMS (one undoable step).
    pub fn gain_stage(self, target_db: f32) {
        let levels = self.levels.get_value();
        let Some(changes) = self.edit_session(|s| Ok(s.gain_stage_levels(&levels, target_db))) else { return };
        self.with_engine(|e| changes.iter().for_each(|c| e.set(*c)));
    }

    /// Plays or stops.
    pub fn toggle_play(self) {
        if self.playing.get_untracked() {
            self.stop();
        } else {
            self.play();
        }
    }

    /// Selects the strip `offset` places from the selected one (the first when none is).
    pub fn select_next(self, offset: isize) {
        let refs = self.session.with_untracked(|s| s.strip_refs());
        let now = self.selected.get_untracked().and_then(|r| refs.iter().position(|x| *x == r));
        let next = match now {
            Some(i) => (i as isize + offset).clamp(0, refs.len() as isize - 1) as usize,
            None => 0,
        };
        self.selected.set(refs.get(next).copied());
    }

    /// Every track of `session` (the open one, as the export began) with its audio for an export:
    /// as held here, or — in storage — where to read it (the delivery worker streams it). None
    /// before the engine is ready.
    pub fn audio_for_export(self, session: &Session) -> Option<Vec<ExportAudio>> {
        self.engine.with_value(Option::is_some).then_some(())?;
        let held = self.audio.get_value();
        Some(session.tracks.iter().enumerate().map(|(i, t)| match (&t.source, self.sources.stored_under(&t.source)) {
            (Source::Audio { channels, frames, .. }, Some(pages)) => ExportAudio::Stored { pages, channels: *channels, frames: *frames },
            _ => ExportAudio::Held(held.get(i).cloned().unwrap_or_default()),
        }).collect())
    }

    /// Offers the session as a session file.
    pub fn save_session(self) {
        let session = self.session.get_untracked();
        let name = format!("{}.mixroom.json", files::file_stem(&session.name));
        if let Err(message) = files::download(session.to_json().as_bytes(), &name, "application/json") {
            self.status.set(Status::Error(message));
        }
    }
}

/// The desk of the running app.
pub fn desk() -> Desk {
    expect_context::<Desk>()
}

/// The frame heard `age` seconds after the engine reported `reported`, with `latency` seconds
/// between the engine and the speakers, at `rate`. The age is bounded (reports come some 30 times
/// a second; a stalled page is not allowed to throw a gesture far ahead) and so is the latency.
pub fn heard_frame(reported: f64, age: f64, latency: f64, rate: f64) -> u64 {
    let age = if age.is_finite() { age.clamp(0.0, 0.1) } else { 0.0 };
    let latency = if latency.is_finite() { latency.clamp(0.0, 0.5) } else { 0.0 };
    (reported + (age - latency) * rate).max(0.0).round() as u64
}

#[cfg(test)]
mod tests {
    use super::heard_frame;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn a_gesture_lands_where_it_was_heard() {
        // 20 ms after a report of frame 48 000, with 30 ms to the speakers: 10 ms before it.
        assert_eq!(heard_frame(48_000.0, 0.020, 0.030, 48_000.0), 47_520);
        // A stalled page moves it on by 100 ms at most; with no latency reported none is taken off.
        assert_eq!(heard_frame(48_000.0, 5.0, 0.0, 48_000.0), 52_800);
        // Never before the start, whatever the browser reports.
        assert_eq!(heard_frame(100.0, 0.0, f64::NAN, 48_000.0), 100);
        assert_eq!(heard_frame(100.0, -3.0, 0.2, 48_000.0), 0);
    }
}
