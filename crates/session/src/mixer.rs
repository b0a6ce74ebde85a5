//! From a session to the engine's [`MixerSpec`] (the checks that make that safe are in `check`).

use std::collections::HashMap;

use mixroom_engine::{InsertKind, InsertSpec, MixerSpec, SendSpec, StripId, StripKind, StripSettings, StripSpec};

use crate::{Session, SessionError};

/// Every strip id → its index in the mixer (tracks, buses, returns, master). The first of two
/// strips with one id wins: a checked session has none.
fn ids(session: &Session) -> HashMap<&str, StripId> {
    let mut map = HashMap::new();
    let all = session.tracks.iter().map(|t| &t.id).chain(session.buses.iter().chain(&session.returns).map(|b| &b.id));
    for (index, id) in all.enumerate() {
        map.entry(id.as_str()).or_insert(index);
    }
    map.insert("master", session.tracks.len() + session.buses.len() + session.returns.len());
    map
}

/// The engine's description of a checked session.
pub(crate) fn to_mixer(session: &Session) -> Result<MixerSpec, SessionError> {
    session.validate()?;
    Ok(to_mixer_unchecked(session))
}

/// The mixer for a session whose references may not have been checked: unknown ones are dropped,
/// and what is left of the routing is for `Plan::check` to judge.
pub(crate) fn to_mixer_unchecked(session: &Session) -> MixerSpec {
    let ids = ids(session);
    let tracks = session.tracks.iter().enumerate().map(|(i, t)| (t.name.as_str(), &t.strip, StripKind::Track { channels: session.track_channels(i) }));
    let buses = session.buses.iter().map(|b| (b.name.as_str(), &b.strip, StripKind::Bus));
    let returns = session.returns.iter().map(|b| (b.name.as_str(), &b.strip, StripKind::Return));
    let strips = tracks
        .chain(buses)
        .chain(returns)
        .chain([("Master", &session.master.strip, StripKind::Master)])
        .map(|(name, s, kind)| {
            let output = if kind == StripKind::Master { None } else { ids.get(s.output.as_str()).copied() };
            StripSpec {
                name: name.to_owned(),
                kind,
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
                automation: crate::automation::strip_curves(session, s),
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
