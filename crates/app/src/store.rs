//! The browser's store (IndexedDB): every session the user has, and the audio they use.
//!
//! Four object stores in one database:
//! - `sessions`: session id → the stored document ([`mixroom_session::Stored`] as JSON);
//! - `catalog`: session id → what the session browser lists (name, last modified, size, the audio
//!   it uses), so that listing never reads a session;
//! - `audio`: content id (the samples' SHA-256) → the source's shape, level and overview (its
//!   levels from 1024 frames a pair up, [`KEPT_LEVELS`]: kept in memory while the session is open,
//!   so their size is what a track costs), stored once however many sessions (or undo steps) use
//!   it; and `pages`, the key its records are under, when that is not its content id (an import
//!   writes them before the id is known: see `mixroom_session::storage`);
//! - `chunks`: its samples, under that *pages key*, in the audio record's `layout`:
//!   - 3: "pages key/c<page, 7 digits>.<channel>" → one `Float32Array` of [`PAGE_FRAMES`] frames:
//!     one record is one channel of a page the engine streams (`www/stream-worker.js` reads them
//!     as playback goes). 32 KiB: Chromium keeps a value of 64 KiB or more as a file of its own,
//!     and reading those was measured 2–4 times slower (docs/BENCHMARKS.md);
//!   - 2 (the first streaming layout): "content id/p<page, 7 digits>" → an array per channel of
//!     2^14 frames;
//!   - 1 (before streaming): "content id/<chunk, 6 digits>" → an array per channel of 2^18 frames.
//!
//!   Opening a session updates its audio from an older layout ([`Store::update_layout`]), the old
//!   records deleted only once the new ones are all written;
//!
//!   and the overview's detail (64 frames a pair), read only for the part the timeline shows:
//!   "pages key/o<n, 6 digits>" → the pairs of [`DETAIL_FRAMES`] frames (32 KiB). Audio records
//!   written before held the detail themselves; opening moves it out ([`Store::move_detail`]);
//!   and beside a streamed import's records, "pages key/id" → the content id they are the samples
//!   of, written with its audio record (records no audio record names, directly or so, are
//!   deleted at start: an import never saved);
//! - `settings`: small values, such as the session open last.
//!
//! A save writes the session, its catalog entry and the records of any audio not yet stored in
//! **one** transaction: a closed tab or a full disk leaves the previous save whole. The new audio's
//! pages are written just before it, in transactions of their own (Chromium aborts a transaction
//! of a gigabyte or so as if the disk were full): pages no record names are deleted when the app
//! next starts. Audio no session uses
//! any more is deleted with the session that last used it.
//!
//! The streaming reader keeps copies of the pages it streams, *page mirrors*, in the Origin Private
//! File System (`www/page-mirror.js`: read faster than IndexedDB), which it makes and sweeps
//! itself; this store stays the audio's record and knows of them only that a save meeting a full
//! disk deletes them and tries again ([`drop_page_mirrors`]).

use std::collections::BTreeSet;
use std::fmt;

use idb::{Database, ObjectStore, TransactionMode};
use js_sys::{Array, Float32Array, Object, Reflect};
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::FileSystemDirectoryHandle;

use crate::audio::TrackAudio;
use crate::source::PreparedSource;
use crate::waveform::{Overview, LEVELS};

const DATABASE: &str = "mixroom";
/// The database's schema version (IndexedDB's own versioning: object stores, not documents).
const SCHEMA: u32 = 1;
const SESSIONS: &str = "sessions";
const CATALOG: &str = "catalog";
const AUDIO: &str = "audio";
const CHUNKS: &str = "chunks";
const SETTINGS: &str = "settings";
const LAST_OPEN: &str = "last-open";

/// What the session browser shows of a stored session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    pub name: String,
    /// Last saved, ms since 1970 (`Date.now()`).
    pub modified: f64,
    /// The stored document plus the audio it uses, bytes.
    pub bytes: f64,
    /// Content ids of the audio the session and its undo history use.
    pub audio: Vec<String>,
    /// The built-in demo (which can be reset to how it ships).
    #[serde(default)]
    pub demo: bool,
}

/// What is stored about a source besides its samples: its shape, gated RMS level and overview —
/// everything the desk needs to show a track and start the engine before the samples are read.
#[derive(Clone)]
pub struct AudioInfo {
    pub channels: usize,
    pub frames: usize,
    /// How its samples are stored (see the module's notes).
    pub layout: u32,
    pub level: f64,
    pub overview: Overview,
    /// The key its records are under: its content id, or the key a streamed import wrote them
    /// under (the record's `pages`).
    pub pages: String,
}

pub use mixroom_session::storage::{DETAIL_FRAMES, DETAIL_LEVEL, KEPT_LEVELS, PAGE_FRAMES};
use mixroom_session::storage::{detail_key, owner_key, page_key};

/// Records (one channel of a page each) a transaction writes at most when audio is saved: 128 MB.
/// Chromium refused a transaction of 600 MB of pages ("Failed to write blobs") and took 250 MB
/// ones, on disk.
const RECORDS_PER_WRITE: usize = 4096;
/// The layout audio is stored in now (see the module's notes).
pub const LAYOUT: u32 = 3;
/// Frames per record in the older layouts: 1, 2.
const OLD_RECORD_FRAMES: [usize; 2] = [1 << 18, 1 << 14];

/// The overview of a source of `frames` frames from the levels its audio record holds: from
/// [`KEPT_LEVELS`] (the detail in records of its own), or — written before detail records — from
/// 64 frames a pair. An overview of other resolutions than this build's is drawn empty rather
/// than wrong.
pub fn overview_from_kept(frames: usize, levels: Vec<Vec<(f32, f32)>>) -> Overview {
    let missing = LEVELS.len() - levels.len().min(LEVELS.len());
    let levels = match missing {
        1 | KEPT_LEVELS => std::iter::repeat_n(Vec::new(), missing).chain(levels).collect(),
        _ => vec![Vec::new(); LEVELS.len()],
    };
    Overview { frames, levels: levels.into() }
}

/// Deletes the streaming reader's page mirrors (`www/page-mirror.js`: copies, in the Origin
/// Private File System, of stored audio's pages, read faster than IndexedDB) that can be — those
/// being read or made are left — to make room for the user's own audio when storage is full.
/// Returns how many were deleted.
pub async fn drop_page_mirrors() -> usize {
    let Some(window) = web_sys::window() else { return 0 };
    let storage = window.navigator().storage();
    if !Reflect::has(&storage, &"getDirectory".into()).unwrap_or(false) {
        return 0; // no OPFS in this browser: no mirrors
    }
    // The workers reading them give them up first, closing their handles (an open file cannot be
    // deleted): as `dropMirrors` in `www/page-mirror.js`, whose channel and wait these are.
    if let Ok(channel) = web_sys::BroadcastChannel::new(PAGE_MIRRORS_CHANNEL) {
        let _ = channel.post_message(&"drop".into());
        channel.close();
        gloo_timers::future::TimeoutFuture::new(PAGE_MIRRORS_DROP_WAIT_MS).await;
    }
    let Ok(root) = JsFuture::from(storage.get_directory()).await else { return 0 };
    let root: FileSystemDirectoryHandle = root.unchecked_into();
    let Ok(folder) = JsFuture::from(root.get_directory_handle(PAGE_MIRRORS)).await else { return 0 };
    let folder: FileSystemDirectoryHandle = folder.unchecked_into();
    let mut names = Vec::new();
    let entries = folder.keys();
    while let Ok(next) = entries.next() {
        let Ok(next) = JsFuture::from(next).await else { break };
        if Reflect::get(&next, &"done".into()).ok().and_then(|d| d.as_bool()) != Some(false) {
            break;
        }
        names.extend(Reflect::get(&next, &"value".into()).ok().and_then(|v| v.as_string()));
    }
    let mut dropped = 0;
    for name in names {
        if JsFuture::from(folder.remove_entry(&name)).await.is_ok() {
            dropped += 1;
        }
    }
    dropped
}

