//! Reducing a float mix to integer samples: rounding with TPDF dither (the default), with
//! noise-shaped TPDF dither for 16 bits, or without dither.
//!
//! TPDF dither — the sum of two independent uniform values, each ±½ LSB, added before rounding —
//! makes the quantisation error independent of the signal, its mean and variance constant (Lipshitz,
//! Wannamaker and Vanderkooy, "Quantization and Dither: A Theoretical Survey", JAES 40(5), 1992):
//! a signal far below one LSB survives as itself in noise instead of vanishing or turning into
//! distortion. Noise shaping feeds the error back through a filter that moves the noise towards the
//! frequencies the ear hears least: the Lipshitz filter for 44.1 kHz as SoX tabulates it
//! (`src/dither.c`, `lip44`; Lipshitz, Vanderkooy and Wannamaker, "Minimally Audible Noise Shaping",
//! JAES 39(11), 1991), used at 44.1 and 48 kHz — a curve fitted to the ear in Hz, so not at other
//! rates, where TPDF is used.
//!
//! The dither's noise comes from a generator seeded identically for every render, so that the same
//! mix dithered twice — by the CLI, by the browser — gives the same file.

/// How a mix is brought to fewer bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Dither {
    /// TPDF dither: the error ±1 LSB, triangular, independent of the signal.
    #[default]
    Tpdf,
    /// TPDF dither whose noise is shaped away from the ear's most sensitive band (16 bits, at 44.1
    /// or 48 kHz; elsewhere plain TPDF).
    Shaped,
    /// Plain rounding: low-level detail below half an LSB is lost, and the error follows the signal.
    Off,
}

impl Dither {
    pub fn parse(text: &str) -> Option<Dither> {
        match text {
            "tpdf" => Some(Dither::Tpdf),
            "shaped" => Some(Dither::Shaped),
            "off" | "none" => Some(Dither::Off),
            _ => None,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Dither::Tpdf => "tpdf",
            Dither::Shaped => "shaped",
            Dither::Off => "off",
        }
    }
}

/// The Lipshitz noise-shaping filter (error feedback, newest error first), as SoX's `lip44`.
pub const LIPSHITZ_44K: [f64; 5] = [2.033, -2.165, 1.959, -1.590, 0.6149];

/// The seed of every render's dither noise.
const SEED: u64 = 0x4d49_5852_4f4f_4d21;

/// A small, fast generator of uniform values (xorshift64*, Vigna 2016): statistically far more
/// than dither needs, and the same numbers on every platform.
struct Noise(u64);

impl Noise {
    /// Uniform in [0, 1).
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Triangular in (−1, 1): the sum of two uniform values of ±½.
    fn triangular(&mut self) -> f64 {
        self.uniform() - self.uniform()
    }
}

/// `channels` (float, full scale ±1) as `bits`-bit integers, dithered as `dither` says at `rate`
/// (the rate chooses whether shaping applies). Values beyond full scale are clipped to it.
pub fn quantize(channels: &[Vec<f32>], bits: u32, dither: Dither, rate: u32) -> Vec<Vec<i32>> {
    let scale = (1u64 << (bits - 1)) as f64;
    let (low, high) = (-scale, scale - 1.0);
    let shaped = dither == Dither::Shaped && bits <= 16 && (rate == 44_100 || rate == 48_000);
    let mut noise = Noise(SEED);
    channels
        .iter()
        .map(|samples| {
            let mut errors = [0.0f64; LIPSHITZ_44K.len()];
            samples
                .iter()
                .map(|&x| {
                    let x = if x.is_finite() { x as f64 * scale } else { 0.0 };
                    let wanted = if shaped { x - errors.iter().zip(&LIPSHITZ_44K).map(|(e, h)| e * h).sum::<f64>() } else { x };
                    let d = if dither == Dither::Off { 0.0 } else { noise.triangular() };
                    let q = (wanted + d).round().clamp(low, high);
                    if shaped {
                        // (Bounded: where the output clips, the error is not the shaper's to undo.)
                        errors.rotate_right(1);
                        errors[0] = (q - wanted).clamp(-2.0, 2.0);
                    }
                    q as i32
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_uniform_and_the_dither_triangular() {
        let mut n = Noise(SEED);
        let values: Vec<f64> = (0..200_000).map(|_| n.triangular()).collect();
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let variance = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / values.len() as f64;
        // A triangular density on (−1, 1): mean 0, variance 1/6; a quarter of it beyond ±½.
        assert!(mean.abs() < 0.005, "mean {mean}");
        assert!((variance - 1.0 / 6.0).abs() < 0.003, "variance {variance}");
        let outer = values.iter().filter(|v| v.abs() > 0.5).count() as f64 / values.len() as f64;
        assert!((outer - 0.25).abs() < 0.005, "{outer} beyond ±½");
        assert!(values.iter().all(|v| v.abs() < 1.0));
    }

    #[test]
    fn full_scale_and_beyond_clip_and_non_finite_is_silence() {
        let q = quantize(&[vec![1.0, -1.0, 2.0, f32::NAN, f32::INFINITY, 0.5]], 16, Dither::Off, 48_000);
        assert_eq!(q, [vec![32_767, -32_768, 32_767, 0, 0, 16_384]]);
        let q = quantize(&[vec![1.0, -1.0]], 24, Dither::Off, 48_000);
        assert_eq!(q, [vec![8_388_607, -8_388_608]]);
    }
}
