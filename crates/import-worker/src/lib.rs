//! The importer inside a Web Worker: a file's bytes in, tracks at the session rate out.
//!
//! The worker script (next to the app's assets) instantiates this module and calls
//! [`import_file`] for each file the user drops; the decoding and resampling run there, never on
//! the main thread or the audio thread. Progress goes out through the callback the script passes
//! (it posts it to the main thread); cancelling a running import terminates the worker, since a
//! worker busy decoding does not read its messages.

use js_sys::{Array, Float32Array, Function, Object, Reflect};
use mixroom_import::{decode, into_tracks};
use wasm_bindgen::prelude::*;

fn set(o: &Object, key: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(o, &key.into(), value);
}

/// Decodes `bytes` (the file `name`) and returns its tracks at `session_rate`: an array of
/// `{name, id, format, channels: [Float32Array…]}`. `progress(share)` is called now and then with
/// 0…1; it returning `false` cancels. Fails with the reason in the user's terms.
#[wasm_bindgen]
pub fn import_file(bytes: Vec<u8>, name: &str, session_rate: u32, progress: &Function) -> Result<Array, JsError> {
    console_error_panic_hook::set_once();
    let decoded = decode(bytes, name, |share| {
        progress.call1(&JsValue::NULL, &JsValue::from_f64(share as f64)).map_or(true, |v| v.as_bool() != Some(false))
    })
    .map_err(|e| JsError::new(&format!("{name}: {e}")))?;
    let format = decoded.format.clone();
    let tracks = Array::new();
    for t in into_tracks(decoded, name, session_rate) {
        let o = Object::new();
        set(&o, "name", &t.name.into());
        set(&o, "id", &t.id.into());
        set(&o, "format", &format.clone().into());
        let channels: Array = t.channels.iter().map(|c| JsValue::from(Float32Array::from(c.as_slice()))).collect();
        set(&o, "channels", &channels.into());
        tracks.push(&o);
    }
    Ok(tracks)
}
