//! The client bindings in real browsers (headless Chromium and Firefox ESR,
//! each through `wasm-bindgen-test-runner`) against the Worker in workerd.
//!
//! `EDGE_TOKENS_URL`, `EDGE_TOKENS_ADMIN` and `EDGE_TOKENS_SILENT_URL` are set
//! at compile time by `.ci/test`, from `tests/e2e/serve.mjs`.
#![cfg(all(target_arch = "wasm32", feature = "client"))]

use std::collections::BTreeSet;

use edge_tokens::client::{is_well_formed_secret, TokensClient};
use js_sys::{Function, Object, Promise, Reflect, Symbol};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
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

/// What a client's promise settles to.
async fn done(promise: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(promise).await
}

/// Creates a token as the admin; returns (secret, id).
async fn issue(body: &str) -> (String, String) {
    issue_with(ADMIN, body).await
}

/// Creates a token with the token `secret`; returns (secret, id).
async fn issue_with(secret: &str, body: &str) -> (String, String) {
    let created = done(client(URL, secret, "header").create_token(json(body))).await.unwrap();
    (text(&created, "token"), text(&created, "id"))
}

/// What `await client.listTokens(options)` gives: the list as a thenable.
async fn first_page(client: &TokensClient, options: JsValue) -> Result<JsValue, JsValue> {
    let list = client.list_tokens(options).unwrap();
    done(Promise::resolve(&list)).await
}

/// Every value `for await (const value of iterable)` sees.
async fn walk(iterable: &JsValue) -> Result<Vec<JsValue>, JsValue> {
    let method: Function = Reflect::get(iterable, &Symbol::async_iterator())?.dyn_into()?;
    let iterator = method.call0(iterable)?;
    let next: Function = get(&iterator, "next").dyn_into()?;
    let mut values = Vec::new();
    loop {
        let step = done(next.call0(&iterator)?.dyn_into()?).await?;
        if get(&step, "done").as_bool() == Some(true) {
            return Ok(values);
        }
        values.push(get(&step, "value"));
    }
}

fn items(array: &JsValue) -> Vec<JsValue> {
    array.dyn_ref::<js_sys::Array>().expect("an array").iter().collect()
}

/// The ids of `tokens`, a list of `TokenInfo`.
fn ids(tokens: &[JsValue]) -> Vec<String> {
    tokens.iter().map(|token| text(token, "id")).collect()
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
    let created = done(client(URL, ADMIN, "header").create_token(json(body))).await.unwrap();
    let secret = text(&created, "token");
    assert!(is_well_formed_secret(&secret));
    assert!(get(&created, "validUntil").as_f64().is_some());

    let token = done(client(URL, &secret, "header").get_token()).await.unwrap();
    assert_eq!(text(&token, "id"), text(&created, "id"));
    assert_eq!(text(&token, "description"), "browser");
    assert_eq!(get(&token, "validUntil").as_f64(), get(&created, "validUntil").as_f64());
    let limit = get(&get(&get(&get(&token, "capabilities"), "0"), "limits"), "0");
    assert_eq!(get(&limit, "used").as_f64(), Some(1.0));

    done(client(URL, ADMIN, "header").delete_token(&text(&created, "id"))).await.unwrap();
    let error = done(client(URL, &secret, "header").get_token()).await.unwrap_err();
    assert_api_error(&error, 401.0, "UNAUTHORIZED", "authentication failed", None);
}

