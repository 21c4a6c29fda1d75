// The packed npm package `edge-tokens`, installed into an empty project and
// imported the way a user would, against the Worker in workerd.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";
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
      httpStatus: e.httpStatus, status: e.status, error: e.error, message: e.message, hasReason: "reason" in e, reason: e.reason });
    const url = process.env.EDGE_TOKENS_URL;
    const admin = new TokensClient(url, { token: process.env.EDGE_TOKENS_ADMIN });
    const out = {};
    try { await admin.createToken({ capabilities: [{ endpoint: "nope" }] }); } catch (e) { out.invalid = describe(e); }
    try { await admin.getToken(); } catch (e) { out.admin = describe(e); }
    try { await new TokensClient(url, { token: "etk_unknown" }).getToken(); } catch (e) { out.unknown = describe(e); }
    const parent = await admin.createToken({ capabilities: [{ endpoint: "tokensCreate", limits: [{ type: "calls", conditions: { max: 1 } }] }], lifetime: 600 });
    const mine = new TokensClient(url, { token: parent.token });
    try { await mine.getToken(); } catch (e) { out.missing = describe(e); }
    try { await mine.createToken({ capabilities: [{ endpoint: "tokensGetToken" }] }); } catch (e) { out.widening = describe(e); }
    try { await mine.createToken({ capabilities: [{ endpoint: "tokensCreate", limits: [{ type: "calls", conditions: { max: 1 } }] }], lifetime: 3600 }); } catch (e) { out.longer = describe(e); }
    await mine.createToken({ capabilities: [{ endpoint: "tokensCreate", limits: [{ type: "calls", conditions: { max: 1 } }] }] });
    try { await mine.createToken({ capabilities: [{ endpoint: "tokensCreate", limits: [{ type: "calls", conditions: { max: 1 } }] }] }); } catch (e) { out.exhausted = describe(e); }
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
  // `reason` is set on every 403, and on nothing else.
  const refusal = ({ httpStatus, status, error, reason }) => ({ httpStatus, status, error, reason });
  assert.deepEqual(refusal(result.missing), {
    httpStatus: 403, status: "UNAUTHORIZED", error: "authorization failed: the token does not hold the tokensGetToken capability", reason: "missing_capability",
  });
  assert.deepEqual(refusal(result.exhausted), {
    httpStatus: 403, status: "UNAUTHORIZED", error: "authorization failed: calls limit of tokensCreate used up (1 of 1)", reason: "limit_exhausted",
  });
  assert.deepEqual(refusal(result.widening), {
    httpStatus: 403, status: "FORBIDDEN", error: "requested token capabilities not allowed", reason: "capabilities_not_allowed",
  });
  assert.deepEqual(refusal(result.longer), {
    httpStatus: 403, status: "FORBIDDEN", error: "requested token lifetime not allowed", reason: "lifetime_not_allowed",
  });
  for (const name of ["invalid", "admin", "unknown"]) assert.equal(result[name].hasReason, false, `${name} has no reason`);
  assert.equal(result.unknown.httpStatus, 401);
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
    try { await mine.request("GET", "/api/v4/account/balances"); } catch (e) { out.forbidden = { api: e instanceof TokensApiError, httpStatus: e.httpStatus, status: e.status, reason: e.reason }; }
    try { await admin.request("GET", "/api/v4/channels/0xmissing"); } catch (e) { out.nodeError = { httpStatus: e.httpStatus, status: e.status, error: e.error }; }
    try { await mine.request("PUT", "/api/v4/node/info"); } catch (e) { out.badMethod = e.constructor.name; }
    console.log(JSON.stringify(out));
  `);
  assert.deepEqual(result.info, { method: "GET", path: "/api/v4/node/info", query: "", body: "" });
  assert.equal(result.opened.method, "POST");
  assert.deepEqual(JSON.parse(result.opened.body), { destination: "0xabc", amount: "10" });
  assert.deepEqual(result.forbidden, { api: true, httpStatus: 403, status: "UNAUTHORIZED", reason: "missing_capability" });
  assert.deepEqual(result.nodeError, { httpStatus: 404, status: "CHANNEL_NOT_FOUND", error: "no such channel" });
  assert.equal(result.badMethod, "TypeError");
  assert.ok(node.received.every((seen) => seen.headers["x-auth-token"] === NODE_TOKEN));
});

/** Type-checks `source` as a TypeScript module of the user's project; resolves to tsc's diagnostics ("" when clean). */
async function typeCheck(source) {
  const name = `check-${Math.random().toString(36).slice(2)}`;
  writeFileSync(join(project, `${name}.ts`), source);
  // A web app's settings, with the package's own declarations checked too
  // (skipLibCheck off) against lib es2022, which has no Symbol.dispose.
  writeFileSync(join(project, `${name}.json`), JSON.stringify({
    compilerOptions: {
      strict: true, noEmit: true, skipLibCheck: false, target: "es2022", lib: ["es2022", "dom"],
      module: "nodenext", moduleResolution: "nodenext", types: [],
    },
    files: [`${name}.ts`],
  }));
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  try {
    await promisify(execFile)("node", [tsc, "-p", `${name}.json`], { cwd: project });
    return "";
  } catch (error) {
    return `${error.stdout}${error.stderr}`;
  }
}

test("the package's TypeScript declarations type the wire in camelCase, and reason, on lib es2022", async () => {
  const clean = await typeCheck(`
    import { TokensClient, TokensApiError, type CreatedToken, type Token, type Reason, type ErrorCode, type CapabilityName } from "edge-tokens";
    export async function use(url: string): Promise<number | undefined> {
      const client = new TokensClient(url, { token: "t", scheme: "bearer", timeoutMs: 5000 });
      const endpoint: CapabilityName = "nodeGetInfo";
      const created: CreatedToken = await client.createToken({
        capabilities: [{ endpoint, limits: [{ type: "calls", conditions: { max: 3 } }] }], lifetime: 60, description: null,
      });
      const token: Token = await client.getToken();
      const used: number = token.capabilities[0].limits[0].used;
      try {
        await client.deleteToken(created.id);
      } catch (error) {
        if (error instanceof TokensApiError) {
          const status: ErrorCode | "UNEXPECTED_RESPONSE" = error.status;
          const reason: Reason | undefined = error.reason;
          return status.length + (reason?.length ?? 0) + used;
        }
      }
      return created.validUntil ?? token.validUntil;
    }
  `);
  assert.equal(clean, "", "a typical use type-checks, declarations included");

  const wrong = await typeCheck(`
    import { TokensClient } from "edge-tokens";
    export async function use(client: TokensClient) {
      await client.createToken({ capabilities: [{ endpoint: "tokensSteal" }] });
      return (await client.getToken()).valid_until;
    }
  `);
  assert.match(wrong, /"tokensSteal"/, `an unknown capability name is a type error:\n${wrong}`);
  assert.match(wrong, /valid_until/, `the wire's snake_case name is not the client's:\n${wrong}`);
  assert.equal(wrong.match(/error TS/g)?.length, 2, wrong);
});
