//! True-peak lookahead limiter.
//!
//! The detector estimates the true (inter-sample) peak by interpolating the signal 8× with a
//! Kaiser-windowed sinc (see [`interpolation_filter`]) — finer than the 4× method of ITU-R BS.1770-4
//! Annex 2 that meters use, so that what such a meter reads stays under the ceiling — and takes the
//! largest magnitude of the interpolated points and the samples, both channels linked. From it, the gain each moment
//! needs (`ceiling / peak`, at most 1) is held at its minimum over the lookahead window, released
//! exponentially, and smoothed by a moving average exactly as long as the lookahead (the scheme of
//! Geraint Luff's "signalsmith" limiter): the average of a window that contains a required gain can
//! never exceed it, so the gain has fully arrived when the delayed audio reaches the peak, and it
//! never moves faster than a window-long ramp — no clicks.

use crate::delay::DelayLine;
use crate::lanes::{Lanes, F32x4};
use crate::param::{ParamInfo, Taper, Unit};
use crate::stereo::StereoProcessor;
use crate::MAX_BLOCK;

/// Parameter table of [`Limiter`].
pub const LIMITER_PARAMS: &[ParamInfo] = &[
    ParamInfo::new("ceiling", "Ceiling", Unit::Decibels, -12.0, 0.0, -1.0, Taper::Linear),
    ParamInfo::new("release", "Release", Unit::Milliseconds, 1.0, 1_000.0, 80.0, Taper::Log),
    ParamInfo::new("gain", "Input gain", Unit::Decibels, 0.0, 24.0, 0.0, Taper::Linear),
];

/// Lookahead, milliseconds.
pub const LOOKAHEAD_MS: f32 = 1.5;

/// Oversampling of the true-peak detector.
const PHASES: usize = 8;
/// Taps per phase of the interpolation filter.
const TAPS: usize = 32;
/// The interpolated points sit between the 8th and 9th newest samples: the detector's delay.
const DETECTOR_DELAY: usize = TAPS / 2;
/// The detector's taps in groups of four (group k: taps 4k … 4k+3, tap 0 the newest sample), in
/// the order [`Limiter::true_peak`] adds them: the 8 taps around the interpolated points, then 8
/// more, then the outer 16. The filter's L1 norm left after the first stage is about 0.33, after
/// the second about 0.06.
const STAGES: [&[usize]; 3] = [&[3, 4], &[2, 5], &[0, 1, 6, 7]];

/// The detector's polyphase interpolation filter: an 8× band-limited (sinc) interpolator over 16
/// samples, Kaiser-windowed (β = 7), designed in f64. It reconstructs the waveform between samples
/// within a few hundredths of a dB up to 20 kHz at 48 kHz — closer than the 4× Annex 2 filter, whose
/// reading the limiter must stay under whatever 4× meter checks it.
fn interpolation_filter() -> [[f32; TAPS]; PHASES] {
    let beta = 8.0f64;
    let bessel_i0 = |x: f64| {
        let (mut sum, mut term) = (1.0f64, 1.0f64);
        for k in 1..40 {
            term *= (x / (2.0 * k as f64)) * (x / (2.0 * k as f64));
            sum += term;
        }
        sum
    };
    let half = TAPS as f64 / 2.0;
    let mut table = [[0.0f32; TAPS]; PHASES];
    for (p, phase) in table.iter_mut().enumerate() {
        // Point p/PHASES of the way from sample DETECTOR_DELAY to DETECTOR_DELAY − 1 (newest last).
        let frac = p as f64 / PHASES as f64;
        let mut sum = 0.0;
        for (k, c) in phase.iter_mut().enumerate() {
            // Tap k multiplies the sample k places back from the newest.
            let d = (half - 1.0 - k as f64) + frac;
            let sinc = if d.abs() < 1e-12 { 1.0 } else { libm::sin(core::f64::consts::PI * d) / (core::f64::consts::PI * d) };
            let r = d / half;
            let w = if r.abs() >= 1.0 { 0.0 } else { bessel_i0(beta * libm::sqrt(1.0 - r * r)) / bessel_i0(beta) };
            *c = (sinc * w) as f32;
            sum += sinc * w;
        }
        // Unity gain at DC for every phase.
        for c in phase.iter_mut() {
            *c = (*c as f64 / sum) as f32;
        }
    }
    table
}

