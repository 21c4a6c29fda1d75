// Runs `GET /api/v3/token` many times in a row through a Worker's fetch
// handler, inside workerd, over an in-memory KV that answers at once: what is
// left is the Worker's own work per request (its code, the wasm/JavaScript
// glue, the runtime's Request/Response objects), without HTTP or storage.
// Used by bench/isolate.mjs; `index.js` is a copy of the built Worker.
import EdgeTokens from "./index.js";
import peer from "./js-peer.mjs";

/** Just enough of a KV namespace for `GET /api/v3/token` (the put: a token's last use, noted once a minute). */
class KvNamespace {
  constructor(entries) {
    this.entries = entries;
  }
  async get(key, options) {
    const type = typeof options === "string" ? options : (options?.type ?? "text");
    if (Array.isArray(key)) return new Map(key.map((one) => [one, this.entries.get(one) ?? null]));
    const value = this.entries.get(key);
    if (value === undefined) return null;
    return type === "json" ? JSON.parse(value) : value;
  }
  async put(key, value) {
    this.entries.set(key, value);
  }
}

const consoleLog = console.log;

/** Our Worker's fetch handler over `workerEnv`. */
function edgeTokens(workerEnv, ctx) {
  // An entrypoint class (what worker-build emits): the runtime makes one per request.
  if (typeof EdgeTokens === "function") return (r) => new EdgeTokens(ctx, workerEnv).fetch(r);
  return (r) => EdgeTokens.fetch(r, workerEnv, ctx);
}

/**
 * The log line alone: the line our Worker writes for a `GET`, written
 * `count` times in a row with nothing between, so that the runtime's cost of
 * a line is seen apart from what the line adds to a request in the loop.
 */
async function logOnly(count, secret, workerEnv, ctx) {
  let line;
  console.log = (text) => (line = text);
  try {
    await edgeTokens(workerEnv, ctx)(new Request("http://bench/api/v3/token", { headers: { "x-auth-token": secret } }));
  } finally {
    console.log = consoleLog;
  }
  if (typeof line !== "string") return new Response("no log line", { status: 500 });
  for (let i = 0; i < count; i++) consoleLog(line);
  return new Response(line);
}

export default {
  async fetch(request, env, ctx) {
    const params = new URL(request.url).searchParams;
    const count = Number(params.get("n") ?? 1000);
    const { secret, key, record } = await request.json();
    const workerEnv = { TOKENS: new KvNamespace(new Map([[key, record]])), API_TOKEN: env.API_TOKEN, ALLOWED_ORIGINS: "*" };
    let handle;
    if (params.get("worker") === "log-only") return logOnly(count, secret, workerEnv, ctx);
    if (params.get("worker") === "edge-tokens") handle = edgeTokens(workerEnv, ctx);
    else handle = (r) => peer.fetch(r, workerEnv, ctx);
    // With log=0 the Workers' one-line logs are dropped before they reach the runtime.
    if (params.get("log") === "0") console.log = () => {};
    try {
      let text = "";
      for (let i = 0; i < count; i++) {
        const response = await handle(new Request("http://bench/api/v3/token", { headers: { "x-auth-token": secret } }));
        text = await response.text();
        if (response.status !== 200) return new Response(`${response.status} ${text}`, { status: 500 });
      }
      return new Response(text);
    } finally {
      console.log = consoleLog;
    }
  },
};
