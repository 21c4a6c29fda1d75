//! The route × outcome matrix of the service, natively over in-memory
//! storage, a counting sign-in limiter and a recording stand-in node: for
//! each route, one test per outcome (success, validation, missing
//! credentials, wrong capability, ...).
//!
//! What only the real runtime can show (KV and Durable Objects in workerd,
//! the rate-limiting binding, forwarding over HTTP, browsers) is tested end
//! to end under `tests/e2e/`.

mod access;
mod budgets;
mod events;
mod gateway;
mod http;
mod management;
pub(crate) mod memory;
mod periodic;
mod properties;
mod revocation;
mod tokens;

use std::cell::{Cell, RefCell};

use serde_json::{json, Value};

use self::memory::{MemoryBudgets, MemoryKv, MemoryQueue};
use super::{
    auth::SignInLimiter,
    context::Config,
    cors::AllowedOrigins,
    files::Files,
    gateway::{Node, NodeAnswer, NodeCall, NodeFailure},
    http::{ApiRequest, ApiResponse, LogFields},
    secret::AdminToken,
    tree::cleanup::{self, CleanupQueue, Progress},
    Answer, Service,
};

/// The admin token of every test service: strong enough to be accepted.
const ADMIN: &str = "admin-secret-for-tests-0123456789abcdef";
/// The time of every request, in seconds since the epoch, unless a test says.
const NOW: u64 = 1_800_000_000;

/// Milliseconds since the epoch at the start of second `secs`.
fn at(secs: u64) -> u64 {
    secs * 1000
}

/// Fails the client over `limit` failed sign-ins, counting them all.
#[derive(Debug, Default)]
struct CountingLimiter {
    failures: Cell<u32>,
    limit: Cell<Option<u32>>,
}

impl SignInLimiter for CountingLimiter {
    async fn over_limit_after_failure(&self, _request: &ApiRequest) -> bool {
        self.failures.set(self.failures.get() + 1);
        self.limit.get().is_some_and(|limit| self.failures.get() > limit)
    }
}

/// The node's own token, as the gateway is configured with it.
const ORIGIN_TOKEN: &str = "the-nodes-own-token";

/// An answer of the stand-in node: its status and headers.
#[derive(Clone, Debug, PartialEq, Eq)]
struct NodeReply {
    status: u16,
    headers: Vec<(String, String)>,
}

impl NodeAnswer for NodeReply {
    fn status(&self) -> u16 {
        self.status
    }

    fn headers(&self) -> Vec<(String, String)> {
        self.headers.clone()
    }

    fn with_headers(self, headers: Vec<(String, String)>) -> Result<NodeReply, String> {
        Ok(NodeReply { headers, ..self })
    }
}

/// A stand-in node: records every call and answers `reply` (200 without
/// headers unless told), or fails as told.
#[derive(Debug)]
struct RecordingNode {
    calls: RefCell<Vec<NodeCall>>,
    reply: RefCell<NodeReply>,
    failure: RefCell<Option<NodeFailure>>,
}

impl Default for RecordingNode {
    fn default() -> RecordingNode {
        let reply = NodeReply { status: 200, headers: Vec::new() };
        RecordingNode { calls: RefCell::default(), reply: RefCell::new(reply), failure: RefCell::default() }
    }
}

impl Node for RecordingNode {
    type Answer = NodeReply;

    async fn forward(&self, call: &NodeCall) -> Result<NodeReply, NodeFailure> {
        self.calls.borrow_mut().push(call.clone());
        self.failure.borrow().clone().map_or_else(|| Ok(self.reply.borrow().clone()), Err)
    }
}

/// The console's files of the tests, answered 200.
const FILES: [&str; 2] = ["/", "/app.js"];

/// The stand-in files, for one request to `path`: records the methods they
/// were asked with, and fails when told.
struct StandInFiles<'a> {
    path: &'a str,
    asked: &'a RefCell<Vec<&'static str>>,
    failure: Option<String>,
}

