//! [`KeyValue`] on Workers KV, counting operations as the platform does.
//!
//! Cloudflare allows at most 1,000 KV operations per invocation (a bulk read
//! counts as one); the local runtime does not enforce it. Each
//! [`WorkersKv`] serves one invocation, counts what it does, refuses the
//! operation that would exceed the limit, and reports its count for the
//! log line, so that tests see what production would.

use std::cell::{Cell, OnceCell};

use worker::{
    kv::KvStore,
    wasm_bindgen::{JsCast, JsValue},
    wasm_bindgen_futures::JsFuture,
    Env,
};

use super::js::{kv_get, kv_get_many};
use crate::service::store::{KeyValue, Page, StoreError};

const BINDING: &str = "TOKENS";
const MISSING: &str = "the TOKENS KV binding is missing";
/// Cloudflare's limit of KV operations per invocation.
pub const MAX_OPERATIONS: u32 = 1000;

/// The `TOKENS` namespace for one invocation, looked up when first used.
/// Reads call the namespace's `get` directly; the rest goes through
/// `worker`'s [`KvStore`].
pub struct WorkersKv {
    env: Env,
    store: OnceCell<Result<KvStore, String>>,
    operations: Cell<u32>,
}

impl WorkersKv {
    /// Wraps the environment; nothing is looked up yet.
    pub fn new(env: &Env) -> Self {
        WorkersKv { env: env.clone(), store: OnceCell::new(), operations: Cell::new(0) }
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

    fn store(&self) -> Result<&KvStore, StoreError> {
        self.store
            .get_or_init(|| self.env.kv(BINDING).map_err(|_| MISSING.to_string()))
            .as_ref()
            .map_err(|missing| StoreError(missing.clone()))
    }
}

fn js_failed(error: JsValue) -> StoreError {
    let text = error
        .dyn_ref::<worker::js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| format!("{error:?}"));
    StoreError(format!("KV: {text}"))
}

fn failed(error: impl std::fmt::Display) -> StoreError {
    StoreError(format!("KV: {error}"))
}

impl KeyValue for WorkersKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.operate()?;
        let promise = kv_get(self.env.as_ref(), BINDING, key)
            .map_err(js_failed)?
            .ok_or_else(|| StoreError(MISSING.to_string()))?;
        Ok(JsFuture::from(promise).await.map_err(js_failed)?.as_string())
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<String>>, StoreError> {
        self.operate()?;
        let names: worker::js_sys::Array = keys.iter().map(|key| JsValue::from_str(key)).collect();
        let promise = kv_get_many(self.env.as_ref(), BINDING, &names)
            .map_err(js_failed)?
            .ok_or_else(|| StoreError(MISSING.to_string()))?;
        let values: worker::js_sys::Array =
            JsFuture::from(promise).await.map_err(js_failed)?.unchecked_into();
        Ok(values.iter().map(|value| value.as_string()).collect())
    }

    async fn put(&self, key: &str, value: &str, expires_at: Option<u64>) -> Result<(), StoreError> {
        self.operate()?;
        let mut put = self.store()?.put(key, value).map_err(failed)?;
        if let Some(expires_at) = expires_at {
            put = put.expiration(expires_at);
        }
        put.execute().await.map_err(failed)
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.operate()?;
        self.store()?.delete(key).await.map_err(failed)
    }

    async fn list(&self, prefix: &str, cursor: Option<&str>, limit: usize) -> Result<Page, StoreError> {
        self.operate()?;
        let mut list = self.store()?.list().prefix(prefix.to_string()).limit(limit as u64);
        if let Some(cursor) = cursor {
            list = list.cursor(cursor.to_string());
        }
        let page = list.execute().await.map_err(failed)?;
        let cursor = page.cursor.filter(|_| !page.list_complete);
        Ok(Page { keys: page.keys.into_iter().map(|key| key.name).collect(), cursor })
    }
}
