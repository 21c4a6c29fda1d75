// Runs the built Worker (build/index.js) in workerd through Miniflare, with
// its own KV namespace and SQLite-backed Durable Objects (in memory, or on
// disk for a runtime that restarts), and collects what it logs.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { startStandInNode, NODE_TOKEN } from "./stand-in-node.mjs";

export const ADMIN_TOKEN = "e2e-admin-token-0123456789abcdefghijklmnop";

const root = new URL("../../", import.meta.url);

/** Every secret a test has been given, so that each Worker can be checked for leaks when it stops. */
const secretsSeen = new Set([ADMIN_TOKEN]);
const wranglerToml = readFileSync(new URL("wrangler.toml", root), "utf8");
const compatibilityDate = wranglerToml.match(/^compatibility_date = "([^"]+)"/m)[1];

/**
 * Starts the recording stand-in node and the Worker in front of it as the
 * gateway, with `bindings` added to the Worker's (on disk with `persist`,
 * so that `worker.restart()` works). Gives a `call` and a `raw`
 * client of the Worker, and `tokenFor(capability)`: a token holding only
 * that capability, made by the admin on first use and reused. `close()`
 * stops both.
 * @param {Record<string, string>} [bindings]
 */
export async function startGateway(bindings = {}, { persist = false } = {}) {
  const node = await startStandInNode();
  const worker = await startWorker({ bindings: { API_TOKEN: ADMIN_TOKEN, ORIGIN_URL: node.url, ORIGIN_TOKEN: NODE_TOKEN, ...bindings }, persist });
  const close = async () => {
    await worker.close();
    await node.close();
  };
  const call = client(worker.url);
  return { node, worker, call, raw: rawClient(worker.url), tokenFor: tokenPerCapability(call), close };
}

function tokenPerCapability(call) {
  const tokens = new Map();
  return async (capability) => {
    if (!tokens.has(capability)) {
      const created = await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: caps(capability) } });
      assert.equal(created.status, 201, created.text);
      tokens.set(capability, created.body.token);
    }
    return tokens.get(capability);
  };
}

/**
 * Sends one request with exactly this target and these headers (fetch would
 * normalise the target, and refuse or rewrite some headers); resolves to
 * `{ status, headers, text }`, also for an upgrade, whose socket it closes.
 */
export function rawClient(url) {
  const { hostname, port } = new URL(url);
  return (method, target, headers = {}, body = undefined) => new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, method, path: target, headers }, (res) => {
      let text = "";
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode, headers: res.headers, text: "" });
    });
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * Starts the Worker. Options drop bindings to test misconfiguration, and set
 * how many failed sign-ins a client address may make per minute (high by
 * default, so that tests of wrong credentials are not throttled).
 * `entry` replaces the main module (a test shim that imports build/index.js).
 * `persist` keeps KV and the Durable Objects on disk, so that `restart()`
 * can stop the runtime and start a new one on the same storage and port:
 * what a crash, a deploy or an evicted object leaves of the service.
 * @param {{ bindings?: Record<string, string>, kv?: boolean, durableObjects?: boolean, failedSignInLimit?: number, entry?: string, persist?: boolean }} [options]
 */
