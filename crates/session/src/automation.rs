//! Automation in the session (since format 5): each strip's lanes — a parameter and its points —
//! and how the strip plays and records them ([`AutomationMode`]).
//!
//! A lane names its parameter with a short address ([`Param`]): `fader`, `trim`, `pan`, `width`,
//! `mute`, `send/<index>/level`, `send/<index>/on`, `insert/<slot>/<parameter key>`,
//! `insert/<slot>/bypass`. Points hold values in the parameter's own units (dB, Hz, −1 … +1,
//! 1 = on), a fader or send at −∞ written `null`. The engine's form is built by
//! [`strip_curves`]; the edits that renumber sends and inserts renumber their lanes with them.

use serde::{Deserialize, Serialize};

use mixroom_engine::automation::{Curve, Point, Scale, Shape, Target};
use mixroom_engine::{InsertKind, SendParam, StripParam};

use crate::{Session, SessionError, Strip, StripRef};

/// One automated parameter of a strip: its address and its points, in time order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AutomationLane {
    /// What the lane moves (see [`Param`]).
    pub param: String,
    #[serde(default)]
    pub points: Vec<AutomationPoint>,
}

/// A value at a frame, and the shape of the curve from it to the next point.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AutomationPoint {
    pub frame: u64,
    /// In the parameter's units; `null` is −∞ dB (a closed fader or send).
    #[serde(with = "crate::db_or_null")]
    pub value: f32,
    #[serde(default, skip_serializing_if = "PointShape::is_linear")]
    pub shape: PointShape,
    /// For [`PointShape::Curve`]: −1 … +1, positive rising early.
    #[serde(default, skip_serializing_if = "is_zero", deserialize_with = "crate::nan_if_null::f32")]
    pub bend: f32,
}

fn is_zero(x: &f32) -> bool {
    *x == 0.0
}

/// The shape of the curve from a point to the next.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PointShape {
    /// Holds, then steps at the next point.
    Hold,
    #[default]
    Linear,
    /// Bent by the point's `bend`, never overshooting.
    Curve,
}

impl PointShape {
    fn is_linear(&self) -> bool {
        *self == PointShape::Linear
    }

    pub const ALL: [PointShape; 3] = [PointShape::Hold, PointShape::Linear, PointShape::Curve];

    pub fn label(self) -> &'static str {
        match self {
            PointShape::Hold => "Hold",
            PointShape::Linear => "Linear",
            PointShape::Curve => "Curve",
        }
    }
}

/// How a strip plays and records its automation, as in Pro Tools: Off (ignored), Read (played),
/// Touch (written while a control is held, back to the curve on release), Latch (written from the
/// first move until Stop), Write (written over the whole pass), Trim (moves written relative, in
/// dB, over the curve).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AutomationMode {
    Off,
    #[default]
    Read,
    Touch,
    Latch,
    Write,
    Trim,
}

impl AutomationMode {
    pub const ALL: [AutomationMode; 6] = [AutomationMode::Off, AutomationMode::Read, AutomationMode::Touch, AutomationMode::Latch, AutomationMode::Write, AutomationMode::Trim];

    pub(crate) fn is_read(&self) -> bool {
        *self == AutomationMode::Read
    }

    pub fn label(self) -> &'static str {
        match self {
            AutomationMode::Off => "Off",
            AutomationMode::Read => "Read",
            AutomationMode::Touch => "Touch",
            AutomationMode::Latch => "Latch",
            AutomationMode::Write => "Write",
            AutomationMode::Trim => "Trim",
        }
    }

    /// Whether the strip's curves play.
    pub fn plays(self) -> bool {
        self != AutomationMode::Off
    }
}

/// A parameter a lane can move, parsed from its address.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Param {
    Trim,
    Fader,
    Pan,
    Width,
    Mute,
    /// A send's level, dB (by the send's index on the strip).
    SendLevel(usize),
    /// A send on (1) or off (0).
    SendOn(usize),
    /// An insert's parameter: slot and the parameter's key in its kind's table.
    Insert(usize, String),
    /// An insert bypassed (1) or in (0).
    Bypass(usize),
}

