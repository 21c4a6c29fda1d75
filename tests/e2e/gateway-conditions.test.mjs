// Conditions on arguments, end to end: the built Worker in workerd in front of
// the recording stand-in node. Each test makes an attack on a `spend`,
// `targets` or `listen` condition (or on handing one down), then asserts
// what it must not achieve: a refused call is 403 `condition_failed` with an
// error naming the field, never reaches the node and counts nothing; an
// allowed one reaches the node exactly once, with the bytes the caller sent.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { startGateway, withWorker, ADMIN_TOKEN } from "./harness.mjs";
import { NODE_TOKEN } from "./stand-in-node.mjs";

// ----------------------------------------------------------------------------
// Fixtures: addresses, limits, request bodies

/** Two addresses a token may be allowed to reach, and one it never is. */
const PEER = "0xb4ce7e6e36ac8b01a974725d5ba730af2b156fbe";
const FRIEND = "0x188c4462b75e46f0c7262d7f48d182447b93a93c";
const STRANGER = "0xa8194d36e322592d4c707b70dbe96121f5c74c64";
/** A channel as /api/v3 names it: by its id, which does not say who the counterparty is. */
const CHANNEL_ID = `0x${"5e".repeat(32)}`;

const hex = (address) => address.slice(2);
const upper = (address) => `0x${hex(address).toUpperCase()}`;

const calls = (max) => ({ type: "calls", conditions: { max } });
const spend = (max) => ({ type: "spend", conditions: { max } });
const targets = (...allow) => ({ type: "targets", conditions: { allow } });
const listen = (...allow) => ({ type: "listen", conditions: { allow } });
/** A capability with these limits (none: no limits). */
const holding = (endpoint, ...limits) => (limits.length ? { endpoint, limits } : { endpoint });

const WITHDRAW = "/api/v4/account/withdraw";
const SESSION = "/api/v4/session/tcp";
const fundPath = (address) => `/api/v4/channels/${address}/fund`;

const withdrawal = (amount, address) => JSON.stringify({ amount, address });
const funding = (amount) => JSON.stringify({ amount });
/** A session body as the node's own example has it; `listenHost` left out when undefined. */
const session = (listenHost) =>
  JSON.stringify({
    destination: PEER,
    forwardPath: { Hops: 1 },
    returnPath: { Hops: 1 },
    target: { Plain: "localhost:8080" },
    ...(listenHost === undefined ? {} : { listenHost }),
  });
/** `json` (an object's text) with `field` (raw JSON text, `"name":value`) added at its end. */
const withRawField = (json, field) => `${json.slice(0, -1)},${field}}`;

/** Every character of `text` percent-encoded. */
const percentEncoded = (text) => [...text].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join("");

const UNREACHABLE = { status: "BAD_GATEWAY", error: "the node could not be reached, or closed the connection before answering" };

const CAPABILITIES_NOT_ALLOWED = {
  status: "FORBIDDEN",
  error: "requested token capabilities not allowed",
  reason: "capabilities_not_allowed",
};

// ----------------------------------------------------------------------------
// One Worker in front of one recording node, for every test but those that
// need another configuration

let node;
let worker;
let call;
let stop;

before(async () => ({ node, worker, call, close: stop } = await startGateway()));
after(() => stop?.());

/** The bindings of a Worker in front of the recording node, plus `extra`. */
const nodeBindings = (extra = {}) => ({ API_TOKEN: ADMIN_TOKEN, ORIGIN_URL: node.url, ORIGIN_TOKEN: NODE_TOKEN, ...extra });

// ----------------------------------------------------------------------------
// Helpers

/** Creates a token with `capabilities`, as `creator`, through `via`; resolves to its secret. */
async function issue(creator, capabilities, via = call) {
  const created = await via("POST", "/api/v3/tokens", { token: creator, body: { capabilities } });
  assert.equal(created.status, 201, created.text);
  return created.body.token;
}

/** Asks `creator` for a child with `capabilities`; resolves to the answer. */
function delegate(creator, capabilities) {
  return call("POST", "/api/v3/tokens", { token: creator, body: { capabilities } });
}

