// Failed sign-in throttling: the Workers rate-limiting binding counts 401s
// per client address; over the limit the answer is 429 with Retry-After,
// and valid credentials are neither counted nor slowed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { withWorker, ADMIN_TOKEN, caps } from "./harness.mjs";

const LIMIT = 5;

test("429 with Retry-After after the limit of failed sign-ins; valid tokens still pass", async () => {
  await withWorker({ failedSignInLimit: LIMIT }, async (call) => {
    const created = await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: caps("tokensGetToken") } });
    const valid = created.body.token;
    const statuses = [];
    for (let i = 0; i < LIMIT + 3; i++) {
      statuses.push((await call("GET", "/api/v3/token", { token: `etk_guess_${i}` })).status);
    }
    assert.deepEqual(statuses, [...Array(LIMIT).fill(401), 429, 429, 429]);

    const throttled = await call("GET", "/api/v3/token", { headers: { authorization: "Bearer nope" } });
    assert.equal(throttled.status, 429);
    assert.deepEqual(throttled.body, { status: "TOO_MANY_REQUESTS", error: "too many failed sign-ins from this address; retry in 60 seconds" });
    assert.equal(throttled.headers.get("retry-after"), "60");
    assert.equal(throttled.headers.get("access-control-allow-origin"), "*");

    for (let i = 0; i < 20; i++) {
      assert.equal((await call("GET", "/api/v3/token", { token: valid })).status, 200, "a valid token is never throttled");
    }
    assert.equal((await call("GET", "/api/v3/token", { token: ADMIN_TOKEN })).status, 404);
  });
});

test("successful and forbidden requests do not count as failed sign-ins", async () => {
  await withWorker({ failedSignInLimit: 2 }, async (call) => {
    const created = await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: caps("tokensCreate") } });
    for (let i = 0; i < 10; i++) {
      assert.equal((await call("GET", "/api/v3/token", { token: created.body.token })).status, 403);
    }
    assert.equal((await call("GET", "/api/v3/token", { token: "wrong-1" })).status, 401);
    assert.equal((await call("GET", "/api/v3/token", { token: "wrong-2" })).status, 401);
    assert.equal((await call("GET", "/api/v3/token", { token: "wrong-3" })).status, 429);
  });
});
