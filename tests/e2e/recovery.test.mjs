// Recovery from a trap in workerd: when the wasm traps in the middle of a
// request (a panic is one, under panic = "abort"), that request fails, and
// the next is answered by a fresh wasm instance, over the same storage. The
// trap is made by tests/e2e/trap-shim.mjs around the real Worker, built and
// entered as deployed; the glue's reinitialisation (wasm-bindgen's and
// worker-build's) is what is tested, and what .ci/worker-glue.mjs must keep.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, client, ADMIN_TOKEN, caps, limited } from "./harness.mjs";

const worker = await startWorker({ entry: new URL("trap-shim.mjs", import.meta.url).pathname });
const call = client(worker.url);
after(() => worker.close());

const TRAP = { "x-test-trap": "1" };
const instance = (answer) => Number(answer.headers.get("x-test-instance"));

test("after a trap, the next request is answered by a fresh instance, over the same tokens and counts", async () => {
  const plain = await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: caps("tokensGetToken") } });
  const counted = await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: [limited("tokensGetToken", 5)] } });
  assert.deepEqual([plain.status, counted.status], [201, 201]);
  const before = await call("GET", "/api/v3/token", { token: plain.body.token });
  assert.equal(before.status, 200, before.text);
  const firstUse = await call("GET", "/api/v3/token", { token: counted.body.token });
  assert.equal(firstUse.body.capabilities[0].limits[0].used, 1, firstUse.text);

  const trapped = await call("GET", "/api/v3/token", { token: plain.body.token, headers: TRAP });
  assert.equal(trapped.status, 500, "the trapped request fails");

  const next = await call("GET", "/api/v3/token", { token: plain.body.token });
  assert.equal(next.status, 200, next.text);
  assert.deepEqual(next.body, before.body, "the same answer as before the trap");
  assert.ok(instance(next) > instance(before), `a fresh instance answers (instance ${instance(before)} before, ${instance(next)} after)`);
  const secondUse = await call("GET", "/api/v3/token", { token: counted.body.token });
  assert.equal(secondUse.status, 200, secondUse.text);
  assert.equal(secondUse.body.capabilities[0].limits[0].used, 2, "the tree's Durable Object counts on from where it was");
  const created = await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: caps("tokensGetToken") } });
  assert.equal(created.status, 201, "writes work too");
  assert.equal((await call("GET", "/api/v3/token", { token: created.body.token })).status, 200);
});

test("a trap after an await (in the log line, once the KV read settled) fails that request, and a fresh instance answers the next", async () => {
  const token = (await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: caps("tokensGetToken") } })).body.token;
  const before = await call("GET", "/api/v3/token", { token });
  assert.equal(before.status, 200, before.text);

  const trapped = await call("GET", "/api/v3/token", { token, headers: { "x-test-trap": "late" } });
  assert.equal(trapped.status, 500, "the trapped request fails, and does not hang");

  const next = await call("GET", "/api/v3/token", { token });
  assert.equal(next.status, 200, next.text);
  assert.deepEqual(next.body, before.body);
  assert.ok(instance(next) > instance(before), `a fresh instance answers (instance ${instance(before)} before, ${instance(next)} after)`);
});

test("a trap in every other request never leaves the Worker broken", async () => {
  const token = (await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: caps("tokensGetToken") } })).body.token;
  for (let round = 0; round < 3; round++) {
    assert.equal((await call("GET", "/api/v3/token", { token, headers: TRAP })).status, 500);
    const answer = await call("GET", "/api/v3/token", { token });
    assert.equal(answer.status, 200, `round ${round}: ${answer.text}`);
  }
});

test("without a trap, one instance answers every request", async () => {
  const token = (await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: caps("tokensGetToken") } })).body.token;
  const answers = [];
  for (let i = 0; i < 3; i++) answers.push(await call("GET", "/api/v3/token", { token }));
  assert.deepEqual(answers.map((answer) => answer.status), [200, 200, 200]);
  assert.equal(new Set(answers.map(instance)).size, 1, "one instance answers them all");
});
