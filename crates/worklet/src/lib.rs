//! The Mixroom engine as the AudioWorkletProcessor sees it.
//!
//! `www/worklet-processor.js` instantiates this module synchronously inside the
//! AudioWorkletGlobalScope and drives one [`WorkletEngine`]. The boundary is shaped for the real-time
//! thread:
//! - every call made from `process` takes and returns numbers only, so the generated glue never
//!   allocates (no slices, `Vec` or `String` cross the boundary there);
//! - audio goes out through pointers into wasm memory ([`WorkletEngine::output_ptr`]), over which the
//!   processor keeps `Float32Array` views, rebuilt only when memory grows;
//! - loading (tracks, audio) happens in the port's message handler, never in `process`.

use mixroom_engine::{Engine, MasterParam, TrackParam};
use wasm_bindgen::prelude::*;

/// The engine plus the buffers its meters are read into.
#[wasm_bindgen]
pub struct WorkletEngine {
    engine: Engine,
    /// Master L/R, then L/R of every track: linear peaks since the last read.
    meters: Vec<f32>,
}

#[wasm_bindgen]
impl WorkletEngine {
    /// An empty engine at the context's sample rate.
    #[wasm_bindgen(constructor)]
    pub fn new(sample_rate: f32) -> WorkletEngine {
        console_error_panic_hook::set_once();
        WorkletEngine { engine: Engine::new(sample_rate), meters: vec![0.0; 2] }
    }

    /// Loading: adds a track of `channels` channels and `frames` frames; returns its index.
    pub fn add_track(&mut self, channels: u32, frames: u32) -> u32 {
        let id = self.engine.add_track(channels as usize, frames as usize);
        self.meters.resize(2 + 2 * self.engine.tracks().len(), 0.0);
        id as u32
    }

    /// Loading: address of a track channel's audio in wasm memory, for the processor to copy samples
    /// into; 0 if there is no such channel.
    pub fn track_audio_ptr(&mut self, track: u32, channel: u32) -> usize {
        self.engine.track_audio_mut(track as usize, channel as usize).map_or(0, |a| a.as_mut_ptr() as usize)
    }

    /// Loading: sets the session length in frames.
    pub fn set_length(&mut self, frames: f64) {
        self.engine.set_length(frames.max(0.0) as u64);
    }

    /// Loading: jumps all smoothed parameters to their targets.
    pub fn settle(&mut self) {
        self.engine.settle();
    }

    /// Sets a track parameter by its numeric id (see `TrackParam`); unknown ids are ignored.
    pub fn set_track_param(&mut self, track: u32, param: u32, value: f32) {
        if let Some(p) = TrackParam::from_id(param) {
            self.engine.set_track_param(track as usize, p, value);
        }
    }

    /// Sets a master parameter by its numeric id (see `MasterParam`); unknown ids are ignored.
    pub fn set_master_param(&mut self, param: u32, value: f32) {
        if let Some(p) = MasterParam::from_id(param) {
            self.engine.set_master_param(p, value);
        }
    }

    pub fn play(&mut self) {
        self.engine.play();
    }

    pub fn stop(&mut self) {
        self.engine.stop();
    }

    pub fn seek(&mut self, frame: f64) {
        self.engine.seek(frame.max(0.0) as u64);
    }

    pub fn is_playing(&self) -> bool {
        self.engine.is_playing()
    }

    /// Play position in frames.
    pub fn position(&self) -> f64 {
        self.engine.position() as f64
    }

    /// Real time: renders `frames` frames (at most 128) into the output buffers.
    pub fn process(&mut self, frames: u32) -> u32 {
        self.engine.process(frames as usize) as u32
    }

    /// Address of output channel 0 (left) or 1 (right) in wasm memory: 128 `f32`s.
    pub fn output_ptr(&self, channel: u32) -> usize {
        self.engine.output_ptr(channel as usize) as usize
    }

    /// Real time: reads and resets every meter into the meter buffer; returns the number of values.
    pub fn collect_meters(&mut self) -> u32 {
        let master = self.engine.take_master_peak();
        self.meters[0] = master.left;
        self.meters[1] = master.right;
        for t in 0..self.engine.tracks().len() {
            let peak = self.engine.take_track_peak(t);
            self.meters[2 + 2 * t] = peak.left;
            self.meters[3 + 2 * t] = peak.right;
        }
        self.meters.len() as u32
    }

    /// Address of the meter buffer filled by [`WorkletEngine::collect_meters`].
    pub fn meters_ptr(&self) -> usize {
        self.meters.as_ptr() as usize
    }
}
