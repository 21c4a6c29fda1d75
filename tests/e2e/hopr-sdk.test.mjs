// An existing HOPR client works unchanged: the published @hoprnet/hopr-sdk
// (2.1.9) creates, reads and deletes tokens against the Worker exactly as it
// does against a HOPR node's REST API v3; its getToken reads exactly the
// tokens its schema allows, and fails on the others as told in
// docs/compatibility.md.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { api, utils, HoprSDK } from "@hoprnet/hopr-sdk";
import { TokenCapability } from "@hoprnet/hopr-sdk/types";
import { startWorker, client, ADMIN_TOKEN, caps, limited } from "./harness.mjs";

const { createToken, getToken, deleteToken } = api;
const { sdkApiError } = utils;

const worker = await startWorker();
const call = client(worker.url);
after(() => worker.close());

// The SDK parses responses with zod schemas that drop fields it does not know
// (for example `id` on create and `used` on read). To also see what it got on
// the wire, every response fetched during a test is recorded, untouched.
const wire = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const response = await realFetch(input, init);
  const text = await response.clone().text();
  wire.push({ method: init?.method ?? "GET", url: String(input), status: response.status, text, headers: init?.headers });
  return response;
};
after(() => {
  globalThis.fetch = realFetch;
});

const apiEndpoint = worker.url;
const capabilities = [
  { endpoint: "tokensGetToken", limits: [{ type: "calls", conditions: { max: 5 } }] },
  { endpoint: "nodeGetInfo", limits: [{ type: "calls", conditions: { max: 10 } }] },
];

/** Resolves to the error a promise rejects with (fails if it resolves). */
async function rejection(promise) {
  try {
    const value = await promise;
    assert.fail(`expected a rejection, got ${JSON.stringify(value)}`);
  } catch (error) {
    if (error instanceof assert.AssertionError) throw error;
    return error;
  }
}

test("createToken, getToken, deleteToken: the full life of a token through the SDK functions", async () => {
  const before = Math.floor(Date.now() / 1000);
  const created = await createToken({ apiEndpoint, apiToken: ADMIN_TOKEN, capabilities, lifetime: 3600, description: "sdk e2e" });
  assert.match(created.token, /^etk_/);

  // What the SDK sent and what it received.
  const post = wire.at(-1);
  assert.equal(post.method, "POST");
  assert.equal(new URL(post.url).pathname, "/api/v3/tokens");
  assert.equal(post.headers.get("x-auth-token"), ADMIN_TOKEN);
  assert.equal(post.status, 201);
  const createdOnWire = JSON.parse(post.text);
  assert.equal(createdOnWire.token, created.token);
  assert.ok(createdOnWire.valid_until >= before + 3600 && createdOnWire.valid_until <= before + 3600 + 5, `valid_until ${createdOnWire.valid_until} is in seconds`);

  const read = await getToken({ apiEndpoint, apiToken: created.token });
  assert.notEqual(read.id, created.token, "the id is not the secret");
  assert.equal(read.id, createdOnWire.id);
  assert.equal(read.description, "sdk e2e");
  assert.equal(read.valid_until, createdOnWire.valid_until);
  assert.deepEqual(read.capabilities, [
    { endpoint: "tokensGetToken", limits: [{ type: "calls", conditions: { max: 5 } }] },
    { endpoint: "nodeGetInfo", limits: [{ type: "calls", conditions: { max: 10 } }] },
  ]);
  // `used` is on the wire (the SDK's schema strips it): 1 after the first call.
  const readOnWire = JSON.parse(wire.at(-1).text);
  assert.equal(wire.at(-1).status, 200);
  assert.equal(readOnWire.capabilities[0].endpoint, "tokensGetToken");
  assert.equal(readOnWire.capabilities[0].limits[0].used, 1);
  assert.equal(readOnWire.capabilities[1].limits[0].used, 0);
  assert.ok(!wire.at(-1).text.includes(created.token), "GET /token never returns the secret");

  const again = await getToken({ apiEndpoint, apiToken: created.token });
  assert.equal(again.id, read.id);
  assert.equal(JSON.parse(wire.at(-1).text).capabilities[0].limits[0].used, 2);

  const deleted = await deleteToken({ apiEndpoint, apiToken: ADMIN_TOKEN, id: read.id });
  assert.equal(deleted, true);
  const del = wire.at(-1);
  assert.equal(del.method, "DELETE");
  assert.equal(new URL(del.url).pathname, `/api/v3/tokens/${read.id}`);
  assert.equal(del.status, 204);
  assert.ok(!del.url.includes(created.token), "the secret is never in a URL");

  const error = await rejection(getToken({ apiEndpoint, apiToken: created.token }));
  assert.ok(error instanceof sdkApiError, `an sdkApiError, got ${error?.name}: ${error?.message}`);
  assert.equal(error.status, 401);
  assert.equal(error.statusText, "UNAUTHORIZED");
  assert.deepEqual(error.hoprdErrorPayload, { status: "UNAUTHORIZED", error: "authentication failed" });
});

