//! The inspector: every setting of the selected strip — trim, polarity, width, pan law, output, each
//! insert's every parameter (bypass, order, side-chain), and the sends — as labelled controls with
//! units. A generic surface built from the processors' parameter tables, so nothing is unreachable.

use leptos::prelude::*;
use mixroom_dsp::param::{ParamInfo, Taper, Unit};
use mixroom_engine::plan::TRIM_RANGE_DB;
use mixroom_engine::{InsertKind, SendParam, StripParam};
use mixroom_session::automation::Param;
use mixroom_session::StripRef;

use crate::controls::{Slider, Travel};
use crate::desk::desk;
use crate::fader::{db_label, parse_db};

/// Slider position (0 … 1) to value, along the parameter's taper.
pub fn to_value(info: &ParamInfo, position: f32) -> f32 {
    let p = position.clamp(0.0, 1.0);
    match info.taper {
        Taper::Log if info.min > 0.0 => info.min * (info.max / info.min).powf(p),
        _ => info.min + (info.max - info.min) * p,
    }
}

/// Value to slider position (0 … 1).
pub fn to_position(info: &ParamInfo, value: f32) -> f32 {
    let v = value.clamp(info.min, info.max);
    match info.taper {
        Taper::Log if info.min > 0.0 => (v / info.min).ln() / (info.max / info.min).ln(),
        _ => (v - info.min) / (info.max - info.min),
    }
}

/// A value as an engineer reads it, with its unit.
pub fn format_value(info: &ParamInfo, v: f32) -> String {
    match info.unit {
        Unit::Decibels => db_label(v),
        Unit::Hertz if v >= 1_000.0 => format!("{:.2} kHz", v / 1_000.0),
        Unit::Hertz => format!("{v:.0} Hz"),
        Unit::Milliseconds if v < 10.0 => format!("{v:.2} ms"),
        Unit::Milliseconds => format!("{v:.0} ms"),
        Unit::Seconds => format!("{v:.2} s"),
        Unit::Percent => format!("{:.0} %", v * 100.0),
        Unit::Ratio => format!("{v:.1}:1"),
        Unit::Q => format!("Q {v:.2}"),
        Unit::Toggle => (if v > 0.5 { "On" } else { "Off" }).to_owned(),
        Unit::Choice(names) => names.get(v as usize).copied().unwrap_or("?").to_owned(),
        Unit::Plain => format!("{v:.2}"),
    }
}

/// Reads a value typed into a parameter's box: a plain number in the parameter's unit, or with the
/// unit written out ("2.5 kHz", "120 Hz", "10 ms", "4:1", "50 %", "2 s").
pub fn parse_value(info: &ParamInfo, text: &str) -> Option<f32> {
    let t = text.trim().replace('−', "-").to_ascii_lowercase();
    let number = |s: &str| s.trim().parse::<f32>().ok().filter(|v| v.is_finite());
    let v = match info.unit {
        Unit::Decibels => crate::fader::parse_db(&t),
        Unit::Hertz => match t.strip_suffix("khz") {
            Some(k) => number(k).map(|v| v * 1_000.0),
            None => number(t.trim_end_matches("hz")),
        },
        Unit::Milliseconds => number(t.trim_end_matches("ms")),
        Unit::Seconds => number(t.trim_end_matches('s')),
        Unit::Percent => number(t.trim_end_matches('%')).map(|v| v / 100.0),
        Unit::Ratio => number(t.trim_end_matches(":1")),
        Unit::Q => number(t.trim_start_matches('q')),
        Unit::Toggle => match t.as_str() {
            "on" | "1" | "yes" => Some(1.0),
            "off" | "0" | "no" => Some(0.0),
            _ => None,
        },
        Unit::Choice(names) => names.iter().position(|n| n.to_ascii_lowercase() == t).map(|i| i as f32),
        Unit::Plain => number(&t),
    }?;
    Some(info.clamp(v))
}

