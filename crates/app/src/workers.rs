//! The Web Workers the app starts for file work (`www/*-worker.js`: imports, project files,
//! deliveries): a module worker whose messages arrive, in order, as the feature's own replies.

use futures::channel::mpsc;
use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A running worker and its handlers. Dropping it terminates the worker.
pub struct Worker<R: 'static> {
    worker: web_sys::Worker,
    /// Where its replies go: a cancel sends its own reply here to wake whoever waits.
    pub wake: mpsc::UnboundedSender<R>,
    _handlers: (Closure<dyn FnMut(web_sys::MessageEvent)>, Closure<dyn FnMut(web_sys::ErrorEvent)>),
}

/// A field of a message.
pub fn field(data: &JsValue, key: &str) -> JsValue {
    Reflect::get(data, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// Starts the module worker `script` (`what` names it in errors). Each message becomes a reply
/// through `read` (its `type`, and the message: see [`field`]); an error the worker could not
/// answer itself becomes `failed("the … worker failed: …")`.
pub fn start<R: 'static>(
    script: &str,
    what: &str,
    read: impl Fn(&str, &JsValue) -> R + 'static,
    failed: impl Fn(String) -> R + 'static,
) -> Result<(Worker<R>, mpsc::UnboundedReceiver<R>), String> {
    let options = web_sys::WorkerOptions::new();
    options.set_type(web_sys::WorkerType::Module);
    let worker = web_sys::Worker::new_with_options(script, &options).map_err(|_| format!("the {what} worker could not start"))?;
    let (tx, rx) = mpsc::unbounded();
    let sender = tx.clone();
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
        let data = ev.data();
        let kind = field(&data, "type").as_string().unwrap_or_default();
        let _ = sender.unbounded_send(read(&kind, &data));
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    let errors = tx.clone();
    let what = what.to_owned();
    let on_error = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |ev: web_sys::ErrorEvent| {
        let _ = errors.unbounded_send(failed(format!("the {what} worker failed: {}", ev.message())));
    });
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Ok((Worker { worker, wake: tx, _handlers: (on_message, on_error) }, rx))
}

impl<R> Worker<R> {
    pub fn post(&self, message: &JsValue) -> Result<(), JsValue> {
        self.worker.post_message(message)
    }

    /// Posts `message`, moving the buffers of `transfer` (no copy).
    pub fn post_moving(&self, message: &JsValue, transfer: &js_sys::Array) -> Result<(), JsValue> {
        self.worker.post_message_with_transfer(message, transfer)
    }
}

impl<R> Drop for Worker<R> {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}
