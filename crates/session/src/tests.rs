use super::*;
use mixroom_engine::{InsertKind, ParamChange, SendParam, StripParam};
use crate::EngineEdit;

#[test]
fn demo_round_trips_through_json() {
    let demo = Session::demo();
    let text = demo.to_json();
    assert_eq!(Session::from_json(&text).unwrap(), demo);
}

#[test]
fn closed_fader_and_off_send_are_null_in_json() {
    let mut s = Session::demo();
    s.tracks[0].strip.fader_db = f32::NEG_INFINITY;
    s.tracks[1].strip.sends[0].level_db = f32::NEG_INFINITY;
    let text = s.to_json();
    assert!(text.contains("\"fader_db\": null") && text.contains("\"level_db\": null"));
    let back = Session::from_json(&text).unwrap();
    assert_eq!(back.tracks[0].strip.fader_db, f32::NEG_INFINITY);
    assert_eq!(back.tracks[1].strip.sends[0].level_db, f32::NEG_INFINITY);
}

#[test]
fn bad_files_get_human_errors() {
    assert!(matches!(Session::from_json("{not json"), Err(SessionError::Malformed(_))));
    assert_eq!(Session::from_json("{\"hello\": 1}"), Err(SessionError::NotASession));
    assert!(Session::from_json("[1,2]").unwrap_err().to_string().contains("damaged"));
    let newer = Session::demo().to_json().replace(&format!("\"version\": {VERSION}"), &format!("\"version\": {}", VERSION + 1));
    let err = Session::from_json(&newer).unwrap_err();
    assert_eq!(err, SessionError::NewerVersion(VERSION + 1));
    assert!(err.to_string().contains("newer version of Mixroom"));
}

fn invalid(s: &Session) -> String {
    Session::from_json(&s.to_json()).unwrap_err().to_string()
}

#[test]
fn out_of_range_values_and_dangling_references_are_named() {
    let mut s = Session::demo();
    s.tracks[2].strip.pan = 3.0;
    let e = invalid(&s);
    assert!(e.contains("track 3") && e.contains("Hats") && e.contains("pan"), "{e}");

    let mut s = Session::demo();
    s.tracks[7].strip.inserts[2].params.insert("ratio".into(), 400.0);
    let e = invalid(&s);
    assert!(e.contains("Vox") && e.contains("Ratio") && e.contains("Compressor"), "{e}");

    let mut s = Session::demo();
    s.tracks[0].strip.inserts[0].params.insert("warmth".into(), 1.0);
    assert!(invalid(&s).contains("unknown setting “warmth”"));

    let mut s = Session::demo();
    s.tracks[0].strip.inserts.push(Insert { kind: "autotune".into(), bypass: false, params: Default::default(), sidechain: None });
    assert!(invalid(&s).contains("unknown kind “autotune”"));

    let mut s = Session::demo();
    s.tracks[4].strip.sends[0].to = "hall".into();
    assert!(invalid(&s).contains("sends to “hall”, which does not exist"));

    let mut s = Session::demo();
    s.tracks[0].source = Source::DemoStem { stem: "theremin".into() };
    assert!(invalid(&s).contains("theremin"));

    let mut s = Session::demo();
    s.sample_rate = 1;
    assert!(Session::from_json(&s.to_json()).is_err());

    let mut s = Session::demo();
    s.returns[1].id = "verb".into();
    assert!(invalid(&s).contains("used twice"));
}

#[test]
fn routing_loops_are_refused_by_name() {
    let mut s = Session::demo();
    // The drum bus into the plate return, whose send goes back into the drum bus.
    s.buses[0].strip.sends.push(Send { to: "verb".into(), level_db: 0.0, pre_fader: false, muted: false });
    s.returns[0].strip.output = "drums".into();
    let e = invalid(&s);
    assert!(e.contains("feed a signal back") && e.contains("Drums") && e.contains("Plate"), "{e}");
}

#[test]
fn structural_edits_that_would_break_the_mix_leave_it_untouched() {
    let mut s = Session::demo();
    let before = s.clone();
    let err = s.set_output(StripRef::Bus(0), "drums").unwrap_err();
    assert!(err.to_string().contains("routed to itself"), "{err}");
    assert_eq!(s, before);
    assert!(s.set_output(StripRef::Track(3), "nowhere").is_err());
    assert_eq!(s, before);
    s.add_insert(StripRef::Track(2), InsertKind::Gate, 0).unwrap();
    assert_eq!(s.tracks[2].strip.inserts[0].kind, "gate");
    s.move_insert(StripRef::Track(2), 0, 5).unwrap();
    assert_eq!(s.tracks[2].strip.inserts.last().unwrap().kind, "gate");
    let bus = s.add_bus("Music", false).unwrap();
    s.set_output(StripRef::Track(4), &s.strip_key(bus)).unwrap();
    assert_eq!(s.tracks[4].strip.output, "bus-1");
}

