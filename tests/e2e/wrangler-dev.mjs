// Runs the project the `npm start` way: `wrangler dev` with the Worker, its
// static assets, local KV and Durable Objects on a state directory of its
// own, on free ports, for the tests that need the whole local runtime.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("../../", import.meta.url).pathname;
// How long `wrangler dev` may take to answer: its first start on a cold
// machine sets up workerd.
export const READY_WITHIN_MS = 300_000;
// A path only the Worker answers: it is ready when this answers 200.
const READY_PATH = "/api/v3/openapi.json";

/**
 * Starts `wrangler dev` with `vars` (name → value, passed with `--var`) and
 * waits until the Worker answers. Gives its `origin`, its last output,
 * whether it is still running, and `stop()`, which also removes its state.
 * @param {Record<string, string>} vars
 */
export async function startWranglerDev(vars) {
  const stateDir = mkdtempSync(join(tmpdir(), "edge-tokens-wrangler-"));
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const varArgs = Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]);
  const wrangler = spawn("npx", ["wrangler", "dev", "--ip", "127.0.0.1", "--port", String(port),
    "--inspector-port", String(await freePort()), "--persist-to", stateDir, ...varArgs], {
    cwd: root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  let output = "";
  const keep = (chunk) => { output = (output + chunk).slice(-20_000); };
  wrangler.stdout.on("data", keep);
  wrangler.stderr.on("data", keep);
  const running = () => wrangler.exitCode === null && wrangler.signalCode === null;
  const stop = () => {
    if (running()) {
      try {
        process.kill(-wrangler.pid, "SIGTERM");
      } catch {
        // Already gone.
      }
    }
    rmSync(stateDir, { recursive: true, force: true });
  };
  // Even if the run is cut short, never leave a Worker behind.
  process.on("exit", stop);
  try {
    await waitUntilReady(origin, running, () => output);
  } catch (error) {
    stop();
    throw error;
  }
  return { origin, output: () => output, running, stop };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilReady(origin, running, output) {
  const deadline = Date.now() + READY_WITHIN_MS;
  while (Date.now() < deadline) {
    if (!running()) throw new Error(`wrangler dev exited:\n${output()}`);
    try {
      const response = await fetch(`${origin}${READY_PATH}`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`wrangler dev was not ready within ${READY_WITHIN_MS / 1000} s:\n${output()}`);
}
