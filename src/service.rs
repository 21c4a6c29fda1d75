//! The token service: one request in, one response out, over any storage.
//!
//! This is the whole behaviour of the contract (routing, authentication,
//! authorization, `calls` limits, validation, delegation, create, read and
//! delete) with no knowledge of the runtime. The Worker converts its
//! request into an [`ApiRequest`], calls [`Service::handle`] and sends the
//! [`ApiResponse`] back; native tests do the same over in-memory storage.

use crate::{
    catalogue::{TOKENS_CREATE, TOKENS_DELETE, TOKENS_GET_TOKEN},
    cors::AllowedOrigins,
    credential,
    delegate::{self, Creator},
    error::ApiError,
    gateway::{self, Access, GatewayInfo, NodeRoute},
    model::{to_json, CreatedToken, TokenRecord},
    openapi,
    route::{route, Route},
    secret,
    store::{CallCounter, KeyValue, StoreError, TokenStore},
    usage::{Call, ChargeRequest, UsedCalls},
    validate,
};

/// The shortest admin token accepted.
pub const MIN_ADMIN_TOKEN_LEN: usize = 8;

/// The `WWW-Authenticate` challenge sent with every 401.
pub const CHALLENGE: &str = "Bearer realm=\"edge-tokens\"";

/// Deployment settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// The `API_TOKEN` secret, if configured.
    pub admin_token: Option<secret::AdminToken>,
    /// The `ALLOWED_ORIGINS` variable.
    pub allowed_origins: AllowedOrigins,
    /// True when the node gateway is on (`ORIGIN_URL` is set).
    pub gateway_enabled: bool,
}

/// A request body as the runtime read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// The bytes of a body no larger than [`validate::MAX_BODY_BYTES`].
    Bytes(Vec<u8>),
    /// A body larger than that; the rest was not read.
    TooLarge,
}

/// What the service needs of an HTTP request.
#[derive(Clone, Debug)]
pub struct ApiRequest {
    /// The method, upper case.
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// The `x-auth-token` header.
    pub x_auth_token: Option<String>,
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// The `Origin` header.
    pub origin: Option<String>,
    /// The body.
    pub body: Body,
}

/// The service's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The headers, names in lower case.
    pub headers: Vec<(&'static str, String)>,
    /// A JSON body, or none (204).
    pub body: Option<String>,
    /// The operation served, for the log line.
    pub operation: Option<&'static str>,
    /// The public id of the calling token, for the log line.
    pub token_id: Option<String>,
    /// Why a 5xx happened, for the log line; never sent.
    pub cause: Option<String>,
}

impl ApiResponse {
    fn json(status: u16, body: String) -> ApiResponse {
        ApiResponse {
            status,
            headers: vec![("content-type", "application/json; charset=utf-8".to_string())],
            body: Some(body),
            operation: None,
            token_id: None,
            cause: None,
        }
    }

    fn empty(status: u16) -> ApiResponse {
        ApiResponse { status, headers: Vec::new(), body: None, operation: None, token_id: None, cause: None }
    }

    fn error(error: &ApiError) -> ApiResponse {
        let mut response = ApiResponse::json(error.http_status(), to_json(&error.body()));
        response.cause = error.cause().map(str::to_string);
        match error {
            ApiError::AuthenticationFailed => {
                response.headers.push(("www-authenticate", CHALLENGE.to_string()))
            }
            ApiError::MethodNotAllowed(allow) => response.headers.push(("allow", allow.to_string())),
            ApiError::TooManyFailedSignIns => {
                response.headers.push(("retry-after", crate::error::RETRY_AFTER_SECS.to_string()))
            }
            _ => {}
        }
        response
    }

    /// True when this answer is a failed sign-in, which the failed sign-in
    /// limiter counts.
    pub fn is_failed_sign_in(&self) -> bool {
        self.status == 401
    }

    /// This answer, turned into `429 TOO_MANY_REQUESTS` for a client over
    /// its failed sign-in limit. CORS headers and log fields are kept.
    pub fn into_throttled(self) -> ApiResponse {
        let mut throttled = ApiResponse::error(&ApiError::TooManyFailedSignIns);
        let cors = self
            .headers
            .into_iter()
            .filter(|(name, _)| name.starts_with("access-control-") || *name == "vary");
        throttled.headers.extend(cors);
        throttled.operation = self.operation;
        throttled.token_id = self.token_id;
        throttled
    }

