// Browsers, bundlers, Deno, Bun and Node.js by path: the wasm module is
// inlined (web/wasm-gzip-base64.js), so a bundler has no file to emit and an
// app none to copy, and it is instantiated before this module resolves, so
// there is no init step.
import init, { TokensClient, isWellFormedSecret } from "./web/edge_tokens.js";
import { wasmGzipBase64 } from "./web/wasm-gzip-base64.js";

const gzipped = Uint8Array.from(atob(wasmGzipBase64), (char) => char.charCodeAt(0));
const bytes = await new Response(new Blob([gzipped]).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer();
await init({ module_or_path: bytes });

export { TokensClient, isWellFormedSecret };
export { TokensApiError, TokensNetworkError, TokensTimeoutError } from "__ERRORS_MODULE__";
