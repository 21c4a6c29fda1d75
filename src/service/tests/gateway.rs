//! Calls for the node behind the gateway: what is forwarded, what is
//! refused, and what the node receives.

use serde_json::json;

use super::*;
use crate::{
    contract::routes::Access,
    service::gateway::{NodeBody, NodeFailure},
};

#[test]
fn a_call_the_token_may_make_is_forwarded_once_and_logged() {
    let harness = Harness::new();
    let (secret, id) = harness.issue(ADMIN, caps(&["nodeGetInfo"]));
    let got = harness.call("GET", "/api/v4/node/info", Some(&secret), None);
    assert_eq!(got.status(), 200);
    assert_eq!(
        (got.log().operation, got.log().token_id.as_deref()),
        (Some("nodeGetInfo"), Some(id.as_str()))
    );
    let calls = harness.node_calls();
    assert_eq!(calls.len(), 1);
    assert_eq!((calls[0].method.as_str(), calls[0].path.as_str()), ("GET", "/api/v4/node/info"));
    assert_eq!(calls[0].route.access, Access::Capability("nodeGetInfo"));
}

#[test]
fn the_admin_token_may_call_any_route() {
    let harness = Harness::new();
    assert_eq!(harness.call("POST", "/api/v3/account/withdraw", Some(ADMIN), None).status(), 200);
}

#[test]
fn health_checks_need_no_credentials() {
    let harness = Harness::new();
    assert_eq!(harness.call("GET", "/readyz", None, None).status(), 200);
}

#[test]
fn missing_credentials_capabilities_and_used_up_limits_never_reach_the_node() {
    let harness = Harness::new();
    assert_eq!(harness.call("GET", "/api/v4/node/info", None, None).status(), 401);
    let (other, _) = harness.issue(ADMIN, caps(&["nodeGetVersion"]));
    assert_refused(&harness.call("GET", "/api/v4/node/info", Some(&other), None), "missing_capability");
    let (limited_token, _) = harness.issue(ADMIN, json!({"capabilities": [limited("nodeGetInfo", 2)]}));
    for _ in 0..2 {
        assert_eq!(harness.call("GET", "/api/v4/node/info", Some(&limited_token), None).status(), 200);
    }
    assert_refused(&harness.call("GET", "/api/v4/node/info", Some(&limited_token), None), "limit_exhausted");
    assert_eq!(harness.node_calls().len(), 2);
}

#[test]
fn unknown_routes_methods_and_preflights_are_answered_without_the_node() {
    let harness = Harness::new();
    assert_eq!(harness.call("GET", "/api/v4/nothing", Some(ADMIN), None).status(), 404);
    assert_eq!(harness.call("GET", "/api/v4/../v3/node/info", Some(ADMIN), None).status(), 404);
    assert_eq!(harness.call("PUT", "/api/v4/node/info", Some(ADMIN), None).status(), 405);
    assert_eq!(harness.call("OPTIONS", "/api/v4/node/info", None, None).status(), 204);
    assert!(harness.node_calls().is_empty());
}

#[test]
fn a_query_token_authenticates_only_a_websocket_upgrade_on_a_websocket_route() {
    let harness = Harness::new();
    let (secret, _) = harness.issue(ADMIN, caps(&["sessionsWebsocket", "tokensGetToken", "nodeGetInfo"]));
    let upgrade = |path: &str| ApiRequest {
        upgrade: Some("websocket".into()),
        ..request("GET", &format!("{path}?apiToken={secret}&x=1"), None)
    };
    assert_eq!(harness.send(&upgrade("/api/v3/session/websocket"), b"").status(), 200);
    assert_eq!(harness.send(&upgrade("/api/v3/token"), b"").status(), 401);
    assert_eq!(harness.send(&upgrade("/api/v4/node/info"), b"").status(), 401);
    let plain = request("GET", &format!("/api/v3/session/websocket?apiToken={secret}"), None);
    assert_eq!(harness.send(&plain, b"").status(), 401, "not an upgrade");
    let calls = harness.node_calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].query.as_deref(), Some("x=1"), "the token never reaches the node");
}

#[test]
fn token_parameters_are_removed_from_every_forwarded_query() {
    let harness = Harness::new();
    let got =
        harness.call("GET", "/api/v4/channels?APITOKEN=a&includingClosed=true&apitoken=b", Some(ADMIN), None);
    assert_eq!(got.status(), 200);
    assert_eq!(harness.node_calls()[0].query.as_deref(), Some("includingClosed=true"));
}

