//! Automation lanes on the timeline: under a track, one row per parameter shown, its curve drawn
//! over the arrangement's time axis and its points edited with the pointer and the keyboard.
//!
//! - Pointer tool: click to add a point; press a point to select it (Shift or Ctrl/Cmd adds to the
//!   selection) and drag to move the selection in time (snapped to the grid) and value (Shift:
//!   free of the grid, ten times finer); drag on an empty stretch to select by rubber band.
//! - Pencil: draw freehand; Line: drag a straight ramp. Both replace the curve under them.
//! - Keyboard, on a lane or a point: Insert or + adds a point at the play position; Delete removes
//!   the selection; ←/→ move it by a grid step (Shift: 10 ms), ↑/↓ by a step of the parameter
//!   (Shift: finer); Alt+↑/↓ trims the selected stretch by ±0.5 dB; Ctrl+C / Ctrl+V copy the
//!   selection and paste it at the play position.
//! - The lane's header names it, and holds the selected point's time, value and shape to type.
//!
//! Every change is one undoable edit (a drag one step) through `Desk::edit_followed`.

use leptos::prelude::*;
use mixroom_engine::automation::{Curve, Point, Scale, Shape};
use mixroom_engine::InsertKind;
use mixroom_session::automation::{AutomationPoint, Param, ParamRange, PassEnd, PointShape};
use mixroom_session::{Row, Session, Strip, StripRef};
use wasm_bindgen::JsCast;

use crate::desk::{desk, Desk};
use crate::fader::{db_label, law_db, law_position, pan_label, parse_db, parse_pan};
use crate::view::{clock, parse_seconds, GRIDS};

/// Height of a lane's row, px (as a track's).
pub const LANE_HEIGHT: f64 = 72.0;
/// Room above and below the curve inside the row, px.
const PAD: f64 = 6.0;
/// How close the pointer must be to a point to take it, px.
const GRAB: f64 = 6.0;

/// How the pointer edits a lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    Pointer,
    Pencil,
    Line,
}

impl Tool {
    pub const ALL: [Tool; 3] = [Tool::Pointer, Tool::Pencil, Tool::Line];

    pub fn label(self) -> &'static str {
        match self {
            Tool::Pointer => "Pointer",
            Tool::Pencil => "Pencil",
            Tool::Line => "Line",
        }
    }
}

/// A row of the timeline: a folder or track as the session lays them out, a return or the
/// master (rows that hold only their lanes), or a lane under its strip's row.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Line {
    Row(Row),
    Strip(StripRef),
    Lane(StripRef, Param),
}

/// The lanes shown, the selected points, the tool and the clipboard: the timeline's automation.
#[derive(Clone, Copy)]
pub struct Lanes {
    /// (track id, parameter address), in the order opened: the timeline view's, so that a
    /// reload finds them open.
    pub shown: RwSignal<Vec<(String, String)>>,
    /// The lane whose points are selected (track id, address) and their indices.
    pub selected: RwSignal<Option<(String, String, Vec<usize>)>>,
    pub tool: RwSignal<Tool>,
    /// Points copied: (frames after the first, value, shape, bend).
    clipboard: StoredValue<Vec<(u64, f32, PointShape, f32)>>,
}

impl Lanes {
    /// The timeline's automation, showing the lanes in `shown` (the timeline view's).
    pub fn new(shown: RwSignal<Vec<(String, String)>>) -> Lanes {
        Lanes { shown, selected: RwSignal::new(None), tool: RwSignal::new(Tool::Pointer), clipboard: StoredValue::new(Vec::new()) }
    }

    /// Shows `param`'s lane under strip `strip`'s row (once; at most as many lanes as a stored
    /// view keeps, so that what is open here is what a reload opens).
    pub fn show(self, s: &Session, strip: StripRef, param: &Param) {
        let Some(id) = key_of(s, strip) else { return };
        let address = param.address();
        self.shown.update(|v| {
            if v.len() < mixroom_session::stored::MAX_SHOWN_LANES && !v.iter().any(|(t, a)| *t == id && *a == address) {
                v.push((id, address));
            }
        });
    }

    pub fn hide(self, s: &Session, strip: StripRef, param: &Param) {
        let Some(id) = key_of(s, strip) else { return };
        let address = param.address();
        self.shown.update(|v| v.retain(|(t, a)| !(*t == id && *a == address)));
    }

    /// The timeline's rows: the session's, each track followed by its lanes shown.
    pub fn lines(self, s: &Session) -> Vec<Line> {
        self.shown.with(|shown| lines(s, shown))
    }

