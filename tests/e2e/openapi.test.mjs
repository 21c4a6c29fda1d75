// The OpenAPI document served at /api/v3/openapi.json matches real responses:
// every documented operation and every documented response status is driven
// against the running Worker, and each real response is held against the
// document (status documented, body valid against the documented schema,
// content type, error status in the documented Error enum).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import Ajv2020 from "ajv/dist/2020.js";
import { startWorker, withWorker, client, ADMIN_TOKEN, caps, limited } from "./harness.mjs";

const worker = await startWorker();
const call = client(worker.url);
after(() => worker.close());

const API = "/api/v3";
const admin = { token: ADMIN_TOKEN };

/** The 40 capability names of the contract (HOPR v3 operation list). */
const CONTRACT_CAPABILITIES = [
  "tokensCreate", "tokensGetToken", "tokensDelete", "ticketsGetStatistics", "ticketsRedeemTickets",
  "ticketsGetTickets", "settingsGetSettings", "settingsSetSetting", "nodeGetVersion", "nodeGetPeers",
  "nodeGetMetrics", "nodeGetInfo", "nodeGetEntryNodes", "nodePing", "nodeStreamWebsocket",
  "messagesWebsocket", "messagesGetSize", "messagesPopAllMessage", "messagesPopMessage",
  "messagesSendMessage", "messagesDeleteMessages", "messagesSign", "messageSign", "channelsOpenChannel",
  "channelsGetChannels", "channelsRedeemTickets", "channelsGetTickets", "channelsGetChannel",
  "channelsCloseChannel", "channelsFundChannels", "aliasesSetAlias", "aliasesGetAliases",
  "aliasesGetAlias", "aliasesRemoveAlias", "accountWithdraw", "accountGetBalances", "accountGetAddresses",
  "accountGetAddress", "peersPingPeer", "peerInfoGetPeerInfo",
];

/** Every path the service answers (relative to the server url /api/v3), with its methods. */
const SERVICE_PATHS = {
  "/tokens": ["post"],
  "/tokens/": ["post"],
  "/tokens/{id}": ["delete"],
  "/token": ["get"],
  "/gateway": ["get"],
  "/openapi.json": ["get"],
};

/** Every `status` value the contract names for an error body. */
const CONTRACT_ERROR_STATUSES = [
  "UNAUTHORIZED", "FORBIDDEN", "INVALID_INPUT", "INVALID_TOKEN_CAPABILITIES", "INVALID_TOKEN_DESCRIPTION",
  "PAYLOAD_TOO_LARGE", "NOT_FOUND", "MISCONFIGURED", "UNAVAILABLE",
];

const AUTHENTICATION_FAILED = { status: "UNAUTHORIZED", error: "authentication failed" };
const AUTHORIZATION_FAILED = { status: "UNAUTHORIZED", error: "authorization failed" };

// ---------------------------------------------------------------------------
// The document, and a validator over it.

const served = await call("GET", `${API}/openapi.json`);
const doc = served.body;

const DOC_ID = "https://edge-tokens.test/openapi.json";
// The document is OpenAPI 3.1; its schemas are JSON Schema 2020-12. The whole
// document is added as one schema (its OpenAPI-only top-level keys declared as
// a vocabulary so strict mode accepts them), and response schemas are compiled
// as `{ $ref: DOC_ID#<json pointer> }`, so `#/components/schemas/...` refs
// inside them resolve against the document.
const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
ajv.addVocabulary(["openapi", "info", "jsonSchemaDialect", "servers", "paths", "webhooks", "components", "security", "tags", "externalDocs"]);
if (doc && typeof doc === "object") ajv.addSchema({ ...doc, $id: DOC_ID });

const validators = new Map();
function validatorAt(pointer) {
  if (!validators.has(pointer)) validators.set(pointer, ajv.compile({ $ref: `${DOC_ID}#${pointer}` }));
  return validators.get(pointer);
}

const escapePointer = (segment) => segment.replaceAll("~", "~0").replaceAll("/", "~1");

/** The value at a local JSON pointer ("#/a/b") of the document. */
function atPointer(ref) {
  assert.ok(ref.startsWith("#/"), `only local refs are expected, got ${ref}`);
  return ref
    .slice(2)
    .split("/")
    .map((segment) => segment.replaceAll("~1", "/").replaceAll("~0", "~"))
    .reduce((node, segment) => (node === undefined ? undefined : node[segment]), doc);
}

