//! `GET /tokens`: the tokens a caller may see, a page at a time: the admin
//! every token, an issued token itself and its descendants, or the direct
//! children of one of those. Listing needs no capability and counts no call.
//!
//! A page costs a bounded amount of storage work, whatever its size: one
//! listing, two bulk reads per hundred tokens (the index entries hold the
//! records; then their last uses), one bulk read per hundred ancestors to
//! check, and one read of
//! each tree's budgets, made together, at most [`MAX_TREES_PER_PAGE`]: a page
//! whose tokens span more trees stops early, and its cursor goes on from
//! there.

use std::collections::BTreeSet;

use crate::contract::{
    error::{AdminTokenProblem, ApiError},
    model::{to_json, TokenInfo, TokenPage},
};

use super::{
    manage::visible_token,
    paging::{self, PageCursor},
};
use crate::service::{
    auth::Principal,
    charge,
    context::Context,
    http::ApiResponse,
    records::IndexEntry,
    store::{Budgets, KeyValue, Page, MAX_BULK_KEYS, MAX_LIST_KEYS},
    tree::budgets::Usage,
    usage::last_use,
};

/// The most delegation trees whose budgets one page reads.
pub const MAX_TREES_PER_PAGE: usize = 25;

/// What a listing walks.
enum Listing<'a> {
    /// Every token (the admin).
    All,
    /// The caller and its descendants.
    Subtree(&'a IndexEntry),
    /// The direct children of a token.
    Children(String),
}

impl Listing<'_> {
    /// What a cursor of this listing is bound to.
    fn binding(&self) -> String {
        match self {
            Listing::All => "all".to_string(),
            Listing::Subtree(own) => format!("subtree:{}", own.record.id),
            Listing::Children(parent) => format!("children:{parent}"),
        }
    }
}

/// `GET /tokens` with `query`.
pub async fn list<K: KeyValue, B: Budgets>(
    context: &Context<'_, K, B>,
    principal: &Principal,
    query: Option<&str>,
    now_ms: u64,
) -> Result<ApiResponse, ApiError> {
    let query = paging::parse_list_query(query)?;
    let own = match principal {
        Principal::Issued(record) => Some(own_entry(context, &record.id).await?),
        Principal::Admin => None,
    };
    let listing = match (&query.parent, &own) {
        (Some(parent), _) => {
            visible_token(context, principal, parent, now_ms).await?;
            Listing::Children(parent.clone())
        }
        (None, Some(own)) => Listing::Subtree(own),
        (None, None) => Listing::All,
    };
    let admin =
        context.config.admin_token.as_ref().ok_or(ApiError::Misconfigured(AdminTokenProblem::Missing))?;
    let binding = listing.binding();
    let cursor = PageCursor::open(query.cursor.as_deref(), admin, &binding)?;
    let (tokens, next) = page(context, &listing, cursor, query.limit, now_ms).await?;
    let page = TokenPage { tokens, cursor: next.map(|next| next.seal(admin, &binding)) };
    Ok(ApiResponse::json(200, to_json(&page)))
}

async fn own_entry<K: KeyValue, B>(context: &Context<'_, K, B>, id: &str) -> Result<IndexEntry, ApiError> {
    // The caller just authenticated, so its entry exists unless it was
    // deleted this very moment.
    context.tokens.index(id).await?.ok_or(ApiError::AuthenticationFailed)
}

/// One page of `listing`, from `cursor` on.
async fn page<K: KeyValue, B: Budgets>(
    context: &Context<'_, K, B>,
    listing: &Listing<'_>,
    cursor: PageCursor,
    limit: usize,
    now_ms: u64,
) -> Result<(Vec<TokenInfo>, Option<PageCursor>), ApiError> {
    let mut entries = Vec::new();
    if let Listing::Subtree(own) = listing {
        if !cursor.own_listed {
            entries.push(Some((*own).clone()));
        }
    }
    let wanted = limit.saturating_sub(entries.len());
    let listed = match wanted {
        0 => Page { keys: Vec::new(), cursor: cursor.listing.clone() },
        _ => {
            list_ids(context, listing, cursor.listing.as_deref(), (cursor.skip + wanted).min(MAX_LIST_KEYS))
                .await?
        }
    };
    let ids: Vec<String> = listed.keys.iter().skip(cursor.skip).cloned().collect();
    entries.extend(live_entries(context, &ids, now_ms).await?);
    let (entries, taken) = within_tree_budget(entries, &ids);
    let next = next_cursor(&cursor, &listed, cursor.skip + taken, wanted == 0, listing);
    let used = charge::usage_of(context.budgets, &entries).await?;
    let ids: Vec<String> = entries.iter().map(|entry| entry.record.id.clone()).collect();
    let last_uses = last_use::of(&context.tokens, &ids).await?;
    let tokens = entries
        .iter()
        .zip(last_uses)
        .map(|(entry, last_used_at)| TokenInfo {
            last_used_at,
            ..entry.record.to_info(used.get(&entry.record.id).unwrap_or(&Usage::default()))
        })
        .collect();
    Ok((tokens, next))
}

