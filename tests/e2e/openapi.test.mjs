// The OpenAPI document served at /api/v3/openapi.json matches the built
// Worker's real answers in workerd: every documented response of every
// operation is driven (what the token operations share, from one route ×
// outcome matrix), each real answer is held against the document (status
// documented, documented headers sent, body valid against the documented
// schema, `reason` on every 403 and only there, and an error body of a
// documented kind), and every documented error example is answered
// verbatim. The bounds the document publishes (body size, delegation depth,
// page size, grace period) are tried at their edges.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import Ajv2020 from "ajv/dist/2020.js";
import { startWorker, client, ADMIN_TOKEN, caps, limited } from "./harness.mjs";

// The Worker behind the test shim, so that a request can ask for slow storage.
const worker = await startWorker({ entry: new URL("faults-shim.mjs", import.meta.url).pathname });
const call = client(worker.url);

/** Workers with a broken configuration, started on first use and stopped at the end. */
const VARIANTS = {
  noAdmin: { bindings: {} },
  weakAdmin: { bindings: { API_TOKEN: "w".repeat(31) } },
  blankAdmin: { bindings: { API_TOKEN: " ".repeat(40) } },
  noKv: { kv: false },
  noCounters: { durableObjects: false },
  throttled: { failedSignInLimit: 1 },
};
/** What each Worker without a usable admin token is called with, and answers. */
const MISCONFIGURATIONS = [
  ["noAdmin", "anything-at-all", "the API_TOKEN secret is not configured"],
  ["weakAdmin", VARIANTS.weakAdmin.bindings.API_TOKEN, "the API_TOKEN secret must be at least 32 characters and not only whitespace"],
  ["blankAdmin", VARIANTS.blankAdmin.bindings.API_TOKEN, "the API_TOKEN secret must be at least 32 characters and not only whitespace"],
];
const started = new Map();
function variant(name) {
  if (!started.has(name)) started.set(name, startWorker(VARIANTS[name]));
  return started.get(name).then((variantWorker) => client(variantWorker.url));
}
after(async () => {
  await Promise.all([...started.values()].map(async (starting) => (await starting).close()));
  await worker.close();
});

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
  "/tokens": ["get", "post"],
  "/tokens/": ["post"],
  "/tokens/{id}": ["delete", "get"],
  "/tokens/{id}/rotate": ["post"],
  "/tokens/{id}/events": ["get"],
  "/token": ["get"],
  "/gateway": ["get"],
  "/openapi.json": ["get"],
};

/** Every `status` value the contract names for an error body. */
const CONTRACT_ERROR_STATUSES = [
  "UNAUTHORIZED", "FORBIDDEN", "INVALID_INPUT", "INVALID_TOKEN_CAPABILITIES", "INVALID_TOKEN_DESCRIPTION",
  "PAYLOAD_TOO_LARGE", "NOT_FOUND", "CONFLICT", "MISCONFIGURED", "UNAVAILABLE", "TOO_MANY_REQUESTS", "GATEWAY_NOT_CONFIGURED",
];

/** The presets the contract names (offered by the console, served with the gateway's table). */
const CONTRACT_PRESETS = ["read-only", "sessions", "funds"];

/** Every refusal `reason` the contract names. */
const CONTRACT_REASONS = [
  "missing_capability", "limit_exhausted", "condition_failed", "capabilities_not_allowed", "lifetime_not_allowed",
  "depth_limit", "secret_in_grace",
];

const AUTHENTICATION_FAILED = { status: "UNAUTHORIZED", error: "authentication failed" };
const missingCapability = (endpoint) => ({
  status: "UNAUTHORIZED",
  error: `authorization failed: the token does not hold the ${endpoint} capability`,
  reason: "missing_capability",
});
const limitExhausted = (endpoint, max) => ({
  status: "UNAUTHORIZED",
  error: `authorization failed: calls limit of ${endpoint} used up (${max} of ${max})`,
  reason: "limit_exhausted",
});
const TOKEN_NOT_FOUND = { status: "NOT_FOUND", error: "token not found" };
const UNAVAILABLE = { status: "UNAVAILABLE", error: "token storage is unavailable; try again" };
const THROTTLED = { status: "TOO_MANY_REQUESTS", error: "too many failed sign-ins from this address; retry in 60 seconds" };
const IN_GRACE = {
  status: "UNAUTHORIZED",
  error: "authorization failed: a secret replaced by a rotation works only for the token's other calls during its grace period; it may not create, delete or rotate tokens",
  reason: "secret_in_grace",
};
/** The capabilities a secret in its grace period may not use. */
const GRACE_REFUSED = ["tokensCreate", "tokensDelete", "tokensRotate"];
const CAPABILITIES_NOT_ALLOWED = { status: "FORBIDDEN", error: "requested token capabilities not allowed", reason: "capabilities_not_allowed" };
const LIFETIME_NOT_ALLOWED = { status: "FORBIDDEN", error: "requested token lifetime not allowed", reason: "lifetime_not_allowed" };

// ---------------------------------------------------------------------------
// The document, and a validator over it.

const served = await call("GET", `${API}/openapi.json`);
const doc = served.body;

const DOC_ID = "https://edge-tokens.test/openapi.json";
// The document is OpenAPI 3.1; its schemas are JSON Schema 2020-12. The whole
// document is added as one schema (its OpenAPI-only top-level keys declared as
// a vocabulary so strict mode accepts them), and response schemas are compiled
// as `{ $ref: DOC_ID#<json pointer> }`, so `#/components/schemas/...` refs
// inside them resolve against the document. Strict mode refuses unknown
// formats: each format the document uses is declared here, and checked.
const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
ajv.addVocabulary(["openapi", "info", "jsonSchemaDialect", "servers", "paths", "webhooks", "components", "security", "tags", "externalDocs"]);
for (const bits of [16, 32, 64]) {
  ajv.addFormat(`uint${bits}`, { type: "number", validate: (n) => Number.isInteger(n) && n >= 0 && n <= 2 ** bits - 1 });
}
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

/** The values a string schema allows: its `enum`, or the `const` of each `oneOf` branch. */
function allowedValues(schema) {
  return schema?.enum ?? (schema?.oneOf ?? []).map((branch) => branch.const);
}

/** Every documented response: [path, method, code, resolved response]. */
function documentedResponses() {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).flatMap(([method, operation]) =>
      Object.entries(operation.responses ?? {}).map(([code, response]) => [path, method, code, resolveResponse(response, "").response]),
    ),
  );
}

