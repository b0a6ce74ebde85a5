//! Mixroom's session model: what a user's mix *is*, independent of any engine, and its file format.
//!
//! This is the serialization boundary. Session types are plain serde structs with a format tag and a
//! version; engine types are never serialized. A session is turned into a running mix in two steps that
//! both the browser and the CLI share:
//! 1. the audio of each track is fetched ([`Session::render_sources`] for generated sources),
//! 2. the engine is built with those buffers and the mix applied as a list of [`ParamChange`]s
//!    ([`Session::mix_changes`]): natively by direct calls, in the browser as messages to the worklet.
//!
//! Reading a session never panics and never trusts the file: every error is a [`SessionError`] whose
//! message a user can act on.

use std::fmt;

use mixroom_engine::{Engine, MasterParam, ParamChange, TrackParam};
use serde::{Deserialize, Serialize};

/// The `format` tag every session file carries.
pub const FORMAT: &str = "mixroom-session";
/// The newest session format version this build writes and reads.
pub const VERSION: u32 = 1;
/// The most tracks a session may hold; far above any real mix, low enough to refuse a hostile file.
pub const MAX_TRACKS: usize = 512;
/// Longest track name kept, in characters.
pub const MAX_NAME_CHARS: usize = 128;
/// Supported session sample rates, Hz.
pub const SAMPLE_RATES: core::ops::RangeInclusive<u32> = 8_000..=192_000;

/// A mix: its tracks, their sources and settings, and the master.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// Always [`FORMAT`].
    pub format: String,
    /// The format version the file was written with.
    pub version: u32,
    pub name: String,
    pub sample_rate: u32,
    pub tempo_bpm: f64,
    pub tracks: Vec<Track>,
    pub master: Master,
}

/// One track: where its audio comes from and its channel strip settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Track {
    pub name: String,
    pub source: Source,
    /// Input trim, dB (−24 … +24).
    #[serde(default)]
    pub trim_db: f32,
    /// Fader, dB (−∞ … +12); `null` in JSON is a closed fader.
    #[serde(default, with = "db_or_null")]
    pub fader_db: f32,
    /// Pan (mono) or balance (stereo), −1 … +1.
    #[serde(default)]
    pub pan: f32,
    #[serde(default)]
    pub mute: bool,
    #[serde(default)]
    pub solo: bool,
    #[serde(default)]
    pub polarity_inverted: bool,
}

/// Where a track's audio comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// A stem of the built-in demo song, synthesized on load (see `mixroom-demo`).
    DemoStem { stem: String },
}

/// The master bus.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Master {
    /// Master fader, dB (−∞ … +12).
    #[serde(default, with = "db_or_null")]
    pub fader_db: f32,
}

/// JSON has no −∞: a closed fader is written as `null`.
mod db_or_null {
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

/// Why a session could not be read or loaded. The message names the problem in the user's terms.
#[derive(Clone, Debug, PartialEq)]
pub enum SessionError {
    /// The text is not JSON, or not shaped like a session.
    Malformed(String),
    /// The file is something else than a Mixroom session.
    NotASession,
    /// Written by a newer Mixroom than this one.
    NewerVersion(u32),
    /// A value is out of its range or otherwise unusable.
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
            SessionError::Invalid(why) => write!(f, "This session cannot be opened: {why}"),
        }
    }
}

impl std::error::Error for SessionError {}

impl Session {
    /// The demo session: every stem of the demo song on its own track, at its starting mix.
    pub fn demo() -> Session {
        Session {
            format: FORMAT.into(),
            version: VERSION,
            name: "Demo: Night Drive".into(),
            sample_rate: 48_000,
            tempo_bpm: mixroom_demo::TEMPO_BPM,
            tracks: mixroom_demo::STEMS
                .iter()
                .map(|s| Track {
                    name: s.name.into(),
                    source: Source::DemoStem { stem: s.id.into() },
                    trim_db: 0.0,
                    fader_db: s.fader_db,
                    pan: s.pan,
                    mute: false,
                    solo: false,
                    polarity_inverted: false,
                })
                .collect(),
            master: Master { fader_db: 0.0 },
        }
    }