    /// The header `name` (lower case), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }
}

/// What the gateway does with a request for the node.
#[derive(Debug)]
pub enum NodeDecision {
    /// Forward it: the caller may make this call, and it was counted.
    Forward(NodeCall),
    /// Answer it without the node.
    Respond(ApiResponse),
}

/// An authorized call of a node route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeCall {
    /// The route called.
    pub route: &'static NodeRoute,
    /// The caller's public token id, for the log line; `None` for the admin
    /// token and for public routes.
    pub token_id: Option<String>,
}

impl NodeCall {
    /// The capability the call needed, for the log line.
    pub fn operation(&self) -> Option<&'static str> {
        match self.route.access {
            Access::Capability(capability) => Some(capability),
            Access::Public => None,
        }
    }
}

/// Who is calling.
#[derive(Clone, Debug)]
enum Principal {
    Admin,
    Issued(TokenRecord),
}

impl Principal {
    fn id(&self) -> Option<String> {
        match self {
            Principal::Admin => None,
            Principal::Issued(record) => Some(record.id.clone()),
        }
    }
}

/// The service over a key-value store `K` and call counters `C`.
#[derive(Debug)]
pub struct Service<K, C> {
    kv: K,
    counter: C,
    config: Config,
}

impl<K: KeyValue, C: CallCounter> Service<K, C> {
    /// A service over `kv` and `counter`, configured by `config`.
    pub fn new(kv: K, counter: C, config: Config) -> Self {
        Service { kv, counter, config }
    }

    /// The key-value store, for tests.
    pub fn kv(&self) -> &K {
        &self.kv
    }

    /// The call counters, for tests.
    pub fn counter(&self) -> &C {
        &self.counter
    }

    /// Answers `request` at time `now` (seconds since the epoch).
    pub async fn handle(&self, request: &ApiRequest, now: u64) -> ApiResponse {
        let mut operation = None;
        let mut token_id = None;
        let outcome = match route(&request.method, &request.path) {
            Err(error) => Err(error),
            Ok(Route::Preflight) => Ok(ApiResponse::empty(204)),
            Ok(Route::OpenApi) => Ok(ApiResponse::json(200, openapi::document())),
            Ok(Route::Gateway) => {
                Ok(ApiResponse::json(200, to_json(&GatewayInfo::new(self.config.gateway_enabled))))
            }
            Ok(Route::CreateToken) => {
                operation = Some(TOKENS_CREATE);
                self.create(request, now, &mut token_id).await
            }
            Ok(Route::GetToken) => {
                operation = Some(TOKENS_GET_TOKEN);
                self.get_token(request, now, &mut token_id).await
            }
            Ok(Route::DeleteToken(id)) => {
                operation = Some(TOKENS_DELETE);
                self.delete(request, &id, now, &mut token_id).await
            }
        };
        self.finish(request, outcome, operation, token_id)
    }

    /// Decides what the gateway does with `request`, a path that is not
    /// edge-tokens' own: forward it to the node, when the route is in the
    /// table and the caller may call it (its `calls` limit is charged here),
    /// or answer it (a preflight, or an error).
    pub async fn route_node_call(&self, request: &ApiRequest, now: u64) -> NodeDecision {
        let mut token_id = None;
        let route = match gateway::match_route(&request.method, &request.path) {
            Err(ApiError::RouteNotFound) if request.method == "OPTIONS" => {
                return NodeDecision::Respond(self.finish(request, Err(ApiError::RouteNotFound), None, None))
            }
            Err(ApiError::MethodNotAllowed(_)) if request.method == "OPTIONS" => {
                return NodeDecision::Respond(self.finish(request, Ok(ApiResponse::empty(204)), None, None))
            }
            Err(error) => return NodeDecision::Respond(self.finish(request, Err(error), None, None)),
            Ok(route) => route,
        };
        let Access::Capability(capability) = route.access else {
            return NodeDecision::Forward(NodeCall { route, token_id });
        };
        let authorized = async {
            let principal = self.authorize(request, now, capability, &mut token_id).await?;
            self.charge(&principal, capability).await
        }
        .await;
        match authorized {
            Ok(_) => NodeDecision::Forward(NodeCall { route, token_id }),
            Err(error) => NodeDecision::Respond(self.finish(request, Err(error), Some(capability), token_id)),
        }
    }

