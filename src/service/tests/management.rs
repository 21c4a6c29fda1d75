//! `GET /tokens`, `GET /tokens/{id}`, `POST /tokens/{id}/rotate`: each outcome.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::*;
use crate::service::{
    records::IndexEntry,
    secret,
    store::{Budgets, StoreError, TokenStore},
    tokens::listing::MAX_TREES_PER_PAGE,
    tree::budgets::{RotationAction, RotationReply, RotationStep},
};

fn list(harness: &Harness, token: &str, query: &str) -> Got {
    harness.call("GET", &format!("/api/v3/tokens{query}"), Some(token), None)
}

/// Every token id `token` lists, following cursors with pages of `limit`;
/// also how many pages that took.
fn list_all(harness: &Harness, token: &str, limit: usize) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    for pages in 1.. {
        let query = match &cursor {
            Some(cursor) => format!("?limit={limit}&cursor={cursor}"),
            None => format!("?limit={limit}"),
        };
        let page = list(harness, token, &query);
        assert_eq!(page.status(), 200, "{:?}", page.body());
        let body = page.body();
        let tokens = body["tokens"].as_array().unwrap();
        assert!(tokens.len() <= limit);
        ids.extend(tokens.iter().map(|token| token["id"].as_str().unwrap().to_string()));
        match body["cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return (ids, pages),
        }
    }
    unreachable!()
}

fn inspect(harness: &Harness, token: &str, id: &str) -> Got {
    harness.call("GET", &format!("/api/v3/tokens/{id}"), Some(token), None)
}

fn rotate(harness: &Harness, token: &str, id: &str, body: Option<Value>) -> Got {
    harness.call("POST", &format!("/api/v3/tokens/{id}/rotate"), Some(token), body)
}

fn ids_of(list: &[String]) -> BTreeSet<String> {
    list.iter().cloned().collect()
}

// GET /tokens

#[test]
fn the_admin_lists_every_live_token_once_across_pages() {
    let harness = Harness::new();
    let (root, root_id) = harness.issue(ADMIN, token_caps());
    let mut expected = vec![root_id];
    for _ in 0..6 {
        expected.push(harness.issue(&root, token_caps()).1);
        expected.push(harness.issue(ADMIN, caps(&["nodeGetInfo"])).1);
    }
    let (listed, pages) = list_all(&harness, ADMIN, 5);
    assert_eq!(listed.len(), expected.len(), "each once");
    assert_eq!(ids_of(&listed), ids_of(&expected));
    assert!(pages >= 3, "{pages} pages of 5 for {} tokens", expected.len());
}

#[test]
fn an_issued_token_lists_itself_first_then_its_descendants_and_nothing_else() {
    let harness = Harness::new();
    let (parent, parent_id) = harness.issue(ADMIN, token_caps());
    let (child, child_id) = harness.issue(&parent, token_caps());
    let (_, grandchild_id) = harness.issue(&child, caps(&["tokensGetToken"]));
    harness.issue(ADMIN, token_caps());
    let (listed, _) = list_all(&harness, &parent, 2);
    assert_eq!(listed[0], parent_id, "itself first");
    assert_eq!(ids_of(&listed), ids_of(&[parent_id.clone(), child_id.clone(), grandchild_id.clone()]));
    let (from_child, _) = list_all(&harness, &child, 100);
    assert_eq!(from_child, vec![child_id, grandchild_id]);
}

#[test]
fn a_listing_shows_parent_creation_time_and_use_and_counts_no_call() {
    let harness = Harness::new();
    let (parent, parent_id) = harness
        .issue(ADMIN, json!({"capabilities": [limited("tokensGetToken", 5), {"endpoint": "tokensCreate"}]}));
    let (child, child_id) = harness.issue(&parent, json!({"capabilities": [limited("tokensGetToken", 2)]}));
    assert_eq!(harness.get(&child).status(), 200);
    let listed = list(&harness, &parent, "").body();
    let child_info =
        listed["tokens"].as_array().unwrap().iter().find(|token| token["id"] == json!(child_id)).unwrap();
    assert_eq!(child_info["parent"], json!(parent_id));
    assert_eq!(child_info["created_at"], json!(NOW));
    assert_eq!(child_info["capabilities"][0]["limits"][0]["used"], json!(1));
    assert_eq!(
        listed["tokens"][0]["capabilities"][0]["limits"][0]["used"],
        json!(1),
        "the parent's subtree's use"
    );
    for _ in 0..3 {
        assert_eq!(list(&harness, &child, "").status(), 200, "listing is free");
    }
    assert_eq!(harness.get(&child).status(), 200, "the child's second and last read");
}

