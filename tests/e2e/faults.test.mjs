// Faults in workerd: storage calls that fail inside a request answer 503
// UNAVAILABLE JSON, leave no half-created token, and the next request is
// served. The failures are injected by tests/e2e/faults-shim.mjs around the
// real Worker's KV binding.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, client, ADMIN_TOKEN, caps } from "./harness.mjs";

const worker = await startWorker({ entry: new URL("faults-shim.mjs", import.meta.url).pathname });
const call = client(worker.url);
after(() => worker.close());

const UNAVAILABLE = { status: "UNAVAILABLE", error: "token storage is unavailable; try again" };
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

test("the failure is logged with its cause on the request's one line, and the secret is not", async () => {
  const created = await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: caps("tokensGetToken") } });
  const jsonLines = () => worker.logs.filter((line) => line.startsWith("{"));
  // Log lines arrive after their answers: count them once they stop growing.
  const settled = async () => {
    for (let count = -1; count !== jsonLines().length; ) {
      count = jsonLines().length;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  await settled();
  const before = jsonLines().length;
  const failed = await call("GET", "/api/v3/token", { token: created.body.token, headers: fail("get") });
  assert.deepEqual([failed.status, failed.body], [503, UNAVAILABLE]);
  await settled();
  const lines = jsonLines().slice(before).map((line) => JSON.parse(line));
  assert.equal(lines.length, 1, "one line for the request");
  assert.deepEqual([lines[0].operation, lines[0].status, lines[0].token_id], ["tokensGetToken", 503, null]);
  assert.match(lines[0].cause ?? "", /injected get failure/);
  assert.ok(!worker.logs.join("\n").includes(created.body.token.slice(4)), "the secret is not logged");
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
