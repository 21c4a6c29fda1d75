// The packed npm package in a browser, the ways a web app loads it: a plain
// <script type="module">, and a Vite, an esbuild and a webpack build, none of
// them told anything about the package. Each runs the same flow against the
// Worker in each browser engine, headless Chromium and Firefox ESR.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build as buildWithEsbuild } from "esbuild";
import { build as buildWithVite } from "vite";
import webpack from "webpack";
import { startWorker, ADMIN_TOKEN } from "./harness.mjs";
import { ENGINES, ENGINE_NAMES, launchBrowser, serveDirectory } from "./browser.mjs";
import { projectWithPackage } from "./project.mjs";

let worker;
let project;
let userProject;
let plain;
const builds = {};

// The flow every page runs: create a token, read it with its own secret,
// list it (a page, and every token through the async iterator), delete it,
// and see the deleted token refused with a typed error.
const FLOW = `
export async function flow(url, admin) {
  const client = new TokensClient(url, { token: admin });
  const created = await client.createToken({ capabilities: [{ endpoint: "tokensGetToken" }], description: "page" });
  const mine = new TokensClient(url, { token: created.token, scheme: "bearer" });
  const token = await mine.getToken();
  const page = await mine.listTokens({ limit: 1 });
  const listed = [];
  for await (const info of mine.listTokens({ limit: 1 }).tokens()) listed.push(info.id);
  await client.deleteToken(created.id);
  try {
    await new TokensClient(url, { token: created.token }).getToken();
    return { token, refused: null };
  } catch (error) {
    return { token, id: created.id, wellFormed: isWellFormedSecret(created.token), page, listed,
      refused: { api: error instanceof TokensApiError, httpStatus: error.httpStatus, status: error.status } };
  }
}`;

before(async () => {
  worker = await startWorker();
  userProject = projectWithPackage("web-app");
  project = userProject.dir;
});

after(async () => {
  await worker?.close();
  userProject?.remove();
});

/** The plain page, written once for every engine; resolves to the directory to serve and the page's path. */
function plainPage() {
  plain ??= (async () => {
    const dir = join(project, "plain");
    mkdirSync(dir);
    writeFileSync(join(dir, "index.html"), `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>plain</title>
<script type="module">
import { TokensClient, TokensApiError, isWellFormedSecret } from "/node_modules/edge-tokens/index.js";
${FLOW}
window.flow = flow;
</script>`);
    return { root: project, path: "/plain/" };
  })();
  return plain;
}

/** A page that loads `main.js` the way its bundler's output is loaded: as a module, or (webpack's default) as a classic script. */
const htmlPage = (title, { classic = false } = {}) =>
  `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>${title}</title><script ${classic ? "defer" : 'type="module"'} src="./main.js"></script>`;

// Each bundler as an app would use it, told nothing about the package:
// builds `dir`/main.js into `out`, which then holds every file to serve.
const BUNDLERS = {
  Vite: async (dir, out) => {
    writeFileSync(join(dir, "index.html"), htmlPage("vite"));
    await buildWithVite({ root: dir, logLevel: "error", build: { outDir: out, target: "es2022" } });
  },
  // The package's top-level await needs the esm format, as any app that
  // esbuild bundles for <script type="module"> sets.
  esbuild: async (dir, out) => {
    await buildWithEsbuild({
      entryPoints: [join(dir, "main.js")], bundle: true, format: "esm", platform: "browser", target: "es2022",
      outdir: out, absWorkingDir: dir, logLevel: "error",
    });
    writeFileSync(join(out, "index.html"), htmlPage("esbuild"));
  },
  webpack: async (dir, out) => {
    const compiler = webpack({
      mode: "production", context: dir, entry: "./main.js", target: ["web", "es2022"],
      output: { path: out, filename: "main.js" }, performance: { hints: false },
    });
    const stats = await new Promise((resolve, reject) => compiler.run((error, result) => (error ? reject(error) : resolve(result))));
    await new Promise((resolve) => compiler.close(resolve));
    if (stats.hasErrors()) throw new Error(stats.toString("errors-only"));
    writeFileSync(join(out, "index.html"), htmlPage("webpack", { classic: true }));
  },
};

/** The app built by `bundler`, once for every engine; resolves to its output directory and every file in it. */
function bundled(bundler) {
  builds[bundler] ??= (async () => {
    const dir = join(project, bundler);
    const out = join(dir, "dist");
    mkdirSync(dir);
    writeFileSync(join(dir, "main.js"), `import { TokensClient, TokensApiError, isWellFormedSecret } from "edge-tokens";\n${FLOW}\nwindow.flow = flow;\n`);
    await BUNDLERS[bundler](dir, out);
    return { root: out, files: readdirSync(out, { recursive: true }).map(String) };
  })();
  return builds[bundler];
}

async function runPage(browser, url) {
  const page = await browser.newPage();
  const errors = [];
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  page.on("pageerror", (error) => errors.push(String(error)));
  try {
    await page.goto(url);
    await page.waitForFunction(() => typeof window.flow === "function");
    const result = await page.evaluate((api, admin) => window.flow(api, admin), worker.url, ADMIN_TOKEN);
    return { result, errors };
  } finally {
    await page.close();
  }
}

function assertFlow({ result, errors }) {
  assert.equal(result.token.id, result.id);
  assert.equal(result.token.description, "page");
  assert.equal(result.wellFormed, true);
  assert.deepEqual(result.page.tokens.map((info) => info.id), [result.id]);
  assert.equal(typeof result.page.tokens[0].createdAt, "number");
  assert.deepEqual(result.listed, [result.id]);
  assert.deepEqual(result.refused, { api: true, httpStatus: 401, status: "UNAUTHORIZED" });
  // Chromium logs the deleted token's 401 as a failed resource (Firefox does not); nothing else may be logged.
  assert.deepEqual(errors.filter((text) => !text.includes("401")), []);
}

for (const engine of ENGINES) {
  describe(`the packed client in ${ENGINE_NAMES[engine]}`, () => {
    let browser;

    before(async () => {
      browser = await launchBrowser(engine);
    }, { timeout: 60_000 });

    after(async () => {
      await browser?.close();
    });

    test("a plain <script type=module> imports the package with no init step", async () => {
      const { root, path } = await plainPage();
      const server = await serveDirectory(root);
      try {
        assertFlow(await runPage(browser, `${server.url}${path}`));
      } finally {
        await server.close();
      }
    });

    for (const bundler of Object.keys(BUNDLERS)) {
      test(`an app built with ${bundler} carries the package and its wasm, with no file to copy`, async () => {
        const { root, files } = await bundled(bundler);
        assert.ok(!files.some((name) => name.endsWith(".wasm")), `no wasm file beside the bundle: ${files.join(", ")}`);
        const server = await serveDirectory(root);
        try {
          assertFlow(await runPage(browser, `${server.url}/`));
        } finally {
          await server.close();
        }
      });
    }
  });
}
