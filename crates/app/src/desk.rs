//! The desk: the app's state (session, engine, meters, status) and the components that show it.

use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use js_sys::Float32Array;
use leptos::prelude::*;
use leptos::task::spawn_local;
use mixroom_engine::{MasterParam, ParamChange, TrackParam};
use mixroom_session::Session;

use crate::audio::{render_offline, EngineModule, LiveEngine, MeterReading, TrackAudio};
use crate::fader::{db_label, db_to_position, meter_fill, pan_label, peak_db, position_to_db, FADER_STEPS, METER_FLOOR_DB};
use crate::files;

/// How fast meters fall back after a peak, dB per meter reading (~30 readings a second: 24 dB/s).
const METER_FALL_DB: f32 = 0.8;

/// What the user is told about the state of the app.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    /// Work in progress, with a description.
    Busy(String),
    Ready,
    /// Something failed; the message says what and, where possible, what to do.
    Error(String),
}

/// The app's state. `Copy`: every field is a handle into Leptos' arena.
#[derive(Clone, Copy)]
pub struct Desk {
    pub session: RwSignal<Session>,
    pub status: RwSignal<Status>,
    /// Displayed meter levels, dBFS: master L/R, then L/R per track.
    pub meters: RwSignal<Vec<f32>>,
    /// Play position, frames.
    pub position: RwSignal<f64>,
    pub playing: RwSignal<bool>,
    pub ready: RwSignal<bool>,
    engine: StoredValue<Option<Rc<LiveEngine>>, LocalStorage>,
    module: StoredValue<Option<EngineModule>, LocalStorage>,
    /// Each track's audio as handed to the engine, kept for exports.
    audio: StoredValue<Vec<TrackAudio>, LocalStorage>,
}

impl Desk {
    pub fn new(session: Session) -> Desk {
        let meters = vec![METER_FLOOR_DB; 2 + 2 * session.tracks.len()];
        Desk {
            session: RwSignal::new(session),
            status: RwSignal::new(Status::Busy("Starting…".into())),
            meters: RwSignal::new(meters),
            position: RwSignal::new(0.0),
            playing: RwSignal::new(false),
            ready: RwSignal::new(false),
            engine: StoredValue::new_local(None),
            module: StoredValue::new_local(None),
            audio: StoredValue::new_local(Vec::new()),
        }
    }

    /// Prepares the session's audio and starts the engine with it, reporting progress.
    pub fn open_session(self) {
        spawn_local(async move {
            match self.start().await {
                Ok(()) => {
                    self.ready.set(true);
                    self.status.set(Status::Ready);
                }
                Err(message) => self.status.set(Status::Error(message)),
            }
        });
    }

    async fn start(self) -> Result<(), String> {
        let session = self.session.get_untracked();
        let module = EngineModule::load().await?;
        let mut tracks = Vec::with_capacity(session.tracks.len());
        for (i, track) in session.tracks.iter().enumerate() {
            self.status.set(Status::Busy(format!("Preparing the demo session: {} ({}/{})", track.name, i + 1, session.tracks.len())));
            // Let the page paint between stems: each takes a moment to synthesize.
            TimeoutFuture::new(0).await;
            let channels = session.render_source(i).map_err(|e| e.to_string())?;
            tracks.push(channels.iter().map(|c| Float32Array::from(c.as_slice())).collect::<TrackAudio>());
        }
        self.status.set(Status::Busy("Starting the audio engine…".into()));
        let engine = LiveEngine::start(
            &module,
            session.sample_rate,
            &tracks,
            session.length_frames(),
            &session.mix_changes(),
            move |reading| self.on_meters(reading),
            move |message| self.status.set(Status::Error(message)),
        )
        .await?;
        self.module.set_value(Some(module));
        self.audio.set_value(tracks);
        self.engine.set_value(Some(Rc::new(engine)));
        Ok(())
    }

    fn on_meters(self, reading: MeterReading) {
        self.position.set(reading.position);
        self.playing.set(reading.playing);
        self.meters.update(|shown| {
            shown.resize(reading.levels.len(), METER_FLOOR_DB);
            for (shown, &peak) in shown.iter_mut().zip(&reading.levels) {
                *shown = peak_db(peak).max(*shown - METER_FALL_DB);
            }
        });
    }

    fn with_engine(self, f: impl FnOnce(&LiveEngine)) {
        if let Some(engine) = self.engine.get_value() {
            f(&engine);
        }
    }

    pub fn play(self) {
        self.with_engine(LiveEngine::play);
        self.playing.set(true);
    }

    pub fn stop(self) {
        self.with_engine(LiveEngine::stop);
    }

    /// Stops and returns to the session start.
    pub fn rewind(self) {
        self.with_engine(|e| e.seek(0));
        self.position.set(0.0);
    }

