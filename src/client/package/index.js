// Browsers and bundlers: the wasm module is fetched next to this file and
// instantiated before the first export is used, so there is no init step.
import init, { TokensClient, isWellFormedSecret } from "./web/edge_tokens.js";

const wasm = new URL("./web/edge_tokens_bg.wasm", import.meta.url);
// Node.js importing this file by path (by the package's name it gets
// node.js): its fetch cannot read a file: URL, so read the file instead,
// through `process.getBuiltinModule` (Node.js 20.16+), which no bundler
// follows.
const fs = wasm.protocol === "file:" ? globalThis.process?.getBuiltinModule?.("node:fs") : undefined;
await init({ module_or_path: fs ? fs.readFileSync(wasm) : wasm });

export { TokensClient, isWellFormedSecret };
export { TokensApiError, TokensNetworkError, TokensTimeoutError } from "__ERRORS_MODULE__";
