//! `GET /tokens/{id}/events`: a token's audit trail and its descendants',
//! newest first, a page at a time, from its tree's Durable Object. No
//! capability, no call counted. An issued token sees the trails of the
//! tokens it may inspect (itself and its descendants); the admin token
//! also the trail of a token deleted or expired within the time events
//! are kept, found through its index entry (kept that long past the
//! token's expiry) or the tombstone its deletion left.
//!
//! The cursor is the number of the page's last event, sealed like a
//! listing's ([`PageCursor`]) and bound to the token, so that a forged or
//! borrowed one is refused.

use crate::contract::{
    error::{AdminTokenProblem, ApiError},
    model::{to_json, EventPage},
    secret::is_well_formed_id,
};

use super::{
    manage::visible_token,
    paging::{self, PageCursor},
};
use crate::service::{
    auth::Principal,
    context::Context,
    http::ApiResponse,
    store::{Budgets, KeyValue},
    tree::events::{lineage, EventsQuery},
};

/// `GET /tokens/{id}/events` with `query`.
pub async fn list<K: KeyValue, B: Budgets>(
    context: &Context<'_, K, B>,
    principal: &Principal,
    id: &str,
    query: Option<&str>,
    now_ms: u64,
) -> Result<ApiResponse, ApiError> {
    let query = paging::parse_events_query(query)?;
    let path = trail_path(context, principal, id, now_ms).await?;
    let admin =
        context.config.admin_token.as_ref().ok_or(ApiError::Misconfigured(AdminTokenProblem::Missing))?;
    let binding = format!("events:{id}");
    let cursor = PageCursor::open(query.cursor.as_deref(), admin, &binding)?;
    let before = match cursor.listing {
        Some(seq) => Some(seq.parse::<u64>().map_err(|_| paging::not_ours())?),
        None => None,
    };
    let asked = EventsQuery { lineage: lineage(&path), before, limit: query.limit + 1 };
    let mut events = context.budgets.events(&path[0], &asked).await?;
    let more = events.len() > query.limit;
    events.truncate(query.limit);
    let next = events
        .last()
        .filter(|_| more)
        .map(|last| PageCursor { listing: Some(last.seq.to_string()), ..PageCursor::default() });
    let page = EventPage {
        events: events.into_iter().map(|numbered| numbered.event).collect(),
        cursor: next.map(|next| next.seal(admin, &binding)),
    };
    Ok(ApiResponse::json(200, to_json(&page)))
}

/// The ancestors of token `id` and the token, root first, if `principal`
/// may read its trail.
async fn trail_path<K: KeyValue, B>(
    context: &Context<'_, K, B>,
    principal: &Principal,
    id: &str,
    now_ms: u64,
) -> Result<Vec<String>, ApiError> {
    if let Principal::Issued(_) = principal {
        return Ok(visible_token(context, principal, id, now_ms).await?.record.path());
    }
    if !is_well_formed_id(id) {
        return Err(ApiError::TokenNotFound);
    }
    if let Some(entry) = context.tokens.index(id).await? {
        return Ok(entry.record.path());
    }
    context.tokens.tombstone(id).await?.ok_or(ApiError::TokenNotFound)
}
