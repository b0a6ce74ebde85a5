//! Importing the user's audio files: each file is read in slices, decoded and resampled to the
//! session rate in a Web Worker (`www/import-worker.js`, crate `mixroom-import-worker`) that writes
//! its audio straight into storage as it goes — the page never holds it, nor does the worker hold
//! it whole — and its tracks are added to the session as one undoable step, streamed from storage
//! like any stored source. Every file has its own worker, its own progress bar
//! and a Cancel button (which terminates its worker); a file that fails says why, and the others
//! and the session carry on.

use futures::StreamExt;
use js_sys::{Array, Float32Array, Object, Reflect};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use gloo_timers::future::TimeoutFuture;

use crate::desk::{desk, Desk};
use crate::source::PreparedSource;
use crate::workers::{self, field, Worker};

/// One file being imported, or one that failed.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportJob {
    pub key: u64,
    pub name: String,
    /// Share decoded, 0…1.
    pub progress: f32,
    /// Why it failed, once it has.
    pub error: Option<String>,
    /// The file peaks this far beyond full scale (× full scale): the import waits for the user to
    /// say whether to normalise it.
    pub loud: Option<f32>,
}

/// What the worker said.
enum Reply {
    Progress(f32),
    Loud(f32),
    Done(JsValue),
    Failed(String),
    Cancelled,
}

/// The files of one pick or drop: decoded side by side, added in their order (each waits for the
/// one before it), after the track they were dropped on if they were.
struct Batch {
    id: u64,
    /// The index of the file whose turn it is to be added.
    turn: usize,
    /// The track the next file's tracks go after (the last one added, once one is).
    after: Option<String>,
    /// The session the files are for ([`Desk::opened`]).
    session: u64,
}

/// The imports under way: their jobs for the UI, and a way to cancel each.
#[derive(Clone, Copy)]
pub struct Imports {
    pub jobs: RwSignal<Vec<ImportJob>>,
    cancels: StoredValue<Vec<(u64, Worker<Reply>)>, LocalStorage>,
    /// Imports cancelled, whatever stage they were at (reading the file, decoding, adding).
    cancelled: StoredValue<Vec<u64>>,
    next: StoredValue<u64>,
    batches: StoredValue<Vec<Batch>>,
}

impl Imports {
    pub fn new() -> Imports {
        Imports {
            jobs: RwSignal::new(Vec::new()),
            cancels: StoredValue::new_local(Vec::new()),
            cancelled: StoredValue::new(Vec::new()),
            next: StoredValue::new(0),
            batches: StoredValue::new(Vec::new()),
        }
    }

    /// Imports `files`, each in its own worker, their tracks added in the files' order — at the end,
    /// or after track `after` (an id).
    pub fn start(self, desk: Desk, files: Vec<web_sys::File>, after: Option<String>) {
        let batch = self.next.get_value();
        self.batches.update_value(|b| b.push(Batch { id: batch, turn: 0, after, session: desk.opened() }));
        for (index, file) in files.into_iter().enumerate() {
            let key = self.next.get_value() + 1;
            self.next.set_value(key);
            self.jobs.update(|j| j.push(ImportJob { key, name: file.name(), progress: 0.0, error: None, loud: None }));
            spawn_local(async move {
                let name = file.name();
                let outcome = self.run(desk, key, file, (batch, index)).await;
                // Whatever became of this file, the next one's turn comes.
                self.wait_turn(batch, index).await;
                self.batches.update_value(|b| {
                    if let Some(b) = b.iter_mut().find(|b| b.id == batch) {
                        b.turn += 1;
                    }
                });
                match outcome {
                    Ok(()) => self.jobs.update(|j| j.retain(|x| x.key != key)),
                    Err(None) => self.jobs.update(|j| j.retain(|x| x.key != key)),
                    Err(Some(why)) => self.jobs.update(|j| {
                        if let Some(x) = j.iter_mut().find(|x| x.key == key) {
                            x.error = Some(if why.starts_with(&name) { why } else { format!("{name}: {why}") });
                        }
                    }),
                }
                self.cancels.update_value(|c| c.retain(|(k, _)| *k != key));
                self.cancelled.update_value(|c| c.retain(|k| *k != key));
                if self.jobs.with_untracked(|j| j.iter().all(|x| x.error.is_some())) {
                    self.batches.update_value(|b| b.clear());
                }
            });
        }
        self.next.update_value(|n| *n += 1);
    }

    /// Waits until file `index` of `batch` may add its tracks (the files before it are done).
    async fn wait_turn(self, batch: u64, index: usize) {
        while self.batches.with_value(|b| b.iter().find(|b| b.id == batch).is_some_and(|b| b.turn < index)) {
            TimeoutFuture::new(20).await;
        }
    }