#[test]
fn edits_update_the_session_and_name_the_engine_change() {
    let mut s = Session::demo();
    assert_eq!(s.set_strip_param(StripRef::Track(1), StripParam::Fader, 99.0), Some(ParamChange::Strip(1, StripParam::Fader, 12.0)));
    assert_eq!(s.tracks[1].strip.fader_db, 12.0);
    let master = s.strip_id(StripRef::Master);
    assert_eq!(master, 8 + 1 + 2);
    assert_eq!(s.set_insert_param(StripRef::Master, 0, "ceiling", -2.0), Some(ParamChange::Insert(master, 0, 0, -2.0)));
    assert_eq!(s.insert_param(StripRef::Master, 0, "ceiling"), Some(-2.0));
    assert_eq!(s.insert_param(StripRef::Master, 0, "release"), Some(80.0));
    assert_eq!(s.set_send_param(StripRef::Track(7), 1, SendParam::Level, -20.0), Some(ParamChange::Send(7, 1, SendParam::Level, -20.0)));
    assert_eq!(s.set_insert_param(StripRef::Track(0), 0, "no_such", 1.0), None);
}

/// A session as Mixroom's first release wrote it (format 1, literally).
const V1_SESSION: &str = r#"{
  "format": "mixroom-session",
  "version": 1,
  "name": "Old mix",
  "sample_rate": 48000,
  "tempo_bpm": 96.0,
  "tracks": [
    { "name": "Kick", "source": { "kind": "demo_stem", "stem": "kick" }, "trim_db": 1.5, "fader_db": -4.0, "pan": 0.0, "mute": false, "solo": false, "polarity_inverted": true },
    { "name": "Vox", "source": { "kind": "demo_stem", "stem": "vox" }, "trim_db": 0.0, "fader_db": null, "pan": -0.2, "mute": true, "solo": false, "polarity_inverted": false }
  ],
  "master": { "fader_db": -1.5 }
}"#;

#[test]
fn format_1_sessions_open_with_everything_kept() {
    let s = Session::from_json(V1_SESSION).unwrap();
    assert_eq!(s.version, VERSION);
    assert_eq!(s.name, "Old mix");
    assert_eq!(s.tracks.len(), 2);
    let kick = &s.tracks[0].strip;
    assert_eq!((kick.trim_db, kick.fader_db, kick.polarity_inverted, kick.output.as_str()), (1.5, -4.0, true, "master"));
    let vox = &s.tracks[1].strip;
    assert_eq!((vox.fader_db, vox.pan, vox.mute), (f32::NEG_INFINITY, -0.2, true));
    assert_eq!(s.master.strip.fader_db, -1.5);
    assert!(s.buses.is_empty() && s.returns.is_empty());
    // And it renders.
    let sources = s.render_sources().unwrap();
    assert!(s.build_engine(&sources).is_ok());
}

#[test]
fn the_demo_mix_renders_loud_clean_and_under_the_ceiling() {
    let s = Session::demo();
    let sources = s.render_sources().unwrap();
    let mut engine = s.build_engine(&sources).unwrap();
    let [l, r] = engine.render_all();
    assert_eq!(l.len() as u64, s.render_frames());
    // (The RMS of the song, without its tails.)
    let (l, r) = (&l[..s.length_frames() as usize], &r[..s.length_frames() as usize]);
    let peak = l.iter().chain(r).fold(0.0f32, |m, x| m.max(x.abs()));
    let rms = (l.iter().map(|x| (*x as f64).powi(2)).sum::<f64>() / l.len() as f64).sqrt();
    assert!(peak <= 10f32.powf(-1.0 / 20.0) * 1.01, "peak {peak}");
    assert!(20.0 * rms.log10() > -24.0, "RMS {} dBFS", 20.0 * rms.log10());
}

/// Issue 10: a float file of ±1e30 samples (legal, absurd) under the demo's master limiter used to
/// come through at +43 dBFS for its first 80 ms. Now the master stays under the ceiling, from the
/// first sample, with the file's samples as large as a float holds.
#[test]
fn an_absurdly_loud_source_never_gets_past_the_master_limiter() {
    let s = Session::demo();
    // −1 dBFS (to the rounding of the two powf implementations).
    let ceiling = 10f32.powf(-1.0 / 20.0) * (1.0 + 1e-6);
    for level in [2.0f32, 8.0, 1e6, 1e30, f32::MAX] {
        let mut sources = s.render_sources().unwrap();
        // The vox stem replaced by full-scale-times-`level` noise for its first second.
        let mut x = 7u32;
        for c in &mut sources[7] {
            for v in c.iter_mut().take(48_000) {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                *v = if x >> 31 == 0 { level } else { -level };
            }
        }
        let mut engine = s.build_engine(&sources).unwrap();
        let [l, r] = engine.render_all();
        let peak = l.iter().chain(&r).fold(0.0f32, |m, x| m.max(x.abs()));
        assert!(l.iter().chain(&r).all(|x| x.is_finite()));
        assert!(peak <= ceiling, "±{level}: the master peaks at {peak} ({:+.1} dBFS)", 20.0 * peak.log10());
    }
}

