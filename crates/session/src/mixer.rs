//! From a session to the engine's [`MixerSpec`], and the checks that make that safe.

use std::collections::HashMap;

use mixroom_engine::{InsertKind, InsertSpec, MixerSpec, Plan, SendSpec, StripId, StripKind, StripSettings, StripSpec};

use crate::{Session, SessionError, Source, Strip, MAX_BUSES, MAX_INSERTS, MAX_NAME_CHARS, MAX_SENDS, MAX_TRACKS, SAMPLE_RATES};

/// A strip of the session, as error messages name it.
struct Named<'a> {
    label: String,
    strip: &'a Strip,
    kind: StripKind,
}

fn strips(session: &Session) -> Vec<Named<'_>> {
    let clip = |s: &str| s.chars().take(MAX_NAME_CHARS).collect::<String>();
    let mut v: Vec<Named> = session
        .tracks
        .iter()
        .enumerate()
        .map(|(i, t)| Named { label: format!("track {} (\"{}\")", i + 1, clip(&t.name)), strip: &t.strip, kind: StripKind::Track { channels: session.track_channels(i) } })
        .collect();
    v.extend(session.buses.iter().map(|b| Named { label: format!("bus \"{}\"", clip(&b.name)), strip: &b.strip, kind: StripKind::Bus }));
    v.extend(session.returns.iter().map(|b| Named { label: format!("return \"{}\"", clip(&b.name)), strip: &b.strip, kind: StripKind::Return }));
    v.push(Named { label: "the master".into(), strip: &session.master.strip, kind: StripKind::Master });
    v
}

/// Every strip id → its index in the mixer.
fn ids(session: &Session) -> Result<HashMap<&str, StripId>, SessionError> {
    let mut map = HashMap::new();
    let all = session.tracks.iter().map(|t| (&t.id, &t.name)).chain(session.buses.iter().chain(&session.returns).map(|b| (&b.id, &b.name)));
    for (index, (id, name)) in all.enumerate() {
        if id.is_empty() || id == "master" || id.len() > 64 {
            return Err(SessionError::Invalid(format!("\"{name}\" has an unusable id \"{id}\"")));
        }
        if map.insert(id.as_str(), index).is_some() {
            return Err(SessionError::Invalid(format!("the id \"{id}\" is used twice")));
        }
    }
    map.insert("master", session.tracks.len() + session.buses.len() + session.returns.len());
    Ok(map)
}

pub(crate) fn validate(session: &Session) -> Result<(), SessionError> {
    let invalid = |why: String| Err(SessionError::Invalid(why));
    if !SAMPLE_RATES.contains(&session.sample_rate) {
        return invalid(format!("its sample rate {} Hz is outside 8–192 kHz", session.sample_rate));
    }
    if !(session.tempo_bpm.is_finite() && (10.0..=999.0).contains(&session.tempo_bpm)) {
        return invalid(format!("its tempo {} BPM is outside 10–999 BPM", session.tempo_bpm));
    }
    if session.tracks.len() > MAX_TRACKS {
        return invalid(format!("it has {} tracks; Mixroom handles up to {MAX_TRACKS}", session.tracks.len()));
    }
    if session.buses.len() > MAX_BUSES || session.returns.len() > MAX_BUSES {
        return invalid(format!("it has more than {MAX_BUSES} buses or returns"));
    }
    if session.name.chars().count() > 1_000 {
        return invalid("its name is longer than 1000 characters".into());
    }
    for t in &session.tracks {
        if t.name.chars().count() > MAX_NAME_CHARS {
            return invalid(format!("a track name is longer than {MAX_NAME_CHARS} characters"));
        }
        match &t.source {
            Source::DemoStem { stem } if mixroom_demo::stem(stem).is_none() => {
                return invalid(format!("track \"{}\" uses a demo stem \"{stem}\" this version does not have", t.name));
            }
            Source::DemoStem { .. } => {}
            Source::Audio { channels, frames, .. } => {
                if !(1..=2).contains(channels) || *frames > crate::MAX_SOURCE_FRAMES {
                    return invalid(format!("track \"{}\" has audio of {channels} channels and {frames} frames, which Mixroom cannot hold", t.name));
                }
            }
        }
    }
    for (i, t) in session.tracks.iter().enumerate() {
        let frames = session.source_frames(i);
        if t.clips.len() > 10_000 {
            return invalid(format!("track \"{}\" has more than 10 000 clips", t.name));
        }
        if t.colour.as_ref().is_some_and(|c| c.len() != 7 || !c.starts_with('#') || !c[1..].chars().all(|h| h.is_ascii_hexdigit())) {
            return invalid(format!("track \"{}\" has a colour that is not #rrggbb", t.name));
        }
        for (k, c) in t.clips.iter().enumerate() {
            let bad = |why: &str| invalid(format!("clip {} of track \"{}\" {why}", k + 1, t.name));
            if c.length == 0 || c.offset.saturating_add(c.length) > frames {
                return bad("reaches outside its source");
            }
            if c.start > crate::MAX_SOURCE_FRAMES {
                return bad("starts beyond three hours");
            }
            if c.fade_in.saturating_add(c.fade_out) > c.length {
                return bad("has fades longer than itself");
            }
            if !(c.gain_db.is_finite() && (-60.0..=24.0).contains(&c.gain_db)) {
                return bad("has a gain outside −60 … +24 dB");
            }
            if mixroom_engine::FadeShape::from_key(&c.fade_in_shape).is_none() || mixroom_engine::FadeShape::from_key(&c.fade_out_shape).is_none() {
                return bad("has an unknown fade shape");
            }
        }
    }
    if session.markers.len() > 10_000 || session.markers.iter().any(|m| m.name.chars().count() > MAX_NAME_CHARS) {
        return invalid("its markers are too many or too long-named".into());
    }
    if session.loop_region.is_some_and(|l| l.end <= l.start) {
        return invalid("its loop region ends before it starts".into());
    }
    for b in session.buses.iter().chain(&session.returns) {
        if b.name.chars().count() > MAX_NAME_CHARS {
            return invalid(format!("a bus name is longer than {MAX_NAME_CHARS} characters"));
        }
    }
    let ids = ids(session)?;
    for named in strips(session) {
        check_strip(&named, &ids)?;
    }
    // The routing itself: loops, outputs into tracks, and so on, in the engine's words.
    let spec = to_mixer_unchecked(session, &ids);
    Plan::check(&spec).map_err(|e| SessionError::Invalid(e.to_string()))
}

