//! The render plan: a mixer compiled for the audio side.
//!
//! [`Plan::compile`] (control side, allocates) validates the routing, orders the strips so that
//! every strip runs after everything that feeds it, computes the delay compensation, packs the strips
//! into SIMD lane groups and builds every processor and buffer. [`Plan::process`] (audio side) then
//! renders a block without allocating.
//!
//! ## Signal flow of a strip
//! input (track audio, or the sum routed to a bus/return/master) → trim and polarity → inserts, in
//! order → *pre-fader tap* (pre-fader sends, side-chain keys) → fader × mute/solo → width (stereo) →
//! pan or balance → *post-fader tap* (post-fader sends) → output (a bus or the master).
//!
//! ## Lane groups
//! Strips at the same depth of the graph whose insert chains hold the same lane processors in the
//! same order share one group: their channels sit side by side in the four lanes of an `f32x4`
//! (stereo strips take an aligned pair of lanes), and each insert processes all of them at once. A
//! strip whose chain holds a stereo processor (delay, reverb, modulation, multiband, limiter) gets a
//! group of its own, left and right in lanes 0 and 1.
//!
//! ## Delay compensation
//! Each strip's input latency is the largest latency of anything arriving at it; every arriving
//! signal that is earlier is delayed by the difference on its way in, so all paths stay aligned.
//! The master's output latency is the plan's latency: offline renders skip that many frames.

use mixroom_dsp::delay::DelayLine;
use mixroom_dsp::gain::{db_to_gain, gain_to_db};
use mixroom_dsp::lanes::{Lanes, F32x4};
use mixroom_dsp::meter::{LevelMeter, Levels};
use mixroom_dsp::pan::{balance_gains, pan_gains, PanLaw};
use mixroom_dsp::smooth::{Smoother, DEFAULT_SMOOTHING_MS};
use mixroom_dsp::MAX_BLOCK;

use crate::automation::{Scale, StripLanes, INSERT_GRID, INSERT_RAMP};
use crate::clip::Clip;
pub use crate::track_audio::TrackAudio;
use crate::track_audio::SourceView;
use crate::insert::{run_stereo, Insert, Processor};
use crate::spec::{InsertKind, MixerSpec, RoutingError, StripId, StripKind, StripSettings};

/// Mute and solo fade in this long, so that switching them never clicks.
const MUTE_DECLICK_MS: f32 = 5.0;
/// Top of a send's range, dB.
pub const SEND_MAX_DB: f32 = 6.0;
/// Range of the input trim, dB.
pub const TRIM_RANGE_DB: f32 = 24.0;
/// Top of a fader's range, dB.
pub const FADER_MAX_DB: f32 = 12.0;

/// The strip settings the audio side can change without a new plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StripParam {
    Trim = 0,
    Fader = 1,
    Pan = 2,
    Mute = 3,
    Solo = 4,
    Polarity = 5,
    SoloSafe = 6,
    Width = 7,
    PanLaw = 8,
}

impl StripParam {
    pub const ALL: [StripParam; 9] = [
        StripParam::Trim,
        StripParam::Fader,
        StripParam::Pan,
        StripParam::Mute,
        StripParam::Solo,
        StripParam::Polarity,
        StripParam::SoloSafe,
        StripParam::Width,
        StripParam::PanLaw,
    ];

    /// The parameter for a numeric id (the worklet boundary), if any.
    pub fn from_id(id: u32) -> Option<StripParam> {
        StripParam::ALL.into_iter().find(|p| *p as u32 == id)
    }
}

/// The send settings the audio side can change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SendParam {
    /// Level, dB (−∞ … +6).
    Level = 0,
    /// 1 = pre-fader, 0 = post-fader.
    PreFader = 1,
    Mute = 2,
}

impl SendParam {
    pub fn from_id(id: u32) -> Option<SendParam> {
        [SendParam::Level, SendParam::PreFader, SendParam::Mute].into_iter().find(|p| *p as u32 == id)
    }
}

/// A fixed delay for a stereo signal on its way somewhere (delay compensation).
struct Compensation {
    lines: [DelayLine; 2],
    samples: usize,
}

impl Compensation {
    fn new(samples: usize) -> Option<Compensation> {
        (samples > 0).then(|| Compensation { lines: [DelayLine::new(samples), DelayLine::new(samples)], samples })
    }

    /// Adds `gain`-scaled `src`, delayed, into `dst`.
    fn add_into(&mut self, src: &[[f32; MAX_BLOCK]; 2], dst: &mut [[f32; MAX_BLOCK]; 2], n: usize) {
        for c in 0..2 {
            for i in 0..n {
                let y = self.lines[c].tap(self.samples);
                self.lines[c].push(src[c][i]);
                dst[c][i] += y;
            }
        }
    }

    fn reset(&mut self) {
        self.lines.iter_mut().for_each(DelayLine::clear);
    }
}

struct Send {
    target: StripId,
    level: Smoother,
    level_db: f32,
    pre_fader: bool,
    muted: bool,
    /// Its mute follows a curve: the setting is ignored.
    mute_automated: bool,
    compensation: Option<Compensation>,
}

/// Per-block buffers of a strip, boxed to keep the strip small.
struct StripBuffers {
    /// What is routed to this strip (buses, returns, master).
    input: [[f32; MAX_BLOCK]; 2],
    /// After the inserts, before the fader.
    pre: [[f32; MAX_BLOCK]; 2],
    /// After fader, width and pan.
    post: [[f32; MAX_BLOCK]; 2],
    /// A send's signal, scaled.
    send: [[f32; MAX_BLOCK]; 2],
}

struct Strip {
    kind: StripKind,
    /// Lanes the strip occupies: 1 (mono track without stereo inserts) or 2.
    width: usize,
    group: usize,
    lane: usize,
    settings: StripSettings,
    trim: Smoother,
    fader: Smoother,
    audible: Smoother,
    pan_left: Smoother,
    pan_right: Smoother,
    stereo_width: Smoother,
    sends: Vec<Send>,
    output: Option<StripId>,
    output_compensation: Option<Compensation>,
    buffers: Box<StripBuffers>,
    meter: [LevelMeter; 2],
    /// Heard under the current solos (soloed, or on the path of a soloed strip).
    in_solo_path: bool,
    /// Strips whose output feeds this one, and the one this feeds: for solo propagation.
    upstream: Vec<StripId>,
    /// The curves the strip follows (see `automation`).
    automation: Box<StripLanes>,
}

