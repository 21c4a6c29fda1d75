//! The node gateway: whether a call for the node may go through, what
//! exactly is forwarded, and what is done when the node cannot answer.
//!
//! The service authorizes and counts the call, then hands a [`NodeCall`] to
//! the adapter's [`Node`], which only carries it out. Which headers travel
//! in each direction is decided in [`super::headers`]; the node's own token
//! is added by the adapter, which holds it.

use crate::contract::{
    error::ApiError,
    node_routes::{Access, NodeRoute},
};

use super::{
    auth::Principal,
    credential,
    http::{ApiRequest, ApiResponse, BodySource, LogFields},
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

impl<K: KeyValue, B: Budgets, L: SignInLimiter> Service<K, B, L> {
    /// Authorizes, counts and forwards a call of `route`: the node's answer
    /// and the log fields, or the service's own answer.
    pub(super) async fn call_node<N: Node>(
        &self,
        route: &'static NodeRoute,
        request: &ApiRequest,
        _body: impl BodySource,
        node: &N,
        now: u64,
    ) -> Result<(N::Answer, LogFields), ApiResponse> {
        let mut log = LogFields::default();
        if let Access::Capability(capability) = route.access {
            log.operation = Some(capability);
            let mut caller = None;
            let authorized = self.authorize_node_call(request, now, route, capability, &mut caller).await;
            log.token_id = caller.as_ref().and_then(Principal::id);
            if let Err(error) = authorized {
                return Err(with_log(ApiResponse::error(&error), log));
            }
        }
        let call = NodeCall {
            route,
            method: request.method.clone(),
            path: request.path.clone(),
            query: forwarded_query(request.query.as_deref()),
            cors: self.cors_headers(request),
            body: None,
        };
        match node.forward(&call).await {
            Ok(answer) => Ok((answer, log)),
            Err(failure) => Err(with_log(ApiResponse::error(&failure.into()), log)),
        }
    }

    async fn authorize_node_call(
        &self,
        request: &ApiRequest,
        now: u64,
        route: &NodeRoute,
        capability: &'static str,
        caller: &mut Option<Principal>,
    ) -> Result<(), ApiError> {
        let principal = self.authorize(request, now, capability, route.websocket, caller).await?;
        self.charge(principal, capability).await.map(drop)
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
