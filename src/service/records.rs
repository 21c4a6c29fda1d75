//! What is stored about a token: its record, found by the hash of its
//! secret, and its index entry, found by its public id. Neither leaves the
//! server; [`TokenRecord::to_token`] and [`TokenRecord::to_info`] make the wire
//! types.

use serde::{Deserialize, Serialize};

use super::{
    conditions::{Amount, ListenRange},
    tree::{
        budgets::{spend_counter, Charge, Usage},
        window::periodic_counter,
    },
};
use crate::contract::{
    catalogue::CapabilityName,
    currency::Currency,
    limits::{AllowConditions, CallsConditions, Limit, SpendConditions},
    model::{Capability, Token, TokenId, TokenInfo},
};

/// A capability as stored: the endpoint, its optional `calls` bound, its
/// conditions on the node call's arguments, and the bounds above it that
/// its calls also count against.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// A name from the catalogue.
    pub endpoint: String,
    /// The `calls` limit's `max`, if the capability has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_calls: Option<u64>,
    /// The `max` of each ancestor that limits this endpoint's calls,
    /// top-most first. They are the last ancestors of the token: a token with
    /// a limit hands one down to every descendant, so limited ancestors form
    /// an unbroken line down to the token.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shared_with: Vec<u64>,
    /// `spend` budgets, one per currency: a call may move only these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spend: Vec<SpendBudget>,
    /// The `targets` condition: the only addresses a call may aim at
    /// (lower case, `0x`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<Vec<String>>,
    /// The `listen` condition: where a session may listen; without it,
    /// loopback only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen: Option<Vec<ListenRange>>,
    /// Periodic limits: of the calls, and of the amount moved in each
    /// currency, at most one each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub periodic: Vec<PeriodicBudget>,
}

impl Grant {
    /// True when the capability carries a condition on the call's arguments.
    pub fn has_conditions(&self) -> bool {
        self.has_spend_limits() || self.targets.is_some() || self.listen.is_some()
    }

    /// The `spend` budget in `currency`, if the capability has one.
    pub fn spend_in(&self, currency: Currency) -> Option<&SpendBudget> {
        self.spend.iter().find(|budget| budget.currency == currency)
    }

    /// The periodic limit of the calls (`currency` `None`) or of the amount
    /// moved in `currency`, if the capability has one.
    pub fn periodic_of(&self, currency: Option<Currency>) -> Option<&PeriodicBudget> {
        self.periodic.iter().find(|budget| budget.currency == currency)
    }

    /// True when the capability bounds what its calls move: then they may
    /// move only [`Self::spend_currencies`].
    pub fn has_spend_limits(&self) -> bool {
        !self.spend_currencies().is_empty()
    }

    /// The currencies of its `spend` limits, for its lifetime or per period.
    pub fn spend_currencies(&self) -> Vec<Currency> {
        let periodic = self.periodic.iter().filter_map(|budget| budget.currency);
        let mut currencies = Vec::new();
        for currency in self.spend.iter().map(|budget| budget.currency).chain(periodic) {
            if !currencies.contains(&currency) {
                currencies.push(currency);
            }
        }
        currencies
    }
}

/// A periodic limit: at most `max` calls (without a currency) or wei of
/// `currency` in any span of `period` seconds, shared down the tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodicBudget {
    /// The currency of a `spend` limit; `None` for `calls`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// The most in any span of the period.
    pub max: u128,
    /// The period, in seconds.
    pub period: u64,
    /// The periodic limit of the same kind of each ancestor that has one on
    /// this endpoint, top-most first, as for `calls`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shared_with: Vec<Bound>,
}

/// A periodic limit's bound: at most `max` in any span of `period` seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bound {
    /// The most.
    pub max: u128,
    /// The span, in seconds.
    pub period: u64,
}

impl PeriodicBudget {
    /// Its own bound.
    pub fn bound(&self) -> Bound {
        Bound { max: self.max, period: self.period }
    }

    /// What its counters count on `endpoint`: the calls, or the amount
    /// moved in its currency.
    pub fn base(&self, endpoint: &str) -> String {
        match self.currency {
            Some(currency) => spend_counter(endpoint, currency),
            None => endpoint.to_string(),
        }
    }
}

/// A `spend` budget: at most `max` wei of `currency`, shared down the tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendBudget {
    /// The currency.
    pub currency: Currency,
    /// The most wei.
    pub max: u128,
    /// The `max` of each ancestor that limits this currency on this
    /// endpoint, top-most first, as for `calls`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shared_with: Vec<u128>,
}

