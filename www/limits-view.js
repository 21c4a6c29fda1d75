// The DOM of a capability's limits (with view.js and tokens-view.js, the
// only modules that touch it): a held capability's calls and spend budgets,
// for its lifetime or per period, with their bars, its targets and listen
// ranges; what a new token was granted; and the create form's condition
// fields and limits per period of a capability, read back as typed. Token data is written with textContent only.

import { amountText, unitsText } from "./amounts.js";
import {
  CALLS, SPEND, grantedLimits, heldConditions, listenLine, offeredConditions, targetsLine,
} from "./conditions.js";
import { element } from "./dom.js";
import { capitalized } from "./format.js";
import { isPeriodic, perPeriod } from "./periods.js";
import { limitUse } from "./tokens.js";

/**
 * One held capability: its name; for each calls limit and each spend
 * budget a bar and its use in words; its targets (shortened, each in full
 * when opened) and listen ranges.
 * @param {{ endpoint: string, limits: import("./api.js").Limit[] }} capability
 * @returns {HTMLElement} an `<li>`
 */
export function heldCapability({ endpoint, limits }) {
  const item = element("li", "held-item");
  item.append(element("code", "held-name", endpoint));
  const now = Date.now();
  if (!limits.some((limit) => limit.type === CALLS)) item.append(element("span", "held-usage muted", "no calls limit"));
  for (const limit of [...limits.filter((each) => each.type === CALLS), ...limits.filter((each) => each.type === SPEND)]) {
    const { text, used, max, share } = limitUse(limit, now);
    if (share === undefined) {
      item.append(element("span", "held-usage held-wide", text));
      continue;
    }
    // Greener while plenty is left, red near the end: the browser's own colours.
    const meter = element("meter");
    if (limit.type === CALLS) Object.assign(meter, { min: 0, max, value: used, low: max * 0.75, high: max * 0.9, optimum: 0 });
    // A bar only approximates an amount; the words are exact to the wei.
    else Object.assign(meter, { min: 0, max: 1, value: share, low: 0.75, high: 0.9, optimum: 0 });
    const bar = usageBar(meter, `${endpoint}: ${text}`, text);
    // Long words (an amount, a period): on a narrow screen, each takes a whole line.
    if (limit.type === SPEND || isPeriodic(limit)) for (const part of bar) part.classList.add("held-spend");
    item.append(...bar);
  }
  item.append(...conditionLines(heldConditions(limits)));
  return item;
}

function usageBar(meter, label, text) {
  meter.setAttribute("aria-label", label);
  return [meter, element("span", "held-usage", text)];
}

// A capability's targets, shortened on one line that opens to the full
// addresses, and its listen ranges.
function conditionLines({ targets, listen }) {
  const lines = [];
  if (targets) lines.push(targetsList(targets));
  if (listen) lines.push(element("p", "held-condition held-wide", capitalized(listenLine(listen))));
  return lines;
}

function targetsList(addresses) {
  const details = element("details", "held-condition held-wide held-targets");
  const list = element("ul", "held-addresses");
  list.append(...addresses.map((address) => {
    const item = element("li");
    item.append(element("code", "wrap", address));
    return item;
  }));
  details.append(element("summary", "", capitalized(targetsLine(addresses))), list);
  return details;
}

/**
 * One capability a new token was granted, with its limits in words.
 * @param {{ endpoint: string, limits?: { type: string, conditions: any }[] }} capability as the create request gave it
 * @returns {HTMLElement} an `<li>`
 */
export function grantedCapability({ endpoint, limits = [] }) {
  const item = element("li");
  item.append(element("code", "", endpoint), " ", element("span", "muted", grantedLimits(limits).join(", ")));
  const { targets } = heldConditions(limits);
  if (targets) item.append(targetsList(targets));
  return item;
}

/**
 * The create form's condition fields of a capability, for those it may
 * carry (see `offeredConditions`), or null when it carries none: a spend
 * budget per currency, target addresses and listen ranges, one a line.
 * Where the holder has its own, the field is filled in with them (and a
 * reset fills it in again). Shown, like the calls limit, only while the
 * capability is picked.
 * @param {import("./catalogue.js").Choice} choice
 * @param {boolean} delegated whether the holder is an issued token, whose conditions bound the new token's
 * @param {{ seconds: number, label: string }[]} periods the periods a budget per period may have
 * @returns {HTMLFieldSetElement | null}
 */
export function conditionFields(choice, delegated, periods) {
  const { endpoint } = choice;
  const { currencies, targets, listen } = offeredConditions(choice);
  if (currencies.length === 0 && !targets && !listen) return null;
  const fields = Object.assign(element("fieldset", "choice-conditions"), { hidden: true, disabled: true });
  const legend = element("legend", "", "Conditions");
  legend.append(element("span", "visually-hidden", ` of ${endpoint}`));
  fields.append(legend);
  for (const currency of currencies) {
    const held = choice.spend?.find((budget) => budget.currency === currency);
    const input = Object.assign(element("input", "condition-spend"), {
      type: "text", id: `spend-${endpoint}-${currency}`, inputMode: "decimal", autocomplete: "off", spellcheck: false,
      defaultValue: held ? unitsText(held.wei) : "",
    });
    input.dataset.currency = currency;
    fields.append(...field(input, `Spend budget in ${currency}`, endpoint, held
      ? `At most ${amountText(held.wei, currency)}, as your token's.`
      : `Empty: no budget in ${currency}. A number, such as 5 or 0.25.`));
    if (periods.length === 0) continue;
    const every = choice.spendEvery?.find((budget) => budget.currency === currency);
    const perInput = Object.assign(element("input", "condition-spend-every"), { type: "text", inputMode: "decimal" });
    perInput.dataset.currency = currency;
    fields.append(periodicField({
      id: `spend-every-${endpoint}-${currency}`, label: `Spend budget in ${currency} per period`, endpoint, periods, preferred: 86_400,
      held: every && { max: unitsText(every.wei), period: every.period }, input: perInput,
      hint: every
        ? `At most ${amountText(every.wei, currency)} ${perPeriod(every.period)}, as your token's, over no shorter a period.`
        : `Empty: no budget per period in ${currency}. At most this much in any span of the period, such as 5 ${perPeriod(86_400)}.`,
    }));
  }
  if (targets) {
    fields.append(...field(listField("condition-targets", `targets-${endpoint}`, choice.targets), "Target addresses, one per line", endpoint, choice.targets
      ? "Your token's own, filled in: the new token may aim at these or fewer."
      : "Empty: any address. One on-chain address (0x…) a line."));
  }
  if (listen) fields.append(...field(listField("condition-listen", `listen-${endpoint}`, choice.listen), "Listen ranges, one per line", endpoint, listenHint(choice.listen, delegated)));
  return fields;
}

