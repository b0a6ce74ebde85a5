//! The sources of the open session and its history: every source's level and overview, and the
//! samples of those held here — kept once however many tracks (or undo steps) use it. The demo's
//! stems are synthesized and held (as are references' audio, relinked files and a project file's
//! media, until saved); imported audio is in storage from the start, and audio from the store
//! stays there: the engine streams it (its reader reads the pages it plays,
//! see `www/stream-worker.js`), and what needs it whole (an export, a project file) reads it then
//! ([`Sources::samples`]). Below the desk, above the store.

use std::collections::BTreeSet;

use gloo_timers::future::TimeoutFuture;
use js_sys::Float32Array;
use leptos::prelude::*;
use mixroom_session::{gated_rms_db, Session, Source};

use crate::audio::TrackAudio;
use crate::source::PreparedSource;
use crate::store::{Store, DETAIL_FRAMES, DETAIL_LEVEL, LAYOUT, PAGE_FRAMES};
use crate::waveform::Overview;

/// Pages kept for drawing single samples: a few screens' worth (32 KB a channel each).
const DRAWN_PAGES: usize = 256;
/// Overview detail records kept for drawing: a screen's worth at the widest zoom they are drawn at
/// (32 KB each, 5.5 s at 48 kHz).
const DRAWN_DETAIL: usize = 128;

/// With this key in the page's local storage, stored audio is read whole into the page and the
/// engine is given every sample, as before streaming: the scale benchmark's peer.
pub const WHOLE_AUDIO_KEY: &str = "mixroom-bench-whole-audio";

/// What each track of a session plays, laid out from the kept sources (a track whose source is
/// missing plays silence).
pub struct Layout {
    pub audio: Vec<TrackAudio>,
    pub levels: Vec<f64>,
    pub overviews: Vec<Overview>,
}

/// The kept sources. `Copy`: every field is a handle into Leptos' arena.
#[derive(Clone, Copy)]
pub struct Sources {
    kept: StoredValue<Vec<PreparedSource>, LocalStorage>,
    /// Bumped by every open: work started for another session stops.
    generation: StoredValue<u64>,
    /// Where the sources in storage are (the store the last open read them from).
    store: StoredValue<Option<Store>, LocalStorage>,
    /// Pages of stored sources read for drawing single samples (the timeline zoomed in): the most
    /// recent [`DRAWN_PAGES`], by (content id, page); `None` while being read.
    drawn: StoredValue<Vec<((String, usize), Option<TrackAudio>)>, LocalStorage>,
    /// Overview detail records of stored sources read for drawing (the timeline zoomed in to
    /// fewer than 2048 frames a pixel): the most recent [`DRAWN_DETAIL`], by (content id, record).
    detail: StoredValue<Vec<((String, usize), Option<Vec<(f32, f32)>>)>, LocalStorage>,
    /// Bumped when a page or a detail record read for drawing arrives: the timeline draws again.
    pub drawn_pages: RwSignal<u64>,
    /// Imported audio the session (or its history) plays that this browser does not have: its
    /// tracks are *offline* — shown as such, playing silence — until relinked with a file.
    pub offline: RwSignal<BTreeSet<String>>,
}

impl Sources {
    pub fn new() -> Sources {
        Sources { kept: StoredValue::new_local(Vec::new()), generation: StoredValue::new(0), store: StoredValue::new_local(None), drawn: StoredValue::new_local(Vec::new()), detail: StoredValue::new_local(Vec::new()), drawn_pages: RwSignal::new(0), offline: RwSignal::new(BTreeSet::new()) }
    }

    /// A session is being opened: work started for the previous one (an import) stops.
    pub fn begin_open(self) {
        self.generation.update_value(|g| *g += 1);
    }

    /// Which opening of a session this is (changes with every open): work started for one session
    /// (an import, a stream) checks it has not been replaced meanwhile.
    pub fn opened(self) -> u64 {
        self.generation.get_value()
    }

