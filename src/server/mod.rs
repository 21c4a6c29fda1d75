//! The Cloudflare Worker adapter: it fills an [`ApiRequest`] from the
//! runtime's request, lets the [`Service`] answer over Workers KV, the
//! [`tree::TokenTree`] Durable Objects, the rate limiter, the node and the
//! console's files, sends the answer back and logs one line per request.
//! Every decision is the service's; this module only carries it out.
//!
//! Bindings: `TOKENS` (KV), `TOKEN_TREES` (Durable Object namespace of
//! `TokenTree`), `ASSETS` (the console's files), the `API_TOKEN` secret, the
//! `ALLOWED_ORIGINS` variable, the `SIGNIN_LIMITER` rate limiter, and for the
//! node gateway `ORIGIN_URL`, `ORIGIN_TOKEN`, `ORIGIN_TIMEOUT_MS` and
//! `ORIGIN_SESSION_LISTEN_HOST`. A missing binding does not stop the Worker:
//! each request that needs it gets `503 UNAVAILABLE` (without `ASSETS`,
//! there are no files: `404`).

mod body;
mod events;
mod files;
mod forward;
mod js;
mod kv;
mod slots;
mod sql;
mod task;
mod tree;

use std::{
    cell::{OnceCell, RefCell},
    net::{IpAddr, SocketAddr},
};

use worker::{
    js_sys,
    wasm_bindgen::{self, prelude::wasm_bindgen, JsValue},
    web_sys, worker_sys, Context, Env,
};

use crate::service::{
    auth::SignInLimiter,
    context::Config,
    cors::AllowedOrigins,
    http::{ApiRequest, ApiResponse, LogFields},
    log,
    routing::Target,
    secret::AdminToken,
    store::TokenStore,
    usage::last_use,
    Answer, Service,
};

/// What the environment says, read once per isolate: secrets and variables
/// do not change during an isolate's life.
struct Settings {
    config: Config,
    origin: Option<forward::Origin>,
}

thread_local! {
    static SETTINGS: OnceCell<&'static Settings> = const { OnceCell::new() };
    static HEADER_SETS: RefCell<js::HeaderSets> = RefCell::default();
}

fn settings(env: &Env) -> &'static Settings {
    SETTINGS.with(|cell| {
        *cell.get_or_init(|| {
            let origin = forward::Origin::from_env(env);
            let config = config(env, origin.is_some());
            Box::leak(Box::new(Settings { config, origin }))
        })
    })
}

fn config(env: &Env, gateway_enabled: bool) -> Config {
    Config {
        admin_token: env.secret("API_TOKEN").ok().map(|secret| AdminToken::new(&secret.to_string())),
        allowed_origins: AllowedOrigins::parse(
            env.var("ALLOWED_ORIGINS").ok().map(|v| v.to_string()).as_deref(),
        ),
        gateway_enabled,
        origin_token: env.secret("ORIGIN_TOKEN").ok().map(|token| token.to_string()),
        session_listen_default: session_listen_default(
            env.var("ORIGIN_SESSION_LISTEN_HOST").ok().map(|v| v.to_string()),
        ),
    }
}

/// The node's default session listen host, read as the node reads
/// `HOPRD_DEFAULT_SESSION_LISTEN_HOST` (an address, with or without a port);
/// unset, the node's own default, `127.0.0.1:0`. A value that is no address
/// is taken as every interface, so that no session listens beyond loopback
/// on a guess.
fn session_listen_default(configured: Option<String>) -> SocketAddr {
    let node_default = SocketAddr::from(([127, 0, 0, 1], 0));
    let Some(configured) = configured.filter(|value| !value.trim().is_empty()) else { return node_default };
    let configured = configured.trim();
    configured
        .parse::<SocketAddr>()
        .or_else(|_| configured.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 0)))
        .unwrap_or(SocketAddr::from(([0, 0, 0, 0], 0)))
}

/// The Worker's fetch handler, as `#[event(fetch)]` would export it, but
/// run as a [`task`]: its `Response`, or a promise of it.
#[wasm_bindgen]
pub fn fetch(request: web_sys::Request, env: Env, ctx: worker_sys::Context) -> JsValue {
    task::run(async move { answer(request, env, Context::new(ctx)).await.into() })
}

