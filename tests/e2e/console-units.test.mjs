// The console's pure modules (www/*.js without a DOM), in Node.js: the
// words for durations, limits, amounts and every failure; the rules a new
// token is held to before a request is sent, and the field each problem is
// about; the catalogue, the list of tokens and the node operations as the
// console shows them; the addresses of its views; every bound read from
// the service's own OpenAPI document and gateway table (from `wrangler dev`,
// as `npm start` serves them); and a scan of www/ for decisions on English
// text or copies of the service's bounds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { api, root, useService } from "./console-kit.mjs";
import { DECIMALS, amountText, currencyNamed, readAmount, unitsText } from "../../www/amounts.js";
import { choiceGroups, choiceMatches, choiceUse, exampleRequest, presetChoices } from "../../www/catalogue.js";
import {
  grantedLimits, heldConditions, isLoopback, isWithin, listenLine, offeredConditions, readListenRange, shortAddress, spendUsed, targetsLine,
} from "../../www/conditions.js";
import { isTokenId, readFacts } from "../../www/facts.js";
import {
  countdown, createErrorField, duration, errorSentence, nodeAnswer, nodeFailure, nodeQuestion, refusal, size, tokenIdForm,
} from "../../www/format.js";
import { byGeneration, callable, isTriable, routeKey, summary, usage, wasCounted } from "../../www/operations.js";
import { HOME, readRoute, routeHash, tokenHash } from "../../www/routes.js";
import { createRequest, graceSeconds, lifetimeBound, offers } from "../../www/rules.js";
import {
  capabilityUses, deletedSentence, deletesWith, limitUse, listSummary, matches, mayUse, pageOf, rowsFor, treeOrder,
} from "../../www/tokens.js";
import { clockTime, isPeriodic, lastSpan, lastUsed, perPeriod, periodChoices, periodicUse, spanOf } from "../../www/periods.js";
import {
  CHART_EVENTS, CHART_HOURS, actorName, chartStart, chartsCaption, eventRows, outcome, usageCharts, wantsMore,
} from "../../www/usage.js";

const service = useService();

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
  minPeriod: 120,
  maxPeriod: 2 * 86_400,
  eventsPageLimit: 7,
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
  // The field of the create form a refusal is about, whatever the text.
  const fields = (make) => new Set(texts.map((text) => JSON.stringify(createErrorField(make(text)))));
  for (const [make, field] of [
    [(text) => api(400, "INVALID_TOKEN_DESCRIPTION", text), { kind: "description" }],
    [(text) => api(400, "INVALID_TOKEN_CAPABILITIES", text), { kind: "capabilities" }],
    [(text) => api(403, "FORBIDDEN", text, "lifetime_not_allowed"), { kind: "lifetime" }],
    [(text) => api(403, "FORBIDDEN", text, "capabilities_not_allowed"), { kind: "capabilities" }],
    [(text) => api(403, "FORBIDDEN", text, "depth_limit"), undefined],
    [(text) => api(400, "INVALID_INPUT", text), undefined],
    [(text) => api(403, "UNAUTHORIZED", text, "limit_exhausted"), undefined],
  ]) {
    assert.deepEqual([...fields(make)], [JSON.stringify(field)]);
  }
  assert.equal(createErrorField(new TypeError("x")), undefined);
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
  const { gateway } = service;
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
  const { origin, gateway } = service;
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
    minPeriod: schemas.CallsConditions.properties.period.minimum,
    maxPeriod: schemas.CallsConditions.properties.period.maximum,
    eventsPageLimit: document.paths["/tokens/{id}/events"].get.parameters.find((parameter) => parameter.name === "limit").schema.maximum,
  });
  assert.deepEqual([schemas.SpendConditions.properties.period.minimum, schemas.SpendConditions.properties.period.maximum], [facts.minPeriod, facts.maxPeriod],
    "one bound for the periods of calls and of spend");
  // The areas the gateway's catalogue uses are the document's.
  assert.deepEqual([...new Set(gateway.capabilities.map((info) => info.area))].sort(), facts.areas.map((area) => area.name).sort());
  // The service's bounds as its contract states them (src/contract/bounds.rs).
  assert.deepEqual([facts.maxDescription, facts.maxLifetime, facts.maxCapabilities, facts.maxCalls, facts.maxDepth, facts.maxBodyBytes],
    [256, 3_155_760_000, 64, Number.MAX_SAFE_INTEGER, 32, 16 * 1024]);
  assert.deepEqual([facts.maxLimits, facts.maxAmountChars, facts.maxTargets, facts.maxListen], [8, 64, 64, 64]);
  assert.deepEqual([facts.minPeriod, facts.maxPeriod, facts.eventsPageLimit], [60, 365 * 86_400, 1000]);
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
  const { gateway } = service;
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
  const { origin, gateway } = service;
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
  const { origin } = service;
  const www = join(root, "www");
  const sources = readdirSync(www).filter((name) => /\.(?:js|html)$/.test(name))
    .map((name) => ({ name, text: readFileSync(join(www, name), "utf8") }));
  assert.deepEqual(sources.map(({ name }) => name).sort(),
    ["amounts.js", "api.js", "app.js", "catalogue.js", "chart.js", "choices-view.js", "conditions.js", "dom.js", "events-view.js", "facts.js",
      "field-errors.js", "format.js", "index.html", "limits-view.js", "operations.js", "periods.js", "routes.js", "rules.js", "tokens-view.js",
      "tokens.js", "usage.js", "view.js"]);

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


