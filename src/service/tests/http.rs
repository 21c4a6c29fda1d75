//! What every route shares: unknown paths and methods, preflights, CORS,
//! the public documents, and throttling of failed sign-ins.

use serde_json::json;

use super::*;

#[test]
fn unknown_path_and_wrong_method_are_json_with_allow() {
    let harness = Harness::new();
    let got = harness.call("GET", "/api/v3/nothing", None, None);
    assert_eq!((got.status(), got.body()), (404, error("NOT_FOUND", "no such route")));
    let got = harness.call("PUT", "/api/v3/tokens", None, None);
    assert_eq!((got.status(), got.body()["status"].clone()), (405, json!("METHOD_NOT_ALLOWED")));
    assert_eq!(got.response().header("allow"), Some("POST, OPTIONS"));
}

#[test]
fn preflight_allows_the_auth_headers_without_a_token() {
    let harness = Harness::new();
    let preflight = ApiRequest {
        origin: Some("https://app.example".into()),
        ..request("OPTIONS", "/api/v3/tokens", None)
    };
    let got = harness.send(&preflight, b"");
    assert_eq!(got.status(), 204);
    assert_eq!(got.response().header("access-control-allow-origin"), Some("*"));
    assert!(got.response().header("access-control-allow-headers").unwrap().contains("x-auth-token"));
}

#[test]
fn answers_carry_cors_headers() {
    let harness = Harness::new();
    let got = harness.send(
        &ApiRequest { origin: Some("https://app.example".into()), ..request("GET", "/api/v3/token", None) },
        b"",
    );
    assert_eq!(got.status(), 401);
    assert_eq!(got.response().header("access-control-allow-origin"), Some("*"));
    assert!(got.response().header("access-control-expose-headers").unwrap().contains("www-authenticate"));
}

#[test]
fn the_openapi_document_is_served_as_built() {
    let harness = Harness::new();
    let got = harness.call("GET", "/api/v3/openapi.json", None, None);
    assert_eq!(got.status(), 200);
    assert_eq!(
        got.body(),
        crate::contract::openapi::document(),
        "build.rs wrote the document the contract derives"
    );
}

#[test]
fn the_gateway_table_is_served_without_credentials() {
    let harness = Harness::new();
    let info = harness.call("GET", "/api/v3/gateway", None, None).body();
    assert_eq!(info["enabled"], json!(true));
    let routes = info["routes"].as_array().unwrap();
    assert!(routes.contains(&json!({"method": "GET", "path": "/api/v4/node/info", "capability": "nodeGetInfo", "websocket": false})));
    assert!(routes
        .contains(&json!({"method": "GET", "path": "/healthyz", "capability": null, "websocket": false})));
}

#[test]
fn failed_sign_ins_over_the_limit_get_429_with_retry_after_and_cors() {
    let harness = Harness::new();
    harness.service.limiter.limit.set(Some(2));
    let wrong = ApiRequest {
        origin: Some("https://app.example".into()),
        ..request("GET", "/api/v3/token", Some("etk_wrong"))
    };
    assert_eq!(harness.send(&wrong, b"").status(), 401);
    assert_eq!(harness.send(&wrong, b"").status(), 401);
    let throttled = harness.send(&wrong, b"");
    assert_eq!(throttled.status(), 429);
    assert_eq!(throttled.body()["status"], "TOO_MANY_REQUESTS");
    assert_eq!(throttled.response().header("retry-after"), Some("60"));
    assert_eq!(throttled.response().header("access-control-allow-origin"), Some("*"));
    assert_eq!(throttled.log().operation, Some("tokensGetToken"));
}

#[test]
fn only_authentication_failures_count_as_failed_sign_ins() {
    let harness = Harness::new();
    let (secret, _) = harness.issue(ADMIN, caps(&["tokensCreate"]));
    assert_eq!(harness.get(&secret).status(), 403);
    assert_eq!(harness.get(ADMIN).status(), 404);
    assert_eq!(harness.service.limiter.failures.get(), 0);
    assert_eq!(harness.get("etk_wrong").status(), 401);
    assert_eq!(harness.service.limiter.failures.get(), 1);
}
