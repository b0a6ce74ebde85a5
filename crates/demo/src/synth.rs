//! The small synthesizer the demo stems are played on: oscillators, a state-variable filter, noise.
//!
//! Everything uses `libm` and plain IEEE arithmetic so that the stems come out bit-identical natively
//! and in WebAssembly.

use core::f32::consts::{PI, TAU};

/// MIDI note number to frequency in Hz (A4 = note 69 = 440 Hz).
pub fn midi_hz(note: f32) -> f32 {
    440.0 * libm::powf(2.0, (note - 69.0) / 12.0)
}

/// A deterministic white-noise source (xorshift32), uniform in [−1, 1).
pub struct Noise(u32);

impl Noise {
    pub fn new(seed: u32) -> Self {
        Noise(seed.max(1))
    }

    pub fn next(&mut self) -> f32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        (x >> 8) as f32 / (1u32 << 23) as f32 - 1.0
    }
}

/// Phase accumulator in cycles, [0, 1).
#[derive(Default, Clone, Copy)]
pub struct Phase(pub f32);

impl Phase {
    /// Advances by `inc` cycles and returns the phase before the step.
    pub fn step(&mut self, inc: f32) -> f32 {
        let p = self.0;
        self.0 += inc;
        self.0 -= libm::floorf(self.0);
        p
    }
}

/// PolyBLEP correction around a waveform discontinuity: removes most of the aliasing of a naive saw.
fn poly_blep(t: f32, dt: f32) -> f32 {
    if t < dt {
        let x = t / dt;
        x + x - x * x - 1.0
    } else if t > 1.0 - dt {
        let x = (t - 1.0) / dt;
        x * x + x + x + 1.0
    } else {
        0.0
    }
}

/// Band-limited sawtooth at phase `p` with phase increment `dt` (both in cycles).
pub fn saw(p: f32, dt: f32) -> f32 {
    2.0 * p - 1.0 - poly_blep(p, dt)
}

/// Sine at phase `p` (cycles).
pub fn sine(p: f32) -> f32 {
    libm::sinf(TAU * p)
}

/// Topology-preserving state-variable filter (Simper/Zavalishin): low, band and high outputs from one
/// structure, stable under fast cutoff modulation, which the synth voices rely on.
#[derive(Default, Clone)]
pub struct Svf {
    ic1: f32,
    ic2: f32,
    g: f32,
    k: f32,
}

/// The three outputs of [`Svf::process`].
pub struct SvfOut {
    pub low: f32,
    pub band: f32,
    pub high: f32,
}

impl Svf {
    pub fn new(cutoff: f32, q: f32, sample_rate: f32) -> Self {
        let mut f = Svf::default();
        f.tune(cutoff, q, sample_rate);
        f
    }

    /// Sets cutoff (Hz, kept below Nyquist) and resonance Q.
    pub fn tune(&mut self, cutoff: f32, q: f32, sample_rate: f32) {
        let fc = cutoff.clamp(10.0, sample_rate * 0.49);
        self.g = libm::tanf(PI * fc / sample_rate);
        self.k = 1.0 / q.max(0.05);
    }

    /// The resonance Q the filter is tuned to.
    pub fn q(&self) -> f32 {
        1.0 / self.k
    }

    pub fn process(&mut self, x: f32) -> SvfOut {
        let (g, k) = (self.g, self.k);
        let a1 = 1.0 / (1.0 + g * (g + k));
        let v3 = x - self.ic2;
        let v1 = a1 * self.ic1 + g * a1 * v3;
        let v2 = self.ic2 + g * v1;
        self.ic1 = 2.0 * v1 - self.ic1;
        self.ic2 = 2.0 * v2 - self.ic2;
        SvfOut { low: v2, band: v1, high: x - k * v1 - v2 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_is_uniform_and_zero_mean() {
        let mut n = Noise::new(7);
        let (mut sum, mut lo, mut hi) = (0.0f64, 1.0f32, -1.0f32);
        for _ in 0..100_000 {
            let x = n.next();
            assert!((-1.0..1.0).contains(&x));
            sum += x as f64;
            lo = lo.min(x);
            hi = hi.max(x);
        }
        assert!((sum / 100_000.0).abs() < 0.01);
        assert!(lo < -0.99 && hi > 0.99);
    }

    #[test]
    fn midi_reference_pitches() {
        assert!((midi_hz(69.0) - 440.0).abs() < 1e-3);
        assert!((midi_hz(60.0) - 261.6256).abs() < 1e-2);
        assert!((midi_hz(33.0) - 55.0).abs() < 1e-3);
    }

    #[test]
    fn svf_lowpass_passes_dc_and_blocks_nyquist() {
        let fs = 48_000.0;
        let mut f = Svf::new(1_000.0, 0.707, fs);
        let mut y = 0.0;
        for _ in 0..48_000 {
            y = f.process(1.0).low;
        }
        assert!((y - 1.0).abs() < 1e-4, "DC gain {y}");
        let mut f = Svf::new(1_000.0, 0.707, fs);
        let mut peak = 0.0f32;
        for i in 0..48_000 {
            let y = f.process(if i % 2 == 0 { 1.0 } else { -1.0 }).low;
            if i > 1_000 {
                peak = peak.max(y.abs());
            }
        }
        assert!(peak < 1e-3, "Nyquist leak {peak}");
    }
}
