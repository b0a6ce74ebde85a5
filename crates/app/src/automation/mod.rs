//! Automation in the app: each strip's mode, moving controls in Read, and passes recorded by
//! performance (Touch, Latch, Write, Trim) — the state of the passes under way and what they do.
//!
//! While playing, a control of a strip in a writing mode does not change the mix's setting: its
//! moves are recorded with the play position, and the engine plays the moving value instead of
//! that parameter's curve (the strip's other curves play on). When the pass ends — on release
//! in Touch and Trim, at Stop in Latch and Write — it is written into the lane with
//! `Session::write_pass`: one undoable edit, after which the engine plays the new curve. A
//! switch (mute, a send's on/off, a bypass) is never held: its pass runs to Stop in Touch too.
//! In Read (and the writing modes, between passes), the console's controls show the curve's
//! value at the play position.

use leptos::prelude::*;
use mixroom_engine::{ParamChange, SendParam, StripParam};
use mixroom_session::automation::{self, AutomationMode, Param, PassEnd};
use mixroom_session::{EngineEdit, Session, StripRef};

use crate::desk::{desk, Desk};
use crate::strip_settings::{played_value, StripSettings};

pub mod lanes;

/// How long Touch takes to return to the curve after a release, ms (settable).
pub const DEFAULT_RETURN_MS: f64 = 250.0;

/// A pass under way.
#[derive(Clone, Debug)]
struct Pass {
    strip: StripRef,
    param: Param,
    mode: AutomationMode,
    /// (frame, value): the control's values, or for Trim its offsets in dB.
    recorded: Vec<(u64, f32)>,
    /// Trim: where the control was when touched (what the offsets are from).
    touched_at: f32,
    /// Trim: the pass rides offsets (a level in Trim mode); a switch or a position in Trim is
    /// written as in Touch.
    trim: bool,
    /// Still held (Latch and Write go on after a release, with the last value).
    held: bool,
    /// The value the engine plays now.
    live: f32,
}

/// The passes under way and the settings of recording.
#[derive(Clone, Copy)]
pub struct Recorder {
    passes: RwSignal<Vec<Pass>>,
    /// Touch's return to the curve after a release, ms.
    pub return_ms: RwSignal<f64>,
    /// The thinning tolerance, in the parameter's curve units (dB for levels), `None`: each
    /// parameter's default.
    pub tolerance: RwSignal<Option<f32>>,
}

impl Default for Recorder {
    fn default() -> Self {
        Self::new()
    }
}

impl Recorder {
    pub fn new() -> Recorder {
        Recorder { passes: RwSignal::new(Vec::new()), return_ms: RwSignal::new(DEFAULT_RETURN_MS), tolerance: RwSignal::new(None) }
    }

    /// Starts following the transport: passes end at Stop; Write starts with playback.
    pub fn follow(self, desk: Desk) {
        Effect::new(move |was: Option<bool>| {
            let playing = desk.playing.get();
            if was == Some(true) && !playing {
                self.finish_all(desk);
            }
            if was == Some(false) && playing {
                self.start_write_passes(desk);
            }
            playing
        });
    }

    /// Whether `strip` records its controls now.
    fn writing(desk: Desk, strip: StripRef) -> Option<AutomationMode> {
        if !desk.playing.get_untracked() {
            return None;
        }
        desk.session.with_untracked(|s| {
            let mode = s.strip(strip)?.automation_mode;
            (!s.automation_suspended && matches!(mode, AutomationMode::Touch | AutomationMode::Latch | AutomationMode::Write | AutomationMode::Trim)).then_some(mode)
        })
    }

