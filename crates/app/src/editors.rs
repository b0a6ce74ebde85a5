//! Plugin editors: the EQ with its response curve and draggable band nodes, and the compressor with
//! its transfer curve and gain reduction. The generic controls stay below them in the inspector.

use leptos::prelude::*;
use mixroom_dsp::dynamics::compressor_curve_db;
use mixroom_dsp::filter::{response_db, Shape};
use mixroom_session::StripRef;
use wasm_bindgen::JsCast;

use crate::desk::desk;
use crate::meters::{SPECTRUM_HIGH_HZ, SPECTRUM_LOW_HZ};
use crate::fader::db_label;

const WIDTH: f64 = 340.0;
const HEIGHT: f64 = 150.0;
/// The EQ graph spans ±18 dB.
const RANGE_DB: f64 = 18.0;
const F_LOW: f64 = SPECTRUM_LOW_HZ as f64;
const F_HIGH: f64 = SPECTRUM_HIGH_HZ as f64;
/// The spectrum behind the curve spans this many dB below full scale (its own scale: a mix's
/// spectrum lives far below the EQ's ±18 dB).
const SPECTRUM_RANGE_DB: f64 = 90.0;
/// Spectrum canvas pixels per graph unit (sharp on high-density screens).
const SPECTRUM_SCALE: f64 = 2.0;

fn x_of(f: f64) -> f64 {
    WIDTH * (f / F_LOW).ln() / (F_HIGH / F_LOW).ln()
}

fn f_of(x: f64) -> f64 {
    F_LOW * (F_HIGH / F_LOW).powf((x / WIDTH).clamp(0.0, 1.0))
}

fn y_of(db: f64) -> f64 {
    HEIGHT / 2.0 - db * (HEIGHT / 2.0) / RANGE_DB
}

fn db_of(y: f64) -> f64 {
    (HEIGHT / 2.0 - y) * RANGE_DB / (HEIGHT / 2.0)
}

/// One EQ band as the graph shows it.
#[derive(Clone, Copy, PartialEq)]
struct Band {
    shape: Shape,
    on: bool,
    freq: f64,
    gain: f64,
    q: f64,
}

const BANDS: [(&str, &str, Shape); 4] = [("low", "low shelf", Shape::LowShelf), ("lomid", "low-mid", Shape::Bell), ("himid", "high-mid", Shape::Bell), ("high", "high shelf", Shape::HighShelf)];

fn format_hz(f: f64) -> String {
    if f >= 1_000.0 {
        format!("{:.2} kHz", f / 1_000.0)
    } else {
        format!("{f:.0} Hz")
    }
}

