//! Files the user takes away: browser downloads and their names (the files themselves are
//! `mixroom-delivery`'s).

use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsCast;
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};

/// Offers `bytes` to the user as a download named `filename`.
pub fn download(bytes: &[u8], filename: &str, mime: &str) -> Result<(), String> {
    download_array(&Uint8Array::from(bytes), filename, mime)
}

/// Offers bytes already in a JS array for download, without copying them into wasm memory.
pub fn download_array(bytes: &Uint8Array, filename: &str, mime: &str) -> Result<(), String> {
    download_parts(&Array::of1(bytes), filename, mime)
}

/// Offers a file given in parts (Uint8Arrays, one after the other) for download.
pub fn download_parts(parts: &Array, filename: &str, mime: &str) -> Result<(), String> {
    let fail = |e: wasm_bindgen::JsValue| format!("The browser refused the download: {e:?}");
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let blob = Blob::new_with_u8_array_sequence_and_options(parts, &options).map_err(fail)?;
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
    fn file_stems() {
        assert_eq!(file_stem("Demo: Night Drive"), "Demo_ Night Drive");
        assert_eq!(file_stem("///"), "___");
        assert_eq!(file_stem("  "), "Mixroom session");
    }
}
