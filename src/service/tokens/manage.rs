//! Managing one token named by its id: finding it when the caller may
//! manage it, deleting it with its subtree, and rotating its secret.
//!
//! A caller sees what it may delete: the admin token every token, an issued
//! token itself and its descendants; any other id is answered as not found.
//! Deleting needs `tokensDelete`, rotating `tokensRotate`; each counts like
//! any call.

use crate::contract::{
    error::ApiError,
    model::{to_json, RotatedToken, TokenId},
    routes::Operation,
    secret::is_well_formed_id,
};

use super::{delegate, validate};
use crate::service::{
    auth::Principal,
    charge,
    context::Context,
    http::{ApiResponse, BodySource},
    records::IndexEntry,
    secret,
    store::{Budgets, KeyValue},
    tree::budgets::{RotationAction, RotationReply, RotationStep},
};

/// The live token `id`, if `principal` may manage it: the admin any
/// token, an issued token itself and its descendants. Anything else is
/// not found.
pub async fn visible_token<K: KeyValue, B>(
    context: &Context<'_, K, B>,
    principal: &Principal,
    id: &str,
    now_ms: u64,
) -> Result<IndexEntry, ApiError> {
    if !is_well_formed_id(id) {
        return Err(ApiError::TokenNotFound);
    }
    let tokens = &context.tokens;
    let entry = tokens.index(id).await?.ok_or(ApiError::TokenNotFound)?;
    if entry.record.is_expired(now_ms) {
        return Err(ApiError::TokenNotFound);
    }
    if let Principal::Issued(record) = principal {
        if !delegate::may_delete(&record.id, id, entry.ancestors()) {
            return Err(ApiError::TokenNotFound);
        }
    }
    if !entry.ancestors().is_empty() && !tokens.all_indexed(entry.ancestors()).await? {
        return Err(ApiError::TokenNotFound);
    }
    Ok(entry)
}

/// `DELETE /tokens/{id}`: the token and its subtree, at once.
pub async fn delete<K: KeyValue, B: Budgets>(
    context: &Context<'_, K, B>,
    principal: &Principal,
    id: &str,
    now_ms: u64,
) -> Result<ApiResponse, ApiError> {
    let entry = visible_token(context, principal, id, now_ms).await?;
    charge::call(context.budgets, principal, Operation::DeleteToken.id()).await?;
    // Revoke first, clean up after: the record goes (the token is
    // refused), the tree's budgets revoke the subtree everywhere and
    // schedule its clean-up, the tombstone keeps the token's trail
    // findable, then the index entry goes (the subtree is refused here).
    // A failure part-way leaves the entry for a retry.
    context.tokens.remove_record(&entry).await?;
    context.budgets.revoke(entry.tree(), id, entry.ancestors().len()).await?;
    context.tokens.bury(&entry.record.path(), now_ms).await?;
    context.tokens.remove_index(id, &entry).await?;
    Ok(ApiResponse::empty(204).about(entry.record.path()))
}

/// `POST /tokens/{id}/rotate`. The token's tree lets one rotation of a
/// token be under way at a time, from the secret the token has: of
/// concurrent rotations one goes through and the others change nothing
/// (409). A rotation that finds the token revoked when it ends takes
/// back what it wrote (404), so that a racing delete stays done.
pub async fn rotate<K: KeyValue, B: Budgets>(
    context: &Context<'_, K, B>,
    principal: &Principal,
    id: &str,
    mut body: impl BodySource,
    now_ms: u64,
) -> Result<ApiResponse, ApiError> {
    let grace = validate::parse_rotate(&body.read_limited().await?)?;
    let entry = visible_token(context, principal, id, now_ms).await?;
    let new_secret = secret::new_secret()?;
    let new_key = secret::storage_key(&new_secret);
    let step =
        |action| RotationStep { path: entry.record.path(), to: new_key.clone(), action, started_ms: now_ms };
    rotation_step(context, &entry, step(RotationAction::Begin { from: entry.key.clone() })).await?;
    let tokens = &context.tokens;
    let switched = match charge::call(context.budgets, principal, Operation::RotateToken.id()).await {
        Ok(_) => tokens.switch_secret(&entry, &new_key, grace, now_ms).await.map_err(ApiError::from),
        Err(refused) => Err(refused),
    };
    let rotated = match switched {
        Ok(rotated) => rotated,
        Err(error) => {
            // Best effort: otherwise the token's rotations wait for the lease.
            let _ = context.budgets.rotate(entry.tree(), &step(RotationAction::Abandon)).await;
            return Err(error);
        }
    };
    if let Err(error) = rotation_step(context, &entry, step(RotationAction::Finish)).await {
        if error == ApiError::TokenNotFound {
            tokens.discard_rotation(&rotated).await?;
        }
        return Err(error);
    }
    tokens.retire_secrets(&entry, &rotated, now_ms).await?;
    let rotated_token = RotatedToken {
        token: new_secret,
        id: TokenId(id.to_string()),
        valid_until: rotated.record.valid_until,
        old_secret_valid_until_ms: rotated.retired.map_or(now_ms, |retired| retired.until_ms),
    };
    Ok(ApiResponse::json(201, to_json(&rotated_token)).about(entry.record.path()))
}

/// Takes `step` of a rotation of `entry`'s token in its tree.
async fn rotation_step<K, B: Budgets>(
    context: &Context<'_, K, B>,
    entry: &IndexEntry,
    step: RotationStep,
) -> Result<(), ApiError> {
    match context.budgets.rotate(entry.tree(), &step).await? {
        RotationReply::Granted => Ok(()),
        RotationReply::Conflict => Err(ApiError::RotationConflict),
        RotationReply::Revoked => Err(ApiError::TokenNotFound),
    }
}
