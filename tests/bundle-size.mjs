// Proves the deployable bundle builds (`wrangler deploy --dry-run`, no
// Cloudflare account needed), prints its size, raw and gzip, and holds the
// two wasm modules to their gzip budgets (issue 23): the Worker's 400 KiB,
// which its build trades for speed (opt-level 3), and the client's 60 KiB,
// which every page that loads it pays (pkg/, from `sh .ci/build`).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import assert from "node:assert/strict";

const WORKER_WASM_GZIP_BUDGET = 400 * 1024;
const CLIENT_WASM_GZIP_BUDGET = 60 * 1024;
const clientWasm = new URL("../pkg/web/edge_tokens_bg.wasm", import.meta.url);

const outdir = mkdtempSync(join(tmpdir(), "edge-tokens-bundle-"));
try {
  execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", outdir], { stdio: ["ignore", "inherit", "inherit"] });
  const files = readdirSync(outdir).filter((name) => /\.(js|mjs|wasm)$/.test(name));
  const wasm = files.filter((name) => name.endsWith(".wasm"));
  assert.equal(wasm.length, 1, `one wasm module in the bundle, got ${files.join(", ")}`);
  let raw = 0;
  let gzip = 0;
  for (const name of files) {
    const bytes = readFileSync(join(outdir, name));
    const zipped = gzipSync(bytes, { level: 9 }).length;
    raw += bytes.length;
    gzip += zipped;
    console.log(`bundle: ${name.padEnd(40)} ${kib(bytes.length)} raw, ${kib(zipped)} gzip`);
  }
  console.log(`bundle: total${" ".repeat(36)}${kib(raw)} raw, ${kib(gzip)} gzip`);
  const workerGzip = gzipSync(readFileSync(join(outdir, wasm[0])), { level: 9 }).length;
  assert.ok(workerGzip <= WORKER_WASM_GZIP_BUDGET, `the Worker's wasm is ${kib(workerGzip)} gzip, over its ${kib(WORKER_WASM_GZIP_BUDGET)}`);
  const client = readFileSync(clientWasm);
  const clientGzip = gzipSync(client, { level: 9 }).length;
  console.log(`bundle: client wasm (pkg/)${" ".repeat(23)}${kib(client.length)} raw, ${kib(clientGzip)} gzip`);
  assert.ok(clientGzip <= CLIENT_WASM_GZIP_BUDGET, `the client's wasm is ${kib(clientGzip)} gzip, over its ${kib(CLIENT_WASM_GZIP_BUDGET)}`);
  console.log("bundle: 3 passed, 0 failed");
} finally {
  rmSync(outdir, { recursive: true, force: true });
}

function kib(bytes) {
  return `${(bytes / 1024).toFixed(1)} KiB`.padStart(10);
}