#[test]
fn gain_staging_puts_every_track_at_the_target() {
    let mut s = Session::demo();
    let sources = s.render_sources().unwrap();
    let changes = s.gain_stage(&sources, -18.0);
    assert_eq!(changes.len(), s.tracks.len());
    for (t, audio) in sources.iter().enumerate() {
        let trim = s.tracks[t].strip.trim_db;
        let gain = 10f32.powf(trim / 20.0);
        let trimmed: Vec<Vec<f32>> = audio.iter().map(|c| c.iter().map(|x| x * gain).collect()).collect();
        let level = crate::gated_rms_db(&trimmed);
        assert!((level + 18.0).abs() < 0.1 || trim.abs() == 24.0, "track {t}: {level} dBFS after a {trim} dB trim");
    }
}

#[test]
fn changes_between_sessions_replay_an_edit_exactly() {
    let before = Session::demo();
    let mut after = before.clone();
    let edits = vec![
        after.set_strip_param(StripRef::Track(2), StripParam::Fader, -20.0).unwrap(),
        after.set_insert_param(StripRef::Track(7), 2, "threshold", -30.0).unwrap(),
        after.set_insert_bypass(StripRef::Master, 0, true).unwrap(),
        after.set_send_param(StripRef::Track(4), 0, SendParam::PreFader, 1.0).unwrap(),
        after.set_strip_param(StripRef::Bus(0), StripParam::Mute, 1.0).unwrap(),
    ];
    let mut forward: Vec<ParamChange> = before.changes_to(&after).unwrap().into_iter().map(|e| match e { EngineEdit::Param(p) => p, other => panic!("{other:?}") }).collect();
    let mut expected = edits.clone();
    let key = |c: &ParamChange| format!("{c:?}");
    forward.sort_by_key(key);
    expected.sort_by_key(key);
    assert_eq!(forward, expected);
    // And back: the reverse changes restore the old values.
    let back = after.changes_to(&before).unwrap();
    assert!(back.contains(&EngineEdit::Param(ParamChange::Strip(2, StripParam::Fader, before.tracks[2].strip.fader_db))));
    assert_eq!(back.len(), edits.len());
    // A structural difference cannot be replayed as parameters.
    let mut restructured = before.clone();
    restructured.add_insert(StripRef::Track(0), InsertKind::Gate, 0).unwrap();
    assert_eq!(before.changes_to(&restructured), None);
    assert_eq!(before.changes_to(&before), Some(vec![]));
}

#[test]
fn clip_edits_stay_inside_the_source_and_replay_through_undo() {
    let mut s = Session::demo();
    let frames = s.source_frames(0);
    let before = s.clone();
    let edit = s.edit_clip(0, 0, |c| {
        c.start = 96_000;
        c.offset = 48_000;
        c.length = u64::MAX;
        c.fade_in = 10_000;
        c.gain_db = -3.0;
    }).unwrap();
    let clip = &s.tracks[0].clips[0];
    assert_eq!((clip.start, clip.offset, clip.length), (96_000, 48_000, frames - 48_000));
    assert_eq!(s.length_frames(), 96_000 + frames - 48_000);
    match edit {
        EngineEdit::Clips(0, Some(clips)) => assert!((clips[0].gain - 10f32.powf(-3.0 / 20.0)).abs() < 1e-6),
        other => panic!("{other:?}"),
    }
    // Valid on disk, and undo is a clip edit back to "the whole source".
    assert_eq!(Session::from_json(&s.to_json()).unwrap(), s);
    assert_eq!(s.changes_to(&before), Some(vec![EngineEdit::Clips(0, None)]));
    // A clip outside its source is refused by the strict check, and salvaged by the reader.
    let mut bad = s.clone();
    bad.tracks[0].clips[0].length = frames;
    assert!(Session::from_json(&bad.to_json()).unwrap_err().to_string().contains("past the end of its source"));
    let (read, repairs) = Session::read(&bad.to_json()).unwrap();
    assert_eq!(read, s);
    assert!(repairs.to_string().contains("clip 1 of track 1 (“Kick”) reaches past the end of its source: it now ends there"), "{repairs}");
}

