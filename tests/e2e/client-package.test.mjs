// The packed npm package `edge-tokens`, installed into an empty project and
// imported the way a user would, against the Worker in workerd.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";
import { startWorker, ADMIN_TOKEN } from "./harness.mjs";
import { startStandInNode, NODE_TOKEN } from "./stand-in-node.mjs";
import { projectWithPackage } from "./project.mjs";

let worker;
let node;
let project;
let userProject;

before(async () => {
  node = await startStandInNode();
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
 * as JSON. Asynchronously: the stand-in node lives in this process and must keep
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

test("list, inspect, read the audit trail and rotate with the installed package", async () => {
  const result = await runInProject(`
    import { TokensClient, TokensApiError } from "edge-tokens";
    const url = process.env.EDGE_TOKENS_URL;
    const describe = (e) => ({ api: e instanceof TokensApiError, httpStatus: e.httpStatus, status: e.status, error: e.error, reason: e.reason });
    const admin = new TokensClient(url, { token: process.env.EDGE_TOKENS_ADMIN });
    const root = await admin.createToken({
      capabilities: [{ endpoint: "tokensCreate" }, { endpoint: "tokensGetToken" }, { endpoint: "tokensRotate" }], description: "root", lifetime: 600,
    });
    // The origin with the API's prefix, as a user may copy it.
    const mine = new TokensClient(url + "/api/v3/", { token: root.token });
    const children = [];
    for (let n = 0; n < 7; n++) children.push((await mine.createToken({ capabilities: [{ endpoint: "tokensGetToken" }], description: "child " + n })).id);
    const out = { root: root.id, children };
    out.first = await mine.listTokens({ limit: 3 });
    out.pages = [];
    for await (const page of mine.listTokens({ limit: 3 })) out.pages.push(page);
    out.tokens = [];
    for await (const token of mine.listTokens({ limit: 3 }).tokens()) out.tokens.push(token.id);
    out.viaThen = await mine.listTokens({ limit: 3 }).then((page) => page.tokens.length);
    out.direct = [];
    for await (const page of admin.listTokens({ parent: root.id, limit: 3 })) out.direct.push(...page.tokens);
    out.own = await mine.inspectToken(root.id);
    out.child = await mine.inspectToken(children[0]);
    const stranger = await admin.createToken({ capabilities: [{ endpoint: "tokensGetToken" }] });
    try { await mine.inspectToken(stranger.id); } catch (e) { out.anothers = describe(e); }
    try { await new TokensClient(url, { token: stranger.token }).rotateToken(stranger.id); } catch (e) { out.noRotate = describe(e); }
    try { await mine.listTokens({ limit: 0 }); } catch (e) { out.badLimit = describe(e); }
    try { for await (const page of mine.listTokens({ cursor: "garbage" })) out.unreachable = page; } catch (e) { out.badCursor = describe(e); }
    try { mine.listTokens({ limit: "3" }); } catch (e) { out.badOption = e.constructor.name; }
    out.firstEvents = await admin.listEvents(root.id, { limit: 3 });
    out.eventPages = [];
    for await (const page of mine.listEvents(root.id, { limit: 3 })) out.eventPages.push(page);
    out.events = [];
    for await (const event of mine.listEvents(root.id).events()) out.events.push(event);
    try { await mine.listEvents(stranger.id); } catch (e) { out.anothersEvents = describe(e); }
    try { mine.listEvents(root.id, { limit: "3" }); } catch (e) { out.badEventsOption = e.constructor.name; }

    const rotated = await mine.rotateToken(root.id);
    out.rotated = { id: rotated.id, validUntil: rotated.validUntil, fresh: rotated.token !== root.token };
    try { await mine.getToken(); } catch (e) { out.oldRefused = describe(e); }
    const renewed = new TokensClient(url, { token: rotated.token });
    out.newAccepted = (await renewed.getToken()).id;
    const graced = await renewed.rotateToken(root.id, { grace: 1 });
    out.duringGrace = (await renewed.getToken()).id;
    out.newest = (await new TokensClient(url, { token: graced.token }).getToken()).id;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    try { await renewed.getToken(); } catch (e) { out.afterGrace = describe(e); }
    try { await admin.rotateToken(root.id, { grace: 3601 }); } catch (e) { out.badGrace = describe(e); }
    console.log(JSON.stringify(out));
  `);
  const expected = new Set([result.root, ...result.children]);
  assert.equal(result.first.tokens.length, 3);
  assert.equal(result.first.tokens[0].id, result.root, "an issued token lists itself first");
  assert.equal(typeof result.first.cursor, "string");
  const [self] = result.first.tokens;
  assert.deepEqual(Object.keys(self).sort(), ["capabilities", "createdAt", "description", "id", "lastUsedAt", "validUntil"]);
  assert.equal(typeof self.createdAt, "number");
  assert.ok(Math.abs(self.lastUsedAt - Date.now() / 1000) < 120, `lastUsedAt in seconds: ${self.lastUsedAt}`);
  assert.ok(result.pages.length >= 3, `${result.pages.length} pages`);
  assert.ok(result.pages.slice(0, -1).every((page) => typeof page.cursor === "string"));
  assert.equal(result.pages.at(-1).cursor, undefined, "the walk stops after the page without a cursor");
  const listed = result.pages.flatMap((page) => page.tokens);
  assert.equal(listed.length, 8, "each token once");
  assert.deepEqual(new Set(listed.map((t) => t.id)), expected);
  assert.ok(listed.filter((t) => t.id !== result.root).every((t) => t.parent === result.root));
  assert.deepEqual(result.tokens.length, 8);
  assert.deepEqual(new Set(result.tokens), expected);
  assert.equal(result.viaThen, 3);
  assert.deepEqual(new Set(result.direct.map((t) => t.id)), new Set(result.children), "parent: its direct children");
  assert.equal(result.direct.length, 7);
  assert.ok(result.direct.every((t) => t.parent === result.root));
  assert.equal(result.own.id, result.root);
  assert.equal(result.own.descendants, 7);
  assert.deepEqual(result.own.capabilities.map((c) => c.endpoint), ["tokensCreate", "tokensGetToken", "tokensRotate"]);
  assert.equal(result.child.parent, result.root);
  assert.equal(result.child.description, "child 0");
  assert.deepEqual(result.anothers, { api: true, httpStatus: 404, status: "NOT_FOUND", error: "token not found" });
  assert.deepEqual(result.noRotate, {
    api: true, httpStatus: 403, status: "UNAUTHORIZED", reason: "missing_capability",
    error: "authorization failed: the token does not hold the tokensRotate capability",
  });
  assert.equal(result.badLimit.status, "INVALID_INPUT");
  assert.match(result.badLimit.error, /limit/);
  assert.equal(result.badCursor.status, "INVALID_INPUT");
  assert.match(result.badCursor.error, /cursor/);
  assert.equal(result.unreachable, undefined);
  assert.equal(result.badOption, "TypeError");
  // The root's trail: the admin's create, then the root's seven, newest first.
  assert.equal(result.firstEvents.events.length, 3);
  assert.equal(typeof result.firstEvents.cursor, "string");
  assert.deepEqual(result.eventPages.map((page) => page.events.length), [3, 3, 2]);
  assert.deepEqual(result.eventPages.flatMap((page) => page.events), result.events);
  assert.deepEqual(result.events.map((event) => event.token), [...result.children].reverse().concat(result.root));
  assert.deepEqual(result.events.map((event) => event.actor), [...Array(7).fill(result.root), "admin"]);
  assert.deepEqual(Object.keys(result.events[0]).sort(), ["actor", "at", "method", "operation", "path", "status", "token"]);
  assert.deepEqual(result.anothersEvents, { api: true, httpStatus: 404, status: "NOT_FOUND", error: "token not found" });
  assert.equal(result.badEventsOption, "TypeError");
  assert.deepEqual(result.rotated, { id: result.root, validUntil: self.validUntil, fresh: true });
  assert.deepEqual({ httpStatus: result.oldRefused.httpStatus, status: result.oldRefused.status }, { httpStatus: 401, status: "UNAUTHORIZED" });
  assert.equal(result.newAccepted, result.root);
  assert.equal(result.duringGrace, result.root, "the old secret works during the grace");
  assert.equal(result.newest, result.root);
  assert.equal(result.afterGrace?.httpStatus, 401, "and not after it");
  assert.equal(result.badGrace.httpStatus, 400);
  assert.equal(result.badGrace.status, "INVALID_INPUT");
});

test("index.js and node.js imported by path work in Node.js", async () => {
  const result = await runInProject(`
    import * as web from "./node_modules/edge-tokens/index.js";
    import * as node from "./node_modules/edge-tokens/node.js";
    const out = {};
    for (const [name, module] of Object.entries({ web, node })) {
      const admin = new module.TokensClient(process.env.EDGE_TOKENS_URL, { token: process.env.EDGE_TOKENS_ADMIN });
      const { tokens } = await admin.listTokens({ limit: 1 });
      try { await admin.getToken(); } catch (e) { out[name] = { listed: tokens.length, api: e instanceof module.TokensApiError, status: e.status }; }
    }
    console.log(JSON.stringify(out));
  `);
  assert.deepEqual(result, { web: { listed: 1, api: true, status: "NOT_FOUND" }, node: { listed: 1, api: true, status: "NOT_FOUND" } });
});

// The projects a user may have, each with the package's own declarations
// checked too (skipLibCheck off) and no @types: a library or Node.js project
// on lib es2022 alone (no DOM, no WebAssembly, no Symbol.dispose), and a web
// app with the DOM, resolved as a bundler resolves.
const PROJECTS = {
  "lib es2022 alone": { lib: ["es2022"], module: "nodenext", moduleResolution: "nodenext" },
  "lib es2022 and dom, bundler resolution": { lib: ["es2022", "dom", "dom.iterable"], module: "esnext", moduleResolution: "bundler" },
};

test("the declarations declare exactly the values each entry exports", async () => {
  const declarations = readFileSync(join(project, "node_modules", "edge-tokens", "index.d.ts"), "utf8");
  const declared = [...declarations.matchAll(/^export (?:declare )?(?:class|function|const|let|var) (\w+)/gm)].map((match) => match[1]).sort();
  const result = await runInProject(`
    import * as web from "./node_modules/edge-tokens/index.js";
    import * as node from "edge-tokens";
    console.log(JSON.stringify({ web: Object.keys(web).sort(), node: Object.keys(node).sort() }));
  `);
  assert.deepEqual(declared, ["TokensApiError", "TokensClient", "TokensNetworkError", "TokensTimeoutError", "isWellFormedSecret"]);
  assert.deepEqual(result, { web: declared, node: declared });
});

/** Type-checks `source` as a TypeScript module of the user's project; resolves to tsc's diagnostics ("" when clean). */
async function typeCheck(source, settings) {
  const name = `check-${Math.random().toString(36).slice(2)}`;
  writeFileSync(join(project, `${name}.ts`), source);
  writeFileSync(join(project, `${name}.json`), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, target: "es2022", types: [], ...settings },
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

for (const [projectName, settings] of Object.entries(PROJECTS)) test(`the package's TypeScript declarations type the wire in camelCase, and reason, with ${projectName}`, async () => {
  const clean = await typeCheck(`
    import { TokensClient, TokensApiError, type CreatedToken, type Token, type Reason, type ErrorCode, type CapabilityName,
      type TokenInfo, type TokenPage, type TokenList, type ListTokensOptions, type RotatedToken,
      type Event, type EventPage, type EventList, type ListEventsOptions } from "edge-tokens";
    export async function use(url: string): Promise<number | undefined> {
      const client = new TokensClient(url, { token: "t", scheme: "bearer", timeoutMs: 5000 });
      const endpoint: CapabilityName = "nodeGetInfo";
      const created: CreatedToken = await client.createToken({
        capabilities: [{ endpoint, limits: [{ type: "calls", conditions: { max: 3 } }] }], lifetime: 60, description: null,
      });
      const token: Token = await client.getToken();
      const limit = token.capabilities[0].limits?.[0];
      const used: number = limit?.type === "calls" ? limit.used : 0;
      const moved: string | undefined = limit?.type === "spend" ? limit.used : undefined;
      try {
        await client.deleteToken(created.id);
      } catch (error) {
        if (error instanceof TokensApiError) {
          const status: ErrorCode | "UNEXPECTED_RESPONSE" = error.status;
          const reason: Reason | undefined = error.reason;
          return status.length + (reason?.length ?? 0) + used + (moved?.length ?? 0);
        }
      }
      return created.validUntil ?? token.validUntil;
    }

    export async function manage(client: TokensClient, options: ListTokensOptions): Promise<string[]> {
      const page: TokenPage = await client.listTokens(options);
      const next: TokenPage | undefined = page.cursor === undefined ? undefined : await client.listTokens({ ...options, cursor: page.cursor });
      const list: TokenList = client.listTokens({ limit: 3, parent: page.tokens[0]?.id });
      const ids: string[] = [];
      for await (const each of list) ids.push(...each.tokens.map((info: TokenInfo) => info.id));
      for await (const info of client.listTokens().tokens()) ids.push(info.parent ?? info.id, String(info.createdAt));
      const count: number = await client.listTokens().then((p) => p.tokens.length, () => 0);
      await client.listTokens().catch(() => undefined);
      const inspected: TokenInfo = await client.inspectToken(ids[0]);
      const rotated: RotatedToken = await client.rotateToken(inspected.id, { grace: 60 });
      const oldSecretEnds: number = rotated.oldSecretValidUntilMs;
      await client.rotateToken(inspected.id);
      const node: unknown = await client.request("GET", "/api/v4/node/info");
      const lastUsed: number | undefined = inspected.lastUsedAt;
      return [...ids, rotated.token, String(oldSecretEnds), String(inspected.descendants ?? count), String(next?.tokens.length), String(node), String(lastUsed)];
    }

    export async function audit(client: TokensClient, id: string, options: ListEventsOptions): Promise<string[]> {
      const page: EventPage = await client.listEvents(id, options);
      const list: EventList = client.listEvents(id, { limit: 3, cursor: page.cursor });
      const seen: string[] = [];
      for await (const each of list) seen.push(...each.events.map((event: Event) => event.operation));
      for await (const event of client.listEvents(id).events()) {
        const at: number = event.at;
        const status: number = event.status;
        seen.push(event.actor, event.token, event.method, event.path, String(at + status), event.reason ?? "", event.amount ?? "", event.target ?? "");
      }
      return seen;
    }
  `, settings);
  assert.equal(clean, "", "a typical use type-checks, declarations included");

  const wrong = await typeCheck(`
    import { TokensClient } from "edge-tokens";
    export async function use(client: TokensClient) {
      await client.createToken({ capabilities: [{ endpoint: "tokensSteal" }] });
      client.listTokens({ limit: "3" });
      await client.rotateToken("id", { grace: "60" });
      for await (const page of client.listTokens()) page.next_cursor;
      (await client.inspectToken("id")).created_at;
      (await client.getToken()).capabilities[0].limits[0];
      client.listEvents("id", { limit: "3" });
      return (await client.getToken()).valid_until;
    }
  `, settings);
  assert.match(wrong, /"tokensSteal"/, `an unknown capability name is a type error:\n${wrong}`);
  assert.match(wrong, /valid_until/, `the wire's snake_case name is not the client's:\n${wrong}`);
  assert.match(wrong, /next_cursor/, wrong);
  assert.match(wrong, /created_at/, wrong);
  // A limit and a grace must be numbers.
  assert.match(wrong, /\(5,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/, wrong);
  assert.match(wrong, /\(6,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/, wrong);
  assert.match(wrong, /\(10,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/, wrong);
  // An unlimited capability has no `limits`.
  assert.match(wrong, /\(9,\d+\): error TS2532: Object is possibly 'undefined'/, wrong);
  assert.equal(wrong.match(/error TS/g)?.length, 8, wrong);
});
