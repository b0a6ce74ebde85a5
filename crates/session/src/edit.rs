//! Editing a session: every change to the mix goes through here, which keeps the session valid and
//! says what the running engine must do — a parameter change it applies in place, or a new plan.

use mixroom_engine::{InsertKind, ParamChange, SendParam, StripId, StripParam};
use mixroom_engine::plan::{FADER_MAX_DB, TRIM_RANGE_DB};

use crate::{limits, Bus, Clip, Insert, LoopRegion, Marker, Send, Session, SessionError, Strip};

/// What a running engine must do to follow an edit of the session.
#[derive(Clone, Debug, PartialEq)]
pub enum EngineEdit {
    /// A setting changed in place.
    Param(ParamChange),
    /// A track's clips changed (`None`: the whole source from the start).
    Clips(usize, Option<Vec<mixroom_engine::Clip>>),
    /// The loop changed (`None`: no looping).
    Loop(Option<(u64, u64)>),
    /// A strip's curves changed: the strip (engine id) and its curves as
    /// [`crate::automation::pack`] writes them.
    Automation(Vec<f64>),
}

/// A track to add for imported audio (see [`Session::add_audio_tracks`]).
#[derive(Clone, Debug, PartialEq)]
pub struct NewTrack {
    pub name: String,
    /// The audio's content id (its hash): where the host keeps the samples.
    pub source_id: String,
    pub channels: u8,
    pub frames: u64,
}

/// A row of the timeline: a folder (by group bus index) or a track (by index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Row {
    Folder(usize),
    Track(usize),
}

/// What [`Session::rename`] renames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Naming {
    Session,
    Strip(StripRef),
    Marker(usize),
}

/// A strip of the session, by kind and position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum StripRef {
    Track(usize),
    Bus(usize),
    Return(usize),
    Master,
}

impl Session {
    /// Every strip in mixer order: tracks, buses, returns, master.
    pub fn strip_refs(&self) -> Vec<StripRef> {
        (0..self.tracks.len())
            .map(StripRef::Track)
            .chain((0..self.buses.len()).map(StripRef::Bus))
            .chain((0..self.returns.len()).map(StripRef::Return))
            .chain([StripRef::Master])
            .collect()
    }

    /// The engine's id of a strip.
    pub fn strip_id(&self, r: StripRef) -> StripId {
        let (t, b, ret) = (self.tracks.len(), self.buses.len(), self.returns.len());
        match r {
            StripRef::Track(i) => i,
            StripRef::Bus(i) => t + i,
            StripRef::Return(i) => t + b + i,
            StripRef::Master => t + b + ret,
        }
    }

    pub fn strip(&self, r: StripRef) -> Option<&Strip> {
        match r {
            StripRef::Track(i) => self.tracks.get(i).map(|t| &t.strip),
            StripRef::Bus(i) => self.buses.get(i).map(|b| &b.strip),
            StripRef::Return(i) => self.returns.get(i).map(|b| &b.strip),
            StripRef::Master => Some(&self.master.strip),
        }
    }

    pub fn strip_mut(&mut self, r: StripRef) -> Option<&mut Strip> {
        match r {
            StripRef::Track(i) => self.tracks.get_mut(i).map(|t| &mut t.strip),
            StripRef::Bus(i) => self.buses.get_mut(i).map(|b| &mut b.strip),
            StripRef::Return(i) => self.returns.get_mut(i).map(|b| &mut b.strip),
            StripRef::Master => Some(&mut self.master.strip),
        }
    }

    /// The name shown for a strip.
    pub fn strip_name(&self, r: StripRef) -> String {
        match r {
            StripRef::Track(i) => self.tracks.get(i).map(|t| t.name.clone()),
            StripRef::Bus(i) => self.buses.get(i).map(|b| b.name.clone()),
            StripRef::Return(i) => self.returns.get(i).map(|b| b.name.clone()),
            StripRef::Master => Some("Master".into()),
        }
        .unwrap_or_default()
    }

    /// The id other strips use to refer to this one (`"master"` for the master).
    pub fn strip_key(&self, r: StripRef) -> String {
        match r {
            StripRef::Track(i) => self.tracks.get(i).map(|t| t.id.clone()),
            StripRef::Bus(i) => self.buses.get(i).map(|b| b.id.clone()),
            StripRef::Return(i) => self.returns.get(i).map(|b| b.id.clone()),
            StripRef::Master => Some("master".into()),
        }
        .unwrap_or_default()
    }

