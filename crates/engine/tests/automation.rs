//! Automation against references: a fader ramp against the analytic gain at every sample, a hold
//! step on its exact frame, an EQ gain sweep against the filter's analytic response at each point
//! of a grid, pan automation against the pan law; the same curves whatever the block size, over a
//! loop wrap; jumps of the play position de-clicked.

mod common;

use common::*;
use mixroom_dsp::filter::{response_db, Shape as FilterShape};
use mixroom_engine::*;

fn curve(scale: Scale, points: &[(u64, f32, Shape)]) -> Curve {
    let points: Vec<Point> = points.iter().map(|&(frame, value, shape)| Point { frame, value, shape }).collect();
    Curve::new(scale, &points, FS)
}

fn db(x: f64) -> f64 {
    20.0 * x.abs().log10()
}

/// A stereo track (balanced at the centre: unity) of a 1 kHz sine at −6 dBFS, to the master.
fn sine_track(frames: usize, automation: Vec<(Target, Curve)>) -> Engine {
    let mut spec = tracks_to_master(&[2]);
    spec.strips[0].automation = automation;
    engine(&spec, frames, |_, _, i| 0.5 * (2.0 * std::f32::consts::PI * 1_000.0 * i as f32 / FS).sin())
}

fn input(i: usize) -> f64 {
    0.5 * (2.0 * std::f32::consts::PI * 1_000.0 * i as f32 / FS).sin() as f64
}

/// A fader ride −40 → 0 dB over one second, linear in dB, on a constant sine: at every sample
/// (away from the sine's zero crossings, where a ratio says nothing) the gain is the analytic
/// one within 0.01 dB — before, along and after the ramp.
#[test]
fn a_fader_ramp_follows_the_analytic_gain_at_every_sample() {
    let (start, len) = (12_000u64, 48_000u64);
    let frames = 72_000;
    let fader = curve(Scale::Decibels, &[(start, -40.0, Shape::Linear), (start + len, 0.0, Shape::Linear)]);
    let mut e = sine_track(frames, vec![(Target::Strip(StripParam::Fader), fader)]);
    e.play();
    let (l, r) = run(&mut e, frames);
    let mut checked = 0;
    let mut worst = 0.0f64;
    for i in 0..frames {
        let x = input(i);
        if x.abs() < 0.05 {
            continue;
        }
        let t = (i as f64 - start as f64) / len as f64;
        let want = -40.0 + 40.0 * t.clamp(0.0, 1.0);
        for y in [l[i], r[i]] {
            let got = db(y as f64 / x);
            worst = worst.max((got - want).abs());
            checked += 1;
        }
    }
    assert!(checked > 100_000, "{checked}");
    assert!(worst < 0.01, "worst deviation from the analytic ramp: {worst} dB");
}

/// A hold step lands on its exact frame: the held value up to the frame before, the ramp of a
/// step (3 ms) starting on it, the new value exactly from its end — whatever the block size.
#[test]
fn a_hold_step_lands_on_its_exact_frame() {
    let step = 10_007u64;
    let ramp = (0.003 * FS).round() as u64;
    let frames = 24_000;
    for block in [MAX_BLOCK, 1, 37] {
        let fader = curve(Scale::Decibels, &[(0, -20.0, Shape::Hold), (step, 0.0, Shape::Linear)]);
        let mut e = sine_track(frames, vec![(Target::Strip(StripParam::Fader), fader)]);
        e.play();
        let mut l = Vec::new();
        while l.len() < frames {
            let n = e.process(block.min(frames - l.len()));
            l.extend_from_slice(&e.output(0)[..n]);
        }
        let gain = |i: usize| l[i] as f64 / input(i);
        let held = 10f64.powf(-20.0 / 20.0);
        for i in (0..step as usize).filter(|&i| input(i).abs() > 0.05) {
            assert!((gain(i) - held).abs() < 1e-6, "block {block}: frame {i} before the step has gain {}", gain(i));
        }
        for i in ((step + ramp) as usize..frames).filter(|&i| input(i).abs() > 0.05) {
            assert!((gain(i) - 1.0).abs() < 1e-6, "block {block}: frame {i} after the step has gain {}", gain(i));
        }
        // On the step's frame the value has started to move (the sine is not at a zero crossing
        // there: 10 007 / 48 = 208.48 periods).
        assert!(input(step as usize).abs() > 0.05);
        assert!(gain(step as usize) > held * 1.001, "block {block}: the step had not started on its frame");
        assert!(gain(step as usize - 1) < held * 1.000_001, "block {block}: the step started early");
    }
}

