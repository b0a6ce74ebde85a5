//! Delivery in the worker: a batch (the mix, stems, alternates, and the stems' sum check) rendered
//! by the engine — the CLI's own, over one copy of the tracks' audio handed from one version's
//! engine to the next — each version converted to the delivery rate, measured, checked and encoded
//! as it is made, and the batch zipped with its report at the end: off the main thread, so the
//! page answers while a batch is made. The same [`Batch`] as the CLI's, and the same renders: a
//! version delivered here is the CLI's byte for byte.
//!
//! Audio the app holds is copied in whole ([`DeliveryJob::audio`]); audio in storage streams
//! ([`DeliveryJob::stream`]): a render goes in steps, each saying which pages it needs next, which
//! the worker's script reads from storage and hands in ([`DeliveryJob::page`]) — the engine's own
//! offline render over streamed audio ([`Engine::bounce`]), so a session larger than memory is
//! delivered holding only each track's pool of pages.

use js_sys::{Array, Float32Array, Uint8Array};
use mixroom_delivery::batch::{Batch, Order, SumCheck};
use mixroom_engine::{Bounce, Bounced, Engine, PAGE_FRAMES};
use mixroom_session::Session;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A batch being delivered.
#[wasm_bindgen]
pub struct DeliveryJob {
    batch: Option<Batch>,
    session_rate: u32,
    sum_check: Option<SumCheck>,
    /// The engine of the last version rendered: it holds the tracks' audio.
    engine: Engine,
    /// A zipped batch's zip, in parts, as it is written (in JavaScript's memory, not this
    /// module's: a batch of many long files is larger than a WebAssembly memory holds).
    parts: Array,
    /// The render under way ([`DeliveryJob::begin`] … [`DeliveryJob::end`]).
    rendering: Option<Rendering>,
}

/// A render under way: what it is for, and how far it is.
struct Rendering {
    part: String,
    name: String,
    start: usize,
    bounce: Bounce,
}

/// Pages a streamed track keeps while a batch renders, for each of its clips sounding at once: a
/// page ahead, with room to spare.
const STREAM_SLOTS: usize = 16;
/// Blocks a render step renders at most (then the worker reads what the next steps need).
const STEP_BLOCKS: usize = 256;

/// The zip's bytes handed to JavaScript in parts of [`PART_BYTES`].
struct Parts {
    buffer: Vec<u8>,
    parts: Array,
}

const PART_BYTES: usize = 16 << 20;

impl std::io::Write for Parts {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= PART_BYTES {
            self.flush()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.buffer.is_empty() {
            self.parts.push(&Uint8Array::from(self.buffer.as_slice()));
            self.buffer.clear();
        }
        Ok(())
    }
}

