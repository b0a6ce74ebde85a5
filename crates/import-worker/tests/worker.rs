//! The importer compiled to WebAssembly and run in a dedicated Web Worker in headless Chromium, as
//! the app runs it: a WAV made here comes back as tracks at the session rate, progress is reported,
//! a cancel and a foreign file fail with their reasons.

use js_sys::{Array, Float32Array, Function, Reflect};
use mixroom_import_worker::import_file;
use mixroom_import_worker::streaming::{import_file_streaming, StreamedImport};
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

#[wasm_bindgen_test]
fn a_stereo_wav_at_44k1_comes_back_as_one_track_at_48k() {
    let calls = Array::new();
    let record = calls.clone();
    let progress = wasm_bindgen::closure::Closure::<dyn FnMut(f64) -> bool>::new(move |share: f64| {
        record.push(&share.into());
        true
    });
    let tracks = import_file(wav(2, 44_100, 44_100), "Keys.wav", 48_000, progress.as_ref().unchecked_ref::<Function>()).unwrap();
    assert_eq!(tracks.length(), 1);
    let t = tracks.get(0);
    assert_eq!(get(&t, "name").as_string().unwrap(), "Keys");
    assert_eq!(get(&t, "format").as_string().unwrap(), "PCM, 24-bit");
    assert!(get(&t, "id").as_string().unwrap().starts_with("sha256-"));
    let channels: Array = get(&t, "channels").into();
    assert_eq!(channels.length(), 2);
    let left: Float32Array = channels.get(0).into();
    assert_eq!(left.length(), 48_000);
    // A 440 Hz sine at −6 dBFS, at the new rate: its peak is still 0.5.
    let peak = left.to_vec()[4_800..43_200].iter().fold(0.0f32, |m, x| m.max(x.abs()));
    assert!((peak - 0.5).abs() < 0.005, "peak {peak}");
    assert!(calls.length() >= 2, "progress reported");
    assert_eq!(calls.get(calls.length() - 1).as_f64(), Some(1.0));
}

#[wasm_bindgen_test]
fn cancelled_and_foreign_files_fail_with_their_reasons() {
    let stop = Function::new_with_args("share", "return false;");
    let go = Function::new_with_args("share", "return true;");
    let err = import_file(b"not audio at all".to_vec(), "notes.mp3", 48_000, &go).unwrap_err();
    let text = Reflect::get(&JsValue::from(err), &"message".into()).unwrap().as_string().unwrap();
    assert!(text.starts_with("notes.mp3: this is not an audio file Mixroom can read"), "{text}");
    let cancelled = import_file(wav(1, 48_000, 48_000), "Bass.wav", 48_000, &stop).unwrap_err();
    let text = Reflect::get(&JsValue::from(cancelled), &"message".into()).unwrap().as_string().unwrap();
    assert_eq!(text, "Bass.wav: the import was cancelled");
}

/// A float file far beyond full scale says how far (`peak`, the same on each of its tracks), and
/// normalised it comes back at full scale with the content ids of its new samples.
#[wasm_bindgen_test]
fn a_file_far_beyond_full_scale_says_so_and_normalises() {
    let mut bytes = std::io::Cursor::new(Vec::new());
    let spec = hound::WavSpec { channels: 3, sample_rate: 48_000, bits_per_sample: 32, sample_format: hound::SampleFormat::Float };
    let mut w = hound::WavWriter::new(&mut bytes, spec).unwrap();
    for i in 0..4_800 {
        for c in 0..3 {
            w.write_sample((i as f32 * 0.01 * (c + 1) as f32).sin() * 1e6 * (c + 1) as f32).unwrap();
        }
    }
    w.finalize().unwrap();
    let go = Function::new_with_args("share", "return true;");
    let tracks = import_file(bytes.into_inner(), "Loud.wav", 48_000, &go).unwrap();
    assert_eq!(tracks.length(), 3);
    let peak = get(&tracks.get(0), "peak").as_f64().unwrap() as f32;
    assert!(peak > mixroom_import_worker::far_beyond_full_scale() && (peak / 3e6 - 1.0).abs() < 1e-3, "{peak}");
    assert!(tracks.iter().all(|t| get(&t, "peak").as_f64().unwrap() as f32 == peak), "one peak for the file");
    let normal = mixroom_import_worker::normalise_tracks(&tracks, 48_000);
    let samples = |t: &JsValue| -> Vec<f32> { get(t, "channels").unchecked_into::<Array>().get(0).unchecked_into::<Float32Array>().to_vec() };
    let top = |t: &JsValue| samples(t).iter().fold(0.0f32, |m, x| m.max(x.abs()));
    assert_eq!(top(&normal.get(2)), 1.0, "the loudest channel at full scale");
    assert!((top(&normal.get(0)) - 1.0 / 3.0).abs() < 1e-3, "the others kept in proportion");
    assert_eq!(get(&normal.get(0), "peak").as_f64(), Some(1.0));
    for i in 0..3 {
        assert_ne!(get(&normal.get(i), "id").as_string(), get(&tracks.get(i), "id").as_string(), "new samples, new id");
    }
}