/// An EQ band's gain automated 0 → +12 dB over two seconds: the level of a 1.5 kHz sine through
/// it, fitted over 10 ms windows centred every 50 ms, is the band's analytic response at the
/// curve's gain at that moment within 0.05 dB.
#[test]
fn an_eq_gain_sweep_matches_the_static_response_along_its_way() {
    let frames = 120_000;
    let (start, len) = (12_000u64, 96_000u64);
    let f0 = 1_000.0;
    let q = 1.0;
    let tone = 1_500.0;
    let mut spec = tracks_to_master(&[1]);
    spec.strips[0].inserts = vec![InsertSpec::new(InsertKind::Eq).with("lomid_freq", f0).with("lomid_q", q)];
    let gain_id = InsertKind::Eq.params().iter().position(|p| p.key == "lomid_gain").unwrap();
    spec.strips[0].automation = vec![(Target::Insert(0, gain_id), curve(Scale::Linear, &[(start, 0.0, Shape::Linear), (start + len, 12.0, Shape::Linear)]))];
    let x = |i: usize| (0.25 * (2.0 * std::f64::consts::PI * tone * i as f64 / FS as f64).sin()) as f32;
    let mut e = engine(&spec, frames, |_, _, i| x(i));
    e.play();
    let (l, _) = run(&mut e, frames);
    // A mono track panned centre (−3 dB law): the left side carries cos(π/4) of it.
    let pan = std::f64::consts::FRAC_1_SQRT_2;
    let window = 480; // 10 ms: 15 periods of 1.5 kHz
    let level = |signal: &dyn Fn(usize) -> f64, centre: usize| -> f64 {
        let (mut s, mut c) = (0.0, 0.0);
        for i in centre - window / 2..centre + window / 2 {
            let w = 2.0 * std::f64::consts::PI * tone * i as f64 / FS as f64;
            s += signal(i) * w.sin();
            c += signal(i) * w.cos();
        }
        2.0 * (s * s + c * c).sqrt() / window as f64
    };
    let mut worst = 0.0f64;
    let mut points = 0;
    for centre in (4_800..frames - 4_800).step_by(2_400) {
        let g = 12.0 * ((centre as f64 - start as f64) / len as f64).clamp(0.0, 1.0);
        let want = response_db(FilterShape::Bell, f0 as f64, q as f64, g, tone, FS as f64);
        let got = db(level(&|i| l[i] as f64 / pan, centre) / level(&|i| x(i) as f64, centre));
        worst = worst.max((got - want).abs());
        points += 1;
    }
    assert!(points > 40);
    assert!(worst < 0.05, "worst deviation from the analytic response: {worst} dB");
}

