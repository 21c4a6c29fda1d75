//! Carries out the gateway's [`NodeCall`]s: each goes to the node at
//! `ORIGIN_URL` exactly as the service decided it (method, path, query,
//! headers, body), within `ORIGIN_TIMEOUT_MS`, redirects not followed; the
//! node's answer streams back with the headers the service decides
//! ([`NodeAnswer`]). WebSocket upgrades go the same way.
//!
//! A call crosses to JavaScript three times: the call with its timeout
//! ([`node_fetch`]), the answer's headers as text, and the answer rebuilt
//! with the headers the caller gets ([`passed_back`]); `worker`'s `Fetch`,
//! `Headers`, `AbortController` and `Delay` crossed once per header each way
//! and once per step of the timeout. Before it, the request's headers that
//! a call may pass on, and only those, cross once ([`forwardable_headers`]).

use worker::{js_sys::Uint8Array, wasm_bindgen::JsCast, web_sys, Env};

use super::{
    js::{
        error_text, header_lines, header_pairs, header_text, node_fetch, passed_back, request_header_lines,
    },
    task::settled,
};
use crate::service::gateway::{
    headers::forwardable_request_headers, Node, NodeAnswer, NodeBody, NodeCall, NodeFailure,
};

/// How long the node may take to start answering, unless `ORIGIN_TIMEOUT_MS` says otherwise.
const DEFAULT_TIMEOUT_MS: u32 = 30_000;

/// The node behind the gateway.
pub struct Origin {
    base: String,
    timeout_ms: u32,
}

impl Origin {
    /// The node configured by `ORIGIN_URL`; `None` turns the gateway off.
    pub fn from_env(env: &Env) -> Option<Origin> {
        let base = env.var("ORIGIN_URL").ok()?.to_string();
        let base = base.trim().trim_end_matches('/');
        if base.is_empty() {
            return None;
        }
        let timeout_ms = env
            .var("ORIGIN_TIMEOUT_MS")
            .ok()
            .and_then(|ms| ms.to_string().parse().ok())
            .filter(|&ms| ms > 0)
            .unwrap_or(DEFAULT_TIMEOUT_MS);
        Some(Origin { base: base.to_string(), timeout_ms })
    }

    /// The URL of `call` on this node.
    fn url(&self, call: &NodeCall) -> String {
        let mut url = format!("{}{}", self.base, call.path);
        if let Some(query) = &call.query {
            url.push('?');
            url.push_str(query);
        }
        url
    }
}

/// The headers of `request` that a call for the node may pass on: only
/// those the service could let through are read, in one crossing.
pub fn forwardable_headers(request: &web_sys::Request) -> Vec<(String, String)> {
    thread_local! {
        static NAMES: String = forwardable_request_headers().collect::<Vec<_>>().join("\n");
    }
    let lines = NAMES.with(|names| request_header_lines(request, names));
    owned_pairs(&lines)
}

/// Headers written as lines ([`header_text`]), as owned name and value pairs.
fn owned_pairs(lines: &str) -> Vec<(String, String)> {
    header_pairs(lines).map(|(name, value)| (name.to_string(), value.to_string())).collect()
}

/// Owned name and value pairs as the lines that cross to JavaScript.
fn lines_of(headers: &[(String, String)]) -> String {
    header_text(headers.iter().map(|(name, value)| (name.as_str(), value.as_str())))
}

/// The node as the service sees it while one request is served: the
/// configured origin (if any) and the incoming request, whose body a
/// streamed call carries.
pub struct Gateway<'a> {
    origin: Option<&'a Origin>,
    request: &'a web_sys::Request,
}

impl<'a> Gateway<'a> {
    /// The gateway to `origin` for `request`.
    pub fn new(origin: Option<&'a Origin>, request: &'a web_sys::Request) -> Self {
        Gateway { origin, request }
    }
}

impl Node for Gateway<'_> {
    type Answer = web_sys::Response;

    async fn forward(&self, call: &NodeCall) -> Result<web_sys::Response, NodeFailure> {
        // The service routes to the node only when the gateway is on.
        let origin = self.origin.ok_or_else(|| NodeFailure::Unreachable("no node is configured".into()))?;
        // The headers cross as lines, so none may hold a line break; the
        // runtime's Headers refuses one anyway (in an ORIGIN_TOKEN, say).
        if call.headers.iter().any(|(name, value)| name.contains('\n') || value.contains('\n')) {
            return Err(NodeFailure::Unreachable("a header to send holds a line break".into()));
        }
        let body = match &call.body {
            NodeBody::Read(bytes) => Some(Uint8Array::from(bytes.as_slice())),
            NodeBody::Streamed | NodeBody::Empty => None,
        };
        let sent = node_fetch(
            self.request,
            &origin.url(call),
            &call.method,
            &lines_of(&call.headers),
            body,
            matches!(call.body, NodeBody::Streamed),
            origin.timeout_ms,
        )
        .map_err(|error| NodeFailure::Unreachable(error_text(&error)))?;
        match settled(sent).await {
            Ok(answer) if answer.is_null() => Err(NodeFailure::TimedOut(origin.timeout_ms)),
            Ok(answer) => Ok(answer.unchecked_into()),
            Err(error) => Err(NodeFailure::Unreachable(error_text(&error))),
        }
    }
}

impl NodeAnswer for web_sys::Response {
    fn status(&self) -> u16 {
        web_sys::Response::status(self)
    }

    fn headers(&self) -> Vec<(String, String)> {
        owned_pairs(&header_lines(self))
    }

    fn with_headers(self, headers: Vec<(String, String)>) -> Result<web_sys::Response, String> {
        passed_back(&self, &lines_of(&headers)).map_err(|error| error_text(&error))
    }
}
