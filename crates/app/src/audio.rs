//! The bridge to the audio engine running in an AudioWorklet.
//!
//! The engine's WebAssembly module is fetched and compiled once ([`EngineModule::load`]) and handed to
//! every processor through `processorOptions`, where `www/worklet-processor.js` instantiates it
//! synchronously, in the live [`AudioContext`]. Exports render the same engine crate in the
//! delivery worker (`crate::delivery`), so what the user hears is what the export contains.
//!
//! Messages follow the protocol documented at the top of `www/worklet-processor.js`.

use std::cell::RefCell;
use std::rc::Rc;

use futures::channel::oneshot;
use futures::future::{select, Either};
use gloo_timers::future::TimeoutFuture;
use js_sys::{Array, Float32Array, Object, Reflect};
use mixroom_engine::{FadeShape, ParamChange};
use mixroom_session::EngineEdit;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AudioContext, AudioContextOptions, AudioWorkletNode, AudioWorkletNodeOptions, BaseAudioContext, MessageEvent,
};

/// Where Trunk puts the worklet's files (see `index.html`).
const PROCESSOR_URL: &str = "./worklet-processor.js";
const ENGINE_WASM_URL: &str = "./mixroom-worklet_bg.wasm";
/// The name the processor registers under.
const PROCESSOR_NAME: &str = "mixroom";
/// How long the processor may take to start or to load a session before we report it. Generous: a
/// busy machine may take seconds to compile and copy a long session's audio.
const ENGINE_TIMEOUT_MS: u32 = 60_000;

/// Converts any JS error into a message for the status line.
fn js_error(context: &str, err: JsValue) -> String {
    let detail = err
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| err.as_string())
        .unwrap_or_else(|| format!("{err:?}"));
    format!("{context}: {detail}")
}

/// The compiled engine module, shared by every processor.
#[derive(Clone)]
pub struct EngineModule(js_sys::WebAssembly::Module);

impl EngineModule {
    /// Fetches and compiles the worklet's wasm once.
    pub async fn load() -> Result<EngineModule, String> {
        let window = web_sys::window().ok_or("no window")?;
        let response = JsFuture::from(window.fetch_with_str(ENGINE_WASM_URL))
            .await
            .map_err(|e| js_error("Could not download the audio engine", e))?;
        let response: web_sys::Response = response.unchecked_into();
        if !response.ok() {
            return Err(format!("Could not download the audio engine: HTTP {}", response.status()));
        }
        let bytes = JsFuture::from(response.array_buffer().map_err(|e| js_error("Could not read the audio engine", e))?)
            .await
            .map_err(|e| js_error("Could not read the audio engine", e))?;
        let module = JsFuture::from(js_sys::WebAssembly::compile(&bytes))
            .await
            .map_err(|e| js_error("The audio engine does not compile in this browser", e))?;
        mark("mixroom-engine-compiled");
        Ok(EngineModule(module.unchecked_into()))
    }
}

/// How a track's audio reaches the processor when a session is loaded.
#[derive(Clone, Debug, PartialEq)]
pub enum TrackLoad {
    /// Its samples, copied across.
    Samples,
    /// A stored source (`channels`, `frames`), its records under `pages` (its pages key): the
    /// engine streams it, its reader reading the pages it plays next from storage
    /// (`www/stream-worker.js`).
    Stored { pages: String, channels: u8, frames: u64 },
    /// The running engine's track `i` hands its audio over as it is (a track that stays when
    /// tracks are added or removed).
    Keep(usize),
}

/// A track's audio as the processor receives it: one `Float32Array` per channel.
pub type TrackAudio = Vec<Float32Array>;