    /// Stops an import: its worker is terminated, nothing is added.
    pub fn cancel(self, key: u64) {
        self.cancelled.update_value(|c| c.push(key));
        self.cancels.update_value(|c| {
            if let Some(i) = c.iter().position(|(k, _)| *k == key) {
                // (Dropped: terminated.)
                let (_, worker) = c.remove(i);
                let _ = worker.wake.unbounded_send(Reply::Cancelled);
            }
        });
    }

    /// Answers the question about a file far beyond full scale: normalise it (to 0 dBFS), or take
    /// it as it is.
    pub fn answer(self, key: u64, normalise: bool) {
        self.cancels.with_value(|c| {
            if let Some((_, worker)) = c.iter().find(|(k, _)| *k == key) {
                let message = Object::new();
                let _ = Reflect::set(&message, &"answer".into(), &(if normalise { "normalise" } else { "keep" }).into());
                let _ = worker.post(&message);
            }
        });
        self.jobs.update(|j| {
            if let Some(x) = j.iter_mut().find(|x| x.key == key) {
                x.loud = None;
            }
        });
    }

    /// Clears a failed import's message.
    pub fn dismiss(self, key: u64) {
        self.jobs.update(|j| j.retain(|x| x.key != key));
    }

    /// One file: `Err(None)` when cancelled, `Err(Some(reason))` when it failed.
    async fn run(self, desk: Desk, key: u64, file: web_sys::File, (batch, index): (u64, usize)) -> Result<(), Option<String>> {
        let is_cancelled = move || self.cancelled.with_value(|c| c.contains(&key));
        let (prepared, names) = self.decode(desk, key, file).await?;
        self.wait_turn(batch, index).await;
        if is_cancelled() {
            return Err(None);
        }
        let (after, session) = self.batches.with_value(|b| b.iter().find(|b| b.id == batch).map(|b| (b.after.clone(), b.session))).unwrap_or_default();
        if session != desk.opened() {
            return Err(Some("another session was opened before it finished; import it there again".to_owned()));
        }
        // The files of one pick or drop are one undo step.
        let last = desk.in_run(format!("import {batch}"), || desk.add_imported(prepared, names, after.clone()));
        // The next file's tracks follow this one's.
        if after.is_some() {
            self.batches.update_value(|b| {
                if let Some(b) = b.iter_mut().find(|b| b.id == batch) {
                    b.after = last.or(b.after.take());
                }
            });
        }
        Ok(())
    }

    /// Decodes a file for an offline track (its job shown like an import's, the far-beyond-full
    /// -scale question included): its first source, ready to play. `Err(None)` when cancelled.
    pub async fn decode_one(self, desk: Desk, file: web_sys::File) -> Result<PreparedSource, Option<String>> {
        let key = self.next.get_value() + 1;
        self.next.set_value(key + 1);
        let name = file.name();
        self.jobs.update(|j| j.push(ImportJob { key, name: name.clone(), progress: 0.0, error: None, loud: None }));
        let decoded = self.decode(desk, key, file).await;
        self.cancels.update_value(|c| c.retain(|(k, _)| *k != key));
        self.cancelled.update_value(|c| c.retain(|k| *k != key));
        match &decoded {
            Err(Some(why)) => self.jobs.update(|j| {
                if let Some(x) = j.iter_mut().find(|x| x.key == key) {
                    x.error = Some(format!("{name}: {why}"));
                }
            }),
            _ => self.jobs.update(|j| j.retain(|x| x.key != key)),
        }
        let (mut prepared, _) = decoded?;
        if prepared.is_empty() {
            return Err(Some("it holds no audio".into()));
        }
        // Held here whole: a reference's player holds its audio, and a relinked track plays it
        // from here until the session is saved.
        desk.sources.held(prepared.swap_remove(0)).await.map_err(|e| Some(format!("{name}: {e}")))
    }

