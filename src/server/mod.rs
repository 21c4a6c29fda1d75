//! The Cloudflare Worker: turns a Workers request into an
//! [`ApiRequest`], lets the [`Service`] answer it over Workers KV and the
//! [`TokenCounter`] Durable Objects, and logs one line per request.
//!
//! Bindings: `TOKENS` (KV), `TOKEN_COUNTERS` (Durable Object namespace of
//! [`TokenCounter`]), the `API_TOKEN` secret, the `ALLOWED_ORIGINS`
//! variable, the `SIGNIN_LIMITER` rate limiter, and for the node gateway
//! `ORIGIN_URL`, `ORIGIN_TOKEN` and `ORIGIN_TIMEOUT_MS`. A missing binding
//! does not stop the Worker: each request that needs it gets
//! `503 UNAVAILABLE`.

mod counter;
mod gateway;
mod kv;

use futures_util::StreamExt;
use worker::{event, Context, Date, Env, Headers, Request, Response, Result};

use crate::{
    cors::AllowedOrigins,
    error::ApiError,
    route,
    service::{ApiRequest, ApiResponse, Body, Config, NodeDecision, Service},
    validate::MAX_BODY_BYTES,
};

type WorkerService = Service<kv::WorkersKv, counter::DurableCounters>;

#[event(fetch)]
async fn fetch(mut request: Request, env: Env, _ctx: Context) -> Result<Response> {
    let started_ms = Date::now().as_millis();
    let origin = gateway::Origin::from_env(&env);
    let config = config(&env, origin.is_some());
    let service = Service::new(kv::WorkersKv::new(&env), counter::DurableCounters::new(&env), config);
    let mut api_request = request_head(&request);
    let outcome = match origin {
        Some(origin) if is_node_path(&api_request) => {
            call_node(&service, &origin, &request, &api_request, started_ms / 1000).await
        }
        _ => {
            if api_request.method == "POST" {
                api_request.body = read_body(&mut request).await;
            }
            Err(service.handle(&api_request, started_ms / 1000).await)
        }
    };
    let elapsed = || Date::now().as_millis().saturating_sub(started_ms);
    match outcome {
        Ok((forwarded, operation, token_id)) => {
            log(&api_request, forwarded.status_code(), operation, token_id.as_deref(), None, elapsed());
            Ok(forwarded)
        }
        Err(mut response) => {
            let client_address = request.headers().get("cf-connecting-ip").ok().flatten();
            if response.is_failed_sign_in() && over_failed_sign_in_limit(&env, client_address).await {
                response = response.into_throttled();
            }
            let (operation, token_id) = (response.operation, response.token_id.as_deref());
            log(&api_request, response.status, operation, token_id, response.cause.as_deref(), elapsed());
            into_worker_response(response)
        }
    }
}

/// A path that is not edge-tokens' own goes to the gateway, when there is one.
fn is_node_path(request: &ApiRequest) -> bool {
    matches!(route::route(&request.method, &request.path), Err(ApiError::RouteNotFound))
}

/// Forwards an authorized node call: `Ok` with the node's answer and the log
/// fields, or `Err` with the service's own answer.
async fn call_node(
    service: &WorkerService,
    origin: &gateway::Origin,
    request: &Request,
    api_request: &ApiRequest,
    now: u64,
) -> std::result::Result<(Response, Option<&'static str>, Option<String>), ApiResponse> {
    let call = match service.route_node_call(api_request, now).await {
        NodeDecision::Respond(response) => return Err(response),
        NodeDecision::Forward(call) => call,
    };
    match origin.forward(request, &call, &service.cors_headers(api_request)).await {
        Ok(response) => Ok((response, call.operation(), call.token_id)),
        Err(error) => Err(service.fail(api_request, error, &call)),
    }
}

/// Counts one failed sign-in of `client_address` with the `SIGNIN_LIMITER`
/// rate limiter; true once the address is over its limit. Requests with valid
/// credentials never reach the limiter, so they are not slowed. Without the
/// binding nothing is throttled.
async fn over_failed_sign_in_limit(env: &Env, client_address: Option<String>) -> bool {
    let Ok(limiter) = env.rate_limiter("SIGNIN_LIMITER") else { return false };
    let key = client_address.unwrap_or_else(|| "unknown".to_string());
    limiter.limit(key).await.is_ok_and(|outcome| !outcome.success)
}

