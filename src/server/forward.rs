//! Carries out the gateway's [`NodeCall`]s: the call goes to the node at
//! `ORIGIN_URL` with the headers the service lets through and, on a route
//! that needs a capability, the node's own token (`ORIGIN_TOKEN`); the
//! node's answer streams back with the headers the service lets through, the
//! gateway's `Via` and the service's CORS headers. WebSocket upgrades are
//! proxied the same way.

use std::{pin::pin, time::Duration};

use futures_util::future::{select, Either};
use worker::{
    js_sys::Uint8Array, web_sys, AbortController, Delay, Env, Fetch, Headers, Method, Request, RequestInit,
    RequestRedirect, Response,
};

use crate::{
    contract::node_routes::Access,
    service::{
        gateway::{Node, NodeCall, NodeFailure},
        headers::{self, forwards_request_header, keeps_answer_header, Outgoing, VIA_HEADER},
    },
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
                passed_back(response, &call.cors).map(Into::into).map_err(unreachable)
            }
            Either::Left((Err(error), _)) => Err(unreachable(error)),
            Either::Right(_) => {
                controller.abort();
                Err(NodeFailure::TimedOut(origin.timeout_ms))
            }
        }
    }
}

/// The request for the node: the call's method, path and query, its body
/// (the one the service read, or else the incoming one), the headers the
/// service lets through, and the node's own token unless the route is public.
fn outgoing(origin: &Origin, incoming: &web_sys::Request, call: &NodeCall) -> worker::Result<Request> {
    let mut target = format!("{}{}", origin.base, call.path);
    if let Some(query) = &call.query {
        target.push('?');
        target.push_str(query);
    }
    // Another handle on the same request: `web_sys::Request::clone` would be
    // JavaScript's `Request.clone()`, which copies the body.
    let incoming = Request::from(<web_sys::Request as Clone>::clone(incoming));
    let method = incoming.method();
    let kind = outgoing_kind(&incoming, &method, call)?;
    let headers = Headers::new();
    for (name, value) in incoming.headers().entries() {
        if forwards_request_header(&name, kind) {
            headers.append(&name, &value)?;
        }
    }
    if let (Access::Capability(_), Some(token)) = (call.route.access, &origin.token) {
        headers.set("x-auth-token", token)?;
    }
    let mut init = RequestInit::new();
    init.with_method(method).with_headers(headers).with_redirect(RequestRedirect::Manual);
    init.with_body(match kind {
        Outgoing::Read => call.body.as_deref().map(|bytes| Uint8Array::from(bytes).into()),
        Outgoing::Streamed => incoming.inner().body().map(Into::into),
        Outgoing::Bodiless | Outgoing::WebSocket => None,
    });
    Request::new_with_init(&target, &init)
}

/// How the call goes: a WebSocket only on a WebSocket route, so that no
/// other route is handed a handshake.
fn outgoing_kind(incoming: &Request, method: &Method, call: &NodeCall) -> worker::Result<Outgoing> {
    let upgrade = incoming.headers().get("upgrade")?;
    Ok(if call.route.websocket && upgrade.is_some_and(|upgrade| upgrade.eq_ignore_ascii_case("websocket")) {
        Outgoing::WebSocket
    } else if matches!(method, Method::Get | Method::Head) {
        Outgoing::Bodiless
    } else if call.body.is_some() {
        Outgoing::Read
    } else {
        Outgoing::Streamed
    })
}

/// The node's answer with only the headers the service lets through, the
/// gateway's `Via` and the service's CORS headers; a WebSocket (101) needs
/// no CORS.
fn passed_back(response: Response, cors: &[(&'static str, String)]) -> worker::Result<Response> {
    let status = response.status_code();
    let headers = Headers::new();
    for (name, value) in response.headers().entries() {
        if keeps_answer_header(&name, status) {
            headers.append(&name, &value)?;
        }
    }
    headers.set(VIA_HEADER, &headers::via(headers.get(VIA_HEADER)?.as_deref()))?;
    if status != 101 {
        for (name, value) in cors {
            headers.set(name, value)?;
        }
    }
    Ok(response.with_headers(headers))
}

fn unreachable(error: worker::Error) -> NodeFailure {
    NodeFailure::Unreachable(error.to_string())
}
