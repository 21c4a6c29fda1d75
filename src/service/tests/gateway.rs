//! Calls for the node behind the gateway: what is forwarded, what is
//! refused, and what the node receives.

use serde_json::json;

use super::*;
use crate::{contract::node_routes::Access, service::gateway::NodeFailure};

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
