//! The importer compiled to WebAssembly and run in a dedicated Web Worker in headless Chromium, as
//! the app runs it: a `File` read in slices comes back as the records storage keeps — the whole
//! import's samples, overview and content ids — progress is reported, a cancel and a foreign file
//! fail with their reasons.

use js_sys::{Array, Float32Array, Function, Reflect};
use mixroom_import::{decode, into_tracks, normalise, peak, ImportedTrack};
use mixroom_import_worker::streaming::StreamedImport;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

fn wav(channels: u16, rate: u32, frames: usize) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    let spec = hound::WavSpec { channels, sample_rate: rate, bits_per_sample: 24, sample_format: hound::SampleFormat::Int };
    let mut w = hound::WavWriter::new(&mut bytes, spec).unwrap();
    for i in 0..frames {
        for c in 0..channels {
            let x = (0.5 * (2.0 * std::f64::consts::PI * 440.0 * (c + 1) as f64 * i as f64 / rate as f64).sin() * 8_388_607.0) as i32;
            w.write_sample(x).unwrap();
        }
    }
    w.finalize().unwrap();
    bytes.into_inner()
}

fn get(o: &JsValue, key: &str) -> JsValue {
    Reflect::get(o, &key.into()).unwrap()
}

fn file(bytes: &[u8], name: &str) -> web_sys::File {
    web_sys::File::new_with_u8_array_sequence(&Array::of1(&js_sys::Uint8Array::from(bytes)), name).unwrap()
}

/// The whole-file import in memory (`mixroom_import`, tested natively against real encoders): what
/// a streamed import must store.
fn whole(bytes: &[u8], name: &str) -> Vec<ImportedTrack> {
    into_tracks(decode(bytes.to_vec(), name, |_| true).unwrap(), name, 48_000).unwrap()
}

#[wasm_bindgen_test]
fn a_stereo_wav_at_44k1_comes_back_as_one_track_at_48k_with_progress() {
    let calls = Array::new();
    let record = calls.clone();
    let progress = wasm_bindgen::closure::Closure::<dyn FnMut(f64) -> bool>::new(move |share: f64| {
        record.push(&share.into());
        true
    });
    let mut import = StreamedImport::new(&file(&wav(2, 44_100, 44_100), "Keys.wav"), 48_000, "import-keys", None).unwrap();
    while !import.done() {
        import.step(progress.as_ref().unchecked_ref::<Function>()).unwrap();
    }
    let tracks = import.tracks();
    assert_eq!(tracks.length(), 1);
    let t = tracks.get(0);
    assert_eq!(get(&t, "name").as_string().unwrap(), "Keys");
    assert_eq!(import.format(), "PCM, 24-bit");
    assert_eq!((get(&t, "channels").as_f64(), get(&t, "frames").as_f64()), (Some(2.0), Some(48_000.0)));
    // A 440 Hz sine at −6 dBFS, at the new rate: its peak is still 0.5.
    assert!((import.peak() - 0.5).abs() < 0.005, "peak {}", import.peak());
    assert!(calls.length() >= 2, "progress reported");
    assert_eq!(calls.get(calls.length() - 1).as_f64(), Some(1.0));
}

#[wasm_bindgen_test]
fn cancelled_and_foreign_files_fail_with_their_reasons() {
    let message = |e: wasm_bindgen::JsError| Reflect::get(&JsValue::from(e), &"message".into()).unwrap().as_string().unwrap();
    let Err(foreign) = StreamedImport::new(&file(b"not audio at all", "notes.mp3"), 48_000, "import-x", None) else { panic!("a foreign file opened") };
    let text = message(foreign);
    assert!(text.starts_with("notes.mp3: this is not an audio file Mixroom can read"), "{text}");
    let mut import = StreamedImport::new(&file(&wav(1, 48_000, 48_000), "Bass.wav"), 48_000, "import-x", None).unwrap();
    let text = message(import.step(&Function::new_with_args("share", "return false;")).unwrap_err());
    assert_eq!(text, "Bass.wav: the import was cancelled");
}

/// Imports `bytes` (the file `name`) as the worker script does: step by step into records, then
/// each track's pages read back for its content id. The records by key, and the tracks.
fn import_stored(bytes: &[u8], name: &str, gain: Option<f64>) -> (std::collections::HashMap<String, Vec<f32>>, Array, Vec<String>) {
    let mut import = StreamedImport::new(&file(bytes, name), 48_000, "import-test", gain).unwrap();
    let go = Function::new_with_args("share", "return true;");
    let mut records = std::collections::HashMap::new();
    let mut steps = 0;
    while !import.done() {
        let step = import.step(&go).unwrap();
        for i in (0..step.length()).step_by(2) {
            records.insert(step.get(i).as_string().unwrap(), step.get(i + 1).unchecked_into::<Float32Array>().to_vec());
        }
        steps += 1;
    }
    // (Seven seconds of PCM are more packets than a step decodes.)
    assert!(name != "Pad.wav" || steps > 2, "{name}: imported in steps ({steps})");
    let tracks = import.tracks();
    let mut ids = Vec::new();
    for (t, track) in tracks.iter().enumerate() {
        let (pages, channels) = (get(&track, "pages").as_string().unwrap(), get(&track, "channels").as_f64().unwrap() as usize);
        for c in 0..channels {
            for page in 0.. {
                let Some(samples) = records.get(&mixroom_session::storage::page_key(&pages, page, c)) else { break };
                import.hash(t, c, &Float32Array::from(samples.as_slice())).unwrap();
            }
        }
        ids.push(import.content_id(t).unwrap());
    }
    (records, tracks, ids)
}

