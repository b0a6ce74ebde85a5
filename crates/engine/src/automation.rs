//! Automation: a parameter's value as a curve over the timeline, read sample by sample.
//!
//! A [`Curve`] is a list of points (frame, value) and, for each, the shape of the segment that
//! leaves it: *hold* (a step at the next point), *linear*, or *bent* (a power curve with an
//! adjustable bend, monotone between its two points, so it never overshoots them). Values are
//! interpolated in the parameter's own units ([`Scale`]): gains in dB, frequencies on a log scale,
//! switches as steps.
//!
//! The value at a frame is a pure function of the frame ([`Curve::value_at`]): the engine asks for
//! the frames of each block, so what is heard never depends on the host's block size. A step of a
//! hold segment (or of a switch) is not a click: the new value is reached over [`STEP_RAMP_MS`]
//! starting on the step's frame — still a function of the frame alone. Jumps of the play position
//! while playing (a seek, a loop wrap) are de-clicked by [`Lane`], which ramps from the value last
//! heard over the same time.
//!
//! Curves are built on the control side (they allocate) and handed to the audio side whole. The
//! arithmetic is `libm`'s, as everywhere in the engine: the same bits natively and in wasm.

use mixroom_dsp::param::{ParamInfo, Taper, Unit};
use mixroom_dsp::MAX_BLOCK;

use crate::plan::{SendParam, StripParam};

/// How long a step (a hold segment's end, a switch flipping, a jump of the play position) takes.
pub const STEP_RAMP_MS: f32 = 3.0;

/// Values at or below this many dB are silence: dB curves run down to it and no further, so a
/// ride from −∞ dB is a ride from this floor.
pub const FLOOR_DB: f32 = mixroom_dsp::gain::SILENCE_DB;

/// The units a parameter's curve is interpolated in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// Linear in the value (pan, width, %, ms).
    Linear,
    /// Linear in dB (faders, sends, trims, gains); −∞ is [`FLOOR_DB`].
    Decibels,
    /// Linear in the logarithm of the value (frequencies, Q, ratios).
    Log,
    /// A switch (mute, bypass, a send's on/off): 0 or 1, every segment a step; its steps ramp
    /// over [`STEP_RAMP_MS`], so a mute fades instead of clicking.
    Switch,
    /// A choice or a switch inside a processor: every segment a step, taken at once (the
    /// processor de-clicks its own changes).
    Steps,
}

impl Scale {
    /// The value in the units the curve is interpolated in.
    /// Bounded whatever it is given (the session checks ranges; the engine survives without):
    /// NaN is 0, dB stay below +24, everything else within ±1e9.
    fn to_curve(self, value: f32) -> f64 {
        let v = if value.is_nan() { 0.0 } else { value as f64 };
        match self {
            Scale::Linear | Scale::Steps => v.clamp(-1e9, 1e9),
            Scale::Decibels => v.clamp(FLOOR_DB as f64, 24.0),
            Scale::Log => libm::log(v.clamp(1e-9, 1e9)),
            Scale::Switch => {
                if v >= 0.5 {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }

    /// Back from curve units to the parameter's.
    fn from_curve(self, x: f64) -> f32 {
        match self {
            Scale::Linear | Scale::Steps | Scale::Switch => x as f32,
            Scale::Decibels => {
                if x <= FLOOR_DB as f64 {
                    f32::NEG_INFINITY
                } else {
                    x as f32
                }
            }
            Scale::Log => libm::exp(x) as f32,
        }
    }

    fn steps_only(self) -> bool {
        matches!(self, Scale::Switch | Scale::Steps)
    }
}

/// The shape of the segment from a point to the next.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shape {
    /// The value holds until the next point, then steps.
    Hold,
    Linear,
    /// A power curve `t^p` with `p = 2^(−3·bend)`, bend in −1 … +1: positive bends rise early
    /// (fast, then slow), negative ones late. Monotone: it never leaves its two points' range.
    Bend(f32),
}

impl Shape {
    /// The fraction of the way covered at `t` (0 … 1) of the segment.
    fn progress(self, t: f64) -> f64 {
        match self {
            Shape::Hold => 0.0,
            Shape::Linear => t,
            Shape::Bend(b) => {
                let b = if b.is_finite() { b.clamp(-1.0, 1.0) } else { 0.0 };
                if b == 0.0 {
                    t
                } else {
                    libm::pow(t, libm::exp2(-3.0 * b as f64))
                }
            }
        }
    }
}

/// One point of a curve: a value at a frame, and the shape of the segment that leaves it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub frame: u64,
    pub value: f32,
    pub shape: Shape,
}

/// A point in curve units, with what its segment needs precomputed.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Knot {
    frame: u64,
    x: f64,
    shape: Shape,
    /// 1 / the segment's length in frames (0 for the last point).
    inv_len: f64,
}