/** Sends `body` (a string, or nothing) byte for byte as a JSON request. */
function send(method, path, token, body, via = call) {
  const headers = body === undefined ? {} : { "content-type": "application/json" };
  return via(method, path, { token, raw: body, headers });
}

/** Runs `action`; resolves to its answer and the requests the node received meanwhile. */
async function watchingTheNode(action) {
  const from = node.received.length;
  const answer = await action();
  return { answer, seen: node.received.slice(from) };
}

/** Asserts a 403 for a broken condition whose error names `field`. */
function assertConditionFailed(response, field) {
  assert.equal(response.status, 403, response.text);
  assert.equal(response.body.status, "UNAUTHORIZED", response.text);
  assert.equal(response.body.reason, "condition_failed", response.text);
  assert.ok(response.body.error.startsWith(`authorization failed: ${field}: `), `names ${field}: ${response.body.error}`);
}

/** Asserts that `action` is refused for a condition on `field` and that the node never saw it; resolves to the answer. */
async function assertRefusedUnseen(action, field) {
  const { answer, seen } = await watchingTheNode(action);
  assertConditionFailed(answer, field);
  assert.deepEqual(seen, [], "a refused call never reaches the node");
  return answer;
}

/** Asserts that `action` reaches the node exactly once, as `method path`, with exactly `body`, and that the node's answer comes back. */
async function assertForwardedOnce(action, { method = "POST", path, body }) {
  const { answer, seen } = await watchingTheNode(action);
  assert.equal(answer.status, 200, `${method} ${path}: ${answer.text}`);
  assert.equal(answer.headers.get("x-node"), "stand-in", "the node's own answer comes back");
  assert.equal(seen.length, 1, "forwarded exactly once");
  assert.deepEqual([seen[0].method, seen[0].path], [method, path]);
  if (body !== undefined) assert.equal(seen[0].body, body, "the node gets the caller's body byte for byte");
  assert.equal(seen[0].headers["x-auth-token"], NODE_TOKEN);
}

/** The limits `token` shows on `endpoint` (GET /api/v3/token), by type. */
async function limitsOf(token, endpoint, via = call) {
  const shown = await via("GET", "/api/v3/token", { token });
  assert.equal(shown.status, 200, shown.text);
  const capability = shown.body.capabilities.find((entry) => entry.endpoint === endpoint);
  assert.ok(capability, `the token holds ${endpoint}`);
  return Object.fromEntries(capability.limits.map((limit) => [limit.type, limit]));
}

/** A local port nothing listens on: bound, then released. */
async function closedPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// ----------------------------------------------------------------------------
// 1. Withdrawals: spend and targets

test("a withdrawal to an address outside targets, or in a currency without a budget, is refused naming the field, unseen and uncounted", async () => {
  const token = await issue(ADMIN_TOKEN, [holding("accountWithdraw", spend("1 xDai"), targets(PEER)), holding("tokensGetToken")]);
  for (const [amount, address, field] of [
    ["0.1 xDai", STRANGER, "address"],
    ["0.1 xDai", FRIEND, "address"],
    ["0.1 wxHOPR", PEER, "amount"],
    ["0.1", PEER, "amount"],
  ]) {
    await assertRefusedUnseen(() => send("POST", WITHDRAW, token, withdrawal(amount, address)), field);
  }
  await assertRefusedUnseen(() => send("POST", WITHDRAW, token, JSON.stringify({ address: PEER })), "amount");
  await assertRefusedUnseen(() => send("POST", WITHDRAW, token, JSON.stringify({ amount: "0.1 xDai" })), "address");
  assert.equal((await limitsOf(token, "accountWithdraw")).spend.used, "0 xDai", "nothing refused was counted");
});

test("a withdrawal over the spend budget, by one wei or more, is refused naming the amount, unseen and uncounted", async () => {
  const token = await issue(ADMIN_TOKEN, [holding("accountWithdraw", spend("1 xDai"), targets(PEER)), holding("tokensGetToken")]);
  const refused = await assertRefusedUnseen(() => send("POST", WITHDRAW, token, withdrawal("1.5 xDai", PEER)), "amount");
  assert.equal(refused.body.error, "authorization failed: amount: moves more than is left of the spend budget (1 xDai of 1 xDai left)");
  await assertRefusedUnseen(() => send("POST", WITHDRAW, token, withdrawal("1.000000000000000001 xDai", PEER)), "amount");
  assert.equal((await limitsOf(token, "accountWithdraw")).spend.used, "0 xDai", "nothing refused was counted");
});