test("rules: each problem of a draft names the field it is about, for the form to show it there", () => {
  const draft = (picked, lifetime = "", description = "") => ({ picked, lifetime, unit: "hours", description });
  const admin = { allowed: offers({}, ["tokensCreate", "nodePing", "accountWithdraw", "sessionsCreateClient"]), delegated: false, limits: { ...LIMITS, maxCapabilities: 4 } };
  const field = (built) => built.field;
  assert.deepEqual(field(createRequest(draft([]), admin, 0)), { kind: "capabilities" });
  assert.deepEqual(field(createRequest(draft(["a", "b", "c", "d", "e"].map((endpoint) => ({ endpoint, limit: "" }))), admin, 0)), { kind: "capabilities" });
  assert.deepEqual(field(createRequest(draft([{ endpoint: "nodeGetInfo", limit: "" }]), admin, 0)), { kind: "capabilities" }, "one it cannot grant");
  assert.deepEqual(field(createRequest(draft([{ endpoint: "nodePing", limit: "0" }]), admin, 0)), { kind: "calls", endpoint: "nodePing" });
  assert.deepEqual(field(createRequest(draft([{ endpoint: "nodePing", limit: "" }], "?"), admin, 0)), { kind: "lifetime" });
  assert.deepEqual(field(createRequest(draft([{ endpoint: "nodePing", limit: "" }], "4"), admin, 0)), { kind: "lifetime" });
  assert.deepEqual(field(createRequest(draft([{ endpoint: "nodePing", limit: "" }], "", "abcdef"), admin, 0)), { kind: "description" });
  assert.deepEqual(field(createRequest(draft([{ endpoint: "nodePing", limit: "" }], "", "abcde"), { ...admin, limits: { ...admin.limits, maxBodyBytes: 60 } }, 0)),
    { kind: "description" }, "too large a body: the free text is what can be shortened");
  const withdraw = (fields) => draft([{ endpoint: "accountWithdraw", limit: "", ...fields }]);
  assert.deepEqual(field(createRequest(withdraw({ spend: { xDai: "0.5", wxHOPR: "" } }), admin, 0)), { kind: "spend", endpoint: "accountWithdraw", currency: "xDai" });
  assert.deepEqual(field(createRequest(withdraw({ targets: "0x12" }), admin, 0)), { kind: "targets", endpoint: "accountWithdraw" });
  assert.deepEqual(field(createRequest(draft([{ endpoint: "sessionsCreateClient", limit: "", listen: "localhost:80" }]), admin, 0)),
    { kind: "listen", endpoint: "sessionsCreateClient" });
  assert.deepEqual(field(createRequest(withdraw({ limit: "2", spend: { xDai: "1", wxHOPR: "1" }, targets: `0x${"a".repeat(40)}` }), { ...admin, limits: LIMITS }, 0)),
    { kind: "calls", endpoint: "accountWithdraw" }, "too many limits: said at its calls limit");
  // A delegated token's missing budget: at the field of its first currency.
  const child = { allowed: offers({ token: { capabilities: [{ endpoint: "accountWithdraw", limits: [{ type: "spend", conditions: { max: "2 xDai" }, used: "0 xDai" }] }] } }, []), delegated: true, limits: LIMITS };
  assert.deepEqual(field(createRequest(withdraw({ spend: { xDai: "" } }), child, 0)), { kind: "spend", endpoint: "accountWithdraw", currency: "xDai" });
  assert.equal(field(createRequest(draft([{ endpoint: "nodePing", limit: "" }]), admin, 0)), undefined, "a request has no problem");
});

