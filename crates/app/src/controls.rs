//! The controls an engineer drags: the fader, sliders and rotary knobs. Every one takes the
//! pointer (Shift for fine moves), the keyboard, a double-click to reset and a typed value, and
//! each is a focusable element with the slider role and an accessible name.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::desk::desk;
use crate::strip_settings::StripSettings;
use crate::fader::{db_label, db_to_position, parse_db, position_to_db, FADER_MAX_DB};
use mixroom_engine::StripParam;
use mixroom_session::automation::Param;

/// Which way a drag moves a control: up (faders, knobs) or right (sliders).
#[derive(Clone, Copy, PartialEq)]
enum Axis {
    Up,
    Right,
}

/// Pointer handling shared by the controls: capture the pointer and take focus on press, then turn
/// movement into travel (0 … 1): `span` pixels for the whole travel, a tenth of that speed with Shift.
/// Relative, so grabbing a control never makes it jump.
#[derive(Clone, Copy)]
struct Drag {
    /// The pointer coordinate last seen and the travel position there, while a drag is under way.
    state: StoredValue<Option<(f64, f32)>>,
    axis: Axis,
}

impl Drag {
    fn new(axis: Axis) -> Drag {
        Drag { state: StoredValue::new(None), axis }
    }

    fn coordinate(self, ev: &web_sys::PointerEvent) -> f64 {
        match self.axis {
            Axis::Up => -(ev.client_y() as f64),
            Axis::Right => ev.client_x() as f64,
        }
    }

    fn start(self, ev: &web_sys::PointerEvent, position: f32) {
        // No text selection and no native drag-and-drop from here: either would cancel the drag
        // (Shift+click extends a selection, and dragging a selection starts a drag of its text).
        ev.prevent_default();
        if let Some(el) = ev.current_target().and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = el.set_pointer_capture(ev.pointer_id());
            let _ = el.focus();
        }
        self.state.set_value(Some((self.coordinate(ev), position)));
    }

    /// The travel position the pointer has moved the control to, if a drag is under way.
    fn moved(self, ev: &web_sys::PointerEvent, span: f64) -> Option<f32> {
        let (last, position) = self.state.get_value()?;
        let scale = if ev.shift_key() { 0.1 } else { 1.0 };
        let now = self.coordinate(ev);
        let next = (position + ((now - last) / span.max(1.0) * scale) as f32).clamp(0.0, 1.0);
        self.state.set_value(Some((now, next)));
        Some(next)
    }

    fn end(self) {
        self.state.set_value(None);
    }
}

/// The undo run of a control's key presses: one of its own for each control on screen (two strips
/// of one name have two faders, and two runs).
fn run_key(label: &str) -> String {
    thread_local! {
        static CONTROLS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }
    let n = CONTROLS.with(|c| {
        c.set(c.get() + 1);
        c.get()
    });
    format!("keys: {label} #{n}")
}

/// Keys that move a control, as steps of its travel: arrows 1 % (Shift 0.1 %), Page Up/Down 10 %,
/// Home/End to the ends. `None` for any other key.
fn key_travel(ev: &web_sys::KeyboardEvent, position: f32) -> Option<f32> {
    let fine = if ev.shift_key() { 0.001 } else { 0.01 };
    let next = match ev.key().as_str() {
        "ArrowUp" | "ArrowRight" => position + fine,
        "ArrowDown" | "ArrowLeft" => position - fine,
        "PageUp" => position + 0.1,
        "PageDown" => position - 0.1,
        "Home" => 0.0,
        "End" => 1.0,
        _ => return None,
    };
    Some(next.clamp(0.0, 1.0))
}

/// A run of key presses is one gesture: it ends when the keys have been still this long, ms.
const KEYS_STILL_MS: u64 = 700;

