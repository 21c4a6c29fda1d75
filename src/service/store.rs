//! Storage: the small interfaces the service needs, and the layout of tokens
//! in a key-value store.
//!
//! [`KeyValue`] is Workers KV in the Worker and a map in the tests;
//! [`Budgets`] is a Durable Object per delegation tree in the Worker and a
//! map in the tests. [`TokenStore`] owns the keyspace and the order of
//! writes that keeps a token whole:
//!
//! - `t:<storage key>`: the [`TokenRecord`], found by the hash of the secret;
//! - `i:<id>`: the [`IndexEntry`], found by the public id;
//! - `c:<parent id>:<child id>`: an empty marker per delegated child;
//! - `d:<ancestor id>:<descendant id>`: an empty marker per ancestor, so
//!   that one listing finds a whole subtree;
//! - `l:<client address>`: a throttled address, until its lock-out ends;
//! - `u:<id>`: when the token last authenticated a call (seconds), written
//!   off the response path ([`crate::service::usage::last_use`]);
//! - `x:<id>`: a deleted token's tombstone, its lineage (its ancestors and
//!   itself, joined by `/`), kept as long as events are, so that its
//!   audit trail stays readable by its id. An index entry, likewise, is
//!   kept that long past its token's expiry.
//!
//! A token authenticates only through its `t:` key, which is written last
//! and deleted first, and only while every ancestor's `i:` key exists, so
//! that deleting one `i:` key revokes a whole subtree at once.

use std::fmt;

use std::collections::BTreeMap;

use crate::contract::{bounds::EVENTS_KEPT_SECS, error::ApiError, model::to_json};

use super::{
    records::{IndexEntry, RetiredSecret, SecretState, TokenRecord},
    tree::{
        budgets::{ChargeReply, ChargeRequest, RotationReply, RotationStep, Usage},
        events::{EventsQuery, NumberedEvent, StoredEvent},
    },
};

/// KV refuses expirations closer than this many seconds.
pub const MIN_EXPIRY_SECS: u64 = 60;
/// Added to [`MIN_EXPIRY_SECS`]: `now` is the request's start, rounded down,
/// and KV checks against its own clock when the write arrives.
pub const EXPIRY_SLACK_SECS: u64 = 10;
/// The latest expiration the Workers KV binding takes (an `int`: 2038-01-19).
pub const MAX_KV_EXPIRATION: u64 = i32::MAX as u64;
/// The most keys one bulk read takes.
pub const MAX_BULK_KEYS: usize = 100;
/// The most keys one list call returns.
pub const MAX_LIST_KEYS: usize = 1000;

/// A storage operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "storage failed: {}", self.0)
    }
}

impl std::error::Error for StoreError {}

/// A storage failure, as the caller sees it: `503`, the cause logged.
impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        ApiError::Unavailable(error.to_string())
    }
}

/// One page of keys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Page {
    /// The keys, in order.
    pub keys: Vec<String>,
    /// Where the next page starts; `None` on the last page.
    pub cursor: Option<String>,
}

/// An eventually consistent key-value store with expiring keys. Each call
/// is one operation against the platform's per-invocation limit.
#[allow(async_fn_in_trait)] // Workers are single-threaded: no `Send` bound wanted.
pub trait KeyValue {
    /// The value under `key`.
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// The values under `keys` (at most [`MAX_BULK_KEYS`]), in order.
    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<String>>, StoreError>;
    /// Stores `value`, to be dropped at `expires_at` (seconds since the epoch).
    async fn put(&self, key: &str, value: &str, expires_at: Option<u64>) -> Result<(), StoreError>;
    /// Removes `key`; removing a missing key is not an error.
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// At most `limit` (≤ [`MAX_LIST_KEYS`]) keys starting with `prefix`,
    /// from `cursor` on.
    async fn list(&self, prefix: &str, cursor: Option<&str>, limit: usize) -> Result<Page, StoreError>;
}

