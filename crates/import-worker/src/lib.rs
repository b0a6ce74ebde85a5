//! The app's file work inside a Web Worker: audio files imported (a file's bytes in, tracks at the
//! session rate out), project files written and read ([`project`]), and deliveries encoded and
//! checked ([`delivery`]).
//!
//! The worker scripts (next to the app's assets) instantiate this module and call
//! [`import_file`] for each file the user drops, or a project function; the decoding, resampling
//! and packing run there, never on the main thread or the audio thread. Progress goes out through the callback the script passes
//! (it posts it to the main thread); cancelling a running import terminates the worker, since a
//! worker busy decoding does not read its messages.

use js_sys::{Array, Float32Array, Function, Object, Reflect};
use mixroom_import::{decode, into_tracks, normalise, peak, ImportedTrack};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

pub mod delivery;
pub mod project;
pub mod streaming;

fn set(o: &Object, key: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(o, &key.into(), value);
}

/// Decodes `bytes` (the file `name`) and returns its tracks at `session_rate`: an array of
/// `{name, id, format, peak, channels: [Float32Array…]}` (`peak`: the whole file's largest sample,
/// for the far-beyond-full-scale question). `progress(share)` is called now and then with 0…1; it
/// returning `false` cancels. Fails with the reason in the user's terms.
#[wasm_bindgen]
pub fn import_file(bytes: Vec<u8>, name: &str, session_rate: u32, progress: &Function) -> Result<Array, JsError> {
    console_error_panic_hook::set_once();
    let decoded = decode(bytes, name, |share| {
        progress.call1(&JsValue::NULL, &JsValue::from_f64(share as f64)).map_or(true, |v| v.as_bool() != Some(false))
    })
    .map_err(|e| JsError::new(&format!("{name}: {e}")))?;
    let format = decoded.format.clone();
    let tracks = into_tracks(decoded, name, session_rate).map_err(|e| JsError::new(&format!("{name}: {e}")))?;
    Ok(to_js(&tracks, &format))
}

/// The peak above which a file is far beyond full scale, and the worker asks before going on.
#[wasm_bindgen]
pub fn far_beyond_full_scale() -> f32 {
    mixroom_import::FAR_BEYOND_FULL_SCALE
}

/// Normalises the tracks of one file (as [`import_file`] returned them) to full scale together,
/// with the content ids of their new samples: what the user chose for a file far beyond full
/// scale.
#[wasm_bindgen]
pub fn normalise_tracks(tracks: &Array, session_rate: u32) -> Array {
    let get = |o: &JsValue, k: &str| Reflect::get(o, &k.into()).unwrap_or(JsValue::UNDEFINED);
    let format = get(&tracks.get(0), "format").as_string().unwrap_or_default();
    let mut ours: Vec<ImportedTrack> = tracks
        .iter()
        .map(|t| ImportedTrack {
            name: get(&t, "name").as_string().unwrap_or_default(),
            id: get(&t, "id").as_string().unwrap_or_default(),
            channels: get(&t, "channels").dyn_into::<Array>().map(|a| a.iter().map(|c| c.unchecked_into::<Float32Array>().to_vec()).collect()).unwrap_or_default(),
        })
        .collect();
    normalise(&mut ours, session_rate);
    to_js(&ours, &format)
}

fn to_js(tracks: &[ImportedTrack], format: &str) -> Array {
    let file_peak = peak(tracks);
    let out = Array::new();
    for t in tracks {
        let o = Object::new();
        set(&o, "name", &t.name.clone().into());
        set(&o, "id", &t.id.clone().into());
        set(&o, "format", &format.into());
        set(&o, "peak", &JsValue::from_f64(file_peak as f64));
        let channels: Array = t.channels.iter().map(|c| JsValue::from(Float32Array::from(c.as_slice()))).collect();
        set(&o, "channels", &channels.into());
        out.push(&o);
    }
    out
}
