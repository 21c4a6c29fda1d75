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
pub mod usage;

#[cfg(test)]
mod tests;

use std::cell::RefCell;

use crate::contract::{
    error::ApiError,
    routes::{Access, Operation},
};

use self::{
    auth::{Principal, SignInLimiter},
    context::{Config, Context},
    files::Files,
    gateway::Node,
    gateway::NodeAnswer,
    http::{ApiRequest, ApiResponse, BodySource, LogFields},
    routing::{NodeTarget, Target},
    store::{Budgets, KeyValue, TokenStore},
    usage::audit::{self, Done},
    usage::last_use::{self, Deferred, NotedUse},
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
    /// What the answers so far leave to do once they have left.
    deferred: RefCell<Deferred>,
}

impl<K: KeyValue, B: Budgets, L: SignInLimiter> Service<K, B, L> {
    /// A service over `kv`, `budgets` and `limiter`, configured by `config`.
    pub fn new(kv: K, budgets: B, limiter: L, config: Config) -> Self {
        Service { kv, budgets, limiter, config, deferred: RefCell::default() }
    }

    /// What the answers so far leave to do after they were sent (the
    /// Worker runs it with `ctx.waitUntil`); taken, so it is done once.
    pub fn take_deferred(&self) -> Deferred {
        self.deferred.take()
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
        self.answer(self.route(request), request, body, node, files, now_ms).await
    }

    /// Where `request` goes, from its method and path alone: an adapter
    /// that reads the request's headers only for a call for the node
    /// ([`ApiRequest::headers`]) asks this first, then [`Service::answer`].
    pub fn route(&self, request: &ApiRequest) -> Result<Target, ApiError> {
        routing::resolve(&request.method, &request.path, self.config.gateway_enabled)
    }

