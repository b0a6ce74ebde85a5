//! Level metering.

/// Sample-peak meter: the largest absolute sample since it was last read.
///
/// The audio side calls [`PeakMeter::process`] every block; the control side reads and resets it at
/// display rate with [`PeakMeter::take`]. Ballistics (hold, fall-off) belong to the display.
#[derive(Clone, Debug, Default)]
pub struct PeakMeter {
    peak: f32,
}

impl PeakMeter {
    /// Folds a block into the peak. NaN samples are ignored (they cannot leave a processor anyway).
    #[inline]
    pub fn process(&mut self, block: &[f32]) {
        use crate::lanes::F32x4;
        // Two vectors of running maxima (a maximum is exact in any order; the platform's own max
        // instruction is fine here, where no NaN reaches and the sign of a zero does not matter).
        let (mut x, mut y) = (F32x4::splat(self.peak), F32x4::splat(self.peak));
        let chunks = block.chunks_exact(8);
        let tail = chunks.remainder();
        for c in chunks {
            x = x.max(F32x4::from([c[0], c[1], c[2], c[3]]).abs());
            y = y.max(F32x4::from([c[4], c[5], c[6], c[7]]).abs());
        }
        let [a, b, c, d] = x.max(y).to_array();
        let mut peak = a.max(b).max(c.max(d));
        for &x in tail {
            let a = x.abs();
            if a > peak {
                peak = a;
            }
        }
        self.peak = peak;
    }

    /// Returns the peak since the last call and starts a new measurement.
    pub fn take(&mut self) -> f32 {
        core::mem::take(&mut self.peak)
    }

    /// The peak so far, without resetting.
    pub fn peek(&self) -> f32 {
        self.peak
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_the_largest_magnitude_until_taken() {
        let mut m = PeakMeter::default();
        m.process(&[0.1, -0.7, 0.3]);
        m.process(&[0.2, f32::NAN]);
        assert_eq!(m.peek(), 0.7);
        assert_eq!(m.take(), 0.7);
        assert_eq!(m.take(), 0.0);
    }
}