    /// Imports a file into storage in its own worker (job `key`): its sources, in storage only,
    /// and their names.
    async fn decode(self, desk: Desk, key: u64, file: web_sys::File) -> Result<(Vec<PreparedSource>, Vec<String>), Option<String>> {
        let name = file.name();
        let is_cancelled = move || self.cancelled.with_value(|c| c.contains(&key));
        let Some(store) = desk.sources.store() else {
            return Err(Some("this browser does not let Mixroom store audio here (private browsing?), and Mixroom imports audio into storage".to_owned()));
        };
        // The key its records go under until the session is saved: one no other import has.
        let records = crate::store::new_import_key(js_sys::Date::now());
        let (worker, mut rx) = workers::start(
            "import-worker.js",
            "import",
            |kind, data| match kind {
                "progress" => Reply::Progress(field(data, "share").as_f64().unwrap_or(0.0) as f32),
                "loud" => Reply::Loud(field(data, "peak").as_f64().unwrap_or(0.0) as f32),
                "done" => Reply::Done(data.clone()),
                _ => Reply::Failed(field(data, "message").as_string().unwrap_or_else(|| "the import failed".into())),
            },
            Reply::Failed,
        )
        .map_err(Some)?;
        let message = Object::new();
        let rate = desk.session.with_untracked(|s| s.sample_rate);
        let _ = Reflect::set(&message, &"file".into(), &file);
        let _ = Reflect::set(&message, &"rate".into(), &rate.into());
        let _ = Reflect::set(&message, &"key".into(), &records.as_str().into());
        let posted = worker.post(&message);
        self.cancels.update_value(|c| c.push((key, worker)));
        posted.map_err(|_| Some("the file could not be handed to the import worker".to_owned()))?;
        let outcome = loop {
            match rx.next().await {
                Some(Reply::Progress(p)) => self.jobs.update(|j| {
                    if let Some(x) = j.iter_mut().find(|x| x.key == key) {
                        x.progress = p;
                    }
                }),
                Some(Reply::Loud(peak)) => self.jobs.update(|j| {
                    if let Some(x) = j.iter_mut().find(|x| x.key == key) {
                        x.loud = Some(peak);
                    }
                }),
                Some(Reply::Done(tracks)) => break Ok(tracks),
                Some(Reply::Failed(why)) => break Err(Some(why)),
                Some(Reply::Cancelled) | None => break Err(None),
            }
        };
        // (Dropped: terminated.)
        self.cancels.update_value(|c| c.retain(|(k, _)| *k != key));
        let done = match outcome {
            Ok(done) if !is_cancelled() => done,
            other => {
                // What a cancelled import wrote is deleted now (a failed one deleted its own).
                if !matches!(other, Err(Some(_))) {
                    let _ = store.delete_import(&records).await;
                }
                return Err(other.err().flatten());
            }
        };
        let (mut prepared, mut names) = (Vec::new(), Vec::new());
        for t in field(&done, "tracks").unchecked_into::<Array>().iter() {
            let get = |k: &str| Reflect::get(&t, &k.into()).unwrap_or(JsValue::UNDEFINED);
            let (id, pages) = (get("id").as_string().unwrap_or_default(), get("pages").as_string().unwrap_or_default());
            let (channels, frames) = (get("channels").as_f64().unwrap_or(0.0) as u8, get("frames").as_f64().unwrap_or(0.0) as u64);
            let source = mixroom_session::Source::Audio { id: id.clone(), channels, frames };
            // The same audio imported before (kept here, or stored): that copy is used, this one's
            // records deleted.
            let stored = match desk.sources.pages_of(&source) {
                Some(_) => true,
                None => store.audio(&id).await.ok().flatten().is_some_and(|info| info.channels == channels as usize && info.frames == frames as usize),
            };
            let p = if stored {
                let _ = store.delete_pages(&pages).await;
                desk.sources.prepare_stored(&source, &store).await.map_err(Some)?
            } else {
                let levels: Vec<Vec<(f32, f32)>> = get("overview").unchecked_into::<Array>().iter().map(|l| l.unchecked_into::<Float32Array>().to_vec().chunks_exact(2).map(|p| (p[0], p[1])).collect()).collect();
                let overview = crate::store::overview_from_kept(frames as usize, levels);
                PreparedSource::streamed(id, pages, channels, frames, get("level").as_f64().unwrap_or(f64::NEG_INFINITY), overview)
            };
            prepared.push(p);
            names.push(get("name").as_string().unwrap_or_else(|| name.clone()));
        }
        Ok((prepared, names))
    }
}

impl Default for Imports {
    fn default() -> Self {
        Imports::new()
    }
}

pub fn imports() -> Imports {
    expect_context::<Imports>()
}