#[test]
fn loops_and_markers() {
    let mut s = Session::demo();
    assert_eq!(s.set_loop(Some(LoopRegion { start: 100, end: 50, enabled: true })), EngineEdit::Loop(None));
    assert_eq!(s.set_loop(Some(LoopRegion { start: 1_000, end: 5_000, enabled: true })), EngineEdit::Loop(Some((1_000, 5_000))));
    let i = s.add_marker(24_000).unwrap();
    assert_eq!(s.markers[i].name, "Marker 1");
    assert!(s.markers.windows(2).all(|w| w[0].frame <= w[1].frame));
    assert_eq!(Session::from_json(&s.to_json()).unwrap(), s);
}

/// A render is the song, Loop on or off: the loop is the live transport's. (An export made while
/// looping once rendered the loop over and over for the song's length.)
#[test]
fn a_render_plays_the_song_whether_looping_or_not() {
    let mut s = Session::demo();
    let sources = s.render_sources().unwrap();
    let song = s.build_engine(&sources).unwrap().render_all();
    s.set_loop(Some(LoopRegion { start: 48_000, end: 96_000, enabled: true }));
    assert_eq!(s.engine_loop(), Some((48_000, 96_000)));
    assert!(s.build_engine(&sources).unwrap().render_all() == song, "a looping session renders the song");
    assert_eq!(s.for_render().engine_loop(), None);
    assert_eq!(s.for_render().loop_region.map(|l| (l.start, l.end)), Some((48_000, 96_000)), "the region itself stays");
}

/// A session as the second format wrote it: no clips, markers or loop; it opens with the defaults.
#[test]
fn format_2_sessions_open_with_defaults_for_what_came_later() {
    let mut v2: serde_json::Value = serde_json::from_str(&Session::demo().to_json()).unwrap();
    v2["version"] = 2.into();
    v2.as_object_mut().unwrap().remove("markers");
    let s = Session::from_json(&v2.to_string()).unwrap();
    assert_eq!(s.version, VERSION);
    assert!(s.markers.is_empty() && s.loop_region.is_none() && s.tracks.iter().all(|t| t.clips.is_empty()));
}

/// A session as the third format wrote it: clips, markers and colours, no folders (nor the buses'
/// folded state); it opens with everything kept and no track in a folder.
#[test]
fn format_3_sessions_open_with_no_folders() {
    let mut v3: serde_json::Value = serde_json::from_str(&Session::demo().to_json()).unwrap();
    v3["version"] = 3.into();
    v3["tracks"][0]["clips"] = serde_json::json!([{ "start": 96000, "length": 48000, "gain_db": -3.0 }]);
    v3["tracks"][0]["colour"] = "#d04040".into();
    for t in v3["tracks"].as_array_mut().unwrap() {
        t.as_object_mut().unwrap().remove("folder");
    }
    for b in v3["buses"].as_array_mut().unwrap() {
        b.as_object_mut().unwrap().remove("collapsed");
    }
    let s = Session::from_json(&v3.to_string()).unwrap();
    assert_eq!(s.version, VERSION);
    assert!(s.tracks.iter().all(|t| t.folder.is_none()) && s.buses.iter().all(|b| !b.collapsed));
    assert_eq!((s.tracks[0].clips[0].start, s.tracks[0].clips[0].gain_db, s.tracks[0].colour.as_deref()), (96_000, -3.0, Some("#d04040")));
    assert_eq!(s.tracks[0].strip.output, "drums", "the routing is kept: the kick still goes to the drum bus");
    assert_eq!(s.markers, Session::demo().markers);
}

#[test]
fn demo_copies_are_valid_sessions() {
    let s = Session::demo_copies(4);
    assert_eq!(s.tracks.len(), 32);
    assert_eq!(Session::from_json(&s.to_json()).unwrap(), s);
    assert_eq!(s.tracks[8].name, "Kick 2");
}


