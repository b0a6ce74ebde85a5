//! The console: transport, status line, and one channel strip per track, bus, return and the master.

use leptos::prelude::*;
use mixroom_engine::plan::SEND_MAX_DB;
use mixroom_engine::{InsertKind, SendParam, StripParam};
use mixroom_session::automation::Param;
use mixroom_session::StripRef;

use crate::controls::{Fader, Knob, Slider, StripToggle, Travel};
use crate::desk::{desk, Status};
use crate::strip_settings::StripSettings;
use crate::meters::StripMeter;
use crate::fader::{db_label, law_db, law_position, meter_fill, pan_label, parse_db, parse_pan, METER_FLOOR_DB};

/// Play position as minutes:seconds.milliseconds and bars|beats.
pub fn position_labels(frames: f64, sample_rate: u32, tempo_bpm: f64) -> (String, String) {
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
    let delivery = crate::delivery::delivery();
    let not_ready = move || !desk.ready.get();
    let labels = move || {
        let (rate, tempo) = desk.session.with(|s| (s.sample_rate, s.tempo_bpm));
        position_labels(desk.position.get(), rate, tempo)
    };
    view! {
        <div class="transport" role="toolbar" aria-label="Transport">
            <button class="rewind" aria-label="Return to start" title="Return to start" disabled=not_ready on:click=move |_| desk.rewind()>
                <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true"><rect x="2" y="3" width="2" height="10" fill="currentColor"/><path d="M14 3v10L5 8z" fill="currentColor"/></svg>
            </button>
            <button class="play" class:active=move || desk.playing.get() disabled=not_ready on:click=move |_| desk.play()>"Play"</button>
            <button class="stop" disabled=not_ready on:click=move |_| desk.stop()>"Stop"</button>
            <output class="clock" aria-label="Position">
                <span class="time">{move || labels().0}</span>
                <span class="bars">{move || labels().1}</span>
            </output>
        </div>
        <crate::automation::SuspendToggle />
        <div class="history" role="toolbar" aria-label="History">
            <button aria-label="Undo" title="Undo (Ctrl+Z)" disabled=move || desk.history_len.get().0 == 0 on:click=move |_| desk.undo()>"↶"</button>
            <button aria-label="Redo" title="Redo (Shift+Ctrl+Z)" disabled=move || desk.history_len.get().1 == 0 on:click=move |_| desk.redo()>"↷"</button>
        </div>
        <div class="file-actions">
            <button disabled=not_ready on:click=move |_| desk.save_session()>"Save session"</button>
            <button disabled=move || !desk.ready.get() || delivery.job.get().is_some() title="The mix as it renders: 32-bit float WAV at the session's rate"
                on:click=move |_| delivery.export_mix(desk)>"Export mix"</button>
            <crate::delivery::DeliveryPanel />
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
        Status::Error(message) => view! {
            <p class="status error" role="alert">{message}
                <button class="dismiss" aria-label="Dismiss" on:click=move |_| desk.status.set(Status::Ready)>"×"</button>
            </p>
        }.into_any(),
        Status::Notice(message) => view! {
            <p class="status notice" role="status">{message}
                <button class="dismiss" aria-label="Dismiss" on:click=move |_| desk.status.set(Status::Ready)>"×"</button>
            </p>
        }.into_any(),
    }
}

/// The streamed audio's underruns since the session loaded: shown once there is one, since each
/// is a moment a track went silent because storage was too slow (as a DAW's "disk too slow").
#[component]
pub fn UnderrunCount() -> impl IntoView {
    let desk = desk();
    let count = desk.underruns;
    view! {
        <span class="underruns" role="status" aria-label="Underruns" hidden=move || count.get() == 0
            title="Times a track's audio came late from this browser's storage and that track played silence there (the rest of the mix played on)">
            {move || format!("{} underrun{}", count.get(), if count.get() == 1 { "" } else { "s" })}
        </span>
    }
}

/// Colour of a meter segment at `db` dBFS: green, then yellow from −18, red from −6.
fn meter_colour(db: f32, rms: bool) -> &'static str {
    match (db >= -6.0, db >= -18.0, rms) {
        (true, _, false) => "#ef4b4b",
        (true, _, true) => "#c63c3c",
        (false, true, false) => "#e6d23c",
        (false, true, true) => "#b8a82f",
        (false, false, false) => "#3ccf6e",
        (false, false, true) => "#2a9c52",
    }
}

