//! The Worker's only JavaScript: functions that do in one call across the
//! wasm/JavaScript boundary what `worker`'s wrappers do in many.
//!
//! They exist for speed. `GET /api/v3/token` crossed the boundary 75 times
//! through the wrappers; with these it calls into JavaScript 17 times (see
//! BENCHMARKS.md, "Where the time goes"):
//!
//! - [`request_fields`]: the method, the URL and the headers the service
//!   reads, as one string. Fields are separated by "\n" and a missing
//!   header is "\0": neither can occur in a method, a parsed URL or a
//!   header value. The headers a node call may pass on (`upgrade` among
//!   them, which matters only there) are read only for a call for the
//!   node, and only those ([`request_header_lines`]): a profile put reading
//!   every header at about 9% of the Worker's own time on a `GET`.
//! - [`new_response`]: the answer in one call. Answers repeat a handful of
//!   header sets (content type, CORS, challenge), so each set is parsed once
//!   and kept as a `Headers` object, up to 64 of them, by a number that the
//!   wasm gives it ([`HeaderSets`]): a kept set crosses as that number, not
//!   as text to decode and hash. The `Response` copies the `Headers`, which
//!   costs the runtime less than reading a plain object's properties (in
//!   workerd, a `Response` made and read: 7.8 µs against 10.4).
//! - [`log_line`]: the log line, `console.log` of a string in one crossing
//!   (`web_sys`'s takes a JavaScript value, which another crossing makes).
//! - [`kv_get`] and [`kv_get_many`]: the KV reads on every request's path:
//!   the binding, then its `get` of one key or of several (one operation,
//!   the keys passed as lines: one string crosses, not an array of them);
//!   null instead of a Promise when the binding is missing.
//! - [`kv_put`], [`kv_delete`] and [`kv_list`]: the other KV operations,
//!   also for size: `worker`'s KV wrapper brings a float formatter and
//!   JavaScript-object conversions into the wasm.
//! - [`wait_until`]: work after the answer, a promise of a [`super::task`],
//!   handed to `ctx.waitUntil` (`worker`'s would run a Rust future on
//!   wasm-bindgen-futures instead).
//! - [`sql_query`] and [`sql_write`]: a Durable Object's SQLite storage,
//!   parameters and rows as JSON text; the writes of one call in one
//!   `transactionSync`, so that they land together or not at all.
//! - [`task_answer`], [`task_await`] and [`task_wake`]: the fetch handler's
//!   future run without wasm-bindgen-futures ([`super::task`]): an awaited
//!   promise calls the task back directly, and the answer's promise is
//!   made only when the handler has to wait.
//! - [`assets_fetch`]: a console file from the static-assets binding, also
//!   for size (`worker`'s `Fetcher` brings its request wrappers along).
//! - [`tree_call`]: a message to a tree's Durable Object and its answer's
//!   text in one call: `worker`'s stub, request and response wrappers cost
//!   a dozen crossings, and its `Response::text` read the answer through a
//!   stream reader, chunk by chunk (about 9% of the isolate's busy time on
//!   a limited `GET` under load); [`tree_message`], the same message as the
//!   object reads it, its path and its body in one string.
//! - [`node_fetch`], [`header_lines`] and [`passed_back`]: a gateway call to
//!   the node, its answer's headers as text (and the request's that it may
//!   pass on, as [`request_header_lines`]), and the answer rebuilt with the
//!   headers the caller gets; `worker`'s wrappers crossed once per header
//!   each way and once per step of the timeout.
//!
//! Headers cross as text, "name\nvalue\nname\nvalue…" ([`header_text`],
//! [`header_pairs`]): neither a name nor a value can hold a "\n".

use worker::{
    js_sys::{self, Promise, Uint8Array},
    wasm_bindgen::{self, prelude::*, JsCast},
    web_sys,
};

