//! Delivery: the mix, its stems and its alternate versions rendered and delivered in one batch —
//! WAV or FLAC at the depth and rate asked for, dithered, tagged, over the whole song, the loop
//! region or between two markers — each checked as a mastering engineer would before anything is
//! saved, then saved as one file or one zip with the delivery report. The versions are
//! [`Session::delivery_versions`], the CLI's list. The whole batch runs in a Web Worker
//! (`www/delivery-worker.js`, crate `mixroom-import-worker`): the engine renders each version over
//! one copy of the tracks' audio, and the CLI's `mixroom_delivery::batch::Batch` encodes and checks
//! it, so the page answers while a batch is made and the files are the CLI's byte for byte. Cancel
//! terminates the worker: nothing is offered.
//!
//! The panel also holds what a delivery reads from the session: the tracks' roles and the
//! alternate versions (both in the session, undoable).

use futures::channel::mpsc;
use futures::StreamExt;
use js_sys::{Array, Object, Reflect};
use leptos::prelude::*;
use leptos::task::spawn_local;
use mixroom_delivery::batch::{Order, RATES};
use mixroom_session::alternates::OFFSET_DB;
use mixroom_session::{Alternate, Role, Session, Span, Stem, StripRef};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::desk::{desk, Desk, ExportAudio, Status};
use crate::files;
use crate::workers::{self, field, Worker};

/// The formats offered: key, label, container, bits.
const FORMATS: [(&str, &str, &str, u32); 5] = [
    ("wav24", "WAV 24-bit", "wav", 24),
    ("wav16", "WAV 16-bit", "wav", 16),
    ("wav32", "WAV 32-bit float", "wav", 32),
    ("flac24", "FLAC 24-bit", "flac", 24),
    ("flac16", "FLAC 16-bit", "flac", 16),
];

/// A batch under way.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    /// What is being done, for the user: "Rendering “Bass” (3 of 6)…".
    pub what: String,
    /// Share done, 0…1.
    pub progress: f32,
}

/// A batch made and checked, waiting to be saved: its name and each file's hand-off check (as
/// the worker wrote it: `mixroom_delivery::check::Report` in JSON).
#[derive(Clone, Debug, PartialEq)]
pub struct Made {
    pub name: String,
    pub reports: Vec<serde_json::Value>,
    /// The stems' sum check, when made.
    pub sum_verdict: Option<String>,
}

/// The delivery feature's state: what the engineer asked for (kept while the page is open), the
/// batch under way, and the one made.
#[derive(Clone, Copy)]
pub struct Delivery {
    pub format: RwSignal<&'static str>,
    /// The rate delivered at; 0: the session's.
    pub rate: RwSignal<u32>,
    pub dither: RwSignal<&'static str>,
    pub title: RwSignal<String>,
    pub artist: RwSignal<String>,
    pub date: RwSignal<String>,
    /// The tracks, buses and returns delivered as stems, by id.
    pub stems: RwSignal<Vec<String>>,
    /// Stems keep their share of the effect returns.
    pub stems_wet: RwSignal<bool>,
    /// With stems, check that they add up to their mix (more renders: their tracks together and
    /// each stem, the master's processing bypassed).
    pub sum_check: RwSignal<bool>,
    /// The session's alternate versions delivered, by name.
    pub alternates: RwSignal<Vec<String>>,
    /// What of the timeline: `song`, `loop`, or `markers` (from `from_marker` to `to_marker`).
    pub range: RwSignal<&'static str>,
    pub from_marker: RwSignal<String>,
    pub to_marker: RwSignal<String>,
    /// Silence at the head and tail trimmed.
    pub trim: RwSignal<bool>,
    pub job: RwSignal<Option<Job>>,
    pub made: RwSignal<Option<Made>>,
    /// The batch made, in parts (its zip is larger than one array may be).
    bytes: StoredValue<Option<Array>, LocalStorage>,
    cancelled: StoredValue<bool>,
    worker: StoredValue<Option<Worker<Reply>>, LocalStorage>,
}

enum Reply {
    Started,
    Progress(f32),
    Rendered(Option<String>),
    Done(Array, String),
    Failed(String),
    Cancelled,
}

