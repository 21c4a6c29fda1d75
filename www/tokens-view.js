// The DOM of the list of tokens and of one token's page (with view.js and
// limits-view.js, the only modules that touch it). It shows what app.js
// tells it to and hands user intents back through the bind* functions.
// Token data is written with textContent only, never parsed as HTML.

import { $, element } from "./dom.js";
import { dateTime } from "./format.js";
import { heldCapability } from "./limits-view.js";
import { showExpiry } from "./view.js";

/** @typedef {import("./api.js").TokenInfo} TokenInfo */

/** How deep the list indents: deeper rows are indented no further (their maker is named). */
const DEEPEST_INDENT = 4;

/**
 * What the list may offer for each token.
 * @typedef {{ rotate: boolean, delete: boolean }} Actions
 */

/**
 * Shows a page of the list.
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

// The summary is a live region: write it only when it changes, so that a
// screen reader does not repeat it.
function setSummary(summary) {
  if ($("tokens-summary").textContent !== summary) $("tokens-summary").textContent = summary;
}

function tokenRow({ token, depth, madeBy }, may, selfId) {
  const row = element("li", "token-row");
  row.dataset.id = token.id;
  row.style.setProperty("--depth", String(Math.min(depth, DEEPEST_INDENT)));
  const name = displayName(token);
  const main = element("div", "token-main");
  const heading = element("h3", "token-name");
  const open = actionButton("open", token.id, "link token-open", name);
  open.classList.toggle("muted", !token.description);
  heading.append(open);
  main.append(heading, place(token, madeBy, selfId), facts(token), capabilities(token));
  const actions = element("div", "token-actions");
  if (may.rotate) actions.append(actionButton("rotate", token.id, "quiet", "New secret…", ` for ${name}`));
  if (may.delete) actions.append(actionButton("delete", token.id, "danger", "Delete…", ` ${name}`));
  row.append(main);
  if (actions.childElementCount > 0) row.append(actions);
  return row;
}

function displayName(token) {
  return token.description || "(no description)";
}

function actionButton(action, id, className, text, hidden) {
  const button = element("button", className, text);
  button.type = "button";
  button.dataset.action = action;
  button.dataset.target = id;
  if (hidden) button.append(element("span", "visually-hidden", hidden));
  return button;
}

// Where the token is in the tree: whose it is.
function place(token, madeBy, selfId) {
  const line = element("p", "token-place");
  if (token.id === selfId) {
    line.append("Your token");
    if (token.parent !== undefined) line.append(" (made by a token above it)");
    return line;
  }
  if (madeBy === undefined) {
    line.append("Made by the admin token");
    return line;
  }
  line.append("Made by ");
  if (madeBy.description === undefined) {
    line.append(element("code", "", madeBy.id));
  } else {
    line.append(actionButton("open", madeBy.id, "link", madeBy.description ? `“${madeBy.description}”` : `token ${madeBy.id}`));
  }
  return line;
}

function facts(token) {
  const list = element("dl", "token-facts");
  const fact = (term, ...value) => {
    const pair = element("div");
    const dd = element("dd");
    dd.append(...value);
    pair.append(element("dt", "", term), dd);
    list.append(pair);
  };
  fact("Id", element("code", "wrap", token.id));
  if (token.createdAt !== undefined) fact("Made", dateTime(token.createdAt));
  const time = element("time");
  const counter = element("span", "countdown");
  showExpiry(time, counter, token.validUntil);
  fact("Expires", time, " ", counter);
  return list;
}

// The limited capabilities with their bars; the others by name.
function capabilities(token) {
  const limited = token.capabilities.filter((capability) => capability.limits.length > 0);
  const free = token.capabilities.filter((capability) => capability.limits.length === 0);
  const part = element("div", "token-caps");
  if (limited.length > 0) {
    const list = element("ul", "held compact");
    list.append(...limited.map(heldCapability));
    part.append(list);
  }
  if (free.length > 0) {
    const line = element("p", "token-free");
    line.append(limited.length > 0 ? "Without a calls limit: " : "Capabilities, without calls limits: ");
    free.forEach(({ endpoint }, index) => {
      if (index > 0) line.append(", ");
      line.append(element("code", "", endpoint));
    });
    part.append(line);
  }
  if (token.capabilities.length === 0) part.append(element("p", "token-free muted", "No capabilities."));
  return part;
}

/**
 * Calls the handlers on what the user does with the list: open a token,
 * give it a new secret, delete it, search, turn the page, read it again.
 * @param {{ open: (id: string) => void, rotate: (id: string) => void, remove: (id: string) => void,
 *   search: (query: string) => void, turn: (by: number) => void, reload: () => void }} handlers
 */
