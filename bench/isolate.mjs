// `node bench/isolate.mjs`: the Worker's own CPU cost per `GET /api/v3/token`,
// next to the JavaScript peer's, with HTTP and storage taken out. Both run in
// one workerd isolate (bench/workers/isolate-harness.mjs) over an in-memory KV
// that answers at once; each sample is N requests in a row, timed from
// outside, with and without the one-line log. With --profile it also records
// a V8 CPU profile of our Worker and prints where the time goes, by kind
// (wasm, wasm-bindgen glue, runtime built-ins) and by function.
//
// Options: --build DIR (default build/), --requests N (per sample, 5000),
// --rounds N (7), --profile, --profile-out FILE (default: a .cpuprofile in
// the temp dir), --profile-worker edge-tokens|js-peer (whose profile, ours by
// default), --profile-log (profile with the log line on), --json (print only
// a JSON summary, for bench/run.mjs).
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { Miniflare } from "miniflare";
import { runtimeCpuMs } from "./cpu.mjs";
import { workerdStdoutToFile } from "./stdout.mjs";
import { cpuProfile, report, summarize } from "./profiler.mjs";

const root = new URL("../", import.meta.url).pathname;
const { values: args } = parseArgs({
  options: {
    build: { type: "string" },
    requests: { type: "string" },
    rounds: { type: "string" },
    profile: { type: "boolean", default: false },
    "profile-out": { type: "string" },
    "profile-worker": { type: "string", default: "edge-tokens" },
    "profile-log": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
  },
});
const wantsProfile = args.profile;
const profileFile = args["profile-out"] ?? join(os.tmpdir(), "edge-tokens-get-token.cpuprofile");
const BUILD = args.build ? resolve(args.build) : join(root, "build");
const REQUESTS = Number(args.requests ?? 5000);
const ROUNDS = Number(args.rounds ?? 7);
const ADMIN_TOKEN = "bench-admin-token-0123456789abcdefghijklmnop";
const compatibilityDate = readFileSync(join(root, "wrangler.toml"), "utf8").match(/^compatibility_date = "([^"]+)"/m)[1];