/// Slack of the minimum window beyond the lookahead, covering the detector's half-sample spread.
const HOLD_SLACK: usize = 3;
/// The largest input magnitude taken as it is (+600 dBFS); anything larger (up to `f32::MAX`) is
/// taken as this. Far beyond any real signal, and small enough that the input gain (+24 dB) and the
/// detector's sums (its filter's L1 norm) stay finite in `f32`: an infinity there would make the
/// detector read NaN and wave the samples beside it through.
const LARGEST_INPUT: f32 = 1.0e30;
/// Below this gain (−80 dB of reduction, an input already far beyond full scale), the moving
/// average is summed afresh each sample instead of kept as a running sum: the running sum's
/// rounding (about 1e-14 of the ones it has held) would otherwise exceed the gain itself, and a
/// signal at +600 dBFS would come through at +40.
const TINY_GAIN: f32 = 1.0e-4;
/// Glide of the input gain.
const GAIN_GLIDE_MS: f32 = 10.0;

#[derive(Clone, Debug)]
pub struct Limiter {
    sample_rate: f32,
    values: [f32; 3],
    lookahead: usize,
    /// The interpolation filter by tap: phases 0–3 and 4–7 in the lanes of two vectors, so that one
    /// multiply-add per tap advances four interpolated points at once.
    filter: [[F32x4; 2]; TAPS],
    /// Per channel, the input (bounded and gained) of the block being processed, after the
    /// newest TAPS − 1 samples of the blocks before it: every detector window is one slice.
    line: [[f32; TAPS - 1 + MAX_BLOCK]; 2],
    /// The gain each sample of the block requires (at most 1).
    required: [f32; MAX_BLOCK],
    /// The largest sum of absolute coefficients of any phase: no interpolated point exceeds it times
    /// the largest sample.
    filter_l1: f32,
    /// The largest L1 norm, over the phases, of the taps left after each stage but the last of
    /// [`STAGES`]: how far the taps not yet added can move an interpolated point, per unit of the
    /// largest sample.
    outer_l1: [f32; STAGES.len() - 1],
    audio: [DelayLine; 2],
    /// Monotone queue of (index, required gain) for the running minimum over the hold window.
    queue: Vec<(u64, f32)>,
    queue_head: usize,
    queue_len: usize,
    /// Ring of released gains and their running sum, for the moving average.
    ring: Vec<f32>,
    ring_pos: usize,
    ring_sum: f64,
    /// Samples left during which the average is summed afresh (see [`TINY_GAIN`]).
    exact_for: usize,
    released: f32,
    release_step: f32,
    count: u64,
    ceiling: f32,
    input_gain: f32,
    input_gain_target: f32,
    gain_step: f32,
    /// Lowest gain applied since the meter last read it.
    lowest_gain: f32,
}

impl Limiter {
    pub fn new(sample_rate: f32) -> Self {
        let lookahead = ((LOOKAHEAD_MS * 0.001 * sample_rate) as usize).max(1);
        let hold = lookahead + HOLD_SLACK;
        let mut l = Limiter {
            sample_rate,
            values: core::array::from_fn(|i| LIMITER_PARAMS[i].default),
            lookahead,
            filter: {
                let table = interpolation_filter();
                core::array::from_fn(|k| [F32x4::from([table[0][k], table[1][k], table[2][k], table[3][k]]), F32x4::from([table[4][k], table[5][k], table[6][k], table[7][k]])])
            },
            line: [[0.0; TAPS - 1 + MAX_BLOCK]; 2],
            required: [1.0; MAX_BLOCK],
            filter_l1: interpolation_filter().iter().map(|p| p.iter().map(|c| c.abs()).sum::<f32>()).fold(1.0f32, f32::max) * 1.0001,
            outer_l1: core::array::from_fn(|s| {
                let added = |tap: usize| STAGES[..=s].iter().any(|g| g.contains(&(tap / 4)));
                let left = |p: &[f32; TAPS]| -> f32 { p.iter().enumerate().filter(|&(k, _)| !added(k)).map(|(_, c)| c.abs()).sum() };
                interpolation_filter().iter().map(left).fold(0.0f32, f32::max) * 1.01
            }),
            audio: [DelayLine::new(lookahead + DETECTOR_DELAY + 2), DelayLine::new(lookahead + DETECTOR_DELAY + 2)],
            queue: vec![(0, 1.0); hold + 1],
            queue_head: 0,
            queue_len: 0,
            ring: vec![1.0; lookahead + 1],
            ring_pos: 0,
            ring_sum: (lookahead + 1) as f64,
            exact_for: 0,
            released: 1.0,
            release_step: 0.0,
            count: 0,
            ceiling: 1.0,
            input_gain: 1.0,
            input_gain_target: 1.0,
            gain_step: 1.0 - libm::expf(-1.0 / (GAIN_GLIDE_MS * 0.001 * sample_rate)),
            lowest_gain: 1.0,
        };
        l.apply();
        l.input_gain = l.input_gain_target;
        l
    }

