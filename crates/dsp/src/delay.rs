//! Time-based effects: the delay line they share, the stereo delay, and the modulation effects
//! (chorus, flanger, phaser).

use core::f32::consts::{PI, TAU};

use crate::filter::{Shape, Svf, SvfCoefs};
use crate::lanes::F32x4;
use crate::param::{ParamInfo, Taper, Unit};
use crate::stereo::StereoProcessor;

/// A circular delay line of a power-of-two length, allocated once when the processor is built.
#[derive(Clone, Debug)]
pub struct DelayLine {
    buf: Vec<f32>,
    mask: usize,
    write: usize,
}

impl DelayLine {
    /// A line that can delay by up to `max_delay` samples (plus the interpolator's reach).
    pub fn new(max_delay: usize) -> Self {
        let len = (max_delay + 4).next_power_of_two();
        DelayLine { buf: vec![0.0; len], mask: len - 1, write: 0 }
    }

    /// Longest delay the line supports, in samples.
    pub fn capacity(&self) -> usize {
        self.buf.len() - 4
    }

    /// Writes the next input sample.
    #[inline]
    pub fn push(&mut self, x: f32) {
        self.write = (self.write + 1) & self.mask;
        self.buf[self.write] = x;
    }

    /// The input of `delay` samples ago (≥ 1), read before the current sample is pushed: a line
    /// read at 1 and then pushed is a one-sample delay.
    #[inline]
    pub fn tap(&self, delay: usize) -> f32 {
        self.ahead(delay, 0)
    }

    /// What [`DelayLine::tap`]`(delay)` will read `ahead` samples from now (`ahead < delay`: a
    /// sample already written, whatever is pushed meanwhile).
    #[inline]
    pub fn ahead(&self, delay: usize, ahead: usize) -> f32 {
        self.buf[self.index(delay, ahead)]
    }

    /// Where [`DelayLine::ahead`]`(delay, ahead)` reads.
    #[inline(always)]
    fn index(&self, delay: usize, ahead: usize) -> usize {
        (self.write + ahead).wrapping_sub(delay.wrapping_sub(1)) & self.mask
    }

    /// [`DelayLine::ahead`]`(delay, k)` for every `k` in `0..out.len()` (`out.len() ≤ delay`): what
    /// the next `out.len()` taps at `delay` will read, in at most two copies.
    #[inline]
    pub fn read_ahead(&self, delay: usize, out: &mut [f32]) {
        let start = self.index(delay, 0);
        let first = (self.buf.len() - start).min(out.len());
        let (head, tail) = out.split_at_mut(first);
        head.copy_from_slice(&self.buf[start..start + first]);
        tail.copy_from_slice(&self.buf[..tail.len()]);
    }

    /// [`DelayLine::push`] of every sample of `xs` in turn (`xs` no longer than the line), in at most
    /// two copies.
    #[inline]
    pub fn push_block(&mut self, xs: &[f32]) {
        let start = (self.write + 1) & self.mask;
        let first = (self.buf.len() - start).min(xs.len());
        self.buf[start..start + first].copy_from_slice(&xs[..first]);
        self.buf[..xs.len() - first].copy_from_slice(&xs[first..]);
        self.write = (self.write + xs.len()) & self.mask;
    }

    /// The signal `delay` samples ago (fractional, 2 … capacity), by 4-point third-order Hermite
    /// interpolation: smooth enough for modulated delays. Read before pushing the current sample.
    #[inline]
    pub fn read(&self, delay: f32) -> f32 {
        self.read_split(self.split(delay))
    }

    /// A delay for [`DelayLine::read_split`]: its whole samples and fraction, within 2 … capacity.
    #[inline]
    pub fn split(&self, delay: f32) -> (usize, f32) {
        let d = delay.clamp(2.0, self.capacity() as f32);
        let whole = d as usize;
        (whole, d - whole as f32)
    }

