//! The final check: what a mastering engineer reads before a mix goes out. For now the master's
//! loudness to EBU R 128 (momentary, short-term, integrated, loudness range, maximum true peak
//! and the peak-to-loudness ratio) and its phase correlation, measured in the audio engine on
//! what the master plays (`mixroom-analysis`, through the `ebur128` crate) and shown here.

use leptos::prelude::*;

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