/** Follows `$ref` response objects (components/responses). Returns the object and its pointer. */
function resolveResponse(response, pointer) {
  const seen = new Set();
  while (response && typeof response.$ref === "string") {
    assert.ok(!seen.has(response.$ref), `cyclic $ref ${response.$ref}`);
    seen.add(response.$ref);
    pointer = response.$ref.slice(1);
    response = atPointer(response.$ref);
    assert.ok(response, `$ref ${[...seen].at(-1)} resolves`);
  }
  return { response, pointer };
}

/** Which (path method status) triples the tests below have seen. */
const exercised = new Set();

/**
 * Holds one real response against the document.
 * @param {string} path  documented path, e.g. "/tokens/{id}"
 * @param {string} method  lower-case HTTP method
 * @param {{status:number, headers:Headers, text:string, body:any}} res
 */
function conforms(path, method, res) {
  const operation = doc.paths?.[path]?.[method];
  assert.ok(operation, `${method.toUpperCase()} ${path} is documented`);
  const code = String(res.status);
  assert.ok(
    Object.hasOwn(operation.responses ?? {}, code),
    `${method.toUpperCase()} ${path} answered ${code} (${res.text}), documented: ${Object.keys(operation.responses ?? {}).join(", ")}`,
  );
  exercised.add(`${path} ${method} ${code}`);
  const { response, pointer } = resolveResponse(
    operation.responses[code],
    `/paths/${escapePointer(path)}/${method}/responses/${code}`,
  );

  for (const name of Object.keys(response.headers ?? {})) {
    assert.ok(res.headers.get(name), `documented header ${name} is sent with ${code}`);
  }

  const content = response.content ?? {};
  if (Object.keys(content).length === 0) {
    assert.equal(res.text, "", `${code} has no documented body, so none is sent`);
    return;
  }
  assert.ok(content["application/json"], `${code} documents an application/json body`);
  const contentType = res.headers.get("content-type") ?? "";
  assert.ok(contentType.startsWith("application/json"), `content-type of ${code} is ${contentType}`);
  assert.notEqual(res.body, undefined, `${code} body is JSON: ${res.text}`);

  const validate = validatorAt(`${pointer}/content/application~1json/schema`);
  assert.ok(
    validate(res.body),
    `${method.toUpperCase()} ${path} ${code} body ${res.text} breaks the documented schema: ${ajv.errorsText(validate.errors)}`,
  );

  if (res.status >= 400) {
    assert.ok(errorStatuses().includes(res.body.status), `error status ${res.body.status} is in the Error enum`);
    // Where the document lists examples for this response, the real `status` is among them.
    const examples = Object.values(content["application/json"].examples ?? {}).map((example) => example.value?.status);
    if (examples.length > 0) {
      assert.ok(
        examples.includes(res.body.status),
        `${method.toUpperCase()} ${path} ${code}: status ${res.body.status} is among the documented examples ${examples.join(", ")}`,
      );
    }
  }
}

function errorStatuses() {
  return doc.components?.schemas?.Error?.properties?.status?.enum ?? [];
}

// ---------------------------------------------------------------------------
// Helpers that drive the Worker.

/** Path of the service for a documented path. */
const url = (path, id) => API + path.replace("{id}", id ?? "");

async function adminCreate(body) {
  const res = await call("POST", `${API}/tokens`, { ...admin, body });
  assert.equal(res.status, 201, `admin create: ${res.text}`);
  return res.body;
}

const CREATE_PATHS = ["/tokens", "/tokens/"];

// ---------------------------------------------------------------------------
// The document itself.

test("GET /openapi.json: 200, an OpenAPI 3.1 JSON document valid against its own 200 schema", () => {
  assert.equal(served.status, 200);
  assert.ok(doc && typeof doc === "object", "the body is a JSON object");
  assert.match(doc.openapi, /^3\.1\./);
  conforms("/openapi.json", "get", served);
});

test("GET /openapi.json needs no credential (security: [])", async () => {
  assert.deepEqual(doc.paths["/openapi.json"].get.security, []);
  const res = await call("GET", `${API}/openapi.json`, { token: "etk_not-a-token" });
  conforms("/openapi.json", "get", res);
  assert.equal(res.status, 200);
});

test("the document lists every path the service answers, under server url /api/v3", async () => {
  assert.deepEqual(doc.servers?.map((server) => server.url), ["/api/v3"]);
  assert.deepEqual(Object.keys(doc.paths).sort(), Object.keys(SERVICE_PATHS).sort());
  for (const [path, methods] of Object.entries(SERVICE_PATHS)) {
    const documented = Object.keys(doc.paths[path]).filter((key) =>
      ["get", "put", "post", "delete", "options", "head", "patch", "trace"].includes(key),
    );
    assert.deepEqual(documented.sort(), [...methods].sort(), `methods documented for ${path}`);
  }
});

