// The promises of the product tried as an attacker would, against the built
// Worker in workerd with a recording stand-in node: each test is an attack,
// then the assertion that it fails.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startGateway, withWorker, ADMIN_TOKEN, caps, limited } from "./harness.mjs";

let node;
let call;
let raw;
let stop;

before(async () => ({ node, call, raw, close: stop } = await startGateway()));
after(() => stop?.());

async function issue(creator, capabilities, extra = {}) {
  const created = await call("POST", "/api/v3/tokens", { token: creator, body: { capabilities, ...extra } });
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

test("100 concurrent calls spread over a parent's children give exactly the parent's max", async () => {
  const parent = await issue(ADMIN_TOKEN, [limited("tokensGetToken", 20), { endpoint: "tokensCreate" }]);
  const children = [];
  for (let i = 0; i < 5; i++) children.push((await issue(parent.token, [limited("tokensGetToken", 20)])).token);
  const answers = await Promise.all(
    Array.from({ length: 100 }, (_, i) => call("GET", "/api/v3/token", { token: children[i % children.length] })),
  );
  const granted = answers.filter((answer) => answer.status === 200);
  assert.equal(granted.length, 20);
  assert.ok(answers.every((answer) => answer.status === 200 || answer.body?.reason === "limit_exhausted"));
  const usedByChild = new Map();
  for (const answer of granted) {
    const used = answer.body.capabilities[0].limits[0].used;
    usedByChild.set(answer.body.id, Math.max(used, usedByChild.get(answer.body.id) ?? 0));
  }
  const total = [...usedByChild.values()].reduce((sum, used) => sum + used, 0);
  assert.equal(total, 20, "the children's uses add up to the parent's budget");
});

test("a secret in the URL authenticates nothing but a WebSocket upgrade on a WebSocket route, and never reaches the node", async () => {
  const holder = await issue(ADMIN_TOKEN, caps("tokensGetToken", "nodeGetInfo", "sessionsWebsocket"));
  const own = await upgradeRequest(`/api/v3/token?apiToken=${holder.token}`);
  assert.equal(own, 401, "GET /api/v3/token");
  const nodeRoute = await upgradeRequest(`/api/v4/node/info?apiToken=${holder.token}`);
  assert.equal(nodeRoute, 401, "a node route that is not a WebSocket");
  const forwarded = await call("GET", `/api/v4/node/info?APITOKEN=${holder.token}&api%54oken=x&keep=1`, { token: holder.token });
  assert.equal(forwarded.status, 200);
  const last = node.received.at(-1);
  assert.equal(last.query, "?keep=1", "no spelling of apiToken reaches the node");
  assert.ok(node.received.every((request) => !request.query.includes(holder.token.slice(4))));
});

/** The status of a WebSocket upgrade request for `target` (fetch cannot send one). */
async function upgradeRequest(target) {
  const headers = { upgrade: "websocket", connection: "Upgrade", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==" };
  return (await raw("GET", target, headers)).status;
}

test("a guessable admin token is refused as misconfiguration, not throttled", async () => {
  for (const weak of ["12345678", "        ", "a".repeat(31)]) {
    await withWorker({ bindings: { API_TOKEN: weak } }, async (attempt) => {
      const basic = `Basic ${Buffer.from(`${weak}:`).toString("base64")}`;
      for (const headers of [{ "x-auth-token": weak }, { authorization: basic }]) {
        const answer = await attempt("POST", "/api/v3/tokens", { headers, body: { capabilities: caps("tokensGetToken") } });
        assert.equal(answer.status, 503, JSON.stringify(weak));
        assert.equal(answer.body.status, "MISCONFIGURED");
        assert.match(answer.body.error, /at least 32 characters/);
      }
    });
  }
});

test("once an address is throttled, a correct guess looks exactly like a wrong one", async () => {
  await withWorker({ failedSignInLimit: 5 }, async (attempt) => {
    const victim = (await attempt("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: caps("tokensGetToken") } })).body.token;
    const from = (address) => ({ "cf-connecting-ip": address });
    const attacker = from("203.0.113.9");
    const wrong = [];
    for (let i = 0; i < 8; i++) wrong.push(await attempt("GET", "/api/v3/token", { token: `etk_guess_${i}`, headers: attacker }));
    assert.deepEqual(wrong.map((answer) => answer.status), [401, 401, 401, 401, 401, 429, 429, 429]);
    const lastWrong = wrong.at(-1);
    for (const correct of [victim, ADMIN_TOKEN]) {
      const answer = await attempt("GET", "/api/v3/token", { token: correct, headers: attacker });
      assert.equal(answer.status, 429, "a correct credential from the throttled address");
      assert.deepEqual(answer.body, lastWrong.body);
      assert.ok(Number(answer.headers.get("retry-after")) > 0);
    }
    const elsewhere = await attempt("GET", "/api/v3/token", { token: victim, headers: from("198.51.100.7") });
    assert.equal(elsewhere.status, 200, "another address is not locked out");
    assert.equal((await attempt("GET", "/api/v3/gateway", { headers: attacker })).status, 200, "no credential, no lock-out");
  });
});