/// A parameter's automation: its points in time order. Empty, it has no value.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    scale: Scale,
    knots: Vec<Knot>,
    /// Frames a step takes (see [`STEP_RAMP_MS`]); 0 for [`Scale::Steps`].
    step_frames: u32,
}

impl Curve {
    /// Control side: a curve through `points` (sorted by frame here; of points on one frame the last
    /// given wins, so a curve can jump there) at `sample_rate`.
    pub fn new(scale: Scale, points: &[Point], sample_rate: f32) -> Curve {
        let mut sorted: Vec<Point> = points.to_vec();
        sorted.sort_by_key(|p| p.frame);
        // Of two points on one frame the later one given is kept; nothing is ever divided by 0.
        let mut knots: Vec<Knot> = Vec::with_capacity(sorted.len());
        for p in sorted {
            let shape = if scale.steps_only() { Shape::Hold } else { p.shape };
            let k = Knot { frame: p.frame, x: scale.to_curve(p.value), shape, inv_len: 0.0 };
            match knots.last_mut() {
                Some(last) if last.frame == p.frame => *last = k,
                _ => knots.push(k),
            }
        }
        for i in 1..knots.len() {
            knots[i - 1].inv_len = 1.0 / (knots[i].frame - knots[i - 1].frame) as f64;
        }
        let step_frames = if scale == Scale::Steps { 0 } else { (STEP_RAMP_MS * 0.001 * sample_rate.max(1.0)).round().max(1.0) as u32 };
        Curve { scale, knots, step_frames }
    }

    pub fn scale(&self) -> Scale {
        self.scale
    }

    pub fn is_empty(&self) -> bool {
        self.knots.is_empty()
    }

    /// The index of the last knot at or before `frame` (`None` before the first).
    fn segment(&self, frame: u64) -> Option<usize> {
        self.knots.partition_point(|k| k.frame <= frame).checked_sub(1)
    }

    /// The curve at `frame` in curve units, along segment `i` (the last knot at or before it), with
    /// a step from a hold segment ramped over `step_frames` from the step's frame.
    fn x_in(&self, i: Option<usize>, frame: u64) -> f64 {
        let Some(i) = i else { return self.knots.first().map_or(0.0, |k| k.x) };
        let k = self.knots[i];
        let along = match self.knots.get(i + 1) {
            Some(next) if k.shape != Shape::Hold => k.x + (next.x - k.x) * k.shape.progress((frame - k.frame) as f64 * k.inv_len),
            _ => k.x,
        };
        // Just after a step: from the held value to the curve, over the step's ramp.
        if i > 0 && self.step_frames > 0 {
            let prev = self.knots[i - 1];
            let into = frame - k.frame;
            if prev.shape == Shape::Hold && into < self.step_frames as u64 {
                let w = (into + 1) as f64 / self.step_frames as f64;
                return prev.x + (along - prev.x) * w;
            }
        }
        along
    }

    /// The parameter's value at `frame`, in its own units (dB, Hz, …). An empty curve gives 0.
    pub fn value_at(&self, frame: u64) -> f32 {
        self.value_near(&mut None, frame)
    }

