// The conditions a capability of a node route may carry beside its calls
// limit: a spend budget per currency, the target addresses a call may aim
// at, and where a session may listen. Read from a token, put in words, and
// checked and built from the create form. Pure, so that it runs (and is
// tested) in Node.js as well. The service enforces the same rules; this
// only lets the form say so before a request is spent.

import { DECIMALS, amountText, currencyNamed, readAmount, unitsText } from "./amounts.js";
import { perPeriod, spanOf } from "./periods.js";

/** The limit types, as the API names them. */
export const CALLS = "calls";
export const SPEND = "spend";
export const TARGETS = "targets";
export const LISTEN = "listen";

/**
 * A spend budget a token holds.
 * @typedef {{ currency: string, wei: bigint }} Budget
 */

/**
 * A periodic spend budget a token holds: at most `wei` in any span of `period` seconds.
 * @typedef {{ currency: string, wei: bigint, period: number }} PeriodicBudget
 */

/**
 * The conditions of one capability a token holds; a key is absent where it
 * has none. `spend`: its budgets for its lifetime; `spendEvery`: per period.
 * @typedef {{ spend?: Budget[], spendEvery?: PeriodicBudget[], targets?: string[], listen?: string[] }} Held
 */

/**
 * The conditions among a capability's limits.
 * @param {{ type: string, conditions: any }[]} limits as the API shows them
 * @returns {Held}
 */
export function heldConditions(limits) {
  const held = {};
  const read = (limit) => {
    const amount = readAmount(String(limit.conditions.max));
    if (amount === undefined) return undefined;
    const period = limit.conditions.period;
    return period === undefined ? { currency: amount.currency, wei: amount.wei } : { currency: amount.currency, wei: amount.wei, period };
  };
  const budgets = limits.filter((limit) => limit.type === SPEND).map(read).filter((budget) => budget !== undefined);
  const lifetime = budgets.filter((budget) => budget.period === undefined);
  const periodic = budgets.filter((budget) => budget.period !== undefined);
  if (lifetime.length > 0) held.spend = lifetime;
  if (periodic.length > 0) held.spendEvery = periodic;
  for (const type of [TARGETS, LISTEN]) {
    const allow = limits.find((limit) => limit.type === type)?.conditions.allow;
    if (Array.isArray(allow)) held[type] = allow.map(String);
  }
  return held;
}

/**
 * A spend budget's use in words, exact to the wei, and its parts for a bar.
 * @param {{ conditions: { max: string }, used: string }} limit a `spend` limit as the API shows it
 * @returns {{ text: string, used?: bigint, max?: bigint }} the amounts only when they could be read
 * @example spendUsed({ conditions: { max: "1 wxHOPR" }, used: "0.9 wxHOPR" }).text // "0.9 of 1 wxHOPR moved, 0.1 wxHOPR left"
 */
export function spendUsed({ conditions: { max: maxText }, used: usedText }) {
  const max = readAmount(String(maxText));
  const used = readAmount(String(usedText));
  if (!max || !used) return { text: `${usedText} of ${maxText} moved` };
  const left = max.wei > used.wei ? max.wei - used.wei : 0n;
  return {
    text: `${unitsText(used.wei)} of ${amountText(max.wei, max.currency)} moved, ${amountText(left, max.currency)} left`,
    used: used.wei,
    max: max.wei,
  };
}

/**
 * An address shortened for a line of text: its start and end.
 * @param {string} address
 * @returns {string} e.g. "0xb4ce…6fbe"
 */
export function shortAddress(address) {
  return address.length > 12 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
}

/** How many shortened addresses a line names before "and N more". */
const NAMED_TARGETS = 3;

/**
 * What a targets condition allows, in one line.
 * @param {string[]} addresses
 * @returns {string} e.g. "only to 2 addresses: 0xb4ce…6fbe, 0xa819…4c64"
 */
export function targetsLine(addresses) {
  const named = addresses.slice(0, NAMED_TARGETS).map(shortAddress).join(", ");
  const more = addresses.length > NAMED_TARGETS ? ` and ${addresses.length - NAMED_TARGETS} more` : "";
  return `only to ${addresses.length === 1 ? "1 address" : `${addresses.length} addresses`}: ${named}${more}`;
}

/**
 * What a listen condition allows, in one line.
 * @param {string[]} ranges
 * @returns {string}
 */
