//! The client bindings in real browsers (headless Chromium and Firefox ESR,
//! each through `wasm-bindgen-test-runner`) against the Worker in workerd.
//!
//! `EDGE_TOKENS_URL`, `EDGE_TOKENS_ADMIN` and `EDGE_TOKENS_SILENT_URL` are set
//! at compile time by `.ci/test`, from `tests/e2e/serve.mjs`.
#![cfg(all(target_arch = "wasm32", feature = "client"))]

use edge_tokens::client::{is_well_formed_secret, TokensClient};
use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test as test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const URL: &str = env!("EDGE_TOKENS_URL");
const ADMIN: &str = env!("EDGE_TOKENS_ADMIN");
const SILENT_URL: &str = env!("EDGE_TOKENS_SILENT_URL");

fn options(pairs: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (name, value) in pairs {
        Reflect::set(&object, &(*name).into(), value).unwrap();
    }
    object.into()
}

fn client(base: &str, token: &str, scheme: &str) -> TokensClient {
    TokensClient::new(base, options(&[("token", token.into()), ("scheme", scheme.into())])).unwrap()
}

fn json(text: &str) -> JsValue {
    js_sys::JSON::parse(text).unwrap()
}

fn get(value: &JsValue, name: &str) -> JsValue {
    Reflect::get(value, &name.into()).unwrap()
}

fn text(value: &JsValue, name: &str) -> String {
    get(value, name).as_string().unwrap_or_else(|| panic!("{name} is not a string"))
}

/// Creates a token as the admin; returns (secret, id).
async fn issue(body: &str) -> (String, String) {
    let created = client(URL, ADMIN, "header").create_token(json(body)).await.unwrap();
    (text(&created, "token"), text(&created, "id"))
}

/// Asserts `error` is a `TokensApiError` with these fields; `reason` is
/// `None` when the error must have no `reason` at all.
fn assert_api_error(error: &JsValue, http_status: f64, status: &str, needle: &str, reason: Option<&str>) {
    assert!(error.is_instance_of::<js_sys::Error>(), "a real Error");
    assert_eq!(text(error, "name"), "TokensApiError");
    assert_eq!(get(error, "httpStatus").as_f64(), Some(http_status));
    assert_eq!(text(error, "status"), status);
    assert!(text(error, "error").contains(needle), "{}", text(error, "error"));
    match reason {
        Some(reason) => assert_eq!(text(error, "reason"), reason),
        None => assert!(!Reflect::has(error, &"reason".into()).unwrap(), "no reason on a {http_status}"),
    }
}

#[test]
async fn create_get_and_delete() {
    let body = r#"{"capabilities":[{"endpoint":"tokensGetToken","limits":[{"type":"calls","conditions":{"max":5}}]}],
                  "lifetime":600,"description":"browser"}"#;
    let created = client(URL, ADMIN, "header").create_token(json(body)).await.unwrap();
    let secret = text(&created, "token");
    assert!(is_well_formed_secret(&secret));
    assert!(get(&created, "validUntil").as_f64().is_some());

    let token = client(URL, &secret, "header").get_token().await.unwrap();
    assert_eq!(text(&token, "id"), text(&created, "id"));
    assert_eq!(text(&token, "description"), "browser");
    assert_eq!(get(&token, "validUntil").as_f64(), get(&created, "validUntil").as_f64());
    let limit = get(&get(&get(&get(&token, "capabilities"), "0"), "limits"), "0");
    assert_eq!(get(&limit, "used").as_f64(), Some(1.0));

    client(URL, ADMIN, "header").delete_token(&text(&created, "id")).await.unwrap();
    let error = client(URL, &secret, "header").get_token().await.unwrap_err();
    assert_api_error(&error, 401.0, "UNAUTHORIZED", "authentication failed", None);
}

