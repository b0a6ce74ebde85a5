//! Every limit of a session, in one place.
//!
//! **Accepted ⇒ openable.** The edit path ([`crate::edit`], and the app's desk, which checks every
//! edit's result with [`Session::validate`](crate::Session::validate)) refuses or cuts to these
//! limits with a message; the reader ([`Session::read`](crate::Session::read)) checks the same
//! limits with the same code ([`crate::check`]) and, meeting a value beyond one in stored data,
//! salvages it — clamps or drops that one value, opens the rest and says what it changed. So
//! nothing an editor accepts can make a session unopenable, and nothing a file holds can lock a
//! user out of the rest of their work.
//!
//! The limits are far beyond any real mix and low enough to refuse a hostile file before it costs
//! memory or time.

use core::ops::RangeInclusive;

pub use mixroom_engine::plan::{FADER_MAX_DB, SEND_MAX_DB, TRIM_RANGE_DB};

/// The most tracks a session holds.
pub const TRACKS: usize = 512;
/// The most group buses, and the most effect returns.
pub const BUSES: usize = 128;
/// The most inserts on one strip.
pub const INSERTS: usize = 32;
/// The most sends on one strip.
pub const SENDS: usize = 32;
/// The most clips on one track.
pub const CLIPS: usize = 10_000;
/// The most alternate versions (instrumental, a cappella, …) a session defines.
pub const ALTERNATES: usize = 32;
/// The most reference tracks a session keeps.
pub const REFERENCES: usize = 32;
/// A measured integrated loudness, LUFS: the meter's gate is at −70 LUFS, and no signal within
/// full scale measures above +3 LUFS.
pub const LOUDNESS_LUFS: RangeInclusive<f64> = -70.0..=10.0;
/// The most markers.
pub const MARKERS: usize = 10_000;
/// The most points on one automation lane: a ride recorded at a point every 10 ms (before
/// thinning) over more than 16 minutes.
pub const AUTOMATION_POINTS: usize = 100_000;
/// The longest name — of the session, a track, a bus, a return or a marker — in characters: a
/// line of lyrics fits.
pub const NAME_CHARS: usize = 256;
/// The longest strip id (ids are Mixroom's own: "track-12", "bus-3"), bytes.
pub const ID_BYTES: usize = 64;
/// Session sample rates, Hz.
pub const SAMPLE_RATES: RangeInclusive<u32> = 8_000..=192_000;
/// Tempo, beats per minute.
pub const TEMPO_BPM: RangeInclusive<f64> = 10.0..=999.0;
/// The tempo a session whose tempo does not read is given.
pub const DEFAULT_TEMPO_BPM: f64 = 120.0;
/// A clip's gain, dB.
pub const CLIP_GAIN_DB: RangeInclusive<f32> = -60.0..=24.0;
/// Pan (or balance), −1 (left) … +1 (right).
pub const PAN: RangeInclusive<f32> = -1.0..=1.0;
/// Stereo width, 0 (mono) … 2 (1 is as recorded).
pub const WIDTH: RangeInclusive<f32> = 0.0..=2.0;
/// Pan laws: 0 = −3 dB, 1 = −4.5 dB, 2 = −6 dB.
pub const PAN_LAWS: u8 = 3;
/// The timeline's length: everything placed on it — clips, markers, the loop, the play position —
/// lies within its first 24 hours (Pro Tools' limit too).
pub const TIMELINE_HOURS: u64 = 24;
/// The longest audio source, frames: three hours at 192 kHz (twelve at 48 kHz), what the importer
/// takes.
pub const SOURCE_FRAMES: u64 = 3 * 3_600 * 192_000;

/// The timeline's length at `sample_rate`, frames (see [`TIMELINE_HOURS`]).
pub fn timeline_frames(sample_rate: u32) -> u64 {
    TIMELINE_HOURS * 3_600 * sample_rate.clamp(*SAMPLE_RATES.start(), *SAMPLE_RATES.end()) as u64
}

/// The longest audio source at `sample_rate`, frames: [`SOURCE_FRAMES`], or the timeline where that
/// is shorter (below 24 kHz), since a track plays its whole source when it has no clips.
pub fn source_frames(sample_rate: u32) -> u64 {
    SOURCE_FRAMES.min(timeline_frames(sample_rate))
}

/// A name as typed: trimmed, at most [`NAME_CHARS`] characters. Returns the name and whether it was
/// cut; `None` when nothing is left of it.
pub fn name(typed: &str) -> Option<(String, bool)> {
    let trimmed = typed.trim();
    let cut = trimmed.chars().count() > NAME_CHARS;
    let name: String = trimmed.chars().take(NAME_CHARS).collect();
    let name = if cut { name.trim_end().to_owned() } else { name };
    (!name.is_empty()).then_some((name, cut))
}

/// What the user is told when a name was cut to the limit.
pub fn name_cut_message(what: &str) -> String {
    format!("The {what} was cut to {NAME_CHARS} characters, the longest a name can be.")
}

/// Frames as a duration a person reads, at `sample_rate`: "2:00:00", "12:34".
pub fn duration(frames: u64, sample_rate: u32) -> String {
    let seconds = frames / sample_rate.max(1) as u64;
    let (h, m, s) = (seconds / 3_600, seconds / 60 % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_cut_to_the_limit() {
        assert_eq!(name("  Kick In "), Some(("Kick In".into(), false)));
        assert_eq!(name("   "), None);
        let lyric = "ü".repeat(NAME_CHARS + 44);
        let (cut, was_cut) = name(&lyric).unwrap();
        assert!(was_cut);
        assert_eq!(cut.chars().count(), NAME_CHARS);
        let exact = "x".repeat(NAME_CHARS);
        assert_eq!(name(&exact), Some((exact.clone(), false)));
    }

    #[test]
    fn the_timeline_is_a_day_at_every_rate() {
        assert_eq!(timeline_frames(48_000), 24 * 3_600 * 48_000);
        assert_eq!(duration(timeline_frames(44_100), 44_100), "24:00:00");
        assert_eq!(duration(754 * 48_000, 48_000), "12:34");
        // The longest source is twelve hours at 48 kHz, three at 192 kHz.
        assert_eq!(duration(SOURCE_FRAMES, 48_000), "12:00:00");
    }
}
