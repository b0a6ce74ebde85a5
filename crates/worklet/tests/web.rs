//! The worklet boundary, exercised in WebAssembly in headless Chromium: the engine as the processor
//! drives it, read back through the same pointers the processor's views use.

use mixroom_worklet::WorkletEngine;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const FRAMES: u32 = 48_000;

/// One block of an output channel, read through its pointer as the processor's view does.
fn output(engine: &WorkletEngine, channel: u32) -> Vec<f32> {
    // SAFETY: output_ptr points at the engine's 128-sample output buffer in this module's memory.
    unsafe { std::slice::from_raw_parts(engine.output_ptr(channel) as *const f32, 128).to_vec() }
}

/// An engine with one mono track of constant 0.5, playing, past the transport's start ramp.
fn playing_dc_track() -> WorkletEngine {
    let mut engine = WorkletEngine::new(48_000.0);
    let track = engine.add_track(1, FRAMES);
    let ptr = engine.track_audio_ptr(track, 0) as *mut f32;
    assert_ne!(ptr as usize, 0);
    // SAFETY: the track owns FRAMES samples at ptr, as the processor's copy assumes.
    unsafe { std::slice::from_raw_parts_mut(ptr, FRAMES as usize).fill(0.5) };
    engine.set_length(FRAMES as f64);
    engine.settle();
    engine.play();
    for _ in 0..40 {
        engine.process(128);
    }
    engine
}

#[wasm_bindgen_test]
fn centred_mono_track_comes_out_at_the_constant_power_law() {
    let mut engine = playing_dc_track();
    engine.process(128);
    // −3.01 dB per side: 0.5 · cos(π/4), computed in f64 as the reference.
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
    engine.set_track_param(0, 1, -6.020_6);
    engine.set_track_param(0, 2, -1.0);
    for _ in 0..60 {
        engine.process(128);
    }
    let left = output(&engine, 0);
    let right = output(&engine, 1);
    assert!(left.iter().all(|&x| (x - 0.25).abs() < 1e-5), "left {:?}", &left[..4]);
    assert!(right.iter().all(|&x| x.abs() < 1e-6), "right {:?}", &right[..4]);
    // Unknown ids and tracks are ignored, never a trap on the audio thread.
    engine.set_track_param(0, 999, 1.0);
    engine.set_track_param(99, 1, 0.0);
    engine.set_master_param(42, 0.0);
    engine.process(128);
    assert!(output(&engine, 0).iter().all(|&x| (x - 0.25).abs() < 1e-5));
}

#[wasm_bindgen_test]
fn meters_report_master_and_track_peaks() {
    let mut engine = playing_dc_track();
    let count = engine.collect_meters();
    assert_eq!(count, 4);
    // SAFETY: meters_ptr points at `count` f32s owned by the engine.
    let meters = unsafe { std::slice::from_raw_parts(engine.meters_ptr() as *const f32, count as usize) };
    let expected = 0.5 * std::f32::consts::FRAC_1_SQRT_2;
    for (i, &m) in meters.iter().enumerate() {
        assert!((m - expected).abs() < 1e-5, "meter {i}: {m}");
    }
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
