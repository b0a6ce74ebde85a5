//! Filters: a state-variable filter section in lanes, and its designs for every cookbook shape.
//!
//! The section is Andrew Simper's linear trapezoidal state-variable filter ("SvfLinearTrapOptimised2",
//! Cytomic 2013). With the mix coefficients below it realises exactly the analog prototypes of Robert
//! Bristow-Johnson's Audio EQ Cookbook through the bilinear transform prewarped at the corner, so its
//! magnitude response equals the cookbook biquad's — and it stays well behaved when its coefficients
//! move (the engine glides them) and at low corner frequencies in `f32`, where a direct-form biquad
//! loses precision.
//!
//! Coefficients are designed in `f64` with `libm` (identical on every target) and stored as `f32`.

use crate::lanes::Lanes;

/// Samples between coefficient updates while a parameter glides. Updates happen on a fixed grid of
/// the processor's own sample count, so the output does not depend on the host's block size.
pub const UPDATE_INTERVAL: usize = 16;

/// Samples left to the next update after running `run` samples with `countdown` left: a run may
/// pass over updates that had nothing to do (a processor at rest runs a whole block at once), and
/// the grid stays where it was.
pub fn grid_left(countdown: usize, run: usize) -> usize {
    if run < countdown {
        countdown - run
    } else {
        (UPDATE_INTERVAL - (run - countdown) % UPDATE_INTERVAL) % UPDATE_INTERVAL
    }
}

/// The response shapes of the cookbook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    LowPass,
    HighPass,
    /// Band-pass with 0 dB at the centre.
    BandPass,
    Notch,
    AllPass,
    /// Peaking ("bell") EQ.
    Bell,
    LowShelf,
    HighShelf,
}

/// Coefficients of one section, in the form the sample loop uses (see [`Svf::tick`]): `u1…u3`
/// update the integrators — Simper's `2·a1 − 1`, `2·a2`, `2·a3` — and `m0…m2` mix the input and
/// the sums of the band and low states before and after the sample — Simper's `m0`, `m1/2`, `m2/2`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SvfCoefs {
    pub u1: f32,
    pub u2: f32,
    pub u3: f32,
    pub m0: f32,
    pub m1: f32,
    pub m2: f32,
}

impl SvfCoefs {
    /// Passes the input unchanged (integrators idle).
    pub const IDENTITY: SvfCoefs = SvfCoefs { u1: 1.0, u2: 0.0, u3: 0.0, m0: 1.0, m1: 0.0, m2: 0.0 };

    /// Designs a section. `freq` is clamped below Nyquist, `q` to 0.025 … 40; `gain_db` is used by the
    /// bell and shelves only.
    pub fn design(shape: Shape, freq: f32, q: f32, gain_db: f32, sample_rate: f32) -> SvfCoefs {
        Self::design_prewarped(shape, Self::prewarp(freq, sample_rate), q, gain_db)
    }

    /// The prewarped frequency `tan(π·f/fs)` a design starts from: the costliest part of it, and
    /// the same as long as the frequency is (an EQ whose gain alone is automated keeps it).
    pub fn prewarp(freq: f32, sample_rate: f32) -> f64 {
        let fs = sample_rate.max(1.0) as f64;
        let f = (freq as f64).clamp(1.0, fs * 0.4999);
        libm::tan(core::f64::consts::PI * f / fs)
    }

