//! Storage: the small interfaces the service needs, and the layout of tokens
//! in a key-value store.
//!
//! [`KeyValue`] is Workers KV in the Worker and a map in the tests;
//! [`CallCounter`] is a Durable Object per token in the Worker and a map in
//! the tests. [`TokenStore`] owns the keyspace and the order of writes that
//! keeps a token whole:
//!
//! - `t:<storage key>`: the [`TokenRecord`], found by the hash of the secret;
//! - `i:<id>`: the [`IndexEntry`], found by the public id;
//! - `c:<parent id>:<child id>`: an empty marker per delegated child.
//!
//! A token authenticates only through its `t:` key, which is written last
//! and deleted first, so a failure half-way never leaves a token that
//! authenticates but cannot be found by id, or the reverse.

use std::fmt;

use crate::contract::model::to_json;

use super::{
    records::{IndexEntry, TokenRecord},
    usage::{ChargeReply, ChargeRequest},
};

/// KV refuses expirations closer than this many seconds.
pub const MIN_EXPIRY_SECS: u64 = 60;
/// Added to [`MIN_EXPIRY_SECS`]: `now` is the request's start, rounded down,
/// and KV checks against its own clock when the write arrives.
pub const EXPIRY_SLACK_SECS: u64 = 10;
/// The latest expiration the Workers KV binding takes (an `int`: 2038-01-19).
pub const MAX_KV_EXPIRATION: u64 = i32::MAX as u64;

/// A storage operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "storage failed: {}", self.0)
    }
}

impl std::error::Error for StoreError {}

/// An eventually consistent key-value store with expiring keys.
#[allow(async_fn_in_trait)] // Workers are single-threaded: no `Send` bound wanted.
pub trait KeyValue {
    /// The value under `key`.
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Whether each of `keys` exists, in order.
    async fn exist(&self, keys: &[String]) -> Result<Vec<bool>, StoreError>;
    /// Stores `value`, to be dropped at `expires_at` (seconds since the epoch).
    async fn put(&self, key: &str, value: &str, expires_at: Option<u64>) -> Result<(), StoreError>;
    /// Removes `key`; removing a missing key is not an error.
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// Every key that starts with `prefix`.
    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError>;
}

/// The atomic `calls` counters of tokens.
#[allow(async_fn_in_trait)]
pub trait CallCounter {
    /// Applies `request` to the counters of token `id`, atomically.
    async fn charge(&self, id: &str, request: &ChargeRequest) -> Result<ChargeReply, StoreError>;
    /// Marks the counters of token `id` revoked: they grant nothing more.
    async fn revoke(&self, id: &str) -> Result<(), StoreError>;
}

/// Tokens laid out in a [`KeyValue`] store.
#[derive(Debug)]
pub struct TokenStore<'a, K> {
    kv: &'a K,
}

impl<'a, K: KeyValue> TokenStore<'a, K> {
    /// Wraps `kv`.
    pub fn new(kv: &'a K) -> Self {
        TokenStore { kv }
    }

    /// The record whose secret hashes to `storage_key`.
    pub async fn record(&self, storage_key: &str) -> Result<Option<TokenRecord>, StoreError> {
        self.get_json(&record_key(storage_key)).await
    }

    /// The index entry of token `id`.
    pub async fn index(&self, id: &str) -> Result<Option<IndexEntry>, StoreError> {
        self.get_json(&index_key(id)).await
    }

    /// True when every token in `ids` is still indexed (none was deleted).
    pub async fn all_indexed(&self, ids: &[String]) -> Result<bool, StoreError> {
        let keys: Vec<String> = ids.iter().map(|id| index_key(id)).collect();
        Ok(self.kv.exist(&keys).await?.into_iter().all(|exists| exists))
    }

    /// Stores a new token: index, child marker, then record. On failure it
    /// removes what it wrote, so the token does not exist.
    pub async fn insert(&self, storage_key: &str, record: &TokenRecord, now: u64) -> Result<(), StoreError> {
        let written = self.write_token(storage_key, record, now).await;
        if written.is_err() {
            // Best effort: the record is written last, so whatever remains
            // cannot authenticate and expires with the token.
            let _ = self.kv.delete(&index_key(&record.id)).await;
            if let Some(parent) = record.ancestors.last() {
                let _ = self.kv.delete(&child_key(parent, &record.id)).await;
            }
        }
        written
    }

