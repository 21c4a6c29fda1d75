// Pure helpers for the console: durations, countdowns, dates, and the
// sentence a person reads for each failure. No DOM, no client package, so
// they run (and are tested) in Node.js as well.

import { CALLS } from "./conditions.js";

/** Seconds in each lifetime unit the create form offers. */
export const UNIT_SECONDS = { minutes: 60, hours: 3600, days: 86400 };

/**
 * A count of lifetime units in words.
 * @param {number} count
 * @param {keyof UNIT_SECONDS} unit
 * @returns {string} e.g. "1 hour", "3 days"
 */
export function units(count, unit) {
  return `${count} ${count === 1 ? unit.slice(0, -1) : unit}`;
}

/**
 * A duration in words, largest units first, always down to the second so a
 * countdown visibly moves.
 * @param {number} seconds
 * @returns {string} e.g. "2 d 3 h 0 min 5 s"
 * @example duration(3725) // "1 h 2 min 5 s"
 */
export function duration(seconds) {
  let rest = Math.max(0, Math.floor(seconds));
  const parts = [];
  for (const [size, unit] of [[86400, "d"], [3600, "h"], [60, "min"], [1, "s"]]) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    // Leading zero units say nothing; later ones keep the width steady.
    if (count > 0 || parts.length > 0 || size === 1) parts.push(`${count} ${unit}`);
  }
  return parts.join(" ");
}

/**
 * What a countdown to `validUntil` says at `nowMs`.
 * @param {number | undefined} validUntil seconds since the Unix epoch, or undefined for no expiry
 * @param {number} nowMs milliseconds since the Unix epoch
 * @returns {{ text: string, expired: boolean }}
 */
export function countdown(validUntil, nowMs) {
  if (validUntil === undefined) return { text: "never expires", expired: false };
  const left = validUntil - Math.floor(nowMs / 1000);
  // The service refuses a token from its valid_until second on.
  if (left <= 0) return { text: "expired", expired: true };
  return { text: `${duration(left)} left`, expired: false };
}

/**
 * A moment as a local date and time with its time zone.
 * @param {number} epochSeconds
 * @param {string} [locale] defaults to the browser's
 * @returns {string}
 */
export function dateTime(epochSeconds, locale) {
  const format = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "long" });
  return format.format(new Date(epochSeconds * 1000));
}

/**
 * A size in bytes, in the largest unit that gives a whole number.
 * @param {number} bytes
 * @returns {string} e.g. "2 KiB", "1500 bytes"
 */