pub fn delivery() -> Delivery {
    expect_context::<Delivery>()
}

impl Delivery {
    pub fn new() -> Delivery {
        Delivery {
            format: RwSignal::new("wav24"),
            rate: RwSignal::new(0),
            dither: RwSignal::new("tpdf"),
            title: RwSignal::new(String::new()),
            artist: RwSignal::new(String::new()),
            date: RwSignal::new(String::new()),
            stems: RwSignal::new(Vec::new()),
            stems_wet: RwSignal::new(true),
            sum_check: RwSignal::new(true),
            alternates: RwSignal::new(Vec::new()),
            range: RwSignal::new("song"),
            from_marker: RwSignal::new(String::new()),
            to_marker: RwSignal::new(String::new()),
            trim: RwSignal::new(false),
            job: RwSignal::new(None),
            made: RwSignal::new(None),
            bytes: StoredValue::new_local(None),
            cancelled: StoredValue::new(false),
            worker: StoredValue::new_local(None),
        }
    }

    /// The order as the batch reads it.
    fn order(self, session: &Session) -> Order {
        let (_, _, container, bits) = FORMATS.iter().copied().find(|f| f.0 == self.format.get_untracked()).unwrap_or(FORMATS[0]);
        let rate = match self.rate.get_untracked() {
            0 => session.sample_rate,
            r => r,
        };
        Order {
            container: container.into(),
            bits,
            rate,
            dither: self.dither.get_untracked().into(),
            title: self.title.get_untracked(),
            artist: self.artist.get_untracked(),
            date: self.date.get_untracked(),
            limiter_on_master: session.limiter_on_master(),
            trim: self.trim.get_untracked(),
            untagged: false,
        }
    }

    /// The part of the timeline chosen.
    fn span(self) -> Span {
        match self.range.get_untracked() {
            "loop" => Span::Loop,
            "markers" => Span::Markers(self.from_marker.get_untracked(), self.to_marker.get_untracked()),
            _ => Span::Song,
        }
    }

    /// The stems chosen, as the session names them (those whose strip is gone are left out).
    fn chosen_stems(self, session: &Session) -> Vec<Stem> {
        let wet = self.stems_wet.get_untracked();
        let chosen = self.stems.get_untracked();
        let tracks = session.tracks.iter().enumerate().map(|(i, t)| (StripRef::Track(i), &t.id, &t.name));
        let buses = session.buses.iter().enumerate().map(|(i, b)| (StripRef::Bus(i), &b.id, &b.name));
        let returns = session.returns.iter().enumerate().map(|(i, b)| (StripRef::Return(i), &b.id, &b.name));
        tracks.chain(buses).chain(returns).filter(|(_, id, _)| chosen.contains(id)).map(|(r, _, name)| Stem { name: name.clone(), strips: vec![r], with_returns: wet }).collect()
    }

    /// Stops the batch under way: its worker (rendering, encoding) is terminated, nothing offered.
    pub fn cancel(self) {
        self.cancelled.set_value(true);
        self.worker.update_value(|w| {
            // (Dropped: terminated.)
            if let Some(w) = w.take() {
                let _ = w.wake.unbounded_send(Reply::Cancelled);
            }
        });
        self.job.set(None);
    }

    /// Saves the batch made, as one file or one zip.
    pub fn save(self, desk: Desk) {
        let (Some(made), Some(bytes)) = (self.made.get_untracked(), self.bytes.get_value()) else { return };
        let mime = if made.name.ends_with(".zip") { "application/zip" } else if made.name.ends_with(".flac") { "audio/flac" } else { "audio/wav" };
        if let Err(message) = files::download_parts(&bytes, &made.name, mime) {
            desk.status.set(Status::Error(message));
        }
    }

    /// Lets the batch made go without saving it.
    pub fn discard(self) {
        self.made.set(None);
        self.bytes.set_value(None);
    }

    /// Renders, encodes and checks the batch the panel describes; the result waits to be saved.
    pub fn deliver(self, desk: Desk) {
        self.start(desk, false);
    }

