//! The wire types: every JSON body the API takes or gives, as serde types.
//!
//! These are the one description of the API's shapes. The service sends
//! them, the client reads them, and the OpenAPI document (and from it the
//! client's TypeScript declarations) is derived from them with `schemars`.
//! A new wire field goes here, on its type.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::contract::{
    bounds::{
        ID_LEN, MAX_ALLOWED, MAX_AMOUNT_CHARS, MAX_CALLS, MAX_CAPABILITIES, MAX_COUNTED_DESCENDANTS,
        MAX_DESCRIPTION_CHARS, MAX_GRACE_SECS, MAX_LIFETIME_SECS, MAX_LIMITS,
    },
    catalogue::CapabilityName,
};

/// The conditions of a `calls` limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct CallsConditions {
    /// The most authorized calls of the endpoint, by the token and all its
    /// descendants together.
    #[schemars(range(min = 1, max = MAX_CALLS))]
    pub max: u64,
}

/// The conditions of a `spend` limit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct SpendConditions {
    /// The most of one currency that the token and its descendants together
    /// may move through the node, written as the node writes amounts:
    /// `"5 wxHOPR"`, `"0.5 xDai"`, `"1000 wei wxHOPR"`.
    #[schemars(length(max = MAX_AMOUNT_CHARS), regex(pattern = crate::contract::openapi::AMOUNT_PATTERN))]
    pub max: String,
}

/// The conditions of a `targets` or `listen` limit: what is allowed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct AllowConditions {
    /// For `targets`, on-chain addresses (`0x` and 40 hex digits); for
    /// `listen`, listen addresses with a port or a port range
    /// (`127.0.0.1:10000-10100`, `[::1]:8080`).
    #[schemars(length(min = 1, max = MAX_ALLOWED))]
    pub allow: Vec<String>,
}

/// A limit as a create request gives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
#[schemars(transform = crate::contract::openapi::allow_list_patterns)]
pub enum RequestedLimit {
    /// At most `conditions.max` authorized calls, ever. A client-supplied
    /// `used` is ignored: never stored or echoed.
    Calls {
        /// The bound.
        conditions: CallsConditions,
    },
    /// At most `conditions.max` of one currency moved, ever (routes that move
    /// funds: withdraw, open channel, fund channel).
    Spend {
        /// The bound.
        conditions: SpendConditions,
    },
    /// Only these target addresses (withdraw recipient, channel counterparty,
    /// peer, session destination).
    Targets {
        /// The addresses.
        conditions: AllowConditions,
    },
    /// Sessions may listen only on these addresses and ports of the node's
    /// host (without it: loopback only).
    Listen {
        /// The addresses and port ranges.
        conditions: AllowConditions,
    },
}

/// A capability as a create request gives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = crate::contract::openapi::limits_by_endpoint)]
pub struct RequestedCapability {
    /// The operation the new token may call.
    pub endpoint: CapabilityName,
    /// At most one limit of each type (one `spend` per currency), of the
    /// types the capability's routes carry.
    #[serde(default)]
    #[schemars(length(max = MAX_LIMITS))]
    pub limits: Vec<RequestedLimit>,
}

/// The body of `POST /tokens`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = crate::contract::openapi::one_entry_per_endpoint)]
pub struct CreateTokenRequest {
    /// What the new token may call: at most one entry per endpoint.
    #[schemars(length(min = 1, max = MAX_CAPABILITIES))]
    pub capabilities: Vec<RequestedCapability>,
    /// Seconds until the token expires. Omitted or null: it does not expire,
    /// or, for a delegated token, it expires with its creator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = MAX_LIFETIME_SECS))]
    pub lifetime: Option<u64>,
    /// Free text; omitted or null is `""`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_DESCRIPTION_CHARS))]
    pub description: Option<String>,
}

/// The `201` answer of `POST /tokens`: the only time the secret is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct CreatedToken {
    /// The secret to authenticate with. Shown only in this response.
    #[schemars(regex(pattern = crate::contract::openapi::secret_pattern()))]
    pub token: String,
    /// The public identifier.
    pub id: TokenId,
    /// Seconds since the Unix epoch; absent when the token does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u64")]
    pub valid_until: Option<u64>,
}

