// The DOM of the list of tokens and of one token's page (with view.js,
// events-view.js, chart.js and limits-view.js, the only modules that touch
// it). It shows what app.js
// tells it to and hands user intents back through the bind* functions. A
// token is opened by a link to its page's address (routes.js). Token data is
// written with textContent only, never parsed as HTML.

import { $, element } from "./dom.js";
import { dateTime } from "./format.js";
import { heldCapability } from "./limits-view.js";
import { tokenHash } from "./routes.js";
import { capabilityUses } from "./tokens.js";
import { TITLE, showExpiry, showLastUse } from "./view.js";

/** @typedef {import("./api.js").TokenInfo} TokenInfo */

/** How deep the list indents: deeper rows are indented no further (their maker is named). */
const DEEPEST_INDENT = 4;

/**
 * What the list may offer for each token.
 * @typedef {{ rotate: boolean, delete: boolean }} Actions
 */

/**
 * Shows a page of the list: one line per token.
 * @param {{ about: string, summary: string, rows: import("./tokens.js").TokenRow[], page: number, pages: number,
 *   may: Actions, selfId?: string }} list
 *   `selfId`: the signed-in token's id, named as such
 */
export function renderTokenList({ about, summary, rows, page, pages, may, selfId }) {
  $("tokens-about").textContent = about;
  setSummary(summary);
  $("tokens-list").replaceChildren(...rows.map((row) => tokenRow(row, may, selfId)));
  const focused = document.activeElement;
  const [prev, next] = [$("tokens-prev"), $("tokens-next")];
  $("tokens-pager").hidden = pages <= 1;
  prev.disabled = page <= 1;
  next.disabled = page >= pages;
  $("tokens-page").textContent = `Page ${page} of ${pages}`;
  // A page button that can go no further would lose the focus: give it to the other one.
  if (focused === next && next.disabled && !prev.disabled) prev.focus();
  if (focused === prev && prev.disabled && !next.disabled) next.focus();
}

/**
 * Marks the list busy while it is read (and its lines may still change).
 * @param {boolean} reading
 */
export function markReading(reading) {
  $("tokens-list").setAttribute("aria-busy", String(reading));
}

// The summary is a live region: write it only when it changes, so that a
// screen reader does not repeat it.
function setSummary(summary) {
  if ($("tokens-summary").textContent !== summary) $("tokens-summary").textContent = summary;
}

// One line: description, id, maker, capabilities with their use, last
// use, expiry, actions. A cell too narrow for its text ends it with an ellipsis and
// shows it whole on hover (its title); each cell names itself to a screen
// reader.
function tokenRow({ token, depth, madeBy }, may, selfId) {
  const row = element("li", "token-row");
  row.dataset.id = token.id;
  row.dataset.depth = String(depth);
  row.style.setProperty("--depth", String(Math.min(depth, DEEPEST_INDENT)));
  const name = displayName(token);
  const title = cell("token-name");
  const open = tokenLink(token.id, name, "token-open");
  open.classList.toggle("muted", !token.description);
  title.append(open);
  if (token.id === selfId) title.append(" ", element("span", "token-badge", "your token"));
  title.title = `${name} (id ${token.id})`;
  const id = cell("token-id", "Id");
  id.append(element("code", "", token.id));
  const maker = cell("token-maker", "Made by");
  const makers = makerParts(token, madeBy, selfId);
  maker.append(...makers);
  maker.title = `Made by ${makers.map((part) => (typeof part === "string" ? part : part.textContent)).join("")}`;
  const actions = element("div", "token-actions");
  if (may.rotate) actions.append(actionButton("rotate", token.id, "quiet", "New secret…", ` for ${name}`));
  if (may.delete) actions.append(actionButton("delete", token.id, "danger", "Delete…", ` ${name}`));
  row.append(title, id, maker, capabilities(token), lastUse(token), expiry(token), actions);
  return row;
}

function cell(className, label) {
  const part = element("div", `token-cell ${className}`);
  if (label) part.append(element("span", "visually-hidden", `${label}: `));
  return part;
}

function displayName(token) {
  return token.description || "(no description)";
}

