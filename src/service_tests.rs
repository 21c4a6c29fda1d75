//! Per-route tests of the service over in-memory storage: for each route,
//! one test per outcome.

use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::{json, Value};

use crate::{
    cors::AllowedOrigins,
    gateway::Access,
    memory::{MemoryCounter, MemoryKv},
    secret::AdminToken,
    service::NodeDecision,
    service::{ApiRequest, ApiResponse, Body, Config, Service},
};

const ADMIN: &str = "admin-secret-for-tests";
const NOW: u64 = 1_800_000_000;

type TestService = Service<MemoryKv, MemoryCounter>;

fn service() -> TestService {
    service_with(Some(ADMIN))
}

fn service_with(admin: Option<&str>) -> TestService {
    let config = Config {
        admin_token: admin.map(AdminToken::new),
        allowed_origins: AllowedOrigins::Any,
        gateway_enabled: false,
    };
    Service::new(MemoryKv::default(), MemoryCounter::default(), config)
}

fn request(method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> ApiRequest {
    ApiRequest {
        method: method.to_string(),
        path: path.to_string(),
        x_auth_token: token.map(String::from),
        authorization: None,
        origin: None,
        body: Body::Bytes(body.map(|b| b.to_string().into_bytes()).unwrap_or_default()),
    }
}

fn send(service: &TestService, request: &ApiRequest, now: u64) -> (u16, Value, ApiResponse) {
    let response = pollster::block_on(service.handle(request, now));
    let body = response.body.as_deref().map(|b| serde_json::from_str(b).unwrap()).unwrap_or(Value::Null);
    (response.status, body, response)
}

fn create(service: &TestService, token: &str, body: Value) -> (u16, Value) {
    let (status, body, _) = send(service, &request("POST", "/api/v3/tokens", Some(token), Some(body)), NOW);
    (status, body)
}

fn get(service: &TestService, token: &str, now: u64) -> (u16, Value) {
    let (status, body, _) = send(service, &request("GET", "/api/v3/token", Some(token), None), now);
    (status, body)
}

fn delete(service: &TestService, token: &str, id: &str) -> (u16, Value) {
    let (status, body, _) =
        send(service, &request("DELETE", &format!("/api/v3/tokens/{id}"), Some(token), None), NOW);
    (status, body)
}

/// Creates a token as `creator` and returns (secret, id).
fn issue(service: &TestService, creator: &str, body: Value) -> (String, String) {
    let (status, created) = create(service, creator, body);
    assert_eq!(status, 201, "{created}");
    (created["token"].as_str().unwrap().to_string(), created["id"].as_str().unwrap().to_string())
}

fn caps(endpoints: &[&str]) -> Value {
    json!({ "capabilities": endpoints.iter().map(|e| json!({"endpoint": e})).collect::<Vec<_>>() })
}

fn all_token_caps() -> Value {
    caps(&["tokensCreate", "tokensGetToken", "tokensDelete"])
}

fn error(status: &str, error: &str) -> Value {
    json!({ "status": status, "error": error })
}

// POST /tokens

#[test]
fn create_returns_secret_id_and_expiry_once() {
    let service = service();
    let mut body = all_token_caps();
    body["lifetime"] = json!(120);
    let (status, created) = create(&service, ADMIN, body);
    assert_eq!(status, 201);
    let secret = created["token"].as_str().unwrap();
    assert!(secret.starts_with("etk_"));
    assert_ne!(created["id"], created["token"]);
    assert_eq!(created["valid_until"], json!(NOW + 120));
    // Neither the secret nor its body is stored in clear.
    for stored in service.kv().keys().into_iter().chain(service.kv().values()) {
        assert!(!stored.contains(&secret[4..]), "secret stored in {stored}");
    }
}

#[test]
fn create_without_lifetime_does_not_expire() {
    let service = service();
    let (status, created) = create(&service, ADMIN, all_token_caps());
    assert_eq!(status, 201);
    assert!(created.get("valid_until").is_none());
}

#[test]
fn create_sets_storage_expiry_on_every_key() {
    let service = service();
    let mut body = caps(&["tokensGetToken"]);
    body["lifetime"] = json!(5);
    let (parent, _) =
        issue(&service, ADMIN, json!({"capabilities": [{"endpoint": "tokensCreate"}], "lifetime": 500}));
    let _ = issue(&service, &parent, json!({"capabilities": [{"endpoint": "tokensCreate"}], "lifetime": 5}));
    let keys = service.kv().keys();
    assert_eq!(keys.len(), 5, "{keys:?}"); // two records, two index entries, one child marker
    for key in keys {
        let expiry = service.kv().expiry(&key).unwrap();
        assert!(expiry >= NOW + 60, "{key} expires at {expiry}");
    }
}

#[test]
fn create_validates_the_body() {
    let service = service();
    let (status, body) = create(&service, ADMIN, json!({"capabilities": []}));
    assert_eq!((status, body), (400, error("INVALID_INPUT", "capabilities must not be empty")));
    let (status, body) = create(&service, ADMIN, json!({"capabilities": [{"endpoint": "nope"}]}));
    assert_eq!(status, 400);
    assert_eq!(body["status"], "INVALID_TOKEN_CAPABILITIES");
    let mut long = all_token_caps();
    long["description"] = json!("x".repeat(257));
    assert_eq!(create(&service, ADMIN, long).1["status"], "INVALID_TOKEN_DESCRIPTION");
    let mut not_json = request("POST", "/api/v3/tokens", Some(ADMIN), None);
    not_json.body = Body::Bytes(b"{".to_vec());
    assert_eq!(send(&service, &not_json, NOW).0, 400);
    assert!(service.kv().keys().is_empty());
}

#[test]
fn create_refuses_a_large_body() {
    let service = service();
    let mut too_large = request("POST", "/api/v3/tokens", Some(ADMIN), None);
    too_large.body = Body::TooLarge;
    let (status, body, _) = send(&service, &too_large, NOW);
    assert_eq!(status, 413);
    assert_eq!(body["status"], "PAYLOAD_TOO_LARGE");
}

#[test]
fn create_without_credentials_is_unauthorized() {
    let service = service();
    let (status, body, response) =
        send(&service, &request("POST", "/api/v3/tokens", None, Some(all_token_caps())), NOW);
    assert_eq!((status, body), (401, error("UNAUTHORIZED", "authentication failed")));
    assert!(response.header("www-authenticate").is_some());
}

#[test]
fn create_without_the_capability_is_forbidden() {
    let service = service();
    let (secret, _) = issue(&service, ADMIN, caps(&["tokensGetToken"]));
    assert_eq!(
        create(&service, &secret, caps(&["tokensGetToken"])),
        (403, error("UNAUTHORIZED", "authorization failed"))
    );
}

#[test]
fn delegated_create_may_narrow_but_not_widen() {
    let service = service();
    let parent_body = json!({"capabilities": [
        {"endpoint": "tokensCreate"},
        {"endpoint": "tokensGetToken", "limits": [{"type": "calls", "conditions": {"max": 5}}]}
    ], "lifetime": 100});
    let (parent, parent_id) = issue(&service, ADMIN, parent_body);

    let narrower = json!({"capabilities": [{"endpoint": "tokensGetToken", "limits": [{"type": "calls", "conditions": {"max": 2}}]}]});
    let (child, _) = issue(&service, &parent, narrower);
    let (_, token) = get(&service, &child, NOW);
    assert_eq!(token["valid_until"], json!(NOW + 100), "inherits the parent's expiry");

    let wider = json!({"capabilities": [{"endpoint": "tokensGetToken", "limits": [{"type": "calls", "conditions": {"max": 6}}]}]});
    let forbidden = error("FORBIDDEN", "requested token capabilities not allowed");
    assert_eq!(create(&service, &parent, wider), (403, forbidden.clone()));
    assert_eq!(create(&service, &parent, caps(&["tokensGetToken"])), (403, forbidden.clone()));
    assert_eq!(create(&service, &parent, caps(&["tokensDelete"])), (403, forbidden));
    let mut longer = caps(&["tokensCreate"]);
    longer["lifetime"] = json!(101);
    assert_eq!(
        create(&service, &parent, longer),
        (403, error("FORBIDDEN", "requested token lifetime not allowed"))
    );
    assert!(!parent_id.is_empty());
}

#[test]
fn create_counts_only_calls_it_carries_out() {
    let service = service();
    let body = json!({"capabilities": [
        {"endpoint": "tokensCreate", "limits": [{"type": "calls", "conditions": {"max": 2}}]},
        {"endpoint": "tokensGetToken"}
    ]});
    let (parent, _) = issue(&service, ADMIN, body);
    assert_eq!(create(&service, &parent, json!({"capabilities": []})).0, 400);
    assert_eq!(create(&service, &parent, caps(&["tokensGetToken"])).0, 201);
    assert_eq!(create(&service, &parent, caps(&["tokensGetToken"])).0, 201);
    assert_eq!(
        create(&service, &parent, caps(&["tokensGetToken"])),
        (403, error("UNAUTHORIZED", "authorization failed"))
    );
}

#[test]
fn create_leaves_nothing_when_storage_fails() {
    let service = service();
    service.kv().fail_on("t:");
    let (status, body) = create(&service, ADMIN, all_token_caps());
    assert_eq!((status, body["status"].clone()), (503, json!("UNAVAILABLE")));
    service.kv().heal();
    assert!(service.kv().keys().is_empty(), "{:?}", service.kv().keys());
}

// GET /token

#[test]
fn get_token_shows_the_record_without_secret() {
    let service = service();
    let body = json!({"description": "dashboard", "lifetime": 60, "capabilities": [
        {"endpoint": "tokensGetToken", "limits": [{"type": "calls", "conditions": {"max": 3}, "used": 2}]},
        {"endpoint": "nodeGetPeers", "limits": [{"type": "calls", "conditions": {"max": 9}}]},
        {"endpoint": "nodePing"}
    ]});
    let (secret, id) = issue(&service, ADMIN, body);
    let (status, token) = get(&service, &secret, NOW);
    assert_eq!(status, 200);
    assert_eq!(
        token,
        json!({
            "id": id, "description": "dashboard", "valid_until": NOW + 60,
            "capabilities": [
                {"endpoint": "tokensGetToken", "limits": [{"type": "calls", "conditions": {"max": 3}, "used": 1}]},
                {"endpoint": "nodeGetPeers", "limits": [{"type": "calls", "conditions": {"max": 9}, "used": 0}]},
                {"endpoint": "nodePing", "limits": []}
            ]
        })
    );
}

#[test]
fn get_token_limit_is_exact() {
    let service = service();
    let body = json!({"capabilities": [{"endpoint": "tokensGetToken", "limits": [{"type": "calls", "conditions": {"max": 3}}]}]});
    let (secret, _) = issue(&service, ADMIN, body);
    let statuses: Vec<u16> = (0..5).map(|_| get(&service, &secret, NOW).0).collect();
    assert_eq!(statuses, [200, 200, 200, 403, 403]);
}

#[test]
fn get_token_for_admin_is_not_found() {
    let service = service();
    assert_eq!(get(&service, ADMIN, NOW), (404, error("NOT_FOUND", "the admin token has no token record")));
}

#[test]
fn get_token_accepts_all_three_credential_forms() {
    let service = service();
    let (secret, id) = issue(&service, ADMIN, all_token_caps());
    let forms = [
        format!("Basic {}", STANDARD.encode(format!("{secret}:x"))),
        format!("Basic {}", STANDARD.encode(&secret)),
        format!("Bearer {secret}"),
    ];
    for authorization in forms {
        let mut req = request("GET", "/api/v3/token", None, None);
        req.authorization = Some(authorization.clone());
        let (status, token, _) = send(&service, &req, NOW);
        assert_eq!((status, token["id"].as_str()), (200, Some(id.as_str())), "{authorization}");
    }
}

#[test]
fn get_token_refuses_unknown_malformed_and_expired_tokens() {
    let service = service();
    let mut body = all_token_caps();
    body["lifetime"] = json!(2);
    let (secret, _) = issue(&service, ADMIN, body);
    assert_eq!(get(&service, &secret, NOW + 1).0, 200);
    let failed = (401, error("UNAUTHORIZED", "authentication failed"));
    assert_eq!(get(&service, &secret, NOW + 2), failed, "refused from the second it expires");
    assert_eq!(get(&service, "etk_nonsense", NOW), failed);
    let unknown = crate::secret::new_secret().unwrap();
    assert_eq!(get(&service, &unknown, NOW), failed);
}

#[test]
fn get_token_without_the_capability_is_forbidden() {
    let service = service();
    let (secret, _) = issue(&service, ADMIN, caps(&["tokensCreate"]));
    assert_eq!(get(&service, &secret, NOW), (403, error("UNAUTHORIZED", "authorization failed")));
}

#[test]
fn without_api_token_everything_authenticated_is_misconfigured() {
    for admin in [None, Some("short")] {
        let service = service_with(admin);
        let (status, body) = get(&service, "anything-at-all", NOW);
        assert_eq!((status, body["status"].clone()), (503, json!("MISCONFIGURED")));
    }
}

#[test]
fn storage_failure_is_unavailable_and_logged() {
    let service = service();
    let (secret, _) = issue(&service, ADMIN, all_token_caps());
    service.kv().fail_on("");
    let (status, body, response) = send(&service, &request("GET", "/api/v3/token", Some(&secret), None), NOW);
    assert_eq!((status, body["status"].clone()), (503, json!("UNAVAILABLE")));
    assert!(response.cause.unwrap().contains("injected failure"));
    service.kv().heal();
    assert_eq!(get(&service, &secret, NOW).0, 200, "the next request is served");
}

// DELETE /tokens/{id}

#[test]
fn delete_by_admin_revokes_the_token() {
    let service = service();
    let (secret, id) = issue(&service, ADMIN, all_token_caps());
    let (status, body, response) =
        send(&service, &request("DELETE", &format!("/api/v3/tokens/{id}"), Some(ADMIN), None), NOW);
    assert_eq!((status, body), (204, Value::Null));
    assert!(response.body.is_none());
    assert_eq!(get(&service, &secret, NOW).0, 401);
    assert_eq!(delete(&service, ADMIN, &id), (404, error("NOT_FOUND", "token not found")));
    assert!(service.kv().keys().is_empty());
}

#[test]
fn delete_cascades_to_every_descendant() {
    let service = service();
    let (root, root_id) = issue(&service, ADMIN, all_token_caps());
    let (child, _) = issue(&service, &root, all_token_caps());
    let (grandchild, _) = issue(&service, &child, all_token_caps());
    let (sibling, _) = issue(&service, ADMIN, all_token_caps());
    assert_eq!(delete(&service, ADMIN, &root_id).0, 204);
    assert_eq!(get(&service, &child, NOW).0, 401);
    assert_eq!(get(&service, &grandchild, NOW).0, 401);
    assert_eq!(get(&service, &sibling, NOW).0, 200);
    assert_eq!(service.kv().keys().len(), 2, "only the sibling's record and index remain");
}

#[test]
fn child_of_a_deleted_parent_is_refused_even_if_missed_by_the_cascade() {
    let service = service();
    let (root, root_id) = issue(&service, ADMIN, all_token_caps());
    let (child, child_id) = issue(&service, &root, all_token_caps());
    // A child written after the cascade listed its parent's children
    // (a create racing the delete) keeps its record but loses its ancestor.
    let (_, child_body) = get(&service, &child, NOW);
    pollster::block_on(crate::store::KeyValue::delete(service.kv(), &format!("c:{root_id}:{child_id}")))
        .unwrap();
    assert_eq!(delete(&service, ADMIN, &root_id).0, 204);
    assert_eq!(child_body["id"], json!(child_id));
    assert_eq!(get(&service, &child, NOW).0, 401);
}

#[test]
fn issued_token_deletes_itself_and_descendants_only() {
    let service = service();
    let (parent, parent_id) = issue(&service, ADMIN, all_token_caps());
    let (_, child_id) = issue(&service, &parent, all_token_caps());
    let (other, other_id) = issue(&service, ADMIN, all_token_caps());
    assert_eq!(delete(&service, &parent, &other_id), (404, error("NOT_FOUND", "token not found")));
    assert_eq!(delete(&service, &parent, &child_id).0, 204);
    assert_eq!(delete(&service, &parent, &parent_id).0, 204);
    assert_eq!(get(&service, &parent, NOW).0, 401);
    assert_eq!(get(&service, &other, NOW).0, 200);
}

#[test]
fn delete_of_unknown_or_malformed_id_is_not_found() {
    let service = service();
    let missing = crate::secret::new_id().unwrap();
    assert_eq!(delete(&service, ADMIN, &missing).0, 404);
    assert_eq!(delete(&service, ADMIN, "..%2F..").0, 404);
}

#[test]
fn delete_without_credentials_is_unauthorized() {
    let service = service();
    let (_, id) = issue(&service, ADMIN, all_token_caps());
    let (status, _, _) = send(&service, &request("DELETE", &format!("/api/v3/tokens/{id}"), None, None), NOW);
    assert_eq!(status, 401);
}

#[test]
fn delete_without_the_capability_is_forbidden() {
    let service = service();
    let (secret, id) = issue(&service, ADMIN, caps(&["tokensGetToken"]));
    assert_eq!(delete(&service, &secret, &id), (403, error("UNAUTHORIZED", "authorization failed")));
}

#[test]
fn delete_revokes_the_counters_of_limited_tokens() {
    let service = service();
    let body = json!({"capabilities": [{"endpoint": "tokensGetToken", "limits": [{"type": "calls", "conditions": {"max": 5}}]}]});
    let (secret, id) = issue(&service, ADMIN, body);
    assert_eq!(get(&service, &secret, NOW).0, 200);
    assert_eq!(delete(&service, ADMIN, &id).0, 204);
    let reply = pollster::block_on(crate::store::CallCounter::charge(
        service.counter(),
        &id,
        &crate::usage::ChargeRequest { call: None, valid_until: None },
    ))
    .unwrap();
    assert!(!reply.granted);
}

#[test]
fn failed_delete_can_be_retried() {
    let service = service();
    let (root, root_id) = issue(&service, ADMIN, all_token_caps());
    let (child, _) = issue(&service, &root, all_token_caps());
    service.kv().fail_on("c:");
    assert_eq!(delete(&service, ADMIN, &root_id).0, 503);
    service.kv().heal();
    assert_eq!(delete(&service, ADMIN, &root_id).0, 204);
    assert_eq!(get(&service, &root, NOW).0, 401);
    assert_eq!(get(&service, &child, NOW).0, 401);
    assert!(service.kv().keys().is_empty(), "{:?}", service.kv().keys());
}

// Everything else

#[test]
fn unknown_path_and_wrong_method_are_json() {
    let service = service();
    let (status, body, _) = send(&service, &request("GET", "/api/v3/nothing", None, None), NOW);
    assert_eq!((status, body["status"].clone()), (404, json!("NOT_FOUND")));
    let (status, body, response) = send(&service, &request("GET", "/api/v3/tokens", None, None), NOW);
    assert_eq!((status, body["status"].clone()), (405, json!("METHOD_NOT_ALLOWED")));
    assert_eq!(response.header("allow"), Some("POST, OPTIONS"));
}

#[test]
fn preflight_allows_the_auth_headers() {
    let service = service();
    let mut req = request("OPTIONS", "/api/v3/tokens", None, None);
    req.origin = Some("https://app.example".into());
    let (status, _, response) = send(&service, &req, NOW);
    assert_eq!(status, 204);
    assert_eq!(response.header("access-control-allow-origin"), Some("*"));
    assert!(response.header("access-control-allow-headers").unwrap().contains("x-auth-token"));
}

#[test]
fn openapi_document_is_served() {
    let service = service();
    let (status, doc, _) = send(&service, &request("GET", "/api/v3/openapi.json", None, None), NOW);
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
}

#[test]
fn log_fields_name_the_operation_and_caller_but_not_the_secret() {
    let service = service();
    let (secret, id) = issue(&service, ADMIN, all_token_caps());
    let (_, _, response) = send(&service, &request("GET", "/api/v3/token", Some(&secret), None), NOW);
    assert_eq!(response.operation, Some("tokensGetToken"));
    assert_eq!(response.token_id.as_deref(), Some(id.as_str()));
}

#[test]
fn a_throttled_failure_is_429_with_retry_after_and_cors() {
    let service = service();
    let mut req = request("GET", "/api/v3/token", Some("etk_wrong"), None);
    req.origin = Some("https://app.example".into());
    let (_, _, response) = send(&service, &req, NOW);
    assert!(response.is_failed_sign_in());
    let throttled = response.into_throttled();
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.header("retry-after"), Some("60"));
    assert_eq!(throttled.header("access-control-allow-origin"), Some("*"));
    assert_eq!(throttled.operation, Some("tokensGetToken"));
    let body: Value = serde_json::from_str(throttled.body.as_deref().unwrap()).unwrap();
    assert_eq!(body["status"], "TOO_MANY_REQUESTS");
}