/// A fader: a vertical control on the console's fader law. Drag it (Shift for fine moves), use the
/// arrow keys (±0.5 dB, Shift ±0.1 dB) or Page Up/Down (±3 dB), End to close it, double-click for
/// 0 dB, or type a level into the box below it ("<label> in dB").
#[component]
pub fn Fader(
    label: String,
    db: Signal<f32>,
    on_change: Callback<f32>,
    /// The gesture is over: the pointer let go, a value typed, or the keys still for a moment (a
    /// run of nudges is one gesture).
    #[prop(optional)]
    on_release: Option<Callback<()>>,
) -> impl IntoView {
    let release = move || {
        if let Some(r) = on_release {
            r.run(());
        }
    };
    let presses = StoredValue::new(0u64);
    let track = NodeRef::<leptos::html::Div>::new();
    let drag = Drag::new(Axis::Up);
    let position = move || db_to_position(db.get());
    let step = move |delta_db: f32| {
        let now = db.get_untracked();
        let from = if now == f32::NEG_INFINITY { -60.0 } else { now };
        on_change.run((from + delta_db).min(FADER_MAX_DB));
    };
    let on_pointermove = move |ev: web_sys::PointerEvent| {
        let height = track.get_untracked().map_or(200.0, |t| t.get_bounding_client_rect().height());
        if let Some(next) = drag.moved(&ev, height) {
            on_change.run(position_to_db(next));
        }
    };
    // A run of key presses on this fader is one undo step.
    let run = run_key(&label);
    let on_keydown = move |ev: web_sys::KeyboardEvent| {
        let fine = ev.shift_key();
        let delta = match ev.key().as_str() {
            "ArrowUp" | "ArrowRight" => Some(if fine { 0.1 } else { 0.5 }),
            "ArrowDown" | "ArrowLeft" => Some(if fine { -0.1 } else { -0.5 }),
            "PageUp" => Some(3.0),
            "PageDown" => Some(-3.0),
            "End" => None,
            _ => return,
        };
        desk().in_run(run.clone(), || match delta {
            Some(d) => step(d),
            None => on_change.run(f32::NEG_INFINITY),
        });
        presses.update_value(|n| *n += 1);
        let press = presses.get_value();
        set_timeout(move || if presses.try_get_value() == Some(press) { release() }, std::time::Duration::from_millis(KEYS_STILL_MS));
        ev.prevent_default();
        ev.stop_propagation();
    };
    let value_label = label.clone();
    view! {
        <div class="fader" role="slider" tabindex="0" aria-label=label aria-orientation="vertical"
            aria-valuemin="-144" aria-valuemax=FADER_MAX_DB
            aria-valuenow=move || format!("{:.1}", db.get().max(-144.0))
            aria-valuetext=move || db_label(db.get())
            on:pointerdown=move |ev| drag.start(&ev, position()) on:pointermove=on_pointermove
            on:pointerup=move |_| { drag.end(); release() } on:pointercancel=move |_| { drag.end(); release() }
            on:keydown=on_keydown
            on:dblclick=move |_| { on_change.run(0.0); release() }>
            <div class="fader-track" node_ref=track>
                <div class="fader-fill" style:height=move || format!("{:.2}%", position() * 100.0)></div>
                <div class="fader-cap" style:bottom=move || format!("calc({:.2}% - 7px)", position() * 100.0)></div>
            </div>
        </div>
        <input type="text" class="fader-value" aria-label=format!("{value_label} in dB")
            prop:value=move || db_label(db.get())
            on:change=move |ev| {
                if let Some(v) = parse_db(&event_target_value(&ev)) {
                    on_change.run(v.min(FADER_MAX_DB));
                    release();
                }
            } />
    }
}

