// Node.js: the wasm module is read from disk and instantiated synchronously,
// so there is no init step.
import { readFileSync } from "node:fs";
import { initSync, TokensClient, isWellFormedSecret } from "./web/edge_tokens.js";

initSync({ module: readFileSync(new URL("./web/edge_tokens_bg.wasm", import.meta.url)) });

export { TokensClient, isWellFormedSecret };
export { TokensApiError, TokensNetworkError, TokensTimeoutError } from "__ERRORS_MODULE__";
