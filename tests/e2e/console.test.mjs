// The token console (www/) in two headless browser engines, Chromium and
// Firefox ESR, served the `npm start` way: `wrangler dev` with the Worker and
// its static assets, under the real Content-Security-Policy, with a fake
// HOPR node behind its gateway. One Worker and one node serve both engines;
// in each, one browser tab walks through the whole flow: admin sign-in and
// node operations, create, sign in with the new secret, create a narrower
// child, delete it, refuse wrong tokens, delete the signed-in token, the
// node operations of an issued token and of one that may not read itself
// with GET /token; conditions (a spend budget, targets and listen ranges
// through the form, a delegated token held to them, a budget partly spent
// through the gateway); then the operator's path: the list of the admin's tokens
// with their usage, paged through 150 of them, one found by description,
// rotated and deleted with its subtree; keyboard, screen reader and phone.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { ENGINES, ENGINE_NAMES, launchBrowser } from "./browser.mjs";
import { startFakeNode, NODE_TOKEN, HEALTH_PATHS } from "./fake-node.mjs";
import { DECIMALS, amountText, currencyNamed, readAmount, unitsText } from "../../www/amounts.js";
import { choiceGroups, choiceMatches, choiceUse, exampleRequest, presetChoices } from "../../www/catalogue.js";
import {
  grantedLimits, heldConditions, isLoopback, isWithin, listenLine, offeredConditions, readListenRange, shortAddress, spendUsed, targetsLine,
} from "../../www/conditions.js";
import { isTokenId, readFacts } from "../../www/facts.js";
import { countdown, duration, errorSentence, nodeAnswer, nodeFailure, nodeQuestion, refusal, size, tokenIdForm } from "../../www/format.js";
import { byGeneration, callable, isTriable, routeKey, summary, usage, wasCounted } from "../../www/operations.js";
import { createRequest, graceSeconds, lifetimeBound, offers } from "../../www/rules.js";
import { deletedSentence, deletesWith, listSummary, matches, mayUse, pageOf, rowsFor, treeOrder } from "../../www/tokens.js";

const root = new URL("../../", import.meta.url).pathname;
const artifacts = join(root, "tests", "artifacts");
const readmeScreenshot = join(root, "tests", "console-screenshot.png");
const readmeList = join(root, "tests", "console-list.png");
const readmeDetail = join(root, "tests", "console-detail.png");
const ADMIN = `console-admin-${randomBytes(12).toString("hex")}`;
// `wrangler dev` runs the [build] command first: slow when the crate changed.
const READY_WITHIN_MS = 300_000;
// How long the gateway waits for the node: short, so a silent node's 504 comes quickly.
const ORIGIN_TIMEOUT_MS = 1_500;

let wrangler;
let wranglerOutput = "";
let stateDir;
let origin;
// The fake node behind the gateway. It answers from this process: nothing
// here may block the event loop while a browser waits for it.
let node;
let gateway;

before(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "edge-tokens-console-"));
  mkdirSync(artifacts, { recursive: true });
  node = await startFakeNode();
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  wrangler = spawn("npx", ["wrangler", "dev", "--ip", "127.0.0.1", "--port", String(port),
    "--inspector-port", String(await freePort()), "--persist-to", stateDir, "--var", `API_TOKEN:${ADMIN}`,
    "--var", `ORIGIN_URL:${node.url}`, "--var", `ORIGIN_TOKEN:${NODE_TOKEN}`, "--var", `ORIGIN_TIMEOUT_MS:${ORIGIN_TIMEOUT_MS}`], {
    cwd: root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  const keep = (chunk) => { wranglerOutput = (wranglerOutput + chunk).slice(-20_000); };
  wrangler.stdout.on("data", keep);
  wrangler.stderr.on("data", keep);
  await waitForWorker();
  gateway = await (await fetch(`${origin}/api/v3/gateway`)).json();
}, { timeout: READY_WITHIN_MS + 30_000 });

