// Test-only entry module: the real Worker (build/index.js), constructed and
// called as workerd does, except that a request with the header
// `x-test-trap` makes the wasm's first call back into JavaScript (reading
// the request's headers) throw a WebAssembly.RuntimeError. That unwinds the
// wasm in the middle of a request, as a trap does (a panic, under
// panic = "abort", is one): the Worker has no input that makes it trap, by
// design. Every answer carries `x-test-instance`, the glue's count of wasm
// instances started, so a test can see a fresh one. Never deployed.
import Entry, { TokenTree } from "./index.js";

export { TokenTree };

export default {
  async fetch(request, env, ctx) {
    const worker = new Entry(ctx, env);
    const answer = await worker.fetch(request.headers.has("x-test-trap") ? trapping(request) : request);
    const counted = new Response(answer.body, answer);
    counted.headers.set("x-test-instance", String(globalThis.__worker_init_state.instanceId));
    return counted;
  },
};

/** `request`, whose headers throw a trap's error when the Worker reads them. */
function trapping(request) {
  const trap = () => {
    throw new WebAssembly.RuntimeError("unreachable (a trap made by tests/e2e/trap-shim.mjs)");
  };
  return Object.defineProperty(new Request(request), "headers", { value: { get: trap, has: trap, [Symbol.iterator]: trap } });
}
