//! The JavaScript error classes of `errors.js`, constructed from Rust.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/client/errors.js")]
extern "C" {
    type TokensApiError;
    #[wasm_bindgen(constructor)]
    fn new(http_status: u16, status: &str, error: &str, reason: Option<&str>) -> TokensApiError;

    type TokensNetworkError;
    #[wasm_bindgen(constructor)]
    fn new(message: &str, cause: &JsValue) -> TokensNetworkError;

    type TokensTimeoutError;
    #[wasm_bindgen(constructor)]
    fn new(timeout_ms: u32) -> TokensTimeoutError;
}

/// The service answered `http_status` with `{status, error, reason?}`.
pub fn api(http_status: u16, status: &str, error: &str, reason: Option<&str>) -> JsValue {
    TokensApiError::new(http_status, status, error, reason).into()
}

/// The request or its answer was lost on the way; `cause` is what fetch threw.
pub fn network(cause: &JsValue) -> JsValue {
    let detail = js_sys::Reflect::get(cause, &"message".into()).ok().and_then(|m| m.as_string());
    let message = match detail {
        Some(detail) => format!("the request failed: {detail}"),
        None => "the request failed".to_string(),
    };
    TokensNetworkError::new(&message, cause).into()
}

/// No answer within `timeout_ms`.
pub fn timeout(timeout_ms: u32) -> JsValue {
    TokensTimeoutError::new(timeout_ms).into()
}
