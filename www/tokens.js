// The list of tokens the signed-in token may see, as the console shows it:
// in tree order (each token under the one that made it), found by
// description or id, a page at a time, each limit's use in words. Pure, so that it runs (and is tested)
// in Node.js as well; app.js reads the pages from the service.

import { amountText, readAmount, unitsText } from "./amounts.js";
import { CALLS, LISTEN, SPEND, TARGETS, listenLine, spendUsed, targetsLine } from "./conditions.js";
import { callsUsed } from "./format.js";
import { isPeriodic, lastSpan, periodicUse } from "./periods.js";

/** @typedef {import("./api.js").TokenInfo} TokenInfo */

/**
 * One capability of a token as a row of the list shows it.
 * @typedef {object} CapabilityUse
 * @property {string} endpoint
 * @property {string[]} use each limit's use or condition, in words (empty: it has none)
 * @property {number} [share] the largest part of a calls limit or spend budget used, 0 to 1, when it has one
 */

/**
 * A token's capabilities, each with its use in words, the most used first
 * (then those with conditions only, then the others, each in the token's
 * order): a row that has room for only some shows those that matter most.
 * @param {{ capabilities: { endpoint: string, limits: import("./api.js").Limit[] }[] }} token
 * @param {number} [nowMs] now, for when a periodic limit's capacity returns
 * @returns {CapabilityUse[]}
 */
export function capabilityUses(token, nowMs = Date.now()) {
  const uses = token.capabilities.map(({ endpoint, limits }) => {
    const use = [];
    const shares = [];
    for (const limit of limits) {
      const used = limitUse(limit, nowMs);
      if (used) {
        use.push(used.text);
        if (used.share !== undefined) shares.push(used.share);
      } else if (limit.type === TARGETS) {
        use.push(targetsLine(limit.conditions.allow));
      } else if (limit.type === LISTEN) {
        use.push(listenLine(limit.conditions.allow));
      }
    }
    return shares.length > 0 ? { endpoint, use, share: Math.min(1, Math.max(...shares)) } : { endpoint, use };
  });
  const rank = (capability) => (capability.share !== undefined ? 2 + capability.share : capability.use.length > 0 ? 1 : 0);
  return uses.map((capability, index) => ({ capability, index }))
    .sort((a, b) => rank(b.capability) - rank(a.capability) || a.index - b.index)
    .map(({ capability }) => capability);
}

/**
 * The use of a calls limit or a spend budget, lifetime or periodic, in
 * words, and how much of it is used (for a bar).
 * @param {import("./api.js").Limit} limit as the API shows it
 * @param {number} nowMs
 * @returns {{ text: string, used?: number, max?: number, share?: number } | undefined}
 *   `used`, `max`: a calls limit's; `share`: 0 to 1, where it could be read;
 *   undefined for a limit that is not used up (targets, listen)
 * @example limitUse({ type: "calls", conditions: { max: 10, period: 3600 }, used: 3 }, now).text // "3 of 10 calls in the last hour"
 */
export function limitUse(limit, nowMs) {
  if (limit.type === CALLS) {
    const { used, conditions: { max, period } } = limit;
    const text = isPeriodic(limit)
      ? periodicUse({ used: String(used), max: `${max} call${max === 1 ? "" : "s"}`, period, returnsAt: limit.returnsAt }, nowMs)
      : callsUsed(used, max);
    return { text, used, max, share: Math.min(1, used / max) };
  }
  if (limit.type !== SPEND) return undefined;
  const spent = spendUsed(limit);
  const share = spent.max > 0n ? Math.min(1, Number((spent.used * 1000n) / spent.max) / 1000) : undefined;
  if (!isPeriodic(limit)) return spent.max === undefined ? { text: spent.text } : { text: spent.text, share };
  const max = readAmount(String(limit.conditions.max));
  const used = readAmount(String(limit.used));
  if (!max || !used) return { text: `${limit.used} of ${limit.conditions.max} moved in the last ${lastSpan(limit.conditions.period)}` };
  return {
    text: periodicUse({ used: unitsText(used.wei), max: `${amountText(max.wei, max.currency)} moved`, period: limit.conditions.period, returnsAt: limit.returnsAt }, nowMs),
    share,
  };
}

/**
 * One row of the list.
 * @typedef {object} TokenRow
 * @property {TokenInfo} token
 * @property {number} depth how far below a top-level row it is shown (0: top level)
 * @property {{ id: string, description?: string } | undefined} madeBy the token that made
 *   it, with its description when the list holds it; undefined: the admin made it
 */

/**
 * The tokens in tree order: each token right after the one that made it, or
 * at the top when that one is not in the list (the admin made it, or it is
 * above the signed-in token); siblings newest first.
 * @param {TokenInfo[]} tokens
 * @returns {TokenRow[]}
 */