    fn apply(&mut self) {
        self.ceiling = libm::powf(10.0, self.values[0] / 20.0);
        self.release_step = 1.0 - libm::expf(-1.0 / (self.values[1] * 0.001 * self.sample_rate));
        self.input_gain_target = libm::powf(10.0, self.values[2] / 20.0);
    }

    /// Largest magnitude of the reconstructed waveform between the samples at the detector delay;
    /// `window` holds the last TAPS samples, oldest first. When the interpolated points are
    /// certainly under `ceiling`, the detector may stop early and return 0: all the caller asks is
    /// whether, and how far, the peak exceeds the ceiling.
    ///
    /// The sums run outwards from the centre in [`STAGES`], the taps nearest the interpolated
    /// points first, as they carry nearly all of the result. After a stage, the taps not yet added
    /// can move a point by at most their L1 norm ([`Limiter::outer_l1`]) times the largest of the
    /// samples they multiply; when even that leaves every point under the ceiling, the rest is
    /// skipped. Music near the ceiling mostly stops after the first stage or the second: a quarter
    /// or half of the work. When every stage runs, they are added in one fixed order, so the exact
    /// figure has the same bits whichever sample's detector went how far, and on every target.
    // Not inlined: in the sample loop, the 64 filter vectors were hoisted out of it and spilled
    // (in WebAssembly most of all); called, it loads the few a stage needs.
    #[inline(never)]
    fn true_peak(&self, window: &[f32; TAPS], ceiling: f32) -> f32 {
        // The tests are made on whole vectors, with no comparison of single numbers: WebAssembly
        // engines compile a floating-point select to a branch, and a branch on the audio costs
        // more than the taps it saves.
        let samples = Lanes::max(F32x4::splat(window[TAPS - DETECTOR_DELAY]).abs(), F32x4::splat(window[TAPS - 1 - DETECTOR_DELAY]).abs());
        // Under the ceiling with a margin far beyond the rounding of the sums (a few ulps).
        let under = F32x4::splat(ceiling * 0.9999);
        // The stages' groups are symmetric about the centre, so a group of taps is a group of the
        // window too (taps 4k … 4k+3 are window[28 − 4k … 32 − 4k]: group 7 − k).
        let far = loudest_of(window, STAGES[2]);
        let near = largest_lane(Lanes::max(far, loudest_of(window, STAGES[1])));
        let far = largest_lane(far);
        let (mut lo, mut hi) = self.dot(window, STAGES[0]);
        let so_far = Lanes::max(samples, Lanes::max(lo.abs(), hi.abs()));
        if (so_far + near * F32x4::splat(self.outer_l1[0])).simd_lt(under).all() {
            return 0.0;
        }
        let (l, h) = self.dot(window, STAGES[1]);
        lo += l;
        hi += h;
        let so_far = Lanes::max(samples, Lanes::max(lo.abs(), hi.abs()));
        if (so_far + far * F32x4::splat(self.outer_l1[1])).simd_lt(under).all() {
            return 0.0;
        }
        let (l, h) = self.dot(window, STAGES[2]);
        lo += l;
        hi += h;
        let [a, b, c, d] = Lanes::max(samples, Lanes::max(lo.abs(), hi.abs())).to_array();
        max(max(a, b), max(c, d))
    }