    /// A control of `strip` was moved to `value` by the user: recorded if a pass takes it
    /// (returns true), otherwise left to the caller to set.
    pub fn moved(self, desk: Desk, strip: StripRef, param: &Param, value: f32) -> bool {
        let Some(mode) = Self::writing(desk, strip) else { return false };
        // Trim rides levels only; a switch or choice in Trim is written as in Touch.
        let trim = mode == AutomationMode::Trim && param.range(&desk.session.with_untracked(|s| s.strip(strip).cloned()).unwrap_or_default()).is_some_and(|r| r.scale == mixroom_engine::Scale::Decibels);
        let frame = desk.heard_frame();
        let existing = self.passes.with_untracked(|p| p.iter().position(|x| x.strip == strip && x.param == *param));
        if existing.is_none() {
            let shown = shown_value(desk, None, strip, param).unwrap_or(value);
            self.passes.update(|p| p.push(Pass { strip, param: param.clone(), mode, recorded: Vec::new(), touched_at: shown, trim, held: true, live: value }));
            // The engine plays the control, not this parameter's curve, until the pass ends.
            self.play_strip(desk, strip);
        }
        self.passes.update(|p| {
            if let Some(pass) = p.iter_mut().find(|x| x.strip == strip && x.param == *param) {
                pass.held = true;
                pass.live = value;
                let recorded = if trim { value - pass.touched_at } else { value };
                if pass.recorded.last().is_some_and(|l| l.0 >= frame) {
                    pass.recorded.pop();
                }
                pass.recorded.push((frame, recorded));
            }
        });
        let live = if trim { self.trimmed_live(desk, strip, param, value) } else { value };
        if let Some(change) = desk.session.with_untracked(|s| live_change(s, strip, param, live)) {
            desk.play_live(&EngineEdit::Param(change));
        }
        true
    }

    /// The user flipped a switch of `strip` (mute, a send's on/off, an insert's bypass) to `on`:
    /// recorded if a pass takes it (returns true), otherwise left to the caller to set. A switch
    /// is never held, so its pass runs on with the new state until Stop in Touch too (as Pro
    /// Tools writes switches); flipping it again in the same pass writes the next step.
    pub fn switched(self, desk: Desk, strip: StripRef, param: &Param, on: bool) -> bool {
        let recorded = self.moved(desk, strip, param, if on { 1.0 } else { 0.0 });
        if recorded {
            self.passes.update(|p| p.iter_mut().filter(|x| x.strip == strip && x.param == *param).for_each(|x| x.held = false));
        }
        recorded
    }

    /// In Trim the engine plays the curve moved by the offset ridden.
    fn trimmed_live(self, desk: Desk, strip: StripRef, param: &Param, value: f32) -> f32 {
        let offset = self.passes.with_untracked(|p| p.iter().find(|x| x.strip == strip && x.param == *param).map_or(0.0, |x| value - x.touched_at));
        shown_value(desk, None, strip, param).map_or(value, |v| v + offset)
    }

    /// The user let go of a control of `strip`: Touch and Trim passes end (back to the curve over
    /// the return time); Latch and Write go on with the last value until Stop.
    pub fn released(self, desk: Desk, strip: StripRef, param: &Param) {
        let Some(i) = self.passes.with_untracked(|p| p.iter().position(|x| x.strip == strip && x.param == *param)) else { return };
        let mode = self.passes.with_untracked(|p| p[i].mode);
        if matches!(mode, AutomationMode::Touch | AutomationMode::Trim) {
            let frames = (self.return_ms.get_untracked() * 0.001 * desk.session.with_untracked(|s| s.sample_rate) as f64) as u64;
            let pass = self.passes.try_update(|p| p.remove(i));
            if let Some(mut pass) = pass {
                // Held still, a control is still touched: the pass runs to the release.
                let now = desk.heard_frame();
                if let Some(&(frame, v)) = pass.recorded.last() {
                    if now > frame {
                        pass.recorded.push((now, v));
                    }
                }
                self.write(desk, pass, PassEnd::Release { return_frames: frames });
            }
        } else {
            self.passes.update(|p| p[i].held = false);
        }
    }

    /// Write: every strip in Write records its fader from the start of playback.
    fn start_write_passes(self, desk: Desk) {
        let strips: Vec<StripRef> = desk.session.with_untracked(|s| {
            if s.automation_suspended {
                return Vec::new();
            }
            s.strip_refs().into_iter().filter(|r| s.strip(*r).is_some_and(|st| st.automation_mode == AutomationMode::Write)).collect()
        });
        for strip in strips {
            if let Some(v) = shown_value(desk, None, strip, &Param::Fader) {
                self.moved(desk, strip, &Param::Fader, v);
                self.passes.update(|p| p.iter_mut().filter(|x| x.strip == strip).for_each(|x| x.held = false));
            }
        }
    }

