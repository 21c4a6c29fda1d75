// DELETE /api/v3/tokens/{id}: one test per outcome, and the cascade.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, client, ADMIN_TOKEN, caps, limited } from "./harness.mjs";

const worker = await startWorker();
const call = client(worker.url);
after(() => worker.close());

const ALL = caps("tokensCreate", "tokensGetToken", "tokensDelete");

async function issue(creator, body = { capabilities: ALL }) {
  const created = await call("POST", "/api/v3/tokens", { token: creator, body });
  assert.equal(created.status, 201, created.text);
  return created.body;
}

const remove = (token, id) => call("DELETE", `/api/v3/tokens/${id}`, { token });
const status = async (token) => (await call("GET", "/api/v3/token", { token })).status;
const notFound = { status: "NOT_FOUND", error: "token not found" };

test("204: the admin deletes a token, which then fails authentication", async () => {
  const { token, id } = await issue(ADMIN_TOKEN);
  const response = await remove(ADMIN_TOKEN, id);
  assert.equal(response.status, 204);
  assert.equal(response.text, "");
  assert.equal(await status(token), 401);
});

test("204: deleting a token revokes its whole subtree", async () => {
  const root = await issue(ADMIN_TOKEN);
  const child = await issue(root.token);
  const grandchild = await issue(child.token);
  const limitedChild = await issue(root.token, { capabilities: [limited("tokensGetToken", 9)] });
  const bystander = await issue(ADMIN_TOKEN);
  assert.equal(await status(limitedChild.token), 200);
  assert.equal((await remove(ADMIN_TOKEN, root.id)).status, 204);
  for (const token of [root, child, grandchild, limitedChild]) {
    assert.equal(await status(token.token), 401);
  }
  assert.equal(await status(bystander.token), 200);
  const stored = await worker.storedText();
  for (const token of [root, child, grandchild, limitedChild]) {
    assert.ok(!stored.includes(token.id), `${token.id} left in KV`);
  }
});

test("204: an issued token deletes its descendants and itself", async () => {
  const parent = await issue(ADMIN_TOKEN);
  const child = await issue(parent.token);
  assert.equal((await remove(parent.token, child.id)).status, 204);
  assert.equal(await status(child.token), 401);
  assert.equal((await remove(parent.token, parent.id)).status, 204);
  assert.equal(await status(parent.token), 401);
});

test("404: unknown, already deleted, malformed and not-yours ids", async () => {
  const mine = await issue(ADMIN_TOKEN);
  const other = await issue(ADMIN_TOKEN);
  const gone = await issue(ADMIN_TOKEN);
  assert.equal((await remove(ADMIN_TOKEN, gone.id)).status, 204);
  for (const [token, id] of [
    [ADMIN_TOKEN, "0000000000000000000000"],
    [ADMIN_TOKEN, gone.id],
    [ADMIN_TOKEN, "a%2Fb"],
    [ADMIN_TOKEN, "not-an-id!"],
    [ADMIN_TOKEN, mine.token],
    [mine.token, other.id],
  ]) {
    const response = await remove(token, id);
    assert.equal(response.status, 404, id);
    assert.deepEqual(response.body, notFound);
  }
  assert.equal(await status(other.token), 200, "a not-yours delete changes nothing");
});

test("404: an expired token's id", async () => {
  const { id } = await issue(ADMIN_TOKEN, { capabilities: ALL, lifetime: 1 });
  await new Promise((resolve) => setTimeout(resolve, 2100));
  const response = await remove(ADMIN_TOKEN, id);
  assert.equal(response.status, 404);
  assert.deepEqual(response.body, notFound);
});

test("401: no credential or a deleted one", async () => {
  const { id } = await issue(ADMIN_TOKEN);
  const anonymous = await remove(undefined, id);
  assert.equal(anonymous.status, 401);
  assert.deepEqual(anonymous.body, { status: "UNAUTHORIZED", error: "authentication failed" });
});

test("403: a token without tokensDelete, even for itself", async () => {
  const { token, id } = await issue(ADMIN_TOKEN, { capabilities: caps("tokensGetToken") });
  const response = await remove(token, id);
  assert.equal(response.status, 403);
  assert.deepEqual(response.body, { status: "UNAUTHORIZED", error: "authorization failed" });
  assert.equal(await status(token), 200);
});
