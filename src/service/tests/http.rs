//! What every route shares: unknown paths and methods, preflights, CORS,
//! the public documents, and throttling of failed sign-ins.

use serde_json::json;

use super::*;
use crate::service::http::CHALLENGE;

#[test]
fn unknown_path_and_wrong_method_are_json_with_allow() {
    let harness = Harness::new();
    let got = harness.call("GET", "/api/v3/nothing", None, None);
    assert_eq!((got.status(), got.body()), (404, error("NOT_FOUND", "no such route")));
    let got = harness.call("PUT", "/api/v3/tokens", None, None);
    assert_eq!((got.status(), got.body()["status"].clone()), (405, json!("METHOD_NOT_ALLOWED")));
    assert_eq!(got.response().header("allow"), Some("GET, POST, OPTIONS"));
}

#[test]
fn files_answer_get_and_head_on_their_paths() {
    let harness = Harness::new();
    assert!(matches!(harness.call("GET", "/", None, None), Got::File(200)));
    assert!(matches!(harness.call("HEAD", "/app.js", Some("not-a-token"), None), Got::File(200)));
    assert_eq!(*harness.files_asked.borrow(), ["GET", "HEAD"]);
}

#[test]
fn other_methods_on_a_file_are_405_allowing_get_and_head() {
    let harness = Harness::new();
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND"] {
        let got = harness.call(method, "/", Some(ADMIN), Some(json!({})));
        assert_eq!(
            (got.status(), got.body()["status"].clone()),
            (405, json!("METHOD_NOT_ALLOWED")),
            "{method}"
        );
        assert_eq!(got.response().header("allow"), Some("GET, HEAD"), "{method}");
    }
    // Only whether the file is there was asked, never the file itself.
    assert!(harness.files_asked.borrow().iter().all(|method| *method == "HEAD"));
}

#[test]
fn a_path_with_no_file_is_404_json_for_every_method() {
    let harness = Harness::new();
    for method in ["GET", "HEAD", "POST", "OPTIONS", "PROPFIND"] {
        let got = harness.call(method, "/no-such-page", None, None);
        assert_eq!((got.status(), got.body()), (404, error("NOT_FOUND", "no such route")), "{method}");
    }
}

#[test]
fn the_api_and_the_gateway_never_ask_the_files() {
    let harness = Harness::new();
    assert_eq!(harness.call("GET", "/api/v3/token", None, None).status(), 401);
    assert_eq!(harness.call("POST", "/api/v3/token", None, Some(json!({}))).status(), 405);
    assert_eq!(harness.call("GET", "/healthyz", None, None).status(), 200);
    assert!(harness.files_asked.borrow().is_empty());
}

#[test]
fn failing_files_are_503_with_the_cause_logged() {
    let harness = Harness::new();
    *harness.files_failure.borrow_mut() = Some("ASSETS: broken".into());
    let got = harness.call("GET", "/", None, None);
    assert_eq!((got.status(), got.body()["status"].clone()), (503, json!("UNAVAILABLE")));
    assert_eq!(got.log().cause.as_deref(), Some("ASSETS: broken"));
    assert!(!got.response().body.as_deref().unwrap().contains("broken"), "the cause is never sent");
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
    let exposed = got.response().header("access-control-expose-headers").unwrap();
    assert!(exposed.contains("www-authenticate") && exposed.contains("via"), "{exposed}");
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
    let capabilities = info["capabilities"].as_array().unwrap();
    assert_eq!(capabilities.len(), crate::contract::catalogue::CAPABILITIES.len());
    assert!(capabilities.iter().any(|c| c["name"] == "accountWithdraw" && c["area"] == "account"));
    let presets: Vec<&str> =
        info["presets"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(presets, ["read-only", "sessions", "funds"]);
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

#[test]
fn requests_without_a_credential_are_neither_counted_nor_throttled() {
    let harness = Harness::new();
    harness.service.limiter.limit.set(Some(3));
    for _ in 0..100 {
        let got = harness.call("GET", "/api/v3/token", None, None);
        assert_eq!((got.status(), got.response().header("www-authenticate")), (401, Some(CHALLENGE)));
    }
    let empty = ApiRequest { x_auth_token: Some(" ".into()), ..request("GET", "/api/v3/token", None) };
    assert_eq!(harness.send(&empty, b"").status(), 401);
    assert_eq!(harness.service.limiter.failures.get(), 0, "none was a failed sign-in");
    assert_eq!(harness.get(ADMIN).status(), 404, "the admin token works from that address");
    for _ in 0..4 {
        harness.get("etk_wrong");
    }
    assert_eq!(
        harness.get(ADMIN).status(),
        429,
        "once locked out by failed sign-ins, a credential is refused"
    );
    assert_eq!(
        harness.call("GET", "/api/v3/token", None, None).status(),
        401,
        "no credential: the usual answer"
    );
}

#[test]
fn a_lock_out_lasts_its_whole_minute_to_the_millisecond() {
    let harness = Harness::new();
    harness.service.limiter.limit.set(Some(0));
    let locked_at = at(NOW) + 999;
    let guess = request("GET", "/api/v3/token", Some("etk_wrong"));
    assert_eq!(harness.send_at(&guess, b"", locked_at).status(), 429);
    harness.service.limiter.limit.set(None);
    let admin = request("GET", "/api/v3/token", Some(ADMIN));
    let almost = harness.send_at(&admin, b"", locked_at + 59_999);
    assert_eq!((almost.status(), almost.response().header("retry-after")), (429, Some("1")));
    assert_eq!(harness.send_at(&admin, b"", locked_at + 60_000).status(), 404);
}

#[test]
fn a_throttled_address_is_refused_even_with_a_correct_credential_until_the_window_ends() {
    let harness = Harness::new();
    let (secret, _) = harness.issue(ADMIN, token_caps());
    harness.service.limiter.limit.set(Some(3));
    for guess in 0..4 {
        let wrong = crate::service::secret::new_secret().unwrap();
        let expected = if guess < 3 { 401 } else { 429 };
        assert_eq!(harness.get(&wrong).status(), expected, "guess {guess}");
    }
    // The attacker's next guess is right: it must look exactly like a wrong one.
    for correct in [secret.as_str(), ADMIN] {
        let got = harness.get_at(correct, at(NOW + 30));
        assert_eq!(got.status(), 429, "a correct credential while throttled");
        assert_eq!(got.response().header("retry-after"), Some("30"));
    }
    assert_eq!(
        harness.call("GET", "/api/v3/gateway", None, None).status(),
        200,
        "no credential, not throttled"
    );
    let another_address = ApiRequest {
        client_address: Some("198.51.100.7".into()),
        ..request("GET", "/api/v3/token", Some(&secret))
    };
    assert_eq!(
        harness.send_at(&another_address, b"", at(NOW + 30)).status(),
        200,
        "other addresses are not locked out"
    );
    let failures_while_locked = harness.service.limiter.failures.get();
    assert_eq!(harness.get_at(&secret, at(NOW + 60)).status(), 200, "the window has ended");
    assert_eq!(
        harness.service.limiter.failures.get(),
        failures_while_locked,
        "valid credentials never count"
    );
    // A malformed guess needs no storage read: the limiter refuses it, and
    // locks the address out again.
    assert_eq!(harness.get_at("etk_malformed", at(NOW + 61)).status(), 429);
    assert_eq!(harness.get_at(&secret, at(NOW + 62)).status(), 429);
}
