// Proves the deployable bundle builds (`wrangler deploy --dry-run`, no
// Cloudflare account needed) and prints its size, raw and gzip.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import assert from "node:assert/strict";

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
  console.log("bundle: 1 passed, 0 failed");
} finally {
  rmSync(outdir, { recursive: true, force: true });
}

function kib(bytes) {
  return `${(bytes / 1024).toFixed(1)} KiB`.padStart(10);
}