    /// Stop: every pass ends where playback stopped.
    fn finish_all(self, desk: Desk) {
        let passes = self.passes.try_update(std::mem::take).unwrap_or_default();
        let stop = desk.position.get_untracked().max(0.0) as u64;
        for mut pass in passes {
            // The last value goes on to the stop (Latch and Write hold it; a Touch still held too).
            if let Some(&(frame, v)) = pass.recorded.last() {
                if stop > frame {
                    pass.recorded.push((stop, v));
                }
            }
            self.write(desk, pass, PassEnd::Stop);
        }
    }

    /// Writes a finished pass into its lane: one undoable edit; the engine then plays the lane.
    fn write(self, desk: Desk, pass: Pass, end: PassEnd) {
        let tolerance = self.tolerance.get_untracked();
        let trim = pass.trim;
        let written = desk.edit_followed(|s| {
            let strip = s.strip(pass.strip).cloned().unwrap_or_default();
            let tolerance = tolerance.or_else(|| pass.param.range(&strip).map(automation::default_tolerance)).unwrap_or(0.0);
            s.write_pass(pass.strip, &pass.param, &pass.recorded, end, trim, tolerance)
        });
        // Whatever became of it, the engine plays the session's curve and setting again (and the
        // strip's other passes still under way, their live values).
        desk.session.with_untracked(|s| {
            if let Some(change) = s.strip(pass.strip).and_then(|st| pass.param.setting(st)).and_then(|v| live_change(s, pass.strip, &pass.param, v)) {
                desk.play_live(&EngineEdit::Param(change));
            }
        });
        self.play_strip(desk, pass.strip);
        if written.is_some() {
            let name = desk.session.with_untracked(|s| s.strip_name(pass.strip));
            desk.notice(format!("{} automation of {} written ({}).", pass.mode.label(), name, desk.session.with_untracked(|s| s.strip(pass.strip).map(|st| pass.param.label(st)).unwrap_or_default())));
        }
    }

    /// Gives the engine `strip`'s curves without those of the parameters a pass is recording,
    /// and those parameters' live values: each pass plays what its control shows, whatever other
    /// pass starts or ends on the strip.
    fn play_strip(self, desk: Desk, strip: StripRef) {
        let live: Vec<(Param, f32)> = self.passes.with_untracked(|p| p.iter().filter(|x| x.strip == strip).map(|x| (x.param.clone(), x.live)).collect());
        let params: Vec<Param> = live.iter().map(|(p, _)| p.clone()).collect();
        desk.session.with_untracked(|s| {
            if let Some(packed) = automation::pack_strip_without(s, strip, &params) {
                desk.play_live(&EngineEdit::Automation(packed));
            }
            for (param, value) in &live {
                // In Trim the live value is already the curve moved by the ride.
                if let Some(change) = live_change(s, strip, param, *value) {
                    desk.play_live(&EngineEdit::Param(change));
                }
            }
        });
    }

    /// The value a pass under way plays for `strip`'s `param`, if one does.
    pub fn live(self, strip: StripRef, param: &Param) -> Option<f32> {
        self.passes.with(|p| p.iter().find(|x| x.strip == strip && x.param == *param).map(|x| x.live))
    }

    /// Whether a pass is recording `strip` (for the strip's indicator).
    pub fn recording(self, strip: StripRef) -> bool {
        self.passes.with(|p| p.iter().any(|x| x.strip == strip))
    }
}

/// The engine's change that plays `value` for `param` on `strip` (its units), without touching
/// the session.
fn live_change(s: &Session, strip: StripRef, param: &Param, value: f32) -> Option<ParamChange> {
    let id = s.strip_id(strip);
    Some(match param {
        Param::Trim => ParamChange::Strip(id, StripParam::Trim, value),
        Param::Fader => ParamChange::Strip(id, StripParam::Fader, value),
        Param::Pan => ParamChange::Strip(id, StripParam::Pan, value),
        Param::Width => ParamChange::Strip(id, StripParam::Width, value),
        Param::Mute => ParamChange::Strip(id, StripParam::Mute, value),
        Param::SendLevel(i) => ParamChange::Send(id, *i, SendParam::Level, value),
        Param::SendOn(i) => ParamChange::Send(id, *i, SendParam::Mute, 1.0 - value),
        Param::Insert(slot, key) => {
            let kind = mixroom_engine::InsertKind::from_key(&s.strip(strip)?.inserts.get(*slot)?.kind)?;
            ParamChange::Insert(id, *slot, kind.params().iter().position(|p| p.key == key)?, value)
        }
        Param::Bypass(slot) => ParamChange::Bypass(id, *slot, value >= 0.5),
    })
}


