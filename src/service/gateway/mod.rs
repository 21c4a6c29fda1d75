//! The node gateway: whether a call for the node may go through, exactly
//! what is sent, and what of the node's answer the caller gets.
//!
//! The service holds the call's arguments to the capability's conditions
//! ([`arguments`]) and counts it, then hands the adapter's [`Node`] a
//! finished [`NodeCall`]: the route with its parameters, the method, path
//! and query, the exact headers to send (the node's own token among them,
//! [`headers`] deciding the rest), the body and whether it is a WebSocket.
//! The adapter only carries it out, and the service then decides the
//! headers of the node's answer ([`NodeAnswer`]). What was counted stays
//! counted whatever happens to the call: the contract gives a charge back
//! only when the request provably never left, and the runtime cannot tell
//! that apart from a node that read the request and then closed the
//! connection (workerd reports both as "Network connection lost."), so the
//! gateway errs on the side of the budget.

pub mod arguments;
pub mod headers;

use crate::contract::{error::ApiError, node_routes::NodeRoute, routes::Access};

use self::{
    arguments::NodeCallArguments,
    headers::{forwards_request_header, Outgoing, ORIGIN_TOKEN_HEADER},
};
use super::{
    auth::Principal,
    charge,
    context::Context,
    credential,
    http::{ApiRequest, BodySource, LogFields},
    records::TokenRecord,
    routing::NodeTarget,
    store::{Budgets, KeyValue},
};

/// The node behind the gateway, as the adapter reaches it.
#[allow(async_fn_in_trait)]
pub trait Node {
    /// The node's answer, passed back to the caller with the headers the
    /// service decides.
    type Answer: NodeAnswer;

    /// Sends `call` to the node, exactly as it says.
    async fn forward(&self, call: &NodeCall) -> Result<Self::Answer, NodeFailure>;
}

/// The node's answer, as the adapter holds it: the service reads its head
/// and decides which headers the caller gets.
pub trait NodeAnswer: Sized {
    /// The status code.
    fn status(&self) -> u16;
    /// The headers, as the node sent them.
    fn headers(&self) -> Vec<(String, String)>;
    /// The same answer with exactly `headers`; the error is the cause, for
    /// the log line.
    fn with_headers(self, headers: Vec<(String, String)>) -> Result<Self, String>;
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

/// An authorized call for the node, decided to the last header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeCall {
    /// The route called.
    pub route: &'static NodeRoute,
    /// The route's path parameters: each `{name}` and the segment sent for it.
    pub parameters: Vec<(&'static str, String)>,
    /// The method.
    pub method: String,
    /// The path, as sent (percent-encoded).
    pub path: String,
    /// The query, without the caller's credentials.
    pub query: Option<String>,
    /// Every header to send, the node's own token included.
    pub headers: Vec<(String, String)>,
    /// The body to send.
    pub body: NodeBody,
    /// True for a WebSocket handshake, only ever on a WebSocket route.
    pub websocket: bool,
}

/// The body of a node call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeBody {
    /// None (GET, HEAD, a WebSocket handshake).
    Empty,
    /// The body the service read to check the call's conditions: the node
    /// gets exactly these bytes.
    Read(Vec<u8>),
    /// The caller's body, streamed through as it comes.
    Streamed,
}

/// Checks, counts and forwards a call of `target` by `principal` (`None`
/// on a public route): the node's answer, with the headers the caller gets
/// (`cors` among them). The amount and target its conditions read go to
/// `log`, whether or not the call goes through.
#[allow(clippy::too_many_arguments)] // each is one part of the call; a struct would only rename them
pub async fn call<K: KeyValue, B: Budgets, N: Node>(
    context: &Context<'_, K, B>,
    target: &NodeTarget,
    principal: Option<&Principal>,
    request: &ApiRequest,
    body: impl BodySource,
    node: &N,
    cors: &[(&'static str, String)],
    log: &mut LogFields,
) -> Result<N::Answer, ApiError> {
    // The admin token holds the node's whole power: no conditions.
    let read = match principal {
        Some(Principal::Issued(record)) => held_to_conditions(context, record, target, body, log).await?,
        Some(Principal::Admin) | None => None,
    };
    let call = node_call(target, request, read, context.config.origin_token.as_deref());
    let answer = node.forward(&call).await?;
    let status = answer.status();
    let headers = headers::answer_headers(status, answer.headers(), cors);
    answer.with_headers(headers).map_err(ApiError::NodeUnreachable)
}

/// Holds the call's arguments to the conditions of `record`'s capability,
/// then counts the call and what it moves; a refused call is never counted.
/// Returns the body when it was read to check the conditions.
async fn held_to_conditions<K: KeyValue, B: Budgets>(
    context: &Context<'_, K, B>,
    record: &TokenRecord,
    target: &NodeTarget,
    mut body: impl BodySource,
    log: &mut LogFields,
) -> Result<Option<Vec<u8>>, ApiError> {
    let route = target.route;
    let Access::Capability(capability) = route.access else { return Ok(None) };
    let grant = record.grant(capability).ok_or_else(|| ApiError::MissingCapability(capability.into()))?;
    let body = match arguments::needs_body(grant, route.arguments) {
        false => None,
        true => Some(body.read_limited().await?),
    };
    let call = NodeCallArguments {
        arguments: route.arguments,
        path_target: target.parameters.first().map(|(name, segment)| (*name, segment.as_str())),
        body: body.as_deref(),
        default_listen: context.config.session_listen_default,
    };
    (log.amount, log.target) = arguments::facts(grant, &call);
    let moved = arguments::check(grant, &call)?;
    charge::charges(context.budgets, record, record.charges(capability, moved)).await?;
    Ok(body)
}

/// The call for the node: a WebSocket only on a WebSocket route, so that no
/// other route is handed a handshake; the headers `headers` lets through for
/// the way the call goes, and the node's own token unless the route is public.
fn node_call(
    target: &NodeTarget,
    request: &ApiRequest,
    read: Option<Vec<u8>>,
    origin_token: Option<&str>,
) -> NodeCall {
    let route = target.route;
    let outgoing = if route.websocket && request.is_websocket() {
        Outgoing::WebSocket
    } else if matches!(request.method.as_str(), "GET" | "HEAD") {
        Outgoing::Bodiless
    } else if read.is_some() {
        Outgoing::Read
    } else {
        Outgoing::Streamed
    };
    let mut headers: Vec<(String, String)> =
        request.headers.iter().filter(|(name, _)| forwards_request_header(name, outgoing)).cloned().collect();
    if let (Access::Capability(_), Some(token)) = (route.access, origin_token) {
        headers.push((ORIGIN_TOKEN_HEADER.to_string(), token.to_string()));
    }
    let body = match (outgoing, read) {
        (Outgoing::Read, Some(bytes)) => NodeBody::Read(bytes),
        (Outgoing::Streamed, _) => NodeBody::Streamed,
        _ => NodeBody::Empty,
    };
    NodeCall {
        route,
        parameters: target.parameters.clone(),
        method: request.method.clone(),
        path: request.path.clone(),
        query: forwarded_query(request.query.as_deref()),
        headers,
        body,
        websocket: outgoing == Outgoing::WebSocket,
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
