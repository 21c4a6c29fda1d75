// Managing tokens end to end, in workerd: GET /tokens, GET /tokens/{id} and
// POST /tokens/{id}/rotate over real Workers KV (prefix listings and their
// cursors), real Durable Object counters and the real clock. What each route
// answers for each input is tested natively (src/service/tests/management.rs)
// and against the OpenAPI document (openapi.test.mjs); here: who may see and
// rotate what in a real tree, paging through real KV listings, counters that
// listings leave alone and rotations share, and grace periods that end on
// the clock.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { startWorker, withWorker, client, ADMIN_TOKEN, caps, limited } from "./harness.mjs";

const worker = await startWorker();
const call = client(worker.url);
after(() => worker.close());

const API = "/api/v3";
const admin = ADMIN_TOKEN;
const AUTHENTICATION_FAILED = { status: "UNAUTHORIZED", error: "authentication failed" };
const TOKEN_NOT_FOUND = { status: "NOT_FOUND", error: "token not found" };
const UNKNOWN_ID = "AAAAAAAAAAAAAAAAAAAAAA";
const MANAGER = caps("tokensCreate", "tokensGetToken", "tokensDelete", "tokensRotate");

/** Creates a token as `creator` (a secret) through `via` (a client). */
async function issue(creator, body, via = call) {
  const created = await via("POST", `${API}/tokens`, { token: creator, body });
  assert.equal(created.status, 201, created.text);
  return created.body;
}

const getToken = (token) => call("GET", `${API}/token`, { token });
const inspect = (token, id) => call("GET", `${API}/tokens/${id}`, { token });
const rotate = (token, id, body) => call("POST", `${API}/tokens/${id}/rotate`, { token, body });

/** Every token `token` lists, following cursors with pages of `limit`; also the pages. */
async function listAll(token, { limit, parent, via = call } = {}) {
  const ids = [];
  const pages = [];
  let cursor;
  for (;;) {
    const query = new URLSearchParams();
    if (limit !== undefined) query.set("limit", String(limit));
    if (parent !== undefined) query.set("parent", parent);
    if (cursor !== undefined) query.set("cursor", cursor);
    const page = await via("GET", `${API}/tokens?${query}`, { token });
    assert.equal(page.status, 200, page.text);
    assert.ok(page.body.tokens.length <= (limit ?? 100), `a page holds at most its limit: ${page.body.tokens.length}`);
    pages.push(page.body);
    ids.push(...page.body.tokens.map((info) => info.id));
    if (page.body.cursor === undefined) return { ids, pages };
    assert.ok(pages.length <= 1000, "the cursors come to an end");
    cursor = page.body.cursor;
  }
}

/** Each element of `list` that occurs more than once. */
const repeated = (list) => list.filter((item, i) => list.indexOf(item) !== i);

/** Runs `tasks` (functions returning promises), `width` at a time. */
async function inBatches(tasks, width) {
  const results = [];
  for (let i = 0; i < tasks.length; i += width) {
    results.push(...(await Promise.all(tasks.slice(i, i + width).map((task) => task()))));
  }
  return results;
}

/** The keys of the Worker's KV namespace, with their expirations (seconds since the epoch). */
async function storedKeys(mf) {
  const { keys } = await (await mf.getKVNamespace("TOKENS")).list();
  return new Map(keys.map((key) => [key.name, key.expiration]));
}

/** Sleeps until the wall clock has passed `seconds` (since the epoch), with a margin. */
const sleepUntil = (seconds) => sleep(Math.max(0, seconds * 1000 + 150 - Date.now()));
/** Sleeps until the clock has reached `ms` (milliseconds since the epoch). */
const sleepUntilMs = (ms) => sleep(Math.max(0, ms - Date.now()));

// ---------------------------------------------------------------------------
// Who sees what.

