//! Algorithmic reverb: an eight-line feedback delay network (Jot & Chaigne, "Digital delay networks
//! for designing artificial reverberators", AES 1991).
//!
//! The input (mono sum) passes a pre-delay and four series all-pass diffusers, then feeds eight
//! delay lines of mutually prime lengths. Each line's output is damped (one-pole low-pass: highs die
//! sooner, as in a real room) and scaled so that one trip round the loop loses exactly
//! `60 · length / (fs · RT60)` dB — which makes the network decay at the set RT60 — then mixed back
//! through a Householder matrix (orthogonal, so lossless: all the decay is in the line gains). Left
//! and right take the lines with two orthogonal sign patterns, so they are decorrelated.
//!
//! Room, plate and hall differ in line lengths (size) and diffusion.

use crate::delay::DelayLine;
use crate::param::{ParamInfo, Taper, Unit};
use crate::stereo::StereoProcessor;

/// Parameter table of [`Reverb`].
pub const REVERB_PARAMS: &[ParamInfo] = &[
    ParamInfo::choice("type", "Type", &["Room", "Plate", "Hall"], 2),
    ParamInfo::new("predelay", "Pre-delay", Unit::Milliseconds, 0.0, 250.0, 10.0, Taper::Linear),
    ParamInfo::new("decay", "Decay (RT60)", Unit::Seconds, 0.1, 20.0, 2.0, Taper::Log),
    ParamInfo::new("damping", "Damping", Unit::Percent, 0.0, 1.0, 0.4, Taper::Linear),
    ParamInfo::new("width", "Width", Unit::Percent, 0.0, 1.0, 1.0, Taper::Linear),
    ParamInfo::new("mix", "Mix", Unit::Percent, 0.0, 1.0, 1.0, Taper::Linear),
];

const LINES: usize = 8;
/// Line lengths at 48 kHz for size 1 (mutually prime: no common echoes).
const BASE_LENGTHS: [f32; LINES] = [1031.0, 1151.0, 1277.0, 1399.0, 1523.0, 1657.0, 1787.0, 1931.0];
/// Diffuser lengths at 48 kHz for size 1.
const DIFFUSER_LENGTHS: [f32; 4] = [142.0, 107.0, 379.0, 277.0];
/// Per type: (size, diffusion gain).
const TYPES: [(f32, f32); 3] = [(0.55, 0.6), (0.85, 0.75), (1.6, 0.7)];
/// Output sign patterns: rows of an 8×8 Hadamard matrix, orthogonal to each other.
const LEFT_SIGNS: [f32; LINES] = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
const RIGHT_SIGNS: [f32; LINES] = [1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0];
/// Input sign pattern (a third Hadamard row).
const INPUT_SIGNS: [f32; LINES] = [1.0, 1.0, -1.0, -1.0, 1.0, 1.0, -1.0, -1.0];
const MAX_PREDELAY_SECONDS: f32 = 0.25;

#[derive(Clone, Debug)]
pub struct Reverb {
    sample_rate: f32,
    values: [f32; 6],
    predelay: DelayLine,
    diffusers: [DelayLine; 4],
    lines: [DelayLine; LINES],
    lengths: [usize; LINES],
    diffuser_lengths: [usize; 4],
    diffusion: f32,
    gains: [f32; LINES],
    damp_coef: f32,
    damp_state: [f32; LINES],
    predelay_samples: usize,
}

impl Reverb {
    pub fn new(sample_rate: f32) -> Self {
        let ratio = sample_rate / 48_000.0;
        let biggest = TYPES.iter().fold(0.0f32, |m, t| m.max(t.0));
        let line = |base: f32| DelayLine::new((base * biggest * ratio) as usize + 2);
        let mut r = Reverb {
            sample_rate,
            values: core::array::from_fn(|i| REVERB_PARAMS[i].default),
            predelay: DelayLine::new((MAX_PREDELAY_SECONDS * sample_rate) as usize + 2),
            diffusers: core::array::from_fn(|i| line(DIFFUSER_LENGTHS[i])),
            lines: core::array::from_fn(|i| line(BASE_LENGTHS[i])),
            lengths: [0; LINES],
            diffuser_lengths: [0; 4],
            diffusion: 0.0,
            gains: [0.0; LINES],
            damp_coef: 0.0,
            damp_state: [0.0; LINES],
            predelay_samples: 0,
        };
        r.apply();
        r
    }