/// Messages from the processor the UI cares about.
pub struct MeterReading {
    /// Play position, frames.
    pub position: f64,
    pub playing: bool,
    /// Per strip in mixer order: peak left, peak right (linear, since the previous reading) and gain
    /// reduction (dB).
    pub levels: Vec<f32>,
    /// The master's momentary, short-term and integrated loudness (LUFS), loudness range (LU),
    /// maximum true peak (dBTP) and correlation; NaN where there is no figure yet.
    pub analysis: Vec<f32>,
    /// While a goniometer is shown: the master's latest frames, interleaved left, right.
    pub scope: Vec<f32>,
    /// Quanta in which a streamed track's audio came late (it played silence), since the load.
    pub underruns: f64,
}

type Waiter = (String, oneshot::Sender<Result<JsValue, String>>);

/// Routes the processor's messages: replies to whoever waits for them, meters to the UI.
struct Router {
    waiters: Vec<Waiter>,
    on_meters: Option<Box<dyn Fn(MeterReading)>>,
    /// The tapped strip's latest samples, oldest first.
    on_tap: Option<Box<dyn Fn(Vec<f32>)>>,
    /// The reference track's latest samples as heard, oldest first (while asked for).
    on_reference_tap: Option<Box<dyn Fn(Vec<f32>)>>,
    on_error: Option<Box<dyn Fn(String)>>,
}

impl Router {
    fn dispatch(&mut self, data: JsValue) {
        let kind = Reflect::get(&data, &"type".into()).ok().and_then(|v| v.as_string()).unwrap_or_default();
        match kind.as_str() {
            "meters" => {
                if let Some(on_meters) = &self.on_meters {
                    let get = |k: &str| Reflect::get(&data, &k.into()).unwrap_or(JsValue::UNDEFINED);
                    let levels = get("levels").dyn_into::<Float32Array>().map(|a| a.to_vec()).unwrap_or_default();
                    let analysis = get("analysis").dyn_into::<Float32Array>().map(|a| a.to_vec()).unwrap_or_default();
                    let scope = get("scope").dyn_into::<Float32Array>().map(|a| a.to_vec()).unwrap_or_default();
                    on_meters(MeterReading {
                        position: get("position").as_f64().unwrap_or(0.0),
                        playing: get("playing").as_bool().unwrap_or(false),
                        levels,
                        analysis,
                        scope,
                        underruns: get("underruns").as_f64().unwrap_or(0.0),
                    });
                }
            }
            "tap" | "reference-tap" => {
                let to = if kind == "tap" { &self.on_tap } else { &self.on_reference_tap };
                if let Some(to) = to {
                    if let Ok(samples) = Reflect::get(&data, &"samples".into()).and_then(|v| v.dyn_into::<Float32Array>()) {
                        to(samples.to_vec());
                    }
                }
            }
            "error" => {
                let message = Reflect::get(&data, &"message".into())
                    .ok()
                    .and_then(|v| v.as_string())
                    .unwrap_or_else(|| "The audio engine reported an unknown error".into());
                if self.waiters.is_empty() {
                    if let Some(on_error) = &self.on_error {
                        on_error(message);
                    }
                } else {
                    for (_, tx) in self.waiters.drain(..) {
                        let _ = tx.send(Err(message.clone()));
                    }
                }
            }
            other => {
                if let Some(i) = self.waiters.iter().position(|(want, _)| want == other) {
                    let (_, tx) = self.waiters.remove(i);
                    let _ = tx.send(Ok(data));
                }
            }
        }
    }
}

/// One engine processor node and its message port.
pub struct EngineNode {
    node: AudioWorkletNode,
    router: Rc<RefCell<Router>>,
    _onmessage: Closure<dyn FnMut(MessageEvent)>,
}