    /// "Export mix": the mix alone, over the song, as the render is (32-bit float WAV at the
    /// session's rate, no tags), made as a batch is and offered at once.
    pub fn export_mix(self, desk: Desk) {
        self.start(desk, true);
    }

    fn start(self, desk: Desk, quick: bool) {
        if self.job.get_untracked().is_some() {
            return;
        }
        if !quick {
            self.discard();
        }
        self.cancelled.set_value(false);
        self.job.set(Some(Job { what: "Preparing the export…".into(), progress: 0.0 }));
        spawn_local(async move {
            match self.run(desk, quick).await {
                Ok(()) => {}
                // Cancelled: said by the Cancel itself.
                Err(_) if self.cancelled.get_value() => {}
                Err(why) => {
                    self.cancel();
                    desk.status.set(Status::Error(format!("The {} failed: {why}", if quick { "export" } else { "delivery" })));
                }
            }
        });
    }

    /// The batch, or the quick export (an error, too, when cancelled).
    async fn run(self, desk: Desk, quick: bool) -> Result<(), String> {
        // The session as it is now (later moves do not reach the batch), the song whether Loop is
        // on or not.
        let session = desk.session.get_untracked().for_render();
        let tracks = desk.audio_for_export(&session).ok_or("the engine is not ready")?;
        let (stems, alternates, span, order) = if quick {
            let order = Order { container: "wav".into(), bits: 32, rate: session.sample_rate, dither: "off".into(), title: String::new(), artist: String::new(), date: String::new(), limiter_on_master: session.limiter_on_master(), trim: false, untagged: true };
            (Vec::new(), Vec::new(), Span::Song, order)
        } else {
            let chosen = self.alternates.get_untracked();
            let alternates: Vec<Alternate> = session.alternates.iter().filter(|a| chosen.contains(&a.name)).cloned().collect();
            (self.chosen_stems(&session), alternates, self.span(), self.order(&session))
        };
        let versions = session.delivery_versions(&stems, &alternates).map_err(|e| e.to_string())?;
        let files = versions.len();
        let (start, end) = session.span_frames(&span).map_err(|e| e.to_string())?;
        // Every render in turn: the versions delivered, then (with stems, when asked) the sum
        // check's — the stems' tracks together (the mix, when they are every track) and each
        // stem, with the master's processing bypassed.
        let mut renders: Vec<(&str, String, Session)> = versions.into_iter().map(|(name, mix)| ("version", name, mix)).collect();
        if !stems.is_empty() && self.sum_check.get_untracked() {
            let plain = session.without_master_processing();
            renders.push(("sum-mix", "the stems together".into(), plain.stem_mix(&Stem::together(&stems)).map_err(|e| e.to_string())?));
            for stem in &stems {
                renders.push(("sum-stem", stem.name.clone(), plain.stem_mix(stem).map_err(|e| e.to_string())?));
            }
        }
        let mut replies = self.start_worker()?;
        // All of it is posted at once; the worker takes it in order.
        let start_message = Object::new();
        set(&start_message, "session", &session.to_json().into());
        set(&start_message, "order", &serde_json::to_string(&order).map_err(|e| e.to_string())?.into());
        set(&start_message, "files", &(files as u32).into());
        self.post("start", &start_message)?;
        for (t, audio) in tracks.iter().enumerate() {
            let message = Object::new();
            set(&message, "track", &(t as u32).into());
            match audio {
                ExportAudio::Held(channels) => {
                    set(&message, "channels", &channels.iter().collect::<Array>());
                    self.post("audio", &message)?;
                }
                ExportAudio::Stored { pages, channels, frames } => {
                    set(&message, "id", &pages.as_str().into());
                    set(&message, "channels", &(*channels as u32).into());
                    set(&message, "frames", &(*frames as f64).into());
                    self.post("stream", &message)?;
                }
            }
        }
        for (part, name, mix) in &renders {
            let render = Object::new();
            set(&render, "part", &(*part).into());
            set(&render, "name", &name.as_str().into());
            set(&render, "session", &mix.to_json().into());
            set(&render, "start", &(start as f64).into());
            set(&render, "end", &(end as f64).into());
            self.post("render", &render)?;
        }
        self.post("finish", &JsValue::TRUE)?;
        let n = renders.len();
        let (mut reports, mut sum_verdict, mut done) = (Vec::new(), None, 0);
        let say = |done: usize, share: f32| {
            let what = match renders.get(done) {
                Some(("version", name, _)) if n == 1 => format!("Rendering “{name}”…"),
                Some(("version", name, _)) => format!("Rendering “{name}” ({} of {n})…", done + 1),
                Some((_, name, _)) => format!("Sum check: rendering {name} without the master's processing ({} of {n})…", done + 1),
                None => "Packing the delivery…".to_owned(),
            };
            self.job.set(Some(Job { what, progress: (done as f32 + share) / n as f32 }));
        };
        say(0, 0.0);
        loop {
            match replies.next().await {
                Some(Reply::Started) => {}
                Some(Reply::Progress(share)) => say(done, share),
                Some(Reply::Rendered(answer)) => {
                    match renders.get(done).map(|r| r.0) {
                        Some("version") => reports.push(answer.and_then(|a| serde_json::from_str(&a).ok()).unwrap_or(serde_json::Value::Null)),
                        _ => sum_verdict = answer,
                    }
                    done += 1;
                    say(done, 0.0);
                }
                Some(Reply::Done(bytes, name)) => {
                    self.stop_worker();
                    self.job.set(None);
                    if quick {
                        return files::download_parts(&bytes, &format!("{} mix.wav", files::file_stem(&session.name)), "audio/wav");
                    }
                    self.bytes.set_value(Some(bytes));
                    self.made.set(Some(Made { name, reports, sum_verdict }));
                    return Ok(());
                }
                other => return expect(other, |_| false),
            }
        }
    }

