//! The mixer's behaviour against analytic expectations: pan and balance laws, faders, solo and mute,
//! declicking, transport, and block-size independence.

mod common;
use common::*;
use mixroom_engine::*;

fn close(a: f32, b: f64, tol: f64) -> bool {
    (a as f64 - b).abs() <= tol
}

fn set(e: &mut Engine, s: StripId, p: StripParam, v: f32) {
    ParamChange::Strip(s, p, v).apply(e);
}

#[test]
fn mono_track_is_panned_with_each_law() {
    let spec = tracks_to_master(&[1]);
    let mut e = engine(&spec, 96_000, |_, _, _| 1.0);
    start(&mut e);
    let (l, r) = run(&mut e, 128);
    let centre = std::f64::consts::FRAC_PI_4.cos(); // −3.01 dB
    assert!(close(l[127], centre, 1e-6) && close(r[127], centre, 1e-6), "{} {}", l[127], r[127]);
    set(&mut e, 0, StripParam::Pan, 0.5);
    let (l, r) = run(&mut e, 9_600);
    let theta = 1.5 * std::f64::consts::FRAC_PI_4;
    assert!(close(l[9_599], theta.cos(), 1e-5) && close(r[9_599], theta.sin(), 1e-5));
    // −6 dB law: linear, 0.5 per side at the centre.
    set(&mut e, 0, StripParam::Pan, 0.0);
    set(&mut e, 0, StripParam::PanLaw, 2.0);
    let (l, _) = run(&mut e, 9_600);
    assert!(close(l[9_599], 0.5, 1e-5), "{}", l[9_599]);
    set(&mut e, 0, StripParam::PanLaw, 1.0);
    let (l, _) = run(&mut e, 9_600);
    assert!(close(l[9_599], 10f64.powf(-4.5154 / 20.0), 1e-4), "{}", l[9_599]);
}

#[test]
fn stereo_track_is_balanced_at_unity_and_width_works_in_mid_side() {
    let spec = tracks_to_master(&[2]);
    let mut e = engine(&spec, 96_000, |_, c, _| if c == 0 { 0.5 } else { 0.1 });
    start(&mut e);
    let (l, r) = run(&mut e, 128);
    assert_eq!((l[100], r[100]), (0.5, 0.1));
    // Width 0: mono, both sides the mid (0.3).
    set(&mut e, 0, StripParam::Width, 0.0);
    let (l, r) = run(&mut e, 9_600);
    assert!(close(l[9_599], 0.3, 1e-6) && close(r[9_599], 0.3, 1e-6));
    // Width 2: side doubled: mid 0.3 ± 2 × 0.2.
    set(&mut e, 0, StripParam::Width, 2.0);
    let (l, r) = run(&mut e, 9_600);
    assert!(close(l[9_599], 0.7, 1e-6) && close(r[9_599], -0.1, 1e-6), "{} {}", l[9_599], r[9_599]);
    set(&mut e, 0, StripParam::Width, 1.0);
    set(&mut e, 0, StripParam::Pan, -1.0);
    let (l, r) = run(&mut e, 9_600);
    assert!(close(l[9_599], 0.5, 1e-6) && close(r[9_599], 0.0, 1e-6));
}

#[test]
fn faders_trim_and_polarity_multiply_exactly() {
    let spec = tracks_to_master(&[2]);
    let mut e = engine(&spec, 96_000, |_, _, _| 0.5);
    start(&mut e);
    set(&mut e, 0, StripParam::Fader, -6.0);
    set(&mut e, 0, StripParam::Trim, 3.0);
    set(&mut e, 0, StripParam::Polarity, 1.0);
    set(&mut e, 1, StripParam::Fader, -2.0);
    let (l, _) = run(&mut e, 19_200);
    let expected = -0.5 * 10f64.powf((-6.0 + 3.0 - 2.0) / 20.0);
    assert!(close(l[19_199], expected, 1e-6), "{} vs {expected}", l[19_199]);
    set(&mut e, 0, StripParam::Fader, f32::NEG_INFINITY);
    let (l, r) = run(&mut e, 19_200);
    assert_eq!((l[19_199], r[19_199]), (0.0, 0.0));
}

