//! Spectrum analysis for display: what the EQ editor draws behind its curve.
//!
//! A Hann-windowed FFT (the `realfft` crate) of the latest stretch of a strip's signal, calibrated so
//! that a sine reads its peak level in dBFS (a full-scale sine at a bin's centre reads 0 dB), then read
//! out at the display's frequencies: each display point shows the loudest bin between it and its
//! neighbours, so a narrow peak is never lost between two pixels, and points finer than the FFT's
//! resolution (the low end) are interpolated between bins.
//!
//! This runs on the control side (the UI thread), not in the audio path: it allocates when built and
//! never after.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

/// Lowest level reported, dBFS: the floor of any display.
pub const FLOOR_DB: f32 = -140.0;

/// A windowed FFT analyser of a fixed size.
pub struct Spectrum {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    input: Vec<f32>,
    output: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    /// Level of each bin from the last analysis, dBFS (sine-calibrated).
    bins_db: Vec<f32>,
    sample_rate: f32,
}

impl Spectrum {
    /// An analyser of `size` samples (a power of two suits the FFT best) at `sample_rate`.
    pub fn new(size: usize, sample_rate: f32) -> Spectrum {
        let size = size.max(2);
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(size);
        // Periodic Hann: the window whose shifted copies sum to a constant, the usual choice for
        // analysis.
        let window: Vec<f32> = (0..size).map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / size as f64).cos() as f32).collect();
        let input = fft.make_input_vec();
        let output = fft.make_output_vec();
        let scratch = fft.make_scratch_vec();
        let bins = output.len();
        Spectrum { fft, window, input, output, scratch, bins_db: vec![FLOOR_DB; bins], sample_rate }
    }

    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }

    /// Samples per analysis.
    pub fn size(&self) -> usize {
        self.window.len()
    }

    /// Centre frequency of bin `k`, Hz.
    pub fn bin_frequency(&self, k: usize) -> f32 {
        k as f32 * self.sample_rate / self.size() as f32
    }

    /// Analyses the last [`Spectrum::size`] samples of `signal` (zeros in front when it is
    /// shorter) and returns each bin's level, dBFS.
    pub fn analyse(&mut self, signal: &[f32]) -> &[f32] {
        let n = self.size();
        let take = signal.len().min(n);
        let pad = n - take;
        self.input[..pad].fill(0.0);
        for ((x, s), w) in self.input[pad..].iter_mut().zip(&signal[signal.len() - take..]).zip(&self.window[pad..]) {
            *x = if s.is_finite() { s * w } else { 0.0 };
        }
        // Only errors on buffers of the wrong length, which `new` made right.
        let _ = self.fft.process_with_scratch(&mut self.input, &mut self.output, &mut self.scratch);
        // A sine of amplitude A at a bin's centre gives |X| = A·Σw/2.
        let scale = 2.0 / self.window.iter().map(|&w| w as f64).sum::<f64>() as f32;
        for (db, x) in self.bins_db.iter_mut().zip(&self.output) {
            let magnitude = x.norm() * scale;
            *db = if magnitude > 0.0 { (20.0 * magnitude.log10()).max(FLOOR_DB) } else { FLOOR_DB };
        }
        &self.bins_db
    }

    /// The last analysis read at display frequencies `points` (ascending, Hz) into `out`: the loudest
    /// bin within half a step of each point (geometric), or, where no bin falls that close, the level
    /// interpolated between the two bins around it.
    pub fn read_at(&self, points: &[f32], out: &mut [f32]) {
        let hz_per_bin = self.sample_rate / self.size() as f32;
        let last = self.bins_db.len() - 1;
        for (i, (&f, o)) in points.iter().zip(out.iter_mut()).enumerate() {
            let below = if i > 0 { (points[i - 1] * f).sqrt() } else { f };
            let above = if i + 1 < points.len() { (points[i + 1] * f).sqrt() } else { f };
            let lo = (below / hz_per_bin).ceil().max(0.0) as usize;
            let hi = ((above / hz_per_bin).floor() as usize).min(last);
            *o = if lo <= hi { self.bins_db[lo..=hi].iter().copied().fold(FLOOR_DB, f32::max) } else { self.between_bins(f) };
        }
    }
}

impl Spectrum {
    /// The level at `f` interpolated between the two bins around it (where a display point falls
    /// closer to a bin than any other point: the low end).
    fn between_bins(&self, f: f32) -> f32 {
        let last = self.bins_db.len() - 1;
        let x = (f / (self.sample_rate / self.size() as f32)).clamp(0.0, last as f32);
        let k = (x.floor() as usize).min(last.saturating_sub(1));
        let t = x - k as f32;
        self.bins_db[k] + (self.bins_db[(k + 1).min(last)] - self.bins_db[k]) * t
    }

