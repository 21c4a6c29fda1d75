//! Every way a request can fail: the contract's status codes, stable `status`
//! codes and public messages, in one place.
//!
//! The server turns an [`ApiError`] into a response with [`ApiError::http_status`]
//! and [`ApiError::body`]; the client parses the same body back into the same
//! [`ErrorCode`]; the OpenAPI document lists [`ErrorCode::ALL`].

use std::fmt;

use serde::{Deserialize, Serialize};

/// The machine-readable `status` field of an error body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// Authentication failed (401), or a known token lacks the capability (403).
    Unauthorized,
    /// A delegated token asked for more than its creator holds (403).
    Forbidden,
    /// The body is not JSON, not an object, or breaks the schema (400).
    InvalidInput,
    /// The capabilities are well-formed but unacceptable (400).
    InvalidTokenCapabilities,
    /// The description is too long (400).
    InvalidTokenDescription,
    /// The body is larger than [`crate::validate::MAX_BODY_BYTES`] (413).
    PayloadTooLarge,
    /// No such token or route (404).
    NotFound,
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
}

impl ErrorCode {
    /// Every code, in declaration order.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::InvalidInput,
        ErrorCode::InvalidTokenCapabilities,
        ErrorCode::InvalidTokenDescription,
        ErrorCode::PayloadTooLarge,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::Misconfigured,
        ErrorCode::Unavailable,
        ErrorCode::TooManyRequests,
        ErrorCode::BadGateway,
        ErrorCode::GatewayTimeout,
    ];

    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::InvalidInput => "INVALID_INPUT",
            ErrorCode::InvalidTokenCapabilities => "INVALID_TOKEN_CAPABILITIES",
            ErrorCode::InvalidTokenDescription => "INVALID_TOKEN_DESCRIPTION",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            ErrorCode::Misconfigured => "MISCONFIGURED",
            ErrorCode::Unavailable => "UNAVAILABLE",
            ErrorCode::TooManyRequests => "TOO_MANY_REQUESTS",
            ErrorCode::BadGateway => "BAD_GATEWAY",
            ErrorCode::GatewayTimeout => "GATEWAY_TIMEOUT",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The JSON body of every error response: `{"status": CODE, "error": text}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The machine-readable code.
    pub status: ErrorCode,
    /// What went wrong, for people.
    pub error: String,
}

/// A failed request, as the contract answers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// No credential, or an unknown, malformed, expired or deleted token.
    AuthenticationFailed,
    /// A known token lacks the operation's capability, or its `calls` limit is used up.
    AuthorizationFailed,
    /// A delegated token asked for a capability or limit beyond its creator's.
    CapabilitiesNotAllowed,
    /// A delegated token asked to outlive its creator.
    LifetimeNotAllowed,
    /// A delegated token would sit deeper than [`crate::delegate::MAX_DEPTH`].
    DelegationTooDeep,
    /// The body breaks the schema; the text names the field and why.
    InvalidInput(String),
    /// The capabilities are unacceptable; the text names the entry and why.
    InvalidCapabilities(String),
    /// The description is unacceptable.
    InvalidDescription(String),
    /// The body is larger than [`crate::validate::MAX_BODY_BYTES`].
    PayloadTooLarge,
    /// The token to delete is unknown, expired, deleted or not the caller's.
    TokenNotFound,
    /// `GET /token` with the admin token.
    AdminHasNoRecord,
    /// No route has this path.
    RouteNotFound,
    /// The path exists; the method does not. Holds the allowed methods.
    MethodNotAllowed(&'static str),
    /// The Worker lacks a required secret.
    Misconfigured(&'static str),
    /// Storage or a binding failed. Holds the cause, for the log line only.
    Unavailable(String),
    /// The client address failed to authenticate too often; retry after
    /// [`RETRY_AFTER_SECS`].
    TooManyFailedSignIns,
    /// The gateway could not reach the node. Holds the cause, for the log line only.
    NodeUnreachable(String),
    /// The node did not answer within this many milliseconds.
    NodeTimeout(u32),
}

/// How long a throttled client should wait, in seconds: the rate limiter's
/// period.
pub const RETRY_AFTER_SECS: u32 = 60;

impl ApiError {
    /// The HTTP status code of the response.
    pub fn http_status(&self) -> u16 {
        match self {
            ApiError::AuthenticationFailed => 401,
            ApiError::AuthorizationFailed
            | ApiError::CapabilitiesNotAllowed
            | ApiError::LifetimeNotAllowed
            | ApiError::DelegationTooDeep => 403,
            ApiError::InvalidInput(_)
            | ApiError::InvalidCapabilities(_)
            | ApiError::InvalidDescription(_) => 400,
            ApiError::PayloadTooLarge => 413,
            ApiError::TokenNotFound | ApiError::AdminHasNoRecord | ApiError::RouteNotFound => 404,
            ApiError::MethodNotAllowed(_) => 405,
            ApiError::Misconfigured(_) | ApiError::Unavailable(_) => 503,
            ApiError::TooManyFailedSignIns => 429,
            ApiError::NodeUnreachable(_) => 502,
            ApiError::NodeTimeout(_) => 504,
        }
    }

    /// The machine-readable `status` of the body.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::AuthenticationFailed | ApiError::AuthorizationFailed => ErrorCode::Unauthorized,
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
            ApiError::Misconfigured(_) => ErrorCode::Misconfigured,
            ApiError::Unavailable(_) => ErrorCode::Unavailable,
            ApiError::TooManyFailedSignIns => ErrorCode::TooManyRequests,
            ApiError::NodeUnreachable(_) => ErrorCode::BadGateway,
            ApiError::NodeTimeout(_) => ErrorCode::GatewayTimeout,
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
        ErrorBody { status: self.code(), error: self.to_string() }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::AuthenticationFailed => f.write_str("authentication failed"),
            ApiError::AuthorizationFailed => f.write_str("authorization failed"),
            ApiError::CapabilitiesNotAllowed => f.write_str("requested token capabilities not allowed"),
            ApiError::LifetimeNotAllowed => f.write_str("requested token lifetime not allowed"),
            ApiError::DelegationTooDeep => write!(
                f,
                "delegation depth limit reached: a token may have at most {} ancestors",
                crate::delegate::MAX_DEPTH
            ),
            ApiError::InvalidInput(why)
            | ApiError::InvalidCapabilities(why)
            | ApiError::InvalidDescription(why) => f.write_str(why),
            ApiError::PayloadTooLarge => {
                write!(f, "request body is larger than {} bytes", crate::validate::MAX_BODY_BYTES)
            }
            ApiError::TokenNotFound => f.write_str("token not found"),
            ApiError::AdminHasNoRecord => f.write_str("the admin token has no token record"),
            ApiError::RouteNotFound => f.write_str("no such route"),
            ApiError::MethodNotAllowed(allow) => write!(f, "method not allowed; use {allow}"),
            ApiError::Misconfigured(what) => f.write_str(what),
            ApiError::Unavailable(_) => f.write_str("token storage is unavailable; try again"),
            ApiError::TooManyFailedSignIns => {
                write!(f, "too many failed sign-ins from this address; retry in {RETRY_AFTER_SECS} seconds")
            }
            ApiError::NodeUnreachable(_) => f.write_str("the node could not be reached"),
            ApiError::NodeTimeout(ms) => write!(f, "the node did not answer within {ms} ms"),
        }
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_bodies_are_exact() {
        let json = |e: ApiError| serde_json::to_string(&e.body()).unwrap();
        assert_eq!(
            json(ApiError::AuthenticationFailed),
            r#"{"status":"UNAUTHORIZED","error":"authentication failed"}"#
        );
        assert_eq!(
            json(ApiError::AuthorizationFailed),
            r#"{"status":"UNAUTHORIZED","error":"authorization failed"}"#
        );
        assert_eq!(
            json(ApiError::LifetimeNotAllowed),
            r#"{"status":"FORBIDDEN","error":"requested token lifetime not allowed"}"#
        );
        assert_eq!(json(ApiError::TokenNotFound), r#"{"status":"NOT_FOUND","error":"token not found"}"#);
    }

    #[test]
    fn codes_round_trip_through_json() {
        for code in ErrorCode::ALL {
            let wire = serde_json::to_string(code).unwrap();
            assert_eq!(wire, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&wire).unwrap(), *code);
        }
    }
}
