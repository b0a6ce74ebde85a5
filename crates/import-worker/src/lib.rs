//! The app's file work inside a Web Worker: audio files imported into storage a step at a time
//! ([`streaming`]), project files written and read ([`project`]), and deliveries encoded and
//! checked ([`delivery`]).
//!
//! The worker scripts (next to the app's assets) instantiate this module and drive a
//! [`streaming::StreamedImport`] for each file the user drops, or call a project function; the
//! decoding, resampling and packing run there, never on the main thread or the audio thread.
//! Progress goes out through the callback the script passes (it posts it to the main thread);
//! cancelling a running import terminates the worker.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

pub mod delivery;
pub mod project;
pub mod streaming;

fn set(o: &Object, key: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(o, &key.into(), value);
}

/// The peak above which a file is far beyond full scale, and the worker asks before going on.
#[wasm_bindgen]
pub fn far_beyond_full_scale() -> f32 {
    mixroom_import::FAR_BEYOND_FULL_SCALE
}