test("a withdrawal to an allowed target (targets only) is forwarded once, with the caller's exact bytes", async () => {
  const token = await issue(ADMIN_TOKEN, [holding("accountWithdraw", targets(PEER, FRIEND))]);
  // Spacing and key order that a re-serialised body would lose.
  const body = `{ "address" : "${FRIEND}",\n  "amount":"0.25 xDai" }`;
  await assertForwardedOnce(() => send("POST", WITHDRAW, token, body), { path: WITHDRAW, body });
});

test("a withdrawal inside its budget is forwarded once, with the caller's exact bytes, and charged; the budget then ends to the wei", async () => {
  const token = await issue(ADMIN_TOKEN, [holding("accountWithdraw", spend("1 xDai"), targets(PEER)), holding("tokensGetToken")]);
  const body = `{ "address" : "${PEER}",\n  "amount":"0.25 xDai" }`;
  await assertForwardedOnce(() => send("POST", WITHDRAW, token, body), { path: WITHDRAW, body });
  assert.equal((await limitsOf(token, "accountWithdraw")).spend.used, "0.25 xDai");

  const rest = withdrawal("0.75 xDai", PEER);
  await assertForwardedOnce(() => send("POST", WITHDRAW, token, rest), { path: WITHDRAW, body: rest });
  await assertRefusedUnseen(() => send("POST", WITHDRAW, token, withdrawal("0.000000000000000001 xDai", PEER)), "amount");
  assert.deepEqual((await limitsOf(token, "accountWithdraw")).spend, { type: "spend", conditions: { max: "1 xDai" }, used: "1 xDai" });
});

// ----------------------------------------------------------------------------
// 2. A spend budget shared down the tree, under concurrency

test("a 1 wxHOPR budget spent by concurrent fundings of 0.3 wxHOPR from a parent and its children admits exactly three", async () => {
  const parent = await issue(ADMIN_TOKEN, [holding("channelsFundChannels", spend("1 wxHOPR")), holding("tokensCreate"), holding("tokensGetToken")]);
  const children = [
    await issue(parent, [holding("channelsFundChannels", spend("1 wxHOPR"))]),
    await issue(parent, [holding("channelsFundChannels", spend("1 wxHOPR"))]),
    await issue(parent, [holding("channelsFundChannels", spend("0.6 wxHOPR"))]),
  ];
  const path = fundPath(PEER);
  const body = funding("0.3 wxHOPR");
  const spenders = [parent, ...children, parent, ...children, parent, ...children];
  const { answer: answers, seen } = await watchingTheNode(() => Promise.all(spenders.map((token) => send("POST", path, token, body))));

  const admitted = answers.filter((answer) => answer.status === 200);
  assert.equal(admitted.length, 3, `3 × 0.3 fit in 1 wxHOPR; a fourth does not, whoever asks: ${answers.map((a) => a.status)}`);
  for (const refused of answers.filter((answer) => answer.status !== 200)) assertConditionFailed(refused, "amount");
  assert.equal(seen.length, 3, "the node received exactly the three admitted");
  for (const received of seen) assert.deepEqual([received.path, received.body], [path, body]);
  assert.equal((await limitsOf(parent, "channelsFundChannels")).spend.used, "0.9 wxHOPR");
});

// ----------------------------------------------------------------------------
// 3. Sessions: where they listen

test("without a listen condition a session may not listen beyond loopback: every interface, IPv6 any, a LAN address, on v4 and v3", async () => {
  const token = await issue(ADMIN_TOKEN, [holding("sessionsCreateClient")]);
  for (const host of ["0.0.0.0:10000", "[::]:0", "0.0.0.0", "::", "192.168.1.10:80", "[::ffff:0.0.0.0]:10000"]) {
    const refused = await assertRefusedUnseen(() => send("POST", SESSION, token, session(host)), "listenHost");
    assert.match(refused.body.error, /not a loopback address/, host);
  }
  await assertRefusedUnseen(() => send("POST", "/api/v3/session/udp", token, session("0.0.0.0:10000")), "listenHost");
});