    /// The error answer for `request`, with CORS headers: for failures the
    /// adapter meets, such as an unreachable node.
    pub fn fail(&self, request: &ApiRequest, error: ApiError, call: &NodeCall) -> ApiResponse {
        self.finish(request, Err(error), call.operation(), call.token_id.clone())
    }

    /// The CORS headers for an answer to `request`.
    pub fn cors_headers(&self, request: &ApiRequest) -> Vec<(&'static str, String)> {
        self.config.allowed_origins.headers(request.origin.as_deref(), request.method == "OPTIONS")
    }

    fn finish(
        &self,
        request: &ApiRequest,
        outcome: Result<ApiResponse, ApiError>,
        operation: Option<&'static str>,
        token_id: Option<String>,
    ) -> ApiResponse {
        let mut response = outcome.unwrap_or_else(|error| ApiResponse::error(&error));
        response.headers.extend(self.cors_headers(request));
        response.operation = operation;
        response.token_id = token_id;
        response
    }

    async fn create(
        &self,
        request: &ApiRequest,
        now: u64,
        caller: &mut Option<String>,
    ) -> Result<ApiResponse, ApiError> {
        let principal = self.authorize(request, now, TOKENS_CREATE, caller).await?;
        let body = match &request.body {
            Body::TooLarge => return Err(ApiError::PayloadTooLarge),
            Body::Bytes(bytes) => bytes,
        };
        let new_token = validate::parse_create(body)?;
        let creator = match &principal {
            Principal::Admin => Creator::Admin,
            Principal::Issued(record) => Creator::Issued(record),
        };
        let terms = delegate::terms(creator, &new_token, now)?;
        self.charge(&principal, TOKENS_CREATE).await?;

        let secret = secret::new_secret().map_err(no_randomness)?;
        let id = secret::new_id().map_err(no_randomness)?;
        let record = TokenRecord {
            id: id.clone(),
            description: new_token.description,
            grants: new_token.grants,
            valid_until: terms.valid_until,
            ancestors: terms.ancestors,
        };
        self.tokens().insert(&secret::storage_key(&secret), &record, now).await.map_err(unavailable)?;
        let created = CreatedToken { token: secret, id, valid_until: record.valid_until };
        Ok(ApiResponse::json(201, to_json(&created)))
    }

    async fn get_token(
        &self,
        request: &ApiRequest,
        now: u64,
        caller: &mut Option<String>,
    ) -> Result<ApiResponse, ApiError> {
        let principal = self.authorize(request, now, TOKENS_GET_TOKEN, caller).await?;
        let used = self.charge(&principal, TOKENS_GET_TOKEN).await?;
        let record = match principal {
            Principal::Admin => return Err(ApiError::AdminHasNoRecord),
            Principal::Issued(record) => record,
        };
        let used = match used {
            Some(used) => used,
            None if record.is_limited() => self.read_counters(&record).await?,
            None => UsedCalls::new(),
        };
        let token = record.to_token(|endpoint| used.get(endpoint).copied().unwrap_or(0));
        Ok(ApiResponse::json(200, to_json(&token)))
    }

    async fn delete(
        &self,
        request: &ApiRequest,
        id: &str,
        now: u64,
        caller: &mut Option<String>,
    ) -> Result<ApiResponse, ApiError> {
        let principal = self.authorize(request, now, TOKENS_DELETE, caller).await?;
        if !secret::is_well_formed_id(id) {
            return Err(ApiError::TokenNotFound);
        }
        let tokens = self.tokens();
        let entry = tokens.index(id).await.map_err(unavailable)?.ok_or(ApiError::TokenNotFound)?;
        if entry.valid_until.is_some_and(|until| now >= until) {
            return Err(ApiError::TokenNotFound);
        }
        if let Principal::Issued(record) = &principal {
            if !delegate::may_delete(&record.id, id, &entry.ancestors) {
                return Err(ApiError::TokenNotFound);
            }
        }
        self.charge(&principal, TOKENS_DELETE).await?;
        tokens.remove_subtree(id, entry, &self.counter).await.map_err(unavailable)?;
        Ok(ApiResponse::empty(204))
    }