impl EngineNode {
    /// Loads the processor script into `context` and starts a processor with the engine `module`.
    /// Resolves once the processor has instantiated the engine, or fails with a readable reason.
    async fn create(context: &BaseAudioContext, module: &EngineModule, meters: bool) -> Result<EngineNode, String> {
        let worklet = context.audio_worklet().map_err(|e| js_error("This browser has no AudioWorklet", e))?;
        let added = worklet.add_module(PROCESSOR_URL).map_err(|e| js_error("Could not load the audio processor", e))?;
        JsFuture::from(added).await.map_err(|e| js_error("Could not load the audio processor", e))?;

        let processor_options = Object::new();
        Reflect::set(&processor_options, &"module".into(), &module.0).map_err(|e| js_error("processorOptions", e))?;
        Reflect::set(&processor_options, &"meters".into(), &meters.into()).map_err(|e| js_error("processorOptions", e))?;
        let options = AudioWorkletNodeOptions::new();
        options.set_number_of_inputs(0);
        options.set_number_of_outputs(1);
        options.set_output_channel_count(&Array::of1(&2.into()));
        options.set_processor_options(Some(&processor_options));
        // If the processor script failed to evaluate (a glue error inside the worklet scope),
        // addModule still succeeds and only this constructor fails, naming an unknown processor.
        let node = AudioWorkletNode::new_with_options(context, PROCESSOR_NAME, &options).map_err(|e| {
            js_error("The audio engine failed to start (its processor did not register; see the browser console)", e)
        })?;

        let router = Rc::new(RefCell::new(Router { waiters: Vec::new(), on_meters: None, on_tap: None, on_reference_tap: None, on_error: None }));
        let route = router.clone();
        let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            route.borrow_mut().dispatch(event.data());
        });
        let port = node.port().map_err(|e| js_error("The audio engine has no message port", e))?;
        let ready = Self::expect(&router, "ready");
        port.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        let engine = EngineNode { node, router, _onmessage: onmessage };
        Self::wait(ready, "start").await?;
        Ok(engine)
    }

    fn expect(router: &Rc<RefCell<Router>>, kind: &str) -> oneshot::Receiver<Result<JsValue, String>> {
        let (tx, rx) = oneshot::channel();
        router.borrow_mut().waiters.push((kind.to_owned(), tx));
        rx
    }

    async fn wait(rx: oneshot::Receiver<Result<JsValue, String>>, what: &str) -> Result<JsValue, String> {
        match select(rx, TimeoutFuture::new(ENGINE_TIMEOUT_MS)).await {
            Either::Left((Ok(result), _)) => result,
            Either::Left((Err(_), _)) => Err(format!("The audio engine stopped answering while it was asked to {what}")),
            Either::Right(_) => Err(format!("The audio engine did not {what} within {} s", ENGINE_TIMEOUT_MS / 1000)),
        }
    }

    fn post(&self, message: &JsValue) {
        if let Ok(port) = self.node.port() {
            // Posting only fails for uncloneable values, which this module never builds.
            let _ = port.post_message(message);
        }
    }

    fn post_fields(&self, fields: &[(&str, JsValue)]) {
        let message = Object::new();
        for (k, v) in fields {
            let _ = Reflect::set(&message, &(*k).into(), v);
        }
        self.post(&message);
    }

    /// Sends a session (JSON) and its tracks' audio to the processor and waits until it is loaded;
    /// returns the plan's latency in frames.
    /// Each track's audio goes as `how[t]` says (its samples when `how` is shorter).
    /// `render_length`: an offline render's frames (the song and its tails), where the live
    /// transport stops at the song's end.
    async fn load(&self, session_json: &str, tracks: &[TrackAudio], how: &[TrackLoad], play: bool, render_length: Option<u64>) -> Result<u32, String> {
        let audio = Array::new();
        for (t, channels) in tracks.iter().enumerate() {
            match how.get(t).cloned().unwrap_or(TrackLoad::Samples) {
                TrackLoad::Samples => audio.push(&channels.iter().collect::<Array>()),
                TrackLoad::Stored { pages, channels, frames } => {
                    let stored = Object::new();
                    let _ = Reflect::set(&stored, &"stream".into(), &JsValue::from_f64(frames as f64));
                    // (The reader reads by it: `id` is the records' key.)
                    let _ = Reflect::set(&stored, &"id".into(), &pages.into());
                    let _ = Reflect::set(&stored, &"channels".into(), &JsValue::from(channels));
                    audio.push(&stored)
                }
                TrackLoad::Keep(from) => {
                    let kept = Object::new();
                    let _ = Reflect::set(&kept, &"keep".into(), &JsValue::from(from as u32));
                    audio.push(&kept)
                }
            };
        }
        // How many tracks stream from storage, on the page for tests and benchmarks.
        let streamed = how.iter().filter(|h| matches!(h, TrackLoad::Stored { .. })).count();
        if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
            let _ = root.set_attribute("data-streamed-tracks", &streamed.to_string());
            // A new engine counts its own underruns, from none.
            let _ = root.set_attribute("data-underruns", "0");
        }
        let loaded = Self::expect(&self.router, "loaded");
        let render_length = render_length.map_or(JsValue::UNDEFINED, |f| JsValue::from_f64(f as f64));
        self.post_fields(&[("type", "load".into()), ("session", session_json.into()), ("tracks", audio.into()), ("play", play.into()), ("render_length", render_length)]);
        let reply = Self::wait(loaded, "load the session").await?;
        Ok(Reflect::get(&reply, &"latency".into()).ok().and_then(|v| v.as_f64()).unwrap_or(0.0) as u32)
    }

    /// Sends the session after a structural edit: the processor compiles and swaps in a new plan.
    async fn update(&self, session_json: &str) -> Result<(), String> {
        let updated = Self::expect(&self.router, "updated");
        self.post_fields(&[("type", "update".into()), ("session", session_json.into())]);
        Self::wait(updated, "apply the change").await.map(|_| ())
    }

    /// Sends the session after tracks moved: track `i` was `order[i]`; the processor moves their
    /// audio along and swaps in the new plan.
    async fn reorder(&self, session_json: &str, order: &[usize]) -> Result<(), String> {
        let updated = Self::expect(&self.router, "updated");
        let order: Vec<u32> = order.iter().map(|&i| i as u32).collect();
        let order = js_sys::Uint32Array::from(order.as_slice());
        self.post_fields(&[("type", "reorder".into()), ("session", session_json.into()), ("order", order.into())]);
        Self::wait(updated, "move the tracks").await.map(|_| ())
    }

    /// Sends an edit: a parameter, a track's clips, or the loop.
    pub fn apply(&self, edit: &EngineEdit) {
        match edit {
            EngineEdit::Param(change) => self.set(*change),
            EngineEdit::Clips(track, clips) => {
                let values: Vec<f64> = clips
                    .iter()
                    .flatten()
                    .flat_map(|c| {
                        let shape = |s: FadeShape| FadeShape::ALL.iter().position(|x| *x == s).unwrap_or(0) as f64;
                        [c.start as f64, c.offset as f64, c.length as f64, c.gain as f64, c.fade_in as f64, c.fade_out as f64, shape(c.fade_in_shape), shape(c.fade_out_shape)]
                    })
                    .collect();
                self.post_fields(&[("type", "clips".into()), ("track", JsValue::from_f64(*track as f64)), ("values", js_sys::Float64Array::from(values.as_slice()).into())]);
            }
            EngineEdit::Automation(values) => {
                self.post_fields(&[("type", "automation".into()), ("values", js_sys::Float64Array::from(values.as_slice()).into())]);
            }
            EngineEdit::Loop(region) => {
                let (start, end) = region.unwrap_or((0, 0));
                self.post_fields(&[
                    ("type", "loop".into()),
                    ("enabled", region.is_some().into()),
                    ("start", JsValue::from_f64(start as f64)),
                    ("end", JsValue::from_f64(end as f64)),
                ]);
            }
        }
    }

    /// Sends one parameter change; it takes effect at the next quantum, smoothed.
    pub fn set(&self, change: ParamChange) {
        let n = |v: usize| JsValue::from_f64(v as f64);
        let f = |v: f32| JsValue::from_f64(v as f64);
        match change {
            ParamChange::Strip(s, p, v) => self.post_fields(&[("type", "strip".into()), ("strip", n(s)), ("param", n(p as usize)), ("value", f(v))]),
            ParamChange::Insert(s, slot, p, v) => {
                self.post_fields(&[("type", "insert".into()), ("strip", n(s)), ("slot", n(slot)), ("param", n(p)), ("value", f(v))])
            }
            ParamChange::Bypass(s, slot, b) => self.post_fields(&[("type", "bypass".into()), ("strip", n(s)), ("slot", n(slot)), ("value", b.into())]),
            ParamChange::Send(s, i, p, v) => {
                self.post_fields(&[("type", "send".into()), ("strip", n(s)), ("index", n(i)), ("param", n(p as usize)), ("value", f(v))])
            }
        }
    }
}