    /// [`SvfCoefs::design`] from a [`SvfCoefs::prewarp`]ed frequency: the same coefficients.
    pub fn design_prewarped(shape: Shape, tan: f64, q: f32, gain_db: f32) -> SvfCoefs {
        let q = (q as f64).clamp(0.025, 40.0);
        let a = libm::pow(10.0, gain_db as f64 / 40.0);
        // (g, k, m0, m1, m2) per Simper's table; A = 10^(gain/40) as in the cookbook.
        let (g, k, m0, m1, m2) = match shape {
            Shape::LowPass => (tan, 1.0 / q, 0.0, 0.0, 1.0),
            Shape::HighPass => (tan, 1.0 / q, 1.0, -1.0 / q, -1.0),
            Shape::BandPass => (tan, 1.0 / q, 0.0, 1.0 / q, 0.0),
            Shape::Notch => (tan, 1.0 / q, 1.0, -1.0 / q, 0.0),
            Shape::AllPass => (tan, 1.0 / q, 1.0, -2.0 / q, 0.0),
            Shape::Bell => {
                let k = 1.0 / (q * a);
                (tan, k, 1.0, k * (a * a - 1.0), 0.0)
            }
            Shape::LowShelf => {
                let k = 1.0 / q;
                (tan / libm::sqrt(a), k, 1.0, k * (a - 1.0), a * a - 1.0)
            }
            Shape::HighShelf => {
                let k = 1.0 / q;
                (tan * libm::sqrt(a), k, a * a, k * (1.0 - a) * a, 1.0 - a * a)
            }
        };
        let a1 = 1.0 / (1.0 + g * (g + k));
        let a2 = g * a1;
        let a3 = g * a2;
        SvfCoefs { u1: (2.0 * a1 - 1.0) as f32, u2: (2.0 * a2) as f32, u3: (2.0 * a3) as f32, m0: m0 as f32, m1: (0.5 * m1) as f32, m2: (0.5 * m2) as f32 }
    }

    /// The same integrators with the output mix of a wire: used to bypass a section without
    /// disturbing its state, so switching it back in does not click more than the change itself.
    pub fn bypassed(self) -> SvfCoefs {
        SvfCoefs { m0: 1.0, m1: 0.0, m2: 0.0, ..self }
    }
}

/// One filter section running on every lane, each lane with its own coefficients.
#[derive(Clone, Debug, Default)]
pub struct Svf<L> {
    u1: L,
    u2: L,
    u3: L,
    m0: L,
    m1: L,
    m2: L,
    ic1: L,
    ic2: L,
    /// Per-sample coefficient increments while ramping to new coefficients ([`Svf::ramp_lane`]).
    ramp: [L; 6],
    /// Coefficients to land on exactly when the ramp ends, and samples left.
    ramp_target: [L; 6],
    ramp_left: usize,
}

impl<L: Lanes> Svf<L> {
    /// A section passing every lane unchanged.
    pub fn new() -> Self {
        let mut s = Svf::default();
        for lane in 0..L::WIDTH {
            s.set_lane(lane, &SvfCoefs::IDENTITY);
        }
        s
    }

    /// Sets the coefficients of one lane at once (stopping its ramp, if any).
    pub fn set_lane(&mut self, lane: usize, c: &SvfCoefs) {
        let values = [c.u1, c.u2, c.u3, c.m0, c.m1, c.m2];
        for (k, coef) in [&mut self.u1, &mut self.u2, &mut self.u3, &mut self.m0, &mut self.m1, &mut self.m2].into_iter().enumerate() {
            coef.set_lane(lane, values[k]);
            self.ramp[k].set_lane(lane, 0.0);
            self.ramp_target[k].set_lane(lane, values[k]);
        }
    }

    /// Moves one lane's coefficients to `c` in a straight line over the next `samples` samples
    /// (processed with [`Svf::tick_ramped`]): a glide without steps, so no zipper noise. Other lanes
    /// keep whatever ramp they are on.
    pub fn ramp_lane(&mut self, lane: usize, c: &SvfCoefs, samples: usize) {
        let target = [c.u1, c.u2, c.u3, c.m0, c.m1, c.m2];
        let current = [&mut self.u1, &mut self.u2, &mut self.u3, &mut self.m0, &mut self.m1, &mut self.m2];
        let n = samples.max(1) as f32;
        for (k, coef) in current.into_iter().enumerate() {
            // Land exactly where the previous ramp was heading before starting the next one.
            if self.ramp_left > 0 {
                coef.set_lane(lane, self.ramp_target[k].lane(lane));
            }
            let now = coef.lane(lane);
            self.ramp[k].set_lane(lane, (target[k] - now) / n);
            self.ramp_target[k].set_lane(lane, target[k]);
        }
        self.ramp_left = samples;
    }

