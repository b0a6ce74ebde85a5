//! Level metering.

use crate::lanes::{F32x4, Lanes};

/// Peak and RMS of a stretch of signal.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Levels {
    /// Largest absolute sample.
    pub peak: f32,
    /// Root mean square.
    pub rms: f32,
}

/// Sample-peak and RMS meter over the signal since it was last read.
///
/// The audio side calls [`LevelMeter::process`] every block; the control side reads and resets it at
/// display rate with [`LevelMeter::take`]. Ballistics (hold, fall-off, integration of the RMS over a
/// display window) belong to the display.
#[derive(Clone, Debug, Default)]
pub struct LevelMeter {
    peak: f32,
    sum_squares: f64,
    samples: u64,
}

impl LevelMeter {
    /// Folds a block into the measurement.
    #[inline]
    pub fn process(&mut self, block: &[f32]) {
        // Two vectors of running maxima and squares (the platform's own max instruction is fine
        // here, where no NaN reaches and the sign of a zero does not matter).
        let (mut x, mut y) = (F32x4::splat(self.peak), F32x4::splat(self.peak));
        let (mut sx, mut sy) = (F32x4::splat(0.0), F32x4::splat(0.0));
        let chunks = block.chunks_exact(8);
        let tail = chunks.remainder();
        for c in chunks {
            let a = F32x4::from([c[0], c[1], c[2], c[3]]);
            let b = F32x4::from([c[4], c[5], c[6], c[7]]);
            x = Lanes::max(x, a.abs());
            y = Lanes::max(y, b.abs());
            sx += a * a;
            sy += b * b;
        }
        let [a, b, c, d] = Lanes::max(x, y).to_array();
        let mut peak = a.max(b).max(c.max(d));
        let mut squares = (sx + sy).to_array().iter().map(|&v| v as f64).sum::<f64>();
        for &v in tail {
            peak = peak.max(v.abs());
            squares += (v as f64) * (v as f64);
        }
        self.peak = peak;
        self.sum_squares += squares;
        self.samples += block.len() as u64;
    }

    /// Returns the levels since the last call and starts a new measurement.
    pub fn take(&mut self) -> Levels {
        let levels = self.peek();
        *self = LevelMeter::default();
        levels
    }

    /// The levels so far, without resetting.
    pub fn peek(&self) -> Levels {
        let rms = if self.samples == 0 { 0.0 } else { (self.sum_squares / self.samples as f64).sqrt() as f32 };
        Levels { peak: self.peak, rms }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_and_rms_until_taken() {
        let mut m = LevelMeter::default();
        m.process(&[0.1, -0.7, 0.3]);
        m.process(&[0.2; 13]);
        assert_eq!(m.peek().peak, 0.7);
        let expected_rms = ((0.01 + 0.49 + 0.09 + 13.0 * 0.04) / 16.0f64).sqrt();
        let taken = m.take();
        assert!((taken.rms as f64 - expected_rms).abs() < 1e-7, "{}", taken.rms);
        assert_eq!(m.take(), Levels::default());
    }

    #[test]
    fn a_full_scale_sine_reads_3_db_below_its_peak() {
        let mut m = LevelMeter::default();
        let sine: Vec<f32> = (0..48_000).map(|i| (i as f32 * 0.0625).sin()).collect();
        m.process(&sine);
        let l = m.take();
        assert!((20.0 * (l.peak / l.rms).log10() - 3.0103).abs() < 0.01);
    }
}
