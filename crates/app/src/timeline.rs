//! The timeline: track headers, the ruler (seek, loop region, markers) and the lanes, where clips
//! show their waveforms and are moved, trimmed, faded and turned up or down — snapped to the grid
//! unless Shift is held or snapping is off.

use leptos::prelude::*;
use mixroom_engine::{FadeShape, StripParam};
use mixroom_session::{limits, Clip, LoopRegion, Naming, Row, StripRef};
use wasm_bindgen::JsCast;

use crate::automation::lanes::{lanes as automation_lanes, LaneEditor, LaneHeader, LaneMenu, Line, Tool};
use crate::controls::StripToggle;
use crate::strip_settings::StripSettings;
use crate::desk::desk;
use crate::store::{DETAIL_LEVEL, KEPT_LEVELS};
use crate::view::{clock, parse_seconds, TimelineState, GRIDS};
use crate::waveform::LEVELS;
use crate::fader::{db_label, parse_db};

/// Height of a row (a track's lane or a folder's), px.
const LANE: f64 = 72.0;
/// Height of the markers bar under the arrangement, px.
const MARKERS_BAR: f64 = 56.0;
/// Height of the ruler, px.
const RULER: f64 = 30.0;
/// How close to a clip's edge or fade handle the pointer must be to grab it, px.
const GRAB: f64 = 6.0;
/// The colour of a track without one of its own.
const DEFAULT_COLOUR: &str = "#4f86c6";

/// What part of a clip the pointer holds.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Zone {
    Body,
    TrimStart,
    TrimEnd,
    FadeIn,
    FadeOut,
}

#[derive(Clone, Debug)]
struct Drag {
    track: usize,
    clip: usize,
    zone: Zone,
    /// Pointer position at the start, in frames and px.
    frame: f64,
    y: f64,
    original: Clip,
    moved: bool,
}


/// How many beats apart grid lines are drawn, for beats `beat_px` pixels wide: every beat if that
/// leaves `min_px` between lines, else every bar, else every 2nd, 4th, 8th… bar.
fn grid_stride(beat_px: f64, min_px: f64) -> f64 {
    let mut every = 1.0;
    while every * beat_px < min_px && every < 1e12 {
        every *= if every < 4.0 { 4.0 } else { 2.0 };
    }
    every
}


