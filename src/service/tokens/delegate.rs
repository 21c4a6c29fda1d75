//! Delegation: what a token may hand down when it creates another.
//!
//! The admin token may grant anything. An issued token may grant only what it
//! holds: each capability it has, with each limit it has there kept and no
//! wider (a `calls` or `spend` max no larger, in no other currency; a
//! periodic one periodic still, with a max no larger and a period no
//! shorter, so that no span of its own period holds more; targets among its
//! own; listen ranges within its own, or loopback only where it has none),
//! and an expiry no later than its own (inherited when the request gives no
//! lifetime). The child records its ancestors, so that the
//! whole subtree can be revoked with any of them, and the limits above each
//! of its capabilities, whose budgets its calls share.

use crate::contract::{bounds::MAX_DEPTH, currency::Currency, error::ApiError};

use super::validate::NewToken;
use crate::service::{
    conditions::ListenRange,
    records::{Bound, Grant, PeriodicBudget, SpendBudget, TokenRecord},
};

/// Who is creating a token.
#[derive(Clone, Copy, Debug)]
pub enum Creator<'a> {
    /// The admin token: no record, no bounds.
    Admin,
    /// An issued token, bounded by its own record.
    Issued(&'a TokenRecord),
}

/// What delegation decides about a new token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Terms {
    /// Seconds since the epoch, or `None` for a token that does not expire.
    pub valid_until: Option<u64>,
    /// The new token's ancestors, root first.
    pub ancestors: Vec<String>,
    /// When the root of the new token's tree expires (for a delegated token).
    pub root_valid_until: Option<u64>,
    /// The requested grants, each with the limits above it that it shares.
    pub grants: Vec<Grant>,
}

/// Checks `request` against what `creator` may hand down at `now_ms`
/// (milliseconds since the epoch). A lifetime of N seconds ends N seconds
/// from now or, in whole seconds, the second after.
pub fn terms(creator: Creator<'_>, request: &NewToken, now_ms: u64) -> Result<Terms, ApiError> {
    let requested_until =
        request.lifetime.map(|secs| now_ms.saturating_add(secs.saturating_mul(1000)).div_ceil(1000));
    let parent = match creator {
        Creator::Admin => {
            return Ok(Terms {
                valid_until: requested_until,
                ancestors: Vec::new(),
                root_valid_until: None,
                grants: request.grants.clone(),
            })
        }
        Creator::Issued(parent) => parent,
    };
    if !request.grants.iter().all(|grant| within_parent(parent, grant)) {
        return Err(ApiError::CapabilitiesNotAllowed);
    }
    let valid_until = match (requested_until, parent.valid_until) {
        (Some(child), Some(limit)) if child > limit => return Err(ApiError::LifetimeNotAllowed),
        (Some(child), _) => Some(child),
        (None, inherited) => inherited,
    };
    if parent.ancestors.len() >= MAX_DEPTH {
        return Err(ApiError::DelegationTooDeep);
    }
    let grants = request.grants.iter().map(|grant| sharing_with(parent, grant)).collect();
    Ok(Terms { valid_until, ancestors: parent.path(), root_valid_until: parent.tree_valid_until(), grants })
}

/// `grant` with the limits above it: its parent's, and those its parent
/// shares, for the calls and for each currency's spend. A parent without a
/// limit has no limited ancestor on it either.
fn sharing_with(parent: &TokenRecord, grant: &Grant) -> Grant {
    let Some(held) = parent.grant(&grant.endpoint) else { return grant.clone() };
    let shared_with = match held.max_calls {
        Some(max) => held.shared_with.iter().copied().chain([max]).collect(),
        None => Vec::new(),
    };
    let spend = grant
        .spend
        .iter()
        .map(|budget| {
            let above = held.spend_in(budget.currency);
            let shared_with = above
                .map(|above| above.shared_with.iter().copied().chain([above.max]).collect())
                .unwrap_or_default();
            SpendBudget { shared_with, ..budget.clone() }
        })
        .collect();
    let periodic = grant
        .periodic
        .iter()
        .map(|budget| {
            let above = held.periodic_of(budget.currency);
            let shared_with: Vec<Bound> = above
                .map(|above| above.shared_with.iter().copied().chain([above.bound()]).collect())
                .unwrap_or_default();
            PeriodicBudget { shared_with, ..budget.clone() }
        })
        .collect();
    Grant { shared_with, spend, periodic, ..grant.clone() }
}