    /// True while a ramp is under way: process with [`Svf::tick_ramped`].
    pub fn ramping(&self) -> bool {
        self.ramp_left > 0
    }

    /// Processes one sample, advancing the coefficients one step along their ramp; at the ramp's
    /// end they are set exactly to the target.
    #[inline(always)]
    pub fn tick_ramped(&mut self, x: L) -> L {
        if self.ramp_left > 0 {
            self.step_coefficients();
            self.ramp_left -= 1;
            if self.ramp_left == 0 {
                [self.u1, self.u2, self.u3, self.m0, self.m1, self.m2] = self.ramp_target;
                self.ramp = [L::splat(0.0); 6];
            }
        }
        self.tick(x)
    }

    /// Samples of a ramp left (see [`Svf::step_ramp`]).
    pub fn ramp_left(&self) -> usize {
        self.ramp_left
    }

    /// [`Svf::tick_ramped`] for a run of samples the ramp is known to outlast: the coefficients
    /// step and the sample is processed, with no check; [`Svf::end_ramp_run`] then counts the run.
    /// The same arithmetic, in the same order, as `tick_ramped`.
    #[inline(always)]
    pub fn step_ramp(&mut self, x: L) -> L {
        self.step_coefficients();
        self.tick(x)
    }

    /// The coefficients one step along their ramp.
    #[inline(always)]
    fn step_coefficients(&mut self) {
        self.u1 += self.ramp[0];
        self.u2 += self.ramp[1];
        self.u3 += self.ramp[2];
        self.m0 += self.ramp[3];
        self.m1 += self.ramp[4];
        self.m2 += self.ramp[5];
    }

    /// [`Svf::step_ramp`] for a bell-form section (see [`Svf::tick_bell`]; a bell's ramp leaves
    /// m0 and m2 where they are).
    #[inline(always)]
    pub fn step_ramp_bell(&mut self, x: L) -> L {
        self.u1 += self.ramp[0];
        self.u2 += self.ramp[1];
        self.u3 += self.ramp[2];
        self.m1 += self.ramp[4];
        self.tick_bell(x)
    }

    /// Counts `n` samples processed with [`Svf::step_ramp`]; at the ramp's end the coefficients
    /// are set exactly to its target, as `tick_ramped` does.
    pub fn end_ramp_run(&mut self, n: usize) {
        self.ramp_left -= n.min(self.ramp_left);
        if self.ramp_left == 0 {
            [self.u1, self.u2, self.u3, self.m0, self.m1, self.m2] = self.ramp_target;
            self.ramp = [L::splat(0.0); 6];
        }
    }

    /// [`Svf::tick`] for sections whose mix is `x + m1·band` (m0 = 1, m2 = 0 in every lane: the
    /// bell, the notch, the all-pass): the same arithmetic without the two products that are
    /// exactly `x` and exactly 0, so the result is the same (up to the sign of a zero).
    #[inline(always)]
    pub fn tick_bell(&mut self, x: L) -> L {
        let (ic1, _) = self.integrate(x);
        x + self.m1 * (ic1 + self.ic1)
    }

    /// True when every lane mixes as `x + m1·band` (see [`Svf::tick_bell`]).
    pub fn is_bell_form(&self) -> bool {
        (0..L::WIDTH).all(|l| self.m0.lane(l) == 1.0 && self.m2.lane(l) == 0.0)
    }