test("without a listen condition a session on loopback is forwarded once, with the caller's exact bytes", async () => {
  const token = await issue(ADMIN_TOKEN, [holding("sessionsCreateClient")]);
  // The node's default is 127.0.0.1:0 here, so a missing host, a port alone or a name it does not resolve stay on loopback.
  for (const host of ["127.0.0.1:10000", "[::1]:10000", "127.1.2.3:10000", ":10000", "localhost:8080", undefined]) {
    const body = session(host);
    await assertForwardedOnce(() => send("POST", SESSION, token, body), { path: SESSION, body });
  }
});

test("a listen condition of 0.0.0.0:10000-10100 refuses every host outside it, port 0 and loopback included", async () => {
  const token = await issue(ADMIN_TOKEN, [holding("sessionsCreateClient", listen("0.0.0.0:10000-10100"))]);
  for (const host of ["0.0.0.0:9999", "0.0.0.0:10101", "0.0.0.0", "[::]:10050", "127.0.0.1:10050", undefined]) {
    const refused = await assertRefusedUnseen(() => send("POST", SESSION, token, session(host)), "listenHost");
    assert.match(refused.body.error, /outside the allowed listen ranges/, String(host));
  }
});

test("a listen condition of 0.0.0.0:10000-10100 forwards a session inside it, ends included", async () => {
  const token = await issue(ADMIN_TOKEN, [holding("sessionsCreateClient", listen("0.0.0.0:10000-10100"))]);
  for (const host of ["0.0.0.0:10050", "0.0.0.0:10000", "0.0.0.0:10100"]) {
    const body = session(host);
    await assertForwardedOnce(() => send("POST", SESSION, token, body), { path: SESSION, body });
  }
});

test("where the node's default listen host is not loopback (ORIGIN_SESSION_LISTEN_HOST=172.17.0.2), a session that does not name a loopback host is refused", async () => {
  await withWorker({ bindings: nodeBindings({ ORIGIN_SESSION_LISTEN_HOST: "172.17.0.2" }) }, async (container) => {
    const token = await issue(ADMIN_TOKEN, [holding("sessionsCreateClient")], container);
    for (const [body, where] of [
      [session(undefined), "172.17.0.2:0"],
      [withRawField(session(undefined), '"listenHost":null'), "172.17.0.2:0"],
      [session(""), "172.17.0.2:0"],
      [session("localhost:8080"), "172.17.0.2:0"],
      [session(":10000"), "172.17.0.2:10000"],
      [withRawField(session(undefined), '"listen_host":"127.0.0.1:10000"'), "172.17.0.2:0"],
    ]) {
      const refused = await assertRefusedUnseen(() => send("POST", SESSION, token, body, container), "listenHost");
      assert.ok(refused.body.error.includes(`would listen on ${where},`), `${body}: ${refused.body.error}`);
    }
  });
});

test("where the node's default listen host is not loopback, a session naming a loopback host is still forwarded", async () => {
  await withWorker({ bindings: nodeBindings({ ORIGIN_SESSION_LISTEN_HOST: "172.17.0.2" }) }, async (container) => {
    const token = await issue(ADMIN_TOKEN, [holding("sessionsCreateClient")], container);
    const body = session("127.0.0.1:10000");
    await assertForwardedOnce(() => send("POST", SESSION, token, body, container), { path: SESSION, body });
  });
});

// ----------------------------------------------------------------------------
// 4. A node that is down

test("a call to a node that is down is 502 and stays charged: the runtime cannot tell it from one the node read", async () => {
  await withWorker({ bindings: nodeBindings({ ORIGIN_URL: `http://127.0.0.1:${await closedPort()}` }) }, async (down) => {
    const token = await issue(ADMIN_TOKEN, [holding("accountWithdraw", calls(2), spend("1 xDai"), targets(PEER)), holding("tokensGetToken")], down);
    const first = await send("POST", WITHDRAW, token, withdrawal("0.6 xDai", PEER), down);
    assert.deepEqual([first.status, first.body], [502, UNREACHABLE]);
    const second = await send("POST", WITHDRAW, token, withdrawal("0.6 xDai", PEER), down);
    assertConditionFailed(second, "amount");
    const limits = await limitsOf(token, "accountWithdraw", down);
    assert.deepEqual([limits.calls.used, limits.spend.used], [1, "0.6 xDai"], "the failed call stays counted");
  });
});

