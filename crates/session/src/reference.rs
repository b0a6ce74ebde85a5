//! Reference tracks: finished records the engineer compares the mix with (since format 6).
//!
//! A reference is stored with the session — its audio kept, packed into project files and counted
//! in the session's storage like a track's — but it is never part of the mix: it has no strip,
//! [`Session::to_mixer`] does not see it, and no render, export or bounce can contain it. It is
//! heard only on the monitor path, instead of the mix, when the engineer switches to it (A/B).

use serde::{Deserialize, Serialize};

use crate::{limits, Session, SessionError, Source};

/// Where a reference plays when the engineer switches to it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceSync {
    /// At the song position: frame `n` of the song plays frame `n` of the reference, so the same
    /// verse of a version of the same song (or an earlier mix) is compared.
    #[default]
    Song,
    /// From its own cue point, running on with the transport and looping over its own loop
    /// section: the chorus of another record against the chorus of the mix.
    Cue,
}

impl ReferenceSync {
    pub const ALL: [ReferenceSync; 2] = [ReferenceSync::Song, ReferenceSync::Cue];

    /// The engine's number for it (0 song, 1 cue).
    pub fn index(self) -> u32 {
        match self {
            ReferenceSync::Song => 0,
            ReferenceSync::Cue => 1,
        }
    }
}

/// A section of a reference, `[start, end)` in the reference's own frames, and whether it loops.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceLoop {
    pub start: u64,
    pub end: u64,
    #[serde(default)]
    pub enabled: bool,
}

/// A reference track.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// Stable identifier among the session's references ("ref-1").
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// Its audio: imported audio ([`Source::Audio`]; a demo stem is refused), at the session's
    /// sample rate (the importer resamples).
    pub source: Source,
    #[serde(default)]
    pub sync: ReferenceSync,
    /// Where it starts playing in [`ReferenceSync::Cue`], frames of the reference.
    #[serde(default)]
    pub cue: u64,
    /// Its loop section, for [`ReferenceSync::Cue`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loop_region: Option<ReferenceLoop>,
    /// Integrated loudness of the whole reference (EBU R 128), LUFS, measured when it was
    /// imported: what "match integrated loudness" sets against the mix's. None where it was never
    /// measured or is silence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loudness_lufs: Option<f64>,
}

impl Reference {
    /// Its length, frames.
    pub fn frames(&self) -> u64 {
        match &self.source {
            Source::Audio { frames, .. } => *frames,
            Source::DemoStem { .. } => 0,
        }
    }

    /// The loop section the engine plays when it loops: `Some((start, end))` in cue mode with an
    /// enabled loop.
    pub fn engine_loop(&self) -> Option<(u64, u64)> {
        self.loop_region.filter(|l| l.enabled && self.sync == ReferenceSync::Cue).map(|l| (l.start, l.end))
    }
}

impl Session {
    /// Adds a reference playing `source` (imported audio), named `name`, and returns its index.
    /// Its loudness is measured by the caller, who has the samples.
    pub fn add_reference(&mut self, name: &str, source: Source, loudness_lufs: Option<f64>) -> Result<usize, SessionError> {
        if self.references.len() >= limits::REFERENCES {
            return Err(SessionError::Invalid(format!("a session keeps up to {} reference tracks; remove one first", limits::REFERENCES)));
        }
        let n = (1..).find(|n| !self.references.iter().any(|r| r.id == format!("ref-{n}"))).expect("an unused id exists");
        self.references.push(Reference {
            id: format!("ref-{n}"),
            name: name.chars().take(limits::NAME_CHARS).collect(),
            source,
            sync: ReferenceSync::Song,
            cue: 0,
            loop_region: None,
            loudness_lufs: loudness_lufs.filter(|l| limits::LOUDNESS_LUFS.contains(l)),
        });
        Ok(self.references.len() - 1)
    }

