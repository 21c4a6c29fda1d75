//! The wire types: every JSON body the API takes or gives, as serde types.
//!
//! These are the one description of the API's shapes. The service sends
//! them, the client reads them, and the OpenAPI document (and from it the
//! client's TypeScript declarations) is derived from them with `schemars`.
//! A new wire field goes here, on its type.

use schemars::{JsonSchema, Schema};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::contract::{
    bounds::{
        ID_LEN, MAX_CAPABILITIES, MAX_COUNTED_DESCENDANTS, MAX_DESCRIPTION_CHARS, MAX_GRACE_SECS,
        MAX_LIFETIME_SECS, MAX_LIMITS,
    },
    catalogue::{CapabilityName, CAPABILITIES},
    currency::Currency,
    error::Reason,
    limits::{period_schema, Limit, LimitType, RequestedLimit, PERIOD},
    node_routes::{carried_by, Carried},
    schema::secret_pattern,
};

/// A capability as a create request gives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = limits_by_endpoint)]
pub struct RequestedCapability {
    /// The operation the new token may call.
    pub endpoint: CapabilityName,
    /// At most one limit of each type (one `spend` per currency) for the
    /// token's lifetime and one per period, of the types the capability's
    /// routes carry.
    #[serde(default)]
    #[schemars(length(max = MAX_LIMITS))]
    pub limits: Vec<RequestedLimit>,
}

/// The body of `POST /tokens`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = one_entry_per_endpoint)]
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
    #[schemars(regex(pattern = secret_pattern()))]
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
    #[schemars(regex(pattern = secret_pattern()))]
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
    /// When the token last authenticated a call, in seconds since the Unix
    /// epoch, at most a minute behind; absent when it was never used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u64")]
    pub last_used_at: Option<u64>,
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

/// One entry of a token's audit trail: a call, or a create, delete or
/// rotation of a token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct Event {
    /// When, in milliseconds since the Unix epoch.
    pub at: u64,
    /// The token it is about: the caller, or the token created, deleted or
    /// rotated.
    pub token: TokenId,
    /// Who acted: the id of the calling token, or `admin`.
    #[schemars(regex(pattern = r"^([0-9A-Za-z]{22}|admin)$"))]
    pub actor: String,
    /// The operation: an `operationId` of this API or a capability of the
    /// node's routes.
    pub operation: String,
    /// The request's method.
    pub method: String,
    /// The request's path, without its query.
    pub path: String,
    /// The HTTP status of the answer.
    pub status: u16,
    /// Why it was refused (a 403's `reason`); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Reason")]
    pub reason: Option<Reason>,
    /// The amount the call moves, where a `spend` condition read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub amount: Option<String>,
    /// The address the call aims at, where a `targets` condition read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub target: Option<String>,
}

/// One page of `GET /tokens/{id}/events`, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct EventPage {
    /// The events of this page, newest first.
    pub events: Vec<Event>,
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

/// "At most one entry per endpoint", which JSON Schema has no keyword for:
/// for each name of the catalogue, at most one item has it as `endpoint`.
fn one_entry_per_endpoint(schema: &mut Schema) {
    let rules: Vec<Value> = CAPABILITIES
        .iter()
        .map(|name| {
            json!({ "minContains": 0, "maxContains": 1, "contains": {
                "type": "object", "required": ["endpoint"], "properties": { "endpoint": { "const": name } } } })
        })
        .collect();
    if let Some(capabilities) = schema.get_mut("properties").and_then(|p| p.get_mut("capabilities")) {
        capabilities["allOf"] = Value::Array(rules);
    }
}

/// Which limits each capability may carry, said in the terms Schemathesis
/// can generate from: at most one limit of each type (of a type held once
/// per currency, one per currency), and, by classes of capabilities that
/// carry the same limits ([`carried_by`]), only the types and currencies the
/// class carries.
fn limits_by_endpoint(schema: &mut Schema) {
    let mut classes: Vec<(Carried, Vec<&str>)> = Vec::new();
    for name in CAPABILITIES {
        let carried = carried_by(name);
        match classes.iter_mut().find(|(class, _)| *class == carried) {
            Some((_, names)) => names.push(name),
            None => classes.push((carried, vec![name])),
        }
    }
    let variants: Vec<Value> = classes
        .iter()
        .map(|(carried, names)| {
            json!({ "properties": {
                "endpoint": { "enum": names },
                "limits": { "type": "array", "items": { "anyOf": allowed_limits(carried) } } } })
        })
        .collect();
    let once = |kind: LimitType, conditions: Value| {
        json!({ "contains": { "type": "object", "required": ["type"],
                    "properties": { "type": { "const": kind.name() }, "conditions": conditions } },
                "minContains": 0, "maxContains": 1 })
    };
    let (per_currency, once_each): (Vec<LimitType>, Vec<LimitType>) =
        LimitType::ALL.into_iter().partition(|kind| kind.one_per_currency());
    let rules: Vec<Value> = once_each
        .into_iter()
        .flat_map(|kind| spans(kind, json!({})).into_iter().map(move |conditions| once(kind, conditions)))
        .chain(per_currency.into_iter().flat_map(|kind| {
            Currency::ALL.into_iter().flat_map(move |currency| {
                spans(kind, kind.in_currency_schema(currency)).into_iter().map(move |c| once(kind, c))
            })
        }))
        .collect();
    if let Some(limits) = schema.get_mut("properties").and_then(|p| p.get_mut("limits")) {
        limits["allOf"] = Value::Array(rules);
    }
    schema.insert("oneOf".to_string(), Value::Array(variants));
}

/// The conditions of `kind`'s limits that a capability carries at most one
/// of: those matching `conditions`, and of a periodic type, those for the
/// token's lifetime apart from those per period.
fn spans(kind: LimitType, conditions: Value) -> Vec<Value> {
    if !kind.periodic() {
        return vec![conditions];
    }
    let with = |span: Value| match conditions.as_object().is_some_and(|rules| rules.is_empty()) {
        true => span,
        false => json!({ "allOf": [conditions.clone(), span] }),
    };
    let periodic =
        json!({ "type": "object", "properties": { PERIOD: period_schema() }, "required": [PERIOD] });
    vec![with(json!({ "type": "object", "not": periodic })), with(periodic)]
}

/// The limits a class of capabilities carrying `carried` may have.
fn allowed_limits(carried: &Carried) -> Vec<Value> {
    carried
        .types
        .iter()
        .map(|kind| {
            json!({ "type": "object", "required": ["type", "conditions"],
                    "properties": { "type": { "const": kind.name() },
                        "conditions": kind.conditions_schema(&carried.currencies) } })
        })
        .collect()
}

/// JSON text of a wire value. These are plain structs of strings, integers,
/// lists and maps, which always serialize.
pub fn to_json<T: Serialize>(value: &T) -> String {
    // ok: no map with non-string keys, no custom Serialize that can fail.
    serde_json::to_string(value).expect("wire values serialize")
}