    /// Starts the batch's worker; its replies, in order.
    fn start_worker(self) -> Result<mpsc::UnboundedReceiver<Reply>, String> {
        let (worker, replies) = workers::start(
            "delivery-worker.js",
            "delivery",
            |kind, data| match kind {
                "started" => Reply::Started,
                "progress" => Reply::Progress(field(data, "share").as_f64().unwrap_or(0.0) as f32),
                "rendered" => Reply::Rendered(field(data, "answer").as_string()),
                "done" => Reply::Done(field(data, "parts").unchecked_into(), field(data, "name").as_string().unwrap_or_default()),
                _ => Reply::Failed(field(data, "message").as_string().unwrap_or_else(|| "the delivery worker failed".into())),
            },
            Reply::Failed,
        )?;
        self.worker.set_value(Some(worker));
        Ok(replies)
    }

    /// Posts `{key: value}` to the worker.
    fn post(self, key: &str, value: &JsValue) -> Result<(), String> {
        let message = Object::new();
        set(&message, key, value);
        let posted = self.worker.with_value(|w| w.as_ref().map(|w| w.post(&message)));
        match posted {
            Some(Ok(())) => Ok(()),
            Some(Err(_)) => Err("the audio could not be handed to the delivery worker".to_owned()),
            None => Err("it was stopped".to_owned()),
        }
    }

    /// Lets the worker go (terminated).
    fn stop_worker(self) {
        self.worker.set_value(None);
    }
}

/// A reply that is not the one awaited: the worker's error, or a cancel (`Ok`, checked by the
/// caller through the flag), or something else gone wrong.
fn expect(reply: Option<Reply>, wanted: impl Fn(&Reply) -> bool) -> Result<(), String> {
    match reply {
        Some(r) if wanted(&r) => Ok(()),
        Some(Reply::Failed(why)) => Err(why),
        Some(Reply::Cancelled) | None => Err("it was stopped".into()),
        Some(_) => Err("the delivery worker answered out of turn".into()),
    }
}

fn set(o: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(o, &key.into(), value);
}

/// Edits the session's alternate version `i` (one undoable step).
fn edit_alternate(desk: Desk, i: usize, f: impl FnOnce(&mut Alternate) + 'static) {
    desk.edit_session(move |s: &mut Session| {
        if let Some(a) = s.alternates.get_mut(i) {
            f(a);
        }
        Ok(())
    });
}

