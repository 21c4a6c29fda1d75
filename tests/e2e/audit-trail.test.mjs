// The audit trail, end to end in workerd with the stand-in node: what a
// token and its descendants did, newest first, each call of a limited token
// (refusals with their reason, spends with their amount), every gateway call
// that is not a GET, and every create, delete and rotation (the admin's as
// actor "admin"); durable, readable by the admin after the delete and after
// a restart; and `last_used_at`, which moves after a call.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startGateway, ADMIN_TOKEN } from "./harness.mjs";

const PEER = "0xb4ce7e6e36ac8b01a974725d5ba730af2b156fbe";
const STRANGER = "0xa8194d36e322592d4c707b70dbe96121f5c74c64";

test("a bot's events: its calls and refusals, its spends with their amounts, its child's, and the admin's create and delete, newest first, after the delete and a restart", { timeout: 60_000 }, async () => {
  const { call, worker, close } = await startGateway({}, { persist: true });
  try {
    const events = async (id, query = "") => {
      const page = await call("GET", `/api/v3/tokens/${id}/events${query}`, { token: ADMIN_TOKEN });
      assert.equal(page.status, 200, page.text);
      return page.body;
    };
    const created = await call("POST", "/api/v3/tokens", {
      token: ADMIN_TOKEN,
      body: {
        description: "funding bot",
        capabilities: [
          { endpoint: "accountWithdraw", limits: [{ type: "spend", conditions: { max: "1 wxHOPR" } }, { type: "targets", conditions: { allow: [PEER] } }] },
          { endpoint: "nodeGetInfo", limits: [{ type: "calls", conditions: { max: 1 } }] },
          { endpoint: "tokensCreate" },
        ],
      },
    });
    assert.equal(created.status, 201, created.text);
    const bot = created.body;
    const as = (token) => ({ token: token.token });
    const withdraw = (token, amount, address = PEER) =>
      call("POST", "/api/v4/account/withdraw", { ...as(token), body: { amount, address } });

    assert.equal((await withdraw(bot, "0.6 wxHOPR")).status, 200);
    assert.equal((await withdraw(bot, "0.6 wxHOPR")).status, 403);
    assert.equal((await withdraw(bot, "0.1 wxHOPR", STRANGER)).status, 403);
    assert.equal((await call("GET", "/api/v4/node/info", as(bot))).status, 200);
    assert.equal((await call("GET", "/api/v4/node/info", as(bot))).status, 403);
    assert.equal((await call("GET", "/api/v4/channels", as(bot))).status, 403, "missing capability: refused, and the bot has limits");
    const child = (await call("POST", "/api/v3/tokens", { ...as(bot), body: { capabilities: [{ endpoint: "nodeGetInfo", limits: [{ type: "calls", conditions: { max: 1 } }] }] } })).body;
    assert.equal((await call("GET", "/api/v4/node/info", as(child))).status, 403, "the parent's one call is spent");

    const listed = await events(bot.id);
    const summary = listed.events.map((event) => [event.token, event.actor, event.operation, event.method, event.path, event.status, event.reason ?? null, event.amount ?? null, event.target ?? null]);
    assert.deepEqual(summary, [
      [child.id, child.id, "nodeGetInfo", "GET", "/api/v4/node/info", 403, "limit_exhausted", null, null],
      [child.id, bot.id, "tokensCreate", "POST", "/api/v3/tokens", 201, null, null, null],
      [bot.id, bot.id, "channelsGetChannels", "GET", "/api/v4/channels", 403, "missing_capability", null, null],
      [bot.id, bot.id, "nodeGetInfo", "GET", "/api/v4/node/info", 403, "limit_exhausted", null, null],
      [bot.id, bot.id, "nodeGetInfo", "GET", "/api/v4/node/info", 200, null, null, null],
      [bot.id, bot.id, "accountWithdraw", "POST", "/api/v4/account/withdraw", 403, "condition_failed", "0.1 wxHOPR", STRANGER],
      [bot.id, bot.id, "accountWithdraw", "POST", "/api/v4/account/withdraw", 403, "condition_failed", "0.6 wxHOPR", PEER],
      [bot.id, bot.id, "accountWithdraw", "POST", "/api/v4/account/withdraw", 200, null, "0.6 wxHOPR", PEER],
      [bot.id, "admin", "tokensCreate", "POST", "/api/v3/tokens", 201, null, null, null],
    ]);
    const times = listed.events.map((event) => event.at);
    assert.deepEqual(times, [...times].sort((a, b) => b - a), "newest first, in milliseconds");
    assert.ok(times.at(-1) > Date.now() - 60_000 && times[0] <= Date.now());

    // A page at a time, each event once.
    const firstPage = await events(bot.id, "?limit=4");
    assert.equal(firstPage.events.length, 4);
    const secondPage = await events(bot.id, `?limit=4&cursor=${encodeURIComponent(firstPage.cursor)}`);
    const thirdPage = await events(bot.id, `?limit=4&cursor=${encodeURIComponent(secondPage.cursor)}`);
    assert.deepEqual([...firstPage.events, ...secondPage.events, ...thirdPage.events], listed.events);
    assert.equal(thirdPage.cursor, undefined);
    assert.deepEqual((await call("GET", `/api/v3/tokens/${bot.id}/events?cursor=forged`, { token: ADMIN_TOKEN })).status, 400);

    // The bot sees its own subtree's events; its child sees only its own.
    assert.deepEqual((await call("GET", `/api/v3/tokens/${bot.id}/events`, as(bot))).body.events, listed.events);
    assert.deepEqual((await call("GET", `/api/v3/tokens/${child.id}/events`, as(child))).body.events.map((event) => event.token), [child.id, child.id]);
    assert.equal((await call("GET", `/api/v3/tokens/${bot.id}/events`, as(child))).status, 404, "not its to see");

    assert.equal((await call("DELETE", `/api/v3/tokens/${bot.id}`, { token: ADMIN_TOKEN })).status, 204);
    await worker.restart();
    const afterDelete = await events(bot.id);
    const deleted = afterDelete.events[0];
    assert.deepEqual([deleted.token, deleted.actor, deleted.operation, deleted.status], [bot.id, "admin", "tokensDelete", 204]);
    assert.deepEqual(afterDelete.events.slice(1), listed.events, "kept after the delete and a restart");
    assert.equal((await events(child.id)).events.length, 2, "a deleted descendant's too");
    assert.equal((await call("GET", `/api/v3/tokens/${bot.id}/events`, as(bot))).status, 401, "the deleted bot itself no longer signs in");
  } finally {
    await close();
  }
});

