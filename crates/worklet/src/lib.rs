//! The Mixroom engine as the AudioWorkletProcessor sees it.
//!
//! `www/worklet-processor.js` instantiates this module synchronously inside the
//! AudioWorkletGlobalScope and drives one [`WorkletEngine`]. The boundary is shaped for the real-time
//! thread:
//! - every call made from `process` takes and returns numbers only, so the generated glue never
//!   allocates (no slices, `Vec` or `String` cross the boundary there);
//! - audio goes out through pointers into wasm memory ([`WorkletEngine::output_ptr`]), over which the
//!   processor keeps `Float32Array` views, rebuilt only when memory grows;
//! - loading a session and compiling a new plan happen in the port's message handler, never in
//!   `process`; a new plan is swapped in between two quanta and the old one dropped there.

use mixroom_analysis::{Correlation, Loudness};
use mixroom_dsp::smooth::Smoother;
use mixroom_engine::{Clip, Engine, Follow, Listen, Monitor, ReferencePlayer, Simulation, DEVICES, MAX_BLOCK, FadeShape, ParamChange, Plan, SendParam, StripLanes, StripParam, PAGE_FRAMES, TAP_FRAMES};
use mixroom_session::Session;
use wasm_bindgen::prelude::*;

/// Values per strip in the meter buffer: peak left, peak right, RMS left, RMS right, gain reduction
/// (dB).
pub const METER_STRIDE: usize = 5;

/// Values in the master analysis buffer: momentary, short-term and integrated loudness (LUFS),
/// loudness range (LU), maximum true peak (dBTP), phase correlation (−1 … +1), then the loudness
/// of the mix and of the reference over what both have played since matching began (LUFS, for
/// loudness matching), then the metered strip's momentary, short-term and integrated loudness,
/// loudness range and maximum true peak; NaN where a figure does not exist yet (see
/// [`mixroom_analysis::LiveLoudness`]).
pub const ANALYSIS_VALUES: usize = 13;

/// Pages a streamed track keeps for each of its clips sounding at once (each [`PAGE_FRAMES`]
/// frames, 2.7 s at 48 kHz): the read-ahead's twelve, the page playing, and when the read-ahead
/// wraps to a loop's start, the pages at both ends. A track whose clips overlap (a crossfade) keeps
/// as many times more.
pub const STREAM_SLOTS_PER_LAYER: usize = 16;

/// How far ahead of the play position streamed audio is read: twelve pages, two seconds at 48 kHz —
/// longer than any read from storage takes on a busy machine.
pub const STREAM_HORIZON: u64 = 12 * PAGE_FRAMES as u64;

/// After a seek or Play, the frames whose pages are asked for first, at once: what the engine
/// waits for before it sounds ([`mixroom_engine::PRIME_FRAMES`], 85 ms at 48 kHz — the next page
/// too when it starts that soon).
pub const FIRST_READS: u64 = mixroom_engine::PRIME_FRAMES;

/// Pages asked of the reader at most a planning round (every few quanta): about what it reads from
/// IndexedDB before the next, so that the pages a seek needs never queue behind a long read-ahead.
pub const READS_PER_ROUND: usize = 128;

/// Frames of the master's output the goniometer shows at each meter reading.
pub const SCOPE_FRAMES: usize = 1024;

/// The master's latest output frames for the goniometer: a ring written in `process` while a
/// goniometer is shown, and its frames unrolled (interleaved left, right, oldest first) when the
/// meters are read.
struct Scope {
    ring: [[f32; SCOPE_FRAMES]; 2],
    written: usize,
    out: [f32; 2 * SCOPE_FRAMES],
}

/// The meters on the master output, as a mastering engineer reads them.
struct MasterAnalysis {
    loudness: Loudness,
    correlation: Correlation,
}

