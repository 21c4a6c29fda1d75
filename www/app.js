// Wires the console: user intents from view.js, requests through api.js,
// words from format.js, delegation bounds from rules.js, node operations
// from operations.js. It holds the session's state; the secret lives in
// sessionStorage (this tab only) and in the client, never in a URL,
// localStorage or a log.

import { connect, identify, isMistypedSecret, loadFacts, loadGateway, readGateway } from "./api.js";
import { isTokenId } from "./facts.js";
import { countdown, dateTime, errorSentence, nodeAnswer, nodeQuestion, refusal, tokenIdForm, units } from "./format.js";
import { byGeneration, callable, gatewayNote, isTriable, routeKey, summary, usage, wasCounted } from "./operations.js";
import { createRequest, lifetimeBound, offers } from "./rules.js";
import * as view from "./view.js";

const STORAGE_KEY = "edge-tokens.secret";

/**
 * The signed-in session, or null when signed out.
 * @type {null | { session: import("./api.js").Session, kind: "admin" | "issued" | "unreadable",
 *   token?: import("./vendor/edge-tokens/index.js").Token, allowed: { endpoint: string, max?: number }[],
 *   facts: import("./facts.js").ServiceFacts, unit: string, expiredNoted: boolean,
 *   gateway?: { enabled: boolean, routes: import("./api.js").NodeRoute[] } }}
 */
let state = null;
let ticker;

view.bindSignIn((secret) => signIn(secret));
view.bindSignOut(() => signOut("You are signed out. The token was removed from this tab."));
view.bindRefresh(refresh);
view.bindCreate(create);
view.bindUnit((unit) => renderLifetime(unit));
view.bindCreated(copySecret, view.hideCreated);
view.bindDelete(remove);
view.bindTry(tryOperation);
view.ready();
resume();

/** Signs in again with the token this tab kept, if any (e.g. after a reload). */
function resume() {
  const saved = readSaved();
  if (saved) signIn(saved, "Your saved token could not be used. ");
  else view.showSignedOut();
}

/**
 * Signs in with `secret`: refuses a mistyped etk_ secret offline, then asks
 * the service what the secret is.
 * @param {string} secret
 * @param {string} [prefix] put before a failure's sentence
 */
async function signIn(secret, prefix = "") {
  view.clearMessages();
  if (secret === "") return refuse("Paste a token first.");
  if (isMistypedSecret(secret)) {
    return refuse("This is not a valid etk_ secret: some characters are missing, extra or mistyped (its checksum does not match). Copy it again in full. Nothing was sent.");
  }
  view.setBusy("sign-in", true);
  view.say("signIn", "Checking the token…");
  try {
    const session = connect(secret);
    const identity = await identify(session);
    // The service's catalogue and bounds are needed to create tokens. The
    // route table is not needed to sign in: a failure only leaves the node
    // operations unshown.
    const [facts, gateway] = await Promise.all([
      loadFacts(),
      loadGateway().then((table) => ({ table }), (error) => ({ error })),
    ]);
    saveSecret(secret);
    enter(session, identity, facts);
    renderOperations(gateway);
  } catch (error) {
    forgetSecret();
    // A saved token was tried at load: leave the form empty for a new one.
    if (prefix) view.showSignedOut();
    refuse(prefix + errorSentence(error, { operation: "read" }));
  } finally {
    view.setBusy("sign-in", false);
  }
}

function refuse(sentence) {
  view.say("signIn", sentence, "error");
  view.focusField("secret");
}

function enter(session, { kind, token }, facts) {
  state = { session, kind, token, allowed: offers({ token }, facts.catalogue), facts, unit: "hours", expiredNoted: false };
  view.clearMessages();
  view.showSignedIn(kind, kind === "issued" ? `Signed in: token ${token.id}` : `Signed in: ${kind === "admin" ? "admin token" : "issued token"}`);
  if (token) view.renderToken(token);
  view.applyLimits(facts);
  view.renderChoices(state.allowed, choicesHint(kind), facts);
  renderLifetime("hours");
  startTicker();
}

/**
 * Lists the node operations the signed-in token may call, or says why the
 * list cannot be shown.
 * @param {{ table: { enabled: boolean, routes: import("./api.js").NodeRoute[] } } | { error: unknown }} gateway
 */
