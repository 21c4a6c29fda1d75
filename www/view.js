// The only module that touches the DOM. It shows what app.js tells it to and
// hands user intents back through the bind* functions. Token data is written
// with textContent only, never parsed as HTML.

import { callsUsed, dateTime, tokenIdForm } from "./format.js";

const $ = (id) => document.getElementById(id);

/** Where a message may appear: the page status line, or under a form. */
const REGIONS = {
  status: "status",
  signIn: "sign-in-message",
  create: "create-message",
  copy: "copy-message",
  delete: "delete-message",
  node: "node-message",
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
 * Shows the signed-out screen, forgetting everything of the last session.
 */
export function showSignedOut() {
  for (const id of ["mine", "node", "create", "delete", "who", "sign-out"]) $(id).hidden = true;
  hideCreated();
  for (const id of ["create-form", "delete-form", "sign-in-form"]) $(id).reset();
  $("choices").replaceChildren();
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

/**
 * Shows the signed-in screens for a token of `kind`.
 * @param {"admin" | "issued" | "unreadable"} kind
 * @param {string} who how the header names the signed-in token
 */
export function showSignedIn(kind, who) {
  $("sign-in").hidden = true;
  resetSecretField();
  $("who").textContent = who;
  for (const id of ["who", "sign-out", "mine", "node", "create", "delete"]) $(id).hidden = false;
  $("mine-admin").hidden = kind !== "admin";
  $("mine-unreadable").hidden = kind !== "unreadable";
  $("mine-issued").hidden = kind !== "issued";
  $("mine-title").focus();
}

/**
 * Shows an issued token's record: id, description, expiry and each
 * capability's calls used out of its limit.
 * @param {import("./vendor/edge-tokens/index.js").Token} token
 */
export function renderToken(token) {
  $("mine-id").textContent = token.id;
  $("mine-description").textContent = token.description || "(no description)";
  $("mine-description").classList.toggle("muted", !token.description);
  const expiry = $("mine-expiry");
  if (token.validUntil === undefined) {
    expiry.textContent = "Never";
    expiry.removeAttribute("datetime");
  } else {
    expiry.textContent = dateTime(token.validUntil);
    expiry.dateTime = new Date(token.validUntil * 1000).toISOString();
  }
  $("mine-capabilities").replaceChildren(...token.capabilities.map(heldCapability));
}

function heldCapability({ endpoint, limits }) {
  const item = element("li", "held-item");
  const name = element("code", "held-name", endpoint);
  item.append(name);
  if (limits.length === 0) {
    item.append(element("span", "held-usage muted", "no calls limit"));
    return item;
  }
  for (const { used, conditions } of limits) {
    const meter = element("meter");
    // Greener while plenty is left, red near the end: the browser's own colours.
    Object.assign(meter, { min: 0, max: conditions.max, value: used, low: conditions.max * 0.75, high: conditions.max * 0.9, optimum: 0 });
    meter.setAttribute("aria-label", `${endpoint}: ${callsUsed(used, conditions.max)}`);
    item.append(meter, element("span", "held-usage", callsUsed(used, conditions.max)));
  }
  return item;
}

/**
 * Updates the live countdown to the signed-in token's expiry.
 * @param {{ text: string, expired: boolean }} countdown
 */
export function renderCountdown({ text, expired }) {
  const node = $("mine-countdown");
  node.textContent = `(${text})`;
  node.classList.toggle("expired", expired);
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

function capitalized(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Fills the capability choices of the create form. A capability with a
 * `max` must get a calls limit no larger: the field is pre-filled, bounded
 * and required; the others are bounded by the service's calls limits.
 * @param {{ endpoint: string, max?: number }[]} offers
 * @param {string} hint what the user may choose, in words
 * @param {{ minCalls: number, maxCalls: number }} calls the service's smallest and largest calls limit
 */
export function renderChoices(offers, hint, { minCalls, maxCalls }) {
  $("choices-hint").textContent = hint;
  $("choices").replaceChildren(...offers.map((offer) => choice(offer, minCalls, maxCalls)));
}

function choice({ endpoint, max }, minCalls, maxCalls) {
  const item = element("li", "choice");
  item.dataset.endpoint = endpoint;
  const box = Object.assign(element("input"), { type: "checkbox", id: `pick-${endpoint}`, value: endpoint });
  const name = Object.assign(element("label", "choice-name"), { htmlFor: box.id });
  name.append(element("code", "", endpoint));
  const limit = Object.assign(element("input", "choice-limit"), {
    type: "number", id: `limit-${endpoint}`, min: String(minCalls), max: String(max ?? maxCalls), step: "1",
    inputMode: "numeric", disabled: true, placeholder: max === undefined ? "no limit" : "",
  });
  if (max !== undefined) Object.assign(limit, { value: String(max), required: true });
  const limitLabel = Object.assign(element("label", "choice-limit-label"), { htmlFor: limit.id });
  limitLabel.append("Calls limit", element("span", "visually-hidden", ` for ${endpoint}`));
  limitLabel.append(max === undefined ? " (empty: unlimited)" : `, at most ${max}`);
  limitLabel.hidden = limit.hidden = true;
  // Only a picked capability's limit means anything, so only it is shown
  // and takes focus; this keeps a catalogue of forty short.
  box.addEventListener("change", () => {
    limit.disabled = limitLabel.hidden = limit.hidden = !box.checked;
  });
  item.append(box, name, limitLabel, limit);
  return item;
}

/**
 * Calls `handler(draft)` with the create form's values as typed.
 * @param {(draft: { picked: { endpoint: string, limit: string }[], lifetime: string, unit: string, description: string }) => void} handler
 */
export function bindCreate(handler) {
  $("create-form").addEventListener("submit", (event) => {
    event.preventDefault();
    handler(readDraft());
  });
  $("pick-all").addEventListener("click", () => pickAll(true));
  $("pick-none").addEventListener("click", () => pickAll(false));
}

function pickAll(checked) {
  for (const box of $("choices").querySelectorAll("input[type=checkbox]")) {
    box.checked = checked;
    box.dispatchEvent(new Event("change"));
  }
}

function readDraft() {
  const picked = [...$("choices").querySelectorAll("li")]
    .filter((item) => item.querySelector("input[type=checkbox]").checked)
    .map((item) => ({ endpoint: item.dataset.endpoint, limit: typedNumber(item.querySelector(".choice-limit")) }));
  return {
    picked,
    lifetime: typedNumber($("lifetime")),
    unit: $("lifetime-unit").value,
    description: $("description").value,
  };
}

// A number field's value is "" both when empty and when it holds text that
// is not a number; the rules must tell those apart.
function typedNumber(input) {
  return input.validity.badInput ? "?" : input.value;
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
 * Shows a new token's secret (this once), id and expiry.
 * @param {{ token: string, id: string, validUntil?: number }} created
 */
export function showCreated({ token, id, validUntil }) {
  $("created-secret").textContent = token;
  $("created-id").textContent = id;
  $("created-expiry").textContent = validUntil === undefined ? "Never" : dateTime(validUntil);
  say("copy", "");
  $("created").hidden = false;
  $("created").focus();
}

/** Removes the shown secret from the page. */
export function hideCreated() {
  $("created-secret").textContent = "";
  $("created-id").textContent = "";
  $("created").hidden = true;
}

/**
 * Calls `handler(secret)` when the user asks to copy the shown secret, and
 * `onDone()` when they are done with it.
 * @param {(secret: string) => void} handler
 * @param {() => void} onDone
 */
export function bindCreated(handler, onDone) {
  $("copy-secret").addEventListener("click", () => handler($("created-secret").textContent));
  $("created-done").addEventListener("click", () => onDone());
}

/** Selects the shown secret, so that it can be copied by hand. */
export function selectSecret() {
  const range = document.createRange();
  range.selectNodeContents($("created-secret"));
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
    handler($("delete-id").value.trim());
  });
}

/** Empties the delete form. */
export function clearDelete() {
  $("delete-form").reset();
}

/**
 * Asks, in a modal dialog, whether to delete token `id`.
 * @param {string} id
 * @param {boolean} isSelf whether it is the signed-in token
 * @returns {Promise<boolean>} true only for an explicit "Delete token"
 */
export function confirmDelete(id, isSelf) {
  const dialog = $("confirm-delete");
  $("confirm-id").textContent = id;
  $("confirm-self").hidden = !isSelf;
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
 * Puts keyboard focus on the field a message is about.
 * @param {"secret" | "delete-id" | "lifetime" | "description"} id
 */
export function focusField(id) {
  $(id).focus();
}

function element(tag, className = "", text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
