// Periodic limits as a person reads them: a period in words ("an hour",
// "2 days"), the periods the create form offers (the spans of the clock
// that lie within the service's bounds, which come from its OpenAPI
// document: none is written here), a periodic limit's use in the current
// span ("3 of 10 calls in the last hour, more from 14:05"), and when a
// token was last used. Pure, so that it runs (and is tested) in Node.js as
// well.

/** The clock's spans, largest first: a period is named in the largest that divides it. */
const SPANS = [
  { seconds: 7 * 86_400, one: "a week", unit: "week" },
  { seconds: 86_400, one: "a day", unit: "day" },
  { seconds: 3_600, one: "an hour", unit: "hour" },
  { seconds: 60, one: "a minute", unit: "minute" },
  { seconds: 1, one: "a second", unit: "second" },
];

/**
 * The periods the create form offers: a minute, an hour, a day, a week, 30
 * days and a year of 365 days, those within the service's bounds.
 * @param {{ minPeriod: number, maxPeriod: number }} bounds from the service's facts
 * @returns {{ seconds: number, label: string }[]} e.g. { seconds: 3600, label: "an hour" }
 */
export function periodChoices({ minPeriod, maxPeriod }) {
  return [60, 3_600, 86_400, 7 * 86_400, 30 * 86_400, 365 * 86_400]
    .filter((seconds) => seconds >= minPeriod && seconds <= maxPeriod)
    .map((seconds) => ({ seconds, label: perPeriod(seconds) }));
}

// The largest span that divides `seconds`, and how many of it.
function inSpans(seconds) {
  const span = SPANS.find((each) => seconds % each.seconds === 0) ?? SPANS[SPANS.length - 1];
  return { span, count: seconds / span.seconds };
}

/**
 * How often, in words, after an amount: "an hour", "a day", "every 2 hours".
 * @param {number} seconds
 * @returns {string}
 * @example `10 calls ${perPeriod(3600)}` // "10 calls an hour"
 */
export function perPeriod(seconds) {
  const { span, count } = inSpans(seconds);
  return count === 1 ? span.one : `every ${count} ${span.unit}s`;
}

/**
 * A span of time in words: "an hour", "2 days".
 * @param {number} seconds
 * @returns {string}
 */
export function spanOf(seconds) {
  const { span, count } = inSpans(seconds);
  return count === 1 ? span.one : `${count} ${span.unit}s`;
}

/**
 * A span of time ending now, in words, after "the last": "hour", "2 days".
 * @param {number} seconds
 * @returns {string}
 */
export function lastSpan(seconds) {
  const { span, count } = inSpans(seconds);
  return count === 1 ? span.unit : `${count} ${span.unit}s`;
}

/**
 * Whether a limit as the API shows it is periodic (it has a period).
 * @param {{ conditions?: { period?: unknown } }} limit
 * @returns {boolean}
 */
export function isPeriodic(limit) {
  return Number.isSafeInteger(limit?.conditions?.period);
}

/**
 * A clock time in words: the time alone when it is today, with the date
 * otherwise.
 * @param {number} epochSeconds
 * @param {number} nowMs
 * @param {string} [locale] defaults to the browser's
 * @returns {string} e.g. "14:05", "Dec 9, 14:05"
 */
export function clockTime(epochSeconds, nowMs, locale) {
  const at = new Date(epochSeconds * 1000);
  const today = new Date(nowMs).toDateString() === at.toDateString();
  const format = new Intl.DateTimeFormat(locale, today ? { timeStyle: "short" } : { dateStyle: "medium", timeStyle: "short" });
  return format.format(at);
}

/**
 * What a periodic limit has used in its current span, and when more
 * returns.
 * @param {{ used: string, max: string, period: number, returnsAt?: number }} use
 *   `used` and `max` in words already ("3", "10 calls", "0.3", "1 wxHOPR")
 * @param {number} nowMs
 * @param {string} [locale]
 * @returns {string} e.g. "3 of 10 calls in the last hour, more from 14:05"
 */
export function periodicUse({ used, max, period, returnsAt }, nowMs, locale) {
  const more = returnsAt === undefined ? "" : `, more from ${clockTime(returnsAt, nowMs, locale)}`;
  return `${used} of ${max} in the last ${lastSpan(period)}${more}`;
}

/**
 * When a token was last used, in words.
 * @param {number | undefined} lastUsedAt seconds since the Unix epoch; undefined: never
 * @param {number} nowMs
 * @returns {string} e.g. "used 3 min ago", "never used"
 */
export function lastUsed(lastUsedAt, nowMs) {
  if (lastUsedAt === undefined) return "never used";
  const ago = Math.max(0, Math.floor(nowMs / 1000) - lastUsedAt);
  const [size, unit] = [[86_400, "d"], [3_600, "h"], [60, "min"]].find(([each]) => ago >= each) ?? [];
  return size === undefined ? "used just now" : `used ${Math.floor(ago / size)} ${unit} ago`;
}