/// Per-block working buffers, kept in the plan so that no block spends time zeroing fresh ones.
struct Scratch {
    lanes: [[f32; MAX_BLOCK]; 4],
    trim: [f32; MAX_BLOCK],
    gain: [f32; MAX_BLOCK],
    audible: [f32; MAX_BLOCK],
    pan_left: [f32; MAX_BLOCK],
    pan_right: [f32; MAX_BLOCK],
    width: [f32; MAX_BLOCK],
    level: [f32; MAX_BLOCK],
    /// A curve's values (a mute's, a send mute's).
    curve: [f32; MAX_BLOCK],
}

struct Group {
    /// (strip, first lane) of each member.
    members: Vec<(StripId, usize)>,
    /// Lanes in use (1.0) — a bypass mask over them.
    used: F32x4,
    inserts: Vec<Insert>,
    buf: Box<[F32x4; MAX_BLOCK]>,
    dry: Box<[F32x4; MAX_BLOCK]>,
    key: Box<[F32x4; MAX_BLOCK]>,
    scratch: Box<[[f32; MAX_BLOCK]; 2]>,
}

/// A compiled mixer.
pub struct Plan {
    sample_rate: f32,
    strips: Vec<Strip>,
    groups: Vec<Group>,
    master: StripId,
    latency: usize,
    any_solo: bool,
    /// Preallocated work list for solo propagation.
    stack: Vec<StripId>,
    scratch: Box<Scratch>,
}

impl Plan {
    /// Control side: validates a mixer's routing (one master, outputs, sends, side-chains, no
    /// loops) without building anything — cheap enough to check every stored undo step with.
    pub fn check(spec: &MixerSpec) -> Result<(), RoutingError> {
        routing(spec).map(|_| ())
    }

    /// Control side: validates and compiles a mixer. Fails with a message naming the strips involved.
    pub fn compile(spec: &MixerSpec) -> Result<Plan, RoutingError> {
        let n = spec.strips.len();
        let Routing { master, audio_edges, depth, mut order } = routing(spec)?;

        // Latency: in topological order, each strip's input waits for its latest arrival.
        let insert_latency = |s: StripId| -> usize {
            spec.strips[s].inserts.iter().map(|i| Processor::new(i.kind, spec.sample_rate).latency()).sum()
        };
        let mut input_latency = vec![0usize; n];
        let mut output_latency = vec![0usize; n];
        order.sort_by_key(|&s| depth[s]);
        for &s in &order {
            output_latency[s] = input_latency[s] + insert_latency(s);
            for &(a, b) in &audio_edges {
                if a == s {
                    input_latency[b] = input_latency[b].max(output_latency[s]);
                }
            }
        }
        // Second pass: inputs may have grown after a source was visited at the same depth.
        for &s in &order {
            output_latency[s] = input_latency[s] + insert_latency(s);
        }

        // Strips.
        let sr = spec.sample_rate;
        let mut strips: Vec<Strip> = spec
            .strips
            .iter()
            .enumerate()
            .map(|(s, st)| {
                let stereo_inserts = st.inserts.iter().any(|i| !i.kind.is_lane());
                let width = match st.kind {
                    StripKind::Track { channels: 1 } if !stereo_inserts => 1,
                    _ => 2,
                };
                let compensation = |target: StripId| Compensation::new(input_latency[target] - output_latency[s]);
                let sends = st
                    .sends
                    .iter()
                    .map(|send| Send {
                        target: send.target,
                        level: Smoother::new(0.0, DEFAULT_SMOOTHING_MS, sr),
                        level_db: send.level_db,
                        pre_fader: send.pre_fader,
                        muted: send.muted,
                        mute_automated: false,
                        compensation: compensation(send.target),
                    })
                    .collect();
                Strip {
                    kind: st.kind,
                    width,
                    group: 0,
                    lane: 0,
                    settings: st.settings.clone(),
                    trim: Smoother::new(1.0, DEFAULT_SMOOTHING_MS, sr),
                    fader: Smoother::new(1.0, DEFAULT_SMOOTHING_MS, sr),
                    audible: Smoother::new(1.0, MUTE_DECLICK_MS, sr),
                    pan_left: Smoother::new(1.0, DEFAULT_SMOOTHING_MS, sr),
                    pan_right: Smoother::new(1.0, DEFAULT_SMOOTHING_MS, sr),
                    stereo_width: Smoother::new(1.0, DEFAULT_SMOOTHING_MS, sr),
                    sends,
                    output: st.output,
                    output_compensation: st.output.and_then(compensation),
                    buffers: Box::new(StripBuffers {
                        input: [[0.0; MAX_BLOCK]; 2],
                        pre: [[0.0; MAX_BLOCK]; 2],
                        post: [[0.0; MAX_BLOCK]; 2],
                        send: [[0.0; MAX_BLOCK]; 2],
                    }),
                    meter: Default::default(),
                    in_solo_path: false,
                    upstream: Vec::new(),
                    automation: Box::default(),
                }
            })
            .collect();
        for s in 0..n {
            if let Some(t) = spec.strips[s].output {
                strips[t].upstream.push(s);
            }
        }

        // Lane groups: by depth, then by chain signature; stereo-processor strips alone.
        let mut groups: Vec<Group> = Vec::new();
        let mut pending: Vec<StripId> = order.clone();
        pending.sort_by_key(|&s| (depth[s], if strips[s].width == 2 { 0 } else { 1 }, s));
        let signature = |s: StripId| -> Vec<InsertKind> { spec.strips[s].inserts.iter().map(|i| i.kind).collect() };
        let mut open: Vec<(usize, Vec<InsertKind>, usize, [bool; 4])> = Vec::new(); // (group, signature, depth, lanes taken)
        for s in pending {
            let sig = signature(s);
            let solo_group = sig.iter().any(|k| !k.is_lane());
            let width = strips[s].width;
            let fits = |taken: &[bool; 4]| -> Option<usize> {
                if width == 2 {
                    [0, 2].into_iter().find(|&l| !taken[l] && !taken[l + 1])
                } else {
                    (0..4).find(|&l| !taken[l])
                }
            };
            let slot = if solo_group {
                None
            } else {
                open.iter_mut().find(|(_, g_sig, g_depth, taken)| *g_depth == depth[s] && *g_sig == sig && fits(taken).is_some()).map(|entry| {
                    let lane = fits(&entry.3).expect("checked by the find above");
                    (entry.0, lane, entry)
                }).map(|(g, lane, entry)| {
                    for l in lane..lane + width {
                        entry.3[l] = true;
                    }
                    (g, lane)
                })
            };
            let (g, lane) = match slot {
                Some(found) => found,
                None => {
                    let g = groups.len();
                    groups.push(Group {
                        members: Vec::new(),
                        used: F32x4::splat(0.0),
                        inserts: spec.strips[s]
                            .inserts
                            .iter()
                            .map(|i| {
                                let processor = Processor::new(i.kind, sr);
                                let latency = processor.latency();
                                Insert {
                                    kind: i.kind,
                                    processor,
                                    bypass: F32x4::splat(0.0),
                                    keys: [None; 4],
                                    bypass_delay: (latency > 0).then(|| [DelayLine::new(latency), DelayLine::new(latency)]),
                                }
                            })
                            .collect(),
                        buf: Box::new([F32x4::splat(0.0); MAX_BLOCK]),
                        dry: Box::new([F32x4::splat(0.0); MAX_BLOCK]),
                        key: Box::new([F32x4::splat(0.0); MAX_BLOCK]),
                        scratch: Box::new([[0.0; MAX_BLOCK]; 2]),
                    });
                    let mut taken = [false; 4];
                    for l in 0..width {
                        taken[l] = true;
                    }
                    if !solo_group {
                        open.push((g, sig.clone(), depth[s], taken));
                    }
                    (g, 0)
                }
            };
            let group = &mut groups[g];
            group.members.push((s, lane));
            for l in lane..lane + width {
                group.used.set_lane(l, 1.0);
            }
            strips[s].group = g;
            strips[s].lane = lane;
            // Per-lane settings of each insert for this strip.
            for (insert, spec_insert) in group.inserts.iter_mut().zip(&spec.strips[s].inserts) {
                for l in lane..lane + width {
                    insert.processor.set_linked(l, width == 2);
                    for (id, &v) in spec_insert.params.iter().enumerate() {
                        insert.processor.set_param(l, id, v);
                    }
                    insert.bypass.set_lane(l, if spec_insert.bypass { 1.0 } else { 0.0 });
                    insert.keys[l] = spec_insert.key;
                }
                insert.processor.set_tempo(spec.tempo_bpm);
            }
        }

        let scratch = Box::new(Scratch {
            lanes: [[0.0; MAX_BLOCK]; 4],
            trim: [0.0; MAX_BLOCK],
            gain: [0.0; MAX_BLOCK],
            audible: [0.0; MAX_BLOCK],
            pan_left: [0.0; MAX_BLOCK],
            pan_right: [0.0; MAX_BLOCK],
            width: [0.0; MAX_BLOCK],
            level: [0.0; MAX_BLOCK],
            curve: [0.0; MAX_BLOCK],
        });
        let mut plan = Plan { sample_rate: sr, strips, groups, master, latency: output_latency[master], any_solo: false, stack: Vec::with_capacity(n), scratch };
        for (s, st) in spec.strips.iter().enumerate() {
            plan.set_automation(s, Box::new(StripLanes::new(&st.automation)));
            // A new plan lands on its curves at once.
            plan.strips[s].automation.reset();
        }
        for s in 0..n {
            for p in StripParam::ALL {
                let v = plan.strip_setting(s, p);
                plan.apply_strip_param(s, p, v);
            }
            for i in 0..plan.strips[s].sends.len() {
                plan.set_send_param(s, i, SendParam::Level, plan.strips[s].sends[i].level_db);
            }
        }
        plan.update_solo();
        plan.settle();
        Ok(plan)
    }