/** Which (path method status) triples, and which error examples, the tests below have seen answered. */
const exercised = new Set();
const examplesAnswered = new Set();

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
  const where = `${method.toUpperCase()} ${path} ${code}`;
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
    assert.ok(res.headers.get(name), `documented header ${name} is sent with ${where}`);
  }

  const content = response.content ?? {};
  if (Object.keys(content).length === 0) {
    assert.equal(res.text, "", `${where} has no documented body, so none is sent`);
    return;
  }
  assert.ok(content["application/json"], `${where} documents an application/json body`);
  const contentType = res.headers.get("content-type") ?? "";
  assert.ok(contentType.startsWith("application/json"), `content-type of ${where} is ${contentType}`);
  assert.notEqual(res.body, undefined, `${where} body is JSON: ${res.text}`);

  const validate = validatorAt(`${pointer}/content/application~1json/schema`);
  assert.ok(validate(res.body), `${where} body ${res.text} breaks the documented schema: ${ajv.errorsText(validate.errors)}`);

  if (res.status >= 400) {
    assert.equal(Object.hasOwn(res.body, "reason"), res.status === 403, `${where}: a reason on every 403 and only there: ${res.text}`);
    // A documented kind of error: an example with the same status and reason.
    const examples = Object.entries(content["application/json"].examples ?? {});
    assert.ok(examples.length > 0, `${where} documents examples`);
    assert.ok(
      examples.some(([, example]) => example.value.status === res.body.status && example.value.reason === res.body.reason),
      `${where}: ${res.text} is of a documented kind: ${examples.map(([, e]) => JSON.stringify(e.value)).join(", ")}`,
    );
    for (const [name, example] of examples) {
      if (JSON.stringify(example.value) === JSON.stringify(res.body)) examplesAnswered.add(`${where} ${name}`);
    }
  }
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

const rotate = (id, options) => call("POST", url("/tokens/{id}/rotate", id), options);

/** An issued parent holding the token capabilities, with one child and one grandchild. */
async function family() {
  const all = caps("tokensCreate", "tokensGetToken", "tokensDelete", "tokensRotate");
  const parent = await adminCreate({ capabilities: all, description: "parent" });
  const child = await call("POST", url("/tokens"), { token: parent.token, body: { capabilities: all, description: "child" } });
  assert.equal(child.status, 201, child.text);
  const grandchild = await call("POST", url("/tokens"), { token: child.body.token, body: { capabilities: caps("tokensGetToken") } });
  assert.equal(grandchild.status, 201, grandchild.text);
  return { parent, child: child.body, grandchild: grandchild.body };
}

const CREATE_PATHS = ["/tokens", "/tokens/"];
const ANY_ID = "AAAAAAAAAAAAAAAAAAAAAA";

// ---------------------------------------------------------------------------
// The document itself.

test("GET /openapi.json: 200, an OpenAPI 3.1 JSON document, served without a credential, also by a Worker without a usable admin token", async () => {
  conforms("/openapi.json", "get", served);
  assert.equal(served.status, 200);
  assert.match(doc.openapi, /^3\.1\./);
  assert.deepEqual(doc.paths["/openapi.json"].get.security, []);
  const withGarbage = await call("GET", `${API}/openapi.json`, { token: "etk_not-a-token" });
  conforms("/openapi.json", "get", withGarbage);
  assert.deepEqual(withGarbage.body, doc);
  for (const [name] of MISCONFIGURATIONS) {
    const document = await (await variant(name))("GET", `${API}/openapi.json`);
    conforms("/openapi.json", "get", document);
    assert.equal(document.status, 200, `${name}: the public document is still served`);
  }
});

test("the document lists every path the service answers, under server url /api/v3", () => {
  assert.deepEqual(doc.servers?.map((server) => server.url), ["/api/v3"]);
  assert.deepEqual(Object.keys(doc.paths).sort(), Object.keys(SERVICE_PATHS).sort());
  for (const [path, methods] of Object.entries(SERVICE_PATHS)) {
    assert.deepEqual(Object.keys(doc.paths[path]).sort(), [...methods].sort(), `methods documented for ${path}`);
  }
});

test("every documented path is answered by the service; another method is 405 with an Allow naming the documented ones", async () => {
  for (const [path, methods] of Object.entries(SERVICE_PATHS)) {
    const other = methods.includes("get") ? "PUT" : "GET";
    const res = await call(other, url(path, ANY_ID), admin);
    assert.equal(res.status, 405, `${other} ${path}: ${res.text}`);
    assert.equal(res.body?.status, "METHOD_NOT_ALLOWED");
    assert.ok(validatorAt("/components/schemas/ErrorBody")(res.body), `405 body ${res.text} is an ErrorBody`);
    const allow = (res.headers.get("allow") ?? "").split(",").map((method) => method.trim().toLowerCase());
    assert.deepEqual(allow.filter((method) => method !== "options").sort(), [...methods].sort(), `Allow for ${path}`);
  }
  const unknown = await call("GET", `${API}/tokenz`, admin);
  assert.deepEqual([unknown.status, unknown.body], [404, { status: "NOT_FOUND", error: "no such route" }]);
});

test("operationIds are unique; tokensCreate, tokensGetToken, tokensDelete, tokensList, tokensInspect, tokensRotate and tokensEvents name the token operations", () => {
  const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((operation) => operation.operationId));
  assert.equal(new Set(ids).size, ids.length, `operationIds ${ids}`);
  assert.equal(doc.paths["/tokens"].post.operationId, "tokensCreate");
  assert.equal(doc.paths["/token"].get.operationId, "tokensGetToken");
  assert.equal(doc.paths["/tokens/{id}"].delete.operationId, "tokensDelete");
  assert.equal(doc.paths["/tokens"].get.operationId, "tokensList");
  assert.equal(doc.paths["/tokens/{id}"].get.operationId, "tokensInspect");
  assert.equal(doc.paths["/tokens/{id}/rotate"].post.operationId, "tokensRotate");
  assert.equal(doc.paths["/tokens/{id}/events"].get.operationId, "tokensEvents");
});

test("GET /tokens documents its query: limit 1..1000 (default 100), an opaque cursor, a parent id; none required", () => {
  const parameters = Object.fromEntries(doc.paths["/tokens"].get.parameters.map((parameter) => [parameter.name, parameter]));
  assert.deepEqual(Object.keys(parameters).sort(), ["cursor", "limit", "parent"]);
  for (const parameter of Object.values(parameters)) assert.deepEqual([parameter.in, parameter.required], ["query", false], parameter.name);
  const { limit } = parameters;
  assert.deepEqual([limit.schema.type, limit.schema.minimum, limit.schema.maximum, limit.schema.default], ["integer", 1, 1000, 100]);
  assert.equal(parameters.cursor.schema.type, "string");
  assert.equal(parameters.parent.schema.$ref, "#/components/schemas/TokenId");
  assert.equal(doc.paths["/tokens/{id}/rotate"].post.requestBody.required, false, "the rotate body may be left out");
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
  for (const ref of refs) assert.notEqual(atPointer(ref), undefined, `$ref ${ref} resolves`);
  assert.deepEqual(
    Object.keys(doc.components.schemas).sort(),
    ["AllowConditions", "Area", "Capability", "CapabilityInfo", "CapabilityName", "CallsConditions", "CreateTokenRequest",
      "CreatedToken", "CurrencyInfo", "ErrorBody", "ErrorCode", "Event", "EventPage", "GatewayInfo", "GenerationInfo", "Limit", "PresetInfo", "Reason", "RequestedCapability",
      "RequestedLimit", "RotateRequest", "RotatedToken", "RouteInfo", "SpendConditions", "Token", "TokenId", "TokenInfo", "TokenPage"].sort(),
  );
  for (const name of Object.keys(doc.components.schemas)) {
    assert.doesNotThrow(() => validatorAt(`/components/schemas/${escapePointer(name)}`), `schema ${name} compiles`);
  }
});