    /// [`Curve::value_at`], the segment found from `hint` (the last one read: a step on from it)
    /// and left there for the next reading.
    pub(crate) fn value_near(&self, hint: &mut Option<usize>, frame: u64) -> f32 {
        *hint = self.segment_near(*hint, frame);
        self.scale.from_curve(self.x_in(*hint, frame))
    }

    /// [`Curve::segment`] of `frame`, found by walking on from `hint` (the segment of an earlier
    /// frame of the block) — a step or two as the frames move forward — else by bisection.
    fn segment_near(&self, hint: Option<usize>, frame: u64) -> Option<usize> {
        let mut i = match hint {
            Some(i) if self.knots.get(i).is_some_and(|k| k.frame <= frame) => i,
            None if self.knots.first().is_some_and(|k| k.frame > frame) => return None,
            _ => return self.segment(frame),
        };
        for _ in 0..4 {
            match self.knots.get(i + 1) {
                Some(k) if k.frame <= frame => i += 1,
                _ => return Some(i),
            }
        }
        self.segment(frame)
    }

}

/// A stretch of a lane (see [`CONVERT_GRID`]): frames `[p, q)` of one segment `seg`, with the
/// conversion taken exactly at `p` and at `q` (one or two outputs).
#[derive(Clone, Copy, Debug)]
struct Stretch {
    p: u64,
    q: u64,
    seg: Option<usize>,
    a: [f32; 2],
    b: [f32; 2],
}

/// A curve as the audio side plays it: the value last heard, so that a jump of the play position
/// (seek, loop wrap) ramps from it instead of clicking.
#[derive(Clone, Debug)]
pub struct Lane {
    curve: Curve,
    /// The last value given, in curve units (`None`: nothing yet: the next block lands at once).
    last: Option<f64>,
    /// The frame expected next: any other is a jump.
    next_frame: u64,
    /// A jump's ramp: its starting value, and the frames `[ramp_start, ramp_end)` it covers.
    ramp_from: f64,
    ramp_start: u64,
    ramp_end: u64,
    /// The last stretch, converted at both ends: the next block goes on along it, or starts the
    /// stretch after it from its end.
    carry: Option<Stretch>,
    /// The segment the last block ended in: where the next block's search starts (a walk of a
    /// step or two instead of a bisection of thousands of points, every block).
    seg: Option<usize>,
}

/// dB (curve units, [`FLOOR_DB`] and below silent) to a linear gain, by `expf` (`powf` costs
/// several times more, in WebAssembly most of all).
fn gain_of(db: f64) -> f32 {
    if db <= FLOOR_DB as f64 {
        0.0
    } else {
        libm::expf(db as f32 * (core::f32::consts::LN_10 / 20.0))
    }
}

/// Frames between the points where a curve's value is converted exactly to what the mix applies
/// (dB to a gain, a position to pan gains). The timeline is cut into stretches at multiples of this
/// many frames and at the curve's points; along a stretch the curve is one smooth segment, so the
/// conversion is taken exactly at its two ends and interpolated linearly between — `expf` and
/// trigonometry about once per 256 frames instead of every frame (a block going on along a
/// stretch reuses both its ends). The stretches depend on the curve and the timeline alone, so the
/// result is a function of the frame, whatever the block size. The deviation from the exact
/// conversion is second order in the change along a stretch: below 5e-3 dB for a ride of
/// 100 dB/s, below 1.1e-3 in a pan gain for a full sweep in a tenth of a second (at 44.1 kHz,
/// tested). The ramp after a step, and after a jump of the play position, is converted frame by
/// frame.
pub const CONVERT_GRID: u64 = 256;

/// 0, 1, 2, … as floats, one per frame of a block.
const COUNT: [f32; MAX_BLOCK] = {
    let mut c = [0.0; MAX_BLOCK];
    let mut k = 0;
    while k < MAX_BLOCK {
        c[k] = k as f32;
        k += 1;
    }
    c
};


