//! Shared budgets: the counters of one delegation tree, and the messages
//! the service exchanges with them.
//!
//! A call of endpoint E by token D counts against D's own `calls` limit on E
//! and against every limited ancestor's, and so does the amount it moves
//! against their `spend` budgets, in one step that either counts everywhere
//! or nowhere ([`TreeCounters::apply`]). So the calls of E made by
//! a whole subtree never exceed the `max` of its top-most limited token. A
//! token's counter is its subtree's use: its own calls and its descendants'.
//! A periodic limit's counter is a sliding window instead ([`window`]),
//! read at the tree's clock: what counts in any span of its period.
//!
//! The state machine lives here, free of any runtime, so that the Worker's
//! Durable Object (one per tree, named after its admin-made root) and the
//! in-memory counters of the tests run the same code. Atomicity comes from
//! where it runs: a Durable Object handles one event at a time.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::events::{PendingEvent, StoredEvent};
use super::window::{self, Windows};
use crate::contract::{
    currency::Currency,
    error::{ApiError, UsedUp},
};

/// What a token has used so far, by counter: calls by endpoint name, amounts
/// moved by endpoint and currency.
pub type Used = BTreeMap<String, u128>;

/// A token's use as the API shows it: each counter's ([`Used`]; a periodic
/// one's in the current span) and, for each periodic counter in use, when
/// capacity next returns (milliseconds since the epoch).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// By counter.
    #[serde(default)]
    pub used: Used,
    /// By periodic counter in use.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub returns_at_ms: BTreeMap<String, u64>,
}

impl Usage {
    /// The use of `counter`.
    pub fn of(&self, counter: &str) -> u128 {
        self.used.get(counter).copied().unwrap_or(0)
    }
}

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
    /// The call's event, to record in the same step when the charge decides
    /// it ([`ChargeReply::settle`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<PendingEvent>,
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

/// The counter of a `spend` budget in `currency` on `endpoint`.
pub fn spend_counter(endpoint: &str, currency: Currency) -> String {
    format!("{endpoint}:{}", currency.name())
}

/// The currency of a [`spend_counter`]; `None` for a `calls` counter, which
/// is the endpoint's name alone.
pub fn spend_counter_currency(counter: &str) -> Option<Currency> {
    counter.split_once(':').and_then(|(_, name)| Currency::named(name))
}

/// The counters' answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargeReply {
    /// Why nothing was counted; `None` when everything was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<Refusal>,
    /// The caller's counters after the call.
    #[serde(default)]
    pub used: Usage,
    /// True when the request's event was recorded with the charge.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recorded: bool,
}

impl ChargeReply {
    /// The event to record with this answer to a charge that carried
    /// `event` (`None` when the charge does not decide it). A revoked
    /// token's call fails to sign in: no event.
    pub fn settle(&self, event: &PendingEvent) -> Option<StoredEvent> {
        let refusal = match &self.refused {
            None => return event.granted_known.then(|| event.stored.clone()),
            Some(Refusal::Revoked) => return None,
            Some(Refusal::UsedUp { charge, .. }) => match spend_counter_currency(&charge.counter) {
                Some(_) => ApiError::ConditionFailed(String::new()),
                None => ApiError::LimitExhausted(UsedUp {
                    endpoint: String::new(),
                    max: 0,
                    used: 0,
                    shared: false,
                    period: None,
                }),
            },
        };
        let mut stored = event.stored.clone();
        stored.event.status = refusal.http_status();
        stored.event.reason = refusal.reason();
        Some(stored)
    }
}

/// The counters of one delegation tree.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeCounters {
    /// Each token's use, by token id.
    #[serde(default)]
    pub used: BTreeMap<String, Used>,
    /// Each token's periodic use, in windows.
    #[serde(default)]
    pub windows: Windows,
    /// Revoked tokens, with when (milliseconds since the epoch) they were
    /// revoked.
    #[serde(default)]
    pub revoked: BTreeMap<String, u64>,
    /// Each rotated token's secrets, as far as rotations go.
    #[serde(default)]
    pub rotations: BTreeMap<String, Rotation>,
}

/// How long a rotation that began may take to finish before another may
/// begin: a rotation that crashed part-way blocks its token's rotations no
/// longer than this.
pub const ROTATION_LEASE_MS: u64 = 30_000;