for (const how of ["close", "reset"]) {
  test(`a node that reads the request and then ${how}s the connection leaves the call charged: 1 wxHOPR moves at most 1 wxHOPR`, async () => {
    const path = "/api/v4/account/withdraw";
    node.drop(path, how);
    try {
      const token = await issue(ADMIN_TOKEN, [holding("accountWithdraw", spend("1 wxHOPR")), holding("tokensGetToken")]);
      const { answer: dropped, seen } = await watchingTheNode(() => send("POST", WITHDRAW, token, withdrawal("0.6 wxHOPR", PEER)));
      assert.deepEqual([dropped.status, dropped.body], [502, UNREACHABLE]);
      assert.equal(seen.length, 1, "the node received the withdrawal");
      for (let attempt = 0; attempt < 3; attempt++) {
        await assertRefusedUnseen(() => send("POST", WITHDRAW, token, withdrawal("0.6 wxHOPR", PEER)), "amount");
      }
      assert.equal((await limitsOf(token, "accountWithdraw")).spend.used, "0.6 wxHOPR");
    } finally {
      node.drop(path, undefined);
    }
  });
}

// ----------------------------------------------------------------------------
// 5. Delegation: a child's conditions are no wider than its parent's

test("a child may not widen spend or targets: a bigger max, another currency, an added address, or a dropped limit is 403", async () => {
  const parent = await issue(ADMIN_TOKEN, [holding("accountWithdraw", spend("1 xDai"), targets(PEER, FRIEND)), holding("tokensCreate")]);
  const withdrawing = (...limits) => [holding("accountWithdraw", ...limits)];
  for (const [attack, capabilities] of [
    ["a bigger max, by one wei", withdrawing(spend("1.000000000000000001 xDai"), targets(PEER))],
    ["a bigger max", withdrawing(spend("2 xDai"), targets(PEER))],
    ["another currency", withdrawing(spend("1 wxHOPR"), targets(PEER))],
    ["another currency beside its own", withdrawing(spend("0.5 xDai"), spend("0.5 wxHOPR"), targets(PEER))],
    ["no spend", withdrawing(targets(PEER))],
    ["an added address", withdrawing(spend("1 xDai"), targets(PEER, STRANGER))],
    ["no targets", withdrawing(spend("1 xDai"))],
    ["neither", withdrawing(calls(1))],
    ["no limits at all", withdrawing()],
  ]) {
    const refused = await delegate(parent, capabilities);
    assert.deepEqual([refused.status, refused.body], [403, CAPABILITIES_NOT_ALLOWED], attack);
  }
  // The same, or narrower (an address in another letter case is the same one), is handed down.
  for (const capabilities of [
    withdrawing(spend("1 xDai"), targets(FRIEND, PEER)),
    withdrawing(spend("0.5 xDai"), targets(upper(PEER)), calls(3)),
  ]) {
    assert.equal((await delegate(parent, capabilities)).status, 201, JSON.stringify(capabilities));
  }
});

