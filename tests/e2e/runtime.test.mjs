// What only the real runtime shows: the built Worker in workerd (Miniflare)
// with real Workers KV, Durable Objects, bindings, request bodies, HTTP
// connections, clock and logs. The route × outcome matrix is tested natively
// over in-memory storage (src/service/tests/); the OpenAPI document is held
// against real answers in openapi.test.mjs.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { startWorker, withWorker, client, ADMIN_TOKEN, caps, limited } from "./harness.mjs";

const worker = await startWorker();
const call = client(worker.url);
after(() => worker.close());

const AUTHENTICATION_FAILED = { status: "UNAUTHORIZED", error: "authentication failed" };
const UNAVAILABLE = { status: "UNAVAILABLE", error: "token storage is unavailable; try again" };
const TOO_LARGE = { status: "PAYLOAD_TOO_LARGE", error: "request body is larger than 16384 bytes" };

async function issue(creator, body) {
  const created = await call("POST", "/api/v3/tokens", { token: creator, body });
  assert.equal(created.status, 201, created.text);
  return created.body;
}

const getToken = (token) => call("GET", "/api/v3/token", { token });

/** The keys of the Worker's KV namespace, with their expirations (seconds since the epoch). */
async function storedKeys(mf) {
  const { keys } = await (await mf.getKVNamespace("TOKENS")).list();
  return new Map(keys.map((key) => [key.name, key.expiration]));
}

test("Durable Object counters are atomic: 100 concurrent calls on a calls limit of 20 give exactly 20 successes", async () => {
  const { token } = await issue(ADMIN_TOKEN, { capabilities: [limited("tokensGetToken", 20)] });
  const responses = await Promise.all(Array.from({ length: 100 }, () => getToken(token)));
  const granted = responses.filter((response) => response.status === 200);
  const refused = responses.filter((response) => response.status !== 200);
  assert.equal(granted.length, 20);
  const used = granted.map((response) => response.body.capabilities[0].limits[0].used).sort((a, b) => a - b);
  assert.deepEqual(used, Array.from({ length: 20 }, (_, i) => i + 1), "each success saw its own count");
  const exhausted = {
    status: "UNAUTHORIZED",
    error: "authorization failed: calls limit of tokensGetToken used up (20 of 20)",
    reason: "limit_exhausted",
  };
  for (const response of refused) assert.deepEqual([response.status, response.body], [403, exhausted]);
});

test("the real clock: a 2-second token is refused from the second it expires, while KV keeps its keys for at least 60 s", async () => {
  const before = await storedKeys(worker.mf);
  const created = await issue(ADMIN_TOKEN, { capabilities: caps("tokensGetToken"), lifetime: 2 });
  const createdAt = created.valid_until - 2;
  assert.equal((await getToken(created.token)).status, 200);
  // KV refuses expirations under 60 s: the token's keys carry a later one.
  const written = [...(await storedKeys(worker.mf))].filter(([name]) => !before.has(name));
  assert.ok(written.some(([name]) => name === `i:${created.id}`), `the index entry is written: ${written.map(([n]) => n)}`);
  for (const [name, expiration] of written) {
    assert.ok(expiration >= createdAt + 60, `${name} expires at ${expiration}, at least 60 s after ${createdAt}`);
  }

  await sleep(Math.max(0, created.valid_until * 1000 + 100 - Date.now()));
  const refused = await getToken(created.token);
  assert.deepEqual([refused.status, refused.body], [401, AUTHENTICATION_FAILED]);
  const stillStored = await storedKeys(worker.mf);
  assert.ok(stillStored.has(`i:${created.id}`), "the service refuses it, not KV's expiry");
  const deleted = await call("DELETE", `/api/v3/tokens/${created.id}`, { token: ADMIN_TOKEN });
  assert.deepEqual([deleted.status, deleted.body], [404, { status: "NOT_FOUND", error: "token not found" }]);
});

