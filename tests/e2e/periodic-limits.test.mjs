// Periodic limits, end to end in workerd with the stand-in node: `calls` and
// `spend` with `conditions.period` bound what a token and its descendants
// use in any span of that many seconds, and give capacity back as the
// window slides: exactly, under concurrent calls from a parent and its
// children, and across a restart of the runtime. One window of 60 s is
// waited out, for every promise at once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startGateway, ADMIN_TOKEN } from "./harness.mjs";

const PEER = "0xb4ce7e6e36ac8b01a974725d5ba730af2b156fbe";
const PERIOD = 60;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const calls = (max, period) => ({ type: "calls", conditions: period ? { max, period } : { max } });
const spend = (max, period) => ({ type: "spend", conditions: period ? { max, period } : { max } });

test("2 node calls per 60 s and 1 wxHOPR per 60 s: exact under concurrency, kept across a restart, given back as the window slides", { timeout: 180_000 }, async () => {
  const { call, worker, node, close } = await startGateway({}, { persist: true });
  try {
    const issue = async (creator, capabilities) => {
      const created = await call("POST", "/api/v3/tokens", { token: creator, body: { capabilities } });
      assert.equal(created.status, 201, created.text);
      return created.body;
    };
    const bot = await issue(ADMIN_TOKEN, [{ endpoint: "nodeGetInfo", limits: [calls(2, PERIOD)] }, { endpoint: "tokensGetToken" }]);
    const budget = { endpoint: "accountWithdraw", limits: [spend("1 wxHOPR", PERIOD)] };
    const parent = await issue(ADMIN_TOKEN, [budget, { endpoint: "tokensCreate" }, { endpoint: "tokensGetToken" }]);
    const children = [];
    for (let i = 0; i < 3; i++) children.push(await issue(parent.token, [budget]));

    const info = () => call("GET", "/api/v4/node/info", { token: bot.token });
    const withdraw = (spender, amount) =>
      call("POST", "/api/v4/account/withdraw", { token: spender.token, body: { amount, address: PEER } });
    const outcome = (answer) => (answer.status === 403 ? answer.body.reason : answer.status);

    // The window's first span: 2 calls, then none; 0.6 by one of four spenders at once, then 0.4.
    const startedAt = Date.now();
    assert.deepEqual([outcome(await info()), outcome(await info()), outcome(await info())], [200, 200, "limit_exhausted"]);
    const racing = await Promise.all([parent, ...children, parent, ...children].map((spender) => withdraw(spender, "0.6 wxHOPR")));
    assert.equal(racing.filter((answer) => answer.status === 200).length, 1, racing.map(outcome).join(" "));
    assert.ok(racing.filter((answer) => answer.status !== 200).every((answer) => answer.body.reason === "condition_failed"));

    await worker.restart();
    assert.equal(outcome(await info()), "limit_exhausted", "the window is in storage, not in memory");
    assert.equal(outcome(await withdraw(children[0], "0.6 wxHOPR")), "condition_failed");
    // A window counts in slots (here of a second): the 0.4 goes in a later
    // one than the first 0.6, to be counted after that one slid out.
    await sleep(2_100);
    assert.equal(outcome(await withdraw(children[1], "0.4 wxHOPR")), 200, "what is left of the span's 1 wxHOPR");

    const shown = await call("GET", "/api/v3/token", { token: bot.token });
    const window = shown.body.capabilities[0].limits[0];
    assert.deepEqual([window.type, window.conditions, window.used], ["calls", { max: 2, period: PERIOD }, 2]);
    assert.ok(window.returns_at * 1000 >= startedAt + PERIOD * 1000, `capacity returns no earlier than 60 s after the first call (${window.returns_at})`);
    assert.ok(window.returns_at * 1000 <= startedAt + (PERIOD + 5) * 1000, "and soon after");
    const parentShown = await call("GET", "/api/v3/token", { token: parent.token });
    const spent = parentShown.body.capabilities[0].limits[0];
    assert.equal(spent.used, "1 wxHOPR", "the parent's window holds its children's spends");

    // The window slides: the calls of the first span stop counting, and so
    // does the first 0.6, which may have landed in a later slot than the
    // first call (capacity returns with its slot's end).
    await sleep(Math.max(0, Math.max(window.returns_at, spent.returns_at) * 1000 - Date.now()) + 200);
    assert.equal(outcome(await info()), 200, "capacity came back");
    assert.equal(outcome(await withdraw(parent, "0.6 wxHOPR")), 200, "the first 0.6 slid out");
    assert.equal(outcome(await withdraw(children[2], "0.1 wxHOPR")), "condition_failed", "the 0.4 still counts");

    const received = node.received.filter((request) => request.path === "/api/v4/account/withdraw");
    assert.equal(received.length, 3, "the node saw exactly the admitted withdrawals");
    assert.equal(node.received.filter((request) => request.path === "/api/v4/node/info").length, 3);
  } finally {
    await close();
  }
});

test("a periodic limit is handed down narrower, never wider: a child may not drop it, raise its max or shorten its period", async () => {
  const { call, close } = await startGateway();
  try {
    const parent = await call("POST", "/api/v3/tokens", {
      token: ADMIN_TOKEN,
      body: { capabilities: [{ endpoint: "nodeGetInfo", limits: [calls(10, 3600)] }, { endpoint: "tokensCreate" }] },
    });
    assert.equal(parent.status, 201, parent.text);
    const child = (limits) =>
      call("POST", "/api/v3/tokens", { token: parent.body.token, body: { capabilities: [{ endpoint: "nodeGetInfo", limits }] } });
    for (const [what, limits] of [
      ["no limit", []],
      ["a lifetime limit instead", [calls(10)]],
      ["a bigger max", [calls(11, 3600)]],
      ["a shorter period", [calls(10, 60)]],
    ]) {
      const refused = await child(limits);
      assert.deepEqual([refused.status, refused.body.reason], [403, "capabilities_not_allowed"], what);
    }
    for (const [what, limits] of [
      ["the same", [calls(10, 3600)]],
      ["fewer in a longer period", [calls(5, 86_400)]],
      ["and a lifetime limit beside it", [calls(10, 3600), calls(100)]],
    ]) {
      assert.equal((await child(limits)).status, 201, what);
    }
    for (const [what, limits] of [
      ["a period under 60 s", [calls(1, 59)]],
      ["a period over a year", [calls(1, 31_536_001)]],
      ["two periodic calls limits", [calls(1, 60), calls(2, 120)]],
      ["two lifetime calls limits", [calls(1), calls(2)]],
    ]) {
      const refused = await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: [{ endpoint: "nodeGetInfo", limits }] } });
      assert.equal(refused.status, 400, `${what}: ${refused.text}`);
    }
  } finally {
    await close();
  }
});