#[test]
fn solo_mutes_the_others_except_solo_safe() {
    let spec = tracks_to_master(&[2, 2, 2]);
    let levels = [0.1, 0.2, 0.4];
    let mut e = engine(&spec, 96_000, |s, _, _| levels[s]);
    start(&mut e);
    let last = |e: &mut Engine| run(e, 9_600).0[9_599];
    assert!(close(last(&mut e), 0.7, 1e-6));
    set(&mut e, 1, StripParam::Solo, 1.0);
    assert!(close(last(&mut e), 0.2, 1e-6));
    set(&mut e, 2, StripParam::SoloSafe, 1.0);
    assert!(close(last(&mut e), 0.6, 1e-6));
    set(&mut e, 1, StripParam::Mute, 1.0);
    assert!(close(last(&mut e), 0.4, 1e-6));
    set(&mut e, 1, StripParam::Solo, 0.0);
    set(&mut e, 1, StripParam::Mute, 0.0);
    assert!(close(last(&mut e), 0.7, 1e-6));
}

#[test]
fn mute_and_stop_glide_instead_of_clicking() {
    let spec = tracks_to_master(&[2]);
    let mut e = engine(&spec, 96_000, |_, _, _| 1.0);
    start(&mut e);
    let largest_step = |e: &mut Engine, frames: usize| {
        let (l, _) = run(e, frames);
        let step = l.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0f32, f32::max);
        (step, *l.last().unwrap())
    };
    set(&mut e, 0, StripParam::Mute, 1.0);
    let (step, end) = largest_step(&mut e, 12_800);
    assert!(step < 0.005, "mute step {step}");
    assert_eq!(end, 0.0);
    set(&mut e, 0, StripParam::Mute, 0.0);
    run(&mut e, 9_600);
    e.stop();
    let (step, end) = largest_step(&mut e, 12_800);
    assert!(step < 0.01, "stop step {step}");
    assert_eq!(end, 0.0);
    assert!(!e.is_playing());
}

#[test]
fn transport_stops_at_the_end_and_restarts_from_the_top() {
    let spec = tracks_to_master(&[1]);
    let mut e = engine(&spec, 10_000, |_, _, _| 0.25);
    start(&mut e);
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
    let spec = tracks_to_master(&[1]);
    let mut e = engine(&spec, 10_001, |_, _, _| 0.25);
    let [l, r] = e.render_all();
    assert_eq!((l.len(), r.len()), (10_001, 10_001));
    assert!(l[5_000] > 0.17);
}