    /// Changes a track setting in the session and in the engine.
    pub fn set_track(self, track: usize, param: TrackParam, value: f32) {
        self.session.update(|s| {
            if let Some(t) = s.tracks.get_mut(track) {
                match param {
                    TrackParam::Trim => t.trim_db = value,
                    TrackParam::Fader => t.fader_db = value,
                    TrackParam::Pan => t.pan = value,
                    TrackParam::Mute => t.mute = value >= 0.5,
                    TrackParam::Solo => t.solo = value >= 0.5,
                    TrackParam::Polarity => t.polarity_inverted = value >= 0.5,
                    TrackParam::SoloSafe => {}
                }
            }
        });
        self.with_engine(|e| e.set(ParamChange::Track(track, param, value)));
    }

    /// Changes a master setting in the session and in the engine.
    pub fn set_master(self, param: MasterParam, value: f32) {
        self.session.update(|s| match param {
            MasterParam::Fader => s.master.fader_db = value,
        });
        self.with_engine(|e| e.set(ParamChange::Master(param, value)));
    }

    /// Renders the mix offline with the same engine and offers it as a 32-bit float WAV.
    pub fn export_mix(self) {
        let (Some(module), session) = (self.module.get_value(), self.session.get_untracked()) else { return };
        let tracks = self.audio.get_value();
        self.status.set(Status::Busy("Exporting the mix…".into()));
        spawn_local(async move {
            let result = async {
                let [left, right] =
                    render_offline(&module, session.sample_rate, &tracks, session.length_frames(), &session.mix_changes()).await?;
                let wav = files::wav_f32(session.sample_rate, &left, &right)?;
                files::download(&wav, &format!("{} mix.wav", files::file_stem(&session.name)), "audio/wav")
            }
            .await;
            self.status.set(match result {
                Ok(()) => Status::Ready,
                Err(message) => Status::Error(format!("The export failed: {message}")),
            });
        });
    }

    /// Offers the session as a session file.
    pub fn save_session(self) {
        let session = self.session.get_untracked();
        let name = format!("{}.mixroom.json", files::file_stem(&session.name));
        if let Err(message) = files::download(session.to_json().as_bytes(), &name, "application/json") {
            self.status.set(Status::Error(message));
        }
    }
}

fn desk() -> Desk {
    expect_context::<Desk>()
}

/// Play position as minutes:seconds.milliseconds and bars|beats.
fn position_labels(frames: f64, sample_rate: u32, tempo_bpm: f64) -> (String, String) {
    let seconds = frames / sample_rate.max(1) as f64;
    let clock = format!("{}:{:06.3}", (seconds / 60.0).floor() as u64, seconds % 60.0);
    let beats = seconds * tempo_bpm / 60.0;
    let bars_beats = format!("{}|{}", (beats / 4.0).floor() as u64 + 1, (beats % 4.0).floor() as u64 + 1);
    (clock, bars_beats)
}

/// Play, Stop, return to start, the position, and the file actions.
#[component]
pub fn Transport() -> impl IntoView {
    let desk = desk();
    let not_ready = move || !desk.ready.get();
    let labels = move || {
        let (rate, tempo) = desk.session.with(|s| (s.sample_rate, s.tempo_bpm));
        position_labels(desk.position.get(), rate, tempo)
    };
    view! {
        <div class="transport" role="toolbar" aria-label="Transport">
            <button class="rewind" aria-label="Return to start" title="Return to start (Home)" disabled=not_ready on:click=move |_| desk.rewind()>
                <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true"><rect x="2" y="3" width="2" height="10" fill="currentColor"/><path d="M14 3v10L5 8z" fill="currentColor"/></svg>
            </button>
            <button class="play" class:active=move || desk.playing.get() disabled=not_ready on:click=move |_| desk.play()>"Play"</button>
            <button class="stop" disabled=not_ready on:click=move |_| desk.stop()>"Stop"</button>
            <output class="clock" aria-label="Position">
                <span class="time">{move || labels().0}</span>
                <span class="bars">{move || labels().1}</span>
            </output>
        </div>
        <div class="file-actions">
            <button disabled=not_ready on:click=move |_| desk.save_session()>"Save session"</button>
            <button disabled=not_ready on:click=move |_| desk.export_mix()>"Export mix"</button>
        </div>
    }
}

/// Progress and errors, announced to screen readers.
#[component]
pub fn StatusLine() -> impl IntoView {
    let desk = desk();
    move || match desk.status.get() {
        Status::Busy(message) => view! { <p class="status busy" role="status">{message}</p> }.into_any(),
        Status::Ready => view! { <p class="status" role="status"></p> }.into_any(),
        Status::Error(message) => view! { <p class="status error" role="alert">{message}</p> }.into_any(),
    }
}

