// With tokens-view.js (the list of tokens and one token's page),
// events-view.js and chart.js (what a token did, and its use over time),
// limits-view.js (a capability's limits), choices-view.js (the capabilities
// to create a token with) and field-errors.js (a field's error beside it),
// the only modules that touch the DOM. It shows the view app.js tells it to
// and hands user intents back through the bind* functions. Token data is
// written with textContent only, never parsed as HTML.

import { bindChoices, readPicked, resetChoices, revealChoice } from "./choices-view.js";
import { $, element, typedNumber } from "./dom.js";
import { clearFieldErrors, showFieldError } from "./field-errors.js";
import { capitalized, countdown, dateTime, tokenIdForm } from "./format.js";
import { grantedCapability, heldCapability } from "./limits-view.js";
import { lastUsed } from "./periods.js";

/** Where a message may appear: the page status line, or under a form. */
const REGIONS = {
  status: "status",
  signIn: "sign-in-message",
  create: "create-message",
  copy: "copy-message",
  delete: "delete-message",
  node: "node-message",
  tokens: "tokens-message",
  detail: "detail-message",
  rotatedCopy: "rotated-copy-message",
};

/**
 * Shows `text` in a message region (empty text clears it).
 * @param {keyof REGIONS} where
 * @param {string} text
 * @param {"info" | "ok" | "error"} [tone]
 */
export function say(where, text, tone = "info") {
  const region = $(REGIONS[where]);
  region.textContent = text;
  region.className = `message ${text ? tone : ""}`.trim();
}

/** Clears every message region. */
export function clearMessages() {
  for (const where of Object.keys(REGIONS)) say(where, "");
}

/** Marks the console loaded: until then the sign-in button is disabled. */
export function ready() {
  for (const button of $("sign-in-form").querySelectorAll("button")) button.disabled = false;
  say("status", "");
}

/**
 * Calls `handler(secret)` when the sign-in form is submitted; wires the
 * show/hide toggle of the secret field.
 * @param {(secret: string) => void} handler
 */
export function bindSignIn(handler) {
  const input = $("secret");
  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    clearFieldErrors($("sign-in-form"));
    handler(input.value.trim());
  });
  $("show-secret").addEventListener("click", (event) => {
    const show = input.type === "password";
    input.type = show ? "text" : "password";
    event.currentTarget.setAttribute("aria-pressed", String(show));
    event.currentTarget.textContent = show ? "Hide" : "Show";
  });
}

/**
 * Calls `handler()` when the user signs out.
 * @param {() => void} handler
 */
export function bindSignOut(handler) {
  $("sign-out").addEventListener("click", () => handler());
}

/**
 * Calls `handler()` when the user asks to read the token again.
 * @param {() => void} handler
 */
export function bindRefresh(handler) {
  $("refresh").addEventListener("click", () => handler());
}

/**
 * Shows why a secret was refused, beside its field.
 * @param {string} sentence
 */
export function refuseSecret(sentence) {
  say("signIn", "");
  showFieldError($("secret"), sentence, $("secret").parentElement);
}

/**
 * Shows the signed-out screen, forgetting everything of the last session.
 */
export function showSignedOut() {
  document.title = TITLE;
  for (const id of ["who", "sign-out", "views"]) $(id).hidden = true;
  for (const section of viewSections()) section.hidden = true;
  hideCreated();
  hideRotated();
  for (const id of ["create-form", "delete-form", "sign-in-form", "tokens-search-form"]) {
    $(id).reset();
    clearFieldErrors($(id));
  }
  for (const id of ["choices", "preset-list", "tokens-list", "detail-children", "mine-capabilities", "detail-capabilities"]) $(id).replaceChildren();
  for (const id of ["tokens-summary", "tokens-about", "tokens-page", "picked-count"]) $(id).textContent = "";
  $("tokens-pager").hidden = true;
  clearOperations();
  resetSecretField();
  $("sign-in").hidden = false;
  $("secret").focus();
}

function resetSecretField() {
  $("secret").value = "";
  $("secret").type = "password";
  $("show-secret").setAttribute("aria-pressed", "false");
  $("show-secret").textContent = "Show";
}

/** The page's title, signed out; each view's comes before it. */
export const TITLE = "edge-tokens console";
const VIEW_TITLES = { tokens: "Tokens", token: "Token", create: "Create a token", node: "Node operations", me: "My token" };

