//! `GET /tokens/{id}/events` and what the service records: one test per
//! outcome of the route (a page, a forged cursor, no credential, a trail
//! that is not the caller's), what is and is not recorded, the trail of a
//! deleted token, the log fields of a spend and of a refusal, and
//! `last_used_at`.

use serde_json::json;

use super::*;

const PEER: &str = "0xb4ce7e6e36ac8b01a974725d5ba730af2b156fbe";
const STRANGER: &str = "0xa8194d36e322592d4c707b70dbe96121f5c74c64";

/// A bot that may withdraw 1 wxHOPR to `PEER`, call `nodeGetInfo` once and
/// create tokens: its secret and id.
fn bot(harness: &Harness) -> (String, String) {
    let withdraw = json!({"endpoint": "accountWithdraw", "limits": [
        {"type": "spend", "conditions": {"max": "1 wxHOPR"}},
        {"type": "targets", "conditions": {"allow": [PEER]}}]});
    harness.issue(
        ADMIN,
        json!({"capabilities": [withdraw, limited("nodeGetInfo", 1), {"endpoint": "tokensCreate"}]}),
    )
}

fn withdraw(harness: &Harness, token: &str, amount: &str, address: &str) -> Got {
    let body = json!({"amount": amount, "address": address});
    harness.call("POST", "/api/v4/account/withdraw", Some(token), Some(body))
}

fn events(harness: &Harness, token: &str, id: &str, query: &str) -> Got {
    harness.call("GET", &format!("/api/v3/tokens/{id}/events{query}"), Some(token), None)
}

/// Each event of a page as (token, actor, operation, status, reason, amount, target).
fn summary(page: &Value) -> Vec<Value> {
    let events = page["events"].as_array().unwrap();
    events
        .iter()
        .map(|e| {
            json!([
                e["token"],
                e["actor"],
                e["operation"],
                e["status"],
                e["reason"],
                e["amount"],
                e["target"]
            ])
        })
        .collect()
}

#[test]
fn a_page_lists_the_tokens_calls_refusals_and_spends_and_its_childs_newest_first() {
    let harness = Harness::new();
    let (secret, id) = bot(&harness);
    assert_eq!(withdraw(&harness, &secret, "0.6 wxHOPR", PEER).status(), 200);
    assert_eq!(withdraw(&harness, &secret, "0.6 wxHOPR", PEER).status(), 403);
    assert_eq!(withdraw(&harness, &secret, "0.1 wxHOPR", STRANGER).status(), 403);
    assert_eq!(harness.call("GET", "/api/v4/node/info", Some(&secret), None).status(), 200);
    assert_eq!(harness.call("GET", "/api/v4/channels", Some(&secret), None).status(), 403);
    let (child, child_id) = harness.issue(&secret, json!({"capabilities": [limited("nodeGetInfo", 1)]}));
    assert_eq!(harness.call("GET", "/api/v4/node/info", Some(&child), None).status(), 403);

    let page = events(&harness, ADMIN, &id, "");
    assert_eq!(page.status(), 200, "{:?}", page.body());
    assert_eq!(
        summary(&page.body()),
        [
            json!([child_id, child_id, "nodeGetInfo", 403, "limit_exhausted", null, null]),
            json!([child_id, id, "tokensCreate", 201, null, null, null]),
            json!([id, id, "channelsGetChannels", 403, "missing_capability", null, null]),
            json!([id, id, "nodeGetInfo", 200, null, null, null]),
            json!([id, id, "accountWithdraw", 403, "condition_failed", "0.1 wxHOPR", STRANGER]),
            json!([id, id, "accountWithdraw", 403, "condition_failed", "0.6 wxHOPR", PEER]),
            json!([id, id, "accountWithdraw", 200, null, "0.6 wxHOPR", PEER]),
            json!([id, "admin", "tokensCreate", 201, null, null, null]),
        ]
    );
    let first = &page.body()["events"][0];
    assert_eq!(
        (&first["method"], &first["path"], &first["at"]),
        (&json!("GET"), &json!("/api/v4/node/info"), &json!(at(NOW)))
    );
    assert_eq!(page.body()["cursor"], Value::Null, "one page holds them all");
    assert_eq!(events(&harness, &secret, &id, "").body(), page.body(), "the bot sees its own subtree's");
    assert_eq!(events(&harness, &child, &child_id, "").body()["events"].as_array().unwrap().len(), 2);
}