/// The import button (a file picker for several files) and the list of imports under way.
#[component]
pub fn ImportPanel() -> impl IntoView {
    let desk = desk();
    let imports = imports();
    let input = NodeRef::<leptos::html::Input>::new();
    let picked = move |_| {
        let Some(el) = input.get_untracked() else { return };
        let files: Vec<web_sys::File> = el.files().map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect()).unwrap_or_default();
        el.set_value("");
        imports.start(desk, files, None);
    };
    view! {
        <div class="imports">
            <button disabled=move || !desk.ready.get() title="Import audio files (WAV, AIFF, FLAC, MP3, Ogg Vorbis); or drop them on the window"
                on:click=move |_| if let Some(el) = input.get_untracked() { el.click() }>"Import audio…"</button>
            <input node_ref=input type="file" multiple accept="audio/*,.wav,.aif,.aiff,.flac,.mp3,.ogg" aria-label="Audio files to import"
                class="file-input" tabindex="-1" on:change=picked />
            <ul class="import-jobs" aria-label="Imports">
                <For each=move || imports.jobs.get() key=|j| (j.key, j.error.is_some(), j.loud.is_some()) let:job>
                    {
                        let key = job.key;
                        let name = job.name.clone();
                        let progress = move || imports.jobs.with(|j| j.iter().find(|x| x.key == key).map_or(0.0, |x| x.progress));
                        match (job.error.clone(), job.loud) {
                            (None, Some(peak)) => view! {
                                <li class="import-job loud" role="alert">
                                    <span>{format!(
                                        "{name} peaks at {:+.0} dBFS, far beyond full scale ({} times it): played as it is, it would be painfully loud until the master limiter catches it. Normalise it to 0 dBFS?",
                                        20.0 * peak.log10(),
                                        human_ratio(peak)
                                    )}</span>
                                    <button on:click=move |_| imports.answer(key, true)>"Normalise to 0 dBFS"</button>
                                    <button on:click=move |_| imports.answer(key, false)>"Import as it is"</button>
                                    <button aria-label=format!("Cancel importing {name}") on:click=move |_| imports.cancel(key)>"Cancel"</button>
                                </li>
                            }.into_any(),
                            (Some(why), _) => view! {
                                <li class="import-job failed" role="alert">
                                    <span>{format!("Could not import {why}")}</span>
                                    <button aria-label=format!("Dismiss the message about {name}") on:click=move |_| imports.dismiss(key)>"×"</button>
                                </li>
                            }.into_any(),
                            (None, None) => view! {
                                <li class="import-job">
                                    <span class="import-name">{name.clone()}</span>
                                    <progress max="1" prop:value=progress aria-label=format!("Importing {name}")></progress>
                                    <button aria-label=format!("Cancel importing {name}") on:click=move |_| imports.cancel(key)>"Cancel"</button>
                                </li>
                            }.into_any(),
                        }
                    }
                </For>
            </ul>
        </div>
    }
}

/// How many times full scale a peak is, as a person reads it: "8", "1 000 000", "1e30".
fn human_ratio(peak: f32) -> String {
    if peak < 1e7 {
        let whole = format!("{:.0}", peak);
        // Thin spaces between thousands.
        let digits: Vec<char> = whole.chars().collect();
        digits.iter().enumerate().fold(String::new(), |mut s, (i, c)| {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                s.push('\u{2009}');
            }
            s.push(*c);
            s
        })
    } else {
        format!("{:.0e}", peak)
    }
}

/// Files dropped anywhere on the window are imported; dropped onto a track of the timeline (its
/// header or its lane), their tracks go just after it. A project file dropped is opened as a new
/// session instead.
pub fn accept_drops(desk: Desk, imports: Imports, lib: crate::sessions::Library, sharing: crate::sharing::Sharing) {
    let _ = window_event_listener(leptos::ev::dragover, |ev: web_sys::DragEvent| ev.prevent_default());
    let _ = window_event_listener(leptos::ev::drop, move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        let files: Vec<web_sys::File> = ev.data_transfer().and_then(|d| d.files()).map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect()).unwrap_or_default();
        let (projects, audio): (Vec<web_sys::File>, Vec<web_sys::File>) = files.into_iter().partition(crate::sharing::is_project);
        if let Some(project) = projects.into_iter().next() {
            sharing.open_project(desk, lib, project);
        }
        if !audio.is_empty() && desk.ready.get_untracked() {
            imports.start(desk, audio, track_under(ev.client_x() as f64, ev.client_y() as f64));
        }
    });
}

/// The id of the timeline track at a point of the window: the track header at that height (a
/// lane lines up with its header), if the point is over the arrangement.
fn track_under(x: f64, y: f64) -> Option<String> {
    let document = web_sys::window()?.document()?;
    let body = document.query_selector(".timeline-body").ok()??.get_bounding_client_rect();
    if x < body.left() || x > body.right() || y < body.top() || y > body.bottom() {
        return None;
    }
    let headers = document.query_selector(".track-headers").ok()??.get_bounding_client_rect();
    let header = document.element_from_point((headers.left() + headers.width() / 2.0) as f32, y as f32)?;
    header.closest("[data-track-id]").ok()??.get_attribute("data-track-id")
}
