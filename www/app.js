// Wires the console: user intents from view.js, tokens-view.js and
// choices-view.js, the view each address names from routes.js, requests
// through api.js, words from format.js, delegation bounds from rules.js
// (with conditions.js for spend budgets, targets and listen ranges),
// node operations from operations.js, the list of tokens from tokens.js,
// a token's events and use over time from usage.js (shown by
// events-view.js) and the capability choices from catalogue.js. It holds
// the session's state; the secret lives in sessionStorage (this tab only)
// and in the client, never in a URL, localStorage or a log.

import { connect, identify, isMistypedSecret, loadFacts, loadGateway, readGateway } from "./api.js";
import { choiceGroups, exampleRequest, presetChoices } from "./catalogue.js";
import * as choicesView from "./choices-view.js";
import { isTokenId } from "./facts.js";
import {
  callsLimits, countdown, createErrorField, dateTime, errorSentence, nodeAnswer, nodeQuestion, refusal, tokenIdForm, units,
} from "./format.js";
import { byGeneration, callable, gatewayNote, isTriable, routeKey, summary, usage, wasCounted } from "./operations.js";
import { HOME, readRoute, routeHash } from "./routes.js";
import { createRequest, graceSeconds, lifetimeBound, offers } from "./rules.js";
import { deletedSentence, deletesWith, listSummary, mayUse, pageOf, rowsFor } from "./tokens.js";
import * as tokensView from "./tokens-view.js";
import * as eventsView from "./events-view.js";
import { chartStart, chartsCaption, eventRows, usageCharts, wantsMore } from "./usage.js";
import * as view from "./view.js";

const STORAGE_KEY = "edge-tokens.secret";
/** How many tokens a page of the list shows: one line each. */
const ROWS_PER_PAGE = 50;
/** How many events a token's page shows at first, and how many more each time. */
const EVENTS_SHOWN = 25;

/**
 * The list of tokens as read so far.
 * @typedef {{ tokens: Map<string, import("./api.js").TokenInfo>, complete: boolean, page: number, query: string }} TokenList
 */

/**
 * The signed-in session, or null when signed out.
 * @type {null | { session: import("./api.js").Session, kind: "admin" | "issued",
 *   token?: import("./api.js").TokenInfo, allowed: import("./rules.js").Offer[],
 *   facts: import("./facts.js").ServiceFacts, unit: string, expiredNoted: boolean,
 *   gateway?: import("./api.js").GatewayTable, list: TokenList, open?: import("./api.js").TokenInfo,
 *   children?: { id: string, tokens: import("./api.js").TokenInfo[], cursor?: string },
 *   events?: { id: string, list: import("./usage.js").TokenEvent[], cursor?: string, shown: number } }}
 *   `open`: the token whose page is shown, as read; `events`: what it did, as read so far
 */
let state = null;
let ticker;
// Each reading of the list has its own number: an older one still under way stops.
let listReading = 0;
/**
 * The view shown and the one shown before it, while signed in: Back to the
 * list goes back in the browser's history when that is where it leads.
 * @type {{ now?: import("./routes.js").Route, before?: import("./routes.js").Route }}
 */
let views = {};

view.bindSignIn((secret) => signIn(secret));
view.bindSignOut(() => signOut("You are signed out. The token was removed from this tab."));
view.bindRefresh(refresh);
view.bindCreate(create, presetChosen);
view.bindUnit((unit) => renderLifetime(unit));
view.bindSecrets(copySecret, (which) => (which === "created" ? view.hideCreated() : view.hideRotated()));
view.bindDelete((id) => remove(id, "delete"));
view.bindTry(tryOperation);
tokensView.bindTokenList({
  rotate: (id) => rotate(id, "tokens"),
  remove: (id) => remove(id, "tokens"),
  search,
  turn,
  reload: () => readList({ announce: true }),
});
tokensView.bindDetail({
  back: () => toList(),
  rotate: (id) => rotate(id, "detail"),
  remove: (id) => remove(id, "detail"),
  more: () => readChildren(),
});
eventsView.bindEvents(() => moreEvents());
addEventListener("hashchange", () => route());
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
    enter(session, identity, facts, gateway);
    renderOperations(gateway);
    readList();
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
  view.refuseSecret(sentence);
}