/// The page mirrors' folder in the Origin Private File System, the channel on which the workers
/// reading them are told to give them up, and how long they are given (`www/page-mirror.js`).
const PAGE_MIRRORS: &str = "pages";
const PAGE_MIRRORS_CHANNEL: &str = "mixroom-page-mirrors";
const PAGE_MIRRORS_DROP_WAIT_MS: u32 = 200;

/// How long an import's records are left alone by the start-up sweep while no record names them:
/// a day (another tab may be importing, or have the import waiting for its save).
const IMPORT_GRACE_MS: f64 = 24.0 * 3600.0 * 1000.0;

/// A key for a new import's records, begun at `now` (ms since 1970), unlike any other's: its
/// tracks' records go under "key.<track>" (see `www/import-worker.js`).
pub fn new_import_key(now: f64) -> String {
    format!("import-{}-{}", now as u64, (js_sys::Math::random() * 1e12) as u64)
}

/// Whether the records under `pages` are an import's begun less than [`IMPORT_GRACE_MS`] before
/// `now`.
fn import_may_be_running(pages: &str, now: f64) -> bool {
    let begun = pages.strip_prefix("import-").and_then(|rest| rest.split('-').next()).and_then(|t| t.parse::<f64>().ok());
    begun.is_some_and(|t| now - t < IMPORT_GRACE_MS)
}

/// Whether `key` can be a pages key: what a record says is read as untrusted (a key with a "/"
/// would reach into another source's records).
fn is_pages_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= 128 && !key.contains('/') && !key.contains('~')
}

/// The range of every record under pages key `pages`.
fn under(pages: &str) -> Result<idb::KeyRange, StoreError> {
    idb::KeyRange::bound(&format!("{pages}/").into(), &format!("{pages}/~").into(), None, None).map_err(failed)
}

/// The key of record `n` in an older layout (1 or 2).
fn old_key(id: &str, layout: u32, n: usize) -> String {
    if layout == 1 { format!("{id}/{n:06}") } else { format!("{id}/p{n:07}") }
}

/// The keys of one source's records in a layout: layout 1's digits, then layout 3's "c", then
/// layout 2's "p".
fn layout_range(id: &str, layout: u32) -> Result<idb::KeyRange, StoreError> {
    let (from, to) = match layout {
        1 => (format!("{id}/0"), format!("{id}/:")),
        2 => (format!("{id}/p"), format!("{id}/q")),
        _ => (format!("{id}/c"), format!("{id}/d")),
    };
    idb::KeyRange::bound(&from.into(), &to.into(), None, None).map_err(failed)
}

/// Why the store could not do something.
#[derive(Clone, Debug, PartialEq)]
pub enum StoreError {
    /// The browser refused to store more for this site.
    Full,
    /// The browser has no IndexedDB here (some private modes) or refused to open it.
    Unavailable(String),
    /// A stored record is not what Mixroom wrote (kept as it is).
    Damaged(String),
    /// Anything else, with the browser's words.
    Failed(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Full => write!(f, "the browser's storage for this site is full"),
            StoreError::Unavailable(why) => write!(f, "this browser does not let Mixroom store sessions here ({why})"),
            StoreError::Damaged(what) => write!(f, "{what} in this browser's storage is damaged"),
            StoreError::Failed(why) => write!(f, "the browser's storage failed ({why})"),
        }
    }
}

fn failed(e: impl fmt::Display) -> StoreError {
    StoreError::Failed(e.to_string())
}

/// The open database.
#[derive(Clone)]
pub struct Store {
    db: std::rc::Rc<Database>,
}

impl Store {
    /// Opens (creating on first use) the database.
    pub async fn open() -> Result<Store, StoreError> {
        let db = Database::builder(DATABASE)
            .version(SCHEMA)
            .add_object_store(ObjectStore::builder(SESSIONS))
            .add_object_store(ObjectStore::builder(CATALOG))
            .add_object_store(ObjectStore::builder(AUDIO))
            .add_object_store(ObjectStore::builder(CHUNKS))
            .add_object_store(ObjectStore::builder(SETTINGS))
            .build()
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(Store { db: std::rc::Rc::new(db) })
    }

    fn store(&self, name: &str, mode: TransactionMode) -> Result<ObjectStore, StoreError> {
        self.db.transaction(&[name], mode).and_then(|t| t.object_store(name)).map_err(failed)
    }

    async fn get(&self, store: &str, key: &str) -> Result<Option<JsValue>, StoreError> {
        self.store(store, TransactionMode::ReadOnly)?.get(JsValue::from_str(key)).map_err(failed)?.await.map_err(failed)
    }

    /// Every stored session, most recently modified first.
    pub async fn list(&self) -> Result<Vec<Entry>, StoreError> {
        let values = self.store(CATALOG, TransactionMode::ReadOnly)?.get_all(None, None).map_err(failed)?.await.map_err(failed)?;
        let mut entries: Vec<Entry> = values.into_iter().filter_map(|v| serde_wasm_bindgen::from_value(v).ok()).collect();
        entries.sort_by(|a, b| b.modified.total_cmp(&a.modified));
        Ok(entries)
    }

    /// A session's stored document; a record that is not a document at all is an error (and stays
    /// as it is), not an absent session.
    pub async fn document(&self, id: &str) -> Result<Option<String>, StoreError> {
        match self.get(SESSIONS, id).await? {
            None => Ok(None),
            Some(v) => v.as_string().map(Some).ok_or_else(|| StoreError::Damaged("its record".into())),
        }
    }

    /// The session open when the app was last used (written with each save).
    pub async fn last_open(&self) -> Option<String> {
        self.setting(LAST_OPEN).await
    }

    /// A small setting (none when absent or unreadable).
    pub async fn setting(&self, key: &str) -> Option<String> {
        self.get(SETTINGS, key).await.ok().flatten().and_then(|v| v.as_string())
    }

    /// Sets (or with `None` removes) a small setting.
    pub async fn set_setting(&self, key: &str, value: Option<&str>) -> Result<(), StoreError> {
        let store = self.store(SETTINGS, TransactionMode::ReadWrite)?;
        match value {
            Some(v) => store.put(&JsValue::from_str(v), Some(&JsValue::from_str(key))).map_err(failed)?.await.map(|_| ()).map_err(failed),
            None => store.delete(JsValue::from_str(key)).map_err(failed)?.await.map_err(failed),
        }
    }

    /// The content ids of all stored audio.
    pub async fn audio_ids(&self) -> Result<BTreeSet<String>, StoreError> {
        let keys = self.store(AUDIO, TransactionMode::ReadOnly)?.get_all_keys(None, None).map_err(failed)?.await.map_err(failed)?;
        Ok(keys.into_iter().filter_map(|k| k.as_string()).collect())
    }

    /// What is stored about a source (not its samples: see [`Store::chunk`]).
    pub async fn audio(&self, id: &str) -> Result<Option<AudioInfo>, StoreError> {
        Ok(self.audios(&[id]).await?.pop().flatten())
    }