#[test]
fn moving_tracks_takes_their_audio_and_clips_along() {
    let mut s = Session::demo();
    // The bass as a clip moved a bar later and faded in, so the clips have to follow too.
    s.tracks[3].clips = vec![Clip { start: 96_000, offset: 0, length: 480_000, gain_db: -2.0, fade_in: 4_800, fade_out: 0, fade_in_shape: "s_curve".into(), fade_out_shape: "linear".into() }];
    let sources = s.render_sources().unwrap();
    let mut moved = s.clone();
    moved.move_track(7, 0).unwrap();
    moved.move_track(4, 6).unwrap();
    assert!(moved.move_track(8, 0).is_err());
    let names: Vec<&str> = moved.tracks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["Vox", "Kick", "Snare", "Hats", "Keys", "Pad", "Bass", "Lead"]);
    let order = moved.track_order_from(&s).unwrap();
    assert_eq!(order, [7, 0, 1, 2, 4, 5, 3, 6]);
    assert_eq!(s.changes_to(&moved), None, "a new order is not a parameter change");

    // A running engine reordered in place (as the worklet does) plays what a fresh engine of the
    // moved session plays, sample for sample.
    let mut engine = s.build_engine(&sources).unwrap();
    engine.reorder_tracks(&order).unwrap();
    let mut plan = Box::new(mixroom_engine::Plan::compile(&moved.to_mixer().unwrap()).unwrap());
    plan.settle();
    drop(engine.swap_plan(plan));
    let reordered = engine.render_all();
    let fresh = moved.build_engine(&moved.render_sources().unwrap()).unwrap().render_all();
    assert!(reordered == fresh, "reordered engine differs from a fresh one");
    // And the mix is the one before the move (buses sum in another order: rounding only).
    let before = s.build_engine(&sources).unwrap().render_all();
    let worst = before.iter().zip(&reordered).flat_map(|(a, b)| a.iter().zip(b)).fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
    assert!(worst < 1e-5, "the mix changed by {worst}");
    // Refused orders change nothing.
    assert!(engine.reorder_tracks(&[0, 0, 1]).is_err());
    assert!(engine.reorder_tracks(&[1, 2]).is_err());
}

#[test]
fn folders_are_group_buses_the_timeline_nests_tracks_under() {
    use crate::Row;
    let mut s = Session::demo();
    let rows = s.timeline_rows();
    assert_eq!(&rows[..5], &[Row::Folder(0), Row::Track(0), Row::Track(1), Row::Track(2), Row::Track(3)]);
    assert_eq!(rows.len(), 9);
    s.set_folder_collapsed(0, true);
    assert_eq!(&s.timeline_rows()[..2], &[Row::Folder(0), Row::Track(3)]);
    s.set_folder_collapsed(0, false);

    // Dropped between two drums, the bass joins the folder (and the drum bus).
    let mut m = s.clone();
    m.move_track(3, 1).unwrap();
    assert_eq!((m.tracks[1].name.as_str(), m.tracks[1].folder.as_deref(), m.tracks[1].strip.output.as_str()), ("Bass", Some("drums"), "drums"));
    // Dragged away from the others, the kick leaves it and goes where the folder goes.
    m.move_track(0, 7).unwrap();
    assert_eq!((m.tracks[7].name.as_str(), m.tracks[7].folder.as_deref(), m.tracks[7].strip.output.as_str()), ("Kick", None, "master"));
    // Moving inside the folder keeps it.
    m.move_track(0, 1).unwrap();
    assert!(m.tracks[..3].iter().all(|t| t.folder.as_deref() == Some("drums")));

    // Into a folder from the menu: after its last track, routed to it; out again: after it.
    let mut m = s.clone();
    let at = m.set_folder(6, Some("drums")).unwrap();
    assert_eq!((at, m.tracks[3].name.as_str(), m.tracks[3].strip.output.as_str()), (3, "Lead", "drums"));
    let at = m.set_folder(0, None).unwrap();
    assert_eq!((at, m.tracks[3].name.as_str(), m.tracks[3].folder.as_deref(), m.tracks[3].strip.output.as_str()), (3, "Kick", None, "master"));
    assert!(m.set_folder(0, Some("verb")).is_err(), "a return is no folder");

    // A new folder from a track: a group bus going where the track went.
    let mut m = s.clone();
    let StripRef::Bus(b) = m.new_folder(7, "Vocals").unwrap() else { panic!("a bus") };
    assert_eq!((m.buses[b].name.as_str(), m.buses[b].strip.output.as_str()), ("Vocals", "master"));
    assert_eq!(m.tracks[7].folder.as_deref(), Some(m.buses[b].id.as_str()));
    assert_eq!(m.timeline_rows().last(), Some(&Row::Track(7)));
    assert_eq!(m.timeline_rows()[m.timeline_rows().len() - 2], Row::Folder(b));
    // Re-routing a track elsewhere takes it out of its folder; files round-trip with folders.
    m.set_output(StripRef::Track(0), "master").unwrap();
    assert_eq!(m.tracks[0].folder, None);
    assert_eq!(Session::from_json(&m.to_json()).unwrap(), m);

    // A file whose folder contradicts its routing opens with the routing, without the folder.
    let text = s.to_json().replacen("\"folder\": \"drums\"", "\"folder\": \"verb\"", 1);
    let read = Session::from_json(&text).unwrap();
    assert_eq!((read.tracks[0].folder.as_deref(), read.tracks[0].strip.output.as_str()), (None, "drums"));
}

