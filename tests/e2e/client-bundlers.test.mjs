// The packed npm package in a browser, the two ways a web app loads it: a
// plain <script type="module">, and a Vite build. Both run the same flow
// against the Worker in each browser engine, headless Chromium and Firefox
// ESR.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "vite";
import { startWorker, ADMIN_TOKEN } from "./harness.mjs";
import { ENGINES, ENGINE_NAMES, launchBrowser, serveDirectory } from "./browser.mjs";
import { projectWithPackage } from "./project.mjs";

let worker;
let project;
let userProject;
let plain;
let vite;

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

/** The Vite build, made once for every engine; resolves to its output directory and asset names. */
function viteBuild() {
  vite ??= (async () => {
    const dir = join(project, "vite");
    mkdirSync(dir);
    writeFileSync(join(dir, "index.html"), `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>vite</title><script type="module" src="./main.js"></script>`);
    writeFileSync(join(dir, "main.js"), `import { TokensClient, TokensApiError, isWellFormedSecret } from "edge-tokens";\n${FLOW}\nwindow.flow = flow;\n`);
    await build({ root: dir, logLevel: "error", build: { outDir: join(dir, "dist"), target: "es2022" } });
    return { root: join(dir, "dist"), assets: readdirSync(join(dir, "dist", "assets")) };
  })();
  return vite;
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

    test("a Vite build bundles the package and its wasm", async () => {
      const { root, assets } = await viteBuild();
      assert.ok(assets.some((name) => name.endsWith(".wasm")), `the wasm is emitted as an asset: ${assets.join(", ")}`);
      const server = await serveDirectory(root);
      try {
        assertFlow(await runPage(browser, `${server.url}/`));
      } finally {
        await server.close();
      }
    });
  });
}