    /// Processes one sample on every lane.
    ///
    /// Simper's section computes the band and low outputs `v1 = a1·ic1 + a2·v3` and
    /// `v2 = ic2 + a2·ic1 + a3·v3` (`v3 = x − ic2`), then the states `2·v1 − ic1` and `2·v2 − ic2`.
    /// The same algebra is done here with the constants folded (see [`SvfCoefs`]): each state is
    /// updated directly — the low state as `ic2 + (u2·ic1 + u3·v3)`, small steps added to itself,
    /// which is what keeps the section precise at low corners in `f32` — and the outputs are taken
    /// from the states, `2·v1 = ic1 + ic1'` and `2·v2 = ic2 + ic2'`. The recurrence from one sample
    /// to the next is then four operations long instead of five and the whole section three
    /// operations shorter: the filters are most of the EQ's and the high-pass's time.
    #[inline(always)]
    pub fn tick(&mut self, x: L) -> L {
        let (ic1, ic2) = self.integrate(x);
        self.m0 * x + self.m1 * (ic1 + self.ic1) + self.m2 * (ic2 + self.ic2)
    }

    /// Advances the integrators by one sample; returns the states before the sample (the new ones
    /// are in `self`).
    #[inline(always)]
    fn integrate(&mut self, x: L) -> (L, L) {
        let (ic1, ic2) = (self.ic1, self.ic2);
        let v3 = x - ic2;
        self.ic1 = self.u1 * ic1 + self.u2 * v3;
        self.ic2 = ic2 + (self.u2 * ic1 + self.u3 * v3);
        (ic1, ic2)
    }

    /// Clears the state of one lane (a new signal is about to enter it).
    pub fn reset_lane(&mut self, lane: usize) {
        self.ic1.set_lane(lane, 0.0);
        self.ic2.set_lane(lane, 0.0);
    }

    /// Zeroes denormal state; called at block ends.
    pub fn flush(&mut self) {
        self.ic1 = self.ic1.flush();
        self.ic2 = self.ic2.flush();
    }
}

/// Q of each second-order section of an order-`2n` Butterworth filter: 1 / (2 cos θ_k),
/// θ_k = (2k − 1)π / (4n), k = 1 … n.
pub fn butterworth_qs(sections: usize) -> [f32; 4] {
    let mut qs = [0.0; 4];
    let order = 2 * sections;
    for (k, q) in qs.iter_mut().enumerate().take(sections.min(4)) {
        let theta = (2 * k + 1) as f64 * core::f64::consts::PI / (2 * order) as f64;
        *q = (1.0 / (2.0 * libm::cos(theta))) as f32;
    }
    qs
}

/// A value that glides towards a target on the coefficient-update grid, in the parameter's natural
/// domain (octaves for frequency, dB for gain, log for Q), so sweeps sound even.
#[derive(Clone, Copy, Debug)]
pub struct Glide {
    pub current: f32,
    pub target: f32,
}

impl Glide {
    pub const fn new(value: f32) -> Self {
        Glide { current: value, target: value }
    }

    /// One update step covering `step` of the remaining distance; returns true if the value moved.
    /// Snaps onto the target when within `snap`.
    #[inline]
    pub fn advance(&mut self, step: f32, snap: f32) -> bool {
        if self.current == self.target {
            return false;
        }
        let d = self.target - self.current;
        self.current = if d.abs() <= snap { self.target } else { self.current + d * step };
        true
    }

    pub fn settle(&mut self) {
        self.current = self.target;
    }
}

/// Fraction of the remaining distance a [`Glide`] covers per update for a time constant of
/// `time_ms`: 1 − e^(−interval / (τ·fs)).
pub fn glide_step(time_ms: f32, sample_rate: f32) -> f32 {
    let updates_per_tau = (time_ms * 0.001 * sample_rate / UPDATE_INTERVAL as f32).max(1.0e-3);
    1.0 - libm::expf(-1.0 / updates_per_tau)
}