test("last_used_at: absent before the first call, then the time of a call, moving on with later ones", { timeout: 120_000 }, async () => {
  const { call, close } = await startGateway();
  try {
    const created = await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: [{ endpoint: "tokensGetToken" }] } });
    const info = async () => (await call("GET", `/api/v3/tokens/${created.body.id}`, { token: ADMIN_TOKEN })).body;
    assert.equal((await info()).last_used_at, undefined, "never used");
    const before = Math.floor(Date.now() / 1000);
    assert.equal((await call("GET", "/api/v3/token", { token: created.body.token })).status, 200);
    let shown;
    for (let tries = 0; tries < 50 && shown === undefined; tries++) {
      shown = (await info()).last_used_at;
      if (shown === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(shown >= before && shown <= Math.ceil(Date.now() / 1000), `the call's time (${shown})`);
    const listedAt = (await call("GET", "/api/v3/tokens", { token: ADMIN_TOKEN })).body.tokens.find((token) => token.id === created.body.id).last_used_at;
    assert.equal(listedAt, shown, "the listing shows it too");
  } finally {
    await close();
  }
});

test("a use noted after the answer does not outlive a delete that landed first: the note finds the tombstone and goes", { timeout: 60_000 }, async () => {
  const { call, worker, close } = await startGateway();
  try {
    const create = async () => (await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: [{ endpoint: "tokensGetToken" }] } })).body;
    const [kept, deleted] = [await create(), await create()];
    const kv = await worker.mf.getKVNamespace("TOKENS");
    // The delete's tombstone, laid between the call's answer and its note (a delete lays it before it removes the note).
    await kv.put(`x:${deleted.id}`, deleted.id);
    assert.equal((await call("GET", "/api/v3/token", { token: deleted.token })).status, 200);
    assert.equal((await call("GET", "/api/v3/token", { token: kept.token })).status, 200);
    let keptNote = null;
    for (let tries = 0; tries < 50 && keptNote === null; tries++) {
      keptNote = await kv.get(`u:${kept.id}`);
      if (keptNote === null) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.notEqual(keptNote, null, "a live token's note is written after the answer");
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await kv.get(`u:${deleted.id}`), null, "the deleted token's note is gone");
  } finally {
    await close();
  }
});

test("a limited GET /token and its refusal by the counters are recorded in the Durable Object call that counts them", { timeout: 60_000 }, async () => {
  const { call, close } = await startGateway();
  try {
    const created = await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: [{ endpoint: "tokensGetToken", limits: [{ type: "calls", conditions: { max: 1 } }] }] } });
    assert.equal(created.status, 201, created.text);
    assert.equal((await call("GET", "/api/v3/token", { token: created.body.token })).status, 200);
    assert.equal((await call("GET", "/api/v3/token", { token: created.body.token })).status, 403);
    const page = await call("GET", `/api/v3/tokens/${created.body.id}/events`, { token: ADMIN_TOKEN });
    assert.deepEqual(
      page.body.events.map((event) => [event.actor, event.operation, event.status, event.reason ?? null]),
      [
        [created.body.id, "tokensGetToken", 403, "limit_exhausted"],
        [created.body.id, "tokensGetToken", 200, null],
        ["admin", "tokensCreate", 201, null],
      ],
    );
  } finally {
    await close();
  }
});
