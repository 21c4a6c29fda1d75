//! One Durable Object per delegation tree ([`TokenTree`], named after the
//! tree's admin-made root) holds the tree's shared budgets, its revocations
//! and its tokens' rotations, and carries out the clean-up of its deleted
//! subtrees; [`DurableBudgets`] is the [`Budgets`] the service calls.
//!
//! Counters cannot live in KV: KV allows one write per key per second and has
//! no atomic update. Nor may they live in the object's memory, which an
//! eviction, a restart or a deploy wipes. Everything is in the object's
//! SQLite storage; its memory keeps only facts that stay true once stored
//! (the tables exist, an alarm will sweep, the root's expiry is known), to
//! spare reading them again, and forgets them with the tree. Each event
//! reads the rows it needs, lets the service's state machine
//! ([`TreeCounters`]) decide, and writes the rows it changed in one
//! transaction, all synchronously, so no other event can interleave and the
//! answer leaves only once the write is durable (the runtime's output gate).
//! So exactly `max` calls succeed under any concurrency, whatever the depth,
//! and a fresh object reads back what the last one wrote.
//!
//! Tables: `used` (each token's use per counter; amounts as decimal text,
//! since they outgrow SQLite's integers), `slots` (the periodic limits'
//! windows, see [`slots`]), `revoked`, `rotations`, `cleanup`
//! (the clean-up's pending tokens, in order), `facts` (when the tree's
//! root expires, whether it was deleted, when the tree is dropped) and
//! `events` (the audit trail, see [`super::events`]). One alarm drives the
//! clean-up (a bounded step per invocation, see [`cleanup`]), the sweep of
//! old events, and dropping the tree once it has expired or was deleted and
//! its last event is past keeping.

use std::{cell::Cell, collections::BTreeMap, rc::Rc};

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{
    js_sys::{self, Promise},
    wasm_bindgen::{self, prelude::wasm_bindgen, JsValue},
    web_sys, worker_sys, Env, Result, ScheduledTime, State, Storage,
};

use super::{
    events,
    js::{self, error_text, new_response, tree_call},
    kv::WorkersKv,
    slots,
    sql::{parse, unreadable, unreadable_row, Sql},
    task::{self, settled},
};
use crate::service::{
    log,
    store::{Budgets, StoreError, MIN_EXPIRY_SECS},
    tree::{
        budgets::{ChargeReply, ChargeRequest, Rotation, RotationReply, RotationStep, TreeCounters, Usage},
        cleanup::{self, CleanupQueue, Pending, Progress},
        events::{EventsQuery, NumberedEvent, StoredEvent, EVENTS_KEPT_MS},
        window,
    },
};

