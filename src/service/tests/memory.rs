//! In-memory storage for native tests: a [`KeyValue`] map that counts its
//! operations and can be told to fail, and [`Budgets`] in a map.

use std::{
    cell::{Cell, RefCell},
    collections::{BTreeMap, HashMap, VecDeque},
};

use crate::service::{
    store::{Budgets, KeyValue, Page, StoreError, MAX_BULK_KEYS, MAX_LIST_KEYS},
    tree::{
        budgets::{ChargeReply, ChargeRequest, RotationReply, RotationStep, TreeCounters, Usage},
        cleanup::{CleanupQueue, Pending},
        events::{EventsQuery, NumberedEvent, StoredEvent},
    },
};

/// A key-value map. Expiry times are kept but not acted on: the service
/// must refuse expired tokens by itself.
#[derive(Debug, Default)]
pub struct MemoryKv {
    entries: RefCell<BTreeMap<String, (String, Option<u64>)>>,
    failing_prefix: RefCell<Option<String>>,
    failing_after: Cell<Option<usize>>,
    operations: Cell<usize>,
}

impl MemoryKv {
    /// Makes every operation on keys starting with `prefix` fail ("" fails all).
    pub fn fail_on(&self, prefix: &str) {
        *self.failing_prefix.borrow_mut() = Some(prefix.to_string());
    }

    /// Makes every operation fail once `n` more have succeeded.
    pub fn fail_after(&self, n: usize) {
        self.failing_after.set(Some(self.operations.get() + n));
    }

    /// Makes operations succeed again.
    pub fn heal(&self) {
        *self.failing_prefix.borrow_mut() = None;
        self.failing_after.set(None);
    }

    /// How many operations were made, as the platform counts them.
    pub fn operations(&self) -> usize {
        self.operations.get()
    }

    /// Every key, for assertions.
    pub fn keys(&self) -> Vec<String> {
        self.entries.borrow().keys().cloned().collect()
    }

    /// Every stored value, for assertions.
    pub fn values(&self) -> Vec<String> {
        self.entries.borrow().values().map(|(value, _)| value.clone()).collect()
    }

    /// The expiry stored with `key`.
    pub fn expiry(&self, key: &str) -> Option<u64> {
        self.entries.borrow().get(key).and_then(|(_, expiry)| *expiry)
    }

    /// Counts one operation on `keys`, or fails it as told.
    fn operate<'k>(&self, keys: impl IntoIterator<Item = &'k str>) -> Result<(), StoreError> {
        if self.failing_after.get().is_some_and(|after| self.operations.get() >= after) {
            return Err(StoreError("injected failure".to_string()));
        }
        if let Some(prefix) = &*self.failing_prefix.borrow() {
            if let Some(key) = keys.into_iter().find(|key| key.starts_with(prefix.as_str())) {
                return Err(StoreError(format!("injected failure on {key}")));
            }
        }
        self.operations.set(self.operations.get() + 1);
        Ok(())
    }
}

impl KeyValue for MemoryKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.operate([key])?;
        Ok(self.entries.borrow().get(key).map(|(value, _)| value.clone()))
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<String>>, StoreError> {
        assert!(keys.len() <= MAX_BULK_KEYS, "a bulk read takes at most {MAX_BULK_KEYS} keys");
        self.operate(keys.iter().map(String::as_str))?;
        let entries = self.entries.borrow();
        Ok(keys.iter().map(|key| entries.get(key).map(|(value, _)| value.clone())).collect())
    }

    async fn put(&self, key: &str, value: &str, expires_at: Option<u64>) -> Result<(), StoreError> {
        self.operate([key])?;
        self.entries.borrow_mut().insert(key.to_string(), (value.to_string(), expires_at));
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.operate([key])?;
        self.entries.borrow_mut().remove(key);
        Ok(())
    }

    async fn list(&self, prefix: &str, cursor: Option<&str>, limit: usize) -> Result<Page, StoreError> {
        assert!(limit <= MAX_LIST_KEYS, "a list returns at most {MAX_LIST_KEYS} keys");
        self.operate([prefix])?;
        let entries = self.entries.borrow();
        let after = cursor.unwrap_or(prefix);
        let mut keys: Vec<String> = entries
            .range::<str, _>((std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded))
            .map(|(key, _)| key)
            .take_while(|key| key.starts_with(prefix))
            .take(limit + 1)
            .cloned()
            .collect();
        let cursor = (keys.len() > limit).then(|| {
            keys.truncate(limit);
            keys.last().cloned().unwrap_or_default()
        });
        Ok(Page { keys, cursor })
    }
}