test("ownership: list, inspect, parent filter and rotate see the admin's every token, and an issued token's itself and descendants only", async () => {
  // P ─┬─ B ── D          B is the issued caller: itself, its descendant D;
  //    ├─ C ── C1         its sibling C and the sibling's C1, its parent P,
  //    ├─ E (expired)     an expired sibling E, the deleted subtree F ── G
  //    └─ F ── G (deleted) and an unknown id are not its to see.
  const P = await issue(admin, { capabilities: MANAGER, description: "P" });
  const E = await issue(P.token, { capabilities: MANAGER, lifetime: 2, description: "E" });
  const B = await issue(P.token, { capabilities: [...MANAGER.slice(0, 3), limited("tokensRotate", 5)], description: "B" });
  const D = await issue(B.token, { capabilities: [limited("tokensGetToken", 3)], description: "D" });
  const C = await issue(P.token, { capabilities: MANAGER, description: "C" });
  const C1 = await issue(C.token, { capabilities: MANAGER, description: "C1" });
  const F = await issue(P.token, { capabilities: MANAGER, description: "F" });
  const G = await issue(F.token, { capabilities: MANAGER, description: "G" });
  assert.equal((await call("DELETE", `${API}/tokens/${F.id}`, { token: P.token })).status, 204);
  await sleepUntil(E.valid_until);
  assert.deepEqual((await getToken(E.token)).body, AUTHENTICATION_FAILED, "E has expired");

  const parentOf = new Map([[P.id, undefined], [B.id, P.id], [D.id, B.id], [C.id, P.id], [C1.id, C.id]]);
  const childrenOf = new Map([[P.id, [B.id, C.id]], [B.id, [D.id]], [D.id, []], [C.id, [C1.id]], [C1.id, []]]);
  const name = new Map([[P.id, "P"], [B.id, "B"], [D.id, "D"], [C.id, "C"], [C1.id, "C1"], [E.id, "E"], [F.id, "F"], [G.id, "G"], [UNKNOWN_ID, "unknown"]]);
  const hidden = { expired: E.id, deleted: F.id, "deleted subtree": G.id, unknown: UNKNOWN_ID };
  const callers = [
    ["the admin", admin, [P.id, B.id, D.id, C.id, C1.id], { ...hidden }],
    ["B", B.token, [B.id, D.id], { ...hidden, parent: P.id, sibling: C.id, "sibling's": C1.id }],
  ];

  for (const [who, token, visible, invisible] of callers) {
    const { ids } = await listAll(token, { limit: 2 });
    assert.deepEqual(repeated(ids), [], `${who}: each token listed once`);
    for (const id of visible) assert.ok(ids.includes(id), `${who} lists ${name.get(id)}`);
    for (const [what, id] of Object.entries(invisible)) assert.ok(!ids.includes(id), `${who} does not list ${what} ${name.get(id)}`);
    if (token !== admin) assert.deepEqual(ids, visible, `${who} lists itself first, then its descendants, and nothing else`);

    for (const id of visible) {
      const info = await inspect(token, id);
      assert.deepEqual([info.status, info.body.id, info.body.parent, info.body.description], [200, id, parentOf.get(id), name.get(id)], `${who} inspects ${name.get(id)}`);
      const children = await listAll(token, { parent: id });
      assert.deepEqual(children.ids.sort(), [...childrenOf.get(id)].sort(), `${who}: the live children of ${name.get(id)}`);
    }
    for (const [what, id] of Object.entries(invisible)) {
      const info = await inspect(token, id);
      assert.deepEqual([info.status, info.body], [404, TOKEN_NOT_FOUND], `${who} inspects ${what} ${name.get(id)}`);
      const children = await call("GET", `${API}/tokens?parent=${id}`, { token });
      assert.deepEqual([children.status, children.body], [404, TOKEN_NOT_FOUND], `${who} lists the children of ${what} ${name.get(id)}`);
      const rotated = await rotate(token, id);
      assert.deepEqual([rotated.status, rotated.body], [404, TOKEN_NOT_FOUND], `${who} rotates ${what} ${name.get(id)}`);
    }
  }
  // The refused rotations changed no secret, and counted nothing against B's limit.
  for (const live of [P, B, C, C1]) assert.equal((await getToken(live.token)).status, 200, `${name.get(live.id)}'s secret still works`);
  const limit = (await inspect(admin, B.id)).body.capabilities.find((capability) => capability.endpoint === "tokensRotate").limits[0];
  assert.equal(limit.used, 0, "a rotation refused as not found is not counted");

  // Rotations of what each may see: B its descendant, then itself; the admin any token.
  const byB = await rotate(B.token, D.id);
  assert.deepEqual([byB.status, byB.body.id], [201, D.id]);
  const selfRotated = await rotate(B.token, B.id);
  assert.deepEqual([selfRotated.status, selfRotated.body.id], [201, B.id]);
  for (const id of [P.id, B.id, D.id, C.id, C1.id]) {
    const byAdmin = await rotate(admin, id);
    assert.deepEqual([byAdmin.status, byAdmin.body.id], [201, id], `the admin rotates ${name.get(id)}`);
  }
  for (const old of [P, B, D, C, C1]) assert.deepEqual((await getToken(old.token)).body, AUTHENTICATION_FAILED, `${name.get(old.id)}'s first secret is gone`);
});

