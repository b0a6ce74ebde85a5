//! S16, the standard benchmark session (see `docs/BENCHMARKS.md`): sixteen tracks with the same
//! channel strip, two group buses, a reverb and a delay return, and a mastering chain. The same
//! definition feeds every measurement — native, in the worklet, and the peers', which are built to
//! match it.

use std::collections::BTreeMap;

use crate::{Bus, Insert, Master, Send, Session, Source, Strip, Track, FORMAT, VERSION};

/// Sample rate of S16.
pub const S16_RATE: u32 = 48_000;
/// Number of tracks; the first four are stereo.
pub const S16_TRACKS: usize = 16;

fn insert(kind: &str, params: &[(&str, f32)]) -> Insert {
    Insert { kind: kind.into(), bypass: false, params: params.iter().map(|(k, v)| (k.to_string(), *v)).collect::<BTreeMap<_, _>>(), sidechain: None }
}

/// Linear send gains of S16 (0.2 and 0.1) in dB.
fn gain_db(g: f32) -> f32 {
    20.0 * g.log10()
}

/// The S16 session, `seconds` long; its tracks' audio is [`s16_sources`].
pub fn s16_session(seconds: f64) -> Session {
    let frames = (seconds * S16_RATE as f64) as u64;
    let tracks = (0..S16_TRACKS)
        .map(|t| Track {
            id: format!("t{}", t + 1),
            name: format!("Track {}", t + 1),
            source: Source::Audio { id: format!("s16-{}", t + 1), channels: if t < 4 { 2 } else { 1 }, frames },
            clips: Vec::new(),
            colour: None,
            folder: None,
            role: None,
            strip: Strip {
                inserts: vec![
                    insert("filters", &[("hp_on", 1.0), ("hp_freq", 80.0), ("hp_slope", 0.0)]),
                    insert("eq", &[("low_freq", 120.0), ("low_gain", 2.0), ("low_q", 0.7), ("lomid_freq", 400.0), ("lomid_gain", -3.0), ("lomid_q", 1.2), ("himid_freq", 2_500.0), ("himid_gain", 2.0), ("himid_q", 1.0), ("high_freq", 8_000.0), ("high_gain", 1.5), ("high_q", 0.7)]),
                    insert("compressor", &[("threshold", -18.0), ("ratio", 4.0), ("attack", 10.0), ("release", 100.0), ("knee", 6.0)]),
                ],
                pan: (t as f32 / (S16_TRACKS - 1) as f32) * 1.6 - 0.8,
                fader_db: -6.0,
                sends: vec![
                    Send { to: "reverb".into(), level_db: gain_db(0.2), pre_fader: false, muted: false },
                    Send { to: "delay".into(), level_db: gain_db(0.1), pre_fader: false, muted: false },
                ],
                output: if t < 8 { if t % 2 == 0 { "group-a".into() } else { "group-b".into() } } else { "master".into() },
                ..Strip::default()
            },
        })
        .collect();
    let group = |id: &str, name: &str| Bus { id: id.into(), name: name.into(), collapsed: false, strip: Strip { inserts: vec![insert("compressor", &[("threshold", -10.0), ("ratio", 3.0)])], ..Strip::default() } };
    Session {
        format: FORMAT.into(),
        version: VERSION,
        name: "S16".into(),
        sample_rate: S16_RATE,
        tempo_bpm: 120.0,
        tracks,
        buses: vec![group("group-a", "Group A"), group("group-b", "Group B")],
        returns: vec![
            Bus { id: "reverb".into(), name: "Reverb".into(), collapsed: false, strip: Strip { solo_safe: true, inserts: vec![insert("reverb", &[("type", 2.0), ("decay", 2.0), ("predelay", 0.0)])], ..Strip::default() } },
            Bus {
                id: "delay".into(),
                name: "Delay".into(),
                collapsed: false,
                strip: Strip { solo_safe: true, inserts: vec![insert("delay", &[("time", 375.0), ("feedback", 0.35), ("hp_freq", 200.0), ("lp_freq", 20_000.0)])], ..Strip::default() },
            },
        ],
        master: Master {
            strip: Strip {
                inserts: vec![
                    insert("eq", &[("himid_freq", 3_000.0), ("himid_gain", 1.0), ("himid_q", 0.7)]),
                    insert("compressor", &[("threshold", -12.0), ("ratio", 2.0)]),
                    insert("limiter", &[("ceiling", -1.0)]),
                ],
                ..Strip::default()
            },
        },
        markers: Vec::new(),
        loop_region: None,
        automation_suspended: false,
        references: Vec::new(),
        alternates: Vec::new(),
    }
}