    fn selection(self, s: &Session, strip: StripRef, param: &Param) -> Vec<usize> {
        let id = key_of(s, strip).unwrap_or_default();
        let address = param.address();
        self.selected.with(|sel| sel.as_ref().filter(|(t, a, _)| *t == id && *a == address).map(|x| x.2.clone()).unwrap_or_default())
    }

    fn select(self, s: &Session, strip: StripRef, param: &Param, points: Vec<usize>) {
        let id = key_of(s, strip).unwrap_or_default();
        self.selected.set(Some((id, param.address(), points)));
    }
}

/// The timeline's rows for `shown` lanes (see [`Lanes::lines`]): each folder (a bus) and track
/// followed by its lanes shown, then a row for each return and the master (their lanes under
/// them); lanes of parameters a strip no longer has are left out.
pub fn lines(s: &Session, shown: &[(String, String)]) -> Vec<Line> {
    let mut out = Vec::new();
    let lanes_of = |out: &mut Vec<Line>, strip: StripRef| {
        let (Some(st), Some(id)) = (s.strip(strip), key_of(s, strip)) else { return };
        for (_, address) in shown.iter().filter(|(k, _)| *k == id) {
            if let Some(p) = Param::parse(address).filter(|p| p.range(st).is_some()) {
                out.push(Line::Lane(strip, p));
            }
        }
    };
    for row in s.timeline_rows() {
        out.push(Line::Row(row));
        match row {
            Row::Track(t) => lanes_of(&mut out, StripRef::Track(t)),
            Row::Folder(b) => lanes_of(&mut out, StripRef::Bus(b)),
        }
    }
    for strip in (0..s.returns.len()).map(StripRef::Return).chain([StripRef::Master]) {
        out.push(Line::Strip(strip));
        lanes_of(&mut out, strip);
    }
    out
}

/// The key a strip's lanes are kept under in the view (a track's or bus's id, "master").
fn key_of(s: &Session, strip: StripRef) -> Option<String> {
    s.strip(strip).map(|_| s.strip_key(strip))
}

/// The lanes of the running app.
pub fn lanes() -> Lanes {
    expect_context::<Lanes>()
}

/// Where a value sits on its lane, 0 (bottom) … 1 (top): levels that close on the fader law,
/// log-scaled values in octaves, the rest linearly.
pub fn to_unit(range: ParamRange, v: f32) -> f64 {
    let u = match range.scale {
        Scale::Decibels if range.closes => law_position(v, range.max),
        Scale::Log => (v.max(range.min) / range.min).ln() / (range.max / range.min).ln(),
        _ => (v - range.min) / (range.max - range.min).max(1e-9),
    };
    (u as f64).clamp(0.0, 1.0)
}

/// The inverse of [`to_unit`], within the range (switches and choices rounded).
pub fn from_unit(range: ParamRange, u: f64) -> f32 {
    let u = u.clamp(0.0, 1.0) as f32;
    let v = match range.scale {
        Scale::Decibels if range.closes => law_db(u, range.max),
        Scale::Log => range.min * (range.max / range.min).powf(u),
        _ => range.min + u * (range.max - range.min),
    };
    range.clamp(v).unwrap_or(range.min)
}

/// A value as the engineer reads it: dB, Hz, L/R, On/Off, or the parameter's own unit.
pub fn value_label(param: &Param, strip: &Strip, v: f32) -> String {
    use mixroom_dsp::param::Unit;
    match param {
        Param::Trim | Param::Fader | Param::SendLevel(_) => db_label(v),
        Param::Pan => pan_label(v),
        Param::Width => format!("{:.0} %", v * 100.0),
        Param::Mute => (if v >= 0.5 { "Muted" } else { "Unmuted" }).into(),
        Param::SendOn(_) => (if v >= 0.5 { "On" } else { "Off" }).into(),
        Param::Bypass(_) => (if v >= 0.5 { "Bypassed" } else { "In" }).into(),
        Param::Insert(slot, key) => {
            let info = strip.inserts.get(*slot).and_then(|i| InsertKind::from_key(&i.kind)).and_then(|k| k.params().iter().find(|p| p.key == key));
            match info.map(|i| i.unit) {
                Some(Unit::Decibels) => format!("{v:.1} dB"),
                Some(Unit::Hertz) if v >= 1_000.0 => format!("{:.2} kHz", v / 1_000.0),
                Some(Unit::Hertz) => format!("{v:.0} Hz"),
                Some(Unit::Milliseconds) => format!("{v:.1} ms"),
                Some(Unit::Seconds) => format!("{v:.2} s"),
                Some(Unit::Percent) => format!("{:.0} %", v * 100.0),
                Some(Unit::Ratio) => format!("{v:.1}:1"),
                Some(Unit::Toggle) => (if v >= 0.5 { "On" } else { "Off" }).into(),
                Some(Unit::Choice(c)) => c.get(v.round().max(0.0) as usize).copied().unwrap_or("?").into(),
                _ => format!("{v:.2}"),
            }
        }
    }
}

