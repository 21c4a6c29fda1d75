//! The node gateway: whether a call for the node may go through, what
//! exactly is forwarded, and what is done when the node cannot answer.
//!
//! The service authorizes the call, holds its arguments to the capability's
//! conditions ([`super::arguments`]) and counts it, then hands a
//! [`NodeCall`] to the adapter's [`Node`], which only carries it out. What
//! was counted is given back when the node could not be reached at all; once
//! the request was sent it stays counted, since the node may have acted. Which headers travel
//! in each direction is decided in [`super::headers`]; the node's own token
//! is added by the adapter, which holds it.

use crate::contract::{
    error::ApiError,
    node_routes::{Access, NodeRoute},
};

use super::{
    arguments::{self, NodeCallArguments},
    auth::Principal,
    budgets::Charge,
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
    /// The connection failed; the request was not sent. Holds the cause.
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

/// What an authorized call leaves for forwarding: the body read to check
/// its conditions, and what it was charged, to give back if the node cannot
/// be reached.
#[derive(Default)]
struct Granted {
    body: Option<Vec<u8>>,
    charged: Option<(String, Vec<Charge>)>,
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
        now: u64,
    ) -> Result<(N::Answer, LogFields), ApiResponse> {
        let mut log = LogFields::default();
        let mut granted = Granted::default();
        if let Access::Capability(capability) = route.access {
            log.operation = Some(capability);
            let mut caller = None;
            let authorized =
                self.authorize_node_call(request, body, now, route, capability, &mut caller).await;
            log.token_id = caller.as_ref().and_then(Principal::id);
            granted = authorized.map_err(|error| with_log(ApiResponse::error(&error), log.clone()))?;
        }
        let call = NodeCall {
            route,
            method: request.method.clone(),
            path: request.path.clone(),
            query: forwarded_query(request.query.as_deref()),
            cors: self.cors_headers(request),
            body: granted.body,
        };
        match node.forward(&call).await {
            Ok(answer) => Ok((answer, log)),
            Err(failure) => {
                if let (NodeFailure::Unreachable(_), Some((tree, charges))) = (&failure, &granted.charged) {
                    // The request never left: the node did nothing. Best
                    // effort: a refund that fails leaves the call counted.
                    let _ = self.budgets.refund(tree, charges).await;
                }
                Err(with_log(ApiResponse::error(&failure.into()), log))
            }
        }
    }

    /// Authenticates the caller, checks its capability and the conditions
    /// on the call's arguments, then counts the call and what it moves. A
    /// refused call is never counted.
    async fn authorize_node_call(
        &self,
        request: &ApiRequest,
        mut body: impl BodySource,
        now: u64,
        route: &NodeRoute,
        capability: &'static str,
        caller: &mut Option<Principal>,
    ) -> Result<Granted, ApiError> {
        let principal = self.authorize(request, now, capability, route.websocket, caller).await?;
        // The admin token holds the node's whole power: no conditions.
        let Principal::Issued(record) = principal else { return Ok(Granted::default()) };
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
        let charges = record.charges(capability, moved);
        self.charge_call(record, charges.clone()).await?;
        let charged = (!charges.is_empty()).then(|| (record.tree().to_string(), charges));
        Ok(Granted { body, charged })
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
