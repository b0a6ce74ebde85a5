//! What a render plays: how long a mix rings on after its last clip ends, so that no reverb or
//! delay tail is cut, and the span of the timeline a delivery holds ([`Span`]: the song, the loop
//! region, or between two markers). The bound is worked out from the effects themselves — a reverb's
//! decay, a delay's time and feedback, at their longest over their settings and automation — so
//! that the browser, which must know a render's length before it starts, and the CLI render the
//! same frames.

use mixroom_engine::InsertKind;

use crate::automation::Param;
use crate::{Insert, Session, SessionError, Strip};

/// The part of the timeline a delivery holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Span {
    /// From the first clip to the end of the last tail.
    Song,
    /// The loop region (whether Loop is on or not).
    Loop,
    /// From one marker to another (by name; in either order).
    Markers(String, String),
}

impl Span {
    /// The CLI's form: `song`, `loop`, or `FROM..TO` with marker names.
    pub fn parse(text: &str) -> Result<Span, SessionError> {
        match text.trim() {
            "song" | "" => Ok(Span::Song),
            "loop" => Ok(Span::Loop),
            other => match other.split_once("..") {
                Some((from, to)) => Ok(Span::Markers(from.trim().to_owned(), to.trim().to_owned())),
                None => Err(SessionError::Invalid(format!("“{other}” is not a range: song, loop, or two markers as FROM..TO"))),
            },
        }
    }
}

/// The level a tail is followed down to, dB (below a 24-bit file's last bit).
pub const TAIL_FLOOR_DB: f64 = -120.0;
/// What rings on with no time-based effect at all (filters, a gate's hold, a limiter's release
/// of what it held), seconds.
pub const TAIL_BASE_SECONDS: f64 = 0.5;
/// The longest tail a render goes on for, seconds.
pub const TAIL_MOST_SECONDS: f64 = 60.0;

/// An insert parameter at its largest: its setting and every point of its automation lane.
fn largest(strip: &Strip, slot: usize, insert: &Insert, key: &str) -> f32 {
    let default = InsertKind::from_key(&insert.kind).and_then(|k| k.params().iter().find(|p| p.key == key)).map_or(0.0, |p| p.default);
    let setting = insert.params.get(key).copied().unwrap_or(default);
    let lane = Param::Insert(slot, key.to_owned()).address();
    strip.automation.iter().filter(|l| l.param == lane).flat_map(|l| l.points.iter().map(|p| p.value)).filter(|v| v.is_finite()).fold(setting, f32::max)
}

/// Seconds for a signal fed back at `feedback` every `period` seconds to fall to the floor.
fn echoes(period: f64, feedback: f64) -> f64 {
    let g = feedback.abs();
    if g < 1e-3 {
        return period;
    }
    period * (1.0 + TAIL_FLOOR_DB / (20.0 * g.min(0.999).log10()))
}

impl Session {
    /// How long the mix rings on after its last clip, seconds: the effects' tails added up (they
    /// may follow one another: a delay into a reverb), at most [`TAIL_MOST_SECONDS`].
    pub fn tail_seconds(&self) -> f64 {
        let strips = self.tracks.iter().map(|t| &t.strip).chain(self.buses.iter().map(|b| &b.strip)).chain(self.returns.iter().map(|b| &b.strip)).chain([&self.master.strip]);
        let mut total = TAIL_BASE_SECONDS;
        for strip in strips {
            for (slot, insert) in strip.inserts.iter().enumerate() {
                let value = |key: &str| largest(strip, slot, insert, key) as f64;
                total += match insert.kind.as_str() {
                    // RT60 is the time to fall 60 dB: to the floor, twice that.
                    "reverb" => value("predelay") / 1_000.0 + value("decay") * -TAIL_FLOOR_DB / 60.0,
                    "delay" => {
                        let period = if value("sync") >= 0.5 {
                            let note = mixroom_dsp::delay::NOTE_BEATS.get(value("note") as usize).copied().unwrap_or(4.0) as f64;
                            (note * 60.0 / self.tempo_bpm).min(mixroom_dsp::delay::MAX_DELAY_SECONDS as f64)
                        } else {
                            value("time") / 1_000.0
                        };
                        echoes(period, value("feedback"))
                    }
                    "modulation" => echoes(value("delay") / 1_000.0, value("feedback")),
                    _ => 0.0,
                };
            }
        }
        total.min(TAIL_MOST_SECONDS)
    }

    /// The frames a render of the song plays: to its last clip's end and then its tail.
    pub fn render_frames(&self) -> u64 {
        self.length_frames() + (self.tail_seconds() * self.sample_rate as f64).ceil() as u64
    }

    /// Where the first clip starts (0 without clips).
    pub fn first_clip_frame(&self) -> u64 {
        (0..self.tracks.len()).flat_map(|t| self.clips(t)).map(|c| c.start).min().unwrap_or(0)
    }

