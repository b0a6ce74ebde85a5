//! The EBU's loudness test signals, generated from their published definitions (EBU TECH 3341 v4,
//! "Loudness Metering: 'EBU Mode' metering to supplement EBU R 128 loudness normalization",
//! cases 1–5; EBU TECH 3342 v4, "Loudness Range", cases 1–4), read within the EBU's tolerances:
//! ±0.1 LU for loudness, ±1 LU for the loudness range. And true peak on a signal whose true peak is
//! known analytically. The same tests run natively and, in WebAssembly, in headless Chromium.

use mixroom_analysis::loudness::{measure, Loudness};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const RATE: u32 = 48_000;

/// A stereo 1 kHz sine, the same on both channels, in stretches of (seconds, peak level in dBFS).
/// (In TECH 3341 and 3342 a sine's level is its peak level: a stereo 1 kHz sine at −23 dBFS reads
/// −23 LUFS.)
fn tone(stretches: &[(f64, f64)]) -> Vec<f32> {
    let mut out = Vec::new();
    let mut n = 0u64;
    for &(seconds, dbfs) in stretches {
        let amplitude = 10f64.powf(dbfs / 20.0);
        for _ in 0..(seconds * RATE as f64).round() as u64 {
            out.push((amplitude * (2.0 * std::f64::consts::PI * 1_000.0 * n as f64 / RATE as f64).sin()) as f32);
            n += 1;
        }
    }
    out
}

fn stereo(signal: &[f32]) -> mixroom_analysis::LoudnessReport {
    measure(&[signal, signal], RATE).unwrap()
}