    /// Authenticates the caller, notes its id for the log, and refuses it
    /// unless it holds `endpoint`.
    async fn authorize(
        &self,
        request: &ApiRequest,
        now: u64,
        endpoint: &str,
        caller: &mut Option<String>,
    ) -> Result<Principal, ApiError> {
        let principal = self.authenticate(request, now).await?;
        *caller = principal.id();
        require(&principal, endpoint)?;
        Ok(principal)
    }

    /// Finds the caller's token: the admin token, or a live issued token
    /// whose ancestors are all live too.
    async fn authenticate(&self, request: &ApiRequest, now: u64) -> Result<Principal, ApiError> {
        let admin = match &self.config.admin_token {
            None => return Err(ApiError::Misconfigured("the API_TOKEN secret is not configured")),
            Some(admin) if admin.chars() < MIN_ADMIN_TOKEN_LEN => {
                return Err(ApiError::Misconfigured("the API_TOKEN secret must be at least 8 characters"))
            }
            Some(admin) => admin,
        };
        let presented =
            credential::presented_token(request.x_auth_token.as_deref(), request.authorization.as_deref())
                .ok_or(ApiError::AuthenticationFailed)?;
        if admin.matches(&presented) {
            return Ok(Principal::Admin);
        }
        if !secret::is_well_formed(&presented) {
            return Err(ApiError::AuthenticationFailed);
        }
        let tokens = self.tokens();
        let record = tokens
            .record(&secret::storage_key(&presented))
            .await
            .map_err(unavailable)?
            .filter(|record| !record.is_expired(now))
            .ok_or(ApiError::AuthenticationFailed)?;
        if !record.ancestors.is_empty()
            && !tokens.all_indexed(&record.ancestors).await.map_err(unavailable)?
        {
            return Err(ApiError::AuthenticationFailed);
        }
        Ok(Principal::Issued(record))
    }

    /// Counts one call of `endpoint` against the caller's limit, if it has
    /// one. Returns the token's counters when they were consulted.
    async fn charge(&self, principal: &Principal, endpoint: &str) -> Result<Option<UsedCalls>, ApiError> {
        let Principal::Issued(record) = principal else { return Ok(None) };
        let Some(max) = record.grant(endpoint).and_then(|grant| grant.max_calls) else { return Ok(None) };
        let call = Call { endpoint: endpoint.to_string(), max };
        let request = ChargeRequest { call: Some(call), valid_until: record.valid_until };
        let reply = self.counter.charge(&record.id, &request).await.map_err(unavailable)?;
        if !reply.granted {
            return Err(ApiError::AuthorizationFailed);
        }
        Ok(Some(reply.used))
    }

    async fn read_counters(&self, record: &TokenRecord) -> Result<UsedCalls, ApiError> {
        let request = ChargeRequest { call: None, valid_until: record.valid_until };
        let reply = self.counter.charge(&record.id, &request).await.map_err(unavailable)?;
        if !reply.granted {
            return Err(ApiError::AuthenticationFailed);
        }
        Ok(reply.used)
    }

    fn tokens(&self) -> TokenStore<'_, K> {
        TokenStore::new(&self.kv)
    }
}

/// Refuses a caller whose token does not hold `endpoint`.
fn require(principal: &Principal, endpoint: &str) -> Result<(), ApiError> {
    match principal {
        Principal::Admin => Ok(()),
        Principal::Issued(record) if record.grant(endpoint).is_some() => Ok(()),
        Principal::Issued(_) => Err(ApiError::AuthorizationFailed),
    }
}

fn unavailable(error: StoreError) -> ApiError {
    ApiError::Unavailable(error.to_string())
}

fn no_randomness(_: secret::RandomnessUnavailable) -> ApiError {
    ApiError::Unavailable("the random source failed".to_string())
}