    fn strip_setting(&self, s: StripId, p: StripParam) -> f32 {
        let st = &self.strips[s].settings;
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        match p {
            StripParam::Trim => st.trim_db,
            StripParam::Fader => st.fader_db,
            StripParam::Pan => st.pan,
            StripParam::Mute => flag(st.mute),
            StripParam::Solo => flag(st.solo),
            StripParam::Polarity => flag(st.polarity_inverted),
            StripParam::SoloSafe => flag(st.solo_safe),
            StripParam::Width => st.width,
            StripParam::PanLaw => st.pan_law as f32,
        }
    }

    /// The plan's latency: how many frames the master's output trails the transport.
    pub fn latency(&self) -> usize {
        self.latency
    }

    /// Number of strips.
    pub fn strip_count(&self) -> usize {
        self.strips.len()
    }

    /// The master strip.
    pub fn master(&self) -> StripId {
        self.master
    }

    /// Number of lane groups (for diagnostics and benchmarks).
    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// Audio side: sets a strip parameter, clamped to its range. Unknown strips are ignored.
    pub fn set_strip_param(&mut self, s: StripId, p: StripParam, value: f32) {
        if s < self.strips.len() {
            self.apply_strip_param(s, p, value);
            if matches!(p, StripParam::Solo | StripParam::SoloSafe | StripParam::Mute) {
                self.update_solo();
            }
        }
    }

    fn apply_strip_param(&mut self, s: StripId, p: StripParam, value: f32) {
        let strip = &mut self.strips[s];
        let v = if value.is_nan() { 0.0 } else { value };
        let on = v >= 0.5;
        let st = &mut strip.settings;
        match p {
            StripParam::Trim => st.trim_db = v.clamp(-TRIM_RANGE_DB, TRIM_RANGE_DB),
            StripParam::Polarity => st.polarity_inverted = on,
            StripParam::Fader => st.fader_db = v.min(FADER_MAX_DB),
            StripParam::Pan => st.pan = v.clamp(-1.0, 1.0),
            StripParam::Width => st.width = v.clamp(0.0, 2.0),
            StripParam::PanLaw => {
                st.pan_law = (v.round().clamp(0.0, 2.0)) as usize;
                if let Some(lane) = &mut strip.automation.pan {
                    lane.forget_conversion();
                }
            }
            StripParam::Mute => st.mute = on,
            StripParam::Solo => st.solo = on,
            StripParam::SoloSafe => st.solo_safe = on,
        }
        let sign = if st.polarity_inverted { -1.0 } else { 1.0 };
        strip.trim.set_target(sign * db_to_gain(st.trim_db));
        strip.fader.set_target(db_to_gain(st.fader_db));
        strip.stereo_width.set_target(st.width);
        let (l, r) = pan_for(strip.kind, strip.width, st);
        strip.pan_left.set_target(l);
        strip.pan_right.set_target(r);
    }

    /// Audio side: sets a send parameter. Unknown strips or sends are ignored.
    pub fn set_send_param(&mut self, s: StripId, index: usize, p: SendParam, value: f32) {
        let Some(send) = self.strips.get_mut(s).and_then(|st| st.sends.get_mut(index)) else { return };
        match p {
            SendParam::Level => send.level_db = if value.is_nan() { f32::NEG_INFINITY } else { value.min(SEND_MAX_DB) },
            SendParam::PreFader => send.pre_fader = value >= 0.5,
            SendParam::Mute => send.muted = value >= 0.5,
        }
        send.level.set_target(if send.muted && !send.mute_automated { 0.0 } else { db_to_gain(send.level_db) });
    }

