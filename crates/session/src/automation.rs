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

use crate::{Session, Strip};

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

fn engine_shape(p: &AutomationPoint) -> Shape {
    match p.shape {
        PointShape::Hold => Shape::Hold,
        PointShape::Linear => Shape::Linear,
        PointShape::Curve => Shape::Bend(p.bend),
    }
}

/// The curves the engine plays for `strip` of `session`: none when automation is suspended or
/// the strip's mode is Off; lanes whose parameter the strip lacks are left out (a checked session
/// has none).
pub(crate) fn strip_curves(session: &Session, strip: &Strip) -> Vec<(Target, Curve)> {
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
            let points: Vec<Point> = lane.points.iter().map(|p| Point { frame: p.frame, value: to_engine(p.value), shape: engine_shape(p) }).collect();
            Some((target, Curve::new(range.scale, &points, session.sample_rate as f32)))
        })
        .collect()
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
        let Some(lane) = self.lane(param).filter(|l| !l.points.is_empty()) else { return Some(setting) };
        let range = param.range(self)?;
        let points: Vec<Point> = lane.points.iter().map(|p| Point { frame: p.frame, value: p.value, shape: engine_shape(p) }).collect();
        Some(Curve::new(range.scale, &points, sample_rate as f32).value_at(frame))
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
