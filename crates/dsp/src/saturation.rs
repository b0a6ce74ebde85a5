//! Saturation: tape, tube and hard clip, anti-aliased by first-order antiderivative anti-aliasing
//! (ADAA; Parker, Zavalishin & Le Bivic, "Reducing the aliasing of nonlinear waveshaping using
//! continuous-time convolution", DAFx 2016).
//!
//! ADAA replaces `f(u[n])` by the average of `f` over the straight line from `u[n−1]` to `u[n]`:
//! `(F(u[n]) − F(u[n−1])) / (u[n] − u[n−1])` with `F` the antiderivative. That average is a
//! continuous-time box filter applied before sampling, which attenuates the aliases of the harmonics
//! the curve creates; it also delays the signal by half a sample (below the engine's delay
//! compensation resolution). Each curve's quotient is written in a form without cancellation, so it
//! is exact in `f32` even when consecutive samples are close.
//!
//! - **Tape**: the cubic soft clip `f(u) = 1.5u − 0.5u³` (|u| ≤ 1), ±1 beyond: odd harmonics.
//! - **Tube**: the algebraic sigmoid `f(u) = u / √(1 + u²)` with a bias that makes it asymmetric:
//!   even harmonics, and a DC offset removed by a 5 Hz high-pass.
//! - **Hard clip**: ±1.
//!
//! Drive is level-compensated: a small signal passes at unity whatever the drive, so the control
//! changes colour, not loudness.

use crate::eq::MAX_LANES;
use crate::filter::UPDATE_INTERVAL;
use crate::lanes::Lanes;
use crate::param::{ParamInfo, Taper, Unit};

/// Parameter table of [`Saturation`].
pub const SATURATION_PARAMS: &[ParamInfo] = &[
    ParamInfo::choice("mode", "Mode", &["Tape", "Tube", "Hard clip"], 0),
    ParamInfo::new("drive", "Drive", Unit::Decibels, 0.0, 36.0, 6.0, Taper::Linear),
    ParamInfo::new("output", "Output", Unit::Decibels, -24.0, 12.0, 0.0, Taper::Linear),
    ParamInfo::new("mix", "Mix", Unit::Percent, 0.0, 1.0, 1.0, Taper::Linear),
];

/// Bias of the tube curve: how asymmetric it is.
const TUBE_BIAS: f32 = 0.3;
/// Below this step between samples the quotient is replaced by the curve at the midpoint.
const MIN_STEP: f32 = 1.0e-4;
/// Glide time of drive, output and mix.
const GLIDE_MS: f32 = 10.0;
/// Corner of the tube's DC blocker.
const DC_BLOCK_HZ: f32 = 5.0;

/// `f(b)` and `f'(b)` of the algebraic sigmoid at the tube bias.
fn tube_bias_terms() -> (f32, f32) {
    let r = libm::sqrtf(1.0 + TUBE_BIAS * TUBE_BIAS);
    (TUBE_BIAS / r, 1.0 / (r * r * r))
}

#[derive(Clone, Debug)]
pub struct Saturation<L> {
    settings: [[f32; 4]; MAX_LANES],
    dirty: bool,
    countdown: usize,
    tape: L,
    tube: L,
    hard: L,
    any: [bool; 3],
    drive_target: L,
    out_target: L,
    wet_target: L,
    drive: L,
    out: L,
    wet: L,
    step: f32,
    dc_pole: f32,
    previous: L,
    dc_x: L,
    dc_y: L,
}

impl<L: Lanes> Saturation<L> {
    pub fn new(sample_rate: f32) -> Self {
        let defaults = core::array::from_fn(|i| SATURATION_PARAMS[i].default);
        let zero = L::splat(0.0);
        let mut s = Saturation {
            settings: [defaults; MAX_LANES],
            dirty: true,
            countdown: 0,
            tape: zero,
            tube: zero,
            hard: zero,
            any: [false; 3],
            drive_target: zero,
            out_target: zero,
            wet_target: zero,
            drive: zero,
            out: zero,
            wet: zero,
            step: 1.0 - libm::expf(-1.0 / (GLIDE_MS * 0.001 * sample_rate)),
            dc_pole: libm::expf(-2.0 * core::f32::consts::PI * DC_BLOCK_HZ / sample_rate),
            previous: zero,
            dc_x: zero,
            dc_y: zero,
        };
        s.update();
        s.settle();
        s
    }