#[test]
fn a_token_without_any_token_capability_sees_itself() {
    let harness = Harness::new();
    let (dashboard, id) = harness.issue(ADMIN, json!({"capabilities": [limited("nodeGetInfo", 3)]}));
    let me = list(&harness, &dashboard, "?limit=1").body();
    assert_eq!(me["tokens"][0]["id"], json!(id));
    assert_eq!(me["tokens"][0]["capabilities"][0]["limits"][0]["used"], json!(0));
    assert_eq!(inspect(&harness, &dashboard, &id).status(), 200);
}

#[test]
fn the_parent_filter_lists_direct_children_of_a_visible_token_only() {
    let harness = Harness::new();
    let (parent, parent_id) = harness.issue(ADMIN, token_caps());
    let (child, child_id) = harness.issue(&parent, token_caps());
    harness.issue(&child, token_caps());
    let (_, other_id) = harness.issue(ADMIN, token_caps());
    let children = list(&harness, ADMIN, &format!("?parent={parent_id}")).body();
    let ids: Vec<&str> =
        children["tokens"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [child_id.as_str()]);
    assert_eq!(
        list(&harness, &child, &format!("?parent={parent_id}")).status(),
        404,
        "its parent is not its to see"
    );
    assert_eq!(list(&harness, &parent, &format!("?parent={other_id}")).status(), 404);
}

#[test]
fn deleted_expired_and_revoked_tokens_are_not_listed() {
    let harness = Harness::new();
    let (parent, parent_id) = harness.issue(ADMIN, token_caps());
    harness.issue(&parent, token_caps());
    let mut short = token_caps();
    short["lifetime"] = json!(5);
    harness.issue(ADMIN, short);
    let (_, kept) = harness.issue(ADMIN, token_caps());
    assert_eq!(harness.delete(ADMIN, &parent_id).status(), 204);
    let page = harness.send_at(&request("GET", "/api/v3/tokens", Some(ADMIN)), b"", at(NOW + 5)).body();
    let ids: Vec<&str> =
        page["tokens"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [kept.as_str()], "the revoked child is listed nowhere, before any clean-up");
}

#[test]
fn a_page_reads_the_budgets_of_a_bounded_number_of_trees() {
    let harness = Harness::new();
    let trees = MAX_TREES_PER_PAGE + 5;
    let expected: Vec<String> = (0..trees)
        .map(|_| harness.issue(ADMIN, json!({"capabilities": [limited("nodeGetInfo", 1)]})).1)
        .collect();
    let first = list(&harness, ADMIN, "?limit=100").body();
    assert_eq!(first["tokens"].as_array().unwrap().len(), MAX_TREES_PER_PAGE);
    assert!(first["cursor"].is_string(), "the rest is on the next page");
    let (listed, _) = list_all(&harness, ADMIN, 100);
    assert_eq!((listed.len(), ids_of(&listed)), (trees, ids_of(&expected)));
}

#[test]
fn list_refuses_bad_queries() {
    let harness = Harness::new();
    for query in ["?limit=0", "?limit=1001", "?cursor=nonsense!", "?parent=x"] {
        let got = list(&harness, ADMIN, query);
        assert_eq!((got.status(), got.body()["status"].clone()), (400, json!("INVALID_INPUT")), "{query}");
    }
}

// GET /tokens/{id}

