//! Mixroom's user interface: a Leptos (client-side rendered) app.
//!
//! The app owns the [`Session`] — the user's mix — as a signal. Every edit goes through the
//! [`desk::Desk`], which changes the session and sends the same change to the engine in the
//! AudioWorklet ([`audio`]); the engine never holds state the session does not. Exports run the same
//! engine offline.

pub mod audio;
mod automation;
mod console;
mod controls;
mod delivery;
mod desk;
mod editors;
pub mod fader;
mod files;
mod final_check;
mod history;
mod import;
mod meters;
mod references;
pub mod inspector;
mod sessions;
mod sharing;
mod source;
mod sources;
mod strip_settings;
pub mod store;
mod tabs;
mod timeline;
mod view;
mod workers;
pub mod waveform;

use leptos::prelude::*;
pub use mixroom_session::Session;

use console::{Console, StatusLine, Transport};
use desk::{Desk, View};
use inspector::Inspector;

#[cfg(test)]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// The keyboard of a DAW, and the gestures that make a drag one undo step.
///
/// Space plays and stops, Home returns to the start, M and S mute and solo the selected strip, B
/// switches between the mix and the selected reference track (A/B), the arrow keys select strips, Ctrl/Cmd+Z undoes and Shift+Ctrl/Cmd+Z (or Ctrl+Y) redoes — except
/// while typing in a text field, and arrows are left to a focused control.
fn shortcuts(desk: Desk, recorder: automation::Recorder, references: references::References) {
    use mixroom_engine::StripParam;
    use mixroom_session::automation::Param;
    use wasm_bindgen::JsCast;
    let _ = window_event_listener(leptos::ev::pointerdown, move |_| desk.begin_gesture());
    let _ = window_event_listener(leptos::ev::pointerup, move |_| desk.end_gesture());
    let _ = window_event_listener(leptos::ev::pointercancel, move |_| desk.end_gesture());
    let _ = window_event_listener(leptos::ev::keydown, move |ev: web_sys::KeyboardEvent| {
        let target = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok());
        let tag = target.as_ref().map(|t| t.tag_name().to_ascii_lowercase()).unwrap_or_default();
        let input_type = target.as_ref().and_then(|t| t.get_attribute("type")).unwrap_or_default();
        let typing = tag == "textarea" || tag == "select" || (tag == "input" && !matches!(input_type.as_str(), "checkbox" | "button"));
        let on_control = typing || target.as_ref().is_some_and(|t| t.get_attribute("role").as_deref() == Some("slider"));
        let command = ev.ctrl_key() || ev.meta_key();
        let key = ev.key();
        let handled = match key.as_str() {
            "z" | "Z" if command && !typing => {
                if ev.shift_key() { desk.redo() } else { desk.undo() }
                true
            }
            "y" if command && !typing => {
                desk.redo();
                true
            }
            " " if !typing => {
                desk.toggle_play();
                true
            }
            "Home" if !on_control => {
                desk.rewind();
                true
            }
            "m" | "M" | "s" | "S" if !typing && !command => {
                if let Some(strip) = desk.selected.get_untracked() {
                    let param = if key.eq_ignore_ascii_case("m") { StripParam::Mute } else { StripParam::Solo };
                    if param == StripParam::Mute {
                        // As the Mute button: it follows its curve and a pass records it.
                        let on = untrack(|| automation::switch_on(desk, recorder, strip, &Param::Mute));
                        if !recorder.switched(desk, strip, &Param::Mute, !on) {
                            desk.edit(move |s| s.set_strip_param(strip, param, if on { 0.0 } else { 1.0 }));
                        }
                    } else {
                        let on = desk.session.with_untracked(|s| s.strip(strip).is_some_and(|st| st.solo));
                        desk.edit(move |s| s.set_strip_param(strip, param, if on { 0.0 } else { 1.0 }));
                    }
                }
                true
            }
            "b" | "B" if !typing && !command => {
                references.toggle(desk);
                true
            }
            "ArrowLeft" | "ArrowUp" if !on_control => {
                desk.select_next(-1);
                true
            }
            "ArrowRight" | "ArrowDown" if !on_control => {
                desk.select_next(1);
                true
            }
            _ => false,
        };
        if handled {
            ev.prevent_default();
        }
    });
}

