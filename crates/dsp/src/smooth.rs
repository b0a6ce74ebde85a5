//! Parameter smoothing.
//!
//! A parameter set from the UI jumps; applied as a jump to a gain it clicks, and applied once per block
//! it makes "zipper" noise. [`Smoother`] glides to each new target with a one-pole (exponential) curve,
//! per sample, and snaps exactly onto the target once it is inaudibly close so that a settled parameter
//! costs nothing and never decays into denormals.

/// Default smoothing time constant for gains and pans, in milliseconds.
///
/// 10 ms is below what an engineer perceives as lag on a fader move and long enough that a full-scale
/// jump has no audible click (the step's spectrum is low-passed at ~16 Hz).
pub const DEFAULT_SMOOTHING_MS: f32 = 10.0;

/// Distance from the target below which the smoother snaps onto it (−120 dB of full scale).
const SNAP: f32 = 1.0e-6;

/// A per-sample one-pole glide towards a target value.
#[derive(Clone, Debug)]
pub struct Smoother {
    current: f32,
    target: f32,
    /// Fraction of the remaining distance covered per sample: `1 − e^(−1/(τ·fs))`.
    step: f32,
}

impl Smoother {
    /// A smoother resting at `value`, gliding with time constant `time_ms` at `sample_rate`.
    pub fn new(value: f32, time_ms: f32, sample_rate: f32) -> Self {
        let mut s = Smoother { current: value, target: value, step: 1.0 };
        s.set_time(time_ms, sample_rate);
        s
    }

    /// Sets the time constant τ: after τ the smoother has covered 63 % of a jump, after 5τ 99.3 %.
    pub fn set_time(&mut self, time_ms: f32, sample_rate: f32) {
        let samples = (time_ms.max(0.0) * 0.001 * sample_rate.max(1.0)).max(1.0e-3);
        self.step = 1.0 - libm::expf(-1.0 / samples);
    }

    /// Sets a new target; the value glides there. NaN is ignored.
    pub fn set_target(&mut self, target: f32) {
        if !target.is_nan() {
            self.target = target;
        }
    }

    /// Jumps straight to `value` (for initial state and when nothing is playing).
    pub fn reset(&mut self, value: f32) {
        if !value.is_nan() {
            self.current = value;
            self.target = value;
        }
    }

    /// The target the smoother is gliding to.
    pub fn target(&self) -> f32 {
        self.target
    }

    /// The current value.
    pub fn current(&self) -> f32 {
        self.current
    }

    /// True when the value has reached its target, so a whole block can use one constant value.
    pub fn is_settled(&self) -> bool {
        self.current == self.target
    }

    /// Advances one sample and returns the new value.
    #[inline]
    pub fn next_value(&mut self) -> f32 {
        let distance = self.target - self.current;
        let next = self.current + distance * self.step;
        // Snap when inaudibly close, or when the step has fallen below f32 resolution at this value
        // (without this the glide would stall a few ulps short of the target forever).
        self.current = if distance.abs() <= SNAP || next == self.current { self.target } else { next };
        self.current
    }

    /// Fills `out` with the next `out.len()` values.
    #[inline]
    pub fn fill(&mut self, out: &mut [f32]) {
        if self.is_settled() {
            out.fill(self.current);
        } else {
            for v in out.iter_mut() {
                *v = self.next_value();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MAX_BLOCK;

    #[test]
    fn time_constant_matches_analytic_exponential() {
        let fs = 48_000.0;
        let mut s = Smoother::new(0.0, 10.0, fs);
        s.set_target(1.0);
        // After exactly τ (480 samples) a one-pole has covered 1 − 1/e of the way.
        let mut v = 0.0;
        for _ in 0..480 {
            v = s.next_value();
        }
        let expected = 1.0 - (-1.0f64).exp();
        assert!((v as f64 - expected).abs() < 1e-3, "{v} vs {expected}");
    }

    #[test]
    fn settles_exactly_and_then_is_constant() {
        let mut s = Smoother::new(0.25, 10.0, 48_000.0);
        s.set_target(0.75);
        let mut buf = [0.0; MAX_BLOCK];
        for _ in 0..200 {
            s.fill(&mut buf);
        }
        assert!(s.is_settled());
        assert_eq!(s.current(), 0.75);
        s.fill(&mut buf);
        assert!(buf.iter().all(|&v| v == 0.75));
    }

    #[test]
    fn ignores_nan_targets() {
        let mut s = Smoother::new(0.5, 10.0, 48_000.0);
        s.set_target(f32::NAN);
        assert_eq!(s.target(), 0.5);
        assert_eq!(s.next_value(), 0.5);
    }

    #[test]
    fn monotonic_without_overshoot() {
        let mut s = Smoother::new(1.0, 5.0, 44_100.0);
        s.set_target(0.0);
        let mut last = 1.0;
        for _ in 0..10_000 {
            let v = s.next_value();
            assert!(v <= last && v >= 0.0);
            last = v;
        }
        assert_eq!(last, 0.0);
    }
}