#[test]
fn an_unreachable_or_silent_node_is_502_or_504() {
    let harness = Harness::new();
    *harness.node.failure.borrow_mut() = Some(NodeFailure::Unreachable("connection refused".into()));
    let got = harness.call("GET", "/api/v4/node/info", Some(ADMIN), None);
    assert_eq!((got.status(), got.body()["status"].clone()), (502, json!("BAD_GATEWAY")));
    assert_eq!(got.log().cause.as_deref(), Some("connection refused"));
    *harness.node.failure.borrow_mut() = Some(NodeFailure::TimedOut(30_000));
    let got = harness.call("GET", "/api/v4/node/info", Some(ADMIN), None);
    assert_eq!(got.body(), error("GATEWAY_TIMEOUT", "the node did not answer within 30000 ms"));
}

#[test]
fn without_a_node_its_routes_are_503_not_configured_and_nothing_is_counted() {
    let harness = Harness::without_node();
    let (secret, _) = harness
        .issue(ADMIN, json!({"capabilities": [limited("nodeGetInfo", 5), limited("tokensGetToken", 5)]}));
    let not_configured = error(
        "GATEWAY_NOT_CONFIGURED",
        "no node is configured behind the gateway: the operator has not set ORIGIN_URL",
    );
    for (method, path, token) in [
        ("GET", "/api/v4/node/info", Some(secret.as_str())),
        ("GET", "/api/v4/node/info", None),
        ("GET", "/api/v4/node/info", Some("etk_not-a-secret")),
        ("POST", "/api/v3/account/withdraw", Some(ADMIN)),
        ("GET", "/healthyz", None),
        ("GET", "/metrics", Some(ADMIN)),
    ] {
        let got = harness.call(method, path, token, None);
        assert_eq!((got.status(), got.body()), (503, not_configured.clone()), "{method} {path}");
        assert_eq!(got.response().header("access-control-allow-origin"), Some("*"), "a page can read why");
        assert_eq!(got.response().header("www-authenticate"), None);
    }
    let used = harness.get(&secret).body()["capabilities"][0]["limits"][0]["used"].clone();
    assert_eq!(used, json!(0), "no call was counted");
    assert_eq!(harness.call("GET", "/api/v4/nothing", Some(ADMIN), None).status(), 404);
    let wrong_method = harness.call("PUT", "/api/v4/channels", Some(ADMIN), None);
    assert_eq!((wrong_method.status(), wrong_method.response().header("allow")), (405, Some("GET, POST")));
    let preflight = harness.call("OPTIONS", "/api/v4/node/info", None, None);
    assert_eq!(preflight.status(), 204);
    assert!(preflight.response().header("access-control-allow-methods").is_some());
    assert!(harness.node_calls().is_empty());
}

// Conditions on arguments: each attack, then that it fails without
// reaching the node or counting anything.

const PEER: &str = "0xb4ce7e6e36ac8b01a974725d5ba730af2b156fbe";
const STRANGER: &str = "0xa8194d36e322592d4c707b70dbe96121f5c74c64";

fn withdrawer(harness: &Harness, creator: &str, spend: &str) -> String {
    let limits = json!([{"type": "spend", "conditions": {"max": spend}}, {"type": "targets", "conditions": {"allow": [PEER]}}]);
    harness.issue(creator, json!({"capabilities": [{"endpoint": "accountWithdraw", "limits": limits}, {"endpoint": "tokensCreate"}, {"endpoint": "tokensGetToken"}]})).0
}

fn withdraw(harness: &Harness, token: &str, amount: &str, address: &str) -> Got {
    harness.call(
        "POST",
        "/api/v4/account/withdraw",
        Some(token),
        Some(json!({"amount": amount, "address": address})),
    )
}

fn spend_used(harness: &Harness, token: &str) -> Value {
    harness.get(token).body()["capabilities"][0]["limits"][0].clone()
}

#[test]
fn a_withdrawal_within_its_conditions_is_forwarded_once_with_the_body_it_was_checked_on() {
    let harness = Harness::new();
    let token = withdrawer(&harness, ADMIN, "1 xDai");
    assert_eq!(withdraw(&harness, &token, "0.25 xDai", PEER).status(), 200);
    let calls = harness.node_calls();
    assert_eq!(calls.len(), 1);
    let NodeBody::Read(sent) = &calls[0].body else { panic!("the body read: {:?}", calls[0].body) };
    let sent: Value = serde_json::from_slice(sent).unwrap();
    assert_eq!(sent, json!({"amount": "0.25 xDai", "address": PEER}));
    assert_eq!(
        spend_used(&harness, &token),
        json!({"type": "spend", "conditions": {"max": "1 xDai"}, "used": "0.25 xDai"})
    );
}