function tokenLink(id, text, className = "") {
  const link = element("a", className, text);
  link.href = tokenHash(id);
  return link;
}

function actionButton(action, id, className, text, hidden) {
  const button = element("button", className, text);
  button.type = "button";
  button.dataset.action = action;
  button.dataset.target = id;
  if (hidden) button.append(element("span", "visually-hidden", hidden));
  return button;
}

// Who made the token: the admin, a token in the list (a link to it), or
// one above the signed-in token (its id).
function makerParts(token, madeBy, selfId) {
  if (token.id === selfId) return [token.parent === undefined ? "the admin token" : "a token above yours"];
  if (madeBy === undefined) return ["the admin token"];
  if (madeBy.description === undefined) return [element("code", "", madeBy.id)];
  return [tokenLink(madeBy.id, madeBy.description ? `“${madeBy.description}”` : `token ${madeBy.id}`)];
}

// Its capabilities on one line, the most used first, each limited one
// with a small bar; in full on hover.
function capabilities(token) {
  const part = cell("token-caps", "Capabilities");
  const uses = capabilityUses(token);
  if (uses.length === 0) part.append(element("span", "muted", "no capabilities"));
  uses.forEach(({ endpoint, use, share }, index) => {
    if (index > 0) part.append(" · ");
    const item = element("span", "token-cap");
    item.append(element("code", "", endpoint));
    if (share !== undefined) {
      const meter = Object.assign(element("meter"), { min: 0, max: 1, value: share, low: 0.75, high: 0.9, optimum: 0 });
      meter.setAttribute("aria-label", `${endpoint}: ${use.join(", ")}`);
      item.append(" ", meter);
    }
    if (use.length > 0) item.append(" ", use.join(", "));
    part.append(item);
  });
  part.title = uses.map(({ endpoint, use }) => `${endpoint}: ${use.length > 0 ? use.join(", ") : "no limits"}`).join("\n");
  return part;
}

// When it was last used, in words; the date and time on hover.
function lastUse(token) {
  const part = cell("token-used", "Last used");
  const words = element("span");
  showLastUse(words, token.lastUsedAt);
  part.append(words);
  part.classList.toggle("muted", token.lastUsedAt === undefined);
  if (token.lastUsedAt !== undefined) part.title = `Last used ${dateTime(token.lastUsedAt)}`;
  return part;
}

// The date and time of the last use, and how long ago in words; "Never".
function lastUseSince(lastUsedAt) {
  if (lastUsedAt === undefined) return ["Never"];
  const words = element("span");
  showLastUse(words, lastUsedAt);
  return [`${dateTime(lastUsedAt)} (`, words, ")"];
}

// When it expires: the countdown, the date and time in words for a screen
// reader and on hover.
function expiry(token) {
  const part = cell("token-expires", "Expires");
  if (token.validUntil === undefined) {
    part.append(element("span", "muted", "never"));
    return part;
  }
  const time = element("time", "visually-hidden");
  const counter = element("span", "countdown");
  counter.dataset.bare = "";
  showExpiry(time, counter, token.validUntil);
  part.append(time, " ", counter);
  part.title = `Expires ${dateTime(token.validUntil)}`;
  return part;
}

/**
 * Calls the handlers on what the user does with the list: give a token a
 * new secret, delete it, search, turn the page, read it again. (A token is
 * opened by its link: the address changes.)
 * @param {{ rotate: (id: string) => void, remove: (id: string) => void,
 *   search: (query: string) => void, turn: (by: number) => void, reload: () => void }} handlers
 */
export function bindTokenList({ rotate, remove, search, turn, reload }) {
  const act = { rotate, delete: remove };
  $("tokens-list").addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("button[data-action]") : null;
    if (button) act[button.dataset.action]?.(button.dataset.target);
  });
  $("tokens-search").addEventListener("input", () => search($("tokens-search").value));
  $("tokens-search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    search($("tokens-search").value);
  });
  $("tokens-prev").addEventListener("click", () => turn(-1));
  $("tokens-next").addEventListener("click", () => turn(1));
  $("tokens-reload").addEventListener("click", () => reload());
}

/** What the search box holds. */
export function searchQuery() {
  return $("tokens-search").value;
}