test("routes: each view has an address; a token's page is found by its id; anything else names no view", () => {
  assert.deepEqual(HOME, { view: "tokens" });
  for (const hash of ["", "#", "#/"]) assert.deepEqual(readRoute(hash), HOME, JSON.stringify(hash));
  for (const view of ["tokens", "create", "node", "me"]) {
    assert.deepEqual(readRoute(`#/${view}`), { view });
    assert.equal(routeHash({ view }), `#/${view}`);
  }
  assert.deepEqual(readRoute("#/tokens/0123456789abcdefghijkl"), { view: "token", id: "0123456789abcdefghijkl" });
  assert.equal(tokenHash("0123456789abcdefghijkl"), "#/tokens/0123456789abcdefghijkl");
  // An id is written so that it reads back the same, whatever it holds.
  for (const id of ["a/b", "a b", "ä%", "?x=1#y"]) assert.deepEqual(readRoute(tokenHash(id)), { view: "token", id }, id);
  for (const hash of ["#/nothing", "#/tokens/", "#/tokens/a/b", "#/tokens/%E0%A4%A", "#/me/too", "#/create/x"]) {
    assert.equal(readRoute(hash), undefined, hash);
  }
});

test("tokens: a row's capabilities in words, the most used first, each limit's use exact", () => {
  const calls = (max, used) => ({ type: "calls", conditions: { max }, used });
  const token = {
    capabilities: [
      { endpoint: "nodeGetVersion", limits: [] },
      { endpoint: "nodeGetInfo", limits: [calls(10, 2)] },
      { endpoint: "channelsFundChannels", limits: [{ type: "spend", conditions: { max: "1 wxHOPR" }, used: "0.9 wxHOPR" },
        { type: "targets", conditions: { allow: ["0xb4ce7e6e36ac8b01a974725d5ba730af2b156fbe", "0xa8194d36e322592d4c707b70dbe96121f5c74c64"] } }] },
      { endpoint: "sessionsCreateClient", limits: [{ type: "listen", conditions: { allow: ["127.0.0.1:10000-10100"] } }] },
      { endpoint: "tokensCreate", limits: [calls(4, 1), calls(100, 90)] },
    ],
  };
  assert.deepEqual(capabilityUses(token), [
    { endpoint: "channelsFundChannels", use: ["0.9 of 1 wxHOPR moved, 0.1 wxHOPR left", "only to 2 addresses: 0xb4ce…6fbe, 0xa819…4c64"], share: 0.9 },
    { endpoint: "tokensCreate", use: ["1 of 4 calls used", "90 of 100 calls used"], share: 0.9 },
    { endpoint: "nodeGetInfo", use: ["2 of 10 calls used"], share: 0.2 },
    { endpoint: "sessionsCreateClient", use: ["sessions listen only on 127.0.0.1:10000-10100"] },
    { endpoint: "nodeGetVersion", use: [] },
  ]);
  assert.equal(capabilityUses({ capabilities: [{ endpoint: "x", limits: [calls(2, 5)] }] })[0].share, 1, "never more than all");
  assert.deepEqual(capabilityUses({ capabilities: [] }), []);
});