    pub fn set_param(&mut self, lane: usize, id: usize, value: f32) {
        if let (Some(info), Some(s)) = (SATURATION_PARAMS.get(id), self.settings.get_mut(lane)) {
            s[id] = info.clamp(value);
            self.dirty = true;
        }
    }

    pub fn settle(&mut self) {
        self.update();
        self.drive = self.drive_target;
        self.out = self.out_target;
        self.wet = self.wet_target;
    }

    pub fn reset_lane(&mut self, lane: usize) {
        for v in [&mut self.previous, &mut self.dc_x, &mut self.dc_y] {
            v.set_lane(lane, 0.0);
        }
    }

    fn update(&mut self) {
        if !core::mem::take(&mut self.dirty) {
            return;
        }
        self.any = [false; 3];
        let (_, tube_slope) = tube_bias_terms();
        for lane in 0..L::WIDTH.min(MAX_LANES) {
            let v = &self.settings[lane];
            let mode = v[0] as usize;
            self.any[mode.min(2)] = true;
            self.tape.set_lane(lane, (mode == 0) as u8 as f32);
            self.tube.set_lane(lane, (mode == 1) as u8 as f32);
            self.hard.set_lane(lane, (mode == 2) as u8 as f32);
            let drive = libm::powf(10.0, v[1] / 20.0);
            // Small-signal slope of each curve at rest, compensated in the output gain.
            let slope = [1.5, tube_slope, 1.0][mode.min(2)];
            self.drive_target.set_lane(lane, drive);
            self.out_target.set_lane(lane, libm::powf(10.0, v[2] / 20.0) / (drive * slope));
            self.wet_target.set_lane(lane, v[3]);
        }
    }

    /// Processes `buf` in place.
    pub fn process(&mut self, buf: &mut [L]) {
        let one = L::splat(1.0);
        let zero = L::splat(0.0);
        let half = L::splat(0.5);
        let step = L::splat(self.step);
        let min_step = L::splat(MIN_STEP);
        let (bias_out, _) = tube_bias_terms();
        let (bias, bias_out) = (L::splat(TUBE_BIAS), L::splat(bias_out));
        let dc_pole = L::splat(self.dc_pole);
        let mut i = 0;
        while i < buf.len() {
            if self.countdown == 0 {
                self.update();
                self.countdown = UPDATE_INTERVAL;
            }
            let run = self.countdown.min(buf.len() - i);
            for x in &mut buf[i..i + run] {
                self.drive += (self.drive_target - self.drive) * step;
                self.out += (self.out_target - self.out) * step;
                self.wet += (self.wet_target - self.wet) * step;
                let u1 = *x * self.drive;
                let u0 = self.previous;
                self.previous = u1;
                let d = u1 - u0;
                let close = min_step.select_gt(d.abs(), one, zero);
                let mid = (u0 + u1) * half;
                let mut y = zero;
                if self.any[0] {
                    y += self.tape * adaa_cubic(u0, u1, d, mid, close);
                }
                if self.any[1] {
                    let v = adaa_sigmoid(u0 + bias, u1 + bias) - bias_out;
                    // The bias leaves a DC offset: a one-pole high-pass removes it.
                    let hp = v - self.dc_x + dc_pole * self.dc_y;
                    self.dc_x = v;
                    self.dc_y = hp;
                    y += self.tube * hp;
                }
                if self.any[2] {
                    y += self.hard * adaa_hard(u0, u1, d, mid, close);
                }
                *x = (one - self.wet) * *x + self.wet * self.out * y;
            }
            self.countdown -= run;
            i += run;
        }
        self.dc_y = self.dc_y.flush();
        self.dc_x = self.dc_x.flush();
        self.previous = self.previous.flush();
        crate::flush_block(buf);
    }
}

/// Cubic soft clip `f(u) = 1.5u − 0.5u³` inside ±1, ±1 outside; its antiderivative is
/// `F = 0.75u² − u⁴/8` inside and `|u| − 3/8` outside.
#[inline(always)]
fn cubic<L: Lanes>(u: L) -> L {
    let c = u.max(L::splat(-1.0)).min(L::splat(1.0));
    L::splat(1.5) * c - L::splat(0.5) * c * c * c
}

