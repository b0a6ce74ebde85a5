//! The site's other tabs: which sessions they have open, and news of the stored sessions.
//!
//! - A tab holds a **Web Lock** named after the session it has open (`mixroom-session:<id>`,
//!   shared), taken before it reads the session and held for as long as it has it open. Deleting,
//!   renaming or resetting a session takes the same lock exclusively, if no tab holds it
//!   ([`exclusively`]) — so a session open in another tab is never deleted from under it, nor
//!   deleted while another tab opens it. The browser releases a tab's locks when it closes or
//!   crashes, so a tab that is gone never blocks anything.
//! - A **BroadcastChannel** carries news: a tab opened a session (the newest tab has it: the others
//!   stop saving it), and the stored sessions changed (the others list them again).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

const CHANNEL: &str = "mixroom-sessions";

/// What another tab said.
pub enum News {
    /// It opened this session.
    Opened(String),
    /// It saved, renamed, created or deleted stored sessions (and perhaps collected audio).
    Stored,
}

/// This tab's part in the conversation.
pub struct Tabs {
    channel: Option<web_sys::BroadcastChannel>,
    /// This tab's id on the channel (its own messages come back to no one, but two tabs of one
    /// page could share a channel object).
    tab: String,
    /// The sessions this tab holds open (their shared locks), and what releases each.
    held: RefCell<Vec<(String, Function)>>,
}

fn lock_name(session: &str) -> String {
    format!("mixroom-session:{session}")
}

/// `navigator.locks`, where the browser has it (every current one does).
fn locks() -> Option<JsValue> {
    let navigator = web_sys::window()?.navigator();
    Reflect::get(&navigator, &"locks".into()).ok().filter(|l| l.is_object())
}

/// Asks for the lock on session `id` in `mode` (`{mode, ifAvailable}`). Resolves once the browser
/// answers — `Some(granted)`, where `granted` is false when `ifAvailable` found it held — with
/// what releases it; `None` where the browser has no Web Locks.
async fn request(id: &str, options: &Object) -> Option<(bool, Function)> {
    let locks = locks()?;
    let request = Reflect::get(&locks, &"request".into()).ok()?.dyn_into::<Function>().ok()?;
    // The lock is held until the promise its callback returns settles: resolving it releases it.
    let mut release = None;
    let held = Promise::new(&mut |resolve, _| release = Some(resolve));
    let (tx, rx) = futures::channel::oneshot::channel::<bool>();
    let tx = Rc::new(RefCell::new(Some(tx)));
    let answer = tx.clone();
    let callback = Closure::once_into_js(move |lock: JsValue| {
        if let Some(tx) = answer.borrow_mut().take() {
            let _ = tx.send(!lock.is_null());
        }
        held
    });
    let asked = request.call3(&locks, &lock_name(id).into(), options, &callback).ok()?;
    // A refused request answers "not granted" (its promise rejects); nothing else waits for it.
    let refused = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| {
        if let Some(tx) = tx.borrow_mut().take() {
            let _ = tx.send(false);
        }
    });
    if let Ok(asked) = asked.dyn_into::<Promise>() {
        let _ = asked.catch(&refused);
    }
    refused.forget();
    let granted = rx.await.unwrap_or(false);
    Some((granted, release?))
}