#[test]
fn pages_follow_their_cursors_each_event_once() {
    let harness = Harness::new();
    let (secret, id) = bot(&harness);
    for _ in 0..4 {
        harness.call("GET", "/api/v4/node/info", Some(&secret), None);
    }
    let all = events(&harness, ADMIN, &id, "").body()["events"].clone();
    assert_eq!(all.as_array().unwrap().len(), 5);
    let mut seen = Vec::new();
    let mut query = "?limit=2".to_string();
    loop {
        let page = events(&harness, ADMIN, &id, &query).body();
        seen.extend(page["events"].as_array().unwrap().iter().cloned());
        match page["cursor"].as_str() {
            Some(cursor) => query = format!("?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(Value::Array(seen), all);
}

#[test]
fn a_forged_borrowed_or_malformed_cursor_and_a_bad_limit_are_invalid_input() {
    let harness = Harness::new();
    let (secret, id) = bot(&harness);
    let (_, other) = harness.issue(ADMIN, caps(&["nodeGetInfo"]));
    harness.call("GET", "/api/v4/node/info", Some(&secret), None);
    let cursor = events(&harness, ADMIN, &id, "?limit=1").body()["cursor"].as_str().unwrap().to_string();
    assert_eq!(events(&harness, ADMIN, &id, &format!("?cursor={cursor}")).status(), 200);
    for query in [
        format!("?cursor={}x", cursor),
        "?cursor=forged".into(),
        "?limit=0".into(),
        format!("?parent={other}"),
    ] {
        let got = events(&harness, ADMIN, &id, &query);
        assert_eq!((got.status(), &got.body()["status"]), (400, &json!("INVALID_INPUT")), "{query}");
    }
    let borrowed = events(&harness, ADMIN, &other, &format!("?cursor={cursor}"));
    assert_eq!(borrowed.status(), 400, "a cursor of another token's trail");
}

#[test]
fn without_credentials_the_trail_is_refused_as_unauthenticated() {
    let harness = Harness::new();
    let (_, id) = bot(&harness);
    let got = harness.call("GET", &format!("/api/v3/tokens/{id}/events"), None, None);
    assert_eq!((got.status(), got.body()), (401, error("UNAUTHORIZED", "authentication failed")));
}

#[test]
fn a_trail_that_is_not_the_callers_is_not_found() {
    let harness = Harness::new();
    let (secret, id) = bot(&harness);
    let (child, _) = harness.issue(&secret, json!({"capabilities": [limited("nodeGetInfo", 1)]}));
    let (stranger, stranger_id) = harness.issue(ADMIN, caps(&["nodeGetInfo"]));
    for (caller, whose) in [(&child, &id), (&stranger, &id), (&secret, &stranger_id)] {
        assert_eq!(events(&harness, caller, whose, "").body(), error("NOT_FOUND", "token not found"));
    }
    assert_eq!(events(&harness, ADMIN, "not-an-id", "").status(), 404);
    assert_eq!(events(&harness, ADMIN, &crate::service::secret::new_id().unwrap(), "").status(), 404);
}

#[test]
fn reading_trails_and_tokens_is_not_recorded_nor_an_unlimited_tokens_reads_nor_the_admins_node_calls() {
    let harness = Harness::new();
    let (secret, id) = bot(&harness);
    let (plain, plain_id) = harness.issue(ADMIN, caps(&["nodeGetInfo", "accountWithdraw", "tokensGetToken"]));
    harness.call("GET", "/api/v3/tokens", Some(&secret), None);
    harness.call("GET", &format!("/api/v3/tokens/{id}"), Some(&secret), None);
    events(&harness, &secret, &id, "");
    harness.call("GET", "/api/v4/node/info", Some(&plain), None);
    harness.get(&plain);
    harness.call(
        "POST",
        "/api/v4/account/withdraw",
        Some(ADMIN),
        Some(json!({"amount": "1 wxHOPR", "address": PEER})),
    );
    assert_eq!(
        events(&harness, ADMIN, &id, "").body()["events"].as_array().unwrap().len(),
        1,
        "its create only"
    );
    assert_eq!(withdraw(&harness, &plain, "5 wxHOPR", STRANGER).status(), 200);
    assert_eq!(
        summary(&events(&harness, ADMIN, &plain_id, "").body()),
        [
            json!([plain_id, plain_id, "accountWithdraw", 200, null, null, null]),
            json!([plain_id, "admin", "tokensCreate", 201, null, null, null])
        ],
        "an unlimited token's node call that is not a GET, with no condition to read its arguments"
    );
}

#[test]
fn the_admin_reads_a_deleted_tokens_trail_and_its_descendants_after_the_clean_up() {
    let harness = Harness::new();
    let (secret, id) = bot(&harness);
    let (child, child_id) = harness.issue(&secret, json!({"capabilities": [limited("nodeGetInfo", 1)]}));
    harness.call("GET", "/api/v4/node/info", Some(&child), None);
    let before = events(&harness, ADMIN, &id, "").body()["events"].clone();
    assert_eq!(harness.delete(ADMIN, &id).status(), 204);
    harness.clean_up();
    let after = events(&harness, ADMIN, &id, "").body();
    assert_eq!(summary(&after)[0], json!([id, "admin", "tokensDelete", 204, null, null, null]));
    assert_eq!(after["events"].as_array().unwrap()[1..], before.as_array().unwrap()[..]);
    assert_eq!(events(&harness, ADMIN, &child_id, "").body()["events"].as_array().unwrap().len(), 2);
    assert_eq!(
        events(&harness, &secret, &id, "").status(),
        401,
        "the deleted token itself no longer signs in"
    );
}

#[test]
fn rotations_and_deletes_by_issued_tokens_are_recorded_on_the_token_they_are_about() {
    let harness = Harness::new();
    let all = caps(&["tokensCreate", "tokensDelete", "tokensRotate"]);
    let (parent, parent_id) = harness.issue(ADMIN, all.clone());
    let (_, child_id) = harness.issue(&parent, all);
    let rotate = harness.call("POST", &format!("/api/v3/tokens/{child_id}/rotate"), Some(&parent), None);
    assert_eq!(rotate.status(), 201);
    assert_eq!(harness.delete(&parent, &child_id).status(), 204);
    assert_eq!(
        summary(&events(&harness, ADMIN, &parent_id, "").body())[..3],
        [
            json!([child_id, parent_id, "tokensDelete", 204, null, null, null]),
            json!([child_id, parent_id, "tokensRotate", 201, null, null, null]),
            json!([child_id, parent_id, "tokensCreate", 201, null, null, null]),
        ]
    );
}

#[test]
fn the_log_fields_name_the_actor_the_amount_and_target_of_a_spend_and_the_reason_of_a_refusal() {
    let harness = Harness::new();
    let (secret, id) = bot(&harness);
    let spent = withdraw(&harness, &secret, "0.6 wxHOPR", PEER);
    let log = spent.log();
    assert_eq!(
        (log.actor.as_deref(), log.amount.as_deref(), log.target.as_deref(), log.reason),
        (Some(id.as_str()), Some("0.6 wxHOPR"), Some(PEER), None)
    );
    let refused = withdraw(&harness, &secret, "0.6 wxHOPR", PEER);
    assert_eq!(refused.log().reason, Some(crate::contract::error::Reason::ConditionFailed));
    assert_eq!(harness.create(ADMIN, caps(&["nodeGetInfo"])).log().actor.as_deref(), Some("admin"));
}

#[test]
fn last_used_at_is_absent_until_a_call_then_noted_after_the_answer_at_most_once_a_minute() {
    let harness = Harness::new();
    let (secret, id) = harness.issue(ADMIN, caps(&["tokensGetToken"]));
    let inspect = || harness.call("GET", &format!("/api/v3/tokens/{id}"), Some(ADMIN), None).body();
    let listed = || {
        let page = harness.call("GET", "/api/v3/tokens", Some(ADMIN), None).body();
        page["tokens"].as_array().unwrap().iter().find(|t| t["id"] == json!(id)).unwrap()["last_used_at"]
            .clone()
    };
    assert_eq!(inspect()["last_used_at"], Value::Null);
    let writes = harness.kv().operations();
    assert_eq!(harness.get_at(&secret, at(NOW + 5)).status(), 200);
    assert_eq!(harness.kv().operations() - writes, 1, "the call itself reads its record and writes nothing");
    assert_eq!(inspect()["last_used_at"], Value::Null, "written after the answer left");
    harness.run_deferred();
    assert_eq!((inspect()["last_used_at"].clone(), listed()), (json!(NOW + 5), json!(NOW + 5)));
    harness.get_at(&secret, at(NOW + 30));
    harness.run_deferred();
    assert_eq!(inspect()["last_used_at"], json!(NOW + 5), "within the minute: not noted again");
    harness.get_at(&secret, at(NOW + 65));
    harness.run_deferred();
    assert_eq!(inspect()["last_used_at"], json!(NOW + 65));
}

#[test]
fn a_token_that_deletes_itself_leaves_no_note_of_its_use() {
    let harness = Harness::new();
    let (secret, id) = harness.issue(ADMIN, caps(&["tokensDelete"]));
    assert_eq!(harness.delete(&secret, &id).status(), 204);
    harness.run_deferred();
    assert!(harness.kept_keys().is_empty(), "{:?}", harness.kv().keys());
}

#[test]
fn a_use_noted_after_the_answer_does_not_outlive_a_delete_that_landed_first() {
    let harness = Harness::new();
    let (secret, id) = harness.issue(ADMIN, caps(&["tokensGetToken"]));
    assert_eq!(harness.get(&secret).status(), 200);
    // The attack: the delete lands between the answer and its late write.
    assert_eq!(harness.delete(ADMIN, &id).status(), 204);
    harness.run_deferred();
    assert!(harness.kept_keys().is_empty(), "{:?}", harness.kv().keys());
}

#[test]
fn a_descendants_use_noted_after_its_clean_up_does_not_outlive_it() {
    let harness = Harness::new();
    let (secret, id) = harness.issue(ADMIN, caps(&["tokensCreate", "tokensGetToken"]));
    let (child, _) = harness.issue(&secret, caps(&["tokensGetToken"]));
    assert_eq!(harness.get(&child).status(), 200);
    assert_eq!(harness.delete(ADMIN, &id).status(), 204);
    harness.clean_up();
    harness.run_deferred();
    assert!(harness.kept_keys().is_empty(), "{:?}", harness.kv().keys());
}

#[test]
fn a_limited_get_token_and_a_refusal_by_the_counters_record_their_event_with_their_charge() {
    let harness = Harness::new();
    let (secret, id) = harness
        .issue(ADMIN, json!({"capabilities": [limited("tokensGetToken", 1), limited("tokensCreate", 5)]}));
    let budgets = harness.service.budgets();
    let calls = || (budgets.asked.get(), budgets.records.get());
    let before = calls();
    assert_eq!(harness.get(&secret).status(), 200);
    assert_eq!(calls(), (before.0 + 1, before.1), "one Durable Object call: the charge, with the event");
    assert_refused(&harness.get(&secret), "limit_exhausted");
    assert_eq!(calls(), (before.0 + 2, before.1), "the refusal too");
    harness.issue(&secret, json!({"capabilities": [limited("tokensGetToken", 1)]}));
    assert_eq!(
        calls(),
        (before.0 + 3, before.1 + 1),
        "a create's event is about the new token, recorded once it exists"
    );
    assert_eq!(
        summary(&events(&harness, ADMIN, &id, "").body())[1..],
        [
            json!([id, id, "tokensGetToken", 403, "limit_exhausted", null, null]),
            json!([id, id, "tokensGetToken", 200, null, null, null]),
            json!([id, "admin", "tokensCreate", 201, null, null, null]),
        ]
    );
}

#[test]
fn a_secret_sent_where_an_id_belongs_is_not_recorded() {
    let harness = Harness::new();
    let (secret, id) = harness.issue(ADMIN, json!({"capabilities": [limited("tokensDelete", 5)]}));
    assert_eq!(harness.delete(&secret, &secret).status(), 404);
    let page = events(&harness, ADMIN, &id, "").body();
    assert_eq!(page["events"][0]["path"], json!("/api/v3/tokens/etk_…"));
    assert!(!page.to_string().contains(&secret[4..]));
}

#[test]
fn a_spend_under_a_budget_per_period_only_is_recorded_with_its_amount() {
    let harness = Harness::new();
    let withdraw_daily = json!({"endpoint": "accountWithdraw", "limits": [
        {"type": "spend", "conditions": {"max": "1 wxHOPR", "period": 86_400}}]});
    let (secret, id) = harness.issue(ADMIN, json!({"capabilities": [withdraw_daily]}));
    assert_eq!(withdraw(&harness, &secret, "0.25 wxHOPR", PEER).status(), 200);
    let page = events(&harness, ADMIN, &id, "").body();
    let amounts: Vec<Value> =
        page["events"].as_array().unwrap().iter().map(|e| e["amount"].clone()).collect();
    assert_eq!(
        amounts,
        [json!("0.25 wxHOPR"), Value::Null],
        "the withdraw's amount, then the admin's create"
    );
}

#[test]
fn the_admin_reads_an_expired_tokens_trail_whose_index_entry_is_kept_as_long_as_events() {
    let harness = Harness::new();
    let body = json!({"capabilities": [limited("tokensGetToken", 5)], "lifetime": 10});
    let (secret, id) = harness.issue(ADMIN, body);
    assert_eq!(harness.get(&secret).status(), 200);
    let later = at(NOW + 11);
    let read = |token: &str| {
        harness.send_at(&request("GET", &format!("/api/v3/tokens/{id}/events"), Some(token)), b"", later)
    };
    assert_eq!(summary(&read(ADMIN).body()).len(), 2, "its call and its create, after it expired");
    assert_eq!(read(&secret).status(), 401, "the expired token itself no longer signs in");
    let kept = harness.kv().expiry(&format!("i:{id}")).unwrap();
    assert_eq!(
        kept,
        NOW + 10 + crate::contract::bounds::EVENTS_KEPT_SECS,
        "its index entry outlives it by 30 days"
    );
    assert_eq!(
        harness.kv().expiry(&format!("t:{}", crate::service::secret::storage_key(&secret))),
        Some(NOW + 70)
    );
}