test("a page cursor never widens the view: another listing's cursor, given to an issued token, is refused with 400", async () => {
  const root = await issue(admin, { capabilities: MANAGER });
  const child = await issue(root.token, { capabilities: MANAGER });
  await Promise.all(Array.from({ length: 4 }, () => issue(child.token, { capabilities: caps("tokensGetToken") })));
  await Promise.all(Array.from({ length: 6 }, () => issue(admin, { capabilities: caps("tokensGetToken") })));
  const mine = new Set((await listAll(child.token)).ids);
  assert.equal(mine.size, 5);

  const cursors = [];
  for (const [token, options] of [[admin, { limit: 2 }], [root.token, { limit: 1 }], [admin, { limit: 1, parent: root.id }]]) {
    const { pages } = await listAll(token, options);
    cursors.push(...pages.map((page) => page.cursor).filter(Boolean));
  }
  assert.ok(cursors.length >= 5, `cursors of other listings: ${cursors.length}`);
  for (const cursor of cursors) {
    const page = await call("GET", `${API}/tokens?limit=1000&cursor=${encodeURIComponent(cursor)}`, { token: child.token });
    assert.deepEqual([page.status, page.body.status], [400, "INVALID_INPUT"], `a foreign cursor was taken: ${page.text}`);
  }
});

// ---------------------------------------------------------------------------
// Paging over real KV listings.

test("paging: 250 tokens in pages of 100 are listed each exactly once, by the admin, by a subtree's root and by parent", { timeout: 300_000 }, async () => {
  await withWorker({}, async (fresh) => {
    // 130 trees of one limited token each (so that pages read many trees'
    // budgets), and a tree of 120: R, its 69 children, and 50 grandchildren under X.
    const roots = await inBatches(
      Array.from({ length: 130 }, () => () => issue(admin, { capabilities: [limited("nodeGetInfo", 1)] }, fresh)),
      26,
    );
    const R = await issue(admin, { capabilities: [limited("tokensCreate", 1000), ...caps("tokensGetToken")] }, fresh);
    const children = await inBatches(
      Array.from({ length: 69 }, () => () => issue(R.token, { capabilities: [limited("tokensCreate", 100), ...caps("tokensGetToken")] }, fresh)),
      23,
    );
    const X = children[0];
    const grandchildren = await inBatches(
      Array.from({ length: 50 }, () => () => issue(X.token, { capabilities: caps("tokensGetToken") }, fresh)),
      25,
    );
    const subtree = [R, ...children, ...grandchildren].map((token) => token.id);
    const everything = [...roots.map((token) => token.id), ...subtree];
    assert.equal(new Set(everything).size, 250);

    const cases = [
      ["the admin", admin, {}, everything],
      ["R", R.token, {}, subtree],
      ["the admin, parent=R", admin, { parent: R.id }, children.map((token) => token.id)],
      ["R, parent=X", R.token, { parent: X.id }, grandchildren.map((token) => token.id)],
    ];
    for (const [who, token, options, expected] of cases) {
      const { ids, pages } = await listAll(token, { limit: 100, via: fresh, ...options });
      assert.deepEqual(repeated(ids), [], `${who}: no token twice`);
      assert.deepEqual([...ids].sort(), [...expected].sort(), `${who}: every live token once`);
      assert.ok(pages.length >= Math.ceil(expected.length / 100), `${who}: ${pages.length} pages`);
      if (token === R.token && !options.parent) assert.equal(ids[0], R.id, "R lists itself first");
    }
    // Each limit's use, read from 131 trees' counters in one page of 1000: a
    // limit's used is its subtree's use (R's creates count its children's).
    const { pages } = await listAll(admin, { limit: 1000, via: fresh });
    const used = new Map(pages.flatMap((page) => page.tokens).map((info) => [info.id, info.capabilities[0].limits?.[0].used]));
    assert.equal(used.size, 250);
    const unlimited = new Set(grandchildren.map((token) => token.id));
    const expectedUse = (id) => (id === R.id ? 69 + 50 : id === X.id ? 50 : unlimited.has(id) ? undefined : 0);
    for (const id of everything) assert.equal(used.get(id), expectedUse(id), `used of ${id}`);
  });
});

// ---------------------------------------------------------------------------
// Counters.

