//! `POST /tokens`, `GET /token`, `DELETE /tokens/{id}`: each outcome.

use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::json;

use super::*;
use crate::{
    contract::secret::{is_well_formed, is_well_formed_id},
    service::secret,
};

// POST /tokens

#[test]
fn create_returns_the_secret_once_and_stores_only_its_hash() {
    let harness = Harness::new();
    let mut body = token_caps();
    body["lifetime"] = json!(120);
    let created = harness.create(ADMIN, body).body();
    let secret = created["token"].as_str().unwrap();
    assert!(is_well_formed(secret), "{secret}");
    assert!(is_well_formed_id(created["id"].as_str().unwrap()));
    assert_eq!(created["valid_until"], json!(NOW + 120));
    for stored in harness.kv().keys().into_iter().chain(harness.kv().values()) {
        assert!(!stored.contains(&secret[4..]), "the secret is stored in {stored}");
    }
}

#[test]
fn create_without_lifetime_does_not_expire() {
    let harness = Harness::new();
    let created = harness.create(ADMIN, token_caps()).body();
    assert!(created.get("valid_until").is_none(), "{created}");
}

#[test]
fn create_sets_storage_expiry_on_every_key() {
    let harness = Harness::new();
    let (parent, _) =
        harness.issue(ADMIN, json!({"capabilities": [{"endpoint": "tokensCreate"}], "lifetime": 500}));
    harness.issue(&parent, json!({"capabilities": [{"endpoint": "tokensCreate"}], "lifetime": 5}));
    let keys = harness.kv().keys();
    assert_eq!(keys.len(), 6, "two records, two index entries, a child and a descendant marker: {keys:?}");
    for key in keys {
        let expiry = harness.kv().expiry(&key).unwrap();
        assert!(expiry >= NOW + 60, "{key} expires at {expiry}, before KV's minimum");
    }
}

#[test]
fn create_validates_the_body_and_stores_nothing() {
    let harness = Harness::new();
    let empty = harness.create(ADMIN, json!({"capabilities": []}));
    assert_eq!(
        (empty.status(), empty.body()),
        (400, error("INVALID_INPUT", "capabilities must not be empty"))
    );
    assert_eq!(
        harness.create(ADMIN, json!({"capabilities": [{"endpoint": "nope"}]})).body()["status"],
        "INVALID_TOKEN_CAPABILITIES"
    );
    let mut long = token_caps();
    long["description"] = json!("x".repeat(257));
    assert_eq!(harness.create(ADMIN, long).body()["status"], "INVALID_TOKEN_DESCRIPTION");
    assert_eq!(harness.send(&request("POST", "/api/v3/tokens", Some(ADMIN)), b"{").status(), 400);
    assert!(harness.kv().keys().is_empty());
}

#[test]
fn create_refuses_a_body_over_16_kib() {
    let harness = Harness::new();
    let got = harness.send(&request("POST", "/api/v3/tokens", Some(ADMIN)), &[b' '; 16 * 1024 + 1]);
    assert_eq!((got.status(), got.body()["status"].clone()), (413, json!("PAYLOAD_TOO_LARGE")));
}

#[test]
fn delegated_create_may_narrow_a_limit_and_inherits_the_expiry() {
    let harness = Harness::new();
    let (parent, _) = harness.issue(
        ADMIN,
        json!({"capabilities": [{"endpoint": "tokensCreate"}, limited("tokensGetToken", 5)], "lifetime": 100}),
    );
    let (child, _) = harness.issue(&parent, json!({"capabilities": [limited("tokensGetToken", 2)]}));
    assert_eq!(harness.get(&child).body()["valid_until"], json!(NOW + 100));
}

