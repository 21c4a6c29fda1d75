//! Every way a request can fail: the contract's status codes, stable `status`
//! codes, refusal reasons and public messages, in one place.
//!
//! The service turns an [`ApiError`] into a response with
//! [`ApiError::http_status`] and [`ApiError::body`]; the client parses the
//! same [`ErrorBody`] back; the OpenAPI document derives its error schema
//! from these types.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::contract::bounds::{MAX_BODY_BYTES, MAX_DEPTH, MIN_ADMIN_TOKEN_CHARS};

/// The machine-readable `status` field of an error body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// Authentication failed (401), or a known token may not make the call (403).
    Unauthorized,
    /// A delegated token asked for more than its creator holds (403).
    Forbidden,
    /// The body or the query is not what the route takes (400).
    InvalidInput,
    /// The capabilities are well-formed but unacceptable (400).
    InvalidTokenCapabilities,
    /// The description is too long (400).
    InvalidTokenDescription,
    /// The body is larger than [`MAX_BODY_BYTES`] (413).
    PayloadTooLarge,
    /// No such token or route (404).
    NotFound,
    /// Another change of the same token went first; nothing was changed (409).
    Conflict,
    /// The route exists but not with this method (405).
    MethodNotAllowed,
    /// The Worker is not configured to serve authenticated requests (503).
    Misconfigured,
    /// Storage or a binding failed; nothing was half-written (503).
    Unavailable,
    /// Too many failed sign-ins from one client address (429).
    TooManyRequests,
    /// The gateway could not reach the node (502).
    BadGateway,
    /// The node did not answer the gateway in time (504).
    GatewayTimeout,
    /// A route of the node's table, but no node is configured behind the gateway (503).
    GatewayNotConfigured,
}

/// Why a known token was refused (403): the `reason` of the body, so that
/// clients decide on it and never on the English `error` text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The token does not hold the operation's capability.
    MissingCapability,
    /// A `calls` limit (the token's own, or an ancestor's shared budget) is used up.
    LimitExhausted,
    /// A gateway condition on the call's arguments does not hold.
    ConditionFailed,
    /// A delegated token asked for a capability or limit its creator does not hold.
    CapabilitiesNotAllowed,
    /// A delegated token asked to outlive its creator.
    LifetimeNotAllowed,
    /// A delegated token would sit deeper than [`MAX_DEPTH`].
    DepthLimit,
    /// The secret is one a rotation replaced, in its grace period: it may
    /// not create, delete or rotate tokens.
    SecretInGrace,
}

/// The JSON body of every error response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct ErrorBody {
    /// The machine-readable code.
    pub status: ErrorCode,
    /// What went wrong, for people.
    pub error: String,
    /// Why a known token was refused; present on every 403.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Reason")]
    pub reason: Option<Reason>,
}