// The sections that make up the views, each marked with its view's name.
function viewSections() {
  return document.querySelectorAll("main section[data-view]");
}

/** The sections only a token that may do it is shown. */
let allowed = { create: false, delete: false };

/**
 * Shows the signed-in screens for a token of `kind`, with the views it may
 * use (creating and deleting only where the token may); {@link showView}
 * then shows one of them.
 * @param {"admin" | "issued"} kind
 * @param {string} who how the header names the signed-in token
 * @param {{ create: boolean, delete: boolean }} may
 */
export function showSignedIn(kind, who, may) {
  allowed = may;
  $("sign-in").hidden = true;
  resetSecretField();
  $("who").textContent = who;
  for (const id of ["who", "sign-out", "views"]) $(id).hidden = false;
  $("views").querySelector('a[data-view="create"]').parentElement.hidden = !may.create;
  $("mine-admin").hidden = kind !== "admin";
  $("mine-issued").hidden = kind !== "issued";
}

/**
 * Shows one view (see routes.js) and hides the others; the view's link in
 * the navigation is marked as the current page, and the keyboard focus
 * moves to the view's title (where a screen reader starts reading).
 * @param {"tokens" | "token" | "create" | "node" | "me"} view
 */
export function showView(view) {
  // What a bookmark and the browser's history call the page; a token's page is named after the token once read.
  document.title = `${VIEW_TITLES[view]} · ${TITLE}`;
  for (const section of viewSections()) {
    section.hidden = section.dataset.view !== view || (section.id in allowed && !allowed[section.id]);
  }
  // A token's page is one of the tokens.
  const current = view === "token" ? "tokens" : view;
  for (const link of $("views").querySelectorAll("a[data-view]")) {
    if (link.dataset.view === current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.querySelector(`main section[data-view="${view}"]:not([hidden]) h2`)?.focus();
}

/**
 * Shows an issued token's record: id, description, when it was made, expiry
 * and each capability with its limits and their use.
 * @param {import("./api.js").TokenInfo} token
 */
export function renderToken(token) {
  $("mine-id").textContent = token.id;
  $("mine-description").textContent = token.description || "(no description)";
  $("mine-description").classList.toggle("muted", !token.description);
  $("mine-made").textContent = token.createdAt === undefined ? "" : dateTime(token.createdAt);
  showExpiry($("mine-expiry"), $("mine-countdown"), token.validUntil);
  $("mine-capabilities").replaceChildren(...token.capabilities.map(heldCapability));
}

/**
 * Writes an expiry: its date and time, and a countdown that
 * {@link tickCountdowns} keeps live.
 * @param {HTMLElement} time a `<time>`
 * @param {HTMLElement} counter
 * @param {number | undefined} validUntil
 */
export function showExpiry(time, counter, validUntil) {
  if (validUntil === undefined) {
    time.textContent = "Never";
    time.removeAttribute("datetime");
    delete counter.dataset.validUntil;
    counter.textContent = "";
    return;
  }
  time.textContent = dateTime(validUntil);
  time.dateTime = new Date(validUntil * 1000).toISOString();
  counter.dataset.validUntil = String(validUntil);
  counter.classList.add("countdown");
  showCountdown(counter, countdown(validUntil, Date.now()));
}

/**
 * Shows in `words` when a token was last used ("used 3 min ago"), which
 * {@link tickCountdowns} keeps true while the page stays open.
 * @param {HTMLElement} words
 * @param {number | undefined} lastUsedAt
 */
export function showLastUse(words, lastUsedAt) {
  if (lastUsedAt === undefined) delete words.dataset.lastUsedAt;
  else words.dataset.lastUsedAt = String(lastUsedAt);
  words.textContent = lastUsed(lastUsedAt, Date.now());
}

/**
 * Moves every countdown on the page (the signed-in token's, the list's and
 * the open token's), and every last use in words, to `nowMs`.
 * @param {number} nowMs
 */
export function tickCountdowns(nowMs) {
  for (const counter of document.querySelectorAll("[data-valid-until]")) {
    showCountdown(counter, countdown(Number(counter.dataset.validUntil), nowMs));
  }
  for (const words of document.querySelectorAll("[data-last-used-at]")) {
    words.textContent = lastUsed(Number(words.dataset.lastUsedAt), nowMs);
  }
}

// In parentheses after a date; bare where it stands alone (`data-bare`).
function showCountdown(counter, { text, expired }) {
  counter.textContent = "bare" in counter.dataset ? text : `(${text})`;
  counter.classList.toggle("expired", expired);
}

/**
 * One node operation as the console lists it.
 * @typedef {object} OperationRow
 * @property {string} key how it is named, e.g. "GET /api/v4/node/info"
 * @property {string} method
 * @property {string} path
 * @property {string | null} capability null: it needs no token
 * @property {boolean} websocket
 * @property {boolean} triable whether it gets a Try button
 * @property {string} [usage] its capability's calls used, in words
 */

/**
 * Shows the node operations the signed-in token may call, one collapsible
 * group per API generation.
 * @param {{ summary: string, note: string, noNode: boolean,
 *   groups: { name: string, about: string, open: boolean, operations: OperationRow[] }[] }} model
 *   `noNode`: no node is behind the gateway, which `note` says
 */
export function renderOperations({ summary, note, noNode, groups }) {
  $("node-summary").textContent = summary;
  $("node-gateway").textContent = note;
  $("node-gateway").className = noNode ? "warning" : "hint";
  $("node-groups").replaceChildren(...groups.map(operationGroup));
}

/** Empties the node operations section, e.g. when its table could not be read. */
export function clearOperations() {
  for (const id of ["node-summary", "node-gateway"]) $(id).textContent = "";
  $("node-groups").replaceChildren();
}

function operationGroup({ name, about, open, operations }) {
  const group = Object.assign(element("details", "op-group"), { open });
  const summary = element("summary");
  const count = `${operations.length} operation${operations.length === 1 ? "" : "s"}`;
  summary.append(element("span", "op-group-name", name), " ", element("span", "op-group-about", `${about} · ${count}`));
  const list = element("ul", "ops");
  list.append(...operations.map(operationItem));
  group.append(summary, list);
  return group;
}

let resultIds = 0;

function operationItem(row) {
  const item = element("li", "op");
  item.dataset.route = row.key;
  item.append(element("span", `op-method ${row.method.toLowerCase()}`, row.method), pathCode(row.path), access(row));
  if (!row.triable) return item;
  const result = Object.assign(element("div", "op-result"), { id: `op-result-${++resultIds}`, hidden: true });
  const answer = Object.assign(element("pre", "op-answer"), { tabIndex: 0, hidden: true });
  answer.setAttribute("aria-label", `The node's answer to ${row.key}`);
  const status = element("p", "message");
  status.setAttribute("role", "status");
  result.append(status, answer);
  const button = element("button", "quiet op-try", "Try");
  button.type = "button";
  button.setAttribute("aria-controls", result.id);
  button.append(element("span", "visually-hidden", ` ${row.key}`));
  item.append(button, result);
  return item;
}

// A narrow screen breaks a path after a slash, not inside a segment.
function pathCode(path) {
  const code = element("code", "op-path");
  path.split("/").forEach((segment, index) => {
    if (index > 0) code.append("/", element("wbr"));
    code.append(segment);
  });
  return code;
}

function access({ capability, websocket, usage }) {
  const cell = element("span", "op-access");
  if (capability === null) cell.append(element("span", "op-tag", "no token needed"));
  else cell.append(element("code", "op-capability", capability));
  if (websocket) cell.append(" ", element("span", "op-tag", "WebSocket"));
  if (capability !== null) {
    const used = element("span", "op-usage", usage ?? "");
    used.dataset.capability = capability;
    cell.append(used);
  }
  return cell;
}

/**
 * Updates the calls used shown next to each listed operation.
 * @param {(capability: string) => string | undefined} usageOf
 */
export function renderOperationUsage(usageOf) {
  for (const used of $("node-groups").querySelectorAll(".op-usage")) used.textContent = usageOf(used.dataset.capability) ?? "";
}

/**
 * Calls `handler(key)` when the user asks to try the operation `key`.
 * @param {(key: string) => void} handler
 */
export function bindTry(handler) {
  $("node-groups").addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest(".op-try") : null;
    if (button && button.getAttribute("aria-disabled") !== "true") handler(button.closest(".op").dataset.route);
  });
}

