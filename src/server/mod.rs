//! The Cloudflare Worker: turns a Workers request into an
//! [`ApiRequest`], lets the [`Service`] answer it over Workers KV and the
//! [`TokenCounter`] Durable Objects, and logs one line per request.
//!
//! Bindings: `TOKENS` (KV), `TOKEN_COUNTERS` (Durable Object namespace of
//! [`TokenCounter`]), the `API_TOKEN` secret and the `ALLOWED_ORIGINS`
//! variable. A missing binding does not stop the Worker: each request that
//! needs it gets `503 UNAVAILABLE`.

mod counter;
mod kv;

use futures_util::StreamExt;
use worker::{event, Context, Date, Env, Headers, Request, Response, Result};

use crate::{
    cors::AllowedOrigins,
    service::{ApiRequest, ApiResponse, Body, Config, Service},
    validate::MAX_BODY_BYTES,
};

#[event(fetch)]
async fn fetch(request: Request, env: Env, _ctx: Context) -> Result<Response> {
    let started_ms = Date::now().as_millis();
    let service = Service::new(kv::WorkersKv::new(&env), counter::DurableCounters::new(&env), config(&env));
    let client_address = request.headers().get("cf-connecting-ip").ok().flatten();
    let request = read_request(request).await;
    let mut response = service.handle(&request, started_ms / 1000).await;
    if response.is_failed_sign_in() && over_failed_sign_in_limit(&env, client_address).await {
        response = response.into_throttled();
    }
    log(&request, &response, Date::now().as_millis().saturating_sub(started_ms));
    into_worker_response(response)
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

fn config(env: &Env) -> Config {
    Config {
        admin_token: env.secret("API_TOKEN").ok().map(|secret| secret.to_string()),
        allowed_origins: AllowedOrigins::parse(
            env.var("ALLOWED_ORIGINS").ok().map(|v| v.to_string()).as_deref(),
        ),
    }
}

async fn read_request(mut request: Request) -> ApiRequest {
    let header = |name: &str| request.headers().get(name).ok().flatten();
    let mut api_request = ApiRequest {
        // The method as sent: worker's `Request::method` maps every method it
        // does not know (such as QUERY) to GET.
        method: request.inner().method(),
        path: request.path(),
        x_auth_token: header("x-auth-token"),
        authorization: header("authorization"),
        origin: header("origin"),
        body: Body::Bytes(Vec::new()),
    };
    if api_request.method == "POST" {
        api_request.body = read_body(&mut request).await;
    }
    api_request
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
/// credentials are not part of it, only the caller's public token id.
fn log(request: &ApiRequest, response: &ApiResponse, duration_ms: u64) {
    let line = serde_json::json!({
        "method": request.method,
        "path": logged_path(&request.path),
        "operation": response.operation,
        "status": response.status,
        "token_id": response.token_id,
        "duration_ms": duration_ms,
        "cause": response.cause,
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