    /// Audio side: gives strip `s` the curves of `lanes` (built on the control side) and hands its
    /// old ones back, to be dropped there. A parameter that starts following a curve while playing
    /// ramps to it from where it was; one that stops glides back to its setting from where the
    /// curve left it. Insert parameters keep the curve's last value until set again: the control
    /// side sends their settings after this. Unknown strips hand the new lanes back.
    pub fn set_automation(&mut self, s: StripId, mut lanes: Box<StripLanes>) -> Box<StripLanes> {
        let Some(strip) = self.strips.get_mut(s) else { return lanes };
        let old = &strip.automation;
        // Carry on from what is heard now: the old curve's last value, else the setting.
        let sign = if strip.settings.polarity_inverted { -1.0 } else { 1.0 };
        let trim_now = old.trim.as_ref().and_then(|l| l.last_value()).unwrap_or_else(|| gain_to_db(strip.trim.current() * sign));
        let fader_now = old.fader.as_ref().and_then(|l| l.last_value()).unwrap_or_else(|| gain_to_db(strip.fader.current()));
        let width_now = old.width.as_ref().and_then(|l| l.last_value()).unwrap_or(strip.stereo_width.current());
        let pan_now = old.pan.as_ref().and_then(|l| l.last_value()).unwrap_or(strip.settings.pan);
        let mute_now = old.mute.as_ref().and_then(|l| l.last_value()).unwrap_or(if strip.settings.mute { 1.0 } else { 0.0 });
        for (lane, now) in [(&mut lanes.trim, trim_now), (&mut lanes.fader, fader_now), (&mut lanes.width, width_now), (&mut lanes.pan, pan_now), (&mut lanes.mute, mute_now)] {
            if let Some(l) = lane {
                l.continue_from(now);
            }
        }
        for (i, send) in lanes.sends.iter_mut().enumerate() {
            let old_send = old.sends.get(i);
            if let Some(l) = &mut send.level {
                let now = old_send.and_then(|o| o.level.as_ref()).and_then(|l| l.last_value());
                l.continue_from(now.unwrap_or_else(|| strip.sends.get(i).map_or(0.0, |s| gain_to_db(s.level.current()))));
            }
            if let Some(l) = &mut send.mute {
                let now = old_send.and_then(|o| o.mute.as_ref()).and_then(|l| l.last_value());
                l.continue_from(now.unwrap_or_else(|| strip.sends.get(i).map_or(0.0, |s| if s.muted { 1.0 } else { 0.0 })));
            }
        }
        // Smoothers of parameters that stop following a curve glide on from its last value.
        if lanes.trim.is_none() {
            if let Some(v) = old.trim.as_ref().and_then(|l| l.last_value()) {
                strip.trim.reset(sign * db_to_gain(v));
            }
        }
        if lanes.fader.is_none() {
            if let Some(v) = old.fader.as_ref().and_then(|l| l.last_value()) {
                strip.fader.reset(db_to_gain(v));
            }
        }
        if lanes.width.is_none() {
            if let Some(v) = old.width.as_ref().and_then(|l| l.last_value()) {
                strip.stereo_width.reset(v);
            }
        }
        if lanes.pan.is_none() {
            if let Some(v) = old.pan.as_ref().and_then(|l| l.last_value()) {
                let (l, r) = pan_at(strip.kind, strip.settings.pan_law, v);
                strip.pan_left.reset(l);
                strip.pan_right.reset(r);
            }
        }
        for (i, send) in strip.sends.iter_mut().enumerate() {
            let old_send = old.sends.get(i);
            let new_send = lanes.sends.get(i);
            if new_send.is_none_or(|n| n.level.is_none()) {
                if let Some(v) = old_send.and_then(|o| o.level.as_ref()).and_then(|l| l.last_value()) {
                    send.level.reset(db_to_gain(v));
                }
            }
            send.mute_automated = new_send.is_some_and(|n| n.mute.is_some());
            send.level.set_target(if send.muted && !send.mute_automated { 0.0 } else { db_to_gain(send.level_db) });
        }
        let old = core::mem::replace(&mut strip.automation, lanes);
        self.update_solo();
        old
    }

    /// Audio side: sets an insert parameter of a strip. Unknown strips, slots or ids are ignored.
    pub fn set_insert_param(&mut self, s: StripId, slot: usize, id: usize, value: f32) {
        let Some(strip) = self.strips.get(s) else { return };
        let (g, lane, width) = (strip.group, strip.lane, strip.width);
        let Some(insert) = self.groups[g].inserts.get_mut(slot) else { return };
        if id >= insert.kind.params().len() {
            return;
        }
        for l in lane..lane + width {
            insert.processor.set_param(l, id, value);
        }
        // An automated parameter set by hand is given its curve again at the next grid point.
        for a in self.strips[s].automation.inserts.iter_mut().filter(|a| a.slot == slot && a.id == Some(id)) {
            a.applied = f32::NAN;
        }
    }

    /// Audio side: bypasses or restores an insert of a strip.
    pub fn set_insert_bypass(&mut self, s: StripId, slot: usize, bypass: bool) {
        let Some(strip) = self.strips.get(s) else { return };
        let (g, lane, width) = (strip.group, strip.lane, strip.width);
        if let Some(insert) = self.groups[g].inserts.get_mut(slot) {
            for l in lane..lane + width {
                insert.bypass.set_lane(l, if bypass { 1.0 } else { 0.0 });
            }
        }
    }

    /// Audio side: the session tempo, for tempo-synced effects.
    pub fn set_tempo(&mut self, bpm: f32) {
        for g in &mut self.groups {
            for i in &mut g.inserts {
                i.processor.set_tempo(bpm);
            }
        }
    }

    /// Works out who is heard under the current solos: a soloed strip, everything its output passes
    /// through on the way to the master, and everything feeding it.
    fn update_solo(&mut self) {
        self.any_solo = self.strips.iter().any(|s| s.settings.solo);
        for s in &mut self.strips {
            s.in_solo_path = false;
        }
        for start in 0..self.strips.len() {
            if !self.strips[start].settings.solo {
                continue;
            }
            let mut s = start;
            loop {
                self.strips[s].in_solo_path = true;
                match self.strips[s].output {
                    Some(t) => s = t,
                    None => break,
                }
            }
            self.stack.clear();
            self.stack.push(start);
            while let Some(s) = self.stack.pop() {
                for i in 0..self.strips[s].upstream.len() {
                    let u = self.strips[s].upstream[i];
                    if !self.strips[u].in_solo_path && self.stack.len() < self.stack.capacity() {
                        self.strips[u].in_solo_path = true;
                        self.stack.push(u);
                    }
                }
            }
        }
        let any = self.any_solo;
        for s in &mut self.strips {
            let st = &s.settings;
            // A mute that follows a curve is applied with it, in the output stage.
            let muted = st.mute && s.automation.mute.is_none();
            let heard = !muted && (!any || st.solo_safe || s.in_solo_path || s.kind == StripKind::Master);
            s.audible.set_target(if heard { 1.0 } else { 0.0 });
        }
    }