    /// Every kept source whose audio the store may need: imported audio, by content id.
    pub fn imported(self, ids: &BTreeSet<String>) -> Vec<PreparedSource> {
        self.kept.with_value(|s| s.iter().filter(|p| p.audio_id().is_some_and(|id| ids.contains(id))).cloned().collect())
    }

    /// The kept audio of `source` (one array per channel), if it is kept and held here.
    pub fn audio_of(self, source: &Source) -> Option<TrackAudio> {
        self.kept.with_value(|s| s.iter().find(|p| p.source == *source && !p.in_storage_only()).map(|p| p.audio.clone()))
    }

    /// Samples `[from, to)` of a stored source's channel (`id`: the key its records are under), for drawing them: read from storage page by
    /// page the first time (only what is asked for: the visible range), `None` until they are in —
    /// [`Sources::drawn_pages`] changes when they arrive.
    pub fn stored_samples(self, id: &str, channel: usize, from: usize, to: usize) -> Option<Vec<f32>> {
        let mut out = Vec::with_capacity(to.saturating_sub(from));
        let pages = from / PAGE_FRAMES..to.div_ceil(PAGE_FRAMES);
        let read = |store: Store, id: String, page: usize| async move { store.page(&id, page).await.ok().flatten().unwrap_or_default() };
        let all_in = self.read_for_drawing(self.drawn, DRAWN_PAGES, id, pages, read, |page, audio: &TrackAudio| {
            let (a, b) = (from.max(page * PAGE_FRAMES) - page * PAGE_FRAMES, to.min((page + 1) * PAGE_FRAMES) - page * PAGE_FRAMES);
            if let Some(samples) = audio.get(channel).or(audio.first()).filter(|s| b <= s.length() as usize) {
                out.extend(samples.subarray(a as u32, b as u32).to_vec());
            }
        });
        (all_in && out.len() == to.saturating_sub(from)).then_some(out)
    }

    /// The overview detail (64 frames a pair) of a stored source (`id`: the key its records are
    /// under) over frames `[from, to)`: its
    /// pairs from the one holding frame `from`, read from storage the first time (only the records
    /// drawn), `None` until they are in — [`Sources::drawn_pages`] changes when they arrive.
    pub fn stored_detail(self, id: &str, from: usize, to: usize) -> Option<Vec<(f32, f32)>> {
        let size = crate::waveform::LEVELS[DETAIL_LEVEL];
        let per_record = DETAIL_FRAMES / size;
        let (first, last) = (from / size, to.div_ceil(size));
        let mut out = Vec::with_capacity(last.saturating_sub(first));
        let records = from / DETAIL_FRAMES..to.div_ceil(DETAIL_FRAMES);
        let read = |store: Store, id: String, n: usize| async move { store.detail(&id, n).await.ok().flatten().unwrap_or_default() };
        let all_in = self.read_for_drawing(self.detail, DRAWN_DETAIL, id, records, read, |n, pairs: &Vec<(f32, f32)>| {
            let (a, b) = (first.max(n * per_record) - n * per_record, last.min((n + 1) * per_record) - n * per_record);
            out.extend_from_slice(&pairs[a.min(pairs.len())..b.min(pairs.len())]);
        });
        all_in.then_some(out)
    }