test("listing and inspecting count no call: a token limited to 2 reads of itself lists and inspects itself 10 times, then still reads itself twice", async () => {
  const token = await issue(admin, { capabilities: [limited("tokensGetToken", 2)] });
  for (let i = 0; i < 10; i++) {
    const page = await call("GET", `${API}/tokens`, { token: token.token });
    assert.deepEqual([page.status, page.body.tokens.map((info) => info.id)], [200, [token.id]]);
    assert.equal(page.body.tokens[0].capabilities[0].limits[0].used, 0, `listing ${i + 1} counted`);
    const info = await inspect(token.token, token.id);
    assert.deepEqual([info.status, info.body.capabilities[0].limits[0].used], [200, 0], `inspection ${i + 1} counted`);
  }
  for (const expected of [1, 2]) {
    const read = await getToken(token.token);
    assert.deepEqual([read.status, read.body.capabilities[0].limits[0].used], [200, expected]);
  }
  const third = await getToken(token.token);
  assert.deepEqual([third.status, third.body.reason], [403, "limit_exhausted"]);
  assert.equal((await inspect(token.token, token.id)).body.capabilities[0].limits[0].used, 2, "inspecting still works, and shows the use");
});

test("rotating counts against tokensRotate limits shared down the tree: the parent's 3 rotations are its 10 children's too; refused ones count nothing", async () => {
  const parent = await issue(admin, { capabilities: [limited("tokensRotate", 3), ...caps("tokensCreate")] });
  const children = await Promise.all(Array.from({ length: 10 }, () => issue(parent.token, { capabilities: [limited("tokensRotate", 3)] })));
  const rotateLimit = async (id) => (await inspect(admin, id)).body.capabilities.find((c) => c.endpoint === "tokensRotate").limits[0];

  // Refused before it is carried out: an id not its own, a bad body.
  assert.equal((await rotate(children[0].token, parent.id)).status, 404);
  assert.equal((await rotate(children[0].token, UNKNOWN_ID)).status, 404);
  assert.equal((await rotate(children[0].token, children[0].id, { grace: 3601 })).status, 400);
  assert.equal((await rotate(parent.token, children[1].id, { grace: -1 })).status, 400);
  assert.deepEqual([(await rotateLimit(parent.id)).used, (await rotateLimit(children[0].id)).used], [0, 0]);

  // One after another: that a limit is exact under concurrency is limits.test.mjs.
  const answers = [];
  for (const child of children) answers.push(await rotate(child.token, child.id));
  assert.deepEqual(answers.map((answer) => answer.status), [201, 201, 201, ...Array(7).fill(403)]);
  for (const answer of answers.slice(3)) {
    assert.deepEqual([answer.status, answer.body.reason], [403, "limit_exhausted"], answer.text);
    assert.match(answer.body.error, /calls limit of tokensRotate used up \(3 of 3, shared with an ancestor's subtree\)/);
  }
  assert.deepEqual((await rotateLimit(parent.id)), { type: "calls", conditions: { max: 3 }, used: 3 });
  const refusedChild = children[3];
  assert.equal((await rotateLimit(refusedChild.id)).used, 0, "a refused rotation counts against no one");
  assert.equal((await inspect(refusedChild.token, refusedChild.id)).status, 200, "and left its secret alone");
  const parentItself = await rotate(parent.token, children[0].id);
  assert.deepEqual([parentItself.status, parentItself.body.reason], [403, "limit_exhausted"], "the children used up the parent's own budget");
});

// ---------------------------------------------------------------------------
// Rotation.

test("rotate: the old secret is refused at once; the new one is the same token (id, capabilities, expiry, counters, parent, children)", async () => {
  const parent = await issue(admin, { capabilities: MANAGER });
  const body = { capabilities: [limited("tokensGetToken", 5), ...caps("tokensRotate", "tokensCreate")], lifetime: 600, description: "rotated" };
  const token = await issue(parent.token, body);
  const child = await issue(token.token, { capabilities: [limited("tokensGetToken", 5)] });
  const before = await getToken(token.token);
  assert.equal(before.body.capabilities[0].limits[0].used, 1);
  const infoBefore = (await inspect(admin, token.id)).body;

  const rotated = await rotate(token.token, token.id);
  assert.deepEqual([rotated.status, rotated.body.id, rotated.body.valid_until], [201, token.id, token.valid_until], rotated.text);
  assert.match(rotated.body.token, /^etk_[0-9A-Za-z]{38}$/);
  const old = await getToken(token.token);
  assert.deepEqual([old.status, old.body], [401, AUTHENTICATION_FAILED], "the old secret is refused at once");

  const after = await getToken(rotated.body.token);
  assert.equal(after.status, 200, after.text);
  assert.deepEqual(after.body, {
    ...before.body,
    capabilities: [{ endpoint: "tokensGetToken", limits: [{ type: "calls", conditions: { max: 5 }, used: 2 }] }, ...before.body.capabilities.slice(1)],
  }, "same id, description, capabilities and expiry; the counter goes on from 1 to 2");
  const infoAfter = (await inspect(admin, token.id)).body;
  assert.deepEqual([infoAfter.parent, infoAfter.created_at, infoAfter.descendants], [infoBefore.parent, infoBefore.created_at, 1]);
  assert.deepEqual((await listAll(rotated.body.token)).ids, [token.id, child.id], "its place in the tree: the same child");
  assert.equal((await getToken(child.token)).status, 200, "its child is not touched");
  assert.deepEqual((await listAll(parent.token, { parent: parent.id })).ids, [token.id], "its parent still lists it, once");
});

test("rotate with a grace period of 2 s: both secrets work, as one token, until the period ends on the clock; then the old one is refused while KV still holds it", async () => {
  const before = await storedKeys(worker.mf);
  const token = await issue(admin, { capabilities: [limited("tokensGetToken", 10), ...caps("tokensRotate")] });
  const oldKeys = [...(await storedKeys(worker.mf)).keys()].filter((name) => name.startsWith("t:") && !before.has(name));
  assert.equal(oldKeys.length, 1, `one record for the secret: ${oldKeys}`);

  const sentAt = Date.now();
  const rotated = await rotate(admin, token.id, { grace: 2 });
  assert.equal(rotated.status, 201, rotated.text);
  const graceEnd = rotated.body.old_secret_valid_until_ms;
  assert.ok(graceEnd >= sentAt + 2000 && graceEnd <= Date.now() + 2000, `the grace period ends 2 s after the rotation (${graceEnd - sentAt} ms after it was sent)`);
  const oldRead = await getToken(token.token);
  const newRead = await getToken(rotated.body.token);
  assert.deepEqual([oldRead.status, newRead.status], [200, 200], "both secrets work during the grace period");
  assert.deepEqual(
    [oldRead.body.id, oldRead.body.capabilities[0].limits[0].used, newRead.body.id, newRead.body.capabilities[0].limits[0].used],
    [token.id, 1, token.id, 2],
    "one token, one counter",
  );

  const stored = await storedKeys(worker.mf);
  const retiredExpiry = stored.get(oldKeys[0]);
  assert.ok(retiredExpiry * 1000 >= sentAt + 60_000, `the old record stays in KV (expiration ${retiredExpiry}) past its grace`);

  await sleepUntilMs(graceEnd - 300);
  assert.equal((await getToken(token.token)).status, 200, "still within the period");
  await sleepUntilMs(graceEnd);
  const refused = await getToken(token.token);
  assert.deepEqual([refused.status, refused.body], [401, AUTHENTICATION_FAILED], "the old secret is refused from the millisecond the period ends");
  assert.ok((await storedKeys(worker.mf)).has(oldKeys[0]), "the service refuses it, not KV's expiry");
  const still = await getToken(rotated.body.token);
  assert.deepEqual([still.status, still.body.capabilities[0].limits[0].used], [200, 4], "the new one goes on, with the reads of both");
});

test("delete during a grace period refuses both secrets and the subtree, and leaves none of the token's keys in KV", async () => {
  const before = await storedKeys(worker.mf);
  const token = await issue(admin, { capabilities: MANAGER });
  const child = await issue(token.token, { capabilities: caps("tokensGetToken") });
  const rotated = await rotate(admin, token.id, { grace: 600 });
  assert.equal(rotated.status, 201, rotated.text);
  assert.deepEqual([(await getToken(token.token)).status, (await getToken(rotated.body.token)).status], [200, 200]);
  const written = [...(await storedKeys(worker.mf)).keys()].filter((name) => !before.has(name));
  assert.ok(written.filter((name) => name.startsWith("t:")).length >= 3, `old, new and the child's records: ${written}`);

  const deleted = await call("DELETE", `${API}/tokens/${token.id}`, { token: rotated.body.token });
  assert.deepEqual([deleted.status, deleted.text], [204, ""]);
  for (const [what, secret] of [["old", token.token], ["new", rotated.body.token], ["child's", child.token]]) {
    const res = await getToken(secret);
    assert.deepEqual([res.status, res.body], [401, AUTHENTICATION_FAILED], `the ${what} secret`);
  }
  assert.deepEqual((await inspect(admin, token.id)).body, TOKEN_NOT_FOUND);
  assert.ok(!(await listAll(admin, { limit: 1000 })).ids.includes(token.id), "not listed");
  const left = [...(await storedKeys(worker.mf)).keys()].filter((name) => written.includes(name));
  assert.deepEqual(left, [], "every key the token, its rotation and its child wrote is gone");
});

// ---------------------------------------------------------------------------
// Attacks on rotation and paging: racing rotations, a rotation racing a
// delete, a forged cursor.

test(
  "concurrent rotations of one token leave exactly one working secret, and a delete refuses every one",
  async () => {
    await withWorker({}, async (fresh) => {
      const token = await issue(admin, { capabilities: caps("tokensGetToken") }, fresh);
      const answers = await Promise.all(Array.from({ length: 5 }, () => fresh("POST", `${API}/tokens/${token.id}/rotate`, { token: admin })));
      const secrets = answers.filter((answer) => answer.status === 201).map((answer) => answer.body.token);
      assert.ok(secrets.length >= 1, answers.map((answer) => answer.text).join("\n"));
      const working = [];
      for (const secret of secrets) if ((await fresh("GET", `${API}/token`, { token: secret })).status === 200) working.push(secret);
      assert.equal(working.length, 1, `${working.length} of ${secrets.length} new secrets work`);
      assert.equal((await fresh("DELETE", `${API}/tokens/${token.id}`, { token: admin })).status, 204);
      for (const secret of secrets) assert.equal((await fresh("GET", `${API}/token`, { token: secret })).status, 401, "refused after the delete");
    });
  },
);

test(
  "a rotation racing a delete never brings the token back: once DELETE answered 204, it is refused, not found and not listed",
  async () => {
    // Behind the test shim, every other delete is slowed down (10 to 30 ms a key), so that the
    // rotation runs while the delete is under way; the others go first, and the rotation after.
    await withWorker({ entry: new URL("faults-shim.mjs", import.meta.url).pathname }, async (fresh) => {
      const outcomes = { rotated: 0, refused: 0 };
      const ids = [];
      for (let trial = 0; trial < 60; trial++) {
        const token = await issue(admin, { capabilities: caps("tokensGetToken", "tokensCreate") }, fresh);
        ids.push(token.id);
        await Promise.all(Array.from({ length: 3 }, () => issue(token.token, { capabilities: caps("tokensGetToken") }, fresh)));
        const slow = trial % 2 ? { "x-test-delay": `delete:=${10 * (1 + (trial % 3))}` } : {};
        const [deleted, rotated] = await Promise.all([
          fresh("DELETE", `${API}/tokens/${token.id}`, { token: admin, headers: slow }),
          fresh("POST", `${API}/tokens/${token.id}/rotate`, { token: admin }),
        ]);
        assert.equal(deleted.status, 204, deleted.text);
        if (rotated.status === 201) {
          outcomes.rotated += 1;
          const read = await fresh("GET", `${API}/token`, { token: rotated.body.token });
          assert.equal(read.status, 401, `trial ${trial}: the rotated secret of a deleted token works`);
        } else {
          outcomes.refused += 1;
          assert.deepEqual([rotated.status, rotated.body], [404, TOKEN_NOT_FOUND], `trial ${trial}: ${rotated.text}`);
        }
        assert.equal((await fresh("GET", `${API}/tokens/${token.id}`, { token: admin })).status, 404, `trial ${trial}: inspect`);
      }
      assert.ok(outcomes.rotated > 0 && outcomes.refused > 0, `both orders were tried: ${JSON.stringify(outcomes)}`);
      const listed = (await listAll(admin, { limit: 1000, via: fresh })).ids;
      assert.deepEqual(ids.filter((id) => listed.includes(id)), [], "none is listed");
    });
  },
);

test(
  "a cursor the service did not give is refused with 400, even in a well-formed envelope",
  async () => {
    await Promise.all(Array.from({ length: 3 }, () => issue(admin, { capabilities: caps("tokensGetToken") })));
    const forged = Buffer.from(JSON.stringify({ c: "nonsense" })).toString("base64url");
    const page = await call("GET", `${API}/tokens?cursor=${forged}`, { token: admin });
    assert.deepEqual([page.status, page.body.status], [400, "INVALID_INPUT"], page.text);
  },
);