function renderOperations(gateway) {
  if ("error" in gateway) {
    view.clearOperations();
    view.say("node", `The node operations cannot be shown: ${errorSentence(gateway.error)}`, "error");
    return;
  }
  state.gateway = gateway.table;
  const { enabled, routes } = gateway.table;
  const list = callable(routes, state);
  view.renderOperations({
    summary: summary(list, state.kind),
    note: gatewayNote(enabled, state.kind),
    noNode: !enabled,
    groups: byGeneration(list.allowed).map(({ name, about, open, routes: listed }) => ({
      name, about, open, operations: listed.map((route) => operationRow(route, enabled)),
    })),
  });
}

function operationRow(route, enabled) {
  return { ...route, key: routeKey(route), triable: enabled && isTriable(route), usage: usage(state.token, route.capability) };
}

/**
 * Calls a read-only node operation with the signed-in token and shows the
 * node's answer, or why there is none.
 * @param {string} key e.g. "GET /api/v4/node/info"
 */
async function tryOperation(key) {
  const route = state?.gateway?.routes.find((candidate) => routeKey(candidate) === key);
  if (!route || !isTriable(route)) return;
  const current = state;
  view.showTry(key, { state: "calling" });
  try {
    const answer = await current.session.request(route.method, route.path);
    // Signed out (or in again) meanwhile: the answer is no longer wanted.
    if (state !== current) return;
    view.showTry(key, { state: "answered", text: nodeAnswer(answer) });
    countCall(route.capability);
  } catch (error) {
    if (state !== current) return;
    const found = await askAbout(error, route, current);
    if (state !== current) return;
    const context = { operation: "node", route, ...found };
    if (found.tokenAccepted === false) return failed(error, "node", context);
    view.showTry(key, { state: "failed", sentence: errorSentence(error, withHolder(context)) });
    // A token read again already counts the call.
    if (!found.reread && wasCounted(error, context)) countCall(route.capability);
  }
}

/**
 * Finds out what a node call's error answer alone cannot tell (see
 * `nodeQuestion`), by asking the service: whether its gateway still
 * forwards the route (the public route table, which costs nothing), or
 * whether it still accepts the token (reading the token: free for the
 * admin token and for a token that may not read itself, one tokensGetToken
 * call otherwise, and then its record is shown afresh).
 * @returns {Promise<{ routeServed?: boolean, tokenAccepted?: boolean, reread?: boolean }>}
 *   nothing where the service could not be asked
 */
async function askAbout(error, route, current) {
  const question = nodeQuestion(error, route);
  if (question === "route") {
    try {
      const { enabled, routes } = await readGateway();
      return { routeServed: enabled && routes.some((candidate) => routeKey(candidate) === routeKey(route)) };
    } catch {
      return {};
    }
  }
  if (question === "token") {
    try {
      const identity = await identify(current.session);
      if (identity.kind !== "issued" || state !== current) return { tokenAccepted: true };
      current.token = identity.token;
      showToken();
      return { tokenAccepted: true, reread: true };
    } catch (checked) {
      return refusal(checked) === "token" ? { tokenAccepted: false } : {};
    }
  }
  return {};
}

function choicesHint(kind) {
  if (kind === "admin") return "The admin token may grant any capability. Leave a calls limit empty for unlimited calls.";
  if (kind === "unreadable") return "The console cannot see what your token holds: pick from the whole catalogue; the service refuses what your token may not hand down.";
  return "Your token may hand down only what it holds. Where yours has a calls limit, the new token needs one no larger; leave the other limits empty for unlimited calls.";
}

/**
 * Signs out: forgets the secret and everything shown for it.
 * @param {string} message why, for the status line
 */
function signOut(message) {
  forgetSecret();
  state = null;
  clearTimeout(ticker);
  view.showSignedOut();
  view.clearMessages();
  view.say("status", message);
}

// Ticks on each second's boundary, so the countdown never skips a second.
function startTicker() {
  clearTimeout(ticker);
  if (state?.token?.validUntil === undefined) return;
  const tick = () => {
    const now = countdown(state.token.validUntil, Date.now());
    view.renderCountdown(now);
    renderLifetime(state.unit);
    if (now.expired && !state.expiredNoted) {
      state.expiredNoted = true;
      view.say("status", "Your token has expired: the service refuses it from now on. Sign out, and sign in with another token.", "error");
    }
    ticker = setTimeout(tick, 1000 - (Date.now() % 1000) + 5);
  };
  tick();
}

function renderLifetime(unit) {
  state.unit = unit;
  const validUntil = state.token?.validUntil;
  const bound = lifetimeBound(validUntil, unit, Date.now(), state.facts.maxLifetime);
  view.renderLifetime(lifetimeHint(validUntil, bound, unit), bound.most);
}

