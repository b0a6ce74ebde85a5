//! Mixroom's user interface: a Leptos (client-side rendered) app.
//!
//! The app owns the [`Session`] — the user's mix — as a signal. Every edit goes through the
//! [`desk::Desk`], which changes the session and sends the same change to the engine in the
//! AudioWorklet ([`audio`]); the engine never holds state the session does not. Exports run the same
//! engine offline.

pub mod audio;
mod console;
mod desk;
pub mod fader;
mod files;
pub mod inspector;

use leptos::prelude::*;
pub use mixroom_session::Session;

use console::{Console, StatusLine, Transport};
use desk::Desk;
use inspector::Inspector;

#[cfg(test)]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// The whole app: header with transport, the console, the inspector and the status line.
#[component]
pub fn App() -> impl IntoView {
    let desk = Desk::new(Session::demo());
    provide_context(desk);
    desk.open_session();
    view! {
        <header class="topbar">
            <h1 class="brand">"Mixroom"</h1>
            <span class="session-name">{move || desk.session.with(|s| s.name.clone())}</span>
            <Transport />
        </header>
        <StatusLine />
        <main class="workspace">
            <div class="console-pane"><Console /></div>
            <Inspector />
        </main>
    }
}
