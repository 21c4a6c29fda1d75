// The node gateway against the recording stand-in node, over real HTTP and
// WebSockets: each mapped route is forwarded only with its capability, the
// caller's token never reaches the node (in a header or in the query), a
// query token is a credential only for a WebSocket upgrade of a WebSocket
// route, tricks are refused, WebSockets round-trip, and an unreachable or
// silent node gives 502 or 504. How limits count calls is limits.test.mjs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { startGateway, withWorker, ADMIN_TOKEN, caps, limited } from "./harness.mjs";
import { NODE_TOKEN } from "./stand-in-node.mjs";

let node;
let worker;
let call;
let table;
let raw;
let tokenFor;

let stop;

before(async () => {
  ({ node, worker, call, raw, tokenFor, close: stop } = await startGateway());
  table = (await call("GET", "/api/v3/gateway")).body;
});
after(() => stop?.());

const AUTHENTICATION_FAILED = { status: "UNAUTHORIZED", error: "authentication failed" };
const missingCapability = (capability) => ({
  status: "UNAUTHORIZED",
  error: `authorization failed: the token does not hold the ${capability} capability`,
  reason: "missing_capability",
});

const SAMPLES = { address: "0xabc", channelId: "0x12", destination: "0xpeer", protocol: "udp", ip: "127.0.0.1", port: "4000", id: "session-1" };
const concrete = (path) => path.replace(/\{(\w+)\}/g, (_, name) => SAMPLES[name]);

test("GET /api/v3/gateway: on, with the v4, v3 and root routes", () => {
  assert.equal(table.enabled, true);
  const paths = table.routes.map((route) => `${route.method} ${route.path}`);
  for (const expected of ["GET /api/v4/node/info", "POST /api/v3/channels/{channelId}/tickets/aggregate", "GET /metrics", "GET /healthyz"]) {
    assert.ok(paths.includes(expected), expected);
  }
  assert.ok(!paths.some((path) => path.includes("/token")), "the token endpoints are edge-tokens' own");
});

test("every mapped route is forwarded with its capability, and refused without it", async () => {
  const routes = table.routes.filter((route) => route.capability && !route.websocket);
  assert.ok(routes.length >= 50, `${routes.length} routes`);
  const wrong = await tokenFor("tokensGetToken");
  for (const route of routes) {
    const path = concrete(route.path);
    const body = route.method === "POST" ? { amount: "1" } : undefined;
    const before = node.received.length;

    const refused = await call(route.method, `${path}?probe=1`, { token: wrong, body });
    assert.deepEqual([refused.status, refused.body], [403, missingCapability(route.capability)], `${route.method} ${path}`);
    assert.equal(node.received.length, before, "a refused call never reaches the node");

    const secret = await tokenFor(route.capability);
    const forwarded = await call(route.method, `${path}?probe=1`, { token: secret, body });
    assert.equal(forwarded.status, 200, `${route.method} ${path}: ${forwarded.text}`);
    assert.equal(forwarded.headers.get("x-node"), "stand-in", "the node's answer comes back unchanged");
    assert.equal(node.received.length, before + 1);
    const seen = node.received.at(-1);
    assert.deepEqual([seen.method, seen.path, seen.query], [route.method, path, "?probe=1"]);
    assert.equal(seen.headers["x-auth-token"], NODE_TOKEN);
    if (body) assert.deepEqual(JSON.parse(seen.body), body);
    assert.ok(!JSON.stringify(seen).includes(secret.slice(4)), "the caller's token never reaches the node");
  }
});

test("the node sees only its own token, whichever way the caller sent theirs", async () => {
  const secret = await tokenFor("nodeGetVersion");
  for (const headers of [{ authorization: `Bearer ${secret}` }, { authorization: `Basic ${Buffer.from(`${secret}:`).toString("base64")}` }, { "x-auth-token": secret, cookie: "session=1" }]) {
    const response = await call("GET", "/api/v4/node/version", { headers });
    assert.equal(response.status, 200);
    const seen = node.received.at(-1);
    assert.equal(seen.headers["x-auth-token"], NODE_TOKEN);
    assert.equal(seen.headers.authorization, undefined);
    assert.equal(seen.headers.cookie, undefined);
  }
  const response = await call("GET", "/api/v4/node/version", { token: secret });
  assert.ok(!response.text.includes(NODE_TOKEN), "the node's token never reaches the caller");
});