/// The live engine: an AudioContext at the session's rate with the engine node feeding the speakers.
pub struct LiveEngine {
    context: AudioContext,
    node: EngineNode,
    /// The streaming reader: reads stored audio's pages as the engine asks (`www/stream-worker.js`).
    reader: web_sys::Worker,
    _reader_errors: Closure<dyn FnMut(MessageEvent)>,
}

/// The streaming reader's script (see `index.html`).
const READER_URL: &str = "./stream-worker.js";
/// Tests make the reader slow (a disk that cannot keep up) by putting milliseconds here, in the
/// page's local storage, before the engine starts.
const READER_DELAY_KEY: &str = "mixroom-test-reader-delay-ms";

/// A performance mark, for the open and scale benchmarks (tests/bench/) and the browser's
/// profiler: the stages of opening a session and starting its engine.
pub(crate) fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(name);
    }
}

/// Whether this page is cross-origin isolated, so that memory can be shared between its threads.
pub fn isolated() -> bool {
    Reflect::get(&js_sys::global(), &"crossOriginIsolated".into()).ok().and_then(|v| v.as_bool()).unwrap_or(false)
}

/// Starts the streaming reader and connects it to the processor with a channel of their own, so
/// pages go from the reader's thread to the audio thread without passing the main thread — through
/// shared memory the reader makes where the page is isolated (`www/mailboxes.js`), else as messages.
/// `reader`, from [`spawn_reader`]: started first, it loads while the processor does.
fn start_reader(reader: web_sys::Worker, node: &EngineNode, on_error: Rc<dyn Fn(String)>) -> Result<(web_sys::Worker, Closure<dyn FnMut(MessageEvent)>), String> {
    let errors = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        if let Some(message) = Reflect::get(&event.data(), &"message".into()).ok().and_then(|m| m.as_string()) {
            on_error(message);
        }
    });
    reader.set_onmessage(Some(errors.as_ref().unchecked_ref()));
    let channel = web_sys::MessageChannel::new().map_err(|e| js_error("The streaming reader could not be connected", e))?;
    let delay = web_sys::window().and_then(|w| w.local_storage().ok().flatten()).and_then(|s| s.get_item(READER_DELAY_KEY).ok().flatten()).and_then(|v| v.parse::<f64>().ok());
    if let Some(ms) = delay {
        let message = Object::new();
        let _ = Reflect::set(&message, &"type".into(), &"delay".into());
        let _ = Reflect::set(&message, &"ms".into(), &JsValue::from_f64(ms));
        let _ = reader.post_message(&message);
    }
    let send_port = |to: &dyn Fn(&JsValue, &JsValue) -> Result<(), JsValue>, kind: &str, port: web_sys::MessagePort| {
        let message = Object::new();
        let _ = Reflect::set(&message, &"type".into(), &kind.into());
        let _ = Reflect::set(&message, &"port".into(), &port);
        to(&message, &Array::of1(&port)).map_err(|e| js_error("The streaming reader could not be connected", e))
    };
    send_port(&|m, t| reader.post_message_with_transfer(m, t), "port", channel.port2())?;
    let processor = node.node.port().map_err(|e| js_error("The audio engine has no message port", e))?;
    send_port(&|m, t| processor.post_message_with_transferable(m, t), "reader", channel.port1())?;
    Ok((reader, errors))
}

