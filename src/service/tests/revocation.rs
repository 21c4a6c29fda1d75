//! Revocation at any size: a delete refuses the whole subtree before it
//! answers, whatever its size, and the clean-up removes it from storage in
//! steps that each stay within the platform's per-invocation limit.

use serde_json::json;

use super::*;
use crate::service::{store::Budgets, tree::cleanup::OPS_PER_STEP};

#[test]
fn a_tree_of_600_descendants_made_by_issued_tokens_is_revoked_by_one_delete() {
    let harness = Harness::new();
    let (root, root_id) = harness.issue(ADMIN, token_caps());
    let mut descendants = Vec::new();
    for _ in 0..20 {
        let (child, _) = harness.issue(&root, token_caps());
        for _ in 0..29 {
            descendants.push(harness.issue(&child, token_caps()).0);
        }
        descendants.push(child);
    }
    let (other, _) = harness.issue(ADMIN, token_caps());
    let before = harness.kv().operations();
    assert_eq!(harness.delete(ADMIN, &root_id).status(), 204);
    assert!(harness.kv().operations() - before < 20, "the delete itself does not walk the tree");
    for token in descendants.iter().step_by(37) {
        assert_eq!(harness.get(token).status(), 401, "refused once 204 was sent");
    }
    let steps = harness.clean_up();
    assert!(steps.len() > 1 && steps.iter().all(|&ops| ops <= OPS_PER_STEP), "{steps:?}");
    assert_eq!(harness.kept_keys().len(), 2, "only the other token remains: {:?}", harness.kept_keys().len());
    assert_eq!(harness.get(&other).status(), 200);
}

#[test]
fn revoked_descendants_are_refused_by_the_budgets_too() {
    let harness = Harness::new();
    let (root, root_id) = harness
        .issue(ADMIN, json!({"capabilities": [limited("nodeGetInfo", 5), {"endpoint": "tokensCreate"}]}));
    let (child, _) = harness.issue(&root, json!({"capabilities": [limited("nodeGetInfo", 5)]}));
    assert_eq!(harness.delete(ADMIN, &root_id).status(), 204);
    // Another location that has not yet seen the delete still finds the
    // records in storage; the tree's budgets refuse the call all the same.
    let stale = pollster::block_on(harness.service.budgets().charge(
        &root_id,
        &crate::service::tree::budgets::ChargeRequest {
            path: vec![root_id.clone(), "child".into()],
            ..Default::default()
        },
    ))
    .unwrap();
    assert_eq!(stale.refused, Some(crate::service::tree::budgets::Refusal::Revoked));
    assert_eq!(harness.call("GET", "/api/v4/node/info", Some(&child), None).status(), 401);
}