test("every documented path is answered by the service, and its Allow header names the documented method", async () => {
  for (const [path, methods] of Object.entries(SERVICE_PATHS)) {
    // A method that is not documented for the path: 405 with Allow.
    const other = methods.includes("get") ? "PUT" : "GET";
    const res = await call(other, url(path, "AAAAAAAAAAAAAAAAAAAAAA"), admin);
    assert.equal(res.status, 405, `${other} ${path}: ${res.text}`);
    const allow = (res.headers.get("allow") ?? "").split(",").map((method) => method.trim().toLowerCase());
    for (const method of methods) assert.ok(allow.includes(method), `Allow for ${path} (${allow}) names ${method}`);
    for (const method of allow) {
      assert.ok(methods.includes(method) || method === "options" || method === "head", `Allow for ${path} names undocumented ${method}`);
    }
    assert.ok(errorStatuses().includes(res.body?.status), `405 status ${res.body?.status} is in the Error enum`);
  }
  const unknown = await call("GET", `${API}/tokenz`, admin);
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body?.status, "NOT_FOUND");
});

test("every operation has a unique operationId; tokensCreate, tokensGetToken, tokensDelete are present", () => {
  const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((operation) => operation.operationId));
  assert.equal(new Set(ids).size, ids.length, `operationIds ${ids}`);
  for (const id of ["tokensCreate", "tokensGetToken", "tokensDelete"]) assert.ok(ids.includes(id), `operation ${id}`);
  assert.equal(doc.paths["/tokens"].post.operationId, "tokensCreate");
  assert.equal(doc.paths["/token"].get.operationId, "tokensGetToken");
  assert.equal(doc.paths["/tokens/{id}"].delete.operationId, "tokensDelete");
});

test("every $ref in the document resolves, and every component schema compiles as JSON Schema 2020-12", () => {
  const refs = [];
  (function walk(node) {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === "object") {
      if (typeof node.$ref === "string") refs.push(node.$ref);
      Object.values(node).forEach(walk);
    }
  })(doc);
  assert.ok(refs.length > 0);
  for (const ref of refs) assert.notEqual(atPointer(ref), undefined, `$ref ${ref} resolves`);
  for (const name of Object.keys(doc.components.schemas)) {
    assert.doesNotThrow(() => validatorAt(`/components/schemas/${escapePointer(name)}`), `schema ${name} compiles`);
  }
});

test("the CapabilityName enum holds the 40 names of the contract first, then the gateway's", async () => {
  const names = doc.components.schemas.CapabilityName.enum;
  assert.equal(new Set(names).size, names.length, "no duplicates");
  assert.deepEqual(names.slice(0, 40), CONTRACT_CAPABILITIES);
  const gateway = (await call("GET", `${API}/gateway`)).body;
  const needed = new Set(gateway.routes.map((route) => route.capability).filter(Boolean));
  for (const name of names.slice(40)) assert.ok(needed.has(name), `${name} authorises a node route`);
  for (const name of needed) assert.ok(names.includes(name), `${name} is in the catalogue`);
  assert.equal(doc.components.schemas.CapabilityName.type, "string");
});

test("GET /gateway: 200 with whether the gateway is on and its route table, without credentials", async () => {
  const res = await call("GET", `${API}/gateway`);
  conforms("/gateway", "get", res);
  assert.equal(res.status, 200);
  assert.equal(res.body.enabled, false);
  assert.ok(res.body.routes.some((route) => route.path === "/api/v4/node/info" && route.capability === "nodeGetInfo"));
});

test("the Error enum names every status of the contract; Error requires status and error", () => {
  for (const status of CONTRACT_ERROR_STATUSES) assert.ok(errorStatuses().includes(status), `Error enum has ${status}`);
  assert.deepEqual([...doc.components.schemas.Error.required].sort(), ["error", "status"]);
});

test("the document declares the x-auth-token key scheme, the basic password scheme and bearer", () => {
  const schemes = doc.components.securitySchemes;
  const key = Object.values(schemes).find((scheme) => scheme.type === "apiKey");
  assert.equal(key?.in, "header");
  assert.equal(key?.name.toLowerCase(), "x-auth-token");
  assert.ok(Object.values(schemes).some((scheme) => scheme.type === "http" && scheme.scheme === "basic"));
  assert.ok(Object.values(schemes).some((scheme) => scheme.type === "http" && scheme.scheme === "bearer"));
  const required = doc.security.flatMap((requirement) => Object.keys(requirement));
  for (const name of Object.keys(schemes)) assert.ok(required.includes(name), `${name} is a security alternative`);
});