#[test]
fn imported_files_become_tracks_and_limits_hold() {
    use crate::NewTrack;
    let mut s = Session::demo();
    let new = |name: &str, channels: u8| NewTrack { name: name.into(), source_id: format!("sha256-{name}"), channels, frames: 96_000 };
    let added = s.add_audio_tracks(&[new("Gtr DI", 1), new("  Room mics  ", 2)]).unwrap();
    assert_eq!(added, [8, 9]);
    assert_eq!((s.tracks[9].name.as_str(), s.track_channels(9), s.tracks[9].strip.output.as_str()), ("Room mics", 2, "master"));
    assert!(s.tracks.iter().map(|t| &t.id).collect::<std::collections::HashSet<_>>().len() == s.tracks.len(), "ids stay unique");
    assert_eq!(Session::from_json(&s.to_json()).unwrap(), s);
    // Past the track limit nothing is added.
    let before = s.clone();
    let many: Vec<NewTrack> = (0..crate::limits::TRACKS).map(|i| new(&format!("t{i}"), 1)).collect();
    assert!(s.add_audio_tracks(&many).is_err());
    assert_eq!(s, before);
    // A file with no channels is refused the same way.
    assert!(s.add_audio_tracks(&[new("Nothing", 0)]).is_err());
    assert_eq!(s, before);
}

#[test]
fn an_empty_session_is_valid_and_renders_silence() {
    let s = Session::empty("Untitled");
    assert_eq!(Session::from_json(&s.to_json()).unwrap(), s);
    let mut engine = s.build_engine(&[]).unwrap();
    let [l, r] = engine.render_all();
    assert!(l.iter().chain(&r).all(|x| *x == 0.0));
}

#[test]
fn files_dropped_onto_a_track_land_after_it_in_its_folder() {
    let new = |name: &str| crate::NewTrack { name: name.into(), source_id: format!("sha256-{name}"), channels: 1, frames: 48_000 };
    let mut s = Session::demo();
    let snare = s.tracks.iter().position(|t| t.name == "Snare").unwrap();
    let placed = s.add_audio_tracks_after(&[new("Snare top"), new("Snare bottom")], Some(snare)).unwrap();
    let names: Vec<&str> = s.tracks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(&names[..5], ["Kick", "Snare", "Snare top", "Snare bottom", "Hats"]);
    assert_eq!(placed, [2, 3]);
    for t in &s.tracks[2..4] {
        assert_eq!((t.folder.as_deref(), t.strip.output.as_str()), (Some("drums"), "drums"), "{} joined the drum folder", t.name);
    }
    // After the folder's last track, into the folder too; after a track in no folder, no folder.
    let hats = s.tracks.iter().position(|t| t.name == "Hats").unwrap();
    s.add_audio_tracks_after(&[new("Shaker")], Some(hats)).unwrap();
    assert_eq!((s.tracks[hats + 1].name.as_str(), s.tracks[hats + 1].folder.as_deref()), ("Shaker", Some("drums")));
    let vox = s.tracks.iter().position(|t| t.name == "Vox").unwrap();
    s.add_audio_tracks_after(&[new("Vox double")], Some(vox)).unwrap();
    assert_eq!((s.tracks[vox + 1].name.as_str(), s.tracks[vox + 1].folder.as_deref(), s.tracks[vox + 1].strip.output.as_str()), ("Vox double", None, "master"));
    assert!(s.validate().is_ok());
    // No anchor: at the end, as a plain import.
    let end = s.add_audio_tracks_after(&[new("Room")], None).unwrap();
    assert_eq!(end, [s.tracks.len() - 1]);
}

/// What earlier versions accepted and saved but could not open again (issue 10): a session renamed
/// to 1 500 characters, a marker named with a long lyric line, a clip typed to start far out. The
/// reader opens them, mends those values alone and says what it changed.
#[test]
fn values_beyond_the_limits_are_salvaged_not_refused() {
    let mut s = Session::demo();
    s.name = "n".repeat(1_500);
    s.markers.push(Marker { name: "l".repeat(300), frame: 48_000 });
    s.markers.push(Marker { name: "Lyric line ".repeat(14), frame: 96_000 });
    s.tracks[2].clips = vec![Clip { start: 30 * 3_600 * 48_000, ..Clip::whole(48_000) }];
    s.tracks[3].strip.pan = f32::INFINITY;
    s.tracks[4].strip.sends[0].to = "nowhere".into();
    let (read, repairs) = Session::read(&serde_json::to_string(&s).unwrap()).unwrap();
    assert_eq!(read.name.chars().count(), limits::NAME_CHARS);
    let n = s.markers.len();
    assert_eq!(read.markers[n - 2].name.chars().count(), limits::NAME_CHARS);
    // 154 characters: a name, kept whole.
    assert_eq!(read.markers[n - 1].name, "Lyric line ".repeat(14));
    assert_eq!(read.tracks[2].clips[0].end(), limits::timeline_frames(48_000), "the clip ends where the timeline does");
    assert_eq!(read.tracks[3].strip.pan, 0.0);
    assert!(read.tracks[4].strip.sends.is_empty());
    // Everything else as it was.
    assert_eq!((read.tracks.len(), &read.tracks[0], &read.buses, &read.returns), (s.tracks.len(), &s.tracks[0], &s.buses, &s.returns));
    assert!(read.validate().is_ok());
    let said = repairs.0.join("\n");
    for part in ["its name is longer than 256 characters: it was cut", "clip 1 of track 3 (“Hats”) ends beyond the timeline's 24 hours: it now starts at 23:59:59", "track 4 (“Bass”) has a pan of an unreadable number, outside −1 … +1: it was brought within", "sends to “nowhere”, which does not exist: the send was removed"] {
        assert!(said.contains(part), "{part:?} not in:\n{said}");
    }
    assert_eq!(repairs.0.len(), 5, "{said}");
    // Mended once, it reads unchanged.
    assert_eq!(Session::read(&read.to_json()).unwrap(), (read, Repairs::default()));
}

