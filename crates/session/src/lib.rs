//! Mixroom's session model: what a user's mix *is*, independent of any engine, and its file format.
//!
//! This is the serialization boundary. Session types are plain serde structs with a format tag and a
//! version; engine types are never serialized. [`Session::to_mixer`] turns a session into the
//! engine's [`MixerSpec`] (strips in the order tracks, buses, returns, master), which both the browser
//! (in the worklet) and the CLI compile and run.
//!
//! Reading a session never panics and never trusts the file: every error is a [`SessionError`] whose
//! message a user can act on. Files written by earlier versions are migrated ([`migrate`]).

pub mod alternates;
pub mod automation;
pub mod bench;
mod check;
mod damage;
mod demo;
mod edit;
pub mod limits;
pub mod link;
pub mod migrate;
mod mixer;
pub mod reference;
pub mod stems;
pub mod storage;
pub mod stored;
pub mod summary;
mod tail;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

pub use edit::{EngineEdit, Naming, NewTrack, Row, StripRef};
pub use alternates::{Alternate, Role};
pub use reference::{Reference, ReferenceLoop, ReferenceSync};
pub use stems::Stem;
pub use tail::Span;
pub use stored::{Page, Stored, TimelineView, ViewState};

/// The `format` tag every session file carries.
pub const FORMAT: &str = "mixroom-session";
/// The newest session format version this build writes and reads.
pub const VERSION: u32 = 7;

/// A mix: its tracks, buses, effect returns and master.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// Always [`FORMAT`].
    pub format: String,
    /// The format version the file was written with.
    #[serde(default)]
    pub version: u32,
    // What a damaged file lacks reads as its default (said by the reader when it dropped it):
    // an unnamed session at 48 kHz and 120 BPM, without tracks, with a plain master.
    #[serde(default)]
    pub name: String,
    #[serde(default = "default_rate")]
    pub sample_rate: u32,
    #[serde(default = "default_tempo", deserialize_with = "nan_if_null::f64")]
    pub tempo_bpm: f64,
    #[serde(default)]
    pub tracks: Vec<Track>,
    #[serde(default)]
    pub buses: Vec<Bus>,
    #[serde(default)]
    pub returns: Vec<Bus>,
    #[serde(default)]
    pub master: Master,
    /// Named positions on the timeline.
    #[serde(default)]
    pub markers: Vec<Marker>,
    /// The loop region, kept when looping is off so that it comes back where it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loop_region: Option<LoopRegion>,
    /// "Suspend all automation": every strip plays its settings, not its curves (since 5).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub automation_suspended: bool,
    /// Reference tracks to compare the mix with (since 6): kept with the session, never mixed,
    /// rendered or exported (see [`reference`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    /// Alternate versions of the mix — instrumental, a cappella, … — delivered beside it (since
    /// 7; see [`alternates`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alternates: Vec<Alternate>,
}

/// A named position on the timeline, in frames.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    #[serde(default)]
    pub name: String,
    pub frame: u64,
}

/// The loop region `[start, end)`, in frames, and whether playback loops over it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoopRegion {
    pub start: u64,
    pub end: u64,
    pub enabled: bool,
}

/// A clip: `length` frames of the track's source from `offset`, placed at timeline frame `start`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Clip {
    pub start: u64,
    #[serde(default)]
    pub offset: u64,
    pub length: u64,
    #[serde(default, deserialize_with = "nan_if_null::f32")]
    pub gain_db: f32,
    #[serde(default)]
    pub fade_in: u64,
    #[serde(default)]
    pub fade_out: u64,
    #[serde(default = "default_shape")]
    pub fade_in_shape: String,
    #[serde(default = "default_shape")]
    pub fade_out_shape: String,
}

fn default_rate() -> u32 {
    48_000
}

fn default_tempo() -> f64 {
    limits::DEFAULT_TEMPO_BPM
}

pub(crate) fn default_shape() -> String {
    mixroom_engine::FadeShape::default().key().into()
}

impl Clip {
    /// A clip of the whole source at the session start.
    pub fn whole(frames: u64) -> Clip {
        Clip { start: 0, offset: 0, length: frames, gain_db: 0.0, fade_in: 0, fade_out: 0, fade_in_shape: default_shape(), fade_out_shape: default_shape() }
    }