test("create request bodies: accepted ones validate against CreateTokenRequest, schema-breaking ones do not", async () => {
  const validate = validatorAt("/paths/~1tokens/post/requestBody/content/application~1json/schema");
  const accepted = [
    { capabilities: caps("tokensGetToken") },
    { capabilities: [limited("tokensGetToken", 3), limited("tokensDelete", 1)], lifetime: 60, description: "d" },
    { capabilities: [{ endpoint: "tokensGetToken", limits: [{ type: "calls", conditions: { max: 2 }, used: 7 }] }] },
  ];
  for (const body of accepted) {
    const res = await call("POST", `${API}/tokens`, { ...admin, body });
    assert.equal(res.status, 201, `${JSON.stringify(body)}: ${res.text}`);
    assert.ok(validate(body), `${JSON.stringify(body)} is documented as valid: ${ajv.errorsText(validate.errors)}`);
  }
  const rejected = [
    {},
    { capabilities: [] },
    { capabilities: caps("tokensGetToken"), lifetime: 0 },
    { capabilities: caps("tokensGetToken"), lifetime: 1.5 },
    { capabilities: caps("notAnEndpoint") },
    { capabilities: [limited("tokensGetToken", 0)] },
    { capabilities: [{ endpoint: "tokensGetToken", limits: [{ type: "rate", conditions: { max: 1 } }] }] },
    { capabilities: caps("tokensGetToken"), description: "x".repeat(257) },
  ];
  for (const body of rejected) {
    const res = await call("POST", `${API}/tokens`, { ...admin, body });
    assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
    conforms("/tokens", "post", res);
    assert.ok(!validate(body), `${JSON.stringify(body)} is documented as invalid`);
  }
});

// ---------------------------------------------------------------------------
// POST /tokens and POST /tokens/ (tokensCreate).