    /// What is stored about each of `ids`, in order, read in one transaction: a session of 64
    /// tracks opens with one round trip to storage, not 64 one after another.
    pub async fn audios(&self, ids: &[&str]) -> Result<Vec<Option<AudioInfo>>, StoreError> {
        let store = self.store(AUDIO, TransactionMode::ReadOnly)?;
        // Every request is made before the first is awaited: the transaction stays open for them.
        let requests = ids.iter().map(|id| store.get(JsValue::from_str(id)).map(std::future::IntoFuture::into_future).map_err(failed)).collect::<Result<Vec<_>, _>>()?;
        let records = futures::future::join_all(requests).await;
        ids.iter()
            .zip(records)
            .map(|(id, record)| match record.map_err(failed)? {
                Some(record) => audio_info(id, &record).map(Some),
                None => Ok(None),
            })
            .collect()
    }

    /// A source's samples, whole (one array per channel), from its records in `layout` under `id`
    /// (its pages key): read in one request, in key order.
    pub async fn samples(&self, id: &str, channels: usize, frames: usize, layout: u32) -> Result<TrackAudio, StoreError> {
        let records = self.store(CHUNKS, TransactionMode::ReadOnly)?.get_all(Some(idb::Query::KeyRange(layout_range(id, layout)?)), None).map_err(failed)?.await.map_err(failed)?;
        let damaged = || StoreError::Damaged(format!("the stored audio {id}"));
        let incomplete = || StoreError::Damaged(format!("some of the stored audio {id} (it is incomplete)"));
        let audio: TrackAudio = (0..channels).map(|_| Float32Array::new_with_length(frames as u32)).collect();
        if layout >= 3 {
            // Page by page, each page's channels in turn (the keys' order): every one there, and
            // each page whole but the last.
            if records.len() != frames.div_ceil(PAGE_FRAMES) * channels {
                return Err(incomplete());
            }
            for (i, record) in records.into_iter().enumerate() {
                let (page, c) = (i / channels, i % channels);
                let samples = record.dyn_into::<Float32Array>().map_err(|_| damaged())?;
                if samples.length() as usize != PAGE_FRAMES.min(frames - page * PAGE_FRAMES) {
                    return Err(damaged());
                }
                audio[c].set(&samples, (page * PAGE_FRAMES) as u32);
            }
            return Ok(audio);
        }
        let mut at = 0usize;
        for record in records {
            let record = record.dyn_into::<Array>().map_err(|_| damaged())?;
            let mut len = 0;
            for (c, samples) in record.iter().enumerate().take(channels) {
                let samples = samples.dyn_into::<Float32Array>().map_err(|_| damaged())?;
                len = samples.length() as usize;
                if at + len > frames {
                    return Err(damaged());
                }
                audio[c].set(&samples, at as u32);
            }
            at += len;
        }
        if at != frames {
            return Err(incomplete());
        }
        Ok(audio)
    }

    /// One page of a source's samples in layout 3 (one array per channel stored; none if not
    /// stored so), its channels read in one request. `id`: its pages key.
    pub async fn page(&self, id: &str, page: usize) -> Result<Option<TrackAudio>, StoreError> {
        let (from, to) = (format!("{id}/c{page:07}."), format!("{id}/c{page:07}/"));
        let range = idb::KeyRange::bound(&from.into(), &to.into(), None, None).map_err(failed)?;
        let records = self.store(CHUNKS, TransactionMode::ReadOnly)?.get_all(Some(idb::Query::KeyRange(range)), None).map_err(failed)?.await.map_err(failed)?;
        if records.is_empty() {
            return Ok(None);
        }
        let damaged = || StoreError::Damaged(format!("a stored page of {id}"));
        records.into_iter().map(|c| c.dyn_into::<Float32Array>().map_err(|_| damaged())).collect::<Result<TrackAudio, _>>().map(Some)
    }

    /// Overview detail record `n` of a source (`id`: its pages key): the (min, max) pairs of
    /// [`DETAIL_FRAMES`] frames from `n × DETAIL_FRAMES`, 64 frames a pair (none if not stored).
    pub async fn detail(&self, id: &str, n: usize) -> Result<Option<Vec<(f32, f32)>>, StoreError> {
        let Some(value) = self.get(CHUNKS, &detail_key(id, n)).await? else { return Ok(None) };
        let stored = value.dyn_into::<Float32Array>().map_err(|_| StoreError::Damaged(format!("the overview of {id}")))?;
        Ok(Some(pairs(&stored)))
    }

    /// Moves an overview's detail out of a source's audio record written before detail records
    /// were (it held every level but the finest): the detail records and the record without it,
    /// in one transaction.
    pub async fn move_detail(&self, id: &str, overview: &Overview) -> Result<(), StoreError> {
        let record = self.get(AUDIO, id).await?.ok_or_else(|| StoreError::Damaged(format!("the stored audio {id}")))?;
        let levels: Array = overview.levels.iter().skip(KEPT_LEVELS).map(|l| Float32Array::from(flatten(l).as_slice())).collect();
        let _ = Reflect::set(&record, &"overview".into(), &levels);
        let tx = self.db.transaction(&[AUDIO, CHUNKS], TransactionMode::ReadWrite).map_err(failed)?;
        let written = put_detail(&tx, id, overview).and_then(|_| put(&tx, AUDIO, &record, id));
        finish(tx, written).await
    }

    /// Updates a source stored in an older `layout` (1 or 2) to layout 3: its records read 2^18
    /// frames at a time and written again as pages, then — only once every page is written — the
    /// record marked and the old records deleted, in one transaction. A tab closed or a disk full
    /// on the way leaves the old layout whole (the pages written so far are written again next
    /// time). `progress` hears the share done.
    pub async fn update_layout(&self, id: &str, frames: usize, layout: u32, progress: impl Fn(f64)) -> Result<(), StoreError> {
        let size = OLD_RECORD_FRAMES[if layout == 1 { 0 } else { 1 }];
        let (records, per_read) = (frames.div_ceil(size), OLD_RECORD_FRAMES[0] / size);
        let reads = records.div_ceil(per_read);
        let damaged = || StoreError::Damaged(format!("the stored audio {id}"));
        for read in 0..reads {
            progress(read as f64 / reads as f64);
            let first = read * per_read;
            let last = (first + per_read).min(records) - 1;
            let range = idb::KeyRange::bound(&old_key(id, layout, first).into(), &old_key(id, layout, last).into(), None, None).map_err(failed)?;
            let values = self.store(CHUNKS, TransactionMode::ReadOnly)?.get_all(Some(idb::Query::KeyRange(range)), None).map_err(failed)?.await.map_err(failed)?;
            if values.len() != last + 1 - first {
                return Err(damaged());
            }
            let tx = self.db.transaction(&[CHUNKS], TransactionMode::ReadWrite).map_err(failed)?;
            let written = (|| {
                for (n, value) in (first..).zip(values) {
                    let channels: Vec<Float32Array> = value.dyn_into::<Array>().map_err(|_| damaged())?.iter().map(|c| c.dyn_into::<Float32Array>().map_err(|_| damaged())).collect::<Result<_, _>>()?;
                    for (c, samples) in channels.iter().enumerate() {
                        let len = samples.length() as usize;
                        for from in (0..len).step_by(PAGE_FRAMES) {
                            let page = samples.slice(from as u32, (from + PAGE_FRAMES).min(len) as u32);
                            put(&tx, CHUNKS, &page, &page_key(id, (n * size + from) / PAGE_FRAMES, c))?;
                        }
                    }
                }
                Ok(())
            })();
            finish(tx, written).await?;
        }
        let record = self.get(AUDIO, id).await?.ok_or_else(damaged)?;
        let _ = Reflect::set(&record, &"layout".into(), &LAYOUT.into());
        let tx = self.db.transaction(&[AUDIO, CHUNKS], TransactionMode::ReadWrite).map_err(failed)?;
        let written = (|| {
            put(&tx, AUDIO, &record, id)?;
            // Both older layouts: an update from layout 1 to 2 that stopped half-way left pages.
            for old in [1, 2] {
                tx.object_store(CHUNKS).map_err(failed)?.delete(layout_range(id, old)?).map_err(failed)?;
            }
            Ok(())
        })();
        finish(tx, written).await?;
        progress(1.0);
        Ok(())
    }

