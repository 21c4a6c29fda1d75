//! `POST /tokens`: a new token, within what its creator may hand down,
//! counted as a call of `tokensCreate`; its secret is shown once and stored
//! only as a hash.

use crate::contract::{
    error::ApiError,
    model::{to_json, CreatedToken, TokenId},
    routes::Operation,
};

use super::{
    delegate::{self, Creator},
    validate,
};
use crate::service::{
    auth::Principal,
    charge,
    context::Context,
    http::{ApiResponse, BodySource},
    records::TokenRecord,
    secret,
    store::{Budgets, KeyValue},
};

/// Creates a token for `principal` from the body.
pub async fn create<K: KeyValue, B: Budgets>(
    context: &Context<'_, K, B>,
    principal: &Principal,
    mut body: impl BodySource,
    now_ms: u64,
) -> Result<ApiResponse, ApiError> {
    let new_token = validate::parse_create(&body.read_limited().await?)?;
    let creator = match principal {
        Principal::Admin => Creator::Admin,
        Principal::Issued(record) => Creator::Issued(record),
    };
    let terms = delegate::terms(creator, &new_token, now_ms)?;
    charge::call(context.budgets, principal, Operation::CreateToken.id()).await?;

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
    context.tokens.insert(&secret::storage_key(&secret), &record, now_ms).await?;
    let created = CreatedToken { token: secret, id: TokenId(id), valid_until: record.valid_until };
    Ok(ApiResponse::json(201, to_json(&created)).about(record.path()))
}