    /// What drawing needs from storage, kept: `visit` sees each of records `wanted` of source `id`
    /// that is in `kept`, in order; those not yet asked for are read (`read`) and kept (the most
    /// recent `limit`), and [`Sources::drawn_pages`] changes as each arrives. Whether all were in.
    fn read_for_drawing<T: 'static, F: std::future::Future<Output = T> + 'static>(
        self,
        kept: StoredValue<Vec<((String, usize), Option<T>)>, LocalStorage>,
        limit: usize,
        id: &str,
        wanted: std::ops::Range<usize>,
        read: impl Fn(Store, String, usize) -> F,
        mut visit: impl FnMut(usize, &T),
    ) -> bool {
        let (mut missing, mut reading) = (Vec::new(), false);
        kept.with_value(|kept| {
            for n in wanted {
                match kept.iter().find(|(k, _)| k.0 == id && k.1 == n) {
                    Some((_, Some(value))) => visit(n, value),
                    Some((_, None)) => reading = true,
                    None => missing.push(n),
                }
            }
        });
        if missing.is_empty() {
            return !reading;
        }
        let Some(store) = self.store.get_value() else { return false };
        for n in missing {
            let key = (id.to_owned(), n);
            kept.update_value(|k| {
                k.push((key.clone(), None));
                if k.len() > limit {
                    k.remove(0);
                }
            });
            let reading = read(store.clone(), key.0.clone(), n);
            leptos::task::spawn_local(async move {
                let value = reading.await;
                kept.update_value(|k| {
                    if let Some(entry) = k.iter_mut().find(|(k, _)| *k == key) {
                        entry.1 = Some(value);
                    }
                });
                self.drawn_pages.update(|n| *n += 1);
            });
        }
        false
    }

    /// Where the sources in storage are, once a session has been opened with a store.
    pub fn store(self) -> Option<Store> {
        self.store.get_value()
    }

    /// Stored `source` (content id, shape), ready to play from storage: as kept here, or from its
    /// audio record.
    pub async fn prepare_stored(self, source: &Source, store: &Store) -> Result<PreparedSource, String> {
        if let Some(kept) = self.kept.with_value(|s| s.iter().find(|p| p.source == *source).cloned()) {
            return Ok(kept);
        }
        let Source::Audio { id, .. } = source else { return Err("it is not stored audio".into()) };
        let info = store.audio(id).await.map_err(|e| e.to_string())?.ok_or("its audio is no longer stored")?;
        Ok(PreparedSource { source: source.clone(), audio: Vec::new(), level: info.level, overview: info.overview.without_detail(), pages: info.pages })
    }

    /// `prepared` with its samples read from storage whole, held here (a reference's player holds
    /// its audio).
    pub async fn held(self, mut prepared: PreparedSource) -> Result<PreparedSource, String> {
        if let (true, Some(store), Source::Audio { id, channels, frames }) = (prepared.in_storage_only(), self.store.get_value(), &prepared.source) {
            prepared.audio = read_whole(&store, id, &prepared.pages, *channels as usize, *frames as usize).await?;
        }
        Ok(prepared)
    }

    /// The key `source`'s records are under in storage, if it is kept and its samples are in
    /// storage only: the engine streams it (reading by that key).
    pub fn stored_under(self, source: &Source) -> Option<String> {
        self.kept.with_value(|s| s.iter().find(|p| p.source == *source && p.in_storage_only()).map(|p| p.pages.clone()))
    }

    /// The key `source`'s records are (or will be) under in storage, if it is kept: its overview
    /// detail is read by it.
    pub fn pages_of(self, source: &Source) -> Option<String> {
        self.kept.with_value(|s| s.iter().find(|p| p.source == *source).map(|p| p.pages.clone()))
    }

    /// The samples of every kept source of `ids`, whole — those in storage read from it now, for
    /// what needs the audio whole (an export, a project file), and let go after.
    pub async fn samples(self, ids: &BTreeSet<String>) -> Result<Vec<PreparedSource>, String> {
        let mut sources = self.imported(ids);
        let store = self.store.get_value();
        for p in sources.iter_mut().filter(|p| p.in_storage_only()) {
            let (Some(store), Source::Audio { id, channels, frames }) = (&store, &p.source) else { continue };
            p.audio = read_whole(store, id, &p.pages, *channels as usize, *frames as usize).await?;
        }
        Ok(sources)
    }

    /// Keeps `prepared` sources not kept yet (no longer offline); returns those added.
    pub fn add(self, prepared: Vec<PreparedSource>) -> Vec<Source> {
        self.offline.update(|o| prepared.iter().filter_map(PreparedSource::audio_id).for_each(|id| {
            o.remove(id);
        }));
        let mut added = Vec::new();
        self.kept.update_value(|s| {
            for p in prepared {
                if !s.iter().any(|x| x.source == p.source) {
                    added.push(p.source.clone());
                    s.push(p);
                }
            }
        });
        added
    }

