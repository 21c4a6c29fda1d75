//! Carries out the gateway's [`NodeCall`]s: the call goes to the node at
//! `ORIGIN_URL` with the headers the service lets through and the node's own
//! token (`ORIGIN_TOKEN`), and the node's answer streams back with the
//! service's CORS headers. WebSocket upgrades are proxied the same way.

use std::{pin::pin, time::Duration};

use futures_util::future::{select, Either};
use worker::{
    web_sys, AbortController, Delay, Env, Fetch, Headers, Method, Request, RequestInit, RequestRedirect,
    Response,
};

use crate::service::{
    gateway::{Node, NodeCall, NodeFailure},
    headers::forwards_request_header,
};

/// How long the node may take to start answering, unless `ORIGIN_TIMEOUT_MS` says otherwise.
const DEFAULT_TIMEOUT_MS: u32 = 30_000;

/// The node behind the gateway.
pub struct Origin {
    base: String,
    token: Option<String>,
    timeout_ms: u32,
}

impl Origin {
    /// The node configured by `ORIGIN_URL` and `ORIGIN_TOKEN`; `None` turns
    /// the gateway off.
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
        Some(Origin {
            base: base.to_string(),
            token: env.secret("ORIGIN_TOKEN").ok().map(|token| token.to_string()),
            timeout_ms,
        })
    }
}

/// The node as the service sees it while one request is served: the
/// configured origin (if any) and the incoming request, whose headers and
/// body a forwarded call carries.
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
        let outgoing = outgoing(origin, self.request, call).map_err(unreachable)?;
        let controller = AbortController::default();
        let signal = controller.signal();
        let fetch = Fetch::Request(outgoing);
        let answer = pin!(fetch.send_with_signal(&signal));
        let deadline = pin!(Delay::from(Duration::from_millis(u64::from(origin.timeout_ms))));
        match select(answer, deadline).await {
            Either::Left((Ok(response), _)) => {
                with_cors(response, &call.cors).map(Into::into).map_err(unreachable)
            }
            Either::Left((Err(error), _)) => Err(unreachable(error)),
            Either::Right(_) => {
                controller.abort();
                Err(NodeFailure::TimedOut(origin.timeout_ms))
            }
        }
    }
}

/// The request for the node: the call's method, path and query, the
/// incoming request's body and the headers the service lets through, and
/// the node's own token.
fn outgoing(origin: &Origin, incoming: &web_sys::Request, call: &NodeCall) -> worker::Result<Request> {
    let mut target = format!("{}{}", origin.base, call.path);
    if let Some(query) = &call.query {
        target.push('?');
        target.push_str(query);
    }
    // Another handle on the same request: `web_sys::Request::clone` would be
    // JavaScript's `Request.clone()`, which copies the body.
    let incoming = Request::from(<web_sys::Request as Clone>::clone(incoming));
    let headers = Headers::new();
    for (name, value) in incoming.headers().entries() {
        if forwards_request_header(&name) {
            headers.append(&name, &value)?;
        }
    }
    if let Some(token) = &origin.token {
        headers.set("x-auth-token", token)?;
    }
    let method = incoming.method();
    let mut init = RequestInit::new();
    init.with_method(method.clone()).with_headers(headers).with_redirect(RequestRedirect::Manual);
    if !matches!(method, Method::Get | Method::Head) {
        init.with_body(incoming.inner().body().map(Into::into));
    }
    Request::new_with_init(&target, &init)
}

/// The node's answer with CORS headers set; a WebSocket answer is returned
/// as it is.
fn with_cors(response: Response, cors: &[(&'static str, String)]) -> worker::Result<Response> {
    if response.status_code() == 101 {
        return Ok(response);
    }
    let headers = Headers::new();
    for (name, value) in response.headers().entries() {
        headers.append(&name, &value)?;
    }
    for (name, value) in cors {
        headers.set(name, value)?;
    }
    Ok(response.with_headers(headers))
}

fn unreachable(error: worker::Error) -> NodeFailure {
    NodeFailure::Unreachable(error.to_string())
}
