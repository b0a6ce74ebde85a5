//! Dynamics: compressor, gate/expander and de-esser, as lane processors.
//!
//! The compressor follows Giannoulis, Massberg & Reiss, "Digital Dynamic Range Compressor Design — A
//! Tutorial and Analysis" (JAES 60(6), 2012): a feed-forward design with the level detector in dB, the
//! gain computer with a quadratic soft knee (their eq. 4), and branching one-pole ballistics on the
//! gain reduction in the log domain (their "smooth branching" detector), so that attack and release
//! are exact exponential time constants and the static curve is exactly the textbook curve.
//!
//! Stereo strips occupy a pair of lanes (0–1 or 2–3); their detectors are linked (the louder side
//! drives both) so the image does not wander.

use crate::eq::MAX_LANES;
use crate::filter::{grid_left, Shape, Svf, SvfCoefs, UPDATE_INTERVAL};
use crate::MAX_BLOCK;
use crate::lanes::{Lanes, LogExpCoefs};
use crate::param::{ParamInfo, Taper, Unit};

/// Time constant of the RMS detector's mean-square average.
const RMS_WINDOW_MS: f32 = 10.0;
/// Time constant for makeup and mix changes (per-sample glide).
const GAIN_GLIDE_MS: f32 = 10.0;

/// One-pole coefficient e^(−1/(τ·fs)) for a time constant in milliseconds.
fn pole(time_ms: f32, sample_rate: f32) -> f32 {
    libm::expf(-1.0 / (time_ms.max(0.001) * 0.001 * sample_rate))
}

/// The textbook gain computer: gain reduction in dB (≥ 0) for a detector level `over` dB above the
/// threshold, with knee width `knee` dB and slope `1 − 1/ratio`.
///
/// Below the knee nothing; inside it (|over| ≤ knee/2) the quadratic (over + knee/2)² / (2·knee);
/// above it the straight line `over`; all scaled by the slope.
///
/// Computed without a branch or a select: the quadratic of `over` clamped to the knee (0 below
/// it, knee/2 above it, where it meets the line) plus how far `over` is above the knee.
#[inline(always)]
fn compress_curve<L: Lanes>(over: L, half_knee: L, inv_two_knee: L, slope: L) -> L {
    let k = over.max(-half_knee).min(half_knee) + half_knee;
    (k * k * inv_two_knee + (over - half_knee).max(L::splat(0.0))) * slope
}

/// One step of a per-sample glide towards `target`, snapping onto it when within 1e-6 so that a
/// settled value is exactly its target (and the glide can be skipped).
#[inline(always)]
fn glide<L: Lanes>(current: L, target: L, step: L) -> L {
    let d = target - current;
    d.abs().select_gt(L::splat(1.0e-6), current + d * step, target)
}

/// One step of an envelope towards `target`: with the attack coefficient while the target is
/// above the envelope, the release's otherwise (`coef·env + (1 − coef)·target`). Both steps are
/// computed and then one chosen, so the choice is off the recurrence's critical path (chosen
/// first, the compare, select, subtract, multiply and add each waited on the last); the same bits.
#[inline(always)]
fn follow<L: Lanes>(env: L, target: L, attack: L, release: L) -> L {
    let one = L::splat(1.0);
    let rising = attack * env + (one - attack) * target;
    let falling = release * env + (one - release) * target;
    target.select_gt(env, rising, falling)
}

/// Scalar version of the curve for settings (auto makeup, the UI's transfer curve).
pub fn compressor_curve_db(level_db: f32, threshold_db: f32, ratio: f32, knee_db: f32) -> f32 {
    let knee = knee_db.max(1.0e-3);
    level_db - compress_curve(level_db - threshold_db, knee / 2.0, 1.0 / (2.0 * knee), 1.0 - 1.0 / ratio.max(1.0))
}

/// [`Shared::link`] of an unlinked lane.
const UNLINKED: f32 = -1.0e30;

/// What the three dynamics processors share: each lane's settings in the user's units (flagged
/// when one changes), which lanes are one side of a linked stereo pair, and the gain-reduction meter.
#[derive(Clone, Debug)]
struct Shared<L, const N: usize> {
    table: &'static [ParamInfo],
    values: [[f32; N]; MAX_LANES],
    dirty: bool,
    /// Per lane, what is added to the other side's level before the louder is taken: 0 where the
    /// lane is linked, far below any level (−1e30 dB) where it is not.
    link: L,
    /// Largest gain reduction per lane since the meter last read it, dB.
    reduction_peak: L,
    /// For the levels in dB and the gains back, every sample (see [`LogExpCoefs`]).
    log_exp: LogExpCoefs<L>,
}

impl<L: Lanes, const N: usize> Shared<L, N> {
    fn new(table: &'static [ParamInfo]) -> Self {
        Shared { table, values: [core::array::from_fn(|i| table[i].default); MAX_LANES], dirty: true, link: L::splat(UNLINKED), reduction_peak: L::splat(0.0), log_exp: LogExpCoefs::new() }
    }