/// The same signal and the same parameter changes at the same sample positions give the same output
/// whatever the block sizes the host asks for — through every kind of insert.
#[test]
fn block_size_does_not_change_the_output() {
    let frames = 24_000;
    let mut spec = tracks_to_master(&[1, 2]);
    spec.strips[0].inserts = vec![
        InsertSpec::new(InsertKind::Filters).with("hp_on", 1.0),
        InsertSpec::new(InsertKind::Eq).with("lomid_gain", 4.0),
        InsertSpec::new(InsertKind::Compressor).with("threshold", -30.0),
        InsertSpec::new(InsertKind::Saturation),
    ];
    spec.strips[1].inserts = vec![InsertSpec::new(InsertKind::Gate).with("threshold", -20.0), InsertSpec::new(InsertKind::Modulation)];
    spec.strips[2].inserts = vec![InsertSpec::new(InsertKind::Multiband), InsertSpec::new(InsertKind::Limiter)];
    let render = |blocks: &mut dyn FnMut() -> usize| {
        let mut e = engine(&spec, frames, noise(5));
        e.play();
        let changes = [
            (7_000, ParamChange::Strip(0, StripParam::Fader, -12.0)),
            (9_000, ParamChange::Insert(0, 1, 6, -6.0)),
            (11_000, ParamChange::Insert(0, 0, 1, 150.0)),
            (13_000, ParamChange::Strip(1, StripParam::Pan, 0.7)),
            (15_500, ParamChange::Strip(0, StripParam::Mute, 1.0)),
            (17_333, ParamChange::Strip(0, StripParam::Mute, 0.0)),
            (20_000, ParamChange::Strip(2, StripParam::Fader, 3.0)),
        ];
        let mut out = Vec::new();
        let mut next = 0;
        while out.len() < frames {
            let pos = out.len();
            while next < changes.len() && changes[next].0 == pos {
                changes[next].1.apply(&mut e);
                next += 1;
            }
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
    let random = render(&mut random_blocks(12345));
    assert!(reference.iter().any(|(l, _)| l.abs() > 0.01));
    assert!(full == reference, "128-frame blocks differ from 1-frame blocks");
    assert!(random == reference, "random blocks differ from 1-frame blocks");
}

/// The metered strip (for a loudness meter on any strip): each block's frames of the strip after its
/// inserts and before its fader, in order — across a loop's end too, where a block is rendered in
/// two parts.
#[test]
fn the_metered_strip_is_each_blocks_frames_before_the_fader() {
    let spec = tracks_to_master(&[2, 1]);
    let fill = noise(3);
    let mut e = engine(&spec, 96_000, &fill);
    set(&mut e, 0, StripParam::Fader, -20.0);
    e.settle();
    e.set_metered(Some(0));
    start(&mut e);
    assert_eq!(e.position(), 4_800);
    e.set_loop(Some((4_000, 4_900)));
    // 4 800 … 4 900, then 4 000 …: one block of 128 in two runs.
    let mut got = [Vec::new(), Vec::new()];
    for _ in 0..4 {
        e.process(MAX_BLOCK);
        let [l, r] = e.metered();
        assert_eq!(l.len(), MAX_BLOCK);
        got[0].extend_from_slice(l);
        got[1].extend_from_slice(r);
    }
    let frames: Vec<usize> = (4_800..4_900).chain(4_000..4_000 + 4 * MAX_BLOCK - 100).collect();
    for c in 0..2 {
        let expected: Vec<f32> = frames.iter().map(|&i| fill(0, c, i)).collect();
        assert_eq!(got[c], expected, "channel {c}");
    }
    // Another strip, none, or stopped: nothing of the first.
    e.set_metered(None);
    e.process(MAX_BLOCK);
    assert!(e.metered()[0].is_empty());
    e.set_metered(Some(99));
    e.process(MAX_BLOCK);
    assert!(e.metered()[0].is_empty(), "no such strip");
}

#[test]
fn the_tap_carries_a_strip_before_its_fader_in_order() {
    let spec = tracks_to_master(&[2, 1]);
    let fill = noise(7);
    let mut e = engine(&spec, 96_000, &fill);
    // The fader and pan come after the tap: they must not show in it.
    set(&mut e, 0, StripParam::Fader, -10.0);
    set(&mut e, 0, StripParam::Pan, 0.7);
    e.settle();
    e.set_tap(Some(0));
    start(&mut e);
    run(&mut e, 1_000);
    assert_eq!(e.tap_written(), 5_800);
    let expected: Vec<f32> = (5_800 - TAP_FRAMES..5_800).map(|i| 0.5 * (fill(0, 0, i) + fill(0, 1, i))).collect();
    assert_eq!(e.tap_signal(), expected);
    // Another strip: the ring starts again from silence, then holds the mono track as it is.
    e.set_tap(Some(1));
    assert!(e.tap_signal().iter().all(|&x| x == 0.0));
    run(&mut e, 200);
    let tail = e.tap_signal()[TAP_FRAMES - 200..].to_vec();
    let expected: Vec<f32> = (5_800..6_000).map(|i| fill(1, 0, i)).collect();
    assert_eq!(tail, expected);
    // Without a tap nothing is written.
    e.set_tap(None);
    let written = e.tap_written();
    run(&mut e, 256);
    assert_eq!(e.tap_written(), written);
}
