//! Alternate versions of a mix (since format 7): an instrumental, an a cappella, a TV mix, the
//! vocal up or down a dB — defined once per session as named variants over the current mix (tracks
//! muted, levels offset), by the roles the engineer gives tracks or by track, so that a variant
//! follows the mix as it changes and a track given a role later joins the variants that name it.
//! Each is rendered as a session of its own ([`Session::alternate_mix`]) by the one engine.

use serde::{Deserialize, Serialize};

use crate::automation::Param;
use crate::{limits, Session, SessionError};

/// What a track is in the song.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    LeadVocal,
    BackingVocals,
    Drums,
    Bass,
    Instruments,
    Effects,
}

impl Role {
    pub const ALL: [Role; 6] = [Role::LeadVocal, Role::BackingVocals, Role::Drums, Role::Bass, Role::Instruments, Role::Effects];

    pub fn key(self) -> &'static str {
        match self {
            Role::LeadVocal => "lead_vocal",
            Role::BackingVocals => "backing_vocals",
            Role::Drums => "drums",
            Role::Bass => "bass",
            Role::Instruments => "instruments",
            Role::Effects => "effects",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::LeadVocal => "Lead vocal",
            Role::BackingVocals => "Backing vocals",
            Role::Drums => "Drums",
            Role::Bass => "Bass",
            Role::Instruments => "Instruments",
            Role::Effects => "Effects",
        }
    }

    pub fn from_key(key: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.key() == key)
    }
}

/// A level offset for the tracks of a role, dB.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoleOffset {
    pub role: Role,
    pub db: f32,
}

/// A level offset for one track (by id), dB.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrackOffset {
    pub track: String,
    pub db: f32,
}

/// A named variant of the mix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alternate {
    #[serde(default)]
    pub name: String,
    /// The tracks of these roles are muted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mute_roles: Vec<Role>,
    /// Only the tracks of these roles are heard (an a cappella: the vocals); none: every track.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub only_roles: Vec<Role>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub role_offsets: Vec<RoleOffset>,
    /// These tracks (by id) are muted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mute_tracks: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub track_offsets: Vec<TrackOffset>,
}

/// The most a variant offsets a level, dB either way.
pub const OFFSET_DB: f32 = 24.0;

impl Alternate {
    /// A variant that changes nothing yet.
    pub fn new(name: &str) -> Alternate {
        Alternate { name: name.into(), mute_roles: Vec::new(), only_roles: Vec::new(), role_offsets: Vec::new(), mute_tracks: Vec::new(), track_offsets: Vec::new() }
    }

    /// What the variant does with the tracks of `role`: `muted`, `only` (heard, with the other
    /// roles named `only`, and nothing else), or `mixed` (as in the mix).
    pub fn role_treatment(&self, role: Role) -> &'static str {
        if self.mute_roles.contains(&role) {
            "muted"
        } else if self.only_roles.contains(&role) {
            "only"
        } else {
            "mixed"
        }
    }

    /// Sets what the variant does with `role` (as [`Alternate::role_treatment`] names it).
    pub fn set_role_treatment(&mut self, role: Role, treatment: &str) {
        self.mute_roles.retain(|r| *r != role);
        self.only_roles.retain(|r| *r != role);
        match treatment {
            "muted" => self.mute_roles.push(role),
            "only" => self.only_roles.push(role),
            _ => {}
        }
    }

    /// The level offset of `role`, dB.
    pub fn role_offset(&self, role: Role) -> f32 {
        // (A fold from +0: an empty f32 sum is −0, which a number field shows as "-0".)
        self.role_offsets.iter().filter(|o| o.role == role).fold(0.0, |sum, o| sum + o.db)
    }

    /// Sets the level offset of `role` (within ±[`OFFSET_DB`]; 0 removes it).
    pub fn set_role_offset(&mut self, role: Role, db: f32) {
        self.role_offsets.retain(|o| o.role != role);
        let db = if db.is_finite() { db.clamp(-OFFSET_DB, OFFSET_DB) } else { 0.0 };
        if db != 0.0 {
            self.role_offsets.push(RoleOffset { role, db });
        }
    }

    /// The versions a delivery usually asks for, by role: Instrumental (no vocals), A cappella
    /// (the vocals alone), TV mix (no lead vocal), Vocal up 1 dB, Vocal down 1 dB.
    pub fn presets() -> Vec<Alternate> {
        let vocals = vec![Role::LeadVocal, Role::BackingVocals];
        let lead = |db: f32| vec![RoleOffset { role: Role::LeadVocal, db }];
        vec![
            Alternate { mute_roles: vocals.clone(), ..Alternate::new("Instrumental") },
            Alternate { only_roles: vocals, ..Alternate::new("A cappella") },
            Alternate { mute_roles: vec![Role::LeadVocal], ..Alternate::new("TV mix") },
            Alternate { role_offsets: lead(1.0), ..Alternate::new("Vocal up 1 dB") },
            Alternate { role_offsets: lead(-1.0), ..Alternate::new("Vocal down 1 dB") },
        ]
    }
}