/// A figure of a report, or a dash.
fn figure(report: &serde_json::Value, key: &str, unit: &str) -> String {
    report.get(key).and_then(serde_json::Value::as_f64).map_or_else(|| "—".to_owned(), |v| format!("{v:.1} {unit}"))
}

/// The delivered file's findings: (failure?, message).
fn findings(report: &serde_json::Value) -> Vec<(bool, String)> {
    let list = report.get("findings").and_then(serde_json::Value::as_array).cloned().unwrap_or_default();
    list.iter().map(|f| (f.get("severity").and_then(serde_json::Value::as_str) == Some("failure"), f.get("message").and_then(serde_json::Value::as_str).unwrap_or_default().to_owned())).collect()
}

/// The tracks' roles, which alternate versions read.
#[component]
fn Roles() -> impl IntoView {
    let desk = desk();
    let tracks = Memo::new(move |_| desk.session.with(|s| s.tracks.iter().map(|t| (t.name.clone(), t.role)).collect::<Vec<_>>()));
    view! {
        <fieldset class="delivery-roles">
            <legend>"Track roles"</legend>
            {move || tracks.get().into_iter().enumerate().map(|(i, (name, role))| view! {
                <label class="role">
                    <span class="name">{name.clone()}</span>
                    <select aria-label=format!("Role of {name}") on:change=move |ev| {
                        let role = Role::from_key(&event_target_value(&ev));
                        desk.edit_session(move |s: &mut Session| {
                            if let Some(t) = s.tracks.get_mut(i) {
                                t.role = role;
                            }
                            Ok(())
                        });
                    }>
                        <option value="" selected=role.is_none()>"—"</option>
                        {Role::ALL.into_iter().map(|r| view! { <option value=r.key() selected=role == Some(r)>{r.label()}</option> }).collect_view()}
                    </select>
                </label>
            }).collect_view()}
        </fieldset>
    }
}