    /// Sets a strip setting (clamped to its range); returns the change for the running engine.
    pub fn set_strip_param(&mut self, r: StripRef, p: StripParam, value: f32) -> Option<ParamChange> {
        let id = self.strip_id(r);
        let s = self.strip_mut(r)?;
        let v = if value.is_nan() { 0.0 } else { value };
        match p {
            StripParam::Trim => s.trim_db = v.clamp(-TRIM_RANGE_DB, TRIM_RANGE_DB),
            StripParam::Fader => s.fader_db = v.min(FADER_MAX_DB),
            StripParam::Pan => s.pan = v.clamp(*limits::PAN.start(), *limits::PAN.end()),
            StripParam::Width => s.width = v.clamp(*limits::WIDTH.start(), *limits::WIDTH.end()),
            StripParam::PanLaw => s.pan_law = v.round().clamp(0.0, (limits::PAN_LAWS - 1) as f32) as u8,
            StripParam::Mute => s.mute = v >= 0.5,
            StripParam::Solo => s.solo = v >= 0.5,
            StripParam::SoloSafe => s.solo_safe = v >= 0.5,
            StripParam::Polarity => s.polarity_inverted = v >= 0.5,
        }
        let stored = match p {
            StripParam::Trim => s.trim_db,
            StripParam::Fader => s.fader_db,
            StripParam::Pan => s.pan,
            StripParam::Width => s.width,
            StripParam::PanLaw => s.pan_law as f32,
            _ => if v >= 0.5 { 1.0 } else { 0.0 },
        };
        Some(ParamChange::Strip(id, p, stored))
    }

    /// Sets an insert parameter by key (clamped to its range); returns the change for the engine.
    pub fn set_insert_param(&mut self, r: StripRef, slot: usize, key: &str, value: f32) -> Option<ParamChange> {
        let id = self.strip_id(r);
        let insert = self.strip_mut(r)?.inserts.get_mut(slot)?;
        let kind = InsertKind::from_key(&insert.kind)?;
        let pid = kind.params().iter().position(|p| p.key == key)?;
        let v = kind.params()[pid].clamp(value);
        insert.params.insert(key.to_owned(), v);
        Some(ParamChange::Insert(id, slot, pid, v))
    }

    /// The current value of an insert parameter (its default when the file does not set it).
    pub fn insert_param(&self, r: StripRef, slot: usize, key: &str) -> Option<f32> {
        let insert = self.strip(r)?.inserts.get(slot)?;
        let kind = InsertKind::from_key(&insert.kind)?;
        let info = kind.params().iter().find(|p| p.key == key)?;
        Some(insert.params.get(key).copied().unwrap_or(info.default))
    }

    pub fn set_insert_bypass(&mut self, r: StripRef, slot: usize, bypass: bool) -> Option<ParamChange> {
        let id = self.strip_id(r);
        self.strip_mut(r)?.inserts.get_mut(slot)?.bypass = bypass;
        Some(ParamChange::Bypass(id, slot, bypass))
    }

    pub fn set_send_param(&mut self, r: StripRef, index: usize, p: SendParam, value: f32) -> Option<ParamChange> {
        let id = self.strip_id(r);
        let send = self.strip_mut(r)?.sends.get_mut(index)?;
        let v = match p {
            SendParam::Level => {
                send.level_db = if value.is_nan() { f32::NEG_INFINITY } else { value.min(limits::SEND_MAX_DB) };
                send.level_db
            }
            SendParam::PreFader => {
                send.pre_fader = value >= 0.5;
                value.clamp(0.0, 1.0).round()
            }
            SendParam::Mute => {
                send.muted = value >= 0.5;
                value.clamp(0.0, 1.0).round()
            }
        };
        Some(ParamChange::Send(id, index, p, v))
    }

    /// Applies a structural edit (one that needs a new plan) only if the result is valid: on error
    /// the session is left exactly as it was and the error says why.
    fn structural(&mut self, edit: impl FnOnce(&mut Session) -> Result<(), SessionError>) -> Result<(), SessionError> {
        let mut next = self.clone();
        edit(&mut next)?;
        next.tidy_folders();
        next.validate()?;
        *self = next;
        Ok(())
    }

