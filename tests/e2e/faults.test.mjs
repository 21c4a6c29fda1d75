// Storage faults in workerd: storage that is missing (no KV or no Durable
// Object binding) or that fails inside a request answers 503 UNAVAILABLE
// JSON, leaves no half-created token, and the next request is served. The
// failures are injected by tests/e2e/faults-shim.mjs around the real
// Worker's KV and Durable Object bindings. That a failure's cause is logged
// is logs.test.mjs.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, withWorker, client, ADMIN_TOKEN, caps, limited } from "./harness.mjs";

const worker = await startWorker({ entry: new URL("faults-shim.mjs", import.meta.url).pathname });
const call = client(worker.url);
after(() => worker.close());

const UNAVAILABLE = { status: "UNAVAILABLE", error: "token storage is unavailable; try again" };
const AUTHENTICATION_FAILED = { status: "UNAUTHORIZED", error: "authentication failed" };
const fail = (what) => ({ "x-test-fail": what });

test("a failed record write answers 503 and leaves no part of the token behind", async () => {
  const before = await worker.storedText();
  const response = await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, headers: fail("put:t:"), body: { capabilities: caps("tokensGetToken") } });
  assert.equal(response.status, 503);
  assert.deepEqual(response.body, UNAVAILABLE);
  assert.equal(await worker.storedText(), before, "the index entry written before the record was removed");
  const next = await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: caps("tokensGetToken") } });
  assert.equal(next.status, 201, "the next request is served");
});

test("a failed read answers 503, and the token works on the next request", async () => {
  const created = await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: caps("tokensGetToken") } });
  const failed = await call("GET", "/api/v3/token", { token: created.body.token, headers: fail("get") });
  assert.equal(failed.status, 503);
  assert.deepEqual(failed.body, UNAVAILABLE);
  assert.equal((await call("GET", "/api/v3/token", { token: created.body.token })).status, 200);
});

test("a failed delete answers 503 and can be retried to the end", async () => {
  const parent = await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: caps("tokensCreate", "tokensGetToken") } });
  const child = await call("POST", "/api/v3/tokens", { token: parent.body.token, body: { capabilities: caps("tokensGetToken") } });
  // The index entry goes last: it is what revokes the subtree, and what a retry finds.
  const failed = await call("DELETE", `/api/v3/tokens/${parent.body.id}`, { token: ADMIN_TOKEN, headers: fail("delete:i:") });
  assert.equal(failed.status, 503);
  assert.equal((await call("DELETE", `/api/v3/tokens/${parent.body.id}`, { token: ADMIN_TOKEN })).status, 204);
  assert.equal((await call("GET", "/api/v3/token", { token: parent.body.token })).status, 401);
  assert.equal((await call("GET", "/api/v3/token", { token: child.body.token })).status, 401);
});

test("a rotation whose index write fails answers 503, hands out no secret, and leaves the token as it was", async () => {
  const created = await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: caps("tokensGetToken") } });
  const before = await worker.storedText();
  const failed = await call("POST", `/api/v3/tokens/${created.body.id}/rotate`, { token: ADMIN_TOKEN, headers: fail("put:i:"), body: { grace: 60 } });
  assert.deepEqual([failed.status, failed.body], [503, UNAVAILABLE]);
  assert.equal(await worker.storedText(), before, "the new secret's record written before the index entry was removed");
  assert.equal((await call("GET", "/api/v3/token", { token: created.body.token })).status, 200, "the old secret still works");
  const retried = await call("POST", `/api/v3/tokens/${created.body.id}/rotate`, { token: ADMIN_TOKEN });
  assert.equal(retried.status, 201, retried.text);
  assert.equal((await call("GET", "/api/v3/token", { token: created.body.token })).status, 401, "the retry refuses the old secret");
  assert.equal((await call("GET", "/api/v3/token", { token: retried.body.token })).status, 200);
});

