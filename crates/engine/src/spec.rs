//! The mixer as the control side describes it: strips, their inserts, outputs and sends.
//!
//! A [`MixerSpec`] is plain data (the session crate builds one from a session file). It is compiled
//! into a [`crate::plan::Plan`] — the flat, preallocated form the audio side runs — by
//! [`crate::plan::Plan::compile`], which also rejects impossible routings with a [`RoutingError`].

use core::fmt;

use mixroom_dsp::param::ParamInfo;

use crate::automation::{Curve, Target};

/// A strip's index in [`MixerSpec::strips`]: stable for the life of a plan.
pub type StripId = usize;

/// What a strip is: where its input comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StripKind {
    /// Plays audio: 1 (mono) or 2 (stereo) channels.
    Track { channels: usize },
    /// A group bus: sums the tracks and buses routed to it.
    Bus,
    /// An effect return: fed by sends.
    Return,
    /// The master bus: the mix. Exactly one per mixer.
    Master,
}

/// The processors an insert slot can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InsertKind {
    /// High-pass and low-pass filters.
    Filters,
    /// Four-band parametric EQ.
    Eq,
    Compressor,
    Gate,
    DeEsser,
    Saturation,
    Delay,
    Reverb,
    /// Chorus, flanger, phaser.
    Modulation,
    Multiband,
    Limiter,
}

impl InsertKind {
    pub const ALL: [InsertKind; 11] = [
        InsertKind::Filters,
        InsertKind::Eq,
        InsertKind::Compressor,
        InsertKind::Gate,
        InsertKind::DeEsser,
        InsertKind::Saturation,
        InsertKind::Delay,
        InsertKind::Reverb,
        InsertKind::Modulation,
        InsertKind::Multiband,
        InsertKind::Limiter,
    ];

    /// The parameter table of the processor.
    pub fn params(self) -> &'static [ParamInfo] {
        use mixroom_dsp::*;
        match self {
            InsertKind::Filters => eq::PASS_PARAMS,
            InsertKind::Eq => eq::EQ_PARAMS,
            InsertKind::Compressor => dynamics::COMPRESSOR_PARAMS,
            InsertKind::Gate => dynamics::GATE_PARAMS,
            InsertKind::DeEsser => dynamics::DEESSER_PARAMS,
            InsertKind::Saturation => saturation::SATURATION_PARAMS,
            InsertKind::Delay => delay::DELAY_PARAMS,
            InsertKind::Reverb => reverb::REVERB_PARAMS,
            InsertKind::Modulation => delay::MODULATION_PARAMS,
            InsertKind::Multiband => multiband::MULTIBAND_PARAMS,
            InsertKind::Limiter => limiter::LIMITER_PARAMS,
        }
    }

    /// Stable name stored in session files.
    pub fn key(self) -> &'static str {
        match self {
            InsertKind::Filters => "filters",
            InsertKind::Eq => "eq",
            InsertKind::Compressor => "compressor",
            InsertKind::Gate => "gate",
            InsertKind::DeEsser => "deesser",
            InsertKind::Saturation => "saturation",
            InsertKind::Delay => "delay",
            InsertKind::Reverb => "reverb",
            InsertKind::Modulation => "modulation",
            InsertKind::Multiband => "multiband",
            InsertKind::Limiter => "limiter",
        }
    }

    /// Name shown to the engineer.
    pub fn label(self) -> &'static str {
        match self {
            InsertKind::Filters => "Filters",
            InsertKind::Eq => "EQ",
            InsertKind::Compressor => "Compressor",
            InsertKind::Gate => "Gate",
            InsertKind::DeEsser => "De-esser",
            InsertKind::Saturation => "Saturation",
            InsertKind::Delay => "Delay",
            InsertKind::Reverb => "Reverb",
            InsertKind::Modulation => "Modulation",
            InsertKind::Multiband => "Multiband",
            InsertKind::Limiter => "Limiter",
        }
    }

    pub fn from_key(key: &str) -> Option<InsertKind> {
        InsertKind::ALL.into_iter().find(|k| k.key() == key)
    }

    /// True for processors that run per channel in SIMD lanes (and can share a lane group with other
    /// strips); false for stereo processors, which see the left/right pair as a whole.
    pub fn is_lane(self) -> bool {
        matches!(
            self,
            InsertKind::Filters | InsertKind::Eq | InsertKind::Compressor | InsertKind::Gate | InsertKind::DeEsser | InsertKind::Saturation
        )
    }

    /// The default value of every parameter.
    pub fn defaults(self) -> Vec<f32> {
        self.params().iter().map(|p| p.default).collect()
    }
}