/// A stereo meter on a canvas: the peak (light) over the RMS (solid) per side, with a clip
/// indicator that stays lit until clicked. Redrawn when its strip's reading (`meter`) changes,
/// without touching the page's layout.
#[component]
fn Meter(label: String, strip: Memo<usize>, meter: Memo<StripMeter>, name: String) -> impl IntoView {
    let desk = desk();
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let (width, height) = (16u32, 220u32);
    Effect::new(move |_| {
        let m: StripMeter = meter.get();
        let Some(canvas) = canvas.get() else { return };
        let Some(ctx) = crate::view::canvas_context(&canvas) else { return };
        let (w, h) = (width as f64, height as f64);
        ctx.set_fill_style_str("#0b0c0e");
        ctx.fill_rect(0.0, 0.0, w, h);
        for (side, (peak, rms)) in [(m.left_db, m.rms_left_db), (m.right_db, m.rms_right_db)].into_iter().enumerate() {
            let x = 1.0 + side as f64 * (w / 2.0);
            let bar = w / 2.0 - 2.0;
            // Peak: thin, light; RMS: the solid body of the bar.
            let peak_h = meter_fill(peak) as f64 * h;
            ctx.set_fill_style_str(meter_colour(peak, false));
            ctx.set_global_alpha(0.45);
            ctx.fill_rect(x, h - peak_h, bar, peak_h);
            ctx.set_global_alpha(1.0);
            ctx.fill_rect(x, h - peak_h, bar, 2.0);
            let rms_h = meter_fill(rms) as f64 * h;
            ctx.set_fill_style_str(meter_colour(rms, true));
            ctx.fill_rect(x, h - rms_h, bar, rms_h);
        }
        // 0 dBFS and −18 dBFS marks.
        ctx.set_fill_style_str("#5a6270");
        for db in [0.0, -18.0] {
            ctx.fill_rect(0.0, h - meter_fill(db) as f64 * h, w, 1.0);
        }
    });
    let clipped = move || meter.with(|m| m.clipped);
    // The accessible value moves in whole decibels: enough to read, without a DOM change per frame.
    let loudest = move || {
        let m: StripMeter = meter.get();
        format!("{:.0}", m.left_db.max(m.right_db))
    };
    view! {
        <div class="meter-stack">
            <button class="clip" class:on=clipped aria-label=format!("Clear clip on {name}") aria-pressed=move || clipped().to_string()
                title="Clipped: click to clear" on:click=move |_| desk.meters.clear_clip(strip.get_untracked())></button>
            <canvas node_ref=canvas class="meter" width=width height=height role="meter" aria-label=label
                aria-valuemin=METER_FLOOR_DB aria-valuemax="6" aria-valuenow=loudest></canvas>
        </div>
    }
}


/// Rows of insert slots on a strip (the last one adds an insert, or opens the rest of the chain).
const INSERT_SLOTS: usize = 5;
/// Send knobs shown on a strip; further sends are reached through the inspector.
const SEND_KNOBS: usize = 2;