/// A streamed import stores exactly what the whole-file import makes: each track's pages are its
/// samples, its detail records and the overview its audio record keeps are the summary of its
/// whole audio, its level is the same, and its pages read back give its content id. Normalised (a
/// gain on the way in), it is what `normalise` makes of the whole import, content ids and all.
#[wasm_bindgen_test]
fn a_streamed_import_stores_the_whole_imports_pages_overview_and_ids() {
    use mixroom_session::storage::{detail_key, page_key, DETAIL_LEVEL, KEPT_LEVELS, PAGE_FRAMES};
    use mixroom_session::summary::Summary;
    let loud = {
        let mut bytes = std::io::Cursor::new(Vec::new());
        let spec = hound::WavSpec { channels: 3, sample_rate: 44_100, bits_per_sample: 32, sample_format: hound::SampleFormat::Float };
        let mut w = hound::WavWriter::new(&mut bytes, spec).unwrap();
        for i in 0..30_000 {
            for c in 0..3 {
                w.write_sample((i as f32 * 0.01 * (c + 1) as f32).sin() * 1e6 * (c + 1) as f32).unwrap();
            }
        }
        w.finalize().unwrap();
        bytes.into_inner()
    };
    // Seven seconds of stereo: 42 pages, two detail records; three mono tracks of a loud file.
    for (bytes, name, normalised) in [(wav(2, 44_100, 7 * 44_100), "Pad.wav", false), (loud.clone(), "Loud.wav", false), (loud, "Loud.wav", true)] {
        let mut whole = whole(&bytes, name);
        let gain = normalised.then(|| 1.0 / peak(&whole) as f64);
        if normalised {
            normalise(&mut whole, 48_000);
        } else if name == "Loud.wav" {
            assert!(peak(&whole) > mixroom_import_worker::far_beyond_full_scale(), "far beyond full scale: the worker asks");
        }
        let (records, tracks, ids) = import_stored(&bytes, name, gain);
        assert_eq!(tracks.length() as usize, whole.len(), "{name}");
        let mut expected_records = 0;
        for (t, (ours, theirs)) in tracks.iter().zip(&whole).enumerate() {
            let label = format!("{name} track {t}{}", if normalised { ", normalised" } else { "" });
            let pages = get(&ours, "pages").as_string().unwrap();
            assert_eq!(pages, format!("import-test.{t}"));
            assert_eq!(get(&ours, "name").as_string().as_ref(), Some(&theirs.name), "{label}");
            let channels = &theirs.channels;
            let frames = channels[0].len();
            assert_eq!(get(&ours, "frames").as_f64(), Some(frames as f64), "{label}");
            for (c, samples) in channels.iter().enumerate() {
                let stored: Vec<f32> = (0..frames.div_ceil(PAGE_FRAMES)).flat_map(|p| records[&page_key(&pages, p, c)].clone()).collect();
                assert!(stored == *samples, "{label}: channel {c}'s pages");
            }
            let summary = Summary::of(channels, 0);
            assert_eq!(get(&ours, "level").as_f64(), Some(summary.level_db), "{label}");
            let detail: Vec<f32> = summary.overview[DETAIL_LEVEL].iter().flat_map(|&(lo, hi)| [lo, hi]).collect();
            let detail_records = detail.len().div_ceil(2 * 4096);
            let stored: Vec<f32> = (0..detail_records).flat_map(|n| records[&detail_key(&pages, n)].clone()).collect();
            assert!(stored == detail, "{label}: the detail records");
            let kept: Vec<Vec<f32>> = get(&ours, "overview").unchecked_into::<Array>().iter().map(|l| l.unchecked_into::<Float32Array>().to_vec()).collect();
            let expected: Vec<Vec<f32>> = summary.overview[KEPT_LEVELS..].iter().map(|l| l.iter().flat_map(|&(lo, hi)| [lo, hi]).collect()).collect();
            assert!(kept == expected, "{label}: the overview the audio record keeps");
            assert_eq!(ids[t], theirs.id, "{label}: the content id from the pages read back");
            expected_records += frames.div_ceil(PAGE_FRAMES) * channels.len() + detail_records;
        }
        assert_eq!(records.len(), expected_records, "{name}: nothing else stored");
    }
}