    /// Control side: jumps every smoothed parameter to its target.
    pub fn settle(&mut self) {
        for s in &mut self.strips {
            for sm in [&mut s.trim, &mut s.fader, &mut s.audible, &mut s.pan_left, &mut s.pan_right, &mut s.stereo_width] {
                let t = sm.target();
                sm.reset(t);
            }
            for send in &mut s.sends {
                let t = send.level.target();
                send.level.reset(t);
            }
        }
        for g in &mut self.groups {
            for i in &mut g.inserts {
                i.processor.settle();
            }
        }
    }

    /// Clears every processor's and delay's state (playback starts anew).
    pub fn reset(&mut self) {
        for g in &mut self.groups {
            for i in &mut g.inserts {
                i.processor.reset();
                if let Some(lines) = &mut i.bypass_delay {
                    lines.iter_mut().for_each(DelayLine::clear);
                }
            }
        }
        for s in &mut self.strips {
            s.automation.reset();
            if let Some(c) = &mut s.output_compensation {
                c.reset();
            }
            for send in &mut s.sends {
                if let Some(c) = &mut send.compensation {
                    c.reset();
                }
            }
        }
    }

    /// A strip's signal from the last block, after its inserts and before its fader.
    pub fn pre_fader(&self, s: StripId) -> Option<&[[f32; MAX_BLOCK]; 2]> {
        self.strips.get(s).map(|st| &st.buffers.pre)
    }

    /// Reads and resets a strip's meters (post-fader, post-pan): left and right levels, linear.
    pub fn take_levels(&mut self, s: StripId) -> [Levels; 2] {
        self.strips.get_mut(s).map_or([Levels::default(); 2], |st| [st.meter[0].take(), st.meter[1].take()])
    }

    /// Reads and resets a strip's largest gain reduction across its dynamics inserts, dB (≥ 0).
    pub fn take_gain_reduction(&mut self, s: StripId) -> f32 {
        let Some(strip) = self.strips.get(s) else { return 0.0 };
        let (g, lane, width) = (strip.group, strip.lane, strip.width);
        let mut r = 0.0f32;
        for insert in &mut self.groups[g].inserts {
            for l in lane..lane + width {
                r = r.max(insert.processor.take_gain_reduction(l));
            }
        }
        r
    }

    /// Audio side: renders `n` frames (≤ MAX_BLOCK) of the mix from session frame `position`
    /// (`playing` false renders the tails of silence) into `out`. Never allocates.
    /// `clips[s]` places track `s`'s audio on the timeline (`None`: the whole audio from frame 0).
    /// The block is written to `out` from frame `offset` on.
    pub fn process(&mut self, audio: &[TrackAudio], clips: &[Option<Vec<Clip>>], position: u64, n: usize, out: &mut [[f32; MAX_BLOCK]; 2], offset: usize) {
        let n = n.min(MAX_BLOCK - offset.min(MAX_BLOCK));
        for s in self.strips.iter_mut().filter(|s| !matches!(s.kind, StripKind::Track { .. })) {
            s.buffers.input[0][..n].fill(0.0);
            s.buffers.input[1][..n].fill(0.0);
        }
        for g in 0..self.groups.len() {
            self.gather(g, audio, clips, position, n);
            self.run_inserts(g, position, n);
            self.scatter(g, n);
            for m in 0..self.groups[g].members.len() {
                let s = self.groups[g].members[m].0;
                self.output_stage(s, position, n);
            }
        }
        let master = &self.strips[self.master].buffers.post;
        out[0][offset..offset + n].copy_from_slice(&master[0][..n]);
        out[1][offset..offset + n].copy_from_slice(&master[1][..n]);
    }

    /// Fills the group's lanes with each member's input, trimmed. Each lane is written whole into a
    /// lane-major scratch first and the vectors assembled in one pass: writing single lanes of
    /// vectors in place would stall the CPU's store forwarding on every sample.
    fn gather(&mut self, g: usize, audio: &[TrackAudio], clips: &[Option<Vec<Clip>>], position: u64, n: usize) {
        let scratch = &mut *self.scratch;
        let lanes = &mut scratch.lanes;
        let group = &mut self.groups[g];
        // Lanes no member uses carry silence.
        for (l, lane) in lanes.iter_mut().enumerate() {
            if group.used.lane(l) == 0.0 {
                lane[..n].fill(0.0);
            }
        }
        for &(s, lane) in &group.members {
            let strip = &mut self.strips[s];
            let trim = &mut scratch.trim;
            // A trim that does not move is one number (none at all at unity: x·1 is x).
            let steady_trim = strip.automation.trim.is_none() && strip.trim.is_settled();
            match &mut strip.automation.trim {
                Some(lane) => {
                    lane.fill_gain(position, &mut trim[..n]);
                    if strip.settings.polarity_inverted {
                        trim[..n].iter_mut().for_each(|t| *t = -*t);
                    }
                }
                None if steady_trim => {}
                None => strip.trim.fill(&mut trim[..n]),
            }
            for c in 0..strip.width {
                let dest = &mut lanes[lane + c];
                match strip.kind {
                    StripKind::Track { .. } => {
                        let source = audio.get(s).and_then(|t| t.view(c)).unwrap_or(SourceView::Whole(&[]));
                        dest[..n].fill(0.0);
                        match clips.get(s).and_then(Option::as_ref) {
                            Some(clips) => {
                                for clip in clips {
                                    clip.render(source, position, &mut dest[..n]);
                                }
                            }
                            // No clips set: the whole audio from the session start.
                            None => source.copy_into(position, &mut dest[..n]),
                        }
                    }
                    _ => dest[..n].copy_from_slice(&strip.buffers.input[c][..n]),
                }
                if !steady_trim {
                    for (x, t) in dest[..n].iter_mut().zip(&trim[..n]) {
                        *x *= t;
                    }
                } else if strip.trim.current() != 1.0 {
                    let t = strip.trim.current();
                    dest[..n].iter_mut().for_each(|x| *x *= t);
                }
            }
        }
        transpose_into(lanes, &mut group.buf[..n]);
    }