/// True when `grant` is no wider than what `parent` holds of its endpoint:
/// each of the parent's limits is kept, at most as wide.
fn within_parent(parent: &TokenRecord, grant: &Grant) -> bool {
    let Some(held) = parent.grant(&grant.endpoint) else { return false };
    let calls = match (held.max_calls, grant.max_calls) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(held_max), Some(max)) => max <= held_max,
    };
    let periodic_calls = periodic_within(held, grant, None);
    let spend = match held.spend_currencies() {
        moved if moved.is_empty() => true,
        moved => {
            let asked = grant.spend_currencies();
            !asked.is_empty()
                && asked
                    .iter()
                    .all(|currency| moved.contains(currency) && spend_within(held, grant, *currency))
        }
    };
    let targets = match (&held.targets, &grant.targets) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(allowed), Some(targets)) => targets.iter().all(|target| allowed.contains(target)),
    };
    let listen = match (&held.listen, &grant.listen) {
        (_, None) => held.listen.is_none(),
        (None, Some(ranges)) => ranges.iter().all(ListenRange::is_loopback),
        (Some(allowed), Some(ranges)) => {
            ranges.iter().all(|range| allowed.iter().any(|above| range.within(above)))
        }
    };
    calls && periodic_calls && spend && targets && listen
}

/// True when `grant` keeps each limit `held` has on what a call moves in
/// `currency`, at most as wide: its lifetime budget, and its periodic one.
fn spend_within(held: &Grant, grant: &Grant, currency: Currency) -> bool {
    let lifetime = held
        .spend_in(currency)
        .is_none_or(|above| grant.spend_in(currency).is_some_and(|budget| budget.max <= above.max));
    lifetime && periodic_within(held, grant, Some(currency))
}

/// True when `grant` keeps the periodic limit `held` has on the calls
/// (`currency` `None`) or on what they move in `currency`, if it has one:
/// at most as many in a period at least as long, so that no span of the
/// held period sees more.
fn periodic_within(held: &Grant, grant: &Grant, currency: Option<Currency>) -> bool {
    held.periodic_of(currency).is_none_or(|above| {
        grant
            .periodic_of(currency)
            .is_some_and(|budget| budget.max <= above.max && budget.period >= above.period)
    })
}