impl Files for StandInFiles<'_> {
    type Answer = u16;

    async fn fetch(&self, method: &'static str) -> Result<Option<u16>, String> {
        self.asked.borrow_mut().push(method);
        match &self.failure {
            Some(failure) => Err(failure.clone()),
            None => Ok(FILES.contains(&self.path).then_some(200)),
        }
    }
}

type TestService = Service<MemoryKv, MemoryBudgets, CountingLimiter>;

/// A service, the node and the files behind it, and helpers to call them.
struct Harness {
    service: TestService,
    node: RecordingNode,
    /// The methods the files were asked with.
    files_asked: RefCell<Vec<&'static str>>,
    /// Why the files fail, when they do.
    files_failure: RefCell<Option<String>>,
}

/// What a request got: the service's answer, the node's, or a file's.
#[derive(Debug)]
enum Got {
    Service(ApiResponse),
    Node(NodeReply, LogFields),
    File(u16),
}

impl Got {
    fn status(&self) -> u16 {
        match self {
            Got::Service(response) => response.status,
            Got::Node(reply, _) => reply.status,
            Got::File(status) => *status,
        }
    }

    fn body(&self) -> Value {
        match self {
            Got::Service(response) => {
                response.body.as_deref().map_or(Value::Null, |b| serde_json::from_str(b).unwrap())
            }
            Got::Node(..) | Got::File(_) => Value::Null,
        }
    }

    fn response(&self) -> &ApiResponse {
        match self {
            Got::Service(response) => response,
            Got::Node(..) => panic!("the node answered"),
            Got::File(_) => panic!("a file answered"),
        }
    }

    fn log(&self) -> &LogFields {
        match self {
            Got::Service(response) => &response.log,
            Got::Node(_, log) => log,
            Got::File(_) => panic!("a file answered"),
        }
    }
}

impl Harness {
    fn new() -> Harness {
        Harness::with_admin(Some(ADMIN))
    }

    fn with_admin(admin: Option<&str>) -> Harness {
        Harness::configured(admin, true)
    }

    /// A service with no node behind its gateway (no `ORIGIN_URL`).
    fn without_node() -> Harness {
        Harness::configured(Some(ADMIN), false)
    }

    fn configured(admin: Option<&str>, gateway_enabled: bool) -> Harness {
        let config = Config {
            admin_token: admin.map(AdminToken::new),
            allowed_origins: AllowedOrigins::Any,
            gateway_enabled,
            origin_token: Some(ORIGIN_TOKEN.to_string()),
            session_listen_default: "127.0.0.1:0".parse().unwrap(),
        };
        let service =
            Service::new(MemoryKv::default(), MemoryBudgets::default(), CountingLimiter::default(), config);
        Harness {
            service,
            node: RecordingNode::default(),
            files_asked: RefCell::default(),
            files_failure: RefCell::default(),
        }
    }

    fn kv(&self) -> &MemoryKv {
        self.service.kv()
    }

    /// Every stored key but the tombstones deleted tokens leave for their
    /// audit trails.
    fn kept_keys(&self) -> Vec<String> {
        self.kv().keys().into_iter().filter(|key| !key.starts_with("x:")).collect()
    }

    /// Sends `request` with `body` at `now_ms`.
    fn send_at(&self, request: &ApiRequest, body: &[u8], now_ms: u64) -> Got {
        self.service.budgets().now_ms.set(now_ms);
        let files = StandInFiles {
            path: &request.path,
            asked: &self.files_asked,
            failure: self.files_failure.borrow().clone(),
        };
        match pollster::block_on(self.service.handle(request, body.to_vec(), &self.node, &files, now_ms)) {
            Answer::Service(response) => Got::Service(response),
            Answer::Node(reply, log) => Got::Node(reply, log),
            Answer::File(status) => Got::File(status),
        }
    }

