//! The final check: what a mastering engineer reads before a mix goes out. For now the master's
//! loudness to EBU R 128 (momentary, short-term, integrated, loudness range, maximum true peak
//! and the peak-to-loudness ratio) and its phase correlation, measured in the audio engine on
//! what the master plays (`mixroom-analysis`, through the `ebur128` crate) and shown here; and the
//! monitor — listen modes (mono, side, left, right), dim, mute, playback-system simulations
//! (phone, laptop, earbuds, car, TV), "listen as normalized" by a streaming service — which acts on the
//! speakers only, never on an export.

use leptos::prelude::*;
use mixroom_analysis::streaming::{Source, SERVICES};
use mixroom_engine::{Design, Listen, DEVICES};

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
    let check = expect_context::<FinalCheck>();
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
                    desk.with_engine(|e| e.reset_analysis());
                    master.set(Default::default());
                    check.history.update(LoudnessHistory::clear);
                }>"Reset"</button>
            <HistoryGraph />
        </section>
    }
}

/// The loudness of one strip, on demand (in its inspector): after its inserts and before its
/// fader, as a loudness meter inserted last on the strip reads it — momentary, short-term,
/// integrated, range and true peak, measured in the audio engine from when it is switched on (or
/// reset) while the transport runs.
#[component]
pub fn StripLoudnessMeter(strip: mixroom_session::StripRef, name: String) -> impl IntoView {
    let desk = desk();
    let check = expect_context::<FinalCheck>();
    let on = check.strip_meter;
    let id = Memo::new(move |_| desk.session.with(|s| s.strip_id(strip)));
    let restart = move || {
        let id = on.get_untracked().then(|| id.get_untracked());
        desk.with_engine(|e| e.meter_strip(id));
    };
    Effect::new(move |_| {
        let (_ready, _on, _id) = (desk.ready.get(), on.get(), id.get());
        restart();
    });
    on_cleanup(move || desk.with_engine(|e| e.meter_strip(None)));
    let loudness = desk.meters.master;
    let (measure, reset) = (format!("Measure {name} loudness"), format!("Reset {name} loudness"));
    let reading = move |label: &'static str, what: &'static str, unit: &'static str, value: fn(&mixroom_analysis::LiveLoudness) -> Option<f64>| {
        let name = format!("{name} {what}");
        view! {
            <span class="reading" title=format!("{what}, {unit}")>
                <span class="label" aria-hidden="true">{label}</span>
                <output aria-label=name>{move || figure(loudness.with(|m| value(&m.strip).map(|v| v as f32)))}</output>
            </span>
        }
    };
    view! {
        <section class="strip-loudness">
            <h3>"Loudness"</h3>
            <div class="row">
                <button aria-label=measure aria-pressed=move || on.get().to_string() title="Measure this strip's loudness (after its inserts, before its fader) while the song plays"
                    on:click=move |_| on.update(|v| *v = !*v)>"Measure"</button>
                <button aria-label=reset title="Measure afresh from now" disabled=move || !on.get() on:click=move |_| restart()>"Reset"</button>
            </div>
            <div class="loudness-readings" hidden=move || !on.get()>
                {reading("M", "momentary loudness", "LUFS", |l| l.momentary)}
                {reading("S", "short-term loudness", "LUFS", |l| l.short_term)}
                {reading("I", "integrated loudness", "LUFS", |l| l.integrated)}
                {reading("LRA", "loudness range", "LU", |l| l.range)}
                {reading("TP", "maximum true peak", "dBTP", |l| l.true_peak)}
            </div>
        </section>
    }
}

/// A listen mode's button: its text and its accessible name.
fn listen_label(mode: Listen) -> (&'static str, &'static str) {
    match mode {
        Listen::Stereo => ("Stereo", "Listen in stereo"),
        Listen::Mono => ("Mono", "Listen to the mono sum"),
        Listen::Side => ("S", "Listen to the side signal only"),
        Listen::Left => ("L", "Listen to the left channel only"),
        Listen::Right => ("R", "Listen to the right channel only"),
    }
}