    fn no_strip() -> SessionError {
        SessionError::Invalid("that strip does not exist".into())
    }

    /// Adds an insert with default settings at `slot` (clamped to the end).
    pub fn add_insert(&mut self, r: StripRef, kind: InsertKind, slot: usize) -> Result<(), SessionError> {
        self.structural(|s| {
            let strip = s.strip_mut(r).ok_or_else(Self::no_strip)?;
            let at = slot.min(strip.inserts.len());
            strip.inserts.insert(at, Insert { kind: kind.key().into(), bypass: false, params: Default::default(), sidechain: None });
            strip.renumber_insert_lanes(|old| Some(if old >= at { old + 1 } else { old }));
            Ok(())
        })
    }

    pub fn remove_insert(&mut self, r: StripRef, slot: usize) -> Result<(), SessionError> {
        self.structural(|s| {
            let strip = s.strip_mut(r).ok_or_else(Self::no_strip)?;
            if slot < strip.inserts.len() {
                strip.inserts.remove(slot);
                // Its automation goes with it; the lanes of the inserts after it move up a slot.
                strip.renumber_insert_lanes(|old| match old.cmp(&slot) {
                    std::cmp::Ordering::Less => Some(old),
                    std::cmp::Ordering::Equal => None,
                    std::cmp::Ordering::Greater => Some(old - 1),
                });
            }
            Ok(())
        })
    }

    /// Moves an insert from one slot to another: the order of processing changes.
    pub fn move_insert(&mut self, r: StripRef, from: usize, to: usize) -> Result<(), SessionError> {
        self.structural(|s| {
            let strip = s.strip_mut(r).ok_or_else(Self::no_strip)?;
            if from < strip.inserts.len() {
                let i = strip.inserts.remove(from);
                let to = to.min(strip.inserts.len());
                strip.inserts.insert(to, i);
                // Its automation moves with it.
                strip.renumber_insert_lanes(|old| Some(moved_slot(old, from, to)));
            }
            Ok(())
        })
    }

    /// Routes a strip's output to `"master"` or a bus id. Refused (with the reason) if it would
    /// loop or the bus does not exist.
    pub fn set_output(&mut self, r: StripRef, to: &str) -> Result<(), SessionError> {
        self.structural(|s| {
            s.strip_mut(r).ok_or_else(Self::no_strip)?.output = to.to_owned();
            Ok(())
        })
    }

    /// Adds a send to a return or bus id, at `level_db`.
    pub fn add_send(&mut self, r: StripRef, to: &str, level_db: f32, pre_fader: bool) -> Result<(), SessionError> {
        self.structural(|s| {
            s.strip_mut(r).ok_or_else(Self::no_strip)?.sends.push(Send { to: to.to_owned(), level_db, pre_fader, muted: false });
            Ok(())
        })
    }

    pub fn remove_send(&mut self, r: StripRef, index: usize) -> Result<(), SessionError> {
        self.structural(|s| {
            let strip = s.strip_mut(r).ok_or_else(Self::no_strip)?;
            if index < strip.sends.len() {
                strip.sends.remove(index);
                strip.renumber_send_lanes(|old| match old.cmp(&index) {
                    std::cmp::Ordering::Less => Some(old),
                    std::cmp::Ordering::Equal => None,
                    std::cmp::Ordering::Greater => Some(old - 1),
                });
            }
            Ok(())
        })
    }

    /// Keys a compressor insert by another strip (or by its own input, with `None`).
    pub fn set_sidechain(&mut self, r: StripRef, slot: usize, key: Option<&str>) -> Result<(), SessionError> {
        self.structural(|s| {
            let insert = s.strip_mut(r).ok_or_else(Self::no_strip)?.inserts.get_mut(slot).ok_or_else(|| SessionError::Invalid("that insert does not exist".into()))?;
            insert.sidechain = key.map(str::to_owned);
            if key.is_some() {
                insert.params.insert("external".into(), 1.0);
            }
            Ok(())
        })
    }