fn config(env: &Env, gateway_enabled: bool) -> Config {
    Config {
        admin_token: env.secret("API_TOKEN").ok().map(|secret| secret.to_string()),
        allowed_origins: AllowedOrigins::parse(
            env.var("ALLOWED_ORIGINS").ok().map(|v| v.to_string()).as_deref(),
        ),
        gateway_enabled,
    }
}

/// The request without its body, which is read only where it is needed.
fn request_head(request: &Request) -> ApiRequest {
    let header = |name: &str| request.headers().get(name).ok().flatten();
    ApiRequest {
        // The method as sent: worker's `Request::method` maps every method it
        // does not know (such as QUERY) to GET.
        method: request.inner().method(),
        path: request.path(),
        x_auth_token: header("x-auth-token").or_else(|| websocket_query_token(request)),
        authorization: header("authorization"),
        origin: header("origin"),
        body: Body::Bytes(Vec::new()),
    }
}

/// A browser cannot set headers on a WebSocket, so an upgrade request may
/// carry its token as `?apiToken=`, as the node accepts. The gateway takes it
/// out before forwarding.
fn websocket_query_token(request: &Request) -> Option<String> {
    let upgrade = request.headers().get("upgrade").ok().flatten()?;
    if !upgrade.eq_ignore_ascii_case("websocket") {
        return None;
    }
    let url = request.inner().url();
    let value = raw_query(&url)?.split('&').find_map(|pair| pair.strip_prefix("apiToken="))?;
    worker::js_sys::decode_uri_component(value).ok().map(String::from)
}

/// The query of a URL string, without parsing the rest: the `url` crate's
/// parser would bring in its Unicode tables (about 150 KiB of wasm).
fn raw_query(url: &str) -> Option<&str> {
    let without_fragment = url.split('#').next()?;
    without_fragment.split_once('?').map(|(_, query)| query).filter(|query| !query.is_empty())
}

/// Reads at most [`MAX_BODY_BYTES`], stopping as soon as the body is known
/// to be larger. A body that fails to read counts as empty, which the
/// validator refuses with 400.
async fn read_body(request: &mut Request) -> Body {
    let declared = request.headers().get("content-length").ok().flatten();
    if declared.and_then(|len| len.trim().parse::<usize>().ok()).is_some_and(|len| len > MAX_BODY_BYTES) {
        return Body::TooLarge;
    }
    let Ok(mut stream) = request.stream() else { return Body::Bytes(Vec::new()) };
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else { return Body::Bytes(Vec::new()) };
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Body::TooLarge;
        }
        body.extend_from_slice(&chunk);
    }
    Body::Bytes(body)
}

fn into_worker_response(response: ApiResponse) -> Result<Response> {
    let headers = Headers::new();
    for (name, value) in &response.headers {
        headers.set(name, value)?;
    }
    let body = match response.body {
        Some(body) => Response::from_bytes(body.into_bytes())?,
        None => Response::empty()?,
    };
    Ok(body.with_status(response.status).with_headers(headers))
}

/// One JSON line per request. It never holds a secret: the request's
/// credentials and query are not part of it, only the caller's public token id.
fn log(
    request: &ApiRequest,
    status: u16,
    operation: Option<&str>,
    token_id: Option<&str>,
    cause: Option<&str>,
    duration_ms: u64,
) {
    let line = serde_json::json!({
        "method": request.method,
        "path": logged_path(&request.path),
        "operation": operation,
        "status": status,
        "token_id": token_id,
        "duration_ms": duration_ms,
        "cause": cause,
    });
    worker::console_log!("{line}");
}

/// The path, with anything after `/tokens/` cut short: it is meant to be a
/// public id, but a confused client might put a secret there.
fn logged_path(path: &str) -> String {
    match path.split_once("/tokens/") {
        Some((head, id)) if id.len() > crate::secret::ID_LEN => {
            format!("{head}/tokens/{}…", &id[..4.min(id.len())])
        }
        _ => path.to_string(),
    }
}