/// Works on the runtime's own request and response objects; `worker`'s
/// wrappers are built only on the paths that need them (a body to read, a
/// call to forward). What the answer leaves to do (noting a token's last
/// use) runs after it has left, with `ctx.waitUntil`.
async fn answer(request: web_sys::Request, env: Env, ctx: Context) -> web_sys::Response {
    let started_ms = js_sys::Date::now();
    let settings = settings(&env);
    let service = Service::new(
        kv::WorkersKv::new(&env),
        tree::DurableBudgets::new(&env),
        RateLimiter(&env),
        settings.config.clone(),
    );
    let mut api_request = request_head(&request);
    let route = service.route(&api_request);
    // Only a call for the node passes headers on, and only a node route
    // asks whether the request is a WebSocket upgrade: the others need only
    // those the head holds.
    if matches!(route, Ok(Target::Node(_))) {
        api_request.set_forwardable_headers(forward::forwardable_headers(&request));
    }
    let body = body::RequestBody::new(&request);
    let node = forward::Gateway::new(settings.origin.as_ref(), &request);
    let files = files::Assets::new(&env, &request);
    let answer = service.answer(route, &api_request, &body, &node, &files, started_ms as u64).await;
    body.discard_unread().await;
    let deferred = service.take_deferred();
    if !deferred.uses.is_empty() {
        let kv = service.kv().clone();
        let later = task::run(async move {
            last_use::write(&TokenStore::new(&kv), deferred).await;
            JsValue::UNDEFINED
        });
        js::wait_until(ctx.as_ref(), &later);
    }
    let (response, status, log_fields) = match answer {
        Answer::Service(response) => {
            let status = response.status;
            let log = response.log.clone();
            (into_web_response(response), status, log)
        }
        Answer::Node(response, log) => {
            let status = response.status();
            (response, status, log)
        }
        Answer::File(response) => {
            let status = response.status();
            (response, status, LogFields::default())
        }
    };
    let elapsed_ms = (js_sys::Date::now() - started_ms).max(0.0) as u64;
    let kv_ops = service.kv().operations();
    js::log_line(&log::line(&api_request, status, &log_fields, elapsed_ms, kv_ops));
    response
}

/// The request's head without the headers a node call passes on (read only
/// for those, with `upgrade`, which only a node route reads) and without
/// its body (read only where it is needed).
fn request_head(request: &web_sys::Request) -> ApiRequest {
    let fields = js::request_fields(request);
    let mut fields = fields.split('\n');
    let mut next = || Some(fields.next().unwrap_or("\0")).filter(|field| *field != "\0").map(str::to_string);
    // The method as sent (worker's `Request::method` maps every method it
    // does not know, such as QUERY, to GET).
    let method = next().unwrap_or_default();
    let url = next().unwrap_or_default();
    let (x_auth_token, authorization, origin, client_address) = (next(), next(), next(), next());
    ApiRequest { x_auth_token, authorization, origin, client_address, ..ApiRequest::new(&method, &url) }
}

fn into_web_response(response: ApiResponse) -> web_sys::Response {
    let headers = js::header_text(response.headers.iter().map(|(name, value)| (*name, value.as_str())));
    // A kept set crosses as its number; a new one, or one past the kept, as text too.
    let numbered = HEADER_SETS.with(|sets| sets.borrow().number(&headers));
    let (set, text) = match numbered {
        Some((set, new)) => (Some(set), new.then_some(headers.as_str())),
        None => (None, Some(headers.as_str())),
    };
    let answer = js::new_response(response.status, response.body.as_deref(), set, text);
    // Only once JavaScript has kept it: a set that it threw on is sent again.
    if let Some((_, true)) = numbered {
        HEADER_SETS.with(|sets| sets.borrow_mut().keep(headers));
    }
    answer
}

/// The `SIGNIN_LIMITER` rate-limiting binding. Without it nothing is throttled.
struct RateLimiter<'a>(&'a Env);

impl SignInLimiter for RateLimiter<'_> {
    async fn over_limit_after_failure(&self, request: &ApiRequest) -> bool {
        let Ok(limiter) = self.0.rate_limiter("SIGNIN_LIMITER") else { return false };
        let key = request.client_address.clone().unwrap_or_else(|| "unknown".to_string());
        limiter.limit(key).await.is_ok_and(|outcome| !outcome.success)
    }
}