/// The reference track on the monitor path: its player, the A/B switch, what loudness matching
/// measures, and its signal for the spectrum overlay.
struct ReferenceMonitor {
    player: Box<ReferencePlayer>,
    /// 0 the mix, 1 the reference: glides, so the switch does not click.
    switch: Smoother,
    /// The loudness-matching gain (linear), gliding.
    gain: Smoother,
    /// The loudness of the mix and of the (unmatched) reference over the same stretch of play.
    matching: Option<[Loudness; 2]>,
    /// The latest stretch of the reference as heard (matched), mono, for the spectrum overlay.
    tap: Box<[f32; TAP_FRAMES]>,
    tap_written: u64,
}

/// The design of playback-system simulation `index` (see `DEVICES`) at `sample_rate`, as the
/// numbers [`WorkletEngine::set_device`] takes; empty for no such device. Fitting takes tens of
/// milliseconds: for a Worker or the main thread, never the audio thread.
#[wasm_bindgen]
pub fn device_design(index: u32, sample_rate: f32) -> Vec<f64> {
    DEVICES.get(index as usize).map_or_else(Vec::new, |d| mixroom_engine::Design::new(d, sample_rate as f64).to_numbers(d.mono))
}

/// The engine, plus the engine being loaded and the meter buffers.
#[wasm_bindgen]
pub struct WorkletEngine {
    sample_rate: f32,
    engine: Option<Engine>,
    /// An engine being filled with audio by [`WorkletEngine::load`] and
    /// [`WorkletEngine::track_audio_ptr`]; installed by [`WorkletEngine::start`].
    loading: Option<Engine>,
    meters: Vec<f32>,
    /// Loudness and correlation of what the master plays while the transport runs, when the
    /// meters are shown (never in an offline render); kept across sessions and plans until reset.
    analysis: Option<MasterAnalysis>,
    analysis_values: [f32; ANALYSIS_VALUES],
    /// The monitor path (listen mode, dim and normalization gain, mute): after the master and its
    /// meters, on the way to the speakers only. An offline render is never sent a monitor setting,
    /// so what it renders is the mix itself.
    monitor: Monitor,
    /// The goniometer's frames, while one is shown (allocated when it is first asked for).
    scope: Option<Box<Scope>>,
    scope_on: bool,
    /// A reference track's audio being copied in ([`WorkletEngine::reference_audio_ptr`]).
    reference_loading: Vec<Vec<f32>>,
    reference: Option<ReferenceMonitor>,
    /// Listening to the reference (B) rather than the mix (A).
    listen_reference: bool,
    /// The loudness of the metered strip, while one is (after its inserts, before its fader).
    strip_loudness: Option<Loudness>,
    /// The reads [`WorkletEngine::plan_reads`] asks for, as (track, page) pairs; sized when an
    /// engine is installed, so planning never allocates.
    reads: Vec<u32>,
}

