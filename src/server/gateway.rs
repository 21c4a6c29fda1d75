//! The node gateway's forwarding: a call the service authorized goes to the
//! node at `ORIGIN_URL` with the caller's credentials replaced by
//! `ORIGIN_TOKEN`, and the node's answer streams back unchanged apart from
//! CORS. WebSocket upgrades are proxied the same way.

use std::{pin::pin, time::Duration};

use futures_util::future::{select, Either};
use worker::{
    AbortController, Delay, Env, Fetch, Headers, Method, Request, RequestInit, RequestRedirect, Response,
};

use crate::{error::ApiError, service::NodeCall};

/// How long the node may take to start answering, unless `ORIGIN_TIMEOUT_MS` says otherwise.
const DEFAULT_TIMEOUT_MS: u32 = 30_000;

/// Request headers the node never sees: the caller's credentials, and what
/// belongs to the hop between the caller and this Worker.
const DROPPED_HEADERS: &[&str] = &[
    "authorization",
    "x-auth-token",
    "cookie",
    "host",
    "keep-alive",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
];

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

    /// Forwards `request` for `call` and returns the node's answer with
    /// `cors` headers added, or why the node could not answer.
    pub async fn forward(
        &self,
        request: &Request,
        call: &NodeCall,
        cors: &[(&'static str, String)],
    ) -> Result<Response, ApiError> {
        let outgoing = self.outgoing(request, call).map_err(unreachable)?;
        let controller = AbortController::default();
        let signal = controller.signal();
        let fetch = Fetch::Request(outgoing);
        let answer = pin!(fetch.send_with_signal(&signal));
        let deadline = pin!(Delay::from(Duration::from_millis(u64::from(self.timeout_ms))));
        match select(answer, deadline).await {
            Either::Left((Ok(response), _)) => with_cors(response, cors).map_err(unreachable),
            Either::Left((Err(error), _)) => Err(unreachable(error)),
            Either::Right(_) => {
                controller.abort();
                Err(ApiError::NodeTimeout(self.timeout_ms))
            }
        }
    }

    /// The request for the node: same method, path, query and body, the
    /// caller's credentials replaced by the node's.
    fn outgoing(&self, request: &Request, call: &NodeCall) -> worker::Result<Request> {
        let mut target = format!("{}{}", self.base, request.path());
        if let Some(query) = forwarded_query(&request.inner().url(), call.route.websocket) {
            target.push('?');
            target.push_str(&query);
        }
        let headers = Headers::new();
        for (name, value) in request.headers().entries() {
            if !DROPPED_HEADERS.contains(&name.as_str()) && !name.starts_with("cf-") {
                headers.append(&name, &value)?;
            }
        }
        if let Some(token) = &self.token {
            headers.set("x-auth-token", token)?;
        }
        let mut init = RequestInit::new();
        init.with_method(request.method()).with_headers(headers).with_redirect(RequestRedirect::Manual);
        if !matches!(request.method(), Method::Get | Method::Head) {
            init.with_body(request.inner().body().map(Into::into));
        }
        Request::new_with_init(&target, &init)
    }
}

/// The query of `url` to forward, as it was sent. On WebSocket routes a
/// browser can only send its token in the query (`apiToken`), so that
/// parameter is taken out.
fn forwarded_query(url: &str, websocket: bool) -> Option<String> {
    let query = super::raw_query(url)?;
    if !websocket {
        return Some(query.to_string());
    }
    let kept: Vec<&str> = query.split('&').filter(|pair| !pair.starts_with("apiToken=")).collect();
    (!kept.is_empty()).then(|| kept.join("&"))
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

fn unreachable(error: worker::Error) -> ApiError {
    ApiError::NodeUnreachable(error.to_string())
}