#[component]
pub fn Timeline() -> impl IntoView {
    let desk = desk();
    let container = NodeRef::<leptos::html::Div>::new();
    let lanes = NodeRef::<leptos::html::Canvas>::new();
    let ruler = NodeRef::<leptos::html::Canvas>::new();
    let width = RwSignal::new(900.0f64);
    // The arrangement scrolls inside its pane (the ruler stays on top); the lanes canvas covers only
    // the rows in view: its height and the pane's scroll offset, px.
    let body = NodeRef::<leptos::html::Div>::new();
    let visible_height = RwSignal::new(400.0f64);
    // The view (the frame at the left edge, frames per pixel, the pane's scroll offset) and the grid
    // live on the desk: they are part of what a reload restores.
    let TimelineState { start_frame: view_start, frames_per_px: fpp, scroll_top, snap, grid, .. } = desk.timeline;
    let drag = StoredValue::new(None::<Drag>);
    // The rows: the session's, each track followed by the automation lanes shown under it.
    let shown = automation_lanes();
    let ruler_drag = StoredValue::new(None::<(f64, bool)>);

    let rate = move || desk.session.with(|s| s.sample_rate as f64);
    let length = move || desk.session.with(|s| s.length_frames() as f64).max(1.0);
    let beat_frames = move || desk.session.with(|s| 60.0 / s.tempo_bpm * s.sample_rate as f64);
    let fit = move || {
        fpp.set(length() * 1.05 / width.get_untracked().max(100.0));
        view_start.set(0.0);
    };
    let measure = move || {
        if let Some(el) = container.get_untracked() {
            width.set((el.get_bounding_client_rect().width() - 2.0).max(200.0));
        }
        // The pane reaches down to the window's bottom, less the markers bar below it.
        if let (Some(el), Some(window)) = (body.get_untracked(), web_sys::window()) {
            let inner = window.inner_height().ok().and_then(|v| v.as_f64()).unwrap_or(768.0);
            let top = el.get_bounding_client_rect().top() + window.scroll_y().unwrap_or(0.0);
            let pane = (inner - top - MARKERS_BAR).max(4.0 * LANE);
            let _ = web_sys::HtmlElement::style(&el).set_property("max-height", &format!("{pane:.0}px"));
            // Less the ruler and the pane's top and bottom borders.
            visible_height.set((pane - RULER - 2.0).max(LANE));
        }
    };
    Effect::new(move |_| {
        if container.get().is_some() {
            measure();
            if fpp.get_untracked() == 0.0 {
                fit();
            }
        }
    });
    // Back to where the track list was scrolled (this visit, or before a reload).
    Effect::new(move |_| {
        if let Some(el) = body.get() {
            let top = scroll_top.get_untracked();
            request_animation_frame(move || el.set_scroll_top(top as i32));
        }
    });
    let _ = window_event_listener(leptos::ev::resize, move |_| measure());
    // The clip panel above the arrangement comes and goes with the selected clip: measure again once
    // the page has laid it out. So does the inspector beside the timeline, with the selected strip.
    Effect::new(move |_| {
        desk.selected_clip.track();
        desk.selected.track();
        request_animation_frame(measure);
    });
    let snap_frame = move |frame: f64, free: bool| -> f64 {
        if free || !snap.get_untracked() {
            return frame.max(0.0);
        }
        let step = GRIDS[grid.get_untracked()].1 * beat_frames();
        ((frame / step).round() * step).max(0.0)
    };
    let zoom = move |factor: f64, anchor_px: f64| {
        let old = fpp.get_untracked().max(1e-3);
        let new = (old * factor).clamp(1.0 / 16.0, length() / 50.0);
        let anchor = view_start.get_untracked() + anchor_px * old;
        fpp.set(new);
        view_start.set((anchor - anchor_px * new).max(0.0));
    };

    // Draws the lanes: grid, clips with waveforms and fades, the loop region and the playhead.
    Effect::new(move |_| {
        let (w, start, fpp_v) = (width.get(), view_start.get(), fpp.get().max(1e-3));
        let selected = desk.selected_clip.get();
        // (Samples of stored audio arrive after the first draw zoomed in: drawn again then.)
        desk.sources.drawn_pages.track();
        let Some(canvas) = lanes.get() else { return };
        let rows = desk.session.with(|s| shown.lines(s));
        // Only the rows in view are drawn, shifted up by the scroll offset.
        let h = visible_height.get().min(rows.len() as f64 * LANE).max(1.0);
        let scroll = scroll_top.get();
        let in_view = |r: usize| {
            let y = r as f64 * LANE - scroll;
            y + LANE > 0.0 && y < h
        };
        canvas.set_width(w as u32);
        canvas.set_height(h as u32);
        let Some(ctx) = crate::view::canvas_context(&canvas) else { return };
        let beat = beat_frames();
        desk.session.with(|s| {
            for (r, row) in rows.iter().enumerate().filter(|(r, _)| in_view(*r)) {
                ctx.set_fill_style_str(match row {
                    Line::Row(Row::Folder(_)) => "#15181c",
                    Line::Row(Row::Track(_)) if r % 2 == 0 => "#1b1e23",
                    Line::Row(Row::Track(_)) => "#1f2228",
                    Line::Strip(_) => "#15181c",
                    Line::Lane(..) => "#131619",
                });
                ctx.fill_rect(0.0, r as f64 * LANE - scroll, w, LANE);
            }
            // Grid: beats, stronger bars; only lines at least 8 px apart are visited (beats, else
            // bars, else every 2nd, 4th, … bar), so zoomed far out it costs no more than zoomed in.
            let every = grid_stride(beat / fpp_v, 8.0);
            let first = (start / beat / every).floor() * every;
            // At most one line per 8 px, whatever the numbers: the loop is bounded by the width.
            for k in 0..(w / 8.0) as usize + 2 {
                let b = first + k as f64 * every;
                let x = (b * beat - start) / fpp_v;
                if x >= w {
                    break;
                }
                let bar = (b as i64) % 4 == 0;
                ctx.set_fill_style_str(if bar { "#343a44" } else { "#262b33" });
                ctx.fill_rect(x.floor(), 0.0, 1.0, h);
            }
            // A folder's row: its tracks' clips in thin stripes, one per track.
            for (r, row) in rows.iter().enumerate().filter(|(r, _)| in_view(*r)) {
                let Line::Row(Row::Folder(b)) = *row else { continue };
                let id = &s.buses[b].id;
                let members: Vec<usize> = (0..s.tracks.len()).filter(|&t| s.tracks[t].folder.as_ref() == Some(id)).collect();
                let stripe = (LANE - 8.0) / members.len().max(1) as f64;
                for (k, &t) in members.iter().enumerate() {
                    ctx.set_fill_style_str(s.tracks[t].colour.as_deref().unwrap_or(DEFAULT_COLOUR));
                    ctx.set_global_alpha(0.6);
                    for clip in s.clips(t) {
                        let (x0, x1) = ((clip.start as f64 - start) / fpp_v, (clip.end() as f64 - start) / fpp_v);
                        if x1 >= 0.0 && x0 <= w {
                            ctx.fill_rect(x0, r as f64 * LANE - scroll + 4.0 + k as f64 * stripe, x1 - x0, (stripe - 1.0).max(1.0));
                        }
                    }
                    ctx.set_global_alpha(1.0);
                }
            }
            desk.overviews.with_value(|overviews| {
                for (r, row) in rows.iter().enumerate().filter(|(r, _)| in_view(*r)) {
                    let Line::Row(Row::Track(t)) = *row else { continue };
                    let colour = s.tracks[t].colour.clone().unwrap_or_else(|| DEFAULT_COLOUR.into());
                    let top = r as f64 * LANE - scroll + 3.0;
                    let height = LANE - 6.0;
                    for (k, clip) in s.clips(t).iter().enumerate() {
                        let (x0, x1) = ((clip.start as f64 - start) / fpp_v, (clip.end() as f64 - start) / fpp_v);
                        if x1 < 0.0 || x0 > w {
                            continue;
                        }
                        ctx.set_global_alpha(0.35);
                        ctx.set_fill_style_str(&colour);
                        ctx.fill_rect(x0, top, x1 - x0, height);
                        ctx.set_global_alpha(1.0);
                        ctx.set_stroke_style_str(if selected == Some((t, k)) { "#ffffff" } else { &colour });
                        ctx.stroke_rect(x0 + 0.5, top + 0.5, (x1 - x0 - 1.0).max(1.0), height - 1.0);
                        // Waveform, one min/max line per pixel, scaled by the clip gain and fades.
                        let engine_clip = clip.to_engine();
                        let mid = top + height / 2.0;
                        let scale = height / 2.0 - 2.0;
                        ctx.set_fill_style_str("#d6e2f0");
                        let (px0, px1) = (x0.max(0.0).floor() as i64, x1.min(w).ceil() as i64);
                        // Finer than two of the overview's finest buckets a pixel: the samples themselves.
                        let fine = fpp_v < 2.0 * LEVELS[0] as f64;
                        let first_sample = clip.offset as f64 + (start + px0 as f64 * fpp_v - clip.start as f64).max(0.0);
                        let last_sample = (first_sample + (px1 - px0 + 2) as f64 * fpp_v) as usize + 2;
                        let samples = if fine { desk.samples(t, 0, first_sample as usize, last_sample) } else { Vec::new() };
                        // Finer than the levels kept of a stored source's overview: its detail,
                        // read from storage for the part drawn (the coarser levels meanwhile).
                        let detail = (!fine && fpp_v < 2.0 * LEVELS[KEPT_LEVELS] as f64 && !overviews.get(t).is_some_and(|o| o.has_detail()))
                            .then(|| overview_detail(desk, t, first_sample as usize, last_sample))
                            .flatten();
                        let first_bucket = first_sample as usize / LEVELS[DETAIL_LEVEL];
                        for px in px0..px1 {
                            let tl = start + px as f64 * fpp_v;
                            let rel = tl - clip.start as f64;
                            if rel < 0.0 || rel >= clip.length as f64 {
                                continue;
                            }
                            let g = fade_gain(&engine_clip, rel as u64) as f64;
                            let src = clip.offset as f64 + rel;
                            let (lo, hi) = if fine {
                                // Every sample under the pixel (one, or up to 31 zoomed out a little).
                                let i = (src - first_sample) as usize;
                                let j = ((src + fpp_v - first_sample) as usize).max(i + 1);
                                samples.get(i..j.min(samples.len())).filter(|s| !s.is_empty()).map_or((0.0, 0.0), |s| s.iter().fold((f32::MAX, f32::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x))))
                            } else if let Some(detail) = &detail {
                                crate::waveform::detail_range(detail, first_bucket, src as usize, (src + fpp_v) as usize).unwrap_or((0.0, 0.0))
                            } else {
                                overviews.get(t).and_then(|o| o.range(src as usize, (src + fpp_v) as usize)).unwrap_or((0.0, 0.0))
                            };
                            let (y0, y1) = (mid - hi as f64 * g * scale, mid - lo as f64 * g * scale);
                            ctx.fill_rect(px as f64, y0.min(y1), 1.0, (y1 - y0).abs().max(1.0));
                        }
                        // Fades: the curve over the clip and a handle at each fade's inner end.
                        ctx.set_stroke_style_str("#f2b233");
                        for (len, inward) in [(clip.fade_in, true), (clip.fade_out, false)] {
                            let (a, b) = if inward { (x0, x0 + len as f64 / fpp_v) } else { (x1 - len as f64 / fpp_v, x1) };
                            ctx.begin_path();
                            let shape = if inward { engine_clip.fade_in_shape } else { engine_clip.fade_out_shape };
                            for i in 0..=24 {
                                let u = i as f64 / 24.0;
                                let gain = shape.gain(if inward { u as f32 } else { 1.0 - u as f32 }) as f64;
                                let (x, y) = (a + (b - a) * u, top + height * (1.0 - gain));
                                if i == 0 { ctx.move_to(x, y) } else { ctx.line_to(x, y) }
                            }
                            ctx.stroke();
                            ctx.set_fill_style_str("#f2b233");
                            ctx.fill_rect(if inward { b - 4.0 } else { a - 4.0 }, top, 8.0, 8.0);
                        }
                        ctx.set_fill_style_str("#e6e8eb");
                        ctx.set_font("11px system-ui, sans-serif");
                        let label = if clip.gain_db != 0.0 { format!("{} {}", s.tracks[t].name, db_label(clip.gain_db)) } else { s.tracks[t].name.clone() };
                        let _ = ctx.fill_text(&label, x0.max(0.0) + 10.0, top + 20.0);
                    }
                }
            });
            if let Some(l) = s.loop_region {
                let (a, b) = ((l.start as f64 - start) / fpp_v, (l.end as f64 - start) / fpp_v);
                ctx.set_global_alpha(if l.enabled { 0.12 } else { 0.05 });
                ctx.set_fill_style_str("#4fb3ff");
                ctx.fill_rect(a, 0.0, b - a, h);
                ctx.set_global_alpha(1.0);
            }
        });
    });

    // The ruler: bars and times, the loop region and markers (the playhead is an element over it).
    Effect::new(move |_| {
        let (w, start, fpp_v) = (width.get(), view_start.get(), fpp.get().max(1e-3));
        let Some(canvas) = ruler.get() else { return };
        canvas.set_width(w as u32);
        canvas.set_height(RULER as u32);
        let Some(ctx) = crate::view::canvas_context(&canvas) else { return };
        let beat = beat_frames();
        let sr = rate();
        ctx.set_fill_style_str("#101215");
        ctx.fill_rect(0.0, 0.0, w, RULER);
        ctx.set_font("10px system-ui, sans-serif");
        let bar = 4.0 * beat;
        // Labelled bars at least 60 px apart; only those are visited.
        let every = ((60.0 * fpp_v / bar).ceil()).max(1.0);
        let first = ((start / bar / every).floor() * every).max(0.0);
        // At most one label per 60 px: bounded by the width, whatever the numbers.
        for k in 0..(w / 60.0) as usize + 2 {
            let b = first + k as f64 * every;
            let x = (b * bar - start) / fpp_v;
            if x >= w {
                break;
            }
            ctx.set_fill_style_str("#5a6270");
            ctx.fill_rect(x.floor(), 14.0, 1.0, RULER - 14.0);
            ctx.set_fill_style_str("#9aa3ae");
            let _ = ctx.fill_text(&format!("{}", b as u64 + 1), x + 3.0, 12.0);
            let _ = ctx.fill_text(&clock(b * bar / sr), x + 3.0, 26.0);
        }
        desk.session.with(|s| {
            if let Some(l) = s.loop_region {
                let (a, b) = ((l.start as f64 - start) / fpp_v, (l.end as f64 - start) / fpp_v);
                ctx.set_fill_style_str(if l.enabled { "#4fb3ff" } else { "#3a4a5a" });
                ctx.fill_rect(a, 0.0, b - a, 4.0);
            }
            for m in &s.markers {
                let x = (m.frame as f64 - start) / fpp_v;
                ctx.set_fill_style_str("#f2b233");
                ctx.fill_rect(x.floor(), 0.0, 2.0, RULER);
                let _ = ctx.fill_text(&m.name, x + 4.0, 21.0);
            }
        });
    });

    let point = move |ev: &web_sys::PointerEvent, canvas: &web_sys::HtmlCanvasElement| {
        let r = canvas.get_bounding_client_rect();
        (ev.client_x() as f64 - r.left(), ev.client_y() as f64 - r.top())
    };
    // The track whose lane is at `y`, and the row it is in.
    let track_at = move |y: f64| -> Option<(usize, usize)> {
        let r = ((y + scroll_top.get_untracked()) / LANE).floor().max(0.0) as usize;
        match desk.session.with_untracked(|s| shown.lines(s)).get(r) {
            Some(Line::Row(Row::Track(t))) => Some((*t, r)),
            _ => None,
        }
    };
    let hit = move |x: f64, y: f64| -> Option<(usize, usize, Zone, Clip)> {
        let (t, r) = track_at(y)?;
        let (start, fpp_v) = (view_start.get_untracked(), fpp.get_untracked().max(1e-3));
        let clips = desk.session.with_untracked(|s| s.clips(t));
        let top = r as f64 * LANE - scroll_top.get_untracked() + 3.0;
        clips.iter().enumerate().rev().find_map(|(k, c)| {
            let (x0, x1) = ((c.start as f64 - start) / fpp_v, (c.end() as f64 - start) / fpp_v);
            if x < x0 - GRAB || x > x1 + GRAB {
                return None;
            }
            let fade_in_x = x0 + c.fade_in as f64 / fpp_v;
            let fade_out_x = x1 - c.fade_out as f64 / fpp_v;
            let zone = if y - top < 12.0 && (x - fade_in_x).abs() <= GRAB {
                Zone::FadeIn
            } else if y - top < 12.0 && (x - fade_out_x).abs() <= GRAB {
                Zone::FadeOut
            } else if (x - x0).abs() <= GRAB {
                Zone::TrimStart
            } else if (x - x1).abs() <= GRAB {
                Zone::TrimEnd
            } else if x > x0 && x < x1 {
                Zone::Body
            } else {
                return None;
            };
            Some((t, k, zone, c.clone()))
        })
    };
    let on_lanes_down = move |ev: web_sys::PointerEvent| {
        ev.prevent_default();
        let Some(canvas) = lanes.get_untracked() else { return };
        let (x, y) = point(&ev, &canvas);
        if let Some((t, _)) = track_at(y) {
            desk.selected.set(Some(StripRef::Track(t)));
        }
        match hit(x, y) {
            Some((track, clip, zone, original)) => {
                let _ = canvas.set_pointer_capture(ev.pointer_id());
                desk.selected_clip.set(Some((track, clip)));
                let frame = view_start.get_untracked() + x * fpp.get_untracked();
                drag.set_value(Some(Drag { track, clip, zone, frame, y, original, moved: false }));
            }
            None => desk.selected_clip.set(None),
        }
    };
    let on_lanes_move = move |ev: web_sys::PointerEvent| {
        let Some(canvas) = lanes.get_untracked() else { return };
        let (x, y) = point(&ev, &canvas);
        let Some(mut d) = drag.get_value() else {
            let cursor = match hit(x, y).map(|h| h.2) {
                Some(Zone::TrimStart | Zone::TrimEnd) => "ew-resize",
                Some(Zone::FadeIn | Zone::FadeOut) => "crosshair",
                Some(Zone::Body) => "grab",
                None => "default",
            };
            let _ = web_sys::HtmlElement::style(&canvas).set_property("cursor", cursor);
            return;
        };
        let frame = view_start.get_untracked() + x * fpp.get_untracked();
        let delta = frame - d.frame;
        let free = ev.shift_key();
        let o = d.original.clone();
        let mut c = o.clone();
        match d.zone {
            Zone::Body if ev.alt_key() => c.gain_db = (o.gain_db as f64 - (y - d.y) * 0.1) as f32,
            Zone::Body => c.start = snap_frame(o.start as f64 + delta, free) as u64,
            Zone::TrimStart => {
                let new_start = snap_frame(o.start as f64 + delta, free).max(o.start as f64 - o.offset as f64).min(o.end() as f64 - 1.0);
                let d_frames = new_start - o.start as f64;
                c.start = new_start as u64;
                c.offset = (o.offset as f64 + d_frames) as u64;
                c.length = (o.length as f64 - d_frames) as u64;
            }
            Zone::TrimEnd => c.length = (snap_frame(o.end() as f64 + delta, free) - o.start as f64).max(1.0) as u64,
            Zone::FadeIn => c.fade_in = (o.fade_in as f64 + delta).clamp(0.0, o.length as f64) as u64,
            Zone::FadeOut => c.fade_out = (o.fade_out as f64 - delta).clamp(0.0, o.length as f64) as u64,
        }
        d.moved = true;
        let (track, index) = (d.track, d.clip);
        drag.set_value(Some(d));
        desk.edit_engine(move |s| s.edit_clip(track, index, |clip| *clip = c).ok());
    };
    let on_lanes_up = move |_| drag.set_value(None);
    let on_wheel = move |ev: web_sys::WheelEvent| {
        ev.prevent_default();
        if ev.ctrl_key() || ev.meta_key() {
            let x = lanes.get_untracked().map_or(0.0, |c| ev.client_x() as f64 - c.get_bounding_client_rect().left());
            zoom(if ev.delta_y() > 0.0 { 1.25 } else { 0.8 }, x);
        } else {
            let d = if ev.delta_x().abs() > ev.delta_y().abs() { ev.delta_x() } else { ev.delta_y() };
            view_start.update(|v| *v = (*v + d * fpp.get_untracked()).clamp(0.0, length()));
        }
    };
    let on_ruler_down = move |ev: web_sys::PointerEvent| {
        ev.prevent_default();
        let Some(canvas) = ruler.get_untracked() else { return };
        let _ = canvas.set_pointer_capture(ev.pointer_id());
        let (x, _) = point(&ev, &canvas);
        ruler_drag.set_value(Some((view_start.get_untracked() + x * fpp.get_untracked(), false)));
    };
    let on_ruler_move = move |ev: web_sys::PointerEvent| {
        let Some((from, _)) = ruler_drag.get_value() else { return };
        let Some(canvas) = ruler.get_untracked() else { return };
        let (x, _) = point(&ev, &canvas);
        let to = view_start.get_untracked() + x * fpp.get_untracked();
        if ((to - from) / fpp.get_untracked().max(1e-3)).abs() < 4.0 {
            return;
        }
        // Dragging along the ruler draws the loop region (snapped) and turns looping on.
        ruler_drag.set_value(Some((from, true)));
        let free = ev.shift_key();
        let (a, b) = (snap_frame(from.min(to), free) as u64, snap_frame(from.max(to), free) as u64);
        if b > a {
            desk.edit_engine(move |s| Some(s.set_loop(Some(LoopRegion { start: a, end: b, enabled: true }))));
        }
    };
    let on_ruler_up = move |ev: web_sys::PointerEvent| {
        if let (Some((_, false)), Some(canvas)) = (ruler_drag.get_value(), ruler.get_untracked()) {
            // A click: move the play position there.
            let (x, _) = point(&ev, &canvas);
            desk.seek((view_start.get_untracked() + x * fpp.get_untracked()).max(0.0) as u64);
        }
        ruler_drag.set_value(None);
    };
    let looping = move || desk.session.with(|s| s.loop_region.is_some_and(|l| l.enabled));
    let toggle_loop = move |_| {
        let frame = desk.position.get_untracked() as u64;
        let bar = (4.0 * beat_frames()) as u64;
        desk.edit_engine(move |s| {
            let region = match s.loop_region {
                Some(l) => LoopRegion { enabled: !l.enabled, ..l },
                // No region yet: four bars from the bar the play position is in.
                None => LoopRegion { start: frame / bar * bar, end: frame / bar * bar + 4 * bar, enabled: true },
            };
            Some(s.set_loop(Some(region)))
        });
    };
    // Each row with what its header shows (rebuilt when a name changes).
    let rows = Memo::new(move |_| {
        desk.session.with(|s| {
            shown
                .lines(s)
                .into_iter()
                .map(|line| match &line {
                    Line::Row(Row::Folder(b)) => (line.clone(), s.buses[*b].name.clone()),
                    Line::Row(Row::Track(t)) => (line.clone(), s.tracks[*t].name.clone()),
                    Line::Strip(r) | Line::Lane(r, _) => (line.clone(), s.strip_name(*r)),
                })
                .collect::<Vec<_>>()
        })
    });
    // A session opening draws its headers a few a frame, as the timeline appearing does.
    let drawn = crate::view::drawn_in_frames(rows, move || !desk.ready.get());
    let drawn_rows = move || rows.with(|r| r.iter().take(drawn.get()).cloned().collect::<Vec<_>>());
    // The lanes shown, each with its row.
    let lane_rows = move || {
        desk.session.with(|s| shown.lines(s).into_iter().enumerate().filter_map(|(r, line)| match line {
            Line::Lane(strip, p) => Some((r, strip, p)),
            Line::Row(_) | Line::Strip(_) => None,
        }).collect::<Vec<_>>())
    };
    view! {
        <section class="timeline" aria-label="Timeline">
            <div class="timeline-tools" role="toolbar" aria-label="Timeline tools">
                <button aria-label="Zoom out" on:click=move |_| zoom(2.0, width.get_untracked() / 2.0)>"−"</button>
                <button aria-label="Zoom in" on:click=move |_| zoom(0.5, width.get_untracked() / 2.0)>"+"</button>
                <button on:click=move |_| fit()>"Fit"</button>
                <label><input type="checkbox" aria-label="Snap to grid" prop:checked=move || snap.get()
                    on:change=move |ev| snap.set(event_target_checked(&ev)) />"Snap"</label>
                <select aria-label="Grid" on:change=move |ev| grid.set(event_target_value(&ev).parse().unwrap_or(1))>
                    {GRIDS.iter().enumerate().map(|(i, (n, _))| view! { <option value=i.to_string() selected=i == grid.get_untracked()>{*n}</option> }).collect_view()}
                </select>
                {
                    let recorder = crate::automation::recorder();
                    view! {
                        <label class="recording-setting" title="How long Touch takes to return to the curve after a release">"Return "
                            <input type="number" min="0" max="5000" step="10" aria-label="Touch return time in ms"
                                prop:value=move || format!("{:.0}", recorder.return_ms.get())
                                on:change=move |ev| {
                                    if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                                        recorder.return_ms.set(v.clamp(0.0, 5_000.0));
                                    }
                                } />
                            "ms"</label>
                        <label class="recording-setting" title="How closely a recorded pass is kept: points the curve can do without, within this much (dB for levels; 0: every point)">"Thin "
                            <input type="number" min="0" max="6" step="0.05" aria-label="Recorded pass thinning tolerance"
                                placeholder="auto" prop:value=move || recorder.tolerance.get().map_or(String::new(), |t| format!("{t}"))
                                on:change=move |ev| {
                                    recorder.tolerance.set(event_target_value(&ev).parse::<f32>().ok().filter(|t| t.is_finite()).map(|t| t.clamp(0.0, 6.0)));
                                } />
                            </label>
                    }
                }
                <select aria-label="Automation tool" title="How the pointer edits automation lanes"
                    on:change=move |ev| {
                        let label = event_target_value(&ev);
                        if let Some(t) = Tool::ALL.into_iter().find(|t| t.label() == label) {
                            shown.tool.set(t);
                        }
                    }>
                    {Tool::ALL.into_iter().map(|t| view! { <option value=t.label()>{t.label()}</option> }).collect_view()}
                </select>
                <button class="loop" class:on=looping aria-label="Loop" aria-pressed=move || looping().to_string() on:click=toggle_loop>"⟲ Loop"</button>
                <button title="Put the selected track in a new folder (a group bus)"
                    disabled=move || !matches!(desk.selected.get(), Some(StripRef::Track(_)))
                    on:click=move |_| {
                        let Some(StripRef::Track(t)) = desk.selected.get_untracked() else { return };
                        desk.restructure(move |s| {
                            let name = (1..).map(|n| format!("Folder {n}")).find(|n| !s.buses.iter().any(|b| &b.name == n)).unwrap_or_default();
                            s.new_folder(t, &name).map(|_| ())
                        });
                    }>"New folder"</button>
                <button on:click=move |_| {
                    let frame = desk.position.get_untracked() as u64;
                    desk.edit_session(move |s| s.add_marker(frame));
                }>"Add marker"</button>
            </div>
            <ClipPanel />
            <div class="timeline-body" node_ref=body on:scroll=move |_| {
                if let Some(el) = body.get_untracked() {
                    scroll_top.set(el.scroll_top() as f64);
                }
            }>
                <div class="track-headers">
                    <div class="ruler-spacer"></div>
                    <For each=drawn_rows key=|(row, n)| (row.clone(), n.clone()) let:((row, name))>
                        {match row {
                            Line::Row(Row::Folder(bus)) => view! { <FolderHeader bus=bus name=name /> }.into_any(),
                            Line::Row(Row::Track(index)) => view! { <TrackHeader index=index name=name /> }.into_any(),
                            Line::Strip(strip) => view! { <StripRowHeader strip=strip name=name /> }.into_any(),
                            Line::Lane(strip, param) => view! { <LaneHeader strip=strip param=param /> }.into_any(),
                        }}
                    </For>
                </div>
                <div class="lanes-pane" node_ref=container>
                    <canvas node_ref=ruler class="ruler" role="slider" tabindex="0" aria-label="Timeline ruler (click to move the play position, drag to set the loop)"
                        aria-valuenow=move || format!("{:.0}", desk.position.get())
                        aria-valuemin="0" aria-valuemax=move || format!("{:.0}", length())
                        aria-valuetext=move || clock(desk.position.get() / rate())
                        on:keydown=move |ev: web_sys::KeyboardEvent| {
                            // The play position by beats (arrows) and bars (Page keys), or to either end.
                            let (beat, now) = (beat_frames(), desk.position.get_untracked());
                            let to = match ev.key().as_str() {
                                "ArrowLeft" => ((now / beat).ceil() - 1.0) * beat,
                                "ArrowRight" => ((now / beat).floor() + 1.0) * beat,
                                "PageDown" => ((now / (4.0 * beat)).ceil() - 1.0) * 4.0 * beat,
                                "PageUp" => ((now / (4.0 * beat)).floor() + 1.0) * 4.0 * beat,
                                "Home" => 0.0,
                                "End" => length(),
                                _ => return,
                            };
                            ev.prevent_default();
                            ev.stop_propagation();
                            desk.seek(to.clamp(0.0, length()) as u64);
                        }
                        on:pointerdown=on_ruler_down on:pointermove=on_ruler_move on:pointerup=on_ruler_up></canvas>
                    <div class="lanes-stack" style:height=move || format!("{:.0}px", desk.session.with(|s| shown.lines(s).len()) as f64 * LANE)>
                        <canvas node_ref=lanes class="lanes" role="img" aria-label="Track lanes with clips"
                            on:pointerdown=on_lanes_down on:pointermove=on_lanes_move on:pointerup=on_lanes_up on:pointercancel=on_lanes_up
                            on:wheel=on_wheel></canvas>
                        <For each=lane_rows key=|(r, strip, p)| (*r, *strip, p.address()) let:((r, strip, p))>
                            <LaneEditor strip=strip param=p row=Signal::from(r) width=Signal::from(width) />
                        </For>
                    </div>
                    // The playhead is its own composited element over the ruler and the lanes:
                    // moving it never redraws either canvas, nor repaints the page.
                    <div class="playhead" aria-hidden="true"
                        style:transform=move || format!("translateX({:.1}px)", (desk.position.get() - view_start.get()) / fpp.get().max(1e-3))></div>
                </div>
            </div>
            <Markers />
        </section>
    }
}