/// Imports `bytes` (the file `name`) as the worker script does: step by step into records, then
/// each track's pages read back for its content id. The records by key, and the tracks.
fn import_stored(bytes: &[u8], name: &str, gain: Option<f64>) -> (std::collections::HashMap<String, Vec<f32>>, Array, Vec<String>) {
    let parts = Array::of1(&js_sys::Uint8Array::from(bytes));
    let file = web_sys::File::new_with_u8_array_sequence(&parts, name).unwrap();
    let mut import = StreamedImport::new(&file, 48_000, "import-test", gain).unwrap();
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
/// gain on the way in), it is `normalise_tracks`' result, content ids and all.
#[wasm_bindgen_test]
fn a_streamed_import_stores_the_whole_imports_pages_overview_and_ids() {
    use mixroom_session::storage::{detail_key, page_key, DETAIL_LEVEL, KEPT_LEVELS, PAGE_FRAMES};
    use mixroom_session::summary::Summary;
    let go = Function::new_with_args("share", "return true;");
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
        let mut whole = import_file(bytes.clone(), name, 48_000, &go).unwrap();
        let gain = normalised.then(|| 1.0 / get(&whole.get(0), "peak").as_f64().unwrap());
        if normalised {
            whole = mixroom_import_worker::normalise_tracks(&whole, 48_000);
        }
        let (records, tracks, ids) = import_stored(&bytes, name, gain);
        assert_eq!(tracks.length(), whole.length(), "{name}");
        let mut expected_records = 0;
        for (t, (ours, theirs)) in tracks.iter().zip(whole.iter()).enumerate() {
            let label = format!("{name} track {t}{}", if normalised { ", normalised" } else { "" });
            let pages = get(&ours, "pages").as_string().unwrap();
            assert_eq!(pages, format!("import-test.{t}"));
            assert_eq!(get(&ours, "name").as_string(), get(&theirs, "name").as_string(), "{label}");
            let channels: Vec<Vec<f32>> = get(&theirs, "channels").unchecked_into::<Array>().iter().map(|c| c.unchecked_into::<Float32Array>().to_vec()).collect();
            let frames = channels[0].len();
            assert_eq!(get(&ours, "frames").as_f64(), Some(frames as f64), "{label}");
            for (c, samples) in channels.iter().enumerate() {
                let stored: Vec<f32> = (0..frames.div_ceil(PAGE_FRAMES)).flat_map(|p| records[&page_key(&pages, p, c)].clone()).collect();
                assert!(stored == *samples, "{label}: channel {c}'s pages");
            }
            let summary = Summary::of(&channels, 0);
            assert_eq!(get(&ours, "level").as_f64(), Some(summary.level_db), "{label}");
            let detail: Vec<f32> = summary.overview[DETAIL_LEVEL].iter().flat_map(|&(lo, hi)| [lo, hi]).collect();
            let detail_records = detail.len().div_ceil(2 * 4096);
            let stored: Vec<f32> = (0..detail_records).flat_map(|n| records[&detail_key(&pages, n)].clone()).collect();
            assert!(stored == detail, "{label}: the detail records");
            let kept: Vec<Vec<f32>> = get(&ours, "overview").unchecked_into::<Array>().iter().map(|l| l.unchecked_into::<Float32Array>().to_vec()).collect();
            let expected: Vec<Vec<f32>> = summary.overview[KEPT_LEVELS..].iter().map(|l| l.iter().flat_map(|&(lo, hi)| [lo, hi]).collect()).collect();
            assert!(kept == expected, "{label}: the overview the audio record keeps");
            assert_eq!(Some(&ids[t]), get(&theirs, "id").as_string().as_ref(), "{label}: the content id from the pages read back");
            expected_records += frames.div_ceil(PAGE_FRAMES) * channels.len() + detail_records;
        }
        assert_eq!(records.len(), expected_records, "{name}: nothing else stored");
    }
}

/// A `File` read in slices (`FileReaderSync`, as the worker reads the user's file) and streamed
/// comes out as the whole-file import's tracks, sample for sample, in many runs.
#[wasm_bindgen_test]
fn a_file_read_in_slices_streams_the_whole_imports_audio() {
    let bytes = wav(2, 44_100, 3 * 44_100);
    let whole = import_file(bytes.clone(), "Pad.wav", 48_000, &Function::new_with_args("share", "return true;")).unwrap();
    let parts = Array::of1(&js_sys::Uint8Array::from(bytes.as_slice()));
    let file = web_sys::File::new_with_u8_array_sequence(&parts, "Pad.wav").unwrap();
    let runs = Array::new();
    let keep = runs.clone();
    let audio = wasm_bindgen::closure::Closure::<dyn FnMut(Array)>::new(move |channels: Array| {
        keep.push(&channels);
    });
    let streamed = import_file_streaming(&file, 48_000, &Function::new_with_args("share", "return true;"), audio.as_ref().unchecked_ref::<Function>()).unwrap();
    assert_eq!(Array::from(&get(&streamed, "names")).get(0).as_string().unwrap(), "Pad");
    assert_eq!(get(&streamed, "format").as_string().unwrap(), "PCM, 24-bit");
    assert_eq!(get(&streamed, "frames").as_f64(), Some(144_000.0));
    assert!(runs.length() > 10, "handed on as it came: {} runs", runs.length());
    let whole_channels: Array = get(&whole.get(0), "channels").into();
    for c in 0..2 {
        let ours: Vec<f32> = runs.iter().flat_map(|run| Float32Array::from(Array::from(&run).get(c)).to_vec()).collect();
        assert!(ours == Float32Array::from(whole_channels.get(c)).to_vec(), "channel {c}");
    }
    assert_eq!(get(&streamed, "peak").as_f64(), get(&whole.get(0), "peak").as_f64());
}