    /// Sets parameter `id` of one lane, clamped to its range; unknown lanes and ids are ignored.
    fn set(&mut self, lane: usize, id: usize, value: f32) {
        if let (Some(info), Some(v)) = (self.table.get(id), self.values.get_mut(lane)) {
            v[id] = info.clamp(value);
            self.dirty = true;
        }
    }

    fn set_linked(&mut self, lane: usize, linked: bool) {
        self.link.set_lane(lane, if linked { 0.0 } else { UNLINKED });
    }

    /// True once after any setting changed: the per-lane constants must be rebuilt.
    fn take_dirty(&mut self) -> bool {
        core::mem::take(&mut self.dirty)
    }

    /// A detector level, with linked lanes taking the louder side of their pair.
    #[inline(always)]
    fn linked(&self, level: L) -> L {
        level.max(level.swap_pairs() + self.link)
    }

    /// Reads and resets a lane's largest gain reduction (dB, ≥ 0) since the last read.
    fn take_reduction(&mut self, lane: usize) -> f32 {
        let r = self.reduction_peak.lane(lane);
        self.reduction_peak.set_lane(lane, 0.0);
        r
    }
}

/// Parameter table of [`Compressor`].
pub const COMPRESSOR_PARAMS: &[ParamInfo] = &[
    ParamInfo::new("threshold", "Threshold", Unit::Decibels, -60.0, 0.0, -18.0, Taper::Linear),
    ParamInfo::new("ratio", "Ratio", Unit::Ratio, 1.0, 20.0, 4.0, Taper::Log),
    ParamInfo::new("attack", "Attack", Unit::Milliseconds, 0.1, 200.0, 10.0, Taper::Log),
    ParamInfo::new("release", "Release", Unit::Milliseconds, 5.0, 3_000.0, 100.0, Taper::Log),
    ParamInfo::new("knee", "Knee", Unit::Decibels, 0.0, 24.0, 6.0, Taper::Linear),
    ParamInfo::new("makeup", "Makeup", Unit::Decibels, -12.0, 24.0, 0.0, Taper::Linear),
    ParamInfo::toggle("auto_makeup", "Auto makeup", false),
    ParamInfo::choice("detector", "Detector", &["Peak", "RMS"], 0),
    ParamInfo::toggle("sc_hpf_on", "Side-chain high-pass", false),
    ParamInfo::new("sc_hpf_freq", "Side-chain HPF frequency", Unit::Hertz, 20.0, 500.0, 100.0, Taper::Log),
    ParamInfo::toggle("external", "External side-chain", false),
    ParamInfo::new("mix", "Mix", Unit::Percent, 0.0, 1.0, 1.0, Taper::Linear),
];

/// A feed-forward compressor with soft knee, peak or RMS detection, side-chain high-pass and an
/// optional external key.
#[derive(Clone, Debug)]
pub struct Compressor<L> {
    sample_rate: f32,
    shared: Shared<L, 12>,
    countdown: usize,
    // Per-lane constants derived from the settings at the last update.
    threshold: L,
    slope: L,
    half_knee: L,
    inv_two_knee: L,
    attack: L,
    release: L,
    rms_mask: L,
    any_rms: bool,
    any_hpf: bool,
    makeup_target: L,
    wet_target: L,
    // State.
    hpf: Svf<L>,
    mean_square: L,
    /// Smoothed gain reduction, dB (≥ 0).
    envelope: L,
    makeup: L,
    wet: L,
    gain_step: f32,
    rms_pole: f32,
    /// Per run: each sample's gain reduction, between the passes of [`Compressor::process`]. Kept
    /// here, not zeroed on the stack for every run; inline, not boxed, because building a
    /// compressor must not allocate (the multiband rebuilds its own on the audio side to reset).
    reduction: [L; MAX_BLOCK],
}

impl<L: Lanes> Compressor<L> {
    pub fn new(sample_rate: f32) -> Self {
        let mut c = Compressor {
            sample_rate,
            shared: Shared::new(COMPRESSOR_PARAMS),
            countdown: 0,
            threshold: L::splat(0.0),
            slope: L::splat(0.0),
            half_knee: L::splat(0.0),
            inv_two_knee: L::splat(0.0),
            attack: L::splat(0.0),
            release: L::splat(0.0),
            rms_mask: L::splat(0.0),
            any_rms: false,
            any_hpf: false,
            makeup_target: L::splat(0.0),
            wet_target: L::splat(1.0),
            hpf: Svf::new(),
            mean_square: L::splat(0.0),
            envelope: L::splat(0.0),
            makeup: L::splat(0.0),
            wet: L::splat(1.0),
            gain_step: 1.0 - pole(GAIN_GLIDE_MS, sample_rate),
            rms_pole: pole(RMS_WINDOW_MS, sample_rate),
            reduction: [L::splat(0.0); MAX_BLOCK],
        };
        c.update();
        c.settle();
        c
    }

