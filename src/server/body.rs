//! The request body, read only when the service asks for it, and never left
//! half-read: what nobody read (a refused request) or what was left over (a
//! body over the limit) is drained after the answer is decided, so that the
//! client's connection can carry its next request. Past [`DRAIN_LIMIT`] the
//! body is cancelled instead, which closes that connection.

use std::cell::{Cell, RefCell};

use worker::{
    js_sys::{Reflect, Uint8Array},
    wasm_bindgen::{JsCast, JsValue},
    web_sys::{ReadableStreamDefaultReader, Request},
};

use super::task::settled;
use crate::service::http::{Body, BodySource};

/// The most bytes drained from a body nobody wants.
const DRAIN_LIMIT: usize = 1024 * 1024;

/// The body of the request being served.
pub struct RequestBody<'a> {
    request: &'a Request,
    /// A reader left with unread bytes, after a body over the limit.
    leftover: RefCell<Option<ReadableStreamDefaultReader>>,
    read: Cell<bool>,
}

impl<'a> RequestBody<'a> {
    /// The body of `request`, not yet read.
    pub fn new(request: &'a Request) -> Self {
        RequestBody { request, leftover: RefCell::new(None), read: Cell::new(false) }
    }

    /// Drains what nobody read: the whole body if it was neither read nor
    /// forwarded, or what was left over.
    pub async fn discard_unread(&self) {
        let reader = match self.leftover.take() {
            Some(reader) => reader,
            None if self.read.get() => return,
            None => match self.reader() {
                Some(reader) => reader,
                None => return,
            },
        };
        let mut drained = 0;
        while let Some(Some(chunk)) = next_chunk(&reader).await {
            drained += chunk.len();
            if drained > DRAIN_LIMIT {
                let _ = reader.cancel();
                return;
            }
        }
    }

    /// A reader of the body, unless there is none or it is already taken
    /// (forwarded to the node).
    fn reader(&self) -> Option<ReadableStreamDefaultReader> {
        let stream = self.request.body().filter(|stream| !stream.locked())?;
        stream.get_reader().dyn_into().ok()
    }

    async fn read_at_most(&self, max: usize) -> Body {
        self.read.set(true);
        let declared = self.request.headers().get("content-length").ok().flatten();
        let Some(reader) = self.reader() else { return Body::Bytes(Vec::new()) };
        if declared.and_then(|len| len.trim().parse::<usize>().ok()).is_some_and(|len| len > max) {
            self.leftover.replace(Some(reader));
            return Body::TooLarge;
        }
        let mut body = Vec::new();
        loop {
            let Some(chunk) = next_chunk(&reader).await else { return Body::Bytes(Vec::new()) };
            let Some(chunk) = chunk else { return Body::Bytes(body) };
            if body.len() + chunk.len() > max {
                self.leftover.replace(Some(reader));
                return Body::TooLarge;
            }
            body.extend_from_slice(&chunk);
        }
    }
}

/// The next chunk: `Some(None)` at the end, `None` when reading failed.
async fn next_chunk(reader: &ReadableStreamDefaultReader) -> Option<Option<Vec<u8>>> {
    let result = settled(reader.read()).await.ok()?;
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