/// The streaming reader's worker, not yet connected (see [`start_reader`]).
fn spawn_reader() -> Result<web_sys::Worker, String> {
    let options = web_sys::WorkerOptions::new();
    options.set_type(web_sys::WorkerType::Module);
    web_sys::Worker::new_with_options(READER_URL, &options).map_err(|e| js_error("The streaming reader could not start", e))
}

impl LiveEngine {
    /// Seconds between the engine's rendering and the speakers: the context's base latency and
    /// its output latency, as the browser reports them (0 where it reports none).
    pub fn output_latency(&self) -> f64 {
        let read = |key: &str| js_sys::Reflect::get(&self.context, &JsValue::from_str(key)).ok().and_then(|v| v.as_f64()).filter(|v| v.is_finite() && *v >= 0.0).unwrap_or(0.0);
        read("baseLatency") + read("outputLatency")
    }

    /// Starts the engine, with no session yet ([`LiveEngine::reload`] gives it one): its audio
    /// output, its processor and its streaming reader — what takes time on a busy page, so it is
    /// started while a session's sources are prepared.
    pub async fn start(
        module: &EngineModule,
        sample_rate: u32,
        on_meters: impl Fn(MeterReading) + 'static,
        on_tap: impl Fn(Vec<f32>) + 'static,
        on_error: impl Fn(String) + 'static,
    ) -> Result<LiveEngine, String> {
        let reader = spawn_reader()?;
        let options = AudioContextOptions::new();
        options.set_sample_rate(sample_rate as f32);
        let context = AudioContext::new_with_context_options(&options)
            .map_err(|e| {
                reader.terminate();
                js_error("This browser cannot open an audio output", e)
            })?;
        mark("mixroom-engine-context");
        let node = match EngineNode::create(&context, module, true).await {
            Ok(node) => node,
            Err(e) => {
                reader.terminate();
                let _ = context.close();
                return Err(e);
            }
        };
        mark("mixroom-engine-processor");
        let on_error: Rc<dyn Fn(String)> = Rc::new(on_error);
        {
            let mut router = node.router.borrow_mut();
            router.on_meters = Some(Box::new(on_meters));
            router.on_tap = Some(Box::new(on_tap));
            let errors = on_error.clone();
            router.on_error = Some(Box::new(move |m| errors(m)));
        }
        let (reader, reader_errors) = start_reader(reader, &node, on_error)?;
        mark("mixroom-engine-reader");
        // (Silent until a session is loaded.)
        node.node
            .connect_with_audio_node(&context.destination())
            .map_err(|e| js_error("Could not connect the engine to the audio output", e))?;
        Ok(LiveEngine { context, node, reader, _reader_errors: reader_errors })
    }

