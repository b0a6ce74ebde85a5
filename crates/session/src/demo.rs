//! The demo session: the demo song's stems on a console set up the way an engineer would start a
//! mix — a drum bus, a plate reverb and a tempo-synced delay on returns, channel EQ and compression
//! where they earn their keep, and a true-peak limiter on the master.

use std::collections::BTreeMap;

use crate::{Bus, Insert, Master, Send, Session, Source, Strip, Track, FORMAT, VERSION};

fn insert(kind: &str, params: &[(&str, f32)]) -> Insert {
    Insert { kind: kind.into(), bypass: false, params: params.iter().map(|(k, v)| (k.to_string(), *v)).collect::<BTreeMap<_, _>>(), sidechain: None }
}

fn send(to: &str, level_db: f32) -> Send {
    Send { to: to.into(), level_db, pre_fader: false, muted: false }
}

impl Session {
    /// A new, empty session at 48 kHz and 120 BPM: a master strip and nothing else, as a new
    /// session in any DAW.
    pub fn empty(name: &str) -> Session {
        Session {
            format: FORMAT.into(),
            version: VERSION,
            name: name.into(),
            sample_rate: 48_000,
            tempo_bpm: 120.0,
            tracks: Vec::new(),
            buses: Vec::new(),
            returns: Vec::new(),
            master: Master { strip: Strip::default() },
            markers: Vec::new(),
            loop_region: None,
            automation_suspended: false,
            references: Vec::new(),
            alternates: Vec::new(),
        }
    }

    /// The demo session with its eight tracks repeated `copies` times (for load tests: 4 copies
    /// make 32 tracks); copies after the first are named "Kick 2", "Kick 3"…
    pub fn demo_copies(copies: usize) -> Session {
        let mut s = Session::demo();
        let originals = s.tracks.clone();
        for n in 2..=copies.max(1) {
            for t in &originals {
                let mut copy = t.clone();
                copy.id = format!("{}-{n}", t.id);
                copy.name = format!("{} {n}", t.name);
                s.tracks.push(copy);
            }
        }
        if copies > 1 {
            s.name = format!("Demo: Night Drive ×{copies}");
        }
        s
    }

    /// The demo session.
    pub fn demo() -> Session {
        let track = |id: &str, fader_db: f32, pan: f32, output: &str, inserts: Vec<Insert>, sends: Vec<Send>| {
            let stem = mixroom_demo::stem(id).expect("every demo track is a demo stem");
            Track {
                id: id.into(),
                name: stem.name.into(),
                source: Source::DemoStem { stem: id.into() },
                clips: Vec::new(),
                colour: None,
                // The drums sit in their bus's folder.
                folder: (output != "master").then(|| output.into()),
                role: Some(match id {
                    "vox" => crate::Role::LeadVocal,
                    "kick" | "snare" | "hats" => crate::Role::Drums,
                    "bass" => crate::Role::Bass,
                    _ => crate::Role::Instruments,
                }),
                strip: Strip { fader_db, pan, inserts, sends, output: output.into(), ..Strip::default() },
            }
        };
        let hp = |f: f32| insert("filters", &[("hp_on", 1.0), ("hp_freq", f), ("hp_slope", 1.0)]);
        Session {
            format: FORMAT.into(),
            version: VERSION,
            name: "Demo: Night Drive".into(),
            sample_rate: 48_000,
            tempo_bpm: mixroom_demo::TEMPO_BPM,
            tracks: vec![
                track("kick", -2.0, 0.0, "drums", vec![insert("eq", &[("low_freq", 60.0), ("low_gain", 2.0), ("lomid_freq", 350.0), ("lomid_gain", -3.0), ("lomid_q", 1.5)]), insert("compressor", &[("threshold", -12.0), ("ratio", 3.0), ("attack", 15.0), ("release", 80.0)])], vec![]),
                track("snare", -4.0, 0.0, "drums", vec![hp(90.0), insert("compressor", &[("threshold", -16.0), ("ratio", 4.0), ("attack", 8.0), ("release", 120.0)])], vec![send("verb", -14.0)]),
                track("hats", -8.0, 0.3, "drums", vec![hp(400.0)], vec![]),
                track("bass", -3.0, 0.0, "master", vec![insert("compressor", &[("threshold", -20.0), ("ratio", 4.0), ("attack", 20.0), ("release", 150.0), ("auto_makeup", 0.0), ("makeup", 3.0)]), insert("saturation", &[("mode", 0.0), ("drive", 4.0), ("mix", 0.5)])], vec![]),
                track("keys", -8.0, 0.0, "master", vec![hp(120.0), insert("eq", &[("himid_freq", 3_000.0), ("himid_gain", 1.5)])], vec![send("verb", -12.0)]),
                track("pad", -11.0, 0.0, "master", vec![hp(180.0)], vec![send("verb", -10.0)]),
                track("lead", -9.0, -0.25, "master", vec![hp(200.0)], vec![send("echo", -10.0), send("verb", -16.0)]),
                track("vox", -4.0, 0.0, "master", vec![hp(120.0), insert("deesser", &[("threshold", -32.0)]), insert("compressor", &[("threshold", -22.0), ("ratio", 3.0), ("attack", 5.0), ("release", 100.0), ("makeup", 3.0)]), insert("eq", &[("himid_freq", 3_500.0), ("himid_gain", 2.0), ("high_gain", 1.5)])], vec![send("verb", -9.0), send("echo", -13.0)]),
            ],
            buses: vec![Bus { id: "drums".into(), name: "Drums".into(), collapsed: false, strip: Strip { inserts: vec![insert("compressor", &[("threshold", -10.0), ("ratio", 2.0), ("attack", 30.0), ("release", 100.0), ("knee", 6.0)])], ..Strip::default() } }],
            returns: vec![
                Bus { id: "verb".into(), name: "Plate".into(), collapsed: false, strip: Strip { solo_safe: true, inserts: vec![insert("reverb", &[("type", 1.0), ("decay", 1.8), ("predelay", 20.0), ("damping", 0.45)])], ..Strip::default() } },
                Bus { id: "echo".into(), name: "Echo".into(), collapsed: false, strip: Strip { solo_safe: true, fader_db: -3.0, inserts: vec![insert("delay", &[("sync", 1.0), ("note", 6.0), ("feedback", 0.3), ("ping_pong", 1.0), ("hp_freq", 300.0), ("lp_freq", 6_000.0)])], ..Strip::default() } },
            ],
            master: Master { strip: Strip { inserts: vec![insert("limiter", &[("ceiling", -1.0), ("gain", 2.0)])], ..Strip::default() } },
            markers: vec![
                crate::Marker { name: "Intro".into(), frame: 0 },
                crate::Marker { name: "Verse".into(), frame: mixroom_demo::bar_frame(4, 48_000) },
                crate::Marker { name: "Lead".into(), frame: mixroom_demo::bar_frame(8, 48_000) },
                crate::Marker { name: "Outro".into(), frame: mixroom_demo::bar_frame(12, 48_000) },
            ],
            loop_region: None,
            automation_suspended: false,
            references: Vec::new(),
            alternates: Vec::new(),
        }
    }
}