/// A value typed in the parameter's units ("−6", "−6 dB", "1.2k", "2 kHz", "L30", "40 %", "on").
pub fn parse_value(param: &Param, text: &str) -> Option<f32> {
    let t = text.trim().to_ascii_lowercase();
    match param {
        Param::Trim | Param::Fader | Param::SendLevel(_) => parse_db(text),
        Param::Pan => parse_pan(text),
        // 1 is muted, a send on, an insert bypassed; 0 the other way.
        Param::Mute | Param::SendOn(_) | Param::Bypass(_) => match t.as_str() {
            "on" | "1" | "muted" | "bypassed" | "yes" => Some(1.0),
            "off" | "0" | "in" | "unmuted" | "no" => Some(0.0),
            _ => None,
        },
        _ => {
            let number = t.trim_end_matches(['%', 's']).trim_end_matches("ms").trim_end_matches("hz").trim_end_matches("db").trim();
            let (number, scale) = match number.strip_suffix('k') {
                Some(n) => (n.trim(), 1_000.0),
                None => (number, 1.0),
            };
            let v: f32 = number.replace('−', "-").parse().ok()?;
            let v = v * scale;
            Some(if t.ends_with('%') && !matches!(param, Param::Insert(..)) { v / 100.0 } else { v })
        }
    }
}

/// The parameter's curve as the engine plays it (the setting where it has no points).
fn curve_of(s: &Session, strip: &Strip, param: &Param) -> Option<Curve> {
    let range = param.range(strip)?;
    strip.curve(param, s.sample_rate).or_else(|| {
        let setting = Point { frame: 0, value: param.setting(strip).unwrap_or(range.min), shape: Shape::Linear };
        Some(Curve::new(range.scale, &[setting], s.sample_rate as f32))
    })
}

/// Where a pointer or key press is on a lane: its frame and value.
#[derive(Clone, Copy, Debug)]
struct Spot {
    frame: f64,
    unit: f64,
}

/// A drag under way on a lane.
#[derive(Clone, Debug)]
enum Gesture {
    /// Moving the selected points; where the pointer was pressed and the points as they were.
    Move { from: Spot, original: Vec<AutomationPoint>, selected: Vec<usize> },
    /// Pressed on an empty stretch: a click adds a point, a drag draws a rubber band.
    Empty { from: Spot, x: f64, y: f64, band: Option<(f64, f64)> },
    /// Pencil: the values drawn.
    Pencil(Vec<(u64, f32)>),
    /// Line: from where to where.
    Line { from: Spot, to: Spot },
}

