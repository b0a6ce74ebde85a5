//! The sources of the open session and its history: every source's audio, level and overview,
//! kept once however many tracks (or undo steps) use it — the demo's stems synthesized, imported
//! audio read from the store. Below the desk, above the store: the desk lays the sources out per
//! track and hands them to the engine; opening a session prepares them here, and their samples
//! stream in from storage chunk by chunk.

use std::collections::BTreeSet;

use gloo_timers::future::TimeoutFuture;
use js_sys::Float32Array;
use leptos::prelude::*;
use mixroom_session::{gated_rms_db, Session, Source};

use crate::audio::TrackAudio;
use crate::source::PreparedSource;
use crate::store::{Store, CHUNK_FRAMES};
use crate::waveform::Overview;

/// A source whose samples are still in storage.
pub struct Unread {
    pub id: String,
    pub frames: usize,
}

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
    /// Whether audio is still being read from storage (exports wait for it).
    pub reading: RwSignal<bool>,
    /// Bumped by every open: a stream of another session's audio stops.
    generation: StoredValue<u64>,
    /// Sources from storage whose samples are not all read yet (a stream cut short by opening
    /// another session resumes when a session using them opens).
    incomplete: StoredValue<BTreeSet<String>>,
    /// Imported audio the session (or its history) plays that this browser does not have: its
    /// tracks are *offline* — shown as such, playing silence — until relinked with a file.
    pub offline: RwSignal<BTreeSet<String>>,
}

impl Sources {
    pub fn new() -> Sources {
        Sources { kept: StoredValue::new_local(Vec::new()), reading: RwSignal::new(false), generation: StoredValue::new(0), incomplete: StoredValue::new(BTreeSet::new()), offline: RwSignal::new(BTreeSet::new()) }
    }

    /// A session is being opened: any stream of the previous one's audio stops. Returns the new
    /// opening's number.
    pub fn begin_open(self) -> u64 {
        self.generation.update_value(|g| *g += 1);
        self.reading.set(false);
        self.generation.get_value()
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

    /// The kept audio of `source` (one array per channel), if it is kept.
    pub fn audio_of(self, source: &Source) -> Option<TrackAudio> {
        self.kept.with_value(|s| s.iter().find(|p| p.source == *source).map(|p| p.audio.clone()))
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
    /// be found, and the sources from storage whose samples are still to be read.
    pub async fn prepare(self, states: &[&Session], store: Option<&Store>, progress: impl Fn(String)) -> Result<(usize, Vec<Unread>), String> {
        let mut unread = Vec::new();
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
        let (mut missing, count) = (0, needed.len());
        let mut offline = BTreeSet::new();
        for (n, &(session, track, name, source)) in needed.iter().enumerate() {
            if self.kept.with_value(|s| s.iter().any(|p| p.source == *source)) {
                // Kept, but perhaps not all read: the rest is read again.
                if let Source::Audio { id, frames, .. } = source {
                    if self.incomplete.with_value(|i| i.contains(id)) {
                        unread.push(Unread { id: id.clone(), frames: *frames as usize });
                    }
                }
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
                    })
                }
                Source::Audio { id, .. } => {
                    progress(format!("Reading {name} ({}/{count})", n + 1));
                    let info = match store {
                        Some(store) => store.audio(id).await.map_err(|e| format!("Could not read the audio of {name}: {e}"))?,
                        None => None,
                    };
                    // Stored audio of another shape than the session says is not this audio.
                    let info = info.filter(|info| matches!(source, Source::Audio { channels, frames, .. } if *channels as usize == info.channels && *frames as usize == info.frames));
                    // Silence of the right length for now: the samples stream in (`read_chunk`).
                    info.map(|info| {
                        self.incomplete.update_value(|i| {
                            i.insert(id.clone());
                        });
                        unread.push(Unread { id: id.clone(), frames: info.frames });
                        PreparedSource {
                            source: source.clone(),
                            audio: (0..info.channels).map(|_| Float32Array::new_with_length(info.frames as u32)).collect(),
                            level: info.level,
                            overview: info.overview,
                        }
                    })
                }
            };
            match prepared {
                Some(p) => self.kept.update_value(|s| s.push(p)),
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
        Ok((missing, unread))
    }

    /// Reads chunk `chunk` of every source in `unread` (those it has) into the kept audio, unless
    /// another session was opened meanwhile (`generation`). Returns what was read — each
    /// source's id, the frame the chunk starts at, its samples — for the engine.
    pub async fn read_chunk(self, store: &Store, unread: &[Unread], chunk: usize, generation: u64) -> Result<Vec<(String, usize, TrackAudio)>, String> {
        let mut read = Vec::new();
        for source in unread.iter().filter(|u| chunk * CHUNK_FRAMES < u.frames) {
            let Some(channels) = store.chunk(&source.id, chunk).await.map_err(|e| e.to_string())? else { continue };
            if self.generation.get_value() != generation {
                break;
            }
            let offset = chunk * CHUNK_FRAMES;
            let kept = self.kept.with_value(|s| s.iter().find(|p| p.audio_id() == Some(source.id.as_str())).map(|p| p.audio.clone()));
            let Some(kept) = kept else { continue };
            for (c, samples) in channels.iter().enumerate().take(kept.len()) {
                if offset + samples.length() as usize <= kept[c].length() as usize {
                    kept[c].set(samples, offset as u32);
                }
            }
            read.push((source.id.clone(), offset, channels));
        }
        Ok(read)
    }

    /// The chunks still to read after chunk `first` (read first, at the play position): the ones
    /// behind it, then the ones before.
    pub fn chunks_after(unread: &[Unread], first: usize) -> impl Iterator<Item = usize> {
        let chunks = unread.iter().map(|u| u.frames.div_ceil(CHUNK_FRAMES)).max().unwrap_or(0);
        (first + 1..chunks).chain(0..first.min(chunks))
    }

    /// Every sample of `unread` is in (unless another session was opened meanwhile).
    pub fn all_read(self, unread: &[Unread], generation: u64) -> bool {
        if self.generation.get_value() != generation {
            return false;
        }
        self.incomplete.update_value(|i| unread.iter().for_each(|u| {
            i.remove(&u.id);
        }));
        self.reading.set(false);
        true
    }
}

impl Default for Sources {
    fn default() -> Self {
        Sources::new()
    }
}