export function size(bytes) {
  for (const [unit, factor] of [["MiB", 1024 * 1024], ["KiB", 1024]]) {
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor} ${unit}`;
  }
  return `${bytes} byte${bytes === 1 ? "" : "s"}`;
}

/**
 * A sentence's start: `text` with its first letter in upper case.
 * @param {string} text
 * @returns {string}
 */
export function capitalized(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * "used of max" for a calls limit.
 * @param {number} used
 * @param {number} max
 * @returns {string} e.g. "3 of 100 calls used"
 */
export function callsUsed(used, max) {
  return `${used} of ${max} call${max === 1 ? "" : "s"} used`;
}

/**
 * The form of a token id, in words.
 * @param {{ minLength: number, maxLength: number }} form from the service's facts
 * @returns {string} e.g. "exactly 20 letters and digits"
 */
export function tokenIdForm({ minLength, maxLength }) {
  return `${minLength === maxLength ? `exactly ${minLength}` : `${minLength} to ${maxLength}`} letters and digits`;
}

/**
 * A node's answer as text to read: JSON pretty-printed, text as it came.
 * @param {unknown} answer what `client.request` resolved to: the node's
 *   JSON, its text when it is not JSON, or null when it is empty
 * @returns {string}
 */
export function nodeAnswer(answer) {
  if (answer === null || answer === undefined || answer === "") return "(an empty answer)";
  if (typeof answer === "string") return answer;
  return JSON.stringify(answer, null, 2);
}

/** The capability each operation of the token service needs, named in 403 sentences. */
const NEEDS = { read: "tokensGetToken", create: "tokensCreate", delete: "tokensDelete", rotate: "tokensRotate" };
const ACTION = { read: "read its own details", create: "create tokens", delete: "delete tokens", rotate: "give tokens a new secret" };

/** Why a token id was not found, by operation: the rule of who may manage which token. */
const NOT_YOURS = {
  delete: "to delete: a token may delete",
  rotate: "to give a new secret: a token may rotate",
  inspect: "to see: a token may see",
};

/** The `reason`s of a 403 that refuse the call itself (the token, its capability, its limits). */
const CALL_REASONS = ["missing_capability", "limit_exhausted", "condition_failed"];
/** The `reason`s of a 403 that refuse what a token asked to hand down. */
const DELEGATION_REASONS = ["capabilities_not_allowed", "lifetime_not_allowed", "depth_limit"];

/**
 * The fields of an error answer, or undefined when `error` is not one.
 * Errors are recognised by `name`, so this module need not load the client
 * package.
 * @param {unknown} error
 * @returns {{ httpStatus: number, status: string, error: string, reason?: string } | undefined}
 */
function answerOf(error) {
  if (!(error instanceof Error) || error.name !== "TokensApiError") return undefined;
  return /** @type {any} */ (error);
}

/**
 * Whether the token service itself refused a call of its own API, and why,
 * decided on the HTTP status, `status` and `reason` only (never on the
 * English `error` text); undefined for any other failure.
 * @param {unknown} error
 * @returns {"token" | "call" | "delegation" | "throttled" | "unavailable" | undefined}
 *   "token": the token is not accepted (401); "call": the token may not make
 *   this call: it lacks the capability, a calls limit is used up, or a
 *   condition does not hold (403); "delegation": a new token would get more
 *   than its creator holds (403); "throttled": too many failed sign-ins
 *   (429); "unavailable": the service is not set up or its storage failed (503)
 */
export function refusal(error) {
  const answer = answerOf(error);
  if (!answer) return undefined;
  const { httpStatus, status, reason } = answer;
  if (httpStatus === 401 && status === "UNAUTHORIZED") return "token";
  if (httpStatus === 403 && CALL_REASONS.includes(reason)) return "call";
  if (httpStatus === 403 && DELEGATION_REASONS.includes(reason)) return "delegation";
  if (httpStatus === 429 && status === "TOO_MANY_REQUESTS") return "throttled";
  if (httpStatus === 503 && (status === "MISCONFIGURED" || status === "UNAVAILABLE")) return "unavailable";
  return undefined;
}

/**
 * The field of the create form a refused create is about, decided on the
 * HTTP status, `status` and `reason` only (never on the English `error`
 * text); undefined when the refusal is about no one field.
 * @param {unknown} error
 * @returns {import("./rules.js").Field | undefined}
 */
export function createErrorField(error) {
  const answer = answerOf(error);
  if (!answer) return undefined;
  const { httpStatus, status, reason } = answer;
  if (httpStatus === 400 && status === "INVALID_TOKEN_DESCRIPTION") return { kind: "description" };
  if (httpStatus === 400 && status === "INVALID_TOKEN_CAPABILITIES") return { kind: "capabilities" };
  if (httpStatus === 403 && reason === "lifetime_not_allowed") return { kind: "lifetime" };
  if (httpStatus === 403 && reason === "capabilities_not_allowed") return { kind: "capabilities" };
  return undefined;
}

/**
 * What a failed node call's answer alone cannot tell, and the console must
 * ask the service to find out. The gateway passes the node's own answers on
 * unchanged, and a node answers 401 and 404 too, with the same `status`:
 * - a 401 on a route that needs a capability is the service's when it no
 *   longer accepts the token, the node's when it refused edge-tokens' own
 *   token (on a public route the gateway checks no token: always the node's);
 * - a 404 NOT_FOUND is the gateway's when it no longer forwards the route
 *   (the console calls only routes from its table, so then the table has
 *   changed: no node is configured any more), otherwise the node's.
 * @param {unknown} error
 * @param {{ capability: string | null }} route
 * @returns {"token" | "route" | undefined} "token": whether the service still
 *   accepts the token; "route": whether the gateway still forwards the route
 */
export function nodeQuestion(error, route) {
  const answer = answerOf(error);
  if (!answer) return undefined;
  if (refusal(error) === "token" && route.capability !== null) return "token";
  if (answer.httpStatus === 404 && answer.status === "NOT_FOUND") return "route";
  return undefined;
}

/**
 * Who gave a failed node call its answer.
 * @param {unknown} error what the client rejected with
 * @param {{ route: { capability: string | null }, tokenAccepted?: boolean, routeServed?: boolean }} context
 *   the route called, and the answers to {@link nodeQuestion} if it was asked
 * @returns {"service" | "link" | "node" | "unknown" | undefined}
 *   "service": the token service answered and forwarded nothing (it refused
 *   the token or the call, does not forward the route, throttles or is
 *   unavailable); "link": it forwarded the call, but the node could not be
 *   reached or did not answer in time (502, 504); "node": the node's own
 *   answer; "unknown": one of these, and the console could not find out
 *   which; undefined: there was no answer (network failure, timeout)
 */
export function nodeFailure(error, { route, tokenAccepted, routeServed }) {
  const answer = answerOf(error);
  if (!answer) return undefined;
  const { httpStatus, status } = answer;
  if ((httpStatus === 502 && status === "BAD_GATEWAY") || (httpStatus === 504 && status === "GATEWAY_TIMEOUT")) return "link";
  switch (refusal(error)) {
    case "call":
    case "throttled":
    case "unavailable":
      return "service";
    case "token":
      if (route.capability === null) return "node";
      return tokenAccepted === undefined ? "unknown" : tokenAccepted ? "node" : "service";
    default:
      break;
  }
  if (httpStatus === 404 && status === "NOT_FOUND") return routeServed === undefined ? "unknown" : routeServed ? "node" : "service";
  return "node";
}

/**
 * One calls limit of a token.
 * @typedef {{ type: "calls", used: number, conditions: { max: number } }} HeldLimit
 */

/**
 * The sentence a person reads for a failure of an operation.
 * @param {unknown} error what the client rejected with (or anything else)
 * @param {{ operation?: "read" | "inspect" | "create" | "delete" | "rotate" | "node", request?: { capabilities?: { endpoint: string }[] },
 *   route?: { method: string, path: string, capability: string | null },
 *   token?: { capabilities: { endpoint: string, limits: (HeldLimit | { type: string })[] }[] },
 *   limits?: Partial<import("./facts.js").ServiceFacts>,
 *   tokenAccepted?: boolean, routeServed?: boolean }} [context]
 *   the operation that failed; for a create the request, so that
 *   "capabilities[2]" can be named after its endpoint; for a node call the
 *   route and what {@link nodeQuestion} found out; the signed-in token's
 *   record, if known, for the numbers of a used-up limit; the service's bounds
 * @returns {string}
 */
export function errorSentence(error, context = {}) {
  const { operation = "read", route } = context;
  const name = error instanceof Error ? error.name : "";
  if (name === "TokensNetworkError") {
    return "Cannot reach the token service. Check your connection and try again.";
  }
  if (name === "TokensTimeoutError") {
    const seconds = Math.round((error.timeoutMs ?? 10000) / 1000);
    return operation === "node"
      ? `No answer came within ${seconds} seconds: the node or the token service is slow. Try again in a moment.`
      : `The token service did not answer within ${seconds} seconds. Try again in a moment.`;
  }
  if (name === "TokensApiError") {
    return operation === "node" && route ? nodeSentence(error, { ...context, route }) : apiSentence(error, { ...context, operation });
  }
  return "Something went wrong. Try again, or reload the page.";
}

function apiSentence(error, { operation, request, token, limits = {} }) {
  const { httpStatus, status, reason } = error;
  const said = fieldNames(String(error.error ?? ""), request);
  switch (httpStatus) {
    case 400:
      return `Check the form: ${said}.`;
    case 401:
      return "The token was not accepted: it is unknown, has expired or was deleted.";
    case 403: {
      const action = ACTION[operation] ?? ACTION.read;
      const capability = NEEDS[operation] ?? NEEDS.read;
      if (refusal(error) === "call") return `Your token may not ${action}: ${callRefused(error, capability, token)}`;
      if (refusal(error) === "delegation") return delegationSentence(reason, limits);
      // A reason this console does not know yet: the service's own words.
      return status === "FORBIDDEN" ? `A token cannot hand down more than it holds: ${said}.` : `Your token may not ${action}: ${said}.`;
    }
    case 404:
      if (operation in NOT_YOURS) {
        return `No such token, or it is not yours ${NOT_YOURS[operation]} only itself and the tokens it created. It may also have expired or been deleted already.`;
      }
      return "No such token.";
    case 413: {
      const most = limits.maxBodyBytes === undefined ? "" : ` (over ${size(limits.maxBodyBytes)})`;
      return `The request is too large for the service${most}: shorten the description or choose fewer capabilities.`;
    }
    case 429:
      return status === "TOO_MANY_REQUESTS" ? `Sign-ins from this address are paused for now: ${said}.` : unexpected(httpStatus);
    case 503:
      return status === "MISCONFIGURED"
        ? "The token service is not set up yet (it has no usable admin token). Try again later, or tell its operator."
        : "The token service is unavailable right now; nothing was changed. Try again in a moment.";
    case 502:
      if (status === "BAD_GATEWAY") return "The node is out of reach: edge-tokens could not connect to it. Try again later, or tell its operator.";
      return unexpected(httpStatus);
    case 504:
      if (status === "GATEWAY_TIMEOUT") return "The node did not answer in time: edge-tokens stopped waiting for it. Try again in a moment.";
      return unexpected(httpStatus);
    default:
      return unexpected(httpStatus);
  }
}

function unexpected(httpStatus) {
  return `The token service gave an unexpected answer (HTTP ${httpStatus}). Try again later.`;
}

// Why the service refused the call (a 403 with a reason about the call),
// after "Your token may not …: ".
function callRefused(error, capability, token) {
  if (error.reason === "missing_capability") return `it does not hold the ${capability} capability.`;
  if (error.reason === "condition_failed") return conditionFailed(error, capability);
  return limitUsedUp(capability, token);
}

/** The form of a field's name: what a condition's refusal names first. */
const FIELD_NAME = /^[A-Za-z_][\w.[\]]*$/u;

// A condition that does not hold. The service's `error` names the field
// after its first ": " (`<head>: amount: <why>`): that name is shown, so
// that a person knows which argument to change; nothing is decided on it,
// and a text of another form is not shown.
function conditionFailed(error, capability) {
  const field = String(error.error ?? "").split(": ")[1] ?? "";
  const which = FIELD_NAME.test(field) ? `this call's “${field}”` : "an argument of this call";
  return `${which} is outside what its ${capability} capability allows (its spend budgets, target addresses or listen ranges).`;
}