#[inline(always)]
fn cubic_antiderivative<L: Lanes>(u: L) -> L {
    let a = u.abs();
    let u2 = u * u;
    let inside = L::splat(0.75) * u2 - L::splat(0.125) * u2 * u2;
    a.select_gt(L::splat(1.0), a - L::splat(0.375), inside)
}

#[inline(always)]
fn adaa_cubic<L: Lanes>(u0: L, u1: L, d: L, mid: L, close: L) -> L {
    let one = L::splat(1.0);
    // Both inside: the quotient of the polynomial, divided out exactly:
    // (F(u1) − F(u0)) / (u1 − u0) = 0.75(u1 + u0) − (u1 + u0)(u1² + u0²)/8.
    let s = u0 + u1;
    let inside = L::splat(0.75) * s - L::splat(0.125) * s * (u0 * u0 + u1 * u1);
    let both_inside = one.select_gt(u0.abs().max(u1.abs()), one, L::splat(0.0));
    // Otherwise the general quotient (the step across ±1 is rarely small), or the midpoint.
    let general = (cubic_antiderivative(u1) - cubic_antiderivative(u0)) / d;
    let general = close.select_gt(L::splat(0.5), cubic(mid), general);
    both_inside.select_gt(L::splat(0.5), inside, general)
}

/// Algebraic sigmoid `f(u) = u/√(1+u²)`, antiderivative `F = √(1+u²)`; the quotient
/// `(F(u1) − F(u0))/(u1 − u0)` rationalises to `(u1 + u0)/(F(u1) + F(u0))`: exact, no special case.
#[inline(always)]
fn adaa_sigmoid<L: Lanes>(u0: L, u1: L) -> L {
    let one = L::splat(1.0);
    let f0 = (one + u0 * u0).sqrt();
    let f1 = (one + u1 * u1).sqrt();
    (u0 + u1) / (f0 + f1)
}

