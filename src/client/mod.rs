//! The wasm-bindgen client: `TokensClient`, exported to JavaScript as the
//! npm package `edge-tokens`.
//!
//! Requests are sent as the user gave them, so the service's validation
//! messages reach the user unchanged; answers are handed to JavaScript with
//! camelCase names (`wire.js`), typed by declarations generated from the
//! OpenAPI document ([`crate::contract`]). Every failure rejects with an
//! `Error` subclass from `errors.js`. `listTokens` returns a `TokenList`,
//! `listEvents` an `EventList` (`list.js`): a thenable of one page that is
//! also an async iterable of every page.

mod errors;
mod fetch;
mod list;
mod typescript;
mod wire;

use js_sys::Promise;
use wasm_bindgen::{prelude::*, JsCast};

use crate::contract::secret;

use self::fetch::Method;

/// The default time to wait for an answer.
const DEFAULT_TIMEOUT_MS: u32 = 10_000;

/// How a client presents its token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scheme {
    /// `x-auth-token: <token>`.
    Header,
    /// `Authorization: Basic base64(<token>:)`.
    Basic,
    /// `Authorization: Bearer <token>`.
    Bearer,
}

/// A client of one deployment of the tokens API, holding one token.
#[wasm_bindgen]
#[derive(Clone)]
pub struct TokensClient {
    base: String,
    api: String,
    auth_header: (&'static str, String),
    timeout_ms: u32,
}

#[wasm_bindgen]
impl TokensClient {
    /// A client of the service at `baseUrl`, the origin under which
    /// `/api/v3` lives (a URL ending in `/api/v3` is taken as that origin's),
    /// authenticating with `options.token`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = baseUrl)] base_url: &str,
        #[wasm_bindgen(unchecked_param_type = "TokensClientOptions")] options: JsValue,
    ) -> Result<TokensClient, JsValue> {
        let base = base_url.trim().trim_end_matches('/');
        let base = base.strip_suffix(crate::contract::routes::API_PREFIX).unwrap_or(base);
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(type_error("baseUrl must be an http:// or https:// URL"));
        }
        let token = string_option(&options, "token")?
            .filter(|token| !token.is_empty())
            .ok_or_else(|| type_error("options.token is required"))?;
        let scheme = match string_option(&options, "scheme")?.as_deref() {
            None | Some("header") => Scheme::Header,
            Some("basic") => Scheme::Basic,
            Some("bearer") => Scheme::Bearer,
            Some(_) => return Err(type_error("options.scheme must be \"header\", \"basic\" or \"bearer\"")),
        };
        let timeout_ms = match js_sys::Reflect::get(&options, &"timeoutMs".into())?.as_f64() {
            None => DEFAULT_TIMEOUT_MS,
            Some(ms) if ms >= 1.0 && ms <= f64::from(u32::MAX) => ms as u32,
            Some(_) => return Err(type_error("options.timeoutMs must be a positive number")),
        };
        Ok(TokensClient {
            base: base.to_string(),
            api: format!("{base}/api/v3"),
            auth_header: auth_header(scheme, &token)?,
            timeout_ms,
        })
    }

    /// Creates a token; resolves to its secret, shown only this once.
    #[wasm_bindgen(js_name = createToken, unchecked_return_type = "Promise<CreatedToken>")]
    pub fn create_token(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CreateTokenRequest")] request: JsValue,
    ) -> Promise {
        let body = wire::to_wire(&request).ok_or_else(|| type_error("createToken expects a plain object"));
        self.exchange(body.map(|body| (Method::Post, self.api("/tokens"), Some(body))), Expect::Json(201))
    }

    /// Reads the client's own token.
    #[wasm_bindgen(js_name = getToken, unchecked_return_type = "Promise<Token>")]
    pub fn get_token(&self) -> Promise {
        self.exchange(Ok((Method::Get, self.api("/token"), None)), Expect::Json(200))
    }

    /// Deletes the token `id` and every token it created.
    #[wasm_bindgen(js_name = deleteToken, unchecked_return_type = "Promise<void>")]
    pub fn delete_token(&self, id: &str) -> Promise {
        self.exchange(Ok((Method::Delete, self.token_url(id, ""), None)), Expect::Empty(204))
    }

    /// The tokens the client may see (all for the admin; its own and its
    /// descendants for an issued token), `options.limit` at a time from
    /// `options.cursor`, or only `options.parent`'s children. Awaited, the
    /// first page; iterated with `for await`, every page. Bad options throw
    /// a `TypeError` at once.
    #[wasm_bindgen(js_name = listTokens, unchecked_return_type = "TokenList")]
    pub fn list_tokens(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ListTokensOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        page_query(&options, LIST_TOKENS)?;
        Ok(list::TokenList::new(self.clone(), &options).into())
    }

    /// One page of `GET /tokens`: what `listTokens` awaits and iterates.
    #[wasm_bindgen(js_name = listTokensPage, skip_typescript)]
    pub fn list_tokens_page(&self, options: JsValue) -> Promise {
        let url = page_query(&options, LIST_TOKENS).map(|query| self.api(&format!("/tokens{query}")));
        self.exchange(url.map(|url| (Method::Get, url, None)), Expect::Json(200))
    }

    /// The audit trail of token `id` and its descendants, newest first:
    /// the client's own token, one of its descendants (any, for the admin,
    /// also one deleted within the time events are kept), `options.limit`
    /// events at a time from `options.cursor`. Awaited, the first page;
    /// iterated with `for await`, every page. Bad options throw a
    /// `TypeError` at once.
    #[wasm_bindgen(js_name = listEvents, unchecked_return_type = "EventList")]
    pub fn list_events(
        &self,
        id: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "ListEventsOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        page_query(&options, LIST_EVENTS)?;
        Ok(list::EventList::new(self.clone(), id, &options).into())
    }

    /// One page of `GET /tokens/{id}/events`: what `listEvents` awaits and iterates.
    #[wasm_bindgen(js_name = listEventsPage, skip_typescript)]
    pub fn list_events_page(&self, id: &str, options: JsValue) -> Promise {
        let url =
            page_query(&options, LIST_EVENTS).map(|query| self.token_url(id, &format!("/events{query}")));
        self.exchange(url.map(|url| (Method::Get, url, None)), Expect::Json(200))
    }

    /// Reads the token `id`: the client's own or one of its descendants
    /// (any, for the admin), with how many descendants it has.
    #[wasm_bindgen(js_name = inspectToken, unchecked_return_type = "Promise<TokenInfo>")]
    pub fn inspect_token(&self, id: &str) -> Promise {
        self.exchange(Ok((Method::Get, self.token_url(id, ""), None)), Expect::Json(200))
    }

    /// Gives the token `id` a new secret, shown only this once; the old one
    /// keeps working `options.grace` seconds (0 by default).
    #[wasm_bindgen(js_name = rotateToken, unchecked_return_type = "Promise<RotatedToken>")]
    pub fn rotate_token(
        &self,
        id: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "RotateRequest")] options: JsValue,
    ) -> Promise {
        let body = match options.is_undefined() || options.is_null() {
            true => Ok(None),
            false => wire::to_wire(&options)
                .map(Some)
                .ok_or_else(|| type_error("rotateToken expects a plain object")),
        };
        self.exchange(body.map(|body| (Method::Post, self.token_url(id, "/rotate"), body)), Expect::Json(201))
    }

    /// Calls the HOPR node behind an edge-tokens gateway with this client's
    /// token: `path` is the node's (such as `/api/v4/node/info`), `body` is
    /// sent as JSON. Resolves to the node's JSON answer (its text when it is
    /// not JSON, `null` when empty); rejects like the other methods.
    #[wasm_bindgen(unchecked_return_type = "Promise<unknown>")]
    pub fn request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "\"GET\" | \"POST\" | \"DELETE\"")] method: &str,
        path: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "unknown")] body: JsValue,
    ) -> Promise {
        self.exchange(self.node_call(method, path, &body), Expect::Any)
    }
}