/// One insert slot.
#[derive(Clone, Debug, PartialEq)]
pub struct InsertSpec {
    pub kind: InsertKind,
    pub bypass: bool,
    /// Every parameter's value, indexed like the kind's parameter table.
    pub params: Vec<f32>,
    /// External side-chain source (compressor only): the strip whose post-insert signal keys it.
    pub key: Option<StripId>,
}

impl InsertSpec {
    /// An insert with default settings.
    pub fn new(kind: InsertKind) -> Self {
        InsertSpec { kind, bypass: false, params: kind.defaults(), key: None }
    }

    /// Sets a parameter by key (builder style, for tests and templates); unknown keys are ignored.
    pub fn with(mut self, key: &str, value: f32) -> Self {
        if let Some(id) = mixroom_dsp::param::find(self.kind.params(), key) {
            self.params[id] = self.kind.params()[id].clamp(value);
        }
        self
    }
}

/// A send to a return or a bus.
#[derive(Clone, Debug, PartialEq)]
pub struct SendSpec {
    pub target: StripId,
    /// Send level, dB (−∞ … +6).
    pub level_db: f32,
    /// Taken before the fader (after the inserts) instead of after fader and pan.
    pub pre_fader: bool,
    pub muted: bool,
}

/// The pan law for mono sources (see `mixroom_dsp::pan::PanLaw`): 0 = −3 dB, 1 = −4.5 dB, 2 = −6 dB.
pub const PAN_LAWS: [&str; 3] = ["−3 dB (constant power)", "−4.5 dB", "−6 dB (linear)"];

/// A strip's own settings.
#[derive(Clone, Debug, PartialEq)]
pub struct StripSettings {
    /// Input trim, dB (−24 … +24).
    pub trim_db: f32,
    pub polarity_inverted: bool,
    /// Fader, dB (−∞ … +12).
    pub fader_db: f32,
    /// Pan (mono) or balance (stereo), −1 … +1.
    pub pan: f32,
    /// Stereo width: 0 = mono, 1 = as is, 2 = twice the side signal.
    pub width: f32,
    pub pan_law: usize,
    pub mute: bool,
    pub solo: bool,
    /// Never muted by another strip's solo (returns are solo-safe by default).
    pub solo_safe: bool,
}

impl Default for StripSettings {
    fn default() -> Self {
        StripSettings { trim_db: 0.0, polarity_inverted: false, fader_db: 0.0, pan: 0.0, width: 1.0, pan_law: 0, mute: false, solo: false, solo_safe: false }
    }
}

/// One channel strip.
#[derive(Clone, Debug, PartialEq)]
pub struct StripSpec {
    pub name: String,
    pub kind: StripKind,
    pub inserts: Vec<InsertSpec>,
    /// Where the strip's output goes: a bus or the master. `None` only for the master.
    pub output: Option<StripId>,
    pub sends: Vec<SendSpec>,
    pub settings: StripSettings,
    /// The strip's automation that plays: each curve and what it moves. A target with a curve
    /// follows it and ignores its setting.
    pub automation: Vec<(Target, Curve)>,
}

impl StripSpec {
    pub fn new(name: &str, kind: StripKind, output: Option<StripId>) -> Self {
        let settings = StripSettings { solo_safe: kind == StripKind::Return, ..StripSettings::default() };
        StripSpec { name: name.to_owned(), kind, inserts: Vec::new(), output, sends: Vec::new(), settings, automation: Vec::new() }
    }
}

/// The whole mixer.
#[derive(Clone, Debug, PartialEq)]
pub struct MixerSpec {
    pub sample_rate: f32,
    pub tempo_bpm: f32,
    pub strips: Vec<StripSpec>,
}

/// Why a mixer cannot be built as described. Messages name the strips involved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoutingError {
    NoMaster,
    SeveralMasters,
    /// A strip's output is missing or points somewhere it cannot go.
    BadOutput { strip: String, why: String },
    /// A send points somewhere it cannot go.
    BadSend { strip: String, why: String },
    /// A side-chain key points somewhere it cannot.
    BadKey { strip: String, why: String },
    /// The routing loops back on itself; the strips around the loop, in order.
    Cycle(Vec<String>),
}

impl fmt::Display for RoutingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoutingError::NoMaster => write!(f, "the mixer has no master bus"),
            RoutingError::SeveralMasters => write!(f, "the mixer has more than one master bus"),
            RoutingError::BadOutput { strip, why } => write!(f, "\"{strip}\" cannot be routed there: {why}"),
            RoutingError::BadSend { strip, why } => write!(f, "a send on \"{strip}\" cannot go there: {why}"),
            RoutingError::BadKey { strip, why } => write!(f, "the side-chain on \"{strip}\" cannot come from there: {why}"),
            RoutingError::Cycle(path) => write!(f, "this routing would feed a signal back into itself: {}", path.join(" → ")),
        }
    }
}

impl std::error::Error for RoutingError {}