test("the HoprSDK class: api.tokens.createToken, getToken, deleteToken", async () => {
  const adminSdk = new HoprSDK({ apiEndpoint, apiToken: ADMIN_TOKEN, timeout: 10_000 });
  const { token } = await adminSdk.api.tokens.createToken({
    capabilities: [
      { endpoint: "tokensGetToken", limits: [{ type: "calls", conditions: { max: 2 } }] },
      { endpoint: "tokensDelete", limits: [{ type: "calls", conditions: { max: 1 } }] },
    ],
    lifetime: 600,
    description: "class",
  });
  const userSdk = new HoprSDK({ apiEndpoint, apiToken: token, timeout: 10_000 });
  const mine = await userSdk.api.tokens.getToken();
  assert.equal(mine.description, "class");
  assert.deepEqual(
    mine.capabilities.map((capability) => capability.endpoint),
    ["tokensGetToken", "tokensDelete"],
  );
  assert.ok(mine.valid_until > Date.now() / 1000 && mine.valid_until <= Date.now() / 1000 + 600 + 5);

  // A token may delete itself.
  assert.equal(await userSdk.api.tokens.deleteToken({ id: mine.id }), true);
  const error = await rejection(userSdk.api.tokens.getToken());
  assert.ok(error instanceof sdkApiError);
  assert.equal(error.status, 401);

  // Deleting it again: 404 NOT_FOUND surfaces as an sdkApiError.
  const gone = await rejection(adminSdk.api.tokens.deleteToken({ id: mine.id }));
  assert.ok(gone instanceof sdkApiError);
  assert.equal(gone.status, 404);
  assert.deepEqual(gone.hoprdErrorPayload, { status: "NOT_FOUND", error: "token not found" });
});

test("createToken: a bad request (lifetime 0, allowed by the SDK) surfaces as sdkApiError 400 INVALID_INPUT", async () => {
  const error = await rejection(
    createToken({ apiEndpoint, apiToken: ADMIN_TOKEN, capabilities, lifetime: 0, description: "zero" }),
  );
  assert.ok(error instanceof sdkApiError, `an sdkApiError, got ${error?.name}: ${error?.message}`);
  assert.equal(error.status, 400);
  assert.equal(error.statusText, "INVALID_INPUT");
  assert.equal(error.hoprdErrorPayload.status, "INVALID_INPUT");
  assert.equal(typeof error.hoprdErrorPayload.error, "string");
  assert.match(error.hoprdErrorPayload.error, /lifetime/);
  assert.deepEqual(Object.keys(error.hoprdErrorPayload).sort(), ["error", "status"]);
});

test("createToken: a too-long description surfaces as sdkApiError 400 INVALID_TOKEN_DESCRIPTION", async () => {
  const error = await rejection(
    createToken({ apiEndpoint, apiToken: ADMIN_TOKEN, capabilities, lifetime: 60, description: "d".repeat(257) }),
  );
  assert.ok(error instanceof sdkApiError);
  assert.equal(error.status, 400);
  assert.equal(error.hoprdErrorPayload.status, "INVALID_TOKEN_DESCRIPTION");
});

test("createToken with a wrong admin token: sdkApiError 401", async () => {
  const error = await rejection(
    createToken({ apiEndpoint, apiToken: "not-the-admin-token", capabilities, lifetime: 60, description: "x" }),
  );
  assert.ok(error instanceof sdkApiError);
  assert.equal(error.status, 401);
  assert.deepEqual(error.hoprdErrorPayload, { status: "UNAUTHORIZED", error: "authentication failed" });
});

test("a delegated token narrows its limits through the SDK; widening is sdkApiError 403 FORBIDDEN", async () => {
  const { token: parent } = await createToken({
    apiEndpoint,
    apiToken: ADMIN_TOKEN,
    capabilities: [
      { endpoint: "tokensCreate", limits: [{ type: "calls", conditions: { max: 3 } }] },
      { endpoint: "tokensGetToken", limits: [{ type: "calls", conditions: { max: 5 } }] },
    ],
    lifetime: 600,
    description: "parent",
  });
  const { token: child } = await createToken({
    apiEndpoint,
    apiToken: parent,
    capabilities: [{ endpoint: "tokensGetToken", limits: [{ type: "calls", conditions: { max: 2 } }] }],
    lifetime: 60,
    description: "child",
  });
  const read = await getToken({ apiEndpoint, apiToken: child });
  assert.equal(read.description, "child");
  assert.deepEqual(read.capabilities, [{ endpoint: "tokensGetToken", limits: [{ type: "calls", conditions: { max: 2 } }] }]);

  const widened = await rejection(
    createToken({
      apiEndpoint,
      apiToken: parent,
      capabilities: [{ endpoint: "tokensGetToken", limits: [{ type: "calls", conditions: { max: 50 } }] }],
      lifetime: 60,
      description: "too much",
    }),
  );
  assert.ok(widened instanceof sdkApiError);
  assert.equal(widened.status, 403);
  assert.equal(widened.statusText, "FORBIDDEN");
  assert.deepEqual(widened.hoprdErrorPayload, { status: "FORBIDDEN", error: "requested token capabilities not allowed" });
  assert.deepEqual(JSON.parse(wire.at(-1).text), {
    status: "FORBIDDEN",
    error: "requested token capabilities not allowed",
    reason: "capabilities_not_allowed",
  }, "the wire carries the reason the SDK does not know");
});