    fn apply(&mut self) {
        let ratio = self.sample_rate / 48_000.0;
        let (size, diffusion) = TYPES[self.values[0] as usize];
        for i in 0..LINES {
            self.lengths[i] = ((BASE_LENGTHS[i] * size * ratio) as usize).max(2);
        }
        for i in 0..4 {
            self.diffuser_lengths[i] = ((DIFFUSER_LENGTHS[i] * size * ratio) as usize).max(2);
        }
        self.diffusion = diffusion;
        self.predelay_samples = ((self.values[1] * 0.001 * self.sample_rate) as usize).max(1);
        let rt60 = self.values[2];
        for i in 0..LINES {
            // −60 dB after RT60 seconds: each pass of `length` samples loses 60·length/(fs·RT60) dB.
            self.gains[i] = libm::powf(10.0, -3.0 * self.lengths[i] as f32 / (self.sample_rate * rt60));
        }
        // The damping low-pass y = (1−c)·x + c·y: c = 0 is no filter at all (damping 0), c = 0.9
        // puts the corner near 800 Hz at 48 kHz (damping 1).
        self.damp_coef = 0.9 * self.values[3];
    }
}

impl StereoProcessor for Reverb {
    fn params(&self) -> &'static [ParamInfo] {
        REVERB_PARAMS
    }

    fn set_param(&mut self, id: usize, value: f32) {
        if let Some(info) = REVERB_PARAMS.get(id) {
            self.values[id] = info.clamp(value);
            self.apply();
        }
    }

    fn reset(&mut self) {
        self.predelay.clear();
        self.diffusers.iter_mut().for_each(DelayLine::clear);
        self.lines.iter_mut().for_each(DelayLine::clear);
        self.damp_state = [0.0; LINES];
    }

    fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        let [_, _, _, _, width, mix] = self.values;
        let g = self.diffusion;
        let c = self.damp_coef;
        let out_scale = 1.0 / (LINES as f32).sqrt();
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            let pre = self.predelay.tap(self.predelay_samples);
            self.predelay.push(0.5 * (*l + *r));
            // Schroeder all-pass diffusers: y = −g·x + d; line ← x + g·y.
            let mut x = pre;
            for (d, &len) in self.diffusers.iter_mut().zip(&self.diffuser_lengths) {
                let delayed = d.tap(len);
                let y = delayed - g * x;
                d.push(x + g * y);
                x = y;
            }
            let mut outs = [0.0f32; LINES];
            let mut fed = [0.0f32; LINES];
            let mut sum = 0.0;
            for i in 0..LINES {
                outs[i] = self.lines[i].tap(self.lengths[i]);
                self.damp_state[i] = (1.0 - c) * outs[i] + c * self.damp_state[i];
                fed[i] = self.damp_state[i] * self.gains[i];
                sum += fed[i];
            }
            // Householder reflection: I − (2/N)·1·1ᵀ, orthogonal.
            let reflect = sum * (2.0 / LINES as f32);
            let (mut wet_l, mut wet_r) = (0.0, 0.0);
            for i in 0..LINES {
                self.lines[i].push(fed[i] - reflect + x * INPUT_SIGNS[i]);
                wet_l += outs[i] * LEFT_SIGNS[i];
                wet_r += outs[i] * RIGHT_SIGNS[i];
            }
            let (wet_l, wet_r) = (wet_l * out_scale, wet_r * out_scale);
            let mid = 0.5 * (wet_l + wet_r);
            let side = 0.5 * (wet_l - wet_r) * width;
            *l += (mid + side - *l) * mix;
            *r += (mid - side - *r) * mix;
        }
        for s in &mut self.damp_state {
            *s = crate::flush(*s);
        }
        for line in &mut self.lines {
            line.flush_recent(left.len());
        }
        crate::flush_block(left);
        crate::flush_block(right);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FS: f32 = 48_000.0;

    fn impulse_response(r: &mut Reverb, seconds: f32) -> (Vec<f32>, Vec<f32>) {
        let n = (seconds * FS) as usize;
        let mut l = vec![0.0; n];
        let mut rr = vec![0.0; n];
        l[0] = 1.0;
        rr[0] = 1.0;
        for (a, b) in l.chunks_mut(128).zip(rr.chunks_mut(128)) {
            r.process(a, b);
        }
        (l, rr)
    }

    /// RT60 from an impulse response by Schroeder backward integration (ISO 3382): a least-squares
    /// line through the energy decay curve between −5 and −35 dB, extrapolated to −60 dB (T30).
    pub fn rt60(l: &[f32], r: &[f32]) -> f64 {
        let mut edc = vec![0.0f64; l.len()];
        let mut acc = 0.0;
        for i in (0..l.len()).rev() {
            acc += (l[i] as f64).powi(2) + (r[i] as f64).powi(2);
            edc[i] = acc;
        }
        let total = edc[0];
        let points: Vec<(f64, f64)> = edc
            .iter()
            .enumerate()
            .map(|(i, &e)| (i as f64 / FS as f64, 10.0 * (e / total).log10()))
            .filter(|&(_, db)| (-35.0..=-5.0).contains(&db))
            .collect();
        let n = points.len() as f64;
        let (sx, sy) = points.iter().fold((0.0, 0.0), |(a, b), &(x, y)| (a + x, b + y));
        let (mx, my) = (sx / n, sy / n);
        let slope = points.iter().map(|&(x, y)| (x - mx) * (y - my)).sum::<f64>() / points.iter().map(|&(x, _)| (x - mx).powi(2)).sum::<f64>();
        -60.0 / slope
    }

    #[test]
    fn decay_time_is_the_set_rt60() {
        for (kind, decay) in [(0.0, 0.8), (1.0, 2.0), (2.0, 2.0), (2.0, 5.0)] {
            let mut r = Reverb::new(FS);
            r.set_param(0, kind);
            r.set_param(2, decay);
            r.set_param(3, 0.0);
            r.set_param(1, 0.0);
            let (l, rr) = impulse_response(&mut r, decay * 1.6);
            let measured = rt60(&l, &rr);
            println!("type {kind}, RT60 set {decay} s, measured {measured:.3} s");
            assert!((measured / decay as f64 - 1.0).abs() < 0.03, "type {kind}: set {decay} s, measured {measured:.3} s");
        }
    }

    #[test]
    fn predelay_holds_back_the_tail() {
        let mut r = Reverb::new(FS);
        r.set_param(1, 50.0);
        let (l, _) = impulse_response(&mut r, 0.2);
        let first = l.iter().position(|x| x.abs() > 1e-6).unwrap();
        assert!(first >= 2_400, "first output at {first}");
    }

    #[test]
    fn width_zero_is_mono_and_full_width_is_decorrelated() {
        let corr = |width: f32| {
            let mut r = Reverb::new(FS);
            r.set_param(4, width);
            let (l, rr) = impulse_response(&mut r, 1.0);
            let dot: f64 = l.iter().zip(&rr).map(|(a, b)| *a as f64 * *b as f64).sum();
            let nl: f64 = l.iter().map(|a| (*a as f64).powi(2)).sum();
            let nr: f64 = rr.iter().map(|a| (*a as f64).powi(2)).sum();
            dot / (nl * nr).sqrt()
        };
        assert!((corr(0.0) - 1.0).abs() < 1e-6);
        assert!(corr(1.0).abs() < 0.3, "{}", corr(1.0));
    }

    #[test]
    fn damping_shortens_the_highs() {
        let mut r = Reverb::new(FS);
        r.set_param(3, 0.9);
        let (l, _) = impulse_response(&mut r, 2.0);
        // Late in the tail, a damped reverb has little left above a few kHz: the sample-to-sample
        // difference (a crude high-pass) is small relative to the signal.
        let late = &l[48_000..72_000];
        let energy: f64 = late.iter().map(|x| (*x as f64).powi(2)).sum();
        let diff: f64 = late.windows(2).map(|w| ((w[1] - w[0]) as f64).powi(2)).sum();
        assert!(diff / energy < 0.05, "{}", diff / energy);
    }
}