test("health checks need no token; other routes do", async () => {
  const health = await call("GET", "/healthyz");
  assert.equal(health.status, 200);
  assert.equal(node.received.at(-1).path, "/healthyz");
  const metrics = await call("GET", "/metrics");
  assert.deepEqual([metrics.status, metrics.body], [401, AUTHENTICATION_FAILED]);
});

test("the node's own error answers pass through", async () => {
  const response = await call("GET", "/api/v4/channels/0xmissing", { token: await tokenFor("channelsGetChannel") });
  assert.equal(response.status, 404);
  assert.deepEqual(response.body, { status: "CHANNEL_NOT_FOUND", error: "no such channel" });
});

test("unmapped paths and path tricks are refused and never reach the node", async () => {
  const admin = { "x-auth-token": ADMIN_TOKEN };
  const before = node.received.length;
  for (const target of [
    "/api/v4/admin",
    "/api/v5/node/info",
    "/api/v3/messages",
    "/api/v4/channels/a%2Fb",
    "/api/v4/channels/%2e%2e",
    "/api/v4//node/info",
    "//evil.example/api/v4/node/info",
    "/api/v4/node/info@evil.example",
    "/api/v4/node/info/",
  ]) {
    const response = await raw("GET", target, admin);
    assert.ok([404, 405].includes(response.status), `${target}: ${response.status}`);
    assert.equal(JSON.parse(response.text).status, response.status === 404 ? "NOT_FOUND" : "METHOD_NOT_ALLOWED");
  }
  assert.equal(node.received.length, before, "nothing reached the node");
  const put = await raw("PUT", "/api/v4/node/info", admin);
  assert.equal(put.status, 405);
});

test("a foreign host in the request does not change where the call goes", async () => {
  const response = await raw("GET", "/api/v4/node/version", { "x-auth-token": ADMIN_TOKEN, host: "evil.example" });
  assert.equal(response.status, 200);
  const seen = node.received.at(-1);
  assert.equal(seen.path, "/api/v4/node/version");
  assert.equal(seen.headers.host, new URL(node.url).host, "the call went to ORIGIN_URL, with the node's own host");
});

test("dot segments are resolved before authorization: the node gets only the path that was authorized", async () => {
  const infoOnly = { "x-auth-token": await tokenFor("nodeGetInfo") };
  const before = node.received.length;
  const escape = await raw("GET", "/api/v4/node/info/../../account/balances", infoOnly);
  assert.equal(escape.status, 403, "climbing out of node/info needs accountGetBalances");
  assert.equal(node.received.length, before, "nothing reached the node");
  const detour = await raw("GET", "/api/v4/account/../node/./info", infoOnly);
  assert.equal(detour.status, 200);
  assert.equal(node.received.length, before + 1);
  assert.equal(node.received.at(-1).path, "/api/v4/node/info");
});

/** Opens a WebSocket to `path`; resolves to 101 and the open socket, or to the status that refused it. */
function upgrade(path) {
  const socket = new WebSocket(`${worker.url.replace("http", "ws")}${path}`);
  return new Promise((resolve, reject) => {
    socket.once("open", () => resolve({ status: 101, socket }));
    socket.once("unexpected-response", (request, response) => {
      let text = "";
      response.on("data", (chunk) => (text += chunk));
      response.on("end", () => {
        request.destroy();
        resolve({ status: response.statusCode, body: text ? JSON.parse(text) : undefined });
      });
    });
    socket.once("error", reject);
  });
}

test("a WebSocket message round-trips through the gateway with the node's token", async () => {
  const secret = await tokenFor("sessionsWebsocket");
  const { status, socket } = await upgrade(`/api/v3/session/websocket?apiToken=${secret}&tag=7`);
  assert.equal(status, 101);
  const reply = new Promise((resolve) => socket.once("message", (data) => resolve(String(data))));
  socket.send("hello node");
  assert.equal(await reply, "echo: hello node");
  socket.close();
  const seen = node.received.filter((entry) => entry.method === "UPGRADE").at(-1);
  assert.equal(seen.headers["x-auth-token"], NODE_TOKEN);
  assert.equal(seen.query, "?tag=7", "the caller's apiToken is taken out of the query");

  const refused = await upgrade(`/api/v3/session/websocket?apiToken=${await tokenFor("nodeGetInfo")}`);
  assert.deepEqual([refused.status, refused.body], [403, missingCapability("sessionsWebsocket")]);
});