/// Which folder a track sits in on the timeline: none, a group bus's folder, or a new one.
#[component]
fn FolderSelector(track: usize, name: String) -> impl IntoView {
    let desk = desk();
    let folders = move || desk.session.with(|s| s.buses.iter().map(|b| (b.id.clone(), b.name.clone())).collect::<Vec<_>>());
    let current = move || desk.session.with(|s| s.tracks.get(track).and_then(|t| t.folder.clone()).unwrap_or_default());
    view! {
        <label>"Folder"
            <select aria-label=format!("{name} folder") prop:value=current
                on:change=move |ev| {
                    let choice = event_target_value(&ev);
                    match choice.as_str() {
                        "" => desk.restructure(move |s| s.set_folder(track, None).map(|_| ())),
                        "+new" => desk.restructure(move |s| {
                            let name = (1..).map(|n| format!("Folder {n}")).find(|n| !s.buses.iter().any(|b| &b.name == n)).unwrap_or_default();
                            s.new_folder(track, &name).map(|_| ())
                        }),
                        id => {
                            let id = id.to_owned();
                            desk.restructure(move |s| s.set_folder(track, Some(&id)).map(|_| ()));
                        }
                    }
                }>
                <option value="">"None"</option>
                {move || folders().into_iter().map(|(id, name)| view! { <option value=id.clone() selected=move || current() == id>{name}</option> }).collect_view()}
                <option value="+new">"New folder…"</option>
            </select>
        </label>
    }
}

/// The inspector for the selected strip, if any.
#[component]
pub fn Inspector() -> impl IntoView {
    let desk = desk();
    move || desk.selected.get().map(|strip| view! { <StripInspector strip=strip /> })
}

