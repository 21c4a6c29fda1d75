// Builds the npm package `edge-tokens` into pkg/: the `client` feature for
// wasm32, wasm-bindgen (web target), wasm-opt, the TypeScript declarations of
// the wire types (from the OpenAPI document that build.rs derived), and the
// package files from src/client/package/. Copies it into
// www/vendor/edge-tokens/ for the console.
import { execFileSync } from "node:child_process";
import { appendFileSync, cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
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
// `[Symbol.dispose]` needs TypeScript's esnext.disposable library, which a
// project on lib es2022 lacks (TS2550); `free()` is declared either way.
const declarations = join(web, "edge_tokens.d.ts");
writeFileSync(declarations, readFileSync(declarations, "utf8").replace(/^\s*\[Symbol\.dispose\]\(\): void;\n/m, ""));
appendFileSync(declarations, `\n${await wireDeclarations(openapi)}`);
const wasm = join(web, "edge_tokens_bg.wasm");
const features = ["bulk-memory", "reference-types", "nontrapping-float-to-int", "sign-ext", "mutable-globals", "multivalue", "exception-handling"];
run(join(root, "node_modules", ".bin", "wasm-opt"), ["-Oz", "--strip-debug", "--strip-producers", ...features.map((f) => `--enable-${f}`), wasm, "-o", wasm]);

// The error classes must be the very module the glue imports, or
// `instanceof` would fail: re-export them from the snippet wasm-bindgen wrote.
const errorsModule = "./" + relative(pkg, findFile(join(web, "snippets"), "errors.js"));
const version = readFileSync(join(root, "Cargo.toml"), "utf8").match(/^version = "([^"]+)"/m)[1];
const template = join(root, "src", "client", "package");
for (const name of readdirSync(template)) {
  const text = readFileSync(join(template, name), "utf8");
  writeFileSync(join(pkg, name), text.replaceAll("__ERRORS_MODULE__", errorsModule).replaceAll("__VERSION__", version));
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
console.log(`client: built ${relative(root, pkg)}/ (edge-tokens ${version}); wasm ${kib(bytes.length)} raw, ${kib(gzipSync(bytes, { level: 9 }).length)} gzip`);

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