    /// Sets parameter `id` (see [`COMPRESSOR_PARAMS`]) of one lane, clamped to its range.
    pub fn set_param(&mut self, lane: usize, id: usize, value: f32) {
        self.shared.set(lane, id, value);
    }

    /// Links lane `lane` with its pair neighbour (`lane ^ 1`): both then follow the louder side.
    pub fn set_linked(&mut self, lane: usize, linked: bool) {
        self.shared.set_linked(lane, linked);
    }

    /// True when lane `lane` is keyed by an external side-chain.
    pub fn external_key(&self, lane: usize) -> bool {
        self.shared.values.get(lane).is_some_and(|v| v[10] > 0.5)
    }

    /// Jumps makeup and mix to their targets (a freshly loaded mix).
    pub fn settle(&mut self) {
        self.update();
        self.makeup = self.makeup_target;
        self.wet = self.wet_target;
    }

    /// Clears one lane's detector and gain state.
    pub fn reset_lane(&mut self, lane: usize) {
        self.envelope.set_lane(lane, 0.0);
        self.mean_square.set_lane(lane, 0.0);
        self.hpf.reset_lane(lane);
    }

    /// Reads and resets the largest gain reduction (dB, ≥ 0) of a lane since the last read.
    pub fn take_gain_reduction(&mut self, lane: usize) -> f32 {
        self.shared.take_reduction(lane)
    }

    fn update(&mut self) {
        if !self.shared.take_dirty() {
            return;
        }
        self.any_rms = false;
        self.any_hpf = false;
        for lane in 0..L::WIDTH.min(MAX_LANES) {
            let v = &self.shared.values[lane];
            let (threshold, ratio, knee) = (v[0], v[1], v[4].max(1.0e-3));
            self.threshold.set_lane(lane, threshold);
            self.slope.set_lane(lane, 1.0 - 1.0 / ratio);
            self.half_knee.set_lane(lane, knee / 2.0);
            self.inv_two_knee.set_lane(lane, 1.0 / (2.0 * knee));
            self.attack.set_lane(lane, pole(v[2], self.sample_rate));
            self.release.set_lane(lane, pole(v[3], self.sample_rate));
            let rms = v[7] > 0.5;
            self.rms_mask.set_lane(lane, if rms { 1.0 } else { 0.0 });
            self.any_rms |= rms;
            // Auto makeup restores the level of a full-scale signal: −(curve(0 dBFS) − 0).
            let auto = if v[6] > 0.5 { -compressor_curve_db(0.0, threshold, ratio, knee) } else { 0.0 };
            self.makeup_target.set_lane(lane, v[5] + auto);
            self.wet_target.set_lane(lane, v[11]);
            let hpf = SvfCoefs::design(Shape::HighPass, v[9], core::f32::consts::FRAC_1_SQRT_2, 0.0, self.sample_rate);
            self.hpf.set_lane(lane, &if v[8] > 0.5 { hpf } else { hpf.bypassed() });
            self.any_hpf |= v[8] > 0.5;
        }
    }

    /// Compresses `buf` in place. `key`, when given, is the external side-chain signal for the lanes
    /// that use one (same layout as `buf`); other lanes are keyed by their own input.
    pub fn process(&mut self, buf: &mut [L], key: Option<&[L]>) {
        let one = L::splat(1.0);
        let step = L::splat(self.gain_step);
        let rms_pole = L::splat(self.rms_pole);
        let mut external = L::splat(0.0);
        for lane in 0..L::WIDTH.min(MAX_LANES) {
            external.set_lane(lane, if key.is_some() && self.external_key(lane) { 1.0 } else { 0.0 });
        }
        let mut i = 0;
        while i < buf.len() {
            if self.countdown == 0 {
                self.update();
                self.countdown = UPDATE_INTERVAL;
            }
            // No setting waiting for the next update: the updates up to the block's end would do
            // nothing, and the run goes on to it (or as far as the scratch reaches).
            let run = if self.shared.dirty { self.countdown.min(buf.len() - i) } else { (buf.len() - i).min(MAX_BLOCK) };
            // Three passes over the run: the detector and gain computer (independent from sample
            // to sample, so the CPU overlaps them), the ballistics (the one true recurrence), and
            // the gain. Each sample sees exactly the arithmetic of a single fused loop.
            let reduction = &mut self.reduction;
            for (j, r) in reduction[..run].iter_mut().enumerate() {
                let x = buf[i + j];
                let k = match key {
                    Some(key) => external * key[i + j] + (one - external) * x,
                    None => x,
                };
                let k = if self.any_hpf { self.hpf.tick(k) } else { k };
                let mut level = k.abs().gain_to_db_by(&self.shared.log_exp);
                if self.any_rms {
                    self.mean_square = rms_pole * self.mean_square + (one - rms_pole) * k * k;
                    let rms_db = self.mean_square.gain_to_db_by(&self.shared.log_exp) * L::splat(0.5);
                    level = self.rms_mask * rms_db + (one - self.rms_mask) * level;
                }
                level = self.shared.linked(level);
                *r = compress_curve(level - self.threshold, self.half_knee, self.inv_two_knee, self.slope);
            }
            let mut env = self.envelope;
            for r in reduction[..run].iter_mut() {
                env = follow(env, *r, self.attack, self.release);
                *r = env;
                self.shared.reduction_peak = self.shared.reduction_peak.max(env);
            }
            self.envelope = env;
            let settled = self.makeup == self.makeup_target && self.wet == self.wet_target;
            for (j, env) in reduction[..run].iter().enumerate() {
                if !settled {
                    self.makeup = glide(self.makeup, self.makeup_target, step);
                    self.wet = glide(self.wet, self.wet_target, step);
                }
                let gain = (self.makeup - *env).db_to_gain_by(&self.shared.log_exp);
                let x = buf[i + j];
                buf[i + j] = x * ((one - self.wet) + self.wet * gain);
            }
            self.countdown = grid_left(self.countdown, run);
            i += run;
        }
        self.envelope = self.envelope.flush();
        self.mean_square = self.mean_square.flush();
        self.hpf.flush();
        crate::flush_block(buf);
    }
}