    pub fn end(&self) -> u64 {
        self.start.saturating_add(self.length)
    }

    /// The engine's form of the clip.
    pub fn to_engine(&self) -> mixroom_engine::Clip {
        let shape = |k: &str| mixroom_engine::FadeShape::from_key(k).unwrap_or_default();
        mixroom_engine::Clip {
            start: self.start,
            offset: self.offset,
            length: self.length,
            gain: mixroom_dsp::gain::db_to_gain(self.gain_db),
            fade_in: self.fade_in,
            fade_out: self.fade_out,
            fade_in_shape: shape(&self.fade_in_shape),
            fade_out_shape: shape(&self.fade_out_shape),
        }
    }
}

/// One track: where its audio comes from and its channel strip.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Track {
    /// Stable identifier, unique in the session: what sends, outputs and side-chains refer to.
    /// (Missing, the reader gives it a new one.)
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    pub source: Source,
    /// Where the source plays on the timeline; none means the whole source from the start.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clips: Vec<Clip>,
    /// Display colour, `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<String>,
    /// The folder the track sits in on the timeline: a group bus's id, always the track's output
    /// too (a folder is a summing bus, as in REAPER or Logic's summing stacks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
    /// What the track is in the song (since 7): what alternate versions mute or turn up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(flatten)]
    pub strip: Strip,
}

/// A group bus or an effect return.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bus {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// As a folder on the timeline: its tracks are folded away.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub collapsed: bool,
    #[serde(flatten)]
    pub strip: Strip,
}

/// The master bus.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Master {
    #[serde(flatten)]
    pub strip: Strip,
}

/// The channel strip every track, bus, return and the master has.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Strip {
    /// Input trim, dB (−24 … +24).
    #[serde(default, deserialize_with = "nan_if_null::f32")]
    pub trim_db: f32,
    #[serde(default)]
    pub polarity_inverted: bool,
    /// Fader, dB (−∞ … +12); `null` in JSON is a closed fader.
    #[serde(default, with = "db_or_null")]
    pub fader_db: f32,
    /// Pan (mono sources) or balance (stereo), −1 … +1.
    #[serde(default, deserialize_with = "nan_if_null::f32")]
    pub pan: f32,
    /// Stereo width, 0 … 2 (1 = as recorded).
    #[serde(default = "one", deserialize_with = "nan_if_null::f32")]
    pub width: f32,
    /// Pan law for mono sources: 0 = −3 dB, 1 = −4.5 dB, 2 = −6 dB.
    #[serde(default)]
    pub pan_law: u8,
    #[serde(default)]
    pub mute: bool,
    #[serde(default)]
    pub solo: bool,
    #[serde(default)]
    pub solo_safe: bool,
    #[serde(default)]
    pub inserts: Vec<Insert>,
    #[serde(default)]
    pub sends: Vec<Send>,
    /// Where the strip's output goes: `"master"` or a bus id. Ignored on the master.
    #[serde(default = "master_output")]
    pub output: String,
    /// Its automation lanes (since format 5), at most one per parameter.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub automation: Vec<automation::AutomationLane>,
    /// How its automation plays and records (since format 5).
    #[serde(default, skip_serializing_if = "automation::AutomationMode::is_read")]
    pub automation_mode: automation::AutomationMode,
}

fn one() -> f32 {
    1.0
}

fn master_output() -> String {
    "master".into()
}

impl Default for Strip {
    fn default() -> Self {
        Strip {
            trim_db: 0.0,
            polarity_inverted: false,
            fader_db: 0.0,
            pan: 0.0,
            width: 1.0,
            pan_law: 0,
            mute: false,
            solo: false,
            solo_safe: false,
            inserts: Vec::new(),
            sends: Vec::new(),
            output: master_output(),
            automation: Vec::new(),
            automation_mode: automation::AutomationMode::default(),
        }
    }
}

