// Revocation at any size, in workerd: a tree of 5,000 descendants made by
// issued tokens is refused as soon as its root's delete answers 204, and
// its storage is cleaned up in the background to the last key, with the
// KV operations of every invocation (requests and Durable Object alarms)
// counted from the Worker's log lines and held to Cloudflare's 1,000.
import { test } from "node:test";
import assert from "node:assert/strict";
import { withWorker, ADMIN_TOKEN, caps } from "./harness.mjs";

const CHILDREN = 50;
const GRANDCHILDREN_EACH = 99; // 50 + 50 × 99 = 5,000 descendants
const KV_OPERATIONS_PER_INVOCATION = 1000;

/** Runs `tasks` (functions returning promises), `width` at a time. */
async function inBatches(tasks, width) {
  const results = [];
  for (let i = 0; i < tasks.length; i += width) {
    results.push(...(await Promise.all(tasks.slice(i, i + width).map((task) => task()))));
  }
  return results;
}

test("a 5,000-descendant tree is refused at once and cleaned up in bounded steps", { timeout: 600_000 }, async () => {
  await withWorker({}, async (call, worker) => {
    const create = async (creator, capabilities) => {
      const created = await call("POST", "/api/v3/tokens", { token: creator, body: { capabilities } });
      assert.equal(created.status, 201, created.text);
      return created.body.token;
    };
    const root = await create(ADMIN_TOKEN, caps("tokensCreate", "tokensGetToken", "tokensDelete"));
    const bystander = await create(ADMIN_TOKEN, caps("tokensGetToken"));
    const children = await inBatches(
      Array.from({ length: CHILDREN }, () => () => create(root, caps("tokensCreate", "tokensGetToken"))),
      25,
    );
    const grandchildren = await inBatches(
      children.flatMap((child) => Array.from({ length: GRANDCHILDREN_EACH }, () => () => create(child, caps("tokensGetToken")))),
      50,
    );
    const descendants = [...children, ...grandchildren];
    assert.equal(descendants.length, 5000);

    const rootId = (await call("GET", "/api/v3/token", { token: root })).body.id;
    const deleted = await call("DELETE", `/api/v3/tokens/${rootId}`, { token: root });
    assert.equal(deleted.status, 204);
    const sample = descendants.filter((_, i) => i % 50 === 0);
    const afterDelete = await Promise.all(sample.map((token) => call("GET", "/api/v3/token", { token })));
    assert.deepEqual(new Set(afterDelete.map((answer) => answer.status)), new Set([401]), "every descendant is refused once 204 is sent");
    assert.equal((await call("GET", "/api/v3/token", { token: bystander })).status, 200);

    // Only the bystander's record and index entry may remain.
    const namespace = await worker.mf.getKVNamespace("TOKENS");
    const remaining = async () => (await namespace.list({ limit: 10 })).keys.length;
    const finished = () => worker.logs.some((line) => line.includes('"cleanup":"done"'));
    const deadline = Date.now() + 300_000;
    while (!finished() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 500));
    assert.ok(finished(), "the clean-up said it is done");
    assert.equal(await remaining(), 2, "the clean-up removed every descendant's keys");

    const lines = worker.logs.filter((line) => line.startsWith("{")).map((line) => JSON.parse(line));
    const steps = lines.filter((line) => line.cleanup !== undefined);
    assert.ok(steps.length > 1, "the clean-up took several invocations");
    assert.equal(steps.reduce((sum, step) => sum + step.removed, 0), 5000);
    const busiest = Math.max(...lines.map((line) => line.kv_ops ?? 0));
    assert.ok(busiest <= KV_OPERATIONS_PER_INVOCATION, `an invocation made ${busiest} KV operations`);
    assert.ok(lines.every((line) => line.cause === null || line.cause === undefined), "no invocation failed");
  });
});
