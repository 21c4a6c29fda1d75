//! In-memory storage for native tests: a [`KeyValue`] map that can be told
//! to fail, and a [`CallCounter`] map.

use std::{
    cell::RefCell,
    collections::{BTreeMap, HashMap},
};

use super::{
    store::{CallCounter, KeyValue, StoreError},
    usage::{ChargeReply, ChargeRequest, Usage},
};

/// A key-value map. Expiry times are kept but not acted on: the service
/// must refuse expired tokens by itself.
#[derive(Debug, Default)]
pub struct MemoryKv {
    entries: RefCell<BTreeMap<String, (String, Option<u64>)>>,
    failing_prefix: RefCell<Option<String>>,
}

impl MemoryKv {
    /// Makes every operation on keys starting with `prefix` fail ("" fails all).
    pub fn fail_on(&self, prefix: &str) {
        *self.failing_prefix.borrow_mut() = Some(prefix.to_string());
    }

    /// Makes operations succeed again.
    pub fn heal(&self) {
        *self.failing_prefix.borrow_mut() = None;
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

    fn check(&self, key: &str) -> Result<(), StoreError> {
        match &*self.failing_prefix.borrow() {
            Some(prefix) if key.starts_with(prefix.as_str()) => {
                Err(StoreError(format!("injected failure on {key}")))
            }
            _ => Ok(()),
        }
    }
}

impl KeyValue for MemoryKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.check(key)?;
        Ok(self.entries.borrow().get(key).map(|(value, _)| value.clone()))
    }

    async fn exist(&self, keys: &[String]) -> Result<Vec<bool>, StoreError> {
        keys.iter().try_for_each(|key| self.check(key))?;
        let entries = self.entries.borrow();
        Ok(keys.iter().map(|key| entries.contains_key(key)).collect())
    }

    async fn put(&self, key: &str, value: &str, expires_at: Option<u64>) -> Result<(), StoreError> {
        self.check(key)?;
        self.entries.borrow_mut().insert(key.to_string(), (value.to_string(), expires_at));
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.check(key)?;
        self.entries.borrow_mut().remove(key);
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.check(prefix)?;
        Ok(self.entries.borrow().keys().filter(|key| key.starts_with(prefix)).cloned().collect())
    }
}

/// Counters in a map; each call is atomic because nothing else runs meanwhile.
#[derive(Debug, Default)]
pub struct MemoryCounter {
    tokens: RefCell<HashMap<String, Usage>>,
}

impl CallCounter for MemoryCounter {
    async fn charge(&self, id: &str, request: &ChargeRequest) -> Result<ChargeReply, StoreError> {
        Ok(self.tokens.borrow_mut().entry(id.to_string()).or_default().apply(request))
    }

    async fn revoke(&self, id: &str) -> Result<(), StoreError> {
        self.tokens.borrow_mut().entry(id.to_string()).or_default().revoked = true;
        Ok(())
    }
}