for (const path of CREATE_PATHS) {
  test(`POST ${path}: 201 with and without a lifetime`, async () => {
    const expiring = await call("POST", url(path), { ...admin, body: { capabilities: caps("tokensGetToken"), lifetime: 3600, description: "e" } });
    conforms(path, "post", expiring);
    assert.equal(expiring.status, 201);
    const now = Math.floor(Date.now() / 1000);
    assert.ok(Math.abs(expiring.body.valid_until - (now + 3600)) <= 5, `valid_until in seconds: ${expiring.body.valid_until}`);

    const forever = await call("POST", url(path), { ...admin, body: { capabilities: [limited("tokensGetToken", 2)] } });
    conforms(path, "post", forever);
    assert.equal(forever.status, 201);
    assert.equal(forever.body.valid_until, undefined);
    assert.notEqual(forever.body.id, forever.body.token);
  });

  test(`POST ${path}: 400 INVALID_INPUT`, async () => {
    const bodies = [
      { raw: "{not json", headers: { "content-type": "application/json" } },
      { raw: "[]", headers: { "content-type": "application/json" } },
      { body: {} },
      { body: { capabilities: [] } },
      { body: { capabilities: caps("tokensGetToken"), lifetime: 0 } },
      { body: { capabilities: caps("tokensGetToken"), lifetime: "60" } },
      { body: { capabilities: "tokensGetToken" } },
    ];
    for (const options of bodies) {
      const res = await call("POST", url(path), { ...admin, ...options });
      conforms(path, "post", res);
      assert.equal(res.status, 400, `${JSON.stringify(options)}: ${res.text}`);
      assert.equal(res.body.status, "INVALID_INPUT", `${JSON.stringify(options)}: ${res.text}`);
      assert.ok(res.body.error.length > 0);
    }
  });

  test(`POST ${path}: 400 INVALID_TOKEN_CAPABILITIES`, async () => {
    const bodies = [
      { capabilities: caps("notAnEndpoint") },
      { capabilities: caps("tokensGetToken", "tokensGetToken") },
      { capabilities: [limited("tokensGetToken", 0)] },
      { capabilities: [{ endpoint: "tokensGetToken", limits: [{ type: "rate", conditions: { max: 1 } }] }] },
      { capabilities: [{ endpoint: "tokensGetToken", limits: [{ type: "calls", conditions: { max: 1, per: 2 } }] }] },
      { capabilities: Array.from({ length: 65 }, (_, i) => ({ endpoint: CONTRACT_CAPABILITIES[i % 40] })) },
    ];
    for (const body of bodies) {
      const res = await call("POST", url(path), { ...admin, body });
      conforms(path, "post", res);
      assert.equal(res.status, 400, `${JSON.stringify(body).slice(0, 200)}: ${res.text}`);
      assert.equal(res.body.status, "INVALID_TOKEN_CAPABILITIES", `${JSON.stringify(body).slice(0, 200)}: ${res.text}`);
    }
  });

  test(`POST ${path}: 400 INVALID_TOKEN_DESCRIPTION`, async () => {
    const res = await call("POST", url(path), { ...admin, body: { capabilities: caps("tokensGetToken"), description: "d".repeat(257) } });
    conforms(path, "post", res);
    assert.equal(res.status, 400);
    assert.equal(res.body.status, "INVALID_TOKEN_DESCRIPTION");
    const longest = await call("POST", url(path), { ...admin, body: { capabilities: caps("tokensGetToken"), description: "d".repeat(256) } });
    conforms(path, "post", longest);
    assert.equal(longest.status, 201);
  });

  test(`POST ${path}: 401 for no, malformed, forged and deleted credentials`, async () => {
    const victim = await adminCreate({ capabilities: caps("tokensCreate", "tokensGetToken") });
    assert.equal((await call("DELETE", url("/tokens/{id}", victim.id), admin)).status, 204);
    const body = { capabilities: caps("tokensGetToken") };
    const forged = victim.token.slice(0, -1) + (victim.token.endsWith("A") ? "B" : "A");
    for (const token of [undefined, "", "garbage", forged, victim.token]) {
      const res = await call("POST", url(path), { token, body });
      conforms(path, "post", res);
      assert.equal(res.status, 401, `token ${JSON.stringify(token)}: ${res.text}`);
      assert.deepEqual(res.body, AUTHENTICATION_FAILED);
    }
  });

  test(`POST ${path}: 403 UNAUTHORIZED without tokensCreate, and when its calls limit is used up`, async () => {
    const reader = await adminCreate({ capabilities: caps("tokensGetToken") });
    const denied = await call("POST", url(path), { token: reader.token, body: { capabilities: caps("tokensGetToken") } });
    conforms(path, "post", denied);
    assert.equal(denied.status, 403);
    assert.deepEqual(denied.body, AUTHORIZATION_FAILED);

    const once = await adminCreate({ capabilities: [limited("tokensCreate", 1), ...caps("tokensGetToken")] });
    const first = await call("POST", url(path), { token: once.token, body: { capabilities: caps("tokensGetToken") } });
    conforms(path, "post", first);
    assert.equal(first.status, 201);
    const second = await call("POST", url(path), { token: once.token, body: { capabilities: caps("tokensGetToken") } });
    conforms(path, "post", second);
    assert.equal(second.status, 403);
    assert.deepEqual(second.body, AUTHORIZATION_FAILED);
  });

  test(`POST ${path}: 403 FORBIDDEN when a delegated token asks for capabilities it does not hold or may not widen`, async () => {
    const parent = await adminCreate({ capabilities: [...caps("tokensCreate"), limited("tokensGetToken", 5)], lifetime: 3600 });
    const requests = [
      { capabilities: caps("tokensDelete") },
      { capabilities: caps("tokensGetToken") }, // drops the parent's limit: a widening
      { capabilities: [limited("tokensGetToken", 6)] },
      { capabilities: [limited("tokensGetToken", 5), ...caps("nodeGetInfo")] },
    ];
    for (const body of requests) {
      const res = await call("POST", url(path), { token: parent.token, body });
      conforms(path, "post", res);
      assert.equal(res.status, 403, `${JSON.stringify(body)}: ${res.text}`);
      assert.deepEqual(res.body, { status: "FORBIDDEN", error: "requested token capabilities not allowed" });
    }
    const narrowed = await call("POST", url(path), { token: parent.token, body: { capabilities: [limited("tokensGetToken", 2)] } });
    conforms(path, "post", narrowed);
    assert.equal(narrowed.status, 201);
    assert.ok(narrowed.body.valid_until <= parent.valid_until, "the child inherits the parent's expiry");
  });

  test(`POST ${path}: 403 FORBIDDEN when a delegated token asks for a later expiry`, async () => {
    const parent = await adminCreate({ capabilities: caps("tokensCreate", "tokensGetToken"), lifetime: 600 });
    const res = await call("POST", url(path), { token: parent.token, body: { capabilities: caps("tokensGetToken"), lifetime: 3600 } });
    conforms(path, "post", res);
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, { status: "FORBIDDEN", error: "requested token lifetime not allowed" });
  });

  test(`POST ${path}: 503 MISCONFIGURED without API_TOKEN, 503 UNAVAILABLE without storage`, async () => {
    await withWorker({ bindings: {} }, async (misconfiguredCall) => {
      const res = await misconfiguredCall("POST", url(path), { ...admin, body: { capabilities: caps("tokensGetToken") } });
      conforms(path, "post", res);
      assert.equal(res.status, 503);
      assert.equal(res.body.status, "MISCONFIGURED");
    });
    await withWorker({ kv: false }, async (storagelessCall) => {
      const res = await storagelessCall("POST", url(path), { ...admin, body: { capabilities: caps("tokensGetToken") } });
      conforms(path, "post", res);
      assert.equal(res.status, 503);
      assert.equal(res.body.status, "UNAVAILABLE");
    });
  });
}

