// Test-only entry module: the real Worker (build/index.js), constructed and
// called as workerd does, except that a request with the header
// `x-test-trap` makes one of the wasm's calls into JavaScript throw a
// WebAssembly.RuntimeError: its first (reading the request's headers), or
// with `x-test-trap: late` its log line, which comes once the KV read has
// been awaited and the handler's task resumed from the read's callback
// (src/server/task.rs). That unwinds the wasm in the middle of a request, as
// a trap does (a panic, under panic = "abort", is one): the Worker has no
// input that makes it trap, by design. Every answer carries
// `x-test-instance`, the glue's count of wasm instances started, so a test
// can see a fresh one. Never deployed.
import Entry, { TokenTree } from "./index.js";

export { TokenTree };

export default {
  async fetch(request, env, ctx) {
    const worker = new Entry(ctx, env);
    const when = request.headers.get("x-test-trap");
    const answer = await (when === "late" ? trappingLog(() => worker.fetch(request)) : worker.fetch(when === null ? request : trapping(request)));
    const counted = new Response(answer.body, answer);
    counted.headers.set("x-test-instance", String(globalThis.__worker_init_state.instanceId));
    return counted;
  },
};

function trap() {
  throw new WebAssembly.RuntimeError("unreachable (a trap made by tests/e2e/trap-shim.mjs)");
}

/** `call`'s answer, while console.log throws a trap's error (the tests here run one at a time). */
async function trappingLog(call) {
  const log = console.log;
  console.log = trap;
  try {
    return await call();
  } finally {
    console.log = log;
  }
}

/** `request`, whose headers throw a trap's error when the Worker reads them. */
function trapping(request) {
  return Object.defineProperty(new Request(request), "headers", { value: { get: trap, has: trap, [Symbol.iterator]: trap } });
}