/// The insert slots of a strip, in signal order: click one to open its editor, Alt+click (or its
/// power button) to bypass it; the empty slot below opens the inspector to add one.
#[component]
fn InsertSlots(settings: StripSettings, name: String) -> impl IntoView {
    let desk = desk();
    let strip = settings.strip;
    let inserts = move || {
        settings.with(|st| st.inserts.iter().map(|i| (InsertKind::from_key(&i.kind).map_or("?", |k| k.label()), i.bypass)).collect::<Vec<_>>()).unwrap_or_default()
    };
    // Bypass follows its curve and a pass records it, like every switch.
    let recorder = crate::automation::recorder();
    let bypass = move |slot: usize, on: bool| {
        if !recorder.switched(desk, strip, &Param::Bypass(slot), on) {
            desk.edit(move |s| s.set_insert_bypass(strip, slot, on));
        }
    };
    let bypassed_now = move |slot: usize| crate::automation::strip_switch_on(desk, recorder, settings, &Param::Bypass(slot));
    let open = move |slot: Option<usize>| {
        desk.selected.set(Some(strip));
        // The inspector renders on the next frame; then bring the insert's editor into view.
        if let Some(slot) = slot {
            let id = insert_anchor(strip, slot);
            request_animation_frame(move || {
                if let Some(el) = document().get_element_by_id(&id) {
                    el.scroll_into_view();
                }
            });
        }
    };
    let (add_label, list_label) = (format!("Add insert on {name}"), format!("{name} inserts"));
    let more_name = name.clone();
    // Slots have a fixed height on the strip (a scrolling list inside each strip would make the
    // browser repaint every strip with each meter frame): past the slots, a "more" slot opens the
    // inspector with the whole chain.
    let shown = move || {
        let all = inserts();
        let count = all.len();
        let fits = count < INSERT_SLOTS;
        (all.into_iter().take(if fits { count } else { INSERT_SLOTS - 1 }).collect::<Vec<_>>(), count, fits)
    };
    view! {
        <ol class="insert-slots" aria-label=list_label>
            {move || shown().0.into_iter().enumerate().map(|(slot, (label, _))| {
                let strip_name = name.clone();
                let bypassed = move || bypassed_now(slot);
                view! {
                    <li class="insert-slot" class:bypassed=bypassed>
                        <button class="slot-name" aria-label=format!("{strip_name} {label} insert") title=format!("{label}: click to edit, Alt+click to bypass")
                            on:click=move |ev| if ev.alt_key() { bypass(slot, !bypassed()) } else { open(Some(slot)) }>{label}</button>
                        <button class="slot-power" class:on=move || !bypassed() aria-label=format!("Bypass {label} on {strip_name}") aria-pressed=move || bypassed().to_string()
                            on:click=move |_| bypass(slot, !bypassed())></button>
                    </li>
                }
            }).collect_view()}
            {move || {
                let (_, count, fits) = shown();
                if fits {
                    view! { <li class="insert-slot empty"><button class="slot-name" aria-label=add_label.clone() on:click=move |_| open(None)>"+"</button></li> }.into_any()
                } else {
                    let more = count - (INSERT_SLOTS - 1);
                    view! { <li class="insert-slot empty"><button class="slot-name" aria-label=format!("{more} more insert{} on {more_name}", if more == 1 { "" } else { "s" }) on:click=move |_| open(Some(INSERT_SLOTS - 1))>{format!("+{more} more")}</button></li> }.into_any()
                }
            }}
        </ol>
    }
}

/// Where the inspector puts an insert's editor, so a slot on the strip can scroll to it.
pub fn insert_anchor(strip: StripRef, slot: usize) -> String {
    let kind = match strip {
        StripRef::Track(i) => format!("t{i}"),
        StripRef::Bus(i) => format!("b{i}"),
        StripRef::Return(i) => format!("r{i}"),
        StripRef::Master => "m".to_owned(),
    };
    format!("insert-{kind}-{slot}")
}