    /// Moves track `from` to position `to` (clamped to the end): the order of the timeline and the
    /// console. Routing refers to tracks by id, so nothing else changes, except at folders' edges:
    /// a track dropped between two tracks of a folder joins it, one dragged away from the rest of
    /// its folder leaves it. The engine's tracks follow with [`Session::track_order_from`].
    pub fn move_track(&mut self, from: usize, to: usize) -> Result<(), SessionError> {
        if from >= self.tracks.len() {
            return Err(SessionError::Invalid("that track does not exist".into()));
        }
        self.structural(|s| {
            let track = s.tracks.remove(from);
            let to = to.min(s.tracks.len());
            s.tracks.insert(to, track);
            let folder_at = |s: &Session, i: Option<usize>| i.and_then(|i| s.tracks.get(i)).and_then(|t| t.folder.clone());
            let (above, below) = (folder_at(s, to.checked_sub(1)), folder_at(s, Some(to + 1)));
            let mine = s.tracks[to].folder.clone();
            if above.is_some() && above == below && mine != above {
                // Dropped inside another folder: it joins that one.
                s.leave_folder(to);
                let f = above.unwrap_or_default();
                s.tracks[to].strip.output = f.clone();
                s.tracks[to].folder = Some(f);
            } else if let Some(f) = mine {
                let alone = above.as_ref() != Some(&f) && below.as_ref() != Some(&f);
                if alone && s.tracks.iter().filter(|t| t.folder.as_ref() == Some(&f)).count() > 1 {
                    s.leave_folder(to);
                }
            }
            Ok(())
        })
    }

    /// Takes track `i` out of its folder: it goes where the folder's bus goes.
    fn leave_folder(&mut self, i: usize) {
        let Some(f) = self.tracks[i].folder.take() else { return };
        let parent = self.buses.iter().find(|b| b.id == f).map_or_else(|| "master".to_owned(), |b| b.strip.output.clone());
        self.tracks[i].strip.output = parent;
    }

    /// Drops folder marks the routing contradicts: a folder is a group bus that is the track's
    /// output.
    pub(crate) fn tidy_folders(&mut self) {
        let buses: Vec<String> = self.buses.iter().map(|b| b.id.clone()).collect();
        for t in &mut self.tracks {
            if t.folder.as_ref().is_some_and(|f| *f != t.strip.output || !buses.contains(f)) {
                t.folder = None;
            }
        }
    }

    /// Puts track `track` in a new folder: a group bus named `name`, going where the track went,
    /// into which the track now goes. Returns the folder's bus.
    pub fn new_folder(&mut self, track: usize, name: &str) -> Result<StripRef, SessionError> {
        let Some(t) = self.tracks.get(track) else { return Err(SessionError::Invalid("that track does not exist".into())) };
        let output = t.strip.output.clone();
        let mut next = self.clone();
        let bus = next.add_bus(name, false)?;
        let StripRef::Bus(b) = bus else { unreachable!("add_bus(…, false) makes a group bus") };
        let id = next.buses[b].id.clone();
        next.structural(|s| {
            s.buses[b].strip.output = output;
            s.tracks[track].strip.output = id.clone();
            s.tracks[track].folder = Some(id);
            Ok(())
        })?;
        *self = next;
        Ok(bus)
    }

    /// Moves track `track` into the folder of group bus `folder` (after its last track, and routed
    /// to it), or out of its folder with `None` (after the folder's last track, routed where the
    /// folder goes). Returns where the track is now.
    pub fn set_folder(&mut self, track: usize, folder: Option<&str>) -> Result<usize, SessionError> {
        let Some(t) = self.tracks.get(track) else { return Err(SessionError::Invalid("that track does not exist".into())) };
        let block = folder.or(t.folder.as_deref()).map(str::to_owned);
        let mut at = track;
        self.structural(|s| {
            match folder {
                Some(f) => {
                    if !s.buses.iter().any(|b| b.id == f) {
                        return Err(SessionError::Invalid(format!("there is no group bus “{f}” to make a folder of")));
                    }
                    s.tracks[track].strip.output = f.to_owned();
                    s.tracks[track].folder = Some(f.to_owned());
                }
                None => s.leave_folder(track),
            }
            // Next to the folder's other tracks: after the last of them.
            let last = s.tracks.iter().enumerate().filter(|(i, t)| *i != track && t.folder.is_some() && t.folder == block).map(|(i, _)| i).last();
            if let Some(last) = last {
                let moved = s.tracks.remove(track);
                at = if last > track { last } else { last + 1 };
                s.tracks.insert(at, moved);
            }
            Ok(())
        })?;
        Ok(at)
    }