test("POST /tokens: 403 FORBIDDEN at the documented delegation depth limit", async () => {
  const example = Object.values(doc.paths["/tokens"].post.responses["403"].content["application/json"].examples).find((e) =>
    e.value.error.startsWith("delegation depth"),
  );
  const documentedDepth = Number(example?.value.error.match(/at most (\d+) ancestors/)?.[1]);
  assert.ok(documentedDepth > 0, "the document states the depth limit");

  let holder = await adminCreate({ capabilities: caps("tokensCreate") }); // no ancestors
  let ancestors = 0;
  let refused;
  while (ancestors <= documentedDepth + 1) {
    const res = await call("POST", `${API}/tokens`, { token: holder.token, body: { capabilities: caps("tokensCreate") } });
    conforms("/tokens", "post", res);
    if (res.status !== 201) {
      refused = res;
      break;
    }
    holder = res.body;
    ancestors += 1;
  }
  assert.ok(refused, "a chain deeper than the documented limit is refused");
  assert.equal(refused.status, 403);
  assert.equal(refused.body.status, "FORBIDDEN");
  assert.equal(ancestors, documentedDepth, "tokens with up to the documented number of ancestors can be created");
});

test("POST /tokens: 413 PAYLOAD_TOO_LARGE over 16 KiB", async () => {
  const raw = JSON.stringify({ capabilities: caps("tokensGetToken"), description: "x".repeat(16 * 1024) });
  for (const path of CREATE_PATHS) {
    const res = await call("POST", url(path), { ...admin, raw, headers: { "content-type": "application/json" } });
    conforms(path, "post", res);
    assert.equal(res.status, 413);
    assert.equal(res.body.status, "PAYLOAD_TOO_LARGE");
  }
});

// ---------------------------------------------------------------------------
// GET /token (tokensGetToken).

test("GET /token: 200 with the caller's token, used counting this call", async () => {
  const created = await adminCreate({ capabilities: [limited("tokensGetToken", 3), ...caps("nodeGetInfo")], lifetime: 600, description: "mine" });
  const res = await call("GET", `${API}/token`, { token: created.token });
  conforms("/token", "get", res);
  assert.equal(res.status, 200);
  assert.equal(res.body.id, created.id);
  assert.equal(res.body.valid_until, created.valid_until);
  assert.equal(res.body.description, "mine");
  assert.deepEqual(res.body.capabilities, [
    { endpoint: "tokensGetToken", limits: [{ type: "calls", conditions: { max: 3 }, used: 1 }] },
    { endpoint: "nodeGetInfo", limits: [] },
  ]);
  assert.ok(!res.text.includes(created.token), "the secret is never returned again");
});

test("GET /token: 200 through each documented security scheme", async () => {
  const created = await adminCreate({ capabilities: caps("tokensGetToken") });
  const presentations = [
    { "x-auth-token": created.token },
    { "X-Auth-Token": created.token },
    { authorization: `Basic ${Buffer.from(`${created.token}:ignored`).toString("base64")}` },
    { authorization: `Basic ${Buffer.from(created.token).toString("base64")}` },
    { authorization: `Bearer ${created.token}` },
  ];
  for (const headers of presentations) {
    const res = await call("GET", `${API}/token`, { headers });
    conforms("/token", "get", res);
    assert.equal(res.status, 200, `${Object.keys(headers)[0]}: ${res.text}`);
    assert.equal(res.body.id, created.id);
  }
});

test("GET /token: 401 for no, malformed, forged, deleted and expired credentials", async () => {
  const deleted = await adminCreate({ capabilities: caps("tokensGetToken") });
  assert.equal((await call("DELETE", url("/tokens/{id}", deleted.id), admin)).status, 204);
  const expired = await adminCreate({ capabilities: caps("tokensGetToken"), lifetime: 1 });
  const forged = deleted.token.slice(0, -1) + (deleted.token.endsWith("A") ? "B" : "A");
  await new Promise((resolve) => setTimeout(resolve, 2100));
  const attempts = [
    {},
    { token: "garbage" },
    { token: forged },
    { token: deleted.token },
    { token: expired.token },
    { headers: { authorization: "Bearer garbage" } },
    { headers: { authorization: "Basic !!!" } },
  ];
  for (const options of attempts) {
    const res = await call("GET", `${API}/token`, options);
    conforms("/token", "get", res);
    assert.equal(res.status, 401, `${JSON.stringify(options)}: ${res.text}`);
    assert.deepEqual(res.body, AUTHENTICATION_FAILED);
  }
});

