//! The JavaScript names of wire values (`wire.js`): answers are handed to
//! JavaScript with camelCase names, and request bodies sent with the API's
//! snake_case ones.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/client/wire.js")]
extern "C" {
    /// The API's JSON text of `value`, with snake_case names; `None` when it
    /// cannot be written as JSON.
    #[wasm_bindgen(js_name = toWire)]
    pub fn to_wire(value: &JsValue) -> Option<String>;
    /// The API's JSON `text` as a JavaScript value with camelCase names.
    #[wasm_bindgen(js_name = fromWire, catch)]
    pub fn from_wire(text: &str) -> Result<JsValue, JsValue>;
}