/// The whole app: header with transport, the console, the inspector and the status line.
#[component]
pub fn App() -> impl IntoView {
    // `?tracks=32` opens the demo with its tracks repeated (for load tests and benchmarks).
    let copies = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .and_then(|q| q.split(['?', '&']).find_map(|kv| kv.strip_prefix("tracks=").and_then(|n| n.parse::<usize>().ok())))
        .map_or(1, |n| n.div_ceil(8).clamp(1, 16));
    let desk = Desk::new(Session::empty(""));
    provide_context(desk);
    let library = sessions::Library::new();
    provide_context(library);
    let imports = import::Imports::new();
    provide_context(imports);
    let sharing = sharing::Sharing::new();
    provide_context(sharing);
    let recorder = automation::Recorder::new();
    provide_context(recorder);
    recorder.follow(desk);
    let references = references::References::new();
    provide_context(references);
    references.follow(desk);
    provide_context(delivery::Delivery::new());
    let final_check = final_check::FinalCheck::new();
    provide_context(final_check);
    final_check.follow(desk);
    provide_context(automation::lanes::Lanes::new(desk.timeline.lanes));
    import::accept_drops(desk, imports, library, sharing);
    desk.follow_tap();
    library.start(desk, (copies > 1).then(|| Session::demo_copies(copies)));
    // A session link's mix opens once the session open last has (see `sharing`).
    Effect::new(move |done: Option<bool>| {
        if done == Some(true) {
            return true;
        }
        let ready = desk.ready.get() && library.current.get().is_some();
        if ready {
            sharing.open_link_from_location(desk, library);
        }
        ready
    });
    // A link pasted into this tab's address bar changes only the fragment: the page stays, and
    // the link's mix opens all the same.
    let _ = window_event_listener(leptos::ev::hashchange, move |_| {
        if desk.ready.get_untracked() {
            sharing.open_link_from_location(desk, library);
        }
    });
    shortcuts(desk, recorder, references);
    view! {
        <header class="topbar">
            <h1 class="brand">"Mixroom"</h1>
            <span class="session-name" title=move || desk.session.with(|s| s.name.clone())>{move || desk.session.with(|s| s.name.clone())}</span>
            <sessions::SaveIndicator />
            <button class="sessions-button" aria-expanded=move || library.shown.get().to_string()
                on:click=move |_| library.shown.update(|s| *s = !*s)>"Sessions…"</button>
            <div class="views" role="toolbar" aria-label="Views">
                <button aria-pressed=move || (desk.view.get() == View::Timeline).to_string() on:click=move |_| desk.view.set(View::Timeline)>"Timeline"</button>
                <button aria-pressed=move || (desk.view.get() == View::Mixer).to_string() on:click=move |_| desk.view.set(View::Mixer)>"Mixer"</button>
            </div>
            <Transport />
        </header>
        <div class="statusbar">
            <StatusLine />
            <console::UnderrunCount />
            <sharing::SharingPanel />
            <import::ImportPanel />
        </div>
        <div class="checkbar">
            <final_check::LoudnessMeter />
            <final_check::MonitorControls />
            <references::AbSwitch />
            <references::ReferencePanel />
        </div>
        <Show when=move || library.shown.get()>
            <sessions::SessionBrowser />
        </Show>
        <main class="workspace">
            <div class="console-pane">
                {move || match desk.view.get() {
                    View::Mixer => view! { <Console /> }.into_any(),
                    View::Timeline => view! { <timeline::Timeline /> }.into_any(),
                }}
            </div>
            <Inspector />
        </main>
    }
}