/// The EQ of insert `slot` of `strip`: its summed response, a node per band to drag (frequency
/// sideways, gain up and down, Shift for fine moves) or move with the arrow keys.
#[component]
pub fn EqGraph(strip: StripRef, position: usize, label: String) -> impl IntoView {
    let desk = desk();
    let slot = position;
    let band = move |b: usize| {
        desk.session.with(|s| {
            let (key, _, shape) = BANDS[b];
            let get = |name: &str| s.insert_param(strip, slot, &format!("{key}_{name}")).unwrap_or(0.0) as f64;
            Band { shape, on: get("on") > 0.5, freq: get("freq"), gain: get("gain"), q: get("q") }
        })
    };
    let rate = move || desk.session.with(|s| s.sample_rate as f64);
    let curve = move || {
        let bands: Vec<Band> = (0..4).map(band).collect();
        let fs = rate();
        let mut d = String::new();
        for i in 0..=160 {
            let x = WIDTH * i as f64 / 160.0;
            let f = f_of(x);
            let db: f64 = bands.iter().filter(|b| b.on).map(|b| response_db(b.shape, b.freq, b.q, b.gain, f, fs)).sum();
            d.push_str(&format!("{}{:.1},{:.1} ", if i == 0 { "M" } else { "L" }, x, y_of(db.clamp(-RANGE_DB * 1.2, RANGE_DB * 1.2))));
        }
        d
    };
    let set = move |b: usize, freq: f64, gain: f64| {
        let key = BANDS[b].0;
        desk.edit(move |s| s.set_insert_param(strip, slot, &format!("{key}_freq"), freq as f32));
        desk.edit(move |s| s.set_insert_param(strip, slot, &format!("{key}_gain"), gain as f32));
    };
    let svg = NodeRef::<leptos::svg::Svg>::new();
    // The band being dragged and the pointer's last position in graph units.
    let dragging = StoredValue::new(None::<(usize, f64, f64)>);
    let to_graph = move |ev: &web_sys::PointerEvent| -> Option<(f64, f64)> {
        let el: web_sys::Element = svg.get_untracked()?.unchecked_into();
        let r = el.get_bounding_client_rect();
        Some(((ev.client_x() as f64 - r.left()) * WIDTH / r.width().max(1.0), (ev.client_y() as f64 - r.top()) * HEIGHT / r.height().max(1.0)))
    };
    let grid = [50.0, 100.0, 200.0, 500.0, 1_000.0, 2_000.0, 5_000.0, 10_000.0];
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    desk.meters.spectrum_views.update(|n| *n += 1);
    on_cleanup(move || desk.meters.spectrum_views.update(|n| *n = n.saturating_sub(1)));
    Effect::new(move |_| desk.meters.spectrum.with(|levels| {
        if let Some(canvas) = canvas.get() {
            draw_spectrum(&canvas, levels);
        }
    }));
    view! {
        <div class="eq-graph">
            <canvas node_ref=canvas class="spectrum" width=WIDTH * SPECTRUM_SCALE height=HEIGHT * SPECTRUM_SCALE
                role="img" aria-label=format!("{label} spectrum") title="The strip's signal after its inserts, before its fader"></canvas>
            <svg node_ref=svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=format!("{label} response")
                on:pointermove=move |ev: web_sys::PointerEvent| {
                    let Some((b, lx, ly)) = dragging.get_value() else { return };
                    let Some((x, y)) = to_graph(&ev) else { return };
                    let scale = if ev.shift_key() { 0.1 } else { 1.0 };
                    let (nx, ny) = (lx + (x - lx) * scale, ly + (y - ly) * scale);
                    let now = band(b);
                    let freq = f_of(x_of(now.freq) + (nx - lx));
                    let gain = (now.gain + db_of(ny) - db_of(ly)).clamp(-24.0, 24.0);
                    dragging.set_value(Some((b, x, y)));
                    set(b, freq, gain);
                }
                on:pointerup=move |_| dragging.set_value(None)
                on:pointercancel=move |_| dragging.set_value(None)>
                {grid.iter().map(|f| view! { <line class="grid" x1=x_of(*f) x2=x_of(*f) y1="0" y2=HEIGHT /> }).collect_view()}
                {[-12.0, -6.0, 0.0, 6.0, 12.0].iter().map(|db| view! { <line class=if *db == 0.0 { "grid zero" } else { "grid" } x1="0" x2=WIDTH y1=y_of(*db) y2=y_of(*db) /> }).collect_view()}
                <path class="curve" d=curve />
                {(0..4).map(|b| {
                    let name = BANDS[b].1;
                    view! {
                        <circle class="node" class:off=move || !band(b).on r="7" tabindex="0" role="slider"
                            aria-label=format!("{label} {name} node")
                            aria-valuetext=move || { let v = band(b); format!("{}, {}", format_hz(v.freq), db_label(v.gain as f32)) }
                            aria-valuenow=move || format!("{:.1}", band(b).gain)
                            cx=move || x_of(band(b).freq) cy=move || y_of(band(b).gain)
                            on:pointerdown=move |ev: web_sys::PointerEvent| {
                                ev.prevent_default();
                                if let Some(el) = ev.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
                                    if let Some(svg) = svg.get_untracked() {
                                        let svg: web_sys::Element = svg.unchecked_into();
                                        let _ = svg.set_pointer_capture(ev.pointer_id());
                                    }
                                    let _ = el.unchecked_ref::<web_sys::HtmlElement>().focus();
                                }
                                if let Some((x, y)) = to_graph(&ev) {
                                    dragging.set_value(Some((b, x, y)));
                                }
                            }
                            on:keydown=move |ev: web_sys::KeyboardEvent| {
                                let v = band(b);
                                let fine = ev.shift_key();
                                let (df, dg) = match ev.key().as_str() {
                                    "ArrowLeft" => (if fine { -1.0 / 48.0 } else { -1.0 / 12.0 }, 0.0),
                                    "ArrowRight" => (if fine { 1.0 / 48.0 } else { 1.0 / 12.0 }, 0.0),
                                    "ArrowUp" => (0.0, if fine { 0.1 } else { 0.5 }),
                                    "ArrowDown" => (0.0, if fine { -0.1 } else { -0.5 }),
                                    _ => return,
                                };
                                ev.prevent_default();
                                ev.stop_propagation();
                                set(b, v.freq * 2f64.powf(df), (v.gain + dg).clamp(-24.0, 24.0));
                            } />
                    }
                }).collect_view()}
            </svg>
        </div>
    }
}