#[test]
fn delegated_create_may_not_widen_drop_a_limit_or_add_a_capability() {
    let harness = Harness::new();
    let (parent, _) = harness.issue(
        ADMIN,
        json!({"capabilities": [{"endpoint": "tokensCreate"}, limited("tokensGetToken", 5)], "lifetime": 100}),
    );
    let forbidden =
        refusal("FORBIDDEN", "requested token capabilities not allowed", "capabilities_not_allowed");
    for capabilities in [
        json!([limited("tokensGetToken", 6)]),
        json!([{"endpoint": "tokensGetToken"}]),
        json!([{"endpoint": "tokensDelete"}]),
    ] {
        let got = harness.create(&parent, json!({ "capabilities": capabilities }));
        assert_eq!((got.status(), got.body()), (403, forbidden.clone()), "{capabilities}");
    }
    let mut longer = caps(&["tokensCreate"]);
    longer["lifetime"] = json!(101);
    assert_eq!(
        harness.create(&parent, longer).body(),
        refusal("FORBIDDEN", "requested token lifetime not allowed", "lifetime_not_allowed")
    );
}

#[test]
fn delegation_depth_is_bounded() {
    let harness = Harness::new();
    let (mut holder, _) = harness.issue(ADMIN, caps(&["tokensCreate"]));
    for _ in 0..crate::contract::bounds::MAX_DEPTH {
        holder = harness.issue(&holder, caps(&["tokensCreate"])).0;
    }
    assert_refused(&harness.create(&holder, caps(&["tokensCreate"])), "depth_limit");
}

#[test]
fn create_counts_only_the_calls_it_carries_out() {
    let harness = Harness::new();
    let (parent, _) = harness
        .issue(ADMIN, json!({"capabilities": [limited("tokensCreate", 2), {"endpoint": "tokensGetToken"}]}));
    assert_eq!(harness.create(&parent, json!({"capabilities": []})).status(), 400);
    assert_eq!(harness.create(&parent, caps(&["tokensGetToken"])).status(), 201);
    assert_eq!(harness.create(&parent, caps(&["tokensGetToken"])).status(), 201);
    assert_eq!(
        harness.create(&parent, caps(&["tokensGetToken"])).body(),
        refusal(
            "UNAUTHORIZED",
            "authorization failed: calls limit of tokensCreate used up (2 of 2)",
            "limit_exhausted"
        )
    );
}

#[test]
fn create_leaves_nothing_when_storage_fails() {
    let harness = Harness::new();
    harness.kv().fail_on("t:");
    let got = harness.create(ADMIN, token_caps());
    assert_eq!((got.status(), got.body()["status"].clone()), (503, json!("UNAVAILABLE")));
    harness.kv().heal();
    assert!(harness.kv().keys().is_empty(), "{:?}", harness.kv().keys());
}

// GET /token

#[test]
fn get_token_shows_the_record_with_use_and_never_the_secret() {
    let harness = Harness::new();
    let body = json!({"description": "dashboard", "lifetime": 60, "capabilities": [
        {"endpoint": "tokensGetToken", "limits": [{"type": "calls", "conditions": {"max": 3}, "used": 2}]},
        limited("nodeGetPeers", 9),
        {"endpoint": "nodePing"},
        {"endpoint": "nodeGetInfo", "limits": []}
    ]});
    let (secret, id) = harness.issue(ADMIN, body);
    let got = harness.get(&secret);
    assert_eq!(got.status(), 200);
    assert_eq!(
        got.body(),
        json!({
            "id": id, "description": "dashboard", "valid_until": NOW + 60,
            "capabilities": [
                {"endpoint": "tokensGetToken", "limits": [{"type": "calls", "conditions": {"max": 3}, "used": 1}]},
                {"endpoint": "nodeGetPeers", "limits": [{"type": "calls", "conditions": {"max": 9}, "used": 0}]},
                {"endpoint": "nodePing"},
                {"endpoint": "nodeGetInfo"}
            ]
        }),
        "the client's `used` of 2 is ignored; this call is counted; no limits (none given, or `[]`) is no `limits`"
    );
    assert!(!got.response().body.as_deref().unwrap().contains(&secret[4..]));
}

