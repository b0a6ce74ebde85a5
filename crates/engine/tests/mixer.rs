//! The mixer's behaviour against analytic expectations: pan and balance laws, solo and mute logic,
//! declicking, transport, and block-size independence.

use mixroom_engine::{Engine, MasterParam, ParamChange, TrackParam, MAX_BLOCK};

const FS: f32 = 48_000.0;

/// An engine with one track per entry of `tracks` (channels, constant value), settled and playing
/// past the transport's start ramp.
fn engine_with(tracks: &[(usize, f32)], frames: usize) -> Engine {
    let mut e = Engine::new(FS);
    for &(channels, value) in tracks {
        let t = e.add_track(channels, frames);
        for c in 0..channels {
            e.track_audio_mut(t, c).unwrap().fill(value);
        }
    }
    e.settle();
    e.play();
    run(&mut e, 4_800);
    e
}

/// Processes `frames` frames in full blocks; returns the last block's (left, right) first sample.
fn run(e: &mut Engine, frames: usize) -> (f32, f32) {
    for _ in 0..frames.div_ceil(MAX_BLOCK) {
        e.process(MAX_BLOCK);
    }
    (e.output(0)[0], e.output(1)[0])
}

fn close(a: f32, b: f64, tol: f64) -> bool {
    (a as f64 - b).abs() <= tol
}

#[test]
fn mono_track_is_panned_with_constant_power() {
    let mut e = engine_with(&[(1, 1.0)], 96_000);
    let (l, r) = run(&mut e, 128);
    let centre = std::f64::consts::FRAC_PI_4.cos(); // −3.01 dB
    assert!(close(l, centre, 1e-6) && close(r, centre, 1e-6), "{l} {r}");

    e.set_track_param(0, TrackParam::Pan, 0.5);
    let (l, r) = run(&mut e, 9_600);
    let theta = 1.5 * std::f64::consts::FRAC_PI_4;
    assert!(close(l, theta.cos(), 1e-5) && close(r, theta.sin(), 1e-5), "{l} {r}");
}

#[test]
fn stereo_track_is_balanced_at_unity_in_the_centre() {
    let mut e = engine_with(&[(2, 0.5)], 96_000);
    let (l, r) = run(&mut e, 128);
    assert_eq!((l, r), (0.5, 0.5));
    e.set_track_param(0, TrackParam::Pan, -1.0);
    let (l, r) = run(&mut e, 9_600);
    assert!(close(l, 0.5, 1e-6) && close(r, 0.0, 1e-6), "{l} {r}");
}

#[test]
fn faders_trim_and_polarity_multiply_exactly() {
    let mut e = engine_with(&[(2, 0.5)], 96_000);
    e.set_track_param(0, TrackParam::Fader, -6.0);
    e.set_track_param(0, TrackParam::Trim, 3.0);
    e.set_track_param(0, TrackParam::Polarity, 1.0);
    e.set_master_param(MasterParam::Fader, -2.0);
    let (l, _) = run(&mut e, 19_200);
    let expected = -0.5 * 10f64.powf((-6.0 + 3.0 - 2.0) / 20.0);
    assert!(close(l, expected, 1e-6), "{l} vs {expected}");
    // A fader at −∞ is exactly silent.
    e.set_track_param(0, TrackParam::Fader, f32::NEG_INFINITY);
    assert_eq!(run(&mut e, 19_200), (0.0, 0.0));
}

#[test]
fn solo_mutes_the_others_except_solo_safe() {
    // Three stereo tracks at 0.1, 0.2 and 0.4: the sum tells which are heard.
    let mut e = engine_with(&[(2, 0.1), (2, 0.2), (2, 0.4)], 96_000);
    assert!(close(run(&mut e, 128).0, 0.7, 1e-6));
    e.set_track_param(1, TrackParam::Solo, 1.0);
    assert!(close(run(&mut e, 9_600).0, 0.2, 1e-6));
    e.set_track_param(2, TrackParam::SoloSafe, 1.0);
    assert!(close(run(&mut e, 9_600).0, 0.6, 1e-6));
    e.set_track_param(1, TrackParam::Mute, 1.0);
    assert!(close(run(&mut e, 9_600).0, 0.4, 1e-6));
    e.set_track_param(1, TrackParam::Solo, 0.0);
    e.set_track_param(1, TrackParam::Mute, 0.0);
    assert!(close(run(&mut e, 9_600).0, 0.7, 1e-6));
}