fn within(what: &str, value: Option<f64>, expected: f64, tolerance: f64) {
    let v = value.unwrap_or_else(|| panic!("{what}: no reading"));
    assert!((v - expected).abs() <= tolerance, "{what}: {v:.3}, expected {expected} ± {tolerance}");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn tech_3341_cases_1_to_5() {
    // 1: −23 dBFS for 20 s: M, S and I read −23.0.
    let r = stereo(&tone(&[(20.0, -23.0)]));
    within("3341/1 momentary", r.momentary_max, -23.0, 0.1);
    within("3341/1 short-term", r.short_term_max, -23.0, 0.1);
    within("3341/1 integrated", r.integrated, -23.0, 0.1);
    // 2: −33 dBFS for 20 s: −33.0.
    let r = stereo(&tone(&[(20.0, -33.0)]));
    within("3341/2 momentary", r.momentary_max, -33.0, 0.1);
    within("3341/2 short-term", r.short_term_max, -33.0, 0.1);
    within("3341/2 integrated", r.integrated, -33.0, 0.1);
    // 3: −36, −23, −36 dBFS for 10, 60, 10 s: the relative gate leaves the −23: I = −23.0.
    within("3341/3 integrated", stereo(&tone(&[(10.0, -36.0), (60.0, -23.0), (10.0, -36.0)])).integrated, -23.0, 0.1);
    // 4: −72, −36, −23, −36, −72 dBFS for 10, 10, 60, 10, 10 s: the absolute gate too.
    within("3341/4 integrated", stereo(&tone(&[(10.0, -72.0), (10.0, -36.0), (60.0, -23.0), (10.0, -36.0), (10.0, -72.0)])).integrated, -23.0, 0.1);
    // 5: −26, −20, −26 dBFS for 20, 20.1, 20 s: I = −23.0.
    within("3341/5 integrated", stereo(&tone(&[(20.0, -26.0), (20.1, -20.0), (20.0, -26.0)])).integrated, -23.0, 0.1);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn tech_3342_cases_1_to_4() {
    within("3342/1", stereo(&tone(&[(20.0, -20.0), (20.0, -30.0)])).range, 10.0, 1.0);
    within("3342/2", stereo(&tone(&[(20.0, -20.0), (20.0, -15.0)])).range, 5.0, 1.0);
    within("3342/3", stereo(&tone(&[(20.0, -40.0), (20.0, -20.0)])).range, 20.0, 1.0);
    within("3342/4", stereo(&tone(&[(20.0, -50.0), (20.0, -35.0), (20.0, -20.0), (20.0, -35.0), (20.0, -50.0)])).range, 15.0, 1.0);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_sine_sampled_between_its_peaks_reads_its_true_peak() {
    // A sine at fs/4 whose samples fall 45° off its peaks: every sample is ±0.707 of the
    // amplitude, the waveform between them reaches the amplitude — 3.01 dB above the sample peak.
    let amplitude = 0.5f64;
    let samples: Vec<f32> = (0..RATE as usize * 2).map(|n| (amplitude * (std::f64::consts::FRAC_PI_2 * n as f64 + std::f64::consts::FRAC_PI_4).sin()) as f32).collect();
    let r = stereo(&samples);
    let sample_peak = r.sample_peak.unwrap();
    within("sample peak", Some(sample_peak), 20.0 * (amplitude * std::f64::consts::FRAC_1_SQRT_2).log10(), 0.01);
    let true_peak = r.true_peak.unwrap();
    let expected = 20.0 * amplitude.log10();
    assert!(true_peak - expected <= 0.2 && expected - true_peak <= 0.4, "true peak {true_peak:.3} dBTP, the sine's peak {expected:.3}");
    assert!(true_peak - sample_peak > 2.6, "the true peak is above the sample peak: {true_peak:.2} against {sample_peak:.2}");
    within("PLR", r.plr, true_peak - r.integrated.unwrap(), 1e-9);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_figures_do_not_depend_on_the_pieces_the_audio_comes_in() {
    let signal = tone(&[(5.0, -30.0), (10.0, -18.0), (5.0, -40.0)]);
    let whole = stereo(&signal);
    let mut meter = Loudness::new(2, RATE).unwrap();
    let mut at = 0;
    for (k, size) in [128usize, 1, 4_799, 48_000, 37].iter().cycle().enumerate() {
        if at >= signal.len() {
            break;
        }
        let end = (at + size + k % 3).min(signal.len());
        meter.add_planar(&[&signal[at..end], &signal[at..end]]);
        at = end;
    }
    assert_eq!(meter.report(), whole);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn silence_and_short_programmes_have_no_loudness_and_odd_inputs_are_refused() {
    let r = stereo(&vec![0.0; RATE as usize]);
    assert_eq!((r.integrated, r.momentary_max, r.short_term_max, r.range, r.true_peak, r.plr), (None, None, None, None, None, None));
    let short = stereo(&tone(&[(0.2, -20.0)]));
    assert_eq!((short.momentary_max, short.short_term_max), (None, None), "shorter than a momentary window");
    assert!(Loudness::new(0, RATE).is_err());
    assert!(Loudness::new(2, 1).is_err());
}

/// The live meter's momentary and short-term readings, taken from its 100-ms blocks, are the
/// figures the `ebur128` meter sums over its own 400-ms and 3-s windows (a second computation of
/// the same quantity), at every 100-ms point of a programme whose level jumps; and a reset starts
/// the measurement afresh.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn live_momentary_and_short_term_are_the_meters_own_window_sums() {
    let signal = tone(&[(4.0, -30.0), (2.5, -12.0), (3.5, -45.0), (2.0, -20.0)]);
    let mut live = Loudness::new(2, RATE).unwrap();
    let mut reference = ebur128::EbuR128::new(2, RATE, ebur128::Mode::M | ebur128::Mode::S).unwrap();
    let step = RATE as usize / 10;
    let mut compared = 0;
    for (k, piece) in signal.chunks(step).enumerate() {
        live.add_planar(&[piece, piece]);
        reference.add_frames_planar_f32(&[piece, piece]).unwrap();
        let now = live.live();
        if k + 1 >= 4 {
            let m = reference.loudness_momentary().unwrap();
            let v = now.momentary.unwrap_or(f64::NEG_INFINITY);
            assert!((v - m).abs() < 1e-6 || v == m, "momentary at {} ms: {v} against {m}", (k + 1) * 100);
        } else {
            assert_eq!(now.momentary, None, "no momentary loudness before 400 ms");
        }
        if k + 1 >= 30 {
            let s = reference.loudness_shortterm().unwrap();
            let v = now.short_term.unwrap();
            assert!((v - s).abs() < 1e-6, "short-term at {} ms: {v} against {s}", (k + 1) * 100);
            compared += 1;
        }
    }
    assert_eq!(compared, signal.len() / step - 29);
    let before = live.live();
    assert!(before.integrated.is_some() && before.true_peak.is_some());
    live.reset();
    assert_eq!(live.live(), mixroom_analysis::LiveLoudness::default(), "a reset meter reads nothing");
    live.add_planar(&[&signal[..RATE as usize], &signal[..RATE as usize]]);
    within("after a reset, momentary", live.live().momentary, -30.0, 0.1);
}

/// The matching meter (integrated loudness only, no peaks or range) reads TECH 3341's cases 3–5
/// as the full meter does: the gates are the same.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_integrated_only_meter_reads_the_gated_cases() {
    let cases: [&[(f64, f64)]; 3] = [&[(10.0, -36.0), (60.0, -23.0), (10.0, -36.0)], &[(10.0, -72.0), (10.0, -36.0), (60.0, -23.0), (10.0, -36.0), (10.0, -72.0)], &[(20.0, -26.0), (20.1, -20.0), (20.0, -26.0)]];
    for (k, case) in cases.iter().enumerate() {
        let signal = tone(case);
        let mut meter = Loudness::integrated_only(2, RATE).unwrap();
        for piece in signal.chunks(128) {
            meter.add_planar(&[piece, piece]);
        }
        let live = meter.live();
        within(&format!("3341/{} integrated, matching meter", k + 3), live.integrated, -23.0, 0.1);
        assert_eq!((live.true_peak, live.range), (None, None), "it measures no peaks nor range");
    }
}

/// An fs/4 sine of −6 dBFS peak sampled at phases 0°, 45°, 60° and 67.5° off its peaks: its samples
/// read from −6.0 down to −9.0 dBFS, its waveform reaches −6.02 dBFS every time — known
/// analytically, as is the sample peak (the amplitude times the largest of |sin| and |cos| of the
/// phase). The true-peak reading stays within +0.2/−0.4 dB of it at every phase.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_true_peak_of_an_fs_over_4_sine_does_not_depend_on_where_it_is_sampled() {
    let amplitude = 0.5f64;
    let expected = 20.0 * amplitude.log10();
    for degrees in [0.0f64, 45.0, 60.0, 67.5] {
        let phase = degrees.to_radians();
        let samples: Vec<f32> = (0..RATE as usize * 2).map(|n| (amplitude * (std::f64::consts::FRAC_PI_2 * n as f64 + phase).sin()) as f32).collect();
        let r = stereo(&samples);
        let sample_peak = 20.0 * (amplitude * phase.sin().abs().max(phase.cos().abs())).log10();
        within(&format!("sample peak at {degrees}°"), r.sample_peak, sample_peak, 0.01);
        let true_peak = r.true_peak.unwrap();
        assert!(true_peak - expected <= 0.2 && expected - true_peak <= 0.4, "{degrees}°: true peak {true_peak:.3} dBTP, the sine's peak {expected:.3}");
    }
}