/// A vertical peak meter for one or two sides.
#[component]
fn Meter(label: String, left: usize, right: usize) -> impl IntoView {
    let desk = desk();
    let level = move |i: usize| desk.meters.with(|m| m.get(i).copied().unwrap_or(METER_FLOOR_DB));
    let loudest = move || level(left).max(level(right));
    view! {
        <div class="meter" role="meter" aria-label=label aria-valuemin=METER_FLOOR_DB aria-valuemax=6
             aria-valuenow=move || format!("{:.1}", loudest())>
            <div class="bar" style:height=move || format!("{:.1}%", meter_fill(level(left)) * 100.0)></div>
            <div class="bar" style:height=move || format!("{:.1}%", meter_fill(level(right)) * 100.0)></div>
        </div>
    }
}

/// A fader: a vertical range control on the console's fader law.
#[component]
fn Fader(label: String, db: Signal<f32>, on_change: impl Fn(f32) + Clone + 'static) -> impl IntoView {
    let position = move || (db_to_position(db.get()) * FADER_STEPS as f32).round().to_string();
    let on_input = on_change.clone();
    view! {
        <input type="range" class="fader" min="0" max=FADER_STEPS step="1"
            aria-label=label aria-orientation="vertical"
            aria-valuetext=move || db_label(db.get())
            prop:value=position
            on:input=move |ev| {
                let steps: f32 = event_target_value(&ev).parse().unwrap_or(0.0);
                on_input(position_to_db(steps / FADER_STEPS as f32));
            }
            on:dblclick=move |_| on_change(0.0)
        />
        <span class="fader-value">{move || db_label(db.get())}</span>
    }
}

/// One channel strip: name, pan, mute/solo, meter and fader.
#[component]
fn TrackStrip(index: usize, name: String) -> impl IntoView {
    let desk = desk();
    let track = move |f: fn(&mixroom_session::Track) -> f32| desk.session.with(move |s| s.tracks.get(index).map_or(0.0, f));
    let fader_db = Signal::derive(move || track(|t| t.fader_db));
    let pan = move || track(|t| t.pan);
    let muted = move || track(|t| t.mute as u8 as f32) > 0.5;
    let soloed = move || track(|t| t.solo as u8 as f32) > 0.5;
    view! {
        <div class="strip" role="group" aria-label=name.clone()>
            <div class="strip-name" title=name.clone()>{name.clone()}</div>
            <input type="range" class="pan" min="-100" max="100" step="1"
                aria-label=format!("{name} pan")
                aria-valuetext=move || pan_label(pan())
                prop:value=move || (pan() * 100.0).round().to_string()
                on:input=move |ev| {
                    let v: f32 = event_target_value(&ev).parse().unwrap_or(0.0);
                    desk.set_track(index, TrackParam::Pan, v / 100.0);
                }
                on:dblclick=move |_| desk.set_track(index, TrackParam::Pan, 0.0)
            />
            <span class="pan-value">{move || pan_label(pan())}</span>
            <div class="mute-solo">
                <button class="mute" class:on=muted aria-label=format!("Mute {name}") aria-pressed=move || muted().to_string()
                    on:click=move |_| desk.set_track(index, TrackParam::Mute, if muted() { 0.0 } else { 1.0 })>"M"</button>
                <button class="solo" class:on=soloed aria-label=format!("Solo {name}") aria-pressed=move || soloed().to_string()
                    on:click=move |_| desk.set_track(index, TrackParam::Solo, if soloed() { 0.0 } else { 1.0 })>"S"</button>
            </div>
            <div class="fader-meter">
                <Meter label=format!("{name} peak") left=2 + 2 * index right=3 + 2 * index />
                <Fader label=format!("{name} volume") db=fader_db
                    on_change=move |db| desk.set_track(index, TrackParam::Fader, db) />
            </div>
        </div>
    }
}

/// The console: one strip per track, then the master.
#[component]
pub fn Console() -> impl IntoView {
    let desk = desk();
    let names = move || desk.session.with(|s| s.tracks.iter().map(|t| t.name.clone()).enumerate().collect::<Vec<_>>());
    let master_db = Signal::derive(move || desk.session.with(|s| s.master.fader_db));
    view! {
        <section class="console" aria-label="Mixer">
            <For each=names key=|(i, name)| (*i, name.clone()) let:((index, name))>
                <TrackStrip index=index name=name />
            </For>
            <div class="strip master" role="group" aria-label="Master">
                <div class="strip-name">"Master"</div>
                <div class="fader-meter">
                    <Meter label="Master peak".to_owned() left=0 right=1 />
                    <Fader label="Master volume".to_owned() db=master_db
                        on_change=move |db| desk.set_master(MasterParam::Fader, db) />
                </div>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn position_is_shown_as_clock_and_bars() {
        // 96 BPM: a beat is 0.625 s, a bar 2.5 s.
        assert_eq!(position_labels(0.0, 48_000, 96.0), ("0:00.000".to_owned(), "1|1".to_owned()));
        assert_eq!(position_labels(48_000.0 * 2.5, 48_000, 96.0).1, "2|1");
        assert_eq!(position_labels(48_000.0 * 63.25, 48_000, 96.0).0, "1:03.250");
    }
}