test("GET /token: 403 UNAUTHORIZED without tokensGetToken, and when its calls limit is used up", async () => {
  const other = await adminCreate({ capabilities: caps("tokensCreate") });
  const denied = await call("GET", `${API}/token`, { token: other.token });
  conforms("/token", "get", denied);
  assert.equal(denied.status, 403);
  assert.deepEqual(denied.body, AUTHORIZATION_FAILED);

  const once = await adminCreate({ capabilities: [limited("tokensGetToken", 1)] });
  const first = await call("GET", `${API}/token`, { token: once.token });
  conforms("/token", "get", first);
  assert.equal(first.status, 200);
  const second = await call("GET", `${API}/token`, { token: once.token });
  conforms("/token", "get", second);
  assert.equal(second.status, 403);
  assert.deepEqual(second.body, AUTHORIZATION_FAILED);
});

test("GET /token: 404 NOT_FOUND for the admin token", async () => {
  const res = await call("GET", `${API}/token`, admin);
  conforms("/token", "get", res);
  assert.equal(res.status, 404);
  assert.deepEqual(res.body, { status: "NOT_FOUND", error: "the admin token has no token record" });
});

test("GET /token: 503 MISCONFIGURED without API_TOKEN, 503 UNAVAILABLE without the limit counters", async () => {
  await withWorker({ bindings: {} }, async (misconfiguredCall) => {
    const res = await misconfiguredCall("GET", `${API}/token`, { token: "etk_anything" });
    conforms("/token", "get", res);
    assert.equal(res.status, 503);
    assert.equal(res.body.status, "MISCONFIGURED");
    const document = await misconfiguredCall("GET", `${API}/openapi.json`);
    conforms("/openapi.json", "get", document);
  });
  await withWorker({ durableObjects: false }, async (callCounterless) => {
    const created = await callCounterless("POST", `${API}/tokens`, { ...admin, body: { capabilities: [limited("tokensGetToken", 3)] } });
    assert.equal(created.status, 201, created.text);
    const res = await callCounterless("GET", `${API}/token`, { token: created.body.token });
    conforms("/token", "get", res);
    assert.equal(res.status, 503);
    assert.equal(res.body.status, "UNAVAILABLE");
  });
});

// ---------------------------------------------------------------------------
// DELETE /tokens/{id} (tokensDelete).

test("DELETE /tokens/{id}: 204 with an empty body, for the admin, for itself and for its descendants", async () => {
  const victim = await adminCreate({ capabilities: caps("tokensGetToken") });
  const res = await call("DELETE", url("/tokens/{id}", victim.id), admin);
  conforms("/tokens/{id}", "delete", res);
  assert.equal(res.status, 204);

  const parent = await adminCreate({ capabilities: caps("tokensCreate", "tokensDelete", "tokensGetToken") });
  const child = await call("POST", `${API}/tokens`, { token: parent.token, body: { capabilities: caps("tokensGetToken") } });
  assert.equal(child.status, 201);
  const byParent = await call("DELETE", url("/tokens/{id}", child.body.id), { token: parent.token });
  conforms("/tokens/{id}", "delete", byParent);
  assert.equal(byParent.status, 204);
  const itself = await call("DELETE", url("/tokens/{id}", parent.id), { token: parent.token });
  conforms("/tokens/{id}", "delete", itself);
  assert.equal(itself.status, 204);
});

test("DELETE /tokens/{id}: 401 for no and deleted credentials", async () => {
  const target = await adminCreate({ capabilities: caps("tokensGetToken") });
  const gone = await adminCreate({ capabilities: caps("tokensDelete") });
  assert.equal((await call("DELETE", url("/tokens/{id}", gone.id), admin)).status, 204);
  for (const token of [undefined, "garbage", gone.token]) {
    const res = await call("DELETE", url("/tokens/{id}", target.id), { token });
    conforms("/tokens/{id}", "delete", res);
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, AUTHENTICATION_FAILED);
  }
});