/// Parameter table of [`Gate`].
pub const GATE_PARAMS: &[ParamInfo] = &[
    ParamInfo::new("threshold", "Threshold", Unit::Decibels, -90.0, 0.0, -50.0, Taper::Linear),
    ParamInfo::new("ratio", "Ratio", Unit::Ratio, 1.0, 100.0, 100.0, Taper::Log),
    ParamInfo::new("range", "Range", Unit::Decibels, -90.0, 0.0, -80.0, Taper::Linear),
    ParamInfo::new("attack", "Attack", Unit::Milliseconds, 0.05, 50.0, 0.5, Taper::Log),
    ParamInfo::new("hold", "Hold", Unit::Milliseconds, 0.0, 500.0, 20.0, Taper::Linear),
    ParamInfo::new("release", "Release", Unit::Milliseconds, 5.0, 3_000.0, 100.0, Taper::Log),
    ParamInfo::toggle("sc_hpf_on", "Side-chain high-pass", false),
    ParamInfo::new("sc_hpf_freq", "Side-chain HPF frequency", Unit::Hertz, 20.0, 2_000.0, 100.0, Taper::Log),
];

/// Downward expander and gate: below the threshold the level falls `ratio` times faster than the
/// input (ratio 100 is a gate), never by more than `range`; the gate holds open for `hold` after the
/// key drops, then closes with `release`.
#[derive(Clone, Debug)]
pub struct Gate<L> {
    sample_rate: f32,
    shared: Shared<L, 8>,
    countdown: usize,
    threshold: L,
    expansion: L,
    range: L,
    attack: L,
    release: L,
    hold_samples: L,
    any_hpf: bool,
    hpf: Svf<L>,
    /// Gain, dB (≤ 0).
    envelope: L,
    hold: L,
}

impl<L: Lanes> Gate<L> {
    pub fn new(sample_rate: f32) -> Self {
        let mut g = Gate {
            sample_rate,
            shared: Shared::new(GATE_PARAMS),
            countdown: 0,
            threshold: L::splat(0.0),
            expansion: L::splat(0.0),
            range: L::splat(0.0),
            attack: L::splat(0.0),
            release: L::splat(0.0),
            hold_samples: L::splat(0.0),
            any_hpf: false,
            hpf: Svf::new(),
            envelope: L::splat(0.0),
            hold: L::splat(0.0),
        };
        g.update();
        g
    }

    pub fn set_param(&mut self, lane: usize, id: usize, value: f32) {
        self.shared.set(lane, id, value);
    }

    pub fn set_linked(&mut self, lane: usize, linked: bool) {
        self.shared.set_linked(lane, linked);
    }

    pub fn reset_lane(&mut self, lane: usize) {
        self.envelope.set_lane(lane, 0.0);
        self.hold.set_lane(lane, 0.0);
        self.hpf.reset_lane(lane);
    }

    /// Reads and resets the deepest attenuation (dB, ≥ 0) of a lane since the last read.
    pub fn take_gain_reduction(&mut self, lane: usize) -> f32 {
        self.shared.take_reduction(lane)
    }

    fn update(&mut self) {
        if !self.shared.take_dirty() {
            return;
        }
        self.any_hpf = false;
        for lane in 0..L::WIDTH.min(MAX_LANES) {
            let v = &self.shared.values[lane];
            self.threshold.set_lane(lane, v[0]);
            self.expansion.set_lane(lane, v[1] - 1.0);
            self.range.set_lane(lane, v[2]);
            self.attack.set_lane(lane, pole(v[3], self.sample_rate));
            self.hold_samples.set_lane(lane, v[4] * 0.001 * self.sample_rate);
            self.release.set_lane(lane, pole(v[5], self.sample_rate));
            let hpf = SvfCoefs::design(Shape::HighPass, v[7], core::f32::consts::FRAC_1_SQRT_2, 0.0, self.sample_rate);
            self.hpf.set_lane(lane, &if v[6] > 0.5 { hpf } else { hpf.bypassed() });
            self.any_hpf |= v[6] > 0.5;
        }
    }

