//! Project files in the worker: written from the session and its sources' audio, read back into
//! them — off the main thread, with progress and a Cancel that terminates the worker.

use js_sys::{Array, Float32Array, Function, Object, Reflect, Uint8Array};
use mixroom_project::MediumAudio;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::set;

fn progress_of(progress: &Function) -> impl FnMut(f32) -> bool + '_ {
    move |share| progress.call1(&JsValue::NULL, &JsValue::from_f64(share as f64)).map_or(true, |v| v.as_bool() != Some(false))
}

fn channels_of(value: &JsValue) -> Vec<Vec<f32>> {
    Reflect::get(value, &"channels".into()).ok().and_then(|c| c.dyn_into::<Array>().ok()).map(|a| a.iter().map(|c| c.unchecked_into::<Float32Array>().to_vec()).collect()).unwrap_or_default()
}

/// Writes a project file of `session_json` (a session file) and `media`, an array of
/// `{id, channels: [Float32Array…]}` holding every source the session plays. Returns its bytes.
#[wasm_bindgen]
pub fn write_project(session_json: &str, media: &Array, progress: &Function) -> Result<Uint8Array, JsError> {
    console_error_panic_hook::set_once();
    let session = mixroom_session::Session::from_json(session_json).map_err(|e| JsError::new(&e.to_string()))?;
    let audio: Vec<(String, Vec<Vec<f32>>)> = media.iter().map(|m| (Reflect::get(&m, &"id".into()).ok().and_then(|v| v.as_string()).unwrap_or_default(), channels_of(&m))).collect();
    let media: Vec<MediumAudio> = audio.iter().map(|(id, channels)| MediumAudio { id, channels }).collect();
    let bytes = mixroom_project::write(&session, &media, progress_of(progress)).map_err(|e| JsError::new(&e.to_string()))?;
    Ok(Uint8Array::from(bytes.as_slice()))
}

/// Reads a project file: `{session: <session file, mended>, repairs: [text…], app, media:
/// [{id, channels: [Float32Array…]}]}`, every medium verified against its content id. Fails with
/// what is wrong, in the user's terms.
#[wasm_bindgen]
pub fn read_project(bytes: Vec<u8>, progress: &Function) -> Result<Object, JsError> {
    console_error_panic_hook::set_once();
    let project = mixroom_project::read(&bytes, progress_of(progress)).map_err(|e| JsError::new(&e.to_string()))?;
    let out = Object::new();
    set(&out, "session", &project.session.to_json().into());
    set(&out, "repairs", &project.repairs.0.iter().map(|r| JsValue::from_str(r)).collect::<Array>());
    set(&out, "app", &project.manifest.app.clone().into());
    let media = Array::new();
    for (id, channels) in project.media {
        let m = Object::new();
        set(&m, "id", &id.into());
        let c: Array = channels.iter().map(|c| JsValue::from(Float32Array::from(c.as_slice()))).collect();
        set(&m, "channels", &c);
        media.push(&m);
    }
    set(&out, "media", &media);
    Ok(out)
}