test("DELETE /tokens/{id}: 403 UNAUTHORIZED without tokensDelete, and when its calls limit is used up", async () => {
  const reader = await adminCreate({ capabilities: caps("tokensGetToken") });
  const denied = await call("DELETE", url("/tokens/{id}", reader.id), { token: reader.token });
  conforms("/tokens/{id}", "delete", denied);
  assert.equal(denied.status, 403);
  assert.deepEqual(denied.body, AUTHORIZATION_FAILED);

  const once = await adminCreate({ capabilities: [...caps("tokensCreate"), limited("tokensDelete", 1)] });
  const children = [];
  for (let i = 0; i < 2; i++) {
    const child = await call("POST", `${API}/tokens`, { token: once.token, body: { capabilities: caps("tokensCreate") } });
    assert.equal(child.status, 201, child.text);
    children.push(child.body);
  }
  const first = await call("DELETE", url("/tokens/{id}", children[0].id), { token: once.token });
  conforms("/tokens/{id}", "delete", first);
  assert.equal(first.status, 204);
  const second = await call("DELETE", url("/tokens/{id}", children[1].id), { token: once.token });
  conforms("/tokens/{id}", "delete", second);
  assert.equal(second.status, 403);
  assert.deepEqual(second.body, AUTHORIZATION_FAILED);
});

test("DELETE /tokens/{id}: 404 NOT_FOUND for unknown, already deleted and not-yours ids", async () => {
  const stranger = await adminCreate({ capabilities: caps("tokensGetToken") });
  const deleter = await adminCreate({ capabilities: caps("tokensDelete") });
  const deleted = await adminCreate({ capabilities: caps("tokensGetToken") });
  assert.equal((await call("DELETE", url("/tokens/{id}", deleted.id), admin)).status, 204);
  const attempts = [
    [admin, "AAAAAAAAAAAAAAAAAAAAAA"],
    [admin, "not-an-id"],
    [admin, deleted.id],
    [{ token: deleter.token }, stranger.id],
  ];
  for (const [credential, id] of attempts) {
    const res = await call("DELETE", url("/tokens/{id}", id), credential);
    conforms("/tokens/{id}", "delete", res);
    assert.equal(res.status, 404, `${id}: ${res.text}`);
    assert.deepEqual(res.body, { status: "NOT_FOUND", error: "token not found" });
  }
  // The not-yours attempt left the token alone.
  assert.equal((await call("GET", `${API}/token`, { token: stranger.token })).status, 200);
});

test("DELETE /tokens/{id}: 503 MISCONFIGURED without API_TOKEN, 503 UNAVAILABLE without storage", async () => {
  await withWorker({ bindings: {} }, async (misconfiguredCall) => {
    const res = await misconfiguredCall("DELETE", url("/tokens/{id}", "AAAAAAAAAAAAAAAAAAAAAA"), admin);
    conforms("/tokens/{id}", "delete", res);
    assert.equal(res.status, 503);
    assert.equal(res.body.status, "MISCONFIGURED");
  });
  await withWorker({ kv: false }, async (storagelessCall) => {
    const res = await storagelessCall("DELETE", url("/tokens/{id}", "AAAAAAAAAAAAAAAAAAAAAA"), admin);
    conforms("/tokens/{id}", "delete", res);
    assert.equal(res.status, 503);
    assert.equal(res.body.status, "UNAVAILABLE");
  });
});

test("429 TOO_MANY_REQUESTS with Retry-After once a client address fails to sign in too often, on every operation", async () => {
  await withWorker({ failedSignInLimit: 1 }, async (throttledCall) => {
    const wrong = { token: "wrong-token-for-throttling" };
    const attempts = [
      ["/tokens", "post", () => throttledCall("POST", url("/tokens"), { ...wrong, body: { capabilities: caps("tokensGetToken") } })],
      ["/tokens/", "post", () => throttledCall("POST", url("/tokens/"), { ...wrong, body: { capabilities: caps("tokensGetToken") } })],
      ["/token", "get", () => throttledCall("GET", url("/token"), wrong)],
      ["/tokens/{id}", "delete", () => throttledCall("DELETE", url("/tokens/{id}", "AAAAAAAAAAAAAAAAAAAAAA"), wrong)],
    ];
    assert.equal((await attempts[0][2]()).status, 401, "the first failure is within the limit");
    for (const [path, method, attempt] of attempts) {
      const res = await attempt();
      conforms(path, method, res);
      assert.equal(res.status, 429);
      assert.equal(res.body.status, "TOO_MANY_REQUESTS");
    }
  });
});

// ---------------------------------------------------------------------------

test("every documented response of every operation was exercised against the Worker", () => {
  const missing = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      for (const code of Object.keys(operation.responses ?? {})) {
        if (!exercised.has(`${path} ${method} ${code}`)) missing.push(`${method.toUpperCase()} ${path} ${code}`);
      }
    }
  }
  assert.deepEqual(missing, []);
});