/// What a parameter's values may be: its range, and how its curve is interpolated.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamRange {
    pub min: f32,
    pub max: f32,
    /// −∞ is a value (a fader or send closed), below `min`.
    pub closes: bool,
    pub scale: Scale,
}

impl ParamRange {
    /// `value` within the range (switches and choices rounded); `None` for NaN.
    pub fn clamp(&self, value: f32) -> Option<f32> {
        if value.is_nan() {
            return None;
        }
        if self.closes && value == f32::NEG_INFINITY {
            return Some(value);
        }
        let v = value.clamp(self.min, self.max);
        Some(if matches!(self.scale, Scale::Switch | Scale::Steps) { v.round() } else { v })
    }
}

impl Param {
    /// The parameter at an address (`None`: not an address).
    pub fn parse(address: &str) -> Option<Param> {
        let mut parts = address.split('/');
        let p = match (parts.next()?, parts.next(), parts.next()) {
            ("trim", None, None) => Param::Trim,
            ("fader", None, None) => Param::Fader,
            ("pan", None, None) => Param::Pan,
            ("width", None, None) => Param::Width,
            ("mute", None, None) => Param::Mute,
            ("send", Some(i), Some("level")) => Param::SendLevel(index(i)?),
            ("send", Some(i), Some("on")) => Param::SendOn(index(i)?),
            ("insert", Some(i), Some("bypass")) => Param::Bypass(index(i)?),
            ("insert", Some(i), Some(key)) if !key.is_empty() => Param::Insert(index(i)?, key.to_owned()),
            _ => return None,
        };
        parts.next().is_none().then_some(p)
    }

    /// Its address, as lanes store it.
    pub fn address(&self) -> String {
        match self {
            Param::Trim => "trim".into(),
            Param::Fader => "fader".into(),
            Param::Pan => "pan".into(),
            Param::Width => "width".into(),
            Param::Mute => "mute".into(),
            Param::SendLevel(i) => format!("send/{i}/level"),
            Param::SendOn(i) => format!("send/{i}/on"),
            Param::Insert(slot, key) => format!("insert/{slot}/{key}"),
            Param::Bypass(slot) => format!("insert/{slot}/bypass"),
        }
    }

    /// The parameter's range on `strip` (`None`: the strip has no such send, insert or setting).
    pub fn range(&self, strip: &Strip) -> Option<ParamRange> {
        let db = |min: f32, max: f32, closes: bool| ParamRange { min, max, closes, scale: Scale::Decibels };
        let switch = ParamRange { min: 0.0, max: 1.0, closes: false, scale: Scale::Switch };
        Some(match self {
            Param::Trim => db(-crate::limits::TRIM_RANGE_DB, crate::limits::TRIM_RANGE_DB, false),
            // Below −144 dB a fader is closed: the curve runs down to there.
            Param::Fader => db(mixroom_dsp::gain::SILENCE_DB, crate::limits::FADER_MAX_DB, true),
            Param::Pan => ParamRange { min: -1.0, max: 1.0, closes: false, scale: Scale::Linear },
            Param::Width => ParamRange { min: 0.0, max: 2.0, closes: false, scale: Scale::Linear },
            Param::Mute => switch,
            Param::SendLevel(i) => {
                strip.sends.get(*i)?;
                db(mixroom_dsp::gain::SILENCE_DB, crate::limits::SEND_MAX_DB, true)
            }
            Param::SendOn(i) => {
                strip.sends.get(*i)?;
                switch
            }
            Param::Insert(slot, key) => {
                let kind = InsertKind::from_key(&strip.inserts.get(*slot)?.kind)?;
                let info = kind.params().iter().find(|p| p.key == key)?;
                ParamRange { min: info.min, max: info.max, closes: false, scale: Scale::for_param(info) }
            }
            Param::Bypass(slot) => {
                strip.inserts.get(*slot)?;
                switch
            }
        })
    }

