//! Sharing a mix: the project file (`.mixroom`: the session and every source's audio in one
//! file) exported, and opened as a new session — both in a Web Worker (`www/project-worker.js`,
//! crate `mixroom-import-worker`), with a progress bar and a Cancel that terminates the worker.
//!
//! An opened project never overwrites a session the user has: it becomes a new entry in the
//! session browser, its audio stored once (what storage already holds, by content id, is not
//! written again). A project that does not read says what is wrong and changes nothing.

use futures::StreamExt;
use js_sys::{Array, ArrayBuffer, Float32Array, Object, Reflect, Uint8Array};
use leptos::prelude::*;
use leptos::task::spawn_local;
use mixroom_session::{link, Session, Source, Stored};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::desk::{desk, Desk, PreparedSource, Status};
use crate::files;
use crate::workers::{self, field, Worker};
use crate::sessions::{library, Library};

/// A project being written or read.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    /// What it is, for the user: "Exporting “Mix 3”…".
    pub what: String,
    /// Share done, 0…1.
    pub progress: f32,
}

/// The sharing feature's state: the job under way (one at a time) and its worker.
#[derive(Clone, Copy)]
pub struct Sharing {
    pub job: RwSignal<Option<Job>>,
    /// The link last made, shown to copy.
    pub link: RwSignal<Option<String>>,
    /// A link's mix waiting for the user to choose where it opens.
    choice: StoredValue<Option<LinkChoice>, LocalStorage>,
    /// Whether that choice is asked.
    pub asking: RwSignal<bool>,
    worker: StoredValue<Option<Worker<Reply>>, LocalStorage>,
}

enum Reply {
    Progress(f32),
    Done(JsValue),
    Failed(String),
    Cancelled,
}

impl Sharing {
    pub fn new() -> Sharing {
        Sharing { job: RwSignal::new(None), link: RwSignal::new(None), choice: StoredValue::new_local(None), asking: RwSignal::new(false), worker: StoredValue::new_local(None) }
    }

    /// Stops the job under way: its worker is terminated, nothing is written or opened.
    pub fn cancel(self) {
        self.worker.update_value(|w| {
            // (Dropped: terminated.)
            if let Some(w) = w.take() {
                let _ = w.wake.unbounded_send(Reply::Cancelled);
            }
        });
        self.job.set(None);
    }

    /// Runs one job in a project worker: posts `message` (transferring `transfer`), reports its
    /// progress, and returns what it answered. `Err(None)` when cancelled.
    async fn run(self, what: String, message: &JsValue, transfer: &Array) -> Result<JsValue, Option<String>> {
        let (worker, mut rx) = workers::start(
            "project-worker.js",
            "project",
            |kind, data| match kind {
                "progress" => Reply::Progress(field(data, "share").as_f64().unwrap_or(0.0) as f32),
                "done" => Reply::Done(data.clone()),
                _ => Reply::Failed(field(data, "message").as_string().unwrap_or_else(|| "the project worker failed".into())),
            },
            Reply::Failed,
        )?;
        let posted = worker.post_moving(message, transfer);
        self.worker.set_value(Some(worker));
        self.job.set(Some(Job { what, progress: 0.0 }));
        posted.map_err(|_| Some("the project could not be handed to its worker".to_owned()))?;
        let outcome = loop {
            match rx.next().await {
                Some(Reply::Progress(p)) => self.job.update(|j| {
                    if let Some(j) = j {
                        j.progress = p;
                    }
                }),
                Some(Reply::Done(data)) => break Ok(data),
                Some(Reply::Failed(why)) => break Err(Some(why)),
                Some(Reply::Cancelled) | None => break Err(None),
            }
        };
        // (Dropped: terminated.)
        self.worker.set_value(None);
        self.job.set(None);
        outcome
    }

