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

use std::cell::OnceCell;

use futures_util::StreamExt;
use serde::Serialize;
use worker::{
    event, js_sys,
    wasm_bindgen::{self, prelude::*},
    web_sys, Context, Env, Request, Response, Result,
};

use crate::{
    cors::AllowedOrigins,
    error::ApiError,
    model::to_json,
    route,
    secret::AdminToken,
    service::{ApiRequest, ApiResponse, Body, Config, NodeDecision, Service},
    validate::MAX_BODY_BYTES,
};

type WorkerService = Service<kv::WorkersKv, counter::DurableCounters>;

// One call each way instead of about twenty: the request's method, URL and
// the headers the service reads come out as one string, and the answer goes
// back in one call. Fields are separated by "\n" and a missing header is
// "\0": neither can occur in a method, a parsed URL or a header value.
// Answers repeat a handful of header sets (content type, CORS, challenge),
// so each set is parsed once and kept, up to 64 of them.
#[wasm_bindgen(inline_js = r#"
export function request_fields(request) {
  const h = request.headers;
  return [request.method, request.url, h.get("x-auth-token") ?? "\0", h.get("authorization") ?? "\0",
    h.get("origin") ?? "\0", h.get("upgrade") ?? "\0"].join("\n");
}
export function new_response(status, body, headers) {
  let init = responseHeaders.get(headers);
  if (init === undefined) {
    init = {};
    const parts = headers === "" ? [] : headers.split("\n");
    for (let i = 0; i + 1 < parts.length; i += 2) init[parts[i]] = parts[i + 1];
    if (responseHeaders.size < 64) responseHeaders.set(headers, init);
  }
  return new Response(body, { status, headers: init });
}
const responseHeaders = new Map();
"#)]
extern "C" {
    fn request_fields(request: &web_sys::Request) -> String;
    fn new_response(status: u16, body: Option<String>, headers: &str) -> web_sys::Response;
}

/// What the environment says, read once per isolate: secrets and variables
/// do not change during an isolate's life.
struct Settings {
    config: Config,
    origin: Option<gateway::Origin>,
}

thread_local! {
    static SETTINGS: OnceCell<&'static Settings> = const { OnceCell::new() };
}

fn settings(env: &Env) -> &'static Settings {
    SETTINGS.with(|cell| {
        *cell.get_or_init(|| {
            let origin = gateway::Origin::from_env(env);
            let config = config(env, origin.is_some());
            Box::leak(Box::new(Settings { config, origin }))
        })
    })
}

/// Works on the runtime's own request and response objects; `worker`'s
/// wrappers are built only on the paths that need them (a body to read, a
/// call to forward).
#[event(fetch)]
async fn fetch(request: web_sys::Request, env: Env, _ctx: Context) -> Result<web_sys::Response> {
    let started_ms = js_sys::Date::now();
    let now = (started_ms / 1000.0) as u64;
    let settings = settings(&env);
    let service =
        Service::new(kv::WorkersKv::new(&env), counter::DurableCounters::new(&env), settings.config.clone());
    let mut api_request = request_head(&request);
    let outcome = match &settings.origin {
        Some(origin) if is_node_path(&api_request) => {
            call_node(&service, origin, &Request::from(another_handle(&request)), &api_request, now).await
        }
        _ => {
            if api_request.method == "POST" {
                api_request.body = read_body(&mut Request::from(another_handle(&request))).await;
            }
            Err(service.handle(&api_request, now).await)
        }
    };
    let elapsed = || (js_sys::Date::now() - started_ms).max(0.0) as u64;
    match outcome {
        Ok((forwarded, operation, token_id)) => {
            log(&api_request, forwarded.status_code(), operation, token_id.as_deref(), None, elapsed());
            Ok(forwarded.into())
        }
        Err(mut response) => {
            if response.is_failed_sign_in() {
                let client_address = request.headers().get("cf-connecting-ip").ok().flatten();
                if over_failed_sign_in_limit(&env, client_address).await {
                    response = response.into_throttled();
                }
            }
            let (operation, token_id) = (response.operation, response.token_id.as_deref());
            log(&api_request, response.status, operation, token_id, response.cause.as_deref(), elapsed());
            Ok(into_web_response(response))
        }
    }
}