    /// Lets go of the samples of the held sources `stored` picks (their audio is in storage now):
    /// from here on the engine streams them. Returns the sources let go of.
    pub fn let_go(self, stored: impl Fn(&PreparedSource) -> bool) -> Vec<Source> {
        let mut released = Vec::new();
        self.kept.update_value(|kept| {
            for p in kept.iter_mut().filter(|p| !p.in_storage_only() && p.audio_id().is_some() && stored(p)) {
                p.audio = Vec::new();
                // Its overview's finer levels are stored with it, read for the part drawn.
                p.overview = p.overview.without_detail();
                released.push(p.source.clone());
            }
        });
        released
    }

    /// Lets go of these sources.
    pub fn forget(self, sources: &[Source]) {
        self.kept.update_value(|s| s.retain(|p| !sources.contains(&p.source)));
    }

    /// What each of `session`'s tracks plays.
    pub fn lay_out(self, session: &Session) -> Layout {
        let mut layout = Layout { audio: Vec::new(), levels: Vec::new(), overviews: Vec::new() };
        self.kept.with_value(|sources| {
            for t in &session.tracks {
                match sources.iter().find(|p| p.source == t.source) {
                    Some(p) => {
                        layout.audio.push(p.audio.clone());
                        layout.levels.push(p.level);
                        layout.overviews.push(p.overview.clone());
                    }
                    None => {
                        layout.audio.push(vec![Float32Array::new_with_length(0)]);
                        layout.levels.push(f64::NEG_INFINITY);
                        layout.overviews.push(Overview::default());
                    }
                }
            }
        });
        layout
    }

