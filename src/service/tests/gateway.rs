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

/// The headers a caller sends with every call below: what a browser, a
/// proxy and an attacker might add to the call's own.
fn sent_headers(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let caller = [
        ("content-type", "application/json"),
        ("accept", "application/json"),
        ("content-length", "68"),
        ("authorization", "Bearer etk_callers"),
        ("x-auth-token", "etk_callers"),
        ("cookie", "session=1"),
        ("x-forwarded-for", "203.0.113.9"),
        ("origin", "https://app.example"),
    ];
    caller.iter().chain(extra).map(|(name, value)| (name.to_string(), value.to_string())).collect()
}

fn names(headers: &[(String, String)]) -> Vec<&str> {
    let mut names: Vec<&str> = headers.iter().map(|(name, _)| name.as_str()).collect();
    names.sort_unstable();
    names
}

#[test]
fn the_node_receives_the_call_as_decided_and_the_caller_its_answer_as_decided() {
    let harness = Harness::new();
    let token = withdrawer(&harness, ADMIN, "1 xDai");
    let body = format!(r#"{{"amount":"0.25 xDai","address":"{PEER}"}}"#);
    let call = ApiRequest {
        headers: sent_headers(&[]),
        origin: Some("https://app.example".into()),
        ..request("POST", "/api/v4/account/withdraw?apiToken=etk_x&dryRun=1", Some(&token))
    };
    *harness.node.reply.borrow_mut() = NodeReply {
        status: 201,
        headers: [
            "content-type: application/json",
            "set-cookie: node=1",
            "via: 1.1 nginx",
            "connection: close",
        ]
        .map(|header| header.split_once(": ").map(|(n, v)| (n.to_string(), v.to_string())).unwrap())
        .to_vec(),
    };
    let Got::Node(answer, _) = harness.send(&call, body.as_bytes()) else { panic!("not forwarded") };
    let received = &harness.node_calls()[0];
    assert_eq!((received.method.as_str(), received.path.as_str()), ("POST", "/api/v4/account/withdraw"));
    assert_eq!(received.query.as_deref(), Some("dryRun=1"), "never the caller's token");
    assert!(received.parameters.is_empty());
    assert_eq!(
        received.headers,
        [
            ("content-type", "application/json"),
            ("accept", "application/json"),
            ("x-auth-token", ORIGIN_TOKEN)
        ]
        .map(|(name, value)| (name.to_string(), value.to_string())),
        "the call's own headers and the node's token: no length for the body the service read"
    );
    assert_eq!(received.body, NodeBody::Read(body.into_bytes()), "the bytes its conditions were checked on");
    assert!(!received.websocket);
    assert_eq!(answer.status, 201);
    assert_eq!(
        names(&answer.headers),
        ["access-control-allow-origin", "access-control-expose-headers", "content-type", "via"]
    );
    let via = answer.headers.iter().find(|(name, _)| name == "via").map(|(_, value)| value.as_str());
    assert_eq!(via, Some("1.1 nginx, 1.1 edge-tokens"));
}

#[test]
fn a_body_no_condition_reads_streams_through_with_its_length_and_a_get_sends_none() {
    let harness = Harness::new();
    let (token, _) = harness.issue(ADMIN, caps(&["peersPingPeer", "nodeGetInfo"]));
    let ping = ApiRequest {
        headers: sent_headers(&[]),
        ..request("POST", &format!("/api/v4/peers/{PEER}/ping"), Some(&token))
    };
    assert_eq!(harness.send(&ping, b"{}").status(), 200);
    let get = ApiRequest { headers: sent_headers(&[]), ..request("GET", "/api/v4/node/info", Some(&token)) };
    assert_eq!(harness.send(&get, b"").status(), 200);
    let calls = harness.node_calls();
    assert_eq!(calls[0].parameters, [("address", PEER.to_string())], "the route's parameters, matched once");
    assert_eq!(calls[0].body, NodeBody::Streamed);
    assert_eq!(names(&calls[0].headers), ["accept", "content-length", "content-type", "x-auth-token"]);
    assert_eq!(calls[1].body, NodeBody::Empty);
    assert_eq!(names(&calls[1].headers), ["accept", "content-type", "x-auth-token"]);
}

#[test]
fn a_public_route_goes_without_the_nodes_token_and_a_websocket_with_its_handshake() {
    let harness = Harness::new();
    let health = ApiRequest { headers: sent_headers(&[]), ..request("GET", "/healthyz", None) };
    assert_eq!(harness.send(&health, b"").status(), 200);
    let (token, _) = harness.issue(ADMIN, caps(&["sessionsWebsocket"]));
    let handshake =
        [("upgrade", "websocket"), ("sec-websocket-key", "dGhlIHNhbXBsZQ=="), ("connection", "Upgrade")];
    let upgrade = ApiRequest {
        upgrade: Some("websocket".into()),
        headers: sent_headers(&handshake),
        ..request("GET", "/api/v3/session/websocket", Some(&token))
    };
    *harness.node.reply.borrow_mut() = NodeReply {
        status: 101,
        headers: vec![("upgrade".into(), "websocket".into()), ("connection".into(), "Upgrade".into())],
    };
    let Got::Node(answer, _) = harness.send(&upgrade, b"") else { panic!("not forwarded") };
    let calls = harness.node_calls();
    assert_eq!(names(&calls[0].headers), ["accept", "content-type"]);
    assert!(calls[1].websocket);
    assert_eq!(calls[1].body, NodeBody::Empty);
    assert_eq!(
        names(&calls[1].headers),
        ["accept", "content-type", "sec-websocket-key", "upgrade", "x-auth-token"]
    );
    assert_eq!(
        names(&answer.headers),
        ["connection", "upgrade", "via"],
        "a 101 keeps its handshake, no CORS"
    );
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