/// The counters of every delegation tree, each changed atomically and
/// durably before the call returns.
#[allow(async_fn_in_trait)]
pub trait Budgets {
    /// Applies `request` to the counters of tree `tree`.
    async fn charge(&self, tree: &str, request: &ChargeRequest) -> Result<ChargeReply, StoreError>;
    /// The use of each of `tokens` of tree `tree`, at the tree's clock.
    async fn usage(&self, tree: &str, tokens: &[String]) -> Result<BTreeMap<String, Usage>, StoreError>;
    /// Revokes token `id` (with `depth` ancestors) of tree `tree` with its
    /// subtree in the counters, and schedules the removal of its descendants
    /// from storage.
    async fn revoke(&self, tree: &str, id: &str, depth: usize) -> Result<(), StoreError>;
    /// Takes `step` of a rotation of a token of tree `tree`.
    async fn rotate(&self, tree: &str, step: &RotationStep) -> Result<RotationReply, StoreError>;
    /// Adds `event` to the audit trail of tree `tree`.
    async fn record(&self, tree: &str, event: &StoredEvent) -> Result<(), StoreError>;
    /// A page of the audit trail of tree `tree`, newest first.
    async fn events(&self, tree: &str, query: &EventsQuery) -> Result<Vec<NumberedEvent>, StoreError>;
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

    /// The record whose secret hashes to `storage_key`, and the end of the
    /// lock-out of `address` (milliseconds) if it is throttled: one read.
    pub async fn record_and_lockout(
        &self,
        storage_key: &str,
        address: &str,
    ) -> Result<(Option<TokenRecord>, Option<u64>), StoreError> {
        let keys = [record_key(storage_key), lockout_key(address)];
        let mut values = self.kv.get_many(&keys).await?.into_iter();
        let record = parse(&keys[0], values.next().flatten())?;
        Ok((record, lockout_end(values.next().flatten())))
    }

    /// The end of the lock-out of `address` (milliseconds), if it is throttled.
    pub async fn lockout(&self, address: &str) -> Result<Option<u64>, StoreError> {
        Ok(lockout_end(self.kv.get(&lockout_key(address)).await?))
    }

    /// Throttles `address` until `until_ms` (milliseconds since the epoch).
    pub async fn lock_out(&self, address: &str, until_ms: u64, now_ms: u64) -> Result<(), StoreError> {
        let expires_at = storage_expiry(Some(until_ms.div_ceil(1000)), now_ms);
        self.kv.put(&lockout_key(address), &until_ms.to_string(), expires_at).await
    }

    /// The index entry of token `id`.
    pub async fn index(&self, id: &str) -> Result<Option<IndexEntry>, StoreError> {
        let key = index_key(id);
        parse(&key, self.kv.get(&key).await?)
    }

    /// The index entries of `ids` (at most [`MAX_BULK_KEYS`]), in order.
    pub async fn indexes(&self, ids: &[String]) -> Result<Vec<Option<IndexEntry>>, StoreError> {
        let keys: Vec<String> = ids.iter().map(|id| index_key(id)).collect();
        let values = self.kv.get_many(&keys).await?;
        keys.iter().zip(values).map(|(key, value)| parse(key, value)).collect()
    }

    /// True when every token in `ids` is still indexed (none was deleted).
    pub async fn all_indexed(&self, ids: &[String]) -> Result<bool, StoreError> {
        Ok(self.indexes(ids).await?.iter().all(Option::is_some))
    }

    /// Whether `record`, found under `storage_key`, authenticates at
    /// `now_ms`, and with which of its secrets: every ancestor must still be
    /// indexed and, once the token was rotated, its own index entry must
    /// name that secret. One read; none for a token the admin made that was
    /// never rotated.
    pub async fn secret_state(
        &self,
        record: &TokenRecord,
        storage_key: &str,
        now_ms: u64,
    ) -> Result<Option<SecretState>, StoreError> {
        let own = record.rotated.then(|| record.id.clone());
        let ids: Vec<String> = record.ancestors.iter().cloned().chain(own).collect();
        if ids.is_empty() {
            return Ok(Some(SecretState::Current));
        }
        let mut entries = self.indexes(&ids).await?;
        let state = match record.rotated {
            true => entries.pop().flatten().and_then(|own| own.secret_state(storage_key, now_ms)),
            false => Some(SecretState::Current),
        };
        Ok(state.filter(|_| entries.iter().all(Option::is_some)))
    }

