// The DOM of the create form's capability choices (with view.js, the only
// module that touches them): one collapsed group per area of the catalogue,
// the capabilities that no route here uses folded away at the end, a search
// that opens the groups it finds in, the service's presets, and what was
// picked, read back as typed.

import { UNUSED_GROUP, choiceMatches, choiceUse } from "./catalogue.js";
import { $, element, typedNumber } from "./dom.js";
import { conditionFields, periodOf, periodicField, readConditions, showConditions } from "./limits-view.js";
import { perPeriod, periodChoices } from "./periods.js";

/**
 * A holder that may grant at most this many capabilities (those some route
 * uses) sees its groups open: there is nothing to fold away.
 */
const OPEN_UP_TO = 12;

/** What the capability search looks in, for each choice shown. */
const searchable = new WeakMap();

/**
 * Fills the capability choices, one collapsible group per area, each
 * capability with what it allows, the node routes it opens, and the
 * conditions it may carry. A capability with a `max` must get a calls limit
 * no larger: the field is pre-filled, bounded and required; the others are
 * bounded by the service's calls limits.
 * @param {import("./catalogue.js").ChoiceGroup[]} groups
 * @param {{ minCalls: number, maxCalls: number, minPeriod: number, maxPeriod: number }} bounds the service's smallest
 *   and largest calls limit and period
 * @param {boolean} delegated whether the holder is an issued token, whose conditions bound the new token's
 */
export function renderChoices(groups, { minCalls, maxCalls, minPeriod, maxPeriod }, delegated) {
  const used = groups.filter((group) => group.key !== UNUSED_GROUP).reduce((sum, group) => sum + group.choices.length, 0);
  const open = used <= OPEN_UP_TO;
  const periods = periodChoices({ minPeriod, maxPeriod });
  $("choices").replaceChildren(...groups.map((group) => choiceGroup(group, { minCalls, maxCalls, delegated, periods }, open && group.key !== UNUSED_GROUP)));
  filterChoices();
}

function choiceGroup({ key, title, about, choices }, bounds, open) {
  const group = Object.assign(element("details", "choice-group"), { open });
  group.dataset.group = key;
  const summary = Object.assign(element("summary", "choice-group-summary"), { id: `group-${key}` });
  const name = key === UNUSED_GROUP ? `${choices.length} more not used by any route here` : title;
  const count = key === UNUSED_GROUP ? "" : ` · ${choices.length} capabilit${choices.length === 1 ? "y" : "ies"}`;
  summary.append(element("span", "choice-group-name", name), element("span", "choice-group-count hint", count), element("span", "choice-group-picked"));
  // The checkboxes' group, named by its summary, as a fieldset's by its legend.
  const body = element("div", "choice-group-body");
  body.setAttribute("role", "group");
  body.setAttribute("aria-labelledby", summary.id);
  const list = element("ul", "choices");
  list.append(...choices.map((offer) => choice(offer, title, bounds)));
  body.append(element("p", "hint choice-group-about", about), list);
  group.append(summary, body);
  return group;
}