/// An insert: a processor kind (`"eq"`, `"compressor"`, …), its settings by parameter key, and for a
/// compressor optionally the id of the strip that keys it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Insert {
    pub kind: String,
    #[serde(default)]
    pub bypass: bool,
    #[serde(default, deserialize_with = "nan_if_null::map")]
    pub params: BTreeMap<String, f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sidechain: Option<String>,
}

/// A send to a return or a bus.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Send {
    /// The id of the return or bus.
    pub to: String,
    /// Level, dB (−∞ … +6); `null` is off.
    #[serde(with = "db_or_null")]
    pub level_db: f32,
    #[serde(default)]
    pub pre_fader: bool,
    #[serde(default)]
    pub muted: bool,
}

/// Where a track's audio comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// A stem of the built-in demo song, synthesized on load (see `mixroom-demo`).
    DemoStem { stem: String },
    /// Audio the host supplies (an imported file, a benchmark signal), identified by `id`; the
    /// session records its shape so a mix can be checked and laid out before the audio arrives.
    Audio { id: String, channels: u8, frames: u64 },
}

/// JSON has no −∞: a closed fader or an off send is written as `null`.
pub(crate) mod db_or_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(db: &f32, s: S) -> Result<S::Ok, S::Error> {
        if db.is_finite() {
            s.serialize_f32(*db)
        } else {
            s.serialize_none()
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f32, D::Error> {
        Ok(Option::<f32>::deserialize(d)?.unwrap_or(f32::NEG_INFINITY))
    }
}

/// JSON has no NaN or infinity: serde_json writes them as `null`, which a plain number field
/// would refuse — one bad value would make the whole session unreadable. Read here as NaN instead,
/// for the checks to refuse (strict) or mend (salvaging) like any value out of range.
pub(crate) mod nan_if_null {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer};

    pub fn f32<'de, D: Deserializer<'de>>(d: D) -> Result<f32, D::Error> {
        Ok(Option::<f32>::deserialize(d)?.unwrap_or(f32::NAN))
    }

    pub fn f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }

    pub fn map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, f32>, D::Error> {
        Ok(BTreeMap::<String, Option<f32>>::deserialize(d)?.into_iter().map(|(k, v)| (k, v.unwrap_or(f32::NAN))).collect())
    }
}

/// Why a session could not be read or loaded. The message names the problem in the user's terms.
#[derive(Clone, Debug, PartialEq)]
pub enum SessionError {
    /// The text is not JSON, or not shaped like a session.
    Malformed(String),
    /// The file is something else than a Mixroom session.
    NotASession,
    /// Written by a newer Mixroom than this one.
    NewerVersion(u32),
    /// A stored session (the browser's copy) written by a newer Mixroom than this one.
    NewerStore(u32),
    /// A value is out of its range, a reference points nowhere, or the routing is impossible.
    Invalid(String),
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::Malformed(why) => write!(f, "This session file is damaged or incomplete: {why}"),
            SessionError::NotASession => write!(f, "This is not a Mixroom session file."),
            SessionError::NewerVersion(v) => write!(
                f,
                "This session was saved by a newer version of Mixroom (session format {v}); this version reads formats up to {VERSION}. Update Mixroom to open it."
            ),
            SessionError::NewerStore(v) => write!(
                f,
                "This session was saved in this browser by a newer version of Mixroom (stored format {v}); this version reads up to {}. Update Mixroom to open it.",
                stored::STORED_VERSION
            ),
            SessionError::Invalid(why) => write!(f, "This session cannot be opened: {why}"),
        }
    }
}

impl std::error::Error for SessionError {}

/// The version of a document tagged `format` (a session file, a stored session): `NotASession`
/// for anything else, `Malformed` when it is not JSON or has no version. Whether the version is
/// one this build reads is the caller's to say.
pub(crate) fn format_version(text: &str, format: &str) -> Result<u32, SessionError> {
    #[derive(Deserialize)]
    struct Header {
        format: Option<String>,
        version: Option<u32>,
    }
    let header: Header = serde_json::from_str(text).map_err(|e| SessionError::Malformed(e.to_string()))?;
    if header.format.as_deref() != Some(format) {
        return Err(SessionError::NotASession);
    }
    match header.version {
        Some(0) | None => Err(SessionError::Malformed("the format version is missing".into())),
        Some(v) => Ok(v),
    }
}

