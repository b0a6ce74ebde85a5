//! How long a mix rings on after its last clip ends: what a render must go on for so that no
//! reverb or delay tail is cut. The bound is worked out from the effects themselves — a reverb's
//! decay, a delay's time and feedback, at their longest over their settings and automation — so
//! that the browser, which must know a render's length before it starts, and the CLI render the
//! same frames.

use mixroom_engine::InsertKind;

use crate::automation::Param;
use crate::{Insert, Session, Strip};

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