export function listenLine(ranges) {
  return `sessions listen only on ${ranges.join(", ")}`;
}

/**
 * The limits of a new token's capability in words, for the summary of
 * what was granted.
 * @param {{ type: string, conditions: any }[]} limits as the create request gives them
 * @returns {string[]} e.g. ["at most 3 calls", "at most 10 calls an hour", "at most 1 wxHOPR moved a day"]
 */
export function grantedLimits(limits) {
  const every = ({ period }) => (period === undefined ? "" : ` ${perPeriod(period)}`);
  const calls = limits.filter((limit) => limit.type === CALLS)
    .map(({ conditions }) => `at most ${conditions.max} call${conditions.max === 1 ? "" : "s"}${every(conditions)}`);
  if (calls.length === 0) calls.push("no calls limit");
  const spend = limits.filter((limit) => limit.type === SPEND).map(({ conditions }) => {
    const amount = readAmount(conditions.max);
    return `at most ${amount ? amountText(amount.wei, amount.currency) : conditions.max} moved${every(conditions)}`;
  });
  const listen = limits.filter((limit) => limit.type === LISTEN).map((limit) => listenLine(limit.conditions.allow));
  return [...calls, ...spend, ...listen];
}

/**
 * An address's key for comparing: the node reads addresses in any letter
 * case, with or without `0x`.
 * @param {string} address
 * @returns {string}
 */
function addressKey(address) {
  return address.replace(/^0x/iu, "").toLowerCase();
}

/**
 * A range of ports on one address where a session may listen.
 * @typedef {{ ip: string, low: number, high: number }} ListenRange
 *   `ip`: canonical (an IPv4-mapped IPv6 address as IPv4, IPv6 in brackets)
 */

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/u;
const IPV6_TEXT = /^\[[0-9A-Fa-f:.]+\]$/u;
const IPV4_MAPPED = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/u;
/** The largest port of TCP and UDP. */
const LAST_PORT = 65535;

/**
 * Reads a listen range as the service does: an IPv4 address or an IPv6 one
 * in brackets, a colon, and a port or a port range.
 * @param {string} text e.g. "127.0.0.1:10000-10100", "[::1]:8080"
 * @returns {ListenRange | undefined}
 */
export function readListenRange(text) {
  const colon = text.lastIndexOf(":");
  if (colon < 0) return undefined;
  const ip = canonicalIp(text.slice(0, colon));
  const ports = text.slice(colon + 1).split("-").map(port);
  if (ip === undefined || ports.length > 2 || ports.includes(undefined)) return undefined;
  return { ip, low: Math.min(...ports), high: Math.max(...ports) };
}

function port(text) {
  return /^\d{1,5}$/u.test(text) && Number(text) <= LAST_PORT ? Number(text) : undefined;
}

// The address in one spelling, so that two spellings compare equal; the
// WHATWG URL parser writes IPv6 addresses in their canonical form.
function canonicalIp(host) {
  if (IPV4.test(host)) return host;
  if (!IPV6_TEXT.test(host)) return undefined;
  let hostname;
  try {
    hostname = new URL(`http://${host}/`).hostname;
  } catch {
    return undefined;
  }
  const mapped = IPV4_MAPPED.exec(hostname);
  if (!mapped) return hostname;
  const [high, low] = [mapped[1], mapped[2]].map((group) => Number.parseInt(group, 16));
  return [high >> 8, high & 255, low >> 8, low & 255].join(".");
}

/**
 * Whether a range is on a loopback address (127.0.0.0/8 or ::1).
 * @param {ListenRange} range
 * @returns {boolean}
 */
export function isLoopback({ ip }) {
  return ip.startsWith("127.") || ip === "[::1]";
}

/**
 * Whether every address of `range` is in `outer`.
 * @param {ListenRange} range
 * @param {ListenRange} outer
 * @returns {boolean}
 */
export function isWithin(range, outer) {
  return range.ip === outer.ip && outer.low <= range.low && range.high <= outer.high;
}

/**
 * The condition fields the create form shows for a capability: those its
 * routes take (from the gateway's table), and those the holder's own
 * capability has, which a new token must keep (shown even when the table
 * could not be read).
 * @param {{ conditions?: string[], currencies?: string[] } & Held} choice
 * @returns {{ currencies: string[], targets: boolean, listen: boolean }}
 *   `currencies`: one spend field each (the holder's own where it has budgets)
 */
