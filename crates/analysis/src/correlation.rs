//! Phase correlation of a stereo signal: +1 when left and right are the same (mono), 0 when they
//! have nothing in common, −1 when one is the other inverted (a mix that cancels in mono).
//!
//! The coefficient is Pearson's without the mean (audio has none): Σ L·R / √(Σ L² · Σ R²), the
//! sums taken with an exponential window of [`INTEGRATION_MS`], the integration time of the
//! correlation meters engineers know (RTW, DK-Technologies: a few hundred milliseconds), so that
//! the needle follows the music without flickering.

/// The time constant of the sums, ms.
pub const INTEGRATION_MS: f64 = 300.0;

/// Below this mean-square level (−120 dBFS) a channel is silence, and the meter reads 0.
const SILENCE: f64 = 1e-12;

/// A correlation meter over a stereo signal fed in pieces of any size. Allocates nothing.
#[derive(Clone, Debug)]
pub struct Correlation {
    /// Exponentially weighted means of L·R, L² and R².
    lr: f64,
    ll: f64,
    rr: f64,
    /// How much of the previous mean each sample keeps.
    keep: f64,
}

impl Correlation {
    pub fn new(rate: u32) -> Correlation {
        let keep = (-1.0 / (INTEGRATION_MS * 0.001 * rate.max(1) as f64)).exp();
        Correlation { lr: 0.0, ll: 0.0, rr: 0.0, keep }
    }

    /// Adds a piece of the left and right channels (as long as each other).
    pub fn add(&mut self, left: &[f32], right: &[f32]) {
        let (keep, take) = (self.keep, 1.0 - self.keep);
        let (mut lr, mut ll, mut rr) = (self.lr, self.ll, self.rr);
        for (&l, &r) in left.iter().zip(right) {
            let (l, r) = (l as f64, r as f64);
            lr = keep * lr + take * (l * r);
            ll = keep * ll + take * (l * l);
            rr = keep * rr + take * (r * r);
        }
        // Non-finite input (never from the engine, whose output is limited) is forgotten rather
        // than kept for ever; silence decays to exact zeros, never to slow denormals.
        let clean = |x: f64| if x.is_finite() && x.abs() > 1e-200 { x } else { 0.0 };
        (self.lr, self.ll, self.rr) = (clean(lr), clean(ll), clean(rr));
    }

    /// The correlation now, −1 … +1; 0 while either channel is silent.
    pub fn value(&self) -> f64 {
        if self.ll < SILENCE || self.rr < SILENCE {
            return 0.0;
        }
        (self.lr / (self.ll * self.rr).sqrt()).clamp(-1.0, 1.0)
    }

    pub fn reset(&mut self) {
        (self.lr, self.ll, self.rr) = (0.0, 0.0, 0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 48_000;

    /// White noise from a 32-bit LCG, ±0.5.
    fn noise(seed: u32, n: usize) -> Vec<f32> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (x >> 8) as f32 / (1 << 24) as f32 - 0.5
            })
            .collect()
    }

    fn read(left: &[f32], right: &[f32]) -> f64 {
        let mut meter = Correlation::new(RATE);
        for (l, r) in left.chunks(128).zip(right.chunks(128)) {
            meter.add(l, r);
        }
        meter.value()
    }

    #[test]
    fn mono_reads_plus_one_inverted_minus_one_unrelated_noise_zero() {
        let a = noise(1, RATE as usize * 2);
        let b = noise(2, RATE as usize * 2);
        let inverted: Vec<f32> = a.iter().map(|x| -x).collect();
        let quieter: Vec<f32> = a.iter().map(|x| 0.1 * x).collect();
        assert!((read(&a, &a) - 1.0).abs() < 1e-9, "mono: {}", read(&a, &a));
        // The same signal at another level is still mono: correlation ignores level.
        assert!((read(&a, &quieter) - 1.0).abs() < 1e-9, "mono, one side 20 dB down: {}", read(&a, &quieter));
        assert!((read(&a, &inverted) + 1.0).abs() < 1e-9, "inverted: {}", read(&a, &inverted));
        // Two independent noises: the coefficient of ~14 000 effectively independent samples
        // (300 ms) scatters by about 1/√14 400 ≈ 0.008 around 0.
        assert!(read(&a, &b).abs() < 0.05, "uncorrelated: {}", read(&a, &b));
    }

    #[test]
    fn a_sine_against_its_quadrature_reads_zero_and_silence_reads_zero() {
        // sin against cos: orthogonal, correlation 0 (to the window's ripple).
        let f = 1_000.0 / RATE as f64;
        let s: Vec<f32> = (0..RATE).map(|i| (std::f64::consts::TAU * f * i as f64).sin() as f32).collect();
        let c: Vec<f32> = (0..RATE).map(|i| (std::f64::consts::TAU * f * i as f64).cos() as f32).collect();
        assert!(read(&s, &c).abs() < 0.01, "sin against cos: {}", read(&s, &c));
        let silence = vec![0.0f32; RATE as usize];
        assert_eq!(read(&s, &silence), 0.0);
        assert_eq!(read(&silence, &silence), 0.0);
    }

    #[test]
    fn the_needle_follows_within_its_integration_time() {
        // A second of mono, then a second of inverted: one second (over three time constants)
        // after the change the meter reads the new state.
        let a = noise(3, RATE as usize * 2);
        let right: Vec<f32> = a.iter().enumerate().map(|(i, x)| if i < RATE as usize { *x } else { -x }).collect();
        assert!(read(&a, &right) < -0.9, "after the flip: {}", read(&a, &right));
    }
}