    /// What the engine moves for it, and how a value of it becomes the engine's (a send's "on"
    /// is the engine's mute turned round).
    fn target(&self, strip: &Strip) -> Option<(Target, fn(f32) -> f32)> {
        let same = |v: f32| v;
        let flip = |v: f32| 1.0 - v;
        Some(match self {
            Param::Trim => (Target::Strip(StripParam::Trim), same),
            Param::Fader => (Target::Strip(StripParam::Fader), same),
            Param::Pan => (Target::Strip(StripParam::Pan), same),
            Param::Width => (Target::Strip(StripParam::Width), same),
            Param::Mute => (Target::Strip(StripParam::Mute), same),
            Param::SendLevel(i) => (Target::Send(*i, SendParam::Level), same),
            Param::SendOn(i) => (Target::Send(*i, SendParam::Mute), flip),
            Param::Insert(slot, key) => {
                let kind = InsertKind::from_key(&strip.inserts.get(*slot)?.kind)?;
                let id = kind.params().iter().position(|p| p.key == key)?;
                (Target::Insert(*slot, id), same)
            }
            Param::Bypass(slot) => (Target::Bypass(*slot), same),
        })
    }

    /// Its name for the engineer, on `strip`: "Fader", "Send 2 level", "EQ 1: Low-mid gain".
    pub fn label(&self, strip: &Strip) -> String {
        let insert = |slot: usize| strip.inserts.get(slot).and_then(|i| InsertKind::from_key(&i.kind));
        match self {
            Param::Trim => "Trim".into(),
            Param::Fader => "Volume".into(),
            Param::Pan => "Pan".into(),
            Param::Width => "Width".into(),
            Param::Mute => "Mute".into(),
            Param::SendLevel(i) => format!("Send {} level", i + 1),
            Param::SendOn(i) => format!("Send {} on", i + 1),
            Param::Insert(slot, key) => {
                let kind = insert(*slot);
                let name = kind.and_then(|k| k.params().iter().find(|p| p.key == key)).map_or(key.as_str(), |p| p.name);
                format!("{} {}: {name}", kind.map_or("Insert", |k| k.label()), slot + 1)
            }
            Param::Bypass(slot) => format!("{} {}: bypass", insert(*slot).map_or("Insert", |k| k.label()), slot + 1),
        }
    }

    /// The parameter's value as the strip is set (what a lane starts from).
    pub fn setting(&self, strip: &Strip) -> Option<f32> {
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        Some(match self {
            Param::Trim => strip.trim_db,
            Param::Fader => strip.fader_db,
            Param::Pan => strip.pan,
            Param::Width => strip.width,
            Param::Mute => flag(strip.mute),
            Param::SendLevel(i) => strip.sends.get(*i)?.level_db,
            Param::SendOn(i) => flag(!strip.sends.get(*i)?.muted),
            Param::Insert(slot, key) => {
                let insert = strip.inserts.get(*slot)?;
                let kind = InsertKind::from_key(&insert.kind)?;
                let info = kind.params().iter().find(|p| p.key == key)?;
                insert.params.get(key).copied().unwrap_or(info.default)
            }
            Param::Bypass(slot) => flag(strip.inserts.get(*slot)?.bypass),
        })
    }

    /// Every parameter of `strip` that can be automated, strip settings first, then each send,
    /// then each insert's parameters in its table's order and its bypass.
    pub fn all(strip: &Strip) -> Vec<Param> {
        let mut all = vec![Param::Fader, Param::Pan, Param::Width, Param::Mute, Param::Trim];
        for i in 0..strip.sends.len() {
            all.extend([Param::SendLevel(i), Param::SendOn(i)]);
        }
        for (slot, insert) in strip.inserts.iter().enumerate() {
            if let Some(kind) = InsertKind::from_key(&insert.kind) {
                all.extend(kind.params().iter().map(|p| Param::Insert(slot, p.key.to_owned())));
                all.push(Param::Bypass(slot));
            }
        }
        all
    }
}

fn index(s: &str) -> Option<usize> {
    // Plain decimal only: "01" or "+1" would be a second address of one parameter.
    (s == "0" || (!s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit()))).then(|| s.parse().ok()).flatten()
}