    /// Folds a folder's tracks away on the timeline (or unfolds them).
    pub fn set_folder_collapsed(&mut self, bus: usize, collapsed: bool) {
        if let Some(b) = self.buses.get_mut(bus) {
            b.collapsed = collapsed;
        }
    }

    /// The timeline's rows, top to bottom: each folder's row above its tracks, which are left out
    /// while it is collapsed.
    pub fn timeline_rows(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        let mut current: Option<&str> = None;
        for (i, t) in self.tracks.iter().enumerate() {
            let folder = t.folder.as_deref().and_then(|f| self.buses.iter().position(|b| b.id == f));
            match folder {
                Some(b) => {
                    if current != t.folder.as_deref() {
                        rows.push(Row::Folder(b));
                    }
                    if !self.buses[b].collapsed {
                        rows.push(Row::Track(i));
                    }
                }
                None => rows.push(Row::Track(i)),
            }
            current = t.folder.as_deref();
        }
        rows
    }

    /// Where each of this session's tracks was in `old`: entry `i` is the old index of track `i`.
    /// `None` when the two do not hold the same tracks (by id).
    pub fn track_order_from(&self, old: &Session) -> Option<Vec<usize>> {
        if self.tracks.len() != old.tracks.len() {
            return None;
        }
        let order: Vec<usize> = self.tracks.iter().map(|t| old.tracks.iter().position(|o| o.id == t.id)).collect::<Option<_>>()?;
        let mut seen = vec![false; order.len()];
        order.iter().all(|&i| !std::mem::replace(&mut seen[i], true)).then_some(order)
    }

    /// Adds a track per imported file (or channel of one), at the end, routed to the master: `name`,
    /// the audio's content id and its shape. Returns the new tracks' indices. All or nothing: a
    /// session that would exceed its limits is left as it was.
    pub fn add_audio_tracks(&mut self, new: &[NewTrack]) -> Result<Vec<usize>, SessionError> {
        let first = self.tracks.len();
        self.structural(|s| {
            for t in new {
                let id = (1..).map(|n| format!("track-{n}")).find(|id| !s.tracks.iter().any(|x| &x.id == id)).expect("an unused id exists");
                let name = crate::limits::name(&t.name).map_or_else(|| "Audio".to_owned(), |(n, _)| n);
                s.tracks.push(crate::Track {
                    id,
                    name,
                    source: crate::Source::Audio { id: t.source_id.clone(), channels: t.channels, frames: t.frames },
                    clips: Vec::new(),
                    colour: None,
                    folder: None,
                    role: None,
                    strip: Strip::default(),
                });
            }
            Ok(())
        })?;
        Ok((first..self.tracks.len()).collect())
    }

    /// Adds tracks as [`Session::add_audio_tracks`] does, then, with `after`, moves them (in
    /// order) to just after that track — into its folder, if it is in one: files dropped onto a
    /// track of the drum folder become drum tracks. Returns where they are.
    pub fn add_audio_tracks_after(&mut self, new: &[NewTrack], after: Option<usize>) -> Result<Vec<usize>, SessionError> {
        let existing = self.tracks.len();
        let added = self.add_audio_tracks(new)?;
        let Some(after) = after.filter(|&a| a < existing) else { return Ok(added) };
        let folder = self.tracks[after].folder.clone();
        let mut placed = Vec::with_capacity(added.len());
        for (k, &from) in added.iter().enumerate() {
            let mut at = after + 1 + k;
            self.move_track(from, at)?;
            if folder.is_some() && self.tracks[at].folder != folder {
                at = self.set_folder(at, folder.as_deref())?;
            }
            placed.push(at);
        }
        Ok(placed)
    }