/// Another handle on the same JavaScript request. (`web_sys::Request::clone`
/// is JavaScript's `Request.clone()`, which would copy the body.)
fn another_handle(request: &web_sys::Request) -> web_sys::Request {
    <web_sys::Request as Clone>::clone(request)
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
        admin_token: env.secret("API_TOKEN").ok().map(|secret| AdminToken::new(&secret.to_string())),
        allowed_origins: AllowedOrigins::parse(
            env.var("ALLOWED_ORIGINS").ok().map(|v| v.to_string()).as_deref(),
        ),
        gateway_enabled,
    }
}

/// The request without its body, which is read only where it is needed.
fn request_head(request: &web_sys::Request) -> ApiRequest {
    let fields = request_fields(request);
    let mut fields = fields.split('\n');
    let mut next = || Some(fields.next().unwrap_or("\0")).filter(|field| *field != "\0");
    // The method as sent (worker's `Request::method` maps every method it
    // does not know, such as QUERY, to GET).
    let method = next().unwrap_or_default().to_string();
    let url = next().unwrap_or_default();
    let (x_auth_token, authorization, origin, upgrade) = (next(), next(), next(), next());
    ApiRequest {
        method,
        path: path_of(url),
        x_auth_token: x_auth_token.map(str::to_string).or_else(|| websocket_query_token(upgrade, url)),
        authorization: authorization.map(str::to_string),
        origin: origin.map(str::to_string),
        body: Body::Bytes(Vec::new()),
    }
}

/// The path of an absolute URL, without query string or fragment, as the
/// runtime gives it (already normalized and percent-encoded).
fn path_of(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let path = url[after_scheme..].find('/').map_or("/", |i| &url[after_scheme + i..]);
    path[..path.find(['?', '#']).unwrap_or(path.len())].to_string()
}

/// A browser cannot set headers on a WebSocket, so an upgrade request may
/// carry its token as `?apiToken=`, as the node accepts. The gateway takes it
/// out before forwarding.
fn websocket_query_token(upgrade: Option<&str>, url: &str) -> Option<String> {
    if !upgrade?.eq_ignore_ascii_case("websocket") {
        return None;
    }
    let value = raw_query(url)?.split('&').find_map(|pair| pair.strip_prefix("apiToken="))?;
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

fn into_web_response(response: ApiResponse) -> web_sys::Response {
    let mut headers = String::new();
    for (name, value) in &response.headers {
        if !headers.is_empty() {
            headers.push('\n');
        }
        headers.push_str(name);
        headers.push('\n');
        headers.push_str(value);
    }
    new_response(response.status, response.body, &headers)
}

/// The log line's fields, in the order earlier versions wrote them
/// (alphabetical), so that saved log queries keep working.
#[derive(Serialize)]
struct LogLine<'a> {
    cause: Option<&'a str>,
    duration_ms: u64,
    method: &'a str,
    operation: Option<&'a str>,
    path: std::borrow::Cow<'a, str>,
    status: u16,
    token_id: Option<&'a str>,
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
    let line = LogLine {
        cause,
        duration_ms,
        method: &request.method,
        operation,
        path: logged_path(&request.path),
        status,
        token_id,
    };
    web_sys::console::log_1(&JsValue::from_str(&to_json(&line)));
}

/// The path, with anything after `/tokens/` cut short: it is meant to be a
/// public id, but a confused client might put a secret there.
fn logged_path(path: &str) -> std::borrow::Cow<'_, str> {
    match path.split_once("/tokens/") {
        Some((head, id)) if id.len() > crate::secret::ID_LEN => {
            format!("{head}/tokens/{}…", &id[..4.min(id.len())]).into()
        }
        _ => path.into(),
    }
}