test("a child may not widen listen: a wider range, another address, dropping it, or beyond loopback under a parent without one is 403", async () => {
  const ranged = await issue(ADMIN_TOKEN, [holding("sessionsCreateClient", listen("0.0.0.0:10000-10100")), holding("tokensCreate")]);
  const unranged = await issue(ADMIN_TOKEN, [holding("sessionsCreateClient"), holding("tokensCreate")]);
  const sessions = (...limits) => [holding("sessionsCreateClient", ...limits)];
  for (const [parent, attack, capabilities] of [
    [ranged, "a range starting lower", sessions(listen("0.0.0.0:9999-10100"))],
    [ranged, "a range ending higher", sessions(listen("0.0.0.0:10000-10101"))],
    [ranged, "a second range outside", sessions(listen("0.0.0.0:10000-10100", "0.0.0.0:20000"))],
    [ranged, "another address", sessions(listen("10.0.0.1:10050"))],
    [ranged, "every IPv6 interface", sessions(listen("[::]:10050"))],
    [ranged, "no listen", sessions()],
    [unranged, "every interface", sessions(listen("0.0.0.0:10000-10100"))],
    [unranged, "a private address", sessions(listen("192.168.1.10:10000"))],
    [unranged, "every IPv6 interface", sessions(listen("[::]:10000"))],
  ]) {
    const refused = await delegate(parent, capabilities);
    assert.deepEqual([refused.status, refused.body], [403, CAPABILITIES_NOT_ALLOWED], attack);
  }
  assert.equal((await delegate(ranged, sessions(listen("0.0.0.0:10050-10060")))).status, 201, "a narrower range");
  assert.equal((await delegate(unranged, sessions(listen("127.0.0.1:10000-10100", "[::1]:8080")))).status, 201, "loopback only");
  assert.equal((await delegate(unranged, sessions())).status, 201, "no listen, as the parent");
});

test("a child's narrower targets and listen hold at call time where its parent's would allow the call", async () => {
  const parent = await issue(ADMIN_TOKEN, [
    holding("accountWithdraw", targets(PEER, FRIEND)),
    holding("sessionsCreateClient", listen("0.0.0.0:10000-10100")),
    holding("tokensCreate"),
  ]);
  const child = await issue(parent, [holding("accountWithdraw", targets(PEER)), holding("sessionsCreateClient", listen("0.0.0.0:10000-10010"))]);
  await assertRefusedUnseen(() => send("POST", WITHDRAW, child, withdrawal("0.05 xDai", FRIEND)), "address");
  await assertRefusedUnseen(() => send("POST", SESSION, child, session("0.0.0.0:10050")), "listenHost");
});

test("a child's narrower spend holds at call time where its parent's would allow the call", async () => {
  const parent = await issue(ADMIN_TOKEN, [holding("accountWithdraw", spend("1 xDai"), targets(PEER)), holding("tokensCreate")]);
  const child = await issue(parent, [holding("accountWithdraw", spend("0.1 xDai"), targets(PEER))]);
  await assertRefusedUnseen(() => send("POST", WITHDRAW, child, withdrawal("0.2 xDai", PEER)), "amount");
  const body = withdrawal("0.1 xDai", PEER);
  await assertForwardedOnce(() => send("POST", WITHDRAW, child, body), { path: WITHDRAW, body });
});

test("a condition on a capability whose routes cannot carry it is 400 INVALID_TOKEN_CAPABILITIES", async () => {
  for (const [attack, capability, named] of [
    ["spend on a route that moves no funds", holding("nodeGetInfo", spend("1 wxHOPR")), "'spend'"],
    ["targets on a route that names no target", holding("nodeGetInfo", targets(PEER)), "'targets'"],
    ["listen on a route that opens no listener", holding("accountWithdraw", listen("127.0.0.1:10000-10100")), "'listen'"],
    ["spend in xDai on a route that moves only wxHOPR", holding("channelsFundChannels", spend("1 xDai")), "not xDai"],
  ]) {
    const refused = await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: [capability] } });
    assert.equal(refused.status, 400, `${attack}: ${refused.text}`);
    assert.equal(refused.body.status, "INVALID_TOKEN_CAPABILITIES", attack);
    assert.ok(refused.body.error.startsWith("capabilities[0].limits[0]") && refused.body.error.includes(named), `${attack}: ${refused.body.error}`);
  }
});

// ----------------------------------------------------------------------------
// 6. Tricks: other spellings of the same argument, and bodies read another way

test("another spelling of an address outside targets (letter case, no 0x) is still outside, in the body and in the path", async () => {
  const token = await issue(ADMIN_TOKEN, [holding("accountWithdraw", targets(PEER)), holding("channelsFundChannels", targets(PEER))]);
  for (const spelling of [upper(STRANGER), `0X${hex(STRANGER).toUpperCase()}`, hex(STRANGER)]) {
    await assertRefusedUnseen(() => send("POST", WITHDRAW, token, withdrawal("0.1 xDai", spelling)), "address");
    await assertRefusedUnseen(() => send("POST", fundPath(spelling), token, funding("0.1 wxHOPR")), "address");
  }
});

