//! Files the user takes away: WAV encoding and browser downloads.

use std::io::Cursor;

use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsCast;
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};

/// Encodes a stereo mix as a 32-bit float WAV, the format that keeps every sample of the render.
pub fn wav_f32(sample_rate: u32, left: &[f32], right: &[f32]) -> Result<Vec<u8>, String> {
    let spec = hound::WavSpec { channels: 2, sample_rate, bits_per_sample: 32, sample_format: hound::SampleFormat::Float };
    let mut bytes = Cursor::new(Vec::with_capacity(44 + left.len() * 8));
    let mut writer = hound::WavWriter::new(&mut bytes, spec).map_err(|e| e.to_string())?;
    for (l, r) in left.iter().zip(right) {
        writer.write_sample(*l).map_err(|e| e.to_string())?;
        writer.write_sample(*r).map_err(|e| e.to_string())?;
    }
    writer.finalize().map_err(|e| e.to_string())?;
    Ok(bytes.into_inner())
}

/// Offers `bytes` to the user as a download named `filename`.
pub fn download(bytes: &[u8], filename: &str, mime: &str) -> Result<(), String> {
    download_array(&Uint8Array::from(bytes), filename, mime)
}

/// Offers bytes already in a JS array for download, without copying them into wasm memory.
pub fn download_array(bytes: &Uint8Array, filename: &str, mime: &str) -> Result<(), String> {
    let fail = |e: wasm_bindgen::JsValue| format!("The browser refused the download: {e:?}");
    let parts = Array::of1(bytes);
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let blob = Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(fail)?;
    let url = Url::create_object_url_with_blob(&blob).map_err(fail)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let anchor: HtmlAnchorElement = document.create_element("a").map_err(fail)?.unchecked_into();
    anchor.set_href(&url);
    anchor.set_download(filename);
    anchor.click();
    // The download has its own reference to the blob once started; free ours a little later.
    gloo_timers::callback::Timeout::new(60_000, move || {
        let _ = Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}

/// A file name from a session name: letters, digits, spaces, dashes and underscores kept.
pub fn file_stem(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if c.is_alphanumeric() || matches!(c, ' ' | '-' | '_') { c } else { '_' })
        .collect();
    let trimmed = cleaned.trim();
    if trimmed.is_empty() { "Mixroom session".to_owned() } else { trimmed.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn wav_header_and_samples() {
        let bytes = wav_f32(48_000, &[0.5, -1.0], &[0.25, 1.0]).unwrap();
        let mut reader = hound::WavReader::new(Cursor::new(bytes)).unwrap();
        let spec = reader.spec();
        assert_eq!((spec.channels, spec.sample_rate, spec.bits_per_sample), (2, 48_000, 32));
        let samples: Vec<f32> = reader.samples::<f32>().map(Result::unwrap).collect();
        assert_eq!(samples, [0.5, 0.25, -1.0, 1.0]);
    }

    #[wasm_bindgen_test]
    fn file_stems() {
        assert_eq!(file_stem("Demo: Night Drive"), "Demo_ Night Drive");
        assert_eq!(file_stem("///"), "___");
        assert_eq!(file_stem("  "), "Mixroom session");
    }
}
