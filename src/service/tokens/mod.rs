//! The token API at `/api/v3`: its public documents, and the operations of
//! an authorized caller on tokens: create ([`create`]), read ([`read`]),
//! delete and rotate ([`manage`]), list ([`listing`]), and a token's audit
//! trail ([`events`]). The body of a create
//! is validated ([`validate`]) and bounded by what its creator may hand
//! down ([`delegate`]); a listing pages with signed cursors ([`paging`]).

pub mod create;
pub mod delegate;
pub mod events;
pub mod listing;
pub mod manage;
pub mod paging;
pub mod read;
pub mod validate;

use crate::contract::{error::ApiError, model::to_json, node_routes::GatewayInfo, routes::Operation};

use super::{
    auth::Principal,
    context::{Config, Context},
    http::{ApiRequest, ApiResponse, BodySource},
    store::{Budgets, KeyValue},
};

/// The OpenAPI document, derived from the contract's types when the crate
/// was built (see `build.rs`).
pub const OPENAPI_DOCUMENT: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.json"));

/// The public document `operation` answers with: the OpenAPI document, or
/// the gateway's state and table.
pub fn document(operation: Operation, config: &Config) -> Result<ApiResponse, ApiError> {
    match operation {
        Operation::OpenApi => Ok(ApiResponse::json(200, OPENAPI_DOCUMENT.to_string())),
        Operation::Gateway => Ok(ApiResponse::json(200, to_json(&GatewayInfo::new(config.gateway_enabled)))),
        _ => Err(ApiError::RouteNotFound),
    }
}

/// Serves `operation` for `principal`, already authorized for it; `id` is
/// the `{id}` of its path (empty when it has none).
pub async fn serve<K: KeyValue, B: Budgets>(
    context: &Context<'_, K, B>,
    operation: Operation,
    id: &str,
    principal: &Principal,
    request: &ApiRequest,
    body: impl BodySource,
    now_ms: u64,
) -> Result<ApiResponse, ApiError> {
    match operation {
        Operation::CreateToken => create::create(context, principal, body, now_ms).await,
        Operation::GetToken => read::own(context, principal).await,
        Operation::DeleteToken => manage::delete(context, principal, id, now_ms).await,
        Operation::ListTokens => listing::list(context, principal, request.query.as_deref(), now_ms).await,
        Operation::InspectToken => read::inspect(context, principal, id, now_ms).await,
        Operation::RotateToken => manage::rotate(context, principal, id, body, now_ms).await,
        Operation::TokenEvents => {
            events::list(context, principal, id, request.query.as_deref(), now_ms).await
        }
        Operation::OpenApi | Operation::Gateway => document(operation, context.config),
    }
}
