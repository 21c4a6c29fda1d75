// Pure helpers for the console: durations, countdowns, dates, and the
// sentence a person reads for each failure. No DOM, no client package, so
// they run (and are tested) in Node.js as well.

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
 * "used of max" for a calls limit.
 * @param {number} used
 * @param {number} max
 * @returns {string} e.g. "3 of 100 calls used"
 */
export function callsUsed(used, max) {
  return `${used} of ${max} call${max === 1 ? "" : "s"} used`;
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

/** The capability each operation needs, named in 403 sentences. */
const NEEDS = { read: "tokensGetToken", create: "tokensCreate", delete: "tokensDelete" };
const ACTION = { read: "read its own details", create: "create tokens", delete: "delete tokens" };

/**
 * Whether the token service itself refused a call, and why; undefined for
 * any other failure, such as a node's own error answer, which the gateway
 * passes through unchanged (a node may answer 401 or 403 too).
 * @param {unknown} error
 * @returns {"token" | "capability" | "throttled" | "unavailable" | undefined}
 *   "token": the token is not accepted (401); "capability": it lacks the
 *   capability, or its calls limit is used up (403); "throttled": too many
 *   failed sign-ins (429); "unavailable": the service is not set up or its
 *   storage failed (503)
 */
export function refusal(error) {
  if (!(error instanceof Error) || error.name !== "TokensApiError") return undefined;
  const { httpStatus, status, error: text } = /** @type {{ httpStatus: number, status: string, error: string }} */ (/** @type {unknown} */ (error));
  if (httpStatus === 401 && text === "authentication failed") return "token";
  if (httpStatus === 403 && status === "UNAUTHORIZED" && text === "authorization failed") return "capability";
  if (httpStatus === 429 && status === "TOO_MANY_REQUESTS") return "throttled";
  if (httpStatus === 503 && (status === "MISCONFIGURED" || status === "UNAVAILABLE")) return "unavailable";
  return undefined;
}

/**
 * The sentence a person reads for a failure of an operation. Errors are
 * recognised by `name`, so this module need not load the client package.
 * @param {unknown} error what the client rejected with (or anything else)
 * @param {{ operation?: "read" | "create" | "delete" | "node", request?: { capabilities?: { endpoint: string }[] },
 *   route?: { method: string, path: string, capability: string | null } }} [context]
 *   the operation that failed; for a create the request, so that
 *   "capabilities[2]" can be named after its endpoint; for a node call the route
 * @returns {string}
 */
export function errorSentence(error, { operation = "read", request, route } = {}) {
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
    return operation === "node" && route ? nodeSentence(error, route) : apiSentence(error, operation, request);
  }
  return "Something went wrong. Try again, or reload the page.";
}

function apiSentence({ httpStatus, status, error }, operation, request) {
  const said = fieldNames(String(error ?? ""), request);
  switch (httpStatus) {
    case 400:
      return `Check the form: ${said}.`;
    case 401:
      return "The token was not accepted: it is unknown, has expired or was deleted.";
    case 403:
      return status === "FORBIDDEN" ? forbiddenSentence(said) : unauthorizedSentence(operation);
    case 404:
      return operation === "delete"
        ? "No such token, or it is not yours to delete: a token may delete only itself and the tokens it created. It may also have expired or been deleted already."
        : "No such token.";
    case 413:
      return "The request is too large for the service (over 16 KiB): shorten the description or choose fewer capabilities.";
    case 429:
      return `Too many failed sign-ins from this address: ${said}.`;
    case 503:
      return status === "MISCONFIGURED"
        ? "The token service is not set up yet (it has no admin token). Try again later, or tell its operator."
        : "The token service is unavailable right now; nothing was changed. Try again in a moment.";
    case 502:
      if (status === "BAD_GATEWAY") return "The node could not be reached: edge-tokens could not connect to it. Try again later, or tell its operator.";
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

// A node call fails at the token service (the token, its capability, the
// gateway's link to the node) or at the node, whose own answer is passed on.
function nodeSentence(error, route) {
  const { httpStatus, status, error: text } = error;
  const called = `${route.method} ${route.path}`;
  const refused = refusal(error);
  if (refused === "capability") {
    return `Your token may not call ${called}: it lacks the ${route.capability} capability, or its calls limit for it is used up.`;
  }
  if (refused || (httpStatus === 502 && status === "BAD_GATEWAY") || (httpStatus === 504 && status === "GATEWAY_TIMEOUT")) {
    return apiSentence(error, "read");
  }
  if (httpStatus === 404 && status === "NOT_FOUND" && text === "no such route") {
    return "No node is configured behind edge-tokens any more: nothing was called. Reload the page.";
  }
  if (httpStatus === 401) {
    return "The node did not accept edge-tokens' own API token for it (ORIGIN_TOKEN). Tell the operator of edge-tokens.";
  }
  const code = status && status !== "UNEXPECTED_RESPONSE" ? ` ${status}` : "";
  const said = code && text ? `: ${text}` : "";
  return `The node answered ${called} with an error (HTTP ${httpStatus}${code})${said}.`;
}

function unauthorizedSentence(operation) {
  const needs = NEEDS[operation] ?? NEEDS.read;
  return `Your token may not ${ACTION[operation] ?? ACTION.read}: it lacks the ${needs} capability, or its calls limit for it is used up.`;
}

function forbiddenSentence(said) {
  if (said.includes("lifetime")) {
    return "A token cannot hand down more than it holds: the new token may not outlive yours. Choose a shorter lifetime.";
  }
  if (said.includes("depth")) return `A token cannot hand down more than it holds: ${said}.`;
  return "A token cannot hand down more than it holds: choose only capabilities your token has, with calls limits no larger than its own.";
}

// The service names fields by position ("capabilities[2].conditions.max");
// a person knows them by endpoint.
function fieldNames(text, request) {
  const names = request?.capabilities?.map((capability) => capability.endpoint) ?? [];
  return text
    .replace(/capabilities\[(\d+)\](\.endpoint)?/g, (whole, i) => (names[i] ? `the ${names[i]} capability` : whole))
    .replace(/\.conditions\.max/g, "'s calls limit")
    .replace(/\.limits\[\d+\]/g, "'s limit");
}
