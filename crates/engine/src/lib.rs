//! Mixroom's mixer engine: the tracks, the master and the transport, rendered block by block.
//!
//! The engine is plain Rust with no web dependency. The worklet crate drives it inside an
//! AudioWorkletProcessor, the CLI drives it natively; both call the same [`Engine::process`] in blocks
//! of [`MAX_BLOCK`] frames, so they produce the same samples.
//!
//! Two sides use an engine, and the API keeps them apart:
//! - the **control side** builds it ([`Engine::new`], [`Engine::add_track`], filling audio) — this
//!   allocates and happens before playback or between plans;
//! - the **audio side** calls [`Engine::process`] and the parameter setters, which never allocate, lock
//!   or panic.

mod track;

pub use mixroom_dsp::MAX_BLOCK;
use mixroom_dsp::{gain::db_to_gain, meter::PeakMeter, smooth::Smoother};
pub use track::{Track, TrackParam};

/// Ramp time for starting and stopping the transport, so that Stop never clicks.
const TRANSPORT_DECLICK_MS: f32 = 3.0;

/// Identifies a track within an engine: its index, stable for the engine's life.
pub type TrackId = usize;

/// Parameters of the master bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MasterParam {
    /// Master fader, dB (−∞ … +12).
    Fader,
}

impl MasterParam {
    /// The stable numeric id used across the worklet boundary.
    pub fn from_id(id: u32) -> Option<Self> {
        match id {
            0 => Some(MasterParam::Fader),
            _ => None,
        }
    }
}

/// Peak levels of one meter point since the last read, per side, as linear sample magnitudes.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StereoPeak {
    pub left: f32,
    pub right: f32,
}

/// The mixer and its transport.
pub struct Engine {
    sample_rate: f32,
    tracks: Vec<Track>,
    /// True when any track is soloed: every other track is then implicitly muted.
    any_solo: bool,
    master_fader: Smoother,
    master_meter: [PeakMeter; 2],
    transport: Transport,
    /// The master bus, summed from the tracks, then the engine's output.
    out: [[f32; MAX_BLOCK]; 2],
}

struct Transport {
    playing: bool,
    position: u64,
    /// Length of the session in frames; the transport stops at the end.
    length: u64,
    /// 0 = stopped, 1 = playing; glides in between so that starting and stopping never click.
    declick: Smoother,
}

impl Engine {
    /// An empty, stopped engine at `sample_rate`.
    pub fn new(sample_rate: f32) -> Self {
        Engine {
            sample_rate,
            tracks: Vec::new(),
            any_solo: false,
            master_fader: Smoother::new(1.0, mixroom_dsp::smooth::DEFAULT_SMOOTHING_MS, sample_rate),
            master_meter: Default::default(),
            transport: Transport {
                playing: false,
                position: 0,
                length: 0,
                declick: Smoother::new(0.0, TRANSPORT_DECLICK_MS, sample_rate),
            },
            out: [[0.0; MAX_BLOCK]; 2],
        }
    }

