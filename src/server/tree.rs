//! One Durable Object per delegation tree ([`TokenTree`], named after the
//! tree's admin-made root) holds the tree's shared budgets and carries out
//! the clean-up of its deleted subtrees; [`DurableBudgets`] is the
//! [`Budgets`] the service calls.
//!
//! Counters cannot live in KV: KV allows one write per key per second and has
//! no atomic update. A Durable Object handles one event at a time, and
//! storage reads hold back other events, so loading the counters, checking
//! every limit and counting ([`TreeCounters::apply`]) happen as one step:
//! exactly `max` calls succeed under any concurrency, whatever the depth.
//!
//! Storage: `u:<token id>` the token's use, `revoked` the revoked tokens,
//! `q:<sequence>` the clean-up's pending tokens, `expires` when the tree's
//! root expires. One alarm drives both the clean-up (a bounded step per
//! invocation, see [`cleanup`]) and dropping the tree once it has expired.

use std::{cell::RefCell, collections::BTreeMap};

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use worker::{
    durable_object, js_sys, wasm_bindgen, DurableObject, Env, ListOptions, Method, ObjectNamespace, Request,
    RequestInit, Response, Result, State, Storage,
};

use super::kv::WorkersKv;
use crate::service::{
    budgets::{Charge, ChargeReply, ChargeRequest, TreeCounters, Used},
    cleanup::{self, CleanupQueue, Pending, Progress},
    log,
    store::{Budgets, StoreError, MIN_EXPIRY_SECS},
};

/// How long a deleted root's tree is kept after its clean-up: longer than KV
/// takes to spread the delete, so that no location spends a fresh budget.
const REVOKED_KEEP_MS: i64 = 10 * 60 * 1000;
/// How long to wait before running a clean-up step that failed again.
const RETRY_MS: i64 = 5_000;

/// The body of `/revoke`.
#[derive(Serialize, Deserialize)]
struct Revoke {
    id: String,
    /// How many ancestors it has.
    depth: usize,
    /// True when `id` is the tree's root: the whole tree goes.
    root: bool,
}

/// The budgets of one delegation tree.
#[durable_object]
pub struct TokenTree {
    state: State,
    env: Env,
    counters: RefCell<TreeCounters>,
    loaded: RefCell<Loaded>,
}

/// What of the storage is in memory.
#[derive(Default)]
struct Loaded {
    revoked: bool,
    tokens: std::collections::BTreeSet<String>,
}

impl DurableObject for TokenTree {
    fn new(state: State, env: Env) -> Self {
        TokenTree { state, env, counters: RefCell::default(), loaded: RefCell::default() }
    }

    async fn fetch(&self, mut request: Request) -> Result<Response> {
        match request.path().as_str() {
            "/charge" => {
                let charge: ChargeRequest = read(&mut request).await?;
                answer(&self.charge(&charge).await?)
            }
            "/refund" => {
                let charges: Vec<Charge> = read(&mut request).await?;
                self.load(charges.iter().map(|charge| charge.token.as_str())).await?;
                self.counters.borrow_mut().refund(&charges);
                self.save(charges.iter().map(|charge| charge.token.as_str())).await?;
                Response::empty()
            }
            "/usage" => {
                let tokens: Vec<String> = read(&mut request).await?;
                self.load(tokens.iter().map(String::as_str)).await?;
                answer(&self.counters.borrow().usage(&tokens))
            }
            "/revoke" => {
                let revoke: Revoke = read(&mut request).await?;
                self.revoke(&revoke).await?;
                Response::empty()
            }
            _ => Response::error("not found", 404),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        let storage = self.state.storage();
        let kv = WorkersKv::new(&self.env);
        let step = cleanup::step(&kv, &Queue(&storage), cleanup::OPS_PER_STEP).await;
        web_sys_log(&log::cleanup_line(step.as_ref().ok(), step.as_ref().err(), kv.operations()));
        match step {
            Ok(report) if report.progress == Progress::More => storage.set_alarm(0).await?,
            Ok(_) => self.after_cleanup(&storage).await?,
            Err(_) => storage.set_alarm(RETRY_MS).await?,
        }
        Response::empty()
    }
}

impl TokenTree {
    async fn charge(&self, request: &ChargeRequest) -> Result<ChargeReply> {
        let touched: Vec<&str> = request.charges.iter().map(|charge| charge.token.as_str()).collect();
        self.load(touched.iter().copied().chain(request.caller())).await?;
        let reply = self.counters.borrow_mut().apply(request);
        if reply.refused.is_none() && !touched.is_empty() {
            self.save(touched.into_iter()).await?;
        }
        if let Some(until) = request.tree_valid_until {
            self.remember_expiry(until).await?;
        }
        Ok(reply)
    }

    async fn revoke(&self, revoke: &Revoke) -> Result<()> {
        let storage = self.state.storage();
        self.load(std::iter::empty()).await?;
        let now_secs = (js_sys::Date::now() / 1000.0) as u64;
        self.counters.borrow_mut().revoke(&revoke.id, now_secs);
        let revoked = self.counters.borrow().revoked.clone();
        put(&storage, "revoked", &revoked).await?;
        if revoke.root {
            put(&storage, "root-revoked", &true).await?;
        }
        Queue(&storage).push(&[(revoke.id.clone(), revoke.depth)]).await.map_err(store_error)?;
        storage.set_alarm(0).await
    }