#[test]
fn impossible_routing_is_mended_step_by_step() {
    let mut s = Session::demo();
    // A loop through a send: the sends go first, the routing stays.
    s.buses[0].strip.sends.push(Send { to: "verb".into(), level_db: 0.0, pre_fader: false, muted: false });
    s.returns[0].strip.output = "drums".into();
    let (read, repairs) = Session::read(&s.to_json()).unwrap();
    assert!(read.validate().is_ok());
    assert!(repairs.to_string().contains("feed a signal back") && repairs.to_string().contains("sends and side-chains were removed"), "{repairs}");
    assert_eq!(read.returns[0].strip.output, "drums");
    // Duplicate and unusable ids get new ones; what referred to the first keeps pointing there,
    // and what referred to the strip under its old id (sends to the echo) is said to be gone.
    let mut s = Session::demo();
    s.returns[1].id = "verb".into();
    s.tracks[1].id = String::new();
    let (read, repairs) = Session::read(&s.to_json()).unwrap();
    assert!(read.validate().is_ok(), "{:?}", read.validate());
    assert_ne!(read.returns[1].id, "verb");
    assert!(!read.tracks[1].id.is_empty());
    let said = repairs.0.join("\n");
    assert!(said.contains("“Snare” has an unusable id") && said.contains("the id “verb” is used twice") && said.contains("sends to “echo”, which does not exist"), "{said}");
    assert!(read.tracks.iter().all(|t| t.strip.sends.iter().all(|x| x.to == "verb")));
}

#[test]
fn edits_keep_to_the_limits_and_say_when_they_cut() {
    let mut s = Session::demo();
    assert_eq!(s.rename(Naming::Session, &"x".repeat(1_500)), Ok(true));
    assert_eq!(s.name.chars().count(), limits::NAME_CHARS);
    assert_eq!(s.rename(Naming::Strip(StripRef::Track(0)), "  Kick In  "), Ok(false));
    assert_eq!(s.tracks[0].name, "Kick In");
    assert!(s.rename(Naming::Strip(StripRef::Track(0)), "   ").is_err());
    assert!(s.rename(Naming::Marker(99), "Chorus").is_err(), "no such marker");
    // A clip start typed far beyond the timeline stops at its end.
    s.edit_clip(0, 0, |c| c.start = 1_000_000_000_000_000).unwrap();
    assert_eq!(s.tracks[0].clips[0].end(), limits::timeline_frames(s.sample_rate));
    let i = s.add_marker(u64::MAX).unwrap();
    assert_eq!(s.markers[i].frame, limits::timeline_frames(s.sample_rate));
    assert!(s.set_colour(0, Some("red")).is_err());
    s.set_colour(0, Some("#A0B1C2")).unwrap();
    assert_eq!(s.tracks[0].colour.as_deref(), Some("#a0b1c2"));
    assert_eq!(Session::read(&s.to_json()).unwrap(), (s, Repairs::default()));
}

