// A stand-in for a HOPR node: an HTTP server that records every request it
// gets and answers JSON, with an echoing WebSocket on the session route.
// Tests tell it to hang a path (for timeouts) and read what it received.
import { createServer } from "node:http";
import { WebSocketServer } from "ws";

export const NODE_TOKEN = "node-own-api-token-0123456789";

/** Starts the fake node; resolves to `{ url, received, hang(path), close() }`. */
export async function startFakeNode() {
  const received = [];
  const hanging = new Set();
  const sockets = new WebSocketServer({ noServer: true });
  const server = createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      const url = new URL(request.url, "http://node");
      received.push({ method: request.method, path: url.pathname, query: url.search, headers: request.headers, body: Buffer.concat(chunks).toString() });
      if (hanging.has(url.pathname)) return;
      if (request.headers["x-auth-token"] !== NODE_TOKEN) {
        response.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ status: "UNAUTHORIZED", error: "node token required" }));
        return;
      }
      if (url.pathname.endsWith("/channels/0xmissing")) {
        response.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ status: "CHANNEL_NOT_FOUND", error: "no such channel" }));
        return;
      }
      response.writeHead(200, { "content-type": "application/json", "x-node": "fake" });
      response.end(JSON.stringify({ method: request.method, path: url.pathname, query: url.search, body: Buffer.concat(chunks).toString() }));
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
    close: () => {
      for (const client of sockets.clients) client.terminate();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