/// Points of S16's automation: one every 10 ms.
pub const S16_POINT_FRAMES: u64 = 480;

/// S16's automation recipe at time `seconds` on track `t`: (fader dB, pan, low-mid EQ gain dB) —
/// slow rides of a few dB and a little pan movement, different on every track. The peers compute
/// the same values (docs/BENCHMARKS.md).
pub fn s16_ride(t: usize, seconds: f64) -> (f32, f32, f32) {
    let tau = std::f64::consts::TAU;
    let t = t as f64;
    let fader = -6.0 + 3.0 * (tau * seconds * (0.25 + 0.05 * t)).sin();
    let pan = ((t / (S16_TRACKS - 1) as f64) * 1.6 - 0.8 + 0.15 * (tau * seconds * (0.1 + 0.02 * t)).sin()).clamp(-1.0, 1.0);
    let eq = -3.0 + 3.0 * (tau * seconds * (0.5 + 0.03 * t)).sin();
    (fader as f32, pan as f32, eq as f32)
}

/// S16 with every track's fader, pan and low-mid EQ gain automated by dense curves: a point every
/// 10 ms ([`s16_ride`]), linear between.
pub fn s16_automated(seconds: f64) -> Session {
    use crate::automation::{AutomationLane, AutomationPoint, PointShape};
    let mut s = s16_session(seconds);
    let points = (seconds * S16_RATE as f64) as u64 / S16_POINT_FRAMES + 1;
    for (t, track) in s.tracks.iter_mut().enumerate() {
        let mut lanes = [Vec::new(), Vec::new(), Vec::new()];
        for k in 0..points {
            let frame = k * S16_POINT_FRAMES;
            let (fader, pan, eq) = s16_ride(t, frame as f64 / S16_RATE as f64);
            for (lane, value) in lanes.iter_mut().zip([fader, pan, eq]) {
                lane.push(AutomationPoint { frame, value, shape: PointShape::Linear, bend: 0.0 });
            }
        }
        let [fader, pan, eq] = lanes;
        track.strip.automation = vec![
            AutomationLane { param: "fader".into(), points: fader },
            AutomationLane { param: "pan".into(), points: pan },
            AutomationLane { param: "insert/1/lomid_gain".into(), points: eq },
        ];
    }
    s
}

/// S16's track audio: noise shaped by a slow sine, a different rate per track, from a 32-bit linear
/// congruential generator seeded with the track number (the recipe of the peers' pages).
pub fn s16_sources(seconds: f64) -> Vec<Vec<Vec<f32>>> {
    let frames = (seconds * S16_RATE as f64) as usize;
    (0..S16_TRACKS)
        .map(|t| {
            let seed = (t + 1) as u32;
            let mut x = seed;
            let channels = if t < 4 { 2 } else { 1 };
            (0..channels)
                .map(|_| {
                    (0..frames)
                        .map(|i| {
                            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                            let shape = (i as f64 * (0.0005 + 0.0001 * seed as f64)).sin();
                            (((x as f64 / 4_294_967_296.0) - 0.5) * 0.5 * shape) as f32
                        })
                        .collect()
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn automated_s16_is_valid_and_rides() {
        let s = s16_automated(2.0);
        s.validate().unwrap();
        assert_eq!(s.tracks[3].strip.automation[0].points.len(), 201);
        let mut plain = s16_session(2.0).build_engine(&s16_sources(2.0)).unwrap();
        let mut ridden = s.build_engine(&s16_sources(2.0)).unwrap();
        assert_ne!(plain.render_all()[0], ridden.render_all()[0]);
    }

    #[test]
    fn s16_is_a_valid_session_that_renders() {
        let s = s16_session(2.0);
        let s = Session::from_json(&s.to_json()).unwrap();
        assert_eq!(s.tracks.len(), 16);
        let mut engine = s.build_engine(&s16_sources(2.0)).unwrap();
        let [l, _] = engine.render_all();
        // Two seconds, then its tails.
        assert_eq!(l.len() as u64, s.render_frames());
        assert!(s.render_frames() > 96_000);
        let peak = l.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!(peak > 0.05 && peak < 0.9, "{peak}");
    }
}
