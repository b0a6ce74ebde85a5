//! The final check: what a mastering engineer reads before a mix goes out. For now the master's
//! loudness to EBU R 128 (momentary, short-term, integrated, loudness range, maximum true peak
//! and the peak-to-loudness ratio) and its phase correlation, measured in the audio engine on
//! what the master plays (`mixroom-analysis`, through the `ebur128` crate) and shown here; and the
//! monitor — listen modes (mono, side, left, right), dim, mute, playback-system simulations
//! (phone, earbuds, car), "listen as normalized" by a streaming service — which acts on the
//! speakers only, never on an export.

use leptos::prelude::*;
use mixroom_analysis::streaming::{Source, SERVICES};
use mixroom_engine::DEVICES;

use crate::desk::desk;

/// A figure to one decimal (a loudness meter's resolution), or a dash where there is none.
fn figure(value: Option<f32>) -> String {
    value.map_or_else(|| "—".to_string(), |v| format!("{v:.1}"))
}

/// The master's loudness and correlation, always in view, with a Reset that starts the
/// integrated loudness, range and maximum true peak afresh (play the song from its start, then
/// read them).
#[component]
pub fn LoudnessMeter() -> impl IntoView {
    let desk = desk();
    let master = desk.meters.master;
    let reading = move |label: &'static str, name: &'static str, unit: &'static str, value: Signal<Option<f32>>| {
        view! {
            <span class="reading" title=format!("{name}, {unit}")>
                <span class="label" aria-hidden="true">{label}</span>
                <output aria-label=name>{move || figure(value.get())}</output>
            </span>
        }
    };
    let correlation = Signal::derive(move || master.with(|m| m.correlation));
    view! {
        <section class="loudness-meter" role="group" aria-label="Master loudness">
            {reading("M", "Momentary loudness", "LUFS", Signal::derive(move || master.with(|m| m.momentary)))}
            {reading("S", "Short-term loudness", "LUFS", Signal::derive(move || master.with(|m| m.short_term)))}
            {reading("I", "Integrated loudness", "LUFS", Signal::derive(move || master.with(|m| m.integrated)))}
            {reading("LRA", "Loudness range", "LU", Signal::derive(move || master.with(|m| m.range)))}
            {reading("TP", "Maximum true peak", "dBTP", Signal::derive(move || master.with(|m| m.true_peak)))}
            {reading("PLR", "Peak-to-loudness ratio", "LU", Signal::derive(move || master.with(|m| m.plr())))}
            <span class="reading correlation" title="Phase correlation: +1 mono, 0 wide, −1 out of phase">
                <span class="label" aria-hidden="true">"Corr"</span>
                <span class="correlation-scale" role="meter" aria-label="Phase correlation" aria-valuemin="-1" aria-valuemax="1"
                    aria-valuenow=move || format!("{:.2}", correlation.get())>
                    <span class="needle" class:negative=move || correlation.get() < 0.0
                        style:left=move || format!("{:.1}%", (correlation.get() + 1.0) * 50.0)></span>
                </span>
                <output aria-hidden="true">{move || format!("{:+.2}", correlation.get())}</output>
            </span>
            <button class="loudness-reset" title="Measure the integrated loudness, range and true peak afresh from now"
                on:click=move |_| {
                    desk.reset_analysis();
                    master.set(Default::default());
                }>"Reset"</button>
        </section>
    }
}

/// What the monitor plays (see `mixroom_dsp::monitor`), in the worklet's numbering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listen {
    Stereo = 0,
    Mono = 1,
    Side = 2,
    Left = 3,
    Right = 4,
}

impl Listen {
    const ALL: [Listen; 5] = [Listen::Stereo, Listen::Mono, Listen::Side, Listen::Left, Listen::Right];

    fn label(self) -> (&'static str, &'static str) {
        match self {
            Listen::Stereo => ("Stereo", "Listen in stereo"),
            Listen::Mono => ("Mono", "Listen to the mono sum"),
            Listen::Side => ("S", "Listen to the side signal only"),
            Listen::Left => ("L", "Listen to the left channel only"),
            Listen::Right => ("R", "Listen to the right channel only"),
        }
    }
}

/// How far the Dim button turns the monitor down, dB.
pub const DIM_DB: f32 = -20.0;

/// The monitor controls and the streaming preview: the listener's, not the mix's — never saved
/// with the session, never heard in an export. `Copy`: every field is a handle.
#[derive(Clone, Copy)]
pub struct FinalCheck {
    pub listen: RwSignal<Listen>,
    pub dim: RwSignal<bool>,
    pub mute: RwSignal<bool>,
    /// Listen as normalized by this service (an index into `SERVICES`), or as mixed.
    pub normalized: RwSignal<Option<usize>>,
    /// The playback system simulated (an index into the engine's `DEVICES`), or the speakers.
    pub device: RwSignal<Option<usize>>,
}