    /// Stores a new token: index entry, markers under its creator and every
    /// ancestor, then record. On failure it removes what it wrote, so the
    /// token does not exist. `3 + depth` operations.
    pub async fn insert(
        &self,
        storage_key: &str,
        record: &TokenRecord,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        let entry = IndexEntry { key: storage_key.to_string(), retired: None, record: record.clone() };
        let written = self.write_token(&entry, now_ms).await;
        if written.is_err() {
            // Best effort: the record is written last, so whatever remains
            // cannot authenticate and expires with the token.
            let _ = self.remove_index(&record.id, &entry).await;
        }
        written
    }

    async fn write_token(&self, entry: &IndexEntry, now_ms: u64) -> Result<(), StoreError> {
        let record = &entry.record;
        let expires_at = storage_expiry(record.valid_until, now_ms);
        self.kv
            .put(&index_key(&record.id), &to_json(entry), index_expiry(record.valid_until, now_ms))
            .await?;
        if let Some(parent) = record.ancestors.last() {
            self.kv.put(&child_key(parent, &record.id), "", expires_at).await?;
        }
        for ancestor in &record.ancestors {
            self.kv.put(&descendant_key(ancestor, &record.id), "", expires_at).await?;
        }
        self.kv.put(&record_key(&entry.key), &to_json(record), expires_at).await
    }

    /// Gives token `entry` the secret stored under `new_key`, the old one
    /// working on until `now_ms` plus `grace` seconds (with `grace` 0, not
    /// at all). Returns the new index entry; [`Self::retire_secrets`] then
    /// removes the records it no longer names.
    ///
    /// The index entry is the switch: from the first rotation on, a token's
    /// secrets work only while its entry names them. So the old record is
    /// marked rotated first, then the new record is written, then the entry;
    /// a failure before the switch takes back what it wrote.
    pub async fn switch_secret(
        &self,
        entry: &IndexEntry,
        new_key: &str,
        grace: u64,
        now_ms: u64,
    ) -> Result<IndexEntry, StoreError> {
        let record = TokenRecord { rotated: true, ..entry.record.clone() };
        let expires_at = storage_expiry(record.valid_until, now_ms);
        let retired = (grace > 0).then(|| RetiredSecret {
            key: entry.key.clone(),
            until_ms: now_ms.saturating_add(grace.saturating_mul(1000)),
        });
        let rotated = IndexEntry { key: new_key.to_string(), retired, record };
        let marked = !entry.record.rotated;
        let switched = self.switch(entry, &rotated, marked, expires_at).await;
        if let Err(error) = switched {
            // Best effort: whatever remains cannot authenticate.
            let _ = self.kv.delete(&record_key(new_key)).await;
            if marked {
                let _ = self.kv.put(&record_key(&entry.key), &to_json(&entry.record), expires_at).await;
            }
            return Err(error);
        }
        Ok(rotated)
    }

    /// After the switch from `entry` to `rotated`: removes the records the
    /// entry no longer names, and keeps the retired one, with its end,
    /// through the grace period. A failure here leaves records that no
    /// longer authenticate, and a rotation that lost a race with another
    /// leaves its record so too.
    pub async fn retire_secrets(
        &self,
        entry: &IndexEntry,
        rotated: &IndexEntry,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        if let Some(older) = &entry.retired {
            self.kv.delete(&record_key(&older.key)).await?;
        }
        match &rotated.retired {
            None => self.kv.delete(&record_key(&entry.key)).await,
            Some(retired) => {
                let expires_at = storage_expiry(Some(retired.until_ms.div_ceil(1000)), now_ms);
                self.kv.put(&record_key(&retired.key), &to_json(&rotated.record), expires_at).await
            }
        }
    }

    async fn switch(
        &self,
        entry: &IndexEntry,
        rotated: &IndexEntry,
        mark_old: bool,
        expires_at: Option<u64>,
    ) -> Result<(), StoreError> {
        let record = to_json(&rotated.record);
        if mark_old {
            self.kv.put(&record_key(&entry.key), &record, expires_at).await?;
        }
        self.kv.put(&record_key(&rotated.key), &record, expires_at).await?;
        // A token being rotated has not expired: its entry's expiry is ahead.
        let index_expires_at = index_expiry(rotated.record.valid_until, 0);
        self.kv.put(&index_key(&rotated.record.id), &to_json(rotated), index_expires_at).await
    }

