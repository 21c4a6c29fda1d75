//! `calls` counters in Durable Objects: one [`TokenCounter`] per limited
//! token, addressed by the token's id, and [`DurableCounters`], the
//! [`CallCounter`] the service calls.
//!
//! Counters cannot live in KV: KV allows one write per key per second and has
//! no atomic update. A Durable Object handles one event at a time, and the
//! check-and-increment ([`Usage::apply`]) runs synchronously on its
//! in-memory copy, so exactly `max` calls succeed under any concurrency.

use std::cell::RefCell;

use worker::{
    durable_object, wasm_bindgen, DurableObject, Env, Method, ObjectNamespace, Request, RequestInit,
    Response, Result, State,
};

use crate::service::{
    store::{CallCounter, StoreError, MIN_EXPIRY_SECS},
    usage::{ChargeReply, ChargeRequest, Usage},
};

const USAGE_KEY: &str = "usage";
/// How long a revoked token's counters outlive the delete: longer than KV
/// takes to spread it, so no location can spend a fresh allowance.
const REVOKED_KEEP_MS: i64 = 2 * 60 * 1000;

/// The counters of one token.
#[durable_object]
pub struct TokenCounter {
    state: State,
    usage: RefCell<Option<Usage>>,
}

impl DurableObject for TokenCounter {
    fn new(state: State, _env: Env) -> Self {
        TokenCounter { state, usage: RefCell::new(None) }
    }

    async fn fetch(&self, mut request: Request) -> Result<Response> {
        match request.path().as_str() {
            "/charge" => {
                let charge: ChargeRequest = request.json().await?;
                let fresh = self.load().await?;
                let reply = self.update(|usage| usage.apply(&charge));
                self.save().await?;
                if fresh {
                    if let Some(until) = charge.valid_until {
                        let drop_at_ms = (until + MIN_EXPIRY_SECS) as i64 * 1000;
                        let offset_ms = drop_at_ms - worker::Date::now().as_millis() as i64;
                        self.state.storage().set_alarm(offset_ms.max(0)).await?;
                    }
                }
                Response::from_json(&reply)
            }
            "/revoke" => {
                self.load().await?;
                self.update(|usage| usage.revoked = true);
                self.save().await?;
                self.state.storage().set_alarm(REVOKED_KEEP_MS).await?;
                Response::empty()
            }
            _ => Response::error("not found", 404),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        self.state.storage().delete_all().await?;
        self.usage.replace(None);
        Response::empty()
    }
}

impl TokenCounter {
    /// Loads the counters into memory; true when there were none stored.
    async fn load(&self) -> Result<bool> {
        if self.usage.borrow().is_some() {
            return Ok(false);
        }
        let stored: Option<Usage> = self.state.storage().get(USAGE_KEY).await?;
        let fresh = stored.is_none();
        // Another event may have loaded meanwhile; keep what it has.
        self.usage.borrow_mut().get_or_insert(stored.unwrap_or_default());
        Ok(fresh)
    }

    fn update<T>(&self, change: impl FnOnce(&mut Usage) -> T) -> T {
        change(self.usage.borrow_mut().get_or_insert_with(Usage::default))
    }

    async fn save(&self) -> Result<()> {
        let usage = self.usage.borrow().clone().unwrap_or_default();
        self.state.storage().put(USAGE_KEY, usage).await
    }
}

/// The `TOKEN_COUNTERS` namespace, looked up by each counter call: requests
/// with tokens without limits never pay for it.
pub struct DurableCounters(Env);

impl DurableCounters {
    /// Wraps the environment; nothing is looked up yet.
    pub fn new(env: &Env) -> Self {
        DurableCounters(env.clone())
    }

    async fn call(&self, id: &str, path: &str, body: String) -> std::result::Result<Response, StoreError> {
        let namespace: ObjectNamespace = self
            .0
            .durable_object("TOKEN_COUNTERS")
            .map_err(|_| StoreError("the TOKEN_COUNTERS Durable Object binding is missing".to_string()))?;
        let stub = namespace.id_from_name(id).and_then(|object| object.get_stub()).map_err(failed)?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_body(Some(body.into()));
        let request = Request::new_with_init(&format!("https://counter{path}"), &init).map_err(failed)?;
        let response = stub.fetch_with_request(request).await.map_err(failed)?;
        match response.status_code() {
            200..=299 => Ok(response),
            status => Err(StoreError(format!("counter answered {status}"))),
        }
    }
}

fn failed(error: worker::Error) -> StoreError {
    StoreError(format!("Durable Object: {error}"))
}

impl CallCounter for DurableCounters {
    async fn charge(
        &self,
        id: &str,
        request: &ChargeRequest,
    ) -> std::result::Result<ChargeReply, StoreError> {
        let body = serde_json::to_string(request).map_err(|e| StoreError(e.to_string()))?;
        let mut response = self.call(id, "/charge", body).await?;
        response.json().await.map_err(failed)
    }

    async fn revoke(&self, id: &str) -> std::result::Result<(), StoreError> {
        self.call(id, "/revoke", String::new()).await.map(drop)
    }
}