    /// Loads the revocations, and the use of `tokens`, where not yet in memory.
    async fn load<'t>(&self, tokens: impl Iterator<Item = &'t str>) -> Result<()> {
        let storage = self.state.storage();
        if !self.loaded.borrow().revoked {
            let revoked: Option<BTreeMap<String, u64>> = get(&storage, "revoked").await?;
            self.counters.borrow_mut().revoked = revoked.unwrap_or_default();
            self.loaded.borrow_mut().revoked = true;
        }
        let missing: Vec<&str> =
            tokens.filter(|token| !self.loaded.borrow().tokens.contains(*token)).collect();
        for token in missing {
            let used: Option<Used> = get(&storage, &format!("u:{token}")).await?;
            // Another event may have loaded it meanwhile; keep what it has.
            if self.loaded.borrow_mut().tokens.insert(token.to_string()) {
                self.counters.borrow_mut().used.insert(token.to_string(), used.unwrap_or_default());
            }
        }
        Ok(())
    }

    async fn save<'t>(&self, tokens: impl Iterator<Item = &'t str>) -> Result<()> {
        let entries: BTreeMap<String, Used> = {
            let counters = self.counters.borrow();
            tokens
                .filter_map(|token| counters.used.get(token).map(|used| (format!("u:{token}"), used.clone())))
                .collect()
        };
        self.state.storage().put_multiple(entries).await
    }

    async fn remember_expiry(&self, until: u64) -> Result<()> {
        let storage = self.state.storage();
        if get::<u64>(&storage, "expires").await?.is_none() {
            put(&storage, "expires", &until).await?;
            if storage.get_alarm().await?.is_none() {
                storage.set_alarm(drop_time_ms(until)).await?;
            }
        }
        Ok(())
    }

    /// With nothing left to clean: drops the tree once its root was deleted
    /// (after KV has spread that) or has expired; otherwise waits for that.
    async fn after_cleanup(&self, storage: &Storage) -> Result<()> {
        let now_ms = js_sys::Date::now() as i64;
        let drop_at =
            match (get::<bool>(storage, "root-revoked").await?, get::<u64>(storage, "expires").await?) {
                (Some(true), _) => get::<i64>(storage, "drop-at").await?.unwrap_or(now_ms + REVOKED_KEEP_MS),
                (_, Some(until)) => drop_time_ms(until),
                (_, None) => return Ok(()),
            };
        if now_ms >= drop_at {
            storage.delete_all().await?;
            *self.counters.borrow_mut() = TreeCounters::default();
            *self.loaded.borrow_mut() = Loaded::default();
            return Ok(());
        }
        put(storage, "drop-at", &drop_at).await?;
        storage.set_alarm(drop_at - now_ms).await
    }
}

/// When an expired tree may be dropped, in milliseconds since the epoch:
/// after its root's expiry and KV's shortest expiration.
fn drop_time_ms(until: u64) -> i64 {
    ((until + MIN_EXPIRY_SECS) as i64) * 1000
}

// Messages and values are JSON text, read and written by serde_json: the
// JSON code is in the Worker anyway, while `worker`'s typed calls would each
// bring a JavaScript (de)serializer, one that cannot carry a `u128` from a
// JavaScript number.

/// A message's body.
async fn read<T: DeserializeOwned>(request: &mut Request) -> Result<T> {
    serde_json::from_str(&request.text().await?).map_err(unreadable)
}

/// An answer with `value` as its body.
fn answer<T: Serialize>(value: &T) -> Result<Response> {
    Response::ok(serde_json::to_string(value).map_err(unreadable)?)
}

/// The value under `key`.
async fn get<T: DeserializeOwned>(storage: &Storage, key: &str) -> Result<Option<T>> {
    match storage.get::<String>(key).await? {
        Some(text) => serde_json::from_str(&text).map(Some).map_err(unreadable),
        None => Ok(None),
    }
}

/// Stores `value` under `key`.
async fn put<T: Serialize>(storage: &Storage, key: &str, value: &T) -> Result<()> {
    storage.put(key, serde_json::to_string(value).map_err(unreadable)?).await
}

/// Stores `entries` in one write. (`Storage::put_multiple` would hand a Rust
/// map over as a JavaScript `Map`, whose entries the storage API ignores.)
async fn put_all<T: Serialize>(storage: &Storage, entries: &[(String, T)]) -> Result<()> {
    let object = js_sys::Object::new();
    for (key, value) in entries {
        let text = serde_json::to_string(value).map_err(unreadable)?;
        js_sys::Reflect::set(&object, &key.as_str().into(), &text.into())?;
    }
    storage.put_multiple_raw(object).await
}

fn unreadable(error: serde_json::Error) -> worker::Error {
    worker::Error::RustError(format!("tree storage: {error}"))
}