/// Hard clip at ±1; antiderivative `u²/2` inside, `|u| − 1/2` outside.
#[inline(always)]
fn adaa_hard<L: Lanes>(u0: L, u1: L, d: L, mid: L, close: L) -> L {
    let one = L::splat(1.0);
    let half = L::splat(0.5);
    let antiderivative = |u: L| {
        let a = u.abs();
        a.select_gt(one, a - half, u * u * half)
    };
    let both_inside = one.select_gt(u0.abs().max(u1.abs()), one, L::splat(0.0));
    let general = (antiderivative(u1) - antiderivative(u0)) / d;
    let clipped_mid = mid.max(-one).min(one);
    let general = close.select_gt(half, clipped_mid, general);
    both_inside.select_gt(half, mid, general)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lanes::F32x4;

    const FS: f32 = 48_000.0;

    fn sat(mode: f32, drive: f32) -> Saturation<f32> {
        let mut s = Saturation::new(FS);
        s.set_param(0, 0, mode);
        s.set_param(0, 1, drive);
        s.settle();
        s
    }

    fn sine(freq: f64, amp: f64, n: usize) -> Vec<f32> {
        (0..n).map(|i| (amp * (2.0 * std::f64::consts::PI * freq * i as f64 / FS as f64).sin()) as f32).collect()
    }

    /// Power (dB) at `freq` of `x`, by a Hann-windowed f64 DFT bin.
    fn power_db(x: &[f32], freq: f64) -> f64 {
        let n = x.len();
        let w = 2.0 * std::f64::consts::PI * freq / FS as f64;
        let (mut re, mut im) = (0.0, 0.0);
        for (i, &v) in x.iter().enumerate() {
            let hann = 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos();
            re += v as f64 * hann * (w * i as f64).cos();
            im -= v as f64 * hann * (w * i as f64).sin();
        }
        10.0 * ((re * re + im * im) / (n as f64 * n as f64)).log10()
    }

    /// Sum of the power of the aliases of the harmonics of `f0` (those above Nyquist folded back) in
    /// dB relative to the fundamental.
    fn alias_ratio_db(x: &[f32], f0: f64) -> f64 {
        let fs = FS as f64;
        let fundamental = power_db(x, f0);
        let mut alias = 0.0;
        for h in 2..60 {
            let f = f0 * h as f64;
            if f < fs / 2.0 {
                continue;
            }
            let folded = (f % fs).min(fs - f % fs);
            if folded > 40.0 && folded < fs / 2.0 - 40.0 {
                alias += 10f64.powf(power_db(x, folded) / 10.0);
            }
        }
        10.0 * alias.log10() - fundamental
    }

    #[test]
    fn small_signals_pass_at_unity_in_every_mode() {
        for mode in 0..3 {
            let mut s = sat(mode as f32, 18.0);
            let mut x = sine(1_000.0, 0.001, 48_000);
            s.process(&mut x);
            let peak = x[24_000..].iter().fold(0.0f32, |m, v| m.max(v.abs()));
            let gain = 20.0 * (peak as f64 / 0.001).log10();
            assert!(gain.abs() < 0.1, "mode {mode}: small-signal gain {gain} dB");
        }
    }

    #[test]
    fn tape_is_odd_tube_is_even() {
        let mut tape = sat(0.0, 12.0);
        let mut tube = sat(1.0, 12.0);
        let (mut a, mut b) = (sine(1_000.0, 0.5, 48_000), sine(1_000.0, 0.5, 48_000));
        tape.process(&mut a);
        tube.process(&mut b);
        let (a, b) = (&a[4_000..], &b[4_000..]);
        assert!(power_db(a, 3_000.0) - power_db(a, 2_000.0) > 40.0, "tape: third over second");
        assert!(power_db(b, 2_000.0) > power_db(b, 1_000.0) - 40.0, "tube: a real second harmonic");
    }

    /// ADAA against the naive curve (a second implementation, in f64): the aliases of a 4.987 kHz
    /// sine driven hard are far lower.
    #[test]
    fn adaa_attenuates_aliasing() {
        for (f0, drive_db, mode, naive) in [(4_987.0, 24.0, 0.0, 0usize), (4_987.0, 24.0, 2.0, 2), (1_249.0, 12.0, 0.0, 0), (1_249.0, 12.0, 2.0, 2), (2_503.0, 18.0, 2.0, 2)] {
            let mut s = sat(mode, drive_db);
            let mut ours = sine(f0, 0.5, 1 << 15);
            s.process(&mut ours);
            let d = 10f64.powf(drive_db as f64 / 20.0);
            let reference: Vec<f32> = sine(f0, 0.5, 1 << 15)
                .iter()
                .map(|&x| {
                    let u = (x as f64 * d).clamp(-1.0, 1.0);
                    (if naive == 0 { 1.5 * u - 0.5 * u * u * u } else { u }) as f32
                })
                .collect();
            let ours_db = alias_ratio_db(&ours, f0);
            let naive_db = alias_ratio_db(&reference, f0);
            println!("{f0} Hz, drive {drive_db} dB, mode {mode}: ADAA aliases {ours_db:.1} dB, naive {naive_db:.1} dB");
            assert!(ours_db < naive_db - 6.0, "mode {mode}: ADAA aliases {ours_db:.1} dB vs naive {naive_db:.1} dB");
        }
    }

    #[test]
    fn hard_clip_never_exceeds_its_ceiling() {
        let mut s = sat(2.0, 36.0);
        s.set_param(0, 2, 0.0);
        let mut x = sine(997.0, 1.0, 48_000);
        s.process(&mut x);
        let ceiling = 1.0 / 10f32.powf(36.0 / 20.0);
        assert!(x.iter().all(|v| v.abs() <= ceiling * 1.0001 && v.is_finite()));
    }

    #[test]
    fn lanes_match_scalar_bit_for_bit() {
        let mut wide = Saturation::<F32x4>::new(FS);
        let mut scalar: Vec<Saturation<f32>> = (0..4).map(|_| Saturation::new(FS)).collect();
        for lane in 0..4 {
            for (id, v) in [(0, (lane % 3) as f32), (1, 6.0 * lane as f32), (3, 0.5 + 0.1 * lane as f32)] {
                wide.set_param(lane, id, v);
                scalar[lane].set_param(0, id, v);
            }
        }
        let input: Vec<Vec<f32>> = (0..4).map(|l| sine(300.0 + 450.0 * l as f64, 0.8, 4_096)).collect();
        let mut block: Vec<F32x4> = (0..4_096).map(|i| F32x4::from([input[0][i], input[1][i], input[2][i], input[3][i]])).collect();
        wide.process(&mut block);
        for lane in 0..4 {
            let mut x = input[lane].clone();
            scalar[lane].process(&mut x);
            for i in 0..4_096 {
                assert_eq!(block[i].lane(lane).to_bits(), x[i].to_bits(), "lane {lane} sample {i}");
            }
        }
    }
}