test("another spelling of the allowed address (letter case, no 0x) is the same target in the path of a funding", async () => {
  const token = await issue(ADMIN_TOKEN, [holding("channelsFundChannels", targets(PEER))]);
  const body = funding("0.1 wxHOPR");
  for (const spelling of [upper(PEER), `0X${hex(PEER).toUpperCase()}`, hex(PEER), hex(PEER).toUpperCase()]) {
    await assertForwardedOnce(() => send("POST", fundPath(spelling), token, body), { path: fundPath(spelling), body });
  }
});

test("another spelling of the allowed address (letter case, no 0x) is the same target in the body of a withdrawal", async () => {
  const token = await issue(ADMIN_TOKEN, [holding("accountWithdraw", targets(PEER))]);
  for (const spelling of [upper(PEER), `0X${hex(PEER).toUpperCase()}`, hex(PEER), hex(PEER).toUpperCase()]) {
    const body = withdrawal("0.1 xDai", spelling);
    await assertForwardedOnce(() => send("POST", WITHDRAW, token, body), { path: WITHDRAW, body });
  }
});

test("a body the node would read another way is 400 and never forwarded: a key twice, a JSON array in field order, not JSON", async () => {
  const token = await issue(ADMIN_TOKEN, [holding("accountWithdraw", spend("1 xDai"), targets(PEER)), holding("tokensGetToken")]);
  for (const body of [
    `{"amount":"100 xDai","amount":"1 wei xDai","address":"${PEER}"}`,
    `{"amount":"0.1 xDai","address":"${STRANGER}","address":"${PEER}"}`,
    `{"amount":"0.1 xDai","address":"${PEER}","\\u0061mount":"100 xDai"}`,
    `{"amount":"0.1 xDai","address":"${PEER}","extra":{"a":1,"a":2}}`,
    `["5 xDai","${STRANGER}"]`,
    `["0.1 xDai","${PEER}"]`,
    `amount=0.1+xDai&address=${PEER}`,
    "",
  ]) {
    const { answer, seen } = await watchingTheNode(() => send("POST", WITHDRAW, token, body));
    assert.deepEqual([answer.status, answer.body.status], [400, "INVALID_INPUT"], `${body}: ${answer.text}`);
    assert.match(answer.body.error, /^request body: .*not forwarded$/, body);
    assert.deepEqual(seen, [], "never forwarded");
  }
  assert.equal((await limitsOf(token, "accountWithdraw")).spend.used, "0 xDai", "nothing was counted");
});

test("a field the node would read as something else is refused for its condition: an amount as a number, a non-string address", async () => {
  const token = await issue(ADMIN_TOKEN, [holding("accountWithdraw", spend("1 xDai"), targets(PEER))]);
  for (const [body, field] of [
    [`{"amount":0.1,"address":"${PEER}"}`, "amount"],
    [`{"amount":["0.1 xDai"],"address":"${PEER}"}`, "amount"],
    [`{"amount":"0.1 xDai","address":["${PEER}"]}`, "address"],
  ]) {
    await assertRefusedUnseen(() => send("POST", WITHDRAW, token, body), field);
  }
});

test("a route whose node ignores the target is refused to a token with targets: /api/v3/tickets/redeem redeems every channel", async () => {
  const token = await issue(ADMIN_TOKEN, [holding("ticketsRedeemTickets", targets(PEER))]);
  const body = JSON.stringify({ address: PEER });
  await assertRefusedUnseen(() => send("POST", "/api/v3/tickets/redeem", token, body), "address");
  await assertForwardedOnce(() => send("POST", "/api/v4/tickets/redeem", token, body), { path: "/api/v4/tickets/redeem", body });
});

