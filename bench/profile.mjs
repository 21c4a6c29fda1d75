// `node bench/profile.mjs`: where the Worker's isolate spends its time under
// load, for one hot path. Runs the release Worker (the gateway on, pointed at
// the stand-in node) in workerd, keeps 32 requests in flight on the chosen
// path as bench/run.mjs does, and records a V8 CPU profile of the Worker's
// isolate (its Durable Objects run there too), or with --peer of the
// JavaScript peer's or proxy's. Prints busy time by kind (our wasm, the glue,
// the runtime's built-ins, "(program)": the runtime's own C++, which here
// includes Miniflare's local KV and SQLite) and by function.
//
// Options: --path get_token|get_token_limited|gateway|gateway_limited (default
// get_token), --peer (profile the JavaScript counterpart instead: the peer of
// GET /api/v3/token, or the JavaScript proxy for a gateway path), --build DIR
// (default build/), --seconds N (5), --concurrency N (32), --profile-out FILE
// (a .cpuprofile for DevTools), --json (print only a JSON summary).
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { Miniflare } from "miniflare";
import { Target } from "./loadgen.mjs";
import { cpuProfile, report, summarize } from "./profiler.mjs";

const root = new URL("../", import.meta.url).pathname;
const { values: args } = parseArgs({
  options: {
    path: { type: "string", default: "get_token" },
    peer: { type: "boolean", default: false },
    build: { type: "string" },
    seconds: { type: "string", default: "5" },
    concurrency: { type: "string", default: "32" },
    "profile-out": { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const PATHS = ["get_token", "get_token_limited", "gateway", "gateway_limited"];
if (!PATHS.includes(args.path)) throw new Error(`--path must be one of ${PATHS.join(", ")}`);
const gatewayPath = args.path.startsWith("gateway");
const limitedPath = args.path.endsWith("limited");
if (args.peer && args.path === "gateway_limited") throw new Error("the JavaScript proxy has no limited path: profile --path gateway --peer");
const ADMIN_TOKEN = "bench-admin-token-0123456789abcdefghijklmnop";
const NODE_TOKEN = "bench-node-token";
const BUILD = args.build ? resolve(args.build) : join(root, "build");
const compatibilityDate = readFileSync(join(root, "wrangler.toml"), "utf8").match(/^compatibility_date = "([^"]+)"/m)[1];

const dir = mkdtempSync(join(os.tmpdir(), "edge-tokens-profile-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
for (const name of readdirSync(BUILD).filter((name) => /\.(m?js|wasm)$/.test(name))) copyFileSync(join(BUILD, name), join(dir, name));

const direct = { unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] };
const bench = (name, file, extra) => ({ name, modules: true, scriptPath: join(root, "bench/workers", file), modulesRoot: join(root, "bench/workers"), compatibilityDate, ...direct, ...extra });
const options = (nodeUrl) => ({
  host: "127.0.0.1",
  port: 0,
  inspectorPort: 0,
  handleRuntimeStdio(stdout, stderr) {
    stdout.resume();
    stderr.pipe(process.stderr);
  },
  workers: [
    {
      name: "edge-tokens",
      modules: true,
      scriptPath: join(dir, "index.js"),
      modulesRoot: dir,
      modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
      compatibilityDate,
      kvNamespaces: { TOKENS: "tokens" },
      durableObjects: { TOKEN_TREES: { className: "TokenTree", useSQLite: true } },
      ratelimits: { SIGNIN_LIMITER: { simple: { limit: 1_000_000_000, period: 60 } } },
      bindings: { API_TOKEN: ADMIN_TOKEN, ALLOWED_ORIGINS: "*", ORIGIN_URL: nodeUrl, ORIGIN_TOKEN: NODE_TOKEN },
      ...direct,
    },
    bench("js-peer", "js-peer.mjs", {
      kvNamespaces: { TOKENS: "tokens" },
      durableObjects: { PEER_TREES: { className: "PeerTree", useSQLite: true } },
      bindings: { API_TOKEN: ADMIN_TOKEN, ALLOWED_ORIGINS: "*" },
    }),
    bench("js-proxy", "js-proxy.mjs", { kvNamespaces: { TOKENS: "tokens" }, bindings: { NODE_URL: nodeUrl, NODE_TOKEN } }),
    bench("stand-in-node", "stand-in-node.mjs", { bindings: { NODE_TOKEN } }),
  ],
});

const mf = new Miniflare(options("http://127.0.0.1:9"));
try {
  await mf.ready;
  const nodeUrl = (await mf.unsafeGetDirectURL("stand-in-node")).origin;
  await mf.setOptions(options(nodeUrl));
  const ours = (await mf.unsafeGetDirectURL("edge-tokens")).origin;
  const profiled = args.peer ? (gatewayPath ? "js-proxy" : "js-peer") : "edge-tokens";
  const url = (await mf.unsafeGetDirectURL(profiled)).origin;

  const endpoint = gatewayPath ? "nodeGetInfo" : "tokensGetToken";
  const limits = limitedPath ? [{ type: "calls", conditions: { max: Number.MAX_SAFE_INTEGER } }] : undefined;
  const created = await fetch(`${ours}/api/v3/tokens`, {
    method: "POST",
    headers: { "x-auth-token": ADMIN_TOKEN, "content-type": "application/json" },
    body: JSON.stringify({ description: "profiled token", lifetime: 86_400, capabilities: [{ endpoint, limits }] }),
  }).then((r) => r.json());
  if (profiled === "js-proxy") {
    const kv = await mf.getKVNamespace("TOKENS", "edge-tokens");
    const key = `t:${createHash("sha256").update(`edge-tokens/v1/secret\0${created.token}`).digest("hex")}`;
    await kv.put("bench:proxy", await kv.get(key));
  }
  const call = { method: "GET", path: gatewayPath ? "/api/v4/node/info" : "/api/v3/token", headers: { "x-auth-token": created.token } };
  const target = new Target(url, Number(args.concurrency));
  const load = async (ms) => {
    const tally = await target.run({ next: () => call, expect: (status) => status === 200, durationMs: ms });
    if (tally.errors > 0) throw new Error(`${args.path}: ${tally.failures.join("; ")}`);
    return tally.latencies.length;
  };
  try {
    await load(2000); // compiled, tiered up, connections open
    let requests = 0;
    const profile = await cpuProfile(mf, profiled, async () => {
      requests = await load(Number(args.seconds) * 1000);
    }, 100);
    if (args["profile-out"]) writeFileSync(args["profile-out"], JSON.stringify(profile));
    const summary = { path: args.path, worker: profiled, requests, ...summarize(profile, 30) };
    if (args.json) console.log(JSON.stringify(summary));
    else report(summary, `profile (${profiled}, ${args.path}, ${requests} requests):`);
  } finally {
    target.close();
  }
} finally {
  await mf.dispose();
}