/// Gain of a clip's fades at `rel` frames into it.
fn fade_gain(c: &mixroom_engine::Clip, rel: u64) -> f32 {
    let mut g = c.gain;
    if rel < c.fade_in {
        g *= c.fade_in_shape.gain(rel as f32 / c.fade_in as f32);
    }
    if c.fade_out > 0 && rel >= c.length.saturating_sub(c.fade_out) {
        g *= c.fade_out_shape.gain((c.length - rel) as f32 / c.fade_out as f32);
    }
    g
}

/// Renames what `what` names to what was typed into the field of `ev` (`thing` says what it is,
/// for the message): a name longer than the limit is cut, and the user told; an empty one is
/// refused, and the field shows the name again.
pub(crate) fn rename_from(ev: &web_sys::Event, what: Naming, thing: &str) {
    let desk = desk();
    match desk.edit_session(|s| s.rename(what, &event_target_value(ev))) {
        Some(true) => desk.notice(limits::name_cut_message(thing)),
        Some(false) => {}
        None => {
            let now = desk.session.with_untracked(|s| match what {
                Naming::Session => Some(s.name.clone()),
                Naming::Strip(r) => Some(s.strip_name(r)),
                Naming::Marker(i) => s.markers.get(i).map(|m| m.name.clone()),
            });
            if let (Some(now), Some(input)) = (now, ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())) {
                input.set_value(&now);
            }
        }
    }
}