impl Lane {
    pub fn new(curve: Curve) -> Lane {
        Lane { curve, last: None, next_frame: 0, ramp_from: 0.0, ramp_start: 0, ramp_end: 0, carry: None, seg: None }
    }

    /// The value last given, in the parameter's units (`None` before the first block).
    pub fn last_value(&self) -> Option<f32> {
        self.last.map(|x| self.curve.scale.from_curve(x))
    }

    /// Carries on from `value` (the parameter's units), heard just before this curve took over:
    /// the next block ramps from it to the curve.
    pub fn continue_from(&mut self, value: f32) {
        self.last = Some(self.curve.scale.to_curve(value));
        self.next_frame = u64::MAX;
    }

    /// Forgets what was converted (the conversion itself changed: a new pan law).
    pub fn forget_conversion(&mut self) {
        self.carry = None;
    }

    /// Forgets the value last heard: playback starts anew and lands on the curve at once.
    pub fn reset(&mut self) {
        self.last = None;
        self.ramp_end = 0;
    }

    /// Audio side: the parameter's values (its own units: dB, Hz, …) for `out.len()` (≤ MAX_BLOCK)
    /// frames from `start`.
    pub fn fill(&mut self, start: u64, out: &mut [f32]) {
        let scale = self.curve.scale;
        self.block(start, [out], |x| [scale.from_curve(x)]);
    }

    /// Audio side: like [`Lane::fill`], as linear gains for a dB curve (−∞ dB is 0) and as the
    /// value itself for any other (a switch gives 0 … 1, its steps ramped).
    pub fn fill_gain(&mut self, start: u64, out: &mut [f32]) {
        if self.curve.scale == Scale::Decibels {
            self.block(start, [out], |x| [gain_of(x)]);
        } else {
            self.block(start, [out], |x| [x as f32]);
        }
    }

    /// Audio side: the values converted by `convert` (from the parameter's units) into a pair of
    /// outputs each (a left and a right pan gain), written to `left` and `right`.
    pub fn fill_pair(&mut self, start: u64, left: &mut [f32], right: &mut [f32], convert: impl Fn(f32) -> [f32; 2]) {
        let scale = self.curve.scale;
        self.block(start, [left, right], |x| convert(scale.from_curve(x)));
    }

