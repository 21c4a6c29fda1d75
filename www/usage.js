// What a token did, as its page shows it: its recent events in words (who,
// what, when, the outcome decided on the answer's `status` and `reason`
// only, the amount and target), and its use over time for the charts:
// calls and amounts per hour over the last days, summed here from the pages
// of its events, with what each of its limits allows beside them. Pure, so
// that it runs (and is tested) in Node.js as well; app.js reads the events,
// events-view.js and chart.js draw them.

import { DECIMALS, amountText, readAmount, unitsText } from "./amounts.js";
import { CALLS, SPEND, shortAddress } from "./conditions.js";
import { isPeriodic, perPeriod } from "./periods.js";

const HOUR_MS = 3_600_000;
const HOUR = 3_600;

/** How many hours the charts cover: the last week. */
export const CHART_HOURS = 7 * 24;

/** The most events read for the charts: a busier token's chart starts later, and says so. */
export const CHART_EVENTS = 5_000;

/**
 * One event of a token as the API shows it.
 * @typedef {{ at: number, token: string, actor: string, operation: string, method: string, path: string,
 *   status: number, reason?: string, amount?: string, target?: string }} TokenEvent
 *   `at`: milliseconds since the Unix epoch; `actor`: the id of the token that acted, or "admin"
 */

/** The refusals of the service the console names, by `reason`. */
const REFUSED = {
  limit_exhausted: "refused: a limit is used up",
  condition_failed: "refused: outside its conditions",
  missing_capability: "refused: it does not hold the capability",
  capabilities_not_allowed: "refused: more capabilities than its maker holds",
  lifetime_not_allowed: "refused: a longer life than its maker's",
  depth_limit: "refused: handed down too deep",
};

/**
 * An event's outcome in words and its tone, from its `status` and `reason`.
 * @param {{ status: number, reason?: string }} event
 * @returns {{ text: string, tone: "ok" | "refused" | "failed" }}
 */
export function outcome({ status, reason }) {
  if (reason !== undefined) return { text: REFUSED[reason] ?? `refused (${reason})`, tone: "refused" };
  if (status >= 200 && status < 300) return { text: `done (${status})`, tone: "ok" };
  return { text: `failed (HTTP ${status})`, tone: "failed" };
}

/**
 * Who acted, in words.
 * @param {string} actor an id, or "admin"
 * @param {string} self the id of the token whose page it is
 * @param {(id: string) => string | undefined} describe a known token's description
 * @returns {{ text: string, id?: string }} `id`: a token to link to
 */
export function actorName(actor, self, describe) {
  if (actor === "admin") return { text: "the admin token" };
  if (actor === self) return { text: "this token" };
  const description = describe(actor);
  return { text: description ? `“${description}”` : `token ${actor}`, id: actor };
}

/**
 * One row of the list of events.
 * @typedef {object} EventRow
 * @property {number} at milliseconds since the Unix epoch
 * @property {{ text: string, id?: string }} who
 * @property {string} operation
 * @property {string} request e.g. "POST /api/v4/account/withdraw"
 * @property {string | undefined} subject the token it was about, when not the one whose page it is
 * @property {{ text: string, tone: "ok" | "refused" | "failed" }} outcome
 * @property {string[]} details the amount and the target, in words
 */

/**
 * The rows of the list of events, newest first as read.
 * @param {TokenEvent[]} events
 * @param {string} self the id of the token whose page it is
 * @param {(id: string) => string | undefined} describe
 * @returns {EventRow[]}
 */
export function eventRows(events, self, describe) {
  return events.map((event) => {
    const details = [];
    if (event.amount !== undefined) {
      const amount = readAmount(event.amount);
      details.push(amount ? amountText(amount.wei, amount.currency) : event.amount);
    }
    if (event.target !== undefined) details.push(`to ${shortAddress(event.target)}`);
    return {
      at: event.at,
      who: actorName(event.actor, self, describe),
      operation: event.operation,
      request: `${event.method} ${event.path}`,
      subject: event.token === self ? undefined : event.token,
      outcome: outcome(event),
      details,
    };
  });
}

/**
 * Whether an event is a use of the token's limits: a call that the service
 * let through (no refusal), made by the token or a token below it (not by
 * the admin or a token above it, that made, rotated or deleted it).
 * @param {TokenEvent} event
 * @param {Set<string>} outside the actors that are not the token or below it
 * @returns {boolean}
 */
function isUse(event, outside) {
  return event.reason === undefined && event.actor !== "admin" && !outside.has(event.actor);
}

