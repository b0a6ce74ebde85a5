//! The demo song: eight stems a new user can mix the moment the page opens, with nothing to download.
//!
//! "Night Drive", 96 BPM in A minor, 16 bars plus one bar of tail (42.5 s): kick, snare, hats, bass,
//! keys, pad, lead and a vocal-like formant line. Every stem is synthesized here, deterministically:
//! the same sample rate gives the same samples on every machine and in WebAssembly, which is what lets
//! the browser's render be compared with the native render sample for sample.

mod stems;
pub mod synth;

/// Tempo of the demo song.
pub const TEMPO_BPM: f64 = 96.0;
/// Beats per bar.
pub const BEATS_PER_BAR: f64 = 4.0;
/// Bars of music; one more bar lets the last chord ring out.
pub const BARS: usize = 16;

/// One stem of the demo song, with the mix position it starts from in the demo session.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StemInfo {
    /// Stable identifier stored in session files.
    pub id: &'static str,
    /// Track name shown in the mixer.
    pub name: &'static str,
    /// 1 = mono, 2 = stereo.
    pub channels: usize,
    /// Starting fader position, dB.
    pub fader_db: f32,
    /// Starting pan/balance, −1 … +1.
    pub pan: f32,
}

/// The stems of the demo song, in track order.
pub const STEMS: &[StemInfo] = &[
    StemInfo { id: "kick", name: "Kick", channels: 1, fader_db: -4.0, pan: 0.0 },
    StemInfo { id: "snare", name: "Snare", channels: 1, fader_db: -6.0, pan: 0.0 },
    StemInfo { id: "hats", name: "Hats", channels: 1, fader_db: -9.0, pan: 0.3 },
    StemInfo { id: "bass", name: "Bass", channels: 1, fader_db: -5.0, pan: 0.0 },
    StemInfo { id: "keys", name: "Keys", channels: 2, fader_db: -9.0, pan: 0.0 },
    StemInfo { id: "pad", name: "Pad", channels: 2, fader_db: -12.0, pan: 0.0 },
    StemInfo { id: "lead", name: "Lead", channels: 1, fader_db: -10.0, pan: -0.25 },
    StemInfo { id: "vox", name: "Vox", channels: 1, fader_db: -6.0, pan: 0.0 },
];

/// Looks up a stem by its id.
pub fn stem(id: &str) -> Option<&'static StemInfo> {
    STEMS.iter().find(|s| s.id == id)
}

/// Length of the demo song in frames at `sample_rate` (17 bars).
pub fn length_frames(sample_rate: u32) -> usize {
    beats_to_frames((BARS as f64 + 1.0) * BEATS_PER_BAR, sample_rate)
}

/// Frame where bar `bar` (0-based) starts at `sample_rate`.
pub fn bar_frame(bar: usize, sample_rate: u32) -> u64 {
    beats_to_frames(bar as f64 * BEATS_PER_BAR, sample_rate) as u64
}

/// Frames from the song start to `beats`, rounded to the nearest frame.
pub(crate) fn beats_to_frames(beats: f64, sample_rate: u32) -> usize {
    (beats * 60.0 / TEMPO_BPM * sample_rate as f64).round() as usize
}

/// Synthesizes one stem at `sample_rate`: one buffer per channel, each [`length_frames`] long.
///
/// Returns `None` for an unknown id. Takes a few hundred milliseconds per stem; call it off the audio
/// thread.
pub fn render_stem(id: &str, sample_rate: u32) -> Option<Vec<Vec<f32>>> {
    let info = stem(id)?;
    let mut song = stems::Song::new(sample_rate, info.channels);
    match id {
        "kick" => song.kick(),
        "snare" => song.snare(),
        "hats" => song.hats(),
        "bass" => song.bass(),
        "keys" => song.keys(),
        "pad" => song.pad(),
        "lead" => song.lead(),
        "vox" => song.vox(),
        _ => return None,
    }
    Some(song.finish(stems::peak_target(id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FS: u32 = 48_000;

    #[test]
    fn every_stem_renders_musical_levels_without_clipping() {
        for s in STEMS {
            let audio = render_stem(s.id, FS).unwrap();
            assert_eq!(audio.len(), s.channels, "{}", s.id);
            for ch in &audio {
                assert_eq!(ch.len(), length_frames(FS));
                assert!(ch.iter().all(|x| x.is_finite()), "{} not finite", s.id);
                let peak = ch.iter().fold(0.0f32, |m, x| m.max(x.abs()));
                let rms = (ch.iter().map(|&x| (x as f64) * (x as f64)).sum::<f64>() / ch.len() as f64).sqrt();
                assert!(peak <= 1.0 && peak > 0.1, "{}: peak {peak}", s.id);
                // Between −45 and −6 dBFS RMS: audible material with a real crest factor.
                let rms_db = 20.0 * rms.log10();
                assert!((-45.0..-6.0).contains(&rms_db), "{}: RMS {rms_db:.1} dBFS", s.id);
            }
        }
    }

    #[test]
    fn rendering_is_deterministic() {
        assert_eq!(render_stem("vox", FS), render_stem("vox", FS));
        assert_eq!(render_stem("hats", 44_100), render_stem("hats", 44_100));
    }

    #[test]
    fn song_is_between_30_and_60_seconds() {
        let seconds = length_frames(FS) as f64 / FS as f64;
        assert!((30.0..=60.0).contains(&seconds), "{seconds}");
        assert!(render_stem("nope", FS).is_none());
    }

    /// The kick lands on the beat: its energy in the 10 ms after beat 1 of bar 5 far exceeds the
    /// 10 ms before it.
    #[test]
    fn kick_is_on_the_grid() {
        let kick = &render_stem("kick", FS).unwrap()[0];
        let at = beats_to_frames(4.0 * BEATS_PER_BAR, FS);
        let energy = |r: core::ops::Range<usize>| kick[r].iter().map(|x| x * x).sum::<f32>();
        assert!(energy(at..at + 480) > 100.0 * energy(at - 480..at).max(1e-12));
    }
}