    async fn write_token(&self, storage_key: &str, record: &TokenRecord, now: u64) -> Result<(), StoreError> {
        let expires_at = storage_expiry(record.valid_until, now);
        let entry = IndexEntry {
            key: storage_key.to_string(),
            ancestors: record.ancestors.clone(),
            limited: record.is_limited(),
            valid_until: record.valid_until,
        };
        self.kv.put(&index_key(&record.id), &to_json(&entry), expires_at).await?;
        if let Some(parent) = record.ancestors.last() {
            self.kv.put(&child_key(parent, &record.id), "", expires_at).await?;
        }
        self.kv.put(&record_key(storage_key), &to_json(record), expires_at).await
    }

    /// Deletes token `id` and every token below it. Records go first, top
    /// down, so the subtree stops authenticating at once; index entries go
    /// last, bottom up, so a retry after a failure finds what is left.
    pub async fn remove_subtree<C: CallCounter>(
        &self,
        id: &str,
        entry: IndexEntry,
        counter: &C,
    ) -> Result<usize, StoreError> {
        let subtree = self.subtree(id.to_string(), entry).await?;
        for (id, entry) in &subtree {
            self.kv.delete(&record_key(&entry.key)).await?;
            if entry.limited {
                counter.revoke(id).await?;
            }
        }
        for (id, entry) in subtree.iter().rev() {
            if let Some(parent) = entry.ancestors.last() {
                self.kv.delete(&child_key(parent, id)).await?;
            }
            self.kv.delete(&index_key(id)).await?;
        }
        Ok(subtree.len())
    }

    /// The token and its descendants, breadth first.
    async fn subtree(&self, id: String, entry: IndexEntry) -> Result<Vec<(String, IndexEntry)>, StoreError> {
        let mut nodes = vec![(id, entry)];
        let mut next = 0;
        while next < nodes.len() {
            let prefix = child_prefix(&nodes[next].0);
            for key in self.kv.list(&prefix).await? {
                let child = &key[prefix.len()..];
                match self.index(child).await? {
                    Some(entry) => nodes.push((child.to_string(), entry)),
                    None => self.kv.delete(&key).await?,
                }
            }
            next += 1;
        }
        Ok(nodes)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        match self.kv.get(key).await? {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| StoreError(format!("corrupt value under {}: {e}", key_kind(key)))),
        }
    }
}

/// When KV should drop a token's keys: at its expiry, but never sooner than
/// KV allows. The service refuses an expired token itself, to the second.
pub fn storage_expiry(valid_until: Option<u64>, now: u64) -> Option<u64> {
    valid_until
        .map(|until| until.max(now + MIN_EXPIRY_SECS + EXPIRY_SLACK_SECS))
        .filter(|at| *at <= MAX_KV_EXPIRATION)
}

fn record_key(storage_key: &str) -> String {
    format!("t:{storage_key}")
}

fn index_key(id: &str) -> String {
    format!("i:{id}")
}

fn child_prefix(parent: &str) -> String {
    format!("c:{parent}:")
}

fn child_key(parent: &str, child: &str) -> String {
    format!("c:{parent}:{child}")
}

/// Names a key's kind without its content, for error messages and logs.
fn key_kind(key: &str) -> &'static str {
    match key.as_bytes().first() {
        Some(b't') => "a token record",
        Some(b'i') => "an index entry",
        _ => "a key",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_expiry_respects_kv_minimum() {
        assert_eq!(storage_expiry(None, 1000), None);
        assert_eq!(storage_expiry(Some(1002), 1000), Some(1070));
        assert_eq!(storage_expiry(Some(MAX_KV_EXPIRATION + 1), 1000), None);
        assert_eq!(storage_expiry(Some(5000), 1000), Some(5000));
    }
}
