//! Who may call each route: one table of every route that needs a caller,
//! each called with every kind of caller, and what each gets. A refused call
//! never reaches the node and counts nothing; a credential that was
//! presented and refused counts as a failed sign-in, and no credential does
//! not.

use serde_json::json;

use super::*;
use crate::{
    contract::{error::ApiError, routes::Access},
    service::http::CHALLENGE,
};

/// A route that needs a caller.
struct Route {
    method: &'static str,
    /// Its path; `{id}` is a token the caller may manage.
    path: &'static str,
    access: Access,
    /// Its body, when it takes one.
    body: Option<fn() -> Value>,
}

/// The caller of one cell of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    /// No credential at all.
    Nobody,
    /// A secret that fails its own format.
    Malformed,
    /// A secret of the right form that no token has.
    Unknown,
    /// The secret of a deleted token.
    Deleted,
    /// The secret of an expired token.
    Expired,
    /// A token without the route's capability.
    WithoutCapability,
    /// A token whose `calls` limit on the route is used up.
    UsedUp,
    /// A secret a rotation replaced, in its grace period.
    InGrace,
    /// A token holding the capability.
    Holder,
}

use Caller::*;

const CALLERS: [Caller; 9] =
    [Nobody, Malformed, Unknown, Deleted, Expired, WithoutCapability, UsedUp, InGrace, Holder];

/// A token every caller that may create one may create: its own
/// `tokensCreate`, no wider than one call.
fn create_body() -> Value {
    json!({ "capabilities": [limited("tokensCreate", 1)] })
}

/// Every route that needs a caller, and what each caller of [`CALLERS`] gets.
const TABLE: [(Route, [u16; 9]); 8] = [
    //                                                             Nobody Malformed Unknown Deleted Expired Without UsedUp InGrace Holder
    (
        route("POST", "/api/v3/tokens", Access::Capability("tokensCreate"), Some(create_body)),
        [401, 401, 401, 401, 401, 403, 403, 403, 201],
    ),
    (
        route("GET", "/api/v3/token", Access::Capability("tokensGetToken"), None),
        [401, 401, 401, 401, 401, 403, 403, 200, 200],
    ),
    (
        route("DELETE", "/api/v3/tokens/{id}", Access::Capability("tokensDelete"), None),
        [401, 401, 401, 401, 401, 403, 403, 403, 204],
    ),
    (
        route("POST", "/api/v3/tokens/{id}/rotate", Access::Capability("tokensRotate"), None),
        [401, 401, 401, 401, 401, 403, 403, 403, 201],
    ),
    (route("GET", "/api/v3/tokens", Access::Token, None), [401, 401, 401, 401, 401, 200, 200, 200, 200]),
    (route("GET", "/api/v3/tokens/{id}", Access::Token, None), [401, 401, 401, 401, 401, 200, 200, 200, 200]),
    (
        route("GET", "/api/v3/tokens/{id}/events", Access::Token, None),
        [401, 401, 401, 401, 401, 200, 200, 200, 200],
    ),
    (
        route("GET", "/api/v4/node/info", Access::Capability("nodeGetInfo"), None),
        [401, 401, 401, 401, 401, 403, 403, 200, 200],
    ),
];

const fn route(
    method: &'static str,
    path: &'static str,
    access: Access,
    body: Option<fn() -> Value>,
) -> Route {
    Route { method, path, access, body }
}

/// A token that may call `route` (limited to one call when `limited_to_one`)
/// and create the tokens the route is called on: its secret and id.
fn holder(harness: &Harness, route: &Route, limited_to_one: bool, lifetime: Option<u64>) -> (String, String) {
    let mut capabilities = vec![json!({"endpoint": "tokensCreate"})];
    if let Access::Capability(capability) = route.access {
        let entry = match limited_to_one {
            true => limited(capability, 1),
            false => json!({ "endpoint": capability }),
        };
        match capability {
            "tokensCreate" => capabilities[0] = entry,
            _ => capabilities.push(entry),
        }
    }
    let mut body = json!({ "capabilities": capabilities });
    if let Some(lifetime) = lifetime {
        body["lifetime"] = json!(lifetime);
    }
    harness.issue(ADMIN, body)
}

/// Two tokens `creator` makes, for a route called on a token (`{id}`).
fn targets(harness: &Harness, route: &Route, creator: &str) -> Vec<String> {
    match route.path.contains("{id}") {
        true => (0..2).map(|_| harness.issue(creator, create_body()).1).collect(),
        false => Vec::new(),
    }
}