    /// The interpolated points' sums over the taps of `chunks` (groups of four taps).
    ///
    /// Each dot product runs in four interleaved partial sums (taps k, k+1, k+2, k+3): one running
    /// sum would make every tap wait for the previous addition, and the detector would cost four
    /// times as long. The order of the additions is fixed, so every target computes the same bits.
    #[inline(always)]
    fn dot(&self, window: &[f32; TAPS], chunks: &[usize]) -> (F32x4, F32x4) {
        let zero = F32x4::splat(0.0);
        let (mut lo, mut hi) = ([zero; 4], [zero; 4]);
        for &k in chunks {
            for j in 0..4 {
                let [c_lo, c_hi] = self.filter[4 * k + j];
                let x = F32x4::splat(window[TAPS - 1 - (4 * k + j)]);
                lo[j] += c_lo * x;
                hi[j] += c_hi * x;
            }
        }
        ((lo[0] + lo[1]) + (lo[2] + lo[3]), (hi[0] + hi[1]) + (hi[2] + hi[3]))
    }

    /// Pushes a required gain and returns the minimum over the hold window.
    #[inline]
    fn hold_minimum(&mut self, required: f32) -> f32 {
        let cap = self.queue.len();
        let window = (self.lookahead + HOLD_SLACK) as u64;
        // Drop entries that are no smaller than the new one: they can never be the minimum again.
        while self.queue_len > 0 {
            let last = wrap(self.queue_head + self.queue_len - 1, cap);
            if self.queue[last].1 >= required {
                self.queue_len -= 1;
            } else {
                break;
            }
        }
        let slot = wrap(self.queue_head + self.queue_len, cap);
        self.queue[slot] = (self.count, required);
        self.queue_len += 1;
        // Drop the oldest when it has left the window.
        while self.count - self.queue[self.queue_head].0 >= window {
            self.queue_head = wrap(self.queue_head + 1, cap);
            self.queue_len -= 1;
        }
        self.queue[self.queue_head].1
    }
}

impl StereoProcessor for Limiter {
    fn params(&self) -> &'static [ParamInfo] {
        LIMITER_PARAMS
    }

    fn set_param(&mut self, id: usize, value: f32) {
        if let Some(info) = LIMITER_PARAMS.get(id) {
            self.values[id] = info.clamp(value);
            self.apply();
        }
    }

    fn settle(&mut self) {
        self.input_gain = self.input_gain_target;
    }

    fn reset(&mut self) {
        self.line = [[0.0; TAPS - 1 + MAX_BLOCK]; 2];
        self.audio.iter_mut().for_each(DelayLine::clear);
        self.queue_len = 0;
        self.ring.fill(1.0);
        self.ring_sum = self.ring.len() as f64;
        self.exact_for = 0;
        self.released = 1.0;
    }

    fn latency(&self) -> usize {
        self.lookahead + DETECTOR_DELAY
    }

    fn take_gain_reduction(&mut self) -> f32 {
        let lowest = core::mem::replace(&mut self.lowest_gain, 1.0);
        -20.0 * libm::log10f(lowest.max(1.0e-6))
    }

    fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        for (l, r) in left.chunks_mut(MAX_BLOCK).zip(right.chunks_mut(MAX_BLOCK)) {
            self.process_block(l, r);
        }
        crate::flush_block(left);
        crate::flush_block(right);
    }
}

