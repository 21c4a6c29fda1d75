// Calls limits in workerd, counted by each token tree's Durable Object: a
// child's calls count against its ancestors' limits, delegation cannot
// multiply a budget, and a limit is exact under concurrency. Through the
// gateway, the recording stand-in node shows that refused calls never reach
// it. That limits hold across restarts is durability.test.mjs; spend budgets
// are gateway-conditions.test.mjs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startGateway, ADMIN_TOKEN, limited } from "./harness.mjs";

let node;
let call;
let stop;

before(async () => ({ node, call, close: stop } = await startGateway()));
after(() => stop?.());

async function issue(creator, capabilities) {
  const created = await call("POST", "/api/v3/tokens", { token: creator, body: { capabilities } });
  assert.equal(created.status, 201, created.text);
  return created.body;
}

const received = (path) => node.received.filter((request) => request.path === path).length;

test("a parent limited to one withdraw, and ten children limited to one each, move funds once", async () => {
  const parent = await issue(ADMIN_TOKEN, [limited("accountWithdraw", 1), { endpoint: "tokensCreate" }]);
  const withdraw = (token) =>
    call("POST", "/api/v4/account/withdraw", { token, body: { amount: "1 xDai", address: `0x${"1".repeat(40)}` } });
  assert.equal((await withdraw(parent.token)).status, 200);
  const again = await withdraw(parent.token);
  assert.equal(again.status, 403);
  assert.equal(again.body.reason, "limit_exhausted");
  for (let i = 0; i < 10; i++) {
    const child = await issue(parent.token, [limited("accountWithdraw", 1)]);
    const refused = await withdraw(child.token);
    assert.equal(refused.status, 403, refused.text);
    assert.equal(refused.body.reason, "limit_exhausted");
  }
  assert.equal(received("/api/v4/account/withdraw"), 1, "the node received one withdrawal");
});

test("a self-replicating tree under a root with nodeGetInfo max 1 and tokensCreate max 2 makes one call", async () => {
  const before = received("/api/v4/node/info");
  const root = await issue(ADMIN_TOKEN, [limited("nodeGetInfo", 1), limited("tokensCreate", 2), { endpoint: "tokensGetToken" }]);
  let frontier = [root.token];
  const tokens = [root.token];
  for (let depth = 0; depth < 6 && frontier.length > 0; depth++) {
    const made = await Promise.all(
      frontier.flatMap((holder) =>
        [0, 1].map(() =>
          call("POST", "/api/v3/tokens", { token: holder, body: { capabilities: [limited("nodeGetInfo", 1), limited("tokensCreate", 2)] } }),
        ),
      ),
    );
    frontier = made.filter((answer) => answer.status === 201).map((answer) => answer.body.token);
    tokens.push(...frontier);
  }
  assert.equal(tokens.length, 3, "the root's two creates are the whole tree's");
  const calls = await Promise.all(tokens.map((token) => call("GET", "/api/v4/node/info", { token })));
  assert.equal(calls.filter((answer) => answer.status === 200).length, 1);
  assert.equal(received("/api/v4/node/info") - before, 1, "the node received one call from the whole tree");
  const self = (await call("GET", "/api/v3/token", { token: root.token })).body;
  assert.deepEqual(self.capabilities.map((capability) => capability.limits?.[0].used), [1, 2, undefined]);
});

test("a calls limit is exact under concurrency: 100 concurrent calls spread over a parent's children give exactly the parent's 20, each seeing its own count", async () => {
  const parent = await issue(ADMIN_TOKEN, [limited("tokensGetToken", 20), { endpoint: "tokensCreate" }]);
  const children = [];
  for (let i = 0; i < 5; i++) children.push(await issue(parent.token, [limited("tokensGetToken", 20)]));
  const answers = await Promise.all(
    Array.from({ length: 100 }, (_, i) => call("GET", "/api/v3/token", { token: children[i % children.length].token })),
  );
  const granted = answers.filter((answer) => answer.status === 200);
  assert.equal(granted.length, 20);
  const exhausted = {
    status: "UNAUTHORIZED",
    error: "authorization failed: calls limit of tokensGetToken used up (20 of 20, shared with an ancestor's subtree)",
    reason: "limit_exhausted",
  };
  for (const refused of answers.filter((answer) => answer.status !== 200)) assert.deepEqual([refused.status, refused.body], [403, exhausted]);
  // A child's successes saw 1, 2, … its share, each once: every count was taken and read as one step.
  for (const child of children) {
    const used = granted.filter((answer) => answer.body.id === child.id).map((answer) => answer.body.capabilities[0].limits[0].used);
    assert.deepEqual(used.sort((a, b) => a - b), Array.from({ length: used.length }, (_, i) => i + 1), `the counts ${child.id} saw`);
  }
  const shown = await call("GET", `/api/v3/tokens/${parent.id}`, { token: ADMIN_TOKEN });
  assert.equal(shown.body.capabilities[0].limits[0].used, 20, "the children's uses add up to the parent's budget");
});