/// The session's alternate versions: which are delivered, and each one's treatment of every role.
#[component]
fn Alternates() -> impl IntoView {
    let desk = desk();
    let delivery = delivery();
    let list = Memo::new(move |_| desk.session.with(|s| s.alternates.clone()));
    let row = move |(i, a): (usize, Alternate)| {
        let name = a.name.clone();
        let chosen = {
            let name = name.clone();
            move || delivery.alternates.with(|c| c.contains(&name))
        };
        let (n1, n2) = (name.clone(), name.clone());
        let by_track = a.mute_tracks.len() + a.track_offsets.len();
        view! {
            <tr class="alternate">
                <td>
                    <input type="checkbox" aria-label=format!("Deliver {name}") prop:checked=chosen on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        let name = n1.clone();
                        delivery.alternates.update(|c| { c.retain(|x| *x != name); if on { c.push(name); } });
                    } />
                </td>
                <td>
                    <input type="text" class="alternate-name" aria-label=format!("Name of {name}") value=name.clone() maxlength=mixroom_session::limits::NAME_CHARS on:change=move |ev| {
                        let new = event_target_value(&ev).trim().to_owned();
                        let old = n2.clone();
                        if new.is_empty() || new == old {
                            return;
                        }
                        if desk.session.with_untracked(|s| s.alternates.iter().any(|a| a.name == new)) {
                            desk.status.set(Status::Error(format!("An alternate version is already called “{new}”.")));
                            return;
                        }
                        delivery.alternates.update(|c| c.iter_mut().filter(|x| **x == old).for_each(|x| *x = new.clone()));
                        edit_alternate(desk, i, move |a| a.name = new);
                    } />
                    <span class="hint" hidden=by_track == 0 title="Tracks muted or offset by the session file, not by role">{format!(" +{by_track} by track")}</span>
                </td>
                {Role::ALL.into_iter().map(|r| {
                    let treatment = a.role_treatment(r);
                    let offset = a.role_offset(r);
                    view! {
                        <td class="alternate-role">
                            <select aria-label=format!("{} in {}", r.label(), a.name) on:change=move |ev| {
                                let t = event_target_value(&ev);
                                edit_alternate(desk, i, move |a| a.set_role_treatment(r, &t));
                            }>
                                <option value="mixed" selected=treatment == "mixed">"as mixed"</option>
                                <option value="muted" selected=treatment == "muted">"muted"</option>
                                <option value="only" selected=treatment == "only">"alone"</option>
                            </select>
                            <input type="number" class="db" step="0.5" min=-OFFSET_DB max=OFFSET_DB aria-label=format!("{} level in {}, dB", r.label(), a.name)
                                value=offset on:change=move |ev| {
                                    if let Ok(db) = event_target_value(&ev).parse::<f32>() {
                                        edit_alternate(desk, i, move |a| a.set_role_offset(r, db));
                                    }
                                } />
                        </td>
                    }
                }).collect_view()}
                <td>
                    <button class="remove" aria-label=format!("Remove {name}") on:click=move |_| {
                        desk.edit_session(move |s: &mut Session| { if i < s.alternates.len() { s.alternates.remove(i); } Ok(()) });
                    }>"✕"</button>
                </td>
            </tr>
        }
    };
    let add_presets = move |_| {
        desk.edit_session(|s: &mut Session| {
            for p in Alternate::presets() {
                if !s.alternates.iter().any(|a| a.name == p.name) {
                    s.alternates.push(p);
                }
            }
            Ok(())
        });
    };
    let add_one = move |_| {
        desk.edit_session(|s: &mut Session| {
            let name = (1..).map(|n| format!("Alternate {n}")).find(|n| !s.alternates.iter().any(|a| a.name == *n)).unwrap_or_default();
            s.alternates.push(Alternate::new(&name));
            Ok(())
        });
    };
    view! {
        <fieldset class="delivery-alternates">
            <legend>"Alternate versions"</legend>
            <table class="alternates" hidden=move || list.with(Vec::is_empty)>
                <thead>
                    <tr>
                        <th title="Deliver">"✓"</th>
                        <th>"Version"</th>
                        {Role::ALL.into_iter().map(|r| view! { <th title="Muted, heard alone (with the other roles heard alone), or as mixed; and a level offset in dB">{r.label()}</th> }).collect_view()}
                        <th></th>
                    </tr>
                </thead>
                <tbody>{move || list.get().into_iter().enumerate().map(row).collect_view()}</tbody>
            </table>
            <button on:click=add_presets title="Instrumental, A cappella, TV mix, Vocal up 1 dB, Vocal down 1 dB: by the tracks' roles">"Add the usual versions"</button>
            <button on:click=add_one>"Add a version"</button>
        </fieldset>
    }
}

