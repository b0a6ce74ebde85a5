//! Streaming-loudness preview: how much each major service turns a master down (or up) when it
//! plays it with loudness normalization on, from the master's integrated loudness and maximum true
//! peak.
//!
//! Only Spotify publishes its full rules; the other services' figures are as reported by the trade
//! and by measurement, and each is labelled so ([`Source`]) with the date it was read. A service
//! that changes its rules changes a row here.

/// Where a service's rule comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Published by the service itself.
    Official { reference: &'static str, read: &'static str },
    /// Not published by the service; as reported (by measurement and the trade press).
    Reported { reference: &'static str, read: &'static str },
}

/// Whether, and how far, a service turns up a master quieter than its target.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TurnUp {
    /// Quieter masters play as they are: the service only turns down.
    Never,
    /// Turned up towards the target, but no further than leaves the true peak this far below
    /// full scale (dBTP).
    UpToPeak { ceiling_dbtp: f64 },
}

/// A streaming service's loudness normalization, as it applies by default.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Service {
    pub name: &'static str,
    /// The integrated loudness it plays every master at, LUFS.
    pub target_lufs: f64,
    pub turn_up: TurnUp,
    /// The true-peak maximum it asks masters to keep under, dBTP.
    pub true_peak_max_dbtp: f64,
    pub source: Source,
}

const SPOTIFY_RULES: &str = "Spotify for Artists, \"Loudness normalization\" (support.spotify.com/artists/article/loudness-normalization): tracks played at −14 LUFS (ITU-R BS.1770); louder masters turned down; softer ones turned up, leaving 1 dB of true-peak headroom (its example: −20 LUFS with a −5 dBFS true peak is lifted to −16 LUFS); masters to stay below −1 dBTP";
const REPORTED: &str = "as reported by mastering references (e.g. lexpi.ai \"Loudness streaming\", mid-2026; velveteen.fm \"LUFS targets by platform\"): the service turns louder masters down and leaves quieter ones as they are";

/// The services, with their default normalization. Spotify's listeners may choose Loud (−11 LUFS,
/// with a limiter) or Quiet (−19 LUFS); the default, Normal, is the one shown.
pub const SERVICES: [Service; 6] = [
    Service { name: "Spotify", target_lufs: -14.0, turn_up: TurnUp::UpToPeak { ceiling_dbtp: -1.0 }, true_peak_max_dbtp: -1.0, source: Source::Official { reference: SPOTIFY_RULES, read: "2026-11-29" } },
    Service { name: "Apple Music", target_lufs: -16.0, turn_up: TurnUp::Never, true_peak_max_dbtp: -1.0, source: Source::Reported { reference: REPORTED, read: "2026-11-29" } },
    Service { name: "YouTube", target_lufs: -14.0, turn_up: TurnUp::Never, true_peak_max_dbtp: -1.0, source: Source::Reported { reference: REPORTED, read: "2026-11-29" } },
    Service { name: "Tidal", target_lufs: -14.0, turn_up: TurnUp::Never, true_peak_max_dbtp: -1.0, source: Source::Reported { reference: REPORTED, read: "2026-11-29" } },
    Service { name: "Amazon Music", target_lufs: -14.0, turn_up: TurnUp::Never, true_peak_max_dbtp: -2.0, source: Source::Reported { reference: REPORTED, read: "2026-11-29" } },
    Service { name: "Deezer", target_lufs: -15.0, turn_up: TurnUp::Never, true_peak_max_dbtp: -1.0, source: Source::Reported { reference: REPORTED, read: "2026-11-29" } },
];

impl Service {
    /// The gain the service plays a master at (dB; negative: turned down), from its integrated
    /// loudness (LUFS) and maximum true peak (dBTP; `None` if unknown: no turning up then).
    pub fn playback_gain(&self, integrated: f64, true_peak: Option<f64>) -> f64 {
        let to_target = self.target_lufs - integrated;
        if to_target <= 0.0 {
            return to_target;
        }
        match (self.turn_up, true_peak) {
            (TurnUp::UpToPeak { ceiling_dbtp }, Some(peak)) => to_target.min(ceiling_dbtp - peak).max(0.0),
            _ => 0.0,
        }
    }

    pub fn is_official(&self) -> bool {
        matches!(self.source, Source::Official { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(name: &str) -> Service {
        *SERVICES.iter().find(|s| s.name == name).unwrap()
    }

    #[test]
    fn spotify_follows_its_published_rules() {
        let spotify = service("Spotify");
        // Its own example: −20 LUFS with a −5 dBTP peak is lifted to −16 LUFS (+4 dB), no further.
        assert_eq!(spotify.playback_gain(-20.0, Some(-5.0)), 4.0);
        // A quiet master with headroom to spare reaches the target.
        assert_eq!(spotify.playback_gain(-18.0, Some(-10.0)), 4.0);
        // A loud master is turned down to −14 LUFS, whatever its peak.
        assert_eq!(spotify.playback_gain(-8.0, Some(0.5)), -6.0);
        // A quiet master already peaking above −1 dBTP is not turned up at all.
        assert_eq!(spotify.playback_gain(-20.0, Some(-0.5)), 0.0);
        assert!(spotify.is_official());
    }

    #[test]
    fn the_reported_services_only_turn_down() {
        for s in SERVICES.iter().filter(|s| !s.is_official()) {
            assert_eq!(s.playback_gain(s.target_lufs - 6.0, Some(-12.0)), 0.0, "{} turned a quiet master up", s.name);
            assert_eq!(s.playback_gain(s.target_lufs + 4.5, Some(-0.1)), -4.5, "{}", s.name);
        }
        assert_eq!(service("Apple Music").playback_gain(-9.0, None), -7.0);
        assert_eq!(service("Deezer").playback_gain(-9.0, None), -6.0);
    }

    #[test]
    fn only_spotify_is_labelled_official() {
        let official: Vec<&str> = SERVICES.iter().filter(|s| s.is_official()).map(|s| s.name).collect();
        assert_eq!(official, ["Spotify"]);
    }
}