test("a body over 16 KiB is refused with 413, declared or streamed chunked, and nothing is stored", async () => {
  const stored = await worker.storedText();
  const raw = JSON.stringify({ capabilities: caps("tokensGetToken"), description: "a".repeat(17 * 1024) });
  const declared = await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, raw, headers: { "content-type": "application/json" } });
  assert.deepEqual([declared.status, declared.body], [413, TOO_LARGE]);

  const streamed = await fetch(`${worker.url}/api/v3/tokens`, {
    method: "POST",
    headers: { "x-auth-token": ADMIN_TOKEN, "content-type": "application/json" },
    body: chunkedBody(64, 1024),
    duplex: "half",
  });
  assert.deepEqual([streamed.status, await streamed.json()], [413, TOO_LARGE]);
  assert.equal(await worker.storedText(), stored);
});

/** A request body of `chunks` chunks of `size` bytes, sent without a length (chunked). */
function chunkedBody(chunks, size) {
  return new ReadableStream({
    start(controller) {
      for (let i = 0; i < chunks; i++) controller.enqueue(new TextEncoder().encode("a".repeat(size)));
      controller.close();
    },
  });
}

test(
  "a refused body does not cost the connection: after a chunked 413 and an unread 401, the next POST on the same keep-alive connection gets 201, three times in a row",
  async () => {
    const connection = await openConnection(worker.url);
    try {
      const good = JSON.stringify({ capabilities: caps("tokensGetToken") });
      const sequence = [];
      for (let round = 1; round <= 3; round++) {
        sequence.push([`round ${round}: chunked 20 KiB body`, 413, post(connection, { token: ADMIN_TOKEN, chunks: Array(20).fill("a".repeat(1024)) })]);
        sequence.push([`round ${round}: POST after the 413`, 201, post(connection, { token: ADMIN_TOKEN, body: good })]);
        sequence.push([`round ${round}: unauthenticated 8 KiB body`, 401, post(connection, { body: "b".repeat(8 * 1024) })]);
        sequence.push([`round ${round}: POST after the 401`, 201, post(connection, { token: ADMIN_TOKEN, body: good })]);
      }
      for (const [what, expected, request] of sequence) {
        const response = await connection.exchange(request).catch((error) => assert.fail(`${what}: ${error.message}`));
        assert.equal(response.status, expected, `${what}: ${response.text}`);
      }
    } finally {
      connection.close();
    }
  },
);

