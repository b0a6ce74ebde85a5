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
use crate::lanes::F32x4;
use crate::param::{ParamInfo, Taper, Unit};
use crate::stereo::StereoProcessor;
use crate::MAX_BLOCK;

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
    /// Per chunk: every line's output, and what goes back into each, a sample's eight side by side
    /// (kept here, not on the stack, so that a block does not begin by zeroing 8 KB).
    outs: Box<[[f32; LINES]; MAX_BLOCK]>,
    fed_back: Box<[[f32; LINES]; MAX_BLOCK]>,
    /// Per chunk: the diffused input, what a diffuser reads, what a diffuser or a line is fed.
    diffusion_scratch: Box<[[f32; MAX_BLOCK]; 3]>,
    /// Per chunk: each line's output, line by line.
    line_outs: Box<[[f32; MAX_BLOCK]; LINES]>,
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
            outs: Box::new([[0.0; LINES]; MAX_BLOCK]),
            fed_back: Box::new([[0.0; LINES]; MAX_BLOCK]),
            diffusion_scratch: Box::new([[0.0; MAX_BLOCK]; 3]),
            line_outs: Box::new([[0.0; MAX_BLOCK]; LINES]),
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
        let out_scale = 1.0 / (LINES as f32).sqrt();
        let c = F32x4::splat(self.damp_coef);
        let one_minus_c = F32x4::splat(1.0 - self.damp_coef);
        let gains = halves(&self.gains);
        let input_signs = halves(&INPUT_SIGNS);
        let reflect_scale = F32x4::splat(2.0 / LINES as f32);
        let mut damp = halves(&self.damp_state);
        // A chunk no longer than the shortest line (or diffuser) reads, from every one, only
        // samples written before the chunk began: each is read for the whole chunk first and
        // written after. (The diffusers in series were the sample loop's longest chain of waits.)
        let shortest = self.lengths.iter().chain(&self.diffuser_lengths).copied().min().unwrap_or(MAX_BLOCK);
        let chunk = shortest.clamp(1, MAX_BLOCK);
        let mut start = 0;
        while start < left.len() {
            let m = (left.len() - start).min(chunk);
            let (l, r) = (&mut left[start..start + m], &mut right[start..start + m]);
            // Every line's output over the chunk, a sample's eight side by side (two vectors).
            let (outs, fed_back) = (&mut *self.outs, &mut *self.fed_back);
            let [diffused, delayed, feed] = &mut *self.diffusion_scratch;
            let line_outs = &mut *self.line_outs;
            for (i, line) in self.lines.iter().enumerate() {
                line.read_ahead(self.lengths[i], &mut line_outs[i][..m]);
                for (o, &v) in outs[..m].iter_mut().zip(&line_outs[i][..m]) {
                    o[i] = v;
                }
            }
            // The input, pre-delayed, through the Schroeder all-pass diffusers in series, each over
            // the whole chunk: y = −g·x + d; line ← x + g·y.
            for k in 0..m {
                diffused[k] = self.predelay.tap(self.predelay_samples);
                self.predelay.push(0.5 * (l[k] + r[k]));
            }
            for (d, &len) in self.diffusers.iter_mut().zip(&self.diffuser_lengths) {
                d.read_ahead(len, &mut delayed[..m]);
                for k in 0..m {
                    let x = diffused[k];
                    let y = delayed[k] - g * x;
                    feed[k] = x + g * y;
                    diffused[k] = y;
                }
                d.push_block(&feed[..m]);
            }
            for k in 0..m {
                let x = diffused[k];
                let outs = halves(&outs[k]);
                let mut fed = [F32x4::splat(0.0); 2];
                for h in 0..2 {
                    damp[h] = one_minus_c * outs[h] + c * damp[h];
                    fed[h] = damp[h] * gains[h];
                }
                // Householder reflection: I − (2/N)·1·1ᵀ, orthogonal.
                let reflect = F32x4::splat(sum(fed[0] + fed[1])) * reflect_scale;
                let x = F32x4::splat(x);
                for h in 0..2 {
                    let back = (fed[h] - reflect + x * input_signs[h]).to_array();
                    fed_back[k][4 * h..4 * h + 4].copy_from_slice(&back);
                }
            }
            // The outputs take only the lines' outputs, all read before the chunk: summed sample
            // by sample across the lines (added in the order of `sum`), many samples at once.
            for k in 0..m {
                let o = |i: usize| line_outs[i][k];
                let pair = |signs: &[f32; LINES], j: usize| o(j) * signs[j] + o(j + 4) * signs[j + 4];
                let wet = |signs| ((pair(signs, 0) + pair(signs, 1)) + (pair(signs, 2) + pair(signs, 3))) * out_scale;
                let (wet_l, wet_r) = (wet(&LEFT_SIGNS), wet(&RIGHT_SIGNS));
                let mid = 0.5 * (wet_l + wet_r);
                let side = 0.5 * (wet_l - wet_r) * width;
                l[k] += (mid + side - l[k]) * mix;
                r[k] += (mid - side - r[k]) * mix;
            }
            for (i, line) in self.lines.iter_mut().enumerate() {
                for (f, back) in feed[..m].iter_mut().zip(&fed_back[..m]) {
                    *f = back[i];
                }
                line.push_block(&feed[..m]);
            }
            start += m;
        }
        self.damp_state[..4].copy_from_slice(&damp[0].to_array());
        self.damp_state[4..].copy_from_slice(&damp[1].to_array());
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