    /// Every source the session plays or keeps, with a name for messages: the tracks' and the
    /// references'.
    pub fn sources(&self) -> impl Iterator<Item = (&str, &Source)> {
        self.tracks.iter().map(|t| (t.name.as_str(), &t.source)).chain(self.references.iter().map(|r| (r.name.as_str(), &r.source)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audio(frames: u64) -> Source {
        Source::Audio { id: "sha256-ref".into(), channels: 2, frames }
    }

    #[test]
    fn references_are_never_part_of_the_mix() {
        let plain = Session::demo();
        let mut with = plain.clone();
        with.add_reference("Reference master", audio(480_000), Some(-9.5)).unwrap();
        assert_eq!(with.to_mixer().unwrap(), plain.to_mixer().unwrap());
        assert_eq!(with.length_frames(), plain.length_frames());
        // …but they are kept: written, read back, and their audio counted as the session's.
        let back = Session::from_json(&with.to_json()).unwrap();
        assert_eq!(back.references, with.references);
        assert_eq!(back.references[0].id, "ref-1");
        assert!(with.sources().any(|(name, s)| name == "Reference master" && *s == audio(480_000)));
    }

    #[test]
    fn a_session_keeps_a_bounded_number_of_references() {
        let mut s = Session::demo();
        for _ in 0..limits::REFERENCES {
            s.add_reference("r", audio(10), None).unwrap();
        }
        let err = s.add_reference("one more", audio(10), None).unwrap_err();
        assert!(err.to_string().contains("up to 32 reference tracks"), "{err}");
        let ids: std::collections::BTreeSet<_> = s.references.iter().map(|r| r.id.clone()).collect();
        assert_eq!(ids.len(), limits::REFERENCES);
    }

    #[test]
    fn a_relinked_reference_takes_the_new_audio_within_its_length() {
        let mut s = Session::demo();
        s.add_reference("Old", audio(480_000), Some(-9.0)).unwrap();
        s.references[0].cue = 300_000;
        s.references[0].loop_region = Some(ReferenceLoop { start: 100_000, end: 400_000, enabled: true });
        let shorter = Source::Audio { id: "sha256-new".into(), channels: 1, frames: 200_000 };
        assert_eq!(s.replace_source("sha256-ref", shorter.clone()).unwrap(), Vec::<usize>::new(), "no track played it");
        let r = &s.references[0];
        assert_eq!((&r.source, r.cue, r.loop_region.map(|l| (l.start, l.end)), r.loudness_lufs), (&shorter, 0, Some((100_000, 200_000)), None));
        s.validate().unwrap();
    }

    #[test]
    fn a_hostile_reference_costs_only_itself() {
        let mut s = Session::demo();
        s.add_reference("Good", audio(48_000), Some(-10.0)).unwrap();
        let mut doc: serde_json::Value = serde_json::from_str(&s.to_json()).unwrap();
        let good = doc["references"][0].clone();
        let mut bad = good.clone();
        bad["id"] = "ref-1".into();
        bad["name"] = "<img src=x onerror=alert(1)>".repeat(40).into();
        bad["cue"] = 10_000_000u64.into();
        bad["loop_region"] = serde_json::json!({ "start": 40_000, "end": 90_000_000, "enabled": true });
        bad["loudness_lufs"] = 1e300.into();
        let unreadable = serde_json::json!({ "name": "No source", "cue": "soon" });
        let five_channels = serde_json::json!({ "name": "Surround", "source": { "kind": "audio", "id": "x", "channels": 5, "frames": 10 } });
        doc["references"] = serde_json::json!([good, bad, unreadable, five_channels]);
        let (back, repairs) = Session::read(&doc.to_string()).unwrap();
        assert_eq!(back.references.len(), 2, "{repairs}");
        assert_eq!(back.references[0], s.references[0]);
        let mended = &back.references[1];
        assert_eq!(mended.id, "ref-2");
        assert_eq!(mended.name.chars().count(), limits::NAME_CHARS);
        assert_eq!(mended.cue, 0);
        assert_eq!(mended.loop_region, Some(ReferenceLoop { start: 40_000, end: 48_000, enabled: true }));
        assert_eq!(mended.loudness_lufs, None);
        // What was mended is said, and the salvaged session passes the strict check.
        let said = repairs.0.join("\n");
        for expected in ["reference “No source” could not be read", "reference “Surround” has audio of 5 channels", "used twice", "its cue lies beyond its end", "its loop section reaches past its end", "loudness"] {
            assert!(said.contains(expected), "{expected:?} not in {said}");
        }
        back.validate().unwrap();
    }
}