    /// Writes the open session and its audio into a project file, offered as a download.
    pub fn export_project(self, desk: Desk) {
        if self.job.get_untracked().is_some() {
            return;
        }
        spawn_local(async move {
            let session = desk.session.get_untracked();
            // The tracks' audio and the reference tracks'.
            let ids: std::collections::BTreeSet<String> = session.sources().filter_map(|(_, source)| match source {
                Source::Audio { id, .. } => Some(id.clone()),
                Source::DemoStem { .. } => None,
            }).collect();
            // The audio in storage is read whole for the project (and let go after it is written).
            desk.status.set(Status::Busy("Reading the session's audio from storage for the project…".into()));
            let sources = match desk.sources.samples(&ids).await {
                Ok(sources) => sources,
                Err(e) => return desk.status.set(Status::Error(format!("The project could not be exported: its audio could not be read ({e})."))),
            };
            let media = Array::new();
            for source in sources {
                let m = Object::new();
                let _ = Reflect::set(&m, &"id".into(), &source.audio_id().unwrap_or_default().into());
                // Copies of the samples (the structured clone): the desk keeps its own.
                let channels: Array = source.audio.iter().collect();
                let _ = Reflect::set(&m, &"channels".into(), &channels);
                media.push(&m);
            }
            let write = Object::new();
            let _ = Reflect::set(&write, &"session".into(), &session.to_json().into());
            let _ = Reflect::set(&write, &"media".into(), &media);
            let message = Object::new();
            let _ = Reflect::set(&message, &"write".into(), &write);
            desk.status.set(Status::Ready);
            match self.run(format!("Exporting “{}” as a project…", session.name), &message, &Array::new()).await {
                Ok(done) => {
                    let bytes: Uint8Array = Reflect::get(&done, &"bytes".into()).map(|b| b.unchecked_into()).unwrap_or_else(|_| Uint8Array::new_with_length(0));
                    let name = format!("{}.{}", files::file_stem(&session.name), "mixroom");
                    if let Err(message) = files::download_array(&bytes, &name, "application/zip") {
                        desk.status.set(Status::Error(message));
                    }
                }
                Err(Some(why)) => desk.status.set(Status::Error(format!("The project could not be exported: {why}"))),
                Err(None) => {}
            }
        });
    }

