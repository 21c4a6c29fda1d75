//! [`KeyValue`] on Workers KV.

use worker::{kv::KvStore, Env};

use crate::store::{KeyValue, StoreError};

/// The `TOKENS` namespace, or the reason it is missing.
pub struct WorkersKv(Result<KvStore, String>);

impl WorkersKv {
    /// Looks up the `TOKENS` binding.
    pub fn new(env: &Env) -> Self {
        WorkersKv(env.kv("TOKENS").map_err(|_| "the TOKENS KV binding is missing".to_string()))
    }

    fn store(&self) -> Result<&KvStore, StoreError> {
        self.0.as_ref().map_err(|missing| StoreError(missing.clone()))
    }
}

fn failed(error: impl std::fmt::Display) -> StoreError {
    StoreError(format!("KV: {error}"))
}

impl KeyValue for WorkersKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.store()?.get(key).text().await.map_err(failed)
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