    /// Takes back a rotation of a token that turned out to be revoked
    /// meanwhile, so that it is not brought back: its records and its
    /// index entry go.
    pub async fn discard_rotation(&self, rotated: &IndexEntry) -> Result<(), StoreError> {
        self.remove_record(rotated).await?;
        self.kv.delete(&index_key(&rotated.record.id)).await
    }

    /// Removes a token's record, and a retired secret's: the token stops
    /// authenticating. [`ops_to_remove_record`] operations.
    pub async fn remove_record(&self, entry: &IndexEntry) -> Result<(), StoreError> {
        self.kv.delete(&record_key(&entry.key)).await?;
        match &entry.retired {
            Some(retired) => self.kv.delete(&record_key(&retired.key)).await,
            None => Ok(()),
        }
    }

    /// Removes token `id`'s markers under its ancestors, its index entry
    /// (its descendants stop authenticating), and last its marker under its
    /// creator, by which a clean-up that failed part-way finds it again.
    /// [`ops_to_remove_index`] operations.
    pub async fn remove_index(&self, id: &str, entry: &IndexEntry) -> Result<(), StoreError> {
        for ancestor in entry.ancestors() {
            self.kv.delete(&descendant_key(ancestor, id)).await?;
        }
        self.kv.delete(&index_key(id)).await?;
        match entry.ancestors().last() {
            Some(parent) => self.remove_child_marker(parent, id).await,
            None => Ok(()),
        }
    }

    /// Leaves the tombstone of the token whose ancestors and self are
    /// `path`, kept as long as events are, and removes when it was last
    /// used. [`OPS_TO_BURY`] operations.
    pub async fn bury(&self, path: &[String], now_ms: u64) -> Result<(), StoreError> {
        let Some(id) = path.last() else { return Ok(()) };
        let expires_at = now_ms / 1000 + EVENTS_KEPT_SECS;
        self.kv.put(&tombstone_key(id), &path.join("/"), Some(expires_at.min(MAX_KV_EXPIRATION))).await?;
        self.kv.delete(&last_use_key(id)).await
    }

    /// The ancestors and self of deleted token `id`, root first, while its
    /// tombstone is kept.
    pub async fn tombstone(&self, id: &str) -> Result<Option<Vec<String>>, StoreError> {
        let lineage = self.kv.get(&tombstone_key(id)).await?;
        Ok(lineage.map(|lineage| lineage.split('/').map(str::to_string).collect()))
    }

    /// Notes that token `id`, valid until `valid_until`, authenticated a
    /// call at `secs` (seconds since the epoch). The note is written after
    /// the answer has left, so a delete of the token may land first; since
    /// [`Self::bury`] lays the tombstone before it removes the note, a note
    /// written after that finds the tombstone and goes again, and so never
    /// outlives its token. Two operations, three after a delete.
    pub async fn note_use(&self, id: &str, secs: u64, valid_until: Option<u64>) -> Result<(), StoreError> {
        let key = last_use_key(id);
        self.kv.put(&key, &secs.to_string(), storage_expiry(valid_until, secs * 1000)).await?;
        if self.kv.get(&tombstone_key(id)).await?.is_some() {
            self.kv.delete(&key).await?;
        }
        Ok(())
    }

    /// When each of `ids` (at most [`MAX_BULK_KEYS`]) last authenticated a
    /// call, in seconds since the epoch, in order. One read.
    pub async fn last_uses(&self, ids: &[String]) -> Result<Vec<Option<u64>>, StoreError> {
        let keys: Vec<String> = ids.iter().map(|id| last_use_key(id)).collect();
        let values = self.kv.get_many(&keys).await?;
        Ok(values.into_iter().map(|value| value.and_then(|secs| secs.parse().ok())).collect())
    }

    /// Removes the marker of `child` under `parent`. One operation.
    pub async fn remove_child_marker(&self, parent: &str, child: &str) -> Result<(), StoreError> {
        self.kv.delete(&child_key(parent, child)).await
    }

