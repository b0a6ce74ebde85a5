//! A streamed import in the worker: the user's `File` read a slice at a time with
//! `FileReaderSync` (a dedicated worker's synchronous reader), decoded, resampled and handed to the
//! worker script run by run (`mixroom_import::import_streaming`), so that neither the file nor its
//! decode is ever held whole. (Issue 15: the script and the app do not call it yet.)

use std::io::{Read, Seek, SeekFrom};

use js_sys::{Array, Float32Array, Function, Object, Uint8Array};
use mixroom_import::import_streaming;
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

/// Imports `file` at `session_rate`, calling `audio(channels)` with each run of its audio as it is
/// made (`channels`: a `Float32Array` per file channel, all as long) and `progress(share)` now and
/// then (returning `false` cancels). Returns `{names, layout, frames, peak, format}`: the tracks'
/// names, the file channels each track takes, the frames of each, the largest sample and what the
/// file is. Fails with the reason in the user's terms.
#[wasm_bindgen]
pub fn import_file_streaming(file: &File, session_rate: u32, progress: &Function, audio: &Function) -> Result<Object, JsError> {
    console_error_panic_hook::set_once();
    let name = file.name();
    let reader = BlobReader { blob: file.clone().into(), reader: FileReaderSync::new().map_err(|_| JsError::new("files can only be read in slices inside a dedicated worker"))?, len: file.size() as u64, position: 0 };
    let streamed = import_streaming(
        reader,
        file.size() as u64,
        &name,
        session_rate,
        |share| progress.call1(&JsValue::NULL, &JsValue::from_f64(share as f64)).map_or(true, |v| v.as_bool() != Some(false)),
        |run| {
            let channels: Array = run.iter().map(|c| JsValue::from(Float32Array::from(c.as_slice()))).collect();
            let _ = audio.call1(&JsValue::NULL, &channels);
        },
    )
    .map_err(|e| JsError::new(&format!("{name}: {e}")))?;
    let o = Object::new();
    set(&o, "names", &streamed.names.iter().map(|n| JsValue::from(n.as_str())).collect::<Array>().into());
    let layout: Array = streamed.layout.iter().map(|take| JsValue::from(take.iter().map(|&c| JsValue::from(c as u32)).collect::<Array>())).collect();
    set(&o, "layout", &layout.into());
    set(&o, "frames", &JsValue::from_f64(streamed.frames as f64));
    set(&o, "peak", &JsValue::from_f64(streamed.peak as f64));
    set(&o, "format", &streamed.format.into());
    Ok(o)
}