    /// Reads a session from JSON, checking its format, version and every value.
    pub fn from_json(text: &str) -> Result<Session, SessionError> {
        #[derive(Deserialize)]
        struct Header {
            format: Option<String>,
            version: Option<u32>,
        }
        let header: Header = serde_json::from_str(text).map_err(|e| SessionError::Malformed(e.to_string()))?;
        if header.format.as_deref() != Some(FORMAT) {
            return Err(SessionError::NotASession);
        }
        match header.version {
            Some(v) if v > VERSION => return Err(SessionError::NewerVersion(v)),
            Some(0) | None => return Err(SessionError::Malformed("the format version is missing".into())),
            Some(_) => {}
        }
        let session: Session = serde_json::from_str(text).map_err(|e| SessionError::Malformed(e.to_string()))?;
        session.validate()?;
        Ok(session)
    }

    /// Writes the session as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a session always serializes: it holds only plain data")
    }

    /// Checks every value against its range; the error names the track and the setting.
    pub fn validate(&self) -> Result<(), SessionError> {
        let invalid = |why: String| Err(SessionError::Invalid(why));
        if !SAMPLE_RATES.contains(&self.sample_rate) {
            return invalid(format!("its sample rate {} Hz is outside 8–192 kHz", self.sample_rate));
        }
        if !(self.tempo_bpm.is_finite() && (10.0..=999.0).contains(&self.tempo_bpm)) {
            return invalid(format!("its tempo {} BPM is outside 10–999 BPM", self.tempo_bpm));
        }
        if self.tracks.len() > MAX_TRACKS {
            return invalid(format!("it has {} tracks; Mixroom handles up to {MAX_TRACKS}", self.tracks.len()));
        }
        if self.name.chars().count() > 1_000 {
            return invalid("its name is longer than 1000 characters".into());
        }
        for (i, t) in self.tracks.iter().enumerate() {
            let label = format!("track {} (\"{}\")", i + 1, t.name.chars().take(MAX_NAME_CHARS).collect::<String>());
            if t.name.chars().count() > MAX_NAME_CHARS {
                return invalid(format!("the name of {label} is longer than {MAX_NAME_CHARS} characters"));
            }
            if !(t.trim_db.is_finite() && (-24.0..=24.0).contains(&t.trim_db)) {
                return invalid(format!("{label} has a trim of {} dB, outside ±24 dB", t.trim_db));
            }
            if t.fader_db.is_nan() || t.fader_db > 12.0 {
                return invalid(format!("{label} has a fader at {} dB, above +12 dB", t.fader_db));
            }
            if !(t.pan.is_finite() && (-1.0..=1.0).contains(&t.pan)) {
                return invalid(format!("{label} has a pan of {}, outside −1 … +1", t.pan));
            }
            match &t.source {
                Source::DemoStem { stem } if mixroom_demo::stem(stem).is_none() => {
                    return invalid(format!("{label} uses a demo stem \"{stem}\" this version does not have"));
                }
                Source::DemoStem { .. } => {}
            }
        }
        if self.master.fader_db.is_nan() || self.master.fader_db > 12.0 {
            return invalid(format!("the master fader is at {} dB, above +12 dB", self.master.fader_db));
        }
        Ok(())
    }

    /// The number of audio channels of each track's source.
    pub fn track_channels(&self, track: usize) -> usize {
        match &self.tracks[track].source {
            Source::DemoStem { stem } => mixroom_demo::stem(stem).map_or(1, |s| s.channels),
        }
    }

    /// Session length in frames: the end of the longest source.
    pub fn length_frames(&self) -> u64 {
        self.tracks
            .iter()
            .map(|t| match &t.source {
                Source::DemoStem { .. } => mixroom_demo::length_frames(self.sample_rate) as u64,
            })
            .max()
            .unwrap_or(0)
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
        }
    }

    /// The mix as parameter changes, in the order they are applied: every track setting, then the
    /// master. The browser sends exactly this list to the worklet; the CLI applies it directly.
    pub fn mix_changes(&self) -> Vec<ParamChange> {
        let mut changes = Vec::new();
        for (i, t) in self.tracks.iter().enumerate() {
            let flag = |b: bool| if b { 1.0 } else { 0.0 };
            changes.extend([
                ParamChange::Track(i, TrackParam::Trim, t.trim_db),
                ParamChange::Track(i, TrackParam::Polarity, flag(t.polarity_inverted)),
                ParamChange::Track(i, TrackParam::Fader, t.fader_db),
                ParamChange::Track(i, TrackParam::Pan, t.pan),
                ParamChange::Track(i, TrackParam::Mute, flag(t.mute)),
                ParamChange::Track(i, TrackParam::Solo, flag(t.solo)),
            ]);
        }
        changes.push(ParamChange::Master(MasterParam::Fader, self.master.fader_db));
        changes
    }

    /// Builds a stopped engine holding `sources` (as from [`Session::render_sources`]) with the mix
    /// applied and settled, ready to play or render from the start.
    pub fn build_engine(&self, sources: &[Vec<Vec<f32>>]) -> Engine {
        let mut engine = Engine::new(self.sample_rate as f32);
        for audio in sources {
            let frames = audio.first().map_or(0, Vec::len);
            let track = engine.add_track(audio.len(), frames);
            for (c, samples) in audio.iter().enumerate() {
                if let Some(dest) = engine.track_audio_mut(track, c) {
                    dest.copy_from_slice(samples);
                }
            }
        }
        engine.set_length(self.length_frames());
        for change in self.mix_changes() {
            change.apply(&mut engine);
        }
        engine.settle();
        engine
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_round_trips_through_json() {
        let demo = Session::demo();
        let text = demo.to_json();
        assert_eq!(Session::from_json(&text).unwrap(), demo);
    }

    #[test]
    fn closed_fader_is_null_in_json() {
        let mut s = Session::demo();
        s.tracks[0].fader_db = f32::NEG_INFINITY;
        let text = s.to_json();
        assert!(text.contains("\"fader_db\": null"));
        assert_eq!(Session::from_json(&text).unwrap().tracks[0].fader_db, f32::NEG_INFINITY);
    }

    #[test]
    fn bad_files_get_human_errors() {
        assert!(matches!(Session::from_json("{not json"), Err(SessionError::Malformed(_))));
        assert_eq!(Session::from_json("{\"hello\": 1}"), Err(SessionError::NotASession));
        assert_eq!(Session::from_json("[1,2]").unwrap_err().to_string().contains("damaged"), true);
        let newer = Session::demo().to_json().replace("\"version\": 1", "\"version\": 7");
        let err = Session::from_json(&newer).unwrap_err();
        assert_eq!(err, SessionError::NewerVersion(7));
        assert!(err.to_string().contains("newer version of Mixroom"));
    }

    #[test]
    fn out_of_range_values_name_the_track() {
        let mut s = Session::demo();
        s.tracks[2].pan = 3.0;
        let err = Session::from_json(&s.to_json()).unwrap_err().to_string();
        assert!(err.contains("track 3") && err.contains("Hats") && err.contains("pan"), "{err}");

        let mut s = Session::demo();
        s.tracks[0].source = Source::DemoStem { stem: "theremin".into() };
        let err = Session::from_json(&s.to_json()).unwrap_err().to_string();
        assert!(err.contains("theremin"), "{err}");

        let mut s = Session::demo();
        s.sample_rate = 1;
        assert!(Session::from_json(&s.to_json()).is_err());
    }

    #[test]
    fn too_many_tracks_are_refused() {
        let mut s = Session::demo();
        let t = s.tracks[0].clone();
        s.tracks = vec![t; MAX_TRACKS + 1];
        assert!(matches!(Session::from_json(&s.to_json()), Err(SessionError::Invalid(_))));
    }

    #[test]
    fn mix_changes_cover_every_track_and_the_master() {
        let s = Session::demo();
        let changes = s.mix_changes();
        assert_eq!(changes.len(), s.tracks.len() * 6 + 1);
        assert!(changes.contains(&ParamChange::Track(0, TrackParam::Fader, s.tracks[0].fader_db)));
        assert_eq!(changes.last(), Some(&ParamChange::Master(MasterParam::Fader, 0.0)));
    }
}