fn web_sys_log(line: &str) {
    worker::web_sys::console::log_1(&line.into());
}

fn store_error(error: StoreError) -> worker::Error {
    worker::Error::RustError(error.to_string())
}

/// The clean-up's pending tokens, in the object's storage: `q:` and a
/// zero-padded sequence number, so that storage order is queue order.
struct Queue<'s>(&'s Storage);

impl Queue<'_> {
    async fn first(&self) -> std::result::Result<Option<(String, Pending)>, StoreError> {
        let page =
            self.0.list_with_options(ListOptions::new().prefix("q:").limit(1)).await.map_err(failed)?;
        let Some(Ok(entry)) = page.entries().into_iter().next() else { return Ok(None) };
        let entry = js_sys::Array::from(&entry);
        let key = entry.get(0).as_string().unwrap_or_default();
        let text = entry.get(1).as_string().unwrap_or_default();
        let pending = serde_json::from_str(&text).map_err(|e| StoreError(e.to_string()))?;
        Ok(Some((key, pending)))
    }
}

impl CleanupQueue for Queue<'_> {
    async fn front(&self) -> std::result::Result<Option<Pending>, StoreError> {
        Ok(self.first().await?.map(|(_, pending)| pending))
    }

    async fn push(&self, parents: &[(String, usize)]) -> std::result::Result<(), StoreError> {
        let next: u64 = get(self.0, "q-next").await.map_err(failed)?.unwrap_or(0);
        let entries: Vec<(String, Pending)> = parents
            .iter()
            .zip(next..)
            .map(|((parent, depth), seq)| {
                (format!("q:{seq:020}"), Pending { parent: parent.clone(), depth: *depth, cursor: None })
            })
            .collect();
        put_all(self.0, &entries).await.map_err(failed)?;
        put(self.0, "q-next", &(next + parents.len() as u64)).await.map_err(failed)
    }

    async fn advance(&self, cursor: String) -> std::result::Result<(), StoreError> {
        let Some((key, pending)) = self.first().await? else { return Ok(()) };
        put(self.0, &key, &Pending { cursor: Some(cursor), ..pending }).await.map_err(failed)
    }

    async fn pop(&self) -> std::result::Result<(), StoreError> {
        let Some((key, _)) = self.first().await? else { return Ok(()) };
        self.0.delete(&key).await.map(drop).map_err(failed)
    }
}

/// The `TOKEN_TREES` namespace, looked up by each call: requests of tokens
/// without limits never pay for it.
pub struct DurableBudgets(Env);

impl DurableBudgets {
    /// Wraps the environment; nothing is looked up yet.
    pub fn new(env: &Env) -> Self {
        DurableBudgets(env.clone())
    }

    async fn call(&self, tree: &str, path: &str, body: String) -> std::result::Result<Response, StoreError> {
        let namespace: ObjectNamespace = self
            .0
            .durable_object("TOKEN_TREES")
            .map_err(|_| StoreError("the TOKEN_TREES Durable Object binding is missing".to_string()))?;
        let stub = namespace.id_from_name(tree).and_then(|object| object.get_stub()).map_err(failed)?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_body(Some(body.into()));
        let request = Request::new_with_init(&format!("https://tree{path}"), &init).map_err(failed)?;
        let response = stub.fetch_with_request(request).await.map_err(failed)?;
        match response.status_code() {
            200..=299 => Ok(response),
            status => Err(StoreError(format!("the tree's budgets answered {status}"))),
        }
    }
}

fn failed(error: worker::Error) -> StoreError {
    StoreError(format!("Durable Object: {error}"))
}

/// A Durable Object's answer.
fn parse<T: DeserializeOwned>(text: &str) -> std::result::Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError(format!("Durable Object: {e}")))
}

impl Budgets for DurableBudgets {
    async fn charge(
        &self,
        tree: &str,
        request: &ChargeRequest,
    ) -> std::result::Result<ChargeReply, StoreError> {
        let body = serde_json::to_string(request).map_err(|e| StoreError(e.to_string()))?;
        parse(&self.call(tree, "/charge", body).await?.text().await.map_err(failed)?)
    }

    async fn refund(&self, tree: &str, charges: &[Charge]) -> std::result::Result<(), StoreError> {
        let body = serde_json::to_string(charges).map_err(|e| StoreError(e.to_string()))?;
        self.call(tree, "/refund", body).await.map(drop)
    }

    async fn usage(
        &self,
        tree: &str,
        tokens: &[String],
    ) -> std::result::Result<BTreeMap<String, Used>, StoreError> {
        let body = serde_json::to_string(tokens).map_err(|e| StoreError(e.to_string()))?;
        parse(&self.call(tree, "/usage", body).await?.text().await.map_err(failed)?)
    }

    async fn revoke(&self, tree: &str, id: &str, depth: usize) -> std::result::Result<(), StoreError> {
        let body = serde_json::to_string(&Revoke { id: id.to_string(), depth, root: id == tree })
            .map_err(|e| StoreError(e.to_string()))?;
        self.call(tree, "/revoke", body).await.map(drop)
    }
}