    /// The frames `[start, end)` a delivery of `span` holds. A render plays from the timeline's
    /// start to `end` and keeps what follows `start`, so that a part of the song sounds as it does
    /// played through (the reverb of what came before still ringing into it); a loop region or a
    /// marker range ends where it ends, without a tail.
    pub fn span_frames(&self, span: &Span) -> Result<(u64, u64), SessionError> {
        let (start, end) = match span {
            Span::Song => (self.first_clip_frame(), self.render_frames()),
            Span::Loop => self.loop_region.map(|l| (l.start, l.end)).ok_or_else(|| SessionError::Invalid("the session has no loop region to deliver".into()))?,
            Span::Markers(from, to) => {
                let at = |name: &str| self.markers.iter().find(|m| m.name == name).map(|m| m.frame).ok_or_else(|| {
                    let names: Vec<&str> = self.markers.iter().map(|m| m.name.as_str()).collect();
                    SessionError::Invalid(format!("the session has no marker “{name}” (it has: {})", if names.is_empty() { "none".to_owned() } else { names.join(", ") }))
                });
                let (a, b) = (at(from)?, at(to)?);
                (a.min(b), a.max(b))
            }
        };
        if end <= start {
            return Err(SessionError::Invalid("the range to deliver is empty".into()));
        }
        Ok((start, end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_render_goes_on_until_the_tails_are_below_the_last_bit() {
        // The demo: a plate reverb and a tempo-synced echo on its returns. After its last clip the
        // render goes on with them ringing, and by its end they have fallen below −120 dBFS.
        let s = Session::demo();
        let tail = s.tail_seconds();
        assert!(tail > 2.0 && tail < TAIL_MOST_SECONDS, "{tail} s");
        let [left, right] = s.build_engine(&s.render_sources().unwrap()).unwrap().render_all();
        assert_eq!(left.len() as u64, s.render_frames());
        let song = s.length_frames() as usize;
        let level = |from: usize, to: usize| left[from..to].iter().chain(&right[from..to]).fold(0.0f32, |m, x| m.max(x.abs()));
        let rate = s.sample_rate as usize;
        assert!(level(song, song + rate / 10) > 1e-3, "the tails ring on after the last clip: {}", level(song, song + rate / 10));
        let end = left.len();
        assert!(level(end - rate / 10, end) < 1e-6, "and have died away by the end: {}", level(end - rate / 10, end));
        // Without time-based effects, half a second.
        let mut dry = Session::demo();
        for r in dry.strip_refs() {
            dry.strip_mut(r).unwrap().inserts.retain(|i| !matches!(i.kind.as_str(), "reverb" | "delay" | "modulation"));
        }
        assert_eq!(dry.tail_seconds(), TAIL_BASE_SECONDS);
    }

    #[test]
    fn a_span_is_the_song_the_loop_region_or_between_two_markers() {
        let mut s = Session::demo();
        let rate = s.sample_rate as u64;
        assert_eq!(s.span_frames(&Span::Song).unwrap(), (0, s.render_frames()));
        // Song starts at the first clip: the demo's clips moved on by a second.
        let mut later = s.clone();
        for t in 0..later.tracks.len() {
            let mut clips = later.clips(t);
            clips.iter_mut().for_each(|c| c.start += rate);
            later.tracks[t].clips = clips;
        }
        assert_eq!(later.span_frames(&Span::Song).unwrap(), (rate, later.render_frames()));
        assert!(s.span_frames(&Span::Loop).unwrap_err().to_string().contains("no loop region"));
        s.loop_region = Some(crate::LoopRegion { start: 2 * rate, end: 5 * rate, enabled: false });
        assert_eq!(s.span_frames(&Span::Loop).unwrap(), (2 * rate, 5 * rate), "whether Loop is on or not");
        let (verse, lead) = (mixroom_demo::bar_frame(4, 48_000), mixroom_demo::bar_frame(8, 48_000));
        assert_eq!(s.span_frames(&Span::parse("Verse..Lead").unwrap()).unwrap(), (verse, lead));
        assert_eq!(s.span_frames(&Span::parse("Lead..Verse").unwrap()).unwrap(), (verse, lead), "either order");
        let unknown = s.span_frames(&Span::parse("Verse..Bridge").unwrap()).unwrap_err().to_string();
        assert!(unknown.contains("no marker “Bridge” (it has: Intro, Verse, Lead, Outro)"), "{unknown}");
        assert!(s.span_frames(&Span::parse("Verse..Verse").unwrap()).is_err(), "an empty range");
        assert!(Span::parse("verse").is_err());
        assert_eq!(Span::parse("loop").unwrap(), Span::Loop);
    }

    #[test]
    fn the_longest_setting_or_automation_point_counts() {
        let mut s = Session::demo();
        let plate = s.returns.iter().position(|r| r.strip.inserts.iter().any(|i| i.kind == "reverb")).unwrap();
        let before = s.tail_seconds();
        let slot = s.returns[plate].strip.inserts.iter().position(|i| i.kind == "reverb").unwrap();
        s.returns[plate].strip.automation.push(crate::automation::AutomationLane {
            param: Param::Insert(slot, "decay".into()).address(),
            points: vec![crate::automation::AutomationPoint { frame: 0, value: 12.0, shape: crate::automation::PointShape::Linear, bend: 0.0 }],
        });
        let decay = s.returns[plate].strip.inserts[slot].params.get("decay").copied().unwrap_or(2.0) as f64;
        let grown = s.tail_seconds() - before;
        assert!((grown - (12.0 - decay) * 2.0).abs() < 1e-3, "{grown}");
        // A delay fed back at 95 % is capped.
        assert!(echoes(4.0, 0.95) > TAIL_MOST_SECONDS);
    }
}