#[test]
fn inspect_shows_a_visible_token_with_its_descendants_and_use() {
    let harness = Harness::new();
    let (parent, parent_id) =
        harness.issue(ADMIN, json!({"capabilities": [limited("tokensCreate", 5), {"endpoint": "tokensGetToken"}], "description": "ops"}));
    let (child, child_id) = harness.issue(&parent, caps(&["tokensGetToken"]));
    harness.issue(&parent, caps(&["tokensGetToken"]));
    let info = inspect(&harness, ADMIN, &parent_id).body();
    assert_eq!(info["description"], json!("ops"));
    assert_eq!(info["descendants"], json!(2));
    assert_eq!(info["capabilities"][0]["limits"][0]["used"], json!(2));
    assert!(info.get("parent").is_none(), "made by the admin");
    assert_eq!(inspect(&harness, &parent, &child_id).body()["parent"], json!(parent_id));
    assert_eq!(inspect(&harness, &child, &child_id).status(), 200, "itself");
}

#[test]
fn inspect_answers_not_found_for_what_the_caller_may_not_see() {
    let harness = Harness::new();
    let (parent, parent_id) = harness.issue(ADMIN, token_caps());
    let (child, _) = harness.issue(&parent, token_caps());
    let (_, other_id) = harness.issue(ADMIN, token_caps());
    for (token, id) in [(&child, &parent_id), (&parent, &other_id)] {
        assert_eq!(inspect(&harness, token, id).body(), error("NOT_FOUND", "token not found"));
    }
    assert_eq!(inspect(&harness, ADMIN, "not-an-id").status(), 404);
}

// POST /tokens/{id}/rotate

#[test]
fn rotate_gives_a_new_secret_to_the_same_token_and_refuses_the_old_one() {
    let harness = Harness::new();
    let body = json!({"capabilities": [limited("tokensGetToken", 5), {"endpoint": "tokensRotate"}], "lifetime": 600});
    let (old, id) = harness.issue(ADMIN, body);
    assert_eq!(harness.get(&old).status(), 200);
    let rotated = rotate(&harness, ADMIN, &id, None);
    assert_eq!(rotated.status(), 201);
    let rotated = rotated.body();
    assert_eq!((rotated["id"].clone(), rotated["valid_until"].clone()), (json!(id), json!(NOW + 600)));
    let new = rotated["token"].as_str().unwrap();
    assert_eq!(harness.get(&old).status(), 401, "the old secret is refused at once");
    let same = harness.get(new).body();
    assert_eq!(same["id"], json!(id));
    assert_eq!(same["capabilities"][0]["limits"][0]["used"], json!(2), "the same counters");
}