#[test]
fn only_authentication_failures_count_as_failed_sign_ins() {
    let service = service();
    let (secret, _) = issue(&service, ADMIN, caps(&["tokensCreate"]));
    let (_, _, forbidden) = send(&service, &request("GET", "/api/v3/token", Some(&secret), None), NOW);
    assert_eq!(forbidden.status, 403);
    assert!(!forbidden.is_failed_sign_in());
}

// The gateway's decisions

fn node_call(service: &TestService, method: &str, path: &str, token: Option<&str>) -> NodeDecision {
    pollster::block_on(service.route_node_call(&request(method, path, token, None), NOW))
}

fn refused_status(decision: NodeDecision) -> u16 {
    match decision {
        NodeDecision::Respond(response) => response.status,
        NodeDecision::Forward(call) => panic!("forwarded {call:?}"),
    }
}

#[test]
fn gateway_forwards_a_call_the_token_may_make() {
    let service = service();
    let (secret, id) = issue(&service, ADMIN, caps(&["nodeGetInfo"]));
    let NodeDecision::Forward(call) = node_call(&service, "GET", "/api/v4/node/info", Some(&secret)) else {
        panic!("not forwarded")
    };
    assert_eq!(call.route.access, Access::Capability("nodeGetInfo"));
    assert_eq!(call.token_id, Some(id));
    assert!(matches!(node_call(&service, "GET", "/api/v3/node/info", Some(ADMIN)), NodeDecision::Forward(_)));
}

