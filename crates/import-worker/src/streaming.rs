//! A streamed import in the worker: the user's `File` read a slice at a time with
//! `FileReaderSync` (a dedicated worker's synchronous reader), decoded, resampled and made into
//! the records storage keeps (pages of samples, overview detail) a step at a time
//! ([`StreamedImport`]), so that neither the file nor its decode is ever held whole: the worker
//! script writes each step's records before asking for the next.

use std::io::{Read, Seek, SeekFrom};

use js_sys::{Array, Float32Array, Function, Object, Uint8Array};
use mixroom_import::{track_layout, ContentId, StreamedFile, StreamingImport};
use mixroom_session::storage::{detail_key, page_key, DETAIL_FRAMES, DETAIL_LEVEL, KEPT_LEVELS, PAGE_FRAMES};
use mixroom_session::summary::{Summary, OVERVIEW_LEVELS};
use wasm_bindgen::prelude::*;
use web_sys::{Blob, File, FileReaderSync};

use crate::set;

/// A `File` (or any `Blob`) as `Read + Seek`: each read is one slice read by `FileReaderSync`.
struct BlobReader {
    blob: Blob,
    reader: FileReaderSync,
    len: u64,
    position: u64,
}

// Symphonia asks its sources to be `Send + Sync`. A worker's WebAssembly here has one thread (no
// atomics, no shared memory): nothing is ever sent or shared.
unsafe impl Send for BlobReader {}
unsafe impl Sync for BlobReader {}

/// The most read at once: a slice the decoder's buffer asks for is far smaller.
const MAX_SLICE: usize = 1 << 20;

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (self.len.saturating_sub(self.position) as usize).min(buf.len()).min(MAX_SLICE);
        if n == 0 {
            return Ok(0);
        }
        let failed = |_| std::io::Error::other("the file could not be read");
        let slice = self.blob.slice_with_f64_and_f64(self.position as f64, (self.position + n as u64) as f64).map_err(failed)?;
        let bytes = Uint8Array::new(&self.reader.read_as_array_buffer(&slice).map_err(failed)?.into());
        let n = n.min(bytes.length() as usize);
        bytes.subarray(0, n as u32).copy_to(&mut buf[..n]);
        self.position += n as u64;
        Ok(n)
    }
}

impl Seek for BlobReader {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let to = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.position.checked_add_signed(d),
        };
        self.position = to.ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "a seek before the file's start"))?;
        Ok(self.position)
    }
}

impl BlobReader {
    fn of(file: &File) -> Result<BlobReader, JsError> {
        let reader = FileReaderSync::new().map_err(|_| JsError::new("files can only be read in slices inside a dedicated worker"))?;
        Ok(BlobReader { blob: file.clone().into(), reader, len: file.size() as u64, position: 0 })
    }
}

/// Packets decoded a step: a few hundred thousand frames at most (a PCM packet is some thousands),
/// a few megabytes of records for the script to write before the next step.
const PACKETS_PER_STEP: usize = 64;
/// Detail pairs a record holds.
const DETAIL_PAIRS: usize = DETAIL_FRAMES / OVERVIEW_LEVELS[DETAIL_LEVEL];

/// One track of a streamed import as it is stored: its pages filled as runs come, its summary.
struct StoredTrack {
    /// The key its records are under.
    pages: String,
    /// The file's channels it takes.
    take: Vec<usize>,
    /// The page being filled, a buffer per channel.
    page: Vec<Vec<f32>>,
    pages_done: usize,
    summary: Summary,
    /// Overview detail pairs not yet in a record, and the records written.
    detail: Vec<(f32, f32)>,
    details_done: usize,
    /// Its content id, as its pages are read back ([`StreamedImport::hash`]): the hasher, and the
    /// channel being hashed.
    hash: Option<(ContentId, usize)>,
}

/// A record to store: its key and value.
type Record = (String, Vec<f32>);