    /// The last analysis smoothed over `1/fraction` of an octave (3: a third, 6: a sixth), read at
    /// display frequencies `points` into `out`: at each point, the mean power of the bins within
    /// half that band either side of it (the smoothing of room-measurement and mastering
    /// analysers: the shape of a spectrum, not its single bins). Where the band holds no bin (the
    /// low end), the level interpolated between the bins around the point.
    pub fn read_smoothed(&self, points: &[f32], fraction: f32, out: &mut [f32]) {
        let hz_per_bin = self.sample_rate / self.size() as f32;
        let last = self.bins_db.len() - 1;
        let half = 2f32.powf(0.5 / fraction.max(0.1));
        for (&f, o) in points.iter().zip(out.iter_mut()) {
            let lo = (f / half / hz_per_bin).ceil().max(0.0) as usize;
            let hi = ((f * half / hz_per_bin).floor() as usize).min(last);
            *o = if lo <= hi {
                let power: f64 = self.bins_db[lo..=hi].iter().map(|&db| 10f64.powf(db as f64 / 10.0)).sum::<f64>() / (hi - lo + 1) as f64;
                ((10.0 * power.log10()) as f32).max(FLOOR_DB)
            } else {
                self.between_bins(f)
            };
        }
    }
}

/// `count` display frequencies from `low` to `high` Hz, evenly spaced on a log axis.
pub fn log_points(low: f32, high: f32, count: usize) -> Vec<f32> {
    let count = count.max(2);
    (0..count).map(|i| low * (high / low).powf(i as f32 / (count - 1) as f32)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: f32 = 48_000.0;
    const SIZE: usize = 4096;

    /// White noise: flat on average, each bin scattered by several dB. Smoothed over a third of an
    /// octave it reads flat (each point averages dozens of bins above 1 kHz); over a sixth, flatter
    /// than the bins and less than over a third.
    #[test]
    fn octave_smoothing_flattens_noise_as_its_band_is_wide() {
        let mut seed = 0x9e37_79b9u32;
        let noise: Vec<f32> = (0..SIZE)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                (seed as f32 / u32::MAX as f32) - 0.5
            })
            .collect();
        let mut a = Spectrum::new(SIZE, RATE);
        a.analyse(&noise);
        let points = log_points(1_000.0, 16_000.0, 64);
        let spread = |v: &[f32]| {
            let mean = v.iter().sum::<f32>() / v.len() as f32;
            (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() / v.len() as f32).sqrt()
        };
        let mut raw = vec![0.0; points.len()];
        let mut third = vec![0.0; points.len()];
        let mut sixth = vec![0.0; points.len()];
        // The bins themselves at the points (nearest bin), for the scatter without smoothing.
        for (r, &f) in raw.iter_mut().zip(&points) {
            *r = a.bins_db[(f / (RATE / SIZE as f32)).round() as usize];
        }
        a.read_smoothed(&points, 3.0, &mut third);
        a.read_smoothed(&points, 6.0, &mut sixth);
        let (s_raw, s_third, s_sixth) = (spread(&raw), spread(&third), spread(&sixth));
        println!("scatter: bins {s_raw:.2} dB, 1/6 octave {s_sixth:.2} dB, 1/3 octave {s_third:.2} dB");
        assert!(s_third < 1.0, "a third of an octave leaves {s_third:.2} dB of scatter");
        assert!(s_third < s_sixth && s_sixth < s_raw / 2.0, "{s_raw:.2} / {s_sixth:.2} / {s_third:.2}");
    }

    /// A sine's power is kept: smoothed over a band holding all of it, a point reads the sine's
    /// power spread over the band's bins — its level less 10·log10 of the bins it is averaged with,
    /// plus the Hann window's energy (1.5 times its peak bin's).
    #[test]
    fn a_smoothed_sine_keeps_its_power() {
        let mut a = Spectrum::new(SIZE, RATE);
        let bin = RATE / SIZE as f32;
        a.analyse(&sine(86.0 * bin as f64, 0.5, SIZE));
        let mut out = [0.0f32];
        a.read_smoothed(&[86.0 * bin], 3.0, &mut out);
        let half = 2f32.powf(0.5 / 3.0);
        let bins = ((86.0 * bin * half / bin).floor() - (86.0 * bin / half / bin).ceil() + 1.0) as f64;
        let expected = 20.0 * 0.5f64.log10() + 10.0 * 1.5f64.log10() - 10.0 * bins.log10();
        assert!((out[0] as f64 - expected).abs() < 0.1, "{} dB, expected {expected:.2} dB over {bins} bins", out[0]);
    }

    fn sine(freq: f64, amplitude: f64, frames: usize) -> Vec<f32> {
        (0..frames).map(|i| (amplitude * (2.0 * std::f64::consts::PI * freq * i as f64 / RATE as f64).sin()) as f32).collect()
    }

    /// The reference: a direct DFT of the Hann-windowed signal, in f64, bin by bin.
    fn naive_db(signal: &[f32], k: usize) -> f64 {
        let n = signal.len();
        let (mut re, mut im, mut wsum) = (0.0f64, 0.0f64, 0.0f64);
        for (i, &x) in signal.iter().enumerate() {
            let w = 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos();
            let phase = -2.0 * std::f64::consts::PI * (k * i) as f64 / n as f64;
            re += x as f64 * w * phase.cos();
            im += x as f64 * w * phase.sin();
            wsum += w;
        }
        20.0 * ((re * re + im * im).sqrt() * 2.0 / wsum).log10()
    }

    #[test]
    fn bins_agree_with_a_direct_dft() {
        // Two sines and a little noise (fixed seed), off bin centres.
        let mut seed = 0x1234_5678u32;
        let mut noise = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed as f32 / u32::MAX as f32 - 0.5
        };
        let a = sine(997.0, 0.5, SIZE);
        let b = sine(6_123.0, 0.05, SIZE);
        let signal: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x + y + 0.001 * noise()).collect();
        let mut s = Spectrum::new(SIZE, RATE);
        let bins = s.analyse(&signal).to_vec();
        for k in [0, 3, 40, 85, 86, 87, 300, 522, 523, 1024, 2048] {
            let reference = naive_db(&signal, k);
            assert!((bins[k] as f64 - reference).abs() < 0.01, "bin {k}: {} vs DFT {reference}", bins[k]);
        }
    }

    #[test]
    fn a_sine_reads_its_level_in_dbfs() {
        let mut s = Spectrum::new(SIZE, RATE);
        // At a bin's centre the reading is exact: −6.02 dB for amplitude 0.5.
        let k = 100;
        let bins = s.analyse(&sine(s.bin_frequency(k) as f64, 0.5, SIZE)).to_vec();
        assert!((bins[k] - (-6.0206)).abs() < 0.01, "{}", bins[k]);
        // Halfway between two bins a Hann window loses 1.42 dB (its scalloping loss), no more.
        let between = (s.bin_frequency(k) + s.bin_frequency(k + 1)) as f64 / 2.0;
        let bins = s.analyse(&sine(between, 0.5, SIZE)).to_vec();
        assert!((bins[k] - (-6.0206 - 1.4236)).abs() < 0.02, "{}", bins[k]);
    }

    #[test]
    fn display_points_keep_narrow_peaks_and_fill_the_low_end() {
        let mut s = Spectrum::new(SIZE, RATE);
        let points = log_points(20.0, 20_000.0, 64);
        let mut shown = vec![0.0; points.len()];
        s.analyse(&sine(3_210.0, 0.25, SIZE));
        s.read_at(&points, &mut shown);
        // The loudest point is the one nearest the sine and reads its level within the scalloping loss.
        let (i, &peak) = shown.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap();
        let nearest = points.iter().enumerate().min_by(|a, b| (a.1.ln() - 3_210f32.ln()).abs().total_cmp(&(b.1.ln() - 3_210f32.ln()).abs())).unwrap().0;
        assert_eq!(i, nearest);
        assert!(peak <= -12.04 + 0.01 && peak > -12.04 - 1.43, "{peak}");
        // An octave away the Hann window's sidelobes are far down.
        let octave_up = points.iter().position(|&f| f > 6_420.0).unwrap();
        assert!(shown[octave_up] < -100.0, "{}", shown[octave_up]);
        // A low sine (below the points' spacing in bins) still shows, interpolated.
        s.analyse(&sine(40.0, 0.5, SIZE));
        s.read_at(&points, &mut shown);
        let at_40 = points.iter().position(|&f| f >= 40.0).unwrap();
        assert!(shown[at_40] > -12.0, "{}", shown[at_40]);
        assert!(shown.iter().all(|v| v.is_finite() && *v >= FLOOR_DB));
    }

    #[test]
    fn short_silent_and_hostile_input() {
        let mut s = Spectrum::new(SIZE, RATE);
        assert!(s.analyse(&[]).iter().all(|&v| v == FLOOR_DB));
        assert!(s.analyse(&[f32::NAN, f32::INFINITY, 0.0]).iter().all(|&v| v == FLOOR_DB));
        // Fewer samples than the size: analysed as if preceded by silence.
        let short = sine(1_000.0, 0.5, SIZE / 2);
        let mut padded = vec![0.0; SIZE / 2];
        padded.extend_from_slice(&short);
        let a = s.analyse(&short).to_vec();
        let b = s.analyse(&padded).to_vec();
        assert_eq!(a, b);
    }
}