function listenHint(held, delegated) {
  const form = "An address and a port or a port range a line, such as 127.0.0.1:10000-10100 or [::1]:8080.";
  if (held) return `Your token's own, filled in: the new token's must be within them. ${form}`;
  const bound = delegated ? " Your token has none, so it may hand down loopback addresses only." : "";
  return `Where sessions may listen on the node's host. Without any, they may listen on loopback addresses only.${bound} ${form}`;
}

function listField(className, id, held) {
  const area = Object.assign(element("textarea", `condition-list ${className}`), {
    id, rows: Math.min(Math.max(held?.length ?? 0, 3), 6), spellcheck: false, autocomplete: "off",
  });
  area.setAttribute("autocapitalize", "off");
  if (held) area.defaultValue = held.join("\n");
  return area;
}

// A labelled field with its hint.
function field(control, label, endpoint, hint) {
  const name = Object.assign(element("label", "condition-label"), { htmlFor: control.id });
  name.append(label, element("span", "visually-hidden", ` for ${endpoint}`));
  const about = Object.assign(element("p", "hint condition-hint", hint), { id: `${control.id}-hint` });
  control.setAttribute("aria-describedby", about.id);
  return [name, control, about];
}

/**
 * A limit per period in the create form: how much (a count or an amount)
 * and over which period, from those the service allows; a holder's own
 * periodic limit fills it in and allows only periods as long or longer.
 * @param {{ id: string, label: string, endpoint: string, periods: { seconds: number, label: string }[], preferred: number,
 *   held?: { max: string, period: number }, input: HTMLInputElement, hint: string }} field
 *   `preferred`: the period chosen at first, when offered; `input`: the field for how much, with its class and type
 * @returns {HTMLElement} a `<div>` with the label, the field, the period and the hint
 */
export function periodicField({ id, label, endpoint, periods, preferred, held, input, hint }) {
  const box = element("div", "periodic");
  Object.assign(input, { id, autocomplete: "off", spellcheck: false, defaultValue: held?.max ?? "" });
  input.classList.add("periodic-max");
  const name = Object.assign(element("label", "condition-label"), { htmlFor: id });
  name.append(label, element("span", "visually-hidden", ` for ${endpoint}`));
  const period = Object.assign(element("select", "periodic-period"), { id: `${id}-period` });
  period.setAttribute("aria-label", `Period of the ${label.toLowerCase()} for ${endpoint}`);
  const offered = held
    ? [{ seconds: held.period, label: perPeriod(held.period) }, ...periods.filter((choice) => choice.seconds > held.period)]
    : periods;
  const chosen = held?.period ?? (offered.some((choice) => choice.seconds === preferred) ? preferred : offered[0]?.seconds);
  for (const choice of offered) {
    const option = element("option", "", choice.label);
    option.value = String(choice.seconds);
    option.defaultSelected = option.selected = choice.seconds === chosen;
    period.append(option);
  }
  const about = Object.assign(element("p", "hint condition-hint", hint), { id: `${id}-hint` });
  input.setAttribute("aria-describedby", about.id);
  const row = element("div", "periodic-row");
  row.append(input, " ", period);
  box.append(name, row, about);
  return box;
}

/**
 * The period chosen beside a field per period, in seconds as written.
 * @param {HTMLElement} input
 * @returns {string}
 */
export function periodOf(input) {
  return input.closest(".periodic").querySelector(".periodic-period").value;
}

/**
 * Shows or hides a capability's condition fields (hidden ones are
 * disabled, so that they take no focus).
 * @param {HTMLElement} item the capability's `<li>`
 * @param {boolean} shown
 */
export function showConditions(item, shown) {
  const fields = item.querySelector(".choice-conditions");
  if (fields) fields.hidden = fields.disabled = !shown;
}

/**
 * A capability's condition fields as typed; a key only for a field shown.
 * @param {HTMLElement} item the capability's `<li>`
 * @returns {Omit<import("./conditions.js").ConditionsDraft, "endpoint">}
 */
export function readConditions(item) {
  const draft = {};
  const spend = [...item.querySelectorAll(".condition-spend")];
  if (spend.length > 0) draft.spend = Object.fromEntries(spend.map((input) => [input.dataset.currency, input.value]));
  const every = [...item.querySelectorAll(".condition-spend-every")];
  if (every.length > 0) {
    draft.spendEvery = Object.fromEntries(every.map((input) => [input.dataset.currency, { max: input.value, period: periodOf(input) }]));
  }
  const targets = item.querySelector(".condition-targets");
  if (targets) draft.targets = targets.value;
  const listen = item.querySelector(".condition-listen");
  if (listen) draft.listen = listen.value;
  return draft;
}
