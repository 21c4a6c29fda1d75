//! The service: the whole behaviour of the contract, one request in and one
//! answer out, over storage and a node it reaches only through traits.
//!
//! [`Service::handle`] decides once where a request goes ([`routing`]): an
//! operation of the token API ([`tokens`]), a call for the node behind the
//! gateway ([`gateway`]), a preflight, one of the console's files
//! ([`files`]) or an error. It authenticates ([`auth`]), throttles failed
//! sign-ins, adds CORS headers and fills the log fields. Adapters implement
//! the traits ([`store::KeyValue`], [`store::Budgets`],
//! [`auth::SignInLimiter`], [`gateway::Node`], [`files::Files`],
//! [`http::BodySource`]) and carry the answer out; native tests do the same
//! over in-memory storage.

pub mod arguments;
pub mod auth;
pub mod budgets;
pub mod cleanup;
pub mod conditions;
pub mod cors;
pub mod credential;
pub mod delegate;
pub mod files;
pub mod gateway;
pub mod headers;
pub mod http;
pub mod log;
pub mod management;
pub mod paging;
pub mod records;
pub mod routing;
pub mod secret;
pub mod store;
pub mod tokens;
pub mod validate;

#[cfg(test)]
pub(crate) mod memory;
#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;

use crate::contract::error::ApiError;

use self::{
    auth::SignInLimiter,
    cors::AllowedOrigins,
    files::Files,
    gateway::Node,
    http::{ApiRequest, ApiResponse, BodySource, LogFields},
    routing::Target,
    store::{Budgets, KeyValue},
};

/// Deployment settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// The `API_TOKEN` secret, if configured.
    pub admin_token: Option<secret::AdminToken>,
    /// The `ALLOWED_ORIGINS` variable.
    pub allowed_origins: AllowedOrigins,
    /// True when the node gateway is on (`ORIGIN_URL` is set).
    pub gateway_enabled: bool,
    /// Where the node lets a session listen when the request does not say
    /// (the node's `defaultSessionListenHost`; `ORIGIN_SESSION_LISTEN_HOST`).
    pub session_listen_default: std::net::SocketAddr,
}

/// What the adapter sends back.
#[derive(Debug)]
pub enum Answer<A> {
    /// The service's own answer.
    Service(ApiResponse),
    /// The node's answer `A` to a forwarded call, with the log fields.
    Node(A, LogFields),
    /// One of the console's files, as the files answered (`A` too).
    File(A),
}

/// The service over key-value storage `K`, the budgets of delegation trees
/// `B` and a failed sign-in limiter `L`.
#[derive(Debug)]
pub struct Service<K, B, L> {
    kv: K,
    budgets: B,
    limiter: L,
    config: Config,
}

impl<K: KeyValue, B: Budgets, L: SignInLimiter> Service<K, B, L> {
    /// A service over `kv`, `budgets` and `limiter`, configured by `config`.
    pub fn new(kv: K, budgets: B, limiter: L, config: Config) -> Self {
        Service { kv, budgets, limiter, config }
    }

    /// The key-value store.
    pub fn kv(&self) -> &K {
        &self.kv
    }

    /// The budgets, for tests.
    pub fn budgets(&self) -> &B {
        &self.budgets
    }

    /// Answers `request` at time `now_ms` (milliseconds since the epoch:
    /// every promise in seconds is kept to the millisecond). Its body is
    /// read from `body` only by the routes that take one; calls for the node
    /// go to `node`; a path that neither knows is looked up in `files`.
    pub async fn handle<N: Node, F: Files<Answer = N::Answer>>(
        &self,
        request: &ApiRequest,
        body: impl BodySource,
        node: &N,
        files: &F,
        now_ms: u64,
    ) -> Answer<N::Answer> {
        let target = routing::resolve(&request.method, &request.path, self.config.gateway_enabled);
        let response = match target {
            Err(ApiError::RouteNotFound) => match files::serve(&request.method, files).await {
                Ok(file) => return Answer::File(file),
                Err(error) => ApiResponse::error(&error),
            },
            Err(error) => ApiResponse::error(&error),
            Ok(Target::Preflight) => ApiResponse::empty(204),
            Ok(Target::Api(operation, id)) => {
                self.serve(operation, id.as_deref(), request, body, now_ms).await
            }
            Ok(Target::Node(route)) => match self.call_node(route, request, body, node, now_ms).await {
                Ok((answer, log)) => return Answer::Node(answer, log),
                Err(response) => response,
            },
        };
        Answer::Service(self.finish(request, response, now_ms).await)
    }

    /// Every answer of the service's own: failed sign-ins are counted (and
    /// over the limit turned into 429), and CORS headers are added.
    async fn finish(&self, request: &ApiRequest, mut response: ApiResponse, now_ms: u64) -> ApiResponse {
        if response.failed_sign_in {
            if let Some(throttled) = self.throttle(request, now_ms).await {
                let log = response.log;
                response = ApiResponse::error(&throttled);
                response.log = log;
            }
        }
        response.headers.extend(self.cors_headers(request));
        response
    }

    /// The CORS headers for an answer to `request`.
    fn cors_headers(&self, request: &ApiRequest) -> Vec<(&'static str, String)> {
        self.config.allowed_origins.headers(request.origin.as_deref(), request.method == "OPTIONS")
    }
}
