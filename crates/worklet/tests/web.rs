//! The worklet boundary, exercised in WebAssembly in headless Chromium: the engine as the processor
//! drives it, read back through the same pointers the processor's views use.

use mixroom_session::{Session, Source, Strip, Track, VERSION};
use mixroom_engine::PAGE_FRAMES;
use mixroom_worklet::{WorkletEngine, METER_STRIDE};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const FRAMES: u32 = 48_000;

/// One block of an output channel, read through its pointer as the processor's view does.
fn output(engine: &WorkletEngine, channel: u32) -> Vec<f32> {
    // SAFETY: output_ptr points at the engine's 128-sample output buffer in this module's memory.
    unsafe { std::slice::from_raw_parts(engine.output_ptr(channel) as *const f32, 128).to_vec() }
}

/// A session with one mono demo track (its audio replaced by a constant 0.5) to the master.
fn one_track_session() -> String {
    let mut s = Session::demo();
    s.version = VERSION;
    s.tracks = vec![Track { id: "t".into(), name: "T".into(), source: Source::DemoStem { stem: "kick".into() }, clips: Vec::new(), folder: None, colour: None, role: None, strip: Strip::default() }];
    s.buses.clear();
    s.returns.clear();
    s.master.strip.inserts.clear();
    s.to_json()
}

fn playing_dc_track() -> WorkletEngine {
    let mut engine = WorkletEngine::new(48_000.0);
    engine.load(&one_track_session()).unwrap();
    let ptr = engine.track_audio_ptr(0, 0, FRAMES) as *mut f32;
    assert_ne!(ptr as usize, 0);
    // SAFETY: the track owns FRAMES samples at ptr, as the processor's copy assumes.
    unsafe { std::slice::from_raw_parts_mut(ptr, FRAMES as usize).fill(0.5) };
    engine.start(true);
    for _ in 0..40 {
        engine.process(128);
    }
    engine
}

#[wasm_bindgen_test]
fn centred_mono_track_comes_out_at_the_constant_power_law() {
    let mut engine = playing_dc_track();
    engine.process(128);
    let expected = 0.5 * std::f64::consts::FRAC_PI_4.cos();
    for channel in 0..2 {
        for x in output(&engine, channel) {
            assert!((x as f64 - expected).abs() < 1e-6, "channel {channel}: {x} vs {expected}");
        }
    }
}

#[wasm_bindgen_test]
fn parameters_by_id_reach_the_engine() {
    let mut engine = playing_dc_track();
    // Fader (id 1) to −6.0206 dB halves the level; pan (id 2) hard left silences the right.
    engine.set_strip_param(0, 1, -6.020_6);
    engine.set_strip_param(0, 2, -1.0);
    for _ in 0..60 {
        engine.process(128);
    }
    assert!(output(&engine, 0).iter().all(|&x| (x - 0.25).abs() < 1e-5));
    assert!(output(&engine, 1).iter().all(|&x| x.abs() < 1e-6));
    // Unknown ids, strips and slots are ignored, never a trap on the audio thread.
    engine.set_strip_param(0, 999, 1.0);
    engine.set_strip_param(99, 1, 0.0);
    engine.set_insert_param(0, 7, 3, 1.0);
    engine.set_send_param(0, 4, 0, 0.0);
    engine.process(128);
    assert!(output(&engine, 0).iter().all(|&x| (x - 0.25).abs() < 1e-5));
}

#[wasm_bindgen_test]
fn meters_report_every_strip() {
    let mut engine = playing_dc_track();
    let count = engine.collect_meters() as usize;
    assert_eq!(count, 2 * METER_STRIDE);
    // SAFETY: meters_ptr points at `count` f32s owned by the engine.
    let meters = unsafe { std::slice::from_raw_parts(engine.meters_ptr() as *const f32, count) };
    let expected = 0.5 * std::f32::consts::FRAC_1_SQRT_2;
    for strip in 0..2 {
        assert!((meters[strip * METER_STRIDE] - expected).abs() < 1e-5);
        assert!((meters[strip * METER_STRIDE + 1] - expected).abs() < 1e-5);
        // A constant signal: its RMS is its level.
        assert!((meters[strip * METER_STRIDE + 2] - expected).abs() < 1e-5);
        assert_eq!(meters[strip * METER_STRIDE + 4], 0.0);
    }
}