/// Pan automated hard left → hard right over a second on a mono track: each sample's left and
/// right gains are the pan law's at the curve's position (−3 dB constant power, and −6 dB
/// linear), computed here in f64 from the law's formula.
#[test]
fn pan_automation_follows_the_pan_law() {
    for (law, formula) in [(0usize, (|p: f64| {
        let th = (p + 1.0) * std::f64::consts::FRAC_PI_4;
        (th.cos(), th.sin())
    }) as fn(f64) -> (f64, f64)), (2, |p: f64| ((1.0 - p) / 2.0, (1.0 + p) / 2.0))] {
        let frames = 60_000;
        let mut spec = tracks_to_master(&[1]);
        spec.strips[0].settings.pan_law = law;
        spec.strips[0].automation = vec![(Target::Strip(StripParam::Pan), curve(Scale::Linear, &[(6_000, -1.0, Shape::Linear), (54_000, 1.0, Shape::Linear)]))];
        let mut e = engine(&spec, frames, |_, _, _| 0.5);
        e.play();
        let (l, r) = run(&mut e, frames);
        let mut worst = 0.0f64;
        for i in 0..frames {
            let p = ((i as f64 - 6_000.0) / 48_000.0 * 2.0 - 1.0).clamp(-1.0, 1.0);
            let (gl, gr) = formula(p);
            worst = worst.max((l[i] as f64 / 0.5 - gl).abs()).max((r[i] as f64 / 0.5 - gr).abs());
        }
        // Between the exact conversions (every CONVERT_GRID = 256 frames here) the gains are
        // interpolated: a sweep of the whole width in a second moves the law's angle by 8.4e-3
        // rad a stretch, so they stay within (8.4e-3)²/8 = 8.8e-6 of the law.
        assert!(worst < 1.5e-5, "law {law}: worst gain error {worst}");
    }
}

/// A session with every kind of automation — fader, trim, pan, width, mute steps, a send's level
/// and its on/off, an EQ gain and frequency, a bypass — renders the same bits in blocks of 1, of
/// 128 and of random sizes, across a loop wrap.
#[test]
fn automation_does_not_depend_on_the_block_size() {
    let frames = 40_000;
    let (verb, master) = (2, 3);
    let mut spec = tracks_to_master(&[1, 2]);
    spec.strips.insert(verb, StripSpec::new("Verb", StripKind::Return, Some(master)));
    for s in &mut spec.strips[..2] {
        s.output = Some(master);
    }
    spec.strips[verb].inserts = vec![InsertSpec::new(InsertKind::Reverb)];
    spec.strips[0].inserts = vec![InsertSpec::new(InsertKind::Eq).with("lomid_gain", 4.0), InsertSpec::new(InsertKind::Saturation).with("drive", 12.0)];
    spec.strips[0].sends = vec![SendSpec { target: verb, level_db: -10.0, pre_fader: false, muted: false }];
    let eq = |key: &str| InsertKind::Eq.params().iter().position(|p| p.key == key).unwrap();
    let lin = Shape::Linear;
    spec.strips[0].automation = vec![
        (Target::Strip(StripParam::Fader), curve(Scale::Decibels, &[(1_000, -30.0, lin), (9_000, 3.0, Shape::Bend(0.6)), (15_000, -6.0, Shape::Hold), (21_111, 0.0, lin)])),
        (Target::Strip(StripParam::Pan), curve(Scale::Linear, &[(0, -0.8, lin), (30_000, 0.8, lin)])),
        (Target::Send(0, SendParam::Level), curve(Scale::Decibels, &[(5_000, -40.0, lin), (6_000, 0.0, Shape::Hold), (12_000, -40.0, lin)])),
        (Target::Send(0, SendParam::Mute), curve(Scale::Switch, &[(0, 0.0, lin), (18_003, 1.0, lin)])),
        (Target::Insert(0, eq("lomid_gain")), curve(Scale::Linear, &[(2_000, -12.0, lin), (20_000, 12.0, lin)])),
        (Target::Insert(0, eq("lomid_freq")), curve(Scale::Log, &[(2_000, 200.0, Shape::Bend(-0.5)), (20_000, 5_000.0, lin)])),
        (Target::Bypass(1), curve(Scale::Switch, &[(0, 0.0, lin), (14_321, 1.0, lin), (16_000, 0.0, lin)])),
    ];
    spec.strips[1].automation = vec![
        (Target::Strip(StripParam::Mute), curve(Scale::Switch, &[(0, 0.0, lin), (7_777, 1.0, lin), (8_500, 0.0, lin)])),
        (Target::Strip(StripParam::Width), curve(Scale::Linear, &[(3_000, 0.0, lin), (25_000, 2.0, lin)])),
        (Target::Strip(StripParam::Trim), curve(Scale::Decibels, &[(0, -6.0, lin), (26_000, 6.0, lin)])),
    ];
    let render = |blocks: &mut dyn FnMut() -> usize| {
        let mut e = engine(&spec, frames, noise(9));
        e.set_loop(Some((4_000, 24_000)));
        e.play();
        let mut out = Vec::new();
        while out.len() < frames {
            let n = blocks().min(frames - out.len());
            let done = e.process(n);
            for i in 0..done {
                out.push((e.output(0)[i], e.output(1)[i]));
            }
        }
        out
    };
    let reference = render(&mut || 1);
    let full = render(&mut || MAX_BLOCK);
    let random = render(&mut random_blocks(777));
    assert!(reference.iter().any(|(l, _)| l.abs() > 0.01));
    let first_difference = |other: &[(f32, f32)]| reference.iter().zip(other).position(|(a, b)| a != b);
    assert_eq!(first_difference(&full), None, "128-frame blocks differ from 1-frame blocks");
    assert_eq!(first_difference(&random), None, "random blocks differ from 1-frame blocks");
}

