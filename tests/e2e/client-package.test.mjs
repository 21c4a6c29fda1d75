// The packed npm package `edge-tokens`, installed into an empty project and
// imported the way a user would, against the Worker in workerd.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startWorker, ADMIN_TOKEN } from "./harness.mjs";
import { startFakeNode, NODE_TOKEN } from "./fake-node.mjs";
import { projectWithPackage } from "./project.mjs";

let worker;
let node;
let project;
let userProject;

before(async () => {
  node = await startFakeNode();
  worker = await startWorker({ bindings: { API_TOKEN: ADMIN_TOKEN, ORIGIN_URL: node.url, ORIGIN_TOKEN: NODE_TOKEN } });
  userProject = projectWithPackage("user-app");
  project = userProject.dir;
});

after(async () => {
  await worker?.close();
  await node?.close();
  userProject?.remove();
});

/**
 * Runs `source` as a module of the user's project and returns what it prints
 * as JSON. Asynchronously: the fake node lives in this process and must keep
 * answering meanwhile.
 */
async function runInProject(source) {
  const file = join(project, `script-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, source);
  const { stdout } = await promisify(execFile)("node", [file], {
    cwd: project,
    env: { ...process.env, EDGE_TOKENS_URL: worker.url, EDGE_TOKENS_ADMIN: ADMIN_TOKEN },
  });
  return JSON.parse(stdout);
}

test("create, read and delete with the installed package", async () => {
  const result = await runInProject(`
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

test("errors are catchable Error subclasses of their own kind", async () => {
  const result = await runInProject(`
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

test("request() calls the node through the gateway with the client's token", async () => {
  const result = await runInProject(`
    import { TokensClient, TokensApiError } from "edge-tokens";
    const url = process.env.EDGE_TOKENS_URL;
    const admin = new TokensClient(url, { token: process.env.EDGE_TOKENS_ADMIN });
    const { token } = await admin.createToken({ capabilities: [{ endpoint: "nodeGetInfo" }, { endpoint: "channelsOpenChannel" }] });
    const mine = new TokensClient(url, { token, scheme: "bearer" });
    const info = await mine.request("GET", "/api/v4/node/info");
    const opened = await mine.request("POST", "/api/v4/channels", { destination: "0xabc", amount: "10" });
    const out = { info, opened };
    try { await mine.request("GET", "/api/v4/account/balances"); } catch (e) { out.forbidden = { api: e instanceof TokensApiError, httpStatus: e.httpStatus, status: e.status }; }
    try { await admin.request("GET", "/api/v4/channels/0xmissing"); } catch (e) { out.nodeError = { httpStatus: e.httpStatus, status: e.status, error: e.error }; }
    try { await mine.request("PUT", "/api/v4/node/info"); } catch (e) { out.badMethod = e.constructor.name; }
    console.log(JSON.stringify(out));
  `);
  assert.deepEqual(result.info, { method: "GET", path: "/api/v4/node/info", query: "", body: "" });
  assert.equal(result.opened.method, "POST");
  assert.deepEqual(JSON.parse(result.opened.body), { destination: "0xabc", amount: "10" });
  assert.deepEqual(result.forbidden, { api: true, httpStatus: 403, status: "UNAUTHORIZED" });
  assert.deepEqual(result.nodeError, { httpStatus: 404, status: "CHANNEL_NOT_FOUND", error: "no such channel" });
  assert.equal(result.badMethod, "TypeError");
  assert.ok(node.received.every((seen) => seen.headers["x-auth-token"] === NODE_TOKEN));
});