after(async () => {
  stopWrangler();
  await node?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

// Even if the run is cut short, never leave a Worker behind.
process.on("exit", stopWrangler);

function stopWrangler() {
  if (!wrangler || wrangler.exitCode !== null || wrangler.signalCode !== null) return;
  try {
    process.kill(-wrangler.pid, "SIGTERM");
  } catch {
    // Already gone.
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForWorker() {
  const deadline = Date.now() + READY_WITHIN_MS;
  while (Date.now() < deadline) {
    if (wrangler.exitCode !== null) throw new Error(`wrangler dev exited (${wrangler.exitCode}):\n${wranglerOutput}`);
    try {
      const response = await fetch(`${origin}/api/v3/openapi.json`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`wrangler dev was not ready within ${READY_WITHIN_MS / 1000} s:\n${wranglerOutput}`);
}

// ---- the pure helpers ------------------------------------------------------

/** A TokensApiError as the client package makes it, without loading the package. */
const api = (httpStatus, status, error, reason) =>
  Object.assign(new Error("x"), { name: "TokensApiError", httpStatus, status, error, ...(reason === undefined ? {} : { reason }) });

/**
 * Bounds deliberately unlike the service's: whatever the console checks or
 * says with them must come from here, not from a copy of its own.
 */
const LIMITS = {
  catalogue: ["tokensCreate", "tokensGetToken", "nodePing"],
  maxCapabilities: 2,
  maxDescription: 5,
  maxLifetime: 3 * 3600,
  minCalls: 2,
  maxCalls: 7,
  maxDepth: 3,
  maxBodyBytes: 2048,
  tokenId: { minLength: 4, maxLength: 4, pattern: /^[a-z]+$/u },
  pageLimit: 9,
  maxGrace: 90,
  areas: [{ name: "tokens", about: "This service's own tokens." }, { name: "node", about: "The node itself." }],
  maxLimits: 3,
  // The node's grammar, but only for whole numbers: a decimal must be refused by this pattern alone.
  amountPattern: /^[0-9]+ (?:wei )?(?:xDai|wxHOPR)$/u,
  maxAmountChars: 12,
  // Only lower-case addresses with 0x: an upper-case one must be refused by this pattern alone.
  addressPattern: /^0x[0-9a-f]{40}$/u,
  maxTargets: 2,
  maxListen: 2,
};

test("format and rules: durations, countdowns, error sentences, delegation bounds from the service's facts", () => {
  assert.equal(duration(3725), "1 h 2 min 5 s");
  assert.equal(duration(86400 * 2 + 5), "2 d 0 h 0 min 5 s");
  assert.equal(duration(0), "0 s");
  assert.deepEqual(countdown(undefined, 0), { text: "never expires", expired: false });
  assert.deepEqual(countdown(100, 40_500), { text: "1 min 0 s left", expired: false });
  assert.deepEqual(countdown(100, 100_000), { text: "expired", expired: true });
  assert.equal(size(2048), "2 KiB");
  assert.equal(size(3 * 1024 * 1024), "3 MiB");
  assert.equal(size(1500), "1500 bytes");
  assert.equal(tokenIdForm({ minLength: 4, maxLength: 4 }), "exactly 4 letters and digits");

  const request = { capabilities: [{ endpoint: "tokensCreate" }, { endpoint: "nodePing" }] };
  assert.equal(errorSentence(api(400, "INVALID_TOKEN_CAPABILITIES", "capabilities[1].conditions.max must be at least 1"), { operation: "create", request }),
    "Check the form: the nodePing capability's calls limit must be at least 1.");
  assert.match(errorSentence(api(401, "UNAUTHORIZED", "authentication failed")), /not accepted: it is unknown, has expired or was deleted/);
  assert.equal(errorSentence(api(403, "UNAUTHORIZED", "x", "missing_capability"), { operation: "delete" }),
    "Your token may not delete tokens: it does not hold the tokensDelete capability.");
  assert.equal(errorSentence(api(403, "UNAUTHORIZED", "x", "missing_capability"), { operation: "read" }),
    "Your token may not read its own details: it does not hold the tokensGetToken capability.");
  // A used-up limit, with the numbers of the signed-in token's own limit where the console knows them.
  const spent = { capabilities: [{ endpoint: "tokensCreate", limits: [{ type: "calls", used: 3, conditions: { max: 3 } }] }] };
  assert.equal(errorSentence(api(403, "UNAUTHORIZED", "x", "limit_exhausted"), { operation: "create", token: spent }),
    "Your token may not create tokens: its calls limit for tokensCreate is used up (3 of 3 calls used).");
  const lagging = { capabilities: [{ endpoint: "tokensCreate", limits: [{ type: "calls", used: 1, conditions: { max: 3 } }] }] };
  assert.equal(errorSentence(api(403, "UNAUTHORIZED", "x", "limit_exhausted"), { operation: "create", token: lagging }),
    "Your token may not create tokens: a calls limit for tokensCreate is used up: its own (at most 3 calls, which the tokens it created use up too) or one it shares with a token above it.");
  assert.equal(errorSentence(api(403, "UNAUTHORIZED", "x", "limit_exhausted"), { operation: "create" }),
    "Your token may not create tokens: its calls limit for tokensCreate is used up.");
  assert.equal(errorSentence(api(403, "UNAUTHORIZED", "x", "condition_failed"), { operation: "create" }),
    "Your token may not create tokens: an argument of this call is outside what its tokensCreate capability allows (its spend budgets, target addresses or listen ranges).");
  // Delegation bounds: which one, from `reason`; the depth from the service's facts.
  assert.match(errorSentence(api(403, "FORBIDDEN", "x", "lifetime_not_allowed"), { operation: "create" }), /may not outlive yours/);
  assert.match(errorSentence(api(403, "FORBIDDEN", "x", "capabilities_not_allowed"), { operation: "create" }), /only capabilities your token has/);
  assert.equal(errorSentence(api(403, "FORBIDDEN", "x", "depth_limit"), { operation: "create", limits: LIMITS }),
    "Tokens can be handed down only 3 levels deep, and yours is at the deepest level: it cannot create tokens. Use a token nearer the admin token.");
  // A reason this console does not know: the service's own words, never a guess.
  assert.equal(errorSentence(api(403, "FORBIDDEN", "something new", "brand_new"), { operation: "create" }), "A token cannot hand down more than it holds: something new.");
  assert.equal(errorSentence(api(403, "UNAUTHORIZED", "something new", "brand_new"), { operation: "create" }), "Your token may not create tokens: something new.");
  assert.match(errorSentence(api(404, "NOT_FOUND", "token not found"), { operation: "delete" }), /No such token, or it is not yours to delete: a token may delete only itself/);
  assert.match(errorSentence(api(404, "NOT_FOUND", "token not found"), { operation: "rotate" }), /not yours to give a new secret: a token may rotate only itself/);
  assert.match(errorSentence(api(404, "NOT_FOUND", "token not found"), { operation: "inspect" }), /not yours to see: a token may see only itself/);
  assert.equal(errorSentence(api(403, "UNAUTHORIZED", "x", "missing_capability"), { operation: "rotate" }),
    "Your token may not give tokens a new secret: it does not hold the tokensRotate capability.");
  const rotations = { capabilities: [{ endpoint: "tokensRotate", limits: [{ type: "calls", used: 1, conditions: { max: 1 } }] }] };
  assert.equal(errorSentence(api(403, "UNAUTHORIZED", "x", "limit_exhausted"), { operation: "rotate", token: rotations }),
    "Your token may not give tokens a new secret: its calls limit for tokensRotate is used up (1 of 1 call used).");
  assert.equal(errorSentence(api(413, "PAYLOAD_TOO_LARGE", "too large"), { limits: LIMITS }),
    "The request is too large for the service (over 2 KiB): shorten the description or choose fewer capabilities.");
  assert.match(errorSentence(api(429, "TOO_MANY_REQUESTS", "too many failed sign-ins from this address; retry in 60 seconds")), /retry in 60 seconds/);
  assert.match(errorSentence(api(503, "MISCONFIGURED", "x")), /not set up/);
  assert.match(errorSentence(api(503, "UNAVAILABLE", "x")), /unavailable right now/);
  assert.match(errorSentence(Object.assign(new Error("x"), { name: "TokensNetworkError" })), /Cannot reach/);
  assert.match(errorSentence(Object.assign(new Error("x"), { name: "TokensTimeoutError", timeoutMs: 10_000 })), /within 10 seconds/);
  assert.equal(errorSentence(new TypeError("at foo (bar.js:1:2)")), "Something went wrong. Try again, or reload the page.");

  const holder = { token: { capabilities: [{ endpoint: "tokensCreate", limits: [{ type: "calls", conditions: { max: 3 }, used: 1 }] }, { endpoint: "nodePing", limits: [] }] } };
  const allowed = offers(holder, ["ignored"]);
  assert.deepEqual(allowed, [{ endpoint: "tokensCreate", max: 3 }, { endpoint: "nodePing" }]);
  assert.deepEqual(offers({}, ["a", "b"]), [{ endpoint: "a" }, { endpoint: "b" }]);
  // The longest lifetime: the creator's, or the service's when that is shorter.
  assert.deepEqual(lifetimeBound(7_200, "hours", 0, LIMITS.maxLifetime), { most: 2, by: "creator" });
  assert.deepEqual(lifetimeBound(36_000, "hours", 0, LIMITS.maxLifetime), { most: 3, by: "service" });
  assert.deepEqual(lifetimeBound(undefined, "minutes", 0, LIMITS.maxLifetime), { most: 180, by: "service" });
  const draft = (picked, lifetime = "", unit = "hours", description = "") => ({ picked, lifetime, unit, description });
  const issued = { allowed, validUntil: 7_200, limits: LIMITS };
  const admin = { allowed: offers({}, LIMITS.catalogue), validUntil: undefined, limits: LIMITS };
  assert.match(createRequest(draft([]), issued, 0).problem, /at least one/);
  assert.match(createRequest(draft([{ endpoint: "tokensCreate", limit: "" }]), issued, 0).problem, /at most 3/);
  assert.match(createRequest(draft([{ endpoint: "tokensCreate", limit: "4" }]), issued, 0).problem, /from 2 to 3/);
  assert.match(createRequest(draft([{ endpoint: "nodePing", limit: "8" }]), issued, 0).problem, /nodePing must be a whole number from 2 to 7\./, "the service's calls bounds");
  assert.match(createRequest(draft([{ endpoint: "nodePing", limit: "1" }]), issued, 0).problem, /from 2 to 7/);
  assert.match(createRequest(draft([{ endpoint: "nodePing", limit: "" }], "3"), issued, 0).problem, /may not outlive yours: choose at most 2 hours/);
  assert.match(createRequest(draft([{ endpoint: "nodePing", limit: "" }], "4"), admin, 0).problem, /at most 3 hours: the service allows no longer/);
  assert.match(createRequest(draft([{ endpoint: "nodePing", limit: "" }], "", "hours", "abcdef"), admin, 0).problem, /at most 5 characters/);
  assert.equal(createRequest(draft([{ endpoint: "nodePing", limit: "" }], "", "hours", "abcd\u{1F600}"), admin, 0).request.description, "abcd\u{1F600}", "characters, not UTF-16 units");
  assert.match(createRequest(draft(LIMITS.catalogue.map((endpoint) => ({ endpoint, limit: "" }))), admin, 0).problem, /at most 2 capabilities/);
  assert.match(createRequest(draft([{ endpoint: "nodePing", limit: "" }], "", "hours", "abcde"), { ...admin, limits: { ...LIMITS, maxBodyBytes: 60 } }, 0).problem,
    /larger than the service takes \(60 bytes\)/);
  assert.match(createRequest(draft([{ endpoint: "accountWithdraw", limit: "" }]), issued, 0).problem, /cannot grant/);
  assert.deepEqual(createRequest(draft([{ endpoint: "tokensCreate", limit: "2" }, { endpoint: "nodePing", limit: "" }], "2"), issued, 0), {
    request: { capabilities: [{ endpoint: "tokensCreate", limits: [{ type: "calls", conditions: { max: 2 } }] }, { endpoint: "nodePing" }], lifetime: 7_200 },
  });
  // A rotation's grace period: whole seconds up to the service's longest.
  assert.deepEqual(graceSeconds("", LIMITS.maxGrace), { value: 0 });
  assert.deepEqual(graceSeconds(" 90 ", LIMITS.maxGrace), { value: 90 });
  assert.match(graceSeconds("91", LIMITS.maxGrace).problem, /from 0 to 90\./);
  assert.match(graceSeconds("?", LIMITS.maxGrace).problem, /whole number of seconds/);
  assert.match(graceSeconds("-1", LIMITS.maxGrace).problem, /from 0 to 90/);
});

test("refusals are decided on the HTTP status, status and reason, never on the English text", () => {
  const texts = ["authorization failed", "", "Zugriff verweigert", "requested token lifetime not allowed"];
  const same = (make, context) => {
    const sentences = new Set(texts.map((text) => errorSentence(make(text), context)));
    assert.equal(sentences.size, 1, `one sentence whatever the text: ${[...sentences].join(" | ")}`);
  };
  for (const reason of ["missing_capability", "limit_exhausted", "condition_failed"]) {
    for (const operation of ["read", "create", "delete", "rotate"]) same((text) => api(403, "UNAUTHORIZED", text, reason), { operation });
    assert.equal(refusal(api(403, "UNAUTHORIZED", "anything", reason)), "call");
  }
  for (const reason of ["capabilities_not_allowed", "lifetime_not_allowed", "depth_limit"]) {
    same((text) => api(403, "FORBIDDEN", text, reason), { operation: "create", limits: LIMITS });
    assert.equal(refusal(api(403, "FORBIDDEN", "anything", reason)), "delegation");
  }
  same((text) => api(401, "UNAUTHORIZED", text), { operation: "read" });
  assert.equal(refusal(api(401, "UNAUTHORIZED", "node token required")), "token");
  assert.equal(refusal(api(403, "FORBIDDEN", "authorization failed")), undefined, "a 403 without the service's reason is no refusal of the service");
  assert.equal(refusal(api(429, "TOO_MANY_REQUESTS", "x")), "throttled");
  assert.equal(refusal(api(503, "UNAVAILABLE", "x")), "unavailable");
  const route = { method: "GET", path: "/api/v4/node/info", capability: "nodeGetInfo" };
  // A node call: who answered is decided without the text (a node's own text is then shown as it came).
  for (const context of [{ route }, { route, routeServed: true }, { route, routeServed: false }, { route, tokenAccepted: true }, { route, tokenAccepted: false }]) {
    for (const make of [(text) => api(404, "NOT_FOUND", text), (text) => api(401, "UNAUTHORIZED", text), (text) => api(403, "UNAUTHORIZED", text, "limit_exhausted")]) {
      const found = new Set(texts.map((text) => `${nodeQuestion(make(text), route)} ${nodeFailure(make(text), context)}`));
      assert.equal(found.size, 1, [...found].join(" | "));
      if (nodeFailure(make(""), context) !== "node") same(make, { operation: "node", ...context });
    }
  }
});

test("amounts: the console's decimals are those the service publishes for every currency", () => {
  assert.ok(gateway.currencies.length > 0);
  for (const { name, decimals } of gateway.currencies) assert.equal(DECIMALS, decimals, name);
});

test("amounts: read as the node reads them, exact to the wei, written as the node writes them", () => {
  const wei = (text) => {
    const amount = readAmount(text);
    return amount && [amount.currency, amount.wei, amount.truncated];
  };
  const UNIT = 10n ** 18n;
  // The node's own examples (hopr-types balance.rs), as the service's tests have them.
  for (const text of ["5 wxHOPR", "5 wxhopr"]) assert.deepEqual(wei(text)?.slice(1), [5n * UNIT, false], text);
  for (const text of [".5 wxHOPR", " .5 wxHOPR", "0.5 wxHOPR", "0. 5 wxHOPR", "0. 50 wxHOPR", "0. 5 0 wxHOPR"]) {
    assert.deepEqual(wei(text), ["wxHOPR", UNIT / 2n, false], text);
  }
  for (const [text, expected] of [["5 weiwxHOPR", 5n], [" 5 weiwxHOPR", 5n], ["5 000 weiwxHOPR", 5000n], ["5 0 0 0 weiwxHOPR", 5000n],
    ["5 wei_wxHOPR", 5n], ["5 wei wxHOPR", 5n], ["5 wei wxhopr", 5n], ["1000 wei xDai", 1000n]]) {
    assert.equal(wei(text)?.[1], expected, text);
  }
  assert.deepEqual(wei("5.0123 wxHOPR"), ["wxHOPR", 50123n * 10n ** 14n, false]);
  for (const text of ["5.001 weiwxHOPR", "5.00 weiwxHOPR", "5.00 wei_wxHOPR"]) assert.equal(wei(text)?.[1], 5n, text);
  assert.equal(wei("5.001 weiwxHOPR")[2], true, "a fraction of a wei is dropped, and said to be");
  assert.equal(wei("5.00 weiwxHOPR")[2], false, "zeros dropped lose nothing");
  // 18 decimals: the 19th and later are dropped.
  assert.deepEqual(wei("1.12345678901234567891 wxHOPR"), ["wxHOPR", 1_123_456_789_012_345_678n, true]);
  assert.deepEqual(wei("0.000000000000000001 xDai"), ["xDai", 1n, false]);
  assert.deepEqual(wei("1.123456789012345678000 xDai"), ["xDai", 1_123_456_789_012_345_678n, false]);
  assert.deepEqual(wei("0.5 xDai"), ["xDai", UNIT / 2n, false]);
  assert.equal(wei("340282366920938463463.374607431768211455 wxHOPR")[1], 2n ** 128n - 1n, "beyond any floating-point number's precision");
  // What the node refuses.
  for (const text of ["10", "5wxHOPR", "5 wxHOPR ", "5. wxHOPR", "5.5.5 wxHOPR", "..5 wxHOPR", "1e3 wxHOPR", "-1 xDai", "0x10 xDai", "", " xDai"]) {
    assert.equal(readAmount(text), undefined, JSON.stringify(text));
  }
  assert.equal(wei("10 wai wxHOPR"), undefined);
  assert.equal(currencyNamed(readAmount("10 wei").currency, ["xDai", "wxHOPR"]), undefined, "'wei' is no currency");
  assert.equal(currencyNamed("WXhopr", ["xDai", "wxHOPR"]), "wxHOPR");

  // Written as the node writes amounts: no trailing zeros, no dot for a whole number.
  assert.equal(unitsText(0n), "0");
  assert.equal(unitsText(UNIT), "1");
  assert.equal(unitsText(9n * UNIT / 10n), "0.9");
  assert.equal(unitsText(1n), "0.000000000000000001");
  assert.equal(unitsText(123n * UNIT + 4500n), "123.0000000000000045");
  assert.equal(unitsText(2n ** 128n - 1n), "340282366920938463463.374607431768211455");
  assert.equal(amountText(UNIT * 5n / 2n, "xDai"), "2.5 xDai");
  for (const text of ["0.9 wxHOPR", "1 xDai", "0.000000000000000001 xDai", "123.0000000000000045 wxHOPR"]) {
    const { wei: amount, currency } = readAmount(text);
    assert.equal(amountText(amount, currency), text, "read and written back unchanged");
  }

  // What is left, by subtraction on wei: 1 - 0.300000000000000001 in floating point is 0.7.
  assert.equal(spendUsed({ conditions: { max: "1 wxHOPR" }, used: "0.9 wxHOPR" }).text, "0.9 of 1 wxHOPR moved, 0.1 wxHOPR left");
  assert.deepEqual(spendUsed({ conditions: { max: "1 wxHOPR" }, used: "0.300000000000000001 wxHOPR" }), {
    text: "0.300000000000000001 of 1 wxHOPR moved, 0.699999999999999999 wxHOPR left", used: 300_000_000_000_000_001n, max: UNIT,
  });
  assert.equal(spendUsed({ conditions: { max: "5 xDai" }, used: "0 xDai" }).text, "0 of 5 xDai moved, 5 xDai left");
  assert.equal(spendUsed({ conditions: { max: "1 xDai" }, used: "2 xDai" }).text, "2 of 1 xDai moved, 0 xDai left", "never less than nothing left");
  assert.deepEqual(spendUsed({ conditions: { max: "lots" }, used: "some" }), { text: "some of lots moved" }, "unreadable: as it came, without a bar");
});

test("conditions: read from a token, put in words, and built from the form within the creator's", () => {
  const PEER = "0xb4ce7e6e36ac8b01a974725d5ba730af2b156fbe";
  const OTHER = "0xa8194d36e322592d4c707b70dbe96121f5c74c64";
  const THIRD = `0x${"c".repeat(40)}`;
  const held = [
    { type: "calls", conditions: { max: 4 }, used: 1 },
    { type: "spend", conditions: { max: "1 wxHOPR" }, used: "0.3 wxHOPR" },
    { type: "spend", conditions: { max: "2 xDai" }, used: "0 xDai" },
    { type: "targets", conditions: { allow: [OTHER, PEER] } },
    { type: "listen", conditions: { allow: ["127.0.0.1:10000-10100", "[::1]:8080"] } },
  ];
  assert.deepEqual(heldConditions(held), {
    spend: [{ currency: "wxHOPR", wei: 10n ** 18n }, { currency: "xDai", wei: 2n * 10n ** 18n }],
    targets: [OTHER, PEER],
    listen: ["127.0.0.1:10000-10100", "[::1]:8080"],
  });
  assert.deepEqual(heldConditions([{ type: "calls", conditions: { max: 4 }, used: 1 }]), {}, "none: no key");
  // Words.
  assert.equal(shortAddress(PEER), "0xb4ce…6fbe");
  assert.equal(targetsLine([PEER, OTHER]), "only to 2 addresses: 0xb4ce…6fbe, 0xa819…4c64");
  assert.equal(targetsLine([PEER, OTHER, THIRD, PEER]), "only to 4 addresses: 0xb4ce…6fbe, 0xa819…4c64, 0xcccc…cccc and 1 more");
  assert.equal(targetsLine([PEER]), "only to 1 address: 0xb4ce…6fbe");
  assert.equal(listenLine(["127.0.0.1:10000-10100", "[::1]:8080"]), "sessions listen only on 127.0.0.1:10000-10100, [::1]:8080");
  assert.deepEqual(grantedLimits(held), ["at most 4 calls", "at most 1 wxHOPR moved", "at most 2 xDai moved",
    "sessions listen only on 127.0.0.1:10000-10100, [::1]:8080"]);
  assert.deepEqual(grantedLimits([{ type: "spend", conditions: { max: "1000 wei xDai" } }]), ["no calls limit", "at most 0.000000000000001 xDai moved"]);

  // Listen ranges, read as the service reads them.
  assert.deepEqual(readListenRange("127.0.0.1:10100-10000"), { ip: "127.0.0.1", low: 10000, high: 10100 });
  assert.deepEqual(readListenRange("[0:0:0:0:0:0:0:1]:8080"), { ip: "[::1]", low: 8080, high: 8080 });
  assert.deepEqual(readListenRange("[::ffff:127.0.0.1]:80"), { ip: "127.0.0.1", low: 80, high: 80 }, "IPv4-mapped is IPv4");
  for (const text of ["127.0.0.1", "localhost:80", "01.2.3.4:80", "1.2.3.4:65536", "1.2.3.4:1-2-3", "[::1]@[::2]:80", "[fe80::1%25eth0]:80", "::1:80", "1.2.3.4:-80"]) {
    assert.equal(readListenRange(text), undefined, text);
  }
  assert.ok(isLoopback(readListenRange("127.8.9.10:1")) && isLoopback(readListenRange("[::1]:1")) && isLoopback(readListenRange("[::ffff:7f00:1]:1")));
  assert.ok(!isLoopback(readListenRange("0.0.0.0:1")) && !isLoopback(readListenRange("[::]:1")) && !isLoopback(readListenRange("10.0.0.1:1")));
  assert.ok(isWithin(readListenRange("10.0.0.1:10050-10060"), readListenRange("10.0.0.1:10000-10100")));
  assert.ok(!isWithin(readListenRange("10.0.0.1:9000-10050"), readListenRange("10.0.0.1:10000-10100")));
  assert.ok(!isWithin(readListenRange("10.0.0.2:10050"), readListenRange("10.0.0.1:10000-10100")));

  // The fields the form offers: what the routes take, and what the creator holds (kept even without the table).
  assert.deepEqual(offeredConditions({ conditions: ["spend", "targets"], currencies: ["xDai", "wxHOPR"] }), { currencies: ["xDai", "wxHOPR"], targets: true, listen: false });
  assert.deepEqual(offeredConditions({ conditions: ["spend", "targets"], currencies: ["xDai", "wxHOPR"], spend: [{ currency: "xDai", wei: 1n }] }),
    { currencies: ["xDai"], targets: true, listen: false }, "a creator's budgets: only their currencies");
  assert.deepEqual(offeredConditions({ conditions: [], currencies: [], listen: ["127.0.0.1:1"] }), { currencies: [], targets: false, listen: true });
  assert.deepEqual(offeredConditions({}), { currencies: [], targets: false, listen: false });

  // The admin: any conditions, in the order calls, spend, targets, listen; each bound from the service's facts.
  const admin = { allowed: offers({}, ["accountWithdraw", "sessionsCreateClient"]), delegated: false, limits: { ...LIMITS, maxLimits: 5 } };
  const draft = (picked) => ({ picked, lifetime: "", unit: "hours", description: "" });
  const withdraw = (fields) => draft([{ endpoint: "accountWithdraw", limit: "", ...fields }]);
  assert.deepEqual(createRequest(withdraw({ limit: "3", spend: { xDai: " 2 ", wxHOPR: "" }, targets: `\n ${PEER}\r\n${OTHER}\n` }), admin, 0).request, {
    capabilities: [{ endpoint: "accountWithdraw", limits: [
      { type: "calls", conditions: { max: 3 } },
      { type: "spend", conditions: { max: "2 xDai" } },
      { type: "targets", conditions: { allow: [PEER, OTHER] } },
    ] }],
  });
  assert.deepEqual(createRequest(withdraw({ spend: { xDai: "", wxHOPR: "" }, targets: " \n " }), admin, 0).request, { capabilities: [{ endpoint: "accountWithdraw" }] }, "empty: no condition");
  assert.deepEqual(createRequest(draft([{ endpoint: "sessionsCreateClient", limit: "", listen: "0.0.0.0:80\n[::1]:8080" }]), admin, 0).request.capabilities[0].limits,
    [{ type: "listen", conditions: { allow: ["0.0.0.0:80", "[::1]:8080"] } }], "the admin may open any listener");
  const problem = (fields, holder = admin) => createRequest(withdraw(fields), holder, 0).problem;
  assert.equal(problem({ spend: { xDai: "0.5" } }), "The spend budget of accountWithdraw in xDai must be a number, such as 5 or 0.25.", "the service's amount pattern decides");
  assert.equal(problem({ spend: { xDai: "123456789" } }), "The spend budget of accountWithdraw in xDai is too long: the service takes at most 12 characters for an amount with its currency.");
  assert.equal(problem({ spend: { xDai: "0" } }), "The spend budget of accountWithdraw in xDai must be more than 0.");
  assert.equal(problem({ spend: { xDai: "0 wei" } }), "The spend budget of accountWithdraw in xDai must be more than 0.");
  assert.equal(problem({ spend: { xDai: "1.0000000000000000001" } }, { ...admin, limits: { ...admin.limits, amountPattern: /^[0-9.]+ xDai$/u, maxAmountChars: 64 } }),
    "The spend budget of accountWithdraw in xDai may have at most 18 decimals.");
  assert.equal(problem({ targets: `${PEER}\n\n${PEER.toUpperCase()}` }), `Line 3 of the target addresses of accountWithdraw is not an on-chain address: “${PEER.toUpperCase()}”.`, "the service's address pattern decides");
  assert.equal(problem({ targets: `${PEER}\n${OTHER}\n${THIRD}` }), "Give accountWithdraw at most 2 target addresses: the service takes no more.");
  assert.equal(createRequest(draft([{ endpoint: "sessionsCreateClient", limit: "", listen: "1.2.3.4:1\n1.2.3.4:2\n1.2.3.4:3" }]), admin, 0).problem,
    "Give sessionsCreateClient at most 2 listen ranges: the service takes no more.");
  assert.equal(createRequest(draft([{ endpoint: "sessionsCreateClient", limit: "", listen: "127.0.0.1:80\nlocalhost:80" }]), admin, 0).problem,
    "Line 2 of the listen ranges of sessionsCreateClient is not an address with a port or a port range, such as 127.0.0.1:10000-10100 or [::1]:8080: “localhost:80”.");
  assert.equal(problem({ limit: "2", spend: { xDai: "1", wxHOPR: "1" }, targets: PEER }, { ...admin, limits: LIMITS }),
    "Give accountWithdraw at most 3 limits: the service takes no more for one capability.");

  // A delegated token: each of its creator's conditions kept, no wider.
  const creator = { token: { capabilities: [
    { endpoint: "accountWithdraw", limits: held.slice(1, 4) },
    { endpoint: "sessionsCreateClient", limits: [held[4]] },
    { endpoint: "channelsFundChannels", limits: [] },
  ] } };
  const allowed = offers(creator, []);
  assert.deepEqual(allowed[0], { endpoint: "accountWithdraw", ...heldConditions(held.slice(1, 4)) });
  const child = { allowed, delegated: true, limits: admin.limits };
  const within = { spend: { wxHOPR: "1", xDai: "" }, targets: PEER };
  assert.deepEqual(createRequest(withdraw(within), child, 0).request.capabilities[0].limits,
    [{ type: "spend", conditions: { max: "1 wxHOPR" } }, { type: "targets", conditions: { allow: [PEER] } }], "one budget of two kept, one target of two");
  assert.equal(problem({ ...within, spend: { wxHOPR: "2" } }, child), "The spend budget of accountWithdraw in wxHOPR may be at most 1 wxHOPR: yours is no larger.");
  assert.equal(problem({ ...within, spend: { wxHOPR: "", xDai: "" } }, child),
    "Give accountWithdraw a spend budget of at most 1 wxHOPR or 2 xDai: yours has one, and the new token must keep it.");
  const xDaiOnly = { allowed: offers({ token: { capabilities: [{ endpoint: "accountWithdraw", limits: [held[2]] }] } }, []), delegated: true, limits: child.limits };
  assert.equal(problem({ spend: { wxHOPR: "1" } }, xDaiOnly), "Your token may not hand down a spend budget in wxHOPR for accountWithdraw: its own are in 2 xDai.");
  assert.equal(problem({ ...within, targets: `${PEER}\n${THIRD}` }, child), `Line 2 of the target addresses of accountWithdraw is not among your token's own targets: “${THIRD}”.`);
  assert.equal(problem({ ...within, targets: "" }, child),
    "Give accountWithdraw target addresses among your token's own: it may aim only at 2, and the new token must keep to them.");
  const session = (listen, holder = child) => createRequest(draft([{ endpoint: "sessionsCreateClient", limit: "", listen }]), holder, 0);
  assert.deepEqual(session("127.0.0.1:10050-10060\n[0::1]:8080").request.capabilities[0].limits, [{ type: "listen", conditions: { allow: ["127.0.0.1:10050-10060", "[0::1]:8080"] } }]);
  assert.equal(session("127.0.0.1:9000-10050").problem,
    "Line 1 of the listen ranges of sessionsCreateClient is not within your token's own (127.0.0.1:10000-10100, [::1]:8080): “127.0.0.1:9000-10050”.");
  assert.equal(session("").problem,
    "Give sessionsCreateClient listen ranges within your token's own (127.0.0.1:10000-10100, [::1]:8080): the new token must keep to them.");
  // A creator without listen ranges: its sessions listen on loopback only, and so may its children's.
  const open = { allowed: offers({ token: { capabilities: [{ endpoint: "sessionsCreateClient", limits: [] }] } }, []), delegated: true, limits: child.limits };
  assert.deepEqual(session("127.0.0.1:1-65535\n[::1]:80", open).request.capabilities[0].limits, [{ type: "listen", conditions: { allow: ["127.0.0.1:1-65535", "[::1]:80"] } }]);
  assert.equal(session("", open).request.capabilities[0].limits, undefined, "none: loopback only, as its creator");
  assert.equal(session("[::1]:80\n0.0.0.0:80", open).problem,
    "Line 2 of the listen ranges of sessionsCreateClient is not a loopback address: your token has no listen ranges, so its sessions listen on loopback only, and it may hand down no more: “0.0.0.0:80”.");
  // A creator without conditions on a capability: the child may add its own.
  assert.deepEqual(createRequest(draft([{ endpoint: "channelsFundChannels", limit: "", spend: { wxHOPR: "3" }, targets: OTHER }]), child, 0).request.capabilities[0].limits,
    [{ type: "spend", conditions: { max: "3 wxHOPR" } }, { type: "targets", conditions: { allow: [OTHER] } }]);
});

test("facts: the catalogue and every bound come from the service's OpenAPI document", async () => {
  const document = await (await fetch(`${origin}/api/v3/openapi.json`)).json();
  const { schemas } = document.components;
  const facts = readFacts(document);
  const allowList = (type) => schemas.RequestedLimit.oneOf.find((variant) => variant.properties.type.const === type).properties.conditions.properties.allow;
  const sources = { tokenId: { ...facts.tokenId, pattern: facts.tokenId.pattern.source }, amountPattern: facts.amountPattern.source, addressPattern: facts.addressPattern.source };
  assert.deepEqual({ ...facts, ...sources }, {
    catalogue: schemas.CapabilityName.enum,
    maxCapabilities: schemas.CreateTokenRequest.properties.capabilities.maxItems,
    maxDescription: schemas.CreateTokenRequest.properties.description.maxLength,
    maxLifetime: schemas.CreateTokenRequest.properties.lifetime.maximum,
    minCalls: schemas.CallsConditions.properties.max.minimum,
    maxCalls: schemas.CallsConditions.properties.max.maximum,
    maxDepth: document.info["x-max-delegation-depth"],
    maxBodyBytes: document.info["x-max-body-bytes"],
    tokenId: { minLength: schemas.TokenId.minLength, maxLength: schemas.TokenId.maxLength, pattern: schemas.TokenId.pattern },
    pageLimit: document.paths["/tokens"].get.parameters.find((parameter) => parameter.name === "limit").schema.maximum,
    maxGrace: schemas.RotateRequest.properties.grace.maximum,
    areas: schemas.Area.oneOf.map((area) => ({ name: area.const, about: area.description })),
    maxLimits: schemas.RequestedCapability.properties.limits.maxItems,
    amountPattern: schemas.SpendConditions.properties.max.pattern,
    maxAmountChars: schemas.SpendConditions.properties.max.maxLength,
    addressPattern: allowList("targets").items.pattern,
    maxTargets: allowList("targets").maxItems,
    maxListen: allowList("listen").maxItems,
  });
  // The areas the gateway's catalogue uses are the document's.
  assert.deepEqual([...new Set(gateway.capabilities.map((info) => info.area))].sort(), facts.areas.map((area) => area.name).sort());
  // The service's bounds as its contract states them (src/contract/bounds.rs).
  assert.deepEqual([facts.maxDescription, facts.maxLifetime, facts.maxCapabilities, facts.maxCalls, facts.maxDepth, facts.maxBodyBytes],
    [256, 3_155_760_000, 64, Number.MAX_SAFE_INTEGER, 32, 16 * 1024]);
  assert.deepEqual([facts.maxLimits, facts.maxAmountChars, facts.maxTargets, facts.maxListen], [5, 64, 64, 64]);
  // The patterns read by JavaScript as the service reads them.
  assert.ok(["5 wxHOPR", "0.5 xdai", "1 000 wei wxHOPR", "5 wei_xDai"].every((amount) => facts.amountPattern.test(amount)));
  assert.ok(!["5wxHOPR", "1e3 xDai", "5 wei", "-1 xDai"].some((amount) => facts.amountPattern.test(amount)));
  assert.ok(facts.addressPattern.test("0xB4ce7e6e36ac8b01a974725d5ba730af2b156fbe") && facts.addressPattern.test("b4ce7e6e36ac8b01a974725d5ba730af2b156fbe"));
  assert.ok(!facts.addressPattern.test("0xb4ce7e6e36ac8b01a974725d5ba730af2b156fb") && !facts.addressPattern.test("0xg4ce7e6e36ac8b01a974725d5ba730af2b156fbe"));
  assert.ok(facts.catalogue.includes("tokensCreate") && facts.catalogue.includes("nodeGetInfo"));
  assert.ok(isTokenId("0123456789abcdefghijkl", facts.tokenId));
  assert.ok(!isTokenId("0123456789abcdefghijk", facts.tokenId) && !isTokenId("0123456789abcdefghij-l", facts.tokenId));
  assert.ok(isTokenId("abcd", LIMITS.tokenId) && !isTokenId("abcde", LIMITS.tokenId) && !isTokenId("ab1d", LIMITS.tokenId));

  // A document without them is refused, naming what is missing: the console has no fallback of its own.
  const bare = structuredClone(document);
  delete bare.info["x-max-delegation-depth"];
  delete bare.components.schemas.CreateTokenRequest.properties.description.maxLength;
  delete bare.components.schemas.CapabilityName;
  delete bare.components.schemas.RotateRequest;
  delete bare.components.schemas.SpendConditions.properties.max.pattern;
  bare.components.schemas.RequestedLimit.oneOf = bare.components.schemas.RequestedLimit.oneOf.filter((variant) => variant.properties.type.const !== "listen");
  assert.throws(() => readFacts(bare),
    /does not give the capability catalogue, the longest description, the delegation depth, the longest grace period, the form of an amount, the most listen ranges$/);
  assert.throws(() => readFacts(null), /does not give the capability catalogue, the most capabilities/);
});

test("operations: what a token may call on the node, grouped, and the words for node failures", () => {
  const route = (method, path, capability, websocket = false) => ({ method, path, capability, websocket });
  const routes = [
    route("GET", "/api/v4/node/info", "nodeGetInfo"),
    route("POST", "/api/v4/account/withdraw", "accountWithdraw"),
    route("GET", "/api/v4/channels/{address}", "channelsGetChannel"),
    route("GET", "/api/v3/node/info", "nodeGetInfo"),
    route("GET", "/api/v3/session/websocket", "sessionsWebsocket", true),
    route("GET", "/metrics", "nodeGetMetrics"),
    route("GET", "/healthyz", null),
  ];
  assert.deepEqual(routes.map(isTriable), [true, false, false, true, false, true, true], "fixed-path GETs only, no WebSocket");
  assert.equal(routeKey(routes[0]), "GET /api/v4/node/info");

  const admin = callable(routes, { kind: "admin" });
  assert.equal(admin.allowed.length, routes.length);
  assert.equal(summary(admin, "admin"), "The admin token may call all 7 node operations.");
  const token = { capabilities: [{ endpoint: "nodeGetInfo", limits: [{ type: "calls", used: 1, conditions: { max: 2 } }] }, { endpoint: "accountWithdraw", limits: [] }] };
  const issued = callable(routes, { kind: "issued", token });
  assert.deepEqual(issued.allowed.map(routeKey), ["GET /api/v4/node/info", "POST /api/v4/account/withdraw", "GET /api/v3/node/info", "GET /healthyz"]);
  assert.equal(issued.denied, 3);
  assert.equal(summary(issued, "issued"),
    "Your token may call 4 of the node's 7 operations (1 of them needs no token). It may not call the other 3: they need capabilities it does not hold.");
  assert.match(summary(callable(routes, { kind: "issued", token: { capabilities: [] } }), "issued"), /holds no node capability: it may call only the 1 node operation that needs no token, not the other 6/);
  assert.deepEqual(byGeneration(issued.allowed, gateway.generations).map((group) => [group.name, group.routes.length, group.open]),
    [["/api/v4", 2, true], ["/api/v3", 1, true], ["Root", 1, true]]);
  const many = Array.from({ length: 20 }, (_, i) => route("GET", `/api/v3/x${i}`, "nodeGetInfo"));
  assert.deepEqual(byGeneration([routes[0], ...many], gateway.generations).map((group) => group.open), [true, false], "a long group after the first starts closed");
  // Named as the gateway's table names them, whatever they are; a route of none of them is listed apart.
  const named = [{ name: "v9", prefix: "/api/v9/", about: "tomorrow's node API" }, { name: "v4", prefix: "/api/v4/", about: "today's" }];
  assert.deepEqual(byGeneration([...routes.slice(0, 2), route("GET", "/api/v9/x", "nodeGetInfo"), routes[6]], named)
    .map((group) => [group.name, group.about, group.routes.map(routeKey)]), [
    ["v9", "tomorrow's node API", ["GET /api/v9/x"]],
    ["v4", "today's", ["GET /api/v4/node/info", "POST /api/v4/account/withdraw"]],
    ["Other routes", "of no API generation the gateway names", ["GET /healthyz"]],
  ]);
  assert.deepEqual(byGeneration(routes, []).map((group) => [group.name, group.routes.length]), [["Other routes", routes.length]], "a table without generations: one group");
  assert.equal(usage(token, "nodeGetInfo"), "1 of 2 calls used");
  assert.equal(usage(token, "accountWithdraw"), undefined);
  assert.equal(usage(undefined, null), undefined);

  assert.equal(nodeAnswer({ a: [1] }), '{\n  "a": [\n    1\n  ]\n}');
  assert.equal(nodeAnswer("# HELP up"), "# HELP up");
  assert.equal(nodeAnswer(null), "(an empty answer)");

  const node = { operation: "node", route: routes[0] };
  const reader = { capabilities: [{ endpoint: "nodeGetInfo", limits: [{ type: "calls", used: 2, conditions: { max: 2 } }] }] };
  assert.equal(errorSentence(api(403, "UNAUTHORIZED", "authorization failed: calls limit of nodeGetInfo used up (2 of 2)", "limit_exhausted"), { ...node, token: reader }),
    "Your token may not call GET /api/v4/node/info: its calls limit for nodeGetInfo is used up (2 of 2 calls used).");
  assert.equal(errorSentence(api(403, "UNAUTHORIZED", "x", "missing_capability"), node),
    "Your token may not call GET /api/v4/node/info: it does not hold the nodeGetInfo capability.");
  assert.equal(errorSentence(api(403, "FORBIDDEN", "forbidden by the node"), node),
    "The node answered GET /api/v4/node/info with an error (HTTP 403 FORBIDDEN): forbidden by the node.", "a 403 without the service's reason is the node's");
  assert.equal(errorSentence(api(502, "BAD_GATEWAY", "the node could not be reached"), node),
    "The node is out of reach: edge-tokens could not connect to it. Try again later, or tell its operator.");
  assert.equal(errorSentence(api(504, "GATEWAY_TIMEOUT", "the node did not answer within 500 ms"), node),
    "The node did not answer in time: edge-tokens stopped waiting for it. Try again in a moment.");
  assert.equal(errorSentence(api(404, "CHANNEL_NOT_FOUND", "no such channel"), node),
    "The node answered GET /api/v4/node/info with an error (HTTP 404 CHANNEL_NOT_FOUND): no such channel.");
  assert.equal(errorSentence(api(500, "UNEXPECTED_RESPONSE", "unexpected answer with HTTP status 500"), node),
    "The node answered GET /api/v4/node/info with an error (HTTP 500).");
  assert.match(errorSentence(Object.assign(new Error("x"), { name: "TokensTimeoutError", timeoutMs: 35_000 }), node), /within 35 seconds: the node/);

  // A 401 on a route that needs a capability: the service's when it no longer
  // accepts the token, else the node's; the console asks the service which.
  const unauthenticated = api(401, "UNAUTHORIZED", "authentication failed");
  assert.equal(nodeQuestion(unauthenticated, routes[0]), "token");
  assert.equal(nodeQuestion(unauthenticated, routes[6]), undefined, "on a public route the gateway checks no token: the node's");
  assert.equal(nodeFailure(unauthenticated, { route: routes[6] }), "node");
  assert.match(errorSentence(unauthenticated, { ...node, tokenAccepted: false }), /token was not accepted/);
  assert.match(errorSentence(unauthenticated, { ...node, tokenAccepted: true }), /node did not accept edge-tokens' own API token/);
  assert.match(errorSentence(unauthenticated, { operation: "node", route: routes[6] }), /node did not accept edge-tokens' own API token/);
  assert.match(errorSentence(unauthenticated, node), /either your token is no longer accepted .* or the node did not accept edge-tokens' own API token/, "not found out: both, without claiming which");
  // A 404 NOT_FOUND: the gateway's when it no longer forwards the route, else the node's.
  const notFound = api(404, "NOT_FOUND", "nothing here");
  assert.equal(nodeQuestion(notFound, routes[0]), "route");
  assert.equal(nodeQuestion(api(404, "CHANNEL_NOT_FOUND", "x"), routes[0]), undefined, "the gateway's own 404 is always NOT_FOUND");
  assert.match(errorSentence(notFound, { ...node, routeServed: false }), /^edge-tokens no longer forwards GET \/api\/v4\/node\/info: no node is configured behind it any more, so nothing was called/);
  assert.equal(errorSentence(notFound, { ...node, routeServed: true }), "The node answered GET /api/v4/node/info with an error (HTTP 404 NOT_FOUND): nothing here.");
  assert.match(errorSentence(notFound, node), /either the node has nothing there, or edge-tokens no longer forwards it/, "not found out: both, without claiming which");

  // The gateway counts every call it forwards, whatever the node answers, and none it refuses or does not forward.
  assert.equal(wasCounted(), true);
  assert.equal(wasCounted(api(404, "CHANNEL_NOT_FOUND", "no such channel"), node), true, "a forwarded call counts, whatever the node answers");
  assert.equal(wasCounted(notFound, { ...node, routeServed: true }), true);
  assert.equal(wasCounted(notFound, { ...node, routeServed: false }), false, "the gateway did not forward it");
  assert.equal(wasCounted(notFound, node), false, "not known: not shown as counted");
  assert.equal(wasCounted(unauthenticated, { ...node, tokenAccepted: true }), true);
  assert.equal(wasCounted(unauthenticated, { ...node, tokenAccepted: false }), false);
  assert.equal(wasCounted(api(504, "GATEWAY_TIMEOUT", "x"), node), true);
  assert.equal(wasCounted(api(403, "UNAUTHORIZED", "x", "limit_exhausted"), node), false);
  assert.equal(wasCounted(api(403, "UNAUTHORIZED", "x", "missing_capability"), node), false);
  assert.equal(wasCounted(api(429, "TOO_MANY_REQUESTS", "x"), node), false);
  assert.equal(wasCounted(Object.assign(new Error("x"), { name: "TokensNetworkError" }), node), false);
});

test("tokens: the list in tree order, found by description or id, a page at a time, and the words for it", () => {
  const token = (id, created, parent, description = id) => ({ id, description, capabilities: [], createdAt: created, ...(parent ? { parent } : {}) });
  const tokens = [
    token("kid1", 20, "root"),
    token("root", 10),
    token("late", 30),
    token("grand", 25, "kid1"),
    token("kid2", 22, "root", "Second Kid"),
    token("orphan", 5, "gone"),
  ];
  const rows = treeOrder(tokens);
  assert.deepEqual(rows.map((row) => `${row.token.id}@${row.depth}`), ["late@0", "root@0", "kid2@1", "kid1@1", "grand@2", "orphan@0"],
    "each under its maker, siblings newest first; a token whose maker is not listed at the top");
  assert.deepEqual(rows.map((row) => row.madeBy), [undefined, undefined, { id: "root", description: "root" }, { id: "root", description: "root" },
    { id: "kid1", description: "kid1" }, { id: "gone" }], "the maker named by its description where the list holds it");
  // A cycle (which the service never makes) neither hangs the console nor loses a token.
  assert.deepEqual(treeOrder([token("a", 1, "b"), token("b", 2, "a")]).map((row) => `${row.token.id}@${row.depth}`), ["b@0", "a@1"]);
  const deep = Array.from({ length: 5000 }, (_, i) => token(`t${i}`, i, i === 0 ? undefined : `t${i - 1}`));
  assert.equal(treeOrder(deep).at(-1).depth, 4999, "a deep chain, without exhausting the stack");

  assert.ok(matches(tokens[4], "second kid") && matches(tokens[4], "KID2") && matches(tokens[4], "  ") && !matches(tokens[4], "root"));
  const found = rowsFor(tokens, "kid");
  assert.deepEqual(found.map((row) => `${row.token.id}@${row.depth}`), ["kid2@0", "kid1@0"], "found tokens in tree order, flat, their maker named");
  assert.deepEqual(found[0].madeBy, { id: "root", description: "root" });

  const many = Array.from({ length: 45 }, (_, i) => i);
  assert.deepEqual(pageOf(many, 1, 20), { rows: many.slice(0, 20), page: 1, pages: 3, first: 1, last: 20 });
  assert.deepEqual(pageOf(many, 3, 20), { rows: many.slice(40), page: 3, pages: 3, first: 41, last: 45 });
  assert.equal(pageOf(many, 9, 20).page, 3, "past the end: the last page");
  assert.deepEqual(pageOf([], 1, 20), { rows: [], page: 1, pages: 1, first: 0, last: 0 });

  const shown = pageOf(many, 2, 20);
  assert.equal(listSummary({ shown, total: 45, found: 45, query: "", complete: true }), "Tokens 21 to 40 of 45 (page 2 of 3).");
  assert.equal(listSummary({ shown, total: 45, found: 45, query: "", complete: false }), "Tokens 21 to 40 of 45 so far (still reading) (page 2 of 3).");
  assert.equal(listSummary({ shown: pageOf([1], 1, 20), total: 1, found: 1, query: "", complete: true }), "1 token.");
  assert.equal(listSummary({ shown: pageOf([1], 1, 20), total: 45, found: 1, query: " abc ", complete: true }), "1 token matches “abc”.");
  assert.equal(listSummary({ shown: pageOf([], 1, 20), total: 45, found: 0, query: "zzz", complete: true }), "No token matches “zzz” among 45 tokens.");
  assert.equal(listSummary({ shown, total: 60, found: 45, query: "a", complete: true }), "45 tokens match “a”, showing 21 to 40.");
  assert.equal(listSummary({ shown: pageOf([], 1, 20), total: 0, found: 0, query: "", complete: true }), "No tokens.");

  assert.equal(deletesWith(0), "No token was made from it: only this one goes.");
  assert.equal(deletesWith(1), "The 1 token below it goes with it: it stops working too.");
  assert.equal(deletesWith(3), "The 3 tokens below it go with it: they stop working too.");
  assert.equal(deletedSentence({ id: "abcd", description: "ci", descendants: 2 }), "Token “ci” (abcd) and the 2 tokens below it were deleted.");
  assert.equal(deletedSentence({ id: "abcd", description: "", descendants: 0 }), "Token abcd was deleted.");

  assert.equal(mayUse({ kind: "admin" }, "tokensRotate"), true);
  assert.equal(mayUse({ kind: "issued", token: { capabilities: [{ endpoint: "tokensDelete" }] } }, "tokensDelete"), true);
  assert.equal(mayUse({ kind: "issued", token: { capabilities: [{ endpoint: "tokensDelete" }] } }, "tokensCreate"), false);
});

test("catalogue: capabilities by area with their summaries and routes, the unused apart, presets and an example", async () => {
  const facts = readFacts(await (await fetch(`${origin}/api/v3/openapi.json`)).json());
  const all = offers({}, facts.catalogue);
  const groups = choiceGroups(all, gateway, facts.areas);
  const listed = groups.flatMap((group) => group.choices.map((choice) => choice.endpoint));
  assert.deepEqual([...listed].sort(), [...facts.catalogue].sort(), "every capability once");
  const routed = new Set(gateway.routes.map((route) => route.capability));
  const unused = groups.find((group) => group.key === "unused");
  assert.ok(unused && unused.choices.length > 0, "the catalogue has names that no route uses");
  for (const choice of unused.choices) {
    assert.ok(!routed.has(choice.endpoint), `${choice.endpoint} is used by no route`);
    assert.notEqual(gateway.capabilities.find((info) => info.name === choice.endpoint).area, "tokens");
    assert.equal(choiceUse(choice), "No route here uses it.");
  }
  assert.equal(groups.at(-1).key, "unused", "after every area");
  const tokensGroup = groups.find((group) => group.key === "tokens");
  assert.deepEqual(tokensGroup.choices.map((choice) => choice.use), tokensGroup.choices.map(() => "service"), "tokens* are this service's own");
  assert.equal(tokensGroup.about, facts.areas.find((area) => area.name === "tokens").about);
  const info = groups.flatMap((group) => group.choices).find((choice) => choice.endpoint === "nodeGetInfo");
  assert.deepEqual(info.routes, gateway.routes.filter((route) => route.capability === "nodeGetInfo").map(routeKey));
  assert.equal(info.summary, gateway.capabilities.find((capability) => capability.name === "nodeGetInfo").summary);
  // What each may carry beside calls, from the gateway's table: the form's condition fields.
  const choice = (endpoint) => groups.flatMap((group) => group.choices).find((candidate) => candidate.endpoint === endpoint);
  for (const endpoint of ["accountWithdraw", "channelsFundChannels", "sessionsCreateClient", "nodeGetInfo"]) {
    const { conditions, currencies } = gateway.capabilities.find((capability) => capability.name === endpoint);
    assert.deepEqual([choice(endpoint).conditions, choice(endpoint).currencies], [conditions, currencies], endpoint);
  }
  assert.deepEqual(offeredConditions(choice("accountWithdraw")), { currencies: ["xDai", "wxHOPR"], targets: true, listen: false });
  assert.deepEqual(offeredConditions(choice("channelsFundChannels")), { currencies: ["wxHOPR"], targets: true, listen: false });
  assert.deepEqual(offeredConditions(choice("sessionsCreateClient")), { currencies: [], targets: true, listen: true });
  assert.deepEqual(offeredConditions(info), { currencies: [], targets: false, listen: false });
  assert.match(choiceUse(info), /^Opens \d+ node routes?:$/);
  // Areas in the document's order.
  const order = facts.areas.map((area) => area.name);
  const areaGroups = groups.filter((group) => order.includes(group.key)).map((group) => group.key);
  assert.deepEqual(areaGroups, order.filter((name) => areaGroups.includes(name)));

  assert.ok(choiceMatches(info, "Node", "/NODE/info") && choiceMatches(info, "Node", "node") && !choiceMatches(info, "Node", "withdraw"));
  // An issued token is offered only what it holds.
  const held = choiceGroups([{ endpoint: "nodeGetInfo", max: 3 }, { endpoint: "tokensCreate" }], gateway, facts.areas);
  assert.deepEqual(held.map((group) => [group.key, group.choices.map((choice) => choice.endpoint)]), [["tokens", ["tokensCreate"]], ["node", ["nodeGetInfo"]]]);
  assert.equal(held[1].choices[0].max, 3);
  // Without the gateway's table: one group, nothing claimed about routes.
  const blind = choiceGroups(all, undefined, facts.areas);
  assert.equal(blind.length, 1);
  assert.ok(blind[0].choices.every((choice) => choice.use === "unknown" && choiceUse(choice) === ""));

  const presets = presetChoices(gateway.presets, [{ endpoint: "nodeGetInfo" }, { endpoint: "nodeGetVersion" }]);
  assert.deepEqual(presets.map((preset) => preset.name), ["read-only", "sessions", "funds"]);
  assert.ok(presets[0].missing.includes("nodeGetStatus") && !presets[0].missing.includes("nodeGetInfo"));
  assert.deepEqual(presetChoices(gateway.presets, all).map((preset) => preset.missing), [[], [], []], "the admin may apply every preset");

  assert.equal(exampleRequest("https://x.example", [{ endpoint: "accountWithdraw" }, { endpoint: "nodeGetInfo" }], gateway.routes),
    "curl -H \"x-auth-token: <the secret>\" https://x.example/api/v4/node/info", "a read-only route with a fixed path first");
  assert.equal(exampleRequest("https://x.example", [{ endpoint: "accountWithdraw" }], gateway.routes),
    "curl -X POST -H \"x-auth-token: <the secret>\" https://x.example/api/v4/account/withdraw");
  assert.equal(exampleRequest("https://x.example", [{ endpoint: "tokensCreate" }], gateway.routes),
    "curl -H \"x-auth-token: <the secret>\" https://x.example/api/v3/tokens", "any token may list itself");
});

/**
 * What the console must not contain: a decision on the service's English
 * text, or a copy of one of its bounds. Each finding names the file, the
 * line and the rule.
 * @param {{ name: string, text: string }[]} sources
 * @param {string[]} serviceTexts the service's own `error` texts
 */
function scanConsole(sources, serviceTexts) {
  // The part of each text before any detail (": ", "; ", " ("): what a comparison would look for.
  const heads = [...new Set(serviceTexts.map((text) => text.split(/[:;(]/)[0].trim().toLowerCase()))].filter((head) => head.length >= 6);
  const rules = [
    // Deciding on English text.
    ["compares with a text", /(?:===|!==|==|!=)\s*(["'`])(?:(?!\1).)*\s(?:(?!\1).)*\1|(["'`])(?:(?!\2).)*\s(?:(?!\2).)*\2\s*(?:===|!==|==|!=)/, /\.js$/],
    ["searches for a word", /\.(?:includes|startsWith|endsWith|indexOf|lastIndexOf|search|match|matchAll|localeCompare)\(\s*(?:["'`/])[^)]*[A-Za-z]/, /\.js$/],
    ["tests a pattern of words", /\/[^/\n]*[A-Za-z]{2,} [A-Za-z]{2,}[^/\n]*\/[a-z]*\.(?:test|exec)\(/, /\.js$/],
    // Copies of the service's bounds.
    ["the description bound (256)", /\b256\b/],
    ["the calls bound (MAX_SAFE_INTEGER)", /MAX_SAFE_INTEGER|\b9_?007_?199_?254_?740_?991\b/],
    ["the lifetime bound (100 years)", /\b3_?155_?760_?000\b|100\s+years|365\.25|\b36_?525\b/i],
    ["the body bound (16 KiB)", /\b16\s*KiB\b|\b16_?384\b|\b16\s*\*\s*1024\b/i],
    ["the depth bound (32)", /\b32\b/],
    ["the capabilities, allow-list and amount bound (64)", /\b64\b/],
    ["the length of a token id (22)", /\b22\b/],
    ["a bound in the page", /\bmaxlength\s*=|\bmax\s*=\s*["']?\d/i, /\.html$/],
    // Copies of the conditions' facts: the currencies (the gateway's table
    // names them) in code, and the forms of an address and an amount.
    ["a currency's name", /^(?!\s*(?:\/\/|\*|\/\*)).*(["'`])[^"'`]*\b(?:xDai|wxHOPR)\b/i],
    ["the form of an address (40 hex digits)", /\{40\}|\b40\s+hex/i],
    ["the form of an amount", /\[xX\]\[dD\]|\[wW\]\[xX\]/],
    ["the most limits of a capability (5)", /\bmaxLimits\b\s*[=:]\s*\d|\blimits\.length\s*[<>]=?\s*[1-9]/],
  ];
  const findings = [];
  for (const { name, text } of sources) {
    text.split("\n").forEach((line, index) => {
      const at = `${name}:${index + 1}`;
      for (const [rule, pattern, only = /./] of rules) if (only.test(name) && pattern.test(line)) findings.push(`${at}: ${rule}: ${line.trim()}`);
      if (name.endsWith(".js")) {
        for (const head of heads) if (line.toLowerCase().includes(head)) findings.push(`${at}: the service's text "${head}": ${line.trim()}`);
      }
    });
  }
  return findings;
}

test("source scan: www/ decides on no English text of the service and copies none of its bounds", async () => {
  const www = join(root, "www");
  const sources = readdirSync(www).filter((name) => /\.(?:js|html)$/.test(name))
    .map((name) => ({ name, text: readFileSync(join(www, name), "utf8") }));
  assert.deepEqual(sources.map(({ name }) => name).sort(),
    ["amounts.js", "api.js", "app.js", "catalogue.js", "conditions.js", "dom.js", "facts.js", "format.js", "index.html", "limits-view.js",
      "operations.js", "rules.js", "tokens-view.js", "tokens.js", "view.js"]);

  // The service's own texts: every error example of its OpenAPI document,
  // and what it answers an unknown route and a wrong method.
  const document = await (await fetch(`${origin}/api/v3/openapi.json`)).json();
  const texts = [];
  JSON.stringify(document, (key, value) => {
    if (typeof value?.error === "string" && typeof value?.status === "string") texts.push(value.error);
    return value;
  });
  for (const [method, path] of [["GET", "/api/v3/no-such-route"], ["PUT", "/api/v3/token"]]) {
    texts.push((await (await fetch(`${origin}${path}`, { method })).json()).error);
  }
  for (const expected of ["authentication failed", "authorization failed", "requested token lifetime not allowed", "no such route", "method not allowed"]) {
    assert.ok(texts.some((text) => text.startsWith(expected)), `the service still says "${expected}"`);
  }

  // The scan finds what it looks for.
  const planted = [
    'if (httpStatus === 401 && text === "authentication failed") return "token";',
    'if (said.includes("lifetime")) return lifetime;',
    'if (/no such route/.test(error.error)) gone();',
    "export const MAX_DESCRIPTION = 256;",
    "const MAX_CALLS = Number.MAX_SAFE_INTEGER;",
    "if (seconds > 100 * 365.25 * 86400) return tooLong;",
    'return "The request is too large (over 16 KiB).";',
    "const TOKEN_ID = /^[0-9A-Za-z]{22}$/;",
    "if (depth > 32 || picked.length > 64) return no;",
    'const CURRENCIES = ["xDai", "wxHOPR"];',
    "const ADDRESS = /^(?:0x)?[0-9a-f]{40}$/i;",
    "const AMOUNT = /^[0-9.]+ (?:[xX][dD][aA][iI])$/;",
    "if (limits.length > 5) return tooMany;",
  ];
  const found = scanConsole([{ name: "planted.js", text: planted.join("\n") }, { name: "planted.html", text: '<input maxlength="256"><input max="5">' }], texts);
  assert.deepEqual([...new Set(found.map((finding) => finding.split(":")[1]))], ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13"], found.join("\n"));
  // A currency named in a comment or a JSDoc example is no copy.
  assert.deepEqual(scanConsole([{ name: "comment.js", text: '// "0.5 xDai"\n * @example amount("5 wxHOPR")' }], texts), []);
  assert.equal(found.filter((finding) => finding.startsWith("planted.html")).length, 2);

  assert.deepEqual(scanConsole(sources, texts), []);
});

// ---- the console in each browser engine ------------------------------------

for (const engine of ENGINES) describe(`the console in ${ENGINE_NAMES[engine]}`, () => consoleSuite(engine));

/** The whole flow in one tab of `engine`, with its own tokens. */
function consoleSuite(engine) {
  let browser;
  let page;
  const consoleErrors = [];
  const requests = [];
  const secrets = [ADMIN];
  let parent;
  let child;
  let reader;

  before(async () => {
    browser = await launchBrowser(engine);
    // Like a person's browser: no permissions granted beyond the engine's defaults.
    const context = await browser.createBrowserContext();
    page = await context.newPage();
    await page.setViewport({ width: 1280, height: 800 });
    page.setDefaultTimeout(15_000);
    page.on("console", (message) => message.type() === "error" && consoleErrors.push(message));
    page.on("pageerror", (error) => consoleErrors.push({ text: () => `pageerror: ${error}`, location: () => ({}) }));
    page.on("request", (request) => requests.push({ method: request.method(), url: request.url() }));
  }, { timeout: 60_000 });

  after(async () => {
    await browser?.close();
  });

  // ---- helpers over the page -----------------------------------------------

  const shot = (name, options = {}) => page.screenshot({ path: join(artifacts, `console-${engine}-${name}.png`), ...options });
  const text = (selector) => page.$eval(selector, (element) => element.innerText);
  const attribute = (selector, name) => page.$eval(selector, (element, name) => element.getAttribute(name), name);
  const inputValue = (selector) => page.$eval(selector, (element) => element.value);
  const visible = (selector) => page.waitForSelector(selector, { visible: true });
  const click = (selector) => page.locator(selector).click();
  const fill = (selector, value) => page.locator(selector).fill(value);
  const apiRequests = () => requests.filter((request) => new URL(request.url).pathname.startsWith("/api/"));
  /** The service's catalogue and bounds, read from its OpenAPI document as the console reads them. */
  const serviceFacts = async () => readFacts(await (await fetch(`${origin}/api/v3/openapi.json`)).json());

  /** Whether the element is rendered with a size and not visibility: hidden. */
  async function isVisible(selector) {
    return page.evaluate((selector) => {
      const element = document.querySelector(selector);
      if (!element) return false;
      const { width, height } = element.getBoundingClientRect();
      return getComputedStyle(element).visibility !== "hidden" && width > 0 && height > 0;
    }, selector);
  }

  /** Ticks a checkbox (a click, as a person would) unless it is ticked. */
  async function check(selector) {
    if (!(await page.$eval(selector, (box) => box.checked))) await click(selector);
    assert.equal(await page.$eval(selector, (box) => box.checked), true, `${selector} is ticked`);
  }

  /** The innerText of each item of the held capabilities list. */
  const heldRows = () => page.$$eval("#mine-capabilities li", (items) => items.map((item) => item.innerText));

  /** Waits until a held capability's row shows `needle`; resolves to the row's text. */
  async function heldRow(needle) {
    const row = await page.waitForFunction((needle) => [...document.querySelectorAll("#mine-capabilities li")]
      .find((item) => item.checkVisibility() && item.innerText.includes(needle))?.innerText, {}, needle);
    return row.jsonValue();
  }

  // ---- node operations ----

  const operation = (key) => `#node-groups li.op[data-route="${key}"]`;
  /** The routes listed in the node operations section, as "METHOD /path". */
  const listedRoutes = () => page.$$eval("#node-groups li.op", (items) => items.map((item) => item.dataset.route));
  /** The routes with a Try button. */
  const triedRoutes = () => page.$$eval("#node-groups li.op", (items) => items.filter((item) => item.querySelector(".op-try")).map((item) => item.dataset.route));
  const keysOf = (routes) => routes.map((route) => `${route.method} ${route.path}`);
  const usageOf = (key) => page.$eval(`${operation(key)} .op-usage`, (element) => element.textContent);

  /** Clicks Try on `key` and waits for the outcome: the line above the answer, and the answer if there is one. */
  async function tryRoute(key, { by = "mouse" } = {}) {
    const button = `${operation(key)} .op-try`;
    if (by === "keyboard") {
      await page.focus(button);
      await page.keyboard.press("Enter");
    } else {
      await click(button);
    }
    const status = `${operation(key)} .op-result .message`;
    await page.waitForFunction((selector) => /\b(ok|error)\b/.test(document.querySelector(selector)?.className ?? ""), {}, status);
    const answer = await page.$eval(`${operation(key)} .op-answer`, (element) => (element.hidden ? null : element.textContent));
    return { status: await page.$eval(status, (element) => element.textContent), tone: await page.$eval(status, (element) => element.className), answer };
  }

  /** What the fake node received since `from`, at `path`. */
  const nodeSaw = (from, path) => node.received.slice(from).filter((seen) => seen.path === path);

  function assertNodeSawOnlyItsToken() {
    assert.ok(node.received.length > 0);
    for (const seen of node.received) {
      // The health probes are public: the gateway sends them without the node's token.
      const expected = HEALTH_PATHS.includes(seen.path) ? undefined : NODE_TOKEN;
      assert.equal(seen.headers["x-auth-token"], expected, `${seen.path} came with the node's token only where it needs one`);
    }
    const everything = JSON.stringify(node.received);
    for (const secret of secrets) assert.ok(!everything.includes(secret), "a caller's secret reached the node");
  }

  async function assertNoSecretShown() {
    const shown = await page.evaluate(() => document.body.innerText);
    for (const secret of secrets) assert.ok(!shown.includes(secret), "a secret is on the page");
  }

  async function pressWithControl(key) {
    await page.keyboard.down("Control");
    await page.keyboard.press(key);
    await page.keyboard.up("Control");
  }

  async function signIn(secret) {
    await fill("#secret", secret);
    await click("#sign-in-form button[type=submit]");
  }

  async function signInAndWait(secret, shown) {
    await signIn(secret);
    await visible(shown);
  }

  async function signOut() {
    await click("#sign-out");
    await visible("#sign-in");
  }

  async function storage() {
    return page.evaluate(() => ({
      session: Object.fromEntries(Object.entries(sessionStorage)),
      local: Object.fromEntries(Object.entries(localStorage)),
    }));
  }

  /** Ticks capabilities in the create form and sets their limits ("" for none). */
  async function pick(limits) {
    for (const [endpoint, limit] of Object.entries(limits)) {
      await check(`#pick-${endpoint}`);
      if (limit !== undefined) await fill(`#limit-${endpoint}`, limit);
    }
  }

  async function createdToken() {
    await visible("#created");
    const created = { secret: await text("#created-secret"), id: await text("#created-id") };
    secrets.push(created.secret);
    return created;
  }

  async function confirmDeletion(id) {
    await fill("#delete-id", id);
    await click("#delete-form button[type=submit]");
    await visible("#confirm-delete");
    assert.equal(await text("#confirm-id"), id);
  }

  /** What the clipboard holds, read the way a person does: pasted into a field (then emptied). */
  async function pastedClipboard() {
    await fill("#delete-id", "");
    await click("#delete-id");
    await pressWithControl("v");
    const pasted = await inputValue("#delete-id");
    await fill("#delete-id", "");
    await page.$eval("#delete-id", (field) => field.blur());
    return pasted;
  }

  /** Whether leaving the page now would make the browser ask first (a beforeunload listener cancels the event). */
  const warnsBeforeLeaving = () => page.evaluate(() => {
    const leaving = new Event("beforeunload", { cancelable: true });
    dispatchEvent(leaving);
    return leaving.defaultPrevented;
  });

  // ---- the list of tokens ----

  /** The ids of the rows of the list shown now. */
  const shownIds = () => page.$$eval("#tokens-list .token-row", (rows) => rows.map((row) => row.dataset.id));

  /** Waits until the whole list has been read (the summary no longer says it is reading); resolves to the summary. */
  async function listRead() {
    const summary = await page.waitForFunction(() => {
      const text = document.getElementById("tokens-summary").textContent;
      return text && !text.includes("still reading") && !text.startsWith("Reading") ? text : false;
    });
    return summary.jsonValue();
  }

  /** Waits until token `id`'s page is shown with the tokens it made. */
  async function detailRead(id) {
    await visible("#detail");
    await page.waitForFunction((id) => document.getElementById("detail-id").textContent === id
      && !document.getElementById("detail-children-summary").textContent.startsWith("Reading"), {}, id);
  }

  /** Every token the admin may see, read from the service page by page (as a person could not). */
  async function allTokens() {
    const tokens = [];
    let cursor;
    do {
      const query = new URLSearchParams({ limit: String((await serviceFacts()).pageLimit), ...(cursor ? { cursor } : {}) });
      const response = await fetch(`${origin}/api/v3/tokens?${query}`, { headers: { "x-auth-token": ADMIN } });
      assert.equal(response.status, 200);
      const page = await response.json();
      tokens.push(...page.tokens);
      cursor = page.cursor;
    } while (cursor);
    return tokens;
  }

  /** Creates a token through the API, as `secret`. */
  async function apiCreate(secret, body) {
    const response = await fetch(`${origin}/api/v3/tokens`, {
      method: "POST",
      headers: { "x-auth-token": secret, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    assert.equal(response.status, 201, await response.clone().text());
    const created = await response.json();
    secrets.push(created.token);
    return created;
  }

  /** Types a search into the list's search box, replacing what it held, and waits for the rows it finds. */
  async function searchTokens(query) {
    // As a person empties it: select everything, then delete.
    await page.focus("#tokens-search");
    await pressWithControl("a");
    await page.keyboard.press("Backspace");
    if (query !== "") await page.keyboard.type(query);
    await page.waitForFunction((query) => document.getElementById("tokens-summary").textContent.includes(query.trim()) || query.trim() === "", {}, query);
  }

  function assertNoSecretInUrls() {
    const urls = [page.url(), ...requests.map((request) => request.url)];
    for (const secret of secrets) {
      assert.ok(!urls.some((url) => url.includes(secret) || url.includes(encodeURIComponent(secret))), "a secret is in a URL");
    }
  }

  // ---- the flow ------------------------------------------------------------

  test("the signed-out page loads under the strict CSP", async () => {
    const response = await page.goto(`${origin}/`);
    assert.match(response.headers()["content-security-policy"], /script-src 'self' 'wasm-unsafe-eval'/);
    await visible("#sign-in");
    // The page is static HTML until app.js has run: it then enables the sign-in button.
    await visible("#sign-in-form button[type=submit]:not([disabled])");
    assert.equal(await page.title(), "edge-tokens console");
    assert.equal(await attribute("#secret", "type"), "password");
    assert.equal(await attribute("#secret", "autocomplete"), "off");
    await click("#show-secret");
    assert.equal(await attribute("#secret", "type"), "text");
    await click("#show-secret");
    assert.equal(await attribute("#secret", "type"), "password");
    await shot("signed-out");
  });

  test("a mistyped etk_ secret is refused without a request", async () => {
    const before = apiRequests().length;
    await signIn(`etk_${"A".repeat(38)}`);
    await visible("#sign-in-message.error");
    assert.match(await text("#sign-in-message"), /not a valid etk_ secret.*Nothing was sent/);
    await delay(200);
    assert.equal(apiRequests().length, before, "no request for a mistyped secret");
    assert.deepEqual((await storage()).session, {});
  });

  test("a wrong admin token is refused by the service, readably", async () => {
    await signIn("not-the-admin-token");
    await visible("#sign-in-message.error");
    assert.equal(await text("#sign-in-message"), "The token was not accepted: it is unknown, has expired or was deleted.");
    assert.ok(apiRequests().some((request) => request.url.endsWith("/api/v3/tokens?limit=1")), "asked with a free listing");
    assert.deepEqual((await storage()).session, {});
    await shot("refused");
  });

  test("the admin signs in by keyboard: no record, the whole catalogue to grant from", async () => {
    // A refused sign-in leaves the focus on the token field, ready for another try.
    assert.equal(await page.evaluate(() => document.activeElement.id), "secret");
    await pressWithControl("a");
    await page.keyboard.type(ADMIN);
    await page.keyboard.press("Enter");
    await visible("#mine-admin");
    assert.match(await text("#mine-admin"), /no token record.*may do everything/s);
    assert.equal(await text("#who"), "Signed in: admin token");
    const facts = await serviceFacts();
    assert.equal(await page.$$eval("#choices li.choice", (items) => items.length), facts.catalogue.length);
    // The operator's order: the tokens and the create form come before the long list of node routes.
    const order = await page.evaluate(() => ["tokens", "create", "delete", "node"]
      .map((id) => document.getElementById(id)).every((section, index, all) => index === 0 || all[index - 1].compareDocumentPosition(section) & Node.DOCUMENT_POSITION_FOLLOWING));
    assert.equal(order, true, "tokens, create and delete before the node operations");
    // Every bound the form has comes from the service's OpenAPI document, set at run time.
    assert.equal(await attribute("#description", "maxlength"), String(facts.maxDescription));
    assert.equal(await text("#description-note"), `(optional, up to ${facts.maxDescription} characters)`);
    assert.equal(await attribute("#lifetime", "max"), String(Math.floor(facts.maxLifetime / 3600)));
    assert.equal(await text("#lifetime-hint"), `Leave empty for a token that does not expire. The service allows at most ${Math.floor(facts.maxLifetime / 3600)} hours.`);
    await page.select("#lifetime-unit", "days");
    assert.equal(await attribute("#lifetime", "max"), String(Math.floor(facts.maxLifetime / 86400)));
    await page.select("#lifetime-unit", "hours");
    assert.deepEqual([await attribute("#limit-nodePing", "min"), await attribute("#limit-nodePing", "max")], [String(facts.minCalls), String(facts.maxCalls)]);
    assert.equal(await text("#delete-hint"), `Exactly ${facts.tokenId.maxLength} letters and digits, as shown when the token was created.`);
    assert.deepEqual(Object.values((await storage()).session), [ADMIN]);
    assert.deepEqual((await storage()).local, {});
    await shot("admin", { fullPage: true });
  });

  test("the admin sees every node operation, and tries read-only ones through the gateway", async () => {
    await visible("#node-groups li.op");
    assert.equal(gateway.enabled, true);
    assert.equal(await text("#node-summary"), `The admin token may call all ${gateway.routes.length} node operations.`);
    assert.match(await text("#node-gateway"), /A node is behind edge-tokens.*yours never reaches the node/);
    assert.deepEqual(await listedRoutes(), keysOf(gateway.routes), "every route, in the table's order");
    assert.deepEqual(await page.$$eval("#node-groups summary", (items) => items.map((item) => item.innerText.split(" ")[0])), ["/api/v4", "/api/v3", "Root"]);
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
    assert.equal(await page.evaluate(() => document.activeElement.closest(".op")?.dataset.route), "GET /api/v4/node/version", "focus stays on the button");
    const answerBox = await page.$eval(`${operation("GET /api/v4/node/info")} .op-answer`, (element) => {
      const style = getComputedStyle(element);
      return { tag: element.tagName, overflowY: style.overflowY, maxHeight: style.maxHeight, tabIndex: element.tabIndex };
    });
    assert.deepEqual(answerBox, { tag: "PRE", overflowY: "auto", maxHeight: answerBox.maxHeight, tabIndex: 0 });
    assert.notEqual(answerBox.maxHeight, "none", "the answer scrolls within a bounded height");
    await assertNoSecretShown();
    await page.$eval("#node", (element) => element.scrollIntoView());
    await (await page.$("#node")).screenshot({ path: join(artifacts, `console-${engine}-node-admin.png`) });
  });

  test("the admin creates a token with calls limits and a lifetime; its secret is shown once and copied", async () => {
    await check("#pick-tokensGetToken");
    assert.equal(await isVisible("#limit-tokensGetToken"), true);
    await fill("#limit-tokensGetToken", "0");
    await click("#create-form button[type=submit]");
    assert.match(await text("#create-message"), /tokensGetToken must be a whole number from 1/);
    await pick({ tokensGetToken: "5", tokensCreate: "3", tokensDelete: "" });
    await fill("#lifetime", "2");
    await page.select("#lifetime-unit", "hours");
    await fill("#description", `Console e2e parent ${"with-a-very-long-unbroken-description-".repeat(4)}end`);
    await click("#create-form button[type=submit]");
    parent = await createdToken();
    assert.match(parent.secret, /^etk_[0-9A-Za-z]{38}$/);
    assert.match(parent.id, /^[0-9A-Za-z]{22}$/);
    assert.match(await text("#created"), /cannot be shown again/);
    assert.match(await text("#create-message"), new RegExp(`Token ${parent.id} was created`));
    // The panel repeats what was granted, and how to use the secret.
    assert.deepEqual(await page.$$eval("#created-granted li", (items) => items.map((item) => item.innerText)),
      ["tokensCreate at most 3 calls", "tokensGetToken at most 5 calls", "tokensDelete no calls limit"]);
    assert.match(await text("#created-description"), /^Console e2e parent/);
    assert.match(await text("#created-expiry"), /\d{4}.*UTC/);
    assert.equal(await text("#created-base"), origin);
    assert.equal(await text("#created-example"), `curl -H "x-auth-token: <the secret>" ${origin}/api/v3/tokens`, "tokens* open no node route: the listing, which any token may read");
    assert.equal(await warnsBeforeLeaving(), true, "a reload would lose the secret: the browser asks first");
    // The form is empty again, ready for another token.
    assert.equal(await page.$$eval("#choices input[type=checkbox]:checked", (boxes) => boxes.length), 0);
    assert.deepEqual([await inputValue("#lifetime"), await inputValue("#description"), await inputValue("#lifetime-unit")], ["", "", "hours"]);
    assert.equal(await isVisible("#limit-tokensGetToken"), false);

    // Both engines let a page write the clipboard on a click, with no permission granted.
    await click("#copy-secret");
    await visible("#copy-message:not(:empty)");
    assert.equal(await text("#copy-message"), "Copied to the clipboard.");
    assert.equal(await pastedClipboard(), parent.secret);
    await page.$eval("#created", (element) => element.scrollIntoView({ block: "center" }));
    await shot("new-secret");
    await click("#created-done");
    assert.equal(await isVisible("#created"), false);
    assert.equal(await page.$eval("#created-secret", (element) => element.textContent), "");
    assert.equal(await warnsBeforeLeaving(), false, "nothing to lose any more");
    assertNoSecretInUrls();
  });

  test("signing in with the new token shows its capabilities, usage and a live countdown", async () => {
    await signOut();
    assert.deepEqual((await storage()).session, {});
    assert.match(await text("#status"), /signed out/);
    await signInAndWait(parent.secret, "#mine-issued");
    assert.deepEqual(Object.values((await storage()).session), [parent.secret]);
    assert.deepEqual((await storage()).local, {});
    assert.equal(await text("#mine-id"), parent.id);
    assert.match(await text("#mine-description"), /^Console e2e parent/);
    const rows = await heldRows();
    assert.equal(rows.length, 3);
    // Signing in read the token from its own listing: no tokensGetToken call spent.
    assert.match(rows.find((row) => row.includes("tokensGetToken")), /0 of 5 calls used/);
    assert.match(rows.find((row) => row.includes("tokensCreate")), /0 of 3 calls used/);
    assert.match(rows.find((row) => row.includes("tokensDelete")), /no calls limit/);
    const meter = await page.$$eval("#mine-capabilities li", (items) => {
      const meter = items.find((item) => item.innerText.includes("tokensGetToken")).querySelector("meter");
      return [meter.getAttribute("value"), meter.getAttribute("max")];
    });
    assert.deepEqual(meter, ["0", "5"]);
    assert.match(await text("#mine-expiry"), /\d{4}.*UTC/);
    const first = await text("#mine-countdown");
    assert.match(first, /^\((2 h 0 min 0 s|1 h 59 min \d+ s) left\)$/);
    await page.waitForFunction((previous) => document.getElementById("mine-countdown").textContent !== previous, { timeout: 3_000 }, first);

    // A reload keeps the tab's session: the token is read again, and that spends nothing either.
    const asked = requests.length;
    await page.reload();
    await visible("#mine-issued");
    assert.match(await heldRow("tokensGetToken"), /0 of 5 calls used/);
    assert.ok(!requests.slice(asked).some((request) => new URL(request.url).pathname === "/api/v3/token"), "no GET /api/v3/token");
    // Its list starts with itself.
    await visible("#tokens-list .token-row");
    assert.equal(await page.$eval("#tokens-list .token-row", (row) => row.dataset.id), parent.id);
    assert.match(await page.$eval("#tokens-list .token-row", (row) => row.innerText), /Your token/);

    await page.evaluate(() => scrollTo(0, 0));
    await shot("issued");
    // The README's picture changes with every run (ids, times): refresh it on request only.
    if (process.env.UPDATE_README_SCREENSHOT && engine === "chromium") await page.screenshot({ path: readmeScreenshot });
    await page.setViewport({ width: 360, height: 740 });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), "no horizontal scrolling at 360 px");
    await shot("phone", { fullPage: true });
    await page.setViewport({ width: 1280, height: 800 });
    assertNoSecretInUrls();
  });

  test("the issued token creates a narrower child, within its own bounds", async () => {
    const offered = await page.$$eval("#choices li.choice", (items) => items.map((item) => item.dataset.endpoint));
    assert.deepEqual(offered.sort(), ["tokensCreate", "tokensDelete", "tokensGetToken"], "only what it holds");
    await check("#pick-tokensGetToken");
    assert.equal(await inputValue("#limit-tokensGetToken"), "5", "pre-filled with its own max");
    assert.equal(await attribute("#limit-tokensGetToken", "max"), "5");
    assert.match(await text("#lifetime-hint"), /at most [12] hours?\b/);

    const before = apiRequests().length;
    await fill("#limit-tokensGetToken", "6");
    await click("#create-form button[type=submit]");
    assert.match(await text("#create-message"), /from 1 to 5/);
    await fill("#limit-tokensGetToken", "2");
    await fill("#lifetime", "3");
    await click("#create-form button[type=submit]");
    assert.match(await text("#create-message"), /may not outlive yours: choose at most [12] hours?\./);
    assert.equal(apiRequests().length, before, "nothing sent for a draft out of bounds");

    await fill("#lifetime", "30");
    await page.select("#lifetime-unit", "minutes");
    await fill("#description", "child");
    // No clipboard here: the console must say how to copy by hand.
    await page.evaluate(() => Object.defineProperty(navigator, "clipboard", { value: undefined, configurable: true }));
    await click("#create-form button[type=submit]");
    child = await createdToken();
    assert.notEqual(child.id, parent.id);
    await click("#copy-secret");
    await visible("#copy-message:not(:empty)");
    assert.match(await text("#copy-message"), /not available here.*selected/);
    assert.equal(await page.evaluate(() => getSelection().toString()), child.secret);
    const rows = await heldRows();
    assert.match(rows.find((row) => row.includes("tokensCreate")), /1 of 3 calls used/);
    await click("#created-done");
  });

  test("a used-up calls limit is refused by the service, readably", async () => {
    // The parent may create 3 tokens; the child was the first. The 4th create is refused.
    for (const count of [2, 3]) {
      // The form was emptied by the last create: pick again (its limit is pre-filled with the holder's).
      await check("#pick-tokensGetToken");
      await click("#create-form button[type=submit]");
      await createdToken();
      await heldRow(`${count} of 3 calls used`);
      await click("#created-done");
    }
    await check("#pick-tokensGetToken");
    await click("#create-form button[type=submit]");
    await visible("#create-message.error");
    // The reason, and the numbers of the token's own limit as the console counted them.
    assert.equal(await text("#create-message"),
      "Your token may not create tokens: its calls limit for tokensCreate is used up (3 of 3 calls used).");
    assert.equal(await isVisible("#created"), false);
  });

  test("deleting the child asks first, naming it and what goes with it; cancelling deletes nothing", async () => {
    const deletes = () => apiRequests().filter((request) => request.method === "DELETE").length;
    const before = deletes();
    await confirmDeletion(child.id);
    assert.equal(await isVisible("#confirm-self"), false);
    assert.equal(await text("#confirm-name"), "“child”");
    assert.equal(await text("#confirm-below"), "No token was made from it: only this one goes.");
    await click("#confirm-cancel");
    assert.equal(await text("#delete-message"), "Nothing was deleted.");
    await confirmDeletion(child.id);
    await page.keyboard.press("Escape");
    assert.equal(await isVisible("#confirm-delete"), false);
    assert.equal(deletes(), before, "no delete without a confirmation");

    await confirmDeletion(child.id);
    await click("#confirm-ok");
    await visible("#delete-message.ok");
    assert.equal(await text("#delete-message"), `Token “child” (${child.id}) was deleted.`);
    assert.ok(requests.some((request) => request.method === "DELETE" && request.url.endsWith(`/api/v3/tokens/${child.id}`)));
    assert.equal(await inputValue("#delete-id"), "");
  });

  test("a deleted, well-formed secret is refused by the service, readably", async () => {
    await signOut();
    await signIn(child.secret);
    await visible("#sign-in-message.error");
    assert.equal(await text("#sign-in-message"), "The token was not accepted: it is unknown, has expired or was deleted.");
    assert.deepEqual((await storage()).session, {});
  });

  test("deleting the signed-in token signs out", async () => {
    await signInAndWait(parent.secret, "#mine-issued");
    await confirmDeletion(parent.id);
    assert.equal(await isVisible("#confirm-self"), true);
    await shot("confirm-delete");
    await click("#confirm-ok");
    await visible("#sign-in");
    assert.match(await text("#status"), /deleted the token you were signed in with.*signed out/);
    assert.deepEqual(await storage(), { session: {}, local: {} });
  });

  test("a token at the deepest level of delegation is told how deep it may go, from the service's own bound", async () => {
    const { maxDepth } = await serviceFacts();
    // A chain of tokens, each created by the one before, until the service refuses one more level.
    let secret = ADMIN;
    let levels = 0;
    for (;;) {
      const response = await fetch(`${origin}/api/v3/tokens`, {
        method: "POST",
        headers: { "x-auth-token": secret, "content-type": "application/json" },
        // The first expires in an hour; the others expire with it.
        body: JSON.stringify({ capabilities: [{ endpoint: "tokensCreate" }, { endpoint: "tokensGetToken" }], ...(levels === 0 ? { lifetime: 3600 } : {}) }),
      });
      if (response.status === 403) {
        assert.equal((await response.json()).reason, "depth_limit");
        break;
      }
      assert.equal(response.status, 201);
      secret = (await response.json()).token;
      secrets.push(secret);
      levels += 1;
      assert.ok(levels <= maxDepth + 1, "the service refuses deeper delegation");
    }
    assert.equal(levels, maxDepth + 1, "the admin's token and as many levels below it as the document says");
    await signInAndWait(secret, "#mine-issued");
    await pick({ tokensGetToken: "" });
    await click("#create-form button[type=submit]");
    await visible("#create-message.error");
    assert.equal(await text("#create-message"),
      `Tokens can be handed down only ${maxDepth} levels deep, and yours is at the deepest level: it cannot create tokens. Use a token nearer the admin token.`);
    await signOut();
  });

  test("an issued token sees exactly the node operations it holds, and tries them within its calls limit", async () => {
    await signInAndWait(ADMIN, "#mine-admin");
    await pick({ tokensGetToken: "", nodeGetInfo: "2", nodeGetVersion: "", nodeGetStatus: "", channelsGetChannel: "", accountWithdraw: "" });
    await fill("#lifetime", "1");
    await page.select("#lifetime-unit", "hours");
    await fill("#description", "node reader");
    await click("#create-form button[type=submit]");
    reader = await createdToken();
    await click("#created-done");
    await signOut();
    await signInAndWait(reader.secret, "#mine-issued");

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
    assert.match(await heldRow("nodeGetInfo"), /1 of 2 calls used/);
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
    assertNodeSawOnlyItsToken();
    await assertNoSecretShown();

    // It may not create, delete or rotate tokens: the console offers none of it.
    assert.deepEqual([await isVisible("#create"), await isVisible("#delete")], [false, false]);
    await visible("#tokens-list .token-row");
    assert.equal(await page.$$eval("#tokens-list button[data-action=rotate], #tokens-list button[data-action=delete]", (buttons) => buttons.length), 0);

    await page.$eval("#node", (element) => element.scrollIntoView());
    await (await page.$("#node")).screenshot({ path: join(artifacts, `console-${engine}-node-issued.png`) });
    await page.setViewport({ width: 360, height: 740 });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), "no horizontal scrolling at 360 px");
    await page.$eval("#node", (element) => element.scrollIntoView());
    await (await page.$("#node")).screenshot({ path: join(artifacts, `console-${engine}-node-phone.png`) });
    await page.setViewport({ width: 1280, height: 800 });
    assertNoSecretInUrls();
  });

  test("a node that does not answer in time gives a readable sentence", async () => {
    node.hang("/api/v4/node/status");
    const silent = await tryRoute("GET /api/v4/node/status");
    assert.equal(silent.status, "The node did not answer in time: edge-tokens stopped waiting for it. Try again in a moment.");
    assert.equal(silent.answer, null);
    // The gateway forwarded it, so it counted; nodeGetStatus has no limit, so nothing to show.
    assert.equal(await usageOf("GET /api/v4/node/status"), "");
  });

  test("a 404 NOT_FOUND is told to be the node's or the gateway's by asking the gateway again, not by its text", async () => {
    // The fake node has no such answer and the gateway cannot lose its node
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
    await page.setRequestInterception(true);
    page.on("request", answer);
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
      page.off("request", answer);
      await page.setRequestInterception(false);
    }
  });

  test("a token without tokensGetToken sees its own capabilities and usage, its node operations, and a reload spends nothing", async () => {
    const created = await fetch(`${origin}/api/v3/tokens`, {
      method: "POST",
      headers: { "x-auth-token": ADMIN, "content-type": "application/json" },
      body: JSON.stringify({
        capabilities: [{ endpoint: "nodeGetInfo", limits: [{ type: "calls", conditions: { max: 3 } }] },
          { endpoint: "tokensCreate", limits: [{ type: "calls", conditions: { max: 2 } }] }],
        lifetime: 3600,
        description: `no reader ${engine}`,
      }),
    });
    assert.equal(created.status, 201);
    const blind = await created.json();
    secrets.push(blind.token);
    // Some use first, so that the counters have something to show (and to keep).
    const called = await fetch(`${origin}/api/v4/node/info`, { headers: { "x-auth-token": blind.token } });
    assert.equal(called.status, 200);
    const made = await fetch(`${origin}/api/v3/tokens`, {
      method: "POST",
      headers: { "x-auth-token": blind.token, "content-type": "application/json" },
      body: JSON.stringify({ capabilities: [{ endpoint: "nodeGetInfo", limits: [{ type: "calls", conditions: { max: 1 } }] }], description: `made by no reader ${engine}` }),
    });
    assert.equal(made.status, 201);
    const kid = await made.json();
    secrets.push(kid.token);
    const readBack = await fetch(`${origin}/api/v3/token`, { headers: { "x-auth-token": blind.token } });
    assert.equal(readBack.status, 403, "it may not read itself with GET /token");
    assert.equal((await readBack.json()).reason, "missing_capability");
    const usedNow = async () => (await (await fetch(`${origin}/api/v3/tokens/${blind.id}`, { headers: { "x-auth-token": ADMIN } })).json()).capabilities;

    await signOut();
    const before = await usedNow();
    const asked = requests.length;
    await signInAndWait(blind.token, "#mine-issued");
    assert.equal(await text("#mine-id"), blind.id);
    assert.equal(await text("#mine-description"), `no reader ${engine}`);
    assert.match(await heldRow("nodeGetInfo"), /1 of 3 calls used/);
    assert.match(await heldRow("tokensCreate"), /1 of 2 calls used/);
    // Its node operations are known exactly: what it holds, and the routes that need no token.
    await visible("#node-groups li.op");
    assert.deepEqual(await listedRoutes(), keysOf(gateway.routes.filter((route) => route.capability === null || route.capability === "nodeGetInfo")));
    assert.equal(await usageOf("GET /api/v4/node/info"), "1 of 3 calls used");
    // It may create (and is offered only what it holds), not delete.
    assert.deepEqual([await isVisible("#create"), await isVisible("#delete")], [true, false]);
    assert.deepEqual((await page.$$eval("#choices li.choice", (items) => items.map((item) => item.dataset.endpoint))).sort(), ["nodeGetInfo", "tokensCreate"]);
    // Its list: itself first, then the token it made.
    await page.waitForFunction(() => document.querySelectorAll("#tokens-list .token-row").length === 2);
    assert.deepEqual(await page.$$eval("#tokens-list .token-row", (rows) => rows.map((row) => row.dataset.id)), [blind.id, kid.id]);
    assert.match(await page.$eval(`#tokens-list .token-row[data-id="${kid.id}"]`, (row) => row.innerText), /Made by “no reader/);
    assert.match(await page.$eval(`#tokens-list .token-row[data-id="${kid.id}"]`, (row) => row.innerText), /nodeGetInfo\s+0 of 1 call used/);

    await page.reload();
    await visible("#mine-issued");
    assert.match(await heldRow("nodeGetInfo"), /1 of 3 calls used/);
    await visible("#tokens-list .token-row");
    assert.deepEqual(await usedNow(), before, "signing in and reloading moved no usage counter");
    assert.ok(!requests.slice(asked).some((request) => new URL(request.url).pathname === "/api/v3/token"), "no GET /api/v3/token");

    const from = node.received.length;
    const health = await tryRoute("GET /healthyz");
    assert.equal(JSON.parse(health.answer).path, "/healthyz");
    assert.equal(nodeSaw(from, "/healthyz").length, 1);
    assertNodeSawOnlyItsToken();
    await signOut();
    assert.equal(await isVisible("#node"), false);
    assert.equal(await page.$$eval("#node-groups li", (items) => items.length), 0, "signing out forgets the list");
    assert.equal(await page.$$eval("#tokens-list li", (items) => items.length), 0, "and the tokens");
  });

  test("a node call refused because the token was deleted meanwhile signs out; the console asked the service, not the text", async () => {
    await signInAndWait(reader.secret, "#mine-issued");
    await visible("#node-groups li.op");
    const deleted = await fetch(`${origin}/api/v3/tokens/${reader.id}`, { method: "DELETE", headers: { "x-auth-token": ADMIN } });
    assert.equal(deleted.status, 204);
    const from = node.received.length;
    const asked = requests.length;
    await click(`${operation("GET /api/v4/node/version")} .op-try`);
    await visible("#sign-in");
    assert.equal(await text("#status"), "The token was not accepted: it is unknown, has expired or was deleted. You are signed out.");
    assert.ok(requests.slice(asked).some((request) => request.url === `${origin}/api/v3/tokens?limit=1`), "it asked the service whether the token is still accepted (for free)");
    assert.equal(nodeSaw(from, "/api/v4/node/version").length, 0, "nothing reached the node");
    assert.deepEqual(await storage(), { session: {}, local: {} });
  });

  // ---- conditions: spend budgets, targets, listen ranges ----------------------

  const PEER = "0xb4ce7e6e36ac8b01a974725d5ba730af2b156fbe";
  const OTHER = "0xa8194d36e322592d4c707b70dbe96121f5c74c64";
  const STRANGER = "0x1111111111111111111111111111111111111111";
  let conditioned;
  let narrower;

  /** A token's capabilities as the service stored them (read by the admin), by endpoint. */
  async function storedCapabilities(id) {
    const response = await fetch(`${origin}/api/v3/tokens/${id}`, { headers: { "x-auth-token": ADMIN } });
    assert.equal(response.status, 200);
    return Object.fromEntries((await response.json()).capabilities.map(({ endpoint, limits }) => [endpoint, limits]));
  }

  /** Submits the create form, expecting the console to refuse it with `problem` before sending anything. */
  async function refusedDraft(problem) {
    const before = apiRequests().length;
    await click("#create-form button[type=submit]");
    await page.waitForFunction((problem) => document.getElementById("create-message").textContent === problem, { timeout: 3_000 }, problem)
      .catch(async () => assert.equal(await text("#create-message"), problem));
    assert.match(await attribute("#create-message", "class"), /error/);
    assert.equal(apiRequests().length, before, "nothing sent for a draft out of bounds");
  }

  test("the admin creates a token with a spend budget, targets and listen ranges; the service stores exactly those", async () => {
    await signInAndWait(ADMIN, "#mine-admin");
    // Only a picked capability shows its conditions, and only those its routes take, in their currencies.
    assert.equal(await isVisible("#spend-channelsFundChannels-wxHOPR"), false);
    await check("#pick-channelsFundChannels");
    await visible("#spend-channelsFundChannels-wxHOPR");
    const fund = gateway.capabilities.find((capability) => capability.name === "channelsFundChannels");
    assert.deepEqual(await page.$$eval('#choices li[data-endpoint="channelsFundChannels"] .condition-spend', (inputs) => inputs.map((input) => input.dataset.currency)),
      fund.currencies, "a spend field for each currency of the gateway's table");
    assert.equal(await page.$('#listen-channelsFundChannels'), null, "funding opens no listener");
    await check("#pick-accountWithdraw");
    assert.deepEqual(await page.$$eval('#choices li[data-endpoint="accountWithdraw"] .condition-spend', (inputs) => inputs.map((input) => input.dataset.currency)),
      gateway.capabilities.find((capability) => capability.name === "accountWithdraw").currencies);
    await click("#pick-accountWithdraw");
    assert.equal(await isVisible("#spend-accountWithdraw-xDai"), false, "unpicked: its conditions are hidden again");

    await fill("#spend-channelsFundChannels-wxHOPR", "1");
    await fill("#targets-channelsFundChannels", `${PEER}\n0x1234`);
    await check("#pick-sessionsCreateClient");
    assert.match(await text("#listen-sessionsCreateClient-hint"), /Without any, they may listen on loopback addresses only\./);
    await fill("#listen-sessionsCreateClient", "127.0.0.1:10000-10100\n[::1]:8080");
    await pick({ tokensCreate: "", tokensGetToken: "" });
    await fill("#lifetime", "1");
    await fill("#description", `conditions ${engine}`);
    await refusedDraft("Line 2 of the target addresses of channelsFundChannels is not an on-chain address: “0x1234”.");
    await fill("#spend-channelsFundChannels-wxHOPR", "0.0000000000000000001");
    await fill("#targets-channelsFundChannels", `${PEER}\n${OTHER.toUpperCase().replace("0X", "0x")}`);
    await refusedDraft("The spend budget of channelsFundChannels in wxHOPR may have at most 18 decimals.");
    await fill("#spend-channelsFundChannels-wxHOPR", "1");
    await page.setViewport({ width: 390, height: 844 });
    await page.$eval('#choices li[data-endpoint="channelsFundChannels"]', (element) => element.scrollIntoView());
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), "the condition fields fit 390 px");
    await shot("conditions-form-phone");
    await page.setViewport({ width: 1280, height: 800 });
    await click("#create-form button[type=submit]");
    conditioned = await createdToken();

    // The summary says what was granted, the targets shortened and in full.
    const granted = await page.$$eval("#created-granted > li", (items) => Object.fromEntries(items.map((item) => [item.querySelector("code").textContent, item.innerText])));
    assert.match(granted.channelsFundChannels, /no calls limit, at most 1 wxHOPR moved\s+Only to 2 addresses: 0xb4ce…6fbe, 0xA819…4C64/, "as typed");
    assert.match(granted.sessionsCreateClient, /no calls limit, sessions listen only on 127\.0\.0\.1:10000-10100, \[::1\]:8080/);
    assert.deepEqual(await page.$$eval('#created-granted details code', (codes) => codes.map((code) => code.textContent)), [PEER, OTHER.toUpperCase().replace("0X", "0x")]);
    await page.$eval("#created-granted", (element) => element.scrollIntoView({ block: "center" }));
    await shot("conditions-created");
    await click("#created-done");

    // As stored: the service's own spelling (the amount as the node writes it, addresses in lower case, sorted).
    const stored = await storedCapabilities(conditioned.id);
    assert.deepEqual(stored.channelsFundChannels, [
      { type: "spend", conditions: { max: "1 wxHOPR" }, used: "0 wxHOPR" },
      { type: "targets", conditions: { allow: [OTHER, PEER] } },
    ]);
    assert.deepEqual(stored.sessionsCreateClient, [{ type: "listen", conditions: { allow: ["127.0.0.1:10000-10100", "[::1]:8080"] } }]);
    assert.deepEqual([stored.tokensCreate, stored.tokensGetToken], [[], []]);
    assert.equal(Object.keys(stored).length, 4);
  });

  test("a delegated token's form keeps its creator's conditions, no wider; the service agrees", async () => {
    await signOut();
    await signInAndWait(conditioned.secret, "#mine-issued");
    // Its own page shows them.
    assert.match(await heldRow("channelsFundChannels"), /0 of 1 wxHOPR moved, 1 wxHOPR left/);
    assert.match(await heldRow("channelsFundChannels"), /Only to 2 addresses: 0xa819…4c64, 0xb4ce…6fbe/);
    assert.match(await heldRow("sessionsCreateClient"), /Sessions listen only on 127\.0\.0\.1:10000-10100, \[::1\]:8080/);
    assert.match(await text("#choices-hint"), /Where yours has conditions, the new token keeps them, no wider: a spend budget no larger .* targets among yours, and listen ranges within yours/);

    // The form starts from its own conditions.
    await check("#pick-channelsFundChannels");
    assert.equal(await inputValue("#spend-channelsFundChannels-wxHOPR"), "1");
    assert.match(await text("#spend-channelsFundChannels-wxHOPR-hint"), /At most 1 wxHOPR, as your token's\./);
    assert.equal(await inputValue("#targets-channelsFundChannels"), `${OTHER}\n${PEER}`);
    await check("#pick-sessionsCreateClient");
    assert.equal(await inputValue("#listen-sessionsCreateClient"), "127.0.0.1:10000-10100\n[::1]:8080");
    assert.match(await text("#listen-sessionsCreateClient-hint"), /must be within them/);
    await page.$eval('#choices li[data-endpoint="channelsFundChannels"]', (element) => element.scrollIntoView());
    await shot("conditions-delegated-form");

    // Wider is refused, each by the console first.
    await fill("#spend-channelsFundChannels-wxHOPR", "1.5");
    await refusedDraft("The spend budget of channelsFundChannels in wxHOPR may be at most 1 wxHOPR: yours is no larger.");
    await fill("#spend-channelsFundChannels-wxHOPR", "");
    await refusedDraft("Give channelsFundChannels a spend budget of at most 1 wxHOPR: yours has one, and the new token must keep it.");
    await fill("#spend-channelsFundChannels-wxHOPR", "0.5");
    await fill("#targets-channelsFundChannels", `${PEER}\n${STRANGER}`);
    await refusedDraft(`Line 2 of the target addresses of channelsFundChannels is not among your token's own targets: “${STRANGER}”.`);
    await fill("#targets-channelsFundChannels", PEER.toUpperCase().replace("0X", "0x"));
    await fill("#listen-sessionsCreateClient", "127.0.0.1:10050-10060\n0.0.0.0:10000");
    await refusedDraft("Line 2 of the listen ranges of sessionsCreateClient is not within your token's own (127.0.0.1:10000-10100, [::1]:8080): “0.0.0.0:10000”.");

    // The service agrees: each of those, sent anyway, is refused.
    const asConditioned = (capabilities) => fetch(`${origin}/api/v3/tokens`, {
      method: "POST",
      headers: { "x-auth-token": conditioned.secret, "content-type": "application/json" },
      body: JSON.stringify({ capabilities }),
    });
    const spend = (max) => ({ type: "spend", conditions: { max } });
    const targets = (...allow) => ({ type: "targets", conditions: { allow } });
    const listen = (...allow) => ({ type: "listen", conditions: { allow } });
    for (const capability of [
      { endpoint: "channelsFundChannels", limits: [spend("1.5 wxHOPR"), targets(PEER)] },
      { endpoint: "channelsFundChannels", limits: [targets(PEER)] },
      { endpoint: "channelsFundChannels", limits: [spend("0.5 wxHOPR"), targets(PEER, STRANGER)] },
      { endpoint: "channelsFundChannels", limits: [spend("0.5 wxHOPR")] },
      { endpoint: "sessionsCreateClient", limits: [listen("127.0.0.1:10050-10060", "0.0.0.0:10000")] },
      { endpoint: "sessionsCreateClient", limits: [] },
    ]) {
      const refused = await asConditioned([capability]);
      assert.equal(refused.status, 403, JSON.stringify(capability));
      assert.deepEqual(await refused.json(), { status: "FORBIDDEN", error: "requested token capabilities not allowed", reason: "capabilities_not_allowed" });
    }

    // Narrower is created, and stored exactly so.
    await fill("#listen-sessionsCreateClient", "127.0.0.1:10050-10060");
    await fill("#description", `narrower ${engine}`);
    await click("#create-form button[type=submit]");
    narrower = await createdToken();
    await click("#created-done");
    const stored = await storedCapabilities(narrower.id);
    assert.deepEqual(stored.channelsFundChannels, [
      { type: "spend", conditions: { max: "0.5 wxHOPR" }, used: "0 wxHOPR" },
      { type: "targets", conditions: { allow: [PEER] } },
    ]);
    assert.deepEqual(stored.sessionsCreateClient, [{ type: "listen", conditions: { allow: ["127.0.0.1:10050-10060"] } }]);
  });

  test("a partly spent budget shows what was moved and what is left, exact to the wei", async () => {
    // Signed in with the conditioned token since the test before: signed out whatever happens, for the tests after.
    try {
      const fund = (secret, amount, address = PEER) => fetch(`${origin}/api/v4/channels/${address}/fund`, {
        method: "POST",
        headers: { "x-auth-token": secret, "content-type": "application/json" },
        body: JSON.stringify({ amount }),
      });
      const from = node.received.length;
      const funded = await fund(conditioned.secret, "0.3 wxHOPR");
      assert.equal(funded.status, 200, `the gateway forwards a call within the budget: ${await funded.clone().text()}`);
      assert.equal(nodeSaw(from, `/api/v4/channels/${PEER}/fund`).length, 1, "the node was asked once");
      // Outside the conditions: refused, and never forwarded.
      const over = await fund(conditioned.secret, "0.8 wxHOPR");
      assert.equal(over.status, 403);
      assert.equal((await over.json()).reason, "condition_failed");
      assert.equal((await fund(conditioned.secret, "0.1 wxHOPR", STRANGER)).status, 403);
      assert.equal(node.received.length, from + 1, "a refused call never reaches the node");

      // Its own view, read again (free).
      await click("#refresh");
      await visible("#status.ok");
      assert.match(await heldRow("channelsFundChannels"), /0\.3 of 1 wxHOPR moved, 0\.7 wxHOPR left/);
      const meter = await page.$$eval("#mine-capabilities li", (items) => {
        const found = items.find((item) => item.innerText.includes("channelsFundChannels")).querySelector("meter");
        return [found.value, found.max, found.getAttribute("aria-label")];
      });
      assert.deepEqual(meter, [0.3, 1, "channelsFundChannels: 0.3 of 1 wxHOPR moved, 0.7 wxHOPR left"]);
      // Its page and its row in the list.
      await page.waitForFunction((id) => document.querySelector(`#tokens-list .token-row[data-id="${id}"]`), {}, conditioned.id);
      await click("#tokens-reload");
      await listRead();
      const row = `#tokens-list .token-row[data-id="${conditioned.id}"]`;
      await page.waitForFunction((row) => document.querySelector(row)?.innerText.includes("0.3 of 1 wxHOPR moved"), {}, row);
      assert.match(await text(row), /Only to 2 addresses/);
      await click(`${row} .token-open`);
      await detailRead(conditioned.id);
      assert.match(await text("#detail-capabilities"), /channelsFundChannels\s+no calls limit\s+0\.3 of 1 wxHOPR moved, 0\.7 wxHOPR left/);
      // The targets in full, one click away.
      const summary = "#detail-capabilities details.held-targets > summary";
      const fullShown = () => page.$eval("#detail-capabilities details.held-targets li", (item) => item.checkVisibility());
      assert.equal(await fullShown(), false);
      await click(summary);
      assert.equal(await fullShown(), true);
      assert.deepEqual(await page.$$eval("#detail-capabilities details.held-targets li", (items) => items.map((item) => item.innerText)), [OTHER, PEER]);

      // One wei more, by the token below it: shared up the tree, and exact (floating point would say 0.7).
      assert.equal((await fund(narrower.secret, "1 wei wxHOPR")).status, 200);
      await click("#detail-back");
      await click(`${row} .token-open`);
      await detailRead(conditioned.id);
      await page.waitForFunction(() => document.getElementById("detail-capabilities").innerText.includes("0.300000000000000001 of 1 wxHOPR moved"));
      assert.match(await text("#detail-capabilities"), /0\.300000000000000001 of 1 wxHOPR moved, 0\.699999999999999999 wxHOPR left/);
      await page.setViewport({ width: 390, height: 844 });
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), "a token's conditions fit 390 px");
      await page.$eval("#detail-capabilities", (element) => element.scrollIntoView());
      await shot("conditions-detail-phone");
      await page.setViewport({ width: 1280, height: 800 });
      await page.$eval("#detail-capabilities", (element) => element.scrollIntoView());
      await shot("conditions-detail");
      await click(`#detail-children li[data-id="${narrower.id}"] button`);
      await detailRead(narrower.id);
      assert.match(await text("#detail-capabilities"), /0\.000000000000000001 of 0\.5 wxHOPR moved, 0\.499999999999999999 wxHOPR left/);
      assert.match(await text("#detail-capabilities"), /Only to 1 address: 0xb4ce…6fbe/);
      assert.match(await text("#detail-capabilities"), /Sessions listen only on 127\.0\.0\.1:10050-10060/);
      await click("#detail-back");
    } finally {
      await signOut();
    }
  });

  // ---- the operator's path ---------------------------------------------------

  /** This run's tokens of the operator's path, by a tag no other run or engine shares. */
  const tag = `ops-${engine}-${randomBytes(3).toString("hex")}`;
  const PAGED = 150;
  let paged;
  let found;

  test("the admin sees the tokens it made, with their usage, and pages through 150 of them", async () => {
    paged = [];
    for (let start = 0; start < PAGED; start += 15) {
      paged.push(...await Promise.all(Array.from({ length: Math.min(15, PAGED - start) }, (_, index) => apiCreate(ADMIN, {
        capabilities: [{ endpoint: "nodeGetInfo", limits: [{ type: "calls", conditions: { max: 5 } }] }, { endpoint: "nodeGetVersion" }],
        lifetime: 7200,
        description: `${tag} page ${start + index + 1}`,
      }))));
    }
    // Two calls by one of them: the list shows its usage.
    const busy = paged[41];
    for (let call = 0; call < 2; call += 1) {
      assert.equal((await fetch(`${origin}/api/v4/node/info`, { headers: { "x-auth-token": busy.token } })).status, 200);
    }

    await signInAndWait(ADMIN, "#mine-admin");
    const summary = await listRead();
    const everything = await allTokens();
    const total = everything.length;
    assert.ok(total >= PAGED);
    const perPage = (await shownIds()).length;
    const pages = Math.ceil(total / perPage);
    assert.equal(summary, `Tokens 1 to ${perPage} of ${total} (page 1 of ${pages}).`);
    assert.equal(await text("#tokens-page"), `Page 1 of ${pages}`);
    assert.equal(await page.$eval("#tokens-prev", (button) => button.disabled), true);

    // Page by page to the end, by mouse and by keyboard; each token once.
    const seen = [...await shownIds()];
    for (let at = 2; at <= pages; at += 1) {
      if (at % 2 === 0 && at < pages) {
        await click("#tokens-next");
      } else {
        await page.focus("#tokens-next");
        await page.keyboard.press("Enter");
      }
      await page.waitForFunction((at) => document.getElementById("tokens-page").textContent.startsWith(`Page ${at} `), {}, at);
      assert.match(await text("#tokens-summary"), new RegExp(`^Tokens ${(at - 1) * perPage + 1} to \\d+ of ${total} \\(page ${at} of ${pages}\\)\\.$`));
      seen.push(...await shownIds());
    }
    assert.equal(await page.$eval("#tokens-next", (button) => button.disabled), true);
    assert.equal(await page.evaluate(() => document.activeElement.id), "tokens-prev", "the focus stays on the pager");
    assert.equal(new Set(seen).size, seen.length, "no token twice");
    assert.deepEqual([...seen].sort(), everything.map((token) => token.id).sort(), "every token the service lists");
    for (const made of paged) assert.ok(seen.includes(made.id));

    // Its usage, with a bar.
    await searchTokens(`${tag} page 42`);
    assert.deepEqual(await shownIds(), [busy.id]);
    const row = `#tokens-list .token-row[data-id="${busy.id}"]`;
    assert.match(await text(row), /nodeGetInfo\s+2 of 5 calls used/);
    assert.match(await text(row), /Without a calls limit: nodeGetVersion/);
    assert.match(await text(row), /Made by the admin token/);
    assert.match(await text(row), /Expires\s+.*\((1 h \d+ min|2 h 0 min) \d+ s left\)/);
    assert.deepEqual(await page.$eval(`${row} meter`, (meter) => [meter.value, meter.max, meter.getAttribute("aria-label")]), [2, 5, "nodeGetInfo: 2 of 5 calls used"]);
    await searchTokens("");
  });

  test("the admin finds a token by description, opens it, and rotates it: the old secret is refused, the new one accepted", async () => {
    const wanted = paged[136];
    await searchTokens(`${tag} PAGE 137`);
    assert.equal(await text("#tokens-summary"), `1 token matches “${tag} PAGE 137”.`);
    assert.deepEqual(await shownIds(), [wanted.id]);
    await click(`#tokens-list .token-row[data-id="${wanted.id}"] .token-open`);
    await detailRead(wanted.id);
    assert.equal(await page.evaluate(() => document.activeElement.id), "detail-title", "the focus moves to the token's page");
    assert.equal(await text("#detail-title"), `${tag} page 137`);
    assert.equal(await text("#detail-id"), wanted.id);
    assert.equal(await text("#detail-parent"), "The admin token");
    assert.equal(await text("#detail-descendants"), "No tokens");
    assert.equal(await text("#detail-children-summary"), "It made no tokens.");
    assert.match(await text("#detail-capabilities"), /nodeGetInfo\s+0 of 5 calls used/);
    assert.equal(await isVisible("#tokens"), false);
    await shot("detail");

    const inspect = async () => (await fetch(`${origin}/api/v3/tokens/${wanted.id}`, { headers: { "x-auth-token": ADMIN } })).json();
    const unrotated = await inspect();
    await click("#detail-rotate");
    await visible("#confirm-rotate");
    assert.equal(await text("#rotate-name"), `“${tag} page 137”`);
    const { maxGrace } = await serviceFacts();
    assert.equal(await attribute("#rotate-grace", "max"), String(maxGrace), "the service's longest grace period");
    await fill("#rotate-grace", String(maxGrace + 1));
    await click("#rotate-ok");
    assert.match(await text("#rotate-message"), new RegExp(`from 0 to ${maxGrace}\\.`));
    assert.equal(await isVisible("#confirm-rotate"), true, "a grace out of bounds keeps the dialog open, and sends nothing");
    await fill("#rotate-grace", "0");
    await click("#rotate-ok");
    await visible("#rotated");
    const secret = await text("#rotated-secret");
    secrets.push(secret);
    assert.match(secret, /^etk_/);
    assert.notEqual(secret, wanted.token);
    assert.match(await text("#rotated-about"), /The old one is refused from now on/);
    assert.equal(await warnsBeforeLeaving(), true);
    assert.match(await text("#detail-message"), /has a new secret; the old one is refused\./);

    const as = (token) => fetch(`${origin}/api/v3/tokens?limit=1`, { headers: { "x-auth-token": token } });
    assert.equal((await as(wanted.token)).status, 401, "the old secret is refused");
    const accepted = await as(secret);
    assert.equal(accepted.status, 200, "the new one is accepted");
    assert.equal((await accepted.json()).tokens[0].id, wanted.id, "for the same token");
    assert.deepEqual(await inspect(), unrotated, "the same token: capabilities, counters, expiry, maker and age");
    await click("#rotated-done");
    assert.equal(await warnsBeforeLeaving(), false);
    found = { ...wanted, token: secret };
    await click("#detail-back");
    await visible("#tokens");
    assert.equal(await page.evaluate(() => document.activeElement.closest(".token-row")?.dataset.id), wanted.id, "back where it was");
    await searchTokens("");
  });

  test("the admin deletes a parent from the list: the confirmation names it and how many go with it; its subtree is gone", async () => {
    const parentToken = await apiCreate(ADMIN, {
      capabilities: [{ endpoint: "tokensCreate" }, { endpoint: "nodeGetInfo", limits: [{ type: "calls", conditions: { max: 9 } }] }],
      lifetime: 3600,
      description: `${tag} doomed parent`,
    });
    const kids = [];
    for (const index of [1, 2]) {
      kids.push(await apiCreate(parentToken.token, {
        capabilities: [{ endpoint: "tokensCreate" }, { endpoint: "nodeGetInfo", limits: [{ type: "calls", conditions: { max: 3 } }] }],
        description: `${tag} doomed child ${index}`,
      }));
    }
    const grandchild = await apiCreate(kids[0].token, { capabilities: [{ endpoint: "nodeGetInfo", limits: [{ type: "calls", conditions: { max: 1 } }] }], description: `${tag} doomed grandchild` });
    const subtree = [parentToken, ...kids, grandchild].map((token) => token.id);

    // Made elsewhere: read the list again.
    await click("#tokens-reload");
    await visible("#tokens-message.ok");
    await listRead();
    // Newest first, each under its maker: the doomed tree is on top (its siblings may share a second).
    const top = (await shownIds()).slice(0, 4);
    assert.equal(top[0], parentToken.id);
    assert.deepEqual([...top].sort(), [...subtree].sort());
    assert.equal(top.indexOf(grandchild.id), top.indexOf(kids[0].id) + 1, "right under its maker");
    const depths = await page.$$eval("#tokens-list .token-row", (rows) => Object.fromEntries(rows.slice(0, 4)
      .map((row) => [row.dataset.id, getComputedStyle(row).getPropertyValue("--depth").trim()])));
    assert.deepEqual(depths, { [parentToken.id]: "0", [kids[0].id]: "1", [kids[1].id]: "1", [grandchild.id]: "2" });
    assert.match(await text(`#tokens-list .token-row[data-id="${grandchild.id}"]`), new RegExp(`Made by “${tag} doomed child 1”`));
    if (process.env.UPDATE_README_SCREENSHOT && engine === "chromium") {
      await page.$eval("#tokens", (element) => element.scrollIntoView());
      await page.screenshot({ path: readmeList });
    }
    await page.$eval("#tokens", (element) => element.scrollIntoView());
    await shot("list");

    // Its page: what is below it, the tokens it made, its usage.
    assert.equal((await fetch(`${origin}/api/v4/node/info`, { headers: { "x-auth-token": parentToken.token } })).status, 200);
    assert.equal((await fetch(`${origin}/api/v4/node/info`, { headers: { "x-auth-token": grandchild.token } })).status, 200);
    await click(`#tokens-list .token-row[data-id="${parentToken.id}"] .token-open`);
    await detailRead(parentToken.id);
    assert.equal(await text("#detail-descendants"), "3 tokens, made by it or by the tokens it made");
    assert.match(await text("#detail-capabilities"), /nodeGetInfo\s+2 of 9 calls used/, "its subtree's use, read afresh");
    assert.deepEqual((await page.$$eval("#detail-children li", (items) => items.map((item) => item.dataset.id))).sort(), kids.map((kid) => kid.id).sort());
    assert.equal(await text("#detail-children-summary"), "2 tokens, newest first.");
    // From a child's page, its maker is one click away.
    await click(`#detail-children li[data-id="${kids[0].id}"] button`);
    await detailRead(kids[0].id);
    assert.equal(await text("#detail-parent"), `“${tag} doomed parent”`);
    assert.deepEqual(await page.$$eval("#detail-children li", (items) => items.map((item) => item.dataset.id)), [grandchild.id]);
    await click("#detail-parent button");
    await detailRead(parentToken.id);
    assert.equal(await page.$$eval("#detail-children li", (items) => items.length), 2);
    if (process.env.UPDATE_README_SCREENSHOT && engine === "chromium") {
      await page.$eval("#detail", (element) => element.scrollIntoView());
      await page.screenshot({ path: readmeDetail });
    }
    await click("#detail-back");
    await visible("#tokens");

    await searchTokens(`${tag} doomed`);
    assert.deepEqual((await shownIds()).sort(), [...subtree].sort());
    const deletes = () => apiRequests().filter((request) => request.method === "DELETE").length;
    const before = deletes();
    await click(`#tokens-list .token-row[data-id="${parentToken.id}"] button[data-action=delete]`);
    await visible("#confirm-delete");
    assert.equal(await text("#confirm-name"), `“${tag} doomed parent”`);
    assert.equal(await text("#confirm-id"), parentToken.id);
    assert.equal(await text("#confirm-below"), "The 3 tokens below it go with it: they stop working too.");
    await click("#confirm-cancel");
    assert.equal(await text("#tokens-message"), "Nothing was deleted.");
    assert.equal(deletes(), before);
    await click(`#tokens-list .token-row[data-id="${parentToken.id}"] button[data-action=delete]`);
    await visible("#confirm-delete");
    await click("#confirm-ok");
    await page.waitForFunction(() => document.getElementById("tokens-message").classList.contains("ok"));
    assert.equal(await text("#tokens-message"), `Token “${tag} doomed parent” (${parentToken.id}) and the 3 tokens below it were deleted.`);
    await page.waitForFunction((query) => document.getElementById("tokens-summary").textContent.startsWith(`No token matches “${query}”`), {}, `${tag} doomed`);
    assert.deepEqual(await shownIds(), []);
    for (const id of subtree) {
      const response = await fetch(`${origin}/api/v3/tokens/${id}`, { headers: { "x-auth-token": ADMIN } });
      assert.equal(response.status, 404, `${id} is gone`);
    }
    const left = new Set((await allTokens()).map((token) => token.id));
    assert.ok(subtree.every((id) => !left.has(id)) && left.has(found.id));
    await searchTokens("");
  });

  test("keyboard and screen reader: Tab reaches every control, each has a name, results are announced; nothing overflows at 390 px", async () => {
    await page.evaluate(() => scrollTo(0, 0));
    await searchTokens(`${tag} page 1`);
    // What a person can reach: every enabled, rendered control.
    const controls = await page.evaluate(() => {
      const focusable = "a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex='-1'])";
      let next = 0;
      return [...document.querySelectorAll(focusable)]
        .filter((element) => !element.disabled && element.checkVisibility() && element.getClientRects().length > 0 && !element.closest("dialog:not([open])"))
        .map((element) => {
          element.dataset.tabProbe = String(next += 1);
          return element.dataset.tabProbe;
        });
    });
    assert.ok(controls.length > 100, `${controls.length} controls`);
    // From the first control on, Tab by Tab.
    await page.focus('[data-tab-probe="1"]');
    const reached = new Set(["1"]);
    for (let press = 0; press < controls.length + 20; press += 1) {
      await page.keyboard.press("Tab");
      const probe = await page.evaluate(() => document.activeElement?.dataset?.tabProbe ?? null);
      if (probe !== null) reached.add(probe);
      if (reached.size === controls.length) break;
    }
    const missed = controls.filter((probe) => !reached.has(probe));
    const described = await page.evaluate((missed) => missed.map((probe) => document.querySelector(`[data-tab-probe="${probe}"]`).outerHTML.slice(0, 120)), missed);
    assert.deepEqual(described, [], "every control is reached by Tab");

    // Each control has an accessible name: a label, aria-label(ledby), or its own text.
    const unnamed = await page.evaluate(() => [...document.querySelectorAll("[data-tab-probe]")].filter((element) => {
      const text = (value) => (value ?? "").replace(/\s+/g, " ").trim();
      if (text(element.getAttribute("aria-label"))) return false;
      const labelledBy = element.getAttribute("aria-labelledby");
      if (labelledBy && labelledBy.split(" ").some((id) => text(document.getElementById(id)?.textContent))) return false;
      if ([...(element.labels ?? [])].some((label) => text(label.textContent))) return false;
      if (["BUTTON", "SUMMARY", "A"].includes(element.tagName) && text(element.textContent)) return false;
      return true;
    }).map((element) => element.outerHTML.slice(0, 120)));
    assert.deepEqual(unnamed, [], "every control is named");

    // Results land in live regions, which a screen reader announces.
    const regions = ["status", "sign-in-message", "tokens-summary", "tokens-message", "detail-message", "create-message", "copy-message",
      "rotated-copy-message", "delete-message", "rotate-message", "picked-count", "node-message"];
    const live = await page.evaluate((ids) => ids.filter((id) => {
      const region = document.getElementById(id);
      return !(region.getAttribute("role") === "status" || ["polite", "assertive"].includes(region.getAttribute("aria-live")));
    }), regions);
    assert.deepEqual(live, [], "these regions are live");
    assert.match(await text("#tokens-summary"), /tokens? match/, "the search's result is in the list's live summary");
    await page.click("#preset-list button[data-preset=read-only]");
    assert.match(await text("#create-message"), /read-only” preset ticked its \d+ capabilities/);
    assert.match(await text("#picked-count"), /^\d+ chosen$/);
    const readOnly = gateway.presets.find((preset) => preset.name === "read-only").capabilities;
    assert.deepEqual((await page.$$eval("#choices input[type=checkbox]:checked", (boxes) => boxes.map((box) => box.value))).sort(), [...readOnly].sort());
    await click("#pick-none");
    // The capability search narrows the choices.
    await fill("#choice-search", "/node/info");
    assert.deepEqual(await page.$$eval("#choices li.choice", (items) => items.filter((item) => item.checkVisibility()).map((item) => item.dataset.endpoint)), ["nodeGetInfo"]);
    await fill("#choice-search", "");
    // Names that no route uses are offered apart, saying so.
    assert.match(await text("#choices fieldset[data-group=unused]"), /Used by no route here/);
    assert.match(await text("#choices fieldset[data-group=tokens]"), /Used by this token service itself/);

    // A phone's width: no horizontal scrolling on the list, a token's page, the create form and a dialog.
    await page.setViewport({ width: 390, height: 844 });
    await searchTokens("");
    await listRead();
    const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= innerWidth);
    assert.ok(await fits(), "the list fits 390 px");
    await page.$eval("#tokens", (element) => element.scrollIntoView());
    await shot("list-phone");
    await searchTokens(found.id);
    await click(`#tokens-list .token-row[data-id="${found.id}"] .token-open`);
    await visible("#detail");
    assert.ok(await fits(), "a token's page fits 390 px");
    await shot("detail-phone");
    await click("#detail-delete");
    await visible("#confirm-delete");
    assert.ok(await fits(), "the confirmation fits 390 px");
    assert.ok(await page.$eval("#confirm-delete", (dialog) => dialog.getBoundingClientRect().right <= innerWidth));
    await page.keyboard.press("Escape");
    await page.keyboard.press("Escape");
    await visible("#tokens");
    await page.$eval("#create", (element) => element.scrollIntoView());
    assert.ok(await fits(), "the create form fits 390 px");
    await shot("create-phone");
    await page.setViewport({ width: 1280, height: 800 });
    await searchTokens("");
    assertNoSecretInUrls();
  });

  test("an issued token gives itself a new secret and goes on with it; a used-up tokensRotate limit is refused with its numbers", async () => {
    const rotator = await apiCreate(ADMIN, {
      capabilities: [{ endpoint: "tokensRotate", limits: [{ type: "calls", conditions: { max: 1 } }] }, { endpoint: "nodeGetVersion" }],
      lifetime: 3600,
      description: `${tag} rotator`,
    });
    await signOut();
    await signInAndWait(rotator.token, "#mine-issued");
    const rotateButton = `#tokens-list .token-row[data-id="${rotator.id}"] button[data-action=rotate]`;
    await visible(rotateButton);
    assert.equal(await page.$$eval("#tokens-list button[data-action=delete]", (buttons) => buttons.length), 0, "no delete without tokensDelete");
    await click(rotateButton);
    await visible("#confirm-rotate");
    assert.equal(await isVisible("#rotate-self"), true, "it is told that this is its own token");
    await fill("#rotate-grace", "60");
    await click("#rotate-ok");
    await visible("#rotated");
    const secret = await text("#rotated-secret");
    secrets.push(secret);
    assert.match(await text("#rotated-about"), /The old one keeps working until .*UTC, then it is refused\./);
    assert.deepEqual(Object.values((await storage()).session), [secret], "the tab goes on with the new secret");
    assert.match(await heldRow("tokensRotate"), /1 of 1 call used/);
    const as = (token) => fetch(`${origin}/api/v3/tokens?limit=1`, { headers: { "x-auth-token": token } });
    assert.deepEqual([(await as(rotator.token)).status, (await as(secret)).status], [200, 200], "within the grace period both work");
    await click("#rotated-done");

    // Once more: its limit is used up, and the console says so with its numbers.
    await click(rotateButton);
    await visible("#confirm-rotate");
    await click("#rotate-ok");
    await visible("#tokens-message.error");
    assert.equal(await text("#tokens-message"), "Your token may not give tokens a new secret: its calls limit for tokensRotate is used up (1 of 1 call used).");
    assert.equal(await isVisible("#rotated"), false);

    // A reload signs in with the new secret.
    await page.reload();
    await visible("#mine-issued");
    assert.equal(await text("#mine-id"), rotator.id);
    await signOut();
  });

  test("no console errors, no secret in a URL or in localStorage", () => {
    // Chromium logs every error answer as a failed load (Firefox does not).
    // These are provoked on purpose: the wrong admin token's and the deleted
    // tokens' 401s from their own listing (GET /api/v3/tokens?limit=1), the
    // 403s of POST /api/v3/tokens (a used-up limit, the depth bound) and of
    // a rotation (a used-up limit), the used-up node call (403), the silent node (504), the 404s given to the
    // browser and the broken route table, and the deleted token's node call
    // (401). Anything else is a defect.
    const provoked = [
      [/^\/api\/v3\/tokens$/, /^403$/],
      [/^\/api\/v3\/tokens\?limit=1$/, /^401$/],
      [/^\/api\/v3\/tokens\/[0-9A-Za-z]+\/rotate$/, /^403$/],
      [/^\/api\/v3\/gateway$/, /^500$/],
      [/^\/api\/v4\/node\/info$/, /^403$/],
      [/^\/api\/v4\/node\/status$/, /^504$/],
      [/^\/api\/v4\/node\/version$/, /^40[14]$/],
    ];
    const expected = (message) => {
      const status = /^Failed to load resource: the server responded with a status of (\d+) /.exec(message.text())?.[1];
      const path = message.location().url?.startsWith(origin) ? message.location().url.slice(origin.length) : "";
      return status !== undefined && provoked.some(([where, what]) => where.test(path) && what.test(status));
    };
    assert.deepEqual(consoleErrors.filter((message) => !expected(message)).map((message) => message.text()), []);
    assertNoSecretInUrls();
    assertNodeSawOnlyItsToken();
    assert.equal(new URL(page.url()).search, "");
  });
}