/**
 * The calls limits a token holds on a capability.
 * @param {{ capabilities: { endpoint: string, limits: { type: string }[] }[] } | undefined} token
 * @param {string | null} capability
 * @returns {HeldLimit[]}
 */
export function callsLimits(token, capability) {
  const limits = token?.capabilities.find((held) => held.endpoint === capability)?.limits ?? [];
  return limits.filter((limit) => limit.type === CALLS);
}

// A used-up calls limit, with the numbers the console knows: the signed-in
// token's own limit on the capability, as last read and counted here. Its
// `used` counts the calls of the tokens it created too, so it may lag.
function limitUsedUp(capability, token) {
  const limits = callsLimits(token, capability);
  if (limits.length === 0) return `its calls limit for ${capability} is used up.`;
  const tightest = limits.reduce((a, b) => (b.conditions.max - b.used < a.conditions.max - a.used ? b : a));
  const { used, conditions: { max } } = tightest;
  if (used >= max) return `its calls limit for ${capability} is used up (${callsUsed(used, max)}).`;
  return `a calls limit for ${capability} is used up: its own (at most ${max} call${max === 1 ? "" : "s"}, which the tokens it created use up too) or one it shares with a token above it.`;
}

function delegationSentence(reason, { maxDepth }) {
  const cannot = "A token cannot hand down more than it holds";
  if (reason === "lifetime_not_allowed") return `${cannot}: the new token may not outlive yours. Choose a shorter lifetime.`;
  if (reason === "depth_limit") {
    const deep = maxDepth === undefined ? "so many" : String(maxDepth);
    return `Tokens can be handed down only ${deep} levels deep, and yours is at the deepest level: it cannot create tokens. Use a token nearer the admin token.`;
  }
  return `${cannot}: choose only capabilities your token has, with calls limits no larger than its own.`;
}

