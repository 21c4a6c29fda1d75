//! Budgets shared down the tree, tried as an attacker would: a child never
//! adds to its parent's budget, at any depth, and a refused call counts
//! nowhere.

use serde_json::json;

use super::*;

/// Withdrawals the node received.
fn withdrawals(harness: &Harness) -> usize {
    harness.node_calls().iter().filter(|call| call.path.ends_with("/account/withdraw")).count()
}

fn withdraw(harness: &Harness, token: &str) -> Got {
    harness.call("POST", "/api/v4/account/withdraw", Some(token), Some(json!({"amount": "1 xDai"})))
}

#[test]
fn ten_children_of_a_parent_limited_to_one_withdraw_get_none_after_it() {
    let harness = Harness::new();
    let (parent, _) = harness
        .issue(ADMIN, json!({"capabilities": [limited("accountWithdraw", 1), {"endpoint": "tokensCreate"}]}));
    assert_eq!(withdraw(&harness, &parent).status(), 200);
    assert_refused(&withdraw(&harness, &parent), "limit_exhausted");
    for _ in 0..10 {
        let (child, _) = harness.issue(&parent, json!({"capabilities": [limited("accountWithdraw", 1)]}));
        let refused = withdraw(&harness, &child);
        assert_refused(&refused, "limit_exhausted");
        assert!(refused.body()["error"].as_str().unwrap().contains("shared"), "{:?}", refused.body());
    }
    assert_eq!(withdrawals(&harness), 1, "the node saw one withdrawal from a token limited to one");
}

#[test]
fn children_share_their_parents_budget_before_it_is_used_up() {
    let harness = Harness::new();
    let (parent, _) = harness
        .issue(ADMIN, json!({"capabilities": [limited("accountWithdraw", 3), {"endpoint": "tokensCreate"}]}));
    let children: Vec<String> = (0..5)
        .map(|_| harness.issue(&parent, json!({"capabilities": [limited("accountWithdraw", 3)]})).0)
        .collect();
    let granted =
        children.iter().cycle().take(15).filter(|child| withdraw(&harness, child).status() == 200).count();
    assert_eq!(granted, 3);
    assert_eq!(withdrawals(&harness), 3);
}

#[test]
fn a_self_replicating_tree_makes_no_more_calls_than_its_root_may() {
    let harness = Harness::new();
    let (root, _) = harness.issue(
        ADMIN,
        json!({"capabilities": [limited("nodeGetInfo", 1), limited("tokensCreate", 2), {"endpoint": "tokensGetToken"}]}),
    );
    // Each token tries to make two children, breadth first, as deep as it can.
    let mut frontier = vec![root.clone()];
    let mut tokens = vec![root.clone()];
    for _ in 0..6 {
        let mut next = Vec::new();
        for holder in &frontier {
            for _ in 0..2 {
                let body = json!({"capabilities": [limited("nodeGetInfo", 1), limited("tokensCreate", 2)]});
                if let Got::Service(response) = harness.create(holder, body) {
                    if response.status == 201 {
                        let created: serde_json::Value =
                            serde_json::from_str(response.body.as_deref().unwrap()).unwrap();
                        next.push(created["token"].as_str().unwrap().to_string());
                    }
                }
            }
        }
        tokens.extend(next.iter().cloned());
        frontier = next;
    }
    assert_eq!(tokens.len(), 3, "the root's two creates are the tree's two creates");
    let calls = tokens
        .iter()
        .filter(|token| harness.call("GET", "/api/v4/node/info", Some(token), None).status() == 200)
        .count();
    assert_eq!(calls, 1, "the whole tree makes the root's one call");
    let used = harness.get(&root).body();
    assert_eq!(used["capabilities"][0]["limits"][0]["used"], json!(1), "the root's use is its subtree's");
    assert_eq!(used["capabilities"][1]["limits"][0]["used"], json!(2));
}

#[test]
fn a_used_up_parent_cannot_renew_its_allowance_through_a_child() {
    let harness = Harness::new();
    let (parent, _) = harness
        .issue(ADMIN, json!({"capabilities": [limited("tokensGetToken", 2), {"endpoint": "tokensCreate"}]}));
    assert_eq!(harness.get(&parent).status(), 200);
    assert_eq!(harness.get(&parent).status(), 200);
    let (child, _) = harness.issue(&parent, json!({"capabilities": [limited("tokensGetToken", 2)]}));
    assert_refused(&harness.get(&child), "limit_exhausted");
    assert_refused(&harness.get(&parent), "limit_exhausted");
}

#[test]
fn a_childs_use_shows_in_every_limited_ancestor() {
    let harness = Harness::new();
    let (root, _) = harness.issue(
        ADMIN,
        json!({"capabilities": [limited("tokensGetToken", 10), limited("nodeGetInfo", 10), {"endpoint": "tokensCreate"}]}),
    );
    let (middle, _) = harness.issue(&root, json!({"capabilities": [limited("tokensGetToken", 5), limited("nodeGetInfo", 5), {"endpoint": "tokensCreate"}]}));
    let (leaf, _) = harness
        .issue(&middle, json!({"capabilities": [limited("tokensGetToken", 5), limited("nodeGetInfo", 1)]}));
    assert_eq!(harness.call("GET", "/api/v4/node/info", Some(&leaf), None).status(), 200);
    assert_eq!(harness.get(&leaf).body()["capabilities"][1]["limits"][0]["used"], json!(1));
    let middle_view = harness.get(&middle).body();
    assert_eq!(middle_view["capabilities"][0]["limits"][0]["used"], json!(2), "the leaf's read and its own");
    assert_eq!(middle_view["capabilities"][1]["limits"][0]["used"], json!(1), "the leaf's node call");
    assert_eq!(harness.get(&root).body()["capabilities"][0]["limits"][0]["used"], json!(3));
}

#[test]
fn a_call_refused_by_an_ancestor_counts_nowhere() {
    let harness = Harness::new();
    let (parent, _) = harness.issue(ADMIN, json!({"capabilities": [limited("nodeGetInfo", 1), {"endpoint": "tokensCreate"}, {"endpoint": "tokensGetToken"}]}));
    let (child, _) = harness
        .issue(&parent, json!({"capabilities": [limited("nodeGetInfo", 1), {"endpoint": "tokensGetToken"}]}));
    assert_eq!(harness.call("GET", "/api/v4/node/info", Some(&parent), None).status(), 200);
    assert_refused(&harness.call("GET", "/api/v4/node/info", Some(&child), None), "limit_exhausted");
    assert_eq!(harness.get(&child).body()["capabilities"][0]["limits"][0]["used"], json!(0));
}

#[test]
fn unlimited_trees_never_ask_for_budgets() {
    let harness = Harness::new();
    let (root, _) = harness.issue(ADMIN, json!({"capabilities": [{"endpoint": "nodeGetInfo"}, {"endpoint": "tokensCreate"}, {"endpoint": "tokensGetToken"}]}));
    let (child, _) = harness.issue(&root, caps(&["nodeGetInfo", "tokensGetToken"]));
    assert_eq!(harness.call("GET", "/api/v4/node/info", Some(&child), None).status(), 200);
    assert_eq!(harness.get(&child).status(), 200);
    assert_eq!(harness.service.budgets().asked.get(), 0);
}
