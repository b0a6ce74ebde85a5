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

use mixroom_dsp::gain::db_to_gain;
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
        self.scale.from_curve(self.x_in(self.segment(frame), frame))
    }

    /// The values of `out.len()` consecutive frames from `start`, in curve units (dB, ln Hz, …).
    fn fill_curve(&self, start: u64, out: &mut [f64]) {
        let mut i = self.segment(start);
        for (j, x) in out.iter_mut().enumerate() {
            let frame = start + j as u64;
            // Walk on to the segment holding this frame (the frames only move forward).
            let next = i.map_or(0, |i| i + 1);
            if self.knots.get(next).is_some_and(|k| k.frame <= frame) {
                i = self.segment(frame);
            }
            *x = self.x_in(i, frame);
        }
    }
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
    /// A jump's ramp: its starting value and the frames left.
    ramp_from: f64,
    ramp_left: u32,
    /// The block's values in curve units.
    work: [f64; MAX_BLOCK],
}

impl Lane {
    pub fn new(curve: Curve) -> Lane {
        Lane { curve, last: None, next_frame: 0, ramp_from: 0.0, ramp_left: 0, work: [0.0; MAX_BLOCK] }
    }

    pub fn curve(&self) -> &Curve {
        &self.curve
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

    /// Forgets the value last heard: playback starts anew and lands on the curve at once.
    pub fn reset(&mut self) {
        self.last = None;
        self.ramp_left = 0;
    }

    /// Fills `work[..n]` with the values (curve units) of `n` frames from `start`, ramping from the
    /// last value heard if `start` is not where the last block ended.
    fn fill_work(&mut self, start: u64, n: usize) -> &[f64] {
        let out = &mut self.work[..n];
        self.curve.fill_curve(start, out);
        if let Some(last) = self.last {
            if start != self.next_frame && self.curve.step_frames > 0 {
                self.ramp_from = last;
                self.ramp_left = self.curve.step_frames;
            }
        }
        let total = self.curve.step_frames as f64;
        for x in out.iter_mut() {
            if self.ramp_left == 0 {
                break;
            }
            self.ramp_left -= 1;
            let w = (total - self.ramp_left as f64) / total;
            *x = self.ramp_from + (*x - self.ramp_from) * w;
        }
        if let Some(&x) = out.last() {
            self.last = Some(x);
        }
        self.next_frame = start + n as u64;
        &self.work[..n]
    }

    /// Audio side: the parameter's values (its own units: dB, Hz, …) for `out.len()` (≤ MAX_BLOCK)
    /// frames from `start`.
    pub fn fill(&mut self, start: u64, out: &mut [f32]) {
        let n = out.len().min(MAX_BLOCK);
        let scale = self.curve.scale;
        for (o, &x) in out.iter_mut().zip(self.fill_work(start, n)) {
            *o = scale.from_curve(x);
        }
    }

    /// Audio side: like [`Lane::fill`], as linear gains for a dB curve (−∞ dB is 0) and as the
    /// value itself for any other (a switch gives 0 … 1, its steps ramped).
    pub fn fill_gain(&mut self, start: u64, out: &mut [f32]) {
        let n = out.len().min(MAX_BLOCK);
        let db = self.curve.scale == Scale::Decibels;
        for (o, &x) in out.iter_mut().zip(self.fill_work(start, n)) {
            *o = if db { db_to_gain(x as f32) } else { x as f32 };
        }
    }
}

/// Frames between the points at which automated insert parameters are set: processors recompute
/// their coefficients on their own grid, so they are given the curve's value at every multiple of
/// this many frames of the timeline, whatever the host's block size.
pub const INSERT_GRID: u64 = 16;

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

    /// How a strip parameter's curve is interpolated (`None`: it cannot be automated).
    pub fn for_strip(p: StripParam) -> Option<Scale> {
        match p {
            StripParam::Trim | StripParam::Fader => Some(Scale::Decibels),
            StripParam::Pan | StripParam::Width => Some(Scale::Linear),
            StripParam::Mute => Some(Scale::Switch),
            _ => None,
        }
    }

    /// How a send parameter's curve is interpolated (`None`: it cannot be automated).
    pub fn for_send(p: SendParam) -> Option<Scale> {
        match p {
            SendParam::Level => Some(Scale::Decibels),
            SendParam::Mute => Some(Scale::Switch),
            SendParam::PreFader => None,
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
        let lane = InsertLane { slot, id, curve: curve.clone(), applied: f32::NAN };
        match self.inserts.iter_mut().find(|l| l.slot == slot && l.id == id) {
            Some(existing) => *existing = lane,
            None => self.inserts.push(lane),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.trim.is_none()
            && self.fader.is_none()
            && self.pan.is_none()
            && self.width.is_none()
            && self.mute.is_none()
            && self.sends.iter().all(|s| s.level.is_none() && s.mute.is_none())
            && self.inserts.is_empty()
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
        lane.fill(24_000, &mut out);
        assert_eq!(out[0], c.value_at(24_000), "the first block lands at once");
        lane.fill(24_016, &mut out);
        assert_eq!(out[0], c.value_at(24_016), "a block that follows on is the curve");
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