    /// Saves a session: its document, its catalog entry, the last-open setting and the audio in
    /// `audio` not stored yet, all in one transaction when the new audio is at most
    /// [`RECORDS_PER_WRITE`] records. More than that (a long import), its pages are written first, in
    /// transactions of at most that many (Chromium aborts a transaction of a gigabyte or more as if
    /// the disk were full), and its audio records — which say the pages are whole — go in the
    /// session's own transaction, all or nothing. A save that fails then leaves pages no record
    /// names; [`Store::collect_unnamed_pages`] deletes them.
    ///
    /// Storage full: the streaming reader's page mirrors — copies of stored audio, see
    /// [`drop_page_mirrors`] — are deleted to make room, and the save is tried once more.
    pub async fn save(&self, entry: &Entry, document: &str, audio: &[PreparedSource]) -> Result<(), StoreError> {
        match self.save_once(entry, document, audio).await {
            Err(StoreError::Full) if drop_page_mirrors().await > 0 => self.save_once(entry, document, audio).await,
            saved => saved,
        }
    }

    async fn save_once(&self, entry: &Entry, document: &str, audio: &[PreparedSource]) -> Result<(), StoreError> {
        // (A source whose samples are in storage only is stored already: never rewritten — but a
        // streamed import's, its pages written by its import, gets its audio record.)
        let new: Vec<(&str, &PreparedSource)> = audio.iter().filter(|a| !a.in_storage_only() || a.audio_id() != Some(&a.pages)).filter_map(|a| a.audio_id().map(|id| (id, a))).collect();
        let records_of = |a: &PreparedSource| a.audio.first().map_or(0, |c| (c.length() as usize).div_ceil(PAGE_FRAMES)) * a.audio.len();
        // Audio that fits goes in the session's own transaction: a save made as the tab closes
        // lands whole, its transaction committed at once.
        if new.iter().map(|&(_, a)| records_of(a)).sum::<usize>() <= RECORDS_PER_WRITE {
            return self.save_at_once(entry, document, &new).await;
        }
        for &(_, a) in &new {
            let frames = a.audio.first().map_or(0, |c| c.length() as usize);
            let pages: Vec<usize> = (0..frames.div_ceil(PAGE_FRAMES)).collect();
            for part in pages.chunks(RECORDS_PER_WRITE / a.audio.len().max(1)) {
                let tx = self.db.transaction(&[CHUNKS], TransactionMode::ReadWrite).map_err(failed)?;
                let written = (|| {
                    for &page in part {
                        put_page(&tx, a, page)?;
                    }
                    Ok(())
                })();
                finish(tx, written).await?;
            }
        }
        // A save without new audio leaves the samples' store out of its scope: the streaming
        // reader's reads never wait for it (with new audio, for its overview's detail).
        let stores: &[&str] = if new.is_empty() { &[SESSIONS, CATALOG, SETTINGS] } else { &[SESSIONS, CATALOG, AUDIO, CHUNKS, SETTINGS] };
        let tx = self.db.transaction(stores, TransactionMode::ReadWrite).map_err(failed)?;
        let written = (|| {
            for &(id, a) in &new {
                put_audio(&tx, id, a)?;
            }
            put_session(&tx, entry, document)?;
            put(&tx, SETTINGS, &JsValue::from_str(&entry.id), LAST_OPEN)
        })();
        finish(tx, written).await
    }

    /// [`Store::save`] in one transaction: the session and all its new audio.
    async fn save_at_once(&self, entry: &Entry, document: &str, new: &[(&str, &PreparedSource)]) -> Result<(), StoreError> {
        let stores: &[&str] = if new.is_empty() { &[SESSIONS, CATALOG, SETTINGS] } else { &[SESSIONS, CATALOG, AUDIO, CHUNKS, SETTINGS] };
        let tx = self.db.transaction(stores, TransactionMode::ReadWrite).map_err(failed)?;
        let written = (|| {
            for &(id, a) in new {
                put_audio(&tx, id, a)?;
                let frames = a.audio.first().map_or(0, |c| c.length() as usize);
                for page in 0..frames.div_ceil(PAGE_FRAMES) {
                    put_page(&tx, a, page)?;
                }
            }
            put_session(&tx, entry, document)?;
            put(&tx, SETTINGS, &JsValue::from_str(&entry.id), LAST_OPEN)
        })();
        finish(tx, written).await
    }

    /// Deletes the pages of audio no record names: what a save that failed (a full disk, a tab
    /// closed) had written before its session's transaction, and imports never saved — but not an
    /// import begun in the last day ([`import_may_be_running`]): another tab may be importing it,
    /// or have it waiting for its save. Run when the app starts, before anything is saved.
    pub async fn collect_unnamed_pages(&self) -> Result<(), StoreError> {
        let named = self.audio_ids().await?;
        let now = js_sys::Date::now();

        // One key per source, skipping past the rest of its records ("id/…" sort before "id/~"):
        // listing every key (a long session has hundreds of thousands) held the streaming reader's
        // reads back for seconds.
        let mut unnamed = BTreeSet::new();
        let mut after: Option<String> = None;
        loop {
            let query = match &after {
                Some(key) => Some(idb::Query::KeyRange(idb::KeyRange::lower_bound(&key.into(), Some(true)).map_err(failed)?)),
                None => None,
            };
            let keys = self.store(CHUNKS, TransactionMode::ReadOnly)?.get_all_keys(query, Some(1)).map_err(failed)?.await.map_err(failed)?;
            let Some(key) = keys.first().and_then(|k| k.as_string()) else { break };
            after = Some(match key.split_once('/') {
                Some((id, _)) => {
                    // A streamed import's records are named through the record beside them that
                    // says whose they are (written with the audio record, in one transaction).
                    let owner = || async { self.get(CHUNKS, &owner_key(id)).await.ok().flatten().and_then(|v| v.as_string()) };
                    if !named.contains(id) && !import_may_be_running(id, now) && !owner().await.is_some_and(|o| named.contains(&o)) {
                        unnamed.insert(id.to_owned());
                    }
                    format!("{id}/~")
                }
                None => key,
            });
        }
        if unnamed.is_empty() {
            return Ok(());
        }
        let tx = self.db.transaction(&[CHUNKS], TransactionMode::ReadWrite).map_err(failed)?;
        let written = (|| {
            let chunks = tx.object_store(CHUNKS).map_err(failed)?;
            for id in &unnamed {
                chunks.delete(under(id)?).map_err(failed)?;
            }
            Ok(())
        })();
        finish(tx, written).await
    }