/// The `201` answer of `POST /tokens/{id}/rotate`: the new secret, shown
/// only here, and until when the old one works.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct RotatedToken {
    /// The new secret to authenticate with. Shown only in this response.
    #[schemars(regex(pattern = crate::contract::openapi::secret_pattern()))]
    pub token: String,
    /// The public identifier, unchanged.
    pub id: TokenId,
    /// Seconds since the Unix epoch; absent when the token does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u64")]
    pub valid_until: Option<u64>,
    /// Milliseconds since the Unix epoch until which the old secret works
    /// (the end of the grace period; the time of the rotation for a grace
    /// of 0). Until then it authenticates the token's other calls, but may
    /// not create, delete or rotate tokens.
    pub old_secret_valid_until_ms: u64,
}

/// A token's public identifier: never the secret.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct TokenId(
    #[schemars(length(min = ID_LEN, max = ID_LEN), regex(pattern = r"^[0-9A-Za-z]+$"))] pub String,
);

/// A limit as the API shows it, with its use so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
#[schemars(transform = crate::contract::openapi::close_variants)]
pub enum Limit {
    /// At most `conditions.max` authorized calls, ever.
    Calls {
        /// The bound.
        conditions: CallsConditions,
        /// Authorized calls so far, by the token and its descendants; it
        /// already counts the call that shows it.
        used: u64,
    },
    /// At most `conditions.max` of one currency moved, ever.
    Spend {
        /// The bound.
        conditions: SpendConditions,
        /// Moved so far by the token and its descendants, in the same currency.
        used: String,
    },
    /// Only these target addresses.
    Targets {
        /// The addresses, as given.
        conditions: AllowConditions,
    },
    /// Sessions listen only on these addresses and ports.
    Listen {
        /// The addresses and port ranges, as given.
        conditions: AllowConditions,
    },
}

/// One operation a token may call, with its limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct Capability {
    /// The operation.
    pub endpoint: CapabilityName,
    /// Its limits, at least one; absent when it has none (the original API's schema).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(min = 1))]
    pub limits: Vec<Limit>,
}

/// A token as `GET /token` shows it: never the secret, never its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct Token {
    /// The public identifier, used to delete the token.
    pub id: TokenId,
    /// Free text given at creation.
    pub description: String,
    /// What the token may call.
    pub capabilities: Vec<Capability>,
    /// Seconds since the Unix epoch; absent when the token does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u64")]
    pub valid_until: Option<u64>,
}

/// A token as the management routes show it: the token with its use, its
/// place in the delegation tree, and when it was made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct TokenInfo {
    /// The public identifier.
    pub id: TokenId,
    /// Free text given at creation.
    pub description: String,
    /// What the token may call, each limit with its use so far.
    pub capabilities: Vec<Capability>,
    /// Seconds since the Unix epoch; absent when the token does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u64")]
    pub valid_until: Option<u64>,
    /// The id of the token that created it; absent for a token the admin made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "TokenId")]
    pub parent: Option<TokenId>,
    /// When it was made, in seconds since the Unix epoch.
    pub created_at: u64,
    /// How many tokens are below it in the delegation tree (a delete takes
    /// them with it), counted up to the maximum, which then means at least
    /// as many; only `GET /tokens/{id}` says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u64", range(max = MAX_COUNTED_DESCENDANTS))]
    pub descendants: Option<u64>,
}

/// One page of `GET /tokens`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct TokenPage {
    /// The live tokens of this page. A page may hold fewer than the limit
    /// asked for (even none) and still be followed by another.
    pub tokens: Vec<TokenInfo>,
    /// Where the next page starts; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub cursor: Option<String>,
}

/// The body of `POST /tokens/{id}/rotate`; it may be left out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RotateRequest {
    /// How long, in seconds, the old secret keeps working; 0 (the default)
    /// refuses it at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = MAX_GRACE_SECS))]
    pub grace: Option<u64>,
}

/// JSON text of a wire value. These are plain structs of strings, integers,
/// lists and maps, which always serialize.
pub fn to_json<T: Serialize>(value: &T) -> String {
    // ok: no map with non-string keys, no custom Serialize that can fail.
    serde_json::to_string(value).expect("wire values serialize")
}
