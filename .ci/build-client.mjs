// Builds the npm package `edge-tokens` into pkg/: the `client` feature for
// wasm32, wasm-bindgen (web target), wasm-opt, the wasm inlined for browsers
// and bundlers, the package's TypeScript declarations (the client's, with
// the wire types generated from the OpenAPI document that build.rs derived),
// and the package files from src/client/package/. Copies it into
// www/vendor/edge-tokens/ for the console.
import { execFileSync } from "node:child_process";
import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { wireDeclarations } from "./typescript.mjs";

const root = new URL("..", import.meta.url).pathname;
const pkg = join(root, "pkg");
const web = join(pkg, "web");
const targetDir = join(root, "target", "client");
const run = (command, args) => execFileSync(command, args, { cwd: root, stdio: "inherit" });

// Cargo's JSON messages name the build script's output directory, where
// build.rs wrote the OpenAPI document.
const messages = execFileSync(
  "cargo",
  ["build", "--release", "--target", "wasm32-unknown-unknown", "--features", "client", "--target-dir", targetDir,
    "--message-format", "json-render-diagnostics"],
  { cwd: root, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
);
const outDir = messages
  .split("\n")
  .filter((line) => line.startsWith("{"))
  .map((line) => JSON.parse(line))
  .find((message) => message.reason === "build-script-executed" && /[/#]edge-tokens[@#]/.test(message.package_id))?.out_dir;
if (!outDir) throw new Error("cargo did not say where build.rs wrote the OpenAPI document");
const openapi = JSON.parse(readFileSync(join(outDir, "openapi.json"), "utf8"));
rmSync(pkg, { recursive: true, force: true });
run("wasm-bindgen", [
  "--target", "web",
  "--out-dir", web,
  join(targetDir, "wasm32-unknown-unknown", "release", "edge_tokens.wasm"),
]);
const declarations = `${clientDeclarations()}\n${await wireDeclarations(openapi)}`;
dropGlueFallback(join(web, "edge_tokens.js"));
const wasm = join(web, "edge_tokens_bg.wasm");
const features = ["bulk-memory", "reference-types", "nontrapping-float-to-int", "sign-ext", "mutable-globals", "multivalue", "exception-handling"];
run(join(root, "node_modules", ".bin", "wasm-opt"), ["-Oz", "--strip-debug", "--strip-producers", ...features.map((f) => `--enable-${f}`), wasm, "-o", wasm]);
// index.js instantiates the wasm from this string, so that no bundler has to
// emit the file and no app has to copy it. gzip inside base64 costs on the
// wire what the file costs gzipped (base64 of the raw bytes would cost a
// quarter more), and every browser, Node.js, Deno and Bun can undo it with
// DecompressionStream.
const inlined = gzipSync(readFileSync(wasm), { level: 9 }).toString("base64");
writeFileSync(join(web, "wasm-gzip-base64.js"),
  `// The client's wasm module, gzip-compressed and base64-encoded (written by .ci/build-client.mjs).\nexport const wasmGzipBase64 = "${inlined}";\n`);

// The error classes must be the very module the glue imports, or
// `instanceof` would fail: re-export them from the snippet wasm-bindgen wrote.
const errorsModule = "./" + relative(pkg, findFile(join(web, "snippets"), "errors.js"));
const version = readFileSync(join(root, "Cargo.toml"), "utf8").match(/^version = "([^"]+)"/m)[1];
const template = join(root, "src", "client", "package");
for (const name of readdirSync(template)) {
  const text = readFileSync(join(template, name), "utf8");
  const filled = text.replaceAll("__ERRORS_MODULE__", errorsModule).replaceAll("__VERSION__", version);
  writeFileSync(join(pkg, name), filled.replace("__DECLARATIONS__\n", () => declarations));
}
// npm packs a LICENSE file found at the package's root.
cpSync(join(root, "LICENSE"), join(pkg, "LICENSE"));
rmSync(join(web, ".gitignore"), { force: true });
// The console (www/) loads the package like any web app would.
const vendored = join(root, "www", "vendor", "edge-tokens");
rmSync(vendored, { recursive: true, force: true });
cpSync(pkg, vendored, { recursive: true });

const bytes = readFileSync(wasm);
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const inlinedGzip = gzipSync(readFileSync(join(web, "wasm-gzip-base64.js")), { level: 9 }).length;
console.log(`client: built ${relative(root, pkg)}/ (edge-tokens ${version}); wasm ${kib(bytes.length)} raw, ${kib(gzipSync(bytes, { level: 9 }).length)} gzip; inlined ${kib(inlinedGzip)} gzip`);

/**
 * The client's declarations as wasm-bindgen wrote them (web/edge_tokens.d.ts,
 * removed with web/edge_tokens_bg.wasm.d.ts: the package declares itself in
 * index.d.ts), without what needs more than TypeScript's lib es2022: the
 * glue's init functions, whose types are the DOM's (`Response`, `URL`,
 * `BufferSource`) and `WebAssembly`'s, and which the package does not export;
 * and `[Symbol.dispose]`, from esnext.disposable (`free()` is declared either
 * way).
 */
function clientDeclarations() {
  const file = join(web, "edge_tokens.d.ts");
  const text = readFileSync(file, "utf8");
  const init = text.indexOf("\nexport type InitInput =");
  if (init < 0) throw new Error(`${relative(root, file)}: no "export type InitInput", where the glue's init declarations begin`);
  rmSync(file);
  rmSync(join(web, "edge_tokens_bg.wasm.d.ts"));
  return text
    .slice(0, init)
    .replace(/^\/\* (tslint:disable|eslint-disable) \*\/\n/gm, "")
    .replace(/^\s*\[Symbol\.dispose\]\(\): void;\n/m, "")
    .trim() + "\n";
}

/**
 * Removes the glue's fallback to fetching the wasm file next to it: the
 * package always hands it the inlined bytes, and bundlers that see
 * `new URL("edge_tokens_bg.wasm", import.meta.url)` would emit the file as an
 * asset that nothing loads.
 */
function dropGlueFallback(file) {
  const fallback = "    if (module_or_path === undefined) {\n        module_or_path = new URL('edge_tokens_bg.wasm', import.meta.url);\n    }\n";
  const text = readFileSync(file, "utf8");
  if (!text.includes(fallback)) throw new Error(`${relative(root, file)}: wasm-bindgen's fallback URL to the wasm file is not where it was`);
  writeFileSync(file, text.replace(fallback, ""));
}

function findFile(dir, name) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = findFile(path, name);
      if (found) return found;
    } else if (entry.name === name) return path;
  }
  return undefined;
}