/// "Deliver…": the files, the stems and alternates, the batch under way with its Cancel, and the
/// hand-off check of the batch made, before it is saved.
#[component]
pub fn DeliveryPanel() -> impl IntoView {
    let desk = desk();
    let delivery = delivery();
    let strips = Memo::new(move |_| {
        desk.session.with(|s| {
            let tracks = s.tracks.iter().map(|t| (t.id.clone(), t.name.clone()));
            let buses = s.buses.iter().map(|b| (b.id.clone(), format!("{} (bus)", b.name)));
            tracks.chain(buses).chain(s.returns.iter().map(|r| (r.id.clone(), format!("{} (return)", r.name)))).collect::<Vec<_>>()
        })
    });
    let session_rate = move || desk.session.with(|s| s.sample_rate);
    let has_loop = move || desk.session.with(|s| s.loop_region.is_some());
    let markers = Memo::new(move |_| desk.session.with(|s| s.markers.iter().map(|m| m.name.clone()).collect::<Vec<_>>()));
    // The marker range starts as the first two markers (the choices follow the session's markers).
    Effect::new(move |_| {
        let names = markers.get();
        if !names.contains(&delivery.from_marker.get_untracked()) {
            delivery.from_marker.set(names.first().cloned().unwrap_or_default());
        }
        if !names.contains(&delivery.to_marker.get_untracked()) {
            delivery.to_marker.set(names.get(1).cloned().unwrap_or_default());
        }
    });
    let busy = move || delivery.job.get().is_some();
    let made = move || delivery.made.get().map(|m| {
        let rows = m.reports.iter().map(|r| {
            let found = findings(r);
            let failed = found.iter().any(|f| f.0);
            view! {
                <tr class:failed=failed>
                    <td>{r.get("file").and_then(|f| f.as_str()).unwrap_or_default().to_owned()}</td>
                    <td>{figure(r, "integrated_lufs", "LUFS")}</td>
                    <td>{figure(r, "max_true_peak_dbtp", "dBTP")}</td>
                    <td>{figure(r, "plr_lu", "LU")}</td>
                    <td>{figure(r, "loudness_range_lu", "LU")}</td>
                    <td class="findings">{if found.is_empty() { "sound".to_owned() } else { found.iter().map(|(f, m)| format!("{}{m}", if *f { "FAIL: " } else { "" })).collect::<Vec<_>>().join("; ") }}</td>
                </tr>
            }
        }).collect_view();
        let failed = m.reports.iter().filter(|r| findings(r).iter().any(|f| f.0)).count();
        view! {
            <div class="delivery-made" role="group" aria-label="The delivery's hand-off check">
                <p class="sum-check" hidden=m.sum_verdict.is_none()>{format!("Sum check: {}.", m.sum_verdict.clone().unwrap_or_default())}</p>
                <p>{if failed == 0 { format!("{} file(s), every one passing the hand-off check.", m.reports.len()) } else { format!("{failed} of {} file(s) fail the hand-off check: save them anyway, or mend the mix and deliver again.", m.reports.len()) }}</p>
                <table class="delivery-report">
                    <thead><tr><th>"File"</th><th>"Integrated"</th><th>"True peak"</th><th>"PLR"</th><th>"LRA"</th><th>"Check"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
                <button class="save-delivery" on:click=move |_| delivery.save(desk)>{format!("Save {}", m.name)}</button>
                <button on:click=move |_| delivery.discard()>"Discard"</button>
            </div>
        }
    });
    // The batch made is shown where it is saved, even if the panel was closed meanwhile.
    let panel = NodeRef::<leptos::html::Details>::new();
    Effect::new(move |_| {
        if delivery.made.with(Option::is_some) {
            if let Some(p) = panel.get_untracked() {
                p.set_open(true);
            }
        }
    });
    view! {
        <details class="delivery" name="file-panel" node_ref=panel>
            <summary>"Deliver…"</summary>
            <div class="popover">
                {made}
                <fieldset class="delivery-files">
                    <legend>"Files"</legend>
                    <select aria-label="Format" on:change=move |ev| {
                        let key = event_target_value(&ev);
                        if let Some(f) = FORMATS.iter().find(|f| f.0 == key) {
                            delivery.format.set(f.0);
                        }
                    }>
                        {FORMATS.iter().map(|f| view! { <option value=f.0 selected=move || delivery.format.get() == f.0>{f.1}</option> }).collect_view()}
                    </select>
                    <select aria-label="Sample rate" on:change=move |ev| delivery.rate.set(event_target_value(&ev).parse().unwrap_or(0))>
                        <option value="0" selected=move || delivery.rate.get() == 0>{move || format!("Session rate ({} Hz)", session_rate())}</option>
                        {RATES.iter().map(|&r| view! { <option value=r selected=move || delivery.rate.get() == r>{format!("{r} Hz")}</option> }).collect_view()}
                    </select>
                    <select aria-label="Dither" disabled=move || delivery.format.get() == "wav32" on:change=move |ev| {
                        delivery.dither.set(match event_target_value(&ev).as_str() { "shaped" => "shaped", "off" => "off", _ => "tpdf" });
                    }>
                        <option value="tpdf" selected=move || delivery.dither.get() == "tpdf">"TPDF dither"</option>
                        <option value="shaped" selected=move || delivery.dither.get() == "shaped">"Noise-shaped dither (16-bit)"</option>
                        <option value="off" selected=move || delivery.dither.get() == "off">"No dither"</option>
                    </select>
                    <select aria-label="Range" on:change=move |ev| {
                        delivery.range.set(match event_target_value(&ev).as_str() { "loop" => "loop", "markers" => "markers", _ => "song" });
                    }>
                        <option value="song" selected=move || delivery.range.get() == "song">"The whole song, tails included"</option>
                        <option value="loop" selected=move || delivery.range.get() == "loop" disabled=move || !has_loop()>"The loop region"</option>
                        <option value="markers" selected=move || delivery.range.get() == "markers" disabled=move || markers.with(|m| m.len() < 2)>"Between two markers"</option>
                    </select>
                    <span class="marker-range" hidden=move || delivery.range.get() != "markers">
                        <select aria-label="From marker" on:change=move |ev| delivery.from_marker.set(event_target_value(&ev))>
                            {move || markers.get().into_iter().map(|m| { let n = m.clone(); view! { <option value=m.clone() selected=move || delivery.from_marker.get() == n>{m.clone()}</option> } }).collect_view()}
                        </select>
                        "–"
                        <select aria-label="To marker" on:change=move |ev| delivery.to_marker.set(event_target_value(&ev))>
                            {move || markers.get().into_iter().map(|m| { let n = m.clone(); view! { <option value=m.clone() selected=move || delivery.to_marker.get() == n>{m.clone()}</option> } }).collect_view()}
                        </select>
                    </span>
                    <label class="trim" title="Cut the silence (below −90 dBFS) before the mix starts and after it ends; stems and alternates are cut alike">
                        <input type="checkbox" prop:checked=move || delivery.trim.get() on:change=move |ev| delivery.trim.set(event_target_checked(&ev)) />"Trim silence"
                    </label>
                    <input type="text" placeholder="Title" aria-label="Title" maxlength="256" prop:value=move || delivery.title.get() on:change=move |ev| delivery.title.set(event_target_value(&ev)) />
                    <input type="text" placeholder="Artist" aria-label="Artist" maxlength="256" prop:value=move || delivery.artist.get() on:change=move |ev| delivery.artist.set(event_target_value(&ev)) />
                    <input type="text" placeholder="Date (yyyy-mm-dd)" aria-label="Date" maxlength="32" prop:value=move || delivery.date.get() on:change=move |ev| delivery.date.set(event_target_value(&ev)) />
                </fieldset>
                <fieldset class="delivery-stems">
                    <legend>"Stems"</legend>
                    {move || strips.get().into_iter().map(|(id, name)| {
                        let (i1, i2) = (id.clone(), id);
                        view! {
                            <label class="stem">
                                <input type="checkbox" aria-label=format!("Stem of {name}") prop:checked=move || delivery.stems.with(|s| s.contains(&i1))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        let id = i2.clone();
                                        delivery.stems.update(|s| { s.retain(|x| *x != id); if on { s.push(id); } });
                                    } />
                                <span>{name.clone()}</span>
                            </label>
                        }
                    }).collect_view()}
                    <label class="stem-wet"><input type="checkbox" prop:checked=move || delivery.stems_wet.get() on:change=move |ev| delivery.stems_wet.set(event_target_checked(&ev)) />"with their share of the effect returns"</label>
                    <label class="stem-wet" title="Renders the mix and each stem again with the master's processing bypassed, and reports how far the stems' sum is from the mix">
                        <input type="checkbox" prop:checked=move || delivery.sum_check.get() on:change=move |ev| delivery.sum_check.set(event_target_checked(&ev)) />"check that they add up to the mix"
                    </label>
                </fieldset>
                <Alternates />
                <Roles />
                <div class="delivery-actions">
                    <button class="deliver" disabled=move || !desk.ready.get() || busy() on:click=move |_| delivery.deliver(desk)>"Deliver"</button>
                    <span class="hint">"The batch is made from the mix as it is now; close this and go on mixing meanwhile."</span>
                </div>
            </div>
        </details>
        // In the toolbar, so that it stays in view with the panel closed.
        {move || delivery.job.get().map(|job| view! {
            <span class="delivery-job" role="status">
                <span>{job.what.clone()}</span>
                <progress max="1" prop:value=job.progress aria-label="Delivery progress"></progress>
                <button on:click=move |_| delivery.cancel()>"Cancel delivery"</button>
            </span>
        })}
    }
}