test("generations: the node API's generations are labelled as the gateway's table names them, and docs/gateway.md names the same releases", () => {
  const { gateway } = service;
  assert.deepEqual(gateway.generations.map((generation) => [generation.name, generation.prefix]), [["/api/v4", "/api/v4/"], ["/api/v3", "/api/v3/"], ["Root", "/"]]);
  for (const route of gateway.routes) assert.ok(gateway.generations.some((generation) => route.path.startsWith(generation.prefix)), route.path);
  // The releases a label names (e.g. "hoprd-api 4.14", "node 5.0.0-rc.1") are the ones docs/gateway.md's route table names.
  const guide = readFileSync(join(root, "docs", "gateway.md"), "utf8");
  const start = guide.indexOf("Every route of the node's API is mapped");
  const end = guide.indexOf("Operations that had no capability name");
  assert.ok(start >= 0 && end > start, "docs/gateway.md still introduces its route table");
  const section = guide.slice(start, end);
  const releases = gateway.generations.flatMap((generation) => generation.about.match(/\b\d+\.\d+(?:\.\d+)?(?:-rc\.\d+)?\b/gu) ?? []);
  assert.ok(releases.length >= 3, releases.join(", "));
  for (const release of releases) assert.ok(section.includes(release), `docs/gateway.md's route table names ${release}`);
  // And the console writes none of its own.
  const www = join(root, "www");
  for (const name of readdirSync(www).filter((file) => file.endsWith(".js"))) {
    assert.doesNotMatch(readFileSync(join(www, name), "utf8"), /hoprd[ -]\S*\s*\d+\.\d+/u, `${name} names no hoprd release`);
  }
});

test("periods: in words, the choices within the service's bounds, a periodic limit's use and when more returns, last use", () => {
  assert.deepEqual([3600, 86_400, 60, 7 * 86_400, 7200, 90, 172_800].map(perPeriod),
    ["an hour", "a day", "a minute", "a week", "every 2 hours", "every 90 seconds", "every 2 days"]);
  assert.deepEqual([3600, 7200, 86_400, 60].map(lastSpan), ["hour", "2 hours", "day", "minute"]);
  assert.deepEqual([3600, 7200, 86_400].map(spanOf), ["an hour", "2 hours", "a day"]);
  // The choices: the clock's spans within the bounds, none written as a bound.
  assert.deepEqual(periodChoices({ minPeriod: 3600, maxPeriod: 7 * 86_400 }).map((choice) => [choice.seconds, choice.label]),
    [[3600, "an hour"], [86_400, "a day"], [604_800, "a week"]]);
  assert.deepEqual(periodChoices({ minPeriod: 61, maxPeriod: 3599 }), [], "none of the clock's spans fits");
  assert.ok(isPeriodic({ conditions: { max: 1, period: 60 } }) && !isPeriodic({ conditions: { max: 1 } }));
  const now = Date.UTC(2026, 11, 7, 12, 0, 0);
  const at = (ms) => Math.floor(ms / 1000);
  assert.equal(clockTime(at(now + 300_000), now, "en-GB"), "12:05", "today: the time alone");
  assert.equal(clockTime(at(now + 2 * 86_400_000), now, "en-GB"), "9 Dec 2026, 12:00", "another day: with its date");
  assert.equal(periodicUse({ used: "3", max: "10 calls", period: 3600, returnsAt: at(now + 300_000) }, now, "en-GB"),
    "3 of 10 calls in the last hour, more from 12:05");
  assert.equal(periodicUse({ used: "0", max: "10 calls", period: 86_400 }, now), "0 of 10 calls in the last day");
  assert.deepEqual([undefined, at(now) - 5, at(now) - 180, at(now) - 7200, at(now) - 3 * 86_400, at(now) + 10].map((time) => lastUsed(time, now)),
    ["never used", "used just now", "used 3 min ago", "used 2 h ago", "used 3 d ago", "used just now"]);

  // A limit's use, lifetime or periodic, with its share for a bar.
  const hourly = { type: "calls", conditions: { max: 10, period: 3600 }, used: 3, returnsAt: at(now + 300_000) };
  assert.deepEqual(limitUse(hourly, now), { text: `3 of 10 calls in the last hour, more from ${clockTime(at(now + 300_000), now)}`, used: 3, max: 10, share: 0.3 });
  assert.deepEqual(limitUse({ type: "calls", conditions: { max: 5 }, used: 1 }, now), { text: "1 of 5 calls used", used: 1, max: 5, share: 0.2 });
  assert.deepEqual(limitUse({ type: "spend", conditions: { max: "1 wxHOPR", period: 86_400 }, used: "0.3 wxHOPR" }, now),
    { text: "0.3 of 1 wxHOPR moved in the last day", share: 0.3 });
  assert.deepEqual(limitUse({ type: "spend", conditions: { max: "1 wxHOPR" }, used: "0.25 wxHOPR" }, now),
    { text: "0.25 of 1 wxHOPR moved, 0.75 wxHOPR left", share: 0.25 });
  assert.equal(limitUse({ type: "targets", conditions: { allow: [] } }, now), undefined);
  assert.deepEqual(capabilityUses({ capabilities: [{ endpoint: "nodeGetInfo", limits: [hourly, { type: "calls", conditions: { max: 100 }, used: 3 }] }] }, now)[0].use,
    [limitUse(hourly, now).text, "3 of 100 calls used"]);
  assert.deepEqual(grantedLimits([{ type: "calls", conditions: { max: 100 } }, { type: "calls", conditions: { max: 10, period: 3600 } },
    { type: "spend", conditions: { max: "5 wxHOPR", period: 86_400 } }]), ["at most 100 calls", "at most 10 calls an hour", "at most 5 wxHOPR moved a day"]);
});