impl AutomationPoint {
    /// The engine's point: the same frame and value, the shape with its bend.
    pub fn to_engine(&self) -> Point {
        let shape = match self.shape {
            PointShape::Hold => Shape::Hold,
            PointShape::Linear => Shape::Linear,
            PointShape::Curve => Shape::Bend(self.bend),
        };
        Point { frame: self.frame, value: self.value, shape }
    }
}

/// The curve through `points` of a parameter of `range` (none without points).
fn curve_through(points: &[AutomationPoint], range: ParamRange, sample_rate: u32) -> Option<Curve> {
    let engine: Vec<Point> = points.iter().map(AutomationPoint::to_engine).collect();
    (!engine.is_empty()).then(|| Curve::new(range.scale, &engine, sample_rate as f32))
}

/// The curves the engine plays for `strip` of `session`: none when automation is suspended or
/// the strip's mode is Off; lanes whose parameter the strip lacks are left out (a checked session
/// has none).
pub(crate) fn strip_curves(session: &Session, strip: &Strip) -> Vec<(Target, Curve)> {
    strip_points(session, strip).into_iter().map(|(target, points, scale)| (target, Curve::new(scale, &points, session.sample_rate as f32))).collect()
}

impl Strip {
    /// The lane of `param`, if the strip has one.
    pub fn lane(&self, param: &Param) -> Option<&AutomationLane> {
        let address = param.address();
        self.automation.iter().find(|l| l.param == address)
    }

    /// The value of `param` at `frame` as automation plays it (the setting where no curve plays).
    pub fn automated_value(&self, param: &Param, frame: u64, sample_rate: u32, suspended: bool) -> Option<f32> {
        let setting = param.setting(self)?;
        if suspended || !self.automation_mode.plays() {
            return Some(setting);
        }
        Some(self.curve(param, sample_rate).map_or(setting, |c| c.value_at(frame)))
    }

    /// The curve of `param`'s lane, in the parameter's units (none without a lane or points).
    pub fn curve(&self, param: &Param, sample_rate: u32) -> Option<Curve> {
        curve_through(&self.lane(param)?.points, param.range(self)?, sample_rate)
    }

    /// Renumbers the lanes of inserts after the slots change: `map(old slot)` is the new slot, or
    /// `None` for an insert removed (its lanes go with it).
    pub(crate) fn renumber_insert_lanes(&mut self, map: impl Fn(usize) -> Option<usize>) {
        self.renumber(|p| match p {
            Param::Insert(slot, key) => map(slot).map(|s| Param::Insert(s, key)),
            Param::Bypass(slot) => map(slot).map(Param::Bypass),
            other => Some(other),
        });
    }

    /// Renumbers the lanes of sends after the sends change (as [`Strip::renumber_insert_lanes`]).
    pub(crate) fn renumber_send_lanes(&mut self, map: impl Fn(usize) -> Option<usize>) {
        self.renumber(|p| match p {
            Param::SendLevel(i) => map(i).map(Param::SendLevel),
            Param::SendOn(i) => map(i).map(Param::SendOn),
            other => Some(other),
        });
    }

    fn renumber(&mut self, map: impl Fn(Param) -> Option<Param>) {
        self.automation.retain_mut(|lane| match Param::parse(&lane.param) {
            Some(p) => match map(p) {
                Some(new) => {
                    lane.param = new.address();
                    true
                }
                None => false,
            },
            // An address that does not read is the checker's to report: left as it is.
            None => true,
        });
    }
}

/// How a recorded pass ends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PassEnd {
    /// Touch released: back to the curve over `return_frames`.
    Release { return_frames: u64 },
    /// Latch or Write stopped (or a Touch still held at Stop): the pass ends on its last value, the
    /// curve after the stop untouched.
    Stop,
}

/// A point of the curve `lane` (in `range`) at `frame`, splitting its segment: the value there and
/// the shape of the segment it falls in, so the curve after it is as it was.
fn split_at(points: &[AutomationPoint], frame: u64, range: ParamRange, sample_rate: u32) -> Option<AutomationPoint> {
    let value = curve_through(points, range, sample_rate)?.value_at(frame);
    let holder = points.iter().rev().find(|p| p.frame <= frame).unwrap_or(&points[0]);
    Some(AutomationPoint { frame, value, shape: holder.shape, bend: holder.bend })
}