function choice(offer, area, { minCalls, maxCalls, delegated, periods }) {
  const { endpoint, max, every, summary, routes } = offer;
  const item = element("li", `choice use-${offer.use}`);
  item.dataset.endpoint = endpoint;
  searchable.set(item, { offer, area });
  const box = Object.assign(element("input"), { type: "checkbox", id: `pick-${endpoint}`, value: endpoint });
  const name = Object.assign(element("label", "choice-name"), { htmlFor: box.id });
  name.append(element("code", "", endpoint));
  const about = Object.assign(element("div", "choice-about"), { id: `about-${endpoint}` });
  if (summary) about.append(element("p", "choice-summary", summary));
  const use = choiceUse(offer);
  if (use) about.append(element("p", "choice-use", use));
  if (routes.length > 0) {
    const opened = element("ul", "choice-routes");
    opened.append(...routes.map((route) => {
      const line = element("li");
      line.append(element("code", "", route));
      return line;
    }));
    about.append(opened);
  }
  box.setAttribute("aria-describedby", about.id);
  const limit = Object.assign(element("input", "choice-limit"), {
    type: "number", id: `limit-${endpoint}`, min: String(minCalls), max: String(max ?? maxCalls), step: "1",
    inputMode: "numeric", disabled: true, placeholder: max === undefined ? "no limit" : "",
  });
  // The default value, so that resetting the form pre-fills it again.
  if (max !== undefined) Object.assign(limit, { defaultValue: String(max), required: true });
  const limitLabel = Object.assign(element("label", "choice-limit-label"), { htmlFor: limit.id });
  limitLabel.append("Calls limit", element("span", "visually-hidden", ` for ${endpoint}`));
  limitLabel.append(max === undefined ? " (empty: unlimited)" : `, at most ${max}`);
  limitLabel.hidden = limit.hidden = true;
  // Only a picked capability's limit means anything, so only it is shown
  // and takes focus; this keeps a catalogue of fifty short.
  box.addEventListener("change", () => {
    showLimit(item);
    countPicked();
  });
  item.append(box, name, about, limitLabel, limit);
  if (periods.length > 0) item.append(periodicCalls(endpoint, every, { minCalls, maxCalls, periods }));
  const conditions = conditionFields(offer, delegated, periods);
  if (conditions) item.append(conditions);
  return item;
}

// The calls limit per period ("100 calls an hour"), shown with the calls limit.
function periodicCalls(endpoint, every, { minCalls, maxCalls, periods }) {
  const input = Object.assign(element("input", "choice-every"), {
    type: "number", min: String(minCalls), max: String(every?.max ?? maxCalls), step: "1", inputMode: "numeric",
  });
  const field = periodicField({
    id: `every-${endpoint}`, label: "Calls per period", endpoint, periods, preferred: 3_600, input,
    held: every && { max: String(every.max), period: every.period },
    hint: every
      ? `At most ${every.max} ${perPeriod(every.period)}, as your token's, over no shorter a period.`
      : `Empty: no limit per period. At most this many calls in any span of the period, such as 100 ${perPeriod(3_600)}.`,
  });
  field.classList.add("choice-periodic");
  if (every) input.required = true;
  field.hidden = true;
  return field;
}

function showLimit(item) {
  const box = item.querySelector("input[type=checkbox]");
  const limit = item.querySelector(".choice-limit");
  limit.disabled = limit.hidden = item.querySelector(".choice-limit-label").hidden = !box.checked;
  const periodic = item.querySelector(".choice-periodic");
  if (periodic) {
    periodic.hidden = !box.checked;
    for (const control of periodic.querySelectorAll("input, select")) control.disabled = !box.checked;
  }
  showConditions(item, box.checked);
}

// How many are picked, in all and in each group (on its summary, so that a
// closed group still says it holds some).
function countPicked() {
  const picked = $("choices").querySelectorAll("input[type=checkbox]:checked").length;
  $("picked-count").textContent = picked === 0 ? "" : `${picked} chosen`;
  for (const group of $("choices").querySelectorAll(".choice-group")) {
    const inGroup = group.querySelectorAll("input[type=checkbox]:checked").length;
    group.querySelector(".choice-group-picked").textContent = inGroup === 0 ? "" : ` · ${inGroup} chosen`;
  }
}

/**
 * Shows the service's presets: a button each that ticks its capabilities;
 * one with capabilities the holder may not grant says which, and ticks none.
 * @param {{ name: string, summary: string, capabilities: string[], missing: string[] }[]} presets
 */
export function renderPresets(presets) {
  $("presets").hidden = presets.length === 0;
  $("preset-list").replaceChildren(...presets.map(({ name, summary, capabilities, missing }) => {
    const item = element("li", "preset");
    const button = element("button", "quiet preset-button", name);
    button.type = "button";
    button.dataset.preset = name;
    button.dataset.capabilities = capabilities.join(" ");
    const about = Object.assign(element("span", "preset-about hint"), { id: `preset-about-${name}` });
    about.append(summary, ` (${capabilities.length} capabilities)`);
    if (missing.length > 0) {
      button.setAttribute("aria-disabled", "true");
      about.append(` Your token cannot grant ${missing.join(", ")}.`);
    }
    button.setAttribute("aria-describedby", about.id);
    item.append(button, about);
    return item;
  }));
}