/// One request: method, URL and JSON body.
type Call = (Method, String, Option<String>);

/// What a method makes of a successful exchange.
#[derive(Clone, Copy)]
enum Expect {
    /// The JSON body of this status, with camelCase names.
    Json(u16),
    /// An empty body of this status: resolves to `undefined`.
    Empty(u16),
    /// Any 2xx answer: its JSON, text or `null` ([`fetch::Reply::value`]).
    Any,
}

impl TokensClient {
    /// `{api}{path}`: a URL of the tokens API.
    fn api(&self, path: &str) -> String {
        format!("{}{path}", self.api)
    }

    /// `/tokens/{id}{rest}`, the id encoded as one path segment.
    fn token_url(&self, id: &str, rest: &str) -> String {
        self.api(&format!("/tokens/{}{rest}", js_sys::encode_uri_component(id)))
    }

    /// The exchange of `request`: the node's `path` under the base URL.
    fn node_call(&self, method: &str, path: &str, body: &JsValue) -> Result<Call, JsValue> {
        let method = Method::parse(method).ok_or_else(|| type_error("method must be GET, POST or DELETE"))?;
        if !path.starts_with('/') {
            return Err(type_error("path must start with /"));
        }
        let body = match body.is_undefined() {
            true => None,
            false => Some(
                js_sys::JSON::stringify(body)
                    .ok()
                    .and_then(|json| json.as_string())
                    .ok_or_else(|| type_error("body must be JSON-serializable"))?,
            ),
        };
        Ok((method, format!("{}{path}", self.base), body))
    }

