//! Reading one token with its use: `GET /token`, the caller's own (counted
//! as a call of `tokensGetToken`), and `GET /tokens/{id}`, one the caller
//! may manage, with how many tokens are below it and when it was last used
//! (no capability, no call).

use crate::contract::{bounds::MAX_COUNTED_DESCENDANTS, error::ApiError, model::to_json, routes::Operation};

use super::manage::visible_token;
use crate::service::{
    auth::Principal,
    charge,
    context::Context,
    http::ApiResponse,
    store::{Budgets, KeyValue, MAX_LIST_KEYS},
    tree::budgets::Usage,
};

/// `GET /token`: the caller's own token; the admin token has none.
pub async fn own<K: KeyValue, B: Budgets>(
    context: &Context<'_, K, B>,
    principal: &Principal,
) -> Result<ApiResponse, ApiError> {
    let used = charge::call(context.budgets, principal, Operation::GetToken.id()).await?;
    let Principal::Issued(record) = principal else { return Err(ApiError::AdminHasNoRecord) };
    let used = match used {
        Some(used) => used,
        None if record.is_limited() => charge::counters(context.budgets, record).await?,
        None => Usage::default(),
    };
    Ok(ApiResponse::json(200, to_json(&record.to_token(&used))))
}

/// `GET /tokens/{id}`.
pub async fn inspect<K: KeyValue, B: Budgets>(
    context: &Context<'_, K, B>,
    principal: &Principal,
    id: &str,
    now_ms: u64,
) -> Result<ApiResponse, ApiError> {
    let entry = visible_token(context, principal, id, now_ms).await?;
    let used = charge::usage_of(context.budgets, std::slice::from_ref(&entry)).await?;
    let mut info = entry.record.to_info(used.get(id).unwrap_or(&Usage::default()));
    info.descendants = Some(count_descendants(context, id).await?);
    info.last_used_at = context.tokens.last_uses(&[id.to_string()]).await?.pop().flatten();
    Ok(ApiResponse::json(200, to_json(&info)))
}

/// How many tokens are below `id`, counted up to [`MAX_COUNTED_DESCENDANTS`].
async fn count_descendants<K: KeyValue, B>(context: &Context<'_, K, B>, id: &str) -> Result<u64, ApiError> {
    let mut count = 0;
    let mut cursor = None;
    while (count as u64) < MAX_COUNTED_DESCENDANTS {
        let page = context.tokens.descendants(id, cursor.as_deref(), MAX_LIST_KEYS).await?;
        count += page.keys.len();
        match page.cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(count as u64)
}
