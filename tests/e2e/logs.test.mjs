// What the Worker logs in workerd: one JSON line per request, naming the
// operation served, its status, who called (`actor`: a token id or admin)
// and the caller's token id, the amount and target of a spend and the reason
// of a refusal, with the cause of a failure, and never a secret. The Worker
// runs behind the test shim (faults-shim.mjs) so that a request can make
// storage fail.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { startWorker, startGateway, client, ADMIN_TOKEN, caps } from "./harness.mjs";

const worker = await startWorker({ entry: new URL("faults-shim.mjs", import.meta.url).pathname });
const call = client(worker.url);
after(() => worker.close());

const API = "/api/v3";

async function issue(capabilities) {
  const created = await call("POST", `${API}/tokens`, { token: ADMIN_TOKEN, body: { capabilities } });
  assert.equal(created.status, 201, created.text);
  return created.body;
}

const jsonLines = () => worker.logs.filter((line) => line.startsWith("{"));

/** How many JSON lines the Worker has logged, once that has not grown for 200 ms: lines arrive after their answers. */
async function settledCount() {
  let count = -1;
  while (count !== jsonLines().length) {
    count = jsonLines().length;
    await sleep(200);
  }
  return count;
}

test("logs: one JSON line per request, with its method, operation, status and the caller's token id, never a secret", async () => {
  const reader = await issue(caps("tokensGetToken"));
  const rotator = await issue(caps("tokensRotate"));
  let rotated;
  // Each request, then what its answer and its line say: method, operation, status, token id.
  const requests = [
    [() => call("GET", `${API}/token`, { token: reader.token }), "GET", "tokensGetToken", 200, reader.id],
    [() => call("GET", `${API}/token`, { headers: { authorization: `Bearer ${reader.token}` } }), "GET", "tokensGetToken", 200, reader.id],
    [() => call("GET", `${API}/token?apiToken=${reader.token}`), "GET", "tokensGetToken", 401, null],
    [() => call("DELETE", `${API}/tokens/${reader.token}`, { token: ADMIN_TOKEN }), "DELETE", "tokensDelete", 404, null],
    [() => call("GET", `${API}/tokens`, { token: rotator.token }), "GET", "tokensList", 200, rotator.id],
    [() => call("GET", `${API}/tokens/${rotator.id}`, { token: rotator.token }), "GET", "tokensInspect", 200, rotator.id],
    [async () => (rotated = await call("POST", `${API}/tokens/${rotator.id}/rotate`, { token: rotator.token })), "POST", "tokensRotate", 201, rotator.id],
    [() => call("GET", `${API}/tokens/AAAAAAAAAAAAAAAAAAAAAA`, { token: rotated.body.token }), "GET", "tokensInspect", 404, rotator.id],
  ];
  const before = await settledCount();
  const statuses = [];
  for (const [request] of requests) statuses.push((await request()).status);
  assert.deepEqual(statuses, requests.map(([, , , status]) => status), "the answers");
  await settledCount();
  const lines = jsonLines().slice(before).map((line) => JSON.parse(line));
  assert.equal(lines.length, requests.length, "one line per request");
  for (const line of lines) {
    assert.deepEqual(Object.keys(line).sort(), [
      "actor", "amount", "cause", "duration_ms", "kv_ops", "method", "operation", "path", "reason", "status", "target", "token_id",
    ]);
  }
  assert.deepEqual(
    lines.map((line) => [line.method, line.operation, line.status, line.token_id]),
    requests.map(([, ...logged]) => logged),
  );
  assert.deepEqual(
    lines.map((line) => line.actor),
    requests.map(([, , operation, status, id]) => id ?? (status === 401 ? null : "admin")),
    "the actor: the token's id, admin, or nobody before signing in",
  );
  const logged = worker.logs.join("\n");
  for (const secret of [reader.token.slice(4), rotator.token.slice(4), rotated.body.token.slice(4), ADMIN_TOKEN]) {
    assert.ok(!logged.includes(secret), "a secret reached the logs");
  }
});

test("a storage failure is logged with its cause on the request's one line, and the secret is not", async () => {
  const created = await issue(caps("tokensGetToken"));
  const before = await settledCount();
  const failed = await call("GET", `${API}/token`, { token: created.token, headers: { "x-test-fail": "get" } });
  assert.deepEqual([failed.status, failed.body], [503, { status: "UNAVAILABLE", error: "token storage is unavailable; try again" }]);
  await settledCount();
  const lines = jsonLines().slice(before).map((line) => JSON.parse(line));
  assert.equal(lines.length, 1, "one line for the request");
  assert.deepEqual([lines[0].operation, lines[0].status, lines[0].token_id], ["tokensGetToken", 503, null]);
  assert.match(lines[0].cause ?? "", /injected get failure/);
  assert.ok(!worker.logs.join("\n").includes(created.token.slice(4)), "the secret is not logged");
});

test("a spend's line names its actor, amount and target; a refusal's its reason", async () => {
  const PEER = "0xb4ce7e6e36ac8b01a974725d5ba730af2b156fbe";
  const gateway = await startGateway();
  try {
    const limits = [{ type: "spend", conditions: { max: "1 wxHOPR" } }, { type: "targets", conditions: { allow: [PEER] } }];
    const created = await gateway.call("POST", `${API}/tokens`, { token: ADMIN_TOKEN, body: { capabilities: [{ endpoint: "accountWithdraw", limits }] } });
    assert.equal(created.status, 201, created.text);
    const bot = created.body;
    const withdraw = () => gateway.call("POST", "/api/v4/account/withdraw", { token: bot.token, body: { amount: "0.6 wxHOPR", address: PEER.toUpperCase().replace("0X", "0x") } });
    assert.equal((await withdraw()).status, 200);
    assert.equal((await withdraw()).status, 403);
    assert.equal((await gateway.call("GET", "/api/v4/node/info", { token: bot.token })).status, 403);
    let lines = [];
    for (let tries = 0; tries < 50 && lines.length < 3; tries++) {
      lines = gateway.worker.logs.filter((line) => line.startsWith("{") && line.includes(`"token_id":"${bot.id}"`)).map((line) => JSON.parse(line));
      if (lines.length < 3) await sleep(100);
    }
    assert.deepEqual(
      lines.map((line) => [line.actor, line.operation, line.status, line.amount, line.target, line.reason]),
      [
        [bot.id, "accountWithdraw", 200, "0.6 wxHOPR", PEER, null],
        [bot.id, "accountWithdraw", 403, "0.6 wxHOPR", PEER, "condition_failed"],
        [bot.id, "nodeGetInfo", 403, null, null, "missing_capability"],
      ],
    );
    const admins = gateway.worker.logs.filter((line) => line.startsWith("{") && line.includes('"operation":"tokensCreate"')).map((line) => JSON.parse(line));
    assert.equal(admins[0].actor, "admin", "the admin's calls are named, not null");
  } finally {
    await gateway.close();
  }
});