/// Where a token's rotations stand: the storage key of its secret, and the
/// rotation under way, if any.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation {
    /// The storage key of the token's secret, once a rotation went through
    /// here; `None` before its first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
    /// The rotation under way: the storage key it gives the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<String>,
    /// When the rotation under way began (milliseconds since the epoch).
    #[serde(default)]
    pub since_ms: u64,
    /// When the last rotation switched the token.
    #[serde(default)]
    pub switched_ms: u64,
}

impl Rotation {
    /// A rotation from the secret stored under `from` to `to`, whose
    /// request started at `started_ms`, may begin at `now_ms` when none is
    /// under way, none ended after its request started, and `from` is the
    /// token's secret. A rotation whose lease ran out may have switched the
    /// token or not, so either secret may be the one to rotate from.
    fn begin(&mut self, from: &str, to: &str, started_ms: u64, now_ms: u64) -> bool {
        if started_ms < self.switched_ms {
            return false;
        }
        let stalled = self.pending.as_deref().filter(|_| now_ms >= self.since_ms + ROTATION_LEASE_MS);
        let from_current = match (&self.current, stalled) {
            (_, Some(pending)) if pending == from => true,
            (Some(current), _) => current == from,
            (None, _) => true,
        };
        if (self.pending.is_some() && stalled.is_none()) || !from_current {
            return false;
        }
        self.current = Some(from.to_string());
        self.pending = Some(to.to_string());
        self.since_ms = now_ms;
        true
    }

    /// The rotation to `to` has switched the token at `now_ms`: `to` is its
    /// secret now.
    fn finish(&mut self, to: &str, now_ms: u64) -> bool {
        if self.pending.as_deref() != Some(to) {
            return false;
        }
        self.current = self.pending.take();
        self.switched_ms = now_ms;
        true
    }

    /// The rotation to `to` failed before switching the token.
    fn abandon(&mut self, to: &str) -> bool {
        if self.pending.as_deref() != Some(to) {
            return false;
        }
        self.pending = None;
        true
    }
}

/// One step of a rotation, as the service asks the token's tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationStep {
    /// The token's ancestors and the token, root first: nothing is granted
    /// once any of them was revoked.
    pub path: Vec<String>,
    /// The storage key of the new secret.
    pub to: String,
    /// What to do.
    pub action: RotationAction,
    /// When the rotation's request started (milliseconds since the epoch).
    pub started_ms: u64,
}

/// The steps of a rotation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RotationAction {
    /// Begin, from the token's secret stored under `from`.
    Begin {
        /// The storage key of the secret the rotation replaces.
        from: String,
    },
    /// The token was switched to the new secret.
    Finish,
    /// The rotation failed before the switch.
    Abandon,
}

/// The tree's answer to a rotation step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RotationReply {
    /// Go on.
    Granted,
    /// Another rotation of the token is under way or went first.
    Conflict,
    /// The token or an ancestor was revoked.
    Revoked,
}

impl TreeCounters {
    /// Answers `request` at `now_ms` (the tree's clock): if no token of its
    /// path is revoked and every charge has room, counts each of them once.
    pub fn apply(&mut self, request: &ChargeRequest, now_ms: u64) -> ChargeReply {
        let refused = self.refusal(request, now_ms);
        if refused.is_none() {
            for charge in &request.charges {
                self.add(charge, now_ms);
            }
        }
        let used = request.caller().map(|caller| self.usage_of(caller, now_ms)).unwrap_or_default();
        ChargeReply { refused, used, recorded: false }
    }

    /// The use of each of `tokens` at `now_ms`.
    pub fn usage(&self, tokens: &[String], now_ms: u64) -> BTreeMap<String, Usage> {
        tokens.iter().map(|token| (token.clone(), self.usage_of(token, now_ms))).collect()
    }

    fn usage_of(&self, token: &str, now_ms: u64) -> Usage {
        let mut usage = Usage { used: self.used.get(token).cloned().unwrap_or_default(), ..Usage::default() };
        for (counter, used, returns_at) in self.windows.of(token, now_ms) {
            if let Some(at) = returns_at {
                usage.returns_at_ms.insert(counter.clone(), at);
            }
            usage.used.insert(counter, used);
        }
        usage
    }

    fn add(&mut self, charge: &Charge, now_ms: u64) {
        if let Some(window) = window::window_of(&charge.counter) {
            return self.windows.add(&charge.token, &charge.counter, window, charge.amount, now_ms);
        }
        let used =
            self.used.entry(charge.token.clone()).or_default().entry(charge.counter.clone()).or_insert(0);
        *used = used.saturating_add(charge.amount);
    }