impl FinalCheck {
    pub fn new() -> FinalCheck {
        FinalCheck { listen: RwSignal::new(Listen::Stereo), dim: RwSignal::new(false), mute: RwSignal::new(false), normalized: RwSignal::new(None), device: RwSignal::new(None) }
    }

    /// The gain a service would play the mix at now (dB), from the master's integrated loudness
    /// and maximum true peak so far; 0 before there is an integrated loudness.
    pub fn service_gain(desk: crate::desk::Desk, service: usize) -> Option<f32> {
        let m = desk.meters.master.get();
        let s = SERVICES.get(service)?;
        m.integrated.map(|i| s.playback_gain(i as f64, m.true_peak.map(f64::from)) as f32)
    }

    /// Keeps the engine's monitor as the controls say: whenever one changes, and while listening
    /// as normalized, whenever the gain (to a tenth of a dB) does. Re-sent when the engine is
    /// (re)started.
    pub fn follow(self, desk: crate::desk::Desk) {
        let normalization = Memo::new(move |_| self.normalized.get().and_then(|s| FinalCheck::service_gain(desk, s)).map_or(0, |g| (g * 10.0).round() as i32));
        Effect::new(move |_| {
            let _ready = desk.ready.get();
            let gain = normalization.get() as f32 / 10.0 + if self.dim.get() { DIM_DB } else { 0.0 };
            desk.set_monitor(self.listen.get() as u32, gain, self.mute.get());
        });
        Effect::new(move |_| {
            let _ready = desk.ready.get();
            desk.set_device(self.device.get());
        });
    }
}

/// The monitor controls: listen mode, Dim, Mute, and "listen as normalized" by a streaming
/// service, with what each service would do to the mix.
#[component]
pub fn MonitorControls() -> impl IntoView {
    let desk = desk();
    let check = expect_context::<FinalCheck>();
    let modes = Listen::ALL
        .into_iter()
        .map(|mode| {
            let (text, name) = mode.label();
            view! {
                <button aria-label=name title=name aria-pressed=move || (check.listen.get() == mode).to_string()
                    on:click=move |_| check.listen.set(if check.listen.get_untracked() == mode { Listen::Stereo } else { mode })>{text}</button>
            }
        })
        .collect_view();
    let devices = DEVICES
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let name = format!("Hear the mix on a simulated {}", d.name.to_lowercase());
            view! {
                <button aria-label=name title=format!("{}: {}", d.name, d.source) aria-pressed=move || (check.device.get() == Some(i)).to_string()
                    on:click=move |_| check.device.update(|c| *c = if *c == Some(i) { None } else { Some(i) })>{d.name}</button>
            }
        })
        .collect_view();
    let toggle = |signal: RwSignal<bool>, text: &'static str, name: &'static str| {
        view! { <button aria-label=name title=name aria-pressed=move || signal.get().to_string() on:click=move |_| signal.update(|v| *v = !*v)>{text}</button> }
    };
    let rows = SERVICES
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let (label, source, read) = match s.source {
                Source::Official { reference, read } => ("official", reference, read),
                Source::Reported { reference, read } => ("reported", reference, read),
            };
            let gain = move || FinalCheck::service_gain(desk, i).map_or_else(|| "—".to_string(), |g| format!("{g:+.1} dB"));
            view! {
                <tr>
                    <th scope="row">{s.name}</th>
                    <td>{format!("{:.0} LUFS", s.target_lufs)}</td>
                    <td class="service-gain" aria-label=format!("{} plays this mix at", s.name)>{gain}</td>
                    <td title=format!("{source} (read {read})")>{format!("{label}, {read}")}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="monitor" role="group" aria-label="Monitor">
            <span class="listen" role="group" aria-label="Listen">{modes}</span>
            <span class="devices" role="group" aria-label="Playback system">{devices}</span>
            {toggle(check.dim, "Dim", "Dim the monitor by 20 dB")}
            {toggle(check.mute, "Mute", "Mute the monitor")}
            <select aria-label="Listen as normalized by" title="Play the mix at the level a streaming service would (the monitor only: exports are untouched)"
                on:change=move |ev| check.normalized.set(event_target_value(&ev).parse::<usize>().ok())>
                <option value="" selected=move || check.normalized.get().is_none()>"As mixed"</option>
                {SERVICES.iter().enumerate().map(|(i, s)| view! { <option value=i.to_string() selected=move || check.normalized.get() == Some(i)>{format!("As {} plays it", s.name)}</option> }).collect_view()}
            </select>
            <details class="streaming">
                <summary>"Streaming"</summary>
                <div class="popover">
                    <table aria-label="What the streaming services do to this mix">
                        <thead><tr><th scope="col">"Service"</th><th scope="col">"Target"</th><th scope="col">"Plays this mix at"</th><th scope="col">"Rule"</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                    <p class="note">"From the integrated loudness and true peak measured so far: play the whole song first. Only Spotify publishes its rules in full; hover a rule for its source."</p>
                </div>
            </details>
        </section>
    }
}
