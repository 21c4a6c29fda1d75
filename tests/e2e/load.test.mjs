// Load without loss: a bounded mix of about 2,000 creates, reads and deletes
// at 32 connections, one token in three with a calls limit (so its tree's
// Durable Object counts). Every created token authenticates, every deleted
// one is refused, and no request gets a 5xx. That limits are exact under
// concurrency is limits.test.mjs.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, client, ADMIN_TOKEN, caps, limited } from "./harness.mjs";

const CONCURRENCY = 32;
const TOKENS = 500;
const LIMITED_EVERY = 3; // one token in three has a calls limit of LIMIT
const LIMIT = 3; // more than the two reads each token gets: none is refused

const worker = await startWorker();
const call = client(worker.url);
after(() => worker.close());

const statuses = [];
/** Runs `task` for every item with at most CONCURRENCY in flight; records every status. */
async function pool(items, task) {
  const results = new Array(items.length);
  let next = 0;
  async function lane() {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index], index);
      statuses.push(results[index].status);
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return results;
}

const getToken = (token) => call("GET", "/api/v3/token", { token });

test("a concurrent mix of creates, reads and deletes loses nothing", { timeout: 120_000 }, async () => {
  const bodies = Array.from({ length: TOKENS }, (_, i) => ({
    description: `load ${i}`,
    capabilities: i % LIMITED_EVERY === 0 ? [limited("tokensGetToken", LIMIT)] : caps("tokensGetToken", "tokensDelete"),
  }));
  const created = await pool(bodies, (body) => call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body }));
  assert.ok(created.every((response) => response.status === 201), "every create succeeds");
  const tokens = created.map((response, i) => ({ ...response.body, limited: i % LIMITED_EVERY === 0 }));

  // Every token authenticates and is itself.
  const reads = await pool(tokens, (token) => getToken(token.token));
  reads.forEach((response, i) => {
    assert.equal(response.status, 200);
    assert.equal(response.body.id, tokens[i].id);
  });

  // Half are deleted (the unlimited ones delete themselves, the admin deletes
  // the limited ones) while the other half is read at the same time.
  const doomed = tokens.filter((_, i) => i % 2 === 0);
  const kept = tokens.filter((_, i) => i % 2 === 1);
  const mixed = [...doomed.map((t) => ["delete", t]), ...kept.map((t) => ["read", t])];
  const mixedResults = await pool(mixed, ([kind, token]) =>
    kind === "delete" ? call("DELETE", `/api/v3/tokens/${token.id}`, { token: token.limited ? ADMIN_TOKEN : token.token }) : getToken(token.token),
  );
  mixedResults.forEach((response, i) => {
    const [kind, token] = mixed[i];
    assert.equal(response.status, kind === "delete" ? 204 : 200, `${kind} ${token.id}: ${response.text}`);
    if (kind === "read") assert.equal(response.body.id, token.id);
  });

  // Every deleted token is refused.
  const afterDelete = await pool(doomed, (token) => getToken(token.token));
  assert.ok(afterDelete.every((response) => response.status === 401), "deleted tokens are refused");

  assert.deepEqual(statuses.filter((status) => status >= 500), [], "no 5xx");
});