#[component]
fn StripInspector(strip: StripRef) -> impl IntoView {
    let desk = desk();
    let name = move || desk.session.with(|s| s.strip_name(strip));
    let value = move |f: fn(&mixroom_session::Strip) -> f32| desk.session.with(move |s| s.strip(strip).map_or(0.0, f));
    let set = move |p: StripParam, v: f32| desk.edit(move |s| s.set_strip_param(strip, p, v));
    // Trim and width follow their curves in Read; moved while a pass writes the strip, recorded.
    let recorder = crate::automation::recorder();
    let trim = Memo::new(move |_| crate::automation::shown_value(desk, Some(recorder), strip, &Param::Trim).unwrap_or_else(|| value(|s| s.trim_db)));
    let width = Memo::new(move |_| crate::automation::shown_value(desk, Some(recorder), strip, &Param::Width).unwrap_or_else(|| value(|s| s.width)));
    let moved = move |param: Param, p: StripParam, v: f32| {
        if !recorder.moved(desk, strip, &param, v) {
            set(p, v);
        }
    };
    let mono_track = move || desk.session.with(|s| matches!(strip, StripRef::Track(t) if s.track_channels(t) == 1));
    let n = name();
    // The insert list is rebuilt only when its shape (kinds and order) changes, not on every knob move.
    let kinds = Memo::new(move |_| desk.session.with(|s| s.strip(strip).map(|st| st.inserts.iter().map(|i| i.kind.clone()).collect::<Vec<_>>()).unwrap_or_default()));
    let sends = Memo::new(move |_| desk.session.with(|s| s.strip(strip).map(|st| st.sends.iter().map(|x| x.to.clone()).collect::<Vec<_>>()).unwrap_or_default()));
    let send_targets = move || {
        desk.session.with(|s| {
            let me = s.strip_key(strip);
            s.returns.iter().chain(&s.buses).filter(|b| b.id != me).map(|b| (b.id.clone(), b.name.clone())).collect::<Vec<_>>()
        })
    };
    let (add_kind, set_add_kind) = signal(InsertKind::Eq.key().to_owned());
    let (add_send, set_add_send) = signal(String::new());
    view! {
        <aside class="inspector" aria-label=format!("{n} settings")>
            <header>
                <h2>{name}</h2>
                <button aria-label="Close the inspector" on:click=move |_| desk.selected.set(None)>"×"</button>
            </header>
            <section class="channel">
                <h3>"Channel"</h3>
                <div class="row">"Trim"
                    <Slider label=format!("{n} trim") travel=Travel {
                        position: Signal::derive(move || (trim.get() + TRIM_RANGE_DB) / (2.0 * TRIM_RANGE_DB)),
                        text: Signal::derive(move || db_label(trim.get())),
                        set: Callback::new(move |p: f32| moved(Param::Trim, StripParam::Trim, ((p * 2.0 - 1.0) * TRIM_RANGE_DB * 10.0).round() / 10.0)),
                        reset: Callback::new(move |()| moved(Param::Trim, StripParam::Trim, 0.0)),
                        typed: Callback::new(move |t: String| if let Some(v) = parse_db(&t).filter(|v| v.is_finite()) { moved(Param::Trim, StripParam::Trim, v.clamp(-TRIM_RANGE_DB, TRIM_RANGE_DB)) }),
                        bipolar: true,
                        release: Some(Callback::new(move |()| recorder.released(desk, strip, &Param::Trim))),
                    } />
                </div>
                <label><input type="checkbox" aria-label=format!("{n} polarity invert")
                    prop:checked={move || value(|s| s.polarity_inverted as u8 as f32) > 0.5}
                    on:change={move |ev| set(StripParam::Polarity, if event_target_checked(&ev) { 1.0 } else { 0.0 })} />"Invert polarity (Ø)"</label>
                {move || (!mono_track()).then(|| view! {
                    <div class="row">"Width"
                        <Slider label=format!("{} width", name()) travel=Travel {
                            position: Signal::derive(move || width.get() / 2.0),
                            text: Signal::derive(move || format!("{:.0} %", width.get() * 100.0)),
                            set: Callback::new(move |p: f32| moved(Param::Width, StripParam::Width, (p * 200.0).round() / 100.0)),
                            reset: Callback::new(move |()| moved(Param::Width, StripParam::Width, 1.0)),
                            typed: Callback::new(move |t: String| if let Ok(v) = t.trim().trim_end_matches('%').trim().parse::<f32>() { moved(Param::Width, StripParam::Width, (v / 100.0).clamp(0.0, 2.0)) }),
                            bipolar: false,
                            release: Some(Callback::new(move |()| recorder.released(desk, strip, &Param::Width))),
                        } />
                    </div>
                })}
                {move || mono_track().then(|| view! {
                    <label>"Pan law"
                        <select aria-label=format!("{} pan law", name())
                            prop:value=move || (value(|s| s.pan_law as f32) as u8).to_string()
                            on:change=move |ev| set(StripParam::PanLaw, event_target_value(&ev).parse().unwrap_or(0.0))>
                            {mixroom_engine::spec::PAN_LAWS.iter().enumerate().map(|(i, l)| view! { <option value=i.to_string()>{*l}</option> }).collect_view()}
                        </select>
                    </label>
                })}
                <label><input type="checkbox" aria-label=format!("{n} solo safe")
                    prop:checked={move || value(|s| s.solo_safe as u8 as f32) > 0.5}
                    on:change={move |ev| set(StripParam::SoloSafe, if event_target_checked(&ev) { 1.0 } else { 0.0 })} />"Solo safe"</label>
                {match strip {
                    StripRef::Track(t) => Some(view! { <FolderSelector track=t name=n.clone() /> }),
                    _ => None,
                }}
            </section>
            <section class="inserts">
                <h3>"Inserts"</h3>
                {move || kinds.get().into_iter().enumerate().map(|(slot, kind)| view! { <InsertEditor strip=strip position=slot kind=kind /> }).collect_view()}
                <div class="add">
                    <select aria-label="Insert to add" prop:value=add_kind on:change=move |ev| set_add_kind.set(event_target_value(&ev))>
                        {InsertKind::ALL.iter().map(|k| view! { <option value=k.key()>{k.label()}</option> }).collect_view()}
                    </select>
                    <button on:click=move |_| {
                        if let Some(kind) = InsertKind::from_key(&add_kind.get_untracked()) {
                            desk.restructure(move |s| s.add_insert(strip, kind, usize::MAX));
                        }
                    }>"Add insert"</button>
                </div>
            </section>
            <section class="sends">
                <h3>"Sends"</h3>
                {move || sends.get().into_iter().enumerate().map(|(index, to)| view! { <SendEditor strip=strip index=index to=to /> }).collect_view()}
                <div class="add">
                    <select aria-label="Send destination" on:change=move |ev| set_add_send.set(event_target_value(&ev))>
                        <option value="">"Choose a return or bus"</option>
                        {move || send_targets().into_iter().map(|(id, label)| view! { <option value=id>{label}</option> }).collect_view()}
                    </select>
                    <button on:click=move |_| {
                        let to = add_send.get_untracked();
                        if !to.is_empty() {
                            desk.restructure(move |s| s.add_send(strip, &to, -12.0, false));
                        }
                    }>"Add send"</button>
                </div>
            </section>
            <crate::final_check::StripLoudnessMeter strip=strip name=n.clone() />
        </aside>
    }
}

