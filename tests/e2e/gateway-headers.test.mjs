// Header hygiene of the node gateway, tried as an attacker would against the
// built Worker in workerd with the recording stand-in node: each test is an
// attack, then the assertion that it fails. The node is sent only an
// allow-list of request headers and its own token (none on the health
// probes); the caller gets the node's answer without its cookies, its CORS
// headers or its hop-by-hop headers, and with the gateway's own CORS and its
// `Via`, which none of the service's own answers carry.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { startGateway, withWorker, ADMIN_TOKEN } from "./harness.mjs";
import { NODE_TOKEN, HEALTH_PATHS } from "./stand-in-node.mjs";

const APP = "https://app.example";
const EVIL = "https://evil.example";
/** Added by the runtime to every request a Worker sends (on Cloudflare it names the Worker's zone). */
const RUNTIME_HEADERS = ["cf-worker", "host"];
/** The gateway's entry in the Via of the node's answers. */
const VIA = "1.1 edge-tokens";

let node;
let worker;
let call;
let raw;
let tokenFor;

let stop;

before(async () => ({ node, worker, call, raw, tokenFor, close: stop } = await startGateway({ ALLOWED_ORIGINS: APP })));
after(() => stop?.());

/** What the node received from the one request `send` makes. */
async function nodeSeesOne(send) {
  const before = node.received.length;
  const answer = await send();
  assert.equal(node.received.length, before + 1, `one request reached the node: ${answer.status} ${answer.text ?? ""}`);
  return { answer, seen: node.received.at(-1) };
}

/** The caller's credentials, and headers that would make the node or a proxy before it act on something else. */
function smuggled(secret) {
  return {
    "x-auth-token": secret,
    authorization: `Bearer ${secret}`,
    "proxy-authorization": `Basic ${Buffer.from(`${secret}:`).toString("base64")}`,
    cookie: "session=caller-cookie",
    "x-http-method-override": "DELETE",
    "x-http-method": "DELETE",
    "x-method-override": "DELETE",
    "x-original-url": "/api/v4/account/withdraw",
    "x-rewrite-url": "/api/v4/account/withdraw",
    "x-forwarded-for": "10.6.6.6",
    "x-forwarded-host": "evil.example",
    "x-forwarded-proto": "http",
    forwarded: "for=10.6.6.6;host=evil.example;proto=http",
    "x-real-ip": "10.6.6.6",
    "true-client-ip": "10.6.6.6",
    "cf-connecting-ip": "10.6.6.6",
    via: "1.1 evil.example",
    origin: APP,
    referer: `${EVIL}/page`,
    expect: "100-continue-not",
  };
}

test("a channelsGetChannel token sending method overrides, original URLs, forwarding headers and credentials: the node gets none", async () => {
  const secret = await tokenFor("channelsGetChannel");
  const headers = { ...smuggled(secret), accept: "application/json", "content-type": "application/json" };
  const { answer, seen } = await nodeSeesOne(() => raw("GET", "/api/v4/channels/0xabc", headers));
  assert.equal(answer.status, 200, answer.text);
  assert.deepEqual([seen.method, seen.path], ["GET", "/api/v4/channels/0xabc"], "the call is the one authorized");
  assert.deepEqual(Object.keys(seen.headers).sort(), ["accept", "content-type", ...RUNTIME_HEADERS, "x-auth-token"].sort());
  assert.equal(seen.headers.accept, "application/json");
  assert.equal(seen.headers["x-auth-token"], NODE_TOKEN, "the node's own token, not the caller's");
  assert.equal(seen.headers.host, new URL(node.url).host);
  assert.ok(!JSON.stringify(seen).includes(secret.slice(4)), "the caller's token never reaches the node");
});