#[test]
async fn all_three_credential_schemes() {
    let (secret, id) = issue(r#"{"capabilities":[{"endpoint":"tokensGetToken"}]}"#).await;
    for scheme in ["header", "basic", "bearer"] {
        let token = client(URL, &secret, scheme).get_token().await.unwrap();
        assert_eq!(text(&token, "id"), id, "{scheme}");
    }
}

#[test]
async fn error_statuses_map_to_error_fields() {
    let admin = client(URL, ADMIN, "header");
    let invalid = admin.create_token(json(r#"{"capabilities":[]}"#)).await.unwrap_err();
    assert_api_error(&invalid, 400.0, "INVALID_INPUT", "capabilities must not be empty", None);
    let unknown = admin.create_token(json(r#"{"capabilities":[{"endpoint":"nope"}]}"#)).await.unwrap_err();
    assert_api_error(&unknown, 400.0, "INVALID_TOKEN_CAPABILITIES", "unknown endpoint", None);

    let (secret, _) = issue(r#"{"capabilities":[{"endpoint":"tokensGetToken"}]}"#).await;
    let forbidden = client(URL, &secret, "bearer").delete_token("0000000000000000000000").await.unwrap_err();
    let missing = "authorization failed: the token does not hold the tokensDelete capability";
    assert_api_error(&forbidden, 403.0, "UNAUTHORIZED", missing, Some("missing_capability"));

    let (parent, _) = issue(r#"{"capabilities":[{"endpoint":"tokensCreate"}],"lifetime":600}"#).await;
    let longer = client(URL, &parent, "header")
        .create_token(json(r#"{"capabilities":[{"endpoint":"tokensCreate"}],"lifetime":3600}"#))
        .await
        .unwrap_err();
    assert_api_error(&longer, 403.0, "FORBIDDEN", "token lifetime not allowed", Some("lifetime_not_allowed"));

    let not_found = admin.delete_token("0000000000000000000000").await.unwrap_err();
    assert_api_error(&not_found, 404.0, "NOT_FOUND", "token not found", None);
    let admin_record = admin.get_token().await.unwrap_err();
    assert_api_error(&admin_record, 404.0, "NOT_FOUND", "no token record", None);

    let stranger = client(URL, "not-the-admin-token", "basic").get_token().await.unwrap_err();
    assert_api_error(&stranger, 401.0, "UNAUTHORIZED", "authentication failed", None);
}

#[test]
async fn a_silent_server_times_out() {
    assert_times_out_after_300_ms(SILENT_URL).await;
}

/// The answer starts, then stalls: the timeout ends the body's read. Firefox
/// rejects that read with an `AbortError`, not the signal's `TimeoutError`
/// (Chromium), so the client must tell a timeout by its signal.
#[test]
async fn a_server_stalling_mid_answer_times_out() {
    assert_times_out_after_300_ms(&format!("{SILENT_URL}/stall")).await;
}

/// A client with a 300 ms timeout rejects `getToken` on `url` with a
/// `TokensTimeoutError` that says so.
async fn assert_times_out_after_300_ms(url: &str) {
    let slow =
        TokensClient::new(url, options(&[("token", ADMIN.into()), ("timeoutMs", 300.into())])).unwrap();
    let error = slow.get_token().await.unwrap_err();
    assert!(error.is_instance_of::<js_sys::Error>());
    assert_eq!(text(&error, "name"), "TokensTimeoutError");
    assert_eq!(get(&error, "timeoutMs").as_f64(), Some(300.0));
}

#[test]
async fn an_unreachable_server_is_a_network_error() {
    let error = client("http://127.0.0.1:9", ADMIN, "header").get_token().await.unwrap_err();
    assert_eq!(text(&error, "name"), "TokensNetworkError");
}

#[test]
fn bad_options_throw_type_errors() {
    for (base, opts) in [
        ("ftp://example", options(&[("token", "t".into())])),
        (URL, options(&[])),
        (URL, options(&[("token", "t".into()), ("scheme", "digest".into())])),
        (URL, options(&[("token", "t".into()), ("timeoutMs", 0.into())])),
        (URL, JsValue::NULL),
    ] {
        let error = TokensClient::new(base, opts).err().expect("rejected");
        assert!(error.is_instance_of::<js_sys::TypeError>());
    }
}

#[test]
fn secrets_are_checked_offline() {
    assert!(!is_well_formed_secret("etk_"));
    assert!(!is_well_formed_secret(ADMIN));
}
