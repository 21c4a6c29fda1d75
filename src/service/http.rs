//! The service's view of HTTP: the parts of a request it reads, its answer,
//! and the log fields of both. Adapters fill an [`ApiRequest`] from their
//! runtime's request and send an [`ApiResponse`] back.

use crate::contract::{
    bounds::{ID_LEN, MAX_BODY_BYTES},
    error::{ApiError, Reason},
};

use super::gateway::headers::UPGRADE_HEADER;

/// What the service needs of an HTTP request, without its body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApiRequest {
    /// The method, as sent (upper case for the methods the API uses).
    pub method: String,
    /// The path, still percent-encoded, without query string or fragment.
    pub path: String,
    /// The query string without `?`, as sent; `None` when empty.
    pub query: Option<String>,
    /// The `x-auth-token` header.
    pub x_auth_token: Option<String>,
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// The `Origin` header.
    pub origin: Option<String>,
    /// The `Upgrade` header. Only a node route asks whether the request is
    /// a WebSocket upgrade, so an adapter may fill it, as `headers`, only
    /// for those.
    pub upgrade: Option<String>,
    /// The client's address (`CF-Connecting-IP`), for throttling.
    pub client_address: Option<String>,
    /// The headers a node call may pass on, names in lower case. Only a call
    /// for the node reads them, and only those named by
    /// [`super::gateway::headers::forwardable_request_headers`], so an
    /// adapter may fill only those, and only for a request whose route is
    /// the node's ([`super::Service::route`]).
    pub headers: Vec<(String, String)>,
}

impl ApiRequest {
    /// A request for `method` on the absolute `url` (as the runtime gives it:
    /// normalized and percent-encoded), with no headers yet.
    pub fn new(method: &str, url: &str) -> ApiRequest {
        let (path, query) = split_url(url);
        ApiRequest { method: method.to_string(), path, query, ..ApiRequest::default() }
    }

    /// Fills `headers` with those a node call may pass on (names in lower
    /// case), and `upgrade` from them.
    pub fn set_forwardable_headers(&mut self, headers: Vec<(String, String)>) {
        self.upgrade =
            headers.iter().find(|(name, _)| name == UPGRADE_HEADER).map(|(_, value)| value.clone());
        self.headers = headers;
    }

    /// True when the request asks to become a WebSocket.
    pub fn is_websocket(&self) -> bool {
        self.upgrade.as_deref().is_some_and(|upgrade| upgrade.eq_ignore_ascii_case("websocket"))
    }

    /// The path for the log line: the segment after `/tokens/` is meant to
    /// be a public id, but a confused client might put a secret there, so a
    /// longer segment is cut short (what follows it, like `/rotate`, stays).
    pub fn logged_path(&self) -> std::borrow::Cow<'_, str> {
        let Some((head, rest)) = self.path.split_once("/tokens/") else { return self.path.as_str().into() };
        let (id, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if id.len() <= ID_LEN {
            return self.path.as_str().into();
        }
        format!("{head}/tokens/{}…{tail}", id.chars().take(4).collect::<String>()).into()
    }
}

/// The path and query of an absolute URL, without parsing the rest: a full
/// URL parser would bring its Unicode tables into the wasm.
fn split_url(url: &str) -> (String, Option<String>) {
    let without_fragment = url.split('#').next().unwrap_or_default();
    let after_scheme = without_fragment.find("://").map_or(0, |i| i + 3);
    let rest = &without_fragment[after_scheme..];
    let path_and_query = rest.find('/').map_or("/", |i| &rest[i..]);
    match path_and_query.split_once('?') {
        Some((path, query)) => (path.to_string(), Some(query.to_string()).filter(|q| !q.is_empty())),
        None => (path_and_query.to_string(), None),
    }
}

/// A request body as the adapter read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// The bytes of a body no larger than the limit asked for.
    Bytes(Vec<u8>),
    /// A body larger than that; the rest was not read.
    TooLarge,
}

/// Where the body comes from: read only by the routes that need it.
#[allow(async_fn_in_trait)] // Workers are single-threaded: no `Send` bound wanted.
pub trait BodySource {
    /// Reads at most `max` bytes, stopping as soon as the body is known to
    /// be larger (and then discarding the rest). A body that fails to read
    /// is empty.
    async fn read(&mut self, max: usize) -> Body;

    /// The whole body, refused past [`MAX_BODY_BYTES`].
    async fn read_limited(&mut self) -> Result<Vec<u8>, ApiError> {
        match self.read(MAX_BODY_BYTES).await {
            Body::TooLarge => Err(ApiError::PayloadTooLarge),
            Body::Bytes(bytes) => Ok(bytes),
        }
    }
}

impl BodySource for Vec<u8> {
    async fn read(&mut self, max: usize) -> Body {
        if self.len() > max {
            Body::TooLarge
        } else {
            Body::Bytes(std::mem::take(self))
        }
    }
}