/// Thins a recorded stream so a ride stays editable: the fewest points whose straight lines (in
/// the parameter's curve units: dB, octaves) stay within `tolerance` of every recorded value
/// (Ramer–Douglas–Peucker). Switches are never thinned, only repeats dropped.
pub fn thin(points: &[(u64, f32)], range: ParamRange, tolerance: f32) -> Vec<(u64, f32)> {
    if points.len() <= 2 {
        return points.to_vec();
    }
    if matches!(range.scale, Scale::Switch | Scale::Steps) {
        let mut out: Vec<(u64, f32)> = Vec::new();
        for &p in points {
            if out.last().is_none_or(|l| l.1 != p.1) {
                out.push(p);
            }
        }
        if out.last() != points.last() {
            out.push(*points.last().unwrap_or(&points[0]));
        }
        return out;
    }
    let unit = |v: f32| -> f64 {
        match range.scale {
            Scale::Decibels => (v.max(mixroom_dsp::gain::SILENCE_DB)) as f64,
            Scale::Log => (v.max(1e-9) as f64).log2(),
            _ => v as f64,
        }
    };
    let mut keep = vec![false; points.len()];
    keep[0] = true;
    keep[points.len() - 1] = true;
    // An explicit stack: a long ride must not recurse deeply.
    let mut stack = vec![(0usize, points.len() - 1)];
    while let Some((a, b)) = stack.pop() {
        let (fa, va) = (points[a].0 as f64, unit(points[a].1));
        let (fb, vb) = (points[b].0 as f64, unit(points[b].1));
        let mut worst = (0.0f64, 0usize);
        for (k, p) in points.iter().enumerate().take(b).skip(a + 1) {
            let t = if fb > fa { (p.0 as f64 - fa) / (fb - fa) } else { 0.0 };
            let d = (unit(p.1) - (va + (vb - va) * t)).abs();
            if d > worst.0 {
                worst = (d, k);
            }
        }
        if worst.0 > tolerance as f64 {
            keep[worst.1] = true;
            stack.push((a, worst.1));
            stack.push((worst.1, b));
        }
    }
    points.iter().zip(keep).filter(|(_, k)| *k).map(|(p, _)| *p).collect()
}

/// The thinning tolerance a recorded pass of a parameter gets unless told otherwise: 0.1 dB for
/// levels, 1/100 octave for log-scaled values, 0.2 % of the range for the rest.
pub fn default_tolerance(range: ParamRange) -> f32 {
    match range.scale {
        Scale::Decibels => 0.1,
        Scale::Log => 0.01,
        Scale::Switch | Scale::Steps => 0.0,
        Scale::Linear => (range.max - range.min) * 0.002,
    }
}

impl Session {
    fn automation_target(&self, r: StripRef, param: &Param) -> Result<ParamRange, SessionError> {
        let strip = self.strip(r).ok_or_else(|| SessionError::Invalid("that strip does not exist".into()))?;
        param.range(strip).ok_or_else(|| SessionError::Invalid(format!("{} has no {}", self.strip_name(r), param.address())))
    }

    /// Sets the points of `param`'s lane on strip `r` (a lane left without points is removed):
    /// put in time order, values within the parameter's range, frames within the timeline.
    pub fn set_automation(&mut self, r: StripRef, param: &Param, mut points: Vec<AutomationPoint>) -> Result<(), SessionError> {
        let range = self.automation_target(r, param)?;
        let end = crate::limits::timeline_frames(self.sample_rate);
        if points.len() > crate::limits::AUTOMATION_POINTS {
            return Err(SessionError::Invalid(format!("a lane holds at most {} points", crate::limits::AUTOMATION_POINTS)));
        }
        points.retain(|p| !p.value.is_nan());
        for p in &mut points {
            p.frame = p.frame.min(end);
            p.value = range.clamp(p.value).unwrap_or(range.min);
            p.bend = if p.bend.is_finite() { p.bend.clamp(-1.0, 1.0) } else { 0.0 };
        }
        points.sort_by_key(|p| p.frame);
        let address = param.address();
        let strip = self.strip_mut(r).ok_or_else(|| SessionError::Invalid("that strip does not exist".into()))?;
        let at = strip.automation.iter().position(|l| l.param == address);
        match (at, points.is_empty()) {
            (Some(i), true) => {
                strip.automation.remove(i);
            }
            (Some(i), false) => strip.automation[i].points = points,
            (None, true) => {}
            (None, false) => strip.automation.push(AutomationLane { param: address, points }),
        }
        Ok(())
    }

