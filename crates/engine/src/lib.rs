//! Mixroom's mixing engine: tracks, group buses, effect returns and the master, with their inserts,
//! sends and delay compensation, rendered block by block.
//!
//! The engine is plain Rust with no web dependency. The worklet crate drives it inside an
//! AudioWorkletProcessor, the CLI drives it natively; both call the same [`Engine::process`] in blocks
//! of at most [`MAX_BLOCK`] frames, so they produce the same samples.
//!
//! Two sides use an engine, and the API keeps them apart:
//! - the **control side** describes the mixer ([`MixerSpec`]), compiles it ([`Plan::compile`]) and
//!   loads audio — this allocates and happens before playback or off the audio path;
//! - the **audio side** calls [`Engine::process`], the parameter setters, the transport and
//!   [`Engine::swap_plan`], none of which allocate, lock or panic. A swapped-out plan is handed back
//!   to the control side to be dropped there.

pub mod automation;
pub mod clip;
mod insert;
pub mod plan;
pub mod reference;
pub mod spec;
pub mod track_audio;

pub use mixroom_dsp::MAX_BLOCK;
pub use mixroom_dsp::meter::Levels;
pub use mixroom_dsp::monitor::{Listen, Monitor};
pub use mixroom_dsp::playback::{Design, Device, Simulation, DEVICES};
use mixroom_dsp::smooth::Smoother;
pub use automation::{Curve, Point, Scale, Shape, StripLanes, Target};
pub use clip::{Clip, FadeShape};
pub use reference::{Follow, ReferencePlayer};
pub use plan::{Plan, SendParam, StripParam};
pub use track_audio::{SourceView, TrackAudio, PAGE_FRAMES, PRIME_FRAMES};
pub use spec::{InsertKind, InsertSpec, MixerSpec, RoutingError, SendSpec, StripId, StripKind, StripSettings, StripSpec};

/// Frames the analysis tap keeps (a power of two): the latest stretch of one strip's signal, for the
/// spectrum behind the EQ editor.
pub const TAP_FRAMES: usize = 4096;

/// Ramp time for starting and stopping the transport, so that Stop never clicks.
const TRANSPORT_DECLICK_MS: f32 = 3.0;

/// One parameter change: how a session's mix is applied to an engine, directly (native) or as
/// messages to the worklet (browser), through the same list.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ParamChange {
    Strip(StripId, StripParam, f32),
    /// (strip, insert slot, parameter id, value)
    Insert(StripId, usize, usize, f32),
    /// (strip, insert slot, bypassed)
    Bypass(StripId, usize, bool),
    /// (strip, send index, parameter, value)
    Send(StripId, usize, SendParam, f32),
}

impl ParamChange {
    /// Applies the change to `engine`.
    pub fn apply(self, engine: &mut Engine) {
        let plan = &mut engine.plan;
        match self {
            ParamChange::Strip(s, p, v) => plan.set_strip_param(s, p, v),
            ParamChange::Insert(s, slot, id, v) => plan.set_insert_param(s, slot, id, v),
            ParamChange::Bypass(s, slot, b) => plan.set_insert_bypass(s, slot, b),
            ParamChange::Send(s, i, p, v) => plan.set_send_param(s, i, p, v),
        }
    }
}

struct Transport {
    playing: bool,
    position: u64,
    /// Loop region `[start, end)`: when the position reaches `end` it continues from `start`.
    looping: Option<(u64, u64)>,
    /// Length of the session in frames; the transport stops there (plus the plan's latency, so the
    /// delayed output is not cut short).
    length: u64,
    /// 0 = stopped, 1 = playing; glides in between so that starting and stopping never click.
    declick: Smoother,
    /// After Play or a seek, the transport waits (silent, not moving) until every streamed track
    /// holds its first block, for at most a second: then it plays on, counting underruns.
    priming: bool,
    waited: u64,
}

