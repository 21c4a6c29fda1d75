// What the signed-in token may hand down, and the create request built from
// the form. Pure: the service enforces the same rules, this only lets the
// form say so before a request is spent.

import { UNIT_SECONDS, units } from "./format.js";

/** The most characters a description may have (the service counts characters). */
export const MAX_DESCRIPTION = 256;
/** The largest calls limit the service takes: exact in JavaScript. */
export const MAX_CALLS = Number.MAX_SAFE_INTEGER;

/**
 * The capabilities a holder may grant: its own, each with its calls limit
 * (a bound for the child's), or the whole catalogue for a holder with no
 * known record (the admin token).
 * @param {{ token?: { capabilities: { endpoint: string, limits: { conditions: { max: number } }[] }[] } }} holder
 * @param {string[]} catalogue every capability name
 * @returns {{ endpoint: string, max?: number }[]}
 */
export function offers(holder, catalogue) {
  if (!holder.token) return catalogue.map((endpoint) => ({ endpoint }));
  return holder.token.capabilities.map(({ endpoint, limits }) => {
    const maxes = limits.map((limit) => limit.conditions.max);
    return maxes.length > 0 ? { endpoint, max: Math.min(...maxes) } : { endpoint };
  });
}

/**
 * The longest lifetime, in whole `unit`s, a child of a token valid until
 * `validUntil` may have.
 * @param {number | undefined} validUntil seconds since the Unix epoch; undefined: no bound
 * @param {keyof UNIT_SECONDS} unit
 * @param {number} nowMs
 * @returns {number | undefined} undefined when there is no bound
 */
export function lifetimeBound(validUntil, unit, nowMs) {
  if (validUntil === undefined) return undefined;
  const left = validUntil - Math.ceil(nowMs / 1000);
  return Math.max(0, Math.floor(left / UNIT_SECONDS[unit]));
}

/**
 * Builds the create request from what the form holds, or says what to fix.
 * @param {{ picked: { endpoint: string, limit: string }[], lifetime: string, unit: keyof UNIT_SECONDS, description: string }} draft
 *   the form's values as typed
 * @param {{ endpoint: string, max?: number }[]} allowed what {@link offers} gave
 * @param {number | undefined} validUntil the holder's expiry
 * @param {number} nowMs
 * @returns {{ request: import("./vendor/edge-tokens/index.js").CreateTokenRequest } | { problem: string }}
 */
export function createRequest(draft, allowed, validUntil, nowMs) {
  if (draft.picked.length === 0) return { problem: "Choose at least one capability." };
  const capabilities = [];
  for (const pick of draft.picked) {
    const capability = capabilityRequest(pick, allowed.find((offer) => offer.endpoint === pick.endpoint));
    if (capability.problem) return capability;
    capabilities.push(capability.value);
  }
  const request = { capabilities };
  const lifetime = lifetimeSeconds(draft, validUntil, nowMs);
  if (lifetime.problem) return lifetime;
  if (lifetime.value !== undefined) request.lifetime = lifetime.value;
  if ([...draft.description].length > MAX_DESCRIPTION) {
    return { problem: `The description may have at most ${MAX_DESCRIPTION} characters.` };
  }
  if (draft.description !== "") request.description = draft.description;
  return { request };
}

function capabilityRequest({ endpoint, limit }, offer) {
  if (!offer) return { problem: `Your token cannot grant ${endpoint}.` };
  const bound = offer.max ?? MAX_CALLS;
  if (limit.trim() === "") {
    // A child of a limited capability must be limited too.
    if (offer.max !== undefined) return { problem: `Give ${endpoint} a calls limit of at most ${offer.max}.` };
    return { value: { endpoint } };
  }
  const max = wholeNumber(limit);
  if (max === undefined || max < 1 || max > bound) {
    return { problem: `The calls limit of ${endpoint} must be a whole number from 1 to ${bound}.` };
  }
  return { value: { endpoint, limits: [{ type: "calls", conditions: { max } }] } };
}

function lifetimeSeconds({ lifetime, unit }, validUntil, nowMs) {
  if (lifetime.trim() === "") return { value: undefined };
  const count = wholeNumber(lifetime);
  const bound = lifetimeBound(validUntil, unit, nowMs);
  if (count === undefined || count < 1) return { problem: "The lifetime must be a whole number of at least 1." };
  if (bound !== undefined && count > bound) {
    return {
      problem: bound < 1
        ? `Your token expires in less than one ${unit.slice(0, -1)}: choose a smaller unit, or leave the lifetime empty to expire with it.`
        : `The new token may not outlive yours: choose at most ${units(bound, unit)}.`,
    };
  }
  const seconds = count * UNIT_SECONDS[unit];
  if (seconds > 100 * 365.25 * 86400) return { problem: "The lifetime may be at most 100 years." };
  return { value: seconds };
}

function wholeNumber(text) {
  const trimmed = text.trim();
  return /^\d+$/.test(trimmed) && Number.isSafeInteger(Number(trimmed)) ? Number(trimmed) : undefined;
}