test("?apiToken= authenticates only a WebSocket upgrade of a WebSocket route: not GET /api/v3/token, not another node route, not a plain GET", async () => {
  const created = await call("POST", "/api/v3/tokens", {
    token: ADMIN_TOKEN,
    body: { capabilities: caps("sessionsWebsocket", "tokensGetToken", "nodeGetInfo") },
  });
  const secret = created.body.token;
  const before = node.received.length;
  const accepted = await upgrade(`/api/v3/session/websocket?apiToken=${secret}`);
  assert.equal(accepted.status, 101, "the WebSocket route takes it when upgrading");
  accepted.socket.close();
  assert.equal(node.received.length, before + 1);

  for (const path of ["/api/v3/token", "/api/v4/node/info"]) {
    const upgraded = await upgrade(`${path}?apiToken=${secret}`);
    assert.deepEqual([upgraded.status, upgraded.body], [401, AUTHENTICATION_FAILED], `${path} with Upgrade: websocket`);
    const plain = await call("GET", `${path}?apiToken=${secret}`);
    assert.deepEqual([plain.status, plain.body], [401, AUTHENTICATION_FAILED], path);
    const withHeader = await call("GET", path, { token: secret });
    assert.equal(withHeader.status, 200, `${path} takes the same token from a header`);
  }
  const plain = await call("GET", `/api/v3/session/websocket?apiToken=${secret}`);
  assert.deepEqual([plain.status, plain.body], [401, AUTHENTICATION_FAILED], "the WebSocket route, without an upgrade");
  assert.equal(node.received.length, before + 2, "only the accepted upgrade and the header-authenticated call reached the node");
});

test("the node never sees an apiToken parameter, in any letter case or percent-encoding", async () => {
  const secret = await tokenFor("sessionsWebsocket");
  const start = node.received.length;
  const spellings = ["apiToken=v1", "APITOKEN=v2", "apitoken=v3", "api%54oken=v4", "%61pi%74OKEN=v5", "ApiToken"];
  const query = [...spellings, "keep=1"].join("&");
  const header = { token: ADMIN_TOKEN };
  for (const [method, path] of [["GET", "/api/v4/node/info"], ["POST", "/api/v4/channels"], ["GET", "/healthyz"]]) {
    const response = await call(method, `${path}?${query}`, { ...header, body: method === "POST" ? {} : undefined });
    assert.equal(response.status, 200, `${method} ${path}: ${response.text}`);
    const seen = node.received.at(-1);
    assert.deepEqual([seen.method, seen.path, seen.query], [method, path, "?keep=1"]);
  }
  const onlyTokens = await call("GET", `/api/v4/node/info?${spellings.join("&")}`, header);
  assert.equal(onlyTokens.status, 200);
  assert.equal(node.received.at(-1).query, "", "no query is left");

  const { status, socket } = await upgrade(`/api/v3/session/websocket?apiToken=${secret}&${query}`);
  assert.equal(status, 101);
  socket.close();
  const upgraded = node.received.filter((entry) => entry.method === "UPGRADE").at(-1);
  assert.equal(upgraded.query, "?keep=1");
  for (const seen of node.received.slice(start)) {
    const names = [...new URLSearchParams(seen.query).keys()].map((name) => name.toLowerCase());
    assert.ok(!names.includes("apitoken"), `${seen.method} ${seen.path}${seen.query}`);
    assert.doesNotMatch(seen.query, /v[1-5]|api/i);
    assert.ok(!JSON.stringify(seen).includes(secret.slice(4)), "the caller's token never reaches the node");
  }
});

test("an unreachable node gives 502, a silent one 504, and the next call is served", async () => {
  await withWorker({ bindings: { API_TOKEN: ADMIN_TOKEN, ORIGIN_URL: "http://127.0.0.1:9", ORIGIN_TOKEN: NODE_TOKEN } }, async (down) => {
    const response = await down("GET", "/api/v4/node/info", { token: ADMIN_TOKEN });
    assert.equal(response.status, 502);
    assert.deepEqual(response.body, { status: "BAD_GATEWAY", error: "the node could not be reached, or closed the connection before answering" });
  });
  node.hang("/api/v4/node/status");
  const bindings = { API_TOKEN: ADMIN_TOKEN, ORIGIN_URL: node.url, ORIGIN_TOKEN: NODE_TOKEN, ORIGIN_TIMEOUT_MS: "500" };
  await withWorker({ bindings }, async (slow) => {
    const response = await slow("GET", "/api/v4/node/status", { token: ADMIN_TOKEN });
    assert.equal(response.status, 504);
    assert.deepEqual(response.body, { status: "GATEWAY_TIMEOUT", error: "the node did not answer within 500 ms" });
    assert.equal((await slow("GET", "/api/v4/node/info", { token: ADMIN_TOKEN })).status, 200);
  });
});