    /// Gives every track playing source `old` (a content id) the audio `new` instead — a file the
    /// user chose to relink an offline track with. Their clips keep within the new audio (a clip
    /// wholly past its end is dropped). A reference track of `old` takes `new` as well (its
    /// loudness to be measured again). Returns the tracks changed.
    pub fn replace_source(&mut self, old: &str, new: crate::Source) -> Result<Vec<usize>, SessionError> {
        let frames = match &new {
            crate::Source::Audio { frames, .. } => *frames,
            crate::Source::DemoStem { .. } => return Err(SessionError::Invalid("a track is relinked to a file".into())),
        };
        let mut changed = Vec::new();
        self.structural(|s| {
            for (i, t) in s.tracks.iter_mut().enumerate() {
                if !matches!(&t.source, crate::Source::Audio { id, .. } if id == old) {
                    continue;
                }
                t.source = new.clone();
                t.clips.retain(|c| c.offset < frames);
                for c in &mut t.clips {
                    c.length = c.length.min(frames - c.offset);
                    c.fade_in = c.fade_in.min(c.length);
                    c.fade_out = c.fade_out.min(c.length - c.fade_in);
                }
                changed.push(i);
            }
            // A reference track of that audio takes the new one too, its cue and loop within it.
            for r in s.references.iter_mut().filter(|r| matches!(&r.source, crate::Source::Audio { id, .. } if id == old)) {
                r.source = new.clone();
                r.loudness_lufs = None;
                if r.cue >= frames {
                    r.cue = 0;
                }
                if let Some(l) = &mut r.loop_region {
                    l.end = l.end.min(frames);
                }
                if r.loop_region.is_some_and(|l| l.end <= l.start) {
                    r.loop_region = None;
                }
            }
            Ok(())
        })?;
        Ok(changed)
    }

    /// Adds a group bus (`return_ = false`) or an effect return, routed to the master.
    pub fn add_bus(&mut self, name: &str, return_: bool) -> Result<StripRef, SessionError> {
        let prefix = if return_ { "return" } else { "bus" };
        let existing: Vec<&str> = self.buses.iter().chain(&self.returns).map(|b| b.id.as_str()).collect();
        let id = (1..).map(|n| format!("{prefix}-{n}")).find(|id| !existing.contains(&id.as_str())).expect("an unused id exists");
        let strip = Strip { solo_safe: return_, ..Strip::default() };
        let bus = Bus { id, name: name.to_owned(), collapsed: false, strip };
        let r = if return_ { StripRef::Return(self.returns.len()) } else { StripRef::Bus(self.buses.len()) };
        self.structural(move |s| {
            if return_ {
                s.returns.push(bus);
            } else {
                s.buses.push(bus);
            }
            Ok(())
        })?;
        Ok(r)
    }
}