impl Session {
    /// The session that renders `alternate`: its tracks muted (with their sends, as a stem's
    /// silenced tracks are) and its levels offset — the fader and any fader automation moved by
    /// the offset, so that a ridden vocal is up by the same dB throughout.
    pub fn alternate_mix(&self, alternate: &Alternate) -> Result<Session, SessionError> {
        let mut s = self.clone();
        for t in &mut s.tracks {
            let role = t.role;
            let muted = role.is_some_and(|r| alternate.mute_roles.contains(&r))
                || alternate.mute_tracks.contains(&t.id)
                || (!alternate.only_roles.is_empty() && !role.is_some_and(|r| alternate.only_roles.contains(&r)));
            if muted {
                crate::stems::silence(&mut t.strip, true);
                continue;
            }
            let db: f32 = alternate.role_offsets.iter().filter(|o| Some(o.role) == role).map(|o| o.db).sum::<f32>() + alternate.track_offsets.iter().filter(|o| o.track == t.id).map(|o| o.db).sum::<f32>();
            if db != 0.0 {
                let up = |v: f32| if v.is_finite() { (v + db).min(limits::FADER_MAX_DB) } else { v };
                t.strip.fader_db = up(t.strip.fader_db);
                for lane in t.strip.automation.iter_mut().filter(|l| Param::parse(&l.param) == Some(Param::Fader)) {
                    lane.points.iter_mut().for_each(|p| p.value = up(p.value));
                }
            }
        }
        s.validate().map(|()| s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_roles_treatment_and_offset_are_set_as_the_editor_says() {
        let mut a = Alternate::new("Vocal up, no drums");
        assert_eq!(a.role_treatment(Role::Drums), "mixed");
        a.set_role_treatment(Role::Drums, "muted");
        a.set_role_treatment(Role::LeadVocal, "only");
        a.set_role_treatment(Role::LeadVocal, "muted");
        assert_eq!((a.role_treatment(Role::Drums), a.role_treatment(Role::LeadVocal)), ("muted", "muted"));
        assert!(a.only_roles.is_empty(), "one treatment per role");
        a.set_role_treatment(Role::Drums, "mixed");
        assert_eq!(a.mute_roles, [Role::LeadVocal]);
        a.set_role_offset(Role::Bass, 1.5);
        a.set_role_offset(Role::Bass, 40.0);
        assert_eq!(a.role_offset(Role::Bass), OFFSET_DB, "one offset, within the range");
        a.set_role_offset(Role::Bass, f32::NAN);
        assert!(a.role_offsets.is_empty(), "0 (or nonsense) removes it");
        assert!(a.role_offset(Role::Bass).is_sign_positive(), "no offset reads 0, not −0");
    }

    fn render(s: &Session) -> [Vec<f32>; 2] {
        s.build_engine(&s.render_sources().unwrap()).unwrap().render_all()
    }

    #[test]
    fn the_demos_roles_make_its_presets() {
        let s = Session::demo();
        let vox = s.tracks.iter().position(|t| t.role == Some(Role::LeadVocal)).expect("the demo's vocal is its lead vocal");
        let [instrumental, a_cappella, tv, up, down] = Alternate::presets().try_into().unwrap();
        let i = s.alternate_mix(&instrumental).unwrap();
        assert!(i.tracks[vox].strip.mute && i.tracks[vox].strip.sends.iter().all(|x| x.muted), "no vocal, nor its reverb");
        assert_eq!(i.tracks.iter().filter(|t| t.strip.mute).count(), 1);
        let a = s.alternate_mix(&a_cappella).unwrap();
        assert_eq!(a.tracks.iter().filter(|t| !t.strip.mute).count(), 1, "the vocal alone");
        assert!(s.alternate_mix(&tv).unwrap().tracks[vox].strip.mute);
        assert_eq!(s.alternate_mix(&up).unwrap().tracks[vox].strip.fader_db, s.tracks[vox].strip.fader_db + 1.0);
        assert_eq!(s.alternate_mix(&down).unwrap().tracks[vox].strip.fader_db, s.tracks[vox].strip.fader_db - 1.0);
        // The vocal up by 1 dB is the mix plus 1 dB of vocal, heard: the rest untouched (with its
        // master processing out of the way, the difference is exactly the vocal's 1 dB).
        let plain = s.without_master_processing();
        let vocal_only = Alternate { only_roles: vec![Role::LeadVocal], ..Alternate::new("Vocal") };
        let (mix, louder, vocal) = (render(&plain), render(&plain.alternate_mix(&up).unwrap()), render(&plain.alternate_mix(&vocal_only).unwrap()));
        let gain = 10f64.powf(1.0 / 20.0) - 1.0;
        let worst = (0..2).flat_map(|c| (0..mix[c].len()).map(move |i| (c, i))).map(|(c, i)| (louder[c][i] as f64 - mix[c][i] as f64 - gain * vocal[c][i] as f64).abs()).fold(0.0, f64::max);
        assert!(worst < 1e-5, "the vocal up 1 dB differs from mix + 0.122·vocal by {worst}");
    }

    #[test]
    fn a_hostile_alternate_costs_only_what_is_wrong_with_it() {
        let mut s = Session::demo();
        s.alternates = Alternate::presets();
        let mut doc: serde_json::Value = serde_json::from_str(&s.to_json()).unwrap();
        doc["alternates"][3]["role_offsets"][0]["db"] = 1e9.into();
        doc["alternates"][0]["mute_tracks"] = serde_json::json!(["no-such-track", "vox"]);
        doc["alternates"][1]["name"] = "x".repeat(1_000).into();
        doc["alternates"][2]["mute_roles"] = serde_json::json!(["tuba"]);
        doc["tracks"][0]["role"] = "conductor".into();
        let (back, repairs) = Session::read(&doc.to_string()).unwrap();
        let said = repairs.0.join("\n");
        assert_eq!(back.alternates.len(), 5, "{said}");
        assert_eq!(back.alternates[3].role_offsets[0].db, OFFSET_DB);
        assert_eq!(back.alternates[0].mute_tracks, ["vox"]);
        assert_eq!(back.alternates[1].name.chars().count(), limits::NAME_CHARS);
        assert!(back.alternates[2].mute_roles.is_empty(), "an unknown role could not be read");
        assert_eq!(back.tracks[0].role, None);
        assert!(said.contains("names a track the session does not have") && said.contains("beyond ±24 dB"), "{said}");
        back.validate().unwrap();
        // Written by this version, read back as it was.
        assert_eq!(Session::from_json(&s.to_json()).unwrap(), s);
    }

    #[test]
    fn a_fader_ride_moves_with_the_offset_and_limits_hold() {
        use crate::automation::{AutomationLane, AutomationPoint, PointShape};
        let mut s = Session::demo();
        let vox = s.tracks.iter().position(|t| t.role == Some(Role::LeadVocal)).unwrap();
        let point = |frame, value| AutomationPoint { frame, value, shape: PointShape::Linear, bend: 0.0 };
        s.tracks[vox].strip.automation = vec![AutomationLane { param: "fader".into(), points: vec![point(0, -6.0), point(48_000, f32::NEG_INFINITY), point(96_000, 11.5)] }];
        let up = &Alternate::presets()[3];
        let values: Vec<f32> = s.alternate_mix(up).unwrap().tracks[vox].strip.automation[0].points.iter().map(|p| p.value).collect();
        assert_eq!(values, [-5.0, f32::NEG_INFINITY, limits::FADER_MAX_DB]);
    }
}