    /// Reads a project in the worker — `message` names a file's bytes or an address to fetch —
    /// into its session (mended, and what was said of it) and its sources, ready to play.
    async fn read_project(self, what: String, message: &JsValue, transfer: &Array) -> Result<(Session, Vec<String>, Vec<PreparedSource>), Option<String>> {
        let done = self.run(what, message, transfer).await?;
        let get = |o: &JsValue, k: &str| Reflect::get(o, &k.into()).unwrap_or(JsValue::UNDEFINED);
        let project = get(&done, "project");
        // The worker has read and mended it: read strictly here, it is the worker's own.
        let session = Session::from_json(&get(&project, "session").as_string().unwrap_or_default()).map_err(|e| Some(e.to_string()))?;
        let repairs: Vec<String> = get(&project, "repairs").dyn_into::<Array>().map(|a| a.iter().filter_map(|r| r.as_string()).collect()).unwrap_or_default();
        let sources: Vec<PreparedSource> = get(&project, "media")
            .dyn_into::<Array>()
            .map(|a| {
                a.iter()
                    .map(|m| {
                        let audio: Vec<Float32Array> = get(&m, "channels").dyn_into::<Array>().map(|c| c.iter().map(|c| c.unchecked_into()).collect()).unwrap_or_default();
                        PreparedSource::imported(get(&m, "id").as_string().unwrap_or_default(), audio)
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok((session, repairs, sources))
    }

    /// Opens a project file as a new session (its name made unique), its audio stored once.
    pub fn open_project(self, desk: Desk, lib: Library, file: web_sys::File) {
        if self.job.get_untracked().is_some() {
            return;
        }
        spawn_local(async move {
            let name = file.name();
            let bytes: ArrayBuffer = match JsFuture::from(file.array_buffer()).await {
                Ok(b) => b.unchecked_into(),
                Err(_) => return desk.status.set(Status::Error(format!("{name} could not be read."))),
            };
            let message = Object::new();
            let _ = Reflect::set(&message, &"read".into(), &bytes);
            match self.read_project(format!("Opening {name}…"), &message, &Array::of1(&bytes)).await {
                Ok((session, repairs, sources)) => {
                    say_repairs(desk, &name, &repairs);
                    lib.open_new(desk, Stored::fresh(session), sources);
                }
                Err(Some(why)) => desk.status.set(Status::Error(format!("{name} was not opened. {why}"))),
                Err(None) => {}
            }
        });
    }

    /// Opens a session file (JSON: "Save session"'s) as a new session. Its imported audio is taken
    /// from this browser's storage by content id; what storage lacks is offline, to relink.
    pub fn open_session_file(self, desk: Desk, lib: Library, file: web_sys::File) {
        spawn_local(async move {
            let name = file.name();
            let text = match JsFuture::from(file.text()).await.ok().and_then(|t| t.as_string()) {
                Some(t) => t,
                None => return desk.status.set(Status::Error(format!("{name} could not be read."))),
            };
            match Session::read(&text) {
                Ok((session, repairs)) => {
                    say_repairs(desk, &name, &repairs.0);
                    lib.open_new(desk, Stored::fresh(session), Vec::new());
                }
                Err(e) => desk.status.set(Status::Error(format!("{name} was not opened. {e}"))),
            }
        });
    }

    /// The link to the open session, naming `project` (a hosted copy of its project file) if not
    /// empty: shown, and copied to the clipboard where the browser allows it.
    pub fn make_link(self, desk: Desk, project: String) {
        let project = project.trim().to_owned();
        if !project.is_empty() {
            if let Err(e) = link::check_address(&project) {
                return desk.status.set(Status::Error(e.to_string()));
            }
        }
        let fragment = desk.session.with_untracked(|s| link::encode(s, (!project.is_empty()).then_some(project.as_str())));
        let Some(location) = web_sys::window().map(|w| w.location()) else { return };
        let base = format!("{}{}", location.origin().unwrap_or_default(), location.pathname().unwrap_or_default());
        let url = format!("{base}#{fragment}");
        if let Some(clipboard) = web_sys::window().map(|w| w.navigator().clipboard()) {
            let _ = clipboard.write_text(&url);
        }
        desk.notice(format!("Session link made ({} characters): it holds the mix; the audio comes from {}.", url.len(), if project.is_empty() { "the receiver's storage (or a project file they open)" } else { "the project file it names" }));
        self.link.set(Some(url));
    }

    /// Opens the mix of the link this page was opened with, if it was: as a new session, or — when
    /// a session of that name is here — as the user chooses. Its audio comes from storage, or from
    /// the project file it names (fetched, every medium verified); what neither has is named.
    pub fn open_link_from_location(self, desk: Desk, lib: Library) {
        let Some(location) = web_sys::window().map(|w| w.location()) else { return };
        let hash = location.hash().unwrap_or_default();
        if !hash.contains("mix=") {
            return;
        }
        // Opened once: a reload does not open it again.
        if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
            let clean = format!("{}{}", location.pathname().unwrap_or_default(), location.search().unwrap_or_default());
            let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&clean));
        }
        let opened = match link::decode(&hash) {
            Ok(l) => l,
            Err(e) => return desk.status.set(Status::Error(e.to_string())),
        };
        spawn_local(async move {
            let link::Link { session, repairs, project } = opened;
            let mut sources = Vec::new();
            let missing = |session: &Session, sources: &[PreparedSource]| -> Vec<String> {
                session
                    .sources()
                    .filter(|(_, source)| matches!(source, Source::Audio { id, .. } if !lib.has_audio(id) && !sources.iter().any(|p| p.audio_id() == Some(id.as_str()))))
                    .map(|(name, _)| format!("“{name}”"))
                    .collect()
            };
            if let (Some(url), false) = (&project, missing(&session, &[]).is_empty()) {
                let message = Object::new();
                let _ = Reflect::set(&message, &"fetch".into(), &url.into());
                match self.read_project("Fetching the link's project file…".into(), &message, &Array::new()).await {
                    Ok((_, _, media)) => sources = media,
                    Err(Some(why)) => desk.status.set(Status::Error(format!("The link's project file was not opened: {why}"))),
                    Err(None) => {}
                }
            }
            say_repairs(desk, "The link's session", &repairs.0);
            let absent = missing(&session, &sources);
            if !absent.is_empty() {
                desk.notice(format!("The audio of {} is not in this browser: open the project file (Open project…) or import the stems to hear them; they play silence until then.", absent.join(", ")));
            }
            // The stored sessions as they are now (the list may not be read yet on arrival).
            lib.refresh().await;
            match lib.named(&session.name) {
                Some(id) => {
                    self.choice.set_value(Some(LinkChoice { id, session, sources }));
                    self.asking.set(true);
                }
                None => lib.open_new(desk, Stored::fresh(session), sources),
            }
        });
    }
}

/// Relinks the offline source `id` (a content id) with a file the user gave: the same audio is
/// taken as it is; other audio only if the user says so, replacing the source of every track that
/// played it (undoable).
pub fn relink(desk: Desk, imports: crate::import::Imports, id: String, file: web_sys::File) {
    spawn_local(async move {
        let name = file.name();
        // A failure is shown with the imports (the file and why).
        let Ok(prepared) = imports.decode_one(desk, file).await else { return };
        if prepared.audio_id() != Some(id.as_str()) {
            let question = format!("“{name}” is not the audio this track was made with (its content differs). Relink the track to it anyway? Its clips keep within the new audio; undo takes it back.");
            let yes = web_sys::window().and_then(|w| w.confirm_with_message(&question).ok()).unwrap_or(false);
            if !yes {
                return;
            }
        }
        desk.relink(&id, prepared);
    });
}

/// A link's mix whose name a stored session has: opened as a new session, or in that one's place.
pub struct LinkChoice {
    /// The stored session of that name.
    id: String,
    session: Session,
    sources: Vec<PreparedSource>,
}

fn say_repairs(desk: Desk, what: &str, repairs: &[String]) {
    if !repairs.is_empty() {
        desk.notice(format!("{what} was opened with changes, because some of its values were beyond what Mixroom holds: {}.", repairs.iter().take(4).cloned().collect::<Vec<_>>().join("; ")));
    }
}

impl Sharing {
    /// The user's answer to a link whose session is here: a new session, or in that one's place.
    pub fn choose(self, desk: Desk, lib: Library, replace: bool) {
        self.asking.set(false);
        let Some(LinkChoice { id, session, sources }) = self.choice.try_update_value(Option::take).flatten() else { return };
        if replace {
            lib.replace_with(desk, id, session, sources);
        } else {
            lib.open_new(desk, Stored::fresh(session), sources);
        }
    }