function enter(session, { kind, token }, facts, gateway) {
  state = {
    session, kind, token, allowed: offers({ token }, facts.catalogue), facts, unit: "hours", expiredNoted: false,
    gateway: "table" in gateway ? gateway.table : undefined,
    list: { tokens: new Map(), complete: false, page: 1, query: "" },
  };
  view.clearMessages();
  const who = kind === "issued" ? `Signed in: token ${token.id}` : "Signed in: admin token";
  view.showSignedIn(kind, who, { create: mayUse(state, "tokensCreate"), delete: mayUse(state, "tokensDelete") });
  if (token) view.renderToken(token);
  view.applyLimits(facts);
  view.renderChoicesHint(choicesHint(kind));
  choicesView.renderChoices(choiceGroups(state.allowed, state.gateway, facts.areas), facts, kind === "issued");
  choicesView.renderPresets(presetChoices(state.gateway?.presets ?? [], state.allowed));
  renderLifetime("hours");
  showList();
  startTicker();
  views = {};
  route();
}

/**
 * Shows the view the address names (see routes.js); an address that names
 * none, or a view the token may not use, is replaced by the list's, saying
 * why. Signed out, the address waits: it is shown after the sign-in.
 */
function route() {
  if (!state) return;
  const target = readRoute(location.hash);
  const refused = target === undefined ? "This address names no view of the console: here is the list of tokens."
    : target.view === "create" && !mayUse(state, "tokensCreate") ? "Your token may not create tokens: it does not hold tokensCreate."
      : undefined;
  if (refused) {
    view.say("status", refused, "error");
    // Replaced, not added: Back must not lead to it again.
    location.replace(routeHash(HOME));
    return;
  }
  // The address bar says where one is, in one spelling ("#/tokens", not "" or "#/").
  if (location.hash !== routeHash(target)) history.replaceState(history.state, "", routeHash(target));
  views = { now: target, before: views.now };
  view.showView(target.view);
  if (target.view === "token") openToken(target.id);
  if (target.view === "tokens" && views.before?.view === "token") tokensView.focusRow(views.before.id);
}

/**
 * Back to the list from a token's page: back in the browser's history
 * when the list is where it came from (so that Back and Forward stay as a
 * person expects), otherwise to the list's address.
 * @param {{ replace?: boolean }} [how] `replace`: the token's page is gone (deleted): no way Forward to it
 */
function toList({ replace = false } = {}) {
  if (views.before?.view === "tokens") history.back();
  else if (replace) location.replace(routeHash(HOME));
  else location.hash = routeHash(HOME);
}

/**
 * Lists the node operations the signed-in token may call, or says why the
 * list cannot be shown.
 * @param {{ table: import("./api.js").GatewayTable } | { error: unknown }} gateway
 */