/// Magnitude (dB) at `f` of a section designed with [`SvfCoefs::design`]: |H(jΩ)| of the cookbook's
/// analog prototype at the bilinear-warped frequency Ω = tan(πf/fs) / tan(πf0/fs), which is exactly the
/// digital section's response. For drawing EQ curves; the tests hold the filters to it.
pub fn response_db(shape: Shape, f0: f64, q: f64, gain_db: f64, f: f64, fs: f64) -> f64 {
    use num::C;
    let w = (core::f64::consts::PI * f / fs).tan() / (core::f64::consts::PI * f0 / fs).tan();
    let s = C(0.0, w);
    let one = C(1.0, 0.0);
    let a = 10f64.powf(gain_db / 40.0);
    let sa = a.sqrt();
    let den_std = s * s + s * (1.0 / q) + one;
    let h = match shape {
        Shape::LowPass => one / den_std,
        Shape::HighPass => (s * s) / den_std,
        Shape::BandPass => (s * (1.0 / q)) / den_std,
        Shape::Notch => (s * s + one) / den_std,
        Shape::AllPass => (s * s - s * (1.0 / q) + one) / den_std,
        Shape::Bell => (s * s + s * (a / q) + one) / (s * s + s * (1.0 / (a * q)) + one),
        Shape::LowShelf => ((s * s + s * (sa / q) + C(a, 0.0)) * a) / (s * s * a + s * (sa / q) + one),
        Shape::HighShelf => ((s * s * a + s * (sa / q) + one) * a) / (s * s + s * (sa / q) + C(a, 0.0)),
    };
    20.0 * h.abs().log10()
}

/// Just enough complex arithmetic for the reference responses.
mod num {
    use core::ops::{Add, Div, Mul, Sub};
    #[derive(Clone, Copy)]
    pub struct C(pub f64, pub f64);
    impl C {
        pub fn abs(self) -> f64 {
            self.0.hypot(self.1)
        }
    }
    impl Add for C {
        type Output = C;
        fn add(self, o: C) -> C {
            C(self.0 + o.0, self.1 + o.1)
        }
    }
    impl Sub for C {
        type Output = C;
        fn sub(self, o: C) -> C {
            C(self.0 - o.0, self.1 - o.1)
        }
    }
    impl Mul for C {
        type Output = C;
        fn mul(self, o: C) -> C {
            C(self.0 * o.0 - self.1 * o.1, self.0 * o.1 + self.1 * o.0)
        }
    }
    impl Mul<f64> for C {
        type Output = C;
        fn mul(self, k: f64) -> C {
            C(self.0 * k, self.1 * k)
        }
    }
    impl Div for C {
        type Output = C;
        fn div(self, o: C) -> C {
            let d = o.0 * o.0 + o.1 * o.1;
            C((self.0 * o.0 + self.1 * o.1) / d, (self.1 * o.0 - self.0 * o.1) / d)
        }
    }
}


