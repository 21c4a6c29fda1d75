//! `calls` counters: the state one token's Durable Object keeps, and the
//! messages the Worker exchanges with it.
//!
//! The check-and-increment lives here, free of any runtime, so that the
//! Durable Object and the in-memory counter of the tests run the same code.
//! Atomicity comes from where it runs: a Durable Object handles one event at
//! a time.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Calls made so far, by endpoint.
pub type UsedCalls = BTreeMap<String, u64>;

/// The counters of one token.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Authorized calls so far, by endpoint.
    #[serde(default)]
    pub used: UsedCalls,
    /// Set when the token is deleted, so that a location that has not yet
    /// seen the delete cannot spend a fresh allowance.
    #[serde(default)]
    pub revoked: bool,
}

impl Usage {
    /// Counts one call of `endpoint` if fewer than `max` were made and the
    /// token is not revoked; returns whether the call may proceed.
    pub fn charge(&mut self, endpoint: &str, max: u64) -> bool {
        if self.revoked {
            return false;
        }
        let used = self.used.entry(endpoint.to_string()).or_insert(0);
        if *used >= max {
            return false;
        }
        *used += 1;
        true
    }

    /// Answers a [`ChargeRequest`], changing the counters if it charges.
    pub fn apply(&mut self, request: &ChargeRequest) -> ChargeReply {
        let granted = match &request.call {
            Some(call) => self.charge(&call.endpoint, call.max),
            None => !self.revoked,
        };
        ChargeReply { granted, used: self.used.clone() }
    }
}

/// One call to count against a limit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// The endpoint called.
    pub endpoint: String,
    /// Its `calls` limit.
    pub max: u64,
}

/// The Worker's question to a token's counters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargeRequest {
    /// The call to count, or `None` to only read the counters.
    #[serde(default)]
    pub call: Option<Call>,
    /// The token's expiry, after which the counters may be dropped.
    #[serde(default)]
    pub valid_until: Option<u64>,
}

/// The counters' answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargeReply {
    /// Whether the call may proceed.
    pub granted: bool,
    /// The counters after the call.
    pub used: UsedCalls,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(endpoint: &str, max: u64) -> ChargeRequest {
        ChargeRequest { call: Some(Call { endpoint: endpoint.into(), max }), valid_until: None }
    }

    #[test]
    fn exactly_max_calls_are_granted() {
        let mut usage = Usage::default();
        let granted = (0..5).filter(|_| usage.apply(&call("nodePing", 3)).granted).count();
        assert_eq!(granted, 3);
        assert_eq!(usage.used["nodePing"], 3);
    }

    #[test]
    fn endpoints_count_separately() {
        let mut usage = Usage::default();
        assert!(usage.charge("a", 1));
        assert!(usage.charge("b", 1));
        assert!(!usage.charge("a", 1));
    }

    #[test]
    fn reading_does_not_count() {
        let mut usage = Usage::default();
        usage.charge("a", 5);
        let reply = usage.apply(&ChargeRequest { call: None, valid_until: None });
        assert!(reply.granted);
        assert_eq!(reply.used["a"], 1);
    }

    #[test]
    fn revoked_counters_grant_nothing() {
        let mut usage = Usage { revoked: true, ..Usage::default() };
        assert!(!usage.apply(&call("a", 5)).granted);
        assert!(!usage.apply(&ChargeRequest { call: None, valid_until: None }).granted);
    }
}