/// A folder's header: fold/unfold, its name (the bus's), mute and solo of the whole folder.
#[component]
fn FolderHeader(bus: usize, name: String) -> impl IntoView {
    let desk = desk();
    let strip = StripRef::Bus(bus);
    let settings = StripSettings::new(desk, strip);
    let collapsed = move || desk.session.with(|s| s.buses.get(bus).is_some_and(|b| b.collapsed));
    let tracks = move || desk.session.with(|s| s.buses.get(bus).map_or(0, |b| s.tracks.iter().filter(|t| t.folder.as_ref() == Some(&b.id)).count()));
    let selected = move || desk.selected.get() == Some(strip);
    view! {
        <div class="track-header folder-header" class:selected=selected role="group" aria-label=format!("{name} folder")
            on:pointerdown=move |_| desk.selected.set(Some(strip))>
            <button class="fold" aria-label=format!("Fold {name}") aria-expanded=move || (!collapsed()).to_string()
                title="Fold or unfold the folder's tracks"
                on:click=move |_| {
                    let fold = !collapsed();
                    desk.edit_session(move |s| { s.set_folder_collapsed(bus, fold); Ok(()) });
                }>{move || if collapsed() { "▸" } else { "▾" }}</button>
            <input type="text" class="track-name" aria-label=format!("{name} folder name") prop:value=name.clone()
                on:change=move |ev| rename_from(&ev, Naming::Strip(strip), "folder's name") />
            <span class="folder-count">{move || match tracks() { 1 => "1 track".to_owned(), n => format!("{n} tracks") }}</span>
            <StripToggle settings=settings param=StripParam::Mute name=name.clone() />
            <StripToggle settings=settings param=StripParam::Solo name=name.clone() />
            <LaneMenu strip=strip name=name.clone() />
        </div>
    }
}