/// One insert: bypass, order, removal, side-chain, and every parameter.
#[component]
fn InsertEditor(strip: StripRef, position: usize, kind: String) -> impl IntoView {
    let desk = desk();
    let slot = position;
    let Some(kind) = InsertKind::from_key(&kind) else { return view! { <div class="insert">"Unknown insert"</div> }.into_any() };
    let strip_name = desk.session.with_untracked(|s| s.strip_name(strip));
    let label = kind.label();
    // Bypass follows its curve and a pass records it, like every switch.
    let recorder = crate::automation::recorder();
    let bypassed = move || crate::automation::switch_on(desk, recorder, strip, &Param::Bypass(slot));
    let keys = move || {
        desk.session.with(|s| {
            let me = s.strip_key(strip);
            s.strip_refs().into_iter().map(|r| (s.strip_key(r), s.strip_name(r))).filter(|(k, _)| *k != me && k != "master").collect::<Vec<_>>()
        })
    };
    let current_key = move || desk.session.with(|s| s.strip(strip).and_then(|st| st.inserts.get(slot)).and_then(|i| i.sidechain.clone()).unwrap_or_default());
    view! {
        <div class="insert" id=crate::console::insert_anchor(strip, slot) class:bypassed=bypassed role="group" aria-label=format!("{strip_name} {label}")>
            <div class="insert-head">
                <strong>{label}</strong>
                <label><input type="checkbox" aria-label=format!("Bypass {strip_name} {label}") prop:checked=bypassed
                    on:change=move |ev| {
                        let b = event_target_checked(&ev);
                        if !recorder.switched(desk, strip, &Param::Bypass(slot), b) {
                            desk.edit(move |s| s.set_insert_bypass(strip, slot, b));
                        }
                    } />"Bypass"</label>
                <button aria-label=format!("Move {label} up") disabled=slot == 0 on:click=move |_| desk.restructure(move |s| s.move_insert(strip, slot, slot.saturating_sub(1)))>"↑"</button>
                <button aria-label=format!("Move {label} down") on:click=move |_| desk.restructure(move |s| s.move_insert(strip, slot, slot + 1))>"↓"</button>
                <button aria-label=format!("Remove {label}") on:click=move |_| desk.restructure(move |s| s.remove_insert(strip, slot))>"Remove"</button>
            </div>
            {(kind == InsertKind::Compressor).then(|| view! {
                <label>"Side-chain"
                    <select aria-label=format!("{strip_name} {label} side-chain source")
                        on:change=move |ev| {
                            let key = event_target_value(&ev);
                            desk.restructure(move |s| s.set_sidechain(strip, slot, (!key.is_empty()).then_some(key.as_str())));
                        }>
                        <option value="" selected=move || current_key().is_empty()>"Internal"</option>
                        {move || keys().into_iter().map(|(k, n)| { let k2 = k.clone(); view! { <option value=k selected=move || current_key() == k2>{n}</option> } }).collect_view()}
                    </select>
                </label>
            })}
            {(kind == InsertKind::Eq).then(|| view! { <crate::editors::EqGraph strip=strip position=slot label=format!("{strip_name} {label}") /> })}
            {(kind == InsertKind::Compressor).then(|| view! { <crate::editors::CompressorGraph strip=strip position=slot label=format!("{strip_name} {label}") /> })}
            <div class="params">
                {kind.params().iter().map(|info| view! { <ParamControl strip=strip position=slot info=*info prefix=format!("{strip_name} {label}") /> }).collect_view()}
            </div>
        </div>
    }
    .into_any()
}

