//! Delivery in the worker: a batch (the mix, stems, alternates, and the stems' sum check) rendered
//! by the engine — the CLI's own, over one copy of the tracks' audio handed from one version's
//! engine to the next — each version converted to the delivery rate, measured, checked and encoded
//! as it is made, and the batch zipped with its report at the end: off the main thread, so the
//! page answers while a batch is made. The same [`Batch`] as the CLI's, and the same renders: a
//! version delivered here is the CLI's byte for byte.

use js_sys::{Array, Float32Array, Function, Uint8Array};
use mixroom_delivery::batch::{Batch, Order, SumCheck};
use mixroom_engine::Engine;
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
}

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
        Ok(DeliveryJob { batch: Some(batch), session_rate: session.sample_rate, sum_check: None, engine, parts })
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

    /// Renders `session_json` (a version, a sum-check part) over frames `[start, end)` and takes
    /// it in as `part` says: `version` (delivered as `name`; returns its hand-off check as JSON),
    /// `sum-mix` or `sum-stem` (returns the sum check's verdict so far). `progress(share)` hears
    /// the render's share now and then.
    pub fn render(&mut self, part: &str, name: &str, session_json: &str, start: f64, end: f64, progress: &Function) -> Result<Option<String>, JsError> {
        let session = Session::from_json(session_json).map_err(error)?;
        let mut engine = session.build_engine_taking(&mut self.engine).map_err(error)?;
        let rendered = engine.render_frames(end as usize, |share| progress.call1(&JsValue::NULL, &JsValue::from_f64(share as f64)).is_ok());
        // The next version plays this engine's audio.
        self.engine = engine;
        let [mut left, mut right] = rendered.ok_or_else(|| JsError::new("the render was stopped"))?;
        left.drain(..(start as usize).min(left.len()));
        right.drain(..(start as usize).min(right.len()));
        let channels = vec![left, right];
        match part {
            "version" => {
                let batch = self.batch.as_mut().ok_or_else(|| JsError::new("the batch is finished"))?;
                let channels = mixroom_import::resample(channels, self.session_rate, batch.rate());
                let report = batch.add(name, &channels).map_err(error)?;
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
