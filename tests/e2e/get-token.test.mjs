// GET /api/v3/token: one test per outcome, the credential forms, expiry and
// the limit race.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { startWorker, client, ADMIN_TOKEN, caps, limited } from "./harness.mjs";

const worker = await startWorker();
const call = client(worker.url);
after(() => worker.close());

async function issue(body) {
  const created = await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body });
  assert.equal(created.status, 201, created.text);
  return created.body;
}

const getToken = (headers) => call("GET", "/api/v3/token", { headers });

test("200: the caller's token, never its secret", async () => {
  const created = await issue({
    description: "dashboard",
    lifetime: 600,
    capabilities: [limited("tokensGetToken", 3), { endpoint: "nodePing" }],
  });
  const response = await getToken({ "x-auth-token": created.token });
  assert.equal(response.status, 200);
  assert.deepEqual(response.body, {
    id: created.id,
    description: "dashboard",
    valid_until: created.valid_until,
    capabilities: [
      { endpoint: "tokensGetToken", limits: [{ type: "calls", conditions: { max: 3 }, used: 1 }] },
      { endpoint: "nodePing", limits: [] },
    ],
  });
  assert.ok(!response.text.includes(created.token));
});

test("200: all three credential forms, header names in any case", async () => {
  const { token, id } = await issue({ capabilities: caps("tokensGetToken") });
  const basic = (s) => `Basic ${Buffer.from(s).toString("base64")}`;
  const forms = [
    { "X-Auth-Token": token },
    { authorization: basic(`${token}:anything`) },
    { authorization: basic(token) },
    { Authorization: `Bearer ${token}` },
  ];
  for (const headers of forms) {
    const response = await getToken(headers);
    assert.equal(response.status, 200, JSON.stringify(headers));
    assert.equal(response.body.id, id);
  }
});

test("401: missing, malformed, unknown and forged credentials", async () => {
  const { token } = await issue({ capabilities: caps("tokensGetToken") });
  const forged = token.slice(0, -1) + (token.endsWith("a") ? "b" : "a");
  const cases = [{}, { "x-auth-token": "etk_nope" }, { "x-auth-token": forged }, { authorization: "Basic !!!" }, { authorization: "Digest x" }];
  for (const headers of cases) {
    const response = await getToken(headers);
    assert.equal(response.status, 401, JSON.stringify(headers));
    assert.deepEqual(response.body, { status: "UNAUTHORIZED", error: "authentication failed" });
    assert.ok(response.headers.get("www-authenticate"));
  }
});

test("401: a 2-second token is refused once it expires", async () => {
  const { token } = await issue({ capabilities: caps("tokensGetToken"), lifetime: 2 });
  assert.equal((await getToken({ "x-auth-token": token })).status, 200);
  await sleep(3000);
  const response = await getToken({ "x-auth-token": token });
  assert.equal(response.status, 401);
  assert.deepEqual(response.body, { status: "UNAUTHORIZED", error: "authentication failed" });
});

test("403: a token without tokensGetToken", async () => {
  const { token } = await issue({ capabilities: caps("tokensCreate") });
  const response = await getToken({ "x-auth-token": token });
  assert.equal(response.status, 403);
  assert.deepEqual(response.body, { status: "UNAUTHORIZED", error: "authorization failed" });
});

test("403: 100 concurrent calls on max 20 give exactly 20 successes", async () => {
  const { token } = await issue({ capabilities: [limited("tokensGetToken", 20)] });
  const responses = await Promise.all(Array.from({ length: 100 }, () => getToken({ "x-auth-token": token })));
  const statuses = responses.map((response) => response.status);
  assert.equal(statuses.filter((status) => status === 200).length, 20);
  assert.equal(statuses.filter((status) => status === 403).length, 80);
  const used = responses.filter((r) => r.status === 200).map((r) => r.body.capabilities[0].limits[0].used);
  assert.deepEqual(used.sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
});

test("404: the admin token has no record", async () => {
  const response = await getToken({ "x-auth-token": ADMIN_TOKEN });
  assert.equal(response.status, 404);
  assert.deepEqual(response.body, { status: "NOT_FOUND", error: "the admin token has no token record" });
});
