//! [`KeyValue`] on Workers KV, counting operations as the platform does.
//!
//! Cloudflare allows at most 1,000 KV operations per invocation (a bulk read
//! counts as one); the local runtime does not enforce it. Each
//! [`WorkersKv`] serves one invocation, counts what it does, refuses the
//! operation that would exceed the limit, and reports its count for the
//! log line, so that tests see what production would.

use std::{cell::Cell, rc::Rc};

use worker::{
    js_sys::{Array, Promise},
    wasm_bindgen::{JsCast, JsValue},
    Env,
};

use super::{
    js::{error_text, kv_delete, kv_get, kv_get_many, kv_list, kv_put},
    task::settled,
};
use crate::service::store::{KeyValue, Page, StoreError};

thread_local! {
    /// The binding's name, made a JavaScript string once per isolate.
    static BINDING: JsValue = JsValue::from_str("TOKENS");
}
const MISSING: &str = "the TOKENS KV binding is missing";
/// Cloudflare's limit of KV operations per invocation.
pub const MAX_OPERATIONS: u32 = 1000;

/// The `TOKENS` namespace for one invocation, called through the
/// JavaScript functions of [`super::js`]. A clone (for the work after the
/// answer) counts against the same invocation.
#[derive(Clone)]
pub struct WorkersKv {
    env: Env,
    operations: Rc<Cell<u32>>,
}

impl WorkersKv {
    /// Wraps the environment; nothing is looked up yet.
    pub fn new(env: &Env) -> Self {
        WorkersKv { env: env.clone(), operations: Rc::default() }
    }

    /// How many operations this invocation made.
    pub fn operations(&self) -> u32 {
        self.operations.get()
    }

    /// Counts one operation, or refuses it past the platform's limit.
    fn operate(&self) -> Result<(), StoreError> {
        if self.operations.get() >= MAX_OPERATIONS {
            return Err(StoreError(format!("more than {MAX_OPERATIONS} KV operations in one invocation")));
        }
        self.operations.set(self.operations.get() + 1);
        Ok(())
    }
}

fn js_failed(error: JsValue) -> StoreError {
    StoreError(format!("KV: {}", error_text(&error)))
}

impl KeyValue for WorkersKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.operate()?;
        let promise = BINDING.with(|binding| kv_get(self.env.as_ref(), binding, key)).map_err(js_failed)?;
        Ok(settle(promise).await?.as_string())
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<String>>, StoreError> {
        self.operate()?;
        // Keys are ids, hex digests and client addresses: none holds a line break.
        let lines = keys.join("\n");
        let promise =
            BINDING.with(|binding| kv_get_many(self.env.as_ref(), binding, &lines)).map_err(js_failed)?;
        let values: Array = settle(promise).await?.unchecked_into();
        Ok(values.iter().map(|value| value.as_string()).collect())
    }

    async fn put(&self, key: &str, value: &str, expires_at: Option<u64>) -> Result<(), StoreError> {
        self.operate()?;
        // KV takes expirations as seconds since the epoch up to 2^31 - 1.
        let expiration = expires_at.map_or(0, |at| u32::try_from(at).unwrap_or(u32::MAX));
        let promise = BINDING
            .with(|binding| kv_put(self.env.as_ref(), binding, key, value, expiration))
            .map_err(js_failed)?;
        settle(promise).await.map(drop)
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.operate()?;
        let promise =
            BINDING.with(|binding| kv_delete(self.env.as_ref(), binding, key)).map_err(js_failed)?;
        settle(promise).await.map(drop)
    }

    async fn list(&self, prefix: &str, cursor: Option<&str>, limit: usize) -> Result<Page, StoreError> {
        self.operate()?;
        let limit = u32::try_from(limit).unwrap_or(u32::MAX);
        let promise = BINDING
            .with(|binding| kv_list(self.env.as_ref(), binding, prefix, cursor.map(str::to_string), limit))
            .map_err(js_failed)?;
        let lines = settle(promise).await?.as_string().unwrap_or_default();
        let mut lines = lines.split('\n');
        let cursor = lines.next().filter(|cursor| !cursor.is_empty()).map(str::to_string);
        Ok(Page { keys: lines.filter(|key| !key.is_empty()).map(str::to_string).collect(), cursor })
    }
}

/// Awaits a KV call's promise; a missing binding gave none.
async fn settle(promise: Option<Promise>) -> Result<JsValue, StoreError> {
    let promise = promise.ok_or_else(|| StoreError(MISSING.to_string()))?;
    settled(promise).await.map_err(js_failed)
}