/// A lane's header (in the track headers' column): its name, the selected point's numbers and
/// shape, and a button to hide it.
#[component]
pub fn LaneHeader(strip: StripRef, param: Param) -> impl IntoView {
    let desk = desk();
    let lanes = lanes();
    let pv = StoredValue::new(param);
    let name = Memo::new(move |_| desk.session.with(|s| format!("{} {}", s.strip_name(strip), s.strip(strip).map(|st| pv.with_value(|p| p.label(st))).unwrap_or_default())));
    // The first selected point: (index, point).
    let first = Memo::new(move |_| {
        desk.session.with(|s| {
            pv.with_value(|p| {
                let sel = lanes.selection(s, strip, p);
                let points = s.automation_points(strip, p);
                sel.first().and_then(|&i| points.get(i).map(|q| (i, *q)))
            })
        })
    });
    let edit_point = move |f: Box<dyn Fn(&mut AutomationPoint)>| {
        let Some((i, _)) = first.get_untracked() else { return };
        let p = pv.get_value();
        desk.edit_followed(move |s| {
            let mut points = s.automation_points(strip, &p);
            if let Some(pt) = points.get_mut(i) {
                f(pt);
            }
            s.set_automation(strip, &p, points)
        });
    };
    let value_text = move || first.get().map(|(_, pt)| desk.session.with(|s| s.strip(strip).map(|st| pv.with_value(|p| value_label(p, st, pt.value))).unwrap_or_default())).unwrap_or_default();
    let rate = move || desk.session.with(|s| s.sample_rate as f64);
    let label = name.get_untracked();
    view! {
        <div class="lane-header" role="group" aria-label=format!("{label} automation lane")>
            <span class="lane-name" title=name>{name}</span>
            <button class="lane-hide" aria-label=format!("Hide {label} automation") title="Hide this lane"
                on:click=move |_| desk.session.with_untracked(|s| pv.with_value(|p| lanes.hide(s, strip, p)))>"×"</button>
            <button class="lane-clear" aria-label=format!("Clear {label} automation") title="Delete every point of this lane (undoable)"
                on:click=move |_| {
                    let p = pv.get_value();
                    desk.edit_followed(move |s| s.set_automation(strip, &p, Vec::new()));
                }>"Clear"</button>
            <input type="text" class="lane-time" aria-label=format!("{label} point time") placeholder="time"
                disabled=move || first.get().is_none()
                prop:value=move || first.get().map(|(_, p)| clock(p.frame as f64 / rate())).unwrap_or_default()
                on:change={
                    move |ev| {
                        if let Some(t) = parse_seconds(&event_target_value(&ev)) {
                            let frame = (t * rate()).round() as u64;
                            edit_point(Box::new(move |p| p.frame = frame));
                        }
                    }
                } />
            <input type="text" class="lane-value" aria-label=format!("{label} point value") placeholder="value"
                disabled=move || first.get().is_none() prop:value=value_text
                on:change={
                    move |ev| {
                        if let Some(v) = pv.with_value(|p| parse_value(p, &event_target_value(&ev))) {
                            edit_point(Box::new(move |p| p.value = v));
                        }
                    }
                } />
            <select class="lane-shape" aria-label=format!("{label} point shape") disabled=move || first.get().is_none()
                prop:value=move || first.get().map(|(_, p)| p.shape.label()).unwrap_or("Linear")
                on:change={
                    move |ev| {
                        let label = event_target_value(&ev);
                        if let Some(shape) = PointShape::ALL.into_iter().find(|s| s.label() == label) {
                            edit_point(Box::new(move |p| {
                                p.shape = shape;
                                if shape == PointShape::Curve && p.bend == 0.0 {
                                    p.bend = 0.5;
                                }
                            }));
                        }
                    }
                }>
                {PointShape::ALL.into_iter().map(|s| view! { <option value=s.label()>{s.label()}</option> }).collect_view()}
            </select>
            <input type="number" class="lane-bend" aria-label=format!("{label} point bend") min="-1" max="1" step="0.1"
                disabled=move || first.get().is_none_or(|(_, p)| p.shape != PointShape::Curve)
                prop:value=move || first.get().map(|(_, p)| format!("{:.1}", p.bend)).unwrap_or_default()
                on:change=move |ev| {
                    if let Ok(b) = event_target_value(&ev).parse::<f32>() {
                        edit_point(Box::new(move |p| p.bend = b.clamp(-1.0, 1.0)));
                    }
                } />
        </div>
    }
}