    /// [`DelayLine::read`] of a delay already [`split`](DelayLine::split): a delay that holds still
    /// is split once.
    #[inline]
    pub fn read_split(&self, (whole, frac): (usize, f32)) -> f32 {
        if frac == 0.0 {
            // A whole-sample delay: the interpolator would return x0 exactly; skip it.
            return self.tap(whole);
        }
        let (xm1, x0, x1, x2) = (self.tap(whole - 1), self.tap(whole), self.tap(whole + 1), self.tap(whole + 2));
        let c1 = 0.5 * (x1 - xm1);
        let c2 = xm1 - 2.5 * x0 + 2.0 * x1 - 0.5 * x2;
        let c3 = 0.5 * (x2 - xm1) + 1.5 * (x0 - x1);
        ((c3 * frac + c2) * frac + c1) * frac + x0
    }

    pub fn clear(&mut self) {
        self.buf.fill(0.0);
    }

    /// Zeroes denormal contents around the write position (called rarely, at block ends).
    pub fn flush_recent(&mut self, count: usize) {
        for i in 0..count.min(self.buf.len()) {
            let j = self.write.wrapping_sub(i) & self.mask;
            self.buf[j] = crate::flush(self.buf[j]);
        }
    }
}

/// One step of a per-sample glide, snapping onto the target when within 1e-6 of it.
#[inline(always)]
fn glide(current: f32, target: f32, step: f32) -> f32 {
    let d = target - current;
    if d.abs() <= 1.0e-6 {
        target
    } else {
        current + d * step
    }
}

/// Note values a delay can sync to ([`NOTE_VALUES`]), and their length in beats ([`NOTE_BEATS`]).
pub const NOTE_VALUES: &[&str] = &["1/1", "1/2", "1/4", "1/8", "1/16", "1/4 dotted", "1/8 dotted", "1/4 triplet", "1/8 triplet"];
pub const NOTE_BEATS: [f32; 9] = [4.0, 2.0, 1.0, 0.5, 0.25, 1.5, 0.75, 2.0 / 3.0, 1.0 / 3.0];

/// Longest delay, seconds.
pub const MAX_DELAY_SECONDS: f32 = 4.0;

/// Parameter table of [`Delay`].
pub const DELAY_PARAMS: &[ParamInfo] = &[
    ParamInfo::new("time", "Time", Unit::Milliseconds, 1.0, 4_000.0, 375.0, Taper::Log),
    ParamInfo::toggle("sync", "Tempo sync", false),
    ParamInfo::choice("note", "Note value", NOTE_VALUES, 6),
    ParamInfo::new("feedback", "Feedback", Unit::Percent, 0.0, 0.95, 0.35, Taper::Linear),
    ParamInfo::toggle("ping_pong", "Ping-pong", false),
    ParamInfo::new("hp_freq", "Feedback high-pass", Unit::Hertz, 20.0, 2_000.0, 200.0, Taper::Log),
    ParamInfo::new("lp_freq", "Feedback low-pass", Unit::Hertz, 1_000.0, 20_000.0, 12_000.0, Taper::Log),
    ParamInfo::new("mix", "Mix", Unit::Percent, 0.0, 1.0, 1.0, Taper::Linear),
];

/// Glide of the delay time: moving it bends the pitch like a tape delay instead of clicking.
const TIME_GLIDE_MS: f32 = 60.0;
const GAIN_GLIDE_MS: f32 = 10.0;

/// Stereo delay: free time or tempo-synced note values, feedback through a high-pass and a low-pass,
/// optional ping-pong.
#[derive(Clone, Debug)]
pub struct Delay {
    sample_rate: f32,
    tempo: f32,
    values: [f32; 8],
    lines: [DelayLine; 2],
    /// Feedback-path filters [high-pass, low-pass], left and right in lanes 0 and 1.
    filters: [Svf<F32x4>; 2],
    time: f32,
    time_target: f32,
    feedback: f32,
    feedback_target: f32,
    mix: f32,
    mix_target: f32,
    time_step: f32,
    gain_step: f32,
}

impl Delay {
    pub fn new(sample_rate: f32) -> Self {
        let max = (MAX_DELAY_SECONDS * sample_rate) as usize + 1;
        let mut d = Delay {
            sample_rate,
            tempo: 120.0,
            values: core::array::from_fn(|i| DELAY_PARAMS[i].default),
            lines: [DelayLine::new(max), DelayLine::new(max)],
            filters: [Svf::new(), Svf::new()],
            time: 0.0,
            time_target: 0.0,
            feedback: 0.0,
            feedback_target: 0.0,
            mix: 0.0,
            mix_target: 0.0,
            time_step: 1.0 - libm::expf(-1.0 / (TIME_GLIDE_MS * 0.001 * sample_rate)),
            gain_step: 1.0 - libm::expf(-1.0 / (GAIN_GLIDE_MS * 0.001 * sample_rate)),
        };
        d.apply();
        d.time = d.time_target;
        d.feedback = d.feedback_target;
        d.mix = d.mix_target;
        d
    }