#[test]
fn mute_and_stop_glide_instead_of_clicking() {
    let mut e = engine_with(&[(2, 1.0)], 96_000);
    let largest_step = |e: &mut Engine, blocks: usize| {
        let mut last = e.output(0)[MAX_BLOCK - 1];
        let mut largest = 0.0f32;
        for _ in 0..blocks {
            e.process(MAX_BLOCK);
            for &x in e.output(0) {
                largest = largest.max((x - last).abs());
                last = x;
            }
        }
        (largest, last)
    };
    e.set_track_param(0, TrackParam::Mute, 1.0);
    let (step, end) = largest_step(&mut e, 100);
    // A one-pole glide over 5 ms moves at most 1 − e^(−1/240) of full scale per sample.
    assert!(step < 0.005, "mute step {step}");
    assert_eq!(end, 0.0);

    e.set_track_param(0, TrackParam::Mute, 0.0);
    run(&mut e, 9_600);
    e.stop();
    let (step, end) = largest_step(&mut e, 100);
    assert!(step < 0.01, "stop step {step}");
    assert_eq!(end, 0.0);
    assert!(!e.is_playing());
}

#[test]
fn transport_stops_at_the_end_and_restarts_from_the_top() {
    let mut e = engine_with(&[(1, 0.25)], 10_000);
    run(&mut e, 20_000);
    assert!(!e.is_playing());
    assert_eq!(e.position(), 10_000);
    e.play();
    assert_eq!(e.position(), 0);
    e.seek(5_000);
    assert_eq!(e.position(), 5_000);
    e.seek(1 << 40);
    assert_eq!(e.position(), 10_000);
}

#[test]
fn render_all_covers_the_session_exactly() {
    let mut e = engine_with(&[(1, 0.25)], 10_001);
    let [l, r] = e.render_all();
    assert_eq!((l.len(), r.len()), (10_001, 10_001));
    assert!(l[5_000] > 0.17);
}

/// The same signal and the same parameter changes at the same sample positions give the same output
/// whatever the block sizes the host asks for.
#[test]
fn block_size_does_not_change_the_output() {
    let frames = 48_000;
    let render = |blocks: &mut dyn FnMut() -> usize| {
        let mut e = Engine::new(FS);
        let t = e.add_track(1, frames);
        for (i, x) in e.track_audio_mut(t, 0).unwrap().iter_mut().enumerate() {
            *x = ((i as f32) * 0.013).sin() * 0.5;
        }
        e.settle();
        e.play();
        let changes = [
            (7_000, ParamChange::Track(0, TrackParam::Fader, -12.0)),
            (19_000, ParamChange::Track(0, TrackParam::Pan, 0.7)),
            (30_500, ParamChange::Track(0, TrackParam::Mute, 1.0)),
            (33_333, ParamChange::Track(0, TrackParam::Mute, 0.0)),
            (40_000, ParamChange::Master(MasterParam::Fader, 3.0)),
        ];
        let mut out = Vec::new();
        let mut next = 0;
        while out.len() < frames {
            let pos = out.len();
            while next < changes.len() && changes[next].0 == pos {
                changes[next].1.apply(&mut e);
                next += 1;
            }
            // Never cross the next change inside a block.
            let until_change = changes.get(next).map_or(usize::MAX, |c| c.0 - pos);
            let n = blocks().min(until_change).min(frames - pos);
            let done = e.process(n);
            for i in 0..done {
                out.push((e.output(0)[i], e.output(1)[i]));
            }
        }
        out
    };
    let reference = render(&mut || 1);
    let full = render(&mut || MAX_BLOCK);
    let mut seed = 12345u32;
    let random = render(&mut || {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        1 + (seed >> 16) as usize % MAX_BLOCK
    });
    assert_eq!(full, reference);
    assert_eq!(random, reference);
}