fn error(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

#[wasm_bindgen]
impl DeliveryJob {
    /// A batch of `session_json` (the mix; its tracks' audio follows with [`DeliveryJob::audio`])
    /// as `order_json` (a [`Order`]) asks; `files` versions in all (more than one: a zip).
    #[wasm_bindgen(constructor)]
    pub fn new(session_json: &str, order_json: &str, files: u32) -> Result<DeliveryJob, JsError> {
        console_error_panic_hook::set_once();
        let session = Session::from_json(session_json).map_err(error)?;
        let order: Order = serde_json::from_str(order_json).map_err(|e| JsError::new(&format!("the delivery's settings do not read ({e})")))?;
        let parts = Array::new();
        let batch = if files > 1 { Batch::zipped(&session.name, order, Box::new(Parts { buffer: Vec::new(), parts: parts.clone() })) } else { Batch::new(&session.name, order) }.map_err(error)?;
        let engine = session.build_engine(&[]).map_err(error)?;
        Ok(DeliveryJob { batch: Some(batch), session_rate: session.sample_rate, sum_check: None, engine, parts, rendering: None })
    }

    /// Track `track`'s audio (Float32Arrays, one per channel, at the session rate), copied into the
    /// engine (what is not a finite number becomes silence, as natively).
    pub fn audio(&mut self, track: usize, channels: &Array) {
        for (c, data) in channels.iter().enumerate() {
            let data: Float32Array = data.unchecked_into();
            if let Some(dest) = self.engine.track_audio_mut(track, c, data.length() as usize) {
                data.copy_to(dest);
                dest.iter_mut().filter(|s| !s.is_finite()).for_each(|s| *s = 0.0);
            }
        }
    }

    /// Track `track`'s audio (`frames` frames) is in storage: it streams, read as the renders ask
    /// ([`DeliveryJob::step`]). `false` for no such track.
    pub fn stream(&mut self, track: usize, frames: f64) -> bool {
        self.engine.stream_track(track, frames.max(0.0) as u64, STREAM_SLOTS)
    }

    /// Starts rendering `session_json` (a version, a sum-check part) over frames `[start, end)`,
    /// to take it in as `part` says at [`DeliveryJob::end`]: `version` (delivered as `name`),
    /// `sum-mix` or `sum-stem`. The tracks' audio comes from the last render's engine.
    pub fn begin(&mut self, part: &str, name: &str, session_json: &str, start: f64, end: f64) -> Result<(), JsError> {
        let session = Session::from_json(session_json).map_err(error)?;
        let mut engine = session.build_engine_taking(&mut self.engine).map_err(error)?;
        let bounce = engine.begin_bounce(end as usize);
        // The next version plays this engine's audio.
        self.engine = engine;
        self.rendering = Some(Rendering { part: part.into(), name: name.into(), start: start as usize, bounce });
        Ok(())
    }

    /// Renders on: `undefined` once the render is done (take it with [`DeliveryJob::end`]), else
    /// the pages to read before the next step, as (track, page) pairs (none: step again).
    pub fn step(&mut self) -> Result<Option<Vec<u32>>, JsError> {
        let r = self.rendering.as_mut().ok_or_else(|| JsError::new("no render is under way"))?;
        let engine = &mut self.engine;
        let plan = |engine: &mut Engine| {
            let mut reads = Vec::new();
            engine.plan_reads(PAGE_FRAMES as u64, usize::MAX, |track, page| reads.extend([track as u32, page]));
            reads
        };
        // What the next page of the render needs is read before it renders.
        let reads = plan(engine);
        if !reads.is_empty() {
            return Ok(Some(reads));
        }
        match engine.bounce(&mut r.bounce, STEP_BLOCKS, false) {
            Bounced::Done => Ok(None),
            Bounced::Going => Ok(Some(Vec::new())),
            Bounced::Waiting => {
                let reads = plan(engine);
                // Everything asked for is in, and still a page is missing: it cannot come (no
                // slot is free for it), and that block renders without it.
                if reads.is_empty() && engine.bounce(&mut r.bounce, 1, true) == Bounced::Done {
                    return Ok(None);
                }
                Ok(Some(reads))
            }
        }
    }

    /// The share of the render done, 0…1.
    pub fn share(&self) -> f32 {
        self.rendering.as_ref().map_or(0.0, |r| r.bounce.share())
    }

    /// A page read from storage for a streamed track: its channels (Float32Arrays from frame
    /// `page × PAGE_FRAMES` of the source; a short one, or none, is silence after its end; what is
    /// not a finite number becomes silence, as natively).
    pub fn page(&mut self, track: usize, page: u32, channels: &Array) {
        for c in 0..2 {
            let Some(slot) = self.engine.page_slot(track, page, c) else { continue };
            slot.fill(0.0);
            if let Some(data) = channels.get(c as u32).dyn_into::<Float32Array>().ok() {
                let n = (data.length() as usize).min(PAGE_FRAMES);
                data.subarray(0, n as u32).copy_to(&mut slot[..n]);
                slot[..n].iter_mut().filter(|s| !s.is_finite()).for_each(|s| *s = 0.0);
            }
        }
        self.engine.page_arrived(track, page);
    }

    /// Takes in the render just done: a version's hand-off check (JSON), or the sum check's
    /// verdict so far.
    pub fn end(&mut self) -> Result<Option<String>, JsError> {
        let r = self.rendering.take().ok_or_else(|| JsError::new("no render is under way"))?;
        let [mut left, mut right] = r.bounce.output;
        left.drain(..r.start.min(left.len()));
        right.drain(..r.start.min(right.len()));
        let channels = vec![left, right];
        match r.part.as_str() {
            "version" => {
                let batch = self.batch.as_mut().ok_or_else(|| JsError::new("the batch is finished"))?;
                let channels = mixroom_import::resample(channels, self.session_rate, batch.rate());
                let report = batch.add(&r.name, &channels).map_err(error)?;
                serde_json::to_string(report).map(Some).map_err(error)
            }
            "sum-mix" => {
                self.sum_check.get_or_insert_with(SumCheck::default).mix(channels);
                Ok(self.sum_check.as_ref().and_then(SumCheck::verdict))
            }
            _ => {
                self.sum_check.get_or_insert_with(SumCheck::default).stem(&channels);
                Ok(self.sum_check.as_ref().and_then(SumCheck::verdict))
            }
        }
    }

    /// The name the delivery is saved under: the one file's, or the zip's.
    pub fn file_name(&self) -> String {
        match &self.batch {
            Some(b) if b.names().len() == 1 && !b.files().is_empty() => b.names()[0].clone(),
            Some(b) => b.zip_name(),
            None => String::new(),
        }
    }

    /// The delivery, in parts (Uint8Arrays): the one file when the batch holds one, else the zip
    /// of the files, the report and the sum check. Ends the batch.
    pub fn finish(&mut self) -> Result<Array, JsError> {
        let mut batch = self.batch.take().ok_or_else(|| JsError::new("the batch is finished"))?;
        if let Some(check) = self.sum_check.take() {
            batch.set_sum_check(check);
        }
        if let [(_, only)] = batch.files() {
            return Ok(Array::of1(&Uint8Array::from(only.as_slice())));
        }
        batch.finish().map_err(error)?;
        Ok(self.parts.clone())
    }
}