    /// The delay time in samples the settings ask for.
    fn target_samples(&self) -> f32 {
        let seconds = if self.values[1] > 0.5 {
            NOTE_BEATS[self.values[2] as usize] * 60.0 / self.tempo
        } else {
            self.values[0] * 0.001
        };
        let samples = (seconds * self.sample_rate).clamp(1.0, self.lines[0].capacity() as f32);
        // A time meant to be a whole number of samples (375 ms at 48 kHz is 18 000) comes out of
        // the f32 arithmetic a hair off it (18 000.0015); read on the sample, the echoes are not
        // interpolated for a difference of 30 ns.
        let whole = libm::roundf(samples);
        if (samples - whole).abs() < 0.01 { whole } else { samples }
    }

    /// One sample: the echo `wet` read from the lines goes through the feedback filters back into
    /// them with the input, and is mixed into the output.
    #[inline(always)]
    fn echo(&mut self, l: &mut f32, r: &mut f32, wet: [f32; 2], ping_pong: bool) {
        let [hp, lp] = &mut self.filters;
        let filtered = lp.tick(hp.tick(F32x4::from([wet[0], wet[1], 0.0, 0.0]))).to_array();
        let fb = [filtered[0] * self.feedback, filtered[1] * self.feedback];
        if ping_pong {
            // The mono input enters on the left; each echo crosses to the other side.
            self.lines[0].push(0.5 * (*l + *r) + fb[1]);
            self.lines[1].push(fb[0]);
        } else {
            self.lines[0].push(*l + fb[0]);
            self.lines[1].push(*r + fb[1]);
        }
        *l += (wet[0] - *l) * self.mix;
        *r += (wet[1] - *r) * self.mix;
    }

    fn apply(&mut self) {
        self.time_target = self.target_samples();
        self.feedback_target = self.values[3];
        self.mix_target = self.values[7];
        let hp = SvfCoefs::design(Shape::HighPass, self.values[5], core::f32::consts::FRAC_1_SQRT_2, 0.0, self.sample_rate);
        let lp = SvfCoefs::design(Shape::LowPass, self.values[6], core::f32::consts::FRAC_1_SQRT_2, 0.0, self.sample_rate);
        for lane in 0..2 {
            self.filters[0].set_lane(lane, &hp);
            self.filters[1].set_lane(lane, &lp);
        }
    }
}

impl StereoProcessor for Delay {
    fn params(&self) -> &'static [ParamInfo] {
        DELAY_PARAMS
    }

    fn set_param(&mut self, id: usize, value: f32) {
        if let Some(info) = DELAY_PARAMS.get(id) {
            self.values[id] = info.clamp(value);
            self.apply();
        }
    }

    fn set_tempo(&mut self, bpm: f32) {
        if bpm.is_finite() && bpm > 0.0 {
            self.tempo = bpm;
            self.apply();
        }
    }

    fn settle(&mut self) {
        self.time = self.time_target;
        self.feedback = self.feedback_target;
        self.mix = self.mix_target;
    }

    fn reset(&mut self) {
        self.lines.iter_mut().for_each(DelayLine::clear);
        self.filters = [Svf::new(), Svf::new()];
        self.apply();
    }

    fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        let ping_pong = self.values[4] > 0.5;
        let at_rest = self.time == self.time_target && self.feedback == self.feedback_target && self.mix == self.mix_target;
        if at_rest {
            // At rest (the usual case): the glides stay where they are and the time is split into
            // whole samples and a fraction once — what the loop below computes, without the work.
            let taps = self.lines[0].split(self.time);
            for (l, r) in left.iter_mut().zip(right.iter_mut()) {
                let wet = [self.lines[0].read_split(taps), self.lines[1].read_split(taps)];
                self.echo(l, r, wet, ping_pong);
            }
        } else {
            for (l, r) in left.iter_mut().zip(right.iter_mut()) {
                self.time = glide(self.time, self.time_target, self.time_step);
                self.feedback = glide(self.feedback, self.feedback_target, self.gain_step);
                self.mix = glide(self.mix, self.mix_target, self.gain_step);
                let wet = [self.lines[0].read(self.time), self.lines[1].read(self.time)];
                self.echo(l, r, wet, ping_pong);
            }
        }
        self.filters.iter_mut().for_each(Svf::flush);
        for line in &mut self.lines {
            line.flush_recent(left.len());
        }
        crate::flush_block(left);
        crate::flush_block(right);
    }
}