    pub fn process(&mut self, buf: &mut [L]) {
        let one = L::splat(1.0);
        let zero = L::splat(0.0);
        let mut i = 0;
        while i < buf.len() {
            if self.countdown == 0 {
                self.update();
                self.countdown = UPDATE_INTERVAL;
            }
            let run = self.countdown.min(buf.len() - i);
            for x in &mut buf[i..i + run] {
                let k = if self.any_hpf { self.hpf.tick(*x) } else { *x };
                let mut level = k.abs().gain_to_db_by(&self.shared.log_exp);
                level = self.shared.linked(level);
                let below = (self.threshold - level).max(zero);
                // Above the threshold the hold counter restarts; below it, it runs down.
                self.hold = level.select_gt(self.threshold, self.hold_samples, (self.hold - one).max(zero));
                let closed = (zero - self.expansion * below).max(self.range);
                let target = self.hold.select_gt(zero, zero, closed);
                self.envelope = follow(self.envelope, target, self.attack, self.release);
                *x *= self.envelope.db_to_gain_by(&self.shared.log_exp);
                self.shared.reduction_peak = self.shared.reduction_peak.max(-self.envelope);
            }
            self.countdown -= run;
            i += run;
        }
        self.envelope = self.envelope.flush();
        self.hpf.flush();
        crate::flush_block(buf);
    }
}

/// Parameter table of [`DeEsser`].
pub const DEESSER_PARAMS: &[ParamInfo] = &[
    ParamInfo::new("freq", "Frequency", Unit::Hertz, 2_000.0, 16_000.0, 6_000.0, Taper::Log),
    ParamInfo::new("threshold", "Threshold", Unit::Decibels, -60.0, 0.0, -30.0, Taper::Linear),
    ParamInfo::new("range", "Range", Unit::Decibels, 0.0, 24.0, 12.0, Taper::Linear),
    ParamInfo::choice("mode", "Mode", &["Split", "Wideband"], 0),
];

/// Attack and release of the de-esser: fast enough for an "s", slow enough not to distort.
const DEESS_ATTACK_MS: f32 = 0.5;
const DEESS_RELEASE_MS: f32 = 60.0;

/// De-esser: detects the band above `freq` and, when it exceeds the threshold, turns down either the
/// highs only (split: a high shelf at `freq` whose gain follows the detector) or the whole signal
/// (wideband), by at most `range` dB, at a 4:1 slope.
#[derive(Clone, Debug)]
pub struct DeEsser<L> {
    sample_rate: f32,
    shared: Shared<L, 4>,
    countdown: usize,
    threshold: L,
    range: L,
    split: L,
    /// tan(π·freq/fs) per lane: the shelf's prewarped corner.
    corner: L,
    attack: f32,
    release: f32,
    detector: Svf<L>,
    shelf_ic1: L,
    shelf_ic2: L,
    envelope: L,
}

impl<L: Lanes> DeEsser<L> {
    pub fn new(sample_rate: f32) -> Self {
        let mut d = DeEsser {
            sample_rate,
            shared: Shared::new(DEESSER_PARAMS),
            countdown: 0,
            threshold: L::splat(0.0),
            range: L::splat(0.0),
            split: L::splat(1.0),
            corner: L::splat(0.0),
            attack: pole(DEESS_ATTACK_MS, sample_rate),
            release: pole(DEESS_RELEASE_MS, sample_rate),
            detector: Svf::new(),
            shelf_ic1: L::splat(0.0),
            shelf_ic2: L::splat(0.0),
            envelope: L::splat(0.0),
        };
        d.update();
        d
    }

    pub fn set_param(&mut self, lane: usize, id: usize, value: f32) {
        self.shared.set(lane, id, value);
    }

    pub fn set_linked(&mut self, lane: usize, linked: bool) {
        self.shared.set_linked(lane, linked);
    }

    pub fn reset_lane(&mut self, lane: usize) {
        self.envelope.set_lane(lane, 0.0);
        self.detector.reset_lane(lane);
        self.shelf_ic1.set_lane(lane, 0.0);
        self.shelf_ic2.set_lane(lane, 0.0);
    }

    pub fn take_gain_reduction(&mut self, lane: usize) -> f32 {
        self.shared.take_reduction(lane)
    }

    fn update(&mut self) {
        if !self.shared.take_dirty() {
            return;
        }
        for lane in 0..L::WIDTH.min(MAX_LANES) {
            let v = &self.shared.values[lane];
            self.detector.set_lane(lane, &SvfCoefs::design(Shape::HighPass, v[0], core::f32::consts::FRAC_1_SQRT_2, 0.0, self.sample_rate));
            self.corner.set_lane(lane, libm::tanf(core::f32::consts::PI * v[0] / self.sample_rate));
            self.threshold.set_lane(lane, v[1]);
            self.range.set_lane(lane, v[2]);
            self.split.set_lane(lane, if v[3] < 0.5 { 1.0 } else { 0.0 });
        }
    }