#[wasm_bindgen_test]
fn a_bad_session_is_refused_with_its_reason() {
    let mut engine = WorkletEngine::new(48_000.0);
    assert!(engine.load("{\"format\": \"mixroom-session\", \"version\": 9}").is_err());
    assert!(engine.load(&one_track_session().replace("\"output\": \"master\"", "\"output\": \"nowhere\"")).is_err());
    // Nothing loaded: silence, no trap.
    assert_eq!(engine.process(128), 0);
}

#[wasm_bindgen_test]
fn an_update_swaps_the_plan_without_a_reload() {
    let mut engine = playing_dc_track();
    let mut s = Session::from_json(&one_track_session()).unwrap();
    s.tracks[0].strip.inserts.push(mixroom_session::Insert { kind: "limiter".into(), bypass: false, params: [("ceiling".to_string(), -12.0f32)].into_iter().collect(), sidechain: None });
    engine.update(&s.to_json()).unwrap();
    for _ in 0..200 {
        engine.process(128);
    }
    let ceiling = 10f32.powf(-12.0 / 20.0);
    assert!(engine.latency() > 0);
    assert!(output(&engine, 0).iter().all(|&x| x <= ceiling * std::f32::consts::FRAC_1_SQRT_2 + 1e-4 && x > 0.1));
}

#[wasm_bindgen_test]
fn stop_ramps_to_silence_and_halts() {
    let mut engine = playing_dc_track();
    let before = engine.position();
    engine.stop();
    for _ in 0..40 {
        engine.process(128);
    }
    assert!(!engine.is_playing());
    assert!(output(&engine, 0).iter().all(|&x| x == 0.0));
    let stopped_at = engine.position();
    engine.process(128);
    assert_eq!(engine.position(), stopped_at);
    assert!(stopped_at > before);
}

#[wasm_bindgen_test]
fn a_streamed_track_plays_the_pages_its_reader_brings() {
    let mut engine = WorkletEngine::new(48_000.0);
    engine.load(&one_track_session()).unwrap();
    assert!(engine.stream_track(0, 3.0 * PAGE_FRAMES as f64));
    assert!(!engine.stream_track(5, 1.0), "no track 5");
    engine.start(true);
    // Nothing read yet: Play waits, silent.
    for _ in 0..10 {
        engine.process(128);
    }
    assert!(output(&engine, 0).iter().all(|&x| x == 0.0));
    assert_eq!(engine.position(), 0.0);
    // After Play, the planner first asks for the block that must sound first…
    assert_eq!(engine.plan_reads(true), 1);
    // …then for the pages ahead, as (track, page) pairs.
    let count = engine.plan_reads(false) as usize + 1;
    assert!(count >= 2, "{count} reads");
    // SAFETY: reads_ptr points at 2 × count u32 in this module's memory.
    let reads = unsafe { std::slice::from_raw_parts(engine.reads_ptr() as *const u32, 2 * (count - 1)).to_vec() };
    assert_eq!(&reads[..2], &[0, 1], "page 0 was asked for already");
    assert_eq!(engine.plan_reads(false), 0, "asked once");
    // Page 0 arrives (as the processor copies it in): from the next quantum on, it plays.
    let ptr = engine.page_ptr(0, 0, 0) as *mut f32;
    assert_ne!(ptr as usize, 0);
    // SAFETY: the engine handed out PAGE_FRAMES samples of the page's slot at ptr.
    unsafe { std::slice::from_raw_parts_mut(ptr, PAGE_FRAMES).fill(0.5) };
    assert!(engine.page_arrived(0, 0));
    for _ in 0..40 {
        engine.process(128);
    }
    let expected = 0.5 * std::f64::consts::FRAC_PI_4.cos();
    assert!(output(&engine, 0).iter().all(|&x| (x as f64 - expected).abs() < 1e-6));
    assert_eq!(engine.underruns(), 0.0);
    // A page arrived already, another channel, another track, a page past the source: refused.
    assert_eq!(engine.page_ptr(0, 0, 0), 0);
    assert_eq!(engine.page_ptr(0, 1, 1), 0);
    assert_eq!(engine.page_ptr(5, 1, 0), 0);
    assert_eq!(engine.page_ptr(0, 3, 0), 0);
    // Page 1 never comes: past page 0 the track is silent, and every such quantum is counted.
    for _ in 0..(PAGE_FRAMES / 128) {
        engine.process(128);
    }
    assert!(output(&engine, 0).iter().all(|&x| x == 0.0));
    assert!(engine.underruns() > 0.0);
}

