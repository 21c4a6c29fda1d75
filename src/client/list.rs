//! The `TokenList` and `EventList` of `list.js`: what `listTokens` and
//! `listEvents` return, a thenable of the first page that is also an async
//! iterable of every page.

use wasm_bindgen::prelude::*;

use super::TokensClient;

#[wasm_bindgen(module = "/src/client/list.js")]
extern "C" {
    pub type TokenList;
    /// A list fetching its pages with `client.listTokensPage(options)`.
    #[wasm_bindgen(constructor)]
    pub fn new(client: TokensClient, options: &JsValue) -> TokenList;

    pub type EventList;
    /// A list fetching its pages with `client.listEventsPage(id, options)`.
    #[wasm_bindgen(constructor)]
    pub fn new(client: TokensClient, id: &str, options: &JsValue) -> EventList;
}
