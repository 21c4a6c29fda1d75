// POST /api/v3/tokens: one test per outcome.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, client, ADMIN_TOKEN, caps, limited } from "./harness.mjs";

const worker = await startWorker();
const call = client(worker.url);
after(() => worker.close());

const create = (token, body, path = "/api/v3/tokens") => call("POST", path, { token, body });

async function issue(creator, body) {
  const created = await create(creator, body);
  assert.equal(created.status, 201, created.text);
  return created.body;
}

test("201: the secret is returned once, apart from the id", async () => {
  const before = Math.floor(Date.now() / 1000);
  const created = await create(ADMIN_TOKEN, { capabilities: caps("tokensGetToken"), lifetime: 3600, description: "ci" });
  assert.equal(created.status, 201);
  assert.match(created.headers.get("content-type"), /^application\/json/);
  assert.match(created.body.token, /^etk_[0-9A-Za-z]{38}$/);
  assert.match(created.body.id, /^[0-9A-Za-z]{22}$/);
  assert.ok(!created.body.token.includes(created.body.id));
  assert.ok(created.body.valid_until >= before + 3600 && created.body.valid_until <= before + 3602);
  const stored = await worker.storedText();
  assert.ok(!stored.includes(created.body.token.slice(4)), "the secret is not stored in clear");
});

test("201: also on /tokens/, and without lifetime there is no valid_until", async () => {
  const created = await create(ADMIN_TOKEN, { capabilities: caps("tokensGetToken") }, "/api/v3/tokens/");
  assert.equal(created.status, 201);
  assert.equal(created.body.valid_until, undefined);
});

test("201: a client-supplied used is ignored", async () => {
  const capability = { endpoint: "tokensGetToken", limits: [{ type: "calls", conditions: { max: 5 }, used: 4 }] };
  const created = await issue(ADMIN_TOKEN, { capabilities: [capability] });
  const self = await call("GET", "/api/v3/token", { token: created.token });
  assert.equal(self.body.capabilities[0].limits[0].used, 1);
});

test("400 INVALID_INPUT: malformed bodies name the field", async () => {
  const cases = [
    ["{", /not valid JSON/],
    ["", /not valid JSON/],
    ["[1]", /must be a JSON object/],
    ["{}", /capabilities is required/],
    ['{"capabilities":[]}', /capabilities must not be empty/],
    ['{"capabilities":[{"endpoint":5}]}', /capabilities\[0\]\.endpoint must be a string/],
    ['{"capabilities":[{"endpoint":"nodePing"}],"lifetime":0}', /lifetime must be at least 1/],
    ['{"capabilities":[{"endpoint":"nodePing"}],"lifetime":"60"}', /lifetime must be an integer/],
    ['{"capabilities":[{"endpoint":"nodePing"}],"description":false}', /description must be a string/],
  ];
  for (const [raw, message] of cases) {
    const response = await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, raw, headers: { "content-type": "application/json" } });
    assert.equal(response.status, 400, raw);
    assert.equal(response.body.status, "INVALID_INPUT", raw);
    assert.match(response.body.error, message, raw);
  }
});

test("400 INVALID_TOKEN_CAPABILITIES: unknown, duplicate, too many, bad limits", async () => {
  const bodies = [
    { capabilities: caps("tokensSteal") },
    { capabilities: caps("nodePing", "nodePing") },
    { capabilities: Array.from({ length: 65 }, (_, i) => ({ endpoint: `x${i}` })) },
    { capabilities: [{ endpoint: "nodePing", limits: [{ type: "rate", conditions: { max: 1 } }] }] },
    { capabilities: [{ endpoint: "nodePing", limits: [{ type: "calls", conditions: { max: 1, min: 0 } }] }] },
    { capabilities: [limited("nodePing", 0)] },
  ];
  for (const body of bodies) {
    const response = await create(ADMIN_TOKEN, body);
    assert.equal(response.status, 400, JSON.stringify(body));
    assert.equal(response.body.status, "INVALID_TOKEN_CAPABILITIES", JSON.stringify(body));
  }
});

test("400 INVALID_TOKEN_DESCRIPTION: longer than 256 characters", async () => {
  const response = await create(ADMIN_TOKEN, { capabilities: caps("nodePing"), description: "é".repeat(257) });
  assert.equal(response.status, 400);
  assert.equal(response.body.status, "INVALID_TOKEN_DESCRIPTION");
});

test("413 PAYLOAD_TOO_LARGE: bodies over 16 KiB, declared or streamed", async () => {
  const raw = JSON.stringify({ capabilities: caps("nodePing"), description: "a".repeat(17 * 1024) });
  const declared = await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, raw });
  assert.equal(declared.status, 413);
  assert.equal(declared.body.status, "PAYLOAD_TOO_LARGE");
  const chunks = new ReadableStream({
    start(controller) {
      for (let i = 0; i < 64; i++) controller.enqueue(new TextEncoder().encode("a".repeat(1024)));
      controller.close();
    },
  });
  const response = await fetch(`${worker.url}/api/v3/tokens`, {
    method: "POST",
    headers: { "x-auth-token": ADMIN_TOKEN },
    body: chunks,
    duplex: "half",
  });
  assert.equal(response.status, 413);
  assert.equal((await response.json()).status, "PAYLOAD_TOO_LARGE");
});

test("401: no credential, or an unknown or malformed one", async () => {
  for (const token of [undefined, "etk_unknown", "wrong-admin-token-0123456789"]) {
    const response = await create(token, { capabilities: caps("nodePing") });
    assert.equal(response.status, 401, String(token));
    assert.deepEqual(response.body, { status: "UNAUTHORIZED", error: "authentication failed" });
    assert.ok(response.headers.get("www-authenticate"));
  }
});

test("403: an issued token without tokensCreate", async () => {
  const token = await issue(ADMIN_TOKEN, { capabilities: caps("tokensGetToken") });
  const response = await create(token.token, { capabilities: caps("tokensGetToken") });
  assert.equal(response.status, 403);
  assert.deepEqual(response.body, { status: "UNAUTHORIZED", error: "authorization failed" });
});

test("403 FORBIDDEN: delegation may narrow, never widen", async () => {
  const parent = await issue(ADMIN_TOKEN, {
    capabilities: [{ endpoint: "tokensCreate" }, limited("tokensGetToken", 5)],
    lifetime: 600,
  });
  const capabilitiesNotAllowed = { status: "FORBIDDEN", error: "requested token capabilities not allowed" };
  for (const capabilities of [[limited("tokensGetToken", 6)], caps("tokensGetToken"), caps("tokensDelete")]) {
    const response = await create(parent.token, { capabilities });
    assert.equal(response.status, 403, JSON.stringify(capabilities));
    assert.deepEqual(response.body, capabilitiesNotAllowed);
  }
  const tooLong = await create(parent.token, { capabilities: caps("tokensCreate"), lifetime: 601 });
  assert.equal(tooLong.status, 403);
  assert.deepEqual(tooLong.body, { status: "FORBIDDEN", error: "requested token lifetime not allowed" });

  const child = await create(parent.token, { capabilities: [limited("tokensGetToken", 2)] });
  assert.equal(child.status, 201);
  assert.equal(child.body.valid_until, parent.valid_until, "inherits the creator's expiry");
});