/// The sends of a strip: a knob per destination on the send law (−∞ … +6 dB) and a pre/post-fader
/// switch. Levels can be typed in the inspector.
#[component]
fn SendKnobs(settings: StripSettings, name: String) -> impl IntoView {
    let desk = desk();
    let strip = settings.strip;
    // The names of where the sends go (buses and returns: read from the session, in one memo).
    let sends = Memo::new(move |_| {
        desk.session.with(|s| {
            s.strip(strip)
                .map(|st| {
                    st.sends.iter().map(|x| s.returns.iter().chain(&s.buses).find(|b| b.id == x.to).map_or(x.to.clone(), |b| b.name.clone())).collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    });
    let read = move |index: usize, f: fn(&mixroom_session::Send) -> f32| settings.with(|st| st.sends.get(index).map(f)).flatten().unwrap_or(f32::NEG_INFINITY);
    // Levels follow their curves in Read; moved while a pass writes the strip, they are recorded.
    let recorder = crate::automation::recorder();
    let set = move |index: usize, p: SendParam, v: f32| {
        if !(p == SendParam::Level && recorder.moved(desk, strip, &Param::SendLevel(index), v)) {
            desk.edit(move |s| s.set_send_param(strip, index, p, v));
        }
    };
    let list_label = format!("{name} sends");
    let more_name = name.clone();
    let count = move || sends.with(Vec::len);
    let shown = move || if count() <= SEND_KNOBS { count() } else { SEND_KNOBS - 1 };
    view! {
        <ul class="send-knobs" aria-label=list_label>
            {move || sends.get().into_iter().take(shown()).enumerate().map(|(index, target)| {
                let level = Signal::from(Memo::new(move |_| crate::automation::strip_shown_value(desk, recorder, settings, &Param::SendLevel(index)).unwrap_or_else(|| read(index, |x| x.level_db))));
                let pre = move || read(index, |x| x.pre_fader as u8 as f32) > 0.5;
                let travel = Travel {
                    position: Signal::derive(move || law_position(level.get(), SEND_MAX_DB)),
                    text: Signal::derive(move || db_label(level.get())),
                    set: Callback::new(move |p| set(index, SendParam::Level, law_db(p, SEND_MAX_DB))),
                    reset: Callback::new(move |()| set(index, SendParam::Level, 0.0)),
                    typed: Callback::new(move |t: String| if let Some(v) = parse_db(&t) { set(index, SendParam::Level, v) }),
                    bipolar: false,
                    release: Some(Callback::new(move |()| recorder.released(desk, strip, &Param::SendLevel(index)))),
                };
                let label = format!("{name} send to {target}");
                view! {
                    <li class="send-knob">
                        <Knob label=label.clone() travel=travel />
                        <span class="send-name" title=target.clone()>{target.clone()}</span>
                        <button class="pre" class:on=pre aria-label=format!("{label} pre-fader") aria-pressed=move || pre().to_string()
                            title="Pre-fader (on) or post-fader (off)"
                            on:click=move |_| set(index, SendParam::PreFader, if pre() { 0.0 } else { 1.0 })>"PRE"</button>
                    </li>
                }
            }).collect_view()}
            {move || (count() > SEND_KNOBS).then(|| {
                let more = count() - shown();
                view! {
                    <li class="send-more"><button aria-label=format!("{more} more send{} on {more_name}", if more == 1 { "" } else { "s" }) on:click=move |_| desk.selected.set(Some(strip))>
                        {format!("+{more} more")}</button></li>
                }
            })}
        </ul>
    }
}

/// Where a strip's output goes: the master or a bus.
#[component]
fn OutputSelector(settings: StripSettings, name: String) -> impl IntoView {
    let desk = desk();
    let strip = settings.strip;
    // The buses it can go to, from the session: one memo, so the options are rebuilt only when
    // the buses change.
    let outputs = Memo::new(move |_| {
        desk.session.with(|s| {
            let me = s.strip_key(strip);
            let mut v = vec![("master".to_owned(), "Master".to_owned())];
            v.extend(s.buses.iter().filter(|b| b.id != me).map(|b| (b.id.clone(), b.name.clone())));
            v
        })
    });
    let current = Memo::new(move |_| settings.with(|st| st.output.clone()).unwrap_or_default());
    view! {
        <select class="output" aria-label=format!("{name} output") title="Output" prop:value=current
            on:change=move |ev| {
                let to = event_target_value(&ev);
                desk.restructure(move |s| s.set_output(strip, &to));
            }>
            {move || outputs.get().into_iter().map(|(id, label)| view! { <option value=id.clone() selected=move || current.with(|c| *c == id)>{label}</option> }).collect_view()}
        </select>
    }
}

/// One channel strip of any kind, top to bottom as on a console: name, inserts, sends, output,
/// pan, mute/solo, gain reduction, fader and meter.
#[component]
fn StripView(strip: StripRef, name: String) -> impl IntoView {
    let desk = desk();
    // Every control below reads the strip through this (not the session): see `StripSettings`.
    let settings = StripSettings::new(desk, strip);
    let setting = move |f: fn(&mixroom_session::Strip) -> f32| settings.with(f).unwrap_or(0.0);
    // In Read the controls follow the curves as they play; a pass shows what it records.
    let recorder = crate::automation::recorder();
    let shown = move |param: Param, setting_of: fn(&mixroom_session::Strip) -> f32| crate::automation::strip_shown_value(desk, recorder, settings, &param).unwrap_or_else(|| setting(setting_of));
    // Memos: a control is redrawn only when what it shows changes.
    let fader_db = Signal::from(Memo::new(move |_| shown(Param::Fader, |s| s.fader_db)));
    let pan = Signal::from(Memo::new(move |_| shown(Param::Pan, |s| s.pan)));
    // Where its meters are in the engine's readings: moves only when strips are added or removed.
    let index = Memo::new(move |_| desk.session.with(|s| s.strip_id(strip)));
    // This strip's reading alone: its meter and gain reduction are redrawn when it changes, not
    // when any of the console's meters does (see `StripSettings` on why few subscribers to a
    // signal matters).
    let reading = Memo::new(move |_| desk.meters.strips.with(|m| m.get(index.get()).copied().unwrap_or_default()));
    let reduction = Memo::new(move |_| reading.with(|m| m.reduction_db));
    let has_dynamics = move || {
        settings.with(|st| st.inserts.iter().any(|i| matches!(i.kind.as_str(), "compressor" | "gate" | "deesser" | "limiter" | "multiband"))).unwrap_or(false)
    };
    let selected = move || desk.selected.get() == Some(strip);
    let set = move |p: StripParam, v: f32| desk.edit(move |s| s.set_strip_param(strip, p, v));
    // A move is recorded by a pass where the strip writes automation, else it sets the mix.
    let moved = move |param: Param, p: StripParam, v: f32| {
        if !recorder.moved(desk, strip, &param, v) {
            set(p, v);
        }
    };
    let kind_class = match strip {
        StripRef::Track(_) => "strip track",
        StripRef::Bus(_) => "strip bus",
        StripRef::Return(_) => "strip return",
        StripRef::Master => "strip master",
    };
    let is_master = strip == StripRef::Master;
    let (label_name, gr_name) = (name.clone(), name.clone());
    let pan_travel = Travel {
        position: Signal::derive(move || (pan.get() + 1.0) / 2.0),
        text: Signal::derive(move || pan_label(pan.get())),
        set: Callback::new(move |p: f32| moved(Param::Pan, StripParam::Pan, ((p * 2.0 - 1.0) * 100.0).round() / 100.0)),
        reset: Callback::new(move |()| moved(Param::Pan, StripParam::Pan, 0.0)),
        typed: Callback::new(move |t: String| if let Some(v) = parse_pan(&t) { moved(Param::Pan, StripParam::Pan, v) }),
        bipolar: true,
        release: Some(Callback::new(move |()| recorder.released(desk, strip, &Param::Pan))),
    };
    view! {
        <div class=kind_class class:selected=selected role="group" aria-label=name.clone()>
            <button class="strip-name" title=format!("Edit {name}") aria-label=format!("Edit {name}") aria-pressed=move || selected().to_string()
                on:click=move |_| desk.selected.set(if selected() { None } else { Some(strip) })>{name.clone()}</button>
            <InsertSlots settings=settings name=name.clone() />
            <SendKnobs settings=settings name=name.clone() />
            {(!is_master).then(|| view! { <OutputSelector settings=settings name=name.clone() /> })}
            <div class="pan">
                <Slider label=format!("{name} pan") travel=pan_travel />
            </div>
            <div class="mute-solo">
                <StripToggle settings=settings param=StripParam::Mute name=name.clone() />
                {(!is_master).then(|| view! { <StripToggle settings=settings param=StripParam::Solo name=label_name /> })}
            </div>
            <div class="gr" class:hidden=move || !has_dynamics() role="meter" aria-label=format!("{gr_name} gain reduction")
                aria-valuemin="0" aria-valuemax="24" aria-valuenow=move || format!("{:.1}", reduction.get())
                title=move || format!("Gain reduction {:.1} dB", reduction.get())>
                <div class="gr-bar" style:width=move || format!("{:.1}%", (reduction.get() / 24.0).clamp(0.0, 1.0) * 100.0)></div>
            </div>
            <crate::automation::ModeSelect settings=settings name=name.clone() />
            <div class="fader-meter">
                <Meter label=format!("{name} peak") strip=index meter=reading name=name.clone() />
                <Fader label=format!("{name} volume") db=fader_db on_change=Callback::new(move |db| moved(Param::Fader, StripParam::Fader, db))
                    on_release=Callback::new(move |()| recorder.released(desk, strip, &Param::Fader)) />
            </div>
        </div>
    }
}

/// The console: tracks, then buses, returns and the master, with the mixer-wide actions.
#[component]
pub fn Console() -> impl IntoView {
    let desk = desk();
    let strips = Memo::new(move |_| {
        desk.session.with(|s| s.strip_refs().into_iter().map(|r| (r, s.strip_name(r))).collect::<Vec<_>>())
    });
    // A session opening (not ready yet) draws its strips a few a frame, as a console appearing does.
    let drawn = crate::view::drawn_in_frames(strips, move || !desk.ready.get());
    let shown = move || strips.with(|s| s.iter().take(drawn.get()).cloned().collect::<Vec<_>>());
    let not_ready = move || !desk.ready.get();
    view! {
        <div class="console-actions" role="toolbar" aria-label="Mixer actions">
            <button disabled=not_ready on:click=move |_| desk.restructure(|s| s.add_bus(&format!("Bus {}", s.buses.len() + 1), false).map(|_| ()))>"Add bus"</button>
            <button disabled=not_ready on:click=move |_| desk.restructure(|s| s.add_bus(&format!("Return {}", s.returns.len() + 1), true).map(|_| ()))>"Add return"</button>
            <button disabled=not_ready title="Set every track's trim so it sits at −18 dBFS RMS" on:click=move |_| desk.gain_stage(-18.0)>"Gain-stage to −18 dBFS"</button>
        </div>
        <section class="console" aria-label="Mixer">
            <For each=shown key=|(r, name)| (*r, name.clone()) let:((strip, name))>
                <StripView strip=strip name=name />
            </For>
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
