// Everything else: routing, CORS, configuration and binding failures, logs.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, withWorker, client, ADMIN_TOKEN, caps, limited } from "./harness.mjs";

const worker = await startWorker();
const call = client(worker.url);
after(() => worker.close());

test("404 JSON for unknown paths, 405 with Allow for wrong methods", async () => {
  for (const path of ["/", "/api/v3", "/api/v3/tokenz", "/api/v4/token", "/api/v3/tokens/a/b"]) {
    const response = await call("GET", path);
    assert.equal(response.status, 404, path);
    assert.equal(response.body.status, "NOT_FOUND", path);
  }
  for (const [method, path, allow] of [
    ["GET", "/api/v3/tokens", "POST, OPTIONS"],
    ["PUT", "/api/v3/tokens/", "POST, OPTIONS"],
    ["POST", "/api/v3/token", "GET, OPTIONS"],
    ["GET", "/api/v3/tokens/abc", "DELETE, OPTIONS"],
  ]) {
    const response = await call(method, path, { token: ADMIN_TOKEN });
    assert.equal(response.status, 405, `${method} ${path}`);
    assert.equal(response.body.status, "METHOD_NOT_ALLOWED");
    assert.equal(response.headers.get("allow"), allow);
  }
});

test("CORS: preflight allows the auth headers from any origin by default", async () => {
  const response = await call("OPTIONS", "/api/v3/tokens", {
    headers: { origin: "https://app.example", "access-control-request-method": "POST", "access-control-request-headers": "x-auth-token, content-type" },
  });
  assert.equal(response.status, 204);
  assert.equal(response.headers.get("access-control-allow-origin"), "*");
  assert.match(response.headers.get("access-control-allow-headers"), /x-auth-token/);
  assert.match(response.headers.get("access-control-allow-headers"), /authorization/);
  assert.match(response.headers.get("access-control-allow-methods"), /DELETE/);
  const actual = await call("GET", "/api/v3/token", { token: ADMIN_TOKEN, headers: { origin: "https://app.example" } });
  assert.equal(actual.headers.get("access-control-allow-origin"), "*");
});

test("CORS: ALLOWED_ORIGINS limits which origins are named", async () => {
  await withWorker({ bindings: { API_TOKEN: ADMIN_TOKEN, ALLOWED_ORIGINS: "https://a.example, https://b.example" } }, async (strictCall) => {
    const allowed = await strictCall("OPTIONS", "/api/v3/token", { headers: { origin: "https://b.example" } });
    assert.equal(allowed.headers.get("access-control-allow-origin"), "https://b.example");
    assert.match(allowed.headers.get("vary"), /Origin/);
    const refused = await strictCall("GET", "/api/v3/token", { token: ADMIN_TOKEN, headers: { origin: "https://evil.example" } });
    assert.equal(refused.headers.get("access-control-allow-origin"), null);
  });
});

test("503 MISCONFIGURED without API_TOKEN; nothing is served as if open", async () => {
  await withWorker({ bindings: {} }, async (openCall) => {
    for (const [method, path] of [["GET", "/api/v3/token"], ["POST", "/api/v3/tokens"], ["DELETE", "/api/v3/tokens/abc"]]) {
      const body = method === "POST" ? { capabilities: caps("nodePing") } : undefined;
      const response = await openCall(method, path, { token: "anything-goes-here", body });
      assert.equal(response.status, 503, `${method} ${path}`);
      assert.equal(response.body.status, "MISCONFIGURED");
    }
    assert.equal((await openCall("GET", "/api/v3/openapi.json")).status, 200);
  });
});

test("503 UNAVAILABLE without the KV binding, and the next request is still answered", async () => {
  await withWorker({ kv: false }, async (brokenCall) => {
    const created = await brokenCall("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: caps("nodePing") } });
    assert.equal(created.status, 503);
    assert.deepEqual(created.body, { status: "UNAVAILABLE", error: "token storage is unavailable; try again" });
    const issued = await brokenCall("GET", "/api/v3/token", { token: "etk_" + "a".repeat(38) });
    assert.equal(issued.status, 401, "a malformed secret is refused before any storage read");
    assert.equal((await brokenCall("GET", "/api/v3/token", { token: ADMIN_TOKEN })).status, 404);
  });
});

test("503 UNAVAILABLE without the Durable Object binding, only for limited tokens", async () => {
  await withWorker({ durableObjects: false }, async (brokenCall) => {
    const issue = async (capabilities) =>
      (await brokenCall("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities } })).body.token;
    const limitedToken = await issue([limited("tokensGetToken", 5)]);
    const freeToken = await issue(caps("tokensGetToken"));
    const refused = await brokenCall("GET", "/api/v3/token", { token: limitedToken });
    assert.equal(refused.status, 503);
    assert.equal(refused.body.status, "UNAVAILABLE");
    assert.equal((await brokenCall("GET", "/api/v3/token", { token: freeToken })).status, 200);
  });
});

test("logs: one JSON line per request, with the token id and no secret", async () => {
  const created = await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: caps("tokensGetToken") } });
  const { token, id } = created.body;
  await call("GET", "/api/v3/token", { token });
  await call("GET", "/api/v3/token", { headers: { authorization: `Bearer ${token}` } });
  await call("DELETE", `/api/v3/tokens/${token}`, { token: ADMIN_TOKEN });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const lines = worker.logs.filter((line) => line.startsWith("{")).map((line) => JSON.parse(line));
  const mine = lines.filter((line) => line.token_id === id);
  assert.equal(mine.length, 2);
  assert.deepEqual(Object.keys(mine[0]).sort(), ["cause", "duration_ms", "method", "operation", "path", "status", "token_id"]);
  assert.equal(mine[0].operation, "tokensGetToken");
  const everything = worker.logs.join("\n");
  for (const secret of [token, token.slice(4), ADMIN_TOKEN]) {
    assert.ok(!everything.includes(secret), "a secret reached the logs");
  }
});