    /// Deletes a session, and the audio no other session uses.
    pub async fn delete(&self, id: &str) -> Result<(), StoreError> {
        // Audio is collected only when every other session's entry reads: one that does not might
        // use any of it.
        let values = self.store(CATALOG, TransactionMode::ReadOnly)?.get_all(None, None).map_err(failed)?.await.map_err(failed)?;
        let entries: Option<Vec<Entry>> = values.into_iter().map(|v| serde_wasm_bindgen::from_value(v).ok()).collect();
        let unused: Vec<String> = match entries {
            Some(entries) => {
                let others: BTreeSet<String> = entries.into_iter().filter(|e| e.id != id).flat_map(|e| e.audio).collect();
                self.audio_ids().await?.into_iter().filter(|a| !others.contains(a)).collect()
            }
            None => Vec::new(),
        };
        // With the key each one's records are under.
        let mut unused_pages = Vec::new();
        for a in unused {
            let pages = self.audio(&a).await.ok().flatten().map_or_else(|| a.clone(), |info| info.pages);
            unused_pages.push((a, pages));
        }
        let unused = unused_pages;
        let tx = self.db.transaction(&[SESSIONS, CATALOG, AUDIO, CHUNKS], TransactionMode::ReadWrite).map_err(failed)?;
        let written = (|| {
            let key = JsValue::from_str(id);
            tx.object_store(SESSIONS).map_err(failed)?.delete(key.clone()).map_err(failed)?;
            tx.object_store(CATALOG).map_err(failed)?.delete(key).map_err(failed)?;
            let (audio, chunks) = (tx.object_store(AUDIO).map_err(failed)?, tx.object_store(CHUNKS).map_err(failed)?);
            for (a, pages) in &unused {
                audio.delete(JsValue::from_str(a)).map_err(failed)?;
                // Every record of its samples, in any layout: the keys "id/…" (or "pages key/…").
                chunks.delete(under(a)?).map_err(failed)?;
                if pages != a {
                    chunks.delete(under(pages)?).map_err(failed)?;
                }
            }
            Ok(())
        })();
        finish(tx, written).await
    }

    /// Deletes every record of the streamed import keyed `key` (its tracks' records are under
    /// "`key`.<track>", or normalised "`key`n.<track>"): an import cancelled.
    pub async fn delete_import(&self, key: &str) -> Result<(), StoreError> {
        if !is_pages_key(key) {
            return Ok(());
        }
        let range = idb::KeyRange::bound(&format!("{key}.").into(), &format!("{key}~").into(), None, None).map_err(failed)?;
        let tx = self.db.transaction(&[CHUNKS], TransactionMode::ReadWrite).map_err(failed)?;
        let written = tx.object_store(CHUNKS).map_err(failed).and_then(|c| c.delete(range).map(|_| ()).map_err(failed));
        finish(tx, written).await
    }

    /// Deletes every record under pages key `pages`: a streamed import's track whose audio turned
    /// out to be stored already.
    pub async fn delete_pages(&self, pages: &str) -> Result<(), StoreError> {
        if !is_pages_key(pages) {
            return Ok(());
        }
        let tx = self.db.transaction(&[CHUNKS], TransactionMode::ReadWrite).map_err(failed)?;
        let written = tx.object_store(CHUNKS).map_err(failed).and_then(|c| c.delete(under(pages)?).map(|_| ()).map_err(failed));
        finish(tx, written).await
    }

    /// Writes a document and entry as they are (a duplicate, a rename of a closed session).
    pub async fn put_session(&self, entry: &Entry, document: &str) -> Result<(), StoreError> {
        let tx = self.db.transaction(&[SESSIONS, CATALOG], TransactionMode::ReadWrite).map_err(failed)?;
        let written = put_session(&tx, entry, document);
        finish(tx, written).await
    }
}

/// Puts `value` under `key` in one of a transaction's object stores.
fn put(tx: &idb::Transaction, store: &str, value: &JsValue, key: &str) -> Result<(), StoreError> {
    tx.object_store(store).map_err(failed)?.put(value, Some(&JsValue::from_str(key))).map_err(put_error)?;
    Ok(())
}

/// An overview level's pairs from one array (min, max, min, max, …), as stored.
fn pairs(stored: &Float32Array) -> Vec<(f32, f32)> {
    stored.to_vec().chunks_exact(2).map(|p| (p[0], p[1])).collect()
}

/// An overview level's pairs as one array (min, max, min, max, …).
fn flatten(level: &[(f32, f32)]) -> Vec<f32> {
    level.iter().flat_map(|&(lo, hi)| [lo, hi]).collect()
}

/// Puts a source's audio record, and what goes with it: its overview's detail, if held (a
/// streamed import's is stored already), and — its records under a key of their own — the record
/// that says whose they are.
fn put_audio(tx: &idb::Transaction, id: &str, a: &PreparedSource) -> Result<(), StoreError> {
    put(tx, AUDIO, &audio_record(a), id)?;
    put_detail(tx, &a.pages, &a.overview)?;
    if a.pages != id {
        put(tx, CHUNKS, &JsValue::from_str(id), &owner_key(&a.pages))?;
    }
    Ok(())
}

/// Puts an overview's detail level in records of [`DETAIL_FRAMES`] frames each (nothing when the
/// overview does not hold it).
fn put_detail(tx: &idb::Transaction, id: &str, overview: &Overview) -> Result<(), StoreError> {
    let pairs = DETAIL_FRAMES / LEVELS[DETAIL_LEVEL];
    for (n, part) in overview.levels.get(DETAIL_LEVEL).map_or(&[][..], |l| l.as_slice()).chunks(pairs).enumerate() {
        put(tx, CHUNKS, &Float32Array::from(flatten(part).as_slice()), &detail_key(id, n))?;
    }
    Ok(())
}

/// Puts one page of a source's samples, a record per channel (layout 3).
fn put_page(tx: &idb::Transaction, a: &PreparedSource, page: usize) -> Result<(), StoreError> {
    for (c, samples) in a.audio.iter().enumerate() {
        let (from, to) = (page * PAGE_FRAMES, ((page + 1) * PAGE_FRAMES).min(samples.length() as usize));
        // `slice` copies the page alone (a subarray would clone the whole buffer).
        put(tx, CHUNKS, &samples.slice(from as u32, to as u32), &page_key(&a.pages, page, c))?;
    }
    Ok(())
}

/// Puts a session's document and its catalog entry (the two always go together).
fn put_session(tx: &idb::Transaction, entry: &Entry, document: &str) -> Result<(), StoreError> {
    put(tx, SESSIONS, &JsValue::from_str(document), &entry.id)?;
    put(tx, CATALOG, &serde_wasm_bindgen::to_value(entry).map_err(failed)?, &entry.id)
}

/// Waits for a transaction to end: committed, or aborted (by us when a request could not even be
/// made, or by the browser — a full disk aborts it with `QuotaExceededError`).
async fn finish(tx: idb::Transaction, written: Result<(), StoreError>) -> Result<(), StoreError> {
    let raw: web_sys::IdbTransaction = tx.into();
    if let Err(e) = written {
        let _ = raw.abort();
        return Err(e);
    }
    // Every write is made: commit now, without waiting for this page to hear back — so that a save
    // started as the tab closes or reloads lands. (`commit()` is standard and in every current
    // browser; web-sys marks it deprecated only because its WebIDL came from an older draft.)
    #[allow(deprecated)]
    let _ = raw.commit();
    if settle(&raw).await {
        return Ok(());
    }
    Err(match raw.error().map(|e| (e.name(), e.message())) {
        Some((name, _)) if name == "QuotaExceededError" => StoreError::Full,
        Some((name, message)) => StoreError::Failed(format!("{name}: {message}")),
        None => failed("the save was aborted"),
    })
}

/// Whether a transaction committed (`complete`) or not (`abort`). A failed request's `error` event
/// is always followed by `abort`, so only these two end the wait; the handlers are removed before
/// they are dropped (a later event must not reach a dropped closure).
async fn settle(raw: &web_sys::IdbTransaction) -> bool {
    use std::cell::RefCell;
    use std::rc::Rc;
    use wasm_bindgen::closure::Closure;
    let (sender, receiver) = futures::channel::oneshot::channel::<bool>();
    let sender = Rc::new(RefCell::new(Some(sender)));
    let ending = |committed: bool| {
        let sender = sender.clone();
        Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            if let Some(s) = sender.borrow_mut().take() {
                let _ = s.send(committed);
            }
        })
    };
    let (on_complete, on_abort) = (ending(true), ending(false));
    raw.set_oncomplete(Some(on_complete.as_ref().unchecked_ref()));
    raw.set_onabort(Some(on_abort.as_ref().unchecked_ref()));
    let committed = receiver.await.unwrap_or(false);
    raw.set_oncomplete(None);
    raw.set_onabort(None);
    committed
}

