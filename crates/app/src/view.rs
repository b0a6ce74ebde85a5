//! Where the engineer is looking, as a reload restores it: which view fills the window, and the
//! timeline's view and grid. Below the features that draw them (the timeline) and the one that
//! saves them (sessions), so that neither reaches into the other.

use leptos::prelude::*;
use mixroom_session::TimelineView;

/// The two views of a session (the stored form's [`Page`](mixroom_session::Page)).
pub use mixroom_session::Page as View;

/// The timeline's grid choices: name and length in beats.
pub const GRIDS: [(&str, f64); 4] = [("Bar", 4.0), ("Beat", 1.0), ("1/8", 0.5), ("1/16", 0.25)];

/// The timeline's view and grid: the timeline draws it, a reload finds it as it was.
#[derive(Clone, Copy)]
pub struct TimelineState {
    /// The frame at the left edge.
    pub start_frame: RwSignal<f64>,
    /// Zoom, frames per pixel; 0 until the timeline first fits the session to its width.
    pub frames_per_px: RwSignal<f64>,
    /// How far the track list is scrolled, px.
    pub scroll_top: RwSignal<f64>,
    pub snap: RwSignal<bool>,
    /// Index into the timeline's grid choices.
    pub grid: RwSignal<usize>,
    /// The automation lanes open under tracks: (track id, parameter address), in the order
    /// opened (the automation feature shows and hides them; a reload finds them open).
    pub lanes: RwSignal<Vec<(String, String)>>,
}

impl TimelineState {
    pub fn new() -> TimelineState {
        let v = TimelineView::default();
        TimelineState {
            start_frame: RwSignal::new(v.start_frame),
            frames_per_px: RwSignal::new(v.frames_per_px),
            scroll_top: RwSignal::new(v.scroll_top),
            snap: RwSignal::new(v.snap),
            grid: RwSignal::new(v.grid),
            lanes: RwSignal::new(v.lanes),
        }
    }

    /// The view as stored.
    pub fn get(self) -> TimelineView {
        TimelineView {
            start_frame: self.start_frame.get_untracked(),
            frames_per_px: self.frames_per_px.get_untracked(),
            scroll_top: self.scroll_top.get_untracked(),
            snap: self.snap.get_untracked(),
            grid: self.grid.get_untracked(),
            lanes: self.lanes.get_untracked(),
        }
    }

    /// Restores a stored view, within the timeline of a session at `rate` (values out of range
    /// fall back to a fitted view at the start and the beat grid).
    pub fn set(self, v: &TimelineView, rate: u32) {
        let day = mixroom_session::limits::timeline_frames(rate) as f64;
        let within = |x: f64, top: f64| if x.is_finite() && (0.0..=top).contains(&x) { x } else { 0.0 };
        self.start_frame.set(within(v.start_frame, day));
        self.frames_per_px.set(within(v.frames_per_px, day));
        self.scroll_top.set(within(v.scroll_top, 1e7));
        self.snap.set(v.snap);
        self.grid.set(if v.grid < GRIDS.len() { v.grid } else { TimelineView::default().grid });
        // Lanes of tracks or parameters the session no longer has are simply not drawn; ids and
        // addresses longer than any the session holds are dropped.
        let fits = |(t, a): &&(String, String)| t.len() <= mixroom_session::limits::ID_BYTES && a.len() <= mixroom_session::limits::NAME_CHARS;
        self.lanes.set(v.lanes.iter().filter(fits).take(mixroom_session::stored::MAX_SHOWN_LANES).cloned().collect());
    }

    /// Tracks every part (for the autosave).
    pub fn track(self) {
        self.start_frame.track();
        self.frames_per_px.track();
        self.scroll_top.track();
        self.snap.track();
        self.grid.track();
        self.lanes.track();
    }
}


/// A time as m:ss.mmm.
pub fn clock(seconds: f64) -> String {
    format!("{}:{:06.3}", (seconds / 60.0).floor() as u64, seconds % 60.0)
}

/// Reads a time typed as seconds ("12.5", "12.5 s") or m:ss.mmm ("1:02.500").
pub fn parse_seconds(text: &str) -> Option<f64> {
    let t = text.trim().trim_end_matches('s').trim();
    let v = match t.split_once(':') {
        Some((m, s)) => m.trim().parse::<f64>().ok()? * 60.0 + s.trim().parse::<f64>().ok()?,
        None => t.parse::<f64>().ok()?,
    };
    (v.is_finite() && v >= 0.0).then_some(v)
}

/// A canvas's 2D drawing context (`None` where the browser gives none): every canvas the app
/// draws on — meters, spectra, waveforms, the final check's graphs — asks here.
pub fn canvas_context(canvas: &web_sys::HtmlCanvasElement) -> Option<web_sys::CanvasRenderingContext2d> {
    use wasm_bindgen::JsCast;
    canvas.get_context("2d").ok().flatten().map(JsCast::unchecked_into)
}

/// Items of a long list (a console's strips, a timeline's track headers) drawn in a frame: the
/// first frame's, then more each frame after. A 64-track console drawn at once held the page for
/// half a second (building the elements, then their layout) — and a session that had just opened
/// could not answer Play until it was drawn. Drawn a few items a frame, the page answers between
/// frames. A list this long or shorter is drawn at once.
const DRAWN_FIRST_FRAME: usize = 16;
const DRAWN_A_FRAME: usize = 8;

/// How many of `list`'s items to draw: all of them once drawn, but a list that appears starts at
/// the first frame's (`DRAWN_FIRST_FRAME`), so does one when `opening()` turns true (a session
/// opening: the list it brings is drawn from the first frame's), and items beyond those drawn
/// come a few a frame.
pub fn drawn_in_frames<T: Send + Sync + PartialEq + 'static>(list: Memo<Vec<T>>, opening: impl Fn() -> bool + Send + Sync + 'static) -> ReadSignal<usize> {
    let drawn = RwSignal::new(DRAWN_FIRST_FRAME);
    // (Not on the list's change: an open sets the new list and says it is done in one go, before
    // an effect runs.)
    Effect::new(move |_| {
        if opening() {
            drawn.set(DRAWN_FIRST_FRAME);
        }
    });
    Effect::new(move |_| {
        if drawn.get() < list.with(Vec::len) {
            request_animation_frame(move || drawn.try_update(|n| *n += DRAWN_A_FRAME).unwrap_or(()));
        }
    });
    drawn.read_only()
}