/**
 * Puts the keyboard focus on the link of the token that was open, if it
 * is listed, after coming back to the list.
 * @param {string} [id]
 */
export function focusRow(id) {
  const row = id === undefined ? null : [...$("tokens-list").querySelectorAll(".token-row")].find((item) => item.dataset.id === id);
  row?.querySelector(".token-open")?.focus();
}

/**
 * Starts token `id`'s page: its title, while it is read.
 * @param {string} id
 */
export function showDetailReading(id) {
  $("detail").dataset.id = id;
  $("detail-title").textContent = `Token ${id}`;
  $("detail-body").hidden = true;
  $("detail-message").textContent = "Reading the token…";
  $("detail-message").className = "message info";
}

/**
 * Fills token `token`'s page.
 * @param {{ token: TokenInfo, madeBy?: { id: string, description?: string }, isSelf: boolean, may: Actions,
 *   below: string }} detail `below`: how many tokens are below it, in words
 */
export function showDetail({ token, madeBy, isSelf, may, below }) {
  $("detail").dataset.id = token.id;
  $("detail-title").textContent = isSelf ? `${displayName(token)} (your token)` : displayName(token);
  document.title = `${displayName(token)} · ${TITLE}`;
  $("detail-id").textContent = token.id;
  $("detail-made").textContent = token.createdAt === undefined ? "" : dateTime(token.createdAt);
  const parent = $("detail-parent");
  if (token.parent === undefined) parent.replaceChildren("The admin token");
  else if (madeBy?.description !== undefined) parent.replaceChildren(tokenLink(madeBy.id, madeBy.description ? `“${madeBy.description}”` : `token ${madeBy.id}`));
  else parent.replaceChildren(element("code", "wrap", token.parent), isSelf ? " (a token above yours)" : "");
  showExpiry($("detail-expiry"), $("detail-countdown"), token.validUntil);
  $("detail-used").replaceChildren(...lastUseSince(token.lastUsedAt));
  $("detail-descendants").textContent = below;
  $("detail-capabilities").replaceChildren(...token.capabilities.map(heldCapability));
  $("detail-rotate").hidden = !may.rotate;
  $("detail-delete").hidden = !may.delete;
  $("detail-message").textContent = "";
  $("detail-message").className = "message";
  $("detail-body").hidden = false;
}

/**
 * Shows the tokens the open token made, a page at a time.
 * @param {{ children: TokenInfo[], more: boolean, summary: string }} list
 */
export function renderChildren({ children, more, summary }) {
  $("detail-children-summary").textContent = summary;
  $("detail-children").replaceChildren(...children.map((child) => {
    const item = element("li", "child-row");
    item.dataset.id = child.id;
    const open = tokenLink(child.id, displayName(child));
    open.classList.toggle("muted", !child.description);
    const expires = element("span", "child-expiry hint");
    if (child.validUntil === undefined) {
      expires.append("never expires");
    } else {
      const counter = element("span", "countdown");
      showExpiry(element("time"), counter, child.validUntil);
      expires.append("expires ", counter);
    }
    item.append(open, " ", element("code", "wrap child-id", child.id), " ", expires);
    return item;
  }));
  $("detail-more").hidden = !more;
}

/** The id of the token whose page is shown (or being read), if it is. */
export function openToken() {
  return $("detail").hidden ? undefined : $("detail").dataset.id;
}

/**
 * Calls the handlers on what the user does on a token's page. (Its maker
 * and the tokens it made are opened by their links.)
 * @param {{ back: () => void, rotate: (id: string) => void, remove: (id: string) => void, more: () => void }} handlers
 *   `back`: back to the list, as the browser's Back button would, where it would
 */
export function bindDetail({ back, rotate, remove, more }) {
  $("detail-back").addEventListener("click", (event) => {
    event.preventDefault();
    back();
  });
  $("detail-rotate").addEventListener("click", () => rotate($("detail").dataset.id));
  $("detail-delete").addEventListener("click", () => remove($("detail").dataset.id));
  $("detail-more").addEventListener("click", () => more());
  // Escape on a token's page goes back to the list, as the Back link does.
  $("detail").addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !event.defaultPrevented) back();
  });
}