#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    pub use super::response_db as cookbook_db;

    /// Magnitude (dB) of a lane filter at `freq`, measured from its impulse response with an f64 DFT.
    pub fn measured_db(mut process: impl FnMut(f32) -> f32, freq: f64, fs: f64, len: usize) -> f64 {
        let w = 2.0 * core::f64::consts::PI * freq / fs;
        let (mut re, mut im) = (0.0f64, 0.0f64);
        for n in 0..len {
            let h = process(if n == 0 { 1.0 } else { 0.0 }) as f64;
            re += h * (w * n as f64).cos();
            im -= h * (w * n as f64).sin();
        }
        10.0 * (re * re + im * im).log10()
    }

    /// Log-spaced test frequencies, 20 Hz … 20 kHz.
    pub fn test_freqs(count: usize) -> Vec<f64> {
        (0..count).map(|i| 20.0 * 1000f64.powf(i as f64 / (count - 1) as f64)).collect()
    }

    #[test]
    fn every_shape_matches_the_cookbook_within_0_05_db() {
        let fs = 48_000.0;
        let cases = [
            (Shape::LowPass, 1_000.0, 0.707, 0.0),
            (Shape::LowPass, 80.0, 2.0, 0.0),
            (Shape::HighPass, 80.0, 0.707, 0.0),
            (Shape::HighPass, 5_000.0, 0.5, 0.0),
            (Shape::BandPass, 2_500.0, 1.0, 0.0),
            (Shape::Notch, 400.0, 4.0, 0.0),
            (Shape::AllPass, 1_000.0, 0.707, 0.0),
            (Shape::Bell, 400.0, 1.2, -3.0),
            (Shape::Bell, 2_500.0, 1.0, 2.0),
            (Shape::Bell, 60.0, 6.0, 12.0),
            (Shape::Bell, 12_000.0, 0.3, -18.0),
            (Shape::LowShelf, 120.0, 0.707, 2.0),
            (Shape::LowShelf, 300.0, 1.0, -12.0),
            (Shape::HighShelf, 8_000.0, 0.707, 1.5),
            (Shape::HighShelf, 3_000.0, 0.5, -9.0),
        ];
        for (shape, f0, q, gain) in cases {
            let c = SvfCoefs::design(shape, f0, q, gain, fs as f32);
            for f in test_freqs(24) {
                let want = cookbook_db(shape, f0 as f64, q as f64, gain as f64, f, fs);
                if want < -60.0 {
                    continue; // deep in the stop band or the notch: f32 noise, not the design, decides
                }
                let mut svf = Svf::<f32>::new();
                svf.set_lane(0, &c);
                let got = measured_db(|x| svf.tick(x), f, fs, 1 << 16);
                assert!((got - want).abs() < 0.05, "{shape:?} f0={f0} q={q} g={gain}: at {f:.1} Hz {got:.4} dB, cookbook {want:.4} dB");
            }
        }
    }

    #[test]
    fn a_long_run_keeps_the_update_grid() {
        // Updates every 16 samples from sample 5 on: 5, 21, 37, …
        let next_update_after = |start_left: usize, run: usize| (0..).map(|k| start_left + k * UPDATE_INTERVAL).find(|&t| t >= run).unwrap() - run;
        for countdown in 1..=UPDATE_INTERVAL {
            for run in 0..300 {
                assert_eq!(grid_left(countdown, run), next_update_after(countdown, run), "countdown {countdown}, run {run}");
            }
        }
    }

    #[test]
    fn butterworth_sections() {
        let qs = butterworth_qs(1);
        assert!((qs[0] - core::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6);
        let qs = butterworth_qs(2);
        assert!((qs[0] - 0.541_196).abs() < 1e-5 && (qs[1] - 1.306_563).abs() < 1e-5);
        let qs = butterworth_qs(4);
        for (q, want) in qs.iter().zip([0.509_795, 0.601_345, 0.899_976, 2.562_915]) {
            assert!((q - want).abs() < 1e-5, "{q} vs {want}");
        }
    }

    #[test]
    fn four_lanes_equal_four_scalar_filters_bit_for_bit() {
        use crate::lanes::F32x4;
        let fs = 48_000.0;
        let designs = [
            SvfCoefs::design(Shape::HighPass, 80.0, 0.707, 0.0, fs),
            SvfCoefs::design(Shape::Bell, 2_500.0, 1.0, 4.0, fs),
            SvfCoefs::design(Shape::LowShelf, 150.0, 0.7, -6.0, fs),
            SvfCoefs::design(Shape::LowPass, 9_000.0, 1.3, 0.0, fs),
        ];
        let mut wide = Svf::<F32x4>::new();
        let mut scalar: Vec<Svf<f32>> = designs.iter().map(|_| Svf::new()).collect();
        for (lane, d) in designs.iter().enumerate() {
            wide.set_lane(lane, d);
            scalar[lane].set_lane(0, d);
        }
        let mut seed = 1u32;
        for _ in 0..10_000 {
            let mut x = F32x4::splat(0.0);
            let mut xs = [0.0f32; 4];
            for (lane, v) in xs.iter_mut().enumerate() {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                *v = (seed >> 8) as f32 / (1 << 24) as f32 - 0.5;
                x.set_lane(lane, *v);
            }
            let y = wide.tick(x);
            for lane in 0..4 {
                assert_eq!(y.lane(lane).to_bits(), scalar[lane].tick(xs[lane]).to_bits());
            }
        }
    }
}
