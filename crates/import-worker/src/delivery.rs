//! Delivery in the worker: each rendered version of a batch (the mix, stems, alternates) converted
//! to the delivery rate, measured, checked and encoded as it arrives, and the batch zipped with its
//! report at the end — off the main thread, so the page answers while a batch is delivered. The
//! same [`Batch`] as the CLI's: a version rendered alike is delivered byte for byte alike.

use js_sys::{Array, Float32Array, Uint8Array};
use mixroom_delivery::batch::{Batch, Order, SumCheck};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A batch being delivered: versions go in one by one, the zip comes out at the end.
#[wasm_bindgen]
pub struct DeliveryJob {
    batch: Batch,
    session_rate: u32,
    sum_check: Option<SumCheck>,
}

#[wasm_bindgen]
impl DeliveryJob {
    /// A batch of `song` (the session's name) as `order_json` (a [`Order`]) asks, of renders at
    /// `session_rate`. Fails with what is wrong with the order.
    #[wasm_bindgen(constructor)]
    pub fn new(song: &str, order_json: &str, session_rate: u32) -> Result<DeliveryJob, JsError> {
        console_error_panic_hook::set_once();
        let order: Order = serde_json::from_str(order_json).map_err(|e| JsError::new(&format!("the delivery's settings do not read ({e})")))?;
        let batch = Batch::new(song, order).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(DeliveryJob { batch, session_rate, sum_check: None })
    }

    /// Delivers `version` from its render (`channels`: Float32Arrays at the session rate); returns
    /// its hand-off check as JSON.
    pub fn add(&mut self, version: &str, channels: &Array) -> Result<String, JsError> {
        let channels = floats(channels);
        let rate = self.batch.rate();
        let channels = mixroom_import::resample(channels, self.session_rate, rate);
        let report = self.batch.add(version, &channels).map_err(|e| JsError::new(&e.to_string()))?;
        serde_json::to_string(report).map_err(|e| JsError::new(&e.to_string()))
    }

    /// The sum check's mix (rendered with the master's processing bypassed, at the session rate).
    pub fn sum_mix(&mut self, channels: &Array) {
        self.sum_check.get_or_insert_with(SumCheck::default).mix(floats(channels));
    }

    /// One stem for the sum check (rendered as its mix is).
    pub fn sum_stem(&mut self, channels: &Array) {
        self.sum_check.get_or_insert_with(SumCheck::default).stem(&floats(channels));
    }

    /// The sum check's verdict, once made.
    pub fn sum_verdict(&self) -> Option<String> {
        self.sum_check.as_ref().and_then(SumCheck::verdict)
    }

    /// The delivery: the one file when the batch holds one, else a zip of the files and the report.
    pub fn finish(&mut self) -> Result<Uint8Array, JsError> {
        if let Some(check) = self.sum_check.take() {
            self.batch.set_sum_check(check);
        }
        let bytes = match self.batch.files() {
            [(_, only)] => only.clone(),
            _ => self.batch.zip().map_err(|e| JsError::new(&e.to_string()))?,
        };
        Ok(Uint8Array::from(bytes.as_slice()))
    }

    /// The name the delivery is saved under: the one file's, or the zip's.
    pub fn file_name(&self) -> String {
        match self.batch.files() {
            [(name, _)] => name.clone(),
            _ => self.batch.zip_name(),
        }
    }
}

fn floats(channels: &Array) -> Vec<Vec<f32>> {
    channels.iter().map(|c| c.unchecked_into::<Float32Array>().to_vec()).collect()
}