/// One parameter: a slider, checkbox or menu according to its unit, with its value shown.
#[component]
fn ParamControl(strip: StripRef, position: usize, info: ParamInfo, prefix: String) -> impl IntoView {
    let desk = desk();
    let slot = position;
    // In Read the control follows its curve; moved while a pass writes the strip, it is recorded.
    let recorder = crate::automation::recorder();
    let param = StoredValue::new(mixroom_session::automation::Param::Insert(slot, info.key.to_owned()));
    let shown = Memo::new(move |_| {
        param.with_value(|p| crate::automation::shown_value(desk, Some(recorder), strip, p)).unwrap_or_else(|| desk.session.with(|s| s.insert_param(strip, slot, info.key).unwrap_or(info.default)))
    });
    let value = move || shown.get();
    let set = move |v: f32| {
        if !param.with_value(|p| recorder.moved(desk, strip, p, v)) {
            desk.edit(move |s| s.set_insert_param(strip, slot, info.key, v));
        }
    };
    let aria = format!("{prefix} {}", info.name);
    match info.unit {
        Unit::Toggle => view! {
            <label class="param"><input type="checkbox" aria-label=aria prop:checked={move || value() > 0.5}
                on:change={move |ev| set(if event_target_checked(&ev) { 1.0 } else { 0.0 })} />{info.name}</label>
        }
        .into_any(),
        Unit::Choice(names) => view! {
            <label class="param">{info.name}
                <select aria-label=aria on:change=move |ev| set(event_target_value(&ev).parse().unwrap_or(0.0))>
                    {names.iter().enumerate().map(|(i, n)| view! { <option value=i.to_string() selected=move || value() as usize == i>{*n}</option> }).collect_view()}
                </select>
            </label>
        }
        .into_any(),
        _ => view! {
            <div class="param row">{info.name}
                <Slider label=aria travel=Travel {
                    position: Signal::derive(move || to_position(&info, value())),
                    text: Signal::derive(move || format_value(&info, value())),
                    set: Callback::new(move |p| set(to_value(&info, p))),
                    reset: Callback::new(move |()| set(info.default)),
                    typed: Callback::new(move |t: String| if let Some(v) = parse_value(&info, &t) { set(v) }),
                    bipolar: info.min < 0.0 && info.max > 0.0,
                    release: Some(Callback::new(move |()| param.with_value(|p| recorder.released(desk, strip, p)))),
                } />
            </div>
        }
        .into_any(),
    }
}

