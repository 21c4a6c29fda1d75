//! Carries out the gateway's [`NodeCall`]s: each goes to the node at
//! `ORIGIN_URL` exactly as the service decided it (method, path, query,
//! headers, body), within `ORIGIN_TIMEOUT_MS`, redirects not followed; the
//! node's answer streams back with the headers the service decides
//! ([`NodeAnswer`]). WebSocket upgrades go the same way.

use std::{pin::pin, time::Duration};

use futures_util::future::{select, Either};
use worker::{
    js_sys::Uint8Array, web_sys, AbortController, Delay, Env, Fetch, Headers, Method, Request, RequestInit,
    RequestRedirect, Response,
};

use crate::service::gateway::{Node, NodeAnswer, NodeBody, NodeCall, NodeFailure};

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
    type Answer = Response;

    async fn forward(&self, call: &NodeCall) -> Result<Response, NodeFailure> {
        // The service routes to the node only when the gateway is on.
        let origin = self.origin.ok_or_else(|| NodeFailure::Unreachable("no node is configured".into()))?;
        let outgoing = outgoing(origin, self.request, call).map_err(unreachable)?;
        let controller = AbortController::default();
        let signal = controller.signal();
        let fetch = Fetch::Request(outgoing);
        let answer = pin!(fetch.send_with_signal(&signal));
        let deadline = pin!(Delay::from(Duration::from_millis(u64::from(origin.timeout_ms))));
        match select(answer, deadline).await {
            Either::Left((answer, _)) => answer.map_err(unreachable),
            Either::Right(_) => {
                controller.abort();
                Err(NodeFailure::TimedOut(origin.timeout_ms))
            }
        }
    }
}

/// The request for the node, as `call` says.
fn outgoing(origin: &Origin, incoming: &web_sys::Request, call: &NodeCall) -> worker::Result<Request> {
    let mut target = format!("{}{}", origin.base, call.path);
    if let Some(query) = &call.query {
        target.push('?');
        target.push_str(query);
    }
    let headers = Headers::new();
    for (name, value) in &call.headers {
        headers.append(name, value)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::from(call.method.clone()))
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual);
    init.with_body(match &call.body {
        NodeBody::Read(bytes) => Some(Uint8Array::from(bytes.as_slice()).into()),
        NodeBody::Streamed => incoming.body().map(Into::into),
        NodeBody::Empty => None,
    });
    Request::new_with_init(&target, &init)
}

impl NodeAnswer for Response {
    fn status(&self) -> u16 {
        self.status_code()
    }

    fn headers(&self) -> Vec<(String, String)> {
        Response::headers(self).entries().collect()
    }

    fn with_headers(self, headers: Vec<(String, String)>) -> Result<Response, String> {
        let replaced = Headers::new();
        for (name, value) in &headers {
            replaced.append(name, value).map_err(|error| error.to_string())?;
        }
        Ok(Response::with_headers(self, replaced))
    }
}

fn unreachable(error: worker::Error) -> NodeFailure {
    NodeFailure::Unreachable(error.to_string())
}