test("the CapabilityName enum holds the 40 names of the contract first, then exactly the gateway's, then tokensRotate", async () => {
  const names = doc.components.schemas.CapabilityName.enum;
  assert.equal(new Set(names).size, names.length, "no duplicates");
  assert.deepEqual(names.slice(0, 40), CONTRACT_CAPABILITIES);
  assert.equal(names.at(-1), "tokensRotate", "the service's own capability beyond the original API comes last");
  const gateway = await call("GET", `${API}/gateway`);
  conforms("/gateway", "get", gateway);
  const needed = new Set(gateway.body.routes.map((route) => route.capability).filter(Boolean));
  for (const name of names.slice(40, -1)) assert.ok(needed.has(name), `${name} authorises a node route`);
  for (const name of needed) assert.ok(names.includes(name), `${name} is in the catalogue`);
});

test("GET /gateway: the catalogue (name, area, summary) in the CapabilityName order, and the contract's presets", async () => {
  const res = await call("GET", `${API}/gateway`);
  conforms("/gateway", "get", res);
  const names = doc.components.schemas.CapabilityName.enum;
  assert.deepEqual(res.body.capabilities.map((capability) => capability.name), names, "every grantable name once, in order");
  const areas = allowedValues(doc.components.schemas.Area);
  for (const { name, area, summary } of res.body.capabilities) {
    assert.ok(areas.includes(area), `${name}: area ${area} is one of ${areas}`);
    assert.ok(summary.trim().length > 0, `${name} has a summary`);
  }
  assert.deepEqual(
    res.body.capabilities.filter((capability) => capability.name.startsWith("tokens")).map(({ name, area }) => [name, area]),
    [["tokensCreate", "tokens"], ["tokensGetToken", "tokens"], ["tokensDelete", "tokens"], ["tokensRotate", "tokens"]],
  );
  assert.deepEqual(res.body.presets.map((preset) => preset.name), CONTRACT_PRESETS);
  for (const preset of res.body.presets) {
    assert.ok(preset.capabilities.length > 0, `${preset.name} grants something`);
    assert.equal(new Set(preset.capabilities).size, preset.capabilities.length, `${preset.name}: no duplicates`);
    for (const name of preset.capabilities) assert.ok(names.includes(name), `${preset.name}: ${name} is in the catalogue`);
    const created = await call("POST", `${API}/tokens`, { ...admin, body: { capabilities: caps(...preset.capabilities) } });
    conforms("/tokens", "post", created);
    assert.equal(created.status, 201, `preset ${preset.name} is a valid create: ${created.text}`);
  }
});

test("GET /gateway: 200 GatewayInfo without credentials; off without ORIGIN_URL, with its route table", async () => {
  const res = await call("GET", `${API}/gateway`);
  conforms("/gateway", "get", res);
  assert.equal(res.status, 200);
  assert.equal(doc.paths["/gateway"].get.responses["200"].content["application/json"].schema.$ref, "#/components/schemas/GatewayInfo");
  assert.equal(res.body.enabled, false);
  assert.deepEqual(res.body.routes.find((route) => route.path === "/api/v4/node/info"), {
    method: "GET", path: "/api/v4/node/info", capability: "nodeGetInfo", websocket: false,
  });
  assert.deepEqual(res.body.currencies, [{ name: "xDai", decimals: 18 }, { name: "wxHOPR", decimals: 18 }],
    "the currencies a spend budget may be in, with the decimals of their amounts");
  // The API generations the routes belong to, each with the node release it follows: every route in one.
  assert.deepEqual(res.body.generations.map(({ name, prefix }) => [name, prefix]), [["/api/v4", "/api/v4/"], ["/api/v3", "/api/v3/"], ["Root", "/"]]);
  assert.match(res.body.generations[0].about, /hoprd-api 4\.14\b/);
  assert.match(res.body.generations[1].about, /hoprd-api 4\.0\.0\b/);
  for (const route of res.body.routes) assert.ok(res.body.generations.some(({ prefix }) => route.path.startsWith(prefix)), route.path);
});

test("ErrorBody: status and error required, an optional reason; ErrorCode and Reason name the contract's values", () => {
  const body = doc.components.schemas.ErrorBody;
  assert.deepEqual([...body.required].sort(), ["error", "status"]);
  assert.deepEqual(Object.keys(body.properties).sort(), ["error", "reason", "status"]);
  assert.equal(body.properties.reason.$ref, "#/components/schemas/Reason");
  const codes = allowedValues(doc.components.schemas.ErrorCode);
  for (const status of CONTRACT_ERROR_STATUSES) assert.ok(codes.includes(status), `ErrorCode has ${status}`);
  assert.deepEqual([...allowedValues(doc.components.schemas.Reason)].sort(), [...CONTRACT_REASONS].sort());
});

test("Capability: limits is optional and has at least one item when present, as in the original schema", () => {
  const capability = doc.components.schemas.Capability;
  assert.deepEqual(capability.required, ["endpoint"]);
  assert.equal(capability.properties.limits.minItems, 1);
  const validate = validatorAt("/components/schemas/Capability");
  assert.ok(validate({ endpoint: "nodeGetInfo" }), "an unlimited capability");
  assert.ok(!validate({ endpoint: "nodeGetInfo", limits: [] }), "never an empty list");
});

test("a node route without ORIGIN_URL: 503 with the documented GatewayNotConfigured body, whatever the credential", async () => {
  const documented = doc.components.responses.GatewayNotConfigured.content["application/json"];
  assert.equal(documented.schema.$ref, "#/components/schemas/ErrorBody");
  assert.match(doc.paths["/gateway"].get.description, /503 GATEWAY_NOT_CONFIGURED/);
  for (const token of [undefined, ADMIN_TOKEN, "etk_wrong"]) {
    const res = await call("GET", "/api/v4/node/info", { token });
    assert.equal(res.status, 503);
    assert.deepEqual(res.body, documented.examples.example0.value);
    assert.ok(validatorAt("/components/schemas/ErrorBody")(res.body));
  }
});

test("every documented 403 example carries a reason, and no other example does", () => {
  const reasons = allowedValues(doc.components.schemas.Reason);
  let forbidden = 0;
  for (const [path, method, code, response] of documentedResponses()) {
    for (const [name, example] of Object.entries(response.content?.["application/json"]?.examples ?? {})) {
      const where = `${method.toUpperCase()} ${path} ${code} ${name}`;
      assert.ok(validatorAt("/components/schemas/ErrorBody")(example.value), `${where} is an ErrorBody`);
      if (code === "403") {
        forbidden += 1;
        assert.ok(reasons.includes(example.value.reason), `${where} has a reason: ${JSON.stringify(example.value)}`);
      } else {
        assert.equal(example.value.reason, undefined, `${where} has no reason`);
      }
    }
  }
  assert.ok(forbidden >= 3, "each token operation documents its 403 examples");
});

test("the document declares the x-auth-token key scheme, the basic password scheme and bearer", () => {
  const schemes = doc.components.securitySchemes;
  const key = Object.values(schemes).find((scheme) => scheme.type === "apiKey");
  assert.equal(key?.in, "header");
  assert.equal(key?.name.toLowerCase(), "x-auth-token");
  assert.ok(Object.values(schemes).some((scheme) => scheme.type === "http" && scheme.scheme === "basic"));
  assert.ok(Object.values(schemes).some((scheme) => scheme.type === "http" && scheme.scheme === "bearer"));
  const required = doc.security.flatMap((requirement) => Object.keys(requirement));
  assert.deepEqual(required.sort(), Object.keys(schemes).sort(), "each scheme is a security alternative");
});