/// What a slider or knob controls: where the value sits on the travel and how it reads.
#[derive(Clone, Copy)]
pub struct Travel {
    /// The value's place on the travel, 0 … 1.
    pub position: Signal<f32>,
    /// The value as the engineer reads it ("L30", "−6.0 dB", "2.50 kHz").
    pub text: Signal<String>,
    /// Sets the value at a travel position.
    pub set: Callback<f32>,
    /// Double-click: back to the default.
    pub reset: Callback<()>,
    /// Reads a typed value and sets it (ignoring what it cannot read).
    pub typed: Callback<String>,
    /// The fill grows from the centre (pan, balance) instead of the start.
    pub bipolar: bool,
    /// The gesture is over (pointer let go, a value typed, the keys still a moment): what ends a
    /// Touch pass of automation.
    pub release: Option<Callback<()>>,
}

impl Travel {
    fn released(&self) {
        if let Some(r) = self.release {
            r.run(());
        }
    }
}

/// What sliders and knobs share: a focusable `role="slider"` over a travel, dragged relative to
/// where it was grabbed (`span` px for the whole travel; Shift for fine moves), moved by the keys,
/// reset by a double-click. `children` draw it.
#[component]
fn TravelControl(
    class: &'static str,
    label: String,
    orientation: &'static str,
    travel: Travel,
    drag: Drag,
    span: Callback<(), f64>,
    children: Children,
) -> impl IntoView {
    let position = move || travel.position.get();
    // A run of key presses on this control is one undo step, and one gesture.
    let run = run_key(&label);
    let presses = StoredValue::new(0u64);
    let key = move |ev: web_sys::KeyboardEvent| {
        if let Some(next) = key_travel(&ev, travel.position.get_untracked()) {
            desk().in_run(run.clone(), || travel.set.run(next));
            presses.update_value(|n| *n += 1);
            let press = presses.get_value();
            set_timeout(move || if presses.try_get_value() == Some(press) { travel.released() }, std::time::Duration::from_millis(KEYS_STILL_MS));
            ev.prevent_default();
            ev.stop_propagation();
        }
    };
    view! {
        <div class=class role="slider" tabindex="0" aria-label=label aria-orientation=orientation
            aria-valuemin="0" aria-valuemax="100"
            aria-valuenow=move || format!("{:.1}", position() * 100.0)
            aria-valuetext=move || travel.text.get()
            title=move || travel.text.get()
            on:pointerdown=move |ev| drag.start(&ev, travel.position.get_untracked())
            on:pointermove=move |ev| if let Some(next) = drag.moved(&ev, span.run(())) { travel.set.run(next) }
            on:pointerup=move |_| { drag.end(); travel.released() } on:pointercancel=move |_| { drag.end(); travel.released() }
            on:keydown=key on:dblclick=move |_| { travel.reset.run(()); travel.released() }>
            {children()}
        </div>
    }
}

/// A strip's mute or solo (`param`), as a toggle button named "Mute <name>" or "Solo <name>" —
/// the same on the console and on the timeline's headers.
#[component]
pub fn StripToggle(settings: StripSettings, param: StripParam, name: String) -> impl IntoView {
    let desk = desk();
    let strip = settings.strip;
    let solo = param == StripParam::Solo;
    let (verb, text, class) = if solo { ("Solo", "S", "solo") } else { ("Mute", "M", "mute") };
    // Mute follows its curve and is recorded by a pass (solo is a listening aid: never automated).
    let recorder = crate::automation::recorder();
    let on = move || if solo { settings.with(|st| st.solo).unwrap_or(false) } else { crate::automation::strip_switch_on(desk, recorder, settings, &Param::Mute) };
    view! {
        <button class=class class:on=on aria-label=format!("{verb} {name}") aria-pressed=move || on().to_string()
            on:click=move |_| {
                let next = !on();
                if solo || !recorder.switched(desk, strip, &Param::Mute, next) {
                    desk.edit(move |s| s.set_strip_param(strip, param, if next { 1.0 } else { 0.0 }));
                }
            }>{text}</button>
    }
}

