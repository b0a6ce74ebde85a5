//! Stems: parts of the mix rendered on their own, each as the listener hears it in the mix —
//! through its buses and faders, and with its share of the effect returns where asked — the same
//! length and start as the mix. A stem is rendered as a session of its own ([`Session::stem_mix`]):
//! the mix with everything outside the stem silenced, so that the one engine renders mixes and
//! stems alike, in the browser and the CLI.
//!
//! Silenced, not removed: a track outside the stem is muted with its sends (its automation of
//! mute and sends dropped, so that nothing opens it again), but it still plays into the
//! side-chains it keys — a kick ducking a bass is heard in the bass stem as in the mix.
//!
//! Stems of tracks with their share of the returns add up to the mix wherever the processing
//! after them is linear (bypass the master's, and keep compressors off the buses): the sum check.
//!
//! A return in a stem is its output as in the mix — fed by every track's sends — without the dry
//! tracks: what does not belong to the stem is not muted (a mute silences post-fader sends too)
//! but routed into a muted bus of its own, the *sink*, in place of the master or of a bus that
//! carries the stem. So dry track stems and return stems add up to the mix.

use crate::automation::Param;
use crate::{Session, SessionError, StripRef};

/// A stem: a choice of tracks and buses.
#[derive(Clone, Debug, PartialEq)]
pub struct Stem {
    pub name: String,
    pub strips: Vec<StripRef>,
    /// The stem's tracks keep their share of the effect returns (their sends play, the returns
    /// are heard). Without, the returns are silent: the stem is dry.
    pub with_returns: bool,
}

impl Stem {
    /// `stems` as one stem: what their sum is checked against (the mix itself when they cover
    /// every track), so that a delivery of a few stems checks that those add up.
    pub fn together(stems: &[Stem]) -> Stem {
        let mut strips: Vec<StripRef> = Vec::new();
        for r in stems.iter().flat_map(|s| &s.strips) {
            if !strips.contains(r) {
                strips.push(*r);
            }
        }
        Stem { name: "Stems together".into(), strips, with_returns: stems.iter().all(|s| s.with_returns) }
    }
}

impl Session {
    /// Whether track `t` is heard in `stem`: chosen itself, or routed (through any buses) into a
    /// chosen bus.
    fn in_stem(&self, t: usize, stem: &Stem) -> bool {
        if stem.strips.contains(&StripRef::Track(t)) {
            return true;
        }
        let mut output = self.tracks[t].strip.output.clone();
        // (The routing is checked acyclic; the bound is for a session that is not.)
        for _ in 0..=self.buses.len() {
            let Some(b) = self.buses.iter().position(|b| b.id == output) else { return false };
            if stem.strips.contains(&StripRef::Bus(b)) {
                return true;
            }
            output = self.buses[b].strip.output.clone();
        }
        false
    }

    /// The session that renders `stem`: the mix with every track outside it silenced (muted, its
    /// sends muted, its mute and send automation dropped), and the returns silenced too unless the
    /// stem keeps its share of them. A stem that holds returns hears them as in the mix (see the
    /// module's notes). Refused for a strip that is not there or the master.
    pub fn stem_mix(&self, stem: &Stem) -> Result<Session, SessionError> {
        for r in &stem.strips {
            match r {
                StripRef::Master => return Err(SessionError::Invalid("the master is the mix, not a stem".into())),
                _ if self.strip(*r).is_none() => return Err(SessionError::Invalid(format!("stem “{}” names a strip the session does not have", stem.name))),
                _ => {}
            }
        }
        let returns: Vec<&str> = stem.strips.iter().filter_map(|r| match r {
            StripRef::Return(i) => Some(self.returns[*i].id.as_str()),
            _ => None,
        }).collect();
        if !returns.is_empty() {
            return self.with_returns_heard(stem, &returns);
        }
        let mut s = self.clone();
        for t in 0..s.tracks.len() {
            if !self.in_stem(t, stem) {
                silence(&mut s.tracks[t].strip, true);
            }
        }
        if !stem.with_returns {
            s.returns.iter_mut().for_each(|r| silence(&mut r.strip, false));
        }
        Ok(s)
    }

