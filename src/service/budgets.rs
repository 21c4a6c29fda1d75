//! Shared budgets: the counters of one delegation tree, and the messages
//! the service exchanges with them.
//!
//! A call of endpoint E by token D counts against D's own `calls` limit on E
//! and against every limited ancestor's, in one step that either counts
//! everywhere or nowhere ([`TreeCounters::apply`]). So the calls of E made by
//! a whole subtree never exceed the `max` of its top-most limited token. A
//! token's counter is its subtree's use: its own calls and its descendants'.
//!
//! The state machine lives here, free of any runtime, so that the Worker's
//! Durable Object (one per tree, named after its admin-made root) and the
//! in-memory counters of the tests run the same code. Atomicity comes from
//! where it runs: a Durable Object handles one event at a time.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What a token has used so far, by endpoint.
pub type Used = BTreeMap<String, u64>;

/// One count against one token's limit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    /// The token whose limit it is: the caller or one of its ancestors.
    pub token: String,
    /// The endpoint limited.
    pub endpoint: String,
    /// The limit's `max`.
    pub max: u64,
}

/// The service's question to a tree's counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargeRequest {
    /// The caller and its ancestors: nothing is granted if any of them was
    /// revoked, so that a location that has not yet seen a delete cannot
    /// spend a fresh allowance.
    pub path: Vec<String>,
    /// The counts to make, all or none; empty to only read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub charges: Vec<Charge>,
    /// When the tree's root expires, after which its counters may be dropped;
    /// `None` when it does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tree_valid_until: Option<u64>,
}

impl ChargeRequest {
    /// The caller: the last token of the path.
    pub fn caller(&self) -> Option<&str> {
        self.path.last().map(String::as_str)
    }
}

/// Why a charge was refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// A token of the path was revoked.
    Revoked,
    /// This limit is used up: the charge, and its use so far.
    UsedUp {
        /// The limit that has no room left.
        charge: Charge,
        /// Its use so far.
        used: u64,
    },
}

/// The counters' answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargeReply {
    /// Why nothing was counted; `None` when everything was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<Refusal>,
    /// The caller's counters after the call.
    #[serde(default)]
    pub used: Used,
}

/// The counters of one delegation tree.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeCounters {
    /// Each token's use, by token id.
    #[serde(default)]
    pub used: BTreeMap<String, Used>,
    /// Revoked tokens, with when (seconds since the epoch) they were revoked.
    #[serde(default)]
    pub revoked: BTreeMap<String, u64>,
}

impl TreeCounters {
    /// Answers `request`: if no token of its path is revoked and every
    /// charge has room, counts each of them once.
    pub fn apply(&mut self, request: &ChargeRequest) -> ChargeReply {
        let refused = self.refusal(request);
        if refused.is_none() {
            for charge in &request.charges {
                *self
                    .used
                    .entry(charge.token.clone())
                    .or_default()
                    .entry(charge.endpoint.clone())
                    .or_insert(0) += 1;
            }
        }
        let used = request.caller().and_then(|caller| self.used.get(caller)).cloned().unwrap_or_default();
        ChargeReply { refused, used }
    }

    /// Takes back the counts of a call that was granted but never carried
    /// out (the node could not be reached).
    pub fn refund(&mut self, charges: &[Charge]) {
        for charge in charges {
            if let Some(used) =
                self.used.get_mut(&charge.token).and_then(|used| used.get_mut(&charge.endpoint))
            {
                *used = used.saturating_sub(1);
            }
        }
    }

    /// The use of each of `tokens`.
    pub fn usage(&self, tokens: &[String]) -> BTreeMap<String, Used> {
        tokens
            .iter()
            .map(|token| (token.clone(), self.used.get(token).cloned().unwrap_or_default()))
            .collect()
    }

    /// Marks token `id`, and with it its subtree, revoked at `now`.
    pub fn revoke(&mut self, id: &str, now: u64) {
        self.revoked.entry(id.to_string()).or_insert(now);
    }