impl Session {
    /// What turns a running engine playing `self` into one playing `target`, if the two share the
    /// same structure (strips, insert kinds in order, sends, routing): then an undo or redo applies
    /// smoothly, without a new plan. `None` when the structure differs.
    pub fn changes_to(&self, target: &Session) -> Option<Vec<EngineEdit>> {
        let refs = self.strip_refs();
        if refs != target.strip_refs() || self.sample_rate != target.sample_rate {
            return None;
        }
        // Tracks in another order carry other audio at each strip id: not a parameter change.
        if self.tracks.iter().zip(&target.tracks).any(|(a, b)| a.id != b.id) {
            return None;
        }
        let mut changes = Vec::new();
        for r in refs {
            let (a, b) = (self.strip(r)?, target.strip(r)?);
            let same_shape = a.output == b.output
                && a.inserts.len() == b.inserts.len()
                && a.inserts.iter().zip(&b.inserts).all(|(x, y)| x.kind == y.kind && x.sidechain == y.sidechain)
                && a.sends.len() == b.sends.len()
                && a.sends.iter().zip(&b.sends).all(|(x, y)| x.to == y.to);
            if !same_shape {
                return None;
            }
            let id = self.strip_id(r);
            let flag = |v: bool| if v { 1.0 } else { 0.0 };
            let strip_values = |s: &Strip| {
                [
                    (StripParam::Trim, s.trim_db),
                    (StripParam::Fader, s.fader_db),
                    (StripParam::Pan, s.pan),
                    (StripParam::Width, s.width),
                    (StripParam::PanLaw, s.pan_law as f32),
                    (StripParam::Mute, flag(s.mute)),
                    (StripParam::Solo, flag(s.solo)),
                    (StripParam::SoloSafe, flag(s.solo_safe)),
                    (StripParam::Polarity, flag(s.polarity_inverted)),
                ]
            };
            for ((p, x), (_, y)) in strip_values(a).into_iter().zip(strip_values(b)) {
                if x != y && !(x.is_nan() && y.is_nan()) {
                    changes.push(EngineEdit::Param(ParamChange::Strip(id, p, y)));
                }
            }
            for (slot, (x, y)) in a.inserts.iter().zip(&b.inserts).enumerate() {
                let kind = InsertKind::from_key(&x.kind)?;
                for (pid, info) in kind.params().iter().enumerate() {
                    let value = |i: &Insert| i.params.get(info.key).copied().unwrap_or(info.default);
                    if value(x) != value(y) {
                        changes.push(EngineEdit::Param(ParamChange::Insert(id, slot, pid, value(y))));
                    }
                }
                if x.bypass != y.bypass {
                    changes.push(EngineEdit::Param(ParamChange::Bypass(id, slot, y.bypass)));
                }
            }
            let (played_a, played_b) = (crate::automation::strip_points(self, a), crate::automation::strip_points(target, b));
            if played_a != played_b {
                changes.push(EngineEdit::Automation(crate::automation::pack(id, &played_b)));
                // Insert parameters that followed a curve go back to their settings.
                for (t, _, _) in &played_a {
                    match *t {
                        mixroom_engine::Target::Insert(slot, pid) => {
                            let insert = b.inserts.get(slot)?;
                            let info = InsertKind::from_key(&insert.kind)?.params().get(pid)?;
                            changes.push(EngineEdit::Param(ParamChange::Insert(id, slot, pid, insert.params.get(info.key).copied().unwrap_or(info.default))));
                        }
                        mixroom_engine::Target::Bypass(slot) => changes.push(EngineEdit::Param(ParamChange::Bypass(id, slot, b.inserts.get(slot)?.bypass))),
                        _ => {}
                    }
                }
            }
            for (index, (x, y)) in a.sends.iter().zip(&b.sends).enumerate() {
                if x.level_db != y.level_db {
                    changes.push(EngineEdit::Param(ParamChange::Send(id, index, SendParam::Level, y.level_db)));
                }
                if x.pre_fader != y.pre_fader {
                    changes.push(EngineEdit::Param(ParamChange::Send(id, index, SendParam::PreFader, flag(y.pre_fader))));
                }
                if x.muted != y.muted {
                    changes.push(EngineEdit::Param(ParamChange::Send(id, index, SendParam::Mute, flag(y.muted))));
                }
            }
        }
        for t in 0..self.tracks.len() {
            if self.tracks[t].clips != target.tracks[t].clips {
                changes.push(EngineEdit::Clips(t, target.engine_clips(t)));
            }
        }
        if self.engine_loop() != target.engine_loop() {
            changes.push(EngineEdit::Loop(target.engine_loop()));
        }
        Some(changes)
    }

    /// Edits clip `index` of `track` (its current clips, or the whole source when it has none);
    /// the edit is kept within the source and the clip's own length, and returned as what the
    /// engine must do.
    pub fn edit_clip(&mut self, track: usize, index: usize, edit: impl FnOnce(&mut Clip)) -> Result<EngineEdit, SessionError> {
        let frames = self.source_frames(track);
        let mut clips = self.clips(track);
        let clip = clips.get_mut(index).ok_or_else(|| SessionError::Invalid("that clip does not exist".into()))?;
        let before = clip.clone();
        edit(clip);
        if frames == 0 {
            return Err(SessionError::Invalid("the clip's source is empty".into()));
        }
        // A fade shape this version does not know stays what it was.
        if mixroom_engine::FadeShape::from_key(&clip.fade_in_shape).is_none() {
            clip.fade_in_shape = before.fade_in_shape;
        }
        if mixroom_engine::FadeShape::from_key(&clip.fade_out_shape).is_none() {
            clip.fade_out_shape = before.fade_out_shape;
        }
        clip.offset = clip.offset.min(frames.saturating_sub(1));
        clip.length = clip.length.clamp(1, frames - clip.offset);
        clip.fade_in = clip.fade_in.min(clip.length);
        clip.fade_out = clip.fade_out.min(clip.length - clip.fade_in);
        clip.gain_db = if clip.gain_db.is_finite() { clip.gain_db.clamp(*limits::CLIP_GAIN_DB.start(), *limits::CLIP_GAIN_DB.end()) } else { 0.0 };
        // Within the timeline: a clip moved or typed past its end stops at it.
        let timeline = limits::timeline_frames(self.sample_rate);
        clip.length = clip.length.min(timeline);
        clip.start = clip.start.min(timeline - clip.length);
        self.tracks[track].clips = clips;
        Ok(EngineEdit::Clips(track, self.engine_clips(track)))
    }