async fn list_ids<K: KeyValue, B>(
    context: &Context<'_, K, B>,
    listing: &Listing<'_>,
    cursor: Option<&str>,
    limit: usize,
) -> Result<Page, ApiError> {
    let tokens = &context.tokens;
    let page = match listing {
        Listing::All => tokens.all(cursor, limit).await?,
        Listing::Subtree(own) => tokens.descendants(&own.record.id, cursor, limit).await?,
        Listing::Children(parent) => tokens.children(parent, cursor, limit).await?,
    };
    Ok(page)
}

/// The entries of `ids`, in order, each or `None` when it is gone,
/// expired, or below a deleted token.
async fn live_entries<K: KeyValue, B>(
    context: &Context<'_, K, B>,
    ids: &[String],
    now_ms: u64,
) -> Result<Vec<Option<IndexEntry>>, ApiError> {
    let tokens = &context.tokens;
    let mut entries = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(MAX_BULK_KEYS) {
        entries.extend(tokens.indexes(chunk).await?);
    }
    let known: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
    let unknown_ancestors: Vec<String> = entries
        .iter()
        .flatten()
        .flat_map(|entry| entry.ancestors())
        .filter(|id| !known.contains(id.as_str()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .cloned()
        .collect();
    let mut live_ancestors = BTreeSet::new();
    for chunk in unknown_ancestors.chunks(MAX_BULK_KEYS) {
        for (id, entry) in chunk.iter().zip(tokens.indexes(chunk).await?) {
            if entry.is_some_and(|entry| !entry.record.is_expired(now_ms)) {
                live_ancestors.insert(id.clone());
            }
        }
    }
    let listed: BTreeSet<String> = entries.iter().flatten().map(|entry| entry.record.id.clone()).collect();
    Ok(entries
        .into_iter()
        .map(|entry| {
            entry.filter(|entry| {
                !entry.record.is_expired(now_ms)
                    && entry.ancestors().iter().all(|id| listed.contains(id) || live_ancestors.contains(id))
            })
        })
        .collect())
}

/// The live entries, in order, as long as their limited tokens span at most
/// [`MAX_TREES_PER_PAGE`] trees; and how many of the listed `ids` that took
/// (the caller's own entry, when first, is not one of them).
fn within_tree_budget(entries: Vec<Option<IndexEntry>>, ids: &[String]) -> (Vec<IndexEntry>, usize) {
    let own = entries.len() - ids.len();
    let mut trees = BTreeSet::new();
    let mut kept = Vec::new();
    for (position, entry) in entries.into_iter().enumerate() {
        if let Some(entry) = entry {
            if entry.record.is_limited()
                && trees.insert(entry.tree().to_string())
                && trees.len() > MAX_TREES_PER_PAGE
            {
                return (kept, position - own);
            }
            kept.push(entry);
        }
    }
    (kept, ids.len())
}

/// Where the next page starts, or `None` after the last: on in the same
/// listing when the page stopped part-way (`taken` of its keys), else at the
/// listing's next cursor.
fn next_cursor(
    cursor: &PageCursor,
    listed: &Page,
    taken: usize,
    only_own: bool,
    listing: &Listing<'_>,
) -> Option<PageCursor> {
    let own_listed = cursor.own_listed || matches!(listing, Listing::Subtree(_));
    if only_own {
        return Some(PageCursor { listing: cursor.listing.clone(), skip: cursor.skip, own_listed });
    }
    if taken < listed.keys.len() {
        return Some(PageCursor { listing: cursor.listing.clone(), skip: taken, own_listed });
    }
    listed.cursor.clone().map(|next| PageCursor { listing: Some(next), skip: 0, own_listed })
}
