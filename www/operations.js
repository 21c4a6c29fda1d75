// Which operations of the node behind the gateway the signed-in token may
// call, grouped by API generation, and the words that say so. Pure: the
// gateway decides every call; this only shows a token what it holds.

import { callsLimits, nodeFailure } from "./format.js";
import { limitUse } from "./tokens.js";

/** @typedef {import("./api.js").NodeRoute} NodeRoute */

/** A group is shown open when it has at most this many routes, or comes first. */
const OPEN_UP_TO = 12;

/**
 * How a route is named: its method and path.
 * @param {{ method: string, path: string }} route
 * @returns {string} e.g. "GET /api/v4/node/info"
 */
export function routeKey({ method, path }) {
  return `${method} ${path}`;
}

/**
 * Whether the console may try `route` with one click: a read-only GET with
 * a fixed path (no `{name}` to fill in), and not a WebSocket.
 * @param {NodeRoute} route
 * @returns {boolean}
 */
export function isTriable(route) {
  return route.method === "GET" && !route.websocket && !route.path.includes("{");
}

/**
 * Who is signed in: the admin token, or an issued token with its record.
 * @typedef {{ kind: "admin" | "issued", token?: { capabilities: { endpoint: string, limits: { type: string }[] }[] } }} Holder
 */

/**
 * The routes `holder` may call.
 * @param {NodeRoute[]} routes the gateway's table
 * @param {Holder} holder
 * @returns {{ allowed: NodeRoute[], total: number, open: number, denied: number }}
 *   `open`: how many of `allowed` need no token; `denied`: how many it may not call
 */
export function callable(routes, holder) {
  const held = new Set(holder.token?.capabilities.map((capability) => capability.endpoint) ?? []);
  const may = (route) => route.capability === null || holder.kind === "admin" || held.has(route.capability);
  const allowed = routes.filter(may);
  const open = allowed.filter((route) => route.capability === null).length;
  return { allowed, total: routes.length, open, denied: routes.length - allowed.length };
}

/**
 * `routes` grouped by API generation, as the gateway's table names them (a
 * route belongs to the first whose prefix its path has), in table order
 * within a group; empty groups are left out, and routes of no generation
 * the table names come last, in a group of their own.
 * @param {NodeRoute[]} routes
 * @param {import("./api.js").Generation[]} generations the gateway's, in its order
 * @returns {{ name: string, about: string, open: boolean, routes: NodeRoute[] }[]}
 */
export function byGeneration(routes, generations) {
  const groups = generations.map((generation) => ({ name: generation.name, about: generation.about, routes: [] }));
  const other = { name: "Other routes", about: "of no API generation the gateway names", routes: [] };
  for (const route of routes) {
    const index = generations.findIndex((generation) => route.path.startsWith(generation.prefix));
    (index >= 0 ? groups[index] : other).routes.push(route);
  }
  return [...groups, other]
    .filter((group) => group.routes.length > 0)
    .map((group, index) => ({ ...group, open: index === 0 || group.routes.length <= OPEN_UP_TO }));
}

/**
 * How much of its calls limit a capability has used, in words, or
 * undefined when it has no calls limit (or is not held). With several limits, the
 * one with the fewest calls left is shown (a periodic one in its current span).
 * @param {Holder["token"]} token
 * @param {string | null} capability
 * @param {number} [nowMs] now, for when a periodic limit's capacity returns
 * @returns {string | undefined} e.g. "1 of 2 calls used", "3 of 10 calls in the last hour, more from 14:05"
 */
export function usage(token, capability, nowMs = Date.now()) {
  const limits = callsLimits(token, capability);
  if (limits.length === 0) return undefined;
  const tightest = limits.reduce((a, b) => (b.conditions.max - b.used < a.conditions.max - a.used ? b : a));
  return limitUse(tightest, nowMs).text;
}

/**
 * What the section says first: how many node operations the token may call.
 * @param {ReturnType<typeof callable>} list
 * @param {Holder["kind"]} kind
 * @returns {string}
 */
export function summary({ allowed, total, open, denied }, kind) {
  if (kind === "admin") return `The admin token may call all ${total} node operations.`;
  const need = `need${open === 1 ? "s" : ""} no token`;
  if (allowed.length === open) {
    return `Your token holds no node capability: it may call only the ${plural(open, "node operation")} that ${need}, not the other ${denied}.`;
  }
  return `Your token may call ${allowed.length} of the node's ${total} operations (${open} of them ${need}). `
    + `It may not call the other ${denied}: they need capabilities it does not hold.`;
}

function plural(count, noun) {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/**
 * What the section says about the gateway: whether a node is behind it, and
 * what a try costs.
 * @param {boolean} enabled
 * @param {Holder["kind"]} kind
 * @returns {string}
 */
export function gatewayNote(enabled, kind) {
  if (!enabled) {
    return "No node is configured behind edge-tokens, so none of these can be called now: they are the operations "
      + "your token would allow once a node is put behind edge-tokens (its ORIGIN_URL is set).";
  }
  const costs = kind === "admin"
    ? "It calls the node for real."
    : "Each try is a real call: it counts as one call of its capability, against its calls limit if it has one "
      + "(those that need no token count nothing).";
  return "A node is behind edge-tokens. It forwards each call with the node's own API token: yours never reaches "
    + `the node. Try calls a read-only operation now, with your token. ${costs}`;
}

/**
 * Whether the gateway counted a call that ended with `error` (or with an
 * answer, when `error` is undefined) against its capability's calls limit:
 * it counts every call it forwards, whatever the node answers or if it
 * cannot be reached, and none it refuses, does not forward, or that never
 * reached it. When the console could not find out who answered, it does not
 * count (the token's record, read again, tells).
 * @param {unknown} [error]
 * @param {Parameters<typeof nodeFailure>[1]} [context] the route called, and what the console found out about the answer
 * @returns {boolean}
 */
export function wasCounted(error, context) {
  if (error === undefined) return true;
  const source = context && nodeFailure(error, context);
  return source === "node" || source === "link";
}