#[test]
fn a_withdrawal_over_budget_elsewhere_or_unreadable_is_refused_naming_the_field() {
    let harness = Harness::new();
    let token = withdrawer(&harness, ADMIN, "1 xDai");
    for (amount, address, field) in [
        ("1.5 xDai", PEER, "amount: moves more than is left of the spend budget (1 xDai of 1 xDai left)"),
        ("0.1 xDai", STRANGER, "address: "),
        ("0.1 wxHOPR", PEER, "amount: the spend condition allows only xDai"),
        ("0.1", PEER, "amount: '0.1' is not an amount"),
    ] {
        let got = withdraw(&harness, &token, amount, address);
        assert_refused(&got, "condition_failed");
        let error = got.body()["error"].as_str().unwrap().to_string();
        assert!(error.starts_with("authorization failed: ") && error.contains(field), "{error}");
    }
    let withdraw_raw = |body: String| {
        harness.send(&request("POST", "/api/v4/account/withdraw", Some(&token)), body.as_bytes())
    };
    for read_otherwise in [
        format!(r#"["0.1 xDai","{PEER}"]"#),
        format!(r#"{{"amount":"100 xDai","amount":"1 wei xDai","address":"{PEER}"}}"#),
        format!(r#"{{"amount":"0.1 xDai","address":"{STRANGER}","address":"{PEER}"}}"#),
    ] {
        let refused = withdraw_raw(read_otherwise.clone());
        assert_eq!(
            (refused.status(), refused.body()["status"].clone()),
            (400, json!("INVALID_INPUT")),
            "{read_otherwise}"
        );
    }
    assert!(harness.node_calls().is_empty(), "the node never saw a refused call");
    assert_eq!(spend_used(&harness, &token)["used"], json!("0 xDai"), "nothing was counted");
}

#[test]
fn a_budget_is_shared_by_a_parent_and_its_children_and_a_child_cannot_widen_it() {
    let harness = Harness::new();
    let parent = withdrawer(&harness, ADMIN, "1 xDai");
    let children: Vec<String> = (0..3).map(|_| withdrawer(&harness, &parent, "1 xDai")).collect();
    let wider = harness.create(&parent, json!({"capabilities": [{"endpoint": "accountWithdraw", "limits": [{"type": "spend", "conditions": {"max": "2 xDai"}}, {"type": "targets", "conditions": {"allow": [PEER]}}]}]}));
    assert_refused(&wider, "capabilities_not_allowed");
    let unbounded = harness.create(&parent, json!({"capabilities": [{"endpoint": "accountWithdraw"}]}));
    assert_refused(&unbounded, "capabilities_not_allowed");
    let spenders = [&parent].into_iter().chain(&children).cycle().take(5);
    let moved = spenders.filter(|token| withdraw(&harness, token, "0.3 xDai", PEER).status() == 200).count();
    assert_eq!(moved, 3, "3 × 0.3 fit in 1 xDai; a fourth does not, whoever asks");
    assert_eq!(spend_used(&harness, &parent)["used"], json!("0.9 xDai"));
}

#[test]
fn a_call_the_node_did_not_answer_stays_charged() {
    let harness = Harness::new();
    let token = withdrawer(&harness, ADMIN, "1 xDai");
    *harness.node.failure.borrow_mut() = Some(NodeFailure::Unreachable("Network connection lost.".into()));
    assert_eq!(withdraw(&harness, &token, "0.5 xDai", PEER).status(), 502);
    assert_eq!(spend_used(&harness, &token)["used"], json!("0.5 xDai"), "the node may have read it");
    *harness.node.failure.borrow_mut() = Some(NodeFailure::TimedOut(30_000));
    assert_eq!(withdraw(&harness, &token, "0.5 xDai", PEER).status(), 504);
    assert_eq!(spend_used(&harness, &token)["used"], json!("1 xDai"), "the node may have acted");
    *harness.node.failure.borrow_mut() = None;
    assert_refused(&withdraw(&harness, &token, "0.1 xDai", PEER), "condition_failed");
}

#[test]
fn a_session_may_not_listen_beyond_loopback_without_a_listen_condition() {
    let harness = Harness::new();
    let (plain, _) = harness.issue(ADMIN, caps(&["sessionsCreateClient"]));
    let session = |token: &str, listen: &str| {
        let body = json!({"destination": PEER, "forwardPath": {"Hops": 1}, "returnPath": {"Hops": 1}, "target": {"Plain": "localhost:8080"}, "listenHost": listen});
        harness.call("POST", "/api/v4/session/tcp", Some(token), Some(body))
    };
    assert_refused(&session(&plain, "0.0.0.0:10000"), "condition_failed");
    assert_eq!(session(&plain, "127.0.0.1:10000").status(), 200);
    let listen = json!([{"type": "listen", "conditions": {"allow": ["0.0.0.0:10000-10100"]}}]);
    let (open, _) = harness
        .issue(ADMIN, json!({"capabilities": [{"endpoint": "sessionsCreateClient", "limits": listen}]}));
    assert_eq!(session(&open, "0.0.0.0:10000").status(), 200);
    assert_refused(&session(&open, "127.0.0.1:10000"), "condition_failed");
    assert_eq!(session(ADMIN, "0.0.0.0:1").status(), 200, "the admin token holds the node's whole power");
    assert_eq!(harness.node_calls().len(), 3);
}