/// The master's loudness over the song: short-term and momentary loudness at each tenth of a
/// second of song time that has played (what plays again replaces what played there before).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoudnessHistory {
    /// (tenth of a second of the song, short-term LUFS, momentary LUFS), in song order.
    points: Vec<(u32, Option<f32>, Option<f32>)>,
}

impl LoudnessHistory {
    /// Notes a reading heard at `seconds` of the song.
    pub fn record(&mut self, seconds: f64, short_term: Option<f32>, momentary: Option<f32>) {
        if !(seconds.is_finite() && seconds >= 0.0) || (short_term.is_none() && momentary.is_none()) {
            return;
        }
        let tenth = (seconds * 10.0).min(u32::MAX as f64) as u32;
        match self.points.binary_search_by_key(&tenth, |p| p.0) {
            Ok(i) => self.points[i] = (tenth, short_term, momentary),
            Err(i) => self.points.insert(i, (tenth, short_term, momentary)),
        }
    }

    pub fn clear(&mut self) {
        self.points.clear();
    }

    pub fn points(&self) -> &[(u32, Option<f32>, Option<f32>)] {
        &self.points
    }

    /// In words, for the graph's accessible name: the short-term range and where it was loudest.
    pub fn summary(&self) -> String {
        let st: Vec<(u32, f32)> = self.points.iter().filter_map(|&(t, s, _)| s.map(|s| (t, s))).collect();
        let Some(&(loudest_at, loudest)) = st.iter().max_by(|a, b| a.1.total_cmp(&b.1)) else {
            return "Loudness history: nothing measured yet".to_string();
        };
        let quietest = st.iter().map(|p| p.1).fold(f32::INFINITY, f32::min);
        format!(
            "Loudness history: short-term {quietest:.1} to {loudest:.1} LUFS, loudest at {}",
            clock(loudest_at as f64 / 10.0)
        )
    }
}

/// m:ss.
fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0) as u64;
    format!("{}:{:02}", s / 60, s % 60)
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
    /// The master's loudness over the song (cleared by the meter's Reset).
    pub history: RwSignal<LoudnessHistory>,
    /// The spectrum's slope compensation, dB per octave about 1 kHz (0, 3 or 4.5: pink noise,
    /// or a typical mix, then reads flat).
    pub slope: RwSignal<f32>,
    /// A frozen snapshot of the master's spectrum, to compare against (dBFS at the display points).
    pub snapshot: RwSignal<Option<Vec<f32>>>,
    /// The selected strip's loudness is measured (its meter shown in the inspector).
    pub strip_meter: RwSignal<bool>,
}