fn check_strip(named: &Named, ids: &HashMap<&str, StripId>) -> Result<(), SessionError> {
    let s = named.strip;
    let label = &named.label;
    let invalid = |why: String| Err(SessionError::Invalid(format!("{label} {why}")));
    if !(s.trim_db.is_finite() && (-24.0..=24.0).contains(&s.trim_db)) {
        return invalid(format!("has a trim of {} dB, outside ±24 dB", s.trim_db));
    }
    if s.fader_db.is_nan() || s.fader_db > 12.0 {
        return invalid(format!("has a fader at {} dB, above +12 dB", s.fader_db));
    }
    if !(s.pan.is_finite() && (-1.0..=1.0).contains(&s.pan)) {
        return invalid(format!("has a pan of {}, outside −1 … +1", s.pan));
    }
    if !(s.width.is_finite() && (0.0..=2.0).contains(&s.width)) {
        return invalid(format!("has a width of {}, outside 0 … 2", s.width));
    }
    if s.pan_law > 2 {
        return invalid(format!("has an unknown pan law {}", s.pan_law));
    }
    if s.inserts.len() > MAX_INSERTS || s.sends.len() > MAX_SENDS {
        return invalid(format!("has more than {MAX_INSERTS} inserts or {MAX_SENDS} sends"));
    }
    if named.kind != StripKind::Master && !ids.contains_key(s.output.as_str()) {
        return invalid(format!("is routed to \"{}\", which does not exist", s.output));
    }
    for (slot, insert) in s.inserts.iter().enumerate() {
        let Some(kind) = InsertKind::from_key(&insert.kind) else {
            return invalid(format!("has an insert of unknown kind \"{}\" in slot {}", insert.kind, slot + 1));
        };
        for (key, &value) in &insert.params {
            let Some(info) = kind.params().iter().find(|p| p.key == key) else {
                return invalid(format!("has an unknown setting \"{key}\" on its {} (slot {})", kind.label(), slot + 1));
            };
            if !(value.is_finite() && value >= info.min && value <= info.max) {
                return invalid(format!("has {} at {value} on its {} (slot {}), outside {} … {}", info.name, kind.label(), slot + 1, info.min, info.max));
            }
        }
        if let Some(key) = &insert.sidechain {
            if kind != InsertKind::Compressor {
                return invalid(format!("has a side-chain on its {}, which takes none", kind.label()));
            }
            if !ids.contains_key(key.as_str()) {
                return invalid(format!("keys its compressor from \"{key}\", which does not exist"));
            }
        }
    }
    for send in &s.sends {
        if !ids.contains_key(send.to.as_str()) {
            return invalid(format!("sends to \"{}\", which does not exist", send.to));
        }
        if send.level_db.is_nan() || send.level_db > 6.0 {
            return invalid(format!("has a send at {} dB, above +6 dB", send.level_db));
        }
    }
    Ok(())
}

pub(crate) fn to_mixer(session: &Session) -> Result<MixerSpec, SessionError> {
    let ids = ids(session)?;
    Ok(to_mixer_unchecked(session, &ids))
}

/// The mixer for a session whose references have been checked (unknown ones are dropped).
fn to_mixer_unchecked(session: &Session, ids: &HashMap<&str, StripId>) -> MixerSpec {
    let names = session.tracks.iter().map(|t| t.name.as_str()).chain(session.buses.iter().chain(&session.returns).map(|b| b.name.as_str())).chain(["Master"]);
    let strips = strips(session)
        .into_iter()
        .zip(names)
        .map(|(named, name)| {
            let s = named.strip;
            let output = if named.kind == StripKind::Master { None } else { ids.get(s.output.as_str()).copied() };
            StripSpec {
                name: name.to_owned(),
                kind: named.kind,
                inserts: s
                    .inserts
                    .iter()
                    .filter_map(|i| {
                        let kind = InsertKind::from_key(&i.kind)?;
                        let mut spec = InsertSpec::new(kind);
                        for (key, &v) in &i.params {
                            spec = spec.with(key, v);
                        }
                        spec.bypass = i.bypass;
                        spec.key = i.sidechain.as_deref().and_then(|k| ids.get(k).copied());
                        Some(spec)
                    })
                    .collect(),
                output,
                sends: s
                    .sends
                    .iter()
                    .filter_map(|send| Some(SendSpec { target: *ids.get(send.to.as_str())?, level_db: send.level_db, pre_fader: send.pre_fader, muted: send.muted }))
                    .collect(),
                settings: StripSettings {
                    trim_db: s.trim_db,
                    polarity_inverted: s.polarity_inverted,
                    fader_db: s.fader_db,
                    pan: s.pan,
                    width: s.width,
                    pan_law: s.pan_law as usize,
                    mute: s.mute,
                    solo: s.solo,
                    solo_safe: s.solo_safe,
                },
            }
        })
        .collect();
    MixerSpec { sample_rate: session.sample_rate as f32, tempo_bpm: session.tempo_bpm as f32, strips }
}