impl Limiter {
    /// Up to [`MAX_BLOCK`] samples, in three passes: the input gained; the gain each sample
    /// requires (the detector); the gain applied. Each pass is a small loop of its own, and every
    /// detector window is one slice of [`Limiter::line`].
    fn process_block(&mut self, left: &mut [f32], right: &mut [f32]) {
        let n = left.len().min(right.len()).min(MAX_BLOCK);
        for i in 0..n {
            self.input_gain += (self.input_gain_target - self.input_gain) * self.gain_step;
            self.line[0][TAPS - 1 + i] = bounded(left[i]) * self.input_gain;
            self.line[1][TAPS - 1 + i] = bounded(right[i]) * self.input_gain;
        }
        // An interpolated point is at most the filter's L1 norm times the largest sample it is made
        // of. When that bound is under the ceiling for every window of the block, every required
        // gain is 1: the detector is skipped, with the very same result.
        let ceiling = self.ceiling;
        let loudest = self.line.iter().flat_map(|c| &c[..TAPS - 1 + n]).fold(0.0f32, |m, &x| max(m, x.abs()));
        if loudest * self.filter_l1 < ceiling {
            self.required[..n].fill(1.0);
        } else {
            for i in 0..n {
                let mut peak = 0.0f32;
                for c in 0..2 {
                    if let Some(window) = self.line[c][i..].first_chunk::<TAPS>() {
                        peak = max(peak, self.true_peak(window, ceiling));
                    }
                }
                self.required[i] = if peak > ceiling { ceiling / peak } else { 1.0 };
            }
        }
        let delay = self.lookahead + DETECTOR_DELAY;
        let box_len = self.ring.len();
        let inv_box = 1.0 / box_len as f64;
        for i in 0..n {
            let held = self.hold_minimum(self.required[i]);
            self.count += 1;
            // Release upwards exponentially; follow the held minimum down at once.
            self.released = min(held, self.released + (1.0 - self.released) * self.release_step);
            self.ring_sum += (self.released - self.ring[self.ring_pos]) as f64;
            self.ring[self.ring_pos] = self.released;
            self.ring_pos = wrap(self.ring_pos + 1, box_len);
            if self.released < TINY_GAIN {
                self.exact_for = box_len;
            }
            if self.exact_for > 0 {
                // Bounded: the ring is the lookahead long, and only absurd input gets here.
                self.ring_sum = self.ring.iter().map(|&g| g as f64).sum();
                self.exact_for -= 1;
            }
            let gain = min((self.ring_sum * inv_box) as f32, 1.0);
            // The last line of the brick wall: the gain above has already brought every sample
            // under the ceiling, but for the rounding of `ceiling / peak` (an ulp or so) — which
            // this keeps from ever showing.
            let x = [self.line[0][TAPS - 1 + i], self.line[1][TAPS - 1 + i]];
            left[i] = (self.audio[0].tap(delay) * gain).clamp(-ceiling, ceiling);
            right[i] = (self.audio[1].tap(delay) * gain).clamp(-ceiling, ceiling);
            self.audio[0].push(x[0]);
            self.audio[1].push(x[1]);
            self.lowest_gain = min(self.lowest_gain, gain);
            // The running sum accumulates rounding: rebuild it exactly on a fixed grid of the
            // limiter's own sample count, so the output does not depend on the block size.
            if self.count & 4_095 == 0 {
                self.ring_sum = self.ring.iter().map(|&g| g as f64).sum();
            }
        }
        // The newest TAPS − 1 samples begin the next block's windows.
        for line in &mut self.line {
            line.copy_within(n..n + TAPS - 1, 0);
        }
    }
}

/// An input sample as the limiter takes it: NaN as silence, and no larger than [`LARGEST_INPUT`].
#[inline(always)]
fn bounded(x: f32) -> f32 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(-LARGEST_INPUT, LARGEST_INPUT)
    }
}

/// Per lane, the largest magnitude among the window's samples in `groups` (group g: window[4g …
/// 4g+4]) at that lane's place in its group.
#[inline(always)]
fn loudest_of(window: &[f32; TAPS], groups: &[usize]) -> F32x4 {
    let mut m = F32x4::splat(0.0);
    for &g in groups {
        if let Some(&four) = window[4 * g..].first_chunk::<4>() {
            m = Lanes::max(m, F32x4::from(four).abs());
        }
    }
    m
}

/// The largest lane of `v`, in every lane: two rounds of pairing lanes and keeping the larger.
#[inline(always)]
fn largest_lane(v: F32x4) -> F32x4 {
    let v = Lanes::max(v.unpack_lo(v), v.unpack_hi(v));
    Lanes::max(v.unpack_lo(v), v.unpack_hi(v))
}

/// Plain compare-and-select maximum and minimum: the audio here is never NaN, and `f32::max`'s NaN
/// handling costs several instructions per call on the hot path.
#[inline(always)]
fn max(a: f32, b: f32) -> f32 {
    if a > b {
        a
    } else {
        b
    }
}

#[inline(always)]
fn min(a: f32, b: f32) -> f32 {
    if a < b {
        a
    } else {
        b
    }
}

