// What the signed-in token may hand down, and the create request built from
// the form. Pure: the service enforces the same rules, this only lets the
// form say so before a request is spent. Every bound of the service comes
// from its OpenAPI document (facts.js), none is written here.

import { CALLS, conditionLimits, heldConditions } from "./conditions.js";
import { UNIT_SECONDS, size, units } from "./format.js";
import { isPeriodic, perPeriod, spanOf } from "./periods.js";

/** @typedef {import("./facts.js").ServiceFacts} ServiceFacts */

/**
 * A capability a holder may grant, with what bounds the new token's: the
 * holder's calls limit on it for its lifetime (`max`) and per period
 * (`every`), and its conditions (see conditions.js).
 * @typedef {{ endpoint: string, max?: number, every?: { max: number, period: number } } & import("./conditions.js").Held} Offer
 */

/**
 * The capabilities a holder may grant: its own, each with its calls limit
 * and conditions (bounds for the child's), or the whole catalogue for a
 * holder with no known record (the admin token).
 * @param {{ token?: { capabilities: { endpoint: string, limits: { type: string, conditions: any }[] }[] } }} holder
 * @param {string[]} catalogue every capability name
 * @returns {Offer[]}
 */
export function offers(holder, catalogue) {
  if (!holder.token) return catalogue.map((endpoint) => ({ endpoint }));
  return holder.token.capabilities.map(({ endpoint, limits }) => {
    const calls = limits.filter((limit) => limit.type === CALLS);
    const maxes = calls.filter((limit) => !isPeriodic(limit)).map((limit) => limit.conditions.max);
    const periodic = calls.find(isPeriodic)?.conditions;
    return {
      endpoint,
      ...(maxes.length > 0 ? { max: Math.min(...maxes) } : {}),
      ...(periodic ? { every: { max: periodic.max, period: periodic.period } } : {}),
      ...heldConditions(limits),
    };
  });
}

/**
 * The longest lifetime, in whole `unit`s, a new token may have: no longer
 * than the service allows, and for a child of a token valid until
 * `validUntil`, no longer than its creator lives.
 * @param {number | undefined} validUntil seconds since the Unix epoch; undefined: the creator does not expire (or is unknown)
 * @param {keyof UNIT_SECONDS} unit
 * @param {number} nowMs
 * @param {number} maxLifetime the service's longest lifetime, in seconds
 * @returns {{ most: number, by: "creator" | "service" }} `by`: whose bound it is
 */
export function lifetimeBound(validUntil, unit, nowMs, maxLifetime) {
  const service = Math.floor(maxLifetime / UNIT_SECONDS[unit]);
  if (validUntil === undefined) return { most: service, by: "service" };
  const left = Math.max(0, Math.floor((validUntil - Math.ceil(nowMs / 1000)) / UNIT_SECONDS[unit]));
  return left < service ? { most: left, by: "creator" } : { most: service, by: "service" };
}

/**
 * The field of the create form a problem is about: the capabilities as a
 * whole, one capability's calls limit or condition, the lifetime or the
 * description.
 * @typedef {{ kind: "capabilities" | "lifetime" | "description" } | { kind: "calls" | "every" | "targets" | "listen", endpoint: string }
 *   | { kind: "spend" | "spendEvery", endpoint: string, currency: string }} Field
 *   `every`: the calls limit per period; `spendEvery`: a spend budget per period
 */

/**
 * Builds the create request from what the form holds, or says what to fix,
 * and in which field.
 * @param {{ picked: ({ limit: string, every?: { max: string, period: string } } & import("./conditions.js").ConditionsDraft)[], lifetime: string,
 *   unit: keyof UNIT_SECONDS, description: string }} draft the form's values as typed
 * @param {{ allowed: Offer[], delegated: boolean, validUntil?: number, limits: ServiceFacts }} holder
 *   what {@link offers} gave; `delegated`: the holder is an issued token, whose
 *   conditions bound the new token's; its expiry; the service's bounds
 * @param {number} nowMs
 * @returns {{ request: import("./vendor/edge-tokens/index.js").CreateTokenRequest } | { problem: string, field: Field }}
 */
export function createRequest(draft, { allowed, delegated, validUntil, limits }, nowMs) {
  const capabilitiesField = { kind: "capabilities" };
  if (draft.picked.length === 0) return { problem: "Choose at least one capability.", field: capabilitiesField };
  if (draft.picked.length > limits.maxCapabilities) {
    return { problem: `Choose at most ${limits.maxCapabilities} capabilities: the service takes no more for one token.`, field: capabilitiesField };
  }
  const capabilities = [];
  for (const pick of draft.picked) {
    const capability = capabilityRequest(pick, allowed.find((offer) => offer.endpoint === pick.endpoint), delegated, limits);
    if (capability.problem) return capability;
    capabilities.push(capability.value);
  }
  const request = { capabilities };
  const lifetime = lifetimeSeconds(draft, validUntil, nowMs, limits);
  if (lifetime.problem) return lifetime;
  if (lifetime.value !== undefined) request.lifetime = lifetime.value;
  if ([...draft.description].length > limits.maxDescription) {
    return { problem: `The description may have at most ${limits.maxDescription} characters.`, field: { kind: "description" } };
  }
  if (draft.description !== "") request.description = draft.description;
  if (new TextEncoder().encode(JSON.stringify(request)).length > limits.maxBodyBytes) {
    return {
      problem: `The request would be larger than the service takes (${size(limits.maxBodyBytes)}): shorten the description, or give fewer capabilities or addresses.`,
      field: { kind: "description" },
    };
  }
  return { request };
}