/// The row of a return or the master: no clips, only the strip's automation lanes under it
/// (its name, mute, and the menu that opens them).
#[component]
fn StripRowHeader(strip: StripRef, name: String) -> impl IntoView {
    let desk = desk();
    let settings = StripSettings::new(desk, strip);
    let selected = move || desk.selected.get() == Some(strip);
    let label = if strip == StripRef::Master { format!("{name} automation row") } else { format!("{name} return automation row") };
    view! {
        <div class="strip-row-header" class:selected=selected role="group" aria-label=label
            on:pointerdown=move |_| desk.selected.set(Some(strip))>
            <span class="strip-row-name">{name.clone()}</span>
            {(strip != StripRef::Master).then(|| view! { <StripToggle settings=settings param=StripParam::Mute name=name.clone() /> })}
            <LaneMenu strip=strip name=name.clone() />
        </div>
    }
}

/// One track's header: name, colour, mute and solo, trim.
#[component]
fn TrackHeader(index: usize, name: String) -> impl IntoView {
    let desk = desk();
    let strip = StripRef::Track(index);
    let settings = StripSettings::new(desk, strip);
    let value = move |f: fn(&mixroom_session::Strip) -> f32| settings.with(f).unwrap_or(0.0);
    let colour = move || desk.session.with(|s| s.tracks.get(index).and_then(|t| t.colour.clone()).unwrap_or_else(|| DEFAULT_COLOUR.into()));
    let set = move |p: StripParam, v: f32| desk.edit(move |s| s.set_strip_param(strip, p, v));
    let selected = move || desk.selected.get() == Some(strip);
    // Reordering: the header follows the pointer; dropped, the track moves by whole headers.
    let header = NodeRef::<leptos::html::Div>::new();
    let drag = RwSignal::new(None::<(f64, f64)>); // (pointer y at the grab, header height)
    let offset = RwSignal::new(0.0f64);
    let places = move || drag.get().map_or(0, |(_, h)| (offset.get() / h.max(1.0)).round() as isize);
    let move_to = move |to: isize| {
        let count = desk.session.with_untracked(|s| s.tracks.len()) as isize;
        let to = to.clamp(0, count - 1) as usize;
        if to != index {
            desk.restructure(move |s| s.move_track(index, to));
            // The header is rebuilt in its new place: keep the keyboard on its grip.
            let label = format!("Move {}", desk.session.with_untracked(|s| s.tracks.get(to).map(|t| t.name.clone()).unwrap_or_default()));
            gloo_timers::callback::Timeout::new(0, move || {
                let grip = web_sys::window().and_then(|w| w.document()).and_then(|d| d.query_selector(&format!("[aria-label=\"{label}\"]")).ok().flatten());
                if let Some(grip) = grip {
                    let _ = grip.unchecked_ref::<web_sys::HtmlElement>().focus();
                }
            })
            .forget();
        }
    };
    // Dropped `by` rows away: onto a track's row it takes that track's place (inside its folder,
    // if any); onto a folder's row it lands just outside the folder, on the side it came from.
    let drop_by = move |by: isize| {
        let to = desk.session.with_untracked(|s| {
            let rows = s.timeline_rows();
            let here = rows.iter().position(|r| *r == Row::Track(index))? as isize;
            let target = (here + by).clamp(0, rows.len() as isize - 1) as usize;
            match rows[target] {
                Row::Track(t) => Some(t as isize),
                Row::Folder(b) => {
                    let first = s.tracks.iter().position(|t| t.folder.as_ref() == Some(&s.buses[b].id))? as isize;
                    Some(if first > index as isize { first - 1 } else { first })
                }
            }
        });
        if let Some(to) = to {
            move_to(to);
        }
    };
    view! {
        <div class="track-header" class:selected=selected class:moving=move || drag.get().is_some() node_ref=header
            class:in-folder=move || desk.session.with(|s| s.tracks.get(index).is_some_and(|t| t.folder.is_some()))
            style:border-left-color=colour role="group" aria-label=format!("{name} track")
            data-track-id=move || desk.session.with(|s| s.tracks.get(index).map(|t| t.id.clone()))
            style:transform=move || drag.get().map(|_| format!("translateY({:.0}px)", offset.get()))
            on:pointerdown=move |_| desk.selected.set(Some(strip))>
            <button class="track-grip" aria-label=format!("Move {name}") title="Drag to move the track (or ↑/↓)"
                on:pointerdown=move |ev: web_sys::PointerEvent| {
                    ev.prevent_default();
                    if let Some(el) = ev.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
                        let _ = el.set_pointer_capture(ev.pointer_id());
                        let _ = el.unchecked_ref::<web_sys::HtmlElement>().focus();
                    }
                    let height = header.get_untracked().map_or(72.0, |h| h.offset_height() as f64);
                    offset.set(0.0);
                    drag.set(Some((ev.client_y() as f64, height)));
                }
                on:pointermove=move |ev: web_sys::PointerEvent| {
                    if let Some((y0, _)) = drag.get_untracked() {
                        offset.set(ev.client_y() as f64 - y0);
                    }
                }
                on:pointerup=move |_| {
                    let by = places();
                    drag.set(None);
                    if by != 0 {
                        drop_by(by);
                    }
                }
                on:pointercancel=move |_| drag.set(None)
                on:keydown=move |ev: web_sys::KeyboardEvent| {
                    let by = match ev.key().as_str() {
                        "ArrowUp" => -1,
                        "ArrowDown" => 1,
                        _ => return,
                    };
                    ev.prevent_default();
                    ev.stop_propagation();
                    move_to(index as isize + by);
                }>"⋮⋮"</button>
            <input type="text" class="track-name" aria-label=format!("{name} name") prop:value=name.clone()
                on:change=move |ev| rename_from(&ev, Naming::Strip(strip), "track's name") />
            <input type="color" aria-label=format!("{name} colour") prop:value=colour
                on:change=move |ev| {
                    let c = event_target_value(&ev);
                    desk.edit_session(move |s| s.set_colour(index, Some(&c)));
                } />
            <StripToggle settings=settings param=StripParam::Mute name=name.clone() />
            <StripToggle settings=settings param=StripParam::Solo name=name.clone() />
            <LaneMenu strip=strip name=name.clone() />
            {
                // Offline: its audio is not in this browser. Relinked with a file.
                let source = move || desk.session.with(|s| match s.tracks.get(index).map(|t| &t.source) {
                    Some(mixroom_session::Source::Audio { id, .. }) => Some(id.clone()),
                    _ => None,
                });
                let offline = move || source().filter(|id| desk.sources.offline.with(|o| o.contains(id)));
                let picker = NodeRef::<leptos::html::Input>::new();
                let label = format!("Relink {name}");
                view! {
                    <Show when=move || offline().is_some()>
                        <span class="offline" title="Its audio is not in this browser: it plays silence until relinked">"Offline"</span>
                        <button class="relink" aria-label=label.clone() on:click=move |_| if let Some(el) = picker.get_untracked() { el.click() }>"Relink…"</button>
                        <input node_ref=picker type="file" accept="audio/*,.wav,.aif,.aiff,.flac,.mp3,.ogg" class="file-input" tabindex="-1" aria-label=format!("File for {label}")
                            on:change=move |_| {
                                let Some(el) = picker.get_untracked() else { return };
                                let file = el.files().and_then(|l| l.get(0));
                                el.set_value("");
                                if let (Some(file), Some(id)) = (file, offline()) {
                                    crate::sharing::relink(desk, crate::import::imports(), id, file);
                                }
                            } />
                    </Show>
                }
            }
            <input type="text" class="trim" aria-label=format!("{name} trim in dB") title="Input trim"
                prop:value=move || db_label(value(|s| s.trim_db))
                on:change=move |ev| {
                    if let Some(v) = parse_db(&event_target_value(&ev)) {
                        set(StripParam::Trim, v.max(-24.0));
                    }
                } />
        </div>
    }
}