/// A lane's curve and points over the arrangement, at row `row` of the timeline.
#[component]
pub fn LaneEditor(strip: StripRef, param: Param, row: Signal<usize>, width: Signal<f64>) -> impl IntoView {
    let desk = desk();
    let lanes = lanes();
    let view_start = desk.timeline.start_frame;
    let fpp = desk.timeline.frames_per_px;
    let gesture = StoredValue::new(None::<Gesture>);
    let height = LANE_HEIGHT - 2.0 * PAD;
    let pv = StoredValue::new(param);
    let range = Memo::new(move |_| desk.session.with(|s| s.strip(strip).and_then(|st| pv.with_value(|p| p.range(st)))));
    let label = desk.session.with_untracked(|s| format!("{} {} automation", s.strip_name(strip), s.strip(strip).map(|st| pv.with_value(|p| p.label(st))).unwrap_or_default()));
    let x_of = move |frame: f64| (frame - view_start.get_untracked()) / fpp.get_untracked().max(1e-3);
    let y_of = move |u: f64| PAD + (1.0 - u) * height;
    let points = Memo::new(move |_| desk.session.with(|s| pv.with_value(|p| s.automation_points(strip, p))));
    let selection = Memo::new(move |_| desk.session.with(|s| pv.with_value(|p| lanes.selection(s, strip, p))));
    // The curve, one vertex every 2 px across the view.
    let path = move || {
        let w = width.get();
        let (start, f) = (view_start.get(), fpp.get().max(1e-3));
        desk.session.with(|s| {
            let Some(st) = s.strip(strip) else { return String::new() };
            let (Some(curve), Some(range)) = pv.with_value(|p| (curve_of(s, st, p), p.range(st))) else { return String::new() };
            let mut d = String::with_capacity(w as usize * 8);
            let mut px = 0.0;
            while px <= w {
                let v = curve.value_at((start + px * f).max(0.0) as u64);
                let y = PAD + (1.0 - to_unit(range, v)) * height;
                d.push_str(&format!("{}{:.1},{:.1}", if px == 0.0 { "M" } else { " L" }, px, y));
                px += 2.0;
            }
            d
        })
    };
    // Where the pointer is on the lane.
    let spot = move |ev: &web_sys::PointerEvent| -> (Spot, f64, f64) {
        let rect = ev.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).map(|e| e.get_bounding_client_rect());
        let (x, y) = rect.map_or((0.0, 0.0), |r| (ev.client_x() as f64 - r.left(), ev.client_y() as f64 - r.top()));
        let frame = view_start.get_untracked() + x * fpp.get_untracked();
        (Spot { frame, unit: 1.0 - (y - PAD) / height }, x, y)
    };
    let beat_frames = move || desk.session.with_untracked(|s| 60.0 / s.tempo_bpm * s.sample_rate as f64);
    let snapped = move |frame: f64, free: bool| -> f64 {
        let t = desk.timeline;
        if free || !t.snap.get_untracked() {
            return frame.max(0.0);
        }
        let step = GRIDS[t.grid.get_untracked()].1 * beat_frames();
        ((frame / step).round() * step).max(0.0)
    };
    let set_points = move |points: Vec<AutomationPoint>| {
        let p = pv.get_value();
        desk.edit_followed(move |s| s.set_automation(strip, &p, points))
    };
    // Which point is under (x, y), px.
    let hit = move |x: f64, y: f64| -> Option<usize> {
        let r = range.get_untracked()?;
        let pts = points.get_untracked();
        pts.iter().enumerate().rev().find(|(_, pt)| (x_of(pt.frame as f64) - x).abs() <= GRAB && (y_of(to_unit(r, pt.value)) - y).abs() <= GRAB).map(|(i, _)| i)
    };
    let on_down = move |ev: web_sys::PointerEvent| {
        ev.prevent_default();
        ev.stop_propagation();
        if let Some(el) = ev.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
            let _ = el.set_pointer_capture(ev.pointer_id());
            let _ = el.unchecked_ref::<web_sys::HtmlElement>().focus();
        }
        let (at, x, y) = spot(&ev);
        let Some(r) = range.get_untracked() else { return };
        let p = pv.get_value();
        match lanes.tool.get_untracked() {
            Tool::Pencil => gesture.set_value(Some(Gesture::Pencil(vec![(snapped(at.frame, true) as u64, from_unit(r, at.unit))]))),
            Tool::Line => gesture.set_value(Some(Gesture::Line { from: at, to: at })),
            Tool::Pointer => match hit(x, y) {
                Some(i) => {
                    let mut sel = selection.get_untracked();
                    let adding = ev.shift_key() || ev.ctrl_key() || ev.meta_key();
                    if adding {
                        if let Some(k) = sel.iter().position(|&j| j == i) {
                            sel.remove(k);
                        } else {
                            sel.push(i);
                        }
                    } else if !sel.contains(&i) {
                        sel = vec![i];
                    }
                    desk.session.with_untracked(|s| lanes.select(s, strip, &p, sel.clone()));
                    gesture.set_value(Some(Gesture::Move { from: at, original: points.get_untracked(), selected: sel }));
                }
                None => gesture.set_value(Some(Gesture::Empty { from: at, x, y, band: None })),
            },
        }
    };
    let on_move = move |ev: web_sys::PointerEvent| {
        let Some(g) = gesture.get_value() else { return };
        let Some(r) = range.get_untracked() else { return };
        let p = pv.get_value();
        let (at, x, _) = spot(&ev);
        let free = ev.shift_key();
        match g {
            Gesture::Move { from, original, selected } => {
                if selected.is_empty() {
                    return;
                }
                // Time: the first selected point lands on the grid (Shift: anywhere, finely).
                let fine = if free { 0.1 } else { 1.0 };
                let lead = original[selected[0]].frame as f64;
                let dt = snapped(lead + (at.frame - from.frame) * fine, free) - lead;
                let du = (at.unit - from.unit) * fine;
                let mut moved = original.clone();
                for &i in &selected {
                    let o = original[i];
                    moved[i].frame = (o.frame as f64 + dt).max(0.0) as u64;
                    moved[i].value = from_unit(r, to_unit(r, o.value) + du);
                }
                // The same points stay selected after sorting.
                let keys: Vec<(u64, f32)> = selected.iter().map(|&i| (moved[i].frame, moved[i].value)).collect();
                let mut order: Vec<usize> = (0..moved.len()).collect();
                order.sort_by_key(|&i| moved[i].frame);
                let sorted: Vec<AutomationPoint> = order.iter().map(|&i| moved[i]).collect();
                let new_sel: Vec<usize> = keys.iter().filter_map(|k| sorted.iter().position(|p| (p.frame, p.value) == *k)).collect();
                set_points(sorted);
                desk.session.with_untracked(|s| lanes.select(s, strip, &p, new_sel));
            }
            Gesture::Empty { from, x: x0, y: y0, .. } => {
                if (x - x0).abs() > 4.0 {
                    gesture.set_value(Some(Gesture::Empty { from, x: x0, y: y0, band: Some((from.frame.min(at.frame), from.frame.max(at.frame))) }));
                    let (a, b) = (from.frame.min(at.frame), from.frame.max(at.frame));
                    let (ua, ub) = (from.unit.min(at.unit), from.unit.max(at.unit));
                    let inside: Vec<usize> = points.get_untracked().iter().enumerate().filter(|(_, pt)| (a..=b).contains(&(pt.frame as f64)) && (ua..=ub).contains(&to_unit(r, pt.value))).map(|(i, _)| i).collect();
                    desk.session.with_untracked(|s| lanes.select(s, strip, &p, inside));
                }
            }
            Gesture::Pencil(mut drawn) => {
                let f = at.frame.max(0.0) as u64;
                if drawn.last().is_none_or(|l| f > l.0) {
                    drawn.push((f, from_unit(r, at.unit)));
                }
                gesture.set_value(Some(Gesture::Pencil(drawn)));
            }
            Gesture::Line { from, .. } => gesture.set_value(Some(Gesture::Line { from, to: at })),
        }
    };
    let on_up = move |ev: web_sys::PointerEvent| {
        let Some(g) = gesture.get_value() else { return };
        gesture.set_value(None);
        let Some(r) = range.get_untracked() else { return };
        let free = ev.shift_key();
        let p = pv.get_value();
        match g {
            Gesture::Empty { from, band: None, .. } => {
                // A click: a point there, selected.
                let frame = snapped(from.frame, free) as u64;
                let value = from_unit(r, from.unit);
                let mut pts = points.get_untracked();
                pts.push(AutomationPoint { frame, value, shape: PointShape::Linear, bend: 0.0 });
                pts.sort_by_key(|q| q.frame);
                let index = pts.iter().rposition(|q| q.frame == frame && q.value == value);
                set_points(pts);
                desk.session.with_untracked(|s| lanes.select(s, strip, &p, index.into_iter().collect()));
            }
            Gesture::Pencil(drawn) if drawn.len() > 1 => {
                let tolerance = mixroom_session::automation::default_tolerance(r);
                desk.edit_followed(move |s| s.write_pass(strip, &p, &drawn, PassEnd::Release { return_frames: 1 }, false, tolerance));
            }
            Gesture::Line { from, to } if (to.frame - from.frame).abs() >= 1.0 => {
                let (a, b) = if from.frame <= to.frame { (from, to) } else { (to, from) };
                let ramp = [(snapped(a.frame, free) as u64, from_unit(r, a.unit)), (snapped(b.frame, free) as u64, from_unit(r, b.unit))];
                desk.edit_followed(move |s| s.write_pass(strip, &p, &ramp, PassEnd::Release { return_frames: 1 }, false, 0.0));
            }
            _ => {}
        }
    };
    let on_key = move |ev: web_sys::KeyboardEvent| {
        let handled = pv.with_value(|p| key_command(desk, lanes, strip, p, &ev));
        if handled {
            ev.prevent_default();
            ev.stop_propagation();
        }
    };
    let circles = move || {
        let Some(r) = range.get() else { return Vec::new() };
        let sel = selection.get();
        let (start, f, w) = (view_start.get(), fpp.get().max(1e-3), width.get());
        let rate = desk.session.with(|s| s.sample_rate as f64);
        let st = desk.session.with(|s| s.strip(strip).cloned()).unwrap_or_default();
        points
            .get()
            .into_iter()
            .enumerate()
            .filter(|(_, pt)| {
                let x = (pt.frame as f64 - start) / f;
                (-GRAB..=w + GRAB).contains(&x)
            })
            .map(|(i, pt)| {
                let (x, y) = ((pt.frame as f64 - start) / f, PAD + (1.0 - to_unit(r, pt.value)) * height);
                let chosen = sel.contains(&i);
                let text = format!("{}, {}", clock(pt.frame as f64 / rate), pv.with_value(|p| value_label(p, &st, pt.value)));
                view! {
                    <circle cx=format!("{x:.1}") cy=format!("{y:.1}") r=if chosen { "5" } else { "4" } class:chosen=chosen
                        role="img" aria-label=format!("Point {} at {text}", i + 1) data-index=i.to_string() />
                }
            })
            .collect::<Vec<_>>()
    };
    view! {
        <svg class=move || format!("lane-editor tool-{}", lanes.tool.get().label().to_ascii_lowercase())
            style:top=move || format!("{:.0}px", row.get() as f64 * LANE_HEIGHT) style:width=move || format!("{:.0}px", width.get())
            height=LANE_HEIGHT width=move || format!("{:.0}", width.get())
            role="group" tabindex="0" aria-label=label
            aria-description="Click to add a point, drag points to move them; Insert adds one at the play position, Delete removes the selected, arrows move them"
            on:pointerdown=on_down on:pointermove=on_move on:pointerup=on_up on:pointercancel=on_up on:keydown=on_key>
            <rect class="lane-bg" x="0" y="0" width="100%" height=LANE_HEIGHT></rect>
            <path class="lane-curve" d=path></path>
            {circles}
        </svg>
    }
}