test("a percent-encoded address in the path of /api/v4/channels/{address}/fund is decoded before it is checked", async () => {
  const token = await issue(ADMIN_TOKEN, [holding("channelsFundChannels", targets(PEER))]);
  const body = funding("0.1 wxHOPR");
  for (const encoded of [`%30x${hex(PEER)}`, percentEncoded(PEER)]) {
    await assertForwardedOnce(() => send("POST", fundPath(encoded), token, body), { path: fundPath(encoded), body });
  }
  for (const encoded of [`%30x${hex(STRANGER)}`, percentEncoded(STRANGER)]) {
    await assertRefusedUnseen(() => send("POST", fundPath(encoded), token, body), "address");
  }
});

test("an /api/v3 channel-id route cannot be held to targets and is refused; its /api/v4 counterpart is forwarded", async () => {
  const token = await issue(ADMIN_TOKEN, [holding("channelsFundChannels", targets(PEER)), holding("channelsCloseChannel", targets(PEER))]);
  await assertRefusedUnseen(() => send("POST", `/api/v3/channels/${CHANNEL_ID}/fund`, token, funding("0.1 wxHOPR")), "channelId");
  await assertRefusedUnseen(() => send("DELETE", `/api/v3/channels/${CHANNEL_ID}`, token), "channelId");
  const body = funding("0.1 wxHOPR");
  await assertForwardedOnce(() => send("POST", fundPath(PEER), token, body), { path: fundPath(PEER), body });
  await assertForwardedOnce(() => send("DELETE", `/api/v4/channels/${PEER}`, token), { method: "DELETE", path: `/api/v4/channels/${PEER}` });
});

test("unicode escapes hiding an address or a listen host outside the conditions, in values or in keys, are refused", async () => {
  const token = await issue(ADMIN_TOKEN, [holding("accountWithdraw", targets(PEER)), holding("sessionsCreateClient")]);
  for (const body of [
    `{"amount":"0.1 xDai","address":"\\u0030x${hex(STRANGER)}"}`,
    `{"amount":"0.1 xDai","address":"\\u0030\\u0078\\u0061${hex(STRANGER).slice(1)}"}`,
    `{"amount":"0.1 xDai","addr\\u0065ss":"${STRANGER}"}`,
  ]) {
    await assertRefusedUnseen(() => send("POST", WITHDRAW, token, body), "address");
  }
  for (const body of [
    withRawField(session(undefined), '"listen\\u0048ost":"0.0.0.0:10000"'),
    withRawField(session(undefined), '"listenHost":"\\u0030.0.0.0:10000"'),
  ]) {
    await assertRefusedUnseen(() => send("POST", SESSION, token, body), "listenHost");
  }
});

test("unicode escapes are decoded before the check: an escaped allowed address and currency are forwarded as sent, an escaped amount over budget is refused", async () => {
  const token = await issue(ADMIN_TOKEN, [holding("accountWithdraw", spend("1 xDai"), targets(PEER))]);
  const allowed = `{"amount":"0.1 \\u0078Dai","address":"\\u0030x${hex(PEER)}"}`;
  await assertForwardedOnce(() => send("POST", WITHDRAW, token, allowed), { path: WITHDRAW, body: allowed });
  for (const body of [`{"amount":"\\u0032 xDai","address":"${PEER}"}`, `{"\\u0061mount":"2 xDai","address":"${PEER}"}`]) {
    await assertRefusedUnseen(() => send("POST", WITHDRAW, token, body), "amount");
  }
});

// ----------------------------------------------------------------------------
// 7. The admin token

test("the admin token is not held to conditions: calls refused to a conditioned token are forwarded for it, unchanged", async () => {
  for (const [method, path, body] of [
    ["POST", WITHDRAW, withdrawal("1000000 xDai", STRANGER)],
    ["POST", WITHDRAW, `["5 xDai","${STRANGER}"]`],
    ["POST", fundPath(STRANGER), funding("1000 wxHOPR")],
    ["POST", `/api/v3/channels/${CHANNEL_ID}/fund`, funding("1000 wxHOPR")],
    ["POST", SESSION, session("0.0.0.0:10000")],
    ["POST", "/api/v3/session/udp", session("[::]:0")],
  ]) {
    await assertForwardedOnce(() => send(method, path, ADMIN_TOKEN, body), { method, path, body });
  }
});
