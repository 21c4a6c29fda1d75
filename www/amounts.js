// Amounts of a currency as a HOPR node writes and reads them ("0.5 xDai",
// "5 wxHOPR", "1000 wei wxHOPR"), held exactly: as a BigInt of wei, never a
// floating-point number. Pure, so that it runs (and is tested) in Node.js
// as well.

/**
 * The decimals of every currency a node moves (xDai and wxHOPR alike): an
 * amount's number is in whole units of 10^18 wei. The node's balance types
 * fix it; `GET /api/v3/gateway` publishes it per currency, and the console's
 * tests hold this copy to what the service says.
 */
export const DECIMALS = 18;
const UNIT = 10n ** BigInt(DECIMALS);

/**
 * An amount read: its currency's name as written, and how many wei.
 * @typedef {{ currency: string, wei: bigint, truncated: boolean }} Amount
 *   `truncated`: digits past the last decimal (or any fraction of a wei)
 *   were dropped, as the node drops them: the amount is not what was written
 */

/** The marker of an amount in wei rather than whole units. */
const WEI = "wei";
const WHITESPACE = /\p{White_Space}/u;
const NUMERIC = /\p{N}/u;

/**
 * Reads an amount exactly as the node does (hoprd's `Balance` parser, which
 * the service follows): a number, whitespace, an optional `wei` marker
 * (`wei`, `wei_` or `wei ` before the currency), and the currency's letters;
 * the number's spaces removed; without `wei` in whole units, any fraction of
 * a wei dropped.
 * @param {string} text e.g. "0.5 xDai", "1 000 wei wxHOPR", "0. 5 wxHOPR"
 * @returns {Amount | undefined} undefined when the node would not read it
 *   (the currency is not checked: see {@link currencyNamed})
 * @example readAmount("1.5 wxHOPR") // { currency: "wxHOPR", wei: 1500000000000000000n, truncated: false }
 */
export function readAmount(text) {
  const name = /[A-Za-z]*$/u.exec(text)[0];
  if (name === "") return undefined;
  const { number: before, currency, inWei } = splitWei(text.slice(0, text.length - name.length), name);
  const number = before.replace(/\p{White_Space}+$/u, "");
  if (number.length === before.length || !NUMERIC.test(number.at(-1) ?? "")) return undefined;
  if (![...number].every((c) => NUMERIC.test(c) || WHITESPACE.test(c) || c === ".")) return undefined;
  const read = decimalToWei(number.replaceAll(" ", ""), inWei ? 0 : DECIMALS);
  return read && { currency, ...read };
}

// The `wei` marker: "wei_" or "wei" and a whitespace before the currency,
// or "wei" glued to it ("weiwxHOPR"), in the node's order of preference.
function splitWei(before, name) {
  const last = before.at(-1) ?? "";
  if (last === "_" || WHITESPACE.test(last)) {
    const rest = before.slice(0, -1);
    if (rest.endsWith(WEI)) return { number: rest.slice(0, -WEI.length), currency: name, inWei: true };
  }
  if (name.startsWith(WEI) && name.length > WEI.length) return { number: before, currency: name.slice(WEI.length), inWei: true };
  return { number: before, currency: name, inWei: false };
}

// ASCII digits with at most one dot, times 10^decimals; further fraction digits dropped.
function decimalToWei(text, decimals) {
  const [whole, fraction = "", ...more] = text.split(".");
  if (more.length > 0 || !/^\d*$/u.test(whole) || !/^\d*$/u.test(fraction) || whole + fraction === "") return undefined;
  const kept = fraction.slice(0, decimals);
  const wei = BigInt(`${whole}${kept.padEnd(decimals, "0")}` || "0");
  return { wei, truncated: /[1-9]/u.test(fraction.slice(decimals)) };
}

/**
 * The name a list of currencies gives the currency `written` (the node
 * reads currencies in any letter case).
 * @param {string} written e.g. "XDAI"
 * @param {string[]} currencies e.g. ["xDai", "wxHOPR"], from the gateway's table
 * @returns {string | undefined}
 */
export function currencyNamed(written, currencies) {
  const wanted = written.toLowerCase();
  return currencies.find((currency) => currency.toLowerCase() === wanted);
}

/**
 * A number of wei in whole units, as the node writes the number of an
 * amount: no trailing zeros, no dot for a whole number.
 * @param {bigint} wei at least 0
 * @returns {string} e.g. "0.9", "1", "0.000000000000001"
 */
export function unitsText(wei) {
  const whole = wei / UNIT;
  const fraction = wei % UNIT;
  if (fraction === 0n) return String(whole);
  return `${whole}.${fraction.toString().padStart(DECIMALS, "0").replace(/0+$/u, "")}`;
}

/**
 * An amount as the node writes it.
 * @param {bigint} wei
 * @param {string} currency
 * @returns {string} e.g. "0.9 wxHOPR"
 */
export function amountText(wei, currency) {
  return `${unitsText(wei)} ${currency}`;
}