function operationParts(key) {
  const item = [...$("node-groups").querySelectorAll(".op")].find((candidate) => candidate.dataset.route === key);
  if (!item) return null;
  return { item, button: item.querySelector(".op-try"), result: item.querySelector(".op-result"),
    status: item.querySelector(".op-result .message"), answer: item.querySelector(".op-answer") };
}

/** What the line above a tried operation's answer says, and its tone. */
const TRY_CAPTIONS = { calling: ["Calling the node…", "info"], answered: ["The node answered:", "ok"], failed: ["", "error"] };

/**
 * Shows what came of trying operation `key`: while it is called, the node's
 * answer, or why it failed.
 * @param {string} key
 * @param {{ state: "calling" } | { state: "answered", text: string } | { state: "failed", sentence: string }} outcome
 */
export function showTry(key, outcome) {
  const parts = operationParts(key);
  if (!parts) return;
  const { item, button, result, status, answer } = parts;
  const calling = outcome.state === "calling";
  // Not `disabled`: that would take the keyboard focus away from the button.
  button.setAttribute("aria-disabled", String(calling));
  item.setAttribute("aria-busy", String(calling));
  result.hidden = false;
  const [caption, tone] = TRY_CAPTIONS[outcome.state];
  status.textContent = outcome.state === "failed" ? outcome.sentence : caption;
  status.className = `message ${tone}`;
  answer.textContent = outcome.state === "answered" ? outcome.text : "";
  answer.hidden = outcome.state !== "answered";
  answer.scrollTop = 0;
}