    /// The points of `param`'s lane on strip `r` (none if it has no lane).
    pub fn automation_points(&self, r: StripRef, param: &Param) -> Vec<AutomationPoint> {
        self.strip(r).and_then(|s| s.lane(param)).map_or(Vec::new(), |l| l.points.clone())
    }

    pub fn set_automation_mode(&mut self, r: StripRef, mode: AutomationMode) -> Result<(), SessionError> {
        self.strip_mut(r).ok_or_else(|| SessionError::Invalid("that strip does not exist".into()))?.automation_mode = mode;
        Ok(())
    }

    /// "Suspend all automation": every strip plays its settings.
    pub fn set_automation_suspended(&mut self, suspended: bool) {
        self.automation_suspended = suspended;
    }

    /// Writes a pass recorded by performance into `param`'s lane on strip `r`: `recorded` holds
    /// the control's values (its units; for a Trim pass, dB offsets from where the control was
    /// touched) at the frames they were heard, in time order. The curve is replaced exactly over
    /// the span the pass covered — from its first frame to its last, and for a Touch release on
    /// to the end of its return — with guard points at both edges so the curve outside is as it
    /// was; nothing after the span is touched. The stream is thinned within `tolerance`
    /// (curve units, see [`thin`]).
    pub fn write_pass(&mut self, r: StripRef, param: &Param, recorded: &[(u64, f32)], end: PassEnd, trim: bool, tolerance: f32) -> Result<(), SessionError> {
        let range = self.automation_target(r, param)?;
        // On the timeline and in time order, whatever the caller gave.
        let timeline = crate::limits::timeline_frames(self.sample_rate);
        let mut recorded: Vec<(u64, f32)> = recorded.iter().map(|&(f, v)| (f.min(timeline), v)).collect();
        recorded.sort_by_key(|p| p.0);
        let (Some(&(start, _)), Some(&(last_frame, _))) = (recorded.first(), recorded.last()) else { return Ok(()) };
        let rate = self.sample_rate;
        let old = self.automation_points(r, param);
        let setting = self.strip(r).and_then(|s| param.setting(s)).unwrap_or(0.0);
        // The old curve (the setting where there is none), as a function of the frame.
        let old_at = |frame: u64| split_at(&old, frame, range, rate).map_or(setting, |p| p.value);
        let stream: Vec<(u64, f32)> = recorded
            .iter()
            .filter(|(_, v)| !v.is_nan())
            .map(|&(f, v)| (f, if trim { old_at(f) + v } else { v }))
            .map(|(f, v)| (f, range.clamp(v).unwrap_or(range.min)))
            .collect();
        let mut stream = thin(&stream, range, tolerance);
        if trim {
            // The old curve's own points inside the span move by the offset there.
            let offset_at = |frame: u64| -> f32 {
                let i = recorded.partition_point(|(f, _)| *f <= frame).max(1) - 1;
                recorded[i].1
            };
            for p in old.iter().filter(|p| p.frame > start && p.frame < last_frame) {
                stream.push((p.frame, range.clamp(p.value + offset_at(p.frame)).unwrap_or(range.min)));
            }
            stream.sort_by_key(|p| p.0);
            stream.dedup_by_key(|p| p.0);
        }
        let span_end = match end {
            PassEnd::Release { return_frames } => last_frame.saturating_add(return_frames.max(1)),
            PassEnd::Stop => last_frame.saturating_add(1),
        };
        let mut points: Vec<AutomationPoint> = old.iter().filter(|p| p.frame < start).copied().collect();
        // Guard in: the old curve up to the pass, held there, then the pass (a de-clicked step
        // if it starts elsewhere).
        if !old.is_empty() || start > 0 {
            points.push(AutomationPoint { frame: start, value: old_at(start), shape: PointShape::Hold, bend: 0.0 });
        }
        let n = stream.len();
        for (k, &(frame, value)) in stream.iter().enumerate() {
            let frame = if points.last().is_some_and(|p| p.frame >= frame) { points.last().map_or(frame, |p| p.frame.saturating_add(1)) } else { frame };
            // A Stop ends on the last value, held until the old curve takes over just after.
            let shape = if k + 1 == n && end == PassEnd::Stop { PointShape::Hold } else { PointShape::Linear };
            points.push(AutomationPoint { frame, value, shape, bend: 0.0 });
        }
        // Guard out: the old curve from the end of the span on, as it was.
        let after = old.iter().filter(|p| p.frame > span_end).copied();
        if let Some(guard) = split_at(&old, span_end, range, rate).or(Some(AutomationPoint { frame: span_end, value: setting, shape: PointShape::Linear, bend: 0.0 })) {
            points.push(guard);
        }
        points.extend(after);
        self.set_automation(r, param, points)
    }

