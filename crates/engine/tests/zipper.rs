//! Zipper noise: a fader or EQ gain moved in steps (as a mouse drag delivers it, one value per
//! message) must not add the broadband buzz a stepped gain makes. Measured with an FFT: the energy far
//! from the test tone, relative to the tone, against the same steps applied without smoothing.

mod common;
use common::*;
use mixroom_engine::*;
use realfft::RealFftPlanner;

const TONE_HZ: f32 = 1_000.0;

/// Energy more than an octave away from the tone, relative to the total, dB (Hann window).
fn off_tone_db(x: &[f32]) -> f64 {
    let n = x.len();
    let mut planner = RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(n);
    let mut input: Vec<f64> = x.iter().enumerate().map(|(i, &v)| v as f64 * (0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / n as f64).cos())).collect();
    let mut spectrum = fft.make_output_vec();
    fft.process(&mut input, &mut spectrum).unwrap();
    let hz = |k: usize| k as f64 * FS as f64 / n as f64;
    let (mut total, mut off) = (0.0, 0.0);
    for (k, c) in spectrum.iter().enumerate() {
        let e = c.norm_sqr();
        total += e;
        if hz(k) > 2.0 * TONE_HZ as f64 || hz(k) < TONE_HZ as f64 / 2.0 {
            off += e;
        }
    }
    10.0 * (off / total).log10()
}

/// A 1 kHz tone through one track while `change(step)` is applied every 128 frames (375 steps a
/// second) for 16 384 frames; returns the left output.
fn render_with_steps(spec: &MixerSpec, change: impl Fn(usize) -> ParamChange) -> Vec<f32> {
    let mut e = engine(spec, 96_000, |_, _, i| 0.5 * (std::f32::consts::TAU * TONE_HZ * i as f32 / FS).sin());
    start(&mut e);
    let mut out = Vec::new();
    for step in 0..128 {
        change(step).apply(&mut e);
        e.process(128);
        out.extend_from_slice(&e.output(0)[..128]);
    }
    out
}

/// The same tone with the same gain steps applied instantly (no smoothing): the reference of what a
/// zipper sounds like.
fn stepped_reference(gain_db: impl Fn(usize) -> f64) -> Vec<f32> {
    (0..128 * 128)
        .map(|i| {
            let t = (i + 4_800) as f32;
            let g = 10f64.powf(gain_db(i / 128) / 20.0);
            (0.5 * (std::f32::consts::TAU * TONE_HZ * t / FS).sin() as f64 * g * std::f64::consts::FRAC_1_SQRT_2) as f32
        })
        .collect()
}

#[test]
fn a_fader_drag_makes_no_zipper_noise() {
    let spec = tracks_to_master(&[1]);
    // From 0 dB to −24 dB in 128 steps of 0.1875 dB.
    let db = |step: usize| -(step as f64) * 24.0 / 128.0;
    let ours = off_tone_db(&render_with_steps(&spec, |s| ParamChange::Strip(0, StripParam::Fader, db(s) as f32)));
    let stepped = off_tone_db(&stepped_reference(db));
    println!("fader drag: off-tone energy {ours:.1} dB (stepped without smoothing: {stepped:.1} dB)");
    assert!(ours < -80.0, "{ours}");
    assert!(ours < stepped - 30.0);
}

#[test]
fn an_eq_gain_drag_makes_no_zipper_noise() {
    let mut spec = tracks_to_master(&[1]);
    spec.strips[0].inserts.push(InsertSpec::new(InsertKind::Eq).with("lomid_freq", 1_000.0));
    // The bell at the tone's frequency from 0 to −12 dB: the tone's own level moves by 12 dB.
    let db = |step: usize| -(step as f64) * 12.0 / 128.0;
    let ours = off_tone_db(&render_with_steps(&spec, |s| ParamChange::Insert(0, 0, 6, db(s) as f32)));
    let stepped = off_tone_db(&stepped_reference(db));
    println!("EQ gain drag: off-tone energy {ours:.1} dB (stepped without smoothing: {stepped:.1} dB)");
    assert!(ours < -75.0, "{ours}");
    assert!(ours < stepped - 20.0);
}
