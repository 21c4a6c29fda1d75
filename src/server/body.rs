//! The request body, read only when the service asks for it, and never
//! left half-read: a body that is refused for its size, or never read, is
//! cancelled, so that the connection is ready for the next request.

use std::cell::Cell;

use worker::{
    js_sys::{Reflect, Uint8Array},
    wasm_bindgen::{JsCast, JsValue},
    wasm_bindgen_futures::JsFuture,
    web_sys,
};

use crate::service::http::{Body, BodySource};

/// The body of the request being served.
pub struct RequestBody<'a> {
    request: &'a web_sys::Request,
    read: Cell<bool>,
}

impl<'a> RequestBody<'a> {
    /// The body of `request`, not yet read.
    pub fn new(request: &'a web_sys::Request) -> Self {
        RequestBody { request, read: Cell::new(false) }
    }

    /// Cancels the body if nobody read or forwarded it.
    pub fn discard_unread(&self) {
        if self.read.get() {
            return;
        }
        if let Some(stream) = self.request.body().filter(|stream| !stream.locked()) {
            // Cancelling an unlocked stream cannot fail; nothing waits for it.
            let _ = stream.cancel();
        }
    }

    async fn read_at_most(&self, max: usize) -> Body {
        self.read.set(true);
        let declared = self.request.headers().get("content-length").ok().flatten();
        if declared.and_then(|len| len.trim().parse::<usize>().ok()).is_some_and(|len| len > max) {
            if let Some(stream) = self.request.body() {
                let _ = stream.cancel();
            }
            return Body::TooLarge;
        }
        let Some(stream) = self.request.body() else { return Body::Bytes(Vec::new()) };
        let Ok(reader) = stream.get_reader().dyn_into::<web_sys::ReadableStreamDefaultReader>() else {
            return Body::Bytes(Vec::new());
        };
        let mut body = Vec::new();
        loop {
            let Some(chunk) = next_chunk(&reader).await else { return Body::Bytes(Vec::new()) };
            let Some(chunk) = chunk else { return Body::Bytes(body) };
            if body.len() + chunk.len() > max {
                let _ = reader.cancel();
                return Body::TooLarge;
            }
            body.extend_from_slice(&chunk);
        }
    }
}

/// The next chunk: `Some(None)` at the end, `None` when reading failed.
async fn next_chunk(reader: &web_sys::ReadableStreamDefaultReader) -> Option<Option<Vec<u8>>> {
    let result = JsFuture::from(reader.read()).await.ok()?;
    if Reflect::get(&result, &JsValue::from_str("done")).ok()?.is_truthy() {
        return Some(None);
    }
    let value = Reflect::get(&result, &JsValue::from_str("value")).ok()?;
    let bytes = value.dyn_into::<Uint8Array>().ok()?;
    Some(Some(bytes.to_vec()))
}

impl BodySource for &RequestBody<'_> {
    async fn read(&mut self, max: usize) -> Body {
        self.read_at_most(max).await
    }
}