/// How long a deleted root's tree is kept after its clean-up: longer than KV
/// takes to spread the delete, so that no location spends a fresh budget.
const REVOKED_KEEP_MS: u64 = 10 * 60 * 1000;
/// How long to wait before running a clean-up step that failed again.
const RETRY_MS: u64 = 5_000;
/// The most rows one statement writes: the runtime binds at most 100
/// parameters per statement.
const ROWS_PER_STATEMENT: usize = 30;

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS used (token TEXT NOT NULL, counter TEXT NOT NULL, amount TEXT NOT NULL,
        PRIMARY KEY (token, counter)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS revoked (token TEXT PRIMARY KEY, at_ms INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS rotations (token TEXT PRIMARY KEY, state TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS cleanup (seq INTEGER PRIMARY KEY AUTOINCREMENT, parent TEXT NOT NULL,
        depth INTEGER NOT NULL, cursor TEXT);
    CREATE TABLE IF NOT EXISTS facts (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;";

/// The body of `/revoke`.
#[derive(Serialize, Deserialize)]
struct Revoke {
    id: String,
    /// How many ancestors it has.
    depth: usize,
    /// True when `id` is the tree's root: the whole tree goes.
    root: bool,
    /// When (milliseconds since the epoch).
    now_ms: u64,
}

/// The budgets of one delegation tree: the runtime's Durable Object class.
///
/// Written out rather than made by `worker`'s `#[durable_object]`, for
/// speed: its `fetch` and `alarm` run as [`task`]s, as the Worker's own fetch
/// handler does, where the macro ran each on wasm-bindgen-futures (a promise
/// around the future, a microtask per poll) and read the message and wrote
/// the answer through `worker`'s request and response wrappers, a dozen
/// crossings of the boundary (the URL parsed in the wasm, a `Headers` and a
/// `ResponseInit` made for each answer).
#[wasm_bindgen]
pub struct TokenTree(Rc<Tree>);

struct Tree {
    storage: Storage,
    env: Env,
    /// True once this instance made sure the tables exist.
    schema_ready: Cell<bool>,
    /// True once this instance made sure an alarm will sweep the events.
    sweep_scheduled: Cell<bool>,
    /// True once this instance knows that the root's expiry is stored: it
    /// never changes once written, so later charges need not read it.
    expiry_stored: Cell<bool>,
}

#[wasm_bindgen]
impl TokenTree {
    #[wasm_bindgen(constructor)]
    pub fn new(state: worker_sys::DurableObjectState, env: Env) -> TokenTree {
        let storage = State::from(state).storage();
        TokenTree(Rc::new(Tree {
            storage,
            env,
            schema_ready: Cell::new(false),
            sweep_scheduled: Cell::new(false),
            expiry_stored: Cell::new(false),
        }))
    }

    /// A message of [`DurableBudgets`]: its `Response`, or a promise of it.
    pub fn fetch(&self, request: web_sys::Request) -> JsValue {
        let tree = self.0.clone();
        task::run(async move { settle(tree.fetch(request).await) })
    }

    /// A step of the clean-up, and what follows it: a promise.
    pub fn alarm(&self) -> JsValue {
        let tree = self.0.clone();
        task::run(async move { settle(tree.alarm().await.map(|()| JsValue::UNDEFINED)) })
    }
}

/// A task's outcome as the runtime takes it: a failure rejects the event's
/// promise, as a throw would (an alarm is then retried).
fn settle(outcome: Result<JsValue>) -> JsValue {
    outcome.unwrap_or_else(|error| Promise::reject(&error.into()).into())
}

/// An answer to [`DurableBudgets`] (it reads only the status and the body).
fn answer_text(status: u16, body: &str) -> JsValue {
    new_response(status, Some(body), None, None).into()
}

impl Tree {
    async fn fetch(&self, request: web_sys::Request) -> Result<JsValue> {
        let message = settled(js::tree_message(&request)).await?.as_string().unwrap_or_default();
        let (path, body) = message.split_once('\n').unwrap_or_default();
        let storage = &self.storage;
        let sql = self.sql()?;
        match path {
            "/charge" => {
                let charge: ChargeRequest = parse(body)?;
                let (mut reply, mut writes) = sql.charge(&charge)?;
                let event = charge.event.as_ref().and_then(|event| reply.settle(event));
                if let Some(event) = &event {
                    writes.extend(events::writes(event)?);
                }
                // The counters and the call's event land together, in one transaction.
                if !writes.is_empty() {
                    sql.write(&writes)?;
                }
                if event.is_some() {
                    reply.recorded = true;
                    self.schedule_sweep().await?;
                }
                if let Some(until) = charge.tree_valid_until {
                    self.remember_expiry(&sql, until).await?;
                }
                answer(&reply)
            }
            "/usage" => answer(&sql.usage(&parse::<Vec<String>>(body)?)?),
            "/revoke" => {
                sql.revoke(&parse(body)?)?;
                storage.set_alarm(0).await?;
                Ok(answer_text(200, ""))
            }
            "/rotate" => answer(&sql.rotate(&parse(body)?)?),
            "/record" => {
                events::record(&sql, &parse::<StoredEvent>(body)?)?;
                self.schedule_sweep().await?;
                Ok(answer_text(200, ""))
            }
            "/events" => answer(&events::page(&sql, &parse::<EventsQuery>(body)?)?),
            _ => Ok(answer_text(404, "not found")),
        }
    }

    async fn alarm(&self) -> Result<()> {
        let storage = &self.storage;
        let sql = self.sql()?;
        let kv = WorkersKv::new(&self.env);
        let step = cleanup::step(&kv, &sql, cleanup::OPS_PER_STEP, now_ms()).await;
        web_sys_log(&log::cleanup_line(step.as_ref().ok(), step.as_ref().err(), kv.operations()));
        match step {
            Ok(report) if report.progress == Progress::More => storage.set_alarm(0).await,
            Ok(_) => self.after_cleanup(&sql).await,
            Err(_) => storage.set_alarm(RETRY_MS as i64).await,
        }
    }
    /// The tree's tables, made on this instance's first event.
    fn sql(&self) -> Result<Sql<'_>> {
        let sql = Sql(&self.storage);
        if !self.schema_ready.get() {
            sql.write(&[(SCHEMA, json!([])), (events::SCHEMA, json!([])), (slots::SCHEMA, json!([]))])?;
            self.schema_ready.set(true);
        }
        Ok(sql)
    }

    /// Makes sure an alarm will sweep the events: every alarm sets the next
    /// while events are left, so one check per instance is enough.
    async fn schedule_sweep(&self) -> Result<()> {
        let storage = &self.storage;
        if !self.sweep_scheduled.get() {
            if storage.get_alarm().await?.is_none() {
                storage.set_alarm(at(now_ms() + EVENTS_KEPT_MS)).await?;
            }
            self.sweep_scheduled.set(true);
        }
        Ok(())
    }

    /// Remembers when the tree's root expires, the first time a charge says,
    /// and sets the alarm that drops the tree after that.
    async fn remember_expiry(&self, sql: &Sql<'_>, until: u64) -> Result<()> {
        if self.expiry_stored.get() {
            return Ok(());
        }
        if sql.fact("expires")?.is_none() {
            sql.set_fact("expires", until)?;
            if self.storage.get_alarm().await?.is_none() {
                self.storage.set_alarm(at(drop_time_ms(until))).await?;
            }
        }
        self.expiry_stored.set(true);
        Ok(())
    }

    /// With nothing left to clean: sweeps old events, and drops the tree
    /// once its root was deleted (after KV has spread that) or has expired
    /// and no event is left to keep; otherwise waits for the earlier of the
    /// two.
    async fn after_cleanup(&self, sql: &Sql<'_>) -> Result<()> {
        let storage = &self.storage;
        let now_ms = now_ms();
        let sweep_at = events::sweep(sql, now_ms)?;
        let drop_at = match (sql.fact("root_revoked")?, sql.fact("drop_at_ms")?, sql.fact("expires")?) {
            (Some(_), Some(at), _) => at,
            (Some(_), None, _) => now_ms + REVOKED_KEEP_MS,
            (None, _, Some(until)) => drop_time_ms(until),
            (None, _, None) => {
                return match sweep_at {
                    Some(sweep_at) => storage.set_alarm(at(sweep_at)).await,
                    None => Ok(()),
                }
            }
        };
        if now_ms >= drop_at && sweep_at.is_none() {
            storage.delete_all().await?;
            self.schema_ready.set(false);
            self.sweep_scheduled.set(false);
            self.expiry_stored.set(false);
            return Ok(());
        }
        sql.set_fact("drop_at_ms", drop_at)?;
        let next = match sweep_at {
            Some(sweep_at) if now_ms >= drop_at || sweep_at < drop_at => sweep_at,
            _ => drop_at,
        };
        storage.set_alarm(at(next)).await
    }
}

/// When an expired tree may be dropped, in milliseconds since the epoch:
/// after its root's expiry and KV's shortest expiration.
fn drop_time_ms(until: u64) -> u64 {
    (until + MIN_EXPIRY_SECS) * 1000
}

/// An alarm time: `ms` since the epoch (a plain number is an offset from now).
fn at(ms: u64) -> ScheduledTime {
    ScheduledTime::new(js_sys::Date::new(&(ms as f64).into()))
}

fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

// What the tree reads and writes, over the generic SQLite access of [`Sql`].
impl Sql<'_> {
    /// What an event decides on: the use of `tokens`, and which tokens of
    /// `path` were revoked.
    fn counters(&self, tokens: &[&str], path: &[String]) -> Result<TreeCounters> {
        let mut counters = TreeCounters::default();
        if !tokens.is_empty() {
            let query = in_list("SELECT token, counter, amount FROM used WHERE token IN", tokens.len());
            for (token, counter, amount) in self.rows::<(String, String, String)>(&query, json!(tokens))? {
                let amount = amount.parse().map_err(|_| unreadable_row("used"))?;
                counters.used.entry(token).or_default().insert(counter, amount);
            }
            let rows = self.rows(&in_list(slots::SELECT, tokens.len()), json!(tokens))?;
            slots::read(rows, &mut counters.windows).ok_or_else(|| unreadable_row("slots"))?;
        }
        if !path.is_empty() {
            let query = in_list("SELECT token, at_ms FROM revoked WHERE token IN", path.len());
            counters.revoked = self.rows::<(String, u64)>(&query, json!(path))?.into_iter().collect();
        }
        Ok(counters)
    }

    /// The answer to `request`, and the writes that carry it out (none for a refusal).
    fn charge(&self, request: &ChargeRequest) -> Result<(ChargeReply, Vec<(String, Value)>)> {
        let touched: Vec<&str> = request.charges.iter().map(|charge| charge.token.as_str()).collect();
        let read: Vec<&str> = touched.iter().copied().chain(request.caller()).collect();
        let mut counters = self.counters(&read, &request.path)?;
        let now_ms = now_ms();
        let reply = counters.apply(request, now_ms);
        if reply.refused.is_none() && !touched.is_empty() {
            let rows: Vec<(&str, &str, u128)> = request
                .charges
                .iter()
                .filter(|charge| window::window_of(&charge.counter).is_none())
                .map(|charge| {
                    (
                        charge.token.as_str(),
                        charge.counter.as_str(),
                        counters.used_of(&charge.token, &charge.counter),
                    )
                })
                .collect();
            let mut statements = upserts(&rows);
            statements.extend(slots::writes(&request.charges, &counters.windows, now_ms));
            return Ok((reply, statements));
        }
        Ok((reply, Vec::new()))
    }

    fn usage(&self, tokens: &[String]) -> Result<BTreeMap<String, Usage>> {
        let refs: Vec<&str> = tokens.iter().map(String::as_str).collect();
        Ok(self.counters(&refs, &[])?.usage(tokens, now_ms()))
    }

    fn revoke(&self, revoke: &Revoke) -> Result<()> {
        let mut statements = vec![
            ("INSERT OR IGNORE INTO revoked (token, at_ms) VALUES (?, ?)", json!([revoke.id, revoke.now_ms])),
            ("INSERT INTO cleanup (parent, depth) VALUES (?, ?)", json!([revoke.id, revoke.depth])),
        ];
        if revoke.root {
            statements
                .push(("INSERT OR REPLACE INTO facts (name, value) VALUES ('root_revoked', 1)", json!([])));
        }
        self.write(&statements)
    }

    fn rotate(&self, step: &RotationStep) -> Result<RotationReply> {
        let token = step.path.last().map(String::as_str).unwrap_or_default();
        let mut counters = self.counters(&[], &step.path)?;
        let stored: Vec<(String,)> =
            self.rows("SELECT state FROM rotations WHERE token = ?", json!([token]))?;
        if let Some((state,)) = stored.first() {
            counters.rotations.insert(token.to_string(), parse::<Rotation>(state)?);
        }
        let reply = counters.rotate(step, now_ms());
        if reply == RotationReply::Granted {
            let state = serde_json::to_string(&counters.rotations[token]).map_err(unreadable)?;
            self.write(&[(
                "INSERT OR REPLACE INTO rotations (token, state) VALUES (?, ?)",
                json!([token, state]),
            )])?;
        }
        Ok(reply)
    }

    fn fact(&self, name: &str) -> Result<Option<u64>> {
        let rows: Vec<(u64,)> = self.rows("SELECT value FROM facts WHERE name = ?", json!([name]))?;
        Ok(rows.first().map(|(value,)| *value))
    }

    fn set_fact(&self, name: &str, value: u64) -> Result<()> {
        self.write(&[("INSERT OR REPLACE INTO facts (name, value) VALUES (?, ?)", json!([name, value]))])
    }

    fn first_pending(&self) -> Result<Option<Pending>> {
        let rows: Vec<(String, usize, Option<String>)> =
            self.rows("SELECT parent, depth, cursor FROM cleanup ORDER BY seq LIMIT 1", json!([]))?;
        Ok(rows.into_iter().next().map(|(parent, depth, cursor)| Pending { parent, depth, cursor }))
    }
}

/// `query` followed by a list of `count` parameters: `IN (?, ?)`.
fn in_list(query: &str, count: usize) -> String {
    format!("{query} ({})", vec!["?"; count].join(", "))
}

/// `query` followed by `rows` rows of `columns` parameters each.
fn values(query: &str, rows: usize, columns: usize) -> String {
    let row = format!("({})", vec!["?"; columns].join(", "));
    format!("{query} VALUES {}", vec![row; rows].join(", "))
}

/// The statements that store each `(token, counter, amount)` of `rows`.
fn upserts(rows: &[(&str, &str, u128)]) -> Vec<(String, Value)> {
    rows.chunks(ROWS_PER_STATEMENT)
        .map(|chunk| {
            let params = chunk.iter().flat_map(|(token, counter, amount)| {
                [json!(token), json!(counter), json!(amount.to_string())]
            });
            let insert = values("INSERT INTO used (token, counter, amount)", chunk.len(), 3);
            let query =
                format!("{insert} ON CONFLICT (token, counter) DO UPDATE SET amount = excluded.amount");
            (query, Value::Array(params.collect()))
        })
        .collect()
}

impl CleanupQueue for Sql<'_> {
    async fn front(&self) -> std::result::Result<Option<Pending>, StoreError> {
        self.first_pending().map_err(failed)
    }

    async fn push(&self, parents: &[(String, usize)]) -> std::result::Result<(), StoreError> {
        let statements: Vec<(String, Value)> = parents
            .chunks(ROWS_PER_STATEMENT)
            .map(|chunk| {
                let params = chunk.iter().flat_map(|(parent, depth)| [json!(parent), json!(depth)]);
                (
                    values("INSERT INTO cleanup (parent, depth)", chunk.len(), 2),
                    Value::Array(params.collect()),
                )
            })
            .collect();
        self.write(&statements).map_err(failed)
    }

    async fn advance(&self, cursor: String) -> std::result::Result<(), StoreError> {
        self.write(&[(
            "UPDATE cleanup SET cursor = ? WHERE seq = (SELECT min(seq) FROM cleanup)",
            json!([cursor]),
        )])
        .map_err(failed)
    }

    async fn pop(&self) -> std::result::Result<(), StoreError> {
        self.write(&[("DELETE FROM cleanup WHERE seq = (SELECT min(seq) FROM cleanup)", json!([]))])
            .map_err(failed)
    }
}

/// An answer with `value` as its body.
pub(super) fn answer<T: Serialize>(value: &T) -> Result<JsValue> {
    Ok(answer_text(200, &serde_json::to_string(value).map_err(unreadable)?))
}

fn web_sys_log(line: &str) {
    worker::web_sys::console::log_1(&line.into());
}

/// The `TOKEN_TREES` namespace, looked up by each call: requests of tokens
/// without limits never pay for it.
pub struct DurableBudgets(Env);

impl DurableBudgets {
    /// Wraps the environment; nothing is looked up yet.
    pub fn new(env: &Env) -> Self {
        DurableBudgets(env.clone())
    }

    /// Posts `message` to `path` of tree `tree`'s object; its answer's text.
    async fn call<T: Serialize>(
        &self,
        tree: &str,
        path: &str,
        message: &T,
    ) -> std::result::Result<String, StoreError> {
        let body = serde_json::to_string(message).map_err(|e| StoreError(e.to_string()))?;
        let env: &JsValue = self.0.as_ref();
        let promise = tree_call(env, "TOKEN_TREES", tree, &format!("https://tree{path}"), &body)
            .map_err(js_failed)?
            .ok_or_else(|| StoreError("the TOKEN_TREES Durable Object binding is missing".to_string()))?;
        let answer = settled(promise).await.map_err(js_failed)?;
        match answer.as_string() {
            Some(text) => Ok(text),
            None => Err(StoreError(format!(
                "the tree's budgets answered {}",
                answer.as_f64().unwrap_or_default()
            ))),
        }
    }
}

fn failed(error: worker::Error) -> StoreError {
    StoreError(format!("Durable Object: {error}"))
}

fn js_failed(error: JsValue) -> StoreError {
    StoreError(format!("Durable Object: {}", error_text(&error)))
}

/// A Durable Object's answer.
fn reply<T: DeserializeOwned>(text: &str) -> std::result::Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError(format!("Durable Object: {e}")))
}