impl FinalCheck {
    pub fn new() -> FinalCheck {
        FinalCheck { listen: RwSignal::new(Listen::Stereo), dim: RwSignal::new(false), mute: RwSignal::new(false), normalized: RwSignal::new(None), device: RwSignal::new(None), history: RwSignal::new(LoudnessHistory::default()), slope: RwSignal::new(0.0), snapshot: RwSignal::new(None), strip_meter: RwSignal::new(false) }
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
            let (listen, mute) = (self.listen.get().index(), self.mute.get());
            desk.with_engine(|e| e.set_monitor(listen, gain, mute));
        });
        // A device's design (a fit of tens of milliseconds) is made here, on the main thread, once
        // per device and sample rate; the worklet builds its filters from the numbers.
        let designs: StoredValue<Vec<((usize, u32), Vec<f64>)>> = StoredValue::new(Vec::new());
        // (The rate through a memo: an edit of the session must not hand the engine the device
        // again — every new device fades the sound out and in.)
        let rate = Memo::new(move |_| desk.session.with(|s| s.sample_rate));
        Effect::new(move |_| {
            let _ready = desk.ready.get();
            let rate = rate.get();
            let design = self.device.get().and_then(|i| {
                let device = DEVICES.get(i)?;
                let known = designs.with_value(|d| d.iter().find(|(k, _)| *k == (i, rate)).map(|(_, n)| n.clone()));
                Some(known.unwrap_or_else(|| {
                    let numbers = Design::new(device, rate as f64).to_numbers(device.mono);
                    designs.update_value(|d| d.push(((i, rate), numbers.clone())));
                    numbers
                }))
            });
            desk.with_engine(|e| e.set_device(design.as_deref().unwrap_or(&[])));
        });
        // Each reading heard while playing goes into the history, at the song time it was heard.
        Effect::new(move |_| {
            let m = desk.meters.master.get();
            if desk.playing.get_untracked() {
                let rate = desk.session.with_untracked(|s| s.sample_rate) as f64;
                let seconds = desk.position.get_untracked() / rate.max(1.0);
                self.history.update(|h| h.record(seconds, m.short_term, m.momentary));
            }
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
            let (text, name) = listen_label(mode);
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
            // In a sentence: "phone speaker", "laptop", but "TV".
            let spoken = if d.name.chars().nth(1).is_some_and(char::is_uppercase) { d.name.to_owned() } else { d.name.to_lowercase() };
            let name = format!("Hear the mix on a simulated {spoken}");
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
            <MasterSpectrum />
            <details class="streaming" name="final-check-panel">
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

/// Loudness units shown by the history graph, bottom to top.
const HISTORY_FLOOR_LUFS: f32 = -40.0;
const HISTORY_TOP_LUFS: f32 = 0.0;

/// The loudness history over the song, drawn small: short-term (solid) over momentary (faint),
/// −40 … 0 LUFS, the song's length across. Redrawn when a reading arrives.
#[component]
fn HistoryGraph() -> impl IntoView {
    let desk = desk();
    let check = expect_context::<FinalCheck>();
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let (width, height) = (180u32, 28u32);
    Effect::new(move |_| {
        let length_s = desk.session.with(|s| s.length_frames() as f64 / s.sample_rate.max(1) as f64).max(1.0);
        check.history.with(|h| {
            let Some(canvas) = canvas.get() else { return };
            let Some(ctx) = crate::view::canvas_context(&canvas) else { return };
            let (w, hgt) = (width as f64, height as f64);
            ctx.set_fill_style_str("#0b0c0e");
            ctx.fill_rect(0.0, 0.0, w, hgt);
            let y = |lufs: f32| hgt * (1.0 - ((lufs - HISTORY_FLOOR_LUFS) / (HISTORY_TOP_LUFS - HISTORY_FLOOR_LUFS)).clamp(0.0, 1.0) as f64);
            // −14 and −23 LUFS: the streaming and the broadcast reference levels.
            ctx.set_fill_style_str("#343a44");
            for lufs in [-14.0, -23.0] {
                ctx.fill_rect(0.0, y(lufs), w, 1.0);
            }
            for (momentary, colour, alpha) in [(true, "#4fb3ff", 0.35), (false, "#4fb3ff", 1.0)] {
                ctx.set_stroke_style_str(colour);
                ctx.set_global_alpha(alpha);
                ctx.begin_path();
                // One point per pixel column (the loudest reading in it): a long song draws no
                // more than a short one.
                let mut column: Option<(i64, f32)> = None;
                let mut drawing = false;
                let plot = |col: i64, v: f32, drawing: &mut bool| {
                    if *drawing {
                        ctx.line_to(col as f64, y(v));
                    } else {
                        ctx.move_to(col as f64, y(v));
                        *drawing = true;
                    }
                };
                for &(tenth, st, m) in h.points() {
                    let Some(v) = (if momentary { m } else { st }) else {
                        if let Some((c, v)) = column.take() {
                            plot(c, v, &mut drawing);
                        }
                        drawing = false;
                        continue;
                    };
                    let col = (w * (tenth as f64 / 10.0 / length_s).min(1.0)) as i64;
                    column = match column {
                        Some((c, u)) if c == col => Some((c, u.max(v))),
                        Some((c, u)) => {
                            plot(c, u, &mut drawing);
                            Some((col, v))
                        }
                        None => Some((col, v)),
                    };
                }
                if let Some((c, v)) = column {
                    plot(c, v, &mut drawing);
                }
                ctx.stroke();
            }
            ctx.set_global_alpha(1.0);
        });
    });
    view! {
        <canvas node_ref=canvas class="loudness-history" width=width height=height role="img"
            aria-label=move || check.history.with(LoudnessHistory::summary)
            title="Loudness over the song: short-term (solid) and momentary (faint), −40 to 0 LUFS; lines at −14 and −23 LUFS"></canvas>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn the_history_keeps_one_reading_per_tenth_of_a_second_in_song_order() {
        let mut h = LoudnessHistory::default();
        h.record(2.0, Some(-20.0), Some(-18.0));
        h.record(0.5, Some(-30.0), None);
        h.record(2.04, Some(-21.0), Some(-19.0));
        // Played again: the new reading replaces the old one there.
        h.record(0.55, Some(-25.0), Some(-24.0));
        h.record(f64::NAN, Some(-1.0), None);
        h.record(3.0, None, None);
        assert_eq!(h.points(), &[(5, Some(-25.0), Some(-24.0)), (20, Some(-21.0), Some(-19.0))]);
        assert_eq!(h.summary(), "Loudness history: short-term -25.0 to -21.0 LUFS, loudest at 0:02");
        h.clear();
        assert_eq!(h.summary(), "Loudness history: nothing measured yet");
    }

    #[wasm_bindgen_test]
    fn the_side_share_reads_mono_inverted_and_unrelated() {
        let noise: Vec<f32> = (0..1024u32).map(|i| ((i.wrapping_mul(2_654_435_761) >> 8) as f32 / (1u32 << 24) as f32) - 0.5).collect();
        let interleave = |l: &[f32], r: &[f32]| l.iter().zip(r).flat_map(|(a, b)| [*a, *b]).collect::<Vec<f32>>();
        let inverted: Vec<f32> = noise.iter().map(|x| -x).collect();
        let other: Vec<f32> = noise.iter().rev().copied().collect();
        assert!(side_share(&interleave(&noise, &noise)).unwrap().0 < 1e-6);
        assert!(side_share(&interleave(&noise, &inverted)).unwrap().0 > 1.0 - 1e-6);
        let unrelated = side_share(&interleave(&noise, &other)).unwrap().0;
        assert!((unrelated - 0.5).abs() < 0.1, "{unrelated}");
        assert_eq!(side_share(&[0.0; 8]), None);
    }
}

/// Levels the master's spectrum spans below 0 dBFS.
const MASTER_SPECTRUM_RANGE_DB: f64 = 100.0;

/// The master's spectrum, in a panel of its own: smoothing (none, 1/6 or 1/3 octave), slope
/// compensation (0, 3 or 4.5 dB per octave about 1 kHz), peak hold, and a frozen snapshot to
/// compare against. While open, the engine taps the master.
#[component]
fn MasterSpectrum() -> impl IntoView {
    use crate::meters::{SPECTRUM_HIGH_HZ, SPECTRUM_LOW_HZ};
    let desk = desk();
    let check = expect_context::<FinalCheck>();
    let meters = desk.meters;
    let open = RwSignal::new(false);
    Effect::new(move |was: Option<bool>| {
        let now = open.get();
        match (was.unwrap_or(false), now) {
            (false, true) => meters.master_views.update(|n| *n += 1),
            (true, false) => meters.master_views.update(|n| *n = n.saturating_sub(1)),
            _ => {}
        }
        now
    });
    // The goniometer's frames come with the meters while the panel is open (and again after the
    // engine restarts).
    Effect::new(move |_| {
        let (on, _ready) = (open.get(), desk.ready.get());
        desk.with_engine(|e| e.set_scope(on));
        if !on {
            meters.scope.set(Vec::new());
        }
    });
    on_cleanup(move || {
        if open.get_untracked() {
            meters.master_views.update(|n| *n = n.saturating_sub(1));
        }
    });
    let refs = expect_context::<crate::references::References>();
    let with_reference = Memo::new(move |_| refs.selected.get().is_some());
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let (width, height) = (480u32, 180u32);
    Effect::new(move |_| {
        let slope = check.slope.get() as f64;
        let snapshot = check.snapshot.get();
        let peak = meters.spectrum_peak.get();
        let reference = with_reference.get().then(|| refs.spectrum.get());
        meters.spectrum.with(|levels| {
            let Some(canvas) = canvas.get() else { return };
            let Some(ctx) = crate::view::canvas_context(&canvas) else { return };
            let (w, h) = (width as f64, height as f64);
            ctx.set_fill_style_str("#0b0c0e");
            ctx.fill_rect(0.0, 0.0, w, h);
            let last = levels.len().saturating_sub(1).max(1) as f64;
            let freq = |i: usize| SPECTRUM_LOW_HZ as f64 * (SPECTRUM_HIGH_HZ as f64 / SPECTRUM_LOW_HZ as f64).powf(i as f64 / last);
            // Compensated: a spectrum falling at `slope` dB per octave reads flat.
            let y = |i: usize, db: f32| h * (-(db as f64 + slope * (freq(i) / 1_000.0).log2()) / MASTER_SPECTRUM_RANGE_DB).clamp(0.0, 1.0);
            ctx.set_fill_style_str("#343a44");
            for f in [100.0f64, 1_000.0, 10_000.0] {
                let x = w * (f / SPECTRUM_LOW_HZ as f64).ln() / (SPECTRUM_HIGH_HZ as f64 / SPECTRUM_LOW_HZ as f64).ln();
                ctx.fill_rect(x, 0.0, 1.0, h);
            }
            let line = |values: &[f32], colour: &str, width: f64, fill: bool| {
                ctx.begin_path();
                if fill {
                    ctx.move_to(0.0, h);
                }
                for (i, &db) in values.iter().enumerate() {
                    let x = w * i as f64 / last;
                    if i == 0 && !fill {
                        ctx.move_to(x, y(i, db));
                    } else {
                        ctx.line_to(x, y(i, db));
                    }
                }
                if fill {
                    ctx.line_to(w, h);
                    ctx.close_path();
                    ctx.set_fill_style_str("rgba(90, 150, 210, 0.28)");
                    ctx.fill();
                }
                ctx.set_stroke_style_str(colour);
                ctx.set_line_width(width);
                ctx.stroke();
            };
            line(levels, "rgba(140, 190, 240, 0.8)", 1.5, true);
            // The compensated levels at three frequencies, for those who read rather than see.
            for (f, name) in [(100.0f64, "at-100hz"), (1_000.0, "at-1khz"), (5_000.0, "at-5khz")] {
                let i = ((f / SPECTRUM_LOW_HZ as f64).ln() / (SPECTRUM_HIGH_HZ as f64 / SPECTRUM_LOW_HZ as f64).ln() * last).round() as usize;
                let compensated = |db: f32| format!("{:.1}", db as f64 + slope * (freq(i) / 1_000.0).log2());
                if let Some(&db) = levels.get(i) {
                    let _ = canvas.set_attribute(&format!("data-{name}"), &compensated(db));
                }
                match reference.as_ref().and_then(|r| r.get(i)) {
                    Some(&db) => canvas.set_attribute(&format!("data-reference-{name}"), &compensated(db)),
                    None => canvas.remove_attribute(&format!("data-reference-{name}")),
                }
                .ok();
            }
            if let Some(reference) = &reference {
                // The reference as heard (matched), over the mix: the two with the same smoothing.
                line(reference, "rgba(236, 112, 160, 0.9)", 1.5, false);
            }
            line(&peak, "rgba(242, 178, 51, 0.7)", 1.0, false);
            if let Some(frozen) = &snapshot {
                line(frozen, "rgba(230, 232, 235, 0.85)", 1.0, false);
            }
        });
    });
    let option = |value: &'static str, label: &'static str, selected: Signal<bool>| view! { <option value=value selected=move || selected.get()>{label}</option> };
    view! {
        <details class="analyser" name="final-check-panel" on:toggle=move |ev| {
            let el: web_sys::HtmlDetailsElement = event_target(&ev);
            open.set(el.open());
        }>
            <summary>"Spectrum"</summary>
            <div class="popover">
                <div class="analyser-views">
                    <canvas node_ref=canvas class="master-spectrum" width=width height=height role="img" aria-label="Master spectrum"
                        title="The master's spectrum (blue), its peaks (amber), the frozen snapshot (white) and the reference as heard (pink), 20 Hz to 20 kHz, 0 to −100 dBFS"></canvas>
                    <Goniometer />
                </div>
                <BandDifferences />
                <div class="analyser-options">
                    <select aria-label="Spectrum smoothing" on:change=move |ev| {
                        meters.smoothing.set(event_target_value(&ev).parse::<f32>().ok());
                        meters.spectrum_peak.set(vec![mixroom_dsp::spectrum::FLOOR_DB; crate::meters::SPECTRUM_POINTS]);
                    }>
                        {option("", "Peaks per point", Signal::derive(move || meters.smoothing.get().is_none()))}
                        {option("6", "1/6 octave", Signal::derive(move || meters.smoothing.get() == Some(6.0)))}
                        {option("3", "1/3 octave", Signal::derive(move || meters.smoothing.get() == Some(3.0)))}
                    </select>
                    <select aria-label="Spectrum slope" on:change=move |ev| check.slope.set(event_target_value(&ev).parse().unwrap_or(0.0))>
                        {option("0", "No slope", Signal::derive(move || check.slope.get() == 0.0))}
                        {option("3", "+3 dB/oct", Signal::derive(move || check.slope.get() == 3.0))}
                        {option("4.5", "+4.5 dB/oct", Signal::derive(move || check.slope.get() == 4.5))}
                    </select>
                    <button aria-pressed=move || check.snapshot.with(Option::is_some).to_string()
                        title="Freeze the spectrum as it is now, to compare against"
                        on:click=move |_| {
                            let now = meters.spectrum.get_untracked();
                            check.snapshot.update(|s| *s = if s.is_some() { None } else { Some(now) });
                        }>"Freeze"</button>
                    <button title="Clear the held peaks" on:click=move |_| meters.spectrum_peak.set(vec![mixroom_dsp::spectrum::FLOOR_DB; crate::meters::SPECTRUM_POINTS])>"Clear peaks"</button>
                </div>
            </div>
        </details>
    }
}

/// The reference's level less the mix's, octave band by octave band (both as heard, the reference
/// matched): where the mix is thinner or heavier than the record it is compared with.
#[component]
fn BandDifferences() -> impl IntoView {
    use crate::references::{band_differences, References, BANDS_HZ};
    let desk = desk();
    let refs = expect_context::<References>();
    let points = mixroom_dsp::spectrum::log_points(crate::meters::SPECTRUM_LOW_HZ, crate::meters::SPECTRUM_HIGH_HZ, crate::meters::SPECTRUM_POINTS);
    let differences = Memo::new(move |_| {
        // To a tenth of a dB: the row is drawn again only when a figure changes.
        let d = desk.meters.spectrum.with(|mix| refs.spectrum.with(|r| band_differences(&points, mix, r)));
        d.into_iter().map(|d| d.map(|d| (d * 10.0).round() as i32)).collect::<Vec<_>>()
    });
    let band = |hz: f32| if hz >= 1_000.0 { format!("{}k", hz / 1_000.0) } else { format!("{hz}") };
    view! {
        <table class="band-differences" hidden=move || refs.selected.with(Option::is_none)>
            <caption>"Reference less mix, dB per octave band"</caption>
            <tr>{BANDS_HZ.iter().map(|&hz| view! { <th scope="col">{band(hz)}</th> }).collect_view()}</tr>
            <tr>{(0..BANDS_HZ.len()).map(|k| view! {
                <td aria-label=format!("{} Hz", BANDS_HZ[k])>{move || differences.with(|d| d[k].map_or_else(|| "—".to_owned(), |v| format!("{:+.1}", v as f32 / 10.0)))}</td>
            }).collect_view()}</tr>
        </table>
    }
}

/// The side signal's share of the energy of interleaved stereo frames (0: mono, 1: all side —
/// one channel the other inverted; 0.5: unrelated channels), and the largest |mid| or |side|.
pub fn side_share(frames: &[f32]) -> Option<(f32, f32)> {
    let (mut mid, mut side, mut largest) = (0.0f64, 0.0f64, 0.0f32);
    for pair in frames.chunks_exact(2) {
        let (m, s) = ((pair[0] + pair[1]) * core::f32::consts::FRAC_1_SQRT_2, (pair[0] - pair[1]) * core::f32::consts::FRAC_1_SQRT_2);
        mid += (m as f64) * (m as f64);
        side += (s as f64) * (s as f64);
        largest = largest.max(m.abs()).max(s.abs());
    }
    (mid + side > 1e-12).then(|| ((side / (mid + side)) as f32, largest))
}

/// The goniometer (vectorscope) of the master: each frame a dot, the mid (L+R) up, the side across
/// (left to the upper left, right to the upper right) — mono a vertical line, one side inverted a
/// horizontal one, a wide mix a round cloud.
/// Scaled to the loudest frame of each reading, so its shape shows at any level.
#[component]
fn Goniometer() -> impl IntoView {
    let desk = desk();
    let meters = desk.meters;
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let size = 180u32;
    Effect::new(move |_| {
        meters.scope.with(|frames| {
            let Some(canvas) = canvas.get() else { return };
            let Some(ctx) = crate::view::canvas_context(&canvas) else { return };
            let s = size as f64;
            ctx.set_fill_style_str("#0b0c0e");
            ctx.fill_rect(0.0, 0.0, s, s);
            ctx.set_fill_style_str("#343a44");
            ctx.fill_rect(s / 2.0, 0.0, 1.0, s);
            ctx.fill_rect(0.0, s / 2.0, s, 1.0);
            let Some((_, largest)) = side_share(frames) else { return };
            let scale = 0.45 * s / largest.max(1e-4) as f64;
            ctx.set_fill_style_str("rgba(79, 209, 122, 0.55)");
            for pair in frames.chunks_exact(2) {
                let m = ((pair[0] + pair[1]) * core::f32::consts::FRAC_1_SQRT_2) as f64;
                // The side across, as goniometers draw it: a left-only signal on the diagonal to
                // the upper left (the L axis), a right-only one to the upper right.
                let d = ((pair[1] - pair[0]) * core::f32::consts::FRAC_1_SQRT_2) as f64;
                ctx.fill_rect(s / 2.0 + d * scale, s / 2.0 - m * scale, 1.5, 1.5);
            }
        });
    });
    let label = move || {
        meters.scope.with(|f| match side_share(f) {
            Some((share, _)) => format!("Goniometer: the side signal is {:.0} % of the energy", share * 100.0),
            None => "Goniometer: silence".to_string(),
        })
    };
    view! {
        <canvas node_ref=canvas class="goniometer" width=size height=size role="img" aria-label=label
            title="Goniometer: mid (L+R) up, side across (L to the upper left, R to the upper right); mono is a vertical line, out of phase a horizontal one"></canvas>
    }
}