/// A failed request, as the contract answers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// An unknown, malformed, expired or deleted token: a failed sign-in.
    AuthenticationFailed,
    /// No credential at all. Answered as [`ApiError::AuthenticationFailed`],
    /// but never counted as a failed sign-in.
    CredentialMissing,
    /// A secret in its grace period after a rotation asked to create, delete
    /// or rotate tokens.
    SecretInGrace,
    /// Another rotation of the same token is under way or went first.
    RotationConflict,
    /// A known token lacks the capability of the operation (named here).
    MissingCapability(String),
    /// A `calls` limit on the operation is used up.
    LimitExhausted(UsedUp),
    /// A gateway condition on the call's arguments does not hold; the text
    /// names the field and why.
    ConditionFailed(String),
    /// A delegated token asked for a capability or limit beyond its creator's.
    CapabilitiesNotAllowed,
    /// A delegated token asked to outlive its creator.
    LifetimeNotAllowed,
    /// A delegated token would sit deeper than [`MAX_DEPTH`].
    DelegationTooDeep,
    /// The body or query breaks the schema; the text names the field and why.
    InvalidInput(String),
    /// The capabilities are unacceptable; the text names the entry and why.
    InvalidCapabilities(String),
    /// The description is unacceptable.
    InvalidDescription(String),
    /// The body is larger than [`MAX_BODY_BYTES`].
    PayloadTooLarge,
    /// The token is unknown, expired, deleted or not the caller's.
    TokenNotFound,
    /// `GET /token` with the admin token.
    AdminHasNoRecord,
    /// No route has this path.
    RouteNotFound,
    /// The path exists; the method does not. Holds the allowed methods.
    MethodNotAllowed(String),
    /// The admin token is missing or too weak.
    Misconfigured(AdminTokenProblem),
    /// Storage or a binding failed. Holds the cause, for the log line only.
    Unavailable(String),
    /// The client address failed to authenticate too often; retry after
    /// this many seconds.
    TooManyFailedSignIns(u32),
    /// The gateway could not reach the node. Holds the cause, for the log line only.
    NodeUnreachable(String),
    /// The node did not answer within this many milliseconds.
    NodeTimeout(u32),
    /// A route of the node's table was called, but the gateway is off: no
    /// `ORIGIN_URL` names a node.
    GatewayNotConfigured,
}

/// A used-up `calls` limit, as a 403 names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsedUp {
    /// The operation.
    pub endpoint: String,
    /// The limit's `max`.
    pub max: u64,
    /// Calls counted against it.
    pub used: u64,
    /// True when the limit is an ancestor's, shared by its whole subtree.
    pub shared: bool,
    /// The limit's period, in seconds, for a periodic limit: then `used`
    /// counts the current span.
    pub period: Option<u64>,
}

/// What is wrong with the `API_TOKEN` secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminTokenProblem {
    /// It is not set.
    Missing,
    /// It is shorter than [`MIN_ADMIN_TOKEN_CHARS`] or only whitespace.
    Weak,
}

impl ApiError {
    /// The HTTP status code of the response.
    pub fn http_status(&self) -> u16 {
        match self {
            ApiError::AuthenticationFailed | ApiError::CredentialMissing => 401,
            ApiError::SecretInGrace
            | ApiError::MissingCapability(_)
            | ApiError::LimitExhausted(_)
            | ApiError::ConditionFailed(_)
            | ApiError::CapabilitiesNotAllowed
            | ApiError::LifetimeNotAllowed
            | ApiError::DelegationTooDeep => 403,
            ApiError::InvalidInput(_)
            | ApiError::InvalidCapabilities(_)
            | ApiError::InvalidDescription(_) => 400,
            ApiError::PayloadTooLarge => 413,
            ApiError::TokenNotFound | ApiError::AdminHasNoRecord | ApiError::RouteNotFound => 404,
            ApiError::MethodNotAllowed(_) => 405,
            ApiError::RotationConflict => 409,
            ApiError::Misconfigured(_) | ApiError::Unavailable(_) | ApiError::GatewayNotConfigured => 503,
            ApiError::TooManyFailedSignIns(_) => 429,
            ApiError::NodeUnreachable(_) => 502,
            ApiError::NodeTimeout(_) => 504,
        }
    }

