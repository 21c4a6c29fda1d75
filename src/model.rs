//! The token model: what the API sends and receives, and what is stored.
//!
//! The wire types ([`Token`], [`Capability`], [`Limit`], [`CreateTokenRequest`],
//! [`CreatedToken`]) are shared by the server, the client bindings and the
//! OpenAPI document. The stored types ([`TokenRecord`], [`IndexEntry`]) never
//! leave the server.

use serde::{Deserialize, Serialize};

/// The one limit type: the token may make at most `max` authorized calls of
/// the capability's endpoint, ever.
pub const CALLS: &str = "calls";

/// A limit on one capability, as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    /// Always [`CALLS`].
    #[serde(rename = "type")]
    pub kind: String,
    /// The bound.
    pub conditions: Conditions,
    /// Authorized calls so far; server-owned, present only in `GET /token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used: Option<u64>,
}

/// The conditions of a `calls` limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conditions {
    /// The most calls allowed, at least 1.
    pub max: u64,
}

/// One operation a token may call, with its limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capability {
    /// A name from [`crate::catalogue::CAPABILITIES`].
    pub endpoint: String,
    /// Empty, or one `calls` limit.
    #[serde(default)]
    pub limits: Vec<Limit>,
}

/// A token as `GET /token` shows it: never the secret, never its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    /// The public identifier, used to delete the token.
    pub id: String,
    /// Free text given at creation.
    pub description: String,
    /// What the token may call.
    pub capabilities: Vec<Capability>,
    /// Seconds since the Unix epoch; absent when the token does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<u64>,
}

/// The body of `POST /tokens`, as a client builds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateTokenRequest {
    /// What the new token may call.
    pub capabilities: Vec<Capability>,
    /// Seconds until the token expires; `None` for a token that does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<u64>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The `201` answer of `POST /tokens`: the only time the secret is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    /// The secret to authenticate with.
    pub token: String,
    /// The public identifier.
    pub id: String,
    /// Seconds since the Unix epoch; absent when the token does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<u64>,
}

/// A capability as stored: the endpoint and its optional `calls` bound.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// A name from the catalogue.
    pub endpoint: String,
    /// The `calls` limit's `max`, if the capability has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_calls: Option<u64>,
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
}

impl TokenRecord {
    /// The grant for `endpoint`, if the token holds it.
    pub fn grant(&self, endpoint: &str) -> Option<&Grant> {
        self.grants.iter().find(|grant| grant.endpoint == endpoint)
    }

    /// True when any capability has a `calls` limit, so its counters live in
    /// a Durable Object.
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
                endpoint: grant.endpoint.clone(),
                limits: grant
                    .max_calls
                    .map(|max| Limit {
                        kind: CALLS.to_string(),
                        conditions: Conditions { max },
                        used: Some(used_calls(&grant.endpoint)),
                    })
                    .into_iter()
                    .collect(),
            })
            .collect();
        Token {
            id: self.id.clone(),
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

/// JSON text of a model or API value. These are plain structs of strings,
/// integers, lists and maps, which always serialize.
pub(crate) fn to_json<T: Serialize>(value: &T) -> String {
    // ok: no map with non-string keys, no custom Serialize that can fail.
    serde_json::to_string(value).expect("model values serialize")
}