impl StoredTrack {
    /// Takes a run of the file (a buffer per file channel), making a record of each page filled.
    fn push(&mut self, run: &[Vec<f32>], records: &mut Vec<Record>) {
        let ours: Vec<&Vec<f32>> = self.take.iter().map(|&c| &run[c]).collect();
        let frames = ours.first().map_or(0, |c| c.len());
        let mut at = 0;
        while at < frames {
            let n = (PAGE_FRAMES - self.page[0].len()).min(frames - at);
            for (page, c) in self.page.iter_mut().zip(&ours) {
                page.extend_from_slice(&c[at..at + n]);
            }
            at += n;
            if self.page[0].len() == PAGE_FRAMES {
                self.end_page(records);
            }
        }
        // (A track of every channel, in order — a mono or stereo file's — is summarised from the
        // run itself.)
        if self.take.iter().copied().eq(0..run.len()) {
            self.summary.push(run);
        } else {
            self.summary.push(&ours.iter().map(|c| c.to_vec()).collect::<Vec<_>>());
        }
        self.detail.extend(self.summary.take_pairs(DETAIL_LEVEL));
        // The level between the detail and what the audio record keeps is not stored at all.
        self.summary.take_pairs(DETAIL_LEVEL + 1);
        while self.detail.len() >= DETAIL_PAIRS {
            let rest = self.detail.split_off(DETAIL_PAIRS);
            let record = std::mem::replace(&mut self.detail, rest);
            self.end_detail(record, records);
        }
    }

    fn end_page(&mut self, records: &mut Vec<Record>) {
        for (c, page) in self.page.iter_mut().enumerate() {
            records.push((page_key(&self.pages, self.pages_done, c), std::mem::take(page)));
        }
        self.pages_done += 1;
    }

    fn end_detail(&mut self, pairs: Vec<(f32, f32)>, records: &mut Vec<Record>) {
        records.push((detail_key(&self.pages, self.details_done), pairs.iter().flat_map(|&(lo, hi)| [lo, hi]).collect()));
        self.details_done += 1;
    }
}

/// A file being imported into storage a step at a time: each [`StreamedImport::step`] decodes a
/// few packets and returns the records they complete — pages of samples (one record a channel)
/// and overview detail — keyed under each track's pages key, for the worker script to write
/// before the next step. Once the file has ended, [`StreamedImport::tracks`] says what each track
/// is (its level and the overview levels its audio record keeps); its content id comes from
/// reading its pages back in order ([`StreamedImport::hash`]), since the id hashes each channel
/// whole, its length first.
#[wasm_bindgen]
pub struct StreamedImport {
    import: StreamingImport,
    /// The file's name (errors begin with it).
    name: String,
    pages: String,
    gain: Option<f64>,
    session_rate: u32,
    tracks: Vec<StoredTrack>,
    file: Option<StreamedFile>,
    /// The overviews of the tracks once the file has ended, and their levels.
    summaries: Vec<(f64, Vec<Vec<(f32, f32)>>)>,
}

#[wasm_bindgen]
impl StreamedImport {
    /// Opens `file` for import at `session_rate`, its tracks' records to be keyed
    /// "`pages`.<track>/…"; with `gain`, every sample is scaled by it and held within full scale
    /// (what normalising does: [`mixroom_import::normalise`]). Fails with the reason in the user's
    /// terms.
    #[wasm_bindgen(constructor)]
    pub fn new(file: &File, session_rate: u32, pages: &str, gain: Option<f64>) -> Result<StreamedImport, JsError> {
        console_error_panic_hook::set_once();
        let name = file.name();
        let import = StreamingImport::open(BlobReader::of(file)?, file.size() as u64, &name, session_rate).map_err(|e| JsError::new(&format!("{name}: {e}")))?;
        Ok(StreamedImport { import, name, pages: pages.to_owned(), gain, session_rate, tracks: Vec::new(), file: None, summaries: Vec::new() })
    }