#[test]
fn get_token_limit_is_exact() {
    let harness = Harness::new();
    let (secret, _) = harness.issue(ADMIN, json!({"capabilities": [limited("tokensGetToken", 3)]}));
    let statuses: Vec<u16> = (0..5).map(|_| harness.get(&secret).status()).collect();
    assert_eq!(statuses, [200, 200, 200, 403, 403]);
    assert_refused(&harness.get(&secret), "limit_exhausted");
}

#[test]
fn get_token_for_admin_is_not_found() {
    let harness = Harness::new();
    let got = harness.get(ADMIN);
    assert_eq!((got.status(), got.body()), (404, error("NOT_FOUND", "the admin token has no token record")));
}

#[test]
fn get_token_accepts_all_three_credential_forms() {
    let harness = Harness::new();
    let (secret, id) = harness.issue(ADMIN, token_caps());
    let forms = [
        format!("Basic {}", STANDARD.encode(format!("{secret}:x"))),
        format!("Basic {}", STANDARD.encode(&secret)),
        format!("Bearer {secret}"),
    ];
    for authorization in forms {
        let request = ApiRequest {
            authorization: Some(authorization.clone()),
            ..request("GET", "/api/v3/token", None)
        };
        let got = harness.send(&request, b"");
        assert_eq!((got.status(), got.body()["id"].clone()), (200, json!(id)), "{authorization}");
    }
}

#[test]
fn a_lifetime_of_one_second_lasts_a_whole_second_whenever_in_the_second_it_starts() {
    let harness = Harness::new();
    let mut body = token_caps();
    body["lifetime"] = json!(1);
    let created_at = at(NOW) + 900;
    let created = harness.send_at(
        &request("POST", "/api/v3/tokens", Some(ADMIN)),
        body.to_string().as_bytes(),
        created_at,
    );
    assert_eq!(created.body()["valid_until"], json!(NOW + 2), "the end, rounded up to its second");
    let secret = created.body()["token"].as_str().unwrap().to_string();
    assert_eq!(harness.get_at(&secret, created_at + 1000).status(), 200);
}

#[test]
fn a_token_is_valid_to_the_last_millisecond_of_its_lifetime() {
    let harness = Harness::new();
    let mut body = token_caps();
    body["lifetime"] = json!(2);
    let (secret, _) = harness.issue(ADMIN, body);
    assert_eq!(harness.get_at(&secret, at(NOW + 2) - 1).status(), 200, "valid to the last millisecond");
    assert_eq!(harness.get_at(&secret, at(NOW + 2)).status(), 401, "refused from the second it expires");
}

#[test]
fn a_missing_or_weak_admin_token_is_misconfiguration() {
    for (admin, rule) in [
        (None, "not configured"),
        (Some("12345678"), "at least 32 characters"),
        (Some(&" ".repeat(40)[..]), "not only whitespace"),
    ] {
        let harness = Harness::with_admin(admin);
        let got = harness.get(admin.unwrap_or("anything-at-all"));
        assert_eq!((got.status(), got.body()["status"].clone()), (503, json!("MISCONFIGURED")), "{admin:?}");
        assert!(got.body()["error"].as_str().unwrap().contains(rule), "{:?}", got.body());
    }
}

#[test]
fn storage_failure_is_unavailable_with_its_cause_logged_and_passes() {
    let harness = Harness::new();
    let (secret, _) = harness.issue(ADMIN, token_caps());
    harness.kv().fail_on("");
    let got = harness.get(&secret);
    assert_eq!((got.status(), got.body()["status"].clone()), (503, json!("UNAVAILABLE")));
    assert!(got.log().cause.as_deref().unwrap().contains("injected failure"));
    assert!(!got.response().body.as_deref().unwrap().contains("injected"), "the cause is not sent");
    harness.kv().heal();
    assert_eq!(harness.get(&secret).status(), 200, "the next request is served");
}