test("create request bodies: accepted ones validate against CreateTokenRequest, schema-breaking ones do not", async () => {
  const validate = validatorAt("/paths/~1tokens/post/requestBody/content/application~1json/schema");
  const accepted = [
    { capabilities: caps("tokensGetToken") },
    { capabilities: [limited("tokensGetToken", 3), limited("tokensDelete", 1)], lifetime: 60, description: "d" },
    { capabilities: [{ endpoint: "tokensGetToken", limits: [{ type: "calls", conditions: { max: 2 }, used: 7 }] }] },
    { capabilities: caps("nodeGetInfo"), lifetime: null, description: null, unknown: true },
    { capabilities: [{ endpoint: "nodeGetInfo", limits: [periodic(10, 3600), { type: "calls", conditions: { max: 100 } }] }] },
  ];
  for (const body of accepted) {
    const res = await call("POST", `${API}/tokens`, { ...admin, body });
    conforms("/tokens", "post", res);
    assert.equal(res.status, 201, `${JSON.stringify(body)}: ${res.text}`);
    assert.ok(validate(body), `${JSON.stringify(body)} is documented as valid: ${ajv.errorsText(validate.errors)}`);
  }
  const rejected = [
    {},
    { capabilities: [] },
    { capabilities: caps("tokensGetToken"), lifetime: 0 },
    { capabilities: caps("tokensGetToken"), lifetime: 1.5 },
    { capabilities: caps("notAnEndpoint") },
    { capabilities: caps("tokensGetToken", "tokensGetToken") },
    { capabilities: [limited("tokensGetToken", 0)] },
    { capabilities: [{ endpoint: "tokensGetToken", limits: [{ type: "rate", conditions: { max: 1 } }] }] },
    { capabilities: caps("tokensGetToken"), description: "x".repeat(257) },
    ...BAD_PERIODS.map(([, limits]) => ({ capabilities: [{ endpoint: "nodeGetInfo", limits }] })),
  ];
  for (const body of rejected) {
    const res = await call("POST", `${API}/tokens`, { ...admin, body });
    conforms("/tokens", "post", res);
    assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
    assert.ok(!validate(body), `${JSON.stringify(body)} is documented as invalid`);
  }
});

// ---------------------------------------------------------------------------
// POST /tokens and POST /tokens/ (tokensCreate).

/** A `calls` limit of `max` in any span of `period` seconds. */
const periodic = (max, period) => ({ type: "calls", conditions: { max, period } });

/** Periodic limits a capability may not carry: the answer's status, the limits, and what the error names. */
const BAD_PERIODS = [
  ["INVALID_INPUT", [periodic(1, 59)], "capabilities[0].limits[0].conditions.period must be an integer from 60 to 31536000 (seconds)"],
  ["INVALID_INPUT", [periodic(1, 31_536_001)], "capabilities[0].limits[0].conditions.period must be an integer from 60 to 31536000 (seconds)"],
  ["INVALID_INPUT", [periodic(1, 90.5)], "capabilities[0].limits[0].conditions.period must be an integer"],
  ["INVALID_INPUT", [periodic(1, "60")], "capabilities[0].limits[0].conditions.period must be an integer"],
  ["INVALID_TOKEN_CAPABILITIES", [periodic(1, 60), periodic(2, 120)], "capabilities[0].limits[1]: duplicate periodic 'calls' limit"],
];

test("POST /tokens: a period out of range is INVALID_INPUT and a second periodic limit of a type INVALID_TOKEN_CAPABILITIES, each naming the field", async () => {
  for (const [status, limits, error] of BAD_PERIODS) {
    const res = await call("POST", `${API}/tokens`, { ...admin, body: { capabilities: [{ endpoint: "nodeGetInfo", limits }] } });
    conforms("/tokens", "post", res);
    assert.deepEqual([res.status, res.body.status], [400, status], res.text);
    assert.ok(res.body.error.includes(error), `${res.body.error} names ${error}`);
  }
});

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
  });

  test(`POST ${path}: 400 INVALID_INPUT, INVALID_TOKEN_CAPABILITIES and INVALID_TOKEN_DESCRIPTION`, async () => {
    const cases = [
      ["INVALID_INPUT", { raw: "{not json", headers: { "content-type": "application/json" } }],
      ["INVALID_INPUT", { raw: "[]", headers: { "content-type": "application/json" } }],
      ["INVALID_INPUT", { body: {} }],
      ["INVALID_INPUT", { body: { capabilities: [] } }],
      ["INVALID_INPUT", { body: { capabilities: caps("tokensGetToken"), lifetime: "60" } }],
      ["INVALID_TOKEN_CAPABILITIES", { body: { capabilities: caps("x") } }],
      ["INVALID_TOKEN_CAPABILITIES", { body: { capabilities: caps("tokensGetToken", "tokensGetToken") } }],
      ["INVALID_TOKEN_CAPABILITIES", { body: { capabilities: [{ endpoint: "tokensGetToken", limits: [{ type: "calls", conditions: { max: 1, per: 2 } }] }] } }],
      ["INVALID_TOKEN_CAPABILITIES", { body: { capabilities: Array.from({ length: 65 }, (_, i) => ({ endpoint: CONTRACT_CAPABILITIES[i % 40] })) } }],
      ["INVALID_TOKEN_DESCRIPTION", { body: { capabilities: caps("tokensGetToken"), description: "d".repeat(257) } }],
    ];
    for (const [status, options] of cases) {
      const res = await call("POST", url(path), { ...admin, ...options });
      conforms(path, "post", res);
      assert.deepEqual([res.status, res.body.status], [400, status], `${JSON.stringify(options).slice(0, 200)}: ${res.text}`);
    }
  });

  test(`POST ${path}: 403 FORBIDDEN when a delegated token asks for more than it holds, or to outlive itself`, async () => {
    const parent = await adminCreate({ capabilities: [...caps("tokensCreate"), limited("tokensGetToken", 5)], lifetime: 600 });
    const widenings = [
      { capabilities: caps("tokensDelete") },
      { capabilities: caps("tokensGetToken") }, // drops the parent's limit: a widening
      { capabilities: [limited("tokensGetToken", 6)] },
      { capabilities: [limited("tokensGetToken", 5), ...caps("nodeGetInfo")] },
    ];
    for (const body of widenings) {
      const res = await call("POST", url(path), { token: parent.token, body });
      conforms(path, "post", res);
      assert.deepEqual([res.status, res.body], [403, CAPABILITIES_NOT_ALLOWED], JSON.stringify(body));
    }
    const later = await call("POST", url(path), { token: parent.token, body: { capabilities: caps("tokensCreate"), lifetime: 3600 } });
    conforms(path, "post", later);
    assert.deepEqual([later.status, later.body], [403, LIFETIME_NOT_ALLOWED]);

    const narrowed = await call("POST", url(path), { token: parent.token, body: { capabilities: [limited("tokensGetToken", 2)] } });
    conforms(path, "post", narrowed);
    assert.equal(narrowed.status, 201);
    assert.equal(narrowed.body.valid_until, parent.valid_until, "the child inherits the parent's expiry");
  });
}

