//! [`KeyValue`] on Workers KV.

use std::cell::OnceCell;

use worker::{
    kv::KvStore,
    wasm_bindgen::{JsCast, JsValue},
    wasm_bindgen_futures::JsFuture,
    Env,
};

use super::js::kv_get;
use crate::service::store::{KeyValue, StoreError};

const BINDING: &str = "TOKENS";
const MISSING: &str = "the TOKENS KV binding is missing";

/// The `TOKENS` namespace, looked up when first used. Reads call the
/// namespace's `get` directly; the rest goes through `worker`'s [`KvStore`].
pub struct WorkersKv {
    env: Env,
    store: OnceCell<Result<KvStore, String>>,
}

impl WorkersKv {
    /// Wraps the environment; nothing is looked up yet.
    pub fn new(env: &Env) -> Self {
        WorkersKv { env: env.clone(), store: OnceCell::new() }
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
        let promise = kv_get(self.env.as_ref(), BINDING, key)
            .map_err(js_failed)?
            .ok_or_else(|| StoreError(MISSING.to_string()))?;
        Ok(JsFuture::from(promise).await.map_err(js_failed)?.as_string())
    }

    async fn exist(&self, keys: &[String]) -> Result<Vec<bool>, StoreError> {
        let found = self.store()?.get_bulk(keys).text().await.map_err(failed)?;
        Ok(keys.iter().map(|key| found.get(key).is_some_and(Option::is_some)).collect())
    }

    async fn put(&self, key: &str, value: &str, expires_at: Option<u64>) -> Result<(), StoreError> {
        let mut put = self.store()?.put(key, value).map_err(failed)?;
        if let Some(expires_at) = expires_at {
            put = put.expiration(expires_at);
        }
        put.execute().await.map_err(failed)
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.store()?.delete(key).await.map_err(failed)
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let store = self.store()?;
        let mut keys = Vec::new();
        let mut cursor = None;
        loop {
            let mut list = store.list().prefix(prefix.to_string());
            if let Some(cursor) = cursor.take() {
                list = list.cursor(cursor);
            }
            let page = list.execute().await.map_err(failed)?;
            keys.extend(page.keys.into_iter().map(|key| key.name));
            match page.cursor {
                Some(next) if !page.list_complete => cursor = Some(next),
                _ => return Ok(keys),
            }
        }
    }
}