    /// Sends `request` (method, URL, JSON body) and reads the answer as
    /// `expect` says; rejects with `request`'s error when it has one. Every
    /// method goes through this one future, not one of its own: each would
    /// add its own copy of the exchange to the wasm.
    fn exchange(&self, request: Result<Call, JsValue>, expect: Expect) -> Promise {
        let (auth, timeout_ms) = (self.auth_header.clone(), self.timeout_ms);
        wasm_bindgen_futures::future_to_promise(async move {
            let (method, url, body) = request?;
            let reply = fetch::send(method, &url, (auth.0, &auth.1), body, timeout_ms).await?;
            match expect {
                Expect::Json(status) => reply.json(status),
                Expect::Empty(status) => reply.empty(status).map(|()| JsValue::UNDEFINED),
                Expect::Any => reply.value(),
            }
        })
    }
}

/// True when `secret` has the `etk_` format and a correct checksum. Needs
/// no request: use it to catch a mistyped secret before sending it.
#[wasm_bindgen(js_name = isWellFormedSecret)]
pub fn is_well_formed_secret(secret: &str) -> bool {
    secret::is_well_formed(secret)
}

#[wasm_bindgen]
extern "C" {
    /// Base64 of a Latin-1 string, as browsers and Node.js have it: cheaper
    /// in bytes than a Rust encoder.
    #[wasm_bindgen(catch)]
    fn btoa(data: &str) -> Result<String, JsValue>;
}

fn auth_header(scheme: Scheme, token: &str) -> Result<(&'static str, String), JsValue> {
    Ok(match scheme {
        Scheme::Header => ("x-auth-token", token.to_string()),
        Scheme::Basic => {
            let encoded =
                btoa(&format!("{token}:")).map_err(|_| type_error("a basic token must be Latin-1 text"))?;
            ("authorization", format!("Basic {encoded}"))
        }
        Scheme::Bearer => ("authorization", format!("Bearer {token}")),
    })
}

fn string_option(options: &JsValue, name: &str) -> Result<Option<String>, JsValue> {
    if !options.is_object() {
        return Err(type_error("options must be an object with a token"));
    }
    let value = js_sys::Reflect::get(options, &name.into())?;
    if value.is_undefined() {
        return Ok(None);
    }
    value.as_string().map(Some).ok_or_else(|| type_error(&format!("options.{name} must be a string")))
}

/// A paged listing: the method's name and the options it takes.
type Listing = (&'static str, &'static [&'static str]);

/// `listTokens`: `GET /tokens`.
const LIST_TOKENS: Listing = ("listTokens", &["limit", "cursor", "parent"]);
/// `listEvents`: `GET /tokens/{id}/events`.
const LIST_EVENTS: Listing = ("listEvents", &["limit", "cursor"]);

/// The query of a paged listing for its method's options (`""` without
/// any): a number `limit`, strings for the others, each left out when
/// undefined or null. The service judges their values.
fn page_query(options: &JsValue, (method, names): Listing) -> Result<String, JsValue> {
    if options.is_undefined() || options.is_null() {
        return Ok(String::new());
    }
    if !options.is_object() {
        return Err(type_error(&format!("{method} expects an object of options")));
    }
    let mut query = String::new();
    for &name in names {
        let value = js_sys::Reflect::get(options, &name.into())?;
        if value.is_undefined() || value.is_null() {
            continue;
        }
        let text = match name {
            "limit" => value
                .dyn_ref::<js_sys::Number>()
                .ok_or_else(|| type_error("options.limit must be a number"))?
                .to_string_with_radix(10)?,
            _ => js_sys::encode_uri_component(
                &value.as_string().ok_or_else(|| type_error(&format!("options.{name} must be a string")))?,
            ),
        };
        query.push(if query.is_empty() { '?' } else { '&' });
        query.push_str(name);
        query.push('=');
        query.push_str(&String::from(text));
    }
    Ok(query)
}

fn type_error(message: &str) -> JsValue {
    js_sys::TypeError::new(message).into()
}