fn put_error(e: idb::Error) -> StoreError {
    let full = matches!(&e, idb::Error::UpdateFailed(v) | idb::Error::AddFailed(v) if v.dyn_ref::<web_sys::DomException>().is_some_and(|d| d.name() == "QuotaExceededError"));
    if full { StoreError::Full } else { failed(e) }
}

/// An audio record: `{ channels, frames, layout, level, overview: [Float32Array (min, max pairs)
/// per level from KEPT_LEVELS], pages? }` (`pages`: the key its records are under, when it is not
/// the content id).
fn audio_record(a: &PreparedSource) -> JsValue {
    let record = Object::new();
    let (channels, frames) = match &a.source {
        mixroom_session::Source::Audio { channels, frames, .. } => (*channels as u32, *frames as f64),
        mixroom_session::Source::DemoStem { .. } => (a.audio.len() as u32, a.audio.first().map_or(0.0, |c| c.length() as f64)),
    };
    // The levels from [`KEPT_LEVELS`]: the finest (¾ of an overview) is not stored, the detail
    // level stands in for it (`Overview::range`), in records of its own ([`put_detail`]) read
    // for the part drawn, and drawn folded where the next one would be.
    let overview: Array = a.overview.levels.iter().skip(KEPT_LEVELS).map(|l| Float32Array::from(flatten(l).as_slice())).collect();
    let _ = Reflect::set(&record, &"channels".into(), &channels.into());
    let _ = Reflect::set(&record, &"frames".into(), &frames.into());
    if a.audio_id() != Some(&a.pages) {
        let _ = Reflect::set(&record, &"pages".into(), &a.pages.as_str().into());
    }
    let _ = Reflect::set(&record, &"layout".into(), &LAYOUT.into());
    let _ = Reflect::set(&record, &"level".into(), &a.level.into());
    let _ = Reflect::set(&record, &"overview".into(), &overview);
    record.into()
}

/// How much this site stores and may store, bytes, and whether the browser keeps it even when
/// space runs short.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Usage {
    pub used: f64,
    pub quota: f64,
    pub persistent: bool,
}

fn storage_manager() -> Option<web_sys::StorageManager> {
    Some(web_sys::window()?.navigator().storage())
}

/// The browser's estimate of this site's storage, and whether it is persistent.
pub async fn usage() -> Option<Usage> {
    use wasm_bindgen_futures::JsFuture;
    let manager = storage_manager()?;
    let estimate = JsFuture::from(manager.estimate().ok()?).await.ok()?;
    let get = |k: &str| Reflect::get(&estimate, &k.into()).ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
    let persistent = match manager.persisted() {
        Ok(p) => JsFuture::from(p).await.ok().and_then(|v| v.as_bool()).unwrap_or(false),
        Err(_) => false,
    };
    Some(Usage { used: get("usage"), quota: get("quota"), persistent })
}

/// Asks the browser to keep this site's storage when space runs short (it may say no; Chromium
/// decides from how the site is used).
pub async fn request_persistence() -> bool {
    use wasm_bindgen_futures::JsFuture;
    let Some(promise) = storage_manager().and_then(|m| m.persist().ok()) else { return false };
    JsFuture::from(promise).await.ok().and_then(|v| v.as_bool()).unwrap_or(false)
}

/// Bytes as a person reads them: "850 KB", "12.4 MB", "1.20 GB".
pub fn human_bytes(bytes: f64) -> String {
    match bytes {
        b if b >= 1e9 => format!("{:.2} GB", b / 1e9),
        b if b >= 1e7 => format!("{:.0} MB", b / 1e6),
        b if b >= 1e6 => format!("{:.1} MB", b / 1e6),
        b => format!("{:.0} KB", (b / 1e3).ceil()),
    }
}