    /// Answers `request` as [`Service::handle`] does, where `route` (from
    /// [`Service::route`]) sends it.
    pub async fn answer<N: Node, F: Files>(
        &self,
        route: Result<Target, ApiError>,
        request: &ApiRequest,
        body: impl BodySource,
        node: &N,
        files: &F,
        now_ms: u64,
    ) -> Answer<N::Answer, F::Answer> {
        let response = match route {
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
        let access = operation.access();
        if access == Access::Public {
            return respond(tokens::document(operation, &self.config), log);
        }
        let (caller, allowed) = self.authorize(request, access, false, now_ms).await;
        caller_fields(&mut log, caller.as_ref());
        let reads_tokens = access == Access::Token;
        let drafted = caller
            .as_ref()
            .filter(|_| !reads_tokens)
            .and_then(|c| audit::draft(c, operation, request, now_ms));
        let budgets = audit::Drafting::new(&self.budgets, drafted);
        let outcome = match (&caller, allowed) {
            (Some(principal), Ok(())) => {
                let context = self.context(&budgets);
                let id = id.unwrap_or_default();
                tokens::serve(&context, operation, id, principal, request, body, now_ms).await
            }
            (_, Err(error)) => Err(error),
            (None, Ok(())) => Err(ApiError::AuthenticationFailed),
        };
        let mut response = respond(outcome, log);
        if let Some(caller) = &caller {
            self.forget_deleted_use(caller, operation, &response);
            if !budgets.recorded() {
                self.record_api_call(caller, request, &mut response, reads_tokens, now_ms).await;
            }
        }
        response
    }

    /// Drops the note of the caller's use when it deleted itself: the
    /// note's write would come after the delete and outlive the token.
    fn forget_deleted_use(&self, caller: &Principal, operation: Operation, response: &ApiResponse) {
        let Principal::Issued(record) = caller else { return };
        let deleted = response.subject.as_ref().and_then(|subject| subject.last());
        if operation == Operation::DeleteToken && deleted == Some(&record.id) {
            self.deferred.borrow_mut().uses.retain(|noted| noted.id != record.id);
        }
    }

    /// Records an API call by `caller` answered with `response`, if it
    /// leaves an event; a failure to record is the log line's cause.
    async fn record_api_call(
        &self,
        caller: &Principal,
        request: &ApiRequest,
        response: &mut ApiResponse,
        reads_tokens: bool,
        now_ms: u64,
    ) {
        let done = Done {
            caller,
            request,
            status: response.status,
            log: &response.log,
            subject: response.subject.as_deref(),
            node_call: false,
            reads_tokens,
            now_ms,
        };
        if let Err(cause) = self.record(&done).await {
            response.log.cause = Some(cause);
        }
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
        let caller = match route.access {
            Access::Public => None,
            access => {
                if let Access::Capability(capability) = access {
                    log.operation = Some(capability);
                }
                let (caller, allowed) = self.authorize(request, access, route.websocket, now_ms).await;
                caller_fields(&mut log, caller.as_ref());
                if let Err(error) = allowed {
                    let mut response = respond(Err(error), log);
                    self.record_node_call(
                        caller.as_ref(),
                        request,
                        response.status,
                        &mut response.log,
                        now_ms,
                    )
                    .await;
                    return Err(response);
                }
                caller
            }
        };
        let cors = self.cors_headers(request);
        // A node call's event waits for the node's answer: none to draft.
        let budgets = audit::Drafting::new(&self.budgets, None);
        let context = self.context(&budgets);
        let called =
            gateway::call(&context, target, caller.as_ref(), request, body, node, &cors, &mut log).await;
        match called {
            Ok(answer) => {
                self.record_node_call(caller.as_ref(), request, answer.status(), &mut log, now_ms).await;
                Ok((answer, log))
            }
            Err(error) => {
                let mut response = respond(Err(error), log);
                self.record_node_call(caller.as_ref(), request, response.status, &mut response.log, now_ms)
                    .await;
                Err(response)
            }
        }
    }

    /// Records a node call by `caller` answered `status`, if it leaves an
    /// event; a failure to record is the log line's cause.
    async fn record_node_call(
        &self,
        caller: Option<&Principal>,
        request: &ApiRequest,
        status: u16,
        log: &mut LogFields,
        now_ms: u64,
    ) {
        let Some(caller) = caller else { return };
        let done = Done {
            caller,
            request,
            status,
            log,
            subject: None,
            node_call: true,
            reads_tokens: false,
            now_ms,
        };
        if let Err(cause) = self.record(&done).await {
            log.cause = Some(cause);
        }
    }

    /// Writes the event `done` leaves, if any, to its tree's trail before
    /// the answer leaves. A failure is returned as the log line's cause;
    /// the answer stands, since what it reports has happened.
    async fn record(&self, done: &Done<'_>) -> Result<(), String> {
        let Some((tree, event)) = audit::event(done) else { return Ok(()) };
        self.budgets.record(&tree, &event).await.map_err(|error| format!("audit trail: {error}"))
    }

    /// Authenticates the caller of a route that needs `access` once (taking
    /// its token from the query only on a WebSocket route), then checks its
    /// capability. The caller comes back as soon as it is known, for the
    /// log line and the audit trail, whether or not it may go on; its use is
    /// noted for `last_used_at`.
    async fn authorize(
        &self,
        request: &ApiRequest,
        access: Access,
        websocket_route: bool,
        now_ms: u64,
    ) -> (Option<Principal>, Result<(), ApiError>) {
        let admin = self.config.admin_token.as_ref();
        let caller = match auth::authenticate(&self.tokens(), admin, request, websocket_route, now_ms).await {
            Ok(caller) => caller,
            Err(error) => return (None, Err(error)),
        };
        if let Principal::Issued(record) = &caller.principal {
            if last_use::due(&record.id, now_ms / 1000) {
                let noted =
                    NotedUse { id: record.id.clone(), secs: now_ms / 1000, valid_until: record.valid_until };
                self.deferred.borrow_mut().uses.push(noted);
            }
        }
        let allowed = match access {
            Access::Capability(endpoint) => caller.may_call(endpoint),
            Access::Public | Access::Token => Ok(()),
        };
        (Some(caller.principal), allowed)
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

    /// What an operation works with, over `budgets` (the service's, as one
    /// request drafts its event on them: one type for every route, so that
    /// the code over budgets is compiled once).
    fn context<'a>(&'a self, budgets: &'a audit::Drafting<'a, B>) -> Context<'a, K, audit::Drafting<'a, B>> {
        Context { tokens: self.tokens(), budgets, config: &self.config }
    }
}

/// The answer of `outcome`, with `log` (and an error's cause and reason) for
/// the log line.
fn respond(outcome: Result<ApiResponse, ApiError>, log: LogFields) -> ApiResponse {
    let mut response = outcome.unwrap_or_else(|error| ApiResponse::error(&error));
    response.log = LogFields { cause: response.log.cause.take(), reason: response.log.reason, ..log };
    response
}

/// The log fields of an authenticated `caller`: its id and who acted.
fn caller_fields(log: &mut LogFields, caller: Option<&Principal>) {
    if let Some(caller) = caller {
        log.token_id = caller.id();
        log.actor = Some(audit::actor(caller));
    }
}