    /// Up to `limit` ids of the children of `parent`, from `cursor` on.
    pub async fn children(
        &self,
        parent: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page, StoreError> {
        self.ids(&child_prefix(parent), cursor, limit).await
    }

    /// Up to `limit` ids of the descendants of `ancestor`, at any depth.
    pub async fn descendants(
        &self,
        ancestor: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page, StoreError> {
        self.ids(&descendant_prefix(ancestor), cursor, limit).await
    }

    /// Up to `limit` ids of all tokens.
    pub async fn all(&self, cursor: Option<&str>, limit: usize) -> Result<Page, StoreError> {
        self.ids(INDEX_PREFIX, cursor, limit).await
    }

    async fn ids(&self, prefix: &str, cursor: Option<&str>, limit: usize) -> Result<Page, StoreError> {
        let mut page = self.kv.list(prefix, cursor, limit).await?;
        for key in &mut page.keys {
            key.drain(..prefix.len());
        }
        Ok(page)
    }
}

/// The operations [`TokenStore::remove_record`] makes for `entry`.
pub fn ops_to_remove_record(entry: &IndexEntry) -> usize {
    1 + usize::from(entry.retired.is_some())
}

/// The operations [`TokenStore::bury`] makes.
pub const OPS_TO_BURY: usize = 2;

/// The operations [`TokenStore::remove_index`] makes for a token with
/// `depth` ancestors.
pub fn ops_to_remove_index(depth: usize) -> usize {
    1 + usize::from(depth > 0) + depth
}

/// When KV should drop a key kept until `valid_until` (seconds): then, but
/// never sooner than KV allows. The service refuses an expired token itself,
/// to the millisecond.
pub fn storage_expiry(valid_until: Option<u64>, now_ms: u64) -> Option<u64> {
    valid_until
        .map(|until| until.max(now_ms / 1000 + MIN_EXPIRY_SECS + EXPIRY_SLACK_SECS))
        .filter(|at| *at <= MAX_KV_EXPIRATION)
}

/// When KV should drop the index entry of a token kept until `valid_until`:
/// as long as events are kept after that, so that the admin can still read
/// the trail of an expired token by its id.
fn index_expiry(valid_until: Option<u64>, now_ms: u64) -> Option<u64> {
    storage_expiry(valid_until.map(|until| until.saturating_add(EVENTS_KEPT_SECS)), now_ms)
}

fn parse<T: serde::de::DeserializeOwned>(key: &str, value: Option<String>) -> Result<Option<T>, StoreError> {
    match value {
        None => Ok(None),
        Some(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| StoreError(format!("corrupt value under {}: {e}", key_kind(key)))),
    }
}

/// A lock-out's end in milliseconds. (Values written before lock-outs were
/// kept to the millisecond are seconds: no lock-out ends before 2001 in
/// milliseconds.)
fn lockout_end(value: Option<String>) -> Option<u64> {
    let until: u64 = value?.parse().ok()?;
    Some(if until < 1_000_000_000_000 { until * 1000 } else { until })
}

const INDEX_PREFIX: &str = "i:";

fn record_key(storage_key: &str) -> String {
    format!("t:{storage_key}")
}

fn index_key(id: &str) -> String {
    format!("{INDEX_PREFIX}{id}")
}

fn child_prefix(parent: &str) -> String {
    format!("c:{parent}:")
}

fn child_key(parent: &str, child: &str) -> String {
    format!("c:{parent}:{child}")
}

fn descendant_prefix(ancestor: &str) -> String {
    format!("d:{ancestor}:")
}

fn descendant_key(ancestor: &str, descendant: &str) -> String {
    format!("d:{ancestor}:{descendant}")
}

fn tombstone_key(id: &str) -> String {
    format!("x:{id}")
}

fn last_use_key(id: &str) -> String {
    format!("u:{id}")
}

fn lockout_key(address: &str) -> String {
    format!("l:{address}")
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
        assert_eq!(storage_expiry(None, 1_000_999), None);
        assert_eq!(storage_expiry(Some(1002), 1_000_999), Some(1070));
        assert_eq!(storage_expiry(Some(MAX_KV_EXPIRATION + 1), 1_000_000), None);
        assert_eq!(storage_expiry(Some(5000), 1_000_000), Some(5000));
    }
}