/// An issued token as stored under the hash of its secret.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// The public identifier.
    pub id: String,
    /// Free text.
    pub description: String,
    /// What the token may call.
    pub grants: Vec<Grant>,
    /// Seconds since the Unix epoch; `None` for a token that does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<u64>,
    /// The ids of the tokens that created this one, the root first and the
    /// creator last; empty for a token the admin created.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ancestors: Vec<String>,
    /// When the root of the token's tree expires, for a delegated token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_valid_until: Option<u64>,
    /// When the token was made, in seconds since the epoch.
    #[serde(default)]
    pub created_at: u64,
    /// True once the token has been rotated: its secret then works only
    /// while the token's index entry names it ([`IndexEntry::secret_state`]), so
    /// that a secret replaced by a rotation, or written by a rotation that
    /// lost a race, is refused even where its record remains. A token never
    /// rotated skips that read.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rotated: bool,
}

impl TokenRecord {
    /// The id of the token's delegation tree: its admin-made root.
    pub fn tree(&self) -> &str {
        self.ancestors.first().unwrap_or(&self.id)
    }

    /// When the token's tree expires: its root's expiry.
    pub fn tree_valid_until(&self) -> Option<u64> {
        if self.ancestors.is_empty() {
            self.valid_until
        } else {
            self.root_valid_until
        }
    }

    /// The ancestors and the token itself, root first.
    pub fn path(&self) -> Vec<String> {
        self.ancestors.iter().cloned().chain([self.id.clone()]).collect()
    }

    /// What one call of `endpoint` moving `spent` counts against: the
    /// token's own limits and each limited ancestor's, for the calls and for
    /// the amount, for their lifetime and per period. Empty when nothing
    /// limits it.
    pub fn charges(&self, endpoint: &str, spent: Option<Amount>) -> Vec<Charge> {
        let Some(grant) = self.grant(endpoint) else { return Vec::new() };
        let mut charges = Vec::new();
        if let Some(max) = grant.max_calls {
            let maxes =
                grant.shared_with.iter().chain([&max]).map(|max| (endpoint.to_string(), u128::from(*max)));
            charges.extend(self.chain(maxes.collect(), 1));
        }
        let budget = spent.and_then(|amount| Some((amount, grant.spend_in(amount.currency)?)));
        if let Some((amount, budget)) = budget {
            let counter = spend_counter(endpoint, amount.currency);
            let maxes = budget.shared_with.iter().chain([&budget.max]).map(|max| (counter.clone(), *max));
            charges.extend(self.chain(maxes.collect(), amount.wei));
        }
        for budget in &grant.periodic {
            let amount = match (budget.currency, spent) {
                (None, _) => 1,
                (Some(currency), Some(amount)) if amount.currency == currency => amount.wei,
                _ => continue,
            };
            let base = budget.base(endpoint);
            let bounds = budget.shared_with.iter().copied().chain([budget.bound()]);
            let windows = bounds.map(|bound| (periodic_counter(&base, bound.period), bound.max));
            charges.extend(self.chain(windows.collect(), amount));
        }
        charges
    }

    /// Charges of `amount` against the last `limits.len()` tokens of the
    /// path (the limited ancestors and the token), each on its counter and
    /// with its `max`.
    fn chain(&self, limits: Vec<(String, u128)>, amount: u128) -> Vec<Charge> {
        let path = self.path();
        path[path.len().saturating_sub(limits.len())..]
            .iter()
            .zip(limits)
            .map(|(token, (counter, max))| Charge { token: token.clone(), counter, max, amount })
            .collect()
    }
    /// The grant for `endpoint`, if the token holds it.
    pub fn grant(&self, endpoint: &str) -> Option<&Grant> {
        self.grants.iter().find(|grant| grant.endpoint == endpoint)
    }

    /// True when any capability has a `calls` limit or a `spend` budget, so
    /// its counters live in its tree's Durable Object.
    pub fn is_limited(&self) -> bool {
        self.grants
            .iter()
            .any(|grant| grant.max_calls.is_some() || !grant.spend.is_empty() || !grant.periodic.is_empty())
    }

    /// True once `now_ms` (milliseconds since the epoch) has reached
    /// `valid_until`: the token is refused from the first millisecond of
    /// that second.
    pub fn is_expired(&self, now_ms: u64) -> bool {
        self.valid_until.is_some_and(|until| now_ms >= until.saturating_mul(1000))
    }

    /// The token as the API shows it, with each limit's `used` looked up in
    /// `used` (the token's subtree's use).
    pub fn to_token(&self, used: &Usage) -> Token {
        Token {
            id: TokenId(self.id.clone()),
            description: self.description.clone(),
            capabilities: self.capabilities(used),
            valid_until: self.valid_until,
        }
    }

    /// The token as the management routes show it.
    pub fn to_info(&self, used: &Usage) -> TokenInfo {
        TokenInfo {
            id: TokenId(self.id.clone()),
            description: self.description.clone(),
            capabilities: self.capabilities(used),
            valid_until: self.valid_until,
            parent: self.ancestors.last().cloned().map(TokenId),
            created_at: self.created_at,
            descendants: None,
            last_used_at: None,
        }
    }