/// The counters of every tree in a map; each call is atomic because nothing
/// else runs meanwhile. Revoked subtrees are kept for the clean-up. Their
/// clock is the time of the request being served, which the tests set.
#[derive(Debug, Default)]
pub struct MemoryBudgets {
    /// The trees' clock, in milliseconds since the epoch.
    pub now_ms: Cell<u64>,
    trees: RefCell<HashMap<String, TreeCounters>>,
    /// The tokens revoked, with their depths, in order: what a clean-up
    /// would walk.
    pub revoked: RefCell<Vec<(String, usize)>>,
    /// How many charges and reads were asked for.
    pub asked: Cell<usize>,
    /// How many events were recorded on their own, not with a charge.
    pub records: Cell<usize>,
    /// Each tree's audit trail, numbered in order.
    events: RefCell<HashMap<String, Vec<(u64, StoredEvent)>>>,
    /// The number of the last event recorded in any tree.
    last_event: Cell<u64>,
}

impl Budgets for MemoryBudgets {
    async fn charge(&self, tree: &str, request: &ChargeRequest) -> Result<ChargeReply, StoreError> {
        self.asked.set(self.asked.get() + 1);
        let mut reply =
            self.trees.borrow_mut().entry(tree.to_string()).or_default().apply(request, self.now_ms.get());
        if let Some(event) = request.event.as_ref().and_then(|event| reply.settle(event)) {
            self.append(tree, &event);
            reply.recorded = true;
        }
        Ok(reply)
    }

    async fn usage(&self, tree: &str, tokens: &[String]) -> Result<BTreeMap<String, Usage>, StoreError> {
        self.asked.set(self.asked.get() + 1);
        Ok(self.trees.borrow_mut().entry(tree.to_string()).or_default().usage(tokens, self.now_ms.get()))
    }

    async fn revoke(&self, tree: &str, id: &str, depth: usize) -> Result<(), StoreError> {
        self.trees.borrow_mut().entry(tree.to_string()).or_default().revoke(id, 0);
        self.revoked.borrow_mut().push((id.to_string(), depth));
        Ok(())
    }

    async fn rotate(&self, tree: &str, step: &RotationStep) -> Result<RotationReply, StoreError> {
        // The tree's clock: the request's own, as nothing else runs meanwhile.
        Ok(self.trees.borrow_mut().entry(tree.to_string()).or_default().rotate(step, step.started_ms))
    }

    async fn record(&self, tree: &str, event: &StoredEvent) -> Result<(), StoreError> {
        self.records.set(self.records.get() + 1);
        self.append(tree, event);
        Ok(())
    }

    async fn events(&self, tree: &str, query: &EventsQuery) -> Result<Vec<NumberedEvent>, StoreError> {
        let events = self.events.borrow();
        let page = events.get(tree).into_iter().flatten().rev();
        Ok(page
            .filter(|(seq, stored)| query.covers(&stored.lineage, *seq))
            .take(query.limit)
            .map(|(seq, stored)| NumberedEvent { seq: *seq, event: stored.event.clone() })
            .collect())
    }
}

impl MemoryBudgets {
    /// Adds `event` to tree `tree`'s trail, numbered after every other.
    fn append(&self, tree: &str, event: &StoredEvent) {
        self.last_event.set(self.last_event.get() + 1);
        let mut events = self.events.borrow_mut();
        events.entry(tree.to_string()).or_default().push((self.last_event.get(), event.clone()));
    }
}

/// The clean-up's walk in memory.
#[derive(Debug, Default)]
pub struct MemoryQueue(RefCell<VecDeque<Pending>>);

impl CleanupQueue for MemoryQueue {
    async fn front(&self) -> Result<Option<Pending>, StoreError> {
        Ok(self.0.borrow().front().cloned())
    }

    async fn push(&self, parents: &[(String, usize)]) -> Result<(), StoreError> {
        let pending = parents.iter().map(|(parent, depth)| Pending {
            parent: parent.clone(),
            depth: *depth,
            cursor: None,
        });
        self.0.borrow_mut().extend(pending);
        Ok(())
    }

    async fn advance(&self, cursor: String) -> Result<(), StoreError> {
        if let Some(front) = self.0.borrow_mut().front_mut() {
            front.cursor = Some(cursor);
        }
        Ok(())
    }

    async fn pop(&self) -> Result<(), StoreError> {
        self.0.borrow_mut().pop_front();
        Ok(())
    }
}
