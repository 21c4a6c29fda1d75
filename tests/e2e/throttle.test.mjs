// Failed sign-in throttling through the Workers rate-limiting binding
// (SIGNIN_LIMITER) in workerd: it counts 401s per client address
// (CF-Connecting-IP); over the limit the answer is 429 with Retry-After.
// Which answers count is tested natively (src/service/tests/http.rs) with a
// counting stand-in; here the real binding does the counting. A throttled
// address is refused a correct credential too, and a guessable admin token is
// a misconfiguration, never a failed sign-in. That a lock-out outlives a
// restart is durability.test.mjs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { withWorker, ADMIN_TOKEN, caps } from "./harness.mjs";

const LIMIT = 5;
const THROTTLED = { status: "TOO_MANY_REQUESTS", error: "too many failed sign-ins from this address; retry in 60 seconds" };
const from = (address, headers = {}) => ({ headers: { "cf-connecting-ip": address, ...headers } });

test("an address gets 429 with Retry-After after its limit of failed sign-ins; other addresses and public routes are not affected", async () => {
  await withWorker({ failedSignInLimit: LIMIT }, async (call) => {
    const address = "192.0.2.10";
    const issued = await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: caps("tokensCreate") } });
    // Answers other than 401 never reach the binding: these would use up its limit.
    for (let i = 0; i < LIMIT; i++) {
      assert.equal((await call("GET", "/api/v3/token", { token: issued.body.token, ...from(address) })).status, 403);
      assert.equal((await call("GET", "/api/v3/token", { token: ADMIN_TOKEN, ...from(address) })).status, 404);
    }
    const statuses = [];
    for (let i = 0; i < LIMIT + 3; i++) {
      statuses.push((await call("GET", "/api/v3/token", { token: `etk_guess_${i}`, ...from(address) })).status);
    }
    assert.deepEqual(statuses, [...Array(LIMIT).fill(401), 429, 429, 429]);

    const throttled = await call("GET", "/api/v3/token", { ...from(address, { authorization: "Bearer nope", origin: "https://app.example" }) });
    assert.deepEqual([throttled.status, throttled.body], [429, THROTTLED]);
    assert.equal(throttled.headers.get("retry-after"), "60");
    assert.equal(throttled.headers.get("access-control-allow-origin"), "*");

    assert.equal((await call("GET", "/api/v3/token", { token: "etk_guess", ...from("192.0.2.11") })).status, 401, "another address has its own count");
    assert.equal((await call("GET", "/api/v3/openapi.json", from(address))).status, 200);
    const preflight = await call("OPTIONS", "/api/v3/token", from(address, { origin: "https://app.example", "access-control-request-method": "GET" }));
    assert.equal(preflight.status, 204);
  });
});

test("100 requests without a credential from one address are not counted: the admin token stays usable from it", async () => {
  await withWorker({ failedSignInLimit: LIMIT }, async (call) => {
    const address = "192.0.2.20";
    const cross = { origin: "https://attacker.example" };
    const routes = [["GET", "/api/v3/token"], ["POST", "/api/v3/tokens"], ["GET", "/api/v3/tokens"], ["DELETE", "/api/v3/tokens/AAAAAAAAAAAAAAAAAAAAAA"]];
    for (let i = 0; i < 100; i++) {
      const [method, path] = routes[i % routes.length];
      const answer = await call(method, path, from(address, cross));
      assert.equal(answer.status, 401, `${i}: ${method} ${path}: the usual answer, never 429`);
    }
    assert.equal((await call("GET", "/api/v3/token", { token: ADMIN_TOKEN, ...from(address) })).status, 404, "the admin token is served");
  });
});

test("once an address is throttled, a correct guess looks exactly like a wrong one", async () => {
  await withWorker({ failedSignInLimit: LIMIT }, async (call) => {
    const victim = (await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: caps("tokensGetToken") } })).body.token;
    const attacker = from("203.0.113.9");
    const wrong = [];
    for (let i = 0; i < LIMIT + 3; i++) wrong.push(await call("GET", "/api/v3/token", { token: `etk_guess_${i}`, ...attacker }));
    assert.deepEqual(wrong.map((answer) => answer.status), [...Array(LIMIT).fill(401), 429, 429, 429]);
    const lastWrong = wrong.at(-1);
    for (const correct of [victim, ADMIN_TOKEN]) {
      const answer = await call("GET", "/api/v3/token", { token: correct, ...attacker });
      assert.equal(answer.status, 429, "a correct credential from the throttled address");
      assert.deepEqual(answer.body, lastWrong.body);
      assert.ok(Number(answer.headers.get("retry-after")) > 0);
    }
    const elsewhere = await call("GET", "/api/v3/token", { token: victim, ...from("198.51.100.7") });
    assert.equal(elsewhere.status, 200, "another address is not locked out");
    assert.equal((await call("GET", "/api/v3/gateway", attacker)).status, 200, "no credential, no lock-out");
  });
});

test("a guessable admin token is refused as misconfiguration, and trying it is never counted as a failed sign-in", async () => {
  for (const weak of ["12345678", "        ", "a".repeat(31)]) {
    // One failed sign-in allowed: a second counted attempt would be 429.
    await withWorker({ bindings: { API_TOKEN: weak }, failedSignInLimit: 1 }, async (call) => {
      const basic = `Basic ${Buffer.from(`${weak}:`).toString("base64")}`;
      for (const headers of [{ "x-auth-token": weak }, { authorization: basic }, { "x-auth-token": weak }]) {
        const answer = await call("POST", "/api/v3/tokens", { ...from("192.0.2.30", headers), body: { capabilities: caps("tokensGetToken") } });
        assert.equal(answer.status, 503, JSON.stringify(weak));
        assert.equal(answer.body.status, "MISCONFIGURED");
        assert.match(answer.body.error, /at least 32 characters/);
      }
    });
  }
});