/// Calls `route` as `token` on `target`, at `now_ms`.
fn call(harness: &Harness, route: &Route, token: Option<&str>, target: Option<&str>, now_ms: u64) -> Got {
    let id = target.map_or_else(|| crate::service::secret::new_id().unwrap(), String::from);
    let path = route.path.replace("{id}", &id);
    let body = route.body.map(|body| body().to_string().into_bytes()).unwrap_or_default();
    harness.send_at(&request(route.method, &path, token), &body, now_ms)
}

/// What `caller` gets of `route`; the harness it was called on; and how
/// many calls the node had received before that one.
fn cell(route: &Route, caller: Caller) -> (Got, Harness, usize) {
    let harness = Harness::new();
    let (token, target, now_ms) = match caller {
        Nobody => (None, None, at(NOW)),
        Malformed => (Some("etk_nonsense".to_string()), None, at(NOW)),
        Unknown => (Some(crate::service::secret::new_secret().unwrap()), None, at(NOW)),
        Deleted => {
            let (token, id) = holder(&harness, route, false, None);
            assert_eq!(harness.delete(ADMIN, &id).status(), 204);
            (Some(token), None, at(NOW))
        }
        Expired => (Some(holder(&harness, route, false, Some(2)).0), None, at(NOW + 2)),
        WithoutCapability => {
            let (token, id) = harness.issue(ADMIN, caps(&["nodePing"]));
            (Some(token), Some(id), at(NOW))
        }
        UsedUp => {
            let (token, _) = holder(&harness, route, true, None);
            let mut targets = targets(&harness, route, &token).into_iter();
            let first = call(&harness, route, Some(&token), targets.next().as_deref(), at(NOW));
            assert!(first.status() < 300, "the one call allowed: {:?}", first.body());
            (Some(token), targets.next(), at(NOW))
        }
        InGrace => {
            let (token, id) = holder(&harness, route, false, None);
            let target = targets(&harness, route, &token).pop();
            let rotate = request("POST", &format!("/api/v3/tokens/{id}/rotate"), Some(ADMIN));
            assert_eq!(harness.send(&rotate, br#"{"grace": 300}"#).status(), 201);
            (Some(token), target, at(NOW))
        }
        Holder => {
            let (token, _) = holder(&harness, route, false, None);
            let target = targets(&harness, route, &token).pop();
            (Some(token), target, at(NOW))
        }
    };
    let before = harness.node_calls().len();
    let got = call(&harness, route, token.as_deref(), target.as_deref(), now_ms);
    (got, harness, before)
}

/// The refusal `caller` gets of a route with `access`, as a body.
fn refusal_of(access: Access, caller: Caller) -> Value {
    let capability = match access {
        Access::Capability(capability) => capability,
        Access::Public | Access::Token => "",
    };
    match caller {
        WithoutCapability => refusal(
            "UNAUTHORIZED",
            &format!("authorization failed: the token does not hold the {capability} capability"),
            "missing_capability",
        ),
        UsedUp => refusal(
            "UNAUTHORIZED",
            &format!("authorization failed: calls limit of {capability} used up (1 of 1)"),
            "limit_exhausted",
        ),
        InGrace => refusal("UNAUTHORIZED", &ApiError::SecretInGrace.to_string(), "secret_in_grace"),
        _ => error("UNAUTHORIZED", "authentication failed"),
    }
}

#[test]
fn every_route_answers_every_caller_as_the_table_says() {
    for (route, statuses) in &TABLE {
        for (caller, status) in CALLERS.into_iter().zip(statuses) {
            let (got, harness, before) = cell(route, caller);
            let at = format!("{} {} as {caller:?}: {:?}", route.method, route.path, got.body());
            assert_eq!(got.status(), *status, "{at}");
            if *status >= 400 {
                assert_eq!(got.body(), refusal_of(route.access, caller), "{at}");
            }
            let challenge = match &got {
                Got::Service(response) => response.header("www-authenticate"),
                Got::Node(..) | Got::File(_) => None,
            };
            assert_eq!(challenge, (got.status() == 401).then_some(CHALLENGE), "{at}");
            let failed_sign_in = got.status() == 401 && caller != Nobody;
            assert_eq!(harness.service.limiter.failures.get(), u32::from(failed_sign_in), "{at}");
            let reached = harness.node_calls().len() - before;
            assert_eq!(reached, usize::from(matches!(got, Got::Node(..))), "{at}: the node was called");
        }
    }
}