// A node call fails at the token service (the token, its capability, the
// gateway's route table), on the way to the node (502, 504), or at the
// node, whose own answer is passed on.
function nodeSentence(error, context) {
  const { route, token } = context;
  const { httpStatus, status, error: text } = error;
  const called = `${route.method} ${route.path}`;
  const source = nodeFailure(error, context);
  if (source === "link") return apiSentence(error, { operation: "read" });
  if (httpStatus === 404 && status === "NOT_FOUND" && source !== "node") {
    return source === "service"
      ? `edge-tokens no longer forwards ${called}: no node is configured behind it any more, so nothing was called. Reload the page.`
      : `${called} was answered 404 NOT_FOUND: either the node has nothing there, or edge-tokens no longer forwards it to a node. Reload the page to see which.`;
  }
  if (httpStatus === 401 && source !== "node") {
    return source === "service"
      ? apiSentence(error, { operation: "read" })
      : `${called} was refused as unauthenticated: either your token is no longer accepted (it expired or was deleted: sign in again), or the node did not accept edge-tokens' own API token for it (ORIGIN_TOKEN).`;
  }
  if (source === "service") {
    if (refusal(error) === "call") return `Your token may not call ${called}: ${callRefused(error, route.capability, token)}`;
    return apiSentence(error, { operation: "read" });
  }
  if (httpStatus === 401) {
    return "The node did not accept edge-tokens' own API token for it (ORIGIN_TOKEN). Tell the operator of edge-tokens.";
  }
  const code = status && status !== "UNEXPECTED_RESPONSE" ? ` ${status}` : "";
  const said = code && text ? `: ${text}` : "";
  return `The node answered ${called} with an error (HTTP ${httpStatus}${code})${said}.`;
}

// The service names fields by position ("capabilities[2].conditions.max");
// a person knows them by endpoint. This only makes the service's own
// explanation of a 400 readable: nothing is decided on it.
function fieldNames(text, request) {
  const names = request?.capabilities?.map((capability) => capability.endpoint) ?? [];
  return text
    .replace(/capabilities\[(\d+)\](\.endpoint)?/g, (whole, i) => (names[i] ? `the ${names[i]} capability` : whole))
    .replace(/\.conditions\.max/g, "'s calls limit")
    .replace(/\.limits\[\d+\]/g, "'s limit");
}
