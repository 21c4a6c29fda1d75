//! Managing tokens: list them a page at a time, inspect one, rotate its
//! secret, and find the token an id names when the caller may manage it.
//!
//! A caller sees what it may delete: the admin token every token, an issued
//! token itself and its descendants; any other id is answered as not found.
//! Listing and inspecting need no capability and count no call; rotating
//! needs `tokensRotate` and counts like any call.
//!
//! A page costs a bounded amount of storage work, whatever its size: one
//! listing, one bulk read per hundred tokens (the index entries hold the
//! records), one bulk read per hundred ancestors to check, and one read of
//! each tree's budgets, made together, at most [`MAX_TREES_PER_PAGE`]: a page
//! whose tokens span more trees stops early, and its cursor goes on from
//! there.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::try_join_all;

use crate::contract::{
    bounds::MAX_COUNTED_DESCENDANTS,
    error::{AdminTokenProblem, ApiError},
    model::{to_json, RotatedToken, TokenId, TokenInfo, TokenPage},
    routes::Operation,
    secret::is_well_formed_id,
};

use super::{
    auth::{unavailable, Principal},
    budgets::{RotationAction, RotationReply, RotationStep, Used},
    delegate,
    http::{ApiRequest, ApiResponse, BodySource},
    paging::{self, PageCursor},
    records::IndexEntry,
    secret,
    store::{Budgets, KeyValue, Page, MAX_BULK_KEYS, MAX_LIST_KEYS},
    validate, Service, SignInLimiter,
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

impl<K: KeyValue, B: Budgets, L: SignInLimiter> Service<K, B, L> {
    /// `GET /tokens`.
    pub(super) async fn list(
        &self,
        request: &ApiRequest,
        now_ms: u64,
        caller: &mut Option<Principal>,
    ) -> Result<ApiResponse, ApiError> {
        let principal = self.authenticate_caller(request, now_ms, caller).await?;
        let query = paging::parse_list_query(request.query.as_deref())?;
        let own = match principal {
            Principal::Issued(record) => Some(self.own_entry(&record.id).await?),
            Principal::Admin => None,
        };
        let listing = match (&query.parent, &own) {
            (Some(parent), _) => {
                self.visible_token(principal, parent, now_ms).await?;
                Listing::Children(parent.clone())
            }
            (None, Some(own)) => Listing::Subtree(own),
            (None, None) => Listing::All,
        };
        let admin =
            self.config.admin_token.as_ref().ok_or(ApiError::Misconfigured(AdminTokenProblem::Missing))?;
        let binding = listing.binding();
        let cursor = PageCursor::open(query.cursor.as_deref(), admin, &binding)?;
        let (tokens, next) = self.page(&listing, cursor, query.limit, now_ms).await?;
        let page = TokenPage { tokens, cursor: next.map(|next| next.seal(admin, &binding)) };
        Ok(ApiResponse::json(200, to_json(&page)))
    }

    /// `GET /tokens/{id}`.
    pub(super) async fn inspect(
        &self,
        request: &ApiRequest,
        id: &str,
        now_ms: u64,
        caller: &mut Option<Principal>,
    ) -> Result<ApiResponse, ApiError> {
        let principal = self.authenticate_caller(request, now_ms, caller).await?;
        let entry = self.visible_token(principal, id, now_ms).await?;
        let used = self.usage_of(std::slice::from_ref(&entry)).await?;
        let mut info = entry.record.to_info(used.get(id).unwrap_or(&Used::new()));
        info.descendants = Some(self.count_descendants(id).await?);
        Ok(ApiResponse::json(200, to_json(&info)))
    }

    /// `POST /tokens/{id}/rotate`. The token's tree lets one rotation of a
    /// token be under way at a time, from the secret the token has: of
    /// concurrent rotations one goes through and the others change nothing
    /// (409). A rotation that finds the token revoked when it ends takes
    /// back what it wrote (404), so that a racing delete stays done.
    pub(super) async fn rotate(
        &self,
        request: &ApiRequest,
        id: &str,
        mut body: impl BodySource,
        now_ms: u64,
        caller: &mut Option<Principal>,
    ) -> Result<ApiResponse, ApiError> {
        let principal = self.authorize(request, now_ms, Operation::RotateToken.id(), false, caller).await?;
        let grace = validate::parse_rotate(&body.read_limited().await?)?;
        let entry = self.visible_token(principal, id, now_ms).await?;
        let new_secret = secret::new_secret()?;
        let new_key = secret::storage_key(&new_secret);
        let step = |action| RotationStep {
            path: entry.record.path(),
            to: new_key.clone(),
            action,
            started_ms: now_ms,
        };
        self.rotation_step(&entry, step(RotationAction::Begin { from: entry.key.clone() })).await?;
        let tokens = self.tokens();
        let switched = match self.charge(principal, Operation::RotateToken.id()).await {
            Ok(_) => tokens.switch_secret(&entry, &new_key, grace, now_ms).await.map_err(unavailable),
            Err(refused) => Err(refused),
        };
        let rotated = match switched {
            Ok(rotated) => rotated,
            Err(error) => {
                // Best effort: otherwise the token's rotations wait for the lease.
                let _ = self.budgets.rotate(entry.tree(), &step(RotationAction::Abandon)).await;
                return Err(error);
            }
        };
        if let Err(error) = self.rotation_step(&entry, step(RotationAction::Finish)).await {
            if error == ApiError::TokenNotFound {
                tokens.discard_rotation(&rotated).await.map_err(unavailable)?;
            }
            return Err(error);
        }
        tokens.retire_secrets(&entry, &rotated, now_ms).await.map_err(unavailable)?;
        let rotated_token = RotatedToken {
            token: new_secret,
            id: TokenId(id.to_string()),
            valid_until: rotated.record.valid_until,
            old_secret_valid_until_ms: rotated.retired.map_or(now_ms, |retired| retired.until_ms),
        };
        Ok(ApiResponse::json(201, to_json(&rotated_token)))
    }

    /// Takes `step` of a rotation of `entry`'s token in its tree.
    async fn rotation_step(&self, entry: &IndexEntry, step: RotationStep) -> Result<(), ApiError> {
        match self.budgets.rotate(entry.tree(), &step).await.map_err(unavailable)? {
            RotationReply::Granted => Ok(()),
            RotationReply::Conflict => Err(ApiError::RotationConflict),
            RotationReply::Revoked => Err(ApiError::TokenNotFound),
        }
    }

    /// The live token `id`, if `principal` may manage it: the admin any
    /// token, an issued token itself and its descendants. Anything else is
    /// not found.
    pub(super) async fn visible_token(
        &self,
        principal: &Principal,
        id: &str,
        now_ms: u64,
    ) -> Result<IndexEntry, ApiError> {
        if !is_well_formed_id(id) {
            return Err(ApiError::TokenNotFound);
        }
        let tokens = self.tokens();
        let entry = tokens.index(id).await.map_err(unavailable)?.ok_or(ApiError::TokenNotFound)?;
        if entry.record.is_expired(now_ms) {
            return Err(ApiError::TokenNotFound);
        }
        if let Principal::Issued(record) = principal {
            if !delegate::may_delete(&record.id, id, entry.ancestors()) {
                return Err(ApiError::TokenNotFound);
            }
        }
        if !entry.ancestors().is_empty()
            && !tokens.all_indexed(entry.ancestors()).await.map_err(unavailable)?
        {
            return Err(ApiError::TokenNotFound);
        }
        Ok(entry)
    }

    async fn own_entry(&self, id: &str) -> Result<IndexEntry, ApiError> {
        // The caller just authenticated, so its entry exists unless it was
        // deleted this very moment.
        self.tokens().index(id).await.map_err(unavailable)?.ok_or(ApiError::AuthenticationFailed)
    }

    /// One page of `listing`, from `cursor` on.
    async fn page(
        &self,
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
                self.list_ids(listing, cursor.listing.as_deref(), (cursor.skip + wanted).min(MAX_LIST_KEYS))
                    .await?
            }
        };
        let ids: Vec<String> = listed.keys.iter().skip(cursor.skip).cloned().collect();
        entries.extend(self.live_entries(&ids, now_ms).await?);
        let (entries, taken) = within_tree_budget(entries, &ids);
        let next = next_cursor(&cursor, &listed, cursor.skip + taken, wanted == 0, listing);
        let used = self.usage_of(&entries).await?;
        let tokens = entries
            .iter()
            .map(|entry| entry.record.to_info(used.get(&entry.record.id).unwrap_or(&Used::new())))
            .collect();
        Ok((tokens, next))
    }

    async fn list_ids(
        &self,
        listing: &Listing<'_>,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page, ApiError> {
        let tokens = self.tokens();
        match listing {
            Listing::All => tokens.all(cursor, limit).await,
            Listing::Subtree(own) => tokens.descendants(&own.record.id, cursor, limit).await,
            Listing::Children(parent) => tokens.children(parent, cursor, limit).await,
        }
        .map_err(unavailable)
    }

    /// The entries of `ids`, in order, each or `None` when it is gone,
    /// expired, or below a deleted token.
    async fn live_entries(&self, ids: &[String], now_ms: u64) -> Result<Vec<Option<IndexEntry>>, ApiError> {
        let tokens = self.tokens();
        let mut entries = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(MAX_BULK_KEYS) {
            entries.extend(tokens.indexes(chunk).await.map_err(unavailable)?);
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
            for (id, entry) in chunk.iter().zip(tokens.indexes(chunk).await.map_err(unavailable)?) {
                if entry.is_some_and(|entry| !entry.record.is_expired(now_ms)) {
                    live_ancestors.insert(id.clone());
                }
            }
        }
        let listed: BTreeSet<String> =
            entries.iter().flatten().map(|entry| entry.record.id.clone()).collect();
        Ok(entries
            .into_iter()
            .map(|entry| {
                entry.filter(|entry| {
                    !entry.record.is_expired(now_ms)
                        && entry
                            .ancestors()
                            .iter()
                            .all(|id| listed.contains(id) || live_ancestors.contains(id))
                })
            })
            .collect())
    }

    /// Each limited token's use, read from its tree's budgets, the trees
    /// together.
    async fn usage_of(&self, entries: &[IndexEntry]) -> Result<BTreeMap<String, Used>, ApiError> {
        let mut by_tree: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for entry in entries.iter().filter(|entry| entry.record.is_limited()) {
            by_tree.entry(entry.tree()).or_default().push(entry.record.id.clone());
        }
        let reads = by_tree.iter().map(|(tree, tokens)| self.budgets.usage(tree, tokens));
        let usages = try_join_all(reads).await.map_err(unavailable)?;
        Ok(usages.into_iter().flatten().collect())
    }

    async fn count_descendants(&self, id: &str) -> Result<u64, ApiError> {
        let tokens = self.tokens();
        let mut count = 0;
        let mut cursor = None;
        while (count as u64) < MAX_COUNTED_DESCENDANTS {
            let page = tokens.descendants(id, cursor.as_deref(), MAX_LIST_KEYS).await.map_err(unavailable)?;
            count += page.keys.len();
            match page.cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        Ok(count as u64)
    }
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