/// What a control of `strip` shows for `param`: a pass's live value, else the curve at the play
/// position where one plays, else the setting. (A strip's own controls read
/// [`strip_shown_value`]: this one tracks the whole session.)
pub fn shown_value(desk: Desk, recorder: Option<Recorder>, strip: StripRef, param: &Param) -> Option<f32> {
    if let Some(v) = recorder.and_then(|r| r.live(strip, param)) {
        return Some(v);
    }
    desk.session.with(|s| played_value(desk, s.strip(strip)?, param, s.sample_rate, s.automation_suspended))
}

/// [`shown_value`] for a control of the strip `settings` follows: it tracks that strip alone.
pub fn strip_shown_value(desk: Desk, recorder: Recorder, settings: StripSettings, param: &Param) -> Option<f32> {
    recorder.live(settings.strip, param).or_else(|| settings.automated(desk, param))
}

/// Whether a switch of `strip` is on as the console shows it: a pass's live state, else its
/// curve at the play position, else its setting (for a send's on/off, on is "not muted").
pub fn switch_on(desk: Desk, recorder: Recorder, strip: StripRef, param: &Param) -> bool {
    shown_value(desk, Some(recorder), strip, param).is_some_and(|v| v >= 0.5)
}

/// [`switch_on`] for a switch on the strip `settings` follows.
pub fn strip_switch_on(desk: Desk, recorder: Recorder, settings: StripSettings, param: &Param) -> bool {
    strip_shown_value(desk, recorder, settings, param).is_some_and(|v| v >= 0.5)
}

/// The recorder of the running app.
pub fn recorder() -> Recorder {
    expect_context::<Recorder>()
}

/// A strip's automation mode: a control named "<strip> automation mode".
#[component]
pub fn ModeSelect(settings: StripSettings, name: String) -> impl IntoView {
    let desk = desk();
    let recorder = recorder();
    let strip = settings.strip;
    let mode = move || settings.with(|st| st.automation_mode).unwrap_or(AutomationMode::Read);
    let lanes = move || settings.with(|st| st.automation.len()).unwrap_or(0);
    let set = move |label: String| {
        if let Some(m) = AutomationMode::ALL.into_iter().find(|m| m.label() == label) {
            desk.edit_followed(|s| s.set_automation_mode(strip, m));
        }
    };
    view! {
        <div class="automation-mode" class:writing=move || matches!(mode(), AutomationMode::Touch | AutomationMode::Latch | AutomationMode::Write | AutomationMode::Trim)
            class:recording=move || recorder.recording(strip)>
            <select aria-label=format!("{name} automation mode") title=move || format!("Automation: {} ({} lane(s))", mode().label(), lanes())
                prop:value=move || mode().label() on:change=move |ev| set(event_target_value(&ev))>
                {AutomationMode::ALL.into_iter().map(|m| view! { <option value=m.label()>{m.label()}</option> }).collect_view()}
            </select>
            <span class="lanes-mark" class:hidden=move || lanes() == 0 title=move || format!("{} automated parameter(s)", lanes())>{move || format!("A{}", lanes())}</span>
        </div>
    }
}

/// "Suspend all automation": every strip plays its settings while on.
#[component]
pub fn SuspendToggle() -> impl IntoView {
    let desk = desk();
    let on = move || desk.session.with(|s| s.automation_suspended);
    view! {
        <button class="suspend-automation" aria-pressed=move || on().to_string() title="Suspend all automation"
            on:click=move |_| { let next = !on(); desk.edit_followed(|s| { s.set_automation_suspended(next); Ok(()) }); }>"Auto off"</button>
    }
}
