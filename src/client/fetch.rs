//! One HTTP exchange with the service through the global `fetch`, bounded by
//! a timeout, and the reading of its answer.

use serde::Deserialize;
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Headers, Request, RequestInit, Response};

use super::{errors, wire};

/// The code given to answers that are not the API's.
pub const UNEXPECTED_RESPONSE: &str = "UNEXPECTED_RESPONSE";

#[wasm_bindgen]
extern "C" {
    /// `fetch` as browsers, workers and Node.js 18+ all have it.
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(request: &Request) -> js_sys::Promise;
}

/// The methods the API uses.
#[derive(Clone, Copy, Debug)]
pub enum Method {
    Get,
    Post,
    Delete,
}

impl Method {
    /// The method named `name` (any case), if the API uses it.
    pub fn parse(name: &str) -> Option<Method> {
        match name.to_ascii_uppercase().as_str() {
            "GET" => Some(Method::Get),
            "POST" => Some(Method::Post),
            "DELETE" => Some(Method::Delete),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// A complete answer: status and body text.
pub struct Reply {
    status: u16,
    text: String,
}

/// An error body, read leniently: HOPR nodes may use codes and reasons
/// this crate does not know.
#[derive(Deserialize)]
struct LooseErrorBody {
    status: String,
    #[serde(default)]
    error: String,
    #[serde(default)]
    reason: Option<String>,
}

impl Reply {
    /// The JSON body as a JavaScript value with camelCase names, when the
    /// status is `expected`.
    pub fn json(&self, expected: u16) -> Result<JsValue, JsValue> {
        if self.status != expected {
            return Err(self.error());
        }
        wire::from_wire(&self.text)
            .map_err(|_| errors::api(self.status, UNEXPECTED_RESPONSE, "the answer is not JSON", None))
    }

    /// Nothing, when the status is `expected`.
    pub fn empty(&self, expected: u16) -> Result<(), JsValue> {
        if self.status == expected {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    /// Any successful answer as a JavaScript value: its JSON, its text when
    /// it is not JSON, or `null` when it is empty.
    pub fn value(&self) -> Result<JsValue, JsValue> {
        if !(200..300).contains(&self.status) {
            return Err(self.error());
        }
        if self.text.is_empty() {
            return Ok(JsValue::NULL);
        }
        Ok(js_sys::JSON::parse(&self.text).unwrap_or_else(|_| JsValue::from_str(&self.text)))
    }

    fn error(&self) -> JsValue {
        match serde_json::from_str::<LooseErrorBody>(&self.text) {
            Ok(body) => errors::api(self.status, &body.status, &body.error, body.reason.as_deref()),
            Err(_) => errors::api(
                self.status,
                UNEXPECTED_RESPONSE,
                &format!("unexpected answer with HTTP status {}", self.status),
                None,
            ),
        }
    }
}

/// Sends one request and reads the whole answer within `timeout_ms`.
pub async fn send(
    method: Method,
    url: &str,
    auth: (&str, &str),
    body: Option<String>,
    timeout_ms: u32,
) -> Result<Reply, JsValue> {
    let headers = Headers::new()?;
    headers.set(auth.0, auth.1)?;
    headers.set("accept", "application/json")?;
    let init = RequestInit::new();
    init.set_method(method.as_str());
    if let Some(body) = body {
        headers.set("content-type", "application/json")?;
        init.set_body(&JsValue::from_str(&body));
    }
    init.set_headers(&headers);
    let signal = AbortSignal::timeout_with_u32(timeout_ms);
    init.set_signal(Some(&signal));
    let request = Request::new_with_str_and_init(url, &init).map_err(|e| errors::network(&e))?;

    let failed =
        |cause: JsValue| if signal.aborted() { errors::timeout(timeout_ms) } else { errors::network(&cause) };
    let response: Response = JsFuture::from(global_fetch(&request)).await.map_err(&failed)?.unchecked_into();
    let text = JsFuture::from(response.text()?).await.map_err(&failed)?;
    Ok(Reply { status: response.status(), text: text.as_string().unwrap_or_default() })
}