    fn capabilities(&self, used: &Usage) -> Vec<Capability> {
        self.grants
            .iter()
            .map(|grant| Capability {
                endpoint: CapabilityName(grant.endpoint.clone()),
                limits: limits(grant, used),
            })
            .collect()
    }
}

/// A grant's limits as the API shows them, with their use in `used`: the
/// calls', for their lifetime then per period, then the amounts', then the
/// conditions.
fn limits(grant: &Grant, used: &Usage) -> Vec<Limit> {
    let calls = grant.max_calls.map(|max| Limit::Calls {
        conditions: CallsConditions { max, period: None },
        used: u64::try_from(used.of(&grant.endpoint)).unwrap_or(u64::MAX),
        returns_at: None,
    });
    let spend = grant.spend.iter().map(|budget| {
        let amount = |wei| Amount { currency: budget.currency, wei }.to_string();
        Limit::Spend {
            conditions: SpendConditions { max: amount(budget.max), period: None },
            used: amount(used.of(&spend_counter(&grant.endpoint, budget.currency))),
            returns_at: None,
        }
    });
    let (periodic_calls, periodic_spend): (Vec<&PeriodicBudget>, Vec<&PeriodicBudget>) =
        grant.periodic.iter().partition(|budget| budget.currency.is_none());
    let periodic = |budget: &PeriodicBudget| periodic_limit(&grant.endpoint, budget, used);
    let allow = |entries: Vec<String>| AllowConditions { allow: entries };
    let targets = grant.targets.clone().map(|targets| Limit::Targets { conditions: allow(targets) });
    let listen = grant
        .listen
        .as_ref()
        .map(|ranges| Limit::Listen { conditions: allow(ranges.iter().map(ToString::to_string).collect()) });
    calls
        .into_iter()
        .chain(periodic_calls.into_iter().map(periodic))
        .chain(spend)
        .chain(periodic_spend.into_iter().map(periodic))
        .chain(targets)
        .chain(listen)
        .collect()
}

/// A periodic limit on `endpoint` as the API shows it: its use in the
/// current span, and when capacity next returns (in whole seconds, rounded
/// up, so never earlier than it does).
fn periodic_limit(endpoint: &str, budget: &PeriodicBudget, used: &Usage) -> Limit {
    let counter = periodic_counter(&budget.base(endpoint), budget.period);
    let returns_at = used.returns_at_ms.get(&counter).map(|ms| ms.div_ceil(1000));
    let period = Some(budget.period);
    match budget.currency {
        None => Limit::Calls {
            conditions: CallsConditions { max: u64::try_from(budget.max).unwrap_or(u64::MAX), period },
            used: u64::try_from(used.of(&counter)).unwrap_or(u64::MAX),
            returns_at,
        },
        Some(currency) => {
            let amount = |wei| Amount { currency, wei }.to_string();
            Limit::Spend {
                conditions: SpendConditions { max: amount(budget.max), period },
                used: amount(used.of(&counter)),
                returns_at,
            }
        }
    }
}

/// What is stored under a token's public id: where its record is, and the
/// record itself, so that the token can be found, shown, rotated and
/// deleted without its secret, and a page of tokens listed in one read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexEntry {
    /// The storage key of the token's record (a hash of its secret).
    pub key: String,
    /// The secret a rotation replaced, while its grace period lasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired: Option<RetiredSecret>,
    /// The record.
    pub record: TokenRecord,
}

/// A secret replaced by a rotation with a grace period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetiredSecret {
    /// The storage key of its record.
    pub key: String,
    /// When it stops working, in milliseconds since the epoch, so that a
    /// grace period of N seconds lasts N seconds to the millisecond.
    #[serde(default)]
    pub until_ms: u64,
}

/// Whether a secret that authenticates is its token's current one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretState {
    /// The secret the token was created or last rotated with.
    Current,
    /// A secret a rotation replaced, in its grace period: it authenticates
    /// the token's calls, but may not rotate, delete or create tokens.
    InGrace,
}

impl IndexEntry {
    /// Which of this token's secrets is stored under `storage_key` at
    /// `now_ms`: the current one, the retired one in its grace period, or
    /// neither (`None`).
    pub fn secret_state(&self, storage_key: &str, now_ms: u64) -> Option<SecretState> {
        if self.key == storage_key {
            return Some(SecretState::Current);
        }
        self.retired
            .as_ref()
            .filter(|retired| retired.key == storage_key && now_ms < retired.until_ms)
            .map(|_| SecretState::InGrace)
    }

    /// The id of the token's delegation tree.
    pub fn tree(&self) -> &str {
        self.record.tree()
    }

    /// The token's ancestors, root first.
    pub fn ancestors(&self) -> &[String] {
        &self.record.ancestors
    }
}