impl Tabs {
    /// Joins the channel; `on_news` hears the other tabs.
    pub fn new(tab: String, on_news: impl Fn(News) + 'static) -> Rc<Tabs> {
        let channel = web_sys::BroadcastChannel::new(CHANNEL).ok();
        let me = tab.clone();
        if let Some(channel) = &channel {
            let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
                let get = |k: &str| Reflect::get(&ev.data(), &k.into()).ok().and_then(|v| v.as_string());
                if get("tab").as_deref() == Some(me.as_str()) {
                    return;
                }
                match (get("open"), get("stored")) {
                    (Some(id), _) => on_news(News::Opened(id)),
                    (None, Some(_)) => on_news(News::Stored),
                    _ => {}
                }
            });
            channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            // Lives as long as the page.
            on_message.forget();
        }
        Rc::new(Tabs { channel, tab, held: RefCell::new(Vec::new()) })
    }

    fn post(&self, key: &str, value: &str) {
        if let Some(channel) = &self.channel {
            let message = Object::new();
            let _ = Reflect::set(&message, &key.into(), &value.into());
            let _ = Reflect::set(&message, &"tab".into(), &self.tab.clone().into());
            let _ = channel.post_message(&message);
        }
    }

    /// Holds session `id` open (a shared lock: other tabs may hold it too, none may delete it),
    /// from when the browser grants it — after any deletion of it under way elsewhere has finished —
    /// until [`Tabs::keep_only`] lets it go. Call it before reading the session.
    pub async fn hold(&self, id: &str) {
        if self.held.borrow().iter().any(|(h, _)| h == id) {
            return;
        }
        let options = Object::new();
        let _ = Reflect::set(&options, &"mode".into(), &"shared".into());
        if let Some((_, release)) = request(id, &options).await {
            self.held.borrow_mut().push((id.to_owned(), release));
        }
    }

    /// Lets go of every session held but `keep`.
    pub fn keep_only(&self, keep: Option<&str>) {
        self.held.borrow_mut().retain(|(id, release)| {
            let kept = Some(id.as_str()) == keep;
            if !kept {
                let _ = release.call0(&JsValue::NULL);
            }
            kept
        });
    }

    /// This tab has session `id` open (and no other): the others hear of it (the newest tab has a
    /// session; the others stop saving it).
    pub fn announce(&self, id: &str) {
        self.post("open", id);
    }

    /// Stored sessions changed here: the other tabs list them again.
    pub fn stored_changed(&self) {
        self.post("stored", "1");
    }
}

/// Runs `work` (a delete, a rename, a reset of session `id`) while no tab has that session open —
/// holding it exclusively, so that none can open it meanwhile — or returns `None` at once when one
/// has (this one included). Where the browser has no Web Locks, the work runs unguarded.
pub async fn exclusively<T>(id: &str, work: impl std::future::Future<Output = T>) -> Option<T> {
    let options = Object::new();
    let _ = Reflect::set(&options, &"mode".into(), &"exclusive".into());
    let _ = Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE);
    match request(id, &options).await {
        None => Some(work.await),
        Some((false, release)) => {
            let _ = release.call0(&JsValue::NULL);
            None
        }
        Some((true, release)) => {
            let out = work.await;
            let _ = release.call0(&JsValue::NULL);
            Some(out)
        }
    }
}

/// The names of the locks held now, by every tab (this one included). `None` when the browser
/// cannot say.
async fn held_locks() -> Option<Vec<String>> {
    let locks = locks()?;
    let query = Reflect::get(&locks, &"query".into()).ok()?.dyn_into::<Function>().ok()?;
    let snapshot = JsFuture::from(query.call0(&locks).ok()?.dyn_into::<Promise>().ok()?).await.ok()?;
    let held = Reflect::get(&snapshot, &"held".into()).ok()?.dyn_into::<Array>().ok()?;
    Some(held.iter().filter_map(|l| Reflect::get(&l, &"name".into()).ok().and_then(|n| n.as_string())).collect())
}

/// Whether a tab holds session `id` open (this one included). `None` when the browser cannot say.
pub async fn open_anywhere(id: &str) -> Option<bool> {
    let name = lock_name(id);
    Some(held_locks().await?.contains(&name))
}

/// How many session locks are held (by every tab, this one included): a tab that saves holds one.
/// `None` when the browser cannot say.
pub async fn sessions_held() -> Option<usize> {
    let prefix = lock_name("");
    Some(held_locks().await?.iter().filter(|n| n.starts_with(&prefix)).count())
}
