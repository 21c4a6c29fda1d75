//! The node gateway: whether a call for the node may go through, what
//! exactly is forwarded, and what is done when the node cannot answer.
//!
//! The service authorizes the call, holds its arguments to the capability's
//! conditions ([`super::arguments`]) and counts it, then hands a
//! [`NodeCall`] to the adapter's [`Node`], which only carries it out. What
//! was counted stays counted whatever happens to the call: the contract gives
//! a charge back only when the request provably never left, and the runtime
//! cannot tell that apart from a node that read the request and then closed
//! the connection (workerd reports both as "Network connection lost."), so
//! the gateway errs on the side of the budget. Which headers travel in each
//! direction is decided in [`super::headers`]; the node's own token is added
//! by the adapter, which holds it.

use crate::contract::{
    error::ApiError,
    node_routes::{Access, NodeRoute},
};

use super::{
    arguments::{self, NodeCallArguments},
    auth::Principal,
    credential,
    http::{ApiRequest, ApiResponse, BodySource, LogFields},
    routing,
    store::{Budgets, KeyValue},
    Service, SignInLimiter,
};

/// The node behind the gateway, as the adapter reaches it.
#[allow(async_fn_in_trait)]
pub trait Node {
    /// The node's answer, passed back to the caller as it is.
    type Answer;

    /// Sends `call` to the node.
    async fn forward(&self, call: &NodeCall) -> Result<Self::Answer, NodeFailure>;
}

/// Why the node gave no answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeFailure {
    /// The connection failed or was closed before an answer came: the
    /// request may or may not have reached the node. Holds the cause.
    Unreachable(String),
    /// The node did not answer within this many milliseconds.
    TimedOut(u32),
}

/// An authorized call for the node, ready to forward.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeCall {
    /// The route called.
    pub route: &'static NodeRoute,
    /// The method, as sent.
    pub method: String,
    /// The path, as sent.
    pub path: String,
    /// The query to forward, without the caller's credentials.
    pub query: Option<String>,
    /// The CORS headers of the answer.
    pub cors: Vec<(&'static str, String)>,
    /// The request body as the service read it to check the call's
    /// conditions; `None`: the adapter forwards the body as it comes.
    pub body: Option<Vec<u8>>,
}

impl<K: KeyValue, B: Budgets, L: SignInLimiter> Service<K, B, L> {
    /// Authorizes, checks, counts and forwards a call of `route`: the node's
    /// answer and the log fields, or the service's own answer.
    pub(super) async fn call_node<N: Node>(
        &self,
        route: &'static NodeRoute,
        request: &ApiRequest,
        body: impl BodySource,
        node: &N,
        now_ms: u64,
    ) -> Result<(N::Answer, LogFields), ApiResponse> {
        let mut log = LogFields::default();
        let mut read_body = None;
        if let Access::Capability(capability) = route.access {
            log.operation = Some(capability);
            let mut caller = None;
            let authorized =
                self.authorize_node_call(request, body, now_ms, route, capability, &mut caller).await;
            log.token_id = caller.as_ref().and_then(Principal::id);
            read_body = authorized.map_err(|error| with_log(ApiResponse::error(&error), log.clone()))?;
        }
        let call = NodeCall {
            route,
            method: request.method.clone(),
            path: request.path.clone(),
            query: forwarded_query(request.query.as_deref()),
            cors: self.cors_headers(request),
            body: read_body,
        };
        match node.forward(&call).await {
            Ok(answer) => Ok((answer, log)),
            Err(failure) => Err(with_log(ApiResponse::error(&failure.into()), log)),
        }
    }

    /// Authenticates the caller, checks its capability and the conditions
    /// on the call's arguments, then counts the call and what it moves. A
    /// refused call is never counted. Returns the body when it was read to
    /// check the conditions: the node gets exactly those bytes.
    async fn authorize_node_call(
        &self,
        request: &ApiRequest,
        mut body: impl BodySource,
        now_ms: u64,
        route: &NodeRoute,
        capability: &'static str,
        caller: &mut Option<Principal>,
    ) -> Result<Option<Vec<u8>>, ApiError> {
        let principal = self.authorize(request, now_ms, capability, route.websocket, caller).await?;
        // The admin token holds the node's whole power: no conditions.
        let Principal::Issued(record) = principal else { return Ok(None) };
        let grant = record.grant(capability).ok_or_else(|| ApiError::MissingCapability(capability.into()))?;
        let body = match arguments::needs_body(grant, route.arguments) {
            false => None,
            true => Some(body.read_limited().await?),
        };
        let call = NodeCallArguments {
            arguments: route.arguments,
            path_target: routing::parameter_named(route.pattern, &request.path),
            body: body.as_deref(),
            default_listen: self.config.session_listen_default,
        };
        let moved = arguments::check(grant, &call)?;
        self.charge_call(record, record.charges(capability, moved)).await?;
        Ok(body)
    }
}

impl From<NodeFailure> for ApiError {
    fn from(failure: NodeFailure) -> ApiError {
        match failure {
            NodeFailure::Unreachable(cause) => ApiError::NodeUnreachable(cause),
            NodeFailure::TimedOut(ms) => ApiError::NodeTimeout(ms),
        }
    }
}

fn with_log(mut response: ApiResponse, log: LogFields) -> ApiResponse {
    let cause = response.log.cause.take();
    response.log = LogFields { cause, ..log };
    response
}

/// The query of a node call as forwarded: without any parameter that could
/// be read as a token (a browser's WebSocket sends its token there).
fn forwarded_query(query: Option<&str>) -> Option<String> {
    let kept: Vec<&str> = query?.split('&').filter(|pair| !credential::is_token_parameter(pair)).collect();
    (!kept.is_empty()).then(|| kept.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_queries_lose_every_token_parameter() {
        assert_eq!(forwarded_query(Some("apiToken=etk_x&a=1")).as_deref(), Some("a=1"));
        assert_eq!(forwarded_query(Some("APItoken=etk_x&b=2&api%74oken=y")).as_deref(), Some("b=2"));
        assert_eq!(forwarded_query(Some("apiToken=etk_x")), None);
        assert_eq!(forwarded_query(Some("a=1&b=2")).as_deref(), Some("a=1&b=2"));
        assert_eq!(forwarded_query(None), None);
    }
}