export function offeredConditions({ conditions = [], currencies = [], spend, spendEvery, targets, listen }) {
  const held = [...(spend ?? []), ...(spendEvery ?? [])].map((budget) => budget.currency);
  return {
    currencies: held.length > 0 ? [...new Set(held)] : conditions.includes(SPEND) ? currencies : [],
    targets: targets !== undefined || conditions.includes(TARGETS),
    listen: listen !== undefined || conditions.includes(LISTEN),
  };
}

/**
 * The service's bounds on conditions (see facts.js).
 * @typedef {{ amountPattern: RegExp, maxAmountChars: number, addressPattern: RegExp, maxTargets: number, maxListen: number }} ConditionBounds
 */

/**
 * The condition fields of one capability as the form holds them; a key is
 * absent where the form shows no such field.
 * @typedef {{ endpoint: string, spend?: Record<string, string>, spendEvery?: Record<string, { max: string, period: string }>,
 *   targets?: string, listen?: string }} ConditionsDraft
 *   `spend`: the amount typed for each currency, for the token's lifetime; `spendEvery`: the amount
 *   and the period chosen (seconds) for each currency; `targets`, `listen`: one entry a line
 */

/**
 * The condition limits of a new token's capability, from the form, or what
 * to fix. A delegated token's are held to its creator's (`held`): each of
 * its conditions kept, no wider.
 * @param {ConditionsDraft} draft
 * @param {Held | undefined} held the creator's conditions on the capability;
 *   undefined for the admin token, which may grant any
 * @param {ConditionBounds} bounds
 * @returns {{ value: { type: string, conditions: any }[] } | { problem: string, field: import("./rules.js").Field }}
 */
export function conditionLimits(draft, held, bounds) {
  const limits = [];
  for (const part of [spendLimits, targetsLimit, listenLimit]) {
    const made = part(draft, held, bounds);
    if ("problem" in made) return made;
    limits.push(...made.value);
  }
  return { value: limits };
}

function spendLimits({ endpoint, spend = {}, spendEvery = {} }, held, bounds) {
  const limits = [];
  for (const [currency, typed] of Object.entries(spend)) {
    if (typed.trim() === "") continue;
    const field = { kind: SPEND, endpoint, currency };
    const amount = readBudget(typed, currency, `The spend budget of ${endpoint} in ${currency}`, bounds);
    if ("problem" in amount) return { problem: amount.problem, field };
    const bound = held?.spend?.find((budget) => currencyNamed(budget.currency, [currency]) !== undefined);
    if (held?.spend && !bound) return { problem: `Your token may not hand down a spend budget in ${currency} for ${endpoint}: its own are in ${budgetList(held.spend)}.`, field };
    if (bound && amount.wei > bound.wei) return { problem: `The spend budget of ${endpoint} in ${currency} may be at most ${amountText(bound.wei, bound.currency)}: yours is no larger.`, field };
    limits.push({ type: SPEND, conditions: { max: amount.max } });
  }
  if (held?.spend && limits.length === 0) {
    return {
      problem: `Give ${endpoint} a spend budget of at most ${budgetList(held.spend)}: yours has one, and the new token must keep it.`,
      field: { kind: SPEND, endpoint, currency: held.spend[0].currency },
    };
  }
  const periodic = [];
  for (const [currency, { max: typed, period: chosen }] of Object.entries(spendEvery)) {
    if (typed.trim() === "") continue;
    const field = { kind: "spendEvery", endpoint, currency };
    const of = `The spend budget of ${endpoint} in ${currency} per period`;
    const amount = readBudget(typed, currency, of, bounds);
    if ("problem" in amount) return { problem: amount.problem, field };
    const period = Number(chosen);
    const bound = held?.spendEvery?.find((budget) => currencyNamed(budget.currency, [currency]) !== undefined);
    if (held?.spendEvery && !bound) return { problem: `Your token may not hand down a spend budget per period in ${currency} for ${endpoint}: its own are in ${budgetList(held.spendEvery)}.`, field };
    if (bound && amount.wei > bound.wei) return { problem: `${of} may be at most ${amountText(bound.wei, bound.currency)}: yours is no larger.`, field };
    if (bound && period < bound.period) return { problem: `${of} may count over ${spanOf(bound.period)} or longer, as yours does, not less.`, field };
    periodic.push({ type: SPEND, conditions: { max: amount.max, period } });
  }
  if (held?.spendEvery && periodic.length === 0) {
    return {
      problem: `Give ${endpoint} a spend budget per period of at most ${budgetList(held.spendEvery)}: yours has one, and the new token must keep it.`,
      field: { kind: "spendEvery", endpoint, currency: held.spendEvery[0].currency },
    };
  }
  return { value: [...limits, ...periodic] };
}

