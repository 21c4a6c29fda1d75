//! The operations of the token API: create, read and delete tokens, and the
//! public documents (OpenAPI, the gateway's table); the management routes
//! are in [`super::management`].

use crate::contract::{
    error::ApiError,
    model::{to_json, CreatedToken, TokenId},
    node_routes::GatewayInfo,
    routes::Operation,
};

use super::{
    auth::{unavailable, Principal},
    budgets::Used,
    delegate::{self, Creator},
    http::{ApiRequest, ApiResponse, BodySource},
    records::TokenRecord,
    secret,
    store::{Budgets, KeyValue},
    validate, Service, SignInLimiter,
};

/// The OpenAPI document, derived from the contract's types when the crate
/// was built (see `build.rs`).
pub const OPENAPI_DOCUMENT: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.json"));

impl<K: KeyValue, B: Budgets, L: SignInLimiter> Service<K, B, L> {
    /// Serves `operation` (with the `{id}` of its path, if any), filling the
    /// log fields.
    pub(super) async fn serve(
        &self,
        operation: Operation,
        id: Option<&str>,
        request: &ApiRequest,
        body: impl BodySource,
        now_ms: u64,
    ) -> ApiResponse {
        let mut caller = None;
        let outcome = match operation {
            Operation::OpenApi => Ok(ApiResponse::json(200, OPENAPI_DOCUMENT.to_string())),
            Operation::Gateway => {
                Ok(ApiResponse::json(200, to_json(&GatewayInfo::new(self.config.gateway_enabled))))
            }
            Operation::CreateToken => self.create(request, body, now_ms, &mut caller).await,
            Operation::GetToken => self.get_token(request, now_ms, &mut caller).await,
            Operation::DeleteToken => self.delete(request, id.unwrap_or_default(), now_ms, &mut caller).await,
            Operation::ListTokens => self.list(request, now_ms, &mut caller).await,
            Operation::InspectToken => {
                self.inspect(request, id.unwrap_or_default(), now_ms, &mut caller).await
            }
            Operation::RotateToken => {
                self.rotate(request, id.unwrap_or_default(), body, now_ms, &mut caller).await
            }
        };
        let mut response = outcome.unwrap_or_else(|error| ApiResponse::error(&error));
        response.log.operation = Some(operation.id());
        response.log.token_id = caller.as_ref().and_then(Principal::id);
        response
    }

    async fn create(
        &self,
        request: &ApiRequest,
        mut body: impl BodySource,
        now_ms: u64,
        caller: &mut Option<Principal>,
    ) -> Result<ApiResponse, ApiError> {
        let principal = self.authorize(request, now_ms, Operation::CreateToken.id(), false, caller).await?;
        let new_token = validate::parse_create(&body.read_limited().await?)?;
        let creator = match principal {
            Principal::Admin => Creator::Admin,
            Principal::Issued(record) => Creator::Issued(record),
        };
        let terms = delegate::terms(creator, &new_token, now_ms)?;
        self.charge(principal, Operation::CreateToken.id()).await?;

        let secret = secret::new_secret()?;
        let id = secret::new_id()?;
        let record = TokenRecord {
            id: id.clone(),
            description: new_token.description,
            grants: terms.grants,
            valid_until: terms.valid_until,
            ancestors: terms.ancestors,
            root_valid_until: terms.root_valid_until,
            created_at: now_ms / 1000,
            rotated: false,
        };
        self.tokens().insert(&secret::storage_key(&secret), &record, now_ms).await.map_err(unavailable)?;
        let created = CreatedToken { token: secret, id: TokenId(id), valid_until: record.valid_until };
        Ok(ApiResponse::json(201, to_json(&created)))
    }

    async fn get_token(
        &self,
        request: &ApiRequest,
        now_ms: u64,
        caller: &mut Option<Principal>,
    ) -> Result<ApiResponse, ApiError> {
        let principal = self.authorize(request, now_ms, Operation::GetToken.id(), false, caller).await?;
        let used = self.charge(principal, Operation::GetToken.id()).await?;
        let Principal::Issued(record) = principal else { return Err(ApiError::AdminHasNoRecord) };
        let used = match used {
            Some(used) => used,
            None if record.is_limited() => self.read_counters(record).await?,
            None => Used::new(),
        };
        let token = record.to_token(&used);
        Ok(ApiResponse::json(200, to_json(&token)))
    }

    async fn delete(
        &self,
        request: &ApiRequest,
        id: &str,
        now_ms: u64,
        caller: &mut Option<Principal>,
    ) -> Result<ApiResponse, ApiError> {
        let principal = self.authorize(request, now_ms, Operation::DeleteToken.id(), false, caller).await?;
        let entry = self.visible_token(principal, id, now_ms).await?;
        self.charge(principal, Operation::DeleteToken.id()).await?;
        // Revoke first, clean up after: the record goes (the token is
        // refused), the tree's budgets revoke the subtree everywhere and
        // schedule its clean-up, then the index entry goes (the subtree is
        // refused here). A failure part-way leaves the entry for a retry.
        let tokens = self.tokens();
        tokens.remove_record(&entry).await.map_err(unavailable)?;
        self.budgets.revoke(entry.tree(), id, entry.ancestors().len()).await.map_err(unavailable)?;
        tokens.remove_index(id, &entry).await.map_err(unavailable)?;
        Ok(ApiResponse::empty(204))
    }
}