/// The mixer and its transport.
pub struct Engine {
    sample_rate: f32,
    plan: Box<Plan>,
    /// Each strip's audio (empty for buses, returns and the master), by strip id.
    audio: Vec<TrackAudio>,
    /// Each track's clips, by strip id (`None`: the whole audio from frame 0).
    clips: Vec<Option<Vec<Clip>>>,
    /// The length the session asked for (the transport also covers every clip).
    requested_length: u64,
    transport: Transport,
    /// The read planner's round (see [`Engine::plan_reads`]) and the underruns counted.
    round: u32,
    underruns: u64,
    out: [[f32; MAX_BLOCK]; 2],
    tap: Tap,
    metered: Metered,
}

/// The metered strip: its signal after its inserts, before its fader (where a loudness meter
/// inserted last on the strip would read it), as the last [`Engine::process`] call rendered it —
/// for the host's loudness meter on any strip.
struct Metered {
    strip: Option<StripId>,
    frames: Box<[[f32; MAX_BLOCK]; 2]>,
    len: usize,
}

/// The analysis tap: one strip's signal after its inserts, before its fader (left and right
/// averaged), written into a ring the control side reads at display rate.
struct Tap {
    strip: Option<StripId>,
    ring: Box<[f32; TAP_FRAMES]>,
    /// Frames written since the engine was built; the next one goes to `written % TAP_FRAMES`.
    written: u64,
}