// An amount typed for a budget in `currency`, with the words of what is wrong with it.
function readBudget(typed, currency, of, { amountPattern, maxAmountChars }) {
  const max = `${typed.trim()} ${currency}`;
  if ([...max].length > maxAmountChars) return { problem: `${of} is too long: the service takes at most ${maxAmountChars} characters for an amount with its currency.` };
  const amount = amountPattern.test(max) ? readAmount(max) : undefined;
  if (!amount || currencyNamed(amount.currency, [currency]) === undefined) return { problem: `${of} must be a number, such as 5 or 0.25.` };
  if (amount.truncated) return { problem: `${of} may have at most ${DECIMALS} decimals.` };
  if (amount.wei === 0n) return { problem: `${of} must be more than 0.` };
  return { max, wei: amount.wei };
}

function budgetList(budgets) {
  return budgets.map((budget) => `${amountText(budget.wei, budget.currency)}${budget.period === undefined ? "" : ` ${perPeriod(budget.period)}`}`).join(" or ");
}

function targetsLimit({ endpoint, targets }, held, { addressPattern, maxTargets }) {
  const entries = lines(targets ?? "");
  const what = `the target addresses of ${endpoint}`;
  const field = { kind: TARGETS, endpoint };
  if (entries.length === 0) {
    if (held?.targets) return { problem: `Give ${endpoint} target addresses among your token's own: it may aim only at ${held.targets.length}, and the new token must keep to them.`, field };
    return { value: [] };
  }
  if (entries.length > maxTargets) return { problem: `Give ${endpoint} at most ${maxTargets} target addresses: the service takes no more.`, field };
  const allowed = held?.targets && new Set(held.targets.map(addressKey));
  for (const { line, text } of entries) {
    if (!addressPattern.test(text)) return { problem: `Line ${line} of ${what} is not an on-chain address: “${text}”.`, field };
    if (allowed && !allowed.has(addressKey(text))) return { problem: `Line ${line} of ${what} is not among your token's own targets: “${text}”.`, field };
  }
  return { value: [{ type: TARGETS, conditions: { allow: entries.map((entry) => entry.text) } }] };
}

function listenLimit({ endpoint, listen }, held, { maxListen }) {
  const entries = lines(listen ?? "");
  const what = `the listen ranges of ${endpoint}`;
  const field = { kind: LISTEN, endpoint };
  if (entries.length === 0) {
    if (held?.listen) return { problem: `Give ${endpoint} listen ranges within your token's own (${held.listen.join(", ")}): the new token must keep to them.`, field };
    return { value: [] };
  }
  if (entries.length > maxListen) return { problem: `Give ${endpoint} at most ${maxListen} listen ranges: the service takes no more.`, field };
  const outer = held?.listen?.map(readListenRange).filter((range) => range !== undefined);
  for (const { line, text } of entries) {
    const range = readListenRange(text);
    if (!range) return { problem: `Line ${line} of ${what} is not an address with a port or a port range, such as 127.0.0.1:10000-10100 or [::1]:8080: “${text}”.`, field };
    if (outer && !outer.some((above) => isWithin(range, above))) {
      return { problem: `Line ${line} of ${what} is not within your token's own (${held.listen.join(", ")}): “${text}”.`, field };
    }
    if (held && !outer && !isLoopback(range)) {
      return { problem: `Line ${line} of ${what} is not a loopback address: your token has no listen ranges, so its sessions listen on loopback only, and it may hand down no more: “${text}”.`, field };
    }
  }
  return { value: [{ type: LISTEN, conditions: { allow: entries.map((entry) => entry.text) } }] };
}

// The lines of a list field that hold an entry, numbered from 1 as shown.
function lines(text) {
  return text.split(/\r?\n/u).map((entry, index) => ({ line: index + 1, text: entry.trim() })).filter((entry) => entry.text !== "");
}