    /// Starts playback (and the audio output, which browsers keep suspended until a user gesture).
    pub fn play(&self) {
        let _ = self.context.resume();
        self.node.post_fields(&[("type", "play".into())]);
    }

    pub fn stop(&self) {
        self.node.post_fields(&[("type", "stop".into())]);
    }

    /// Closes the audio output (a session at another rate starts its own).
    pub fn close(&self) {
        let _ = self.context.close();
        self.reader.terminate();
    }

    pub fn seek(&self, frame: u64) {
        self.node.post_fields(&[("type", "seek".into()), ("frame", JsValue::from_f64(frame as f64))]);
    }

    pub fn set(&self, change: ParamChange) {
        self.node.set(change);
    }

    /// The monitor path: what is heard (0 stereo, 1 mono, 2 side, 3 left, 4 right), its gain in dB
    /// and mute.
    pub fn set_monitor(&self, listen: u32, gain_db: f32, mute: bool) {
        self.node.post_fields(&[("type", "monitor".into()), ("listen", listen.into()), ("gain_db", gain_db.into()), ("mute", mute.into())]);
    }

    /// A playback-system simulation on the monitor, as its design's numbers
    /// (`Design::to_numbers`); empty for none.
    pub fn set_device(&self, design: &[f64]) {
        self.node.post_fields(&[("type", "device".into()), ("design", js_sys::Float64Array::from(design).into())]);
    }