    /// Runs the group's insert chain over the block. A slot with automated parameters runs in
    /// stretches between points of the [`INSERT_GRID`] of the timeline, each given the curves'
    /// values at its grid point: the same settings at the same frames whatever the block size.
    fn run_inserts(&mut self, g: usize, position: u64, n: usize) {
        for slot in 0..self.groups[g].inserts.len() {
            let automated = self.groups[g].members.iter().any(|&(s, _)| self.strips[s].automation.inserts.iter().any(|a| a.slot == slot));
            if !automated {
                self.run_insert(g, slot, 0, n);
                continue;
            }
            let mut a = 0;
            while a < n {
                let frame = position + a as u64;
                let grid = frame - frame % INSERT_GRID;
                let b = (a + (grid + INSERT_GRID - frame) as usize).min(n);
                self.apply_insert_automation(g, slot, grid);
                self.run_insert(g, slot, a, b);
                a = b;
            }
        }
    }

    /// Gives slot `slot` of group `g` its members' curves' values at `frame`.
    fn apply_insert_automation(&mut self, g: usize, slot: usize, frame: u64) {
        let (groups, strips) = (&mut self.groups, &mut self.strips);
        let group = &mut groups[g];
        let Some(insert) = group.inserts.get_mut(slot) else { return };
        for &(s, lane) in &group.members {
            let strip = &mut strips[s];
            let width = strip.width;
            for a in strip.automation.inserts.iter_mut().filter(|a| a.slot == slot) {
                // A continuous parameter is given the value it has at the next grid point: the
                // processor ramps to it over the stretch and arrives on time. Switches and
                // choices change on their grid point.
                let ahead = if matches!(a.curve.scale(), Scale::Steps | Scale::Switch) { 0 } else { INSERT_GRID };
                let v = a.curve.value_near(&mut a.seg, frame + ahead);
                if v.to_bits() == a.applied.to_bits() {
                    continue;
                }
                a.applied = v;
                for l in lane..lane + width {
                    match a.id {
                        Some(id) => insert.processor.automate(l, id, v, INSERT_RAMP),
                        None => insert.bypass.set_lane(l, v.clamp(0.0, 1.0)),
                    }
                }
            }
        }
    }

    /// Runs slot `slot` of group `g` over frames `a..b` of the block.
    fn run_insert(&mut self, g: usize, slot: usize, a: usize, b: usize) {
        let (groups, strips) = (&mut self.groups, &self.strips);
        let group = &mut groups[g];
        let used = group.used;
        let Some(insert) = group.inserts.get_mut(slot) else { return };
        {
            if insert.all_bypassed(used) && insert.bypass_delay.is_none() {
                return;
            }
            // (A bypass following a curve crosses over: between 0 and 1 it blends.)
            let partial = (0..4).any(|l| used.lane(l) > 0.5 && insert.bypass.lane(l) > 0.0);
            if partial {
                group.dry[a..b].copy_from_slice(&group.buf[a..b]);
            }
            let keyed = insert.keys.iter().any(Option::is_some);
            if keyed {
                for i in a..b {
                    group.key[i] = group.buf[i];
                }
                for (lane, key) in insert.keys.iter().enumerate() {
                    let Some(k) = *key else { continue };
                    let source = &strips[k].buffers.pre;
                    // The left lane of a pair takes the key's left, the right lane its right.
                    let side = lane % 2;
                    for i in a..b {
                        group.key[i].set_lane(lane, source[side][i]);
                    }
                }
            }
            match &mut insert.processor {
                Processor::Filters(p) => p.process(&mut group.buf[a..b]),
                Processor::Eq(p) => p.process(&mut group.buf[a..b]),
                Processor::Compressor(p) => p.process(&mut group.buf[a..b], if keyed { Some(&group.key[a..b]) } else { None }),
                Processor::Gate(p) => p.process(&mut group.buf[a..b]),
                Processor::DeEsser(p) => p.process(&mut group.buf[a..b]),
                Processor::Saturation(p) => p.process(&mut group.buf[a..b]),
                Processor::Stereo(p) => {
                    if let Some(lines) = &mut insert.bypass_delay {
                        // Keep the dry path delayed like the processor, for a bypass without a jump.
                        let latency = p.latency();
                        for i in a..b {
                            for (c, line) in lines.iter_mut().enumerate() {
                                let x = group.buf[i].lane(c);
                                let y = line.tap(latency);
                                line.push(x);
                                group.dry[i].set_lane(c, y);
                            }
                        }
                    }
                    run_stereo(p.as_mut(), &mut group.buf[a..b], &mut group.scratch);
                    // A bypassed stereo processor with latency still runs (its state stays warm) but
                    // passes the dry signal delayed by the same latency. Without latency it was skipped.
                    if insert.bypass.lane(0) > 0.5 && insert.bypass_delay.is_some() {
                        group.buf[a..b].copy_from_slice(&group.dry[a..b]);
                    }
                    return;
                }
            }
            if partial {
                let one = F32x4::splat(1.0);
                for i in a..b {
                    group.buf[i] = insert.bypass * group.dry[i] + (one - insert.bypass) * group.buf[i];
                }
            }
        }
    }

    /// Copies every member's lanes out to its pre-fader buffer (one transpose for the group).
    fn scatter(&mut self, g: usize, n: usize) {
        let lanes = &mut self.scratch.lanes;
        transpose_from(&self.groups[g].buf[..n], lanes);
        for &(s, lane) in &self.groups[g].members {
            let strip = &mut self.strips[s];
            let right = if strip.width == 2 { lane + 1 } else { lane };
            strip.buffers.pre[0][..n].copy_from_slice(&lanes[lane][..n]);
            strip.buffers.pre[1][..n].copy_from_slice(&lanes[right][..n]);
        }
    }