test("ORIGIN_TIMEOUT_MS bounds the wait for the node's answer, not what follows: a body streaming on past it comes whole, a WebSocket stays open", async () => {
  node.trickle("/api/v4/node/version", 1_000);
  const bindings = { API_TOKEN: ADMIN_TOKEN, ORIGIN_URL: node.url, ORIGIN_TOKEN: NODE_TOKEN, ORIGIN_TIMEOUT_MS: "300" };
  await withWorker({ bindings }, async (slow, worker) => {
    const response = await slow("GET", "/api/v4/node/version", { token: ADMIN_TOKEN });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { method: "GET", path: "/api/v4/node/version", query: "", body: "" });

    const socket = new WebSocket(`${worker.url.replace("http", "ws")}/api/v3/session/websocket`, { headers: { "x-auth-token": ADMIN_TOKEN } });
    await new Promise((resolve, reject) => {
      socket.once("open", resolve);
      socket.once("error", reject);
      socket.once("unexpected-response", (_, refused) => reject(new Error(`refused with ${refused.statusCode}`)));
    });
    const reply = new Promise((resolve) => {
      socket.once("message", (data) => resolve(String(data)));
      socket.once("close", (code) => resolve(`closed with ${code}`));
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // well past the timeout
    if (socket.readyState === WebSocket.OPEN) socket.send("after the timeout");
    assert.equal(await reply, "echo: after the timeout");
    socket.close();
  });
});

test("without ORIGIN_URL a route of the node's table is 503 GATEWAY_NOT_CONFIGURED, with CORS; unknown paths stay 404, a wrong method 405, a preflight 204", async () => {
  const NOT_CONFIGURED = { status: "GATEWAY_NOT_CONFIGURED", error: "no node is configured behind the gateway: the operator has not set ORIGIN_URL" };
  await withWorker({}, async (plain) => {
    const off = (await plain("GET", "/api/v3/gateway")).body;
    assert.equal(off.enabled, false);
    assert.ok(off.routes.length >= 50, "the table is served all the same");
    const secret = (await plain("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: [limited("nodeGetInfo", 5), limited("tokensGetToken", 5)] } })).body.token;
    const origin = { origin: "https://app.example" };
    for (const [method, path, token] of [
      ["GET", "/api/v4/node/info", secret],
      ["GET", "/api/v4/node/info", undefined],
      ["GET", "/api/v4/node/info", "etk_wrong"],
      ["POST", "/api/v4/account/withdraw", ADMIN_TOKEN],
      ["GET", "/api/v3/node/info", ADMIN_TOKEN],
      ["GET", "/metrics", ADMIN_TOKEN],
      ["GET", "/healthyz", undefined],
    ]) {
      const response = await plain(method, path, { token, headers: origin, body: method === "POST" ? { amount: "1 xDai" } : undefined });
      assert.deepEqual([response.status, response.body], [503, NOT_CONFIGURED], `${method} ${path}`);
      assert.equal(response.headers.get("access-control-allow-origin"), "*", "a page on another origin can read why");
      assert.equal(response.headers.get("www-authenticate"), null, "no credential was asked for");
      assert.equal(response.headers.get("via"), null, "the service's own answer");
    }
    const used = (await plain("GET", "/api/v3/token", { token: secret })).body.capabilities[0].limits[0].used;
    assert.equal(used, 0, "nothing was counted");

    const unknown = await plain("GET", "/api/v4/admin", { token: ADMIN_TOKEN });
    assert.deepEqual([unknown.status, unknown.body.status], [404, "NOT_FOUND"]);
    const tricked = await plain("GET", "/api/v4//node/info", { token: ADMIN_TOKEN });
    assert.equal(tricked.status, 404);
    const wrongMethod = await plain("PUT", "/api/v4/channels", { token: ADMIN_TOKEN });
    assert.deepEqual([wrongMethod.status, wrongMethod.body.status, wrongMethod.headers.get("allow")], [405, "METHOD_NOT_ALLOWED", "GET, POST"]);
    const preflight = await plain("OPTIONS", "/api/v4/node/info", {
      headers: { ...origin, "access-control-request-method": "GET", "access-control-request-headers": "x-auth-token" },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "*");
    assert.match(preflight.headers.get("access-control-allow-headers"), /x-auth-token/);
  });
});