export function bindTokenList({ open, rotate, remove, search, turn, reload }) {
  const act = { open, rotate, delete: remove };
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
 * After a page turn, puts the keyboard focus on the first token shown, so
 * that reading goes on from there.
 */
export function focusFirstRow() {
  const first = $("tokens-list").querySelector(".token-open");
  (first ?? $("tokens-title")).focus();
}

/**
 * Shows the list again in place of a token's page; the focus goes back to
 * the token that was open, if it is still listed.
 * @param {string} [id]
 */
export function showList(id) {
  $("detail").hidden = true;
  $("tokens").hidden = false;
  const row = id === undefined ? null : [...$("tokens-list").querySelectorAll(".token-row")].find((item) => item.dataset.id === id);
  (row?.querySelector(".token-open") ?? $("tokens-title")).focus();
}

/**
 * Shows one token's page in place of the list.
 * @param {{ token: TokenInfo, madeBy?: { id: string, description?: string }, isSelf: boolean, may: Actions,
 *   below: string }} detail `below`: how many tokens are below it, in words
 */
export function showDetail({ token, madeBy, isSelf, may, below }) {
  $("detail").dataset.id = token.id;
  $("detail-title").textContent = isSelf ? `${displayName(token)} (your token)` : displayName(token);
  $("detail-id").textContent = token.id;
  $("detail-made").textContent = token.createdAt === undefined ? "" : dateTime(token.createdAt);
  const parent = $("detail-parent");
  if (token.parent === undefined) parent.replaceChildren("The admin token");
  else if (madeBy?.description !== undefined) parent.replaceChildren(actionButton("open", madeBy.id, "link", madeBy.description ? `“${madeBy.description}”` : `token ${madeBy.id}`));
  else parent.replaceChildren(element("code", "wrap", token.parent), isSelf ? " (a token above yours)" : "");
  showExpiry($("detail-expiry"), $("detail-countdown"), token.validUntil);
  $("detail-descendants").textContent = below;
  $("detail-capabilities").replaceChildren(...token.capabilities.map(heldCapability));
  $("detail-rotate").hidden = !may.rotate;
  $("detail-delete").hidden = !may.delete;
  $("detail-message").textContent = "";
  $("detail-message").className = "message";
  $("tokens").hidden = true;
  $("detail").hidden = false;
  $("detail-title").focus();
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
    const open = actionButton("open", child.id, "link", displayName(child));
    open.classList.toggle("muted", !child.description);
    const expiry = element("span", "child-expiry hint");
    if (child.validUntil === undefined) {
      expiry.append("never expires");
    } else {
      const counter = element("span", "countdown");
      showExpiry(element("time"), counter, child.validUntil);
      expiry.append("expires ", counter);
    }
    item.append(open, " ", element("code", "wrap child-id", child.id), " ", expiry);
    return item;
  }));
  $("detail-more").hidden = !more;
}

/** The id of the open token, if its page is shown. */
export function openToken() {
  return $("detail").hidden ? undefined : $("detail").dataset.id;
}

/**
 * Calls the handlers on what the user does on a token's page.
 * @param {{ back: () => void, open: (id: string) => void, rotate: (id: string) => void,
 *   remove: (id: string) => void, more: () => void }} handlers
 */
export function bindDetail({ back, open, rotate, remove, more }) {
  $("detail-back").addEventListener("click", () => back());
  $("detail").addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("button[data-action=open]") : null;
    if (button) open(button.dataset.target);
  });
  $("detail-rotate").addEventListener("click", () => rotate($("detail").dataset.id));
  $("detail-delete").addEventListener("click", () => remove($("detail").dataset.id));
  $("detail-more").addEventListener("click", () => more());
  // Escape on a token's page goes back to the list, as the Back button does.
  $("detail").addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !event.defaultPrevented) back();
  });
}