    /// One block into `outs` (as long as each other, ≤ MAX_BLOCK): from the curve (curve units)
    /// through `convert`, exactly on the [`CONVERT_GRID`] and on every frame near a corner or in
    /// a jump's ramp, interpolated between elsewhere.
    fn block<const N: usize>(&mut self, start: u64, mut outs: [&mut [f32]; N], convert: impl Fn(f64) -> [f32; N]) {
        const { assert!(N <= 2) };
        let n = outs.iter().map(|o| o.len()).min().unwrap_or(0).min(MAX_BLOCK);
        if n == 0 {
            return;
        }
        if let Some(last) = self.last {
            if start != self.next_frame && self.curve.step_frames > 0 {
                self.ramp_from = last;
                self.ramp_start = start;
                self.ramp_end = start + self.curve.step_frames as u64;
            }
        }
        let curve = &self.curve;
        let total = curve.step_frames as f64;
        let (ramp_from, ramp_start, ramp_end) = (self.ramp_from, self.ramp_start, self.ramp_end);
        // Playing on, the segment is the last block's or a step after it; a jump searches anew.
        let mut seg = if start == self.next_frame { curve.segment_near(self.seg, start) } else { curve.segment(start) };
        let mut last = 0.0;
        // The last stretch converted: a frame along it, or on from its end, reuses its ends.
        let mut cached = self.carry;
        let mut i = 0;
        while i < n {
            let frame = start + i as u64;
            seg = curve.segment_near(seg, frame);
            // The stretch holding this frame: between the grid points around it, cut at knots —
            // so one segment of the curve. Its ends depend on the grid and the curve alone, never
            // on where the block began.
            let grid = frame - frame % CONVERT_GRID;
            let p = seg.map_or(grid, |k| curve.knots[k].frame.max(grid));
            let q = seg.map_or(curve.knots.first().map(|k| k.frame), |k| curve.knots.get(k + 1).map(|k| k.frame)).map_or(grid + CONVERT_GRID, |f| f.min(grid + CONVERT_GRID));
            let end = (i + (q - frame) as usize).min(n);
            // After a step, its ramp (and a jump's) is no straight line: exact there.
            let in_step_ramp = seg.is_some_and(|k| k > 0 && curve.knots[k - 1].shape == Shape::Hold && p < curve.knots[k].frame + curve.step_frames as u64);
            if p >= ramp_end && !in_step_ramp {
                // Going on along the last stretch, or from its end: each end converted once.
                let wide = |v: [f32; N]| -> [f32; 2] { core::array::from_fn(|c| if c < N { v[c] } else { 0.0 }) };
                let (a, b) = match cached {
                    Some(c) if c.p == p && c.q == q && c.seg == seg => (c.a, c.b),
                    Some(c) if c.q == p && c.seg == seg => (c.b, wide(convert(curve.x_in(seg, q)))),
                    _ => (wide(convert(curve.x_in(seg, p))), wide(convert(curve.x_in(seg, q)))),
                };
                cached = Some(Stretch { p, q, seg, a, b });
                let inv = 1.0 / (q - p) as f32;
                // Frames into the stretch as floats: whole numbers, exact in f32, so the value
                // of a frame is the same whichever block computes it.
                let from = (frame - p) as f32;
                for (c, out) in outs.iter_mut().enumerate() {
                    let (a, d) = (a[c], (b[c] - a[c]) * inv);
                    for (o, k) in out[i..end].iter_mut().zip(&COUNT) {
                        *o = a + d * (from + k);
                    }
                }
                if end == n {
                    let f = start + n as u64 - 1;
                    last = curve.x_in(seg, f);
                }
            } else {
                for j in i..end {
                    let f = start + j as u64;
                    let mut x = curve.x_in(seg, f);
                    if f >= ramp_start && f < ramp_end {
                        let w = (f - ramp_start + 1) as f64 / total;
                        x = ramp_from + (x - ramp_from) * w;
                    }
                    let v = convert(x);
                    for (c, out) in outs.iter_mut().enumerate() {
                        out[j] = v[c];
                    }
                    last = x;
                }
            }
            i = end;
        }
        self.last = Some(last);
        self.seg = seg;
        self.next_frame = start + n as u64;
        self.carry = cached;
    }
}

/// Frames between the points at which automated insert parameters are set: processors recompute
/// their coefficients on their own grid (16 samples), so they are given the curve's value at every
/// multiple of this many frames of the timeline, whatever the host's block size. A continuous
/// parameter is given its value at the next grid point, which filters ramp their coefficients to
/// over [`INSERT_RAMP`] samples: between grid points the coefficients move linearly, and at each
/// they are where the curve is (to within one update interval).
pub const INSERT_GRID: u64 = 256;
/// Samples over which a filter ramps to an automated value: the grid less one update interval, so
/// each ramp ends before the next begins.
pub const INSERT_RAMP: usize = INSERT_GRID as usize - mixroom_dsp::filter::UPDATE_INTERVAL;

impl Scale {
    /// How a processor parameter's curve is interpolated: gains in dB, log-tapered values
    /// (frequencies, times, Q, ratios) in log, switches and choices in steps, the rest linearly.
    pub fn for_param(info: &ParamInfo) -> Scale {
        match (info.unit, info.taper) {
            (Unit::Toggle | Unit::Choice(_), _) => Scale::Steps,
            (_, Taper::Log) if info.min > 0.0 => Scale::Log,
            _ => Scale::Linear,
        }
    }
}