// DELETE /tokens/{id}

#[test]
fn delete_by_admin_revokes_the_token_and_empties_storage() {
    let harness = Harness::new();
    let (secret, id) = harness.issue(ADMIN, token_caps());
    let got = harness.delete(ADMIN, &id);
    assert_eq!((got.status(), got.response().body.clone()), (204, None));
    assert_eq!(harness.get(&secret).status(), 401);
    assert_eq!(harness.delete(ADMIN, &id).body(), error("NOT_FOUND", "token not found"));
    assert!(harness.kept_keys().is_empty(), "{:?}", harness.kv().keys());
    assert_eq!(harness.kv().keys(), [format!("x:{id}")], "its tombstone keeps its trail findable");
}

#[test]
fn delete_refuses_every_descendant_at_once_and_spares_others() {
    let harness = Harness::new();
    let (root, root_id) = harness.issue(ADMIN, token_caps());
    let (child, child_id) = harness.issue(&root, token_caps());
    let (grandchild, _) = harness.issue(&child, token_caps());
    let (sibling, _) = harness.issue(ADMIN, token_caps());
    assert_eq!(harness.delete(ADMIN, &root_id).status(), 204);
    assert_eq!(harness.get(&child).status(), 401);
    assert_eq!(harness.get(&grandchild).status(), 401);
    assert_eq!(harness.get(&sibling).status(), 200);
    assert_eq!(harness.delete(ADMIN, &child_id).status(), 404, "deleted with its parent");
    harness.clean_up();
    assert_eq!(
        harness.kept_keys().len(),
        2,
        "only the sibling's record and index remain: {:?}",
        harness.kv().keys()
    );
}

#[test]
fn issued_token_deletes_itself_and_descendants_only() {
    let harness = Harness::new();
    let (parent, parent_id) = harness.issue(ADMIN, token_caps());
    let (_, child_id) = harness.issue(&parent, token_caps());
    let (other, other_id) = harness.issue(ADMIN, token_caps());
    assert_eq!(harness.delete(&parent, &other_id).body(), error("NOT_FOUND", "token not found"));
    assert_eq!(harness.delete(&parent, &child_id).status(), 204);
    assert_eq!(harness.delete(&parent, &parent_id).status(), 204);
    assert_eq!(harness.get(&parent).status(), 401);
    assert_eq!(harness.get(&other).status(), 200);
}

#[test]
fn delete_of_unknown_or_malformed_id_is_not_found() {
    let harness = Harness::new();
    assert_eq!(harness.delete(ADMIN, &secret::new_id().unwrap()).status(), 404);
    assert_eq!(harness.delete(ADMIN, "..%2F..").status(), 404);
}

#[test]
fn a_delete_that_fails_part_way_can_be_retried_to_the_end() {
    for failing in ["t:", "i:"] {
        let harness = Harness::new();
        let (root, root_id) = harness.issue(ADMIN, token_caps());
        let (child, _) = harness.issue(&root, token_caps());
        harness.kv().fail_on(failing);
        assert_eq!(harness.delete(ADMIN, &root_id).status(), 503, "{failing}");
        harness.kv().heal();
        assert_eq!(harness.delete(ADMIN, &root_id).status(), 204, "{failing}");
        assert_eq!(harness.get(&root).status(), 401);
        assert_eq!(harness.get(&child).status(), 401);
        harness.clean_up();
        assert!(harness.kept_keys().is_empty(), "{failing}: {:?}", harness.kv().keys());
    }
}

#[test]
fn log_fields_name_the_operation_and_caller_even_when_refused() {
    let harness = Harness::new();
    let (secret, id) = harness.issue(ADMIN, caps(&["tokensCreate"]));
    let got = harness.get(&secret);
    assert_eq!(got.status(), 403);
    assert_eq!(
        (got.log().operation, got.log().token_id.as_deref()),
        (Some("tokensGetToken"), Some(id.as_str()))
    );
}