    /// A stem holding `returns`: those as in the mix (every track's sends into them playing),
    /// with the stem's tracks and buses dry; what else would reach the master, or a bus that
    /// carries the stem, goes into the muted sink instead, its sends elsewhere muted.
    fn with_returns_heard(&self, stem: &Stem, returns: &[&str]) -> Result<Session, SessionError> {
        let mut s = self.clone();
        let taken = |id: &str| id == "master" || s.tracks.iter().any(|t| t.id == id) || s.buses.iter().chain(&s.returns).any(|b| b.id == id);
        let sink = (1..).map(|n| if n == 1 { "stem-sink".to_owned() } else { format!("stem-sink-{n}") }).find(|id| !taken(id)).unwrap_or_default();
        // Whether a bus carries a track of the stem (whose way must stay as in the mix).
        let carries = |b: usize| (0..self.tracks.len()).any(|t| self.in_stem(t, stem) && self.routes_through(t, b));
        // Where a strip outside the stem may go on sending its output: a bus that does not carry
        // the stem (whose own way is decided in turn).
        let keeps = |output: &str| output != "master" && self.buses.iter().position(|b| b.id == output).is_none_or(|b| !carries(b));
        let elsewhere = |to: &str| !returns.contains(&to);
        for (t, track) in s.tracks.iter_mut().enumerate() {
            if !self.in_stem(t, stem) {
                mute_sends(&mut track.strip, elsewhere);
                if !keeps(&track.strip.output) {
                    track.strip.output = sink.clone();
                    // (A track is shown in the folder of the bus it goes to.)
                    track.folder = None;
                }
            }
        }
        for (b, bus) in s.buses.iter_mut().enumerate() {
            if !stem.strips.contains(&StripRef::Bus(b)) && !carries(b) {
                mute_sends(&mut bus.strip, elsewhere);
                if !keeps(&bus.strip.output) {
                    bus.strip.output = sink.clone();
                }
            }
        }
        for r in s.returns.iter_mut().filter(|r| !returns.contains(&r.id.as_str())) {
            silence(&mut r.strip, false);
        }
        let muted = crate::Strip { mute: true, ..crate::Strip::default() };
        s.buses.push(crate::Bus { id: sink, name: "Stem sink".into(), collapsed: false, strip: muted });
        s.validate().map(|()| s)
    }

    /// Whether track `t`'s way to the master passes through bus `b`.
    fn routes_through(&self, t: usize, b: usize) -> bool {
        let mut output = self.tracks[t].strip.output.clone();
        for _ in 0..=self.buses.len() {
            match self.buses.iter().position(|bus| bus.id == output) {
                Some(i) if i == b => return true,
                Some(i) => output = self.buses[i].strip.output.clone(),
                None => return false,
            }
        }
        false
    }

    /// The session with the master's processing bypassed (its inserts, and their bypass
    /// automation): how stems are checked to add up to the mix.
    pub fn without_master_processing(&self) -> Session {
        let mut s = self.clone();
        s.master.strip.inserts.iter_mut().for_each(|i| i.bypass = true);
        s.master.strip.automation.retain(|l| !matches!(Param::parse(&l.param), Some(Param::Bypass(_))));
        s
    }

    /// Whether a limiter is in (not bypassed) on the master: what a mastering engineer asks to
    /// have off.
    pub fn limiter_on_master(&self) -> bool {
        self.master.strip.inserts.iter().any(|i| i.kind == "limiter" && !i.bypass)
    }

    /// What a delivery renders, in order, each named and as a session of its own: the mix, then
    /// `stems`, then `alternates`. The CLI and the browser deliver this one list.
    pub fn delivery_versions(&self, stems: &[Stem], alternates: &[crate::Alternate]) -> Result<Vec<(String, Session)>, SessionError> {
        let mut versions = vec![("Mix".to_owned(), self.clone())];
        for stem in stems {
            versions.push((stem.name.clone(), self.stem_mix(stem)?));
        }
        for alternate in alternates {
            let mix = self.alternate_mix(alternate).map_err(|e| SessionError::Invalid(format!("the alternate version “{}”: {e}", alternate.name)))?;
            versions.push((alternate.name.clone(), mix));
        }
        Ok(versions)
    }

    /// Every track as a stem of its own, with its share of the returns: stems that add up to the
    /// mix (where the processing after them is linear).
    pub fn track_stems(&self) -> Vec<Stem> {
        self.tracks.iter().enumerate().map(|(t, track)| Stem { name: track.name.clone(), strips: vec![StripRef::Track(t)], with_returns: true }).collect()
    }
}