/// The selected clip's numbers, to read and to type.
#[component]
fn ClipPanel() -> impl IntoView {
    let desk = desk();
    let clip = move || desk.selected_clip.get().and_then(|(t, k)| desk.session.with(|s| s.clips(t).get(k).cloned().map(|c| (t, k, c, s.sample_rate as f64))));
    move || {
        clip().map(|(t, k, c, sr)| {
            let name = desk.session.with_untracked(|s| s.tracks[t].name.clone());
            let edit = move |f: Box<dyn FnOnce(&mut Clip)>| desk.edit_engine(move |s| s.edit_clip(t, k, f).ok());
            // The fields whose edits say nothing of their own (gain, fade shapes).
            let edit_gain = move |f: Box<dyn FnOnce(&mut Clip)>| {
                edit(f);
            };
            // A typed time goes in as frames (a float far beyond u64 saturates), and the clip keeps
            // within its source and the timeline: if that changed what was typed, the user is told.
            let seconds_field = move |label: &'static str, frames: u64, apply: fn(&mut Clip, u64), read: fn(&Clip) -> u64| {
                view! {
                    <label>{label}
                        <input type="text" aria-label=format!("Clip {}", label.to_lowercase()) prop:value=clock(frames as f64 / sr)
                            on:change=move |ev| {
                                let Some(v) = parse_seconds(&event_target_value(&ev)) else {
                                    desk.notice(format!("“{}” is not a time: type seconds (12.5) or minutes and seconds (1:02.5).", event_target_value(&ev)));
                                    return;
                                };
                                let f = (v * sr).round() as u64;
                                if !edit(Box::new(move |c| apply(c, f))) {
                                    return;
                                }
                                let now = desk.session.with_untracked(|s| s.clips(t).get(k).map(read));
                                if now.is_some_and(|now| now != f) {
                                    let hours = limits::TIMELINE_HOURS;
                                    desk.notice(format!(
                                        "The clip's {} is {}: as far as it goes (a clip lies within its audio, and the timeline's first {hours} hours).",
                                        label.to_lowercase(),
                                        clock(now.unwrap_or(0) as f64 / sr)
                                    ));
                                }
                            } />
                    </label>
                }
            };
            let shape_select = move |label: &'static str, current: String, apply: fn(&mut Clip, String)| {
                view! {
                    <label>{label}
                        <select aria-label=label on:change=move |ev| { let v = event_target_value(&ev); edit_gain(Box::new(move |c| apply(c, v))); }>
                            {FadeShape::ALL.iter().map(|s| view! { <option value=s.key() selected=current == s.key()>{s.label()}</option> }).collect_view()}
                        </select>
                    </label>
                }
            };
            view! {
                <div class="clip-panel" role="group" aria-label=format!("{name} clip {}", k + 1)>
                    <strong>{format!("{name} · clip {}", k + 1)}</strong>
                    {seconds_field("Start", c.start, |c, f| c.start = f, |c| c.start)}
                    {seconds_field("Length", c.length, |c, f| c.length = f, |c| c.length)}
                    {seconds_field("Offset", c.offset, |c, f| c.offset = f, |c| c.offset)}
                    <label>"Gain"
                        <input type="text" aria-label="Clip gain" prop:value=db_label(c.gain_db)
                            on:change=move |ev| { if let Some(v) = parse_db(&event_target_value(&ev)) { edit_gain(Box::new(move |c| c.gain_db = v.max(-60.0))); } } />
                    </label>
                    {seconds_field("Fade in", c.fade_in, |c, f| c.fade_in = f, |c| c.fade_in)}
                    {shape_select("Fade-in shape", c.fade_in_shape.clone(), |c, v| c.fade_in_shape = v)}
                    {seconds_field("Fade out", c.fade_out, |c, f| c.fade_out = f, |c| c.fade_out)}
                    {shape_select("Fade-out shape", c.fade_out_shape.clone(), |c, v| c.fade_out_shape = v)}
                </div>
            }
        })
    }
}