/// What a curve moves on a strip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// Trim, fader, pan, width or mute.
    Strip(StripParam),
    /// A send's level or its mute (by the send's index on the strip).
    Send(usize, SendParam),
    /// An insert's parameter (slot, the parameter's id in its kind's table).
    Insert(usize, usize),
    /// An insert's bypass (slot): 1 bypassed.
    Bypass(usize),
}

/// A send's curves.
#[derive(Clone, Debug, Default)]
pub struct SendLanes {
    pub(crate) level: Option<Lane>,
    pub(crate) mute: Option<Lane>,
}

/// An automated insert parameter (or bypass, `id` `None`), set on the [`INSERT_GRID`].
#[derive(Clone, Debug)]
pub(crate) struct InsertLane {
    pub slot: usize,
    pub id: Option<usize>,
    pub curve: Curve,
    /// The value last given to the processor (NaN: none yet), so a grid point that changes
    /// nothing costs nothing.
    pub applied: f32,
    /// The segment of the last grid point read: the next is found by a step from it.
    pub seg: Option<usize>,
}


/// Every curve of one strip, as the audio side plays them. Built on the control side from the
/// strip's `(Target, Curve)` list and swapped in whole ([`crate::Engine::set_automation`]).
#[derive(Clone, Debug, Default)]
pub struct StripLanes {
    pub(crate) trim: Option<Lane>,
    pub(crate) fader: Option<Lane>,
    pub(crate) pan: Option<Lane>,
    pub(crate) width: Option<Lane>,
    pub(crate) mute: Option<Lane>,
    /// By send index (as long as the highest automated send).
    pub(crate) sends: Vec<SendLanes>,
    /// By slot.
    pub(crate) inserts: Vec<InsertLane>,
}

impl StripLanes {
    /// Control side: the lanes of `curves` (empty curves and targets that cannot be automated
    /// are left out; of two curves for one target the last wins).
    pub fn new(curves: &[(Target, Curve)]) -> StripLanes {
        let mut lanes = StripLanes::default();
        for (target, curve) in curves.iter().filter(|(_, c)| !c.is_empty()) {
            let lane = || Some(Lane::new(curve.clone()));
            match *target {
                Target::Strip(StripParam::Trim) => lanes.trim = lane(),
                Target::Strip(StripParam::Fader) => lanes.fader = lane(),
                Target::Strip(StripParam::Pan) => lanes.pan = lane(),
                Target::Strip(StripParam::Width) => lanes.width = lane(),
                Target::Strip(StripParam::Mute) => lanes.mute = lane(),
                Target::Strip(_) => {}
                Target::Send(i, p) => {
                    if lanes.sends.len() <= i {
                        lanes.sends.resize_with(i + 1, SendLanes::default);
                    }
                    match p {
                        SendParam::Level => lanes.sends[i].level = lane(),
                        SendParam::Mute => lanes.sends[i].mute = lane(),
                        SendParam::PreFader => {}
                    }
                }
                Target::Insert(slot, id) => lanes.set_insert(slot, Some(id), curve),
                Target::Bypass(slot) => lanes.set_insert(slot, None, curve),
            }
        }
        lanes.inserts.sort_by_key(|l| l.slot);
        lanes
    }

    fn set_insert(&mut self, slot: usize, id: Option<usize>, curve: &Curve) {
        let lane = InsertLane { slot, id, curve: curve.clone(), applied: f32::NAN, seg: None };
        match self.inserts.iter_mut().find(|l| l.slot == slot && l.id == id) {
            Some(existing) => *existing = lane,
            None => self.inserts.push(lane),
        }
    }