    fn send(&self, request: &ApiRequest, body: &[u8]) -> Got {
        self.send_at(request, body, at(NOW))
    }

    /// `method path` with `token` in `x-auth-token` and a JSON `body`.
    fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Got {
        self.call_at(method, path, token, body, at(NOW))
    }

    /// [`Harness::call`] at `now_ms`.
    fn call_at(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        now_ms: u64,
    ) -> Got {
        let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        self.send_at(&request(method, path, token), &body, now_ms)
    }

    fn create(&self, token: &str, body: Value) -> Got {
        self.call("POST", "/api/v3/tokens", Some(token), Some(body))
    }

    fn get_at(&self, token: &str, now_ms: u64) -> Got {
        self.send_at(&request("GET", "/api/v3/token", Some(token)), b"", now_ms)
    }

    fn get(&self, token: &str) -> Got {
        self.get_at(token, at(NOW))
    }

    fn delete(&self, token: &str, id: &str) -> Got {
        self.call("DELETE", &format!("/api/v3/tokens/{id}"), Some(token), None)
    }

    /// Creates a token as `creator`; returns (secret, id).
    fn issue(&self, creator: &str, body: Value) -> (String, String) {
        let created = self.create(creator, body);
        assert_eq!(created.status(), 201, "{:?}", created.body());
        let body = created.body();
        (body["token"].as_str().unwrap().to_string(), body["id"].as_str().unwrap().to_string())
    }

    /// Runs the clean-up of every subtree revoked so far to its end, as the
    /// trees' Durable Objects do; returns the storage operations of each step.
    fn clean_up(&self) -> Vec<usize> {
        let queue = MemoryQueue::default();
        let revoked: Vec<(String, usize)> = self.service.budgets().revoked.borrow_mut().drain(..).collect();
        pollster::block_on(queue.push(&revoked)).unwrap();
        let mut steps = Vec::new();
        loop {
            let report =
                pollster::block_on(cleanup::step(self.kv(), &queue, cleanup::OPS_PER_STEP, at(NOW))).unwrap();
            steps.push(report.ops);
            if report.progress == Progress::Done {
                return steps;
            }
        }
    }

    /// Does what the answers so far left to do after they were sent, as
    /// the Worker does with `ctx.waitUntil`.
    fn run_deferred(&self) {
        let tokens = crate::service::store::TokenStore::new(self.kv());
        pollster::block_on(crate::service::usage::last_use::write(&tokens, self.service.take_deferred()));
    }

    /// The calls the node received.
    fn node_calls(&self) -> Vec<NodeCall> {
        self.node.calls.borrow().clone()
    }
}

fn request(method: &str, path: &str, token: Option<&str>) -> ApiRequest {
    ApiRequest {
        x_auth_token: token.map(String::from),
        client_address: Some("192.0.2.1".into()),
        ..ApiRequest::new(method, &format!("https://edge.example{path}"))
    }
}

fn caps(endpoints: &[&str]) -> Value {
    json!({ "capabilities": endpoints.iter().map(|e| json!({"endpoint": e})).collect::<Vec<_>>() })
}

fn limited(endpoint: &str, max: u64) -> Value {
    json!({"endpoint": endpoint, "limits": [{"type": "calls", "conditions": {"max": max}}]})
}

fn token_caps() -> Value {
    caps(&["tokensCreate", "tokensGetToken", "tokensDelete"])
}

fn error(status: &str, error: &str) -> Value {
    json!({ "status": status, "error": error })
}

fn refusal(status: &str, error: &str, reason: &str) -> Value {
    json!({ "status": status, "error": error, "reason": reason })
}

/// Asserts a 403 with `reason`.
fn assert_refused(got: &Got, reason: &str) {
    assert_eq!(got.status(), 403, "{:?}", got.body());
    assert_eq!(got.body()["reason"], reason, "{:?}", got.body());
}