    /// Marks token `id`, and with it its subtree, revoked at `now_ms`.
    pub fn revoke(&mut self, id: &str, now_ms: u64) {
        self.revoked.entry(id.to_string()).or_insert(now_ms);
    }

    /// Takes `step` of a rotation of a token of the tree at `now_ms` (the
    /// tree's clock). At most one rotation of a token is under way at a
    /// time; it must start from the secret the token has, and its request
    /// must have started after the token's last rotation ended, so that of
    /// rotations that overlap in time exactly one goes through.
    pub fn rotate(&mut self, step: &RotationStep, now_ms: u64) -> RotationReply {
        if step.path.iter().any(|id| self.revoked.contains_key(id)) {
            return RotationReply::Revoked;
        }
        let Some(token) = step.path.last() else { return RotationReply::Revoked };
        let state = self.rotations.entry(token.clone()).or_default();
        let granted = match &step.action {
            RotationAction::Begin { from } => state.begin(from, &step.to, step.started_ms, now_ms),
            RotationAction::Finish => state.finish(&step.to, now_ms),
            RotationAction::Abandon => state.abandon(&step.to),
        };
        if granted {
            RotationReply::Granted
        } else {
            RotationReply::Conflict
        }
    }

    fn refusal(&self, request: &ChargeRequest, now_ms: u64) -> Option<Refusal> {
        if request.path.iter().any(|id| self.revoked.contains_key(id)) {
            return Some(Refusal::Revoked);
        }
        request.charges.iter().find_map(|charge| {
            let used = match window::window_of(&charge.counter) {
                Some(window) => self.windows.used(&charge.token, &charge.counter, window, now_ms),
                None => self.used_of(&charge.token, &charge.counter),
            };
            (used.saturating_add(charge.amount) > charge.max)
                .then(|| Refusal::UsedUp { charge: charge.clone(), used })
        })
    }