/// Draws the spectrum (dBFS at the curve's frequencies) as a filled area, and notes the frequency
/// of its highest point on the canvas (`data-peak-hz`) for those who read it rather than see it.
fn draw_spectrum(canvas: &web_sys::HtmlCanvasElement, levels: &[f32]) {
    let Some(ctx) = crate::view::canvas_context(canvas) else { return };
    let (w, h) = (WIDTH * SPECTRUM_SCALE, HEIGHT * SPECTRUM_SCALE);
    ctx.clear_rect(0.0, 0.0, w, h);
    let last = levels.len().saturating_sub(1).max(1) as f64;
    let y = |db: f32| h * (-(db as f64) / SPECTRUM_RANGE_DB).clamp(0.0, 1.0);
    ctx.begin_path();
    ctx.move_to(0.0, h);
    for (i, &db) in levels.iter().enumerate() {
        ctx.line_to(w * i as f64 / last, y(db));
    }
    ctx.line_to(w, h);
    ctx.close_path();
    ctx.set_fill_style_str("rgba(90, 150, 210, 0.28)");
    ctx.fill();
    ctx.set_stroke_style_str("rgba(140, 190, 240, 0.6)");
    ctx.set_line_width(1.5);
    ctx.stroke();
    let peak = levels.iter().enumerate().filter(|(_, &db)| db > -(SPECTRUM_RANGE_DB as f32)).max_by(|a, b| a.1.total_cmp(b.1));
    let peak_hz = peak.map_or(String::new(), |(i, _)| format!("{:.0}", f_of(WIDTH * i as f64 / last)));
    let _ = canvas.set_attribute("data-peak-hz", &peak_hz);
}

/// The compressor of insert `slot` of `strip`: its static curve (input vs output level, makeup
/// included) and the strip's gain reduction now.
#[component]
pub fn CompressorGraph(strip: StripRef, position: usize, label: String) -> impl IntoView {
    let desk = desk();
    let slot = position;
    let size = 150.0;
    let to_x = move |db: f64| (db + 60.0) / 60.0 * size;
    let to_y = move |db: f64| size - (db + 60.0) / 60.0 * size;
    let curve = move || {
        desk.session.with(|s| {
            let get = |k: &str| s.insert_param(strip, slot, k).unwrap_or(0.0);
            let (t, r, w, makeup) = (get("threshold"), get("ratio"), get("knee"), get("makeup"));
            let auto = if get("auto_makeup") > 0.5 { -compressor_curve_db(0.0, t, r, w) } else { 0.0 };
            let mut d = String::new();
            for i in 0..=120 {
                let input = -60.0 + 60.0 * i as f32 / 120.0;
                let out = (compressor_curve_db(input, t, r, w) + makeup + auto).clamp(-60.0, 6.0) as f64;
                d.push_str(&format!("{}{:.1},{:.1} ", if i == 0 { "M" } else { "L" }, to_x(input as f64), to_y(out)));
            }
            d
        })
    };
    let threshold = move || desk.session.with(|s| s.insert_param(strip, slot, "threshold").unwrap_or(0.0) as f64);
    let index = move || desk.session.with(|s| s.strip_id(strip));
    let reduction = move || desk.meters.strips.with(|m| m.get(index()).map_or(0.0, |m| m.reduction_db));
    view! {
        <div class="comp-graph">
            <svg viewBox=format!("0 0 {size} {size}") role="img" aria-label=format!("{label} transfer curve")>
                <line class="grid" x1="0" y1=size x2=size y2="0" />
                <line class="grid threshold" x1=move || to_x(threshold()) x2=move || to_x(threshold()) y1="0" y2=size />
                <path class="curve" d=curve />
            </svg>
            <div class="gr-readout" role="meter" aria-label=format!("{label} gain reduction") aria-valuemin="0" aria-valuemax="24"
                aria-valuenow=move || format!("{:.1}", reduction())>
                <div class="gr-bar" style:height=move || format!("{:.1}%", (reduction() / 24.0).clamp(0.0, 1.0) * 100.0)></div>
                <span>{move || format!("−{:.1} dB", reduction())}</span>
            </div>
        </div>
    }
}