test("POST /tokens and /tokens/: 403 FORBIDDEN depth_limit one level below info.x-max-delegation-depth", async () => {
  const depth = doc.info["x-max-delegation-depth"];
  assert.ok(Number.isInteger(depth) && depth > 0, `x-max-delegation-depth: ${depth}`);
  let holder = await adminCreate({ capabilities: caps("tokensCreate") }); // no ancestors
  for (let ancestors = 1; ancestors <= depth; ancestors++) {
    const res = await call("POST", `${API}/tokens`, { token: holder.token, body: { capabilities: caps("tokensCreate") } });
    conforms("/tokens", "post", res);
    assert.equal(res.status, 201, `a token with ${ancestors} ancestors: ${res.text}`);
    holder = res.body;
  }
  for (const path of CREATE_PATHS) {
    const refused = await call("POST", url(path), { token: holder.token, body: { capabilities: caps("tokensCreate") } });
    conforms(path, "post", refused);
    assert.deepEqual([refused.status, refused.body.status, refused.body.reason], [403, "FORBIDDEN", "depth_limit"], refused.text);
  }
});

// ---------------------------------------------------------------------------
// GET /token (tokensGetToken).

test("GET /token: 200 with the caller's token, used counting this call", async () => {
  const created = await adminCreate({ capabilities: [limited("tokensGetToken", 3), ...caps("nodeGetInfo")], lifetime: 600, description: "mine" });
  const res = await call("GET", `${API}/token`, { token: created.token });
  conforms("/token", "get", res);
  assert.deepEqual([res.status, res.body], [200, {
    id: created.id,
    description: "mine",
    valid_until: created.valid_until,
    capabilities: [
      { endpoint: "tokensGetToken", limits: [{ type: "calls", conditions: { max: 3 }, used: 1 }] },
      { endpoint: "nodeGetInfo" },
    ],
  }]);
});

test("GET /token: a periodic limit shows its use in the current span and when capacity returns", async () => {
  const created = await adminCreate({ capabilities: [{ endpoint: "tokensGetToken", limits: [periodic(3, 60), { type: "calls", conditions: { max: 9 } }] }] });
  const before = Math.floor(Date.now() / 1000);
  const res = await call("GET", `${API}/token`, { token: created.token });
  conforms("/token", "get", res);
  const [lifetime, window] = res.body.capabilities[0].limits; // the lifetime limit first, whatever the request's order
  assert.deepEqual(lifetime, { type: "calls", conditions: { max: 9 }, used: 1 });
  assert.deepEqual([window.type, window.conditions, window.used], ["calls", { max: 3, period: 60 }, 1]);
  assert.ok(window.returns_at >= before + 60 && window.returns_at <= before + 65, `returns_at ${window.returns_at}, ${before}`);
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
    assert.deepEqual([res.status, res.body.id], [200, created.id], Object.keys(headers)[0]);
  }
});

