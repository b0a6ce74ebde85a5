//! The site's other tabs: which sessions they have open, and news of the stored sessions.
//!
//! - A tab holds a **Web Lock** named after the session it has open (`mixroom-session:<id>`,
//!   shared), for as long as it has it open. The browser releases it when the tab closes or
//!   crashes, so [`open_elsewhere`] is never fooled by a tab that is gone: a session open in
//!   another tab is never deleted from under it.
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
    /// The lock held on the open session, and what releases it.
    held: RefCell<Option<(String, Function)>>,
}

fn lock_name(session: &str) -> String {
    format!("mixroom-session:{session}")
}

/// `navigator.locks`, where the browser has it (every current one does).
fn locks() -> Option<JsValue> {
    let navigator = web_sys::window()?.navigator();
    Reflect::get(&navigator, &"locks".into()).ok().filter(|l| l.is_object())
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
        Rc::new(Tabs { channel, tab, held: RefCell::new(None) })
    }

    fn post(&self, key: &str, value: &str) {
        if let Some(channel) = &self.channel {
            let message = Object::new();
            let _ = Reflect::set(&message, &key.into(), &value.into());
            let _ = Reflect::set(&message, &"tab".into(), &self.tab.clone().into());
            let _ = channel.post_message(&message);
        }
    }

    /// This tab has session `id` open (and no other): the others hear of it, and the lock on it is
    /// held until [`Tabs::closed`].
    pub fn opened(&self, id: &str) {
        self.closed();
        self.post("open", id);
        let Some(locks) = locks() else { return };
        let Ok(request) = Reflect::get(&locks, &"request".into()).and_then(|r| r.dyn_into::<Function>().map_err(JsValue::from)) else { return };
        // The lock is held until the promise its callback returns settles: resolving it releases it.
        let mut release = None;
        let held = Promise::new(&mut |resolve, _| release = Some(resolve));
        let callback = Closure::once_into_js(move |_lock: JsValue| held);
        let options = Object::new();
        let _ = Reflect::set(&options, &"mode".into(), &"shared".into());
        if let Ok(granted) = request.call3(&locks, &lock_name(id).into(), &options, &callback) {
            // The request's own promise settles when the lock is released; nothing waits for it.
            if let Ok(granted) = granted.dyn_into::<Promise>() {
                let ignore = Closure::<dyn FnMut(JsValue)>::new(|_: JsValue| {});
                let _ = granted.catch(&ignore);
                ignore.forget();
            }
        }
        if let Some(release) = release {
            *self.held.borrow_mut() = Some((id.to_owned(), release));
        }
    }

    /// This tab no longer has a session open (switching, or another tab took it).
    pub fn closed(&self) {
        if let Some((_, release)) = self.held.borrow_mut().take() {
            let _ = release.call0(&JsValue::NULL);
        }
    }

    /// Stored sessions changed here: the other tabs list them again.
    pub fn stored_changed(&self) {
        self.post("stored", "1");
    }
}

/// Whether a tab holds session `id` open — another tab, when this one does not have it open
/// itself. `None` when the browser cannot say.
pub async fn open_elsewhere(id: &str) -> Option<bool> {
    let locks = locks()?;
    let query = Reflect::get(&locks, &"query".into()).ok()?.dyn_into::<Function>().ok()?;
    let snapshot = JsFuture::from(query.call0(&locks).ok()?.dyn_into::<Promise>().ok()?).await.ok()?;
    let held = Reflect::get(&snapshot, &"held".into()).ok()?.dyn_into::<Array>().ok()?;
    let name = lock_name(id);
    Some(held.iter().any(|l| Reflect::get(&l, &"name".into()).ok().and_then(|n| n.as_string()).as_deref() == Some(name.as_str())))
}