/// Eight lines' values as two vectors (lines 0–3, 4–7).
#[inline(always)]
fn halves(v: &[f32; LINES]) -> [F32x4; 2] {
    [F32x4::from([v[0], v[1], v[2], v[3]]), F32x4::from([v[4], v[5], v[6], v[7]])]
}

/// The sum of a vector's lanes, in a fixed order.
#[inline(always)]
fn sum(v: F32x4) -> f32 {
    let [a, b, c, d] = v.to_array();
    (a + b) + (c + d)
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

    /// The network one sample at a time, written out plainly (lines read and written sample by
    /// sample, sums in line order): a second implementation for the chunked one.
    fn plain_process(r: &mut Reverb, left: &mut [f32], right: &mut [f32]) {
        let [_, _, _, _, width, mix] = r.values;
        let (g, c) = (r.diffusion, r.damp_coef);
        for (l, rr) in left.iter_mut().zip(right.iter_mut()) {
            let pre = r.predelay.tap(r.predelay_samples);
            r.predelay.push(0.5 * (*l + *rr));
            let mut x = pre;
            for (d, &len) in r.diffusers.iter_mut().zip(&r.diffuser_lengths) {
                let delayed = d.tap(len);
                let y = delayed - g * x;
                d.push(x + g * y);
                x = y;
            }
            let mut outs = [0.0f32; LINES];
            let mut fed = [0.0f32; LINES];
            for i in 0..LINES {
                outs[i] = r.lines[i].tap(r.lengths[i]);
                r.damp_state[i] = (1.0 - c) * outs[i] + c * r.damp_state[i];
                fed[i] = r.damp_state[i] * r.gains[i];
            }
            let reflect = fed.iter().sum::<f32>() * (2.0 / LINES as f32);
            let (mut wet_l, mut wet_r) = (0.0, 0.0);
            for i in 0..LINES {
                r.lines[i].push(fed[i] - reflect + x * INPUT_SIGNS[i]);
                wet_l += outs[i] * LEFT_SIGNS[i];
                wet_r += outs[i] * RIGHT_SIGNS[i];
            }
            let scale = 1.0 / (LINES as f32).sqrt();
            let (wet_l, wet_r) = (wet_l * scale, wet_r * scale);
            let mid = 0.5 * (wet_l + wet_r);
            let side = 0.5 * (wet_l - wet_r) * width;
            *l += (mid + side - *l) * mix;
            *rr += (mid - side - *rr) * mix;
        }
    }

    /// The chunked network (lines read a chunk ahead, written after) equals the plain one within
    /// the rounding of its sums: every type, blocks of any size, and a sample rate whose shortest
    /// line is shorter than a block (several chunks a block).
    #[test]
    fn chunked_network_equals_the_plain_one() {
        for (rate, kind) in [(48_000.0, 0.0), (48_000.0, 2.0), (44_100.0, 1.0), (8_000.0, 0.0)] {
            let mut chunked = Reverb::new(rate);
            chunked.set_param(0, kind);
            chunked.set_param(3, 0.5);
            chunked.set_param(4, 0.7);
            chunked.set_param(5, 0.8);
            let mut plain = chunked.clone();
            assert!(rate > 10_000.0 || chunked.lengths.iter().min().unwrap() < &MAX_BLOCK);
            let mut seed = 9u32;
            let n = (rate * 1.5) as usize;
            let input: Vec<f32> = (0..n).map(|_| { seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223); (seed >> 8) as f32 / (1 << 24) as f32 - 0.5 }).collect();
            let (mut a, mut b) = (input.clone(), input.iter().map(|x| -0.5 * x).collect::<Vec<_>>());
            let (mut pa, mut pb) = (a.clone(), b.clone());
            let mut at = 0;
            for size in [1usize, 128, 7, 100, 128, 3].iter().cycle() {
                if at >= n {
                    break;
                }
                let end = (at + size).min(n);
                chunked.process(&mut a[at..end], &mut b[at..end]);
                at = end;
            }
            plain_process(&mut plain, &mut pa, &mut pb);
            let worst = a.iter().zip(&pa).chain(b.iter().zip(&pb)).fold(0.0f32, |m, (x, y)| m.max((x - y).abs()));
            let peak = pa.iter().chain(&pb).fold(0.0f32, |m, x| m.max(x.abs()));
            assert!(peak > 0.1 && worst < 1e-5 * peak, "{rate} Hz, type {kind}: differs by {worst} (peak {peak})");
        }
    }
}