test("a failed listing or inspection answers 503, and the next one is served", async () => {
  const created = await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: caps("tokensGetToken") } });
  const listed = await call("GET", "/api/v3/tokens", { token: ADMIN_TOKEN, headers: fail("list") });
  assert.deepEqual([listed.status, listed.body], [503, UNAVAILABLE]);
  const inspected = await call("GET", `/api/v3/tokens/${created.body.id}`, { token: ADMIN_TOKEN, headers: fail("get") });
  assert.deepEqual([inspected.status, inspected.body], [503, UNAVAILABLE]);
  const page = await call("GET", "/api/v3/tokens?limit=1000", { token: ADMIN_TOKEN });
  assert.equal(page.status, 200, page.text);
  assert.ok(page.body.tokens.some((token) => token.id === created.body.id));
  assert.equal((await call("GET", `/api/v3/tokens/${created.body.id}`, { token: ADMIN_TOKEN })).status, 200);
});

test(
  "a rotation that fails after its index write can be retried to the end: the old secret is refused, and a delete refuses every secret",
  async () => {
    const created = await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: caps("tokensGetToken") } });
    const failed = await call("POST", `/api/v3/tokens/${created.body.id}/rotate`, { token: ADMIN_TOKEN, headers: fail("delete:t:") });
    assert.deepEqual([failed.status, failed.body], [503, UNAVAILABLE]);
    const retried = await call("POST", `/api/v3/tokens/${created.body.id}/rotate`, { token: ADMIN_TOKEN });
    assert.equal(retried.status, 201, retried.text);
    assert.equal((await call("GET", "/api/v3/token", { token: created.body.token })).status, 401, "the retry refuses the old secret");
    assert.equal((await call("DELETE", `/api/v3/tokens/${created.body.id}`, { token: ADMIN_TOKEN })).status, 204);
    for (const secret of [created.body.token, retried.body.token]) {
      assert.equal((await call("GET", "/api/v3/token", { token: secret })).status, 401, "refused after the delete");
    }
  },
);

test("a missing KV binding answers 503 UNAVAILABLE, and the next requests are served", async () => {
  await withWorker({ kv: false }, async (broken) => {
    for (let i = 0; i < 2; i++) {
      const created = await broken("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: caps("tokensGetToken") } });
      assert.deepEqual([created.status, created.body], [503, UNAVAILABLE]);
      const malformed = await broken("GET", "/api/v3/token", { token: `etk_${"a".repeat(38)}` });
      assert.deepEqual([malformed.status, malformed.body], [401, AUTHENTICATION_FAILED], "refused before any storage read");
      const admin = await broken("GET", "/api/v3/token", { token: ADMIN_TOKEN });
      assert.equal(admin.status, 404, "the admin token needs no storage");
    }
  });
});

test("a tree's object that fails a call answers 503 UNAVAILABLE, counts nothing, and serves the next call", async () => {
  const created = await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: [limited("tokensGetToken", 2)] } });
  assert.equal(created.status, 201, created.text);
  const token = created.body.token;
  for (let i = 0; i < 3; i++) {
    const failed = await call("GET", "/api/v3/token", { token, headers: fail("tree") });
    assert.deepEqual([failed.status, failed.body], [503, UNAVAILABLE]);
  }
  const served = await call("GET", "/api/v3/token", { token });
  assert.equal(served.status, 200, served.text);
  assert.equal(served.body.capabilities[0].limits[0].used, 1, "the failed calls were not counted");
  assert.equal((await call("GET", "/api/v3/token", { token })).status, 200);
  assert.equal((await call("GET", "/api/v3/token", { token })).body.reason, "limit_exhausted");
});

test("a missing Durable Object binding answers 503 UNAVAILABLE for limited tokens only, and the next request is served", async () => {
  await withWorker({ durableObjects: false }, async (broken) => {
    const issueHere = async (capabilities) => {
      const created = await broken("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities } });
      assert.equal(created.status, 201, created.text);
      return created.body.token;
    };
    const limitedToken = await issueHere([limited("tokensGetToken", 5)]);
    const freeToken = await issueHere(caps("tokensGetToken"));
    for (let i = 0; i < 2; i++) {
      const refused = await broken("GET", "/api/v3/token", { token: limitedToken });
      assert.deepEqual([refused.status, refused.body], [503, UNAVAILABLE]);
      assert.equal((await broken("GET", "/api/v3/token", { token: freeToken })).status, 200);
    }
  });
});