/// A key pressed on a lane: what it does to the lane's points. Returns whether it was handled.
fn key_command(desk: Desk, lanes: Lanes, strip: StripRef, param: &Param, ev: &web_sys::KeyboardEvent) -> bool {
    let (points, range, rate, beat, sel) = desk.session.with_untracked(|s| {
        let st = s.strip(strip).cloned().unwrap_or_default();
        (s.automation_points(strip, param), param.range(&st), s.sample_rate as f64, 60.0 / s.tempo_bpm * s.sample_rate as f64, lanes.selection(s, strip, param))
    });
    let Some(range) = range else { return false };
    let position = desk.position.get_untracked().max(0.0) as u64;
    let command = ev.ctrl_key() || ev.meta_key();
    let p = param.clone();
    let set = move |pts: Vec<AutomationPoint>, select: Vec<usize>| {
        let p2 = p.clone();
        desk.edit_followed(move |s| s.set_automation(strip, &p2, pts));
        desk.session.with_untracked(|s| lanes.select(s, strip, &p, select));
    };
    match ev.key().as_str() {
        "Insert" | "+" | "=" => {
            // A point at the play position, on the curve there.
            let value = desk.session.with_untracked(|s| s.strip(strip).and_then(|st| curve_of(s, st, param)).map(|c| c.value_at(position))).unwrap_or(range.min);
            let mut pts = points;
            pts.push(AutomationPoint { frame: position, value: range.clamp(value).unwrap_or(range.min), shape: PointShape::Linear, bend: 0.0 });
            pts.sort_by_key(|q| q.frame);
            let i = pts.iter().rposition(|q| q.frame == position).into_iter().collect();
            set(pts, i);
            true
        }
        "Delete" | "Backspace" if !sel.is_empty() => {
            let kept: Vec<AutomationPoint> = points.iter().enumerate().filter(|(i, _)| !sel.contains(i)).map(|(_, q)| *q).collect();
            set(kept, Vec::new());
            true
        }
        "ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown" if !sel.is_empty() && ev.alt_key() && range.scale == Scale::Decibels => {
            // Trim the selected stretch in dB.
            let delta = if ev.key() == "ArrowUp" { 0.5 } else if ev.key() == "ArrowDown" { -0.5 } else { return false };
            let (a, b) = (sel.iter().map(|&i| points[i].frame).min().unwrap_or(0), sel.iter().map(|&i| points[i].frame).max().unwrap_or(0));
            let p = param.clone();
            desk.edit_followed(move |s| s.trim_automation(strip, &p, a, b.max(a + 1), delta));
            true
        }
        key @ ("ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown") if !sel.is_empty() => {
            let fine = ev.shift_key();
            let grid = GRIDS[desk.timeline.grid.get_untracked()].1 * beat;
            let dt = match key {
                "ArrowLeft" => -(if fine { 0.01 * rate } else { grid }),
                "ArrowRight" => if fine { 0.01 * rate } else { grid },
                _ => 0.0,
            };
            let du: f64 = match key {
                "ArrowUp" => if fine { 0.002 } else { 0.02 },
                "ArrowDown" => -(if fine { 0.002 } else { 0.02 }),
                _ => 0.0,
            };
            let mut moved = points.clone();
            for &i in &sel {
                moved[i].frame = (moved[i].frame as f64 + dt).max(0.0) as u64;
                let step = if matches!(range.scale, Scale::Switch | Scale::Steps) { du.signum() / (range.max - range.min).max(1.0) as f64 } else { du };
                moved[i].value = from_unit(range, to_unit(range, moved[i].value) + step);
            }
            let keys: Vec<(u64, f32)> = sel.iter().map(|&i| (moved[i].frame, moved[i].value)).collect();
            moved.sort_by_key(|q| q.frame);
            let new_sel = keys.iter().filter_map(|k| moved.iter().position(|q| (q.frame, q.value) == *k)).collect();
            // A run of nudges is one undo step.
            desk.in_run(format!("nudge {strip:?} {}", param.address()), || set(moved, new_sel));
            true
        }
        "Tab" => false,
        "c" | "C" if command && !sel.is_empty() => {
            let first = sel.iter().map(|&i| points[i].frame).min().unwrap_or(0);
            let copied = sel.iter().map(|&i| (points[i].frame - first, points[i].value, points[i].shape, points[i].bend)).collect();
            lanes.clipboard.set_value(copied);
            desk.notice(format!("{} point(s) copied.", sel.len()));
            true
        }
        "v" | "V" if command => {
            let copied = lanes.clipboard.get_value();
            if copied.is_empty() {
                return true;
            }
            // Pasted at the play position, over what was there.
            let span = copied.iter().map(|c| c.0).max().unwrap_or(0);
            let mut pts: Vec<AutomationPoint> = points.into_iter().filter(|q| q.frame < position || q.frame > position + span).collect();
            let pasted: Vec<AutomationPoint> = copied.iter().map(|&(dt, value, shape, bend)| AutomationPoint { frame: position + dt, value: range.clamp(value).unwrap_or(range.min), shape, bend }).collect();
            pts.extend(pasted.iter().copied());
            pts.sort_by_key(|q| q.frame);
            let new_sel = pasted.iter().filter_map(|k| pts.iter().position(|q| q.frame == k.frame && q.value == k.value)).collect();
            set(pts, new_sel);
            true
        }
        "a" | "A" if command => {
            let all = (0..points.len()).collect();
            desk.session.with_untracked(|s| lanes.select(s, strip, param, all));
            true
        }
        "Home" | "End" | "PageUp" | "PageDown" => false,
        "[" | "]" if !points.is_empty() => {
            // Select the previous / next point.
            let now = sel.first().copied();
            let next = match (ev.key().as_str(), now) {
                ("[", Some(i)) => i.saturating_sub(1),
                ("]", Some(i)) => (i + 1).min(points.len() - 1),
                ("[", None) => points.len() - 1,
                _ => 0,
            };
            desk.session.with_untracked(|s| lanes.select(s, strip, param, vec![next]));
            true
        }
        _ => false,
    }
}