function renderOperations(gateway) {
  if ("error" in gateway) {
    view.clearOperations();
    view.say("node", `The node operations cannot be shown: ${errorSentence(gateway.error)}`, "error");
    return;
  }
  const { enabled, routes } = gateway.table;
  const list = callable(routes, state);
  view.renderOperations({
    summary: summary(list, state.kind),
    note: gatewayNote(enabled, state.kind),
    noNode: !enabled,
    groups: byGeneration(list.allowed, gateway.table.generations).map(({ name, about, open, routes: listed }) => ({
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
 * whether it still accepts the token (reading the token, which costs
 * nothing either; an issued token's record is then shown afresh).
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
  if (kind === "admin") {
    return "The admin token may grant any capability. Leave a calls limit empty for unlimited calls, and a condition empty for none.";
  }
  return "Your token may hand down only what it holds. Where yours has a calls limit, the new token needs one no larger; "
    + "leave the other limits empty for unlimited calls. Where yours has conditions, the new token keeps them, no wider: "
    + "a spend budget no larger and in none of the other currencies, targets among yours, and listen ranges within "
    + "yours (loopback addresses only where yours has none).";
}

function presetChosen(name, missing) {
  const preset = state.gateway?.presets.find((candidate) => candidate.name === name);
  if (!preset) return;
  if (missing) {
    const lacking = presetChoices([preset], state.allowed)[0].missing;
    view.say("create", `The “${name}” preset needs ${lacking.join(", ")}, which your token cannot grant: nothing was ticked.`, "error");
    return;
  }
  view.say("create", `The “${name}” preset ticked its ${preset.capabilities.length} capabilities; add or remove any before creating.`, "ok");
}

/**
 * Signs out: forgets the secret and everything shown for it.
 * @param {string} message why, for the status line
 */
function signOut(message) {
  forgetSecret();
  state = null;
  views = {};
  listReading += 1;
  tokensView.markReading(false);
  clearTimeout(ticker);
  view.showSignedOut();
  view.clearMessages();
  view.say("status", message);
}

// Ticks on each second's boundary, so the countdowns never skip a second.
function startTicker() {
  clearTimeout(ticker);
  const tick = () => {
    if (!state) return;
    const now = Date.now();
    view.tickCountdowns(now);
    if (state.token?.validUntil !== undefined) {
      renderLifetime(state.unit);
      if (countdown(state.token.validUntil, now).expired && !state.expiredNoted) {
        state.expiredNoted = true;
        view.say("status", "Your token has expired: the service refuses it from now on. Sign out, and sign in with another token.", "error");
      }
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
  if (validUntil === undefined) return `Leave empty for a token that does not expire. The service allows ${longest}.`;
  if (by === "service") return `Yours expires ${dateTime(validUntil)}; the service allows ${longest}. Leave empty to expire with yours.`;
  const limit = most < 1
    ? `less than one ${unit.slice(0, -1)} from now: choose a smaller unit`
    : `so the new one may live ${longest}`;
  return `Yours expires ${dateTime(validUntil)}, ${limit}. Leave empty to expire with yours.`;
}

// Reads the signed-in token again: free, from the management routes.
async function refresh() {
  view.setBusy("refresh", true);
  const current = state;
  try {
    const token = await current.session.inspectToken(current.token.id);
    if (state !== current) return;
    current.token = token;
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
 * may hand down; shows its secret once, with what it was granted and how to
 * use it, and empties the form.
 * @param {Parameters<Parameters<typeof view.bindCreate>[0]>[0]} draft
 */
async function create(draft) {
  view.say("create", "");
  const built = createRequest(draft, { allowed: state.allowed, delegated: state.kind === "issued", validUntil: state.token?.validUntil, limits: state.facts }, Date.now());
  if ("problem" in built) return view.showCreateProblem(built.field, built.problem);
  view.setBusy("create", true);
  try {
    const created = await state.session.createToken(built.request);
    const granted = built.request.capabilities;
    view.showCreated({
      ...created,
      description: built.request.description ?? "",
      granted,
      base: location.origin,
      example: exampleRequest(location.origin, granted, state.gateway?.routes ?? []),
    });
    view.resetCreate();
    view.say("create", `Token ${created.id} was created. The form is empty again.`, "ok");
    countCall("tokensCreate");
    readList({ keepPage: true });
  } catch (error) {
    const field = createErrorField(error);
    failed(error, "create", { operation: "create", request: built.request }, field && ((sentence) => view.showCreateProblem(field, sentence)));
  } finally {
    view.setBusy("create", false);
  }
}

async function copySecret(secret, which) {
  const where = which === "created" ? "copy" : "rotatedCopy";
  try {
    // Absent outside secure contexts, and refused without permission or focus.
    await navigator.clipboard.writeText(secret);
    view.say(where, "Copied to the clipboard.", "ok");
  } catch {
    view.selectSecret(which);
    view.say(where, "Copying is not available here. The secret is selected: copy it with Ctrl+C (⌘C on a Mac) or your device's copy command.", "error");
  }
}

/**
 * Deletes token `id` after an explicit confirmation that names it and how
 * many tokens go with it (read first, for free); deleting the signed-in
 * token signs out.
 * @param {string} id
 * @param {"delete" | "tokens" | "detail"} where the form, the list or the token's page
 */
async function remove(id, where) {
  view.say(where, "");
  // In the form, a refusal is about the id typed: said beside it.
  const besideId = where === "delete" ? view.refuseDeleteId : undefined;
  if (!isTokenId(id, state.facts.tokenId)) {
    const problem = `Check the id: a token id is ${tokenIdForm(state.facts.tokenId)}.`;
    return besideId ? besideId(problem) : view.say(where, problem, "error");
  }
  const current = state;
  let token;
  try {
    token = await current.session.inspectToken(id);
  } catch (error) {
    return failed(error, where, { operation: "delete" }, besideId);
  }
  if (state !== current) return;
  const isSelf = current.token?.id === id;
  if (!(await view.confirmDelete({ id, description: token.description, below: deletesWith(token.descendants), isSelf }))) {
    return view.say(where, "Nothing was deleted.");
  }
  if (where === "delete") view.setBusy("delete", true);
  try {
    await current.session.deleteToken(id);
    if (isSelf) return signOut("You deleted the token you were signed in with, and every token it created, so you are signed out.");
    if (state !== current) return;
    countCall("tokensDelete");
    if (where === "delete") view.clearDelete();
    // Its page is gone with it: back to the list, where the sentence goes.
    if (where === "detail") toList({ replace: true });
    view.say(where === "detail" ? "tokens" : where, deletedSentence(token), "ok");
    readList({ keepPage: true });
  } catch (error) {
    failed(error, where, { operation: "delete" });
  } finally {
    if (where === "delete") view.setBusy("delete", false);
  }
}

/**
 * Gives token `id` a new secret, after asking how long the old one keeps
 * working; shows the new one once. For the signed-in token the console
 * goes on with the new secret.
 * @param {string} id
 * @param {"tokens" | "detail"} where
 */
async function rotate(id, where) {
  view.say(where, "");
  const current = state;
  const token = current.list.tokens.get(id) ?? [current.open, current.token].find((known) => known?.id === id);
  const description = token?.description ?? "";
  const isSelf = current.token?.id === id;
  const { maxGrace } = current.facts;
  const grace = await view.askRotate(
    { id, description, isSelf, maxGrace, graceHint: `0 (or empty): the old secret is refused at once. At most ${maxGrace} seconds.` },
    (typed) => graceSeconds(typed, maxGrace),
  );
  if (state !== current) return;
  if (grace === undefined) return view.say(where, "Nothing was changed.");
  try {
    const rotated = await current.session.rotateToken(id, grace);
    if (state !== current) return;
    countCall("tokensRotate");
    if (isSelf) {
      current.session = connect(rotated.token);
      saveSecret(rotated.token);
    }
    view.showRotated({
      token: rotated.token, id, description, grace, base: location.origin,
      graceEnds: dateTime(Math.floor(Date.now() / 1000) + grace),
    });
    view.say(where, `${description ? `Token “${description}”` : `Token ${id}`} has a new secret${grace > 0 ? "" : "; the old one is refused"}.`, "ok");
  } catch (error) {
    failed(error, where, { operation: "rotate" });
  }
}

/**
 * Reads the list of tokens the signed-in token may see, every page of it
 * (reading costs no call), showing it as it comes.
 * @param {{ keepPage?: boolean, announce?: boolean }} [how] `keepPage`: stay on the page shown
 *   (after a change); `announce`: say when it is read (after a request to read it again)
 */
async function readList({ keepPage = false, announce = false } = {}) {
  const current = state;
  const reading = ++listReading;
  const tokens = new Map();
  // Read anew, the list is shown as it comes; read again (after a change),
  // the list shown stays, and is searched and paged, until the new one is whole.
  if (!keepPage) current.list = { tokens, complete: false, page: 1, query: current.list.query };
  let cursor;
  let pages = 0;
  tokensView.markReading(true);
  try {
    do {
      const page = await current.session.listTokens({ limit: current.facts.pageLimit, cursor });
      if (state !== current || reading !== listReading) return;
      for (const token of page.tokens) tokens.set(token.id, token);
      cursor = page.cursor;
      pages += 1;
      // The first page at once; then only the whole list, so that it does not jump while read.
      if (pages === 1 && !keepPage) showList();
    } while (cursor !== undefined);
    current.list = { ...current.list, tokens, complete: true };
    showList();
    if (announce) view.say("tokens", "The list was read again.", "ok");
  } catch (error) {
    if (state !== current || reading !== listReading) return;
    failed(error, "tokens", { operation: "inspect" });
  } finally {
    // A newer reading says when it is done.
    if (reading === listReading) tokensView.markReading(false);
  }
}

// Shows the page of the list the state says, found by its query.
function showList() {
  const { list } = state;
  const tokens = [...list.tokens.values()];
  const rows = rowsFor(tokens, list.query);
  const shown = pageOf(rows, list.page, ROWS_PER_PAGE);
  list.page = shown.page;
  tokensView.renderTokenList({
    about: state.kind === "admin"
      ? "Every token of this service, each under the token that made it; newest first."
      : "Your token and every token below it, each under the token that made it; newest first.",
    summary: listSummary({ shown, total: tokens.length, found: rows.length, query: list.query, complete: list.complete }),
    rows: shown.rows,
    page: shown.page,
    pages: shown.pages,
    may: { rotate: mayUse(state, "tokensRotate"), delete: mayUse(state, "tokensDelete") },
    selfId: state.token?.id,
  });
}

function search(query) {
  if (!state) return;
  state.list.query = query;
  state.list.page = 1;
  showList();
}

function turn(by) {
  if (!state) return;
  state.list.page += by;
  showList();
}

/**
 * Fills token `id`'s page: read afresh (free), with how many tokens are
 * below it and the tokens it made.
 * @param {string} id
 */
async function openToken(id) {
  const current = state;
  current.children = undefined;
  tokensView.showDetailReading(id);
  if (!isTokenId(id, current.facts.tokenId)) {
    return view.say("detail", `This address names no token: a token id is ${tokenIdForm(current.facts.tokenId)}.`, "error");
  }
  const stillOpen = () => state === current && tokensView.openToken() === id;
  try {
    const token = await current.session.inspectToken(id);
    if (!stillOpen()) return;
    current.open = token;
    const parent = token.parent === undefined ? undefined : current.list.tokens.get(token.parent);
    current.children = { id, tokens: [], cursor: undefined };
    tokensView.showDetail({
      token,
      madeBy: token.parent === undefined ? undefined : { id: token.parent, description: parent?.description },
      isSelf: current.token?.id === id,
      may: { rotate: mayUse(current, "tokensRotate"), delete: mayUse(current, "tokensDelete") },
      below: token.descendants === undefined ? "" : token.descendants === 0 ? "No tokens" : `${token.descendants} token${token.descendants === 1 ? "" : "s"}, made by it or by the tokens it made`,
    });
    tokensView.renderChildren({ children: [], more: false, summary: "Reading the tokens it made…" });
    await Promise.all([readChildren(), readEvents(token)]);
  } catch (error) {
    if (!stillOpen()) return;
    failed(error, "detail", { operation: "inspect" });
  }
}

// Reads the next tokens the open token made (pages may come empty: on to
// the next until one holds a token, or there is none).
async function readChildren() {
  const current = state;
  const children = current?.children;
  if (!children) return;
  try {
    let { cursor } = children;
    let found = 0;
    do {
      const page = await current.session.listTokens({ parent: children.id, limit: current.facts.pageLimit, cursor });
      if (state !== current || current.children !== children) return;
      children.tokens.push(...page.tokens);
      found += page.tokens.length;
      cursor = page.cursor;
    } while (found === 0 && cursor !== undefined);
    children.cursor = cursor;
    const count = children.tokens.length;
    tokensView.renderChildren({
      children: [...children.tokens].sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0)),
      more: cursor !== undefined,
      summary: count === 0 ? "It made no tokens." : `${count} token${count === 1 ? "" : "s"}${cursor === undefined ? "" : " so far"}, newest first.`,
    });
  } catch (error) {
    if (state !== current) return;
    failed(error, "detail", { operation: "inspect" });
  }
}

/**
 * Reads what the open token (and the tokens below it) did, newest first,
 * for its charts: page after page, until the charts' span is read or the
 * console's cap is reached (reading costs no call); then shows the newest
 * events and the charts.
 * @param {import("./api.js").TokenInfo} token
 */
async function readEvents(token) {
  const current = state;
  const events = { id: token.id, list: [], cursor: undefined, shown: EVENTS_SHOWN };
  current.events = events;
  eventsView.showEventsReading();
  const nowMs = Date.now();
  const start = chartStart(nowMs);
  try {
    do {
      const page = await current.session.listEvents(token.id, { limit: current.facts.eventsPageLimit, cursor: events.cursor });
      if (state !== current || current.events !== events) return;
      events.list.push(...page.events);
      events.cursor = page.cursor;
    } while (wantsMore({ read: events.list.length, cursor: events.cursor, oldestAt: events.list.at(-1)?.at, start }));
    showEvents(events);
    const complete = events.cursor === undefined || (events.list.at(-1)?.at ?? nowMs) < start;
    const charts = usageCharts(events.list, token, { nowMs, complete, outside: above(token) });
    eventsView.showCharts({ caption: chartsCaption(charts, events.list.length, dateTimeMs), charts });
  } catch (error) {
    if (state !== current || current.events !== events) return;
    failed(error, "detail", { operation: "inspect" });
  }
}

// The tokens known to be above `token`: what they did to it (made, rotated,
// deleted it or a token below it) is not its use.
function above(token) {
  const found = new Set();
  for (let id = token.parent; id !== undefined && !found.has(id); id = state.list.tokens.get(id)?.parent) found.add(id);
  return found;
}

function dateTimeMs(ms) {
  return dateTime(Math.floor(ms / 1000));
}

// Shows more of the events read, reading the next page when they are all shown.
async function moreEvents() {
  const current = state;
  const events = current?.events;
  if (!events) return;
  events.shown += EVENTS_SHOWN;
  try {
    while (events.list.length < events.shown && events.cursor !== undefined) {
      const page = await current.session.listEvents(events.id, { limit: current.facts.eventsPageLimit, cursor: events.cursor });
      if (state !== current || current.events !== events) return;
      events.list.push(...page.events);
      events.cursor = page.cursor;
    }
    showEvents(events);
  } catch (error) {
    if (state !== current) return;
    failed(error, "detail", { operation: "inspect" });
  }
}

function showEvents(events) {
  const shown = events.list.slice(0, events.shown);
  const more = events.list.length > shown.length || events.cursor !== undefined;
  const count = `${shown.length} event${shown.length === 1 ? "" : "s"}`;
  eventsView.showEvents({
    rows: eventRows(shown, events.id, (id) => state.list.tokens.get(id)?.description),
    more,
    summary: shown.length === 0 ? "Nothing it did is recorded yet." : `${more ? `The newest ${count}` : count}, newest first.`,
  });
}

// The service counted a call it carried out; show it without spending a
// tokensGetToken call to read the counter back. (A node call whose route
// needs no token has no capability: nothing to count. The console calls
// no route that moves funds: no spend budget to count.)
function countCall(endpoint) {
  const limits = callsLimits(state?.token, endpoint);
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
// Otherwise the sentence goes beside the field it is about (`beside`), or
// to the message region `where`.
function failed(error, where, context, beside) {
  const sentence = errorSentence(error, withHolder(context));
  if (refusal(error) === "token") return signOut(`${sentence} You are signed out.`);
  if (beside) return beside(sentence);
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