test("403 UNAUTHORIZED answers with their reason (missing capability, used-up limit) surface as sdkApiError 403", async () => {
  const { token } = await createToken({
    apiEndpoint,
    apiToken: ADMIN_TOKEN,
    capabilities: [{ endpoint: "tokensGetToken", limits: [{ type: "calls", conditions: { max: 1 } }] }],
    lifetime: 600,
    description: "once",
  });
  await getToken({ apiEndpoint, apiToken: token });
  const exhausted = await rejection(getToken({ apiEndpoint, apiToken: token }));
  const missing = await rejection(deleteToken({ apiEndpoint, apiToken: token, id: "0000000000000000000000" }));
  for (const [error, endpoint, reason, detail] of [
    [exhausted, "tokensGetToken", "limit_exhausted", "calls limit of tokensGetToken used up (1 of 1)"],
    [missing, "tokensDelete", "missing_capability", "the token does not hold the tokensDelete capability"],
  ]) {
    assert.ok(error instanceof sdkApiError, `${endpoint}: an sdkApiError, got ${error?.name}: ${error?.message}`);
    assert.equal(error.status, 403);
    assert.equal(error.statusText, "UNAUTHORIZED");
    assert.deepEqual(error.hoprdErrorPayload, { status: "UNAUTHORIZED", error: `authorization failed: ${detail}` });
  }
  assert.deepEqual(JSON.parse(wire.at(-1).text).reason, "missing_capability");
});