/// Parameter table of [`Modulation`].
pub const MODULATION_PARAMS: &[ParamInfo] = &[
    ParamInfo::choice("mode", "Mode", &["Chorus", "Flanger", "Phaser"], 0),
    ParamInfo::new("rate", "Rate", Unit::Hertz, 0.02, 10.0, 0.6, Taper::Log),
    ParamInfo::new("depth", "Depth", Unit::Percent, 0.0, 1.0, 0.5, Taper::Linear),
    ParamInfo::new("feedback", "Feedback", Unit::Percent, -0.95, 0.95, 0.0, Taper::Linear),
    ParamInfo::new("mix", "Mix", Unit::Percent, 0.0, 1.0, 0.5, Taper::Linear),
    ParamInfo::new("delay", "Delay", Unit::Milliseconds, 0.1, 30.0, 12.0, Taper::Log),
];

/// Phaser stages (first-order all-passes) per side.
pub const PHASER_STAGES: usize = 6;
/// Phaser sweep: centre and range in octaves at full depth.
const PHASER_CENTRE_HZ: f32 = 900.0;
const PHASER_OCTAVES: f32 = 2.0;

/// Chorus, flanger and phaser. The two sides' LFOs run a quarter cycle apart for width.
///
/// - Chorus: a delay of `delay` ms swept by up to ±`depth`·`delay`/2, mixed with the dry signal.
/// - Flanger: the same with a short delay (the `delay` setting, typically 1–5 ms) and feedback.
/// - Phaser: six first-order all-passes swept around 900 Hz over ±2 octaves, with feedback.
#[derive(Clone, Debug)]
pub struct Modulation {
    sample_rate: f32,
    values: [f32; 6],
    lines: [DelayLine; 2],
    phase: f32,
    allpass: [[f32; PHASER_STAGES]; 2],
    last: [f32; 2],
}

impl Modulation {
    pub fn new(sample_rate: f32) -> Self {
        let max = (0.05 * sample_rate) as usize;
        Modulation {
            sample_rate,
            values: core::array::from_fn(|i| MODULATION_PARAMS[i].default),
            lines: [DelayLine::new(max), DelayLine::new(max)],
            phase: 0.0,
            allpass: [[0.0; PHASER_STAGES]; 2],
            last: [0.0; 2],
        }
    }
}