export async function startWorker({
  bindings = { API_TOKEN: ADMIN_TOKEN, ALLOWED_ORIGINS: "*" },
  kv = true,
  durableObjects = true,
  failedSignInLimit = 10_000,
  entry,
  persist = false,
} = {}) {
  const logs = [];
  const collect = (stream) => stream.on("data", (chunk) => logs.push(...String(chunk).split("\n").filter(Boolean)));
  const state = persist ? mkdtempSync(join(tmpdir(), "edge-tokens-state-")) : undefined;
  const options = (port) => ({
    modules: true,
    ...(entry ? shimModules(entry) : { scriptPath: new URL("build/index.js", root).pathname }),
    modulesRoot: new URL("build/", root).pathname,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate,
    kvNamespaces: kv ? ["TOKENS"] : [],
    durableObjects: durableObjects ? { TOKEN_TREES: { className: "TokenTree", useSQLite: true } } : {},
    ratelimits: { SIGNIN_LIMITER: { simple: { limit: failedSignInLimit, period: 60 } } },
    ...(state ? { kvPersist: join(state, "kv"), durableObjectsPersist: join(state, "do") } : {}),
    bindings,
    host: "127.0.0.1",
    port,
    handleRuntimeStdio(stdout, stderr) {
      collect(stdout);
      collect(stderr);
    },
  });
  let mf = new Miniflare(options(0));
  const url = (await mf.ready).origin;
  return {
    url,
    get mf() {
      return mf;
    },
    logs,
    /** Stops the runtime and starts a new one on the same storage and port: nothing stays in memory. */
    async restart() {
      assert.ok(state, "restart() needs a Worker started with persist: true");
      await mf.dispose();
      mf = new Miniflare(options(Number(new URL(url).port)));
      await mf.ready;
    },
    /** Every value stored in the KV namespace, keys included. */
    async storedText() {
      const namespace = await mf.getKVNamespace("TOKENS");
      const { keys } = await namespace.list();
      const values = await Promise.all(keys.map((key) => namespace.get(key.name)));
      return keys.map((key) => key.name).concat(values).join("\n");
    },
    /** Stops the Worker, after checking that no secret reached its logs or its storage. */
    async close() {
      try {
        const stored = await this.storedText().catch(() => "");
        const logged = logs.join("\n");
        for (const secret of secretsSeen) {
          const body = secret.startsWith("etk_") ? secret.slice(4) : secret;
          if (logged.includes(body)) throw new Error("a secret reached the Worker's logs");
          if (stored.includes(body)) throw new Error("a secret is stored in clear in KV");
        }
      } finally {
        await mf.dispose();
        if (state) rmSync(state, { recursive: true, force: true });
      }
    },
  };
}

/** Miniflare modules for a test shim placed beside the built Worker. */
function shimModules(entry) {
  const build = new URL("build/", root).pathname;
  return {
    modules: [
      { type: "ESModule", path: `${build}${entry.split("/").pop()}`, contents: readFileSync(entry, "utf8") },
      { type: "ESModule", path: `${build}index.js` },
      { type: "CompiledWasm", path: `${build}index_bg.wasm` },
    ],
  };
}

/**
 * Runs `body` against a Worker started with `options`, then stops it.
 * @param {Parameters<typeof startWorker>[0]} options
 * @param {(call: ReturnType<typeof client>, worker: Awaited<ReturnType<typeof startWorker>>) => Promise<void>} body
 */
export async function withWorker(options, body) {
  const worker = await startWorker(options);
  try {
    await body(client(worker.url), worker);
  } catch (error) {
    throw withRuntimeOutput(error, worker.logs);
  } finally {
    await worker.close();
  }
}

/** `error`, with the last lines the runtime wrote that are not log lines of requests: often why. */
export function withRuntimeOutput(error, logs) {
  const output = logs.filter((line) => !line.startsWith("{")).slice(-30);
  if (output.length > 0 && error instanceof Error) error.message += `\n-- runtime output (last ${output.length} lines):\n${output.join("\n")}`;
  return error;
}

/**
 * True when fetch failed on a pooled connection that the runtime had closed:
 * workerd closes a keep-alive connection after 5 s idle, and fetch keeps one
 * for 4 s, so a loaded machine's late timer can send a request on a closed
 * connection, which the runtime never read. Sending it again on a new one is
 * what a browser does too.
 */
function closedWhileIdle(error) {
  return ["UND_ERR_SOCKET", "ECONNRESET"].includes(error?.cause?.code);
}

/** A small fetch wrapper: JSON in, `{ status, headers, body }` out. */
export function client(url) {
  return async function call(method, path, { token, headers = {}, body, raw } = {}) {
    const init = { method, headers: { ...headers } };
    if (token !== undefined) init.headers["x-auth-token"] = token;
    if (raw !== undefined) init.body = raw;
    else if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["content-type"] = "application/json";
    }
    const response = await fetch(url + path, init)
      .catch((error) => (closedWhileIdle(error) ? fetch(url + path, init) : Promise.reject(error)))
      .catch((error) => {
        // fetch says only "fetch failed": the cause (a refused or closed connection) is the news.
        throw new Error(`${method} ${path}: ${error.message}: ${error.cause?.code ?? ""} ${error.cause?.message ?? error.cause ?? ""}`, { cause: error });
      });
    const text = await response.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (typeof json?.token === "string") secretsSeen.add(json.token);
    return { status: response.status, headers: response.headers, text, body: json };
  };
}

/** Capabilities without limits. */
export const caps = (...endpoints) => endpoints.map((endpoint) => ({ endpoint }));

/** One capability with a calls limit. */
export const limited = (endpoint, max) => ({ endpoint, limits: [{ type: "calls", conditions: { max } }] });