function lifetimeHint(validUntil, { most, by }, unit) {
  const longest = `at most ${units(most, unit)}`;
  if (state.kind === "unreadable") return `Leave empty: the new token then expires with yours, or never if yours does not. The service allows ${longest}.`;
  if (validUntil === undefined) return `Leave empty for a token that does not expire. The service allows ${longest}.`;
  if (by === "service") return `Yours expires ${dateTime(validUntil)}; the service allows ${longest}. Leave empty to expire with yours.`;
  const limit = most < 1
    ? `less than one ${unit.slice(0, -1)} from now: choose a smaller unit`
    : `so the new one may live ${longest}`;
  return `Yours expires ${dateTime(validUntil)}, ${limit}. Leave empty to expire with yours.`;
}

async function refresh() {
  view.setBusy("refresh", true);
  try {
    state.token = await state.session.getToken();
    showToken();
    view.say("status", "Token details updated.", "ok");
  } catch (error) {
    failed(error, "status", { operation: "read" });
  } finally {
    view.setBusy("refresh", false);
  }
}

/**
 * Creates a token from the form's draft, within what the signed-in token
 * may hand down, and shows its secret once.
 * @param {Parameters<Parameters<typeof view.bindCreate>[0]>[0]} draft
 */
async function create(draft) {
  view.say("create", "");
  const built = createRequest(draft, { allowed: state.allowed, validUntil: state.token?.validUntil, limits: state.facts }, Date.now());
  if ("problem" in built) return view.say("create", built.problem, "error");
  view.setBusy("create", true);
  try {
    const created = await state.session.createToken(built.request);
    view.showCreated(created);
    view.say("create", `Token ${created.id} was created.`, "ok");
    countCall("tokensCreate");
  } catch (error) {
    failed(error, "create", { operation: "create", request: built.request });
  } finally {
    view.setBusy("create", false);
  }
}

async function copySecret(secret) {
  try {
    // Absent outside secure contexts, and refused without permission or focus.
    await navigator.clipboard.writeText(secret);
    view.say("copy", "Copied to the clipboard.", "ok");
  } catch {
    view.selectSecret();
    view.say("copy", "Copying is not available here. The secret is selected: copy it with Ctrl+C (⌘C on a Mac) or your device's copy command.", "error");
  }
}

/**
 * Deletes token `id` after an explicit confirmation; deleting the
 * signed-in token signs out.
 * @param {string} id
 */
async function remove(id) {
  view.say("delete", "");
  if (!isTokenId(id, state.facts.tokenId)) {
    view.say("delete", `Check the form: a token id is ${tokenIdForm(state.facts.tokenId)}.`, "error");
    return view.focusField("delete-id");
  }
  const isSelf = state.token?.id === id;
  if (!(await view.confirmDelete(id, isSelf))) return view.say("delete", "Nothing was deleted.");
  view.setBusy("delete", true);
  try {
    await state.session.deleteToken(id);
    if (isSelf) return signOut("You deleted the token you were signed in with, and every token it created, so you are signed out.");
    view.clearDelete();
    view.say("delete", `Token ${id} and every token it created were deleted.`, "ok");
    countCall("tokensDelete");
  } catch (error) {
    failed(error, "delete", { operation: "delete" });
  } finally {
    view.setBusy("delete", false);
  }
}

// The service counted a call it carried out; show it without spending a
// tokensGetToken call to read the counter back. (A node call whose route
// needs no token has no capability: nothing to count.)
function countCall(endpoint) {
  const limits = state?.token?.capabilities.find((capability) => capability.endpoint === endpoint)?.limits ?? [];
  if (limits.length === 0) return;
  for (const limit of limits) limit.used += 1;
  showToken();
}

// The token's record, and its calls used next to the node operations.
function showToken() {
  view.renderToken(state.token);
  view.renderOperationUsage((capability) => usage(state.token, capability));
}

// What the sentences may tell of the signed-in token and the service: the
// numbers of a used-up limit, and the service's bounds.
function withHolder(context) {
  return { ...context, token: state?.token, limits: state?.facts };
}

// A token refused outright (401) cannot do anything more: sign out.
function failed(error, where, context) {
  const sentence = errorSentence(error, withHolder(context));
  if (refusal(error) === "token") return signOut(`${sentence} You are signed out.`);
  view.say(where, sentence, "error");
}

function readSaved() {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? "";
  } catch {
    return "";
  }
}

function saveSecret(secret) {
  try {
    sessionStorage.setItem(STORAGE_KEY, secret);
  } catch {
    // Storage disabled: the session still works until the tab reloads.
  }
}

function forgetSecret() {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing was stored.
  }
}
