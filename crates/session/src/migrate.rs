//! Reading session files written by earlier versions of Mixroom.
//!
//! Format 1 (below) had tracks to the master only. Format 2 added buses, returns, inserts and sends;
//! format 3 clips, markers, the loop region and track colours, format 4 track folders, format 5
//! automation, format 6 reference tracks, format 7 track roles and alternate versions, all optional, so files
//! of formats 2–6 read directly with
//! them at their defaults (see `Session::from_json`).
//!
//! Each earlier format keeps its own serde types here, exactly as that version wrote them, and a
//! conversion into the current [`Session`]. A file is read with its own version's types, then carried
//! forward one version at a time.

use crate::{Master, Session, SessionError, Strip, Track, FORMAT, VERSION};

/// Format 1 (Mixroom's first release): tracks with trim, fader, pan, mute, solo and polarity, all
/// routed to the master, which had a fader only.
pub mod v1 {
    use serde::Deserialize;

    #[derive(Deserialize)]
    pub struct Session {
        pub name: String,
        pub sample_rate: u32,
        pub tempo_bpm: f64,
        pub tracks: Vec<Track>,
        pub master: Master,
    }

    #[derive(Deserialize)]
    pub struct Track {
        pub name: String,
        pub source: crate::Source,
        #[serde(default)]
        pub trim_db: f32,
        #[serde(default, deserialize_with = "db_or_null")]
        pub fader_db: f32,
        #[serde(default)]
        pub pan: f32,
        #[serde(default)]
        pub mute: bool,
        #[serde(default)]
        pub solo: bool,
        #[serde(default)]
        pub polarity_inverted: bool,
    }

    #[derive(Deserialize)]
    pub struct Master {
        #[serde(default, deserialize_with = "db_or_null")]
        pub fader_db: f32,
    }

    fn db_or_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f32, D::Error> {
        Ok(Option::<f32>::deserialize(d)?.unwrap_or(f32::NEG_INFINITY))
    }
}

/// Reads a format-1 file into the current model.
pub fn from_v1(text: &str) -> Result<Session, SessionError> {
    let old: v1::Session = serde_json::from_str(text).map_err(|e| SessionError::Malformed(e.to_string()))?;
    Ok(Session {
        format: FORMAT.into(),
        version: VERSION,
        name: old.name,
        sample_rate: old.sample_rate,
        tempo_bpm: old.tempo_bpm,
        tracks: old
            .tracks
            .into_iter()
            .enumerate()
            .map(|(i, t)| Track {
                id: format!("track-{}", i + 1),
                name: t.name,
                source: t.source,
                clips: Vec::new(),
                colour: None,
                folder: None,
                role: None,
                strip: Strip {
                    trim_db: t.trim_db,
                    polarity_inverted: t.polarity_inverted,
                    fader_db: t.fader_db,
                    pan: t.pan,
                    mute: t.mute,
                    solo: t.solo,
                    ..Strip::default()
                },
            })
            .collect(),
        buses: Vec::new(),
        returns: Vec::new(),
        master: Master { strip: Strip { fader_db: old.master.fader_db, ..Strip::default() } },
        markers: Vec::new(),
        loop_region: None,
        automation_suspended: false,
        references: Vec::new(),
        alternates: Vec::new(),
    })
}
