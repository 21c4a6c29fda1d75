// The packed npm package `edge-tokens`, installed into an empty project and
// imported the way a user would, against the Worker in workerd.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWorker, ADMIN_TOKEN } from "./harness.mjs";

const pkg = new URL("../../pkg/", import.meta.url).pathname;
let worker;
let project;

before(async () => {
  worker = await startWorker();
  project = mkdtempSync(join(tmpdir(), "edge-tokens-user-"));
  execFileSync("npm", ["pack", "--pack-destination", project], { cwd: pkg, stdio: "ignore" });
  const tarball = readdirSync(project).find((name) => name.endsWith(".tgz"));
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "user-app", private: true, type: "module" }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", join(project, tarball)], { cwd: project, stdio: "ignore" });
});

after(async () => {
  await worker?.close();
  if (project) rmSync(project, { recursive: true, force: true });
});

/** Runs `source` as a module of the user's project and returns what it prints as JSON. */
function runInProject(source) {
  const file = join(project, `script-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, source);
  const output = execFileSync("node", [file], {
    cwd: project,
    env: { ...process.env, EDGE_TOKENS_URL: worker.url, EDGE_TOKENS_ADMIN: ADMIN_TOKEN },
  });
  return JSON.parse(String(output));
}

test("create, read and delete with the installed package", () => {
  const result = runInProject(`
    import { TokensClient, isWellFormedSecret } from "edge-tokens";
    const url = process.env.EDGE_TOKENS_URL;
    const admin = new TokensClient(url, { token: process.env.EDGE_TOKENS_ADMIN });
    const created = await admin.createToken({
      capabilities: [{ endpoint: "tokensGetToken", limits: [{ type: "calls", conditions: { max: 3 } }] }],
      lifetime: 600,
      description: "from node",
    });
    const mine = new TokensClient(url, { token: created.token, scheme: "basic" });
    const token = await mine.getToken();
    await admin.deleteToken(created.id);
    let afterDelete;
    try { await mine.getToken(); } catch (e) { afterDelete = { name: e.name, httpStatus: e.httpStatus, status: e.status, isError: e instanceof Error }; }
    console.log(JSON.stringify({ created, token, wellFormed: isWellFormedSecret(created.token), afterDelete }));
  `);
  assert.match(result.created.token, /^etk_/);
  assert.equal(typeof result.created.validUntil, "number");
  assert.equal(result.token.id, result.created.id);
  assert.equal(result.token.description, "from node");
  assert.equal(result.token.validUntil, result.created.validUntil);
  assert.deepEqual(result.token.capabilities, [
    { endpoint: "tokensGetToken", limits: [{ type: "calls", conditions: { max: 3 }, used: 1 }] },
  ]);
  assert.equal(result.wellFormed, true);
  assert.deepEqual(result.afterDelete, { name: "TokensApiError", httpStatus: 401, status: "UNAUTHORIZED", isError: true });
});

test("errors are catchable Error subclasses of their own kind", () => {
  const result = runInProject(`
    import { TokensClient, TokensApiError, TokensNetworkError, isWellFormedSecret } from "edge-tokens";
    const describe = (e) => ({ name: e.name, api: e instanceof TokensApiError, network: e instanceof TokensNetworkError,
      httpStatus: e.httpStatus, status: e.status, error: e.error, message: e.message });
    const admin = new TokensClient(process.env.EDGE_TOKENS_URL, { token: process.env.EDGE_TOKENS_ADMIN });
    const out = {};
    try { await admin.createToken({ capabilities: [{ endpoint: "nope" }] }); } catch (e) { out.invalid = describe(e); }
    try { await admin.getToken(); } catch (e) { out.admin = describe(e); }
    try { await new TokensClient("http://127.0.0.1:9", { token: "x" }).getToken(); } catch (e) { out.network = describe(e); }
    try { new TokensClient("ftp://x", { token: "x" }); } catch (e) { out.badUrl = e.constructor.name; }
    try { new TokensClient("http://x", { token: "x", scheme: "digest" }); } catch (e) { out.badScheme = e.constructor.name; }
    out.forged = isWellFormedSecret("etk_" + "a".repeat(38));
    console.log(JSON.stringify(out));
  `);
  assert.equal(result.invalid.name, "TokensApiError");
  assert.equal(result.invalid.api, true);
  assert.equal(result.invalid.httpStatus, 400);
  assert.equal(result.invalid.status, "INVALID_TOKEN_CAPABILITIES");
  assert.match(result.invalid.error, /unknown endpoint 'nope'/);
  assert.match(result.invalid.message, /INVALID_TOKEN_CAPABILITIES/);
  assert.deepEqual(
    { httpStatus: result.admin.httpStatus, status: result.admin.status, error: result.admin.error },
    { httpStatus: 404, status: "NOT_FOUND", error: "the admin token has no token record" },
  );
  assert.equal(result.network.name, "TokensNetworkError");
  assert.equal(result.network.network, true);
  assert.equal(result.badUrl, "TypeError");
  assert.equal(result.badScheme, "TypeError");
  assert.equal(result.forged, false);
});