impl Budgets for DurableBudgets {
    async fn charge(
        &self,
        tree: &str,
        request: &ChargeRequest,
    ) -> std::result::Result<ChargeReply, StoreError> {
        reply(&self.call(tree, "/charge", request).await?)
    }

    async fn usage(
        &self,
        tree: &str,
        tokens: &[String],
    ) -> std::result::Result<BTreeMap<String, Usage>, StoreError> {
        reply(&self.call(tree, "/usage", &tokens).await?)
    }

    async fn revoke(&self, tree: &str, id: &str, depth: usize) -> std::result::Result<(), StoreError> {
        let revoke = Revoke { id: id.to_string(), depth, root: id == tree, now_ms: now_ms() };
        self.call(tree, "/revoke", &revoke).await.map(drop)
    }

    async fn rotate(
        &self,
        tree: &str,
        step: &RotationStep,
    ) -> std::result::Result<RotationReply, StoreError> {
        reply(&self.call(tree, "/rotate", step).await?)
    }

    async fn record(&self, tree: &str, event: &StoredEvent) -> std::result::Result<(), StoreError> {
        self.call(tree, "/record", event).await.map(drop)
    }

    async fn events(
        &self,
        tree: &str,
        query: &EventsQuery,
    ) -> std::result::Result<Vec<NumberedEvent>, StoreError> {
        reply(&self.call(tree, "/events", query).await?)
    }
}