/// The parameters a track's lane can show, grouped as the menu shows them: the strip's own, each
/// send's, then each insert's.
pub fn lane_menu(strip: &Strip) -> Vec<(String, Vec<Param>)> {
    let mut groups: Vec<(String, Vec<Param>)> = vec![("Strip".into(), vec![Param::Fader, Param::Pan, Param::Width, Param::Mute, Param::Trim])];
    for i in 0..strip.sends.len() {
        groups.push((format!("Send {} ({})", i + 1, strip.sends[i].to), vec![Param::SendLevel(i), Param::SendOn(i)]));
    }
    for (slot, insert) in strip.inserts.iter().enumerate() {
        if let Some(kind) = InsertKind::from_key(&insert.kind) {
            let mut params: Vec<Param> = kind.params().iter().map(|p| Param::Insert(slot, p.key.into())).collect();
            params.push(Param::Bypass(slot));
            groups.push((format!("{} {}", kind.label(), slot + 1), params));
        }
    }
    groups
}

/// A strip's "show a lane" menu: every parameter, grouped by insert; those with automation marked.
#[component]
pub fn LaneMenu(strip: StripRef, name: String) -> impl IntoView {
    let desk = desk();
    let lanes = lanes();
    let options = move || {
        desk.session.with(|s| {
            let Some(st) = s.strip(strip) else { return Vec::new() };
            lane_menu(st)
                .into_iter()
                .map(|(group, params)| {
                    let opts = params
                        .into_iter()
                        .map(|p| {
                            let mark = if st.lane(&p).is_some_and(|l| !l.points.is_empty()) { " ●" } else { "" };
                            view! { <option value=p.address()>{format!("{}{mark}", p.label(st))}</option> }
                        })
                        .collect_view();
                    view! { <optgroup label=group>{opts}</optgroup> }
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <select class="lane-menu" aria-label=format!("{name} automation lane to show") title="Show an automation lane"
            prop:value=""
            on:change=move |ev| {
                let el: web_sys::HtmlSelectElement = event_target(&ev);
                if let Some(p) = Param::parse(&el.value()) {
                    desk.session.with_untracked(|s| lanes.show(s, strip, &p));
                }
                el.set_value("");
            }>
            <option value="" disabled=true>"A"</option>
            {options}
        </select>
    }
}