    pub fn process(&mut self, buf: &mut [L]) {
        let one = L::splat(1.0);
        let zero = L::splat(0.0);
        let k = L::splat(core::f32::consts::SQRT_2); // shelf Q of 1/√2
        let (attack, release) = (L::splat(self.attack), L::splat(self.release));
        let mut i = 0;
        while i < buf.len() {
            if self.countdown == 0 {
                self.update();
                self.countdown = UPDATE_INTERVAL;
            }
            let run = self.countdown.min(buf.len() - i);
            for x in &mut buf[i..i + run] {
                let high = self.detector.tick(*x);
                let mut level = high.abs().gain_to_db_by(&self.shared.log_exp);
                level = self.shared.linked(level);
                let target = ((level - self.threshold).max(zero) * L::splat(0.75)).min(self.range);
                self.envelope = follow(self.envelope, target, attack, release);
                let gain_db = -self.envelope;

                // Split: the cookbook high shelf (Simper's form) at the corner, its gain the
                // detector's reduction, redesigned every sample from lane arithmetic alone.
                let sqrt_a = (gain_db * L::splat(core::f32::consts::LOG2_10 / 80.0)).exp2_by(&self.shared.log_exp);
                let a = sqrt_a * sqrt_a;
                let g = self.corner * sqrt_a;
                let a1 = one / (one + g * (g + k));
                let a2 = g * a1;
                let a3 = g * a2;
                let v3 = *x - self.shelf_ic2;
                let v1 = a1 * self.shelf_ic1 + a2 * v3;
                let v2 = self.shelf_ic2 + a2 * self.shelf_ic1 + a3 * v3;
                self.shelf_ic1 = v1 + v1 - self.shelf_ic1;
                self.shelf_ic2 = v2 + v2 - self.shelf_ic2;
                let split = a * a * *x + k * (one - a) * a * v1 + (one - a * a) * v2;

                let wide = *x * (a * a);
                *x = self.split * split + (one - self.split) * wide;
                self.shared.reduction_peak = self.shared.reduction_peak.max(self.envelope);
            }
            self.countdown -= run;
            i += run;
        }
        self.envelope = self.envelope.flush();
        self.shelf_ic1 = self.shelf_ic1.flush();
        self.shelf_ic2 = self.shelf_ic2.flush();
        self.detector.flush();
        crate::flush_block(buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lanes::F32x4;

    const FS: f32 = 48_000.0;

    fn comp(settings: &[(&str, f32)]) -> Compressor<f32> {
        let mut c = Compressor::new(FS);
        for (k, v) in settings {
            c.set_param(0, crate::param::find(COMPRESSOR_PARAMS, k).unwrap(), *v);
        }
        c.settle();
        c
    }

    /// Output level (dB) for a steady DC input at `level_db`, after the envelope has settled.
    fn steady_output_db(c: &mut Compressor<f32>, level_db: f32) -> f64 {
        let x = 10f32.powf(level_db / 20.0);
        let mut buf = [x; 4800];
        for _ in 0..40 {
            buf.fill(x);
            c.process(&mut buf, None);
        }
        20.0 * (buf[4799] as f64).log10()
    }

    /// The textbook static curve (Giannoulis et al., eq. 4), in f64.
    fn textbook(x: f64, t: f64, r: f64, w: f64) -> f64 {
        if 2.0 * (x - t) < -w {
            x
        } else if w > 0.0 && 2.0 * (x - t).abs() <= w {
            x + (1.0 / r - 1.0) * (x - t + w / 2.0).powi(2) / (2.0 * w)
        } else {
            t + (x - t) / r
        }
    }

    #[test]
    fn static_curve_matches_the_textbook_within_0_1_db() {
        for (t, r, w) in [(-18.0, 4.0, 0.0), (-18.0, 4.0, 6.0), (-30.0, 2.0, 12.0), (-10.0, 20.0, 0.0), (-24.0, 1.5, 24.0)] {
            let mut c = comp(&[("threshold", t), ("ratio", r), ("knee", w), ("attack", 1.0), ("release", 20.0)]);
            let mut level = -60.0;
            while level <= 0.0 {
                let got = steady_output_db(&mut c, level);
                let want = textbook(level as f64, t as f64, r as f64, w as f64);
                assert!((got - want).abs() < 0.1, "T={t} R={r} W={w}: in {level} dB → {got:.3} dB, textbook {want:.3}");
                level += 1.5;
            }
        }
    }

    #[test]
    fn rms_detection_reads_a_sine_at_its_rms_level() {
        // A sine peaking at −6 dBFS has an RMS of −9.01 dBFS: with a −20 dB threshold, 2:1, hard
        // knee, the reduction is (−9.01 + 20) / 2 = 5.49 dB.
        let mut c = comp(&[("threshold", -20.0), ("ratio", 2.0), ("knee", 0.0), ("detector", 1.0), ("attack", 50.0), ("release", 500.0)]);
        let mut buf = vec![0.0f32; 48_000];
        for _ in 0..4 {
            for (i, x) in buf.iter_mut().enumerate() {
                *x = 0.5 * (2.0 * std::f32::consts::PI * 1_000.0 * i as f32 / FS).sin();
            }
            c.process(&mut buf, None);
        }
        let peak = buf[40_000..].iter().fold(0.0f32, |m, x| m.max(x.abs()));
        let reduction = 20.0 * (0.5 / peak as f64).log10();
        assert!((reduction - 5.495).abs() < 0.1, "reduction {reduction}");
    }

    /// Steps from well below to well above the threshold and back, and measures how the gain
    /// reduction (in dB) approaches its target: one time constant covers 1 − 1/e of the way.
    #[test]
    fn attack_and_release_are_the_set_time_constants() {
        for (attack_ms, release_ms) in [(10.0f32, 100.0f32), (1.0, 50.0), (30.0, 800.0)] {
            let mut c = comp(&[("threshold", -30.0), ("ratio", 4.0), ("knee", 0.0), ("attack", attack_ms), ("release", release_ms)]);
            let quiet = 10f32.powf(-50.0 / 20.0);
            let mut buf = vec![quiet; 48_000];
            c.process(&mut buf, None);
            // Step to 0 dBFS: the reduction heads for (0 − (−30))·(1 − 1/4) = 22.5 dB.
            let n = (attack_ms * 0.001 * FS) as usize;
            let mut buf = vec![1.0f32; n];
            c.process(&mut buf, None);
            let reduction = -20.0 * (buf[n - 1] as f64).log10();
            let want = 22.5 * (1.0 - (-1.0f64).exp());
            assert!((reduction - want).abs() < 0.02 * 22.5, "attack {attack_ms} ms: {reduction:.3} dB after τ, want {want:.3}");
            let mut buf = vec![1.0f32; 48_000 * 4];
            c.process(&mut buf, None);
            // Step back down: the reduction decays from 22.5 dB towards 0 with the release time.
            let n = (release_ms * 0.001 * FS) as usize;
            let mut buf = vec![quiet; n];
            c.process(&mut buf, None);
            let reduction = -20.0 * ((buf[n - 1] / quiet) as f64).log10();
            let want = 22.5 * (-1.0f64).exp();
            assert!((reduction - want).abs() < 0.02 * 22.5, "release {release_ms} ms: {reduction:.3} dB after τ, want {want:.3}");
        }
    }

    #[test]
    fn auto_makeup_restores_full_scale() {
        let mut c = comp(&[("threshold", -18.0), ("ratio", 4.0), ("knee", 6.0), ("auto_makeup", 1.0), ("attack", 1.0)]);
        let out = steady_output_db(&mut c, 0.0);
        assert!(out.abs() < 0.1, "0 dBFS in → {out} dB out");
    }

    #[test]
    fn side_chain_high_pass_ignores_low_frequencies() {
        let run = |hpf: f32| {
            let mut c = comp(&[("threshold", -20.0), ("ratio", 10.0), ("sc_hpf_on", hpf), ("sc_hpf_freq", 300.0)]);
            let mut buf: Vec<f32> = (0..96_000).map(|i| 0.5 * (2.0 * std::f32::consts::PI * 40.0 * i as f32 / FS).sin()).collect();
            c.process(&mut buf, None);
            c.take_gain_reduction(0)
        };
        let (without, with) = (run(0.0), run(1.0));
        assert!(without > 10.0, "40 Hz at −6 dBFS compresses without the filter: {without}");
        assert!(with < without - 8.0, "the 300 Hz side-chain filter takes most of it away: {with}");
    }

    #[test]
    fn external_key_drives_the_gain() {
        let mut c = comp(&[("threshold", -30.0), ("ratio", 4.0), ("knee", 0.0), ("external", 1.0), ("attack", 1.0)]);
        let quiet = 10f32.powf(-40.0 / 20.0);
        let mut buf = vec![quiet; 48_000];
        let key = vec![1.0f32; 48_000];
        c.process(&mut buf, Some(&key));
        // The key at 0 dBFS is 30 dB over: 22.5 dB of reduction on the quiet input.
        let out = 20.0 * (buf[47_999] as f64).log10();
        assert!((out - (-62.5)).abs() < 0.1, "{out}");
        // A silent key: no reduction, however loud the input.
        let mut c = comp(&[("threshold", -30.0), ("external", 1.0)]);
        let mut buf = vec![1.0f32; 4_800];
        c.process(&mut buf, Some(&vec![0.0; 4_800]));
        assert_eq!(buf[4_799], 1.0);
    }

    #[test]
    fn linked_pair_gets_one_gain() {
        let mut c = Compressor::<F32x4>::new(FS);
        for lane in 0..2 {
            c.set_linked(lane, true);
        }
        let mut buf = vec![F32x4::from([1.0, 0.01, 1.0, 0.01]); 48_000];
        c.process(&mut buf, None);
        let last = buf[47_999].to_array();
        // Linked lanes 0–1: the quiet side gets the loud side's gain. Unlinked 2–3: it does not.
        assert!((last[1] / 0.01 - last[0]).abs() < 1e-4, "{last:?}");
        assert!(last[3] > 0.0099, "{last:?}");
    }

    #[test]
    fn compressor_lanes_match_scalar_bit_for_bit() {
        let settings = [(-20.0, 2.0, 0.0), (-30.0, 8.0, 1.0), (-10.0, 3.0, 0.0), (-40.0, 1.5, 1.0)];
        let mut wide = Compressor::<F32x4>::new(FS);
        let mut scalar: Vec<Compressor<f32>> = (0..4).map(|_| Compressor::new(FS)).collect();
        for (lane, (t, r, rms)) in settings.iter().enumerate() {
            for (id, v) in [(0, *t), (1, *r), (7, *rms), (8, *rms), (6, 1.0 - *rms)] {
                wide.set_param(lane, id, v);
                scalar[lane].set_param(0, id, v);
            }
        }
        let mut seed = 3u32;
        for _ in 0..40 {
            let mut block = [F32x4::splat(0.0); 128];
            let mut sblocks = [[0.0f32; 128]; 4];
            for (i, x) in block.iter_mut().enumerate() {
                for lane in 0..4 {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    let v = ((seed >> 8) as f32 / (1 << 24) as f32 - 0.5) * (1.0 + lane as f32);
                    x.set_lane(lane, v);
                    sblocks[lane][i] = v;
                }
            }
            wide.process(&mut block, None);
            for lane in 0..4 {
                scalar[lane].process(&mut sblocks[lane], None);
                for i in 0..128 {
                    assert_eq!(block[i].lane(lane).to_bits(), sblocks[lane][i].to_bits(), "lane {lane}");
                }
            }
        }
    }

    #[test]
    fn gate_closes_to_range_holds_and_reopens() {
        let mut g = Gate::<f32>::new(FS);
        for (id, v) in [(0, -40.0), (1, 100.0), (2, -60.0), (3, 0.5), (4, 50.0), (5, 20.0)] {
            g.set_param(0, id, v);
        }
        // A loud signal passes at unity.
        let mut buf = vec![0.5f32; 4_800];
        g.process(&mut buf);
        assert!((buf[4_799] - 0.5).abs() < 1e-4);
        // Drop to −50 dBFS: still open during the 50 ms hold…
        let quiet = 10f32.powf(-50.0 / 20.0);
        let mut buf = vec![quiet; 2_300];
        g.process(&mut buf);
        assert!((buf[2_299] / quiet - 1.0).abs() < 1e-3, "held open: {}", buf[2_299] / quiet);
        // …then closed to the range (−60 dB) after the release.
        let mut buf = vec![quiet; 48_000];
        g.process(&mut buf);
        let att = 20.0 * ((buf[47_999] / quiet) as f64).log10();
        assert!((att + 60.0).abs() < 0.1, "closed at {att} dB");
        assert!((g.take_gain_reduction(0) - 60.0).abs() < 0.1);
    }

    #[test]
    fn expander_follows_its_ratio() {
        let mut g = Gate::<f32>::new(FS);
        for (id, v) in [(0, -30.0), (1, 2.0), (2, -80.0), (4, 0.0)] {
            g.set_param(0, id, v);
        }
        // 10 dB below the threshold at 1:2 expansion: a further 10 dB down.
        let x = 10f32.powf(-40.0 / 20.0);
        let mut buf = vec![x; 96_000];
        g.process(&mut buf);
        let att = 20.0 * ((buf[95_999] / x) as f64).log10();
        assert!((att + 10.0).abs() < 0.05, "{att}");
    }

    #[test]
    fn de_esser_turns_down_sibilance_only() {
        let tone = |f: f32, amp: f32| -> Vec<f32> { (0..48_000).map(|i| amp * (2.0 * std::f32::consts::PI * f * i as f32 / FS).sin()).collect() };
        let peak = |v: &[f32]| v[24_000..].iter().fold(0.0f32, |m, x| m.max(x.abs()));
        let mut d = DeEsser::<f32>::new(FS);
        d.set_param(0, 1, -30.0);
        // A loud 9 kHz "s" is reduced by the full 12 dB range…
        let mut s = tone(9_000.0, 0.5);
        d.process(&mut s);
        let reduction = 20.0 * (0.5 / peak(&s) as f64).log10();
        assert!((10.0..12.5).contains(&reduction), "sibilance reduced by {reduction} dB");
        // …while a loud 300 Hz vowel is left alone.
        let mut d = DeEsser::<f32>::new(FS);
        d.set_param(0, 1, -30.0);
        let mut v = tone(300.0, 0.5);
        d.process(&mut v);
        let change = 20.0 * (0.5 / peak(&v) as f64).log10();
        assert!(change.abs() < 0.2, "vowel changed by {change} dB");
    }
}