/// What the audio record of stored source `id` says.
fn audio_info(id: &str, record: &JsValue) -> Result<AudioInfo, StoreError> {
    let get = |k: &str| Reflect::get(record, &k.into()).unwrap_or(JsValue::UNDEFINED);
    let (channels, frames) = (get("channels").as_f64().unwrap_or(0.0) as usize, get("frames").as_f64().unwrap_or(0.0) as usize);
    if !(1..=2).contains(&channels) {
        return Err(failed(format!("the stored audio {id} is damaged")));
    }
    // Stored data is read as untrusted: anything not shaped as written is an empty overview.
    let levels: Vec<Vec<(f32, f32)>> = get("overview")
        .dyn_into::<Array>()
        .ok()
        .and_then(|a| a.iter().map(|l| l.dyn_into::<Float32Array>().ok().map(|l| pairs(&l))).collect::<Option<Vec<_>>>())
        .unwrap_or_default();
    let overview = overview_from_kept(frames, levels);
    let layout = get("layout").as_f64().map_or(1, |l| l as u32);
    let pages = get("pages").as_string().filter(|p| is_pages_key(p)).unwrap_or_else(|| id.to_owned());
    Ok(AudioInfo { channels, frames, layout, level: get("level").as_f64().unwrap_or(f64::NEG_INFINITY), overview, pages })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn source(id: &str, x: f32, frames: usize) -> PreparedSource {
        // A ramp, so that each frame is told apart.
        let samples: Vec<f32> = (0..frames).map(|i| x + i as f32 * 1e-6).collect();
        PreparedSource {
            source: mixroom_session::Source::Audio { id: id.into(), channels: 1, frames: frames as u64 },
            audio: vec![Float32Array::from(samples.as_slice())],
            level: -6.0,
            overview: Overview::build(&[samples]),
            pages: id.into(),
        }
    }

    /// Two channels, each a ramp of its own.
    fn stereo(id: &str, frames: usize) -> PreparedSource {
        let channels: Vec<Vec<f32>> = (0..2).map(|c| (0..frames).map(|i| c as f32 * 0.5 - 0.25 + i as f32 * 1e-6).collect()).collect();
        PreparedSource {
            source: mixroom_session::Source::Audio { id: id.into(), channels: 2, frames: frames as u64 },
            audio: channels.iter().map(|c| Float32Array::from(c.as_slice())).collect(),
            level: -6.0,
            overview: Overview::build(&channels),
            pages: id.into(),
        }
    }

    fn entry(id: &str, audio: &[&str]) -> Entry {
        Entry { id: id.into(), name: format!("Mix {id}"), modified: 1.0, bytes: 10.0, audio: audio.iter().map(|a| a.to_string()).collect(), demo: false }
    }

    /// Storage full: every page mirror that can be is deleted (a whole one, one left half made), and
    /// how many is said — the save tries again only when there was something to delete.
    #[wasm_bindgen_test]
    async fn a_full_disk_drops_the_page_mirrors() {
        let root: FileSystemDirectoryHandle = JsFuture::from(web_sys::window().unwrap().navigator().storage().get_directory()).await.unwrap().unchecked_into();
        let create = web_sys::FileSystemGetDirectoryOptions::new();
        create.set_create(true);
        let folder: FileSystemDirectoryHandle = JsFuture::from(root.get_directory_handle_with_options(PAGE_MIRRORS, &create)).await.unwrap().unchecked_into();
        let file = web_sys::FileSystemGetFileOptions::new();
        file.set_create(true);
        for name in ["sha256-a.1x8192.f32", "sha256-b.2x100.f32.part"] {
            JsFuture::from(folder.get_file_handle_with_options(name, &file)).await.unwrap();
        }
        assert_eq!(drop_page_mirrors().await, 2);
        assert_eq!(drop_page_mirrors().await, 0, "none left");
        let gone = JsFuture::from(folder.get_file_handle("sha256-a.1x8192.f32")).await;
        assert!(gone.is_err(), "the mirror is deleted");
    }

    /// Against the browser's real IndexedDB: saves land whole, audio is shared, and a delete takes
    /// only the audio no other session uses.
    #[wasm_bindgen_test]
    async fn saves_share_audio_and_deletes_take_only_what_is_unused() {
        let store = Store::open().await.unwrap();
        for e in store.list().await.unwrap() {
            store.delete(&e.id).await.unwrap();
        }
        let (a, b) = (source("sha256-a", 0.5, 40), source("sha256-b", -0.25, PAGE_FRAMES + 10));
        store.save(&entry("one", &["sha256-a", "sha256-b"]), "document one", &[a, b.clone()]).await.unwrap();
        store.save(&entry("two", &["sha256-a"]), "document two", &[]).await.unwrap();
        assert_eq!(store.document("one").await.unwrap().as_deref(), Some("document one"));
        assert_eq!(store.last_open().await.as_deref(), Some("two"));
        assert_eq!(store.list().await.unwrap().iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["Mix one", "Mix two"]);
        let info = store.audio("sha256-b").await.unwrap().unwrap();
        assert_eq!((info.channels, info.frames, info.layout, info.level, &info.overview.levels[KEPT_LEVELS..]), (1, PAGE_FRAMES + 10, LAYOUT, -6.0, &b.overview.levels[KEPT_LEVELS..]));
        assert!(info.overview.levels[..KEPT_LEVELS].iter().all(Vec::is_empty) && !info.overview.has_detail(), "only the coarse levels are in the record");
        // Its overview's detail, in a record of its own.
        assert_eq!(store.detail("sha256-b", 0).await.unwrap().as_deref(), Some(&b.overview.levels[DETAIL_LEVEL][..]));
        assert_eq!(store.detail("sha256-b", 1).await.unwrap(), None);
        // Its samples in two pages (one record each, as the streaming reader reads them), which
        // together are the source exactly.
        let store_ref = &store;
        let page = move |n: usize| async move { store_ref.get(CHUNKS, &page_key("sha256-b", n, 0)).await.unwrap() };
        assert!(page(0).await.is_some() && page(1).await.is_some() && page(2).await.is_none());
        let whole = store.samples("sha256-b", 1, PAGE_FRAMES + 10, LAYOUT).await.unwrap();
        assert_eq!(whole[0].to_vec(), b.audio[0].to_vec());
        // Two channels: a record each per page, read back whole and a page at a time.
        let s = stereo("sha256-s", 2 * PAGE_FRAMES + 3);
        store.save(&entry("three", &["sha256-s"]), "document three", std::slice::from_ref(&s)).await.unwrap();
        let whole = store.samples("sha256-s", 2, 2 * PAGE_FRAMES + 3, LAYOUT).await.unwrap();
        assert_eq!((whole[0].to_vec(), whole[1].to_vec()), (s.audio[0].to_vec(), s.audio[1].to_vec()));
        let last = store.page("sha256-s", 2).await.unwrap().unwrap();
        assert_eq!((last[0].to_vec(), last[1].to_vec()), (s.audio[0].slice(2 * PAGE_FRAMES as u32, u32::MAX).to_vec(), s.audio[1].slice(2 * PAGE_FRAMES as u32, u32::MAX).to_vec()));
        assert!(store.page("sha256-s", 3).await.unwrap().is_none());
        store.delete("three").await.unwrap();
        store.delete("one").await.unwrap();
        assert!(store.document("one").await.unwrap().is_none());
        assert!(page(1).await.is_none(), "the pages went with their audio");
        assert!(store.samples("sha256-a", 1, 40, LAYOUT).await.is_ok());
        assert_eq!(store.audio_ids().await.unwrap(), BTreeSet::from(["sha256-a".to_owned()]));
        store.delete("two").await.unwrap();
        assert!(store.audio_ids().await.unwrap().is_empty() && store.list().await.unwrap().is_empty());
    }

    /// Audio stored in an older layout — before streaming (chunks of 2^18 frames, no layout in its
    /// record), or in the first streaming one (pages of 2^14 frames, all channels in one record) — is
    /// updated to layout 3: the same samples, the old records gone; until the update ends, the old
    /// layout is whole.
    #[wasm_bindgen_test]
    async fn audio_stored_in_older_layouts_is_updated() {
        let store = Store::open().await.unwrap();
        let frames = (1 << 18) + (1 << 14) + 77;
        for layout in [1u32, 2] {
            let id = format!("sha256-old{layout}");
            let old = stereo(&id, frames);
            let size = OLD_RECORD_FRAMES[layout as usize - 1];
            let tx = store.db.transaction(&[AUDIO, CHUNKS], TransactionMode::ReadWrite).unwrap();
            let record = audio_record(&old);
            match layout {
                1 => drop(Reflect::delete_property(record.unchecked_ref::<Object>(), &"layout".into())),
                _ => drop(Reflect::set(&record, &"layout".into(), &2.into())),
            }
            put(&tx, AUDIO, &record, &id).unwrap();
            for n in 0..frames.div_ceil(size) {
                let (from, to) = ((n * size) as u32, ((n + 1) * size).min(frames) as u32);
                put(&tx, CHUNKS, &Array::of2(&old.audio[0].slice(from, to), &old.audio[1].slice(from, to)), &old_key(&id, layout, n)).unwrap();
            }
            finish(tx, Ok(())).await.unwrap();
            assert_eq!(store.audio(&id).await.unwrap().unwrap().layout, layout);
            let read = store.samples(&id, 2, frames, layout).await.unwrap();
            assert_eq!((read[0].to_vec(), read[1].to_vec()), (old.audio[0].to_vec(), old.audio[1].to_vec()), "layout {layout} as written");
            let shares = std::cell::RefCell::new(Vec::new());
            store.update_layout(&id, frames, layout, |s| shares.borrow_mut().push(s)).await.unwrap();
            assert_eq!(shares.into_inner(), [0.0, 0.5, 1.0]);
            assert_eq!(store.audio(&id).await.unwrap().unwrap().layout, LAYOUT);
            let read = store.samples(&id, 2, frames, LAYOUT).await.unwrap();
            assert_eq!((read[0].to_vec(), read[1].to_vec()), (old.audio[0].to_vec(), old.audio[1].to_vec()), "updated from layout {layout}");
            assert!(store.get(CHUNKS, &old_key(&id, layout, 0)).await.unwrap().is_none(), "the old records are gone");
            assert!(store.samples(&id, 2, frames, layout).await.is_err(), "nothing is left in layout {layout}");
            // (Cleaned up as a delete would: the record and every record of its samples.)
            let tx = store.db.transaction(&[AUDIO, CHUNKS], TransactionMode::ReadWrite).unwrap();
            tx.object_store(AUDIO).unwrap().delete(JsValue::from_str(&id)).unwrap();
            tx.object_store(CHUNKS).unwrap().delete(layout_range(&id, LAYOUT).unwrap()).unwrap();
            finish(tx, Ok(())).await.unwrap();
        }
    }

    /// An audio record written before detail records (every overview level but the finest in it)
    /// has its detail moved out: records of [`DETAIL_FRAMES`] frames, the record keeping the coarse
    /// levels alone.
    #[wasm_bindgen_test]
    async fn an_overview_detail_stored_in_the_record_is_moved_out() {
        let store = Store::open().await.unwrap();
        let frames = DETAIL_FRAMES + 1000;
        let old = source("sha256-detail", 0.5, frames);
        let record = audio_record(&old);
        let levels: Array = old.overview.levels.iter().skip(1).map(|l| Float32Array::from(flatten(l).as_slice())).collect();
        let _ = Reflect::set(&record, &"overview".into(), &levels);
        let tx = store.db.transaction(&[AUDIO], TransactionMode::ReadWrite).unwrap();
        put(&tx, AUDIO, &record, "sha256-detail").unwrap();
        finish(tx, Ok(())).await.unwrap();
        let info = store.audio("sha256-detail").await.unwrap().unwrap();
        assert!(info.overview.has_detail(), "read as written: the detail in the record");
        assert_eq!(&info.overview.levels[1..], &old.overview.levels[1..]);
        store.move_detail("sha256-detail", &info.overview).await.unwrap();
        let moved = store.audio("sha256-detail").await.unwrap().unwrap();
        assert!(!moved.overview.has_detail());
        assert_eq!(&moved.overview.levels[KEPT_LEVELS..], &old.overview.levels[KEPT_LEVELS..]);
        let detail = &old.overview.levels[DETAIL_LEVEL];
        let per = DETAIL_FRAMES / LEVELS[DETAIL_LEVEL];
        assert_eq!(store.detail("sha256-detail", 0).await.unwrap().as_deref(), Some(&detail[..per]));
        assert_eq!(store.detail("sha256-detail", 1).await.unwrap().as_deref(), Some(&detail[per..]));
        let tx = store.db.transaction(&[AUDIO, CHUNKS], TransactionMode::ReadWrite).unwrap();
        tx.object_store(AUDIO).unwrap().delete(JsValue::from_str("sha256-detail")).unwrap();
        tx.object_store(CHUNKS).unwrap().delete(idb::KeyRange::bound(&"sha256-detail/".into(), &"sha256-detail/~".into(), None, None).unwrap()).unwrap();
        finish(tx, Ok(())).await.unwrap();
    }

    /// A save whose session transaction fails (a full disk) leaves its audio's pages without a
    /// record; they are collected, and audio that has its record is not.
    #[wasm_bindgen_test]
    async fn pages_no_record_names_are_collected() {
        let store = Store::open().await.unwrap();
        let (kept, left) = (source("sha256-kept", 0.25, PAGE_FRAMES + 5), source("sha256-left", 0.5, 2 * PAGE_FRAMES));
        store.save(&entry("kept", &["sha256-kept"]), "kept", &[kept]).await.unwrap();
        // The pages a failed save had written before its session's transaction.
        let tx = store.db.transaction(&[CHUNKS], TransactionMode::ReadWrite).unwrap();
        // (Two sources: one sorting before the kept one, one after — each found past the other's keys.)
        for id in ["sha256-left", "sha256-a-left"] {
            for page in 0..2 {
                put(&tx, CHUNKS, &left.audio[0].slice(0, 8), &page_key(id, page, 0)).unwrap();
            }
        }
        finish(tx, Ok(())).await.unwrap();
        store.collect_unnamed_pages().await.unwrap();
        for id in ["sha256-left", "sha256-a-left"] {
            assert!(store.get(CHUNKS, &page_key(id, 0, 0)).await.unwrap().is_none() && store.get(CHUNKS, &page_key(id, 1, 0)).await.unwrap().is_none(), "unnamed pages are collected: {id}");
        }
        assert_eq!(store.samples("sha256-kept", 1, PAGE_FRAMES + 5, LAYOUT).await.unwrap()[0].length() as usize, PAGE_FRAMES + 5);
        store.delete("kept").await.unwrap();
    }

    /// A streamed import's records are written by its worker under a key of the import's own; the
    /// save writes its audio record naming that key (and the record beside them naming the audio).
    /// Its samples and detail are read by that key, the sweep keeps them, and deleting the audio
    /// deletes them; an import never saved (no record names its key) is swept — unless it was
    /// begun in the last day (another tab may be importing it).
    #[wasm_bindgen_test]
    async fn a_streamed_imports_records_are_named_by_its_audio_record() {
        let store = Store::open().await.unwrap();
        let frames = PAGE_FRAMES + 7;
        let held = source("sha256-streamed", 0.125, frames);
        // What the import worker writes: pages and detail under its key (and another import's,
        // cancelled with the tab).
        let tx = store.db.transaction(&[CHUNKS], TransactionMode::ReadWrite).unwrap();
        let recent = format!("{}.0", new_import_key(js_sys::Date::now()));
        for pages in ["import-1.0", "import-2.0", recent.as_str()] {
            let a = PreparedSource { pages: pages.into(), ..held.clone() };
            for page in 0..2 {
                put_page(&tx, &a, page).unwrap();
            }
            put_detail(&tx, pages, &a.overview).unwrap();
        }
        finish(tx, Ok(())).await.unwrap();
        let streamed = PreparedSource::streamed("sha256-streamed".into(), "import-1.0".into(), 1, frames as u64, held.level, held.overview.without_detail());
        store.save(&entry("streamed", &["sha256-streamed"]), "streamed", &[streamed]).await.unwrap();
        let info = store.audio("sha256-streamed").await.unwrap().unwrap();
        assert_eq!((info.pages.as_str(), info.frames, info.layout), ("import-1.0", frames, LAYOUT));
        assert_eq!(&info.overview.levels[KEPT_LEVELS..], &held.overview.levels[KEPT_LEVELS..]);
        store.collect_unnamed_pages().await.unwrap();
        let read = store.samples(&info.pages, 1, frames, info.layout).await.unwrap();
        assert_eq!(read[0].to_vec(), held.audio[0].to_vec(), "kept by the sweep, read by its key");
        assert_eq!(store.detail(&info.pages, 0).await.unwrap().as_deref(), Some(&held.overview.levels[DETAIL_LEVEL][..]));
        assert!(store.page("import-2.0", 0).await.unwrap().is_none(), "the import never saved is swept");
        assert!(store.page(&recent, 0).await.unwrap().is_some(), "an import begun in the last day is left: another tab may be importing it");
        store.delete_pages(&recent).await.unwrap();
        store.delete("streamed").await.unwrap();
        assert!(store.audio("sha256-streamed").await.unwrap().is_none());
        let left = store.store(CHUNKS, TransactionMode::ReadOnly).unwrap().count(Some(idb::Query::KeyRange(under("import-1.0").unwrap()))).unwrap().await.unwrap();
        assert_eq!(left, 0, "deleted with its audio: pages, detail and owner");
    }

    /// A pages key read from a record is trusted only if it cannot reach another source's records.
    #[wasm_bindgen_test]
    fn a_pages_key_cannot_reach_other_records() {
        assert!(is_pages_key("import-1764478000000-123456.0"));
        assert!(import_may_be_running("import-1764478000000-123456.0", 1764478000000.0 + 3600e3));
        assert!(!import_may_be_running("import-1764478000000-123456.0", 1764478000000.0 + 48.0 * 3600e3));
        assert!(!import_may_be_running("sha256-ab", 0.0) && !import_may_be_running("import-1.0", 1e12));
        for bad in ["", "sha256-a/c0000000", "x~", &"k".repeat(200)] {
            assert!(!is_pages_key(bad), "{bad}");
        }
    }

    #[wasm_bindgen_test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(human_bytes(850_000.0), "850 KB");
        assert_eq!(human_bytes(1_200.0), "2 KB");
        assert_eq!(human_bytes(12_400_000.0), "12 MB");
        assert_eq!(human_bytes(1_240_000.0), "1.2 MB");
        assert_eq!(human_bytes(1.2e9), "1.20 GB");
    }
}