/// What the reader changed to open a session (or a stored one): each entry names a value beyond
/// the limits and what became of it. Empty when the session opened exactly as it was.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Repairs(pub Vec<String>);

impl Repairs {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Repairs {
    /// The first few repairs, for a message: "… ; and 12 more".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 4;
        let shown: Vec<&str> = self.0.iter().take(SHOWN).map(String::as_str).collect();
        write!(f, "{}", shown.join("; "))?;
        if self.0.len() > SHOWN {
            write!(f, "; and {} more", self.0.len() - SHOWN)?;
        }
        Ok(())
    }
}

impl Session {
    /// Whether a parsed document is a session of this build's own format version (read directly,
    /// not through the migrations).
    fn is_current(value: &serde_json::Value) -> bool {
        value.get("format").and_then(|f| f.as_str()) == Some(FORMAT) && value.get("version").and_then(|v| v.as_u64()) == Some(VERSION as u64)
    }

    /// Reads a session file, salvaging it: checks the format tag and version, migrates files
    /// written by earlier versions, drops what cannot be read at all (`damage`), then mends each
    /// value beyond the limits (clamped, or the one item dropped) — and says so in the [`Repairs`].
    /// Only a file that is not a session, is damaged past reading (not JSON, no tracks list), or
    /// comes from a newer Mixroom is refused.
    pub fn read(text: &str) -> Result<(Session, Repairs), SessionError> {
        let mut repairs = Vec::new();
        Session::parse(text, Some(&mut repairs))?.salvaged(repairs)
    }

    /// Reads a session file strictly: as [`Session::read`], but any damage or value beyond the
    /// limits is an error. For sessions Mixroom has just written itself (the worklet's copy of the
    /// app's).
    pub fn from_json(text: &str) -> Result<Session, SessionError> {
        Session::parse(text, None)?.checked()
    }

    /// A session file as written, migrated to this version but not checked; with `salvage`, what
    /// cannot be read is dropped and noted there.
    fn parse(text: &str, salvage: Option<&mut Vec<String>>) -> Result<Session, SessionError> {
        let malformed = |e: serde_json::Error| SessionError::Malformed(e.to_string());
        let mut s = match format_version(text, FORMAT)? {
            v if v > VERSION => return Err(SessionError::NewerVersion(v)),
            1 => migrate::from_v1(text)?,
            // Format 2 lacked clips, markers, the loop region and colours, format 3 folders: they
            // read as their defaults (the whole source from the start, none, none, none, none).
            _ => match salvage {
                None => serde_json::from_str(text).map_err(malformed)?,
                Some(repairs) => damage::deserialize(serde_json::from_str(text).map_err(malformed)?, repairs)?,
            },
        };
        s.version = VERSION;
        Ok(s)
    }

    /// [`Session::read`] of a session already parsed as JSON (as the stored form holds them).
    pub fn read_value(value: serde_json::Value) -> Result<(Session, Repairs), SessionError> {
        if !Session::is_current(&value) {
            return Session::read(&value.to_string());
        }
        let mut repairs = Vec::new();
        damage::deserialize(value, &mut repairs)?.salvaged(repairs)
    }

    /// A step of a stored history: read whole or not at all (a step with a damaged value is not
    /// the session the user had, and ends the history), but mended where a value is beyond the
    /// limits, as the session itself is.
    pub(crate) fn read_history_step(value: serde_json::Value) -> Result<Session, SessionError> {
        let session = if Session::is_current(&value) { serde_json::from_value(value).map_err(|e| SessionError::Malformed(e.to_string()))? } else { Session::parse(&value.to_string(), None)? };
        Ok(session.salvaged(Vec::new())?.0)
    }

    /// A session just read, made consistent and checked: a folder is a view of the routing, so one
    /// that disagrees with it (a hand-edited file) is dropped — the routing wins; then every value
    /// and reference is validated.
    fn checked(mut self) -> Result<Session, SessionError> {
        self.tidy_folders();
        self.validate()?;
        Ok(self)
    }

