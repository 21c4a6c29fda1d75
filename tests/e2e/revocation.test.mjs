// How a token ends, in workerd: deleting it refuses its whole subtree at once
// and removes its keys from real KV, for a tree of 5,000 descendants too,
// whose storage is cleaned up in the background to the last key, with the KV
// operations of every invocation (requests and Durable Object alarms)
// counted from the Worker's log lines and held to Cloudflare's 1,000; and an
// expired token is refused from the second it expires, on the real clock,
// though KV keeps its keys for at least 60 s.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { withWorker, ADMIN_TOKEN, caps, limited } from "./harness.mjs";

const CHILDREN = 50;
const GRANDCHILDREN_EACH = 99; // 50 + 50 × 99 = 5,000 descendants
const KV_OPERATIONS_PER_INVOCATION = 1000;
const AUTHENTICATION_FAILED = { status: "UNAUTHORIZED", error: "authentication failed" };

/** Creates a token as `creator` through the client `call`; resolves to `{ token, id, ... }`. */
async function issue(call, creator, body) {
  const created = await call("POST", "/api/v3/tokens", { token: creator, body });
  assert.equal(created.status, 201, created.text);
  return created.body;
}

const getToken = (call, token) => call("GET", "/api/v3/token", { token });

/** The keys of the Worker's KV namespace, with their expirations (seconds since the epoch). */
async function storedKeys(mf) {
  const { keys } = await (await mf.getKVNamespace("TOKENS")).list();
  return new Map(keys.map((key) => [key.name, key.expiration]));
}

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

    // Only the bystander's record, index entry and last use may remain, beside
    // the tombstones that keep the deleted tokens' audit trails readable.
    const namespace = await worker.mf.getKVNamespace("TOKENS");
    const allKeys = async () => {
      const names = [];
      let cursor;
      do {
        const page = await namespace.list({ cursor });
        names.push(...page.keys.map((key) => key.name));
        cursor = page.list_complete ? undefined : page.cursor;
      } while (cursor);
      return names;
    };
    const remaining = async () => (await allKeys()).filter((name) => !name.startsWith("x:")).length;
    const finished = () => worker.logs.some((line) => line.includes('"cleanup":"done"'));
    const deadline = Date.now() + 300_000;
    while (!finished() && Date.now() < deadline) await sleep(500);
    assert.ok(finished(), "the clean-up said it is done");
    assert.equal(await remaining(), 3, "the clean-up removed every descendant's keys");
    assert.equal((await allKeys()).filter((name) => name.startsWith("x:")).length, 5001, "each deleted token left its tombstone");

    const lines = worker.logs.filter((line) => line.startsWith("{")).map((line) => JSON.parse(line));
    const steps = lines.filter((line) => line.cleanup !== undefined);
    assert.ok(steps.length > 1, "the clean-up took several invocations");
    assert.equal(steps.reduce((sum, step) => sum + step.removed, 0), 5000);
    const busiest = Math.max(...lines.map((line) => line.kv_ops ?? 0));
    assert.ok(busiest <= KV_OPERATIONS_PER_INVOCATION, `an invocation made ${busiest} KV operations`);
    assert.ok(lines.every((line) => line.cause === null || line.cause === undefined), "no invocation failed");
  });
});

test("deleting a token revokes its whole subtree in real KV, and its keys are gone", async () => {
  await withWorker({}, async (call, worker) => {
    const ALL = caps("tokensCreate", "tokensGetToken", "tokensDelete");
    const root = await issue(call, ADMIN_TOKEN, { capabilities: ALL });
    const child = await issue(call, root.token, { capabilities: ALL });
    const grandchild = await issue(call, child.token, { capabilities: ALL });
    const limitedChild = await issue(call, root.token, { capabilities: [limited("tokensGetToken", 9)] });
    const bystander = await issue(call, ADMIN_TOKEN, { capabilities: ALL });
    assert.equal((await getToken(call, grandchild.token)).status, 200);
    assert.equal((await getToken(call, limitedChild.token)).status, 200);

    const deleted = await call("DELETE", `/api/v3/tokens/${root.id}`, { token: ADMIN_TOKEN });
    assert.deepEqual([deleted.status, deleted.text], [204, ""]);
    for (const revoked of [root, child, grandchild, limitedChild]) {
      const response = await getToken(call, revoked.token);
      assert.deepEqual([response.status, response.body], [401, AUTHENTICATION_FAILED], revoked.id);
    }
    assert.equal((await getToken(call, bystander.token)).status, 200);
    const finished = () => worker.logs.some((line) => line.includes('"cleanup":"done"'));
    for (let tries = 0; tries < 100 && !finished(); tries++) await sleep(100);
    const keys = [...(await storedKeys(worker.mf)).keys()];
    for (const revoked of [root, child, grandchild, limitedChild]) {
      assert.deepEqual(keys.filter((name) => name.includes(revoked.id)), [`x:${revoked.id}`], `only ${revoked.id}'s tombstone is left in KV`);
    }
    assert.ok(keys.includes(`i:${bystander.id}`));
  });
});

test("the real clock: a 2-second token is refused from the second it expires, while KV keeps its keys for at least 60 s", async () => {
  await withWorker({}, async (call, worker) => {
    const before = await storedKeys(worker.mf);
    const created = await issue(call, ADMIN_TOKEN, { capabilities: caps("tokensGetToken"), lifetime: 2 });
    const createdAt = created.valid_until - 2;
    assert.equal((await getToken(call, created.token)).status, 200);
    // KV refuses expirations under 60 s: the token's keys carry a later one.
    const written = [...(await storedKeys(worker.mf))].filter(([name]) => !before.has(name));
    assert.ok(written.some(([name]) => name === `i:${created.id}`), `the index entry is written: ${written.map(([n]) => n)}`);
    for (const [name, expiration] of written) {
      assert.ok(expiration >= createdAt + 60, `${name} expires at ${expiration}, at least 60 s after ${createdAt}`);
    }

    await sleep(Math.max(0, created.valid_until * 1000 + 100 - Date.now()));
    const refused = await getToken(call, created.token);
    assert.deepEqual([refused.status, refused.body], [401, AUTHENTICATION_FAILED]);
    const stillStored = await storedKeys(worker.mf);
    assert.ok(stillStored.has(`i:${created.id}`), "the service refuses it, not KV's expiry");
    const deleted = await call("DELETE", `/api/v3/tokens/${created.id}`, { token: ADMIN_TOKEN });
    assert.deepEqual([deleted.status, deleted.body], [404, { status: "NOT_FOUND", error: "token not found" }]);
  });
});
