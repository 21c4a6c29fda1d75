// Request bodies in workerd, over real HTTP connections: a body over 16 KiB
// is refused with 413 whether its length is declared or it is streamed
// chunked, nothing of it is stored, and a refused body does not cost the
// keep-alive connection it came on. Each route's 413 at its documented bound
// is held against the OpenAPI document in openapi.test.mjs.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { startWorker, client, ADMIN_TOKEN, caps } from "./harness.mjs";

const worker = await startWorker();
const call = client(worker.url);
after(() => worker.close());

const TOO_LARGE = { status: "PAYLOAD_TOO_LARGE", error: "request body is larger than 16384 bytes" };

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