/**
 * A limit drawn against a chart: its bound as a line, and, where the
 * bound is on a sum over more than one hour, that sum at the end of each
 * hour as a second line.
 * @typedef {object} LimitLine
 * @property {"period" | "total"} kind
 * @property {string} label what it allows, e.g. "at most 10 calls an hour"
 * @property {number} bound where its line is drawn, in the chart's unit
 * @property {string} boundText the bound in words, exact
 * @property {(number | null)[]} [running] the sum it bounds at the end of each hour (null: not read)
 * @property {string[]} [runningTexts] each of those sums exact, in words
 * @property {string} [runningLabel] what that sum is, e.g. "used in the last 24 hours"
 */

/**
 * One chart: a measure per hour, with the limits on it.
 * @typedef {object} Panel
 * @property {string} key e.g. "calls", "calls nodeGetInfo", "spend channelsFundChannels wxHOPR"
 * @property {string} title
 * @property {string} unit what the values count, e.g. "calls", "wxHOPR"
 * @property {(number | null)[]} values one an hour, oldest first (null: the hour was not read)
 * @property {string[]} texts each value exact, in words
 * @property {LimitLine[]} limits
 */

/**
 * When the charts start: the start of the hour `hours - 1` hours before the current one.
 * @param {number} nowMs
 * @param {number} [hours]
 * @returns {number} milliseconds since the Unix epoch
 */
export function chartStart(nowMs, hours = CHART_HOURS) {
  return (Math.floor(nowMs / HOUR_MS) - hours + 1) * HOUR_MS;
}

/**
 * The charts of a token's use: its calls per hour, what it moved per hour
 * in each currency, and, for each capability with a calls limit or a spend
 * budget, that capability's use with its limits drawn.
 * @param {TokenEvent[]} events newest first, as read
 * @param {{ capabilities: { endpoint: string, limits: any[] }[] }} token
 * @param {{ nowMs: number, hours?: number, complete: boolean, outside?: Set<string> }} how
 *   `complete`: every event of the span was read (otherwise the hours older
 *   than the oldest event read are not known); `outside`: actors whose
 *   events are not the token's use (see `isUse`)
 * @returns {{ start: number, hours: number, coveredFrom: number, panels: Panel[] }}
 *   `start`: the first hour's start (ms); `coveredFrom`: from when the charts are known (ms)
 */
export function usageCharts(events, token, { nowMs, hours = CHART_HOURS, complete, outside = new Set() }) {
  const start = chartStart(nowMs, hours);
  const oldest = events.length === 0 ? nowMs : Math.min(...events.map((event) => event.at));
  const coveredFrom = complete ? start : Math.max(start, oldest);
  // Hours entirely before the oldest event read are unknown.
  const firstKnown = Math.max(0, Math.ceil((coveredFrom - start) / HOUR_MS));
  const hourOf = (at) => Math.floor((at - start) / HOUR_MS);
  const used = events.filter((event) => isUse(event, outside) && event.at >= start && hourOf(event.at) < hours);
  const counts = (keep) => {
    const values = new Array(hours).fill(0);
    for (const event of used) if (keep(event)) values[hourOf(event.at)] += 1;
    return values;
  };
  const sums = (keep, currency) => {
    const values = new Array(hours).fill(0n);
    for (const event of used) {
      const amount = event.amount === undefined ? undefined : readAmount(event.amount);
      if (amount && amount.currency === currency && keep(event)) values[hourOf(event.at)] += amount.wei;
    }
    return values;
  };
  const known = (values) => values.map((value, index) => (index < firstKnown ? null : value));
  const panels = [callsPanel("calls", "Calls", counts(() => true), known)];
  const currencies = [...new Set(used.map((event) => event.amount && readAmount(event.amount)?.currency).filter(Boolean))];
  for (const currency of currencies) panels.push(spendPanel(`spend ${currency}`, `${currency} moved`, currency, sums(() => true, currency), known));
  for (const { endpoint, limits } of token.capabilities) {
    const mine = (event) => event.operation === endpoint;
    const calls = limits.filter((limit) => limit.type === CALLS);
    if (calls.length > 0) {
      const values = counts(mine);
      const panel = callsPanel(`calls ${endpoint}`, `Calls of ${endpoint}`, values, known);
      panel.limits = calls.map((limit) => limitLine(limit, values, known, callsMeasure));
      panels.push(panel);
    }
    const budgets = limits.filter((limit) => limit.type === SPEND).map((limit) => ({ limit, max: readAmount(String(limit.conditions.max)) }))
      .filter(({ max }) => max !== undefined);
    for (const currency of [...new Set(budgets.map(({ max }) => max.currency))]) {
      const values = sums(mine, currency);
      const panel = spendPanel(`spend ${endpoint} ${currency}`, `${currency} moved by ${endpoint}`, currency, values, known);
      panel.limits = budgets.filter(({ max }) => max.currency === currency).map(({ limit }) => limitLine(limit, values, known, spendMeasure(currency)));
      panels.push(panel);
    }
  }
  return { start, hours, coveredFrom, panels };
}