    /// The sample rate the engine runs at.
    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }

    /// Control side: adds a track of `channels` (1 or 2) channels holding `frames` frames of silence,
    /// to be filled through [`Engine::track_audio_mut`]. Extends the session length to cover it.
    pub fn add_track(&mut self, channels: usize, frames: usize) -> TrackId {
        self.tracks.push(Track::new(channels, frames, self.sample_rate));
        self.transport.length = self.transport.length.max(frames as u64);
        self.tracks.len() - 1
    }

    /// Control side: the audio of one channel of a track, to fill after [`Engine::add_track`].
    pub fn track_audio_mut(&mut self, track: TrackId, channel: usize) -> Option<&mut [f32]> {
        self.tracks.get_mut(track)?.audio_mut(channel)
    }

    /// The tracks, in mixer order.
    pub fn tracks(&self) -> &[Track] {
        &self.tracks
    }

    /// Sets the session length in frames (the transport stops there); never shorter than the audio.
    pub fn set_length(&mut self, frames: u64) {
        let longest = self.tracks.iter().map(|t| t.frames() as u64).max().unwrap_or(0);
        self.transport.length = frames.max(longest);
    }

    /// Session length in frames.
    pub fn length(&self) -> u64 {
        self.transport.length
    }

    /// Audio side: sets a track parameter (clamped to its range). Unknown tracks are ignored.
    pub fn set_track_param(&mut self, track: TrackId, param: TrackParam, value: f32) {
        let Some(t) = self.tracks.get_mut(track) else { return };
        t.set(param, value);
        if matches!(param, TrackParam::Solo | TrackParam::SoloSafe) {
            self.any_solo = self.tracks.iter().any(|t| t.soloed());
        }
    }

    /// Audio side: sets a master parameter (clamped to its range).
    pub fn set_master_param(&mut self, param: MasterParam, value: f32) {
        match param {
            MasterParam::Fader => self.master_fader.set_target(db_to_gain(track::clamp_fader_db(value))),
        }
    }

    /// Control side: jumps every smoothed parameter to its target, so that a freshly loaded mix starts
    /// exactly at its settings instead of gliding there from the defaults.
    pub fn settle(&mut self) {
        for track in &mut self.tracks {
            track.settle(self.any_solo);
        }
        let fader = self.master_fader.target();
        self.master_fader.reset(fader);
    }

    /// Starts playback from the current position (from the start if at the end).
    pub fn play(&mut self) {
        if self.transport.position >= self.transport.length {
            self.transport.position = 0;
        }
        self.transport.playing = true;
        self.transport.declick.set_target(1.0);
    }

    /// Stops playback after a declick ramp of a few milliseconds; the position stays where it stopped.
    pub fn stop(&mut self) {
        self.transport.declick.set_target(0.0);
    }

    /// Moves the play position to `frame` (clamped to the session).
    pub fn seek(&mut self, frame: u64) {
        self.transport.position = frame.min(self.transport.length);
    }

    /// True while the transport is running (including the stop ramp).
    pub fn is_playing(&self) -> bool {
        self.transport.playing
    }

    /// The play position, in frames from the session start.
    pub fn position(&self) -> u64 {
        self.transport.position
    }

    /// Audio side: renders `frames` (at most [`MAX_BLOCK`]) frames of the mix into the output buffers.
    ///
    /// Returns the number of frames rendered (`frames` clamped to `MAX_BLOCK`). Never allocates.
    pub fn process(&mut self, frames: usize) -> usize {
        let n = frames.min(MAX_BLOCK);
        let [out_l, out_r] = &mut self.out;
        out_l[..n].fill(0.0);
        out_r[..n].fill(0.0);
        if !self.transport.playing {
            return n;
        }

        let position = self.transport.position;
        for track in &mut self.tracks {
            track.mix_into(position, n, self.any_solo, &mut out_l[..n], &mut out_r[..n]);
        }

        let mut master = [0.0f32; MAX_BLOCK];
        let mut declick = [0.0f32; MAX_BLOCK];
        self.master_fader.fill(&mut master[..n]);
        self.transport.declick.fill(&mut declick[..n]);
        for i in 0..n {
            let g = master[i] * declick[i];
            out_l[i] *= g;
            out_r[i] *= g;
        }
        self.master_meter[0].process(&out_l[..n]);
        self.master_meter[1].process(&out_r[..n]);

        self.transport.position += n as u64;
        let stopped_by_ramp = self.transport.declick.is_settled() && self.transport.declick.current() == 0.0;
        if stopped_by_ramp || self.transport.position >= self.transport.length {
            self.transport.playing = false;
            self.transport.declick.reset(0.0);
            self.transport.position = self.transport.position.min(self.transport.length);
        }
        n
    }

    /// The output of the last [`Engine::process`] call, channel 0 (left) or 1 (right).
    pub fn output(&self, channel: usize) -> &[f32; MAX_BLOCK] {
        &self.out[channel.min(1)]
    }

    /// Pointer to an output buffer, for the worklet's view over wasm memory.
    pub fn output_ptr(&self, channel: usize) -> *const f32 {
        self.out[channel.min(1)].as_ptr()
    }

    /// Reads and resets the master peak meter.
    pub fn take_master_peak(&mut self) -> StereoPeak {
        StereoPeak { left: self.master_meter[0].take(), right: self.master_meter[1].take() }
    }

    /// Reads and resets a track's (post-fader, post-pan) peak meter.
    pub fn take_track_peak(&mut self, track: TrackId) -> StereoPeak {
        self.tracks.get_mut(track).map(Track::take_peak).unwrap_or_default()
    }

    /// Control side: renders the whole session from the start, as an offline bounce does.
    ///
    /// Uses the same [`Engine::process`] in blocks of [`MAX_BLOCK`] frames as the real-time path.
    pub fn render_all(&mut self) -> [Vec<f32>; 2] {
        let length = self.transport.length as usize;
        let mut left = Vec::with_capacity(length);
        let mut right = Vec::with_capacity(length);
        self.seek(0);
        self.play();
        while left.len() < length {
            let n = self.process((length - left.len()).min(MAX_BLOCK));
            left.extend_from_slice(&self.out[0][..n]);
            right.extend_from_slice(&self.out[1][..n]);
        }
        [left, right]
    }
}

/// One parameter change, addressed to a track or the master: how a session's mix is applied to an
/// engine, directly (native) or as messages to the worklet (browser), through the same list.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ParamChange {
    Track(TrackId, TrackParam, f32),
    Master(MasterParam, f32),
}

impl ParamChange {
    /// Applies the change to `engine`.
    pub fn apply(self, engine: &mut Engine) {
        match self {
            ParamChange::Track(track, param, value) => engine.set_track_param(track, param, value),
            ParamChange::Master(param, value) => engine.set_master_param(param, value),
        }
    }
}