/// `i mod n` for `i < 2n`, without an integer division (which costs tens of cycles per sample).
#[inline(always)]
fn wrap(i: usize, n: usize) -> usize {
    if i >= n {
        i - n
    } else {
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FS: f32 = 48_000.0;

    /// True peak of a stereo signal, dBTP, measured by the `ebur128` crate (an independent
    /// implementation of BS.1770).
    fn ebur128_true_peak_db(l: &[f32], r: &[f32]) -> f64 {
        let mut meter = ebur128::EbuR128::new(2, FS as u32, ebur128::Mode::TRUE_PEAK).unwrap();
        meter.add_frames_planar_f32(&[l, r]).unwrap();
        let peak = meter.true_peak(0).unwrap().max(meter.true_peak(1).unwrap());
        20.0 * peak.log10()
    }

    /// True peak, dBTP, measured the way ITU-R BS.1770-4 Annex 2 specifies: 4× oversampling with the
    /// Recommendation's own 48-tap interpolation filter (its four phases of twelve taps).
    fn annex2_true_peak_db(l: &[f32], r: &[f32]) -> f64 {
        const FIR: [[f64; 12]; 4] = [
            [0.0017089843750, 0.0109863281250, -0.0196533203125, 0.0332031250000, -0.0594482421875, 0.1373291015625, 0.9721679687500, -0.1022949218750, 0.0476074218750, -0.0266113281250, 0.0148925781250, -0.0083007812500],
            [-0.0291748046875, 0.0292968750000, -0.0517578125000, 0.0891113281250, -0.1665039062500, 0.4650878906250, 0.7797851562500, -0.2003173828125, 0.1015625000000, -0.0582275390625, 0.0330810546875, -0.0189208984375],
            [-0.0189208984375, 0.0330810546875, -0.0582275390625, 0.1015625000000, -0.2003173828125, 0.7797851562500, 0.4650878906250, -0.1665039062500, 0.0891113281250, -0.0517578125000, 0.0292968750000, -0.0291748046875],
            [-0.0083007812500, 0.0148925781250, -0.0266113281250, 0.0476074218750, -0.1022949218750, 0.9721679687500, 0.1373291015625, -0.0594482421875, 0.0332031250000, -0.0196533203125, 0.0109863281250, 0.0017089843750],
        ];
        let mut peak = 0.0f64;
        for x in [l, r] {
            for n in 11..x.len() {
                peak = peak.max((x[n] as f64).abs());
                for phase in &FIR {
                    let v: f64 = (0..12).map(|k| phase[k] * x[n - k] as f64).sum();
                    peak = peak.max(v.abs());
                }
            }
        }
        20.0 * peak.log10()
    }

    fn limit(l: &mut [f32], r: &mut [f32], ceiling: f32, gain: f32) -> Limiter {
        let mut lim = Limiter::new(FS);
        lim.set_param(0, ceiling);
        lim.set_param(2, gain);
        lim.settle();
        for (a, b) in l.chunks_mut(128).zip(r.chunks_mut(128)) {
            lim.process(a, b);
        }
        lim
    }

    fn material() -> Vec<(&'static str, Vec<f32>, Vec<f32>)> {
        let n = 96_000;
        let sine = |f: f32, phase: f32, amp: f32| -> Vec<f32> { (0..n).map(|i| amp * (core::f32::consts::TAU * f * i as f32 / FS + phase).sin()).collect() };
        // fs/4 at 45°: the samples sit at ±0.707 of the peak; the true peak is 3 dB above them.
        let quarter = sine(12_000.0, core::f32::consts::FRAC_PI_4, 1.0);
        // A full-scale square wave: its band-limited reconstruction overshoots.
        let square: Vec<f32> = (0..n).map(|i| if (i / 37) % 2 == 0 { 1.0 } else { -1.0 }).collect();
        // Transients: isolated full-scale clicks of alternating sign.
        let clicks: Vec<f32> = (0..n).map(|i| if i % 4_801 == 100 { if (i / 4_801) % 2 == 0 { 1.0 } else { -1.0 } } else { 0.0 }).collect();
        // Dense noise, band-limited to 19 kHz as program material is (8th-order low-pass), driven hot.
        let mut seed = 99u32;
        let mut noise: Vec<f32> = (0..n)
            .map(|_| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (seed >> 8) as f32 / (1 << 23) as f32 - 1.0
            })
            .collect();
        let mut lp = crate::eq::PassFilters::<f32>::new(FS);
        for (id, v) in [(3, 1.0), (4, 19_000.0), (5, 2.0)] {
            lp.set_param(0, id, v);
        }
        lp.settle();
        lp.process(&mut noise);
        let near_nyquist = sine(19_997.0, 0.3, 1.0);
        vec![
            ("fs/4 sine at 45°", quarter.clone(), quarter),
            ("square wave", square.clone(), square.iter().map(|x| -x).collect()),
            ("clicks", clicks.clone(), clicks),
            ("noise", noise.clone(), noise.iter().rev().copied().collect()),
            ("19.997 kHz sine", near_nyquist.clone(), near_nyquist),
        ]
    }

    #[test]
    fn true_peak_never_exceeds_the_ceiling_by_more_than_0_1_db() {
        for (name, l, r) in material() {
            for (ceiling, gain) in [(-1.0f32, 0.0f32), (-1.0, 12.0), (-3.0, 6.0), (-0.1, 0.0)] {
                let (mut a, mut b) = (l.clone(), r.clone());
                limit(&mut a, &mut b, ceiling, gain);
                let tp = ebur128_true_peak_db(&a, &b);
                let annex2 = annex2_true_peak_db(&a, &b);
                println!("{name}, ceiling {ceiling}, gain +{gain}: {tp:.3} dBTP (ebur128), {annex2:.3} dBTP (Annex 2 filter)");
                assert!(tp <= ceiling as f64 + 0.1, "{name}, ceiling {ceiling}, gain +{gain}: true peak {tp:.3} dBTP (ebur128)");
                assert!(annex2 <= ceiling as f64 + 0.1, "{name}, ceiling {ceiling}, gain +{gain}: true peak {annex2:.3} dBTP (Annex 2)");
                assert!(a.iter().chain(&b).all(|x| x.is_finite()));
            }
        }
    }

    /// Any finite input, however large — ±2, ±8, ±1e6, ±1e30 (a float file of absurd values),
    /// `f32::MAX`, infinities and NaN among them — leaves the limiter at or under its ceiling: every
    /// sample, and the true peak as the `ebur128` crate measures it. Property-tested over random
    /// bursts of random level, length and position, on every ceiling and input gain.
    #[test]
    fn any_input_however_large_stays_under_the_ceiling() {
        use proptest::prelude::*;
        let level = prop_oneof![Just(2.0f32), Just(8.0), Just(1e6), Just(1e30), Just(f32::MAX), 1.0f32..1e38, Just(f32::INFINITY), Just(f32::NAN)];
        let burst = (level, 1usize..20_000, 0usize..20_000, any::<u32>());
        let config = ProptestConfig { cases: 48, failure_persistence: None, rng_seed: proptest::test_runner::RngSeed::Fixed(0x6c69_6d69_7465_72), ..ProptestConfig::default() };
        proptest!(config, |(bursts in proptest::collection::vec(burst, 1..4), ceiling in -12.0f32..0.0, gain in 0.0f32..24.0)| {
            let n = 48_000;
            // Quiet music underneath, and the bursts (noise of ±level) over it.
            let mut l: Vec<f32> = (0..n).map(|i| 0.25 * (i as f32 * 0.031).sin()).collect();
            let mut r: Vec<f32> = (0..n).map(|i| 0.25 * (i as f32 * 0.017).cos()).collect();
            for (level, len, at, seed) in bursts {
                let mut x = seed | 1;
                for i in at..(at + len).min(n) {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    let v = if x & 1 == 0 { level } else { -level * (x >> 8) as f32 / (1u32 << 24) as f32 };
                    l[i] = v;
                    r[i] = -v;
                }
            }
            let (mut a, mut b) = (l, r);
            limit(&mut a, &mut b, ceiling, gain);
            // The ceiling as the limiter computes it (libm, as every target does).
            let top = libm::powf(10.0, ceiling / 20.0);
            let worst = a.iter().chain(&b).fold(0.0f32, |m, x| m.max(x.abs()));
            prop_assert!(a.iter().chain(&b).all(|x| x.is_finite()));
            prop_assert!(worst <= top, "sample peak {} over the ceiling {}", worst, top);
            let tp = ebur128_true_peak_db(&a, &b);
            prop_assert!(tp <= ceiling as f64 + 0.5, "true peak {:.3} dBTP over the ceiling {} dB", tp, ceiling);
        });
    }

    /// The detector's early exits never change what it decides: on windows of every kind (music
    /// under the ceiling, at it and over it), wherever it stops early the whole filter — summed here
    /// in f64, tap by tap, a second implementation — leaves every point under the ceiling, and
    /// where it runs to the end it reads what that sum reads.
    #[test]
    fn the_detector_stops_early_only_under_the_ceiling() {
        let lim = Limiter::new(FS);
        let table = interpolation_filter();
        let ceiling = libm::powf(10.0, -1.0 / 20.0);
        let mut seed = 7u32;
        let mut random = move || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 8) as f32 / (1 << 24) as f32
        };
        let (mut early, mut whole) = (0, 0);
        for case in 0..20_000 {
            // A sine of random frequency, phase and level (−12 … +3 dB against the ceiling), with
            // noise on it; every tenth case, a loud click at a random tap.
            let (f, phase, level) = (random() * 0.5, random() * 6.3, ceiling * libm::powf(10.0, (random() * 15.0 - 12.0) / 20.0));
            let mut window: [f32; TAPS] = core::array::from_fn(|k| level * (libm::sinf(core::f32::consts::TAU * f * k as f32 + phase) + 0.1 * (random() - 0.5)));
            if case % 10 == 0 {
                window[(random() * TAPS as f32) as usize % TAPS] = 1.5 * (random() - 0.5);
            }
            let reference = (0..PHASES)
                .map(|p| (0..TAPS).map(|k| table[p][k] as f64 * window[TAPS - 1 - k] as f64).sum::<f64>().abs())
                .chain([window[TAPS - DETECTOR_DELAY].abs() as f64, window[TAPS - 1 - DETECTOR_DELAY].abs() as f64])
                .fold(0.0, f64::max);
            let read = lim.true_peak(&window, ceiling);
            if read == 0.0 {
                early += 1;
                assert!(reference < ceiling as f64, "stopped early at {reference} (window {window:?})");
            } else {
                whole += 1;
                assert!((read as f64 - reference).abs() <= 1e-5 * reference, "read {read}, the whole filter {reference}");
            }
        }
        println!("{early} windows decided early, {whole} by the whole filter");
        assert!(early > 1_000 && whole > 1_000, "the cases cover both ways ({early} early, {whole} whole)");
    }

    /// The output depends on the samples alone, not on how they are cut into blocks.
    #[test]
    fn the_block_size_changes_nothing() {
        for (name, l, r) in material() {
            let (mut a, mut b) = (l.clone(), r.clone());
            limit(&mut a, &mut b, -1.0, 6.0);
            for size in [1, 7, 128, 333, 4_096] {
                let mut lim = Limiter::new(FS);
                lim.set_param(0, -1.0);
                lim.set_param(2, 6.0);
                lim.settle();
                let (mut c, mut d) = (l.clone(), r.clone());
                for (x, y) in c.chunks_mut(size).zip(d.chunks_mut(size)) {
                    lim.process(x, y);
                }
                assert!(a == c && b == d, "{name}: blocks of {size} differ from blocks of 128");
            }
        }
    }

    #[test]
    fn quiet_material_passes_untouched_but_delayed() {
        let l: Vec<f32> = (0..4_800).map(|i| 0.1 * (i as f32 * 0.05).sin()).collect();
        let (mut a, mut b) = (l.clone(), l.clone());
        let lim = limit(&mut a, &mut b, -1.0, 0.0);
        let d = lim.latency();
        assert_eq!(d, 72 + DETECTOR_DELAY);
        for i in d..4_800 {
            assert_eq!(a[i], l[i - d]);
        }
    }

    #[test]
    fn a_peak_is_met_by_a_smooth_ramp() {
        // A single loud burst after silence: the gain ramps down over the lookahead, never in a step.
        let mut l = vec![0.05f32; 9_600];
        for x in &mut l[4_800..4_900] {
            *x = 1.0;
        }
        let (mut a, mut b) = (l.clone(), l.clone());
        limit(&mut a, &mut b, -6.0, 0.0);
        let d = 72 + DETECTOR_DELAY;
        let gains: Vec<f32> = (4_000..4_800 + d).map(|i| a[i + d] / l[i]).collect();
        let largest_step = gains.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0f32, f32::max);
        assert!(largest_step < 0.02, "{largest_step}");
    }
}
