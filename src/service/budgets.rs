//! Shared budgets: the counters of one delegation tree, and the messages
//! the service exchanges with them.
//!
//! A call of endpoint E by token D counts against D's own `calls` limit on E
//! and against every limited ancestor's, and so does the amount it moves
//! against their `spend` budgets, in one step that either counts everywhere
//! or nowhere ([`TreeCounters::apply`]). So the calls of E made by
//! a whole subtree never exceed the `max` of its top-most limited token. A
//! token's counter is its subtree's use: its own calls and its descendants'.
//!
//! The state machine lives here, free of any runtime, so that the Worker's
//! Durable Object (one per tree, named after its admin-made root) and the
//! in-memory counters of the tests run the same code. Atomicity comes from
//! where it runs: a Durable Object handles one event at a time.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What a token has used so far, by counter: calls by endpoint name, amounts
/// moved by endpoint and currency.
pub type Used = BTreeMap<String, u128>;

/// One count against one token's limit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    /// The token whose limit it is: the caller or one of its ancestors.
    pub token: String,
    /// The counter: an endpoint's calls, or an amount it moved.
    pub counter: String,
    /// The limit's `max`.
    pub max: u128,
    /// How much the call adds: one call, or the amount it moves.
    pub amount: u128,
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
    /// This limit has no room for the charge: the charge, and its use so far.
    UsedUp {
        /// The limit that has no room left.
        charge: Charge,
        /// Its use so far.
        used: u128,
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
                let used = self
                    .used
                    .entry(charge.token.clone())
                    .or_default()
                    .entry(charge.counter.clone())
                    .or_insert(0);
                *used = used.saturating_add(charge.amount);
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
                self.used.get_mut(&charge.token).and_then(|used| used.get_mut(&charge.counter))
            {
                *used = used.saturating_sub(charge.amount);
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
            let used = self.used_of(&charge.token, &charge.counter);
            (used.saturating_add(charge.amount) > charge.max)
                .then(|| Refusal::UsedUp { charge: charge.clone(), used })
        })
    }

    fn used_of(&self, token: &str, counter: &str) -> u128 {
        self.used.get(token).and_then(|used| used.get(counter)).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn charge(token: &str, max: u128) -> Charge {
        Charge { token: token.into(), counter: "accountWithdraw".into(), max, amount: 1 }
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
    fn an_amount_fits_or_counts_nowhere() {
        let mut tree = TreeCounters::default();
        let spend = |amount| Charge { token: "p".into(), counter: "fund:wxHOPR".into(), max: 10, amount };
        let moved = |tree: &mut TreeCounters, amount| {
            tree.apply(&call(&["p"], vec![spend(amount)])).refused.is_none()
        };
        assert!(moved(&mut tree, 3) && moved(&mut tree, 3) && moved(&mut tree, 3));
        assert!(!moved(&mut tree, 3), "9 of 10 used: 3 more do not fit");
        assert!(moved(&mut tree, 1), "1 more does");
        assert_eq!(tree.used_of("p", "fund:wxHOPR"), 10);
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