test("a body sent with the same smuggled headers reaches the node with its own length and nothing else of the caller's", async () => {
  const body = JSON.stringify({ destination: `0x${"1".repeat(40)}`, amount: "1" });
  const headers = { ...smuggled(ADMIN_TOKEN), "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) };
  const { answer, seen } = await nodeSeesOne(() => raw("POST", "/api/v4/channels", headers, body));
  assert.equal(answer.status, 200, answer.text);
  assert.deepEqual([seen.method, seen.body], ["POST", body]);
  assert.deepEqual(Object.keys(seen.headers).sort(), ["content-length", "content-type", ...RUNTIME_HEADERS, "x-auth-token"].sort());
  assert.equal(seen.headers["content-length"], String(Buffer.byteLength(body)));
  assert.equal(seen.headers["x-auth-token"], NODE_TOKEN);
});

test("a WebSocket handshake on a route that is not a WebSocket goes to the node as a plain request", async () => {
  const headers = {
    "x-auth-token": await tokenFor("channelsGetChannel"),
    upgrade: "websocket",
    connection: "Upgrade",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    "sec-websocket-version": "13",
    "sec-websocket-protocol": "smuggled",
  };
  const { answer, seen } = await nodeSeesOne(() => raw("GET", "/api/v4/channels/0xabc", headers));
  assert.equal(answer.status, 200, answer.text);
  assert.equal(seen.method, "GET", "no upgrade reached the node");
  assert.deepEqual(Object.keys(seen.headers).sort(), [...RUNTIME_HEADERS, "x-auth-token"].sort());
});

test("the node answering with cookies, its own CORS and hop-by-hop headers: the caller gets none, and the gateway's CORS", async () => {
  node.answerWith("/api/v4/channels/0xabc", {
    "set-cookie": ["node-session=1; Path=/", "tracking=2"],
    "access-control-allow-origin": EVIL,
    "access-control-allow-credentials": "true",
    "access-control-allow-methods": "PUT",
    "access-control-expose-headers": "x-node-secret",
    "keep-alive": "timeout=777",
    "proxy-authenticate": 'Basic realm="node"',
    "proxy-connection": "keep-alive",
    upgrade: "h2c",
    trailer: "x-node-checksum",
    te: "trailers",
  });
  const secret = await tokenFor("channelsGetChannel");
  const allowed = await raw("GET", "/api/v4/channels/0xabc", { "x-auth-token": secret, origin: APP });
  assert.equal(allowed.status, 200, allowed.text);
  assert.equal(allowed.headers["x-node"], "stand-in", "the node's own headers still come back");
  assert.equal(allowed.headers["set-cookie"], undefined);
  assert.equal(allowed.headers["access-control-allow-origin"], APP);
  assert.equal(allowed.headers["access-control-allow-credentials"], undefined);
  assert.equal(allowed.headers["access-control-allow-methods"], undefined);
  assert.equal(allowed.headers["access-control-expose-headers"], "www-authenticate, allow, via", "a page may read the Via");
  assert.equal(allowed.headers.vary, "Origin");
  for (const name of ["proxy-authenticate", "proxy-connection", "upgrade", "trailer", "te"]) {
    assert.equal(allowed.headers[name], undefined, name);
  }
  assert.doesNotMatch(allowed.headers["keep-alive"] ?? "", /777/, "the node's keep-alive is its own connection's");

  const foreign = await raw("GET", "/api/v4/channels/0xabc", { "x-auth-token": secret, origin: EVIL });
  assert.equal(foreign.status, 200, foreign.text);
  const cors = Object.keys(foreign.headers).filter((name) => name.startsWith("access-control-"));
  assert.deepEqual(cors, [], "an origin the gateway does not allow gets no CORS header at all");
  assert.equal(foreign.headers["set-cookie"], undefined);
});

test("the health probes reach the node without any token, with or without a caller's", async () => {
  const secret = await tokenFor("channelsGetChannel");
  for (const path of HEALTH_PATHS) {
    for (const headers of [{}, { "x-auth-token": secret, authorization: `Bearer ${secret}` }]) {
      const { answer, seen } = await nodeSeesOne(() => raw("GET", path, headers));
      assert.equal(answer.status, 200, `${path}: ${answer.text}`);
      assert.equal(JSON.parse(answer.text).path, path);
      assert.equal(seen.headers["x-auth-token"], undefined, `${path}: the node's token stays with the gateway`);
      assert.equal(seen.headers.authorization, undefined, path);
    }
  }
});

test("a WebSocket still opens and round-trips, with its handshake, but without the caller's extras or the node's cookies", async () => {
  const secret = await tokenFor("sessionsWebsocket");
  node.answerWith("/api/v3/session/websocket", { "set-cookie": "node-session=1", "access-control-allow-origin": EVIL });
  const url = `${worker.url.replace("http", "ws")}/api/v3/session/websocket?tag=1`;
  const headers = { "x-auth-token": secret, cookie: "session=caller-cookie", "x-forwarded-for": "10.6.6.6", "x-original-url": "/api/v4/account/withdraw" };
  const socket = new WebSocket(url, ["hopr-session"], { headers });
  const handshake = new Promise((resolve, reject) => {
    socket.once("upgrade", (response) => resolve(response.headers));
    socket.once("unexpected-response", (_, response) => reject(new Error(`refused with ${response.statusCode}`)));
    socket.once("error", reject);
  });
  const answered = await handshake;
  await new Promise((resolve) => (socket.readyState === WebSocket.OPEN ? resolve() : socket.once("open", resolve)));
  assert.equal(socket.protocol, "hopr-session", "the subprotocol was negotiated with the node");
  assert.equal(answered.via, VIA, "the 101 came from the node, through the gateway");
  assert.equal(answered["set-cookie"], undefined);
  assert.equal(answered["access-control-allow-origin"], undefined);
  const reply = new Promise((resolve) => socket.once("message", (data) => resolve(String(data))));
  socket.send("through the gateway");
  assert.equal(await reply, "echo: through the gateway");
  socket.close();

  const seen = node.received.filter((entry) => entry.method === "UPGRADE").at(-1);
  assert.equal(seen.headers.upgrade, "websocket");
  assert.equal(seen.headers["sec-websocket-version"], "13");
  assert.equal(seen.headers["sec-websocket-protocol"], "hopr-session");
  assert.equal(seen.headers["x-auth-token"], NODE_TOKEN);
  for (const name of ["cookie", "x-forwarded-for", "x-original-url", "authorization"]) {
    assert.equal(seen.headers[name], undefined, name);
  }
  assert.ok(!JSON.stringify(seen).includes(secret.slice(4)), "the caller's token never reaches the node");
});

test("the node's answers carry Via: 1.1 edge-tokens after the node's own; the service's own answers carry none", async () => {
  const document = (await call("GET", "/api/v3/openapi.json")).body;
  assert.ok(document.paths["/gateway"].get.description.includes(`\`Via: ${VIA}\``), "the document names the same Via");
  const secret = await tokenFor("channelsGetChannel");
  const answered = await raw("GET", "/api/v4/channels/0xabc", { "x-auth-token": secret });
  assert.equal(answered.status, 200, answered.text);
  assert.equal(answered.headers.via, VIA);
  const missing = await raw("GET", "/api/v4/channels/0xmissing", { "x-auth-token": secret });
  assert.deepEqual([missing.status, JSON.parse(missing.text).status, missing.headers.via], [404, "CHANNEL_NOT_FOUND", VIA], "the node's own 404");
  const probe = await raw("GET", "/healthyz", {});
  assert.deepEqual([probe.status, probe.headers.via], [200, VIA]);

  node.answerWith("/api/v4/channels/0xdef", { via: "1.1 node-proxy, 1.0 fred" });
  const proxied = await raw("GET", "/api/v4/channels/0xdef", { "x-auth-token": secret });
  assert.equal(proxied.headers.via, `1.1 node-proxy, 1.0 fred, ${VIA}`, "appended to the node's own, in order");

  const before = node.received.length;
  for (const [what, headers, path] of [
    ["its 401", { "x-auth-token": "etk_wrong" }, "/api/v4/channels/0xabc"],
    ["its 403", { "x-auth-token": secret }, "/api/v4/account/balances"],
    ["its 404", { "x-auth-token": secret }, "/api/v4/nothing"],
    ["its 405", { "x-auth-token": secret }, "/api/v4/channels/0xabc/fund"],
    ["its preflight", { origin: APP, "access-control-request-method": "GET" }, "/api/v4/channels/0xabc"],
    ["its own API", { "x-auth-token": ADMIN_TOKEN }, "/api/v3/gateway"],
  ]) {
    const method = what === "its preflight" ? "OPTIONS" : "GET";
    const answer = await raw(method, path, headers);
    assert.equal(answer.headers.via, undefined, `${what}: ${answer.status} ${answer.text}`);
  }
  assert.equal(node.received.length, before, "none of them reached the node");
});

test("a node's 401 (a wrong ORIGIN_TOKEN) is told from the service's 401 by its Via", async () => {
  const bindings = { API_TOKEN: ADMIN_TOKEN, ORIGIN_URL: node.url, ORIGIN_TOKEN: "not-the-node-token" };
  await withWorker({ bindings }, async (misconfigured) => {
    const nodes = await misconfigured("GET", "/api/v4/node/info", { token: ADMIN_TOKEN });
    const services = await misconfigured("GET", "/api/v4/node/info", { token: "etk_wrong" });
    assert.deepEqual([nodes.status, nodes.body.status, nodes.headers.get("via")], [401, "UNAUTHORIZED", VIA], "the node refused the gateway");
    assert.deepEqual([services.status, services.body.status, services.headers.get("via")], [401, "UNAUTHORIZED", null], "the service refused the caller");
    assert.equal(services.headers.get("www-authenticate"), 'Bearer realm="edge-tokens"');
  });
});