fn js_error(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// The plan of a session (JSON), its parameters at their targets: compiled in the message handler.
fn settled_plan(session_json: &str) -> Result<Box<Plan>, JsError> {
    let session = Session::from_json(session_json).map_err(js_error)?;
    let mut plan = Box::new(Plan::compile(&session.to_mixer().map_err(js_error)?).map_err(js_error)?);
    plan.settle();
    Ok(plan)
}

#[wasm_bindgen]
impl WorkletEngine {
    /// An engine with no session, at the context's sample rate.
    #[wasm_bindgen(constructor)]
    pub fn new(sample_rate: f32) -> WorkletEngine {
        console_error_panic_hook::set_once();
        WorkletEngine {
            sample_rate,
            engine: None,
            loading: None,
            meters: Vec::new(),
            analysis: None,
            analysis_values: [f32::NAN; ANALYSIS_VALUES],
            monitor: Monitor::new(sample_rate),
            scope: None,
            scope_on: false,
            reference_loading: Vec::new(),
            reference: None,
            listen_reference: false,
            strip_loudness: None,
            reads: Vec::new(),
        }
    }

    /// Starts measuring the master's loudness and correlation (the processor's constructor, when
    /// it shows meters). `false` if the meter cannot run at this sample rate.
    pub fn enable_analysis(&mut self) -> bool {
        let rate = self.sample_rate as u32;
        match Loudness::new(2, rate) {
            Ok(loudness) => {
                self.analysis = Some(MasterAnalysis { loudness, correlation: Correlation::new(rate) });
                true
            }
            Err(_) => false,
        }
    }

    /// The monitor: what is heard (0 stereo, 1 mono, 2 side, 3 left, 4 right), the monitor gain in
    /// dB (dim plus any listen-as-normalized gain) and mute. Glides there; never reaches an export.
    pub fn set_monitor(&mut self, listen: u32, gain_db: f32, mute: bool) {
        self.monitor.set(Listen::from_index(listen), gain_db, mute);
    }

    /// The playback-system simulation on the monitor, as its design's numbers
    /// ([`mixroom_engine::Design::to_numbers`], made off the audio thread: fitting takes tens of
    /// milliseconds), or none (no numbers). Its filters are built here, in the message handler;
    /// numbers that are not a design choose none.
    pub fn set_device(&mut self, design: &[f64]) {
        let device = Simulation::from_numbers(design, self.sample_rate).map(Box::new);
        self.monitor.choose_device(device);
    }

    /// Measures the loudness of strip `strip` (engine id) from now, after its inserts and before its
    /// fader, or of none (a negative number). The meter is made here, in the message handler.
    pub fn meter_strip(&mut self, strip: i32) {
        let strip = usize::try_from(strip).ok();
        self.strip_loudness = strip.and_then(|_| Loudness::new(2, self.sample_rate as u32).ok());
        if let Some(e) = &mut self.engine {
            e.set_metered(strip);
        }
    }

    /// Loading a reference track: gives its channel `channel` (of `channels`, one or two) `frames`
    /// frames and returns their address, for the processor to copy samples into; 0 for no such
    /// channel. Channel 0 starts a new reference's audio.
    pub fn reference_audio_ptr(&mut self, channel: u32, channels: u32, frames: u32) -> usize {
        if channel == 0 {
            self.reference_loading = (0..channels.clamp(1, 2)).map(|_| vec![0.0; frames as usize]).collect();
        }
        self.reference_loading.get_mut(channel as usize).map_or(0, |c| c.as_mut_ptr() as usize)
    }

    /// The reference track: with `fresh`, the audio just copied in (else the one playing, if any);
    /// following the song (`cue_mode` false) or from `cue` with the loop section
    /// `[loop_start, loop_end)` (none where it is empty). Built here, in the message handler; any
    /// reference it replaces is dropped here. `false` if there is no audio to play.
    pub fn set_reference(&mut self, fresh: bool, cue_mode: bool, cue: f64, loop_start: f64, loop_end: f64) -> bool {
        let section = (loop_end > loop_start && loop_start >= 0.0).then(|| (loop_start as u64, loop_end as u64));
        let follow = if cue_mode { Follow::Cue { cue: cue.max(0.0) as u64, section } } else { Follow::Song };
        if !fresh {
            let Some(r) = &mut self.reference else { return false };
            r.player.set_follow(follow);
            return true;
        }
        let audio = std::mem::take(&mut self.reference_loading);
        if audio.is_empty() {
            return false;
        }
        let rate = self.sample_rate;
        // (Matching only where the meters are shown: never in an offline render.)
        let meter = || Loudness::integrated_only(2, rate as u32).ok();
        let matching = if self.analysis.is_some() { meter().zip(meter()).map(|(mix, reference)| [mix, reference]) } else { None };
        let listening = self.reference.as_ref().map_or(0.0, |r| r.switch.current());
        let gain = self.reference.as_ref().map_or(1.0, |r| r.gain.target());
        self.reference = Some(ReferenceMonitor {
            player: Box::new(ReferencePlayer::new(audio, follow, rate)),
            switch: Smoother::new(listening, mixroom_engine::reference::SWITCH_MS, rate),
            gain: Smoother::new(gain, 50.0, rate),
            matching,
            tap: Box::new([0.0; TAP_FRAMES]),
            tap_written: 0,
        });
        true
    }

    /// No reference track (its audio is dropped here); the monitor hears the mix.
    pub fn clear_reference(&mut self) {
        self.reference = None;
        self.reference_loading = Vec::new();
    }

    /// The reference's loudness-matching gain, dB: glides there.
    pub fn set_reference_gain(&mut self, gain_db: f32) {
        if let Some(r) = &mut self.reference {
            let db = if gain_db.is_finite() { gain_db.clamp(-40.0, 24.0) } else { 0.0 };
            r.gain.set_target(10f32.powf(db / 20.0));
        }
    }

    /// A/B: the monitor hears the reference (`true`) or the mix. Crossfades in a few ms.
    pub fn listen_to_reference(&mut self, on: bool) {
        self.listen_reference = on;
    }

    /// Loudness matching starts measuring afresh (another reference, section or loop).
    pub fn reset_matching(&mut self) {
        if let Some([mix, reference]) = self.reference.as_mut().and_then(|r| r.matching.as_mut()) {
            mix.reset();
            reference.reset();
        }
    }

    /// Address of the reference's spectrum ring ([`TAP_FRAMES`] samples; 0 without a reference).
    pub fn reference_tap_ptr(&self) -> usize {
        self.reference.as_ref().map_or(0, |r| r.tap.as_ptr() as usize)
    }

    /// Frames the reference's ring has had written (see [`WorkletEngine::tap_written`]).
    pub fn reference_tap_written(&self) -> f64 {
        self.reference.as_ref().map_or(0.0, |r| r.tap_written as f64)
    }

    /// Starts the loudness measurement afresh (the meter's Reset): integrated, range and the
    /// maximum true peak begin again from now.
    pub fn reset_analysis(&mut self) {
        if let Some(a) = &mut self.analysis {
            a.loudness.reset();
            a.correlation.reset();
        }
    }

    /// Loading: reads a session (JSON) and prepares an engine for it; its tracks' audio is then
    /// copied in through [`WorkletEngine::track_audio_ptr`] and the engine installed by
    /// [`WorkletEngine::start`]. Fails with the session's own error message.
    pub fn load(&mut self, session_json: &str) -> Result<(), JsError> {
        let session = Session::from_json(session_json).map_err(js_error)?;
        if session.sample_rate as f32 != self.sample_rate {
            return Err(JsError::new(&format!("the session runs at {} Hz but the audio output at {} Hz", session.sample_rate, self.sample_rate)));
        }
        let spec = session.to_mixer().map_err(js_error)?;
        let mut engine = Engine::new(&spec).map_err(js_error)?;
        for t in 0..session.tracks.len() {
            engine.set_clips(t, session.engine_clips(t));
        }
        engine.set_loop(session.engine_loop());
        engine.set_length(session.length_frames());
        self.loading = Some(engine);
        Ok(())
    }

    /// Loading: an offline render plays `frames` (the song and its tails) before it stops, where
    /// the live transport stops at the song's end.
    pub fn set_render_length(&mut self, frames: f64) {
        if let Some(engine) = &mut self.loading {
            engine.set_length(frames.max(0.0) as u64);
        }
    }

    /// Loading: gives a track channel `frames` frames and returns their address in wasm memory, for
    /// the processor to copy samples into; 0 if there is no such track channel.
    pub fn track_audio_ptr(&mut self, track: u32, channel: u32, frames: u32) -> usize {
        let Some(engine) = &mut self.loading else { return 0 };
        engine.track_audio_mut(track as usize, channel as usize, frames as usize).map_or(0, |a| a.as_mut_ptr() as usize)
    }

    /// Loading: moves track `from`'s audio out of the running engine into track `track` of the
    /// engine being loaded, instead of copying it across again (tracks that stay when tracks are
    /// added or removed). `false` if there is nothing to move or the shapes differ.
    pub fn keep_track_audio(&mut self, track: u32, from: u32) -> bool {
        let (Some(running), Some(loading)) = (self.engine.as_mut(), self.loading.as_mut()) else { return false };
        let Some(audio) = running.take_track_audio(from as usize) else { return false };
        loading.put_track_audio(track as usize, audio)
    }

    /// Loading: track `track`'s audio (`frames` frames) streams from storage through a pool of
    /// [`STREAM_SLOTS_PER_LAYER`] pages for each of its clips sounding at once, read as
    /// [`WorkletEngine::plan_reads`] asks. `false` for no such track.
    pub fn stream_track(&mut self, track: u32, frames: f64) -> bool {
        let Some(engine) = &mut self.loading else { return false };
        engine.stream_track(track as usize, frames.max(0.0) as u64, STREAM_SLOTS_PER_LAYER)
    }

    /// Real time (never allocates): plans the streamed tracks' reads ([`STREAM_HORIZON`] ahead along
    /// the play path) and returns how many new pages to read; they are at
    /// [`WorkletEngine::reads_ptr`], a track and a page each.
    ///
    /// `first` plans the pages of the next [`FIRST_READS`] frames alone (after a seek or Play: what
    /// must be in before it sounds, and the next page when that is close, goes to the reader first,
    /// ahead of the rest of the read-ahead).
    pub fn plan_reads(&mut self, first: bool) -> u32 {
        let Some(e) = &mut self.engine else { return 0 };
        let reads = &mut self.reads;
        reads.clear();
        let (horizon, limit) = if first { (FIRST_READS, usize::MAX) } else { (STREAM_HORIZON, READS_PER_ROUND) };
        e.plan_reads(horizon, limit, |track, page| {
            if reads.len() + 2 <= reads.capacity() {
                reads.push(track as u32);
                reads.push(page);
            }
        });
        (reads.len() / 2) as u32
    }

    /// The reads planned last: (track, page) as pairs of `u32`.
    pub fn reads_ptr(&self) -> usize {
        self.reads.as_ptr() as usize
    }

    /// A page read: the address of its channel's [`PAGE_FRAMES`] samples in the running engine, to
    /// copy them into; 0 when it is no longer awaited (the play position moved on: dropped).
    pub fn page_ptr(&mut self, track: u32, page: u32, channel: u32) -> usize {
        let Some(e) = &mut self.engine else { return 0 };
        e.page_slot(track as usize, page, channel as usize).map_or(0, |s| s.as_mut_ptr() as usize)
    }

    /// Every channel of a page is copied in: it plays from the next quantum.
    pub fn page_arrived(&mut self, track: u32, page: u32) -> bool {
        self.engine.as_mut().is_some_and(|e| e.page_arrived(track as usize, page))
    }

    /// The reads asked for and not answered are lost (the reader was replaced, or the tracks
    /// renumbered): they are asked for again.
    pub fn forget_awaited_reads(&mut self) {
        if let Some(e) = &mut self.engine {
            e.forget_awaited_reads();
        }
    }

    /// Quanta in which a streamed track played silence for want of a page, since the engine was
    /// installed.
    pub fn underruns(&self) -> f64 {
        self.engine.as_ref().map_or(0.0, |e| e.underruns() as f64)
    }

    /// Loading: installs the prepared engine (the previous one is dropped here, off `process`).
    pub fn start(&mut self, play: bool) {
        if let Some(mut engine) = self.loading.take() {
            engine.settle();
            if play {
                engine.play();
            }
            self.meters = vec![0.0; METER_STRIDE * engine.strip_count()];
            // Every slot awaited at once is the most a round can ask for.
            self.reads = Vec::with_capacity(2 * engine.stream_slots());
            self.engine = Some(engine);
        }
    }

    /// A structural edit (inserts added, moved or removed; routing changed): compiles the session's
    /// new plan and swaps it in. The strips' ids must be unchanged up to the last track (tracks keep
    /// their audio); the old plan is dropped here.
    pub fn update(&mut self, session_json: &str) -> Result<(), JsError> {
        let plan = settled_plan(session_json)?;
        if let Some(engine) = &mut self.engine {
            drop(engine.swap_plan(plan));
            self.meters = vec![0.0; METER_STRIDE * engine.strip_count()];
        }
        Ok(())
    }

    /// Tracks moved: track `i` of the session is what was track `order[i]`. Compiles the session's
    /// plan, moves the tracks' audio and clips into the new order and swaps the plan in, all in this
    /// one call (the audio thread never sees one without the other). Nothing changes on error.
    pub fn reorder(&mut self, session_json: &str, order: &[u32]) -> Result<(), JsError> {
        let plan = settled_plan(session_json)?;
        let order: Vec<usize> = order.iter().map(|&i| i as usize).collect();
        if let Some(engine) = &mut self.engine {
            engine.reorder_tracks(&order).map_err(js_error)?;
            drop(engine.swap_plan(plan));
        }
        Ok(())
    }

    /// Places a track's audio as clips: eight numbers per clip — start, offset, length (frames),
    /// gain (linear), fade-in and fade-out lengths (frames), fade-in and fade-out shapes (index into
    /// `FadeShape::ALL`). An empty list plays the whole audio from frame 0. Message handler only: the
    /// old list is dropped here.
    pub fn set_track_clips(&mut self, track: u32, values: &[f64]) {
        let shape = |v: f64| FadeShape::ALL.get(v as usize).copied().unwrap_or_default();
        let clips: Vec<Clip> = values
            .chunks_exact(8)
            .map(|c| Clip {
                start: c[0].max(0.0) as u64,
                offset: c[1].max(0.0) as u64,
                length: c[2].max(0.0) as u64,
                gain: c[3] as f32,
                fade_in: c[4].max(0.0) as u64,
                fade_out: c[5].max(0.0) as u64,
                fade_in_shape: shape(c[6]),
                fade_out_shape: shape(c[7]),
            })
            .collect();
        if let Some(e) = &mut self.engine {
            drop(e.set_clips(track as usize, (!clips.is_empty()).then_some(clips)));
        }
    }

    /// A strip's automation changed: its curves as `mixroom_session::automation::pack` writes
    /// them, built into the engine's lanes here (message handler only) and swapped in; the old
    /// lanes are dropped here. Numbers that do not read change nothing.
    pub fn set_automation(&mut self, values: &[f64]) -> bool {
        let Some((strip, curves)) = mixroom_session::automation::unpack(values, self.sample_rate) else { return false };
        let Some(e) = &mut self.engine else { return false };
        if strip >= e.strip_count() {
            return false;
        }
        drop(e.set_automation(strip, Box::new(StripLanes::new(&curves))));
        true
    }

    /// Loops over `[start, end)` frames when `enabled`.
    pub fn set_loop(&mut self, enabled: bool, start: f64, end: f64) {
        if let Some(e) = &mut self.engine {
            e.set_loop(enabled.then_some((start.max(0.0) as u64, end.max(0.0) as u64)));
        }
    }

    /// The plan's latency in frames (what an offline render skips).
    pub fn latency(&self) -> u32 {
        self.engine.as_ref().map_or(0, |e| e.latency() as u32)
    }

    pub fn set_strip_param(&mut self, strip: u32, param: u32, value: f32) {
        if let Some(p) = StripParam::from_id(param) {
            self.apply(ParamChange::Strip(strip as usize, p, value));
        }
    }

    pub fn set_insert_param(&mut self, strip: u32, slot: u32, param: u32, value: f32) {
        self.apply(ParamChange::Insert(strip as usize, slot as usize, param as usize, value));
    }

    pub fn set_insert_bypass(&mut self, strip: u32, slot: u32, bypass: bool) {
        self.apply(ParamChange::Bypass(strip as usize, slot as usize, bypass));
    }

    pub fn set_send_param(&mut self, strip: u32, index: u32, param: u32, value: f32) {
        if let Some(p) = SendParam::from_id(param) {
            self.apply(ParamChange::Send(strip as usize, index as usize, p, value));
        }
    }

    fn apply(&mut self, change: ParamChange) {
        if let Some(e) = &mut self.engine {
            change.apply(e);
        }
    }

    pub fn play(&mut self) {
        if let Some(e) = &mut self.engine {
            e.play();
        }
    }

    pub fn stop(&mut self) {
        if let Some(e) = &mut self.engine {
            e.stop();
        }
    }

    pub fn seek(&mut self, frame: f64) {
        if let Some(e) = &mut self.engine {
            e.seek(frame.max(0.0) as u64);
        }
    }

    pub fn is_playing(&self) -> bool {
        self.engine.as_ref().is_some_and(Engine::is_playing)
    }

    /// Play position in frames.
    pub fn position(&self) -> f64 {
        self.engine.as_ref().map_or(0.0, |e| e.position() as f64)
    }

    /// Real time: renders `frames` frames (at most 128) into the output buffers; silence when no
    /// session is loaded. Returns the number of frames rendered.
    pub fn process(&mut self, frames: u32) -> u32 {
        let Some(e) = &mut self.engine else { return 0 };
        let song_position = e.position();
        let n = e.process(frames as usize);
        // What the song plays, not what rings on after Stop: the integrated loudness of a song
        // played through is the song's (as the transport-linked meters of the DAWs read it).
        if let (Some(a), true) = (&mut self.analysis, e.is_playing()) {
            let m = n.min(MAX_BLOCK);
            let (left, right) = (&e.output(0)[..m], &e.output(1)[..m]);
            a.loudness.add_planar(&[left, right]);
            a.correlation.add(left, right);
        }
        if let Some(meter) = &mut self.strip_loudness {
            let [left, right] = e.metered();
            meter.add_planar(&[left, right]);
        }
        let m = n.min(MAX_BLOCK);
        if let (Some(scope), true) = (&mut self.scope, self.scope_on) {
            for c in 0..2 {
                for (k, &x) in e.output(c)[..m].iter().enumerate() {
                    scope.ring[c][(scope.written + k) % SCOPE_FRAMES] = x;
                }
            }
            scope.written = (scope.written + m) % SCOPE_FRAMES;
        }
        if let Some(r) = &mut self.reference {
            r.player.render(m, e.is_rolling(), song_position, e.looping(), e.latency() as u64);
            let reference = [&r.player.output(0)[..m], &r.player.output(1)[..m]];
            if let (Some([mix, heard]), true) = (&mut r.matching, e.is_playing()) {
                mix.add_planar(&[&e.output(0)[..m], &e.output(1)[..m]]);
                heard.add_planar(&reference);
            }
            let [left, right] = e.outputs_mut();
            r.switch.set_target(if self.listen_reference { 1.0 } else { 0.0 });
            if r.switch.is_settled() && r.switch.current() == 0.0 {
                // The mix alone: the matching gain is where it is going.
                r.gain.reset(r.gain.target());
            } else {
                for k in 0..m {
                    let (x, g) = (r.switch.next_value(), r.gain.next_value());
                    left[k] += (reference[0][k] * g - left[k]) * x;
                    right[k] += (reference[1][k] * g - right[k]) * x;
                }
            }
            if e.is_playing() {
                let g = r.gain.current();
                for k in 0..m {
                    r.tap[(r.tap_written % TAP_FRAMES as u64) as usize] = 0.5 * (reference[0][k] + reference[1][k]) * g;
                    r.tap_written += 1;
                }
            }
        }
        let [left, right] = e.outputs_mut();
        self.monitor.process(&mut left[..m], &mut right[..m]);
        n as u32
    }

    /// Real time: reads the master's loudness and correlation into the analysis buffer
    /// ([`ANALYSIS_VALUES`] values); returns how many (0 while the analysis is off).
    pub fn collect_analysis(&mut self) -> u32 {
        let Some(a) = &self.analysis else { return 0 };
        let live = a.loudness.live();
        let value = |v: Option<f64>| v.map_or(f32::NAN, |v| v as f32);
        let matched = |k: usize| self.reference.as_ref().and_then(|r| r.matching.as_ref()).and_then(|m| m[k].live().integrated);
        let strip = self.strip_loudness.as_ref().map(Loudness::live).unwrap_or_default();
        self.analysis_values = [
            value(live.momentary),
            value(live.short_term),
            value(live.integrated),
            value(live.range),
            value(live.true_peak),
            a.correlation.value() as f32,
            value(matched(0)),
            value(matched(1)),
            value(strip.momentary),
            value(strip.short_term),
            value(strip.integrated),
            value(strip.range),
            value(strip.true_peak),
        ];
        ANALYSIS_VALUES as u32
    }

    /// Shows (or stops showing) the goniometer: while on, `process` keeps the master's latest
    /// frames. Its buffers are made here, in the message handler.
    pub fn set_scope(&mut self, on: bool) {
        if on && self.scope.is_none() {
            self.scope = Some(Box::new(Scope { ring: [[0.0; SCOPE_FRAMES]; 2], written: 0, out: [0.0; 2 * SCOPE_FRAMES] }));
        }
        self.scope_on = on;
    }

    /// Real time: the master's latest [`SCOPE_FRAMES`] frames into the scope buffer, interleaved
    /// (left, right), oldest first; returns the number of values (0 while no goniometer is shown).
    pub fn collect_scope(&mut self) -> u32 {
        let (Some(scope), true) = (&mut self.scope, self.scope_on) else { return 0 };
        for k in 0..SCOPE_FRAMES {
            let at = (scope.written + k) % SCOPE_FRAMES;
            scope.out[2 * k] = scope.ring[0][at];
            scope.out[2 * k + 1] = scope.ring[1][at];
        }
        (2 * SCOPE_FRAMES) as u32
    }

    /// Address of the scope buffer filled by [`WorkletEngine::collect_scope`]; 0 before any.
    pub fn scope_ptr(&self) -> usize {
        self.scope.as_ref().map_or(0, |s| s.out.as_ptr() as usize)
    }

    /// Address of the analysis buffer filled by [`WorkletEngine::collect_analysis`].
    pub fn analysis_ptr(&self) -> usize {
        self.analysis_values.as_ptr() as usize
    }

    /// Address of output channel 0 (left) or 1 (right) in wasm memory: 128 `f32`s; 0 without a
    /// session.
    pub fn output_ptr(&self, channel: u32) -> usize {
        self.engine.as_ref().map_or(0, |e| e.output_ptr(channel as usize) as usize)
    }

    /// Real time: reads and resets every strip's meters into the meter buffer (peak L, peak R, RMS L,
    /// RMS R, gain reduction in dB, per strip in mixer order); returns the number of values.
    pub fn collect_meters(&mut self) -> u32 {
        let Some(e) = &mut self.engine else { return 0 };
        let strips = e.strip_count().min(self.meters.len() / METER_STRIDE);
        for s in 0..strips {
            let [left, right] = e.take_levels(s);
            let m = &mut self.meters[METER_STRIDE * s..METER_STRIDE * (s + 1)];
            m.copy_from_slice(&[left.peak, right.peak, left.rms, right.rms, e.take_gain_reduction(s)]);
        }
        (strips * METER_STRIDE) as u32
    }

    /// Taps strip `strip` (after its inserts, before its fader) for the spectrum display; a negative
    /// number taps nothing.
    pub fn set_tap(&mut self, strip: i32) {
        if let Some(e) = &mut self.engine {
            e.set_tap(usize::try_from(strip).ok());
        }
    }

    /// Address of the tap's ring of [`WorkletEngine::tap_frames`] samples; 0 without a session.
    pub fn tap_ptr(&self) -> usize {
        self.engine.as_ref().map_or(0, |e| e.tap_ring().as_ptr() as usize)
    }

    pub fn tap_frames(&self) -> u32 {
        TAP_FRAMES as u32
    }

    /// Frames the tap has written: the oldest sample in the ring is at this count modulo
    /// [`WorkletEngine::tap_frames`]. A count that has not moved means nothing new to show.
    pub fn tap_written(&self) -> f64 {
        self.engine.as_ref().map_or(0.0, |e| e.tap_written() as f64)
    }

    /// Address of the meter buffer filled by [`WorkletEngine::collect_meters`].
    pub fn meters_ptr(&self) -> usize {
        self.meters.as_ptr() as usize
    }
}