const dir = mkdtempSync(join(os.tmpdir(), "edge-tokens-isolate-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
copyFileSync(join(BUILD, "index.js"), join(dir, "index.js"));
copyFileSync(join(BUILD, "index_bg.wasm"), join(dir, "index_bg.wasm"));
copyFileSync(join(root, "bench/workers/js-peer.mjs"), join(dir, "js-peer.mjs"));
copyFileSync(join(root, "bench/workers/isolate-harness.mjs"), join(dir, "harness.mjs"));

// The log lines go to a file (bench/stdout.mjs), dropped: a socket read here woke this process per line.
const runtimeStdout = workerdStdoutToFile(dir, () => {});

const wasmRules = [{ type: "CompiledWasm", include: ["**/*.wasm"] }];
const mf = new Miniflare({
  host: "127.0.0.1",
  port: 0,
  inspectorPort: wantsProfile ? 0 : undefined,
  handleRuntimeStdio(stdout, stderr) {
    stdout.resume();
    stderr.pipe(process.stderr);
  },
  workers: [
    {
      name: "harness",
      modules: true,
      scriptPath: join(dir, "harness.mjs"),
      modulesRoot: dir,
      modulesRules: [...wasmRules, { type: "ESModule", include: ["**/*.js", "**/*.mjs"] }],
      compatibilityDate,
      bindings: { API_TOKEN: ADMIN_TOKEN },
    },
    {
      // The real Worker, only to issue the token whose record the harness serves.
      name: "edge-tokens",
      modules: true,
      scriptPath: join(dir, "index.js"),
      modulesRoot: dir,
      modulesRules: wasmRules,
      compatibilityDate,
      kvNamespaces: ["TOKENS"],
      durableObjects: { TOKEN_TREES: { className: "TokenTree", useSQLite: true } },
      bindings: { API_TOKEN: ADMIN_TOKEN, ALLOWED_ORIGINS: "*" },
      unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
    },
  ],
});

try {
  const harness = await mf.ready;
  const worker = (await mf.unsafeGetDirectURL("edge-tokens")).origin;
  const created = await fetch(`${worker}/api/v3/tokens`, {
    method: "POST",
    headers: { "x-auth-token": ADMIN_TOKEN, "content-type": "application/json" },
    body: JSON.stringify({ description: "benchmark token", lifetime: 86_400, capabilities: [{ endpoint: "tokensGetToken" }, { endpoint: "tokensDelete" }] }),
  }).then((r) => r.json());
  const key = `t:${createHash("sha256").update(`edge-tokens/v1/secret\0${created.token}`).digest("hex")}`;
  const record = await (await mf.getKVNamespace("TOKENS", "edge-tokens")).get(key);
  const body = JSON.stringify({ secret: created.token, key, record });

  /**
   * Runs `count` requests through `worker` in the harness; microseconds of
   * workerd CPU per request (of wall time where /proc is missing).
   */
  const sample = async (name, log, count = REQUESTS) => {
    const cpuBefore = runtimeCpuMs();
    const started = performance.now();
    const response = await fetch(`${harness}?worker=${name}&log=${log ? 1 : 0}&n=${count}`, { method: "POST", body });
    const text = await response.text();
    const wallMs = performance.now() - started;
    const cpuAfter = runtimeCpuMs();
    if (response.status !== 200) throw new Error(`${name}: ${text}`);
    const ms = cpuBefore === null || cpuAfter === null ? wallMs : cpuAfter - cpuBefore;
    return (ms * 1000) / count;
  };

  // "log-only": our Worker's log line written again and again with nothing between (the harness's
  // logOnly), to set the runtime's cost of a line apart from what it costs in the request loop.
  const cases = [["edge-tokens", true], ["edge-tokens", false], ["js-peer", true], ["js-peer", false], ["log-only", true]];
  for (const [name, log] of cases) await sample(name, log, 500); // compile, tier up
  const results = new Map(cases.map((c) => [c.join(), []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, log] of round % 2 ? [...cases].reverse() : cases) results.get([name, log].join()).push(await sample(name, log));
  }
  const summary = {};
  const tenth = (x) => Math.round(x * 10) / 10;
  for (const [name, log] of cases) {
    const values = [...results.get([name, log].join())].sort((a, b) => a - b);
    const key = name === "log-only" ? "log_line_alone" : `${name.replace("-", "_")}_${log ? "with_log" : "without_log"}`;
    summary[key] = {
      median_us: tenth(values[values.length >> 1]),
      min_us: tenth(values[0]),
      max_us: tenth(values.at(-1)),
    };
  }
  // Ours over the peer's, sample by sample (the two ran back to back in each round): its spread
  // tells a difference from noise.
  const ratios = {};
  for (const log of [true, false]) {
    const ours = results.get(["edge-tokens", log].join());
    const peers = results.get(["js-peer", log].join());
    // A sample too short for the CPU clock's 10 ms ticks reads 0 µs (a smoke run's): no ratio.
    const each = ours.map((us, i) => us / peers[i]).filter(Number.isFinite).sort((a, b) => a - b);
    const hundredth = (x) => Math.round(x * 100) / 100;
    ratios[log ? "with_log" : "without_log"] = each.length === 0
      ? null
      : { median: hundredth(each[each.length >> 1]), min: hundredth(each[0]), max: hundredth(each.at(-1)) };
  }
  if (args.json) {
    console.log(JSON.stringify({ requests: REQUESTS, rounds: ROUNDS, ...summary, edge_tokens_vs_js_peer: ratios }));
  } else {
    console.log(`isolate: µs per GET /api/v3/token inside the isolate (in-memory KV), ${ROUNDS} samples of ${REQUESTS}:`);
    for (const [key, { median_us, min_us, max_us }] of Object.entries(summary)) {
      console.log(`isolate: ${key.padEnd(28)} median ${median_us.toFixed(1).padStart(6)}  range ${min_us.toFixed(1)}–${max_us.toFixed(1)}`);
    }
    for (const [key, ratio] of Object.entries(ratios)) {
      if (ratio === null) continue;
      const { median, min, max } = ratio;
      console.log(`isolate: edge-tokens / JS peer ${key.padEnd(12)} ${median.toFixed(2)}× (${min.toFixed(2)}–${max.toFixed(2)} sample by sample)`);
    }
  }

  if (wantsProfile) {
    const profile = await cpuProfile(mf, "harness", () => sample(args["profile-worker"], args["profile-log"], REQUESTS * 2));
    writeFileSync(profileFile, JSON.stringify(profile));
    report(summarize(profile), "isolate:");
    console.log(`isolate: profile written to ${profileFile} (open it in Chrome DevTools, Performance tab)`);
  }
} finally {
  await mf.dispose();
  runtimeStdout.stop();
}