    /// The name of the session a waiting link would replace.
    fn choice_name(self) -> String {
        self.choice.with_value(|c| c.as_ref().map(|c| c.session.name.clone())).unwrap_or_default()
    }
}

impl Default for Sharing {
    fn default() -> Self {
        Sharing::new()
    }
}

pub fn sharing() -> Sharing {
    expect_context::<Sharing>()
}

/// Whether a dropped or picked file is a project file (by its name: the app reads it either way).
pub fn is_project(file: &web_sys::File) -> bool {
    file.name().to_ascii_lowercase().ends_with(".mixroom")
}

/// "Export project" and "Open project…", and the job under way with its Cancel.
#[component]
pub fn SharingPanel() -> impl IntoView {
    let desk = desk();
    let lib = library();
    let sharing = sharing();
    let input = NodeRef::<leptos::html::Input>::new();
    let picked = move |_| {
        let Some(el) = input.get_untracked() else { return };
        let file = el.files().and_then(|list| list.get(0));
        el.set_value("");
        if let Some(file) = file {
            sharing.open_project(desk, lib, file);
        }
    };
    let busy = move || sharing.job.get().is_some();
    let session_input = NodeRef::<leptos::html::Input>::new();
    let session_picked = move |_| {
        let Some(el) = session_input.get_untracked() else { return };
        let file = el.files().and_then(|list| list.get(0));
        el.set_value("");
        if let Some(file) = file {
            sharing.open_session_file(desk, lib, file);
        }
    };
    view! {
        <div class="sharing">
            <button disabled=move || !desk.ready.get() || busy() title="The session and all its audio in one file, to send or to open elsewhere"
                on:click=move |_| sharing.export_project(desk)>"Export project"</button>
            <button disabled=busy title="Open a project file (.mixroom) as a new session"
                on:click=move |_| if let Some(el) = input.get_untracked() { el.click() }>"Open project…"</button>
            <input node_ref=input type="file" accept=".mixroom" aria-label="Project file to open" class="file-input" tabindex="-1" on:change=picked />
            <button title="Open a session file (JSON) as a new session: its audio from this browser's storage, the rest offline to relink"
                on:click=move |_| if let Some(el) = session_input.get_untracked() { el.click() }>"Open session file…"</button>
            <input node_ref=session_input type="file" accept=".json,application/json" aria-label="Session file to open" class="file-input" tabindex="-1" on:change=session_picked />
            <button disabled=move || !desk.ready.get() on:click=move |_| sharing.link.update(|l| *l = if l.is_some() { None } else { Some(String::new()) })
                aria-expanded=move || sharing.link.get().is_some().to_string()>"Share link…"</button>
            {move || sharing.link.get().map(|made| {
                let address = NodeRef::<leptos::html::Input>::new();
                view! {
                    <div class="share-link" role="group" aria-label="Session link">
                        <input node_ref=address type="url" placeholder="https://… (a hosted copy of the project file, optional)" aria-label="Project file address" />
                        <button on:click=move |_| sharing.make_link(desk, address.get_untracked().map(|a| a.value()).unwrap_or_default())>"Copy link"</button>
                        <input type="text" readonly aria-label="The session link" prop:value=made.clone() />
                    </div>
                }
            })}
            <Show when=move || sharing.asking.get()>
                <div class="link-choice" role="alertdialog" aria-label="Open the link's session">
                    <span>{move || format!("A session named “{}” is already here. Open the link's mix as a new session, or in its place (undo brings it back)?", sharing.choice_name())}</span>
                    <button on:click=move |_| sharing.choose(desk, lib, false)>"Open as a new session"</button>
                    <button on:click=move |_| sharing.choose(desk, lib, true)>"Replace it"</button>
                </div>
            </Show>
            {move || sharing.job.get().map(|job| view! {
                <span class="sharing-job">
                    <span>{job.what.clone()}</span>
                    <progress max="1" prop:value=job.progress aria-label=job.what.clone()></progress>
                    <button on:click=move |_| sharing.cancel()>"Cancel"</button>
                </span>
            })}
        </div>
    }
}