    /// Decodes the next packets: the records they complete, as `[key, Float32Array, key, …]`
    /// (the file's last records once it has ended; then [`StreamedImport::done`]). `progress(share)`
    /// is called now and then with 0…1; it returning `false` cancels.
    pub fn step(&mut self, progress: &Function) -> Result<Array, JsError> {
        let mut records = Vec::new();
        if self.file.is_none() {
            let name = &self.name;
            let (tracks, gain, pages) = (&mut self.tracks, self.gain, &self.pages);
            let mut scaled: Vec<Vec<f32>> = Vec::new();
            let mut take = |run: &[Vec<f32>]| {
                if tracks.is_empty() {
                    *tracks = track_layout(run.len()).into_iter().enumerate().map(|(t, take)| new_track(format!("{pages}.{t}"), take)).collect();
                }
                let run = match gain {
                    Some(gain) => {
                        scaled.resize(run.len(), Vec::new());
                        for (out, c) in scaled.iter_mut().zip(run) {
                            out.clear();
                            out.extend(c.iter().map(|&x| mixroom_import::normalised(x, gain)));
                        }
                        &scaled[..]
                    }
                    None => run,
                };
                for t in tracks.iter_mut() {
                    t.push(run, &mut records);
                }
            };
            let mut progress = |share: f32| progress.call1(&JsValue::NULL, &JsValue::from_f64(share as f64)).map_or(true, |v| v.as_bool() != Some(false));
            let ended = self.import.next(PACKETS_PER_STEP, &mut progress, &mut take).map_err(|e| JsError::new(&format!("{name}: {e}")))?;
            if let Some(file) = ended {
                for t in &mut self.tracks {
                    if !t.page[0].is_empty() {
                        t.end_page(&mut records);
                    }
                    let summary = std::mem::replace(&mut t.summary, Summary::new(0, 0)).finish();
                    let mut detail = std::mem::take(&mut t.detail);
                    detail.extend_from_slice(&summary.overview[DETAIL_LEVEL]);
                    for part in detail.chunks(DETAIL_PAIRS) {
                        t.end_detail(part.to_vec(), &mut records);
                    }
                    let kept = summary.overview.into_iter().enumerate().map(|(l, pairs)| if l < KEPT_LEVELS { Vec::new() } else { pairs }).collect();
                    self.summaries.push((summary.level_db, kept));
                }
                self.file = Some(file);
            }
        }
        let out = Array::new();
        for (key, samples) in records {
            out.push(&JsValue::from(key));
            out.push(&Float32Array::from(samples.as_slice()));
        }
        Ok(out)
    }

    /// Whether the file has ended (its last records returned).
    pub fn done(&self) -> bool {
        self.file.is_some()
    }

    /// The largest sample of the file at the session's rate, before any gain: for the
    /// far-beyond-full-scale question (0 before the file has ended).
    pub fn peak(&self) -> f32 {
        self.file.as_ref().map_or(0.0, |f| f.peak)
    }

    /// What the file is ("FLAC, 24-bit"), once it has ended.
    pub fn format(&self) -> String {
        self.file.as_ref().map_or(String::new(), |f| f.format.clone())
    }

    /// Once the file has ended, its tracks: `[{name, pages, channels, frames, pages_count, level,
    /// overview: [Float32Array (min, max, …) per level from the first an audio record keeps]}]`.
    pub fn tracks(&self) -> Array {
        let out = Array::new();
        let Some(file) = &self.file else { return out };
        for ((t, name), (level, overview)) in self.tracks.iter().zip(&file.names).zip(&self.summaries) {
            let o = Object::new();
            set(&o, "name", &name.as_str().into());
            set(&o, "pages", &t.pages.as_str().into());
            set(&o, "channels", &JsValue::from(t.take.len() as u32));
            set(&o, "frames", &JsValue::from_f64(file.frames as f64));
            set(&o, "level", &JsValue::from_f64(*level));
            let levels: Array = overview.iter().skip(KEPT_LEVELS).map(|l| JsValue::from(Float32Array::from(l.iter().flat_map(|&(lo, hi)| [lo, hi]).collect::<Vec<_>>().as_slice()))).collect();
            set(&o, "overview", &levels.into());
            out.push(&o);
        }
        out
    }

    /// Hashes the next stored page of track `track`'s channel `channel` (its pages read back in
    /// order, channel by channel: the content id hashes each channel whole).
    pub fn hash(&mut self, track: usize, channel: usize, samples: &Float32Array) -> Result<(), JsError> {
        let (rate, frames) = (self.session_rate, self.file.as_ref().map_or(0, |f| f.frames));
        let t = self.tracks.get_mut(track).ok_or_else(|| JsError::new("no such track"))?;
        let (hasher, at) = t.hash.get_or_insert_with(|| (ContentId::new(rate, t.take.len()), usize::MAX));
        if *at != channel {
            hasher.channel(frames);
            *at = channel;
        }
        hasher.samples(&samples.to_vec());
        Ok(())
    }

    /// Track `track`'s content id, once every page of it has been hashed.
    pub fn content_id(&mut self, track: usize) -> Result<String, JsError> {
        let t = self.tracks.get_mut(track).ok_or_else(|| JsError::new("no such track"))?;
        let (hasher, _) = t.hash.take().ok_or_else(|| JsError::new("the track was not read back"))?;
        Ok(hasher.finish())
    }
}

fn new_track(pages: String, take: Vec<usize>) -> StoredTrack {
    let channels = take.len();
    StoredTrack {
        pages,
        page: vec![Vec::with_capacity(PAGE_FRAMES); channels],
        take,
        pages_done: 0,
        summary: Summary::new(channels, DETAIL_LEVEL),
        detail: Vec::new(),
        details_done: 0,
        hash: None,
    }
}