/**
 * Bounds and describes the form fields the service bounds: the
 * description's length, and the form of a token id (described, not
 * bounded: a pasted id that is too long is refused with a message, not cut).
 * @param {import("./facts.js").ServiceFacts} facts
 */
export function applyLimits({ maxDescription, tokenId }) {
  $("description").maxLength = maxDescription;
  $("description-note").textContent = `(optional, up to ${maxDescription} characters)`;
  $("delete-hint").textContent = `${capitalized(tokenIdForm(tokenId))}, as shown when the token was created.`;
}

/**
 * Says what the holder may choose from the capability catalogue.
 * @param {string} hint
 */
export function renderChoicesHint(hint) {
  $("choices-hint").textContent = hint;
}

/**
 * Calls `handler(draft)` with the create form's values as typed, its
 * errors cleared; wires the capability choices (see choices-view.js).
 * @param {(draft: { picked: ({ limit: string, every?: { max: string, period: string } } & import("./conditions.js").ConditionsDraft)[],
 *   lifetime: string, unit: string,
 *   description: string }) => void} handler
 * @param {(preset: string, missing: boolean) => void} onPreset after a preset was chosen (ticked, or not for want of capabilities)
 */
export function bindCreate(handler, onPreset) {
  $("create-form").addEventListener("submit", (event) => {
    event.preventDefault();
    clearFieldErrors($("create-form"));
    handler(readDraft());
  });
  bindChoices(onPreset);
}

/** Empties the create form: no capability chosen, no lifetime, no description, no search, no errors. */
export function resetCreate() {
  $("create-form").reset();
  clearFieldErrors($("create-form"));
  resetChoices();
}

function readDraft() {
  return {
    picked: readPicked(),
    lifetime: typedNumber($("lifetime")),
    unit: $("lifetime-unit").value,
    description: $("description").value,
  };
}

/**
 * Calls `handler(unit)` when the lifetime unit changes.
 * @param {(unit: string) => void} handler
 */
export function bindUnit(handler) {
  $("lifetime-unit").addEventListener("change", (event) => handler(event.target.value));
}

/**
 * Describes and bounds the lifetime field.
 * @param {string} hint
 * @param {number} most the most units allowed
 */
export function renderLifetime(hint, most) {
  $("lifetime-hint").textContent = hint;
  $("lifetime").max = String(most);
}

/**
 * Marks a form busy while its request is in flight, so it is not sent twice.
 * @param {"sign-in" | "create" | "delete" | "refresh"} name
 * @param {boolean} busy
 */
export function setBusy(name, busy) {
  const form = name === "refresh" ? $("mine-issued") : $(`${name}-form`);
  form.setAttribute("aria-busy", String(busy));
  for (const button of form.querySelectorAll("button")) button.disabled = busy;
}