#[test]
fn gateway_forwards_health_checks_without_credentials() {
    let service = service();
    assert!(matches!(node_call(&service, "GET", "/readyz", None), NodeDecision::Forward(_)));
}

#[test]
fn gateway_refuses_missing_credentials_capabilities_and_used_up_limits() {
    let service = service();
    assert_eq!(refused_status(node_call(&service, "GET", "/api/v4/node/info", None)), 401);
    let (secret, _) = issue(&service, ADMIN, caps(&["nodeGetVersion"]));
    assert_eq!(refused_status(node_call(&service, "GET", "/api/v4/node/info", Some(&secret))), 403);
    let body = json!({"capabilities": [{"endpoint": "nodeGetInfo", "limits": [{"type": "calls", "conditions": {"max": 2}}]}]});
    let (limited, _) = issue(&service, ADMIN, body);
    for _ in 0..2 {
        assert!(matches!(
            node_call(&service, "GET", "/api/v4/node/info", Some(&limited)),
            NodeDecision::Forward(_)
        ));
    }
    assert_eq!(refused_status(node_call(&service, "GET", "/api/v4/node/info", Some(&limited))), 403);
}

#[test]
fn gateway_answers_unknown_routes_methods_and_preflights_itself() {
    let service = service();
    assert_eq!(refused_status(node_call(&service, "GET", "/api/v4/nothing", Some(ADMIN))), 404);
    assert_eq!(refused_status(node_call(&service, "GET", "/api/v4/../v3/node/info", Some(ADMIN))), 404);
    assert_eq!(refused_status(node_call(&service, "PUT", "/api/v4/node/info", Some(ADMIN))), 405);
    assert_eq!(refused_status(node_call(&service, "OPTIONS", "/api/v4/node/info", None)), 204);
}

#[test]
fn gateway_table_is_served_without_credentials() {
    let service = service();
    let (status, info, _) = send(&service, &request("GET", "/api/v3/gateway", None, None), NOW);
    assert_eq!(status, 200);
    assert_eq!(info["enabled"], json!(false));
    let routes = info["routes"].as_array().unwrap();
    assert!(routes.contains(&json!({"method": "GET", "path": "/api/v4/node/info", "capability": "nodeGetInfo", "websocket": false})));
    assert!(routes
        .contains(&json!({"method": "GET", "path": "/healthyz", "capability": null, "websocket": false})));
}