#[wasm_bindgen(inline_js = r#"
export function request_fields(request) {
  const h = request.headers;
  return [request.method, request.url, h.get("x-auth-token") ?? "\0", h.get("authorization") ?? "\0",
    h.get("origin") ?? "\0", h.get("cf-connecting-ip") ?? "\0"].join("\n");
}
export function new_response(status, body, set, headers) {
  let init;
  if (set === undefined) init = headers === undefined ? undefined : headersOf(headers);
  else if (headers === undefined) init = headerSets[set];
  else init = headerSets[set] = headersOf(headers);
  return new Response(body, { status, headers: init });
}
const headerSets = [];
export function kv_get(env, binding, key) {
  const kv = env[binding];
  return kv && typeof kv.get === "function" ? kv.get(key) : null;
}
export function kv_get_many(env, binding, lines) {
  const kv = env[binding];
  if (!kv || typeof kv.get !== "function") return null;
  const keys = lines === "" ? [] : lines.split("\n");
  return kv.get(keys).then((found) => keys.map((key) => found.get(key) ?? null));
}
export function kv_put(env, binding, key, value, expiration) {
  const kv = env[binding];
  return kv && typeof kv.put === "function" ? kv.put(key, value, expiration > 0 ? { expiration } : {}) : null;
}
export function wait_until(ctx, work) {
  ctx.waitUntil(Promise.resolve(work));
}
export function kv_delete(env, binding, key) {
  const kv = env[binding];
  return kv && typeof kv.delete === "function" ? kv.delete(key) : null;
}
export function kv_list(env, binding, prefix, cursor, limit) {
  const kv = env[binding];
  if (!kv || typeof kv.list !== "function") return null;
  const options = cursor === undefined ? { prefix, limit } : { prefix, limit, cursor };
  return kv.list(options).then((page) =>
    [page.list_complete ? "" : page.cursor ?? "", ...page.keys.map((key) => key.name)].join("\n"));
}
export function sql_query(storage, query, params) {
  return JSON.stringify(storage.sql.exec(query, ...JSON.parse(params)).raw().toArray());
}
export function sql_write(storage, statements) {
  storage.transactionSync(() => {
    for (const [query, ...params] of JSON.parse(statements)) storage.sql.exec(query, ...params);
  });
}
export function header_lines(message) {
  return [...message.headers].flat().join("\n");
}
export function named_header_lines(message, names) {
  const headers = message.headers;
  const lines = [];
  for (const name of names.split("\n")) {
    const value = headers.get(name);
    if (value !== null) lines.push(name, value);
  }
  return lines.join("\n");
}
function headersOf(lines) {
  const headers = new Headers();
  const parts = lines === "" ? [] : lines.split("\n");
  for (let i = 0; i + 1 < parts.length; i += 2) headers.append(parts[i], parts[i + 1]);
  return headers;
}
export function node_fetch(request, target, method, headers, body, streamed, timeoutMs) {
  const init = { method, headers: headersOf(headers), redirect: "manual", signal: AbortSignal.timeout(timeoutMs) };
  if (body !== undefined) init.body = body;
  else if (streamed) init.body = request.body;
  return fetch(target, init).catch((error) => {
    if (init.signal.aborted) return null;
    throw error;
  });
}
export function passed_back(answer, headers) {
  const init = { status: answer.status, headers: headersOf(headers) };
  if (answer.webSocket) init.webSocket = answer.webSocket;
  if (answer.cf) init.cf = answer.cf;
  return new Response(answer.body, init);
}
export function tree_call(env, binding, tree, url, body) {
  const trees = env[binding];
  if (!trees || typeof trees.idFromName !== "function") return null;
  return trees.get(trees.idFromName(tree)).fetch(url, { method: "POST", body }).then(async (answer) => {
    const text = await answer.text();
    return answer.ok ? text : answer.status;
  });
}
export function tree_message(request) {
  const url = request.url;
  return request.text().then((body) => `${url.slice(url.indexOf("/", "https://".length))}\n${body}`);
}
const waiting = new Map();
export function task_answer(task) {
  return new Promise((resolve, reject) => waiting.set(task, [resolve, reject]));
}
function task_step(resume, task, slot, value, fulfilled) {
  let answer;
  try {
    answer = resume(task, slot, value, fulfilled);
  } catch (error) {
    const settle = waiting.get(task);
    waiting.delete(task);
    if (settle === undefined) throw error;
    return settle[1](error);
  }
  if (answer === undefined) return;
  const settle = waiting.get(task);
  waiting.delete(task);
  settle[0](answer);
}
export function task_await(promise, task, slot, resume) {
  promise.then((value) => task_step(resume, task, slot, value, true), (error) => task_step(resume, task, slot, error, false));
}
export function task_wake(task, resume) {
  Promise.resolve().then(() => task_step(resume, task, 0, undefined, true));
}
export function assets_fetch(env, binding, request, method) {
  const assets = env[binding];
  if (!assets || typeof assets.fetch !== "function") return null;
  return assets.fetch(new Request(request.url, { method, headers: request.headers, redirect: "manual" }));
}
"#)]
extern "C" {
    /// Method, URL, `x-auth-token`, `authorization`, `origin` and
    /// `cf-connecting-ip` ("\0" for a missing header), joined by "\n".
    pub fn request_fields(request: &web_sys::Request) -> String;
    /// A `Response` with the header set numbered `set`, kept from an
    /// earlier call, or else with `headers` ("name\nvalue\nname\nvalue…"),
    /// kept as `set` unless it is `None`; with none when both are `None`.
    pub fn new_response(
        status: u16,
        body: Option<&str>,
        set: Option<u32>,
        headers: Option<&str>,
    ) -> web_sys::Response;
    /// `env[binding].get(key)`, or null when the binding is missing.
    #[wasm_bindgen(catch)]
    pub fn kv_get(env: &JsValue, binding: &JsValue, key: &str) -> Result<Option<Promise>, JsValue>;
    /// The values of the keys (one a line) in one bulk `env[binding].get`,
    /// as an array in the keys' order; null when the binding is missing.
    #[wasm_bindgen(catch)]
    pub fn kv_get_many(env: &JsValue, binding: &JsValue, keys: &str) -> Result<Option<Promise>, JsValue>;
    /// `env[binding].put(key, value)`, to expire at `expiration` (seconds
    /// since the epoch) unless it is 0; null when the binding is missing.
    #[wasm_bindgen(catch)]
    pub fn kv_put(
        env: &JsValue,
        binding: &JsValue,
        key: &str,
        value: &str,
        expiration: u32,
    ) -> Result<Option<Promise>, JsValue>;
    /// Hands `work` (a promise, or the value of work already done) to
    /// `ctx.waitUntil`, so that it runs on after the answer.
    pub fn wait_until(ctx: &JsValue, work: &JsValue);
    /// `env[binding].delete(key)`; null when the binding is missing.
    #[wasm_bindgen(catch)]
    pub fn kv_delete(env: &JsValue, binding: &JsValue, key: &str) -> Result<Option<Promise>, JsValue>;
    /// One page of `env[binding].list()`, as lines: the next cursor (empty on
    /// the last page), then each key; null when the binding is missing.
    #[wasm_bindgen(catch)]
    pub fn kv_list(
        env: &JsValue,
        binding: &JsValue,
        prefix: &str,
        cursor: Option<String>,
        limit: u32,
    ) -> Result<Option<Promise>, JsValue>;
    /// The rows of `query` with the JSON array `params` bound, as a JSON
    /// array of arrays.
    #[wasm_bindgen(catch)]
    pub fn sql_query(storage: &JsValue, query: &str, params: &str) -> Result<String, JsValue>;
    /// Runs the JSON array of `[query, ...params]` statements in one transaction.
    #[wasm_bindgen(catch)]
    pub fn sql_write(storage: &JsValue, statements: &str) -> Result<(), JsValue>;
    /// Every header of an answer, as [`header_text`] writes them.
    pub fn header_lines(answer: &web_sys::Response) -> String;
    /// The headers of a request among `names` (lower case, one a line), as
    /// [`header_text`] writes them.
    #[wasm_bindgen(js_name = named_header_lines)]
    pub fn request_header_lines(request: &web_sys::Request, names: &str) -> String;
    /// `fetch` of `target` with `method` and `headers` (as [`header_text`]
    /// writes them), redirects not followed, with `body`, or else, if
    /// `streamed`, `request`'s body; aborted unless the answer's head comes
    /// within `timeout_ms`, and then resolved with null. The runtime's
    /// `fetch` heeds its signal only until the head has come, so the timer
    /// of `AbortSignal.timeout`, still running after the answer, cuts
    /// neither a body that streams on nor a WebSocket (tests/e2e check
    /// both), and it does not keep the request alive: cheaper than an
    /// `AbortController` with a `setTimeout` cleared on the answer (about
    /// 4% of a gateway call's workerd CPU).
    #[wasm_bindgen(catch)]
    pub fn node_fetch(
        request: &web_sys::Request,
        target: &str,
        method: &str,
        headers: &str,
        body: Option<Uint8Array>,
        streamed: bool,
        timeout_ms: u32,
    ) -> Result<Promise, JsValue>;
    /// `answer` with its status, body, WebSocket and `cf`, but exactly `headers`.
    #[wasm_bindgen(catch)]
    pub fn passed_back(answer: &web_sys::Response, headers: &str) -> Result<web_sys::Response, JsValue>;
    /// Posts `body` to `url` on the Durable Object named `tree` of namespace
    /// `env[binding]`: its answer's text, or its status unless it is 2xx;
    /// null when the binding is missing.
    #[wasm_bindgen(catch)]
    pub fn tree_call(
        env: &JsValue,
        binding: &str,
        tree: &str,
        url: &str,
        body: &str,
    ) -> Result<Option<Promise>, JsValue>;
    /// A promise of a message [`tree_call`] posted: its URL's path, "\n" and
    /// its body.
    pub fn tree_message(request: &web_sys::Request) -> Promise;
    /// A promise of the answer of `task` ([`super::task`]), settled by the
    /// callback of [`task_await`] or [`task_wake`] that gets it from `resume`.
    pub fn task_answer(task: usize) -> JsValue;
    /// Calls `resume(task, slot, value, fulfilled)` once `promise` settles.
    pub fn task_await(promise: &Promise, task: usize, slot: usize, resume: &JsValue);
    /// Calls `resume(task, 0, undefined, true)` in a microtask.
    pub fn task_wake(task: usize, resume: &JsValue);
    /// `env[binding].fetch()` of `request`'s URL with `method`, its headers
    /// and no body, redirects not followed; null when the binding is missing.
    #[wasm_bindgen(catch)]
    pub fn assets_fetch(
        env: &JsValue,
        binding: &str,
        request: &web_sys::Request,
        method: &str,
    ) -> Result<Option<Promise>, JsValue>;
}