    /// What `token` has used of `counter`.
    pub fn used_of(&self, token: &str, counter: &str) -> u128 {
        self.used.get(token).and_then(|used| used.get(counter)).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{
        error::Reason,
        model::{Event, TokenId},
    };

    fn charge(token: &str, max: u128) -> Charge {
        Charge { token: token.into(), counter: "accountWithdraw".into(), max, amount: 1 }
    }

    fn call(path: &[&str], charges: Vec<Charge>) -> ChargeRequest {
        ChargeRequest {
            path: path.iter().map(|id| id.to_string()).collect(),
            charges,
            tree_valid_until: None,
            event: None,
        }
    }

    #[test]
    fn exactly_max_calls_are_granted() {
        let mut tree = TreeCounters::default();
        let granted =
            (0..5).filter(|_| tree.apply(&call(&["a"], vec![charge("a", 3)]), 0).refused.is_none()).count();
        assert_eq!(granted, 3);
        assert_eq!(tree.used["a"]["accountWithdraw"], 3);
    }

    #[test]
    fn a_childs_calls_count_against_its_limited_ancestors() {
        let mut tree = TreeCounters::default();
        let by_child = |tree: &mut TreeCounters, child: &str| {
            tree.apply(&call(&["p", child], vec![charge("p", 1), charge(child, 1)]), 0).refused.is_none()
        };
        assert!(by_child(&mut tree, "c1"));
        assert!(!by_child(&mut tree, "c2"), "the parent's one call is spent");
        assert_eq!(tree.used_of("c2", "accountWithdraw"), 0, "a refused call counts nowhere");
        assert_eq!(tree.used_of("p", "accountWithdraw"), 1, "the parent's counter is its subtree's use");
    }

    #[test]
    fn the_refusal_names_the_limit_that_is_used_up() {
        let mut tree = TreeCounters::default();
        tree.apply(&call(&["p", "c"], vec![charge("p", 1), charge("c", 5)]), 0);
        let reply = tree.apply(&call(&["p", "c"], vec![charge("p", 1), charge("c", 5)]), 0);
        assert_eq!(reply.refused, Some(Refusal::UsedUp { charge: charge("p", 1), used: 1 }));
        assert_eq!(reply.used.of("accountWithdraw"), 1, "the caller's own use");
    }

    #[test]
    fn reading_does_not_count() {
        let mut tree = TreeCounters::default();
        tree.apply(&call(&["a"], vec![charge("a", 5)]), 0);
        let reply = tree.apply(&call(&["a"], vec![]), 0);
        assert_eq!((reply.refused, reply.used.of("accountWithdraw")), (None, 1));
    }

    #[test]
    fn a_revoked_ancestor_refuses_its_whole_subtree() {
        let mut tree = TreeCounters::default();
        tree.revoke("p", 100);
        assert_eq!(tree.apply(&call(&["r", "p", "c"], vec![]), 0).refused, Some(Refusal::Revoked));
        assert_eq!(tree.apply(&call(&["r", "q"], vec![]), 0).refused, None);
    }

    #[test]
    fn an_amount_fits_or_counts_nowhere() {
        let mut tree = TreeCounters::default();
        let spend = |amount| Charge { token: "p".into(), counter: "fund:wxHOPR".into(), max: 10, amount };
        let moved = |tree: &mut TreeCounters, amount| {
            tree.apply(&call(&["p"], vec![spend(amount)]), 0).refused.is_none()
        };
        assert!(moved(&mut tree, 3) && moved(&mut tree, 3) && moved(&mut tree, 3));
        assert!(!moved(&mut tree, 3), "9 of 10 used: 3 more do not fit");
        assert!(moved(&mut tree, 1), "1 more does");
        assert_eq!(tree.used_of("p", "fund:wxHOPR"), 10);
    }

    #[test]
    fn a_periodic_counter_counts_what_a_span_of_its_period_holds_and_lets_it_slide() {
        let mut tree = TreeCounters::default();
        let per_minute = |token: &str, max| Charge { counter: "nodeGetInfo@60".into(), ..charge(token, max) };
        let by_child = |tree: &mut TreeCounters, now_ms| {
            tree.apply(&call(&["p", "c"], vec![per_minute("p", 2), per_minute("c", 2)]), now_ms)
        };
        assert!(by_child(&mut tree, 1_000).refused.is_none());
        let second = by_child(&mut tree, 30_000);
        assert_eq!(second.refused, None);
        assert_eq!(second.used.of("nodeGetInfo@60"), 2, "the caller's use in the current span");
        assert_eq!(second.used.returns_at_ms["nodeGetInfo@60"], 62_000, "when the first slot stops counting");
        let refused = by_child(&mut tree, 61_999).refused;
        assert_eq!(refused, Some(Refusal::UsedUp { charge: per_minute("p", 2), used: 2 }));
        assert_eq!(tree.windows.used("c", "nodeGetInfo@60", window::Window::of_secs(60), 61_999), 2);
        assert!(by_child(&mut tree, 62_000).refused.is_none(), "the first call slid out");
        let usage = tree.usage(&["p".to_string()], 62_000);
        assert_eq!(
            (usage["p"].of("nodeGetInfo@60"), usage["p"].returns_at_ms["nodeGetInfo@60"]),
            (2, 91_000)
        );
        assert_eq!(tree.used_of("p", "nodeGetInfo@60"), 0, "a periodic counter is no lifetime one");
    }

    fn step(action: RotationAction, to: &str) -> RotationStep {
        RotationStep { path: vec!["r".into(), "t".into()], to: to.into(), action, started_ms: 0 }
    }

    /// A rotation whose request started at `now_ms` begins then.
    fn begin(tree: &mut TreeCounters, from: &str, to: &str, now_ms: u64) -> RotationReply {
        let step =
            RotationStep { started_ms: now_ms, ..step(RotationAction::Begin { from: from.into() }, to) };
        tree.rotate(&step, now_ms)
    }

    fn end(tree: &mut TreeCounters, action: RotationAction, to: &str, now_ms: u64) -> RotationReply {
        tree.rotate(&step(action, to), now_ms)
    }

    #[test]
    fn of_rotations_from_the_same_secret_exactly_one_goes_through() {
        let mut tree = TreeCounters::default();
        let replies: Vec<_> = (0..10).map(|i| begin(&mut tree, "k0", &format!("k{}", i + 1), 5)).collect();
        assert_eq!(replies.iter().filter(|reply| **reply == RotationReply::Granted).count(), 1);
        assert_eq!(end(&mut tree, RotationAction::Finish, "k2", 6), RotationReply::Conflict, "not its turn");
        assert_eq!(end(&mut tree, RotationAction::Finish, "k1", 6), RotationReply::Granted);
        assert_eq!(begin(&mut tree, "k0", "k9", 7), RotationReply::Conflict, "k0 is no longer the secret");
        assert_eq!(begin(&mut tree, "k1", "k9", 7), RotationReply::Granted);
    }

    #[test]
    fn a_rotation_whose_request_started_before_the_last_one_ended_is_refused() {
        let mut tree = TreeCounters::default();
        assert_eq!(begin(&mut tree, "k0", "k1", 5), RotationReply::Granted);
        assert_eq!(end(&mut tree, RotationAction::Finish, "k1", 9), RotationReply::Granted);
        let overlapping =
            RotationStep { started_ms: 8, ..step(RotationAction::Begin { from: "k1".into() }, "k2") };
        assert_eq!(
            tree.rotate(&overlapping, 10),
            RotationReply::Conflict,
            "it saw the token switched under it"
        );
        assert_eq!(begin(&mut tree, "k1", "k2", 9), RotationReply::Granted, "one that started after");
    }

    #[test]
    fn an_abandoned_rotation_lets_the_next_begin_from_the_same_secret() {
        let mut tree = TreeCounters::default();
        assert_eq!(begin(&mut tree, "k0", "k1", 5), RotationReply::Granted);
        assert_eq!(end(&mut tree, RotationAction::Abandon, "k1", 6), RotationReply::Granted);
        assert_eq!(begin(&mut tree, "k0", "k2", 7), RotationReply::Granted);
        assert_eq!(end(&mut tree, RotationAction::Finish, "k1", 8), RotationReply::Conflict);
    }

    #[test]
    fn a_stalled_rotation_holds_its_token_for_the_lease_then_either_secret_may_go_on() {
        for (from, switched) in [("k0", "the crash came before the switch"), ("k1", "after it")] {
            let mut tree = TreeCounters::default();
            assert_eq!(begin(&mut tree, "k0", "k1", 0), RotationReply::Granted);
            assert_eq!(
                begin(&mut tree, from, "k2", ROTATION_LEASE_MS - 1),
                RotationReply::Conflict,
                "{switched}"
            );
            assert_eq!(begin(&mut tree, from, "k2", ROTATION_LEASE_MS), RotationReply::Granted, "{switched}");
            assert_eq!(
                end(&mut tree, RotationAction::Finish, "k1", ROTATION_LEASE_MS),
                RotationReply::Conflict
            );
        }
    }

    #[test]
    fn a_revoked_token_is_not_rotated() {
        let mut tree = TreeCounters::default();
        assert_eq!(begin(&mut tree, "k0", "k1", 5), RotationReply::Granted);
        tree.revoke("r", 6);
        assert_eq!(end(&mut tree, RotationAction::Finish, "k1", 7), RotationReply::Revoked);
        assert_eq!(begin(&mut tree, "k0", "k2", 8), RotationReply::Revoked);
    }

    fn pending(granted_known: bool) -> PendingEvent {
        let event = Event {
            at: 1,
            token: TokenId("t".into()),
            actor: "t".into(),
            operation: "tokensGetToken".into(),
            method: "GET".into(),
            path: "/api/v3/token".into(),
            status: 200,
            reason: None,
            amount: None,
            target: None,
        };
        PendingEvent { stored: StoredEvent { lineage: "t".into(), event }, granted_known }
    }

    fn used_up(counter: &str) -> Refusal {
        let charge = Charge { token: "t".into(), counter: counter.into(), max: 1, amount: 1 };
        Refusal::UsedUp { charge, used: 1 }
    }

    #[test]
    fn a_charge_settles_its_event_when_it_decides_the_answer() {
        let status = |pending: PendingEvent, refused: Option<&Refusal>| {
            let reply = ChargeReply { refused: refused.cloned(), ..ChargeReply::default() };
            reply.settle(&pending).map(|stored| (stored.event.status, stored.event.reason))
        };
        assert_eq!(status(pending(true), None), Some((200, None)), "granted, the answer known");
        assert_eq!(status(pending(false), None), None, "granted, the answer still to come");
        let calls = used_up("tokensGetToken");
        assert_eq!(status(pending(false), Some(&calls)), Some((403, Some(Reason::LimitExhausted))));
        let spend = used_up("accountWithdraw:wxHOPR");
        assert_eq!(status(pending(false), Some(&spend)), Some((403, Some(Reason::ConditionFailed))));
        assert_eq!(status(pending(true), Some(&Refusal::Revoked)), None, "a revoked token's call is a 401");
    }
}