impl Engine {
    /// Control side: an engine running `spec`, stopped, with no track audio yet (load it with
    /// [`Engine::track_audio_mut`]).
    pub fn new(spec: &MixerSpec) -> Result<Engine, RoutingError> {
        let plan = Box::new(Plan::compile(spec)?);
        let audio: Vec<TrackAudio> = spec
            .strips
            .iter()
            .map(|s| match s.kind {
                StripKind::Track { channels } => TrackAudio::whole(vec![Vec::new(); channels.clamp(1, 2)]),
                _ => TrackAudio::default(),
            })
            .collect();
        let strips = audio.len();
        Ok(Engine {
            sample_rate: spec.sample_rate,
            plan,
            audio,
            clips: vec![None; strips],
            requested_length: 0,
            transport: Transport { playing: false, position: 0, looping: None, length: 0, declick: Smoother::new(0.0, TRANSPORT_DECLICK_MS, spec.sample_rate), priming: false, waited: 0 },
            round: 0,
            underruns: 0,
            out: [[0.0; MAX_BLOCK]; 2],
            tap: Tap { strip: None, ring: Box::new([0.0; TAP_FRAMES]), written: 0 },
            metered: Metered { strip: None, frames: Box::new([[0.0; MAX_BLOCK]; 2]), len: 0 },
        })
    }

    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }

    /// Control side: gives a track strip's channel `frames` frames of silence to fill, and returns
    /// them. Extends the session length to cover them. `None` for non-track strips.
    pub fn track_audio_mut(&mut self, strip: StripId, channel: usize, frames: usize) -> Option<&mut [f32]> {
        let samples = self.audio.get_mut(strip)?.whole_mut()?.get_mut(channel)?;
        if samples.len() != frames {
            *samples = vec![0.0; frames];
        }
        self.update_length();
        let samples = self.audio.get_mut(strip)?.whole_mut()?.get_mut(channel)?;
        Some(samples.as_mut_slice())
    }

    /// Control side: takes a track strip's audio out (leaving it none), to hand to the engine that
    /// replaces this one without copying it; `None` for non-track strips.
    pub fn take_track_audio(&mut self, strip: StripId) -> Option<TrackAudio> {
        let audio = self.audio.get_mut(strip).filter(|a| a.channel_count() > 0)?;
        let empty = TrackAudio::whole(vec![Vec::new(); audio.channel_count()]);
        let taken = core::mem::replace(audio, empty);
        self.update_length();
        Some(taken)
    }

    /// Control side: gives a track strip audio taken from another engine. `false`, and nothing
    /// changes, if the strip is not a track of as many channels.
    pub fn put_track_audio(&mut self, strip: StripId, audio: TrackAudio) -> bool {
        match self.audio.get_mut(strip) {
            Some(slot) if slot.channel_count() > 0 && slot.channel_count() == audio.channel_count() => {
                *slot = audio;
                self.update_length();
                true
            }
            _ => false,
        }
    }

    /// Control side: the track's audio (`frames` frames) is streamed from now on through a pool of
    /// `slots` pages for each of its clips that sound at once (a crossfade reads ahead in both; the
    /// pool grows when clips set later overlap more): [`Engine::plan_reads`] says which pages to
    /// read, [`Engine::page_slot`] takes them. `false` for non-track strips.
    pub fn stream_track(&mut self, strip: StripId, frames: u64, slots: usize) -> bool {
        let Some(audio) = self.audio.get_mut(strip).filter(|a| a.channel_count() > 0) else { return false };
        *audio = TrackAudio::streamed(audio.channel_count(), frames, slots);
        self.fit_stream_pool(strip);
        self.update_length();
        true
    }

    /// A streamed track's pool made big enough for its clips sounding at once.
    fn fit_stream_pool(&mut self, strip: StripId) {
        let layers = self.clips.get(strip).and_then(Option::as_deref).map_or(1, clip::most_at_once);
        if let Some(paged) = self.audio.get_mut(strip).and_then(TrackAudio::streamed_mut) {
            paged.fit_layers(layers);
        }
    }

    /// Audio side (never allocates): plans the reads of streamed tracks. Every page that plays in the
    /// next `horizon` frames along the play path (from the position, on through the loop's start
    /// when looping; the same while stopped, so Play finds it read) keeps its slot; the pages not
    /// yet held are given the slots nobody wants any more and handed to `request` (strip, page),
    /// the earliest of every track first, `limit` at most (the rest at later rounds: a reader is
    /// never handed more than it reads before the next round). Pages beyond a track's pool wait for
    /// a later round. Returns how many were requested.
    pub fn plan_reads(&mut self, horizon: u64, limit: usize, mut request: impl FnMut(StripId, u32)) -> usize {
        self.round = self.round.wrapping_add(1).max(1);
        let round = self.round;
        let position = self.transport.position;
        let mut path = [(position, position.saturating_add(horizon)), (0, 0)];
        if let Some((start, end)) = self.transport.looping.filter(|&(_, end)| position < end) {
            path[0].1 = path[0].1.min(end);
            let left = horizon - (path[0].1 - position);
            path[1] = (start, start.saturating_add(left).min(end));
        }
        for (audio, clips) in self.audio.iter_mut().zip(&self.clips) {
            let Some(paged) = audio.streamed_mut() else { continue };
            paged.begin_round();
            let mut wanting = true;
            for &(from, to) in &path {
                // A page of the timeline at a time, so that the pages of clips playing together are
                // wanted in the order they play.
                let mut at = from;
                while wanting && at < to {
                    let step = (to - at).min(PAGE_FRAMES as u64);
                    wanting = want_stretch(paged, clips.as_deref(), at, at + step, round);
                    at += step;
                }
            }
        }
        let mut asked = 0;
        loop {
            let before = asked;
            for (s, audio) in self.audio.iter_mut().enumerate() {
                if asked == limit {
                    return asked;
                }
                if let Some(page) = audio.streamed_mut().and_then(|p| p.assign_next(round)) {
                    request(s, page);
                    asked += 1;
                }
            }
            if asked == before {
                return asked;
            }
        }
    }

    /// Control or audio side: where a requested page of a streamed track's channel is to be
    /// written ([`PAGE_FRAMES`] samples); `None` when it is no longer awaited (dropped: the play
    /// position moved on). Call [`Engine::page_arrived`] once every channel is written.
    pub fn page_slot(&mut self, strip: StripId, page: u32, channel: usize) -> Option<&mut [f32]> {
        self.audio.get_mut(strip)?.streamed_mut()?.slot_mut(page, channel)
    }

    /// A requested page's samples are in: it plays from the next block.
    pub fn page_arrived(&mut self, strip: StripId, page: u32) -> bool {
        self.audio.get_mut(strip).and_then(TrackAudio::streamed_mut).is_some_and(|p| p.arrived(page))
    }

    /// Forgets every page asked for that has not arrived: the host lost those reads (its reader
    /// was replaced, the tracks renumbered); they are asked for again at the next round.
    pub fn forget_awaited_reads(&mut self) {
        self.audio.iter_mut().filter_map(TrackAudio::streamed_mut).for_each(track_audio::Paged::forget_awaited);
    }

    /// The streamed tracks' slots, summed: at most this many pages are awaited at once.
    pub fn stream_slots(&self) -> usize {
        self.audio.iter().filter_map(TrackAudio::streamed_ref).map(track_audio::Paged::slots).sum()
    }

    /// Blocks in which a streamed track found audio it needed not yet read (it played silence
    /// there), summed over the tracks, since the engine was built.
    pub fn underruns(&self) -> u64 {
        self.underruns
    }

    /// Whether every streamed track holds what it plays in `[position, position + n)`.
    fn streams_ready(&self, position: u64, n: u64) -> bool {
        self.audio.iter().zip(&self.clips).all(|(audio, clips)| {
            let Some(view) = audio.streamed_ref().and(audio.view(0)) else { return true };
            match clips {
                None => view.holds(position, position + n),
                Some(clips) => clips.iter().all(|c| {
                    let from = position.max(c.start);
                    let to = (position + n).min(c.end());
                    from >= to || view.holds(c.offset.saturating_add(from - c.start), c.offset.saturating_add(to - c.start))
                }),
            }
        })
    }

    /// Sets the session length in frames; the transport also covers the end of every clip.
    pub fn set_length(&mut self, frames: u64) {
        self.requested_length = frames;
        self.update_length();
    }

    fn update_length(&mut self) {
        let ends = self.audio.iter().zip(&self.clips).map(|(audio, clips)| match clips {
            Some(clips) => clips.iter().map(Clip::end).max().unwrap_or(0),
            None => audio.frames(),
        });
        self.transport.length = ends.fold(self.requested_length, u64::max);
    }

    /// Control side (or the worklet's message handler): places a track's audio as `clips`
    /// (`None`: the whole audio from frame 0), and returns the previous list, to be dropped there.
    /// A streamed track's pool grows (allocating) when more of its clips now sound at once.
    pub fn set_clips(&mut self, strip: StripId, clips: Option<Vec<Clip>>) -> Option<Vec<Clip>> {
        let old = self.clips.get_mut(strip).map(|c| core::mem::replace(c, clips)).flatten();
        self.fit_stream_pool(strip);
        self.update_length();
        old
    }

    /// Control side (or the worklet's message handler): puts the tracks in a new order — track `i`
    /// takes what was track `order[i]` — their audio and clips following them. Install the plan of
    /// the reordered mixer right after, before the next block. Refused (nothing changes) unless
    /// `order` is a permutation of the first `order.len()` strips.
    pub fn reorder_tracks(&mut self, order: &[usize]) -> Result<(), String> {
        let n = order.len();
        let mut seen = vec![false; n];
        if n > self.audio.len() || !order.iter().all(|&i| i < n && !core::mem::replace(&mut seen[i], true)) {
            return Err(format!("not an order of the first {n} tracks: {order:?}"));
        }
        let mut audio: Vec<TrackAudio> = order.iter().map(|&i| core::mem::take(&mut self.audio[i])).collect();
        let mut clips: Vec<Option<Vec<Clip>>> = order.iter().map(|&i| self.clips[i].take()).collect();
        for (i, (a, c)) in audio.drain(..).zip(clips.drain(..)).enumerate() {
            self.audio[i] = a;
            self.clips[i] = c;
        }
        // The tapped (and metered) strip is another track now: the control side chooses again.
        self.set_tap(None);
        self.set_metered(None);
        Ok(())
    }

    /// Loops playback over `[start, end)`, or stops looping with `None` (an empty region is none).
    pub fn set_loop(&mut self, region: Option<(u64, u64)>) {
        self.transport.looping = region.filter(|(s, e)| e > s);
    }

    /// Session length in frames.
    pub fn length(&self) -> u64 {
        self.transport.length
    }

    /// The plan's latency: frames between the transport position and what leaves the master.
    pub fn latency(&self) -> usize {
        self.plan.latency()
    }

    /// Audio side: installs a new plan (compiled on the control side from an edited mixer whose
    /// strips keep their ids) and returns the old one, to be dropped on the control side.
    pub fn swap_plan(&mut self, plan: Box<Plan>) -> Box<Plan> {
        core::mem::replace(&mut self.plan, plan)
    }

    /// The current plan (parameters are set through [`ParamChange`]).
    pub fn plan_mut(&mut self) -> &mut Plan {
        &mut self.plan
    }

    /// Audio side: the session tempo, for tempo-synced effects.
    pub fn set_tempo(&mut self, bpm: f32) {
        self.plan.set_tempo(bpm);
    }

    /// Audio side: gives strip `strip` the curves `lanes` (built with [`StripLanes::new`] on the
    /// control side) and hands its old ones back, to be dropped there. See
    /// [`Plan::set_automation`].
    pub fn set_automation(&mut self, strip: StripId, lanes: Box<StripLanes>) -> Box<StripLanes> {
        self.plan.set_automation(strip, lanes)
    }

    /// Control side: jumps every smoothed parameter to its target.
    pub fn settle(&mut self) {
        self.plan.settle();
    }

    /// Starts playback from the current position (from the start if at the end). Starting from a
    /// stop clears every effect's state, so no old tail sounds. Mid-song the output fades in over a
    /// few milliseconds (the audio is entered in the middle of a waveform); from the very start it
    /// does not, so a bounce keeps its first transient intact.
    pub fn play(&mut self) {
        if self.transport.position >= self.transport.length {
            self.transport.position = 0;
        }
        if !self.transport.playing {
            self.plan.reset();
            if self.transport.position == 0 {
                self.transport.declick.reset(1.0);
            }
        }
        self.transport.playing = true;
        self.transport.declick.set_target(1.0);
        self.transport.priming = true;
        self.transport.waited = 0;
    }

    /// Stops playback after a declick ramp of a few milliseconds; the position stays where it stopped.
    pub fn stop(&mut self) {
        self.transport.declick.set_target(0.0);
    }

    /// Moves the play position to `frame` (clamped to the session).
    pub fn seek(&mut self, frame: u64) {
        self.transport.position = frame.min(self.transport.length);
        self.transport.priming = self.transport.playing;
        self.transport.waited = 0;
    }

    pub fn is_playing(&self) -> bool {
        self.transport.playing
    }

    /// Playing and not stopping (a stop's declick ramp is under way while still playing).
    pub fn is_rolling(&self) -> bool {
        self.transport.playing && self.transport.declick.target() > 0.0
    }

    /// The loop region `[start, end)` while looping.
    pub fn looping(&self) -> Option<(u64, u64)> {
        self.transport.looping
    }

    /// The play position, in frames from the session start.
    pub fn position(&self) -> u64 {
        self.transport.position
    }

    /// Audio side: renders `frames` (at most [`MAX_BLOCK`]) frames of the mix into the output
    /// buffers. Returns the number rendered. Never allocates.
    pub fn process(&mut self, frames: usize) -> usize {
        let n = frames.min(MAX_BLOCK);
        self.metered.len = 0;
        if !self.transport.playing {
            self.out[0][..n].fill(0.0);
            self.out[1][..n].fill(0.0);
            return n;
        }
        if self.transport.priming {
            let limit = self.sample_rate as u64;
            let position = self.transport.position;
            let span = match self.transport.looping {
                Some((_, end)) if position < end => PRIME_FRAMES.max(n as u64).min(end - position),
                _ => PRIME_FRAMES.max(n as u64),
            };
            if self.streams_ready(position, span) || self.transport.waited >= limit {
                self.transport.priming = false;
            } else {
                // Silence, and the transport stays put; it fades in once the audio is there.
                self.transport.waited += n as u64;
                self.transport.declick.reset(0.0);
                self.transport.declick.set_target(1.0);
                self.out[0][..n].fill(0.0);
                self.out[1][..n].fill(0.0);
                return n;
            }
        }
        // A block crossing the loop's end is rendered in two parts, the second from the loop's start.
        let mut done = 0;
        while done < n {
            let position = self.transport.position;
            let mut run = n - done;
            if let Some((start, end)) = self.transport.looping {
                if position < end && position + run as u64 > end {
                    run = (end - position) as usize;
                }
                if position + run as u64 == end {
                    self.plan.process(&self.audio, &self.clips, position, run, &mut self.out, done);
                    self.feed_tap(run);
                    self.transport.position = start;
                    done += run;
                    continue;
                }
            }
            self.plan.process(&self.audio, &self.clips, position, run, &mut self.out, done);
            self.feed_tap(run);
            self.transport.position += run as u64;
            done += run;
        }
        for audio in &self.audio {
            if audio.streamed_ref().is_some_and(|p| p.take_short()) {
                self.underruns += 1;
            }
        }
        let mut declick = [0.0f32; MAX_BLOCK];
        self.transport.declick.fill(&mut declick[..n]);
        for c in 0..2 {
            for (x, g) in self.out[c][..n].iter_mut().zip(&declick[..n]) {
                *x *= g;
            }
        }
        let end = self.transport.length + self.plan.latency() as u64;
        let ramp_done = self.transport.declick.is_settled() && self.transport.declick.current() == 0.0;
        if ramp_done || self.transport.position >= end {
            self.transport.playing = false;
            self.transport.declick.reset(0.0);
            self.transport.position = self.transport.position.min(self.transport.length);
        }
        n
    }

    /// Copies the tapped strip's last `n` frames into the tap's ring, and the metered strip's
    /// after what this block has of it.
    fn feed_tap(&mut self, n: usize) {
        if let Some([left, right]) = self.metered.strip.and_then(|s| self.plan.pre_fader(s)) {
            let at = self.metered.len;
            let n = n.min(MAX_BLOCK - at);
            self.metered.frames[0][at..at + n].copy_from_slice(&left[..n]);
            self.metered.frames[1][at..at + n].copy_from_slice(&right[..n]);
            self.metered.len += n;
        }
        let Some([left, right]) = self.tap.strip.and_then(|s| self.plan.pre_fader(s)) else { return };
        for (l, r) in left[..n].iter().zip(&right[..n]) {
            self.tap.ring[self.tap.written as usize % TAP_FRAMES] = 0.5 * (l + r);
            self.tap.written += 1;
        }
    }

    /// Audio side: meters `strip` (after its inserts, before its fader), or nothing.
    pub fn set_metered(&mut self, strip: Option<StripId>) {
        self.metered.strip = strip.filter(|&s| s < self.plan.strip_count());
        self.metered.len = 0;
    }

    /// The metered strip's left and right frames of the last [`Engine::process`] call (empty while
    /// stopped or nothing is metered).
    pub fn metered(&self) -> [&[f32]; 2] {
        let [left, right] = &*self.metered.frames;
        [&left[..self.metered.len], &right[..self.metered.len]]
    }

    /// Audio side: taps `strip` (after its inserts, before its fader) for analysis, or nothing.
    pub fn set_tap(&mut self, strip: Option<StripId>) {
        if self.tap.strip != strip {
            self.tap.strip = strip;
            self.tap.ring.fill(0.0);
        }
    }

    /// The tap's ring: the last [`TAP_FRAMES`] frames, the oldest at `tap_written() % TAP_FRAMES`.
    pub fn tap_ring(&self) -> &[f32; TAP_FRAMES] {
        &self.tap.ring
    }

    /// Frames the tap has written since the engine was built (it only moves while playing).
    pub fn tap_written(&self) -> u64 {
        self.tap.written
    }

    /// The tap's last [`TAP_FRAMES`] frames in order, oldest first (control side: allocates).
    pub fn tap_signal(&self) -> Vec<f32> {
        let split = self.tap.written as usize % TAP_FRAMES;
        let mut v = Vec::with_capacity(TAP_FRAMES);
        v.extend_from_slice(&self.tap.ring[split..]);
        v.extend_from_slice(&self.tap.ring[..split]);
        v
    }

    /// The output of the last [`Engine::process`] call, channel 0 (left) or 1 (right).
    pub fn output(&self, channel: usize) -> &[f32; MAX_BLOCK] {
        &self.out[channel.min(1)]
    }

    /// Both output buffers of the last [`Engine::process`] call, for the live path's monitor
    /// (which an export never passes through).
    pub fn outputs_mut(&mut self) -> &mut [[f32; MAX_BLOCK]; 2] {
        &mut self.out
    }

    /// Pointer to an output buffer, for the worklet's view over wasm memory.
    pub fn output_ptr(&self, channel: usize) -> *const f32 {
        self.out[channel.min(1)].as_ptr()
    }

    /// Reads and resets a strip's meters (post-fader, post-pan): left and right peak and RMS.
    pub fn take_levels(&mut self, strip: StripId) -> [Levels; 2] {
        self.plan.take_levels(strip)
    }

    /// Reads and resets a strip's gain reduction, dB (≥ 0).
    pub fn take_gain_reduction(&mut self, strip: StripId) -> f32 {
        self.plan.take_gain_reduction(strip)
    }

    /// Number of strips.
    pub fn strip_count(&self) -> usize {
        self.plan.strip_count()
    }

    /// The master strip.
    pub fn master(&self) -> StripId {
        self.plan.master()
    }

    /// Control side: renders the whole session from the start, as an offline bounce does: the same
    /// [`Engine::process`] in blocks of [`MAX_BLOCK`] frames, with the plan's latency skipped so the
    /// bounce lines up with the timeline.
    pub fn render_all(&mut self) -> [Vec<f32>; 2] {
        let length = self.transport.length as usize;
        self.render_frames(length, |_| true).unwrap_or_default()
    }

    /// Control side: [`Engine::render_all`] for the first `frames` frames (silence past the end of
    /// the session). `progress` hears the share rendered every 64 blocks; answering `false` stops
    /// the render (`None`).
    pub fn render_frames(&mut self, frames: usize, progress: impl FnMut(f32) -> bool) -> Option<[Vec<f32>; 2]> {
        self.render_reading(frames, progress, |_, _, _, _| {})
    }

    /// [`Engine::render_frames`] with streamed tracks read as they play: the pages each stretch
    /// needs are planned as live ([`Engine::plan_reads`]) and `read(strip, page, channel,
    /// samples)` fills each page's [`PAGE_FRAMES`] samples (from `page × PAGE_FRAMES` of the
    /// source) before it plays. Memory is the tracks' pools, never the sources.
    pub fn render_reading(&mut self, frames: usize, mut progress: impl FnMut(f32) -> bool, mut read: impl FnMut(StripId, u32, usize, &mut [f32])) -> Option<[Vec<f32>; 2]> {
        let channels: Vec<usize> = self.audio.iter().map(TrackAudio::channel_count).collect();
        let mut bounce = self.begin_bounce(frames);
        let mut wanted = Vec::new();
        loop {
            self.plan_reads(BOUNCE_AHEAD, usize::MAX, |s, page| wanted.push((s, page)));
            let stuck = wanted.is_empty();
            for (s, page) in wanted.drain(..) {
                for c in 0..channels[s] {
                    if let Some(slot) = self.page_slot(s, page, c) {
                        read(s, page, c, slot);
                    }
                }
                self.page_arrived(s, page);
            }
            match self.bounce(&mut bounce, BOUNCE_BLOCKS, stuck) {
                Bounced::Done => return Some(bounce.output),
                _ if !progress(bounce.share()) => return None,
                _ => {}
            }
        }
    }

    /// Control side: starts an offline render of the first `frames` frames from the start (see
    /// [`Engine::bounce`]).
    pub fn begin_bounce(&mut self, frames: usize) -> Bounce {
        self.seek(0);
        self.play();
        Bounce { output: [Vec::with_capacity(frames), Vec::with_capacity(frames)], frames, skip: self.plan.latency(), rendered: 0 }
    }

    /// Control side: renders on up to `blocks` blocks of [`MAX_BLOCK`] frames — the same
    /// [`Engine::process`] as live, with the plan's latency skipped so the bounce lines up with the
    /// timeline — stopping before a block a streamed track has not all its pages for (`Waiting`:
    /// read them, then bounce on), unless `force` (a page that cannot come plays as silence). An
    /// offline render thus never depends on how fast its pages are read.
    pub fn bounce(&mut self, b: &mut Bounce, blocks: usize, force: bool) -> Bounced {
        for _ in 0..blocks {
            if b.output[0].len() >= b.frames {
                return Bounced::Done;
            }
            let n = (b.frames + b.skip - b.rendered).min(MAX_BLOCK);
            let stopped = !self.transport.playing;
            if !stopped && !force && !self.streams_ready(self.transport.position, n as u64) {
                return Bounced::Waiting;
            }
            let n = if stopped { 0 } else { self.process(n) };
            if n == 0 {
                // The transport stopped: what is left is silence.
                b.output.iter_mut().for_each(|c| c.resize(b.frames, 0.0));
                return Bounced::Done;
            }
            let from = b.skip.saturating_sub(b.rendered).min(n);
            b.output[0].extend_from_slice(&self.out[0][from..n]);
            b.output[1].extend_from_slice(&self.out[1][from..n]);
            b.rendered += n;
        }
        if b.output[0].len() >= b.frames { Bounced::Done } else { Bounced::Going }
    }
}