/// Mutes a strip's sends to the strips `which` names, their automation dropped.
fn mute_sends(strip: &mut crate::Strip, which: impl Fn(&str) -> bool) {
    let muted: Vec<usize> = strip.sends.iter().enumerate().filter(|(_, send)| which(&send.to)).map(|(i, _)| i).collect();
    strip.automation.retain(|l| match Param::parse(&l.param) {
        Some(Param::SendOn(i) | Param::SendLevel(i)) => !muted.contains(&i),
        _ => true,
    });
    for i in muted {
        strip.sends[i].muted = true;
    }
}

/// Silences a strip: muted, its mute automation dropped; with `sends`, its sends muted and their
/// automation dropped too.
pub(crate) fn silence(strip: &mut crate::Strip, sends: bool) {
    strip.mute = true;
    strip.automation.retain(|l| match Param::parse(&l.param) {
        Some(Param::Mute) => false,
        Some(Param::SendOn(_) | Param::SendLevel(_)) => !sends,
        _ => true,
    });
    if sends {
        strip.sends.iter_mut().for_each(|s| s.muted = true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_together_are_the_mix_when_they_cover_every_track() {
        let s = Session::demo();
        let all = Stem::together(&s.track_stems());
        assert_eq!(all.strips.len(), s.tracks.len());
        assert_eq!(s.stem_mix(&all).unwrap(), s, "nothing silenced: the mix itself");
        // Two stems, one twice and a bus: each strip once; dry if any stem is dry.
        let kick = Stem { name: "Kick".into(), strips: vec![StripRef::Track(0)], with_returns: true };
        let drums = Stem { name: "Drums".into(), strips: vec![StripRef::Bus(0), StripRef::Track(0)], with_returns: false };
        let both = Stem::together(&[kick, drums]);
        assert_eq!((both.strips, both.with_returns), (vec![StripRef::Track(0), StripRef::Bus(0)], false));
    }

    /// The demo made linear after its tracks: no dynamics or saturation anywhere, the master's
    /// processing bypassed.
    fn linear_demo() -> Session {
        let mut s = Session::demo();
        let nonlinear = ["compressor", "gate", "deesser", "saturation", "limiter", "multiband"];
        for r in s.strip_refs() {
            if let Some(strip) = s.strip_mut(r) {
                strip.inserts.retain(|i| !nonlinear.contains(&i.kind.as_str()));
            }
        }
        s.validate().unwrap();
        s.without_master_processing()
    }

    fn render(s: &Session) -> [Vec<f32>; 2] {
        s.build_engine(&s.render_sources().unwrap()).unwrap().render_all()
    }

    #[test]
    fn the_tracks_stems_add_up_to_the_mix() {
        let s = linear_demo();
        let mix = render(&s);
        let mut sum = [vec![0.0f64; mix[0].len()], vec![0.0f64; mix[1].len()]];
        for stem in s.track_stems() {
            let part = render(&s.stem_mix(&stem).unwrap());
            assert_eq!(part[0].len(), mix[0].len(), "{}: a stem is as long as the mix", stem.name);
            assert!(part[0].iter().any(|x| x.abs() > 1e-3), "{} is heard", stem.name);
            for c in 0..2 {
                sum[c].iter_mut().zip(&part[c]).for_each(|(a, b)| *a += *b as f64);
            }
        }
        let residual = (0..2).flat_map(|c| sum[c].iter().zip(&mix[c]).map(|(a, b)| (a - *b as f64).abs())).fold(0.0, f64::max);
        let peak = mix[0].iter().chain(&mix[1]).fold(0.0f32, |m, x| m.max(x.abs())) as f64;
        println!("the stems' sum against the mix: largest difference {residual:.2e} ({:.1} dB below its peak)", 20.0 * (residual / peak).log10());
        assert!(residual <= 1e-6, "stems sum to the mix within {residual}");
    }

    #[test]
    fn a_bus_stem_holds_its_tracks_and_a_dry_stem_no_returns() {
        let s = linear_demo();
        let drums = s.buses.iter().position(|b| b.id == "drums").map(StripRef::Bus).unwrap();
        let bus = Stem { name: "Drums".into(), strips: vec![drums], with_returns: false };
        let stem = s.stem_mix(&bus).unwrap();
        for (t, track) in stem.tracks.iter().enumerate() {
            let in_drums = s.tracks[t].folder.as_deref() == Some("drums");
            assert_eq!(track.strip.mute, !in_drums || s.tracks[t].strip.mute, "{}", track.name);
        }
        assert!(stem.returns.iter().all(|r| r.strip.mute), "dry: the returns are silent");
        // What is not a strip of the session is refused.
        assert!(s.stem_mix(&Stem { name: "Ghost".into(), strips: vec![StripRef::Track(99)], with_returns: true }).is_err());
        assert!(s.stem_mix(&Stem { name: "Master".into(), strips: vec![StripRef::Master], with_returns: true }).is_err());
    }

    /// The largest difference between the sum of `parts` and `mix`, and the mix's peak.
    fn residual(mix: &[Vec<f32>; 2], parts: &[[Vec<f32>; 2]]) -> (f64, f64) {
        let mut worst = 0.0f64;
        for c in 0..2 {
            for i in 0..mix[c].len() {
                let sum: f64 = parts.iter().map(|p| p[c][i] as f64).sum();
                worst = worst.max((sum - mix[c][i] as f64).abs());
            }
        }
        (worst, mix[0].iter().chain(&mix[1]).fold(0.0f32, |m, x| m.max(x.abs())) as f64)
    }

    #[test]
    fn dry_stems_and_the_returns_as_stems_add_up_to_the_mix() {
        // Every track dry, and each return a stem of its own: its output as in the mix, fed by
        // every track (the Plate by the Vox, Keys and Snare; the Echo by the Vox and Lead).
        let s = linear_demo();
        let mix = render(&s);
        let mut parts = Vec::new();
        for stem in s.track_stems() {
            parts.push(render(&s.stem_mix(&Stem { with_returns: false, ..stem }).unwrap()));
        }
        for r in 0..s.returns.len() {
            let stem = Stem { name: s.returns[r].name.clone(), strips: vec![StripRef::Return(r)], with_returns: true };
            let session = s.stem_mix(&stem).unwrap();
            // Nothing but the sink and the return reaches the master; the tracks are not muted.
            assert!(session.tracks.iter().zip(&s.tracks).all(|(a, b)| a.strip.mute == b.strip.mute), "{}: no track muted", stem.name);
            let to_master = session.tracks.iter().map(|t| &t.strip).chain(session.buses.iter().filter(|b| b.id != "stem-sink").map(|b| &b.strip)).filter(|st| st.output == "master").count();
            assert_eq!(to_master, 0, "{}: only the sink and the returns reach the master", stem.name);
            assert!(session.buses.last().is_some_and(|b| b.id == "stem-sink" && b.strip.mute));
            let part = render(&session);
            assert!(part[0].iter().any(|x| x.abs() > 1e-4), "{} is heard", stem.name);
            parts.push(part);
        }
        let (worst, peak) = residual(&mix, &parts);
        println!("dry stems and return stems against the mix: largest difference {worst:.2e} ({:.1} dB below its peak)", 20.0 * (worst / peak).log10());
        assert!(worst <= 1e-6, "they add up to the mix within {worst}");
        // A track and a return in one stem: the track's bus carries it, so the bus's other
        // tracks go to the sink (out of the bus's folder too), and the session still opens.
        let demo = Session::demo();
        let kick_and_plate = Stem { name: "Kick and Plate".into(), strips: vec![StripRef::Track(0), StripRef::Return(0)], with_returns: false };
        let session = demo.stem_mix(&kick_and_plate).unwrap();
        assert_eq!((session.tracks[1].strip.output.as_str(), session.tracks[1].folder.as_deref()), ("stem-sink", None), "the Snare leaves the drum bus");
        assert_eq!(session.tracks[0].strip.output, demo.tracks[0].strip.output, "the Kick stays in it");
        // The sum check's mix of those stems is the mix.
        let together = Stem::together(&s.returns.iter().enumerate().map(|(r, b)| Stem { name: b.name.clone(), strips: vec![StripRef::Return(r)], with_returns: true }).chain(s.track_stems()).collect::<Vec<_>>());
        let (worst, _) = residual(&mix, &[render(&s.stem_mix(&together).unwrap())]);
        assert!(worst <= 1e-6, "the stems together are the mix: {worst}");
    }
}