    /// Prepares every source the session and its history use (`states`) that is not kept yet,
    /// telling `progress` what it does, and lets go of the rest; returns how many sources could not
    /// be found, and why stored audio could not be updated to the streaming layout, if it could not. Imported audio stays in storage (its record read: shape, level, overview), except
    /// a reference track's, which is read whole: its player holds it.
    pub async fn prepare(self, states: &[&Session], store: Option<&Store>, progress: impl Fn(String)) -> Result<(usize, Option<String>), String> {
        // Each source once: the tracks' and the reference tracks', with the session it is in, its
        // track (a demo stem is synthesized from its track) and a name for progress and errors.
        let mut needed: Vec<(&Session, Option<usize>, &str, &Source)> = Vec::new();
        for s in states {
            let tracks = (0..s.tracks.len()).map(Some).chain(s.references.iter().map(|_| None));
            for (track, (name, source)) in tracks.zip(s.sources()) {
                if !needed.iter().any(|n| n.3 == source) {
                    needed.push((s, track, name, source));
                }
            }
        }
        if store.is_some() {
            self.store.set_value(store.cloned());
        }
        // (The scale benchmark's peer: every source read whole into the page, as before streaming.)
        let whole = web_sys::window().and_then(|w| w.local_storage().ok().flatten()).and_then(|s| s.get_item(WHOLE_AUDIO_KEY).ok().flatten()).is_some();
        let references: Vec<&Source> = states.iter().flat_map(|s| s.references.iter().map(|r| &r.source)).collect();
        let (mut missing, count) = (0, needed.len());
        let mut not_updated = None;
        let mut offline = BTreeSet::new();
        // Kept, and held here if a reference needs it so: nothing to prepare.
        let ready = |source: &Source| {
            let kept = self.kept.with_value(|s| s.iter().find(|p| p.source == *source).map(PreparedSource::in_storage_only));
            kept.is_some_and(|in_storage| !in_storage || !(whole || references.contains(&source)))
        };
        // What storage says of every source to prepare, read at once (a failure is said below,
        // for the source it concerns).
        let ids: Vec<&str> = needed.iter().filter(|n| !ready(n.3)).filter_map(|n| match n.3 {
            Source::Audio { id, .. } => Some(id.as_str()),
            _ => None,
        }).collect();
        let infos = match (store, ids.is_empty()) {
            (Some(store), false) => store.audios(&ids).await.ok(),
            _ => None,
        };
        for (n, &(session, track, name, source)) in needed.iter().enumerate() {
            if ready(source) {
                continue;
            }
            let prepared = match source {
                Source::DemoStem { .. } => {
                    let Some(i) = track else { continue };
                    progress(format!("Preparing the demo session: {name} ({}/{count})", n + 1));
                    // Let the page paint between stems: each takes a moment to synthesize.
                    TimeoutFuture::new(0).await;
                    let channels = session.render_source(i).map_err(|e| e.to_string())?;
                    Some(PreparedSource {
                        source: source.clone(),
                        audio: channels.iter().map(|c| Float32Array::from(c.as_slice())).collect(),
                        level: gated_rms_db(&channels),
                        overview: Overview::build(&channels),
                        pages: String::new(),
                    })
                }
                Source::Audio { id, .. } => {
                    progress(format!("Reading {name} ({}/{count})", n + 1));
                    let info = match (&infos, store) {
                        // What the one read said, absent too.
                        (Some(infos), _) => ids.iter().position(|i| i == id).and_then(|i| infos[i].clone()),
                        // That read failed: this source's own read says why.
                        (None, Some(store)) => store.audio(id).await.map_err(|e| format!("Could not read the audio of {name}: {e}"))?,
                        (None, None) => None,
                    };
                    // Stored audio of another shape than the session says is not this audio.
                    let info = info.filter(|info| matches!(source, Source::Audio { channels, frames, .. } if *channels as usize == info.channels && *frames as usize == info.frames));
                    match (info, store) {
                        (Some(info), Some(store)) => {
                            // Stored before streaming: updated to pages once, here (the old
                            // records stay until the new ones are whole). If it cannot be (a full
                            // disk), it streams from the old layout, reading more than it plays.
                            if info.layout < LAYOUT {
                                let said = |share: f64| progress(format!("Updating the stored audio of {name} for streaming: {:.0} % ({}/{count})", share * 100.0, n + 1));
                                if let Err(e) = store.update_layout(id, info.frames, info.layout, said).await {
                                    not_updated = Some(e.to_string());
                                }
                            }
                            let audio = match whole || references.contains(&source) {
                                true => read_whole(store, id, &info.pages, info.channels, info.frames).await.map_err(|e| format!("Could not read the audio of {name}: {e}"))?,
                                false => Vec::new(),
                            };
                            // Written before detail records, its record holds the overview's detail:
                            // moved out once (kept whole here if that fails).
                            let overview = match !info.overview.has_detail() || store.move_detail(id, &info.overview).await.is_ok() {
                                true => info.overview.without_detail(),
                                false => info.overview,
                            };
                            Some(PreparedSource { source: source.clone(), audio, level: info.level, overview, pages: info.pages })
                        }
                        _ => None,
                    }
                }
            };
            match prepared {
                Some(p) => self.kept.update_value(|s| {
                    s.retain(|k| k.source != p.source);
                    s.push(p);
                }),
                None => {
                    missing += 1;
                    if let Source::Audio { id, .. } = source {
                        offline.insert(id.clone());
                    }
                }
            }
        }
        // Only now, with the new session's audio ready, the rest is let go.
        self.kept.update_value(|s| s.retain(|p| needed.iter().any(|n| *n.3 == p.source)));
        self.offline.set(offline);
        Ok((missing, not_updated))
    }
}

/// A stored source's samples (content id `id`, its records under `pages`), whole (one array per
/// channel).
async fn read_whole(store: &Store, id: &str, pages: &str, channels: usize, frames: usize) -> Result<TrackAudio, String> {
    let layout = store.audio(id).await.map_err(|e| e.to_string())?.map_or(LAYOUT, |info| info.layout);
    store.samples(pages, channels, frames, layout).await.map_err(|e| e.to_string())
}

impl Default for Sources {
    fn default() -> Self {
        Sources::new()
    }
}