test("events: who, what, outcome (decided on status and reason only), amount and target, newest first as read", () => {
  const self = "a".repeat(22);
  const child = "b".repeat(22);
  const events = [
    { at: 3000, token: self, actor: self, operation: "accountWithdraw", method: "POST", path: "/api/v4/account/withdraw", status: 200,
      amount: "0.6 wxHOPR", target: "0xb4ce7e6e36ac8b01a974725d5ba730af2b156fbe" },
    { at: 2000, token: child, actor: child, operation: "nodeGetInfo", method: "GET", path: "/api/v4/node/info", status: 403, reason: "limit_exhausted" },
    { at: 1000, token: child, actor: self, operation: "tokensCreate", method: "POST", path: "/api/v3/tokens", status: 201 },
    { at: 500, token: self, actor: "admin", operation: "tokensCreate", method: "POST", path: "/api/v3/tokens", status: 201 },
    { at: 400, token: self, actor: self, operation: "nodeGetInfo", method: "GET", path: "/api/v4/node/info", status: 502 },
    { at: 300, token: self, actor: self, operation: "nodeGetInfo", method: "GET", path: "/api/v4/node/info", status: 403, reason: "brand_new" },
  ];
  const rows = eventRows(events, self, (id) => (id === child ? "the child" : undefined));
  assert.deepEqual(rows.map((row) => [row.who.text, row.operation, row.request, row.subject, row.outcome.text, row.outcome.tone, row.details.join(", ")]), [
    ["this token", "accountWithdraw", "POST /api/v4/account/withdraw", undefined, "done (200)", "ok", "0.6 wxHOPR, to 0xb4ce…6fbe"],
    ["“the child”", "nodeGetInfo", "GET /api/v4/node/info", child, "refused: a limit is used up", "refused", ""],
    ["this token", "tokensCreate", "POST /api/v3/tokens", child, "done (201)", "ok", ""],
    ["the admin token", "tokensCreate", "POST /api/v3/tokens", undefined, "done (201)", "ok", ""],
    ["this token", "nodeGetInfo", "GET /api/v4/node/info", undefined, "failed (HTTP 502)", "failed", ""],
    ["this token", "nodeGetInfo", "GET /api/v4/node/info", undefined, "refused (brand_new)", "refused", ""],
  ]);
  assert.equal(rows[1].who.id, child, "a token that acted is one link away");
  assert.equal(actorName("c".repeat(22), self, () => undefined).text, `token ${"c".repeat(22)}`);
  // The outcome, whatever text the service would give.
  for (const reason of ["limit_exhausted", "condition_failed", "missing_capability"]) assert.equal(outcome({ status: 403, reason }).tone, "refused");
  assert.deepEqual(outcome({ status: 204 }), { text: "done (204)", tone: "ok" });
});