#[test]
fn a_grace_period_keeps_the_old_secret_until_it_ends() {
    let harness = Harness::new();
    let (old, id) = harness.issue(ADMIN, token_caps());
    let new = rotate(&harness, ADMIN, &id, Some(json!({"grace": 30}))).body()["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(harness.get_at(&old, at(NOW + 29)).status(), 200, "the old secret still works");
    assert_eq!(harness.get_at(&old, at(NOW + 30)).status(), 401);
    assert_eq!(harness.get_at(&new, at(NOW + 30)).status(), 200);
}

#[test]
fn a_grace_of_n_seconds_lasts_n_seconds_to_the_millisecond_and_the_answer_says_until_when() {
    let harness = Harness::new();
    let (old, id) = harness.issue(ADMIN, token_caps());
    let rotated_at = at(NOW) + 999;
    let request = request("POST", &format!("/api/v3/tokens/{id}/rotate"), Some(ADMIN));
    let rotated = harness.send_at(&request, br#"{"grace": 1}"#, rotated_at);
    assert_eq!(rotated.body()["old_secret_valid_until_ms"], json!(rotated_at + 1000));
    assert_eq!(harness.get_at(&old, rotated_at + 999).status(), 200, "one second is a whole second");
    assert_eq!(harness.get_at(&old, rotated_at + 1000).status(), 401);
    let (_, id) = harness.issue(ADMIN, token_caps());
    let at_once = harness.send_at(
        &self::request("POST", &format!("/api/v3/tokens/{id}/rotate"), Some(ADMIN)),
        b"",
        rotated_at,
    );
    assert_eq!(
        at_once.body()["old_secret_valid_until_ms"],
        json!(rotated_at),
        "grace 0 ends at the rotation"
    );
}

#[test]
fn a_secret_in_its_grace_period_cannot_rotate_delete_or_create_but_works_otherwise() {
    let harness = Harness::new();
    let body = json!({"capabilities": [{"endpoint": "tokensRotate"}, {"endpoint": "tokensDelete"}, {"endpoint": "tokensCreate"}, {"endpoint": "tokensGetToken"}]});
    let (leaked, id) = harness.issue(ADMIN, body);
    let (_, child_id) = harness.issue(&leaked, token_caps());
    let owners = rotate(&harness, &leaked, &id, Some(json!({"grace": 300}))).body()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let thief_attempts = [
        rotate(&harness, &leaked, &id, Some(json!({"grace": 0}))),
        harness.delete(&leaked, &id),
        harness.delete(&leaked, &child_id),
        harness.create(&leaked, token_caps()),
    ];
    for refused in &thief_attempts {
        assert_refused(refused, "secret_in_grace");
    }
    assert_eq!(harness.get(&leaked).status(), 200, "its other calls work until the grace ends");
    assert_eq!(harness.get(&owners).status(), 200, "the owner's new secret keeps working");
    assert_eq!(harness.get_at(&leaked, at(NOW + 300)).status(), 401);
    let (ids, tokens) =
        (vec![id.clone(), child_id.clone()], harness.call("GET", "/api/v3/tokens", Some(&owners), None));
    let listed: BTreeSet<String> = tokens.body()["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, ids_of(&ids), "nothing was deleted or created");
    assert_eq!(rotate(&harness, &owners, &id, None).status(), 201, "the owner may rotate again");
}

#[test]
fn a_rotation_while_another_is_under_way_is_409_and_changes_nothing() {
    let harness = Harness::new();
    let (old, id) = harness
        .issue(ADMIN, json!({"capabilities": [limited("tokensRotate", 5), {"endpoint": "tokensGetToken"}]}));
    let entry = index_entry(&harness, &id);
    let begun = RotationStep {
        path: entry.record.path(),
        to: "held-by-a-rotation-under-way".into(),
        action: RotationAction::Begin { from: entry.key.clone() },
        started_ms: at(NOW),
    };
    assert_eq!(
        pollster::block_on(harness.service.budgets().rotate(entry.tree(), &begun)).unwrap(),
        RotationReply::Granted
    );
    let stored = (harness.kv().keys(), harness.kv().values());
    let conflict = rotate(&harness, &old, &id, None);
    assert_eq!(conflict.status(), 409);
    assert_eq!(conflict.body()["status"], json!("CONFLICT"));
    assert_eq!((harness.kv().keys(), harness.kv().values()), stored, "nothing was written");
    assert_eq!(harness.get(&old).body()["capabilities"][0]["limits"][0]["used"], json!(0), "nor counted");
}

#[test]
fn a_token_rotates_itself_and_its_descendants_within_its_capability() {
    let harness = Harness::new();
    let (parent, parent_id) = harness
        .issue(ADMIN, json!({"capabilities": [limited("tokensRotate", 2), {"endpoint": "tokensCreate"}]}));
    let (_, child_id) = harness.issue(&parent, json!({"capabilities": [limited("tokensRotate", 2)]}));
    let (_, other_id) = harness.issue(ADMIN, token_caps());
    assert_eq!(rotate(&harness, &parent, &other_id, None).status(), 404, "not its own");
    assert_eq!(rotate(&harness, &parent, &child_id, None).status(), 201);
    let renewed = rotate(&harness, &parent, &parent_id, None);
    assert_eq!(renewed.status(), 201);
    let renewed = renewed.body()["token"].as_str().unwrap().to_string();
    assert_refused(&rotate(&harness, &renewed, &parent_id, None), "limit_exhausted");
}

#[test]
fn rotate_refuses_a_bad_body() {
    let harness = Harness::new();
    let (_, id) = harness.issue(ADMIN, caps(&["tokensGetToken"]));
    for body in [json!({"grace": 3601}), json!({"grace": -1}), json!([])] {
        assert_eq!(rotate(&harness, ADMIN, &id, Some(body.clone())).status(), 400, "{body}");
    }
}

#[test]
fn a_delete_during_a_grace_period_refuses_both_secrets_and_leaves_nothing() {
    let harness = Harness::new();
    let (old, id) = harness.issue(ADMIN, token_caps());
    let new = rotate(&harness, ADMIN, &id, Some(json!({"grace": 600}))).body()["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(harness.delete(ADMIN, &id).status(), 204);
    assert_eq!((harness.get(&old).status(), harness.get(&new).status()), (401, 401));
    assert!(harness.kept_keys().is_empty(), "{:?}", harness.kv().keys());
}

/// Rotates token `id` from `entry`, read before: what a rotation that raced
/// others or failed part-way did to storage. Returns the new secret.
fn rotate_from(harness: &Harness, entry: &IndexEntry, grace: u64) -> Result<String, StoreError> {
    let secret = secret::new_secret().unwrap();
    let store = TokenStore::new(harness.kv());
    let rotated =
        pollster::block_on(store.switch_secret(entry, &secret::storage_key(&secret), grace, at(NOW)))?;
    pollster::block_on(store.retire_secrets(entry, &rotated, at(NOW)))?;
    Ok(secret)
}

fn index_entry(harness: &Harness, id: &str) -> IndexEntry {
    pollster::block_on(TokenStore::new(harness.kv()).index(id)).unwrap().unwrap()
}

#[test]
fn of_storage_writes_of_rotations_that_raced_only_the_last_to_switch_works_and_a_delete_refuses_all() {
    let harness = Harness::new();
    let (old, id) = harness.issue(ADMIN, token_caps());
    let before = index_entry(&harness, &id);
    let lost = rotate_from(&harness, &before, 0).unwrap();
    let won = rotate_from(&harness, &before, 600).unwrap();
    assert_eq!(harness.get(&lost).status(), 401, "a rotation whose index entry was overwritten");
    assert_eq!(
        (harness.get(&won).status(), harness.get(&old).status()),
        (200, 200),
        "the winner and its grace"
    );
    assert_eq!(harness.delete(ADMIN, &id).status(), 204);
    for secret in [&old, &lost, &won] {
        assert_eq!(harness.get(secret).status(), 401);
    }
}

#[test]
fn a_rotation_that_failed_after_its_switch_refuses_the_old_secret_and_can_be_retried() {
    let harness = Harness::new();
    let (old, id) = harness.issue(ADMIN, token_caps());
    let entry = index_entry(&harness, &id);
    harness.kv().fail_after(3); // marks the old record, writes the new one and the index entry
    let failed = rotate_from(&harness, &entry, 0);
    harness.kv().heal();
    assert!(failed.is_err());
    assert_eq!(harness.get(&old).status(), 401, "the old record remains, and is refused");
    let retried = rotate(&harness, ADMIN, &id, None);
    assert_eq!(retried.status(), 201);
    assert_eq!(harness.get(retried.body()["token"].as_str().unwrap()).status(), 200);
    assert_eq!(harness.get(&old).status(), 401);
}

#[test]
fn a_rotation_that_failed_before_its_switch_leaves_storage_as_it_was() {
    for failing in ["t:", "i:"] {
        let harness = Harness::new();
        let (old, id) = harness.issue(ADMIN, token_caps());
        let entry = index_entry(&harness, &id);
        let stored = (harness.kv().keys(), harness.kv().values());
        harness.kv().fail_on(failing);
        let failed = rotate_from(&harness, &entry, 0);
        harness.kv().heal();
        assert!(failed.is_err());
        assert_eq!((harness.kv().keys(), harness.kv().values()), stored, "failing on {failing}");
        assert_eq!(harness.get(&old).status(), 200);
    }
}

#[test]
fn a_rotated_token_costs_one_more_read_to_authenticate() {
    let harness = Harness::new();
    let (old, id) = harness.issue(ADMIN, token_caps());
    let reads = |secret: &str| {
        let before = harness.kv().operations();
        assert_eq!(harness.get(secret).status(), 200);
        harness.kv().operations() - before
    };
    assert_eq!(reads(&old), 1, "record and lock-out in one read");
    let new = rotate(&harness, ADMIN, &id, None).body()["token"].as_str().unwrap().to_string();
    assert_eq!(reads(&new), 2, "and the index entry");
}