    /// Fader, mute/solo, width, pan; sends; output; meter.
    fn output_stage(&mut self, s: StripId, position: u64, n: usize) {
        {
            let Scratch { gain, audible, pan_left: pl, pan_right: pr, width, curve, .. } = &mut *self.scratch;
            let strip = &mut self.strips[s];
            let lanes = &mut *strip.automation;
            let stereo_source = !matches!(strip.kind, StripKind::Track { channels: 1 });
            let steady = lanes.fader.is_none() && lanes.mute.is_none() && lanes.pan.is_none() && lanes.width.is_none()
                && [&strip.fader, &strip.audible, &strip.pan_left, &strip.pan_right, &strip.stereo_width].iter().all(|m| m.is_settled())
                && (!stereo_source || strip.stereo_width.current() == 1.0);
            if steady {
                // Nothing moves and the width is plain (the usual case): each sample of the loop
                // below with its constants — the same products in the same order.
                let gain = strip.fader.current() * strip.audible.current();
                let (pl, pr) = (strip.pan_left.current(), strip.pan_right.current());
                let b = &mut *strip.buffers;
                let [pre_l, pre_r] = &b.pre;
                let [post_l, post_r] = &mut b.post;
                for i in 0..n {
                    post_l[i] = pre_l[i] * gain * pl;
                    post_r[i] = pre_r[i] * gain * pr;
                }
                strip.meter[0].process(&post_l[..n]);
                strip.meter[1].process(&post_r[..n]);
            } else {
                match &mut lanes.fader {
                    Some(lane) => lane.fill_gain(position, &mut gain[..n]),
                    None => strip.fader.fill(&mut gain[..n]),
                }
                strip.audible.fill(&mut audible[..n]);
                if let Some(lane) = &mut lanes.mute {
                    // 1 muted, 0 heard, ramped between.
                    lane.fill(position, &mut curve[..n]);
                    for (a, m) in audible[..n].iter_mut().zip(&curve[..n]) {
                        *a *= 1.0 - m;
                    }
                }
                match &mut lanes.pan {
                    Some(lane) => {
                        let (kind, law) = (strip.kind, strip.settings.pan_law);
                        lane.fill_pair(position, &mut pl[..n], &mut pr[..n], |p| {
                            let (l, r) = pan_at(kind, law, p);
                            [l, r]
                        });
                    }
                    None => {
                        strip.pan_left.fill(&mut pl[..n]);
                        strip.pan_right.fill(&mut pr[..n]);
                    }
                }
                let width_automated = match &mut lanes.width {
                    Some(lane) => {
                        lane.fill(position, &mut width[..n]);
                        true
                    }
                    None => {
                        strip.stereo_width.fill(&mut width[..n]);
                        false
                    }
                };
                let b = &mut *strip.buffers;
                for (g, a) in gain[..n].iter_mut().zip(&audible[..n]) {
                    *g *= a;
                }
                // Width at exactly 1 (the common case) is skipped sample by sample, so the plain loop
                // below and the mid/side loop give the same bits; the plain one is just vectorised.
                let plain = !stereo_source || (!width_automated && strip.stereo_width.is_settled() && strip.stereo_width.current() == 1.0);
                let [pre_l, pre_r] = &b.pre;
                let [post_l, post_r] = &mut b.post;
                if plain {
                    for i in 0..n {
                        post_l[i] = pre_l[i] * gain[i] * pl[i];
                        post_r[i] = pre_r[i] * gain[i] * pr[i];
                    }
                } else {
                    for i in 0..n {
                        let (mut l, mut r) = (pre_l[i] * gain[i], pre_r[i] * gain[i]);
                        if width[i] != 1.0 {
                            // Mid/side width: the side signal scaled, the mid untouched.
                            let mid = 0.5 * (l + r);
                            let side = 0.5 * (l - r) * width[i];
                            l = mid + side;
                            r = mid - side;
                        }
                        post_l[i] = l * pl[i];
                        post_r[i] = r * pr[i];
                    }
                }
                strip.meter[0].process(&post_l[..n]);
                strip.meter[1].process(&post_r[..n]);
            }
        }

        // Sends, then the output: into the destinations' inputs, delay-compensated.
        for i in 0..self.strips[s].sends.len() {
            let strip = &self.strips[s];
            let send = &strip.sends[i];
            let steady = send.level.is_settled() && send.compensation.is_none() && strip.automation.sends.get(i).is_none_or(|l| l.level.is_none() && l.mute.is_none());
            if steady {
                // A level that does not move and no delay to make up (the usual case): the
                // send's samples go straight into the destination — the products and sums of the
                // general path below, without its buffers.
                let target = send.target;
                let Some((src, dst)) = two_mut(&mut self.strips, s, target) else { continue };
                let send = &src.sends[i];
                let level = send.level.current();
                let from = if send.pre_fader { &src.buffers.pre } else { &src.buffers.post };
                for (d, x) in dst.buffers.input.iter_mut().zip(from) {
                    for (d, x) in d[..n].iter_mut().zip(&x[..n]) {
                        *d += x * level;
                    }
                }
                continue;
            }
            let target = {
                let strip = &mut self.strips[s];
                let send = &mut strip.sends[i];
                let Scratch { level, curve, .. } = &mut *self.scratch;
                let mut lanes = strip.automation.sends.get_mut(i);
                match lanes.as_mut().and_then(|l| l.level.as_mut()) {
                    Some(lane) => lane.fill_gain(position, &mut level[..n]),
                    None => send.level.fill(&mut level[..n]),
                }
                if let Some(lane) = lanes.and_then(|l| l.mute.as_mut()) {
                    lane.fill(position, &mut curve[..n]);
                    for (g, m) in level[..n].iter_mut().zip(&curve[..n]) {
                        *g *= 1.0 - m;
                    }
                }
                let b = &mut *strip.buffers;
                let src = if send.pre_fader { &b.pre } else { &b.post };
                for (dst, src) in b.send.iter_mut().zip(src) {
                    for ((d, x), g) in dst[..n].iter_mut().zip(&src[..n]).zip(&level[..n]) {
                        *d = x * g;
                    }
                }
                send.target
            };
            self.route(s, Some(i), target, n);
        }
        if let Some(target) = self.strips[s].output {
            self.route(s, None, target, n);
        }
    }

    /// Adds strip `s`'s send `send` (or its output, `None`) into `target`'s input.
    fn route(&mut self, s: StripId, send: Option<usize>, target: StripId, n: usize) {
        let Some((src, dst)) = two_mut(&mut self.strips, s, target) else { return };
        let (signal, compensation) = match send {
            Some(i) => (&src.buffers.send, &mut src.sends[i].compensation),
            None => (&src.buffers.post, &mut src.output_compensation),
        };
        match compensation {
            Some(c) => c.add_into(signal, &mut dst.buffers.input, n),
            None => {
                for (dst, src) in dst.buffers.input.iter_mut().zip(signal) {
                    for (d, x) in dst[..n].iter_mut().zip(&src[..n]) {
                        *d += x;
                    }
                }
            }
        }
    }

    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }
}

/// Lane-major buffers (one contiguous array per lane) into one vector per sample, four samples at a
/// time with a 4×4 register transpose.
fn transpose_into(lanes: &[[f32; MAX_BLOCK]; 4], out: &mut [F32x4]) {
    let n = out.len();
    let whole = n - n % 4;
    for i in (0..whole).step_by(4) {
        let rows = core::array::from_fn(|l| F32x4::from([lanes[l][i], lanes[l][i + 1], lanes[l][i + 2], lanes[l][i + 3]]));
        out[i..i + 4].copy_from_slice(&F32x4::transpose(rows));
    }
    for (i, o) in out.iter_mut().enumerate().skip(whole) {
        *o = F32x4::from([lanes[0][i], lanes[1][i], lanes[2][i], lanes[3][i]]);
    }
}