impl StereoProcessor for Modulation {
    fn params(&self) -> &'static [ParamInfo] {
        MODULATION_PARAMS
    }

    fn set_param(&mut self, id: usize, value: f32) {
        if let Some(info) = MODULATION_PARAMS.get(id) {
            self.values[id] = info.clamp(value);
        }
    }

    fn reset(&mut self) {
        self.lines.iter_mut().for_each(DelayLine::clear);
        self.allpass = [[0.0; PHASER_STAGES]; 2];
        self.last = [0.0; 2];
        self.phase = 0.0;
    }

    fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        let [mode, rate, depth, feedback, mix, delay_ms] = self.values;
        let inc = rate / self.sample_rate;
        let base = delay_ms * 0.001 * self.sample_rate;
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            let lfo = [libm::sinf(TAU * self.phase), libm::sinf(TAU * self.phase + PI / 2.0)];
            self.phase += inc;
            self.phase -= libm::floorf(self.phase);
            for (side, x) in [&mut *l, &mut *r].into_iter().enumerate() {
                let dry = *x;
                let wet = if mode < 0.5 || mode < 1.5 {
                    // Chorus and flanger: a modulated delay (the flanger feeds back).
                    let d = base * (1.0 + 0.5 * depth * lfo[side]);
                    let y = self.lines[side].read(d.max(1.0));
                    let fb = if mode > 0.5 { feedback * y } else { 0.0 };
                    self.lines[side].push(dry + fb);
                    y
                } else {
                    let f = PHASER_CENTRE_HZ * libm::exp2f(PHASER_OCTAVES * depth * lfo[side]);
                    let t = libm::tanf(PI * f.min(0.45 * self.sample_rate) / self.sample_rate);
                    let a = (t - 1.0) / (t + 1.0);
                    let mut y = dry + feedback * self.last[side];
                    for s in &mut self.allpass[side] {
                        // First-order all-pass, transposed direct form: y = a·x + s; s' = x − a·y.
                        let out = a * y + *s;
                        *s = y - a * out;
                        y = out;
                    }
                    self.last[side] = crate::flush(y);
                    y
                };
                *x = dry + (wet - dry) * mix;
            }
        }
        for side in 0..2 {
            self.lines[side].flush_recent(left.len());
            self.allpass[side].iter_mut().for_each(|s| *s = crate::flush(*s));
        }
        crate::flush_block(left);
        crate::flush_block(right);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FS: f32 = 48_000.0;

    fn impulse_response(p: &mut dyn StereoProcessor, len: usize) -> (Vec<f32>, Vec<f32>) {
        let mut l = vec![0.0; len];
        let mut r = vec![0.0; len];
        l[0] = 1.0;
        r[0] = 1.0;
        for (lc, rc) in l.chunks_mut(128).zip(r.chunks_mut(128)) {
            p.process(lc, rc);
        }
        (l, r)
    }

    fn argmax(v: &[f32]) -> usize {
        v.iter().enumerate().fold((0, 0.0f32), |(bi, bv), (i, &x)| if x.abs() > bv { (i, x.abs()) } else { (bi, bv) }).0
    }

    /// The block reads and writes against the sample-at-a-time ones, across the wrap of the ring:
    /// the same values at every step, for every delay a block can be read at.
    #[test]
    fn block_reads_and_pushes_match_taps_and_pushes() {
        let (mut one, mut block) = (DelayLine::new(300), DelayLine::new(300));
        let capacity = one.capacity();
        let mut next = 0.0f32;
        let mut ahead = vec![0.0; crate::MAX_BLOCK];
        for round in 0..40 {
            let m = [1, 7, 128, 61, 128, 3][round % 6];
            for delay in [m, m + 1, 200, capacity] {
                block.read_ahead(delay, &mut ahead[..m]);
                let mut probe = one.clone();
                for (k, &a) in ahead[..m].iter().enumerate() {
                    assert_eq!(a.to_bits(), probe.tap(delay).to_bits(), "round {round}, delay {delay}, sample {k}");
                    probe.push(-1.0);
                }
            }
            let xs: Vec<f32> = (0..m).map(|_| { next += 1.0; next }).collect();
            xs.iter().for_each(|&x| one.push(x));
            block.push_block(&xs);
            assert_eq!(one.write, block.write);
            assert_eq!(one.buf, block.buf);
        }
    }

    #[test]
    fn delay_time_is_exact_in_ms_and_in_note_values() {
        let mut d = Delay::new(FS);
        d.set_param(3, 0.0);
        d.set_param(0, 250.0);
        d.settle();
        let (l, _) = impulse_response(&mut d, 24_000);
        assert_eq!(argmax(&l[1..]) + 1, 12_000);
        assert!((l[12_000] - 1.0).abs() < 1e-6);

        // 375 ms is 18 000.0015 samples in f32 arithmetic: read on the sample, not interpolated,
        // the echo is the impulse itself.
        let mut d = Delay::new(FS);
        d.set_param(3, 0.0);
        d.set_param(0, 375.0);
        d.settle();
        let (l, _) = impulse_response(&mut d, 24_000);
        assert_eq!((l[17_999], l[18_000], l[18_001]), (0.0, 1.0, 0.0));

        // 120 BPM, dotted eighth: 0.75 beat = 375 ms = 18 000 samples.
        let mut d = Delay::new(FS);
        d.set_tempo(120.0);
        d.set_param(1, 1.0);
        d.set_param(2, 6.0);
        d.set_param(3, 0.0);
        d.settle();
        let (l, _) = impulse_response(&mut d, 24_000);
        assert_eq!(argmax(&l[1..]) + 1, 18_000);
    }

    #[test]
    fn feedback_repeats_decay_by_the_feedback_gain() {
        let mut d = Delay::new(FS);
        d.set_param(0, 100.0);
        d.set_param(3, 0.5);
        d.set_param(5, 20.0);
        d.set_param(6, 20_000.0);
        d.settle();
        // A Hann-windowed 1 kHz burst, well inside the feedback filters' pass band.
        let mut l: Vec<f32> = (0..48_000)
            .map(|i| if i < 192 { (0.5 - 0.5 * (TAU * i as f32 / 192.0).cos()) * (TAU * 1_000.0 * i as f32 / FS).sin() } else { 0.0 })
            .collect();
        let mut r = l.clone();
        for (lc, rc) in l.chunks_mut(128).zip(r.chunks_mut(128)) {
            d.process(lc, rc);
        }
        // Energy of each echo (a window around it): each is 0.5² of the previous.
        let energy = |k: usize| l[k * 4_800 - 200..k * 4_800 + 200].iter().map(|x| (*x as f64).powi(2)).sum::<f64>();
        for k in 1..4 {
            let ratio = energy(k + 1) / energy(k);
            assert!((ratio - 0.25).abs() < 0.01, "echo {k}→{}: {ratio}", k + 1);
        }
    }

    #[test]
    fn ping_pong_alternates_sides() {
        let mut d = Delay::new(FS);
        d.set_param(0, 100.0);
        d.set_param(3, 0.5);
        d.set_param(4, 1.0);
        d.settle();
        let (l, r) = impulse_response(&mut d, 20_000);
        assert!(l[4_800].abs() > 0.9 && r[4_800].abs() < 1e-6, "first echo left");
        let second = 9_600;
        let near = |v: &[f32]| v[second - 50..second + 50].iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!(near(&r) > 0.2 && near(&l) < 1e-6, "second echo right");
    }

    #[test]
    fn flanger_combs_and_phaser_notches_where_theory_puts_them() {
        use crate::filter::tests::measured_db;
        // Flanger, no sweep, no feedback, 50 % mix: a comb with notches at (2k+1)/(2τ).
        let mut m = Modulation::new(FS);
        for (id, v) in [(0, 1.0), (2, 0.0), (3, 0.0), (4, 0.5), (5, 2.0)] {
            m.set_param(id, v);
        }
        let tau = 0.002;
        let response = |m: &Modulation, f: f64| {
            let mut m = m.clone();
            measured_db(
                |x| {
                    let (mut l, mut r) = ([x], [x]);
                    m.process(&mut l, &mut r);
                    l[0]
                },
                f,
                FS as f64,
                8_192,
            )
        };
        assert!(response(&m, 1.0 / (2.0 * tau)) < -40.0);
        assert!(response(&m, 3.0 / (2.0 * tau)) < -40.0);
        assert!((response(&m, 1.0 / tau) - 0.0).abs() < 0.1);

        // Phaser at rest: six all-passes at 900 Hz; dry + wet cancels where the phase is −540°,
        // which for bilinear first-order all-passes is exactly the corner.
        let mut p = Modulation::new(FS);
        for (id, v) in [(0, 2.0), (2, 0.0), (3, 0.0), (4, 0.5)] {
            p.set_param(id, v);
        }
        assert!(response(&p, 900.0) < -40.0, "{}", response(&p, 900.0));
        // −360° (each stage −60°, tan 30° of the corner): the wet is in phase: 0 dB.
        let t = (std::f64::consts::PI * 900.0 / FS as f64).tan() * (30f64).to_radians().tan();
        let f = (FS as f64) / std::f64::consts::PI * t.atan();
        assert!(response(&p, f).abs() < 0.05, "{}", response(&p, f));
    }

    #[test]
    fn chorus_without_sweep_is_a_plain_delay() {
        let mut m = Modulation::new(FS);
        for (id, v) in [(0, 0.0), (2, 0.0), (4, 1.0), (5, 10.0)] {
            m.set_param(id, v);
        }
        let (l, r) = impulse_response(&mut m, 1_000);
        assert_eq!(argmax(&l), 480);
        assert_eq!(argmax(&r), 480);
    }
}