#[wasm_bindgen_test]
fn a_reload_keeps_the_audio_of_tracks_that_stay() {
    let mut engine = playing_dc_track();
    // The same session with a second (silent) track added: track 0 keeps its audio, moved across
    // rather than copied in again.
    let mut s = Session::from_json(&one_track_session()).unwrap();
    let mut added = s.tracks[0].clone();
    added.id = "u".into();
    added.name = "U".into();
    s.tracks.push(added);
    engine.load(&s.to_json()).unwrap();
    assert!(engine.keep_track_audio(0, 0));
    assert!(!engine.keep_track_audio(1, 7), "no track 7 to take audio from");
    assert_ne!(engine.track_audio_ptr(1, 0, FRAMES), 0);
    engine.start(true);
    for _ in 0..40 {
        engine.process(128);
    }
    let expected = 0.5 * std::f64::consts::FRAC_PI_4.cos();
    assert!(output(&engine, 0).iter().all(|&x| (x as f64 - expected).abs() < 1e-6), "the kept track still plays");
}

/// A/B with a reference track: listening to it, the output is the reference at its matching gain
/// (after the short crossfade), back to the mix when switched back; the loudness matching measures
/// the reference unmatched (a stereo 1 kHz sine of −20 dBFS peak reads −20 LUFS, as in TECH 3341).
#[wasm_bindgen_test]
fn the_monitor_switches_to_the_reference_at_its_matching_gain() {
    let mut engine = playing_dc_track();
    assert!(engine.enable_analysis());
    let amplitude = 0.1f32;
    let sine = |n: usize| amplitude * (2.0 * std::f32::consts::PI * 1_000.0 * (n % 48) as f32 / 48_000.0).sin();
    for c in 0..2 {
        let ptr = engine.reference_audio_ptr(c, 2, 4 * FRAMES) as *mut f32;
        assert_ne!(ptr as usize, 0);
        // SAFETY: the reference channel owns 4 × FRAMES samples at ptr.
        let samples = unsafe { std::slice::from_raw_parts_mut(ptr, 4 * FRAMES as usize) };
        samples.iter_mut().enumerate().for_each(|(n, x)| *x = sine(n));
    }
    assert!(engine.set_reference(true, false, 0.0, 0.0, 0.0));
    engine.set_reference_gain(-6.020_6);
    engine.listen_to_reference(true);
    // 2.5 s of play: the crossfade long done, the matching meter has read the reference.
    for _ in 0..(2.5 * 48_000.0 / 128.0) as usize {
        engine.process(128);
    }
    let at = engine.position() as usize - 128;
    let heard = output(&engine, 0);
    for (k, x) in heard.iter().enumerate() {
        let expected = 0.5 * sine(at + k);
        assert!((x - expected).abs() < 1e-4, "frame {k}: {x} against {expected}");
    }
    engine.collect_analysis();
    // SAFETY: the analysis buffer holds ANALYSIS_VALUES floats.
    let values = unsafe { std::slice::from_raw_parts(engine.analysis_ptr() as *const f32, mixroom_worklet::ANALYSIS_VALUES) };
    assert!((values[7] + 20.0).abs() < 0.1, "the reference's matching loudness {}", values[7]);
    // Matching afresh: nothing measured, then the reference again after a second.
    engine.reset_matching();
    engine.collect_analysis();
    let read = |engine: &WorkletEngine, k: usize| unsafe { *(engine.analysis_ptr() as *const f32).add(k) };
    assert!(read(&engine, 6).is_nan() && read(&engine, 7).is_nan());
    for _ in 0..(1.2 * 48_000.0 / 128.0) as usize {
        engine.process(128);
    }
    engine.collect_analysis();
    assert!((read(&engine, 7) + 20.0).abs() < 0.1, "after a reset: {}", read(&engine, 7));
    // Back to the mix — silent by now (its track's second of audio is long over): the reference
    // is gone from the output.
    engine.listen_to_reference(false);
    for _ in 0..40 {
        engine.process(128);
    }
    assert!(engine.is_playing());
    assert!(output(&engine, 0).iter().all(|x| x.abs() < 1e-6), "{:?}", &output(&engine, 0)[..4]);
    engine.clear_reference();
    assert_eq!(engine.reference_tap_ptr(), 0);
}