/**
 * Shows a new token's secret (this once), and repeats what it was granted
 * and how to use it.
 * @param {{ token: string, id: string, validUntil?: number, description: string,
 *   granted: { endpoint: string, limits?: { type: string, conditions: any }[] }[], base: string, example: string }} created
 *   `granted`: each capability and its limits, as requested; `base`: where
 *   to send requests; `example`: a request to try, without the secret
 */
export function showCreated({ token, id, validUntil, description, granted, base, example }) {
  $("created-secret").textContent = token;
  $("created-id").textContent = id;
  $("created-description").textContent = description || "(no description)";
  $("created-description").classList.toggle("muted", !description);
  $("created-expiry").textContent = validUntil === undefined ? "Never" : dateTime(validUntil);
  $("created-granted").replaceChildren(...granted.map(grantedCapability));
  $("created-base").textContent = base;
  $("created-example").textContent = example;
  say("copy", "");
  $("created").hidden = false;
  guardSecrets();
  $("created").focus();
}

/** Removes the shown secret from the page. */
export function hideCreated() {
  for (const id of ["created-secret", "created-id", "created-description", "created-example"]) $(id).textContent = "";
  $("created-granted").replaceChildren();
  $("created").hidden = true;
  guardSecrets();
}

/**
 * Shows a rotated token's new secret (this once).
 * @param {{ token: string, id: string, description: string, grace: number, graceEnds?: string, base: string }} rotated
 *   `graceEnds`: until when the old secret works, in words (when `grace` > 0)
 */
export function showRotated({ token, id, description, grace, graceEnds, base }) {
  $("rotated-secret").textContent = token;
  const name = description || "(no description)";
  $("rotated-about").textContent = grace > 0
    ? `The new secret of “${name}” (id ${id}). The old one keeps working until ${graceEnds}, then it is refused.`
    : `The new secret of “${name}” (id ${id}). The old one is refused from now on.`;
  $("rotated-base").textContent = base;
  say("rotatedCopy", "");
  $("rotated").hidden = false;
  guardSecrets();
  $("rotated").focus();
}

/** Removes the rotated secret from the page. */
export function hideRotated() {
  $("rotated-secret").textContent = "";
  $("rotated-about").textContent = "";
  $("rotated").hidden = true;
  guardSecrets();
}

// While a secret is shown once, leaving or reloading the page would lose
// it: the browser asks first.
function warnBeforeLeaving(event) {
  event.preventDefault();
  // Older engines ask only when this is set.
  event.returnValue = "";
}

function guardSecrets() {
  if (!$("created").hidden || !$("rotated").hidden) addEventListener("beforeunload", warnBeforeLeaving);
  else removeEventListener("beforeunload", warnBeforeLeaving);
}

/**
 * Calls `handler(secret, where)` when the user asks to copy a shown secret,
 * and `onDone(which)` when they are done with it.
 * @param {(secret: string, which: "created" | "rotated") => void} handler
 * @param {(which: "created" | "rotated") => void} onDone
 */
export function bindSecrets(handler, onDone) {
  $("copy-secret").addEventListener("click", () => handler($("created-secret").textContent, "created"));
  $("created-done").addEventListener("click", () => onDone("created"));
  $("rotated-copy").addEventListener("click", () => handler($("rotated-secret").textContent, "rotated"));
  $("rotated-done").addEventListener("click", () => onDone("rotated"));
}

/**
 * Selects a shown secret, so that it can be copied by hand.
 * @param {"created" | "rotated"} which
 */
