//! Counting against a delegation tree's budgets, and reading them: a call
//! of an endpoint counts against the caller's `calls` limit and every
//! limited ancestor's, and the amount it moves against their `spend`
//! budgets, all or none, in the tree's counters
//! ([`crate::service::tree::budgets`]). A charge that does not fit is
//! refused with what was used up.

use std::collections::BTreeMap;

use futures_util::future::try_join_all;

use crate::contract::error::{ApiError, UsedUp};

use super::{
    auth::Principal,
    conditions::Amount,
    records::{IndexEntry, TokenRecord},
    store::Budgets,
    tree::{
        budgets::{spend_counter_currency, Charge, ChargeRequest, Refusal, Usage},
        window,
    },
};

/// Counts one call of `endpoint` by `principal`. Returns the caller's
/// counters when they were consulted (the endpoint is limited).
pub async fn call<B: Budgets>(
    budgets: &B,
    principal: &Principal,
    endpoint: &str,
) -> Result<Option<Usage>, ApiError> {
    let Principal::Issued(record) = principal else { return Ok(None) };
    charges(budgets, record, record.charges(endpoint, None)).await
}

/// Counts `charges` (a call, and the amount it moves) in `record`'s tree,
/// all or none; `None` when there is nothing to count.
pub async fn charges<B: Budgets>(
    budgets: &B,
    record: &TokenRecord,
    charges: Vec<Charge>,
) -> Result<Option<Usage>, ApiError> {
    if charges.is_empty() {
        return Ok(None);
    }
    let request = ChargeRequest {
        path: record.path(),
        charges,
        tree_valid_until: record.tree_valid_until(),
        event: None,
    };
    ask(budgets, record, request).await.map(Some)
}

/// The counters of a limited token, without counting a call.
pub async fn counters<B: Budgets>(budgets: &B, record: &TokenRecord) -> Result<Usage, ApiError> {
    let request = ChargeRequest {
        path: record.path(),
        charges: Vec::new(),
        tree_valid_until: record.tree_valid_until(),
        event: None,
    };
    ask(budgets, record, request).await
}

/// Each limited token's use among `entries`, read from its tree's budgets,
/// the trees together.
pub async fn usage_of<B: Budgets>(
    budgets: &B,
    entries: &[IndexEntry],
) -> Result<BTreeMap<String, Usage>, ApiError> {
    let mut by_tree: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for entry in entries.iter().filter(|entry| entry.record.is_limited()) {
        by_tree.entry(entry.tree()).or_default().push(entry.record.id.clone());
    }
    let reads = by_tree.iter().map(|(tree, tokens)| budgets.usage(tree, tokens));
    let usages = try_join_all(reads).await?;
    Ok(usages.into_iter().flatten().collect())
}

async fn ask<B: Budgets>(
    budgets: &B,
    record: &TokenRecord,
    request: ChargeRequest,
) -> Result<Usage, ApiError> {
    let reply = budgets.charge(record.tree(), &request).await?;
    match reply.refused {
        None => Ok(reply.used),
        Some(Refusal::Revoked) => Err(ApiError::AuthenticationFailed),
        Some(Refusal::UsedUp { charge, used }) => Err(used_up(record, charge, used)),
    }
}

/// The refusal of a charge that did not fit: a used-up `calls` limit, or an
/// amount more than is left of a `spend` budget; of a periodic one, in the
/// current span.
fn used_up(record: &TokenRecord, charge: Charge, used: u128) -> ApiError {
    let shared = charge.token != record.id;
    let period = window::period_of(&charge.counter);
    let base = window::base_of(&charge.counter);
    match spend_counter_currency(base) {
        Some(currency) => {
            let whose = if shared { "an ancestor's spend budget" } else { "the spend budget" };
            let left = Amount { currency, wei: charge.max.saturating_sub(used) };
            let max = Amount { currency, wei: charge.max };
            let per = period.map(|secs| format!(" per {secs} s")).unwrap_or_default();
            ApiError::ConditionFailed(format!(
                "amount: moves more than is left of {whose} ({left} of {max}{per} left)"
            ))
        }
        None => ApiError::LimitExhausted(UsedUp {
            shared,
            endpoint: base.to_string(),
            period,
            max: u64::try_from(charge.max).unwrap_or(u64::MAX),
            used: u64::try_from(used).unwrap_or(u64::MAX),
        }),
    }
}
