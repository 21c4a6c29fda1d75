// Cross-origin access to the service's own API in workerd: with
// ALLOWED_ORIGINS set, only the listed origins are named, on preflights and
// on answers, and the answers themselves do not change. The gateway's CORS on
// the node's answers is gateway-headers.test.mjs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { withWorker, ADMIN_TOKEN } from "./harness.mjs";

test("ALLOWED_ORIGINS: only the listed origins are named, on preflights and answers", async () => {
  const bindings = { API_TOKEN: ADMIN_TOKEN, ALLOWED_ORIGINS: "https://a.example, https://b.example" };
  await withWorker({ bindings }, async (strict) => {
    const preflight = (origin) =>
      strict("OPTIONS", "/api/v3/tokens", { headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "x-auth-token" } });
    const listed = await preflight("https://b.example");
    assert.equal(listed.status, 204);
    assert.equal(listed.headers.get("access-control-allow-origin"), "https://b.example");
    assert.match(listed.headers.get("vary") ?? "", /origin/i);
    assert.equal((await preflight("https://evil.example")).headers.get("access-control-allow-origin"), null);

    const answer = (origin) => strict("GET", "/api/v3/token", { token: ADMIN_TOKEN, headers: { origin } });
    assert.equal((await answer("https://a.example")).headers.get("access-control-allow-origin"), "https://a.example");
    const unlisted = await answer("https://a.example.evil");
    assert.equal(unlisted.status, 404, "the answer itself is the same");
    assert.equal(unlisted.headers.get("access-control-allow-origin"), null);
  });
});