export function treeOrder(tokens) {
  const byId = new Map(tokens.map((token) => [token.id, token]));
  const children = new Map();
  const tops = [];
  for (const token of tokens) {
    if (token.parent !== undefined && byId.has(token.parent) && token.parent !== token.id) {
      if (!children.has(token.parent)) children.set(token.parent, []);
      children.get(token.parent).push(token);
    } else {
      tops.push(token);
    }
  }
  const rows = [];
  const seen = new Set();
  const walk = (top) => {
    // Depth first, without recursion: a deep tree must not exhaust the stack.
    const stack = [{ token: top, depth: 0 }];
    while (stack.length > 0) {
      const { token, depth } = stack.pop();
      if (seen.has(token.id)) continue;
      seen.add(token.id);
      rows.push({ token, depth, madeBy: madeBy(token, byId) });
      const below = newestFirst(children.get(token.id) ?? []);
      for (let index = below.length - 1; index >= 0; index -= 1) stack.push({ token: below[index], depth: depth + 1 });
    }
  };
  for (const top of newestFirst(tops)) walk(top);
  // Tokens that are each other's makers (which the service never records) are still listed.
  for (const token of newestFirst(tokens)) if (!seen.has(token.id)) walk(token);
  return rows;
}

function newestFirst(tokens) {
  return [...tokens].sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function madeBy(token, byId) {
  if (token.parent === undefined) return undefined;
  const parent = byId.get(token.parent);
  return parent ? { id: parent.id, description: parent.description } : { id: token.parent };
}

/**
 * Whether `token` is found by `query`: its description or id contains it,
 * letter case aside. An empty query finds every token.
 * @param {TokenInfo} token
 * @param {string} query
 * @returns {boolean}
 */
export function matches(token, query) {
  const needle = query.trim().toLocaleLowerCase();
  if (needle === "") return true;
  return token.description.toLocaleLowerCase().includes(needle) || token.id.toLocaleLowerCase().includes(needle);
}

/**
 * The rows to show: in tree order; with a query, only the tokens it finds,
 * each at the top level (its maker is named on the row).
 * @param {TokenInfo[]} tokens
 * @param {string} query
 * @returns {TokenRow[]}
 */
export function rowsFor(tokens, query) {
  const rows = treeOrder(tokens);
  if (query.trim() === "") return rows;
  return rows.filter((row) => matches(row.token, query)).map((row) => ({ ...row, depth: 0 }));
}

/**
 * One page of `rows`.
 * @template T
 * @param {T[]} rows
 * @param {number} page 1 for the first; out of range: the nearest page
 * @param {number} size rows per page
 * @returns {{ rows: T[], page: number, pages: number, first: number, last: number }}
 *   `first` and `last`: the 1-based positions of the rows shown (0 and 0 when none)
 */
export function pageOf(rows, page, size) {
  const pages = Math.max(1, Math.ceil(rows.length / size));
  const current = Math.min(Math.max(1, Math.floor(page) || 1), pages);
  const start = (current - 1) * size;
  const shown = rows.slice(start, start + size);
  return { rows: shown, page: current, pages, first: shown.length ? start + 1 : 0, last: start + shown.length };
}

/**
 * What the line above the list says: which tokens are shown, of how many.
 * @param {{ shown: { first: number, last: number, page: number, pages: number }, total: number, found: number,
 *   query: string, complete: boolean }} list
 *   `total`: tokens read; `found`: rows the query finds; `complete`: every page has been read
 * @returns {string}
 */
export function listSummary({ shown, total, found, query, complete }) {
  const more = complete ? "" : " so far (still reading)";
  if (query.trim() !== "") {
    if (found === 0) return `No token matches “${query.trim()}” among ${plural(total, "token")}${more}.`;
    const range = found > shown.last - shown.first + 1 ? `, showing ${shown.first} to ${shown.last}` : "";
    return `${plural(found, "token")} ${found === 1 ? "matches" : "match"} “${query.trim()}”${range}${more}.`;
  }
  if (total === 0) return complete ? "No tokens." : "Reading the tokens…";
  if (shown.pages === 1) return `${plural(total, "token")}${more}.`;
  return `Tokens ${shown.first} to ${shown.last} of ${total}${more} (page ${shown.page} of ${shown.pages}).`;
}

/**
 * What deleting a token takes with it, in words.
 * @param {number | undefined} descendants from the token's inspection
 * @returns {string}
 */
export function deletesWith(descendants) {
  if (descendants === undefined) return "Every token it made, directly or through others, goes with it.";
  if (descendants === 0) return "No token was made from it: only this one goes.";
  return `The ${plural(descendants, "token")} below it ${descendants === 1 ? "goes" : "go"} with it: ${descendants === 1 ? "it stops" : "they stop"} working too.`;
}

/**
 * Whether the signed-in token may use a management operation from the
 * list: the admin token may do everything, an issued token what it holds.
 * @param {{ kind: "admin" | "issued", token?: { capabilities: { endpoint: string }[] } }} holder
 * @param {string} capability e.g. "tokensDelete"
 * @returns {boolean}
 */
export function mayUse(holder, capability) {
  return holder.kind === "admin" || (holder.token?.capabilities.some((held) => held.endpoint === capability) ?? false);
}

function plural(count, noun) {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/**
 * What was deleted, in words.
 * @param {{ id: string, description: string, descendants?: number }} token as inspected before the delete
 * @returns {string}
 */
export function deletedSentence({ id, description, descendants }) {
  const name = description ? `Token “${description}” (${id})` : `Token ${id}`;
  if (descendants === undefined) return `${name} and every token below it were deleted.`;
  if (descendants === 0) return `${name} was deleted.`;
  return `${name} and the ${plural(descendants, "token")} below it were deleted.`;
}
