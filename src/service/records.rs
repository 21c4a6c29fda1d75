//! What is stored about a token: its record, found by the hash of its
//! secret, and its index entry, found by its public id. Neither leaves the
//! server; [`TokenRecord::to_token`] makes the wire [`Token`].

use serde::{Deserialize, Serialize};

use super::budgets::Charge;
use crate::contract::{
    catalogue::CapabilityName,
    model::{CallsConditions, Capability, Limit, Token, TokenId},
};

/// A capability as stored: the endpoint, its optional `calls` bound, and
/// the bounds above it that its calls also count against.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// A name from the catalogue.
    pub endpoint: String,
    /// The `calls` limit's `max`, if the capability has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_calls: Option<u64>,
    /// The `max` of each ancestor that limits this endpoint, top-most first.
    /// They are the last ancestors of the token: a token with a limit hands
    /// one down to every descendant, so limited ancestors form an unbroken
    /// line down to the token.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shared_with: Vec<u64>,
}

/// An issued token as stored under the hash of its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

    /// What one call of `endpoint` counts against: the token's own limit
    /// and each limited ancestor's. Empty when the endpoint is unlimited.
    pub fn charges(&self, endpoint: &str) -> Vec<Charge> {
        let Some(grant) = self.grant(endpoint) else { return Vec::new() };
        let Some(max) = grant.max_calls else { return Vec::new() };
        let limited_ancestors =
            &self.ancestors[self.ancestors.len().saturating_sub(grant.shared_with.len())..];
        limited_ancestors
            .iter()
            .zip(&grant.shared_with)
            .map(|(token, max)| (token, *max))
            .chain([(&self.id, max)])
            .map(|(token, max)| Charge { token: token.clone(), endpoint: endpoint.to_string(), max })
            .collect()
    }
    /// The grant for `endpoint`, if the token holds it.
    pub fn grant(&self, endpoint: &str) -> Option<&Grant> {
        self.grants.iter().find(|grant| grant.endpoint == endpoint)
    }

    /// True when any capability has a `calls` limit, so its counters live in
    /// its tree's Durable Object.
    pub fn is_limited(&self) -> bool {
        self.grants.iter().any(|grant| grant.max_calls.is_some())
    }

    /// True once `now` (seconds since the epoch) has reached `valid_until`.
    pub fn is_expired(&self, now: u64) -> bool {
        self.valid_until.is_some_and(|until| now >= until)
    }

    /// The token as the API shows it, with each limit's `used` looked up by
    /// `used_calls`.
    pub fn to_token(&self, used_calls: impl Fn(&str) -> u64) -> Token {
        let capabilities = self
            .grants
            .iter()
            .map(|grant| Capability {
                endpoint: CapabilityName(grant.endpoint.clone()),
                limits: grant
                    .max_calls
                    .map(|max| Limit::Calls {
                        conditions: CallsConditions { max },
                        used: used_calls(&grant.endpoint),
                    })
                    .into_iter()
                    .collect(),
            })
            .collect();
        Token {
            id: TokenId(self.id.clone()),
            description: self.description.clone(),
            capabilities,
            valid_until: self.valid_until,
        }
    }
}

/// What is stored under a token's public id: enough to find, authorize and
/// delete the token without its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexEntry {
    /// The storage key of the token record (a hash of the secret).
    pub key: String,
    /// The same as [`TokenRecord::ancestors`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ancestors: Vec<String>,
    /// The same as [`TokenRecord::is_limited`].
    #[serde(default)]
    pub limited: bool,
    /// The same as [`TokenRecord::valid_until`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<u64>,
}