function capabilityRequest(pick, offer, delegated, limits) {
  const { endpoint } = pick;
  if (!offer) return { problem: `Your token cannot grant ${endpoint}.`, field: { kind: "capabilities" } };
  const calls = callsLimit(pick, offer, limits);
  if (calls.problem) return calls;
  const every = periodicCallsLimit(pick, offer, limits);
  if (every.problem) return every;
  const conditions = conditionLimits(pick, delegated ? offer : undefined, limits);
  if ("problem" in conditions) return conditions;
  const all = [...calls.value, ...every.value, ...conditions.value];
  if (all.length > limits.maxLimits) {
    return { problem: `Give ${endpoint} at most ${limits.maxLimits} limits: the service takes no more for one capability.`, field: { kind: CALLS, endpoint } };
  }
  return { value: all.length > 0 ? { endpoint, limits: all } : { endpoint } };
}

function callsLimit({ endpoint, limit }, offer, { minCalls, maxCalls }) {
  const bound = Math.min(offer.max ?? maxCalls, maxCalls);
  const field = { kind: CALLS, endpoint };
  if (limit.trim() === "") {
    // A child of a limited capability must be limited too.
    if (offer.max !== undefined) return { problem: `Give ${endpoint} a calls limit of at most ${offer.max}.`, field };
    return { value: [] };
  }
  const max = wholeNumber(limit);
  if (max === undefined || max < minCalls || max > bound) {
    return { problem: `The calls limit of ${endpoint} must be a whole number from ${minCalls} to ${bound}.`, field };
  }
  return { value: [{ type: CALLS, conditions: { max } }] };
}

// The calls limit per period: a holder's own, where it has one, bounds
// the new token's (no more calls, over no shorter a period).
function periodicCallsLimit({ endpoint, every }, offer, { minCalls, maxCalls }) {
  const field = { kind: "every", endpoint };
  const held = offer.every;
  if ((every?.max ?? "").trim() === "") {
    if (held) return { problem: `Give ${endpoint} a calls limit of at most ${held.max} ${perPeriod(held.period)}: yours has one, and the new token must keep it.`, field };
    return { value: [] };
  }
  const bound = Math.min(held?.max ?? maxCalls, maxCalls);
  const max = wholeNumber(every.max);
  if (max === undefined || max < minCalls || max > bound) {
    return { problem: `The calls limit of ${endpoint} per period must be a whole number from ${minCalls} to ${bound}.`, field };
  }
  const period = Number(every.period);
  if (held && period < held.period) {
    return { problem: `The calls limit of ${endpoint} may count over ${spanOf(held.period)} or longer, as yours does, not less.`, field };
  }
  return { value: [{ type: CALLS, conditions: { max, period } }] };
}

function lifetimeSeconds({ lifetime, unit }, validUntil, nowMs, { maxLifetime }) {
  if (lifetime.trim() === "") return { value: undefined };
  const field = { kind: "lifetime" };
  const count = wholeNumber(lifetime);
  if (count === undefined || count < 1) return { problem: "The lifetime must be a whole number of at least 1.", field };
  const { most, by } = lifetimeBound(validUntil, unit, nowMs, maxLifetime);
  if (count > most) {
    if (by === "service") return { problem: `The lifetime may be at most ${units(most, unit)}: the service allows no longer.`, field };
    return {
      field,
      problem: most < 1
        ? `Your token expires in less than one ${unit.slice(0, -1)}: choose a smaller unit, or leave the lifetime empty to expire with it.`
        : `The new token may not outlive yours: choose at most ${units(most, unit)}.`,
    };
  }
  return { value: count * UNIT_SECONDS[unit] };
}

function wholeNumber(text) {
  const trimmed = text.trim();
  return /^\d+$/.test(trimmed) && Number.isSafeInteger(Number(trimmed)) ? Number(trimmed) : undefined;
}

/**
 * The grace period of a rotation, from what the dialog holds: how long the
 * old secret keeps working, in whole seconds, from 0 (refused at once; also
 * when left empty) to the service's longest.
 * @param {string} typed the field's value as typed ("?" for text that is not a number)
 * @param {number} maxGrace the service's longest grace period, in seconds
 * @returns {{ value: number } | { problem: string }}
 */
export function graceSeconds(typed, maxGrace) {
  if (typed.trim() === "") return { value: 0 };
  const seconds = wholeNumber(typed);
  if (seconds === undefined || seconds > maxGrace) {
    return { problem: `The old secret may keep working for a whole number of seconds from 0 to ${maxGrace}.` };
  }
  return { value: seconds };
}