/// A value not even of the right kind costs only itself: a setting goes back to its default, an
/// item that cannot be read is left out, and the reader says which.
#[test]
fn values_that_cannot_be_read_cost_only_themselves() {
    let mut doc: serde_json::Value = serde_json::from_str(&Session::demo().to_json()).unwrap();
    doc["tracks"][3]["pan"] = "left-ish".into();
    doc["tracks"][1]["source"] = 7.into();
    doc["markers"][0]["frame"] = "soon".into();
    doc["sample_rate"] = serde_json::json!({ "rate": 48_000 });
    // A bus's and the master's settings sit in their objects as a track's do.
    doc["buses"][0]["pan"] = "centre".into();
    doc["master"]["width"] = serde_json::json!([2]);
    let (read, repairs) = Session::read(&doc.to_string()).unwrap();
    let said = repairs.0.join("\n");
    assert_eq!(read.tracks.len(), 7, "{said}");
    assert_eq!(read.tracks[2].name, "Bass");
    assert_eq!(read.tracks[2].strip.pan, 0.0, "{said}");
    assert!(said.contains("track “Bass” › “pan” could not be read: it is back to its default"), "{said}");
    assert_eq!(repairs.0.len(), 6, "one message a problem:\n{said}");
    // The bus and the master keep everything else: the bus its tracks, the master its limiter.
    assert_eq!((read.buses.len(), read.buses[0].strip.pan), (1, 0.0));
    assert_eq!(read.tracks.iter().filter(|t| t.strip.output == read.buses[0].id).count(), 2, "{said}");
    assert_eq!((read.master.strip.width, &read.master.strip.inserts), (1.0, &Session::demo().master.strip.inserts));
    assert!(said.contains("bus “Drums” › “pan” could not be read") && said.contains("the master › “width” could not be read"), "{said}");
    assert_eq!(read.sample_rate, 48_000);
    assert_eq!(read.markers.len(), Session::demo().markers.len() - 1);
    for part in ["track “Snare” could not be read: it was left out", "“sample_rate” could not be read: it is back to its default", "marker “Intro” could not be read: it was left out"] {
        assert!(said.contains(part), "{part:?} not in:\n{said}");
    }
    assert!(read.validate().is_ok());
    // The strict reader refuses the same file.
    assert!(matches!(Session::from_json(&doc.to_string()), Err(SessionError::Malformed(_))));
}

/// Below 24 kHz the timeline is shorter than the longest source; a track with no clips plays its
/// whole source, so its source keeps within the timeline too. And a folder its routing contradicts
/// is shown as the routing says, with a word.
#[test]
fn sources_keep_within_the_timeline_and_folders_follow_the_routing() {
    let mut s = Session::empty("Field recording");
    s.sample_rate = 8_000;
    s.add_audio_tracks(&[NewTrack { name: "Night".into(), source_id: "sha256-n".into(), channels: 1, frames: 8_000 * 3_600 }]).unwrap();
    let before = s.clone();
    let thirty_hours = NewTrack { name: "Week".into(), source_id: "sha256-w".into(), channels: 1, frames: 8_000 * 3_600 * 30 };
    assert!(s.add_audio_tracks(&[thirty_hours]).is_err(), "refused at the edit");
    assert_eq!(s, before);
    let mut doc: serde_json::Value = serde_json::from_str(&s.to_json()).unwrap();
    doc["tracks"][0]["source"]["frames"] = (8_000u64 * 3_600 * 30).into();
    let (read, repairs) = Session::read(&doc.to_string()).unwrap();
    assert_eq!(read.source_frames(0), limits::timeline_frames(8_000));
    assert!(repairs.to_string().contains("has audio longer than 24:00:00"), "{repairs}");

    let mut doc: serde_json::Value = serde_json::from_str(&Session::demo().to_json()).unwrap();
    doc["tracks"][0]["folder"] = "verb".into();
    let (read, repairs) = Session::read(&doc.to_string()).unwrap();
    assert_eq!((read.tracks[0].folder.as_deref(), read.tracks[0].strip.output.as_str()), (None, "drums"));
    assert!(repairs.to_string().contains("is shown in the folder “verb”, which its routing does not go to: it is shown outside folders now"), "{repairs}");
}

#[test]
fn an_offline_source_is_relinked_to_other_audio_with_its_clips_kept_within_it() {
    let mut s = Session::empty("Relink");
    s.add_audio_tracks(&[NewTrack { name: "Vox".into(), source_id: "sha256-old".into(), channels: 1, frames: 96_000 }]).unwrap();
    s.edit_clip(0, 0, |c| { c.offset = 50_000; c.length = 46_000; c.fade_out = 40_000; }).unwrap();
    let changed = s.replace_source("sha256-old", Source::Audio { id: "sha256-new".into(), channels: 2, frames: 60_000 }).unwrap();
    assert_eq!(changed, [0]);
    let c = &s.tracks[0].clips[0];
    assert_eq!((c.offset, c.length, c.fade_out), (50_000, 10_000, 10_000));
    assert!(s.validate().is_ok());
    // Audio shorter than the clip's offset: the clip goes (the track plays nothing of it).
    assert!(s.replace_source("sha256-new", Source::Audio { id: "sha256-tiny".into(), channels: 1, frames: 1_000 }).is_ok());
    assert!(s.tracks[0].clips.is_empty() || s.tracks[0].clips.iter().all(|c| c.offset < 1_000));
}