    /// The machine-readable `status` of the body.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::AuthenticationFailed
            | ApiError::CredentialMissing
            | ApiError::SecretInGrace
            | ApiError::MissingCapability(_)
            | ApiError::LimitExhausted(_)
            | ApiError::ConditionFailed(_) => ErrorCode::Unauthorized,
            ApiError::CapabilitiesNotAllowed | ApiError::LifetimeNotAllowed | ApiError::DelegationTooDeep => {
                ErrorCode::Forbidden
            }
            ApiError::InvalidInput(_) => ErrorCode::InvalidInput,
            ApiError::InvalidCapabilities(_) => ErrorCode::InvalidTokenCapabilities,
            ApiError::InvalidDescription(_) => ErrorCode::InvalidTokenDescription,
            ApiError::PayloadTooLarge => ErrorCode::PayloadTooLarge,
            ApiError::TokenNotFound | ApiError::AdminHasNoRecord | ApiError::RouteNotFound => {
                ErrorCode::NotFound
            }
            ApiError::MethodNotAllowed(_) => ErrorCode::MethodNotAllowed,
            ApiError::RotationConflict => ErrorCode::Conflict,
            ApiError::Misconfigured(_) => ErrorCode::Misconfigured,
            ApiError::Unavailable(_) => ErrorCode::Unavailable,
            ApiError::TooManyFailedSignIns(_) => ErrorCode::TooManyRequests,
            ApiError::NodeUnreachable(_) => ErrorCode::BadGateway,
            ApiError::NodeTimeout(_) => ErrorCode::GatewayTimeout,
            ApiError::GatewayNotConfigured => ErrorCode::GatewayNotConfigured,
        }
    }

    /// Why a known token was refused: set for every 403.
    pub fn reason(&self) -> Option<Reason> {
        match self {
            ApiError::MissingCapability(_) => Some(Reason::MissingCapability),
            ApiError::LimitExhausted(_) => Some(Reason::LimitExhausted),
            ApiError::ConditionFailed(_) => Some(Reason::ConditionFailed),
            ApiError::CapabilitiesNotAllowed => Some(Reason::CapabilitiesNotAllowed),
            ApiError::LifetimeNotAllowed => Some(Reason::LifetimeNotAllowed),
            ApiError::DelegationTooDeep => Some(Reason::DepthLimit),
            ApiError::SecretInGrace => Some(Reason::SecretInGrace),
            _ => None,
        }
    }

    /// What the operator should see in the log beyond the public message.
    pub fn cause(&self) -> Option<&str> {
        match self {
            ApiError::Unavailable(cause) | ApiError::NodeUnreachable(cause) => Some(cause),
            _ => None,
        }
    }

    /// The response body.
    pub fn body(&self) -> ErrorBody {
        ErrorBody { status: self.code(), error: self.to_string(), reason: self.reason() }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::AuthenticationFailed | ApiError::CredentialMissing => {
                f.write_str("authentication failed")
            }
            ApiError::SecretInGrace => f.write_str(
                "authorization failed: a secret replaced by a rotation works only for the token's other \
                 calls during its grace period; it may not create, delete or rotate tokens",
            ),
            ApiError::RotationConflict => {
                f.write_str("another rotation of this token is under way or went first; nothing was changed")
            }
            ApiError::MissingCapability(endpoint) => {
                write!(f, "authorization failed: the token does not hold the {endpoint} capability")
            }
            ApiError::LimitExhausted(UsedUp { endpoint, max, used, shared, period }) => {
                let per = period.map(|secs| format!(" per {secs} s")).unwrap_or_default();
                let whose = if *shared { ", shared with an ancestor's subtree" } else { "" };
                write!(
                    f,
                    "authorization failed: calls limit of {endpoint} used up ({used} of {max}{per}{whose})"
                )
            }
            ApiError::ConditionFailed(why) => write!(f, "authorization failed: {why}"),
            ApiError::CapabilitiesNotAllowed => f.write_str("requested token capabilities not allowed"),
            ApiError::LifetimeNotAllowed => f.write_str("requested token lifetime not allowed"),
            ApiError::DelegationTooDeep => {
                write!(f, "delegation depth limit reached: a token may have at most {MAX_DEPTH} ancestors")
            }
            ApiError::InvalidInput(why)
            | ApiError::InvalidCapabilities(why)
            | ApiError::InvalidDescription(why) => f.write_str(why),
            ApiError::PayloadTooLarge => write!(f, "request body is larger than {MAX_BODY_BYTES} bytes"),
            ApiError::TokenNotFound => f.write_str("token not found"),
            ApiError::AdminHasNoRecord => f.write_str("the admin token has no token record"),
            ApiError::RouteNotFound => f.write_str("no such route"),
            ApiError::MethodNotAllowed(allow) => write!(f, "method not allowed; use {allow}"),
            ApiError::Misconfigured(AdminTokenProblem::Missing) => {
                f.write_str("the API_TOKEN secret is not configured")
            }
            ApiError::Misconfigured(AdminTokenProblem::Weak) => write!(
                f,
                "the API_TOKEN secret must be at least {MIN_ADMIN_TOKEN_CHARS} characters \
                 and not only whitespace"
            ),
            ApiError::Unavailable(_) => f.write_str("token storage is unavailable; try again"),
            ApiError::TooManyFailedSignIns(secs) => {
                write!(f, "too many failed sign-ins from this address; retry in {secs} seconds")
            }
            ApiError::NodeUnreachable(_) => {
                f.write_str("the node could not be reached, or closed the connection before answering")
            }
            ApiError::NodeTimeout(ms) => write!(f, "the node did not answer within {ms} ms"),
            ApiError::GatewayNotConfigured => {
                f.write_str("no node is configured behind the gateway: the operator has not set ORIGIN_URL")
            }
        }
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(error: ApiError) -> String {
        serde_json::to_string(&error.body()).unwrap()
    }

    #[test]
    fn contract_bodies_are_exact() {
        assert_eq!(
            json(ApiError::AuthenticationFailed),
            r#"{"status":"UNAUTHORIZED","error":"authentication failed"}"#
        );
        assert_eq!(
            json(ApiError::LifetimeNotAllowed),
            r#"{"status":"FORBIDDEN","error":"requested token lifetime not allowed","reason":"lifetime_not_allowed"}"#
        );
        assert_eq!(json(ApiError::TokenNotFound), r#"{"status":"NOT_FOUND","error":"token not found"}"#);
        assert_eq!(
            json(ApiError::GatewayNotConfigured),
            r#"{"status":"GATEWAY_NOT_CONFIGURED","error":"no node is configured behind the gateway: the operator has not set ORIGIN_URL"}"#
        );
    }

    #[test]
    fn every_403_has_a_reason_and_keeps_the_contract_prefix() {
        let used_up =
            UsedUp { endpoint: "accountWithdraw".into(), max: 10, used: 10, shared: false, period: None };
        let refusals = [
            ApiError::MissingCapability("nodeGetInfo".into()),
            ApiError::LimitExhausted(used_up),
            ApiError::ConditionFailed("amount: more than is left of the spend budget".into()),
            ApiError::CapabilitiesNotAllowed,
            ApiError::LifetimeNotAllowed,
            ApiError::DelegationTooDeep,
            ApiError::SecretInGrace,
        ];
        for refusal in refusals {
            assert_eq!(refusal.http_status(), 403);
            assert!(refusal.reason().is_some(), "{refusal:?}");
        }
        let body = ApiError::LimitExhausted(UsedUp {
            endpoint: "accountWithdraw".into(),
            max: 10,
            used: 10,
            shared: false,
            period: None,
        })
        .body();
        assert_eq!(body.error, "authorization failed: calls limit of accountWithdraw used up (10 of 10)");
        assert_eq!(body.reason, Some(Reason::LimitExhausted));
        let periodic =
            UsedUp { endpoint: "nodeGetInfo".into(), max: 2, used: 2, shared: true, period: Some(60) };
        assert_eq!(
            ApiError::LimitExhausted(periodic).to_string(),
            "authorization failed: calls limit of nodeGetInfo used up (2 of 2 per 60 s, shared with an ancestor's subtree)"
        );
    }

    #[test]
    fn misconfiguration_names_the_rule() {
        let weak = ApiError::Misconfigured(AdminTokenProblem::Weak).to_string();
        assert!(weak.contains(&MIN_ADMIN_TOKEN_CHARS.to_string()), "{weak}");
    }
}
