import { test, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, client, ADMIN_TOKEN, caps } from "./harness.mjs";

const worker = await startWorker();
const call = client(worker.url);
after(() => worker.close());

test("admin creates a token that reads itself", async () => {
  const created = await call("POST", "/api/v3/tokens", { token: ADMIN_TOKEN, body: { capabilities: caps("tokensGetToken") } });
  assert.equal(created.status, 201);
  const self = await call("GET", "/api/v3/token", { token: created.body.token });
  assert.equal(self.status, 200);
  assert.equal(self.body.id, created.body.id);
});