test("GET /token: 404 NOT_FOUND for the admin token", async () => {
  const res = await call("GET", `${API}/token`, admin);
  conforms("/token", "get", res);
  assert.deepEqual([res.status, res.body], [404, { status: "NOT_FOUND", error: "the admin token has no token record" }]);
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

// ---------------------------------------------------------------------------
// GET /tokens (tokensList).

/** A listing's ids. */
const idsOf = (page) => page.body.tokens.map((token) => token.id);
test("GET /tokens: 200 TokenPage for the admin, for an issued token (itself first), a page at a time, and for a parent's children", async () => {
  const { parent, child, grandchild } = await family();
  const everything = await call("GET", `${API}/tokens?limit=1000`, admin);
  conforms("/tokens", "get", everything);
  assert.equal(everything.status, 200);
  for (const id of [parent.id, child.id, grandchild.id]) assert.ok(idsOf(everything).includes(id), `the admin sees ${id}`);

  const own = await call("GET", `${API}/tokens`, { token: parent.token });
  conforms("/tokens", "get", own);
  assert.deepEqual([own.status, idsOf(own)[0], new Set(idsOf(own)), own.body.cursor], [200, parent.id, new Set([parent.id, child.id, grandchild.id]), undefined]);
  const info = own.body.tokens.find((token) => token.id === child.id);
  assert.equal(info.parent, parent.id);
  assert.equal(info.description, "child");
  assert.equal(own.body.tokens[0].parent, undefined, "made by the admin: no parent");
  assert.ok(Math.abs(info.created_at - Date.now() / 1000) < 60, `created_at in seconds: ${info.created_at}`);

  const seen = [];
  let query = "?limit=1";
  for (let pages = 0; pages < 10; pages++) {
    const page = await call("GET", `${API}/tokens${query}`, { token: parent.token });
    conforms("/tokens", "get", page);
    assert.equal(page.status, 200, page.text);
    assert.ok(page.body.tokens.length <= 1, `limit=1: ${page.text}`);
    seen.push(...idsOf(page));
    if (page.body.cursor === undefined) break;
    query = `?limit=1&cursor=${encodeURIComponent(page.body.cursor)}`;
  }
  assert.deepEqual(seen, idsOf(own), "pages of one list the same tokens, in the same order");

  const children = await call("GET", `${API}/tokens?parent=${parent.id}`, { token: parent.token });
  conforms("/tokens", "get", children);
  assert.deepEqual([children.status, idsOf(children)], [200, [child.id]]);
  const none = await call("GET", `${API}/tokens?parent=${grandchild.id}`, admin);
  conforms("/tokens", "get", none);
  assert.deepEqual([none.status, none.body], [200, { tokens: [] }]);
});

test("GET /tokens: 400 INVALID_INPUT for a limit outside 1..1000, a cursor the service did not give, and a parent that is no id", async () => {
  const limitError = { status: "INVALID_INPUT", error: "limit must be an integer from 1 to 1000" };
  const validate = (name) =>
    validatorAt(`/paths/~1tokens/get/parameters/${doc.paths["/tokens"].get.parameters.findIndex((parameter) => parameter.name === name)}/schema`);
  for (const limit of ["1", "1000"]) {
    const res = await call("GET", `${API}/tokens?limit=${limit}`, admin);
    conforms("/tokens", "get", res);
    assert.equal(res.status, 200, `limit=${limit}`);
    assert.ok(validate("limit")(Number(limit)));
  }
  for (const limit of ["0", "1001", "-1", "1.5", "x", ""]) {
    const res = await call("GET", `${API}/tokens?limit=${limit}`, admin);
    conforms("/tokens", "get", res);
    assert.deepEqual([res.status, res.body], [400, limitError], `limit=${limit}`);
    assert.ok(limit === "" || !validate("limit")(Number(limit)), `limit=${limit} is documented as invalid`);
  }
  for (const query of ["cursor=!!", "cursor=e30x", "cursor=bm90IGpzb24", "parent=x", "parent=..%2Fx", `parent=${ANY_ID}A`]) {
    const res = await call("GET", `${API}/tokens?${query}`, admin);
    conforms("/tokens", "get", res);
    assert.deepEqual([res.status, res.body.status], [400, "INVALID_INPUT"], `${query}: ${res.text}`);
  }
  assert.ok(!validate("parent")("x") && !validate("parent")(`${ANY_ID}A`), "a parent that is no id is documented as invalid");
});

// ---------------------------------------------------------------------------
// GET /tokens/{id} (tokensInspect).

test("GET /tokens/{id}: 200 TokenInfo with descendants, for the admin, for itself and for its descendants", async () => {
  const { parent, child, grandchild } = await family();
  const byAdmin = await call("GET", url("/tokens/{id}", parent.id), admin);
  conforms("/tokens/{id}", "get", byAdmin);
  assert.deepEqual([byAdmin.status, byAdmin.body.id, byAdmin.body.descendants, byAdmin.body.parent], [200, parent.id, 2, undefined]);
  const itself = await call("GET", url("/tokens/{id}", child.id), { token: child.token });
  conforms("/tokens/{id}", "get", itself);
  assert.deepEqual([itself.status, itself.body.parent, itself.body.descendants], [200, parent.id, 1]);
  const below = await call("GET", url("/tokens/{id}", grandchild.id), { token: parent.token });
  conforms("/tokens/{id}", "get", below);
  assert.deepEqual([below.status, below.body.parent, below.body.descendants], [200, child.id, 0]);
});

// ---------------------------------------------------------------------------
// GET /tokens/{id}/events (tokensEvents).

test("GET /tokens/{id}/events: 200 EventPage newest first, a page at a time, for the admin, itself and its ancestor; 400 INVALID_INPUT for a bad limit or a cursor the service did not give", async () => {
  const { parent, child, grandchild } = await family();
  const events = (id, query, credential) => call("GET", `${url("/tokens/{id}/events", id)}${query}`, credential);
  const all = await events(parent.id, "", admin);
  conforms("/tokens/{id}/events", "get", all);
  assert.equal(all.status, 200, all.text);
  assert.deepEqual(all.body.events.map((event) => [event.token, event.actor, event.operation, event.method, event.path, event.status]), [
    [grandchild.id, child.id, "tokensCreate", "POST", "/api/v3/tokens", 201],
    [child.id, parent.id, "tokensCreate", "POST", "/api/v3/tokens", 201],
    [parent.id, "admin", "tokensCreate", "POST", "/api/v3/tokens", 201],
  ]);
  const byChild = await events(child.id, "", { token: child.token });
  conforms("/tokens/{id}/events", "get", byChild);
  assert.deepEqual(byChild.body.events, all.body.events.slice(0, 2), "its own subtree's");
  const byParent = await events(child.id, "", { token: parent.token });
  assert.deepEqual(byParent.body, byChild.body, "an ancestor sees the same");
  const first = await events(parent.id, "?limit=2", admin);
  conforms("/tokens/{id}/events", "get", first);
  assert.equal(first.body.events.length, 2);
  const second = await events(parent.id, `?limit=2&cursor=${encodeURIComponent(first.body.cursor)}`, admin);
  conforms("/tokens/{id}/events", "get", second);
  assert.deepEqual([...first.body.events, ...second.body.events], all.body.events);
  assert.equal(second.body.cursor, undefined, "the last page has no cursor");
  const borrowed = await events(child.id, `?cursor=${encodeURIComponent(first.body.cursor)}`, admin);
  conforms("/tokens/{id}/events", "get", borrowed);
  assert.deepEqual([borrowed.status, borrowed.body.status], [400, "INVALID_INPUT"], "a cursor of another token's trail");
  for (const query of ["?limit=0", "?limit=1001", "?limit=x", "?cursor=!!", "?cursor=e30x"]) {
    const res = await events(parent.id, query, admin);
    conforms("/tokens/{id}/events", "get", res);
    assert.deepEqual([res.status, res.body.status], [400, "INVALID_INPUT"], `${query}: ${res.text}`);
  }
});

// ---------------------------------------------------------------------------
// POST /tokens/{id}/rotate (tokensRotate).

test("POST /tokens/{id}/rotate: 201 RotatedToken for the same id and expiry, with and without a body, by the admin, itself and its ancestor", async () => {
  const target = await adminCreate({ capabilities: caps("tokensGetToken", "tokensRotate"), lifetime: 600 });
  const bodies = [{}, { body: {} }, { body: { grace: 0 } }, { body: { grace: null } }, { body: { grace: 3600 } }];
  for (const options of bodies) {
    const res = await rotate(target.id, { ...admin, ...options });
    conforms("/tokens/{id}/rotate", "post", res);
    assert.deepEqual([res.status, res.body.id, res.body.valid_until], [201, target.id, target.valid_until], JSON.stringify(options));
    assert.notEqual(res.body.token, target.token, "a new secret");
    assert.ok(Number.isInteger(res.body.old_secret_valid_until_ms), "says until when the old secret works");
  }
  const { parent, child } = await family();
  const itself = await rotate(child.id, { token: child.token });
  conforms("/tokens/{id}/rotate", "post", itself);
  assert.deepEqual([itself.status, itself.body.id], [201, child.id]);
  const byAncestor = await rotate(child.id, { token: parent.token });
  conforms("/tokens/{id}/rotate", "post", byAncestor);
  assert.deepEqual([byAncestor.status, byAncestor.body.id], [201, child.id]);
  assert.equal((await call("GET", url("/token"), { token: byAncestor.body.token })).body.id, child.id, "the new secret is the child's");
});

test("POST /tokens/{id}/rotate: 400 INVALID_INPUT for a body that is not an object with a grace of 0..3600; accepted bodies validate against RotateRequest, refused ones do not", async () => {
  const target = await adminCreate({ capabilities: caps("tokensGetToken") });
  const graceError = { status: "INVALID_INPUT", error: "grace must be an integer from 0 to 3600 (seconds)" };
  const validate = validatorAt("/paths/~1tokens~1{id}~1rotate/post/requestBody/content/application~1json/schema");
  const json = { "content-type": "application/json" };
  for (const options of [{ raw: "{not json", headers: json }, { raw: "[]", headers: json }, { raw: "5", headers: json }]) {
    const res = await rotate(target.id, { ...admin, ...options });
    conforms("/tokens/{id}/rotate", "post", res);
    assert.deepEqual([res.status, res.body.status], [400, "INVALID_INPUT"], `${options.raw}: ${res.text}`);
  }
  assert.ok(!validate([]) && !validate(5), "a body that is no object is documented as invalid");
  for (const grace of [3601, -1, "5", 1.5, true]) {
    const res = await rotate(target.id, { ...admin, body: { grace } });
    conforms("/tokens/{id}/rotate", "post", res);
    assert.deepEqual([res.status, res.body], [400, graceError], `grace ${JSON.stringify(grace)}`);
    assert.ok(!validate({ grace }), `grace ${JSON.stringify(grace)} is documented as invalid`);
  }
  for (const body of [{}, { grace: 0 }, { grace: 3600 }, { grace: null }, { grace: 1, unknown: true }]) {
    assert.ok(validate(body), `${JSON.stringify(body)} is documented as valid: ${ajv.errorsText(validate.errors)}`);
    const res = await rotate(target.id, { ...admin, body });
    conforms("/tokens/{id}/rotate", "post", res);
    assert.equal(res.status, 201, `${JSON.stringify(body)}: ${res.text}`);
  }
});

test("POST /tokens/{id}/rotate: 409 CONFLICT for all but one of 10 concurrent rotations, which change nothing", async () => {
  const target = await adminCreate({ capabilities: [limited("tokensGetToken", 100), ...caps("tokensRotate")] });
  const conflict = { status: "CONFLICT", error: "another rotation of this token is under way or went first; nothing was changed" };
  // Each rotation's index write takes 300 ms, so that the ten overlap whatever the machine's load.
  const slow = { "x-test-delay": "put:i:=300" };
  const answers = await Promise.all(Array.from({ length: 10 }, () => rotate(target.id, { ...admin, headers: slow, body: { grace: 30 } })));
  for (const res of answers) conforms("/tokens/{id}/rotate", "post", res);
  const won = answers.filter((res) => res.status === 201);
  assert.equal(won.length, 1, answers.map((res) => res.status).join(" "));
  for (const res of answers.filter((res) => res !== won[0])) assert.deepEqual([res.status, res.body], [409, conflict]);
  const reads = await Promise.all([won[0].body.token, target.token].map((token) => call("GET", url("/token"), { token })));
  assert.deepEqual(reads.map((res) => res.status), [200, 200], "the one new secret works, and the old one in its grace period");

  // By the token itself: those that authenticate after the winner switched hold a secret in its grace period.
  const bySelf = await Promise.all(Array.from({ length: 10 }, () => rotate(target.id, { token: won[0].body.token, headers: slow, body: { grace: 30 } })));
  for (const res of bySelf) conforms("/tokens/{id}/rotate", "post", res);
  assert.equal(bySelf.filter((res) => res.status === 201).length, 1, bySelf.map((res) => res.status).join(" "));
  assert.ok(bySelf.every((res) => res.status === 201 || res.status === 409 || res.body.reason === "secret_in_grace"), bySelf.map((res) => res.text).join("\n"));
});

// ---------------------------------------------------------------------------
// The route × outcome matrix: every token operation, against every outcome
// the operations share, each outcome driven by one piece of code (as Unkey
// tests every route for its 401s and 403s). Each cell is a test named
// "<METHOD> <path>: <outcome>"; what is particular to one operation is above.

/**
 * The token operations: the capability each needs (none: any token may call
 * it), a valid body for those that take one, the status of a call that goes
 * through, and how it names the token it acts on (by the id in its path, or as
 * the `parent` filter of a listing).
 */
const OPERATIONS = [
  { method: "post", path: "/tokens", capability: "tokensCreate", body: { capabilities: caps("tokensGetToken") }, success: 201 },
  { method: "post", path: "/tokens/", capability: "tokensCreate", body: { capabilities: caps("tokensGetToken") }, success: 201 },
  { method: "get", path: "/token", capability: "tokensGetToken", success: 200 },
  { method: "delete", path: "/tokens/{id}", capability: "tokensDelete", success: 204, names: "id" },
  { method: "get", path: "/tokens", success: 200, names: "parent" },
  { method: "get", path: "/tokens/{id}", success: 200, names: "id" },
  { method: "post", path: "/tokens/{id}/rotate", capability: "tokensRotate", body: { grace: 1 }, success: 201, names: "id" },
  { method: "get", path: "/tokens/{id}/events", success: 200, names: "id", keepsDeleted: true },
];

/** Calls `operation` through the client `c` on token `id` (by default: an unknown id, and no filter), with its body unless `options` has one. */
function send(operation, c, { id, ...options } = {}) {
  const target = operation.names === "parent" ? url(operation.path) + (id ? `?parent=${id}` : "") : url(operation.path, id ?? ANY_ID);
  return c(operation.method.toUpperCase(), target, { body: operation.body, ...options });
}

/**
 * Three secrets no operation accepts, of tokens that held `capability`: one
 * a rotation replaced, a deleted token's, and one forged from it (its last
 * character changed).
 */
async function refusedSecrets(capability) {
  const kept = await adminCreate({ capabilities: caps(capability) });
  const gone = await adminCreate({ capabilities: caps(capability) });
  assert.equal((await rotate(kept.id, admin)).status, 201);
  assert.equal((await call("DELETE", url("/tokens/{id}", gone.id), admin)).status, 204);
  return { replaced: kept.token, deleted: gone.token, forged: gone.token.slice(0, -1) + (gone.token.endsWith("A") ? "B" : "A") };
}

/** How much of its `endpoint` limit token `id` has used, as the admin inspects it. */
async function usedOf(id, endpoint) {
  const info = await call("GET", url("/tokens/{id}", id), admin);
  assert.equal(info.status, 200, info.text);
  return info.body.capabilities.find((capability) => capability.endpoint === endpoint).limits[0].used;
}

/** The outcomes every operation shares: `applies` says which operations have one (all by default). */
const OUTCOMES = [
  {
    title: () => "401 for no, malformed, forged, deleted and replaced credentials",
    async run(operation) {
      const { id } = await adminCreate({ capabilities: caps("tokensGetToken") });
      const { replaced, deleted, forged } = await refusedSecrets(operation.capability ?? "tokensGetToken");
      const attempts = [
        {}, { token: "" }, { token: "garbage" }, { token: forged }, { token: deleted }, { token: replaced },
        { headers: { authorization: "Bearer garbage" } }, { headers: { authorization: "Basic !!!" } },
      ];
      for (const options of attempts) {
        const res = await send(operation, call, { id, ...options });
        conforms(operation.path, operation.method, res);
        assert.deepEqual([res.status, res.body], [401, AUTHENTICATION_FAILED], JSON.stringify(options));
      }
    },
  },
  {
    title: (operation) => `403 UNAUTHORIZED without ${operation.capability}, and once its calls limit of 10 is used up`,
    applies: (operation) => operation.capability !== undefined,
    async run(operation) {
      const { capability } = operation;
      const lacking = await adminCreate({ capabilities: caps(capability === "tokensGetToken" ? "tokensCreate" : "tokensGetToken") });
      const denied = await send(operation, call, { token: lacking.token, id: lacking.id });
      conforms(operation.path, operation.method, denied);
      assert.deepEqual([denied.status, denied.body], [403, missingCapability(capability)]);

      // The holder creates each token it deletes or rotates: a new one for every call.
      const others = ["tokensCreate", "tokensGetToken"].filter((name) => name !== capability);
      const holder = await adminCreate({ capabilities: [limited(capability, 10), ...caps(...others)] });
      for (let i = 1; i <= 11; i++) {
        const subject = operation.names === "id" ? await call("POST", url("/tokens"), { token: holder.token, body: { capabilities: caps("tokensGetToken") } }) : undefined;
        const res = await send(operation, call, { token: holder.token, id: subject?.body.id });
        conforms(operation.path, operation.method, res);
        if (i > 10) assert.deepEqual([res.status, res.body], [403, limitExhausted(capability, 10)]);
        else {
          assert.equal(res.status, operation.success, `call ${i}: ${res.text}`);
          assert.equal(await usedOf(holder.id, capability), i, `call ${i} is counted once`);
          // An answer showing the caller's own token (GET /token) counts the call it answers.
          if (res.body?.id === holder.id) assert.equal(res.body.capabilities[0].limits[0].used, i);
        }
      }
    },
  },
  {
    title: () => "403 secret_in_grace for a secret a rotation replaced, which still works for the token's other calls",
    applies: (operation) => GRACE_REFUSED.includes(operation.capability),
    async run(operation) {
      const leaked = await adminCreate({ capabilities: caps("tokensCreate", "tokensDelete", "tokensRotate", "tokensGetToken") });
      const rotated = await rotate(leaked.id, { token: leaked.token, body: { grace: 300 } });
      assert.equal(rotated.status, 201, rotated.text);
      const res = await send(operation, call, { token: leaked.token, id: leaked.id });
      conforms(operation.path, operation.method, res);
      assert.deepEqual([res.status, res.body], [403, IN_GRACE]);
      assert.equal((await call("GET", url("/token"), { token: rotated.body.token })).status, 200, "the owner's secret works");
      assert.equal((await call("GET", url("/token"), { token: leaked.token })).status, 200, "the old one, for other calls, until its grace ends");
    },
  },
  {
    title: (operation) =>
      operation.keepsDeleted
        ? "404 NOT_FOUND for an unknown, malformed or not-yours id; a deleted one's trail is the admin's to read (200)"
        : `404 NOT_FOUND for ${operation.names === "id" ? "an unknown, malformed" : "an unknown"}, deleted or not-yours ${operation.names === "id" ? "id" : "parent"}`,
    applies: (operation) => operation.names !== undefined,
    async run(operation) {
      const { parent, child } = await family();
      const stranger = await adminCreate({ capabilities: caps("tokensGetToken") });
      const deleted = await adminCreate({ capabilities: caps("tokensGetToken") });
      assert.equal((await call("DELETE", url("/tokens/{id}", deleted.id), admin)).status, 204);
      const cases = [[admin, ANY_ID], [{ token: child.token }, parent.id], [{ token: parent.token }, stranger.id]];
      // The admin still reads a deleted token's audit trail (200, below); other routes no longer find it.
      if (!operation.keepsDeleted) cases.push([admin, deleted.id]);
      // A malformed id in a path names no token; as a filter it is a bad request (400, above).
      if (operation.names === "id") cases.push([admin, "not-an-id"]);
      for (const [credential, id] of cases) {
        const res = await send(operation, call, { ...credential, id });
        conforms(operation.path, operation.method, res);
        assert.deepEqual([res.status, res.body], [404, TOKEN_NOT_FOUND], id);
      }
      if (operation.keepsDeleted) {
        const res = await send(operation, call, { ...admin, id: deleted.id });
        conforms(operation.path, operation.method, res);
        assert.equal(res.status, 200, `the admin reads a deleted token's trail: ${res.text}`);
        assert.equal(res.body.events[0].operation, "tokensDelete");
      }
      for (const untouched of [parent, stranger]) {
        assert.equal((await call("GET", url("/token"), { token: untouched.token })).status, 200, "the not-yours attempts left it alone");
      }
    },
  },
  {
    title: (operation) => `413 PAYLOAD_TOO_LARGE one byte over info.x-max-body-bytes, ${operation.success} at it`,
    applies: (operation) => operation.body !== undefined,
    async run(operation) {
      const max = doc.info["x-max-body-bytes"];
      assert.ok(Number.isInteger(max) && max > 0, `x-max-body-bytes: ${max}`);
      const { id } = await adminCreate({ capabilities: caps("tokensGetToken") });
      const padded = (size) => {
        const shell = JSON.stringify({ ...operation.body, padding: "" });
        return JSON.stringify({ ...operation.body, padding: "p".repeat(size - shell.length) });
      };
      const headers = { "content-type": "application/json" };
      const atMax = await send(operation, call, { ...admin, id, raw: padded(max), headers });
      conforms(operation.path, operation.method, atMax);
      assert.equal(atMax.status, operation.success, atMax.text);
      const over = await send(operation, call, { ...admin, id, raw: padded(max + 1), headers });
      conforms(operation.path, operation.method, over);
      assert.deepEqual([over.status, over.body], [413, { status: "PAYLOAD_TOO_LARGE", error: `request body is larger than ${max} bytes` }]);
    },
  },
  {
    title: () => "429 TOO_MANY_REQUESTS with Retry-After once its client address fails to sign in too often",
    async run(operation) {
      const throttled = await variant("throttled");
      // Each operation from an address of its own, whose one allowed failure is its first.
      const from = { "cf-connecting-ip": `192.0.2.${OPERATIONS.indexOf(operation) + 1}` };
      const first = await send(operation, throttled, { token: "wrong-token-for-throttling", headers: from });
      conforms(operation.path, operation.method, first);
      assert.equal(first.status, 401, "the first failure is within the limit");
      const res = await send(operation, throttled, { token: "wrong-token-for-throttling", headers: from });
      conforms(operation.path, operation.method, res);
      assert.deepEqual([res.status, res.body], [429, THROTTLED], res.text);
      assert.equal(res.headers.get("retry-after"), "60");
    },
  },
  {
    title: () => "503 MISCONFIGURED without API_TOKEN, or with one that is too short or blank",
    async run(operation) {
      for (const [name, token, error] of MISCONFIGURATIONS) {
        const res = await send(operation, await variant(name), { token });
        conforms(operation.path, operation.method, res);
        assert.deepEqual([res.status, res.body], [503, { status: "MISCONFIGURED", error }], name);
      }
    },
  },
  {
    title: () => "503 UNAVAILABLE when storage fails, and for a limited token without its counters",
    async run(operation) {
      // Without KV, no issued secret can be looked up, and no call of the admin's reaches
      // its data (GET /token reads none for the admin: 404 above).
      const { token: issued } = await adminCreate({ capabilities: caps("tokensGetToken") });
      const storageless = await variant("noKv");
      for (const token of operation.path === "/token" ? [issued] : [issued, ADMIN_TOKEN]) {
        const res = await send(operation, storageless, { token });
        conforms(operation.path, operation.method, res);
        assert.deepEqual([res.status, res.body], [503, UNAVAILABLE], token === ADMIN_TOKEN ? "the admin" : "an issued secret");
      }
      // Without Durable Objects, a limited token's calls cannot be counted, and listing or
      // inspecting it cannot show its use.
      const counterless = await variant("noCounters");
      const endpoint = operation.capability ?? "tokensGetToken";
      const others = ["tokensGetToken"].filter((name) => name !== endpoint);
      const created = await counterless("POST", url("/tokens"), { ...admin, body: { capabilities: [limited(endpoint, 3), ...caps(...others)] } });
      assert.equal(created.status, 201, created.text);
      const caller = operation.capability ? created.body.token : ADMIN_TOKEN;
      const res = await send(operation, counterless, { token: caller, id: operation.names === "parent" ? undefined : created.body.id });
      conforms(operation.path, operation.method, res);
      assert.deepEqual([res.status, res.body], [503, UNAVAILABLE], "a limited token without its counters");
    },
  },
];

for (const operation of OPERATIONS) {
  for (const outcome of OUTCOMES) {
    if (outcome.applies?.(operation) === false) continue;
    test(`${operation.method.toUpperCase()} ${operation.path}: ${outcome.title(operation)}`, () => outcome.run(operation));
  }
}

// ---------------------------------------------------------------------------

test("every documented response of every operation was answered by the Worker", () => {
  const missing = documentedResponses()
    .filter(([path, method, code]) => !exercised.has(`${path} ${method} ${code}`))
    .map(([path, method, code]) => `${method.toUpperCase()} ${path} ${code}`);
  assert.deepEqual(missing, []);
});

test("every documented error example was answered verbatim by the Worker", () => {
  const missing = documentedResponses().flatMap(([path, method, code, response]) =>
    Object.entries(response.content?.["application/json"]?.examples ?? {})
      .map(([name, example]) => [`${method.toUpperCase()} ${path} ${code} ${name}`, example.value])
      .filter(([key]) => !examplesAnswered.has(key))
      .map(([key, value]) => `${key}: ${JSON.stringify(value)}`),
  );
  assert.deepEqual(missing, []);
});