    /// Scales a region of `param`'s lane up or down: every point in `[start, end]` moves by
    /// `delta_db` (a dB parameter), with guard points at the region's edges keeping the curve
    /// outside it.
    pub fn trim_automation(&mut self, r: StripRef, param: &Param, start: u64, end: u64, delta_db: f32) -> Result<(), SessionError> {
        let range = self.automation_target(r, param)?;
        if range.scale != Scale::Decibels {
            return Err(SessionError::Invalid(format!("{} is not a level: it cannot be trimmed in dB", param.address())));
        }
        let old = self.automation_points(r, param);
        let timeline = crate::limits::timeline_frames(self.sample_rate);
        let (start, end) = (start.min(timeline), end.min(timeline));
        if old.is_empty() || end <= start || !delta_db.is_finite() {
            return Ok(());
        }
        let rate = self.sample_rate;
        let mut points: Vec<AutomationPoint> = old.iter().filter(|p| p.frame < start).copied().collect();
        let edges = [split_at(&old, start, range, rate), split_at(&old, end, range, rate)];
        let inside = edges[0].into_iter().chain(old.iter().filter(|p| p.frame > start && p.frame < end).copied()).chain(edges[1]);
        points.extend(inside.map(|p| AutomationPoint { value: p.value + delta_db, ..p }));
        // The curve outside as it was: guard points a frame beyond each edge.
        if start > 0 {
            if let Some(g) = split_at(&old, start - 1, range, rate) {
                points.insert(points.partition_point(|p| p.frame < start), g);
            }
        }
        if let Some(g) = split_at(&old, end + 1, range, rate) {
            points.push(g);
        }
        points.extend(old.iter().filter(|p| p.frame > end + 1).copied());
        self.set_automation(r, param, points)
    }
}

/// The curves of strip `strip` (engine id) as numbers, for the worklet's message: `[strip, count,
/// then per curve: kind (0 strip, 1 send, 2 insert, 3 bypass), a, b, scale (0 linear, 1 dB, 2
/// log, 3 switch, 4 steps), points, then per point: frame, value, shape (0 hold, 1 linear, 2
/// bend), bend]`.
pub fn pack(strip: usize, curves: &[(Target, Vec<Point>, Scale)]) -> Vec<f64> {
    let mut out = vec![strip as f64, curves.len() as f64];
    for (target, points, scale) in curves {
        let (kind, a, b) = match *target {
            Target::Strip(p) => (0, p as usize, 0),
            Target::Send(i, p) => (1, i, p as usize),
            Target::Insert(slot, id) => (2, slot, id),
            Target::Bypass(slot) => (3, slot, 0),
        };
        let scale = [Scale::Linear, Scale::Decibels, Scale::Log, Scale::Switch, Scale::Steps].iter().position(|s| s == scale).unwrap_or(0);
        out.extend([kind as f64, a as f64, b as f64, scale as f64, points.len() as f64]);
        for p in points {
            let (shape, bend) = match p.shape {
                Shape::Hold => (0.0, 0.0),
                Shape::Linear => (1.0, 0.0),
                Shape::Bend(b) => (2.0, b as f64),
            };
            out.extend([p.frame as f64, p.value as f64, shape, bend]);
        }
    }
    out
}