function callsPanel(key, title, values, known) {
  return { key, title, unit: "calls", values: known(values), texts: values.map(String), limits: [] };
}

function spendPanel(key, title, currency, values, known) {
  return { key, title, unit: currency, values: known(values.map(toUnits)), texts: values.map(unitsText), limits: [] };
}

// A measure's arithmetic: calls are numbers, amounts whole wei (bigint).
const callsMeasure = {
  zero: 0,
  read: (value) => Number(value),
  number: (value) => value,
  text: (value) => String(value),
  noun: (count) => (count === 1 ? "call" : "calls"),
};

function spendMeasure(currency) {
  return {
    zero: 0n,
    read: (text) => readAmount(String(text))?.wei ?? 0n,
    number: toUnits,
    text: (wei) => amountText(wei, currency),
    noun: () => "",
  };
}

// An amount in whole units of its currency, as a number to draw (exact
// amounts are written with unitsText).
function toUnits(wei) {
  return Number(wei) / 10 ** DECIMALS;
}

/**
 * A limit's line. A periodic limit bounds the sum over any span of its
 * period: for a period of an hour or more, that sum over the whole hours of
 * the period ending with each hour is drawn against its `max`; a period
 * of an hour or less bounds each hour's bar to `max` for each period that
 * fits in it. A
 * lifetime limit bounds the total: the total at the end of each hour
 * (counted back from its `used` now) is drawn against its `max`.
 */
function limitLine(limit, values, known, measure) {
  const max = measure.read(limit.conditions.max);
  const sum = (from, to) => values.slice(Math.max(0, from), to + 1).reduce((a, b) => a + b, measure.zero);
  const words = (value) => `${measure.text(value)}${measure.noun(value) ? ` ${measure.noun(value)}` : ""}`;
  if (isPeriodic(limit)) {
    const { period } = limit.conditions;
    const label = `at most ${words(max)} ${perPeriod(period)}`;
    if (period <= HOUR) {
      const most = max * (typeof max === "bigint" ? BigInt(Math.ceil(HOUR / period)) : Math.ceil(HOUR / period));
      return { kind: "period", label, bound: measure.number(most), boundText: `${words(most)} in an hour` };
    }
    const span = Math.ceil(period / HOUR);
    const sums = values.map((_, index) => sum(index - span + 1, index));
    return {
      kind: "period", label, bound: measure.number(max), boundText: words(max),
      running: known(sums.map(measure.number)), runningTexts: sums.map(measure.text),
      runningLabel: `used in the last ${span} hours`,
    };
  }
  // Counted back from now: the total at the end of an hour is what is used now less what came after.
  const now = measure.read(limit.used ?? measure.zero);
  const totals = values.map((_, index) => {
    const after = sum(index + 1, values.length - 1);
    return now > after ? now - after : measure.zero;
  });
  return {
    kind: "total", label: `at most ${words(max)} in all`, bound: measure.number(max), boundText: words(max),
    running: known(totals.map(measure.number)), runningTexts: totals.map(measure.text), runningLabel: "used in all",
  };
}

/**
 * Whether reading more events would add to the charts: the last page read
 * had a next one, the cap is not reached, and its oldest event is still in
 * the charts' span.
 * @param {{ read: number, cursor?: string, oldestAt?: number, start: number }} progress
 * @returns {boolean}
 */
export function wantsMore({ read, cursor, oldestAt, start }) {
  return cursor !== undefined && read < CHART_EVENTS && (oldestAt === undefined || oldestAt >= start);
}

/**
 * What the charts cover, in words.
 * @param {{ hours: number, start: number, coveredFrom: number }} charts
 * @param {number} read how many events were read
 * @param {(ms: number) => string} when a moment in words
 * @returns {string}
 */
export function chartsCaption({ hours, start, coveredFrom }, read, when) {
  const span = `Per hour, over the last ${hours % 24 === 0 && hours > 24 ? `${hours / 24} days` : `${hours} hours`}`;
  if (coveredFrom <= start) return `${span}, from ${read === 1 ? "1 event" : `${read} events`}.`;
  return `${span}. Only the newest ${read} events were read: the charts start at ${when(coveredFrom)}.`;
}
