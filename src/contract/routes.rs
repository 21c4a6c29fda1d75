//! The routes of edge-tokens' own API: method, path and operation, in one
//! table that the service routes by and the OpenAPI document lists.
//!
//! A new route goes here, with its [`Operation`]; the service's dispatch and
//! the document then say what it does.

use crate::contract::catalogue::{TOKENS_CREATE, TOKENS_DELETE, TOKENS_GET_TOKEN, TOKENS_ROTATE};

/// What a caller needs to call a route: of the API's own, or of the node's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Nothing: the documents, and the node's health and readiness checks
    /// (forwarded without the node's token).
    Public,
    /// A token, whatever it holds.
    Token,
    /// A token holding this capability.
    Capability(&'static str),
}

/// The prefix of every route of the API.
pub const API_PREFIX: &str = "/api/v3";

/// What a route does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// `POST /tokens`: create a token.
    CreateToken,
    /// `GET /token`: the caller's own token.
    GetToken,
    /// `DELETE /tokens/{id}`: delete a token and its descendants.
    DeleteToken,
    /// `GET /tokens`: the tokens the caller may see, a page at a time.
    ListTokens,
    /// `GET /tokens/{id}`: one token the caller may see.
    InspectToken,
    /// `POST /tokens/{id}/rotate`: a new secret for the same token.
    RotateToken,
    /// `GET /tokens/{id}/events`: what a token and its descendants did.
    TokenEvents,
    /// `GET /openapi.json`: the OpenAPI document.
    OpenApi,
    /// `GET /gateway`: the node gateway's state and route table.
    Gateway,
}

impl Operation {
    /// The OpenAPI `operationId`.
    pub fn id(self) -> &'static str {
        match self {
            Operation::CreateToken => TOKENS_CREATE,
            Operation::GetToken => TOKENS_GET_TOKEN,
            Operation::DeleteToken => TOKENS_DELETE,
            Operation::ListTokens => "tokensList",
            Operation::InspectToken => "tokensInspect",
            Operation::RotateToken => TOKENS_ROTATE,
            Operation::TokenEvents => "tokensEvents",
            Operation::OpenApi => "openApiDocument",
            Operation::Gateway => "gatewayRoutes",
        }
    }

    /// What a caller needs: nothing for the documents, a token to list,
    /// inspect and read a trail, the operation's own capability for the rest.
    pub fn access(self) -> Access {
        match self {
            Operation::OpenApi | Operation::Gateway => Access::Public,
            Operation::ListTokens | Operation::InspectToken | Operation::TokenEvents => Access::Token,
            Operation::CreateToken
            | Operation::GetToken
            | Operation::DeleteToken
            | Operation::RotateToken => Access::Capability(self.id()),
        }
    }
}

/// True for the operations that create, delete or rotate tokens, which a
/// secret in its grace period after a rotation may not call.
pub fn changes_tokens(endpoint: &str) -> bool {
    [TOKENS_CREATE, TOKENS_DELETE, TOKENS_ROTATE].contains(&endpoint)
}

/// One route of the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiRoute {
    /// The HTTP method.
    pub method: &'static str,
    /// The path after [`API_PREFIX`], with `{id}` for one path segment.
    pub path: &'static str,
    /// What it does.
    pub operation: Operation,
}

const fn route(method: &'static str, path: &'static str, operation: Operation) -> ApiRoute {
    ApiRoute { method, path, operation }
}

/// Every route of the API. `POST /tokens/` is the HOPR node's spelling of
/// `POST /tokens`, kept for its clients.
pub const API_ROUTES: &[ApiRoute] = &[
    route("POST", "/tokens", Operation::CreateToken),
    route("POST", "/tokens/", Operation::CreateToken),
    route("GET", "/tokens", Operation::ListTokens),
    route("GET", "/tokens/{id}", Operation::InspectToken),
    route("DELETE", "/tokens/{id}", Operation::DeleteToken),
    route("POST", "/tokens/{id}/rotate", Operation::RotateToken),
    route("GET", "/tokens/{id}/events", Operation::TokenEvents),
    route("GET", "/token", Operation::GetToken),
    route("GET", "/openapi.json", Operation::OpenApi),
    route("GET", "/gateway", Operation::Gateway),
];