/// The inverse of [`transpose_into`].
fn transpose_from(buf: &[F32x4], lanes: &mut [[f32; MAX_BLOCK]; 4]) {
    let n = buf.len();
    let whole = n - n % 4;
    for i in (0..whole).step_by(4) {
        let cols = F32x4::transpose([buf[i], buf[i + 1], buf[i + 2], buf[i + 3]]);
        for (l, col) in cols.iter().enumerate() {
            lanes[l][i..i + 4].copy_from_slice(&col.to_array());
        }
    }
    for (i, v) in buf.iter().enumerate().skip(whole) {
        let a = v.to_array();
        for l in 0..4 {
            lanes[l][i] = a[l];
        }
    }
}

/// Pan gains for a strip: mono sources are panned with the strip's law; stereo ones balanced.
fn pan_for(kind: StripKind, _width: usize, st: &StripSettings) -> (f32, f32) {
    pan_at(kind, st.pan_law, st.pan)
}

/// Pan gains of a strip of `kind` at `position` under pan law `law` (mono) or balanced (stereo).
fn pan_at(kind: StripKind, law: usize, position: f32) -> (f32, f32) {
    match kind {
        StripKind::Track { channels: 1 } => pan_gains(position, [PanLaw::ConstantPower, PanLaw::Minus4_5, PanLaw::Linear][law.min(2)]),
        _ => balance_gains(position),
    }
}

/// Two distinct elements of a slice, mutably; `None` if they are the same (compile rejects routing a
/// strip into itself, so the audio path never sees that).
fn two_mut<T>(v: &mut [T], a: usize, b: usize) -> Option<(&mut T, &mut T)> {
    if a == b || a.max(b) >= v.len() {
        return None;
    }
    Some(if a < b {
        let (x, y) = v.split_at_mut(b);
        (&mut x[a], &mut y[0])
    } else {
        let (x, y) = v.split_at_mut(a);
        (&mut y[0], &mut x[b])
    })
}

/// The strips around one cycle among those Kahn's algorithm could not order.
fn find_cycle(n: usize, edges: &[(StripId, StripId)], indegree: &[usize]) -> Vec<StripId> {
    let remaining: Vec<bool> = (0..n).map(|s| indegree[s] > 0).collect();
    let Some(start) = (0..n).find(|&s| remaining[s]) else { return Vec::new() };
    // Walk backwards along edges between remaining strips until a strip repeats.
    let mut path = vec![start];
    let mut s = start;
    loop {
        let Some(&(prev, _)) = edges.iter().find(|&&(a, b)| b == s && remaining[a]) else { return path };
        if let Some(pos) = path.iter().position(|&p| p == prev) {
            // `path` runs against the signal; from `pos` on it is the loop, reversed.
            let mut cycle: Vec<StripId> = path[pos..].to_vec();
            cycle.reverse();
            cycle.push(cycle[0]);
            return cycle;
        }
        path.push(prev);
        s = prev;
    }
}

/// A mixer's routing, checked: the master, the audio edges (outputs and sends, from → to), each
/// strip's depth and a topological order.
struct Routing {
    master: StripId,
    audio_edges: Vec<(StripId, StripId)>,
    depth: Vec<usize>,
    order: Vec<StripId>,
}

fn routing(spec: &MixerSpec) -> Result<Routing, RoutingError> {
    let n = spec.strips.len();
    let name = |s: StripId| spec.strips[s].name.clone();
    let masters: Vec<StripId> = (0..n).filter(|&s| spec.strips[s].kind == StripKind::Master).collect();
    let master = match masters.as_slice() {
        [] => return Err(RoutingError::NoMaster),
        [m] => *m,
        _ => return Err(RoutingError::SeveralMasters),
    };

    // Edges: (from, to). Audio edges carry signal into `to`'s input; key edges must merely run first.
    let mut audio_edges = Vec::new();
    let mut key_edges = Vec::new();
    for (s, strip) in spec.strips.iter().enumerate() {
        match (strip.kind, strip.output) {
            (StripKind::Master, None) => {}
            (StripKind::Master, Some(_)) => return Err(RoutingError::BadOutput { strip: name(s), why: "the master bus is the end of the mix".into() }),
            (_, None) => return Err(RoutingError::BadOutput { strip: name(s), why: "it has no output".into() }),
            (_, Some(t)) => {
                let bad = |why: &str| Err(RoutingError::BadOutput { strip: name(s), why: why.into() });
                match spec.strips.get(t).map(|x| x.kind) {
                    None => return bad("that output does not exist"),
                    Some(_) if t == s => return bad("a strip cannot feed itself"),
                    Some(StripKind::Bus | StripKind::Master) => audio_edges.push((s, t)),
                    Some(_) => return bad("outputs go to a bus or the master"),
                }
            }
        }
        for send in &strip.sends {
            let bad = |why: &str| Err(RoutingError::BadSend { strip: name(s), why: why.into() });
            match spec.strips.get(send.target).map(|x| x.kind) {
                None => return bad("that destination does not exist"),
                Some(_) if send.target == s => return bad("a strip cannot send to itself"),
                Some(StripKind::Return | StripKind::Bus) => audio_edges.push((s, send.target)),
                Some(_) => return bad("sends go to a return or a bus"),
            }
        }
        for insert in &strip.inserts {
            if let Some(k) = insert.key {
                let bad = |why: &str| Err(RoutingError::BadKey { strip: name(s), why: why.into() });
                if insert.kind != InsertKind::Compressor {
                    return bad("only a compressor takes an external side-chain");
                }
                if k >= n {
                    return bad("that source does not exist");
                }
                if k == s {
                    return bad("a strip cannot key itself (use the internal side-chain)");
                }
                key_edges.push((k, s));
            }
        }
    }

    // Topological order with depths (Kahn); what remains afterwards lies on a cycle.
    let all_edges: Vec<(StripId, StripId)> = audio_edges.iter().chain(&key_edges).copied().collect();
    let mut indegree = vec![0usize; n];
    let mut outgoing = vec![Vec::new(); n];
    for &(a, b) in &all_edges {
        indegree[b] += 1;
        outgoing[a].push(b);
    }
    let mut depth = vec![0usize; n];
    let mut ready: Vec<StripId> = (0..n).filter(|&s| indegree[s] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(s) = ready.pop() {
        order.push(s);
        for &t in &outgoing[s] {
            depth[t] = depth[t].max(depth[s] + 1);
            indegree[t] -= 1;
            if indegree[t] == 0 {
                ready.push(t);
            }
        }
    }
    if order.len() < n {
        return Err(RoutingError::Cycle(find_cycle(n, &all_edges, &indegree).into_iter().map(name).collect()));
    }
    Ok(Routing { master, audio_edges, depth, order })
}
