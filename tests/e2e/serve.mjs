// Serves the built Worker (in workerd, through Miniflare) for tests that run
// elsewhere, such as the client's browser tests, and a "silent" HTTP server
// for timeouts: it accepts requests and never answers, or, under /stall/,
// sends the status line, headers and the start of a body, then nothing more.
// Prints one line of JSON with their URLs, then runs until it is stopped.
import { createServer } from "node:http";
import { startWorker, ADMIN_TOKEN } from "./harness.mjs";

const worker = await startWorker();
const silent = createServer((request, response) => {
  if (!request.url.startsWith("/stall/")) return;
  const cors = { "access-control-allow-origin": "*" };
  if (request.method === "OPTIONS") {
    response.writeHead(204, { ...cors, "access-control-allow-headers": request.headers["access-control-request-headers"] ?? "" });
    return response.end();
  }
  response.writeHead(200, { ...cors, "content-type": "application/json" });
  response.write('{"id":');
});
await new Promise((resolve) => silent.listen(0, "127.0.0.1", resolve));

console.log(JSON.stringify({ url: worker.url, admin: ADMIN_TOKEN, silentUrl: `http://127.0.0.1:${silent.address().port}` }));

const stop = async () => {
  silent.closeAllConnections();
  silent.close();
  await worker.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