    /// A session just read, mended where it is beyond the limits (and where a folder disagrees
    /// with the routing); `repairs` already says what reading it dropped.
    fn salvaged(mut self, mut repairs: Vec<String>) -> Result<(Session, Repairs), SessionError> {
        repairs.extend(check::check(&mut self, true)?);
        Ok((self, Repairs(repairs)))
    }

    /// Writes the session as pretty-printed JSON (always in the newest format).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a session always serializes: it holds only plain data")
    }

    /// Checks every value against the [`limits`] and every reference; the error names the strip
    /// and the setting, and routing errors (loops, missing buses) name the strips involved. The
    /// edit path's check: what passes it, [`Session::read`] opens unchanged.
    pub fn validate(&self) -> Result<(), SessionError> {
        check::check(&mut self.clone(), false).map(|_| ())
    }

    /// The number of audio channels of a track's source.
    pub fn track_channels(&self, track: usize) -> usize {
        match self.tracks.get(track).map(|t| &t.source) {
            Some(Source::DemoStem { stem }) => mixroom_demo::stem(stem).map_or(1, |s| s.channels),
            Some(Source::Audio { channels, .. }) => (*channels).clamp(1, 2) as usize,
            None => 1,
        }
    }

    /// Frames of a track's source.
    pub fn source_frames(&self, track: usize) -> u64 {
        match self.tracks.get(track).map(|t| &t.source) {
            Some(Source::DemoStem { .. }) => mixroom_demo::length_frames(self.sample_rate) as u64,
            Some(Source::Audio { frames, .. }) => *frames,
            None => 0,
        }
    }

    /// A track's clips as the engine plays them (`None`: the whole source from the start).
    pub fn engine_clips(&self, track: usize) -> Option<Vec<mixroom_engine::Clip>> {
        let t = self.tracks.get(track)?;
        (!t.clips.is_empty()).then(|| t.clips.iter().map(Clip::to_engine).collect())
    }

    /// A track's clips as shown and edited: the stored ones, or the whole source.
    pub fn clips(&self, track: usize) -> Vec<Clip> {
        match self.tracks.get(track) {
            Some(t) if !t.clips.is_empty() => t.clips.clone(),
            Some(_) => vec![Clip::whole(self.source_frames(track))],
            None => Vec::new(),
        }
    }

    /// The loop the engine plays, if looping is on.
    pub fn engine_loop(&self) -> Option<(u64, u64)> {
        self.loop_region.filter(|l| l.enabled && l.end > l.start).map(|l| (l.start, l.end))
    }

    /// Session length in frames: the end of the last clip.
    pub fn length_frames(&self) -> u64 {
        (0..self.tracks.len()).flat_map(|t| self.clips(t)).map(|c| c.end()).max().unwrap_or(0)
    }

    /// Synthesizes the audio of every track's generated source: one entry per track, one buffer per
    /// channel.
    pub fn render_sources(&self) -> Result<Vec<Vec<Vec<f32>>>, SessionError> {
        (0..self.tracks.len()).map(|i| self.render_source(i)).collect()
    }

    /// Synthesizes the audio of one track's generated source, one buffer per channel.
    pub fn render_source(&self, track: usize) -> Result<Vec<Vec<f32>>, SessionError> {
        let t = self.tracks.get(track).ok_or_else(|| SessionError::Invalid(format!("there is no track {}", track + 1)))?;
        match &t.source {
            Source::DemoStem { stem } => mixroom_demo::render_stem(stem, self.sample_rate)
                .ok_or_else(|| SessionError::Invalid(format!("unknown demo stem \"{stem}\""))),
            Source::Audio { id, .. } => Err(SessionError::Invalid(format!("the audio of track \"{}\" ({id}) has to be supplied by the host", t.name))),
        }
    }

    /// The engine's description of this mix.
    pub fn to_mixer(&self) -> Result<mixroom_engine::MixerSpec, SessionError> {
        mixer::to_mixer(self)
    }

    /// The session as a render plays it: the song from its start to its end, never looping (the
    /// loop region is the live transport's: an export made with Loop on is still the song).
    pub fn for_render(&self) -> Session {
        let mut s = self.clone();
        if let Some(l) = &mut s.loop_region {
            l.enabled = false;
        }
        s
    }

    /// Builds a stopped engine holding `sources` (as from [`Session::render_sources`]), ready to
    /// render from the start: the song and its tails ([`Session::render_frames`]), never looping
    /// (see [`Session::for_render`]).
    pub fn build_engine(&self, sources: &[Vec<Vec<f32>>]) -> Result<mixroom_engine::Engine, SessionError> {
        let spec = self.to_mixer()?;
        let mut engine = mixroom_engine::Engine::new(&spec).map_err(|e| SessionError::Invalid(e.to_string()))?;
        for (t, audio) in sources.iter().enumerate() {
            for (c, samples) in audio.iter().enumerate() {
                if let Some(dest) = engine.track_audio_mut(t, c, samples.len()) {
                    // Non-finite samples (a broken float file) become silence, never NaN in the mix.
                    for (d, &s) in dest.iter_mut().zip(samples) {
                        *d = if s.is_finite() { s } else { 0.0 };
                    }
                }
            }
        }
        self.place(&mut engine);
        Ok(engine)
    }

    /// An engine for this session playing the tracks' audio `from` holds — moved, not copied:
    /// the versions of a delivery (the same tracks, other mixes) rendered one after another over
    /// one copy of the audio. Equal to [`Session::build_engine`] with that audio.
    pub fn build_engine_taking(&self, from: &mut mixroom_engine::Engine) -> Result<mixroom_engine::Engine, SessionError> {
        let spec = self.to_mixer()?;
        let mut engine = mixroom_engine::Engine::new(&spec).map_err(|e| SessionError::Invalid(e.to_string()))?;
        for t in 0..self.tracks.len() {
            if let Some(audio) = from.take_track_audio(t) {
                engine.put_track_audio(t, audio);
            }
        }
        self.place(&mut engine);
        Ok(engine)
    }

    /// Places the tracks' clips, sets the render's length and settles the engine.
    fn place(&self, engine: &mut mixroom_engine::Engine) {
        for t in 0..self.tracks.len() {
            engine.set_clips(t, self.engine_clips(t));
        }
        // The song and its tails: no reverb or delay is cut off at the last clip's end.
        engine.set_length(self.render_frames());
        engine.settle();
    }
}