/// How far an offline render plans its reads ahead, and how many blocks it renders between plans:
/// within one page of reads, so a pool of a few pages a clip holds them.
const BOUNCE_AHEAD: u64 = PAGE_FRAMES as u64;
const BOUNCE_BLOCKS: usize = 64;

/// An offline render under way ([`Engine::begin_bounce`]).
pub struct Bounce {
    /// Left and right, the frames rendered so far.
    pub output: [Vec<f32>; 2],
    frames: usize,
    skip: usize,
    rendered: usize,
}

impl Bounce {
    /// The share rendered, 0…1.
    pub fn share(&self) -> f32 {
        self.output[0].len() as f32 / self.frames.max(1) as f32
    }
}

/// Where a [`Engine::bounce`] stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bounced {
    Done,
    /// The blocks asked for are rendered; more to do.
    Going,
    /// A streamed track's pages for the next block are not in.
    Waiting,
}

/// Wants the source pages a track plays in the timeline stretch `[from, to)` (through its clips,
/// or from the session start without them); `false` once its pool is fully wanted.
fn want_stretch(paged: &mut track_audio::Paged, clips: Option<&[Clip]>, from: u64, to: u64, round: u32) -> bool {
    let page = PAGE_FRAMES as u64;
    let frames = paged.frames();
    let mut want = |a: u64, b: u64| (a / page..b.min(frames).div_ceil(page)).all(|p| paged.want(p, round));
    match clips {
        None => want(from, to),
        Some(clips) => clips.iter().all(|c| {
            let (a, b) = (from.max(c.start), to.min(c.end()));
            a >= b || want(c.offset.saturating_add(a - c.start), c.offset.saturating_add(b - c.start))
        }),
    }
}