/// True when a token with `ancestors` and id `target` is `caller_id` itself
/// or one of its descendants.
pub fn may_delete(caller_id: &str, target: &str, ancestors: &[String]) -> bool {
    target == caller_id || ancestors.iter().any(|a| a == caller_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::currency::Currency;

    fn grant(endpoint: &str, max_calls: Option<u64>) -> Grant {
        Grant { endpoint: endpoint.to_string(), max_calls, ..Grant::default() }
    }

    fn parent(valid_until: Option<u64>) -> TokenRecord {
        let shared = Grant { shared_with: vec![20], ..grant("tokensCreate", Some(10)) };
        TokenRecord {
            id: "P".into(),
            description: String::new(),
            grants: vec![shared, grant("nodePing", None)],
            valid_until,
            ancestors: vec!["R".into()],
            root_valid_until: Some(9000),
            ..TokenRecord::default()
        }
    }

    fn request(grants: Vec<Grant>, lifetime: Option<u64>) -> NewToken {
        NewToken { grants, lifetime, description: String::new() }
    }

    #[test]
    fn admin_grants_anything() {
        let req = request(vec![grant("accountWithdraw", Some(1))], Some(30));
        let terms = terms(Creator::Admin, &req, 1_000_000).unwrap();
        let expected = Terms {
            valid_until: Some(1030),
            ancestors: vec![],
            root_valid_until: None,
            grants: req.grants.clone(),
        };
        assert_eq!(terms, expected);
    }

    #[test]
    fn a_lifetime_is_never_shorter_than_asked() {
        let req = request(vec![grant("nodePing", None)], Some(1));
        for now_ms in [1_000_000, 1_000_001, 1_000_999] {
            let until = terms(Creator::Admin, &req, now_ms).unwrap().valid_until.unwrap();
            assert!(until * 1000 >= now_ms + 1000, "{now_ms} ms + 1 s ends by {until} s");
            assert!(until * 1000 < now_ms + 2000, "and within the second after");
        }
    }

    #[test]
    fn child_shares_the_limits_above_it_and_knows_its_trees_expiry() {
        let p = parent(None);
        let req = request(vec![grant("tokensCreate", Some(3)), grant("nodePing", Some(3))], None);
        let terms = terms(Creator::Issued(&p), &req, 0).unwrap();
        assert_eq!(terms.grants[0].shared_with, vec![20, 10], "the root's and the parent's");
        assert!(terms.grants[1].shared_with.is_empty(), "nodePing is unlimited above");
        assert_eq!(terms.root_valid_until, Some(9000));
    }

    #[test]
    fn child_may_narrow_a_limit_and_add_one() {
        let p = parent(None);
        let req = request(vec![grant("tokensCreate", Some(10)), grant("nodePing", Some(3))], None);
        let terms = terms(Creator::Issued(&p), &req, 0).unwrap();
        assert_eq!(terms.ancestors, vec!["R".to_string(), "P".to_string()]);
        assert_eq!(terms.valid_until, None);
    }

    #[test]
    fn child_may_not_widen_or_drop_a_limit() {
        let p = parent(None);
        for g in [grant("tokensCreate", Some(11)), grant("tokensCreate", None)] {
            let err = terms(Creator::Issued(&p), &request(vec![g], None), 0).unwrap_err();
            assert_eq!(err, ApiError::CapabilitiesNotAllowed);
        }
    }

    #[test]
    fn child_may_not_hold_what_the_parent_lacks() {
        let p = parent(None);
        let err = terms(Creator::Issued(&p), &request(vec![grant("tokensDelete", None)], None), 0);
        assert_eq!(err.unwrap_err(), ApiError::CapabilitiesNotAllowed);
    }

    #[test]
    fn child_inherits_expiry_and_may_not_outlive_the_parent() {
        let p = parent(Some(500));
        let req = |lifetime| request(vec![grant("nodePing", None)], lifetime);
        assert_eq!(terms(Creator::Issued(&p), &req(None), 100_000).unwrap().valid_until, Some(500));
        assert_eq!(terms(Creator::Issued(&p), &req(Some(400)), 100_000).unwrap().valid_until, Some(500));
        assert_eq!(
            terms(Creator::Issued(&p), &req(Some(400)), 100_001).unwrap_err(),
            ApiError::LifetimeNotAllowed,
            "400 s from 100.001 s end after 500 s"
        );
        assert_eq!(
            terms(Creator::Issued(&p), &req(Some(401)), 100_000).unwrap_err(),
            ApiError::LifetimeNotAllowed
        );
    }

    #[test]
    fn delegation_depth_is_bounded() {
        let mut p = parent(None);
        p.ancestors = (0..MAX_DEPTH).map(|i| i.to_string()).collect();
        let err = terms(Creator::Issued(&p), &request(vec![grant("nodePing", None)], None), 0);
        assert_eq!(err.unwrap_err(), ApiError::DelegationTooDeep);
    }

    #[test]
    fn a_token_may_delete_itself_and_its_descendants_only() {
        let ancestors = vec!["R".to_string(), "P".to_string()];
        assert!(may_delete("P", "C", &ancestors));
        assert!(may_delete("R", "C", &ancestors));
        assert!(may_delete("C", "C", &ancestors));
        assert!(!may_delete("X", "C", &ancestors));
    }

    fn spend(currency: Currency, max: u128) -> SpendBudget {
        SpendBudget { currency, max, shared_with: Vec::new() }
    }

    fn conditioned(
        spend_budgets: Vec<SpendBudget>,
        targets: Option<&[&str]>,
        listen: Option<&[&str]>,
    ) -> Grant {
        Grant {
            spend: spend_budgets,
            targets: targets.map(|targets| targets.iter().map(|t| t.to_string()).collect()),
            listen: listen.map(|ranges| ranges.iter().map(|r| r.parse().unwrap()).collect()),
            ..grant("accountWithdraw", None)
        }
    }

    fn holding(grant: Grant) -> TokenRecord {
        TokenRecord {
            id: "P".into(),
            grants: vec![grant],
            ancestors: vec!["R".into()],
            ..TokenRecord::default()
        }
    }

    fn allowed(parent: &TokenRecord, child: Grant) -> bool {
        terms(Creator::Issued(parent), &request(vec![child], None), 0).is_ok()
    }

    #[test]
    fn a_child_keeps_each_spend_budget_no_larger_and_in_no_other_currency() {
        let mut above = spend(Currency::WxHopr, 10);
        above.shared_with = vec![50];
        let p = holding(conditioned(vec![above], None, None));
        assert!(allowed(&p, conditioned(vec![spend(Currency::WxHopr, 10)], None, None)));
        assert!(!allowed(&p, conditioned(vec![spend(Currency::WxHopr, 11)], None, None)), "wider");
        assert!(!allowed(&p, conditioned(vec![], None, None)), "dropped");
        assert!(!allowed(
            &p,
            conditioned(vec![spend(Currency::WxHopr, 1), spend(Currency::XDai, 1)], None, None)
        ));
        let child = conditioned(vec![spend(Currency::WxHopr, 4)], None, None);
        let terms = terms(Creator::Issued(&p), &request(vec![child], None), 0).unwrap();
        assert_eq!(terms.grants[0].spend[0].shared_with, vec![50, 10], "the root's and the parent's budgets");
    }

    #[test]
    fn a_child_may_add_a_spend_budget_below_an_unbounded_parent() {
        let p = holding(conditioned(vec![], None, None));
        let child = conditioned(vec![spend(Currency::XDai, 1)], None, None);
        let terms = terms(Creator::Issued(&p), &request(vec![child], None), 0).unwrap();
        assert!(terms.grants[0].spend[0].shared_with.is_empty());
    }

    #[test]
    fn a_childs_targets_are_among_its_parents() {
        let p = holding(conditioned(vec![], Some(&["0xa", "0xb"]), None));
        assert!(allowed(&p, conditioned(vec![], Some(&["0xb"]), None)));
        assert!(!allowed(&p, conditioned(vec![], Some(&["0xb", "0xc"]), None)));
        assert!(!allowed(&p, conditioned(vec![], None, None)), "dropped");
        assert!(allowed(
            &holding(conditioned(vec![], None, None)),
            conditioned(vec![], Some(&["0xc"]), None)
        ));
    }

    #[test]
    fn a_childs_listen_ranges_are_within_its_parents_or_loopback_when_it_has_none() {
        let p = holding(conditioned(vec![], None, Some(&["10.0.0.1:10000-10100"])));
        assert!(allowed(&p, conditioned(vec![], None, Some(&["10.0.0.1:10050-10060"]))));
        assert!(!allowed(&p, conditioned(vec![], None, Some(&["10.0.0.1:9000-10050"]))));
        assert!(!allowed(&p, conditioned(vec![], None, None)), "loopback is not within 10.0.0.1");
        let unconditioned = holding(conditioned(vec![], None, None));
        assert!(allowed(&unconditioned, conditioned(vec![], None, Some(&["127.0.0.1:1-65535", "[::1]:80"]))));
        assert!(!allowed(&unconditioned, conditioned(vec![], None, Some(&["0.0.0.0:80"]))));
    }
}
