//! The service: the whole behaviour of the contract, one request in and one
//! answer out, over storage and a node it reaches only through traits.
//!
//! [`Service::handle`] decides once where a request goes ([`routing`]): an
//! operation of the token API ([`tokens`]), a call for the node behind the
//! gateway ([`gateway`]), a preflight, one of the console's files
//! ([`files`]) or an error. It authenticates the caller once ([`auth`]),
//! leaves counting to [`charge`], throttles failed sign-ins, adds CORS
//! headers and fills the log fields. The shared core sits at this level:
//! HTTP as the service sees it, storage, records, secrets, credentials and
//! the values conditions are about; what a tree's Durable Object decides is
//! in [`tree`]. Adapters implement the traits ([`store::KeyValue`],
//! [`store::Budgets`], [`auth::SignInLimiter`], [`gateway::Node`],
//! [`files::Files`], [`http::BodySource`]) and carry the answer out; native
//! tests do the same over in-memory storage.

pub mod auth;
pub mod charge;
pub mod conditions;
pub mod context;
pub mod cors;
pub mod credential;
pub mod files;
pub mod gateway;
pub mod http;
pub mod log;
pub mod records;
pub mod routing;
pub mod secret;
pub mod store;
pub mod tokens;
pub mod tree;

#[cfg(test)]
mod tests;

use crate::contract::{
    error::ApiError,
    routes::{Access, Operation},
};

use self::{
    auth::{Principal, SignInLimiter},
    context::{Config, Context},
    files::Files,
    gateway::Node,
    http::{ApiRequest, ApiResponse, BodySource, LogFields},
    routing::{NodeTarget, Target},
    store::{Budgets, KeyValue, TokenStore},
};

/// What the adapter sends back.
#[derive(Debug)]
pub enum Answer<N, F> {
    /// The service's own answer.
    Service(ApiResponse),
    /// The node's answer `N` to a forwarded call, with the log fields.
    Node(N, LogFields),
    /// One of the console's files, as the files answered (`F`).
    File(F),
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
    pub async fn handle<N: Node, F: Files>(
        &self,
        request: &ApiRequest,
        body: impl BodySource,
        node: &N,
        files: &F,
        now_ms: u64,
    ) -> Answer<N::Answer, F::Answer> {
        let response = match routing::resolve(&request.method, &request.path, self.config.gateway_enabled) {
            Err(ApiError::RouteNotFound) => match files::serve(&request.method, files).await {
                Ok(file) => return Answer::File(file),
                Err(error) => ApiResponse::error(&error),
            },
            Err(error) => ApiResponse::error(&error),
            Ok(Target::Preflight) => ApiResponse::empty(204),
            Ok(Target::Api(operation, id)) => {
                self.serve_api(operation, id.as_deref(), request, body, now_ms).await
            }
            Ok(Target::Node(target)) => match self.serve_node(&target, request, body, node, now_ms).await {
                Ok((answer, log)) => return Answer::Node(answer, log),
                Err(response) => response,
            },
        };
        Answer::Service(self.finish(request, response, now_ms).await)
    }

    /// An operation of the API (with the `{id}` of its path, if any): the
    /// documents for anyone, the rest once authorized.
    async fn serve_api(
        &self,
        operation: Operation,
        id: Option<&str>,
        request: &ApiRequest,
        body: impl BodySource,
        now_ms: u64,
    ) -> ApiResponse {
        let mut log = LogFields { operation: Some(operation.id()), ..LogFields::default() };
        let outcome = match operation.access() {
            Access::Public => tokens::document(operation, &self.config),
            access => {
                let (token_id, principal) = self.authorize(request, access, false, now_ms).await;
                log.token_id = token_id;
                match principal {
                    Ok(principal) => {
                        let id = id.unwrap_or_default();
                        tokens::serve(&self.context(), operation, id, &principal, request, body, now_ms).await
                    }
                    Err(error) => Err(error),
                }
            }
        };
        respond(outcome, log)
    }

    /// A call for the node: forwarded once authorized (a public route needs
    /// nobody), with the node's answer and the log fields; or the service's
    /// own answer.
    async fn serve_node<N: Node>(
        &self,
        target: &NodeTarget,
        request: &ApiRequest,
        body: impl BodySource,
        node: &N,
        now_ms: u64,
    ) -> Result<(N::Answer, LogFields), ApiResponse> {
        let route = target.route;
        let mut log = LogFields::default();
        let principal = match route.access {
            Access::Public => None,
            access => {
                if let Access::Capability(capability) = access {
                    log.operation = Some(capability);
                }
                let (token_id, principal) = self.authorize(request, access, route.websocket, now_ms).await;
                log.token_id = token_id;
                Some(principal.map_err(|error| respond(Err(error), log.clone()))?)
            }
        };
        let cors = self.cors_headers(request);
        let context = self.context();
        match gateway::call(&context, target, principal.as_ref(), request, body, node, &cors).await {
            Ok(answer) => Ok((answer, log)),
            Err(error) => Err(respond(Err(error), log)),
        }
    }

    /// Authenticates the caller of a route that needs `access` once (taking
    /// its token from the query only on a WebSocket route), then checks its
    /// capability. The caller's public id comes back as soon as it is known,
    /// for the log line, whether or not it may go on.
    async fn authorize(
        &self,
        request: &ApiRequest,
        access: Access,
        websocket_route: bool,
        now_ms: u64,
    ) -> (Option<String>, Result<Principal, ApiError>) {
        let admin = self.config.admin_token.as_ref();
        let caller = match auth::authenticate(&self.tokens(), admin, request, websocket_route, now_ms).await {
            Ok(caller) => caller,
            Err(error) => return (None, Err(error)),
        };
        let token_id = caller.principal.id();
        let principal = match access {
            Access::Capability(endpoint) => caller.may_call(endpoint),
            Access::Public | Access::Token => Ok(caller.principal),
        };
        (token_id, principal)
    }

    /// Every answer of the service's own: failed sign-ins are counted (and
    /// over the limit turned into 429), and CORS headers are added.
    async fn finish(&self, request: &ApiRequest, mut response: ApiResponse, now_ms: u64) -> ApiResponse {
        if response.failed_sign_in {
            if let Some(throttled) = auth::throttle(&self.limiter, &self.tokens(), request, now_ms).await {
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

    fn tokens(&self) -> TokenStore<'_, K> {
        TokenStore::new(&self.kv)
    }

    fn context(&self) -> Context<'_, K, B> {
        Context { tokens: self.tokens(), budgets: &self.budgets, config: &self.config }
    }
}

/// The answer of `outcome`, with `log` (and an error's cause) for the log line.
fn respond(outcome: Result<ApiResponse, ApiError>, log: LogFields) -> ApiResponse {
    let mut response = outcome.unwrap_or_else(|error| ApiResponse::error(&error));
    response.log = LogFields { cause: response.log.cause.take(), ..log };
    response
}