/**
 * Wires the capability search, the presets and the select buttons.
 * @param {(preset: string, missing: boolean) => void} onPreset after a preset was chosen (ticked, or not for want of capabilities)
 */
export function bindChoices(onPreset) {
  $("pick-all").addEventListener("click", () => pickAll(true));
  $("pick-none").addEventListener("click", () => pickAll(false));
  $("choice-search").addEventListener("input", filterChoices);
  // Enter in the search box searches; it must not send the form.
  $("choice-search").addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault();
  });
  $("preset-list").addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest(".preset-button") : null;
    if (!button) return;
    const missing = button.getAttribute("aria-disabled") === "true";
    if (!missing) {
      for (const endpoint of button.dataset.capabilities.split(" ")) {
        const box = $(`pick-${endpoint}`);
        if (box && !box.checked) {
          box.checked = true;
          box.dispatchEvent(new Event("change"));
        }
        // Opened where it was ticked, so that its limits can be set.
        if (box) revealChoice(box);
      }
    }
    onPreset(button.dataset.preset, missing);
  });
}

// Shows the capabilities the search finds, and the groups that hold any,
// opened; an empty search shows every group as the user left it.
function filterChoices() {
  const query = $("choice-search").value;
  const searching = query.trim() !== "";
  for (const group of $("choices").querySelectorAll(".choice-group")) {
    let shown = 0;
    for (const item of group.querySelectorAll(".choice")) {
      const { offer, area } = searchable.get(item);
      const found = choiceMatches(offer, area, query);
      item.hidden = !found;
      if (found) shown += 1;
    }
    group.hidden = shown === 0;
    if (searching && group.dataset.openBefore === undefined) group.dataset.openBefore = String(group.open);
    if (searching) group.open = shown > 0;
    if (!searching && group.dataset.openBefore !== undefined) {
      group.open = group.dataset.openBefore === "true";
      delete group.dataset.openBefore;
    }
  }
}

/**
 * Shows a field of the choices, so that it can be seen and focused: its
 * group opened, and the search emptied if it hides it.
 * @param {Element} field
 */
export function revealChoice(field) {
  const item = field.closest(".choice");
  if (item?.hidden) {
    // Hidden by the search: the search is emptied, as the user would.
    $("choice-search").value = "";
    filterChoices();
  }
  const group = field.closest(".choice-group");
  if (group) group.open = true;
}

/** Empties the choices: none picked, no search, each group as it was drawn. */
export function resetChoices() {
  for (const item of $("choices").querySelectorAll(".choice")) showLimit(item);
  countPicked();
  filterChoices();
}

function pickAll(checked) {
  // "Select all" picks what the search finds; "Clear" clears everything.
  for (const item of $("choices").querySelectorAll(".choice")) {
    if (checked && item.hidden) continue;
    const box = item.querySelector("input[type=checkbox]");
    box.checked = checked;
    showLimit(item);
  }
  countPicked();
}

/**
 * The capabilities picked, each with its calls limits and conditions as typed.
 * @returns {({ endpoint: string, limit: string, every?: { max: string, period: string } } & import("./conditions.js").ConditionsDraft)[]}
 */
export function readPicked() {
  return [...$("choices").querySelectorAll(".choice")]
    .filter((item) => item.querySelector("input[type=checkbox]").checked)
    .map((item) => {
      const every = item.querySelector(".choice-every");
      return {
        endpoint: item.dataset.endpoint,
        limit: typedNumber(item.querySelector(".choice-limit")),
        ...(every ? { every: { max: typedNumber(every), period: periodOf(every) } } : {}),
        ...readConditions(item),
      };
    });
}