    /// Playback starts anew: every lane lands on its curve at once.
    pub(crate) fn reset(&mut self) {
        for lane in [&mut self.trim, &mut self.fader, &mut self.pan, &mut self.width, &mut self.mute].into_iter().flatten() {
            lane.reset();
        }
        for s in &mut self.sends {
            for lane in [&mut s.level, &mut s.mute].into_iter().flatten() {
                lane.reset();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(scale: Scale, points: &[(u64, f32, Shape)]) -> Curve {
        let points: Vec<Point> = points.iter().map(|&(frame, value, shape)| Point { frame, value, shape }).collect();
        Curve::new(scale, &points, 48_000.0)
    }

    /// The bounds [`CONVERT_GRID`] states, against the exact conversion of every frame: a ride
    /// of 100 dB/s and a full pan sweep in a tenth of a second, at 44.1 kHz (the longest
    /// stretches in time), read in blocks of odd sizes.
    #[test]
    fn conversion_on_stretches_stays_within_its_stated_bounds() {
        let rate = 44_100.0;
        let ride = Curve::new(Scale::Decibels, &[Point { frame: 0, value: -80.0, shape: Shape::Linear }, Point { frame: 35_280, value: 0.0, shape: Shape::Linear }], rate);
        let mut lane = Lane::new(ride.clone());
        let sweep = Curve::new(Scale::Linear, &[Point { frame: 1_000, value: -1.0, shape: Shape::Linear }, Point { frame: 5_410, value: 1.0, shape: Shape::Linear }], rate);
        let mut pan = Lane::new(sweep.clone());
        let law = |p: f32| {
            let angle = (p as f64 + 1.0) * core::f64::consts::FRAC_PI_4;
            [libm::cos(angle) as f32, libm::sin(angle) as f32]
        };
        let (mut worst_db, mut worst_pan) = (0.0f64, 0.0f64);
        let (mut start, mut k) = (0u64, 0usize);
        let mut out = [[0.0f32; MAX_BLOCK]; 3];
        while start < 35_280 {
            let n = [1usize, 37, 128, 5, 200, 64][k % 6].min(MAX_BLOCK);
            k += 1;
            let [g, l, r] = &mut out;
            lane.fill_gain(start, &mut g[..n]);
            pan.fill_pair(start, &mut l[..n], &mut r[..n], law);
            for j in 0..n {
                let f = start + j as u64;
                let db = ride.value_at(f) as f64;
                if db > -60.0 {
                    worst_db = worst_db.max((20.0 * libm::log10(g[j] as f64) - db).abs());
                }
                let exact = law(sweep.value_at(f));
                worst_pan = worst_pan.max((l[j] - exact[0]).abs().max((r[j] - exact[1]).abs()) as f64);
            }
            start += n as u64;
        }
        assert!(worst_db < 5e-3, "{worst_db} dB");
        assert!(worst_pan < 1.1e-3, "{worst_pan}");
        assert!(worst_db > 1e-4 && worst_pan > 1e-5, "the interpolation is exercised: {worst_db}, {worst_pan}");
    }

    #[test]
    fn values_before_between_and_after_the_points() {
        let c = curve(Scale::Linear, &[(100, 1.0, Shape::Linear), (200, 3.0, Shape::Hold), (300, -1.0, Shape::Linear)]);
        assert_eq!(c.value_at(0), 1.0);
        assert_eq!(c.value_at(150), 2.0);
        assert_eq!(c.value_at(250), 3.0);
        assert_eq!(c.value_at(10_000), -1.0);
        assert_eq!(curve(Scale::Linear, &[]).value_at(5), 0.0);
    }

    #[test]
    fn frequencies_move_in_octaves_and_gains_in_decibels() {
        let f = curve(Scale::Log, &[(0, 100.0, Shape::Linear), (1_000, 1_600.0, Shape::Linear)]);
        // Halfway in time is halfway in octaves: 400 Hz, two octaves up of four.
        assert!((f.value_at(500) - 400.0).abs() < 1e-3, "{}", f.value_at(500));
        let g = curve(Scale::Decibels, &[(0, f32::NEG_INFINITY, Shape::Linear), (1_000, 0.0, Shape::Linear)]);
        assert_eq!(g.value_at(0), f32::NEG_INFINITY);
        assert!((g.value_at(500) - FLOOR_DB / 2.0).abs() < 1e-3);
    }

    #[test]
    fn bends_are_monotone_and_stay_between_their_points() {
        for bend in [-1.0, -0.5, -0.1, 0.0, 0.2, 0.7, 1.0, f32::NAN, 9.0] {
            let c = curve(Scale::Linear, &[(0, 2.0, Shape::Bend(bend)), (10_000, -3.0, Shape::Linear)]);
            let mut last = 2.0f32;
            for frame in 0..=10_000 {
                let v = c.value_at(frame);
                assert!(v <= last && (-3.0..=2.0).contains(&v), "bend {bend}, frame {frame}: {v} after {last}");
                last = v;
            }
            let mid = c.value_at(5_000);
            // Positive bends rise (here: fall) early, negative late.
            if bend > 0.0 && bend.is_finite() {
                assert!(mid < -0.5, "bend {bend}: {mid}");
            } else if bend < 0.0 {
                assert!(mid > -0.5, "bend {bend}: {mid}");
            }
        }
    }

    #[test]
    fn of_two_points_on_a_frame_the_last_given_wins_and_switches_step() {
        let c = curve(Scale::Linear, &[(100, 1.0, Shape::Linear), (100, 5.0, Shape::Linear), (200, 5.0, Shape::Linear)]);
        assert_eq!(c.value_at(100), 5.0);
        // A switch's linear segment is a step nonetheless, ramped over 3 ms (144 frames).
        let m = curve(Scale::Switch, &[(0, 0.0, Shape::Linear), (1_000, 1.0, Shape::Linear)]);
        assert_eq!(m.value_at(999), 0.0);
        assert!(m.value_at(1_000) > 0.0 && m.value_at(1_000) < 0.01);
        assert_eq!(m.value_at(1_143), 1.0);
        // Steps inside processors are taken at once.
        let s = curve(Scale::Steps, &[(0, 0.0, Shape::Linear), (1_000, 2.0, Shape::Linear)]);
        assert_eq!((s.value_at(999), s.value_at(1_000)), (0.0, 2.0));
    }

    #[test]
    fn hostile_values_give_finite_gains() {
        let c = curve(Scale::Decibels, &[(0, f32::NAN, Shape::Linear), (10, f32::INFINITY, Shape::Bend(f32::INFINITY)), (20, f32::MAX, Shape::Linear)]);
        let mut lane = Lane::new(c);
        let mut out = [0.0f32; MAX_BLOCK];
        lane.fill_gain(0, &mut out);
        assert!(out.iter().all(|g| g.is_finite() && *g <= 16.0), "{out:?}");
        let l = curve(Scale::Log, &[(0, -5.0, Shape::Linear), (5, f32::INFINITY, Shape::Linear)]);
        assert!((0..10).all(|f| l.value_at(f).is_finite()));
    }

    #[test]
    fn a_lane_ramps_over_a_jump_and_lands_at_once_after_a_reset() {
        let c = curve(Scale::Linear, &[(0, 0.0, Shape::Linear), (48_000, 1.0, Shape::Linear)]);
        let mut lane = Lane::new(c.clone());
        let mut out = [0.0f32; 16];
        // (Between grid points a value is interpolated: the curve's to rounding.)
        lane.fill(24_000, &mut out);
        assert!((out[0] - c.value_at(24_000)).abs() < 1e-6, "the first block lands at once");
        lane.fill(24_016, &mut out);
        assert!((out[0] - c.value_at(24_016)).abs() < 1e-6, "a block that follows on is the curve");
        // A jump back to frame 0: from 0.5 towards 0 over 144 frames.
        let mut long = [0.0f32; MAX_BLOCK];
        lane.fill(0, &mut long);
        assert!(long[0] > 0.49 && long[0] < 0.5, "{}", long[0]);
        assert!(long.windows(2).all(|w| w[1] <= w[0]));
        lane.reset();
        lane.fill(0, &mut out);
        assert_eq!(out[0], 0.0, "after a reset the curve at once");
    }
}
