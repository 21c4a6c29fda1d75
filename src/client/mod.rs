//! The wasm-bindgen client: `TokensClient`, exported to JavaScript as the
//! npm package `edge-tokens`.
//!
//! Requests are sent as the user gave them, so the service's validation
//! messages reach the user unchanged; answers are handed to JavaScript with
//! camelCase names (`wire.js`), typed by declarations generated from the
//! OpenAPI document ([`crate::contract`]). Every failure rejects with an
//! `Error` subclass from `errors.js`.

mod errors;
mod fetch;
mod typescript;
mod wire;

use wasm_bindgen::prelude::*;

use crate::service::secret;

use self::fetch::{Method, Reply};

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
pub struct TokensClient {
    base: String,
    api: String,
    auth_header: (&'static str, String),
    timeout_ms: u32,
}

#[wasm_bindgen]
impl TokensClient {
    /// A client of the service at `baseUrl` (the origin under which
    /// `/api/v3` lives), authenticating with `options.token`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = baseUrl)] base_url: &str,
        #[wasm_bindgen(unchecked_param_type = "TokensClientOptions")] options: JsValue,
    ) -> Result<TokensClient, JsValue> {
        let base = base_url.trim().trim_end_matches('/');
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
    #[wasm_bindgen(js_name = createToken, unchecked_return_type = "CreatedToken")]
    pub async fn create_token(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CreateTokenRequest")] request: JsValue,
    ) -> Result<JsValue, JsValue> {
        let body = wire::to_wire(&request).ok_or_else(|| type_error("createToken expects a plain object"))?;
        self.send(Method::Post, "/tokens", Some(body)).await?.json(201)
    }

    /// Reads the client's own token.
    #[wasm_bindgen(js_name = getToken, unchecked_return_type = "Token")]
    pub async fn get_token(&self) -> Result<JsValue, JsValue> {
        self.send(Method::Get, "/token", None).await?.json(200)
    }

    /// Deletes the token `id` and every token it created.
    #[wasm_bindgen(js_name = deleteToken)]
    pub async fn delete_token(&self, id: &str) -> Result<(), JsValue> {
        let path = format!("/tokens/{}", js_sys::encode_uri_component(id));
        self.send(Method::Delete, &path, None).await?.empty(204)
    }

    /// Calls the HOPR node behind an edge-tokens gateway with this client's
    /// token: `path` is the node's (such as `/api/v4/node/info`), `body` is
    /// sent as JSON. Resolves to the node's JSON answer (its text when it is
    /// not JSON, `null` when empty); rejects like the other methods.
    #[wasm_bindgen(unchecked_return_type = "unknown")]
    pub async fn request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "\"GET\" | \"POST\" | \"DELETE\"")] method: &str,
        path: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "unknown")] body: JsValue,
    ) -> Result<JsValue, JsValue> {
        let method = Method::parse(method).ok_or_else(|| type_error("method must be GET, POST or DELETE"))?;
        if !path.starts_with('/') {
            return Err(type_error("path must start with /"));
        }
        let body = match body.is_undefined() {
            true => None,
            false => Some(
                js_sys::JSON::stringify(&body)
                    .ok()
                    .and_then(|json| json.as_string())
                    .ok_or_else(|| type_error("body must be JSON-serializable"))?,
            ),
        };
        let url = format!("{}{path}", self.base);
        self.send_to(method, &url, body).await?.value()
    }
}

impl TokensClient {
    async fn send(&self, method: Method, path: &str, body: Option<String>) -> Result<Reply, JsValue> {
        self.send_to(method, &format!("{}{path}", self.api), body).await
    }

    async fn send_to(&self, method: Method, url: &str, body: Option<String>) -> Result<Reply, JsValue> {
        let (name, value) = (self.auth_header.0, self.auth_header.1.as_str());
        fetch::send(method, url, (name, value), body, self.timeout_ms).await
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

fn type_error(message: &str) -> JsValue {
    js_sys::TypeError::new(message).into()
}
