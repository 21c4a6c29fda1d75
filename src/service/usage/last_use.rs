//! `last_used_at`: when a token last authenticated a call, at most
//! [`LAST_USE_LAG_SECS`] behind, without a storage write on every request.
//!
//! An isolate notes a token's use at most once per [`LAST_USE_LAG_SECS`]
//! ([`due`]; a use in between is at most that far behind the one noted),
//! and the note is written after the answer has left: the service hands
//! it to the adapter as [`Deferred`] work, which the Worker runs ([`write`])
//! under `ctx.waitUntil`. So a request pays no write, and a token's key is
//! written at most once a minute per isolate, well within KV's one write
//! per key per second. A note that fails to be written is lost: the next
//! one a minute later makes up for it. A note never outlives its token
//! ([`TokenStore::note_use`]).

use std::{cell::RefCell, collections::BTreeMap};

use crate::contract::bounds::LAST_USE_LAG_SECS;

use crate::service::store::{KeyValue, StoreError, TokenStore, MAX_BULK_KEYS};

/// The most tokens an isolate remembers noting; past it, it forgets them
/// all, and the next use of each is noted again.
const MAX_REMEMBERED: usize = 10_000;

thread_local! {
    /// When this isolate last noted each token's use (seconds).
    // A BTreeMap: its code is in the Worker already, a HashMap would add its hasher.
    static NOTED: RefCell<BTreeMap<String, u64>> = const { RefCell::new(BTreeMap::new()) };
}

/// True when token `id`'s use at `secs` (seconds since the epoch) is to be
/// noted: this isolate has not noted one in the last [`LAST_USE_LAG_SECS`].
pub fn due(id: &str, secs: u64) -> bool {
    NOTED.with(|noted| {
        let mut noted = noted.borrow_mut();
        if noted.get(id).is_some_and(|last| secs < last.saturating_add(LAST_USE_LAG_SECS)) {
            return false;
        }
        if noted.len() >= MAX_REMEMBERED {
            noted.clear();
        }
        noted.insert(id.to_string(), secs);
        true
    })
}

/// A token's use, to be written once the answer has left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotedUse {
    /// The token.
    pub id: String,
    /// When, in seconds since the epoch.
    pub secs: u64,
    /// When the token expires, after which its note may go.
    pub valid_until: Option<u64>,
}

/// What an answer leaves to do after it was sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Deferred {
    /// The uses to write.
    pub uses: Vec<NotedUse>,
}

/// Writes the uses `deferred` holds, once the answer has left. Best
/// effort: a note that fails is dropped.
pub async fn write<K: KeyValue>(tokens: &TokenStore<'_, K>, deferred: Deferred) {
    for noted in deferred.uses {
        let _ = tokens.note_use(&noted.id, noted.secs, noted.valid_until).await;
    }
}

/// When each of `ids` last authenticated a call (seconds since the
/// epoch), in order: one read per [`MAX_BULK_KEYS`] ids.
pub async fn of<K: KeyValue>(
    tokens: &TokenStore<'_, K>,
    ids: &[String],
) -> Result<Vec<Option<u64>>, StoreError> {
    let mut uses = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(MAX_BULK_KEYS) {
        uses.extend(tokens.last_uses(chunk).await?);
    }
    Ok(uses)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_use_is_noted_at_most_once_a_minute() {
        assert!(due("token-a", 1000));
        assert!(!due("token-a", 1000 + LAST_USE_LAG_SECS - 1));
        assert!(due("token-b", 1001), "another token's use is its own");
        assert!(due("token-a", 1000 + LAST_USE_LAG_SECS));
    }
}
