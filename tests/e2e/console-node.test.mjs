// The console's node operations, in two headless browser engines (Chromium
// and Firefox ESR), against `wrangler dev` with the stand-in node behind its
// gateway: every route the signed-in token may call, grouped by the API
// generations the gateway's table names (and labelled as it labels them),
// read-only ones tried through the gateway within a calls limit; a silent
// node, a 404 told to be the node's or the gateway's, a token that may not
// read itself, and one deleted meanwhile.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ENGINES, ENGINE_NAMES } from "./browser.mjs";
import { ADMIN, artifacts, useService, useTab } from "./console-kit.mjs";
import { NODE_TOKEN } from "./stand-in-node.mjs";
import { join } from "node:path";

const service = useService();

for (const engine of ENGINES) describe(`node operations in the console in ${ENGINE_NAMES[engine]}`, () => nodeSuite(engine));

function nodeSuite(engine) {
  const tab = useTab(engine, service);
  const { text, click, fill, visible, isVisible, pick, signInAndWait, signOut, goTo } = tab;
  let reader;

  const operation = (key) => `#node-groups li.op[data-route="${key}"]`;
  /** The routes listed in the node operations section, as "METHOD /path". */
  const listedRoutes = () => tab.page.$$eval("#node-groups li.op", (items) => items.map((item) => item.dataset.route));
  /** The routes with a Try button. */
  const triedRoutes = () => tab.page.$$eval("#node-groups li.op", (items) => items.filter((item) => item.querySelector(".op-try")).map((item) => item.dataset.route));
  const keysOf = (routes) => routes.map((route) => `${route.method} ${route.path}`);
  const usageOf = (key) => tab.page.$eval(`${operation(key)} .op-usage`, (element) => element.textContent);
  /** What the stand-in node received since `from`, at `path`. */
  const nodeSaw = (from, path) => service.node.received.slice(from).filter((seen) => seen.path === path);
  const elementShot = async (selector, name) => {
    await tab.page.$eval(selector, (element) => element.scrollIntoView());
    await (await tab.page.$(selector)).screenshot({ path: join(artifacts, `console-${engine}-${name}.png`) });
  };

  /** Clicks Try on `key` and waits for the outcome: the line above the answer, and the answer if there is one. */
  async function tryRoute(key, { by = "mouse" } = {}) {
    const button = `${operation(key)} .op-try`;
    if (by === "keyboard") {
      await tab.page.focus(button);
      await tab.page.keyboard.press("Enter");
    } else {
      await click(button);
    }
    const status = `${operation(key)} .op-result .message`;
    await tab.page.waitForFunction((selector) => /\b(ok|error)\b/.test(document.querySelector(selector)?.className ?? ""), {}, status);
    const answer = await tab.page.$eval(`${operation(key)} .op-answer`, (element) => (element.hidden ? null : element.textContent));
    return { status: await tab.page.$eval(status, (element) => element.textContent), tone: await tab.page.$eval(status, (element) => element.className), answer };
  }

  test("the admin sees every node operation, grouped and labelled as the gateway's table names them, and tries read-only ones through the gateway", async () => {
    const { gateway, node } = service;
    await tab.page.goto(`${service.origin}/#/node`);
    await signInAndWait(ADMIN);
    await visible("#node-groups li.op");
    assert.equal(gateway.enabled, true);
    assert.equal(await text("#node-summary"), `The admin token may call all ${gateway.routes.length} node operations.`);
    assert.match(await text("#node-gateway"), /A node is behind edge-tokens.*yours never reaches the node/);
    assert.deepEqual(await listedRoutes(), keysOf(gateway.routes), "every route, in the table's order");
    // Each group says which node release its routes follow, in the service's words (GET /api/v3/gateway).
    const groups = await tab.page.$$eval("#node-groups details.op-group", (all) => all.map((group) => ({
      name: group.querySelector(".op-group-name").textContent, about: group.querySelector(".op-group-about").textContent, open: group.open,
    })));
    assert.deepEqual(groups.map(({ name, about }) => [name, about.split(" · ")[0]]), gateway.generations.map(({ name, about }) => [name, about]));
    assert.match(groups[0].about, /^the current node API: hoprd-api 4\.14\b/);
    assert.deepEqual(groups.map((group) => group.open), [true, false, true], "the first open; a long one after it closed");
    const triable = keysOf(gateway.routes.filter((route) => route.method === "GET" && !route.websocket && !route.path.includes("{")));
    assert.deepEqual(await triedRoutes(), triable, "Try only for fixed-path, read-only routes");
    assert.ok(triable.includes("GET /api/v4/node/info"));
    assert.match(await text(operation("GET /healthyz")), /no token needed/);
    assert.match(await text(operation("GET /api/v4/node/info")), /nodeGetInfo/);

    const from = node.received.length;
    const info = await tryRoute("GET /api/v4/node/info");
    assert.equal(info.status, "The node answered:");
    assert.deepEqual(JSON.parse(info.answer), { method: "GET", path: "/api/v4/node/info", query: "", body: "" });
    assert.match(info.answer, /^\{\n {2}"method": "GET",/, "pretty-printed");
    const seen = nodeSaw(from, "/api/v4/node/info");
    assert.equal(seen.length, 1);
    assert.equal(seen[0].headers["x-auth-token"], NODE_TOKEN, "the node got its own token");
    assert.ok(!JSON.stringify(seen[0]).includes(ADMIN), "the node never got the admin token");

    // By keyboard: a focused Try button answers Enter.
    const version = await tryRoute("GET /api/v4/node/version", { by: "keyboard" });
    assert.equal(JSON.parse(version.answer).path, "/api/v4/node/version");
    assert.equal(await tab.page.evaluate(() => document.activeElement.closest(".op")?.dataset.route), "GET /api/v4/node/version", "focus stays on the button");
    const answerBox = await tab.page.$eval(`${operation("GET /api/v4/node/info")} .op-answer`, (element) => {
      const style = getComputedStyle(element);
      return { tag: element.tagName, overflowY: style.overflowY, maxHeight: style.maxHeight, tabIndex: element.tabIndex };
    });
    assert.deepEqual(answerBox, { tag: "PRE", overflowY: "auto", maxHeight: answerBox.maxHeight, tabIndex: 0 });
    assert.notEqual(answerBox.maxHeight, "none", "the answer scrolls within a bounded height");
    await tab.assertNoSecretShown();
    await elementShot("#node", "node-admin");
  });

  test("an issued token sees exactly the node operations it holds, and tries them within its calls limit", async () => {
    const { gateway, node } = service;
    await goTo("create");
    await pick({ tokensGetToken: "", nodeGetInfo: "2", nodeGetVersion: "", nodeGetStatus: "", channelsGetChannel: "", accountWithdraw: "" });
    await fill("#lifetime", "1");
    await tab.page.select("#lifetime-unit", "hours");
    await fill("#description", "node reader");
    await click("#create-form button[type=submit]");
    reader = await tab.createdToken();
    await click("#created-done");
    await signOut();
    await signInAndWait(reader.secret);
    await goTo("node");

    const held = new Set(["tokensGetToken", "nodeGetInfo", "nodeGetVersion", "nodeGetStatus", "channelsGetChannel", "accountWithdraw"]);
    const expected = gateway.routes.filter((route) => route.capability === null || held.has(route.capability));
    await visible("#node-groups li.op");
    assert.deepEqual(await listedRoutes(), keysOf(expected), "exactly what it holds, and the routes that need no token");
    const total = gateway.routes.length;
    assert.equal(await text("#node-summary"), `Your token may call ${expected.length} of the node's ${total} operations (4 of them need no token). `
      + `It may not call the other ${total - expected.length}: they need capabilities it does not hold.`);
    assert.match(await text("#node-gateway"), /counts as one call of its capability, against its calls limit/);
    const tried = await triedRoutes();
    assert.ok(tried.includes("GET /api/v4/node/info") && tried.includes("GET /api/v3/node/info"));
    assert.ok(!tried.some((key) => key.startsWith("POST ") || key.includes("{")), "no Try for a write or a route with a placeholder");
    assert.ok((await listedRoutes()).includes("POST /api/v4/account/withdraw"), "a write is listed, without a Try");
    assert.equal(await usageOf("GET /api/v4/node/info"), "0 of 2 calls used");

    // Each try is one call of nodeGetInfo (max 2): its two routes share the limit.
    const from = node.received.length;
    const first = await tryRoute("GET /api/v4/node/info");
    assert.equal(JSON.parse(first.answer).path, "/api/v4/node/info");
    assert.equal(await usageOf("GET /api/v4/node/info"), "1 of 2 calls used");
    assert.equal(await usageOf("GET /api/v3/node/info"), "1 of 2 calls used");
    const second = await tryRoute("GET /api/v3/node/info");
    assert.equal(JSON.parse(second.answer).path, "/api/v3/node/info");
    assert.equal(await usageOf("GET /api/v4/node/info"), "2 of 2 calls used");
    const refused = await tryRoute("GET /api/v4/node/info");
    assert.match(refused.tone, /error/);
    assert.equal(refused.status, "Your token may not call GET /api/v4/node/info: its calls limit for nodeGetInfo is used up (2 of 2 calls used).");
    assert.equal(refused.answer, null);
    assert.equal(await usageOf("GET /api/v4/node/info"), "2 of 2 calls used", "a refused call is not counted");
    assert.equal(nodeSaw(from, "/api/v4/node/info").length + nodeSaw(from, "/api/v3/node/info").length, 2, "the refused call never reached the node");
    const version = await tryRoute("GET /api/v4/node/version");
    assert.equal(JSON.parse(version.answer).path, "/api/v4/node/version");
    tab.assertNodeSawOnlyItsToken();
    await tab.assertNoSecretShown();
    // Its own view counted the calls too.
    await goTo("me");
    assert.match(await tab.heldRow("nodeGetInfo"), /2 of 2 calls used/);

    // It may not create, delete or rotate tokens: the console offers none of it.
    assert.equal(await isVisible('#views a[data-view="create"]'), false);
    await goTo("tokens");
    assert.equal(await isVisible("#delete"), false);
    await visible("#tokens-list .token-row");
    assert.equal(await tab.page.$$eval("#tokens-list button[data-action=rotate], #tokens-list button[data-action=delete]", (buttons) => buttons.length), 0);

    await goTo("node");
    await elementShot("#node", "node-issued");
    await tab.page.setViewport({ width: 360, height: 740 });
    assert.ok(await tab.fits(), "no horizontal scrolling at 360 px");
    await elementShot("#node", "node-phone");
    await tab.page.setViewport({ width: 1280, height: 800 });
    tab.assertNoSecretInUrls();
  });

  test("a node that does not answer in time gives a readable sentence", async () => {
    service.node.hang("/api/v4/node/status");
    const silent = await tryRoute("GET /api/v4/node/status");
    assert.equal(silent.status, "The node did not answer in time: edge-tokens stopped waiting for it. Try again in a moment.");
    assert.equal(silent.answer, null);
    // The gateway forwarded it, so it counted; nodeGetStatus has no limit, so nothing to show.
    assert.equal(await usageOf("GET /api/v4/node/status"), "");
  });

  test("a 404 NOT_FOUND is told to be the node's or the gateway's by asking the gateway again, not by its text", async () => {
    const { gateway } = service;
    // The stand-in node has no such answer and the gateway cannot lose its node
    // mid-run: the browser is given the answers instead.
    let table = "same";
    const tableAsks = [];
    const answer = (request) => {
      const { pathname } = new URL(request.url());
      if (pathname === "/api/v4/node/version") {
        return request.respond({ status: 404, contentType: "application/json", body: JSON.stringify({ status: "NOT_FOUND", error: "no such route" }) });
      }
      if (pathname === "/api/v3/gateway" && table !== "same") {
        tableAsks.push(table);
        if (table === "broken") return request.respond({ status: 500, contentType: "text/plain", body: "broken" });
        return request.respond({ status: 200, contentType: "application/json", body: JSON.stringify({ enabled: false, routes: gateway.routes }) });
      }
      if (pathname === "/api/v3/gateway") tableAsks.push(table);
      return request.continue();
    };
    await tab.page.setRequestInterception(true);
    tab.page.on("request", answer);
    try {
      const key = "GET /api/v4/node/version";
      const fromNode = await tryRoute(key);
      assert.equal(fromNode.status, "The node answered GET /api/v4/node/version with an error (HTTP 404 NOT_FOUND): no such route.",
        "the gateway still forwards the route: the 404 is the node's, whatever its text");
      table = "gone";
      const fromGateway = await tryRoute(key);
      assert.equal(fromGateway.status, "edge-tokens no longer forwards GET /api/v4/node/version: no node is configured behind it any more, so nothing was called. Reload the page.");
      table = "broken";
      const unknown = await tryRoute(key);
      assert.equal(unknown.status, "GET /api/v4/node/version was answered 404 NOT_FOUND: either the node has nothing there, or edge-tokens no longer forwards it to a node. Reload the page to see which.");
      assert.deepEqual(tableAsks, ["same", "gone", "broken"], "the route table is read again for each 404, not from a cache");
    } finally {
      tab.page.off("request", answer);
      await tab.page.setRequestInterception(false);
    }
  });

  test("a token without tokensGetToken sees its own capabilities and usage, its node operations, and a reload spends nothing", async () => {
    const { gateway, node } = service;
    const blind = await tab.apiCreate(ADMIN, {
      capabilities: [{ endpoint: "nodeGetInfo", limits: [{ type: "calls", conditions: { max: 3 } }] },
        { endpoint: "tokensCreate", limits: [{ type: "calls", conditions: { max: 2 } }] }],
      lifetime: 3600,
      description: `no reader ${engine}`,
    });
    // Some use first, so that the counters have something to show (and to keep).
    const called = await fetch(`${service.origin}/api/v4/node/info`, { headers: { "x-auth-token": blind.token } });
    assert.equal(called.status, 200);
    const kid = await tab.apiCreate(blind.token, {
      capabilities: [{ endpoint: "nodeGetInfo", limits: [{ type: "calls", conditions: { max: 1 } }] }], description: `made by no reader ${engine}`,
    });
    const readBack = await fetch(`${service.origin}/api/v3/token`, { headers: { "x-auth-token": blind.token } });
    assert.equal(readBack.status, 403, "it may not read itself with GET /token");
    assert.equal((await readBack.json()).reason, "missing_capability");
    const usedNow = async () => (await (await fetch(`${service.origin}/api/v3/tokens/${blind.id}`, { headers: { "x-auth-token": ADMIN } })).json()).capabilities;

    await signOut();
    const before = await usedNow();
    const asked = tab.requests.length;
    await signInAndWait(blind.token);
    await goTo("me");
    assert.equal(await text("#mine-id"), blind.id);
    assert.equal(await text("#mine-description"), `no reader ${engine}`);
    assert.match(await tab.heldRow("nodeGetInfo"), /1 of 3 calls used/);
    assert.match(await tab.heldRow("tokensCreate"), /1 of 2 calls used/);
    // Its node operations are known exactly: what it holds, and the routes that need no token.
    await goTo("node");
    await visible("#node-groups li.op");
    assert.deepEqual(await listedRoutes(), keysOf(gateway.routes.filter((route) => route.capability === null || route.capability === "nodeGetInfo")));
    assert.equal(await usageOf("GET /api/v4/node/info"), "1 of 3 calls used");
    // It may create (and is offered only what it holds), not delete.
    await goTo("create");
    assert.deepEqual((await tab.page.$$eval("#choices li.choice", (items) => items.map((item) => item.dataset.endpoint))).sort(), ["nodeGetInfo", "tokensCreate"]);
    await goTo("tokens");
    assert.equal(await isVisible("#delete"), false);
    // Its list: itself first, then the token it made.
    await tab.page.waitForFunction(() => document.querySelectorAll("#tokens-list .token-row").length === 2);
    assert.deepEqual(await tab.shownIds(), [blind.id, kid.id]);
    assert.match(await text(`#tokens-list .token-row[data-id="${kid.id}"]`), /Made by:\s+“no reader/);
    assert.match(await text(`#tokens-list .token-row[data-id="${kid.id}"]`), /nodeGetInfo\s+0 of 1 call used/);

    await goTo("me");
    await tab.page.reload();
    await visible("#mine-issued");
    assert.match(await tab.heldRow("nodeGetInfo"), /1 of 3 calls used/);
    await tab.page.waitForSelector("#tokens-list .token-row");
    assert.deepEqual(await usedNow(), before, "signing in and reloading moved no usage counter");
    assert.ok(!tab.requests.slice(asked).some((request) => new URL(request.url).pathname === "/api/v3/token"), "no GET /api/v3/token");

    await goTo("node");
    const from = node.received.length;
    const health = await tryRoute("GET /healthyz");
    assert.equal(JSON.parse(health.answer).path, "/healthyz");
    assert.equal(nodeSaw(from, "/healthyz").length, 1);
    tab.assertNodeSawOnlyItsToken();
    await signOut();
    assert.equal(await isVisible("#node"), false);
    assert.equal(await tab.page.$$eval("#node-groups li", (items) => items.length), 0, "signing out forgets the list");
    assert.equal(await tab.page.$$eval("#tokens-list li", (items) => items.length), 0, "and the tokens");
  });

  test("a node call refused because the token was deleted meanwhile signs out; the console asked the service, not the text", async () => {
    await signInAndWait(reader.secret);
    await goTo("node");
    await visible("#node-groups li.op");
    const deleted = await fetch(`${service.origin}/api/v3/tokens/${reader.id}`, { method: "DELETE", headers: { "x-auth-token": ADMIN } });
    assert.equal(deleted.status, 204);
    const from = service.node.received.length;
    const asked = tab.requests.length;
    await click(`${operation("GET /api/v4/node/version")} .op-try`);
    await visible("#sign-in");
    assert.equal(await text("#status"), "The token was not accepted: it is unknown, has expired or was deleted. You are signed out.");
    assert.ok(tab.requests.slice(asked).some((request) => request.url === `${service.origin}/api/v3/tokens?limit=1`), "it asked the service whether the token is still accepted (for free)");
    assert.equal(nodeSaw(from, "/api/v4/node/version").length, 0, "nothing reached the node");
    assert.deepEqual(await tab.storage(), { session: {}, local: {} });
  });

  test("no console errors but those provoked, no secret in a URL or in localStorage", () => {
    // Chromium logs every error answer as a failed load (Firefox does not).
    // Provoked on purpose: the used-up node call (403), the silent node
    // (504), the 404s given to the browser and the broken route table, the
    // deleted token's node call (401) and its own listing after it (401).
    const provoked = [
      [/^\/api\/v3\/tokens\?limit=1$/, /^401$/],
      [/^\/api\/v3\/gateway$/, /^500$/],
      [/^\/api\/v4\/node\/info$/, /^403$/],
      [/^\/api\/v4\/node\/status$/, /^504$/],
      [/^\/api\/v4\/node\/version$/, /^40[14]$/],
    ];
    assert.deepEqual(tab.unexpectedConsoleErrors(provoked), []);
    tab.assertNoSecretInUrls();
    tab.assertNodeSawOnlyItsToken();
    assert.equal(new URL(tab.page.url()).search, "");
  });
}
