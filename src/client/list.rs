//! The `TokenList` of `list.js`: what `listTokens` returns, a thenable of
//! the first page that is also an async iterable of every page.

use wasm_bindgen::prelude::*;

use super::TokensClient;

#[wasm_bindgen(module = "/src/client/list.js")]
extern "C" {
    pub type TokenList;
    /// A list fetching its pages with `client.listTokensPage(options)`.
    #[wasm_bindgen(constructor)]
    pub fn new(client: TokensClient, options: &JsValue) -> TokenList;
}