#[test]
async fn all_three_credential_schemes() {
    let (secret, id) = issue(r#"{"capabilities":[{"endpoint":"tokensGetToken"}]}"#).await;
    for scheme in ["header", "basic", "bearer"] {
        let token = done(client(URL, &secret, scheme).get_token()).await.unwrap();
        assert_eq!(text(&token, "id"), id, "{scheme}");
    }
}

#[test]
async fn error_statuses_map_to_error_fields() {
    let admin = client(URL, ADMIN, "header");
    let invalid = done(admin.create_token(json(r#"{"capabilities":[]}"#))).await.unwrap_err();
    assert_api_error(&invalid, 400.0, "INVALID_INPUT", "capabilities must not be empty", None);
    let unknown =
        done(admin.create_token(json(r#"{"capabilities":[{"endpoint":"nope"}]}"#))).await.unwrap_err();
    assert_api_error(&unknown, 400.0, "INVALID_TOKEN_CAPABILITIES", "unknown endpoint", None);

    let (secret, _) = issue(r#"{"capabilities":[{"endpoint":"tokensGetToken"}]}"#).await;
    let forbidden =
        done(client(URL, &secret, "bearer").delete_token("0000000000000000000000")).await.unwrap_err();
    let missing = "authorization failed: the token does not hold the tokensDelete capability";
    assert_api_error(&forbidden, 403.0, "UNAUTHORIZED", missing, Some("missing_capability"));

    let (parent, _) = issue(r#"{"capabilities":[{"endpoint":"tokensCreate"}],"lifetime":600}"#).await;
    let longer = done(
        client(URL, &parent, "header")
            .create_token(json(r#"{"capabilities":[{"endpoint":"tokensCreate"}],"lifetime":3600}"#)),
    )
    .await
    .unwrap_err();
    assert_api_error(&longer, 403.0, "FORBIDDEN", "token lifetime not allowed", Some("lifetime_not_allowed"));

    let not_found = done(admin.delete_token("0000000000000000000000")).await.unwrap_err();
    assert_api_error(&not_found, 404.0, "NOT_FOUND", "token not found", None);
    let admin_record = done(admin.get_token()).await.unwrap_err();
    assert_api_error(&admin_record, 404.0, "NOT_FOUND", "no token record", None);

    let stranger = done(client(URL, "not-the-admin-token", "basic").get_token()).await.unwrap_err();
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
    let error = done(slow.get_token()).await.unwrap_err();
    assert!(error.is_instance_of::<js_sys::Error>());
    assert_eq!(text(&error, "name"), "TokensTimeoutError");
    assert_eq!(get(&error, "timeoutMs").as_f64(), Some(300.0));
}

#[test]
async fn an_unreachable_server_is_a_network_error() {
    let error = done(client("http://127.0.0.1:9", ADMIN, "header").get_token()).await.unwrap_err();
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

/// A token with tokensCreate, tokensGetToken and tokensRotate, and below it
/// 7 children (the last of which may create) and 1 grandchild: returns
/// (secret, id, children's ids, grandchild's id).
async fn tree() -> (String, String, Vec<String>, String) {
    let caps = r#"{"capabilities":[{"endpoint":"tokensCreate"},{"endpoint":"tokensGetToken"},{"endpoint":"tokensRotate"}],
                   "lifetime":600,"description":"root"}"#;
    let (root, root_id) = issue(caps).await;
    let mut children = Vec::new();
    for n in 0..6 {
        let body =
            format!(r#"{{"capabilities":[{{"endpoint":"tokensGetToken"}}],"description":"child {n}"}}"#);
        children.push(issue_with(&root, &body).await.1);
    }
    let (creator, creator_id) =
        issue_with(&root, r#"{"capabilities":[{"endpoint":"tokensCreate"},{"endpoint":"tokensGetToken"}]}"#)
            .await;
    children.push(creator_id);
    let (_, grandchild) = issue_with(&creator, r#"{"capabilities":[{"endpoint":"tokensGetToken"}]}"#).await;
    (root, root_id, children, grandchild)
}

#[test]
async fn list_one_page_and_every_page() {
    let (root, root_id, children, grandchild) = tree().await;
    let mine = client(URL, &root, "bearer");

    let page = first_page(&mine, options(&[("limit", 3.into())])).await.unwrap();
    let tokens = items(&get(&page, "tokens"));
    assert!(!tokens.is_empty() && tokens.len() <= 3, "{} tokens", tokens.len());
    assert_eq!(text(&tokens[0], "id"), root_id, "an issued token lists itself first");
    assert_eq!(text(&tokens[0], "description"), "root");
    assert!(get(&tokens[0], "createdAt").as_f64().is_some());
    assert!(get(&tokens[0], "validUntil").as_f64().is_some());
    assert!(!Reflect::has(&tokens[0], &"created_at".into()).unwrap(), "camelCase names only");
    assert!(get(&page, "cursor").as_string().is_some(), "9 tokens, 3 a page: more to come");

    // for await (const page of client.listTokens({ limit: 3 })): every page, to the one without a cursor.
    let pages = walk(&mine.list_tokens(options(&[("limit", 3.into())])).unwrap()).await.unwrap();
    assert!(pages.len() >= 3, "{} pages", pages.len());
    let (last, before) = pages.split_last().unwrap();
    assert!(before.iter().all(|page| get(page, "cursor").as_string().is_some()));
    assert!(get(last, "cursor").is_undefined(), "the walk stops after the page without a cursor");
    let listed: Vec<JsValue> = pages.iter().flat_map(|page| items(&get(page, "tokens"))).collect();
    assert!(pages.iter().all(|page| items(&get(page, "tokens")).len() <= 3));
    let listed_ids = ids(&listed);
    let expected: BTreeSet<String> =
        children.iter().cloned().chain([root_id.clone(), grandchild.clone()]).collect();
    assert_eq!(listed_ids.len(), 9, "each token once: {listed_ids:?}");
    assert_eq!(listed_ids.iter().cloned().collect::<BTreeSet<_>>(), expected);
    assert_eq!(listed_ids[0], root_id);
    for token in &listed {
        let parent = get(token, "parent").as_string();
        match text(token, "id") {
            id if id == root_id => assert_eq!(parent, None, "the admin made it"),
            id if id == grandchild => assert_eq!(parent.as_deref(), Some(children[6].as_str())),
            _ => assert_eq!(parent.as_deref(), Some(root_id.as_str())),
        }
    }

    // The same from the cursor of the first page: the rest.
    let cursor = get(&page, "cursor");
    let rest =
        walk(&mine.list_tokens(options(&[("limit", 3.into()), ("cursor", cursor)])).unwrap()).await.unwrap();
    let rest_ids = ids(&rest.iter().flat_map(|page| items(&get(page, "tokens"))).collect::<Vec<_>>());
    assert_eq!(rest_ids.len() + items(&get(&page, "tokens")).len(), 9);

    // for await (const token of client.listTokens().tokens()): every token.
    let list = mine.list_tokens(options(&[("limit", 2.into())])).unwrap();
    let tokens = js_sys::Reflect::get(&list, &"tokens".into()).unwrap().dyn_into::<Function>().unwrap();
    let every = walk(&tokens.call0(&list).unwrap()).await.unwrap();
    assert_eq!(ids(&every).into_iter().collect::<BTreeSet<_>>(), expected);
    assert_eq!(every.len(), 9);

    // Without options: one page of up to 100, the last.
    let page = first_page(&mine, JsValue::UNDEFINED).await.unwrap();
    assert_eq!(items(&get(&page, "tokens")).len(), 9);
    assert!(get(&page, "cursor").is_undefined());
}

#[test]
async fn list_a_parents_children() {
    let (root, root_id, children, grandchild) = tree().await;
    for secret in [root.as_str(), ADMIN] {
        let pages = walk(
            &client(URL, secret, "header")
                .list_tokens(options(&[("parent", root_id.as_str().into()), ("limit", 3.into())]))
                .unwrap(),
        )
        .await
        .unwrap();
        let listed: Vec<JsValue> = pages.iter().flat_map(|page| items(&get(page, "tokens"))).collect();
        let listed_ids = ids(&listed);
        assert_eq!(listed_ids.len(), 7, "direct children only, each once: {listed_ids:?}");
        assert_eq!(listed_ids.into_iter().collect::<BTreeSet<_>>(), children.iter().cloned().collect());
        assert!(listed.iter().all(|token| text(token, "parent") == root_id));
    }
    let page = first_page(&client(URL, &root, "header"), options(&[("parent", children[6].as_str().into())]))
        .await
        .unwrap();
    assert_eq!(ids(&items(&get(&page, "tokens"))), vec![grandchild]);
    assert!(get(&page, "cursor").is_undefined());
}

#[test]
async fn inspect_own_descendant_and_not_anothers() {
    let (root, root_id, children, grandchild) = tree().await;
    let mine = client(URL, &root, "header");
    let own = done(mine.inspect_token(&root_id)).await.unwrap();
    assert_eq!(text(&own, "id"), root_id);
    assert_eq!(get(&own, "descendants").as_f64(), Some(8.0));
    assert_eq!(text(&get(&get(&own, "capabilities"), "0"), "endpoint"), "tokensCreate");
    let child = done(mine.inspect_token(&children[6])).await.unwrap();
    assert_eq!(text(&child, "parent"), root_id);
    assert_eq!(get(&child, "descendants").as_f64(), Some(1.0));
    let leaf = done(mine.inspect_token(&grandchild)).await.unwrap();
    assert_eq!(get(&leaf, "descendants").as_f64(), Some(0.0));

    let (_, stranger) = issue(r#"{"capabilities":[{"endpoint":"tokensGetToken"}]}"#).await;
    let error = done(mine.inspect_token(&stranger)).await.unwrap_err();
    assert_api_error(&error, 404.0, "NOT_FOUND", "token not found", None);
    let admin = done(client(URL, ADMIN, "header").inspect_token(&stranger)).await.unwrap();
    assert_eq!(text(&admin, "id"), stranger);
    // The id is one path segment: `x/rotate` is not the rotate route.
    let error = done(mine.inspect_token("x/rotate")).await.unwrap_err();
    assert_api_error(&error, 404.0, "NOT_FOUND", "token not found", None);
}

#[test]
async fn rotate_refuses_the_old_secret_or_keeps_it_for_the_grace() {
    let caps =
        r#"{"capabilities":[{"endpoint":"tokensGetToken"},{"endpoint":"tokensRotate"}],"lifetime":600}"#;
    let (old, id) = issue(caps).await;
    let before = done(client(URL, &old, "header").get_token()).await.unwrap();

    let rotated = done(client(URL, &old, "bearer").rotate_token(&id, JsValue::UNDEFINED)).await.unwrap();
    let new = text(&rotated, "token");
    assert_eq!(text(&rotated, "id"), id);
    assert!(is_well_formed_secret(&new) && new != old);
    assert_eq!(get(&rotated, "validUntil").as_f64(), get(&before, "validUntil").as_f64(), "same expiry");
    let error = done(client(URL, &old, "header").get_token()).await.unwrap_err();
    assert_api_error(&error, 401.0, "UNAUTHORIZED", "authentication failed", None);
    assert_eq!(text(&done(client(URL, &new, "header").get_token()).await.unwrap(), "id"), id);

    // With a grace period, both work for now.
    let graced = done(client(URL, &new, "header").rotate_token(&id, json(r#"{"grace":60}"#))).await.unwrap();
    let newest = text(&graced, "token");
    assert_eq!(text(&done(client(URL, &new, "header").get_token()).await.unwrap(), "id"), id);
    assert_eq!(text(&done(client(URL, &newest, "header").get_token()).await.unwrap(), "id"), id);

    let error =
        done(client(URL, &newest, "header").rotate_token(&id, json(r#"{"grace":3601}"#))).await.unwrap_err();
    assert_api_error(&error, 400.0, "INVALID_INPUT", "grace", None);
    let (plain, plain_id) = issue(r#"{"capabilities":[{"endpoint":"tokensGetToken"}]}"#).await;
    let error =
        done(client(URL, &plain, "header").rotate_token(&plain_id, JsValue::UNDEFINED)).await.unwrap_err();
    let missing = "authorization failed: the token does not hold the tokensRotate capability";
    assert_api_error(&error, 403.0, "UNAUTHORIZED", missing, Some("missing_capability"));
    let error =
        done(client(URL, &newest, "header").rotate_token(&plain_id, JsValue::UNDEFINED)).await.unwrap_err();
    assert_api_error(&error, 404.0, "NOT_FOUND", "token not found", None);
}

#[test]
async fn a_base_url_ending_in_the_api_prefix() {
    let (secret, id) = issue(r#"{"capabilities":[{"endpoint":"tokensGetToken"}]}"#).await;
    for base in [format!("{URL}/api/v3"), format!("{URL}/api/v3/"), format!("{URL}/")] {
        let token = done(client(&base, &secret, "header").get_token()).await.unwrap();
        assert_eq!(text(&token, "id"), id, "{base}");
        let page = first_page(&client(&base, &secret, "header"), JsValue::UNDEFINED).await.unwrap();
        assert_eq!(ids(&items(&get(&page, "tokens"))), vec![id.clone()], "{base}");
    }
}

#[test]
async fn list_options_are_checked_here_and_values_by_the_service() {
    let admin = client(URL, ADMIN, "header");
    for bad in [
        options(&[("limit", "3".into())]),
        options(&[("cursor", 5.into())]),
        options(&[("parent", JsValue::TRUE)]),
        JsValue::from_str("limit=3"),
    ] {
        let error = admin.list_tokens(bad).expect_err("thrown at once");
        assert!(error.is_instance_of::<js_sys::TypeError>());
    }
    let error = first_page(&admin, options(&[("limit", 0.into())])).await.unwrap_err();
    assert_api_error(&error, 400.0, "INVALID_INPUT", "limit", None);
    let error = first_page(&admin, options(&[("cursor", "garbage".into())])).await.unwrap_err();
    assert_api_error(&error, 400.0, "INVALID_INPUT", "cursor", None);
    // Query values are encoded: this is a parent that is not an id, not a limit of 0.
    let error = first_page(&admin, options(&[("parent", "x&limit=0".into())])).await.unwrap_err();
    assert_api_error(&error, 400.0, "INVALID_INPUT", "parent", None);
    // Iterating rejects with the same error.
    let error = walk(&admin.list_tokens(options(&[("limit", 1001.into())])).unwrap()).await.unwrap_err();
    assert_api_error(&error, 400.0, "INVALID_INPUT", "limit", None);
}
