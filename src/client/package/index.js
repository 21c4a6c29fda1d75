// Browsers and bundlers: the wasm module is fetched next to this file and
// instantiated before the first export is used, so there is no init step.
import init, { TokensClient, isWellFormedSecret } from "./web/edge_tokens.js";

await init({ module_or_path: new URL("./web/edge_tokens_bg.wasm", import.meta.url) });

export { TokensClient, isWellFormedSecret };
export { TokensApiError, TokensNetworkError, TokensTimeoutError } from "__ERRORS_MODULE__";