/** An HTTP/1.1 request for POST /api/v3/tokens, as bytes on the wire: with a length, or chunked. */
function post(connection, { token, body, chunks }) {
  let head = `POST /api/v3/tokens HTTP/1.1\r\nhost: ${connection.host}\r\ncontent-type: application/json\r\n`;
  if (token) head += `x-auth-token: ${token}\r\n`;
  if (chunks) {
    const framed = chunks.map((chunk) => `${Buffer.byteLength(chunk).toString(16)}\r\n${chunk}\r\n`).join("");
    return `${head}transfer-encoding: chunked\r\n\r\n${framed}0\r\n\r\n`;
  }
  return `${head}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/**
 * One TCP connection to `url`: `exchange(request)` writes a request and
 * resolves to its response (status and text), or rejects when the
 * connection ends first.
 */
async function openConnection(url) {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  let buffer = Buffer.alloc(0);
  let ended = null;
  let wake = () => {};
  socket.on("data", (data) => {
    buffer = Buffer.concat([buffer, data]);
    wake();
  });
  const end = (why) => {
    ended ??= why;
    wake();
  };
  socket.on("error", (error) => end(`the connection failed: ${error.code ?? error.message}`));
  socket.on("close", () => end("the server closed the connection"));
  return {
    host: `${hostname}:${port}`,
    async exchange(request) {
      if (ended) throw new Error(`${ended} before the request was sent`);
      socket.write(request);
      const deadline = Date.now() + 5000;
      for (;;) {
        const response = parseResponse(buffer);
        if (response) {
          buffer = buffer.subarray(response.length);
          return response;
        }
        if (ended) throw new Error(`${ended} before a whole response arrived`);
        if (Date.now() > deadline) throw new Error("no response within 5 s");
        await new Promise((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
      }
    },
    close: () => socket.destroy(),
  };
}

/** The first whole HTTP/1.1 response in `bytes` (content-length or chunked), or undefined. */
function parseResponse(bytes) {
  const headEnd = bytes.indexOf("\r\n\r\n");
  if (headEnd < 0) return undefined;
  const head = bytes.subarray(0, headEnd).toString("latin1");
  const status = Number(head.match(/^HTTP\/1\.1 (\d{3})/)?.[1]);
  let offset = headEnd + 4;
  const length = head.match(/\r\ncontent-length: *(\d+)/i);
  if (length) {
    const end = offset + Number(length[1]);
    return bytes.length < end ? undefined : { status, text: bytes.subarray(offset, end).toString(), length: end };
  }
  if (!/\r\ntransfer-encoding: *chunked/i.test(head)) return { status, text: "", length: offset };
  let text = "";
  for (;;) {
    const lineEnd = bytes.indexOf("\r\n", offset);
    if (lineEnd < 0) return undefined;
    const size = parseInt(bytes.subarray(offset, lineEnd).toString(), 16);
    const chunkEnd = lineEnd + 2 + size;
    if (bytes.length < chunkEnd + 2) return undefined;
    if (size === 0) return { status, text, length: chunkEnd + 2 };
    text += bytes.subarray(lineEnd + 2, chunkEnd).toString();
    offset = chunkEnd + 2;
  }
}

test("a missing KV binding answers 503 UNAVAILABLE, and the next requests are served", async () => {
  await withWorker({ kv: false }, async (broken) => {
    for (let i = 0; i < 2; i++) {
      const created = await broken("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: caps("tokensGetToken") } });
      assert.deepEqual([created.status, created.body], [503, UNAVAILABLE]);
      const malformed = await broken("GET", "/api/v3/token", { token: `etk_${"a".repeat(38)}` });
      assert.deepEqual([malformed.status, malformed.body], [401, AUTHENTICATION_FAILED], "refused before any storage read");
      const admin = await broken("GET", "/api/v3/token", { token: ADMIN_TOKEN });
      assert.equal(admin.status, 404, "the admin token needs no storage");
    }
  });
});

test("a missing Durable Object binding answers 503 UNAVAILABLE for limited tokens only, and the next request is served", async () => {
  await withWorker({ durableObjects: false }, async (broken) => {
    const issueHere = async (capabilities) => {
      const created = await broken("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities } });
      assert.equal(created.status, 201, created.text);
      return created.body.token;
    };
    const limitedToken = await issueHere([limited("tokensGetToken", 5)]);
    const freeToken = await issueHere(caps("tokensGetToken"));
    for (let i = 0; i < 2; i++) {
      const refused = await broken("GET", "/api/v3/token", { token: limitedToken });
      assert.deepEqual([refused.status, refused.body], [503, UNAVAILABLE]);
      assert.equal((await broken("GET", "/api/v3/token", { token: freeToken })).status, 200);
    }
  });
});

test("ALLOWED_ORIGINS: only the listed origins are named, on preflights and answers", async () => {
  const bindings = { API_TOKEN: ADMIN_TOKEN, ALLOWED_ORIGINS: "https://a.example, https://b.example" };
  await withWorker({ bindings }, async (strict) => {
    const preflight = (origin) =>
      strict("OPTIONS", "/api/v3/tokens", { headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "x-auth-token" } });
    const listed = await preflight("https://b.example");
    assert.equal(listed.status, 204);
    assert.equal(listed.headers.get("access-control-allow-origin"), "https://b.example");
    assert.match(listed.headers.get("vary") ?? "", /origin/i);
    assert.equal((await preflight("https://evil.example")).headers.get("access-control-allow-origin"), null);

    const answer = (origin) => strict("GET", "/api/v3/token", { token: ADMIN_TOKEN, headers: { origin } });
    assert.equal((await answer("https://a.example")).headers.get("access-control-allow-origin"), "https://a.example");
    const unlisted = await answer("https://a.example.evil");
    assert.equal(unlisted.status, 404, "the answer itself is the same");
    assert.equal(unlisted.headers.get("access-control-allow-origin"), null);
  });
});

test("logs: one JSON line per request, with the operation and the caller's token id, never a secret", async () => {
  const { token, id } = await issue(ADMIN_TOKEN, { capabilities: caps("tokensGetToken") });
  const jsonLines = () => worker.logs.filter((line) => line.startsWith("{"));
  const before = await settledCount(jsonLines);
  const requests = [
    () => getToken(token),
    () => call("GET", "/api/v3/token", { headers: { authorization: `Bearer ${token}` } }),
    () => call("GET", `/api/v3/token?apiToken=${token}`),
    () => call("DELETE", `/api/v3/tokens/${token}`, { token: ADMIN_TOKEN }),
  ];
  for (const request of requests) await request();
  await settledCount(jsonLines);
  const lines = jsonLines().slice(before).map((line) => JSON.parse(line));
  assert.equal(lines.length, requests.length, "one line per request");
  for (const line of lines) {
    assert.deepEqual(Object.keys(line).sort(), ["cause", "duration_ms", "kv_ops", "method", "operation", "path", "status", "token_id"]);
  }
  assert.deepEqual(
    lines.map((line) => [line.method, line.operation, line.status, line.token_id]),
    [
      ["GET", "tokensGetToken", 200, id],
      ["GET", "tokensGetToken", 200, id],
      ["GET", "tokensGetToken", 401, null],
      ["DELETE", "tokensDelete", 404, null],
    ],
  );
  const logged = worker.logs.join("\n");
  for (const secret of [token, token.slice(4), ADMIN_TOKEN]) assert.ok(!logged.includes(secret), "a secret reached the logs");
});

/** The length of `list()` once it has not grown for 200 ms: log lines arrive after their answers. */
async function settledCount(list) {
  let count = -1;
  while (count !== list().length) {
    count = list().length;
    await sleep(200);
  }
  return count;
}

test("deleting a token revokes its whole subtree in real KV, and its keys are gone", async () => {
  const ALL = caps("tokensCreate", "tokensGetToken", "tokensDelete");
  const root = await issue(ADMIN_TOKEN, { capabilities: ALL });
  const child = await issue(root.token, { capabilities: ALL });
  const grandchild = await issue(child.token, { capabilities: ALL });
  const limitedChild = await issue(root.token, { capabilities: [limited("tokensGetToken", 9)] });
  const bystander = await issue(ADMIN_TOKEN, { capabilities: ALL });
  assert.equal((await getToken(grandchild.token)).status, 200);
  assert.equal((await getToken(limitedChild.token)).status, 200);

  const deleted = await call("DELETE", `/api/v3/tokens/${root.id}`, { token: ADMIN_TOKEN });
  assert.deepEqual([deleted.status, deleted.text], [204, ""]);
  for (const revoked of [root, child, grandchild, limitedChild]) {
    const response = await getToken(revoked.token);
    assert.deepEqual([response.status, response.body], [401, AUTHENTICATION_FAILED], revoked.id);
  }
  assert.equal((await getToken(bystander.token)).status, 200);
  const stored = await worker.storedText();
  for (const revoked of [root, child, grandchild, limitedChild]) assert.ok(!stored.includes(revoked.id), `${revoked.id} left in KV`);
  assert.ok(stored.includes(bystander.id));
});