#[cfg(test)]
mod tests;

/// The RMS level of a track's audio (all channels), dBFS, over the blocks of 400 ms (at 48 kHz,
/// as BS.1770's) that are not silence (above −70 dBFS): what an engineer means by "the track sits
/// at −18 dBFS". Measured by a [`summary::Summary`], as a streamed import measures it.
pub fn gated_rms_db(channels: &[Vec<f32>]) -> f64 {
    summary::Summary::of(channels, summary::OVERVIEW_LEVELS.len()).level_db
}

impl Session {
    /// The gain-staging helper: sets every track's trim so its gated RMS level sits at `target_db`
    /// (−18 dBFS is the usual choice), within the trim's ±24 dB. Silent tracks are left alone.
    /// Returns the changes for the running engine.
    pub fn gain_stage(&mut self, sources: &[Vec<Vec<f32>>], target_db: f32) -> Vec<mixroom_engine::ParamChange> {
        let levels: Vec<f64> = sources.iter().map(|audio| gated_rms_db(audio)).collect();
        self.gain_stage_levels(&levels, target_db)
    }

    /// [`Session::gain_stage`] from levels measured beforehand ([`gated_rms_db`] of each track, in
    /// track order), as the browser does when it prepares the audio.
    pub fn gain_stage_levels(&mut self, levels: &[f64], target_db: f32) -> Vec<mixroom_engine::ParamChange> {
        let mut changes = Vec::new();
        for (t, &level) in levels.iter().enumerate().take(self.tracks.len()) {
            if level.is_finite() {
                let trim = (target_db as f64 - level).clamp(-limits::TRIM_RANGE_DB as f64, limits::TRIM_RANGE_DB as f64) as f32;
                changes.extend(self.set_strip_param(StripRef::Track(t), mixroom_engine::StripParam::Trim, trim));
            }
        }
        changes
    }
}