/// The strip and its curves from [`pack`]'s numbers (`None` if they do not read).
pub fn unpack(data: &[f64], sample_rate: f32) -> Option<(usize, Vec<(Target, Curve)>)> {
    let mut it = data.iter().copied();
    let mut next = || it.next().filter(|x| x.is_finite() || x.is_infinite());
    let count = |x: f64| (x >= 0.0 && x <= u32::MAX as f64).then_some(x as usize);
    let strip = count(next()?)?;
    let curves = count(next()?)?;
    let mut out = Vec::with_capacity(curves.min(4_096));
    for _ in 0..curves {
        let (kind, a, b, scale, n) = (next()?, count(next()?)?, count(next()?)?, count(next()?)?, count(next()?)?);
        let target = match kind as u32 {
            0 => Target::Strip(StripParam::from_id(a as u32)?),
            1 => Target::Send(a, SendParam::from_id(b as u32)?),
            2 => Target::Insert(a, b),
            3 => Target::Bypass(a),
            _ => return None,
        };
        let scale = *[Scale::Linear, Scale::Decibels, Scale::Log, Scale::Switch, Scale::Steps].get(scale)?;
        let mut points = Vec::with_capacity(n.min(data.len() / 4));
        for _ in 0..n {
            let (frame, value, shape, bend) = (next()?, next()?, next()?, next()?);
            let shape = match shape as u32 {
                0 => Shape::Hold,
                1 => Shape::Linear,
                _ => Shape::Bend(bend as f32),
            };
            points.push(Point { frame: frame.max(0.0) as u64, value: value as f32, shape });
        }
        out.push((target, Curve::new(scale, &points, sample_rate)));
    }
    Some((strip, out))
}

/// The curves strip `r` plays, packed for the worklet (see [`pack`]).
pub fn pack_strip(session: &Session, r: StripRef) -> Option<Vec<f64>> {
    Some(pack(session.strip_id(r), &strip_points(session, session.strip(r)?)))
}

/// [`pack_strip`] without the curves of `params`: what the engine plays while passes record them.
pub fn pack_strip_without(session: &Session, r: StripRef, params: &[Param]) -> Option<Vec<f64>> {
    let strip = session.strip(r)?;
    let skip: Vec<Target> = params.iter().filter_map(|p| p.target(strip).map(|(t, _)| t)).collect();
    let points: Vec<_> = strip_points(session, strip).into_iter().filter(|(t, _, _)| !skip.contains(t)).collect();
    Some(pack(session.strip_id(r), &points))
}

/// The points the engine plays for each lane of `strip` (see [`strip_curves`]).
pub(crate) fn strip_points(session: &Session, strip: &Strip) -> Vec<(Target, Vec<Point>, Scale)> {
    if session.automation_suspended || !strip.automation_mode.plays() {
        return Vec::new();
    }
    strip
        .automation
        .iter()
        .filter(|lane| !lane.points.is_empty())
        .filter_map(|lane| {
            let param = Param::parse(&lane.param)?;
            let range = param.range(strip)?;
            let (target, to_engine) = param.target(strip)?;
            Some((target, lane.points.iter().map(|p| Point { value: to_engine(p.value), ..p.to_engine() }).collect(), range.scale))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_read_back_and_odd_ones_are_refused() {
        for p in [Param::Trim, Param::Fader, Param::Pan, Param::Width, Param::Mute, Param::SendLevel(3), Param::SendOn(0), Param::Insert(2, "lomid_gain".into()), Param::Bypass(31)] {
            assert_eq!(Param::parse(&p.address()), Some(p.clone()), "{}", p.address());
        }
        for bad in ["", "fader/", "send/1", "send/01/level", "send/+1/level", "send/-1/on", "send/x/on", "insert/0/", "insert/0/a/b", "volume", "send/99999999999999999999999/level"] {
            assert_eq!(Param::parse(bad), None, "{bad}");
        }
    }
}
