// Serves the built Worker (in workerd, through Miniflare) for tests that run
// elsewhere, such as the client's browser tests, and a "silent" HTTP server
// that accepts requests and never answers, for timeouts. Prints one line of
// JSON with their URLs, then runs until it is stopped.
import { createServer } from "node:http";
import { startWorker, ADMIN_TOKEN } from "./harness.mjs";

const worker = await startWorker();
const silent = createServer(() => {});
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