    /// Sets the loop region (frames) and whether playback loops over it.
    pub fn set_loop(&mut self, region: Option<LoopRegion>) -> EngineEdit {
        let timeline = limits::timeline_frames(self.sample_rate);
        self.loop_region = region.map(|l| LoopRegion { end: l.end.min(timeline), ..l }).filter(|l| l.end > l.start);
        EngineEdit::Loop(self.engine_loop())
    }

    /// Adds a marker at `frame` (within the timeline), named "Marker n" (the first free n);
    /// returns its index, or an error when the session has as many markers as it can hold.
    pub fn add_marker(&mut self, frame: u64) -> Result<usize, SessionError> {
        if self.markers.len() >= limits::MARKERS {
            return Err(SessionError::Invalid(format!("a session holds at most {} markers", limits::MARKERS)));
        }
        let frame = frame.min(limits::timeline_frames(self.sample_rate));
        let n = (1..).find(|n| !self.markers.iter().any(|m| m.name == format!("Marker {n}"))).unwrap_or(1);
        self.markers.push(Marker { name: format!("Marker {n}"), frame });
        self.markers.sort_by_key(|m| m.frame);
        Ok(self.markers.iter().position(|m| m.frame == frame && m.name == format!("Marker {n}")).unwrap_or(0))
    }

    /// Removes marker `index` (nothing, if there is none).
    pub fn remove_marker(&mut self, index: usize) {
        if index < self.markers.len() {
            self.markers.remove(index);
        }
    }

    /// Sets a track's colour: `#rrggbb`, or `None` for the default.
    pub fn set_colour(&mut self, track: usize, colour: Option<&str>) -> Result<(), SessionError> {
        let colour = colour.map(str::to_ascii_lowercase);
        if colour.as_ref().is_some_and(|c| !crate::check::is_colour(c)) {
            return Err(SessionError::Invalid("a colour is written #rrggbb".into()));
        }
        self.tracks.get_mut(track).ok_or_else(|| SessionError::Invalid("that track does not exist".into()))?.colour = colour;
        Ok(())
    }

    /// Renames the session, a strip or a marker to what was typed: trimmed, and cut to
    /// [`limits::NAME_CHARS`]. Returns whether it was cut (the user is told); an error when nothing
    /// is left of it or there is no such thing, and then nothing changes.
    pub fn rename(&mut self, what: Naming, typed: &str) -> Result<bool, SessionError> {
        let (name, cut) = limits::name(typed).ok_or_else(|| SessionError::Invalid("a name cannot be empty".into()))?;
        let slot = match what {
            Naming::Session => Some(&mut self.name),
            Naming::Strip(StripRef::Track(i)) => self.tracks.get_mut(i).map(|t| &mut t.name),
            Naming::Strip(StripRef::Bus(i)) => self.buses.get_mut(i).map(|b| &mut b.name),
            Naming::Strip(StripRef::Return(i)) => self.returns.get_mut(i).map(|b| &mut b.name),
            Naming::Strip(StripRef::Master) => None,
            Naming::Marker(i) => self.markers.get_mut(i).map(|m| &mut m.name),
        };
        *slot.ok_or_else(|| SessionError::Invalid("there is nothing of that name to rename".into()))? = name;
        Ok(cut)
    }
}

/// Where the item in slot `old` is after the item in `from` moved to `to` (the others close up
/// behind it and make room before it).
fn moved_slot(old: usize, from: usize, to: usize) -> usize {
    if old == from {
        to
    } else if from < old && old <= to {
        old - 1
    } else if to <= old && old < from {
        old + 1
    } else {
        old
    }
}