#[wasm_bindgen]
extern "C" {
    /// `console.log` of one string.
    #[wasm_bindgen(js_namespace = console, js_name = log)]
    pub fn log_line(line: &str);
}

/// The message of a JavaScript error (or the thrown value), for a log line.
pub fn error_text(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| format!("{error:?}"))
}

/// The header sets [`new_response`] keeps, by number: the wasm's own
/// list, so that after a trap a fresh instance numbers them anew, sending
/// each set's text again with its new number.
#[derive(Default)]
pub struct HeaderSets(Vec<String>);

impl HeaderSets {
    /// How many sets are kept at most: answers repeat a handful.
    const MAX: usize = 64;

    /// The number of the set written as `text`, and whether it is new (its
    /// text must then go with it, and [`Self::keep`] follow once
    /// [`new_response`] has kept it); `None` past [`Self::MAX`] sets.
    pub fn number(&self, text: &str) -> Option<(u32, bool)> {
        match self.0.iter().position(|set| set == text) {
            Some(kept) => Some((kept as u32, false)),
            None if self.0.len() < Self::MAX => Some((self.0.len() as u32, true)),
            None => None,
        }
    }

    /// Keeps `text` as the next number.
    pub fn keep(&mut self, text: String) {
        self.0.push(text);
    }
}

/// Headers as text for the functions above: "name\nvalue\nname\nvalue…".
pub fn header_text<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut text = String::new();
    for (name, value) in headers {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(name);
        text.push('\n');
        text.push_str(value);
    }
    text
}

/// The name and value pairs of headers written as text.
pub fn header_pairs(text: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut parts = text.split('\n').filter(|_| !text.is_empty());
    std::iter::from_fn(move || Some((parts.next()?, parts.next()?)))
}