/// What the log line (and a recorded event) says about a request beyond
/// its method, path and status.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogFields {
    /// The operation (capability) served.
    pub operation: Option<&'static str>,
    /// The public id of the calling token.
    pub token_id: Option<String>,
    /// Who called, once authenticated: the token's id, or `admin`.
    pub actor: Option<String>,
    /// Why a known caller was refused: a 403's `reason`.
    pub reason: Option<Reason>,
    /// The amount a node call moves, as its `spend` condition read it.
    pub amount: Option<String>,
    /// The address a node call aims at, as its `targets` condition read it.
    pub target: Option<String>,
    /// Why a 5xx happened; never sent.
    pub cause: Option<String>,
}

/// The service's own answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The headers, names in lower case.
    pub headers: Vec<(&'static str, String)>,
    /// A JSON body, or none (204).
    pub body: Option<String>,
    /// For the log line.
    pub log: LogFields,
    /// True for a failed sign-in: a credential was presented and refused.
    /// Only these are counted against the client's address.
    pub failed_sign_in: bool,
    /// The token a create, delete or rotation was about: its ancestors and
    /// itself, root first, for the audit trail.
    pub subject: Option<Vec<String>>,
}

/// The `WWW-Authenticate` challenge sent with every 401.
pub const CHALLENGE: &str = "Bearer realm=\"edge-tokens\"";
const JSON: &str = "application/json; charset=utf-8";

impl ApiResponse {
    /// A JSON answer.
    pub fn json(status: u16, body: String) -> ApiResponse {
        ApiResponse {
            status,
            headers: vec![("content-type", JSON.to_string())],
            body: Some(body),
            log: LogFields::default(),
            failed_sign_in: false,
            subject: None,
        }
    }

    /// An answer without a body.
    pub fn empty(status: u16) -> ApiResponse {
        ApiResponse {
            status,
            headers: Vec::new(),
            body: None,
            log: LogFields::default(),
            failed_sign_in: false,
            subject: None,
        }
    }

    /// The answer, about the token whose ancestors and self are `path`.
    pub fn about(self, path: Vec<String>) -> ApiResponse {
        ApiResponse { subject: Some(path), ..self }
    }

    /// The error answer, with the headers its status calls for.
    pub fn error(error: &ApiError) -> ApiResponse {
        let mut response =
            ApiResponse::json(error.http_status(), crate::contract::model::to_json(&error.body()));
        response.log.cause = error.cause().map(str::to_string);
        response.log.reason = error.reason();
        response.failed_sign_in = *error == ApiError::AuthenticationFailed;
        match error {
            ApiError::AuthenticationFailed | ApiError::CredentialMissing => {
                response.headers.push(("www-authenticate", CHALLENGE.to_string()))
            }
            ApiError::MethodNotAllowed(allow) => response.headers.push(("allow", allow.clone())),
            ApiError::TooManyFailedSignIns(secs) => response.headers.push(("retry-after", secs.to_string())),
            _ => {}
        }
        response
    }

    /// The header `name` (lower case), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_and_query_come_from_the_url() {
        let request = ApiRequest::new("GET", "https://h.example/api/v3/token?x=1&y=%20#frag");
        assert_eq!(request.path, "/api/v3/token");
        assert_eq!(request.query.as_deref(), Some("x=1&y=%20"));
        assert_eq!(ApiRequest::new("GET", "http://h.example").path, "/");
        assert_eq!(ApiRequest::new("GET", "http://h.example/a?").query, None);
        assert_eq!(ApiRequest::new("GET", "http://h.example/a#?x=1").query, None);
    }

    #[test]
    fn logged_path_cuts_anything_longer_than_an_id() {
        let secret_in_path =
            ApiRequest::new("DELETE", "http://h/api/v3/tokens/etk_0123456789abcdefghijklmnopqrstuv");
        assert_eq!(secret_in_path.logged_path(), "/api/v3/tokens/etk_…");
        let id_in_path = ApiRequest::new("DELETE", "http://h/api/v3/tokens/0123456789abcdefghijkl");
        assert_eq!(id_in_path.logged_path(), "/api/v3/tokens/0123456789abcdefghijkl");
        let secret_rotated =
            ApiRequest::new("POST", "http://h/api/v3/tokens/etk_0123456789abcdefghijklmnopqrstuv/rotate");
        assert_eq!(secret_rotated.logged_path(), "/api/v3/tokens/etk_…/rotate");
    }

    #[test]
    fn websocket_upgrade_is_recognised_in_any_case() {
        let mut request = ApiRequest::new("GET", "http://h/x");
        assert!(!request.is_websocket());
        request.upgrade = Some("WebSocket".into());
        assert!(request.is_websocket());
    }

    #[test]
    fn the_upgrade_comes_with_the_forwardable_headers() {
        let mut request = ApiRequest::new("GET", "http://h/x");
        request.set_forwardable_headers(vec![("accept".into(), "*/*".into())]);
        assert!(!request.is_websocket());
        request.set_forwardable_headers(vec![("upgrade".into(), "websocket".into())]);
        assert!(request.is_websocket());
        assert_eq!(request.headers, [("upgrade".to_string(), "websocket".to_string())]);
    }

    #[test]
    fn a_body_over_the_limit_is_too_large() {
        assert_eq!(pollster::block_on(vec![1u8; 5].read(4)), Body::TooLarge);
        assert_eq!(pollster::block_on(vec![1u8; 4].read(4)), Body::Bytes(vec![1; 4]));
    }
}