test("the SDK's headers pass CORS: preflight allows x-auth-token and content-type", async () => {
  const res = await call("OPTIONS", "/api/v3/tokens", {
    headers: {
      origin: "https://app.example",
      "access-control-request-method": "POST",
      "access-control-request-headers": "content-type, x-auth-token",
    },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  const allowed = (res.headers.get("access-control-allow-headers") ?? "").toLowerCase();
  for (const header of ["x-auth-token", "content-type"]) assert.ok(allowed.includes(header), `${header} in ${allowed}`);
});

// ---------------------------------------------------------------------------
// Which tokens the SDK can read (docs/compatibility.md). Its getToken parses
// the answer with its own zod schema: every capability must carry `limits`
// with at least one item, each limit's `conditions.max` must be a number when
// present (other conditions are dropped), and `endpoint` must be one of its
// 33 names. Its createToken and deleteToken check nothing of the sort: they
// work for every token.

/** The capability names of the SDK's schema. */
const SDK_NAMES = TokenCapability.shape.endpoint.options;

/** The names of the service's catalogue that the SDK's schema does not know. */
const OUTSIDE_THE_SDK = [
  "messagesGetSize", "messagesPopAllMessage", "messagesPopMessage", "messagesDeleteMessages", "messageSign",
  "accountGetAddress", "peersPingPeer", "channelsAggregateTickets", "ticketsResetStatistics", "networkGetPrice",
  "networkGetProbability", "networkGetGraph", "nodeGetStatus", "sessionsCreateClient", "sessionsListClients",
  "sessionsCloseClient", "sessionsGetConfig", "sessionsAdjustConfig", "sessionsWebsocket",
  "sessionsCreateClientExplicitPath", "tokensRotate",
];

const PEER = "0xb4ce7e6e36ac8b01a974725d5ba730af2b156fbe";

/** Creates a token through the SDK (which sends any capabilities as given); resolves to its secret. */
async function sdkCreated(capabilities) {
  const { token } = await createToken({ apiEndpoint, apiToken: ADMIN_TOKEN, capabilities, lifetime: 600, description: "compat" });
  return token;
}

/** The ZodError getToken rejects with for the token holding `capabilities` (fails if it reads it). */
async function unreadable(capabilities) {
  const error = await rejection(getToken({ apiEndpoint, apiToken: await sdkCreated(capabilities) }));
  assert.equal(error?.name, "ZodError", `a ZodError, got ${error?.name}: ${error?.message}`);
  assert.equal(wire.at(-1).status, 200, "the service answered the token; the SDK could not parse it");
  return error.issues.map(({ code, path, message }) => ({ code, path: path.join("."), message }));
}

test("hopr-sdk 2.1.9 knows 33 capability names, all in the catalogue; 21 names of the catalogue are outside its schema", async () => {
  assert.equal(SDK_NAMES.length, 33);
  const document = (await call("GET", "/api/v3/openapi.json")).body;
  const schema = document.components.schemas.CapabilityName;
  const catalogue = schema.enum ?? schema.oneOf.map((branch) => branch.const);
  assert.deepEqual(SDK_NAMES.filter((name) => !catalogue.includes(name)), []);
  assert.deepEqual(catalogue.filter((name) => !SDK_NAMES.includes(name)), OUTSIDE_THE_SDK);
});

test("hopr-sdk 2.1.9 getToken reads a token whose every capability has a calls limit, in its 33 names; targets come without their addresses", async () => {
  const everyName = SDK_NAMES.map((name) => limited(name, 9_007_199_254_740_991));
  everyName[SDK_NAMES.indexOf("accountWithdraw")].limits.push({ type: "targets", conditions: { allow: [PEER] } });
  everyName[SDK_NAMES.indexOf("tokensGetToken")] = limited("tokensGetToken", 10);
  const read = await getToken({ apiEndpoint, apiToken: await sdkCreated(everyName) });
  assert.equal(read.capabilities.length, 33);
  assert.deepEqual(read.capabilities.find((capability) => capability.endpoint === "tokensGetToken"),
    { endpoint: "tokensGetToken", limits: [{ type: "calls", conditions: { max: 10 } }] });
  assert.deepEqual(read.capabilities.find((capability) => capability.endpoint === "accountWithdraw"), {
    endpoint: "accountWithdraw",
    limits: [{ type: "calls", conditions: { max: 9_007_199_254_740_991 } }, { type: "targets", conditions: {} }],
  }, "the SDK drops what its schema does not name: `used`, and the targets' `allow`");
  const onWire = JSON.parse(wire.at(-1).text).capabilities.find((capability) => capability.endpoint === "accountWithdraw");
  assert.deepEqual(onWire.limits[1], { type: "targets", conditions: { allow: [PEER] } }, "the wire has them");
});

test("hopr-sdk 2.1.9 getToken cannot read a capability without limits: ZodError, limits Required; the wire has no limits field", async () => {
  const issues = await unreadable([limited("tokensGetToken", 5), { endpoint: "nodeGetInfo" }]);
  assert.deepEqual(issues, [{ code: "invalid_type", path: "capabilities.1.limits", message: "Required" }]);
  assert.deepEqual(JSON.parse(wire.at(-1).text).capabilities[1], { endpoint: "nodeGetInfo" }, "as the original schema has it");
  const emptied = await unreadable([limited("tokensGetToken", 5), { endpoint: "nodeGetInfo", limits: [] }]);
  assert.deepEqual(emptied, issues, "a request's limits: [] is no limits");
});

test("hopr-sdk 2.1.9 getToken cannot read a spend limit: ZodError, its max is a string", async () => {
  const issues = await unreadable([
    limited("tokensGetToken", 5),
    { endpoint: "accountWithdraw", limits: [{ type: "calls", conditions: { max: 3 } }, { type: "spend", conditions: { max: "5 wxHOPR" } }] },
  ]);
  assert.deepEqual(issues, [{ code: "invalid_type", path: "capabilities.1.limits.1.conditions.max", message: "Expected number, received string" }]);
});

test("hopr-sdk 2.1.9 getToken cannot read any of the 21 names outside its schema, even with a calls limit: ZodError, invalid enum value", async () => {
  for (const name of OUTSIDE_THE_SDK) {
    const capabilities = [limited("tokensGetToken", 5), limited(name, 5)];
    if (name === "sessionsCreateClient") capabilities[1].limits.push({ type: "listen", conditions: { allow: ["127.0.0.1:10000-10100"] } });
    const issues = await unreadable(capabilities);
    assert.deepEqual(issues.map(({ code, path }) => ({ code, path })), [{ code: "invalid_enum_value", path: "capabilities.1.endpoint" }], name);
    assert.match(issues[0].message, new RegExp(`received '${name}'$`), name);
  }
});

test("hopr-sdk 2.1.9 deleteToken deletes the tokens its getToken cannot read", async () => {
  const token = await sdkCreated([limited("tokensGetToken", 5), ...caps("tokensRotate", "nodeGetStatus")]);
  const read = await call("GET", "/api/v3/token", { token });
  assert.equal(read.status, 200);
  assert.equal(await deleteToken({ apiEndpoint, apiToken: ADMIN_TOKEN, id: read.body.id }), true);
  assert.equal((await call("GET", "/api/v3/token", { token })).status, 401);
});