export function selectSecret(which) {
  const range = document.createRange();
  range.selectNodeContents($(`${which}-secret`));
  const selection = getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

/**
 * Calls `handler(id)` when the delete form is submitted.
 * @param {(id: string) => void} handler
 */
export function bindDelete(handler) {
  $("delete-form").addEventListener("submit", (event) => {
    event.preventDefault();
    clearFieldErrors($("delete-form"));
    handler($("delete-id").value.trim());
  });
}

/** Empties the delete form. */
export function clearDelete() {
  $("delete-form").reset();
  clearFieldErrors($("delete-form"));
}

/**
 * Shows why the id typed in the delete form is refused, beside it.
 * @param {string} problem
 */
export function refuseDeleteId(problem) {
  showFieldError($("delete-id"), problem);
}

/**
 * Asks, in a modal dialog, whether to delete a token, naming it and what
 * goes with it.
 * @param {{ id: string, description: string, below: string, isSelf: boolean }} token
 *   `below`: what the delete takes with it, in words
 * @returns {Promise<boolean>} true only for an explicit "Delete token"
 */
export function confirmDelete({ id, description, below, isSelf }) {
  $("confirm-name").textContent = description ? `“${description}”` : "This token (no description)";
  $("confirm-id").textContent = id;
  $("confirm-below").textContent = below;
  $("confirm-self").hidden = !isSelf;
  const dialog = $("confirm-delete");
  return new Promise((resolve) => {
    const finish = (answer) => {
      $("confirm-ok").removeEventListener("click", yes);
      $("confirm-cancel").removeEventListener("click", no);
      dialog.removeEventListener("close", no);
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    const yes = () => finish(true);
    const no = () => finish(false);
    $("confirm-ok").addEventListener("click", yes);
    $("confirm-cancel").addEventListener("click", no);
    // Escape closes the dialog: that is a "no".
    dialog.addEventListener("close", no);
    dialog.showModal();
    $("confirm-cancel").focus();
  });
}

/**
 * Asks, in a modal dialog, whether to give a token a new secret, and how
 * long its old one keeps working.
 * @param {{ id: string, description: string, isSelf: boolean, graceHint: string, maxGrace: number }} token
 * @param {(grace: string) => { value: number } | { problem: string }} check
 *   the grace as typed, checked; a problem keeps the dialog open
 * @returns {Promise<number | undefined>} the grace in seconds; undefined: cancelled
 */
export function askRotate({ id, description, isSelf, graceHint, maxGrace }, check) {
  $("rotate-name").textContent = description ? `“${description}”` : "This token (no description)";
  $("rotate-id").textContent = id;
  $("rotate-self").hidden = !isSelf;
  $("rotate-grace-hint").textContent = graceHint;
  $("rotate-grace").max = String(maxGrace);
  $("rotate-form").reset();
  clearFieldErrors($("rotate-form"));
  const dialog = $("confirm-rotate");
  return new Promise((resolve) => {
    const finish = (answer) => {
      $("rotate-form").removeEventListener("submit", submit);
      $("rotate-cancel").removeEventListener("click", cancel);
      dialog.removeEventListener("close", cancel);
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    const submit = (event) => {
      event.preventDefault();
      clearFieldErrors($("rotate-form"));
      const checked = check(typedNumber($("rotate-grace")));
      if ("problem" in checked) {
        showFieldError($("rotate-grace"), checked.problem);
        return;
      }
      finish(checked.value);
    };
    const cancel = () => finish(undefined);
    $("rotate-form").addEventListener("submit", submit);
    $("rotate-cancel").addEventListener("click", cancel);
    dialog.addEventListener("close", cancel);
    dialog.showModal();
    $("rotate-grace").focus();
  });
}

/**
 * Shows a problem of the create form beside the field it is about (opening
 * its capability's group first), marked invalid and focused.
 * @param {import("./rules.js").Field} field
 * @param {string} problem
 */
export function showCreateProblem(field, problem) {
  say("create", "");
  if (field.kind === "capabilities") return showFieldError($("capabilities"), problem, $("choices-hint"));
  if (field.kind === "lifetime") return showFieldError($("lifetime"), problem, $("lifetime").parentElement);
  if (field.kind === "description") return showFieldError($("description"), problem);
  const control = $(FIELD_IDS[field.kind](field));
  if (control) revealChoice(control);
  // Not shown (its capability is not picked, or not offered): said under the form instead.
  if (!control || control.matches(":disabled") || !control.checkVisibility()) return say("create", problem, "error");
  // A field per period shares its line with the period: the message goes under the line.
  showFieldError(control, problem, control.closest(".periodic-row") ?? control);
}

/** The id of a capability's field in the create form, by kind. */
const FIELD_IDS = {
  calls: ({ endpoint }) => `limit-${endpoint}`,
  every: ({ endpoint }) => `every-${endpoint}`,
  spend: ({ endpoint, currency }) => `spend-${endpoint}-${currency}`,
  spendEvery: ({ endpoint, currency }) => `spend-every-${endpoint}-${currency}`,
  targets: ({ endpoint }) => `targets-${endpoint}`,
  listen: ({ endpoint }) => `listen-${endpoint}`,
};