test("usage charts: hour buckets over the last days, each limit's line, refusals and others' acts left out, empty data, a capped read", () => {
  const HOUR = 3_600_000;
  const now = Date.UTC(2026, 11, 7, 12, 30, 0);
  const self = "a".repeat(22);
  const parent = "p".repeat(22);
  const call = (hoursAgo, fields = {}) => ({ at: now - hoursAgo * HOUR, token: self, actor: self, operation: "nodeGetInfo", method: "GET",
    path: "/api/v4/node/info", status: 200, ...fields });
  const fund = (hoursAgo, amount) => call(hoursAgo, { operation: "channelsFundChannels", method: "POST", path: "/api/v4/channels/x/fund", amount });
  const token = {
    capabilities: [
      { endpoint: "nodeGetInfo", limits: [{ type: "calls", conditions: { max: 10, period: 3 * 3600 }, used: 3 }, { type: "calls", conditions: { max: 100 }, used: 40 }] },
      { endpoint: "nodeGetVersion", limits: [{ type: "calls", conditions: { max: 5, period: 60 }, used: 0 }] },
      { endpoint: "channelsFundChannels", limits: [{ type: "spend", conditions: { max: "1 wxHOPR", period: 86_400 }, used: "0.75 wxHOPR" }] },
    ],
  };
  const events = [
    call(0), call(0), call(1), call(1, { status: 403, reason: "limit_exhausted" }), fund(2, "0.5 wxHOPR"), fund(2, "0.25 wxHOPR"),
    call(5, { actor: "admin", operation: "tokensCreate" }), call(6, { actor: parent, operation: "tokensRotate" }), call(30), call(24 * 8),
  ];
  const charts = usageCharts(events, token, { nowMs: now, hours: 48, complete: true, outside: new Set([parent]) });
  assert.equal(charts.start, Date.UTC(2026, 11, 5, 13), "the start of the hour 47 hours before the current one");
  assert.equal(charts.start, chartStart(now, 48));
  assert.equal(charts.coveredFrom, charts.start);
  assert.deepEqual(charts.panels.map((panel) => [panel.key, panel.title, panel.unit]), [
    ["calls", "Calls", "calls"],
    ["spend wxHOPR", "wxHOPR moved", "wxHOPR"],
    ["calls nodeGetInfo", "Calls of nodeGetInfo", "calls"],
    ["calls nodeGetVersion", "Calls of nodeGetVersion", "calls"],
    ["spend channelsFundChannels wxHOPR", "wxHOPR moved by channelsFundChannels", "wxHOPR"],
  ]);
  const [all, moved, info, version, funds] = charts.panels;
  // Each hour a bucket, oldest first; the current hour last. A refusal, the admin's and a token above it's acts are no use.
  const last = (panel, count) => panel.values.slice(-count);
  assert.equal(all.values.length, 48);
  assert.deepEqual(last(all, 4), [0, 2, 1, 2]);
  assert.equal(all.values[47 - 30], 1, "30 hours ago");
  assert.equal(all.values.reduce((a, b) => a + b, 0), 6, "the event 8 days ago is before the span");
  assert.deepEqual(last(info, 4), [0, 0, 1, 2]);
  assert.deepEqual(last(moved, 3), [0.75, 0, 0]);
  assert.deepEqual(funds.texts.slice(-3), ["0.75", "0", "0"], "exact amounts in the table");
  // A periodic limit of 3 hours: the sum of the last 3 hours against its max; a lifetime limit: the total counted back from `used`.
  assert.deepEqual(info.limits.map((limit) => [limit.kind, limit.label, limit.bound, limit.runningLabel]), [
    ["period", "at most 10 calls every 3 hours", 10, "used in the last 3 hours"],
    ["total", "at most 100 calls in all", 100, "used in all"],
  ]);
  assert.deepEqual(info.limits[0].running.slice(-4), [0, 0, 1, 3]);
  assert.deepEqual(info.limits[1].running.slice(-4), [37, 37, 38, 40], "40 now, less what came after each hour");
  assert.equal(info.limits[1].running[0], 36);
  // A period under an hour: each hour may hold max for each period in it.
  assert.deepEqual(version.limits.map((limit) => [limit.label, limit.bound, limit.boundText, limit.running]), [["at most 5 calls a minute", 300, "300 calls in an hour", undefined]]);
  assert.deepEqual(version.values.filter((value) => value > 0), []);
  assert.deepEqual(funds.limits.map((limit) => [limit.label, limit.bound, limit.boundText]), [["at most 1 wxHOPR a day", 1, "1 wxHOPR"]]);
  assert.deepEqual(funds.limits[0].running.slice(-3), [0.75, 0.75, 0.75]);
  assert.deepEqual(funds.limits[0].runningTexts.slice(-1), ["0.75 wxHOPR"]);

  // Nothing recorded: every hour 0, the limits still drawn.
  const empty = usageCharts([], token, { nowMs: now, hours: 24, complete: true });
  assert.deepEqual(empty.panels.map((panel) => panel.key), ["calls", "calls nodeGetInfo", "calls nodeGetVersion", "spend channelsFundChannels wxHOPR"]);
  assert.ok(empty.panels.every((panel) => panel.values.length === 24 && panel.values.every((value) => value === 0)));
  assert.deepEqual(empty.panels[1].limits[1].running.slice(-1), [40]);
  assert.deepEqual(usageCharts([], { capabilities: [] }, { nowMs: now, complete: true }).panels.map((panel) => panel.values.length), [CHART_HOURS]);

  // Capped: the hours before the oldest event read are not known, and the caption says so.
  const capped = usageCharts([call(0), call(2.5)], token, { nowMs: now, hours: 24, complete: false });
  assert.equal(capped.coveredFrom, now - 2.5 * HOUR);
  assert.deepEqual(capped.panels[0].values.slice(-5), [null, null, 1, 0, 1], "the hour the oldest event is in is only partly read: not drawn");
  assert.match(chartsCaption(capped, 2, () => "then"), /^Per hour, over the last 24 hours\. Only the newest 2 events were read: the charts start at then\.$/);
  assert.equal(chartsCaption(charts, 10, () => "then"), "Per hour, over the last 2 days, from 10 events.");
  assert.equal(wantsMore({ read: 10, cursor: "c", oldestAt: charts.start + 1, start: charts.start }), true);
  assert.equal(wantsMore({ read: 10, cursor: "c", oldestAt: charts.start - 1, start: charts.start }), false, "older than the span");
  assert.equal(wantsMore({ read: 10, start: charts.start }), false, "the last page");
  assert.equal(wantsMore({ read: CHART_EVENTS, cursor: "c", oldestAt: charts.start + 1, start: charts.start }), false, "the cap");
});