    /// Shows the goniometer (the meters then carry the master's latest frames), or stops.
    pub fn set_scope(&self, on: bool) {
        self.node.post_fields(&[("type", "scope".into()), ("on", on.into())]);
    }

    /// Starts the master's loudness measurement afresh.
    pub fn reset_analysis(&self) {
        self.node.post_fields(&[("type", "reset-analysis".into())]);
    }

    /// A reference track on the monitor path: with `audio`, its samples (new), else the playing
    /// one's; following the song, or from `cue` looping over `section` (frames).
    pub fn set_reference(&self, audio: Option<&TrackAudio>, cue: Option<(u64, Option<(u64, u64)>)>) {
        let channels: JsValue = audio.map_or(JsValue::NULL, |a| a.iter().collect::<js_sys::Array>().into());
        let (cue_mode, cue, (loop_start, loop_end)) = match cue {
            Some((cue, section)) => (true, cue, section.unwrap_or((0, 0))),
            None => (false, 0, (0, 0)),
        };
        let number = |v: u64| JsValue::from_f64(v as f64);
        self.node.post_fields(&[("type", "reference".into()), ("channels", channels), ("cue_mode", cue_mode.into()), ("cue", number(cue)), ("loop_start", number(loop_start)), ("loop_end", number(loop_end))]);
    }

    /// Measures the loudness of a strip (engine id) from now, or of none.
    pub fn meter_strip(&self, strip: Option<usize>) {
        let strip = strip.map_or(-1.0, |s| s as f64);
        self.node.post_fields(&[("type", "meter-strip".into()), ("strip", JsValue::from_f64(strip))]);
    }

    /// No reference track on the monitor path.
    pub fn clear_reference(&self) {
        self.node.post_fields(&[("type", "no-reference".into())]);
    }

    /// The reference's loudness-matching gain, dB.
    pub fn set_reference_gain(&self, gain_db: f32) {
        self.node.post_fields(&[("type", "reference-gain".into()), ("gain_db", gain_db.into())]);
    }

    /// A/B: the monitor hears the reference (`true`) or the mix.
    pub fn listen_to_reference(&self, on: bool) {
        self.node.post_fields(&[("type", "listen-reference".into()), ("on", on.into())]);
    }

    /// Loudness matching measures afresh.
    pub fn reset_matching(&self) {
        self.node.post_fields(&[("type", "reset-matching".into())]);
    }

    /// The reference's latest samples as heard, to `on_samples` (while `on`).
    pub fn set_reference_tap(&self, on: bool, on_samples: impl Fn(Vec<f32>) + 'static) {
        self.node.router.borrow_mut().on_reference_tap = on.then(|| Box::new(on_samples) as Box<dyn Fn(Vec<f32>)>);
        self.node.post_fields(&[("type", "reference-tap".into()), ("on", on.into())]);
    }

    /// Taps a strip (engine id) for the spectrum display, or none.
    pub fn set_tap(&self, strip: Option<usize>) {
        let strip = strip.map_or(-1.0, |s| s as f64);
        self.node.post_fields(&[("type", "tap".into()), ("strip", JsValue::from_f64(strip))]);
    }

    pub fn apply(&self, edit: &EngineEdit) {
        self.node.apply(edit);
    }

    /// A structural edit: the session's new plan replaces the old one between two quanta.
    pub async fn update(&self, session_json: &str) -> Result<(), String> {
        self.node.update(session_json).await
    }

    /// Tracks added or removed: the processor gets the whole session and every track's audio again
    /// (playing on if it was).
    pub async fn reload(&self, session_json: &str, tracks: &[TrackAudio], how: &[TrackLoad], play: bool) -> Result<(), String> {
        self.node.load(session_json, tracks, how, play, None).await.map(|_| ())
    }

    /// Tracks moved (track `i` was `order[i]`): their audio follows them into the new plan.
    pub async fn reorder(&self, session_json: &str, order: &[usize]) -> Result<(), String> {
        self.node.reorder(session_json, order).await
    }
}