/// The markers: rename, jump, remove.
#[component]
fn Markers() -> impl IntoView {
    let desk = desk();
    let markers = move || desk.session.with(|s| s.markers.iter().map(|m| (m.name.clone(), m.frame)).enumerate().collect::<Vec<_>>());
    view! {
        <div class="markers" role="list" aria-label="Markers">
            {move || markers().into_iter().map(|(i, (name, frame))| view! {
                <div class="marker" role="listitem">
                    <button aria-label=format!("Go to {name}") on:click=move |_| desk.seek(frame)>"▸"</button>
                    <input type="text" aria-label=format!("{name} marker name") prop:value=name.clone()
                        on:change=move |ev| rename_from(&ev, Naming::Marker(i), "marker's name") />
                    <button aria-label=format!("Remove {name}") on:click=move |_| { desk.edit_session(move |s| { s.remove_marker(i); Ok(()) }); }>"×"</button>
                </div>
            }).collect_view()}
        </div>
    }
}

/// The stored overview detail of a track's imported audio over frames `[from, to)` of its source
/// (see [`crate::sources::Sources::stored_detail`]); `None` for the demo's stems (their overview
/// holds the detail) and until the detail is read.
fn overview_detail(desk: crate::desk::Desk, track: usize, from: usize, to: usize) -> Option<Vec<(f32, f32)>> {
    let source = desk.session.with_untracked(|s| s.tracks.get(track).map(|t| t.source.clone()));
    let Some(source @ mixroom_session::Source::Audio { id, frames, .. }) = &source else { return None };
    let to = to.min(*frames as usize);
    desk.sources.stored_detail(&desk.sources.pages_of(source).unwrap_or_else(|| id.clone()), from.min(to), to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn grid_lines_are_never_closer_than_asked_and_fall_on_bars_once_beats_are_too_close() {
        assert_eq!(grid_stride(20.0, 8.0), 1.0);
        assert_eq!(grid_stride(3.0, 8.0), 4.0);
        assert_eq!(grid_stride(1.5, 8.0), 8.0);
        // A whole day at 30 BPM in 900 px: a few dozen lines, not 43 200.
        let beat_px = 900.0 / (24.0 * 60.0 * 30.0);
        let every = grid_stride(beat_px, 8.0);
        assert!(every * beat_px >= 8.0 && every % 4.0 == 0.0);
        assert!(24.0 * 60.0 * 30.0 / every <= 900.0 / 8.0 + 1.0);
    }

    #[wasm_bindgen_test]
    fn times_read_and_write() {
        assert_eq!(clock(62.5), "1:02.500");
        assert_eq!(parse_seconds("1:02.500"), Some(62.5));
        assert_eq!(parse_seconds("12.5 s"), Some(12.5));
        assert_eq!(parse_seconds("-3"), None);
    }
}