    /// Forgets revocations made before `before`: by then every location
    /// refuses the token through storage.
    pub fn forget_revocations(&mut self, before: u64) {
        self.revoked.retain(|_, at| *at >= before);
    }

    fn refusal(&self, request: &ChargeRequest) -> Option<Refusal> {
        if request.path.iter().any(|id| self.revoked.contains_key(id)) {
            return Some(Refusal::Revoked);
        }
        request.charges.iter().find_map(|charge| {
            let used = self.used_of(&charge.token, &charge.endpoint);
            (used >= charge.max).then(|| Refusal::UsedUp { charge: charge.clone(), used })
        })
    }

    fn used_of(&self, token: &str, endpoint: &str) -> u64 {
        self.used.get(token).and_then(|used| used.get(endpoint)).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn charge(token: &str, max: u64) -> Charge {
        Charge { token: token.into(), endpoint: "accountWithdraw".into(), max }
    }

    fn call(path: &[&str], charges: Vec<Charge>) -> ChargeRequest {
        ChargeRequest {
            path: path.iter().map(|id| id.to_string()).collect(),
            charges,
            tree_valid_until: None,
        }
    }

    #[test]
    fn exactly_max_calls_are_granted() {
        let mut tree = TreeCounters::default();
        let granted =
            (0..5).filter(|_| tree.apply(&call(&["a"], vec![charge("a", 3)])).refused.is_none()).count();
        assert_eq!(granted, 3);
        assert_eq!(tree.used["a"]["accountWithdraw"], 3);
    }

    #[test]
    fn a_childs_calls_count_against_its_limited_ancestors() {
        let mut tree = TreeCounters::default();
        let by_child = |tree: &mut TreeCounters, child: &str| {
            tree.apply(&call(&["p", child], vec![charge("p", 1), charge(child, 1)])).refused.is_none()
        };
        assert!(by_child(&mut tree, "c1"));
        assert!(!by_child(&mut tree, "c2"), "the parent's one call is spent");
        assert_eq!(tree.used_of("c2", "accountWithdraw"), 0, "a refused call counts nowhere");
        assert_eq!(tree.used_of("p", "accountWithdraw"), 1, "the parent's counter is its subtree's use");
    }

    #[test]
    fn the_refusal_names_the_limit_that_is_used_up() {
        let mut tree = TreeCounters::default();
        tree.apply(&call(&["p", "c"], vec![charge("p", 1), charge("c", 5)]));
        let reply = tree.apply(&call(&["p", "c"], vec![charge("p", 1), charge("c", 5)]));
        assert_eq!(reply.refused, Some(Refusal::UsedUp { charge: charge("p", 1), used: 1 }));
        assert_eq!(reply.used["accountWithdraw"], 1, "the caller's own use");
    }

    #[test]
    fn reading_does_not_count() {
        let mut tree = TreeCounters::default();
        tree.apply(&call(&["a"], vec![charge("a", 5)]));
        let reply = tree.apply(&call(&["a"], vec![]));
        assert_eq!((reply.refused, reply.used["accountWithdraw"]), (None, 1));
    }

    #[test]
    fn a_revoked_ancestor_refuses_its_whole_subtree() {
        let mut tree = TreeCounters::default();
        tree.revoke("p", 100);
        assert_eq!(tree.apply(&call(&["r", "p", "c"], vec![])).refused, Some(Refusal::Revoked));
        assert_eq!(tree.apply(&call(&["r", "q"], vec![])).refused, None);
        tree.forget_revocations(101);
        assert_eq!(tree.apply(&call(&["r", "p", "c"], vec![])).refused, None);
    }

    #[test]
    fn a_refund_gives_back_what_was_counted() {
        let mut tree = TreeCounters::default();
        let charges = vec![charge("p", 1), charge("c", 1)];
        tree.apply(&call(&["p", "c"], charges.clone()));
        tree.refund(&charges);
        assert!(tree.apply(&call(&["p", "c"], charges)).refused.is_none());
    }
}