/// A loop wrap jumps from the curve's value at the loop's end to its value at the start: the
/// jump is ramped over 3 ms, not a click; play from a stop lands on the curve at once.
#[test]
fn a_loop_wrap_ramps_and_a_start_lands_at_once() {
    let frames = 30_000;
    let fader = curve(Scale::Decibels, &[(0, -30.0, Shape::Linear), (20_000, 0.0, Shape::Linear)]);
    let mut e = sine_track(frames, vec![(Target::Strip(StripParam::Fader), fader)]);
    e.set_loop(Some((2_000, 18_000)));
    e.play();
    let (l, _) = run(&mut e, 16_000 + 2_000);
    // Frames 16 000 … 17 999 of the output are frames 16 000 … 17 999 of the timeline; then it wraps.
    let (l2, _) = run(&mut e, 400);
    let gain_at = |frame: f64| 10f64.powf((-30.0 + 30.0 * frame / 20_000.0) / 20.0);
    let ramp = (0.003 * FS).round() as usize;
    // Just after the wrap the gain is between the end's and the start's, moving towards the start's.
    let end_gain = gain_at(18_000.0);
    for k in (0..ramp).filter(|&k| input(2_000 + k).abs() > 0.05) {
        let g = l2[k] as f64 / input(2_000 + k);
        assert!(g <= end_gain * 1.000_01 && g >= gain_at(2_000.0 + k as f64) * 0.999_99, "{k}: {g}");
    }
    for k in (ramp..400).filter(|&k| input(2_000 + k).abs() > 0.05) {
        let g = l2[k] as f64 / input(2_000 + k);
        assert!((db(g) - db(gain_at(2_000.0 + k as f64))).abs() < 0.01, "{k}: on the curve again");
    }
    assert!(l.len() == 18_000);
    // Stopped, moved, started: from its first frame the output is the curve's gain times what a
    // track without automation gives there (the transport's own fade-in).
    e.stop();
    run(&mut e, 6_000);
    assert!(!e.is_playing());
    let mut plain = sine_track(frames, Vec::new());
    for engine in [&mut e, &mut plain] {
        engine.seek(10_000);
        engine.play();
    }
    let (l3, _) = run(&mut e, 2_000);
    let (reference, _) = run(&mut plain, 2_000);
    for k in (0..2_000).filter(|&k| reference[k].abs() > 0.01) {
        let g = l3[k] as f64 / reference[k] as f64;
        assert!((db(g) - db(gain_at(10_000.0 + k as f64))).abs() < 0.01, "{k}: {g}");
    }
}