test("rules: periodic limits from the form, held to the creator's (no more, over no shorter a period)", () => {
  const draft = (picked) => ({ picked, lifetime: "", unit: "hours", description: "" });
  const admin = { allowed: offers({}, ["nodePing", "accountWithdraw"]), delegated: false, limits: LIMITS };
  const ping = (every, limit = "") => ({ endpoint: "nodePing", limit, every });
  assert.deepEqual(createRequest(draft([ping({ max: "5", period: "3600" }, "7")]), admin, 0).request.capabilities,
    [{ endpoint: "nodePing", limits: [{ type: "calls", conditions: { max: 7 } }, { type: "calls", conditions: { max: 5, period: 3600 } }] }]);
  assert.deepEqual(createRequest(draft([ping({ max: "", period: "3600" })]), admin, 0).request.capabilities, [{ endpoint: "nodePing" }], "empty: none");
  const bad = createRequest(draft([ping({ max: "8", period: "3600" })]), admin, 0);
  assert.deepEqual([bad.problem, bad.field], ["The calls limit of nodePing per period must be a whole number from 2 to 7.", { kind: "every", endpoint: "nodePing" }]);
  const withdraw = (fields) => ({ endpoint: "accountWithdraw", limit: "", ...fields });
  assert.deepEqual(createRequest(draft([withdraw({ spend: { xDai: "" }, spendEvery: { xDai: { max: "5", period: "86400" } } })]), admin, 0).request.capabilities,
    [{ endpoint: "accountWithdraw", limits: [{ type: "spend", conditions: { max: "5 xDai", period: 86_400 } }] }]);
  const zero = createRequest(draft([withdraw({ spendEvery: { xDai: { max: "0", period: "86400" } } })]), admin, 0);
  assert.deepEqual([zero.problem, zero.field], ["The spend budget of accountWithdraw in xDai per period must be more than 0.", { kind: "spendEvery", endpoint: "accountWithdraw", currency: "xDai" }]);

  // A creator with periodic limits: the new token keeps them, no wider, over no shorter a period.
  const holder = { token: { capabilities: [
    { endpoint: "nodePing", limits: [{ type: "calls", conditions: { max: 5, period: 3600 }, used: 1 }] },
    { endpoint: "accountWithdraw", limits: [{ type: "spend", conditions: { max: "2 xDai", period: 86_400 }, used: "0 xDai" }] },
  ] } };
  const allowed = offers(holder, []);
  assert.deepEqual(allowed, [
    { endpoint: "nodePing", every: { max: 5, period: 3600 } },
    { endpoint: "accountWithdraw", spendEvery: [{ currency: "xDai", wei: 2n * 10n ** 18n, period: 86_400 }] },
  ], "a periodic limit is no lifetime bound");
  assert.deepEqual(offeredConditions({ conditions: ["spend"], currencies: ["xDai", "wxHOPR"], spendEvery: allowed[1].spendEvery }),
    { currencies: ["xDai"], targets: false, listen: false });
  const child = { allowed, delegated: true, limits: LIMITS };
  const problem = (picked) => createRequest(draft(picked), child, 0).problem;
  assert.equal(problem([ping({ max: "", period: "3600" })]), "Give nodePing a calls limit of at most 5 an hour: yours has one, and the new token must keep it.");
  assert.equal(problem([ping({ max: "6", period: "3600" })]), "The calls limit of nodePing per period must be a whole number from 2 to 5.");
  assert.equal(problem([ping({ max: "5", period: "120" })]), "The calls limit of nodePing may count over an hour or longer, as yours does, not less.");
  assert.deepEqual(createRequest(draft([ping({ max: "3", period: "86400" }, "7")]), child, 0).request.capabilities[0].limits,
    [{ type: "calls", conditions: { max: 7 } }, { type: "calls", conditions: { max: 3, period: 86_400 } }], "fewer calls over a longer period; any lifetime limit");
  assert.equal(problem([withdraw({ spendEvery: { xDai: { max: "", period: "86400" } } })]),
    "Give accountWithdraw a spend budget per period of at most 2 xDai a day: yours has one, and the new token must keep it.");
  assert.equal(problem([withdraw({ spendEvery: { xDai: { max: "3", period: "86400" } } })]),
    "The spend budget of accountWithdraw in xDai per period may be at most 2 xDai: yours is no larger.");
  assert.equal(problem([withdraw({ spendEvery: { xDai: { max: "1", period: "3600" } } })]),
    "The spend budget of accountWithdraw in xDai per period may count over a day or longer, as yours does, not less.");
  assert.equal(createRequest(draft([withdraw({ spendEvery: { xDai: { max: "1", period: "172800" } } })]), child, 0).request.capabilities[0].limits[0].conditions.period, 172_800);
});
