// A stand-in for a HOPR node: an HTTP server that records every request it
// gets and answers JSON, with an echoing WebSocket on the session route.
// Like a node, it wants its own token except on the health probes. Tests
// tell it to hang a path (for timeouts), to read a path's whole request and
// then close or reset the connection without answering, to add headers to
// its answers on a path (also to a WebSocket's 101), and read what it
// received.
import { createServer } from "node:http";
import { WebSocketServer } from "ws";

export const NODE_TOKEN = "node-own-api-token-0123456789";

/** The node's health probes, which a node answers without its token. */
export const HEALTH_PATHS = ["/startedz", "/readyz", "/healthyz", "/eligiblez"];

/**
 * Starts the stand-in node; resolves to `{ url, received, hang(path), drop(path, how), trickle(path, ms),
 * answerWith(path, headers), close() }`.
 */
export async function startStandInNode() {
  const received = [];
  const hanging = new Set();
  /** Paths whose requests are read whole, then dropped: "close" or "reset". */
  const dropping = new Map();
  const extraHeaders = new Map();
  /** Paths answered at once, but the last part of whose body comes this many ms later. */
  const trickling = new Map();
  const sockets = new WebSocketServer({ noServer: true });
  sockets.on("headers", (lines, request) => {
    for (const [name, value] of Object.entries(extraHeaders.get(new URL(request.url, "http://node").pathname) ?? {})) {
      lines.push(`${name}: ${value}`);
    }
  });
  const server = createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      const url = new URL(request.url, "http://node");
      received.push({ method: request.method, path: url.pathname, query: url.search, headers: request.headers, body: Buffer.concat(chunks).toString() });
      if (hanging.has(url.pathname)) return;
      const drop = dropping.get(url.pathname);
      if (drop === "close") return request.socket.destroy();
      if (drop === "reset") return request.socket.resetAndDestroy();
      if (request.headers["x-auth-token"] !== NODE_TOKEN && !HEALTH_PATHS.includes(url.pathname)) {
        response.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ status: "UNAUTHORIZED", error: "node token required" }));
        return;
      }
      if (url.pathname.endsWith("/channels/0xmissing")) {
        response.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ status: "CHANNEL_NOT_FOUND", error: "no such channel" }));
        return;
      }
      response.writeHead(200, { "content-type": "application/json", "x-node": "stand-in", ...extraHeaders.get(url.pathname) });
      const answer = JSON.stringify({ method: request.method, path: url.pathname, query: url.search, body: Buffer.concat(chunks).toString() });
      if (!trickling.has(url.pathname)) return response.end(answer);
      response.write(answer.slice(0, 1));
      setTimeout(() => response.end(answer.slice(1)), trickling.get(url.pathname));
    });
  });
  server.on("upgrade", (request, socket, head) => {
    const url = new URL(request.url, "http://node");
    received.push({ method: "UPGRADE", path: url.pathname, query: url.search, headers: request.headers, body: "" });
    if (request.headers["x-auth-token"] !== NODE_TOKEN) {
      socket.end("HTTP/1.1 401 Unauthorized\r\n\r\n");
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => ws.on("message", (data) => ws.send(`echo: ${data}`)));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    received,
    hang: (path) => hanging.add(path),
    drop: (path, how) => dropping.set(path, how),
    trickle: (path, ms) => trickling.set(path, ms),
    answerWith: (path, headers) => extraHeaders.set(path, headers),
    close: () => {
      for (const client of sockets.clients) client.terminate();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