/// One send: its level typed in, mute, removal (the knob and pre/post switch sit on the strip).
#[component]
fn SendEditor(strip: StripRef, index: usize, to: String) -> impl IntoView {
    let desk = desk();
    let (strip_name, target) = desk.session.with_untracked(|s| {
        let target = s.returns.iter().chain(&s.buses).find(|b| b.id == to).map(|b| b.name.clone()).unwrap_or(to.clone());
        (s.strip_name(strip), target)
    });
    let send = move |f: fn(&mixroom_session::Send) -> f32| desk.session.with(move |s| s.strip(strip).and_then(|st| st.sends.get(index)).map_or(0.0, f));
    let set = move |p: SendParam, v: f32| desk.edit(move |s| s.set_send_param(strip, index, p, v));
    // The send's on/off follows its curve and a pass records it, like every switch.
    let recorder = crate::automation::recorder();
    let muted = move || !crate::automation::switch_on(desk, recorder, strip, &Param::SendOn(index));
    view! {
        <div class="send" role="group" aria-label=format!("Send to {target}")>
            <span class="send-target">{target.clone()}</span>
            <input type="text" class="value" aria-label=format!("{strip_name} send to {target} level in dB")
                prop:value=move || db_label(send(|x| x.level_db))
                on:change=move |ev| {
                    if let Some(v) = parse_db(&event_target_value(&ev)) {
                        set(SendParam::Level, v);
                    }
                } />
            <span class="send-mode">{move || if send(|x| x.pre_fader as u8 as f32) > 0.5 { "pre-fader" } else { "post-fader" }}</span>
            <label><input type="checkbox" aria-label=format!("Mute {strip_name} send to {target}") prop:checked=muted
                on:change={move |ev| {
                    let mute = event_target_checked(&ev);
                    if !recorder.switched(desk, strip, &Param::SendOn(index), !mute) {
                        set(SendParam::Mute, if mute { 1.0 } else { 0.0 });
                    }
                }} />"Mute"</label>
            <button aria-label=format!("Remove {strip_name} send to {target}") on:click=move |_| desk.restructure(move |s| s.remove_send(strip, index))>"Remove"</button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn tapers_round_trip_and_hit_their_ends() {
        for kind in InsertKind::ALL {
            for info in kind.params() {
                if matches!(info.unit, Unit::Toggle | Unit::Choice(_)) {
                    continue;
                }
                assert!((to_value(info, 0.0) - info.min).abs() <= 1e-3 * info.min.abs().max(1.0), "{}", info.key);
                assert!((to_value(info, 1.0) - info.max).abs() <= 1e-3 * info.max.abs().max(1.0), "{}", info.key);
                for i in 0..=10 {
                    let p = i as f32 / 10.0;
                    assert!((to_position(info, to_value(info, p)) - p).abs() < 1e-4, "{} at {p}", info.key);
                }
            }
        }
    }

    #[wasm_bindgen_test]
    fn typed_values_read_with_their_units() {
        let hz = ParamInfo::new("f", "F", Unit::Hertz, 20.0, 20_000.0, 1_000.0, Taper::Log);
        assert_eq!(parse_value(&hz, "2.5 kHz"), Some(2_500.0));
        assert_eq!(parse_value(&hz, "120"), Some(120.0));
        assert_eq!(parse_value(&hz, "5 Hz"), Some(20.0));
        let pct = ParamInfo::new("m", "M", Unit::Percent, 0.0, 1.0, 1.0, Taper::Linear);
        assert_eq!(parse_value(&pct, "50 %"), Some(0.5));
        let ratio = ParamInfo::new("r", "R", Unit::Ratio, 1.0, 20.0, 4.0, Taper::Log);
        assert_eq!(parse_value(&ratio, "8:1"), Some(8.0));
        let db = ParamInfo::new("g", "G", Unit::Decibels, -24.0, 24.0, 0.0, Taper::Linear);
        assert_eq!(parse_value(&db, "−30 dB"), Some(-24.0));
        assert_eq!(parse_value(&db, "warm"), None);
    }

    #[wasm_bindgen_test]
    fn values_read_like_a_console() {
        let hz = ParamInfo::new("f", "F", Unit::Hertz, 20.0, 20_000.0, 1_000.0, Taper::Log);
        assert_eq!(format_value(&hz, 2_500.0), "2.50 kHz");
        assert_eq!(format_value(&hz, 120.0), "120 Hz");
        let ratio = ParamInfo::new("r", "R", Unit::Ratio, 1.0, 20.0, 4.0, Taper::Log);
        assert_eq!(format_value(&ratio, 4.0), "4.0:1");
        let ms = ParamInfo::new("a", "A", Unit::Milliseconds, 0.1, 200.0, 10.0, Taper::Log);
        assert_eq!(format_value(&ms, 0.5), "0.50 ms");
        assert_eq!(format_value(&ms, 120.0), "120 ms");
    }
}