/// A horizontal slider with a box to type the value into ("<label> value"). Drag anywhere on it
/// (Shift for fine moves), click-free: it moves relative to where it was grabbed.
#[component]
pub fn Slider(label: String, travel: Travel) -> impl IntoView {
    let bar = NodeRef::<leptos::html::Div>::new();
    let span = Callback::new(move |()| bar.get_untracked().map_or(150.0, |b| b.get_bounding_client_rect().width()));
    let position = move || travel.position.get();
    let fill = move || {
        let p = position();
        let (from, to) = if travel.bipolar { (p.min(0.5), p.max(0.5)) } else { (0.0, p) };
        format!("left: {:.2}%; width: {:.2}%", from * 100.0, (to - from) * 100.0)
    };
    let value_label = format!("{label} value");
    view! {
        <TravelControl class="slider" label=label orientation="horizontal" travel=travel drag=Drag::new(Axis::Right) span=span>
            <div class="slider-bar" node_ref=bar>
                <div class="slider-fill" style=fill></div>
                <div class="slider-thumb" style:left=move || format!("calc({:.2}% - 3px)", position() * 100.0)></div>
            </div>
        </TravelControl>
        <input type="text" class="value" aria-label=value_label
            prop:value=move || travel.text.get()
            on:change=move |ev| {
                travel.typed.run(event_target_value(&ev));
                travel.released();
            } />
    }
}

/// A rotary knob (sends, compact strips): drag up or down (Shift for fine moves), the keys of a
/// slider, double-click to reset. The arc shows the value; its typed box lives in the inspector.
#[component]
pub fn Knob(label: String, travel: Travel) -> impl IntoView {
    let position = move || travel.position.get();
    // The knob sweeps 270°, from 7:30 to 4:30 o'clock.
    let point = |p: f32, r: f32| {
        let angle = (-135.0 + 270.0 * p).to_radians();
        (12.0 + r * angle.sin(), 12.0 - r * angle.cos())
    };
    let arc = move |from: f32, to: f32| {
        let ((x0, y0), (x1, y1)) = (point(from, 9.0), point(to, 9.0));
        let large = if (to - from) * 270.0 > 180.0 { 1 } else { 0 };
        format!("M{x0:.2},{y0:.2} A9,9 0 {large} 1 {x1:.2},{y1:.2}")
    };
    let value_arc = move || {
        let p = position();
        if travel.bipolar { arc(p.min(0.5), p.max(0.5)) } else { arc(0.0, p.max(0.001)) }
    };
    let pointer = move || {
        let (x, y) = point(position(), 6.0);
        format!("M12,12 L{x:.2},{y:.2}")
    };
    view! {
        // A full turn of the knob over 160 px of mouse travel, as most DAWs do.
        <TravelControl class="knob" label=label orientation="vertical" travel=travel drag=Drag::new(Axis::Up) span=Callback::new(|()| 160.0)>
            <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true">
                <path class="knob-track" d=arc(0.0, 1.0) />
                <path class="knob-value" d=value_arc />
                <path class="knob-pointer" d=pointer />
            </svg>
        </TravelControl>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn key(name: &str, shift: bool) -> web_sys::KeyboardEvent {
        let init = web_sys::KeyboardEventInit::new();
        init.set_key(name);
        init.set_shift_key(shift);
        web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap()
    }

    #[wasm_bindgen_test]
    fn keys_move_along_the_travel_and_stop_at_its_ends() {
        assert!((key_travel(&key("ArrowRight", false), 0.5).unwrap() - 0.51).abs() < 1e-6);
        assert!((key_travel(&key("ArrowDown", true), 0.5).unwrap() - 0.499).abs() < 1e-6);
        assert_eq!(key_travel(&key("PageUp", false), 0.95), Some(1.0));
        assert_eq!(key_travel(&key("Home", false), 0.7), Some(0.0));
        assert_eq!(key_travel(&key("End", false), 0.2), Some(1.0));
        assert_eq!(key_travel(&key("m", false), 0.2), None);
    }
}
