// One chart of a token's use over time, in plain SVG (no charting library:
// bars, two kinds of line and a few labels do not pay for one): a bar for
// each hour's use, each limit's bound as a dashed line, and the sum a limit
// bounds as a line where it spans more than an hour. It is an image with a
// title and a description for a screen reader, a legend, and the same
// numbers as a table. Draws the panels usage.js computes; writes text with
// textContent only.

import { element } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
/** The drawing's own units; it is scaled to the width of its box. */
const WIDTH = 720;
const HEIGHT = 170;
const PLOT = { left: 52, right: 8, top: 10, bottom: 24 };
const HOUR_MS = 3_600_000;

let charts = 0;

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * A round number at least `value`: 1, 2 or 5 times a power of ten.
 * @param {number} value
 * @returns {number}
 */
function roundUp(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((step) => step * power).find((top) => top >= value * (1 - 1e-9));
}

// A number as an axis label: short, without a float's noise.
function label(value) {
  return Number(value.toPrecision(6)).toLocaleString();
}

/**
 * A panel (see usage.js) as a figure: the chart, its legend and its table.
 * @param {import("./usage.js").Panel} panel
 * @param {{ start: number, hours: number }} span
 * @param {(ms: number) => string} hourName an hour's start in words, for the table and the bars' titles
 * @returns {HTMLElement} a `<figure>`
 */
export function usageChart(panel, { start, hours }, hourName) {
  const id = `chart-${++charts}`;
  const figure = element("figure", "usage-chart");
  figure.dataset.key = panel.key;
  const caption = element("figcaption", "usage-chart-title", panel.title);
  const known = panel.values.filter((value) => value !== null);
  const total = known.length === 0 ? 0 : panel.values.reduce((sum, value) => sum + (value ?? 0), 0);
  const top = roundUp(Math.max(...known, ...panel.limits.flatMap((limit) => [limit.bound, ...(limit.running ?? []).filter((value) => value !== null)])));
  const plotWidth = WIDTH - PLOT.left - PLOT.right;
  const plotHeight = HEIGHT - PLOT.top - PLOT.bottom;
  const x = (hour) => PLOT.left + (hour / hours) * plotWidth;
  const y = (value) => PLOT.top + plotHeight - (value / top) * plotHeight;

  const drawing = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-labelledby": `${id}-title ${id}-desc`, class: "usage-chart-svg" });
  drawing.append(svg("title", { id: `${id}-title` }, `${panel.title}, per hour`), svg("desc", { id: `${id}-desc` }, describe(panel, total)));
  drawing.append(axes({ x, y, top, start, hours }));
  const bars = svg("g", { class: "chart-bars" });
  const width = Math.max(1, plotWidth / hours - 1);
  panel.values.forEach((value, hour) => {
    if (!value) return;
    const bar = svg("rect", { class: "chart-bar", x: x(hour) + 0.5, y: y(value), width, height: Math.max(1, y(0) - y(value)) });
    bar.dataset.hour = String(hour);
    bar.append(svg("title", {}, `${hourName(start + hour * HOUR_MS)}: ${panel.texts[hour]} ${panel.unit}`));
    bars.append(bar);
  });
  drawing.append(bars);
  panel.limits.forEach((limit, index) => drawing.append(limitLines(limit, index, { x, y, hours })));
  const unknown = panel.values.findIndex((value) => value !== null);
  if (unknown > 0) drawing.append(svg("rect", { class: "chart-unread", x: x(0), y: PLOT.top, width: x(unknown) - x(0), height: plotHeight }));

  figure.append(caption, drawing, legend(panel), table(panel, start, hourName));
  return figure;
}

// What a screen reader says of the chart: the total and the busiest hour,
// and the limits.
function describe(panel, total) {
  const busiest = panel.values.reduce((best, value, hour) => ((value ?? 0) > (panel.values[best] ?? 0) ? hour : best), 0);
  const use = total === 0 ? `No ${panel.unit} in these hours.` : `Busiest hour: ${panel.texts[busiest]} ${panel.unit}.`;
  const limits = panel.limits.map((limit) => `Limit: ${limit.label}.`);
  return [use, ...limits].join(" ");
}

// The axes: 0 and the top on the left, with a faint line at the top; each
// day's start along the bottom.
function axes({ x, y, top, start, hours }) {
  const group = svg("g", { class: "chart-axes", "aria-hidden": "true" });
  group.append(svg("line", { class: "chart-axis", x1: x(0), x2: x(hours), y1: y(0), y2: y(0) }));
  group.append(svg("line", { class: "chart-grid", x1: x(0), x2: x(hours), y1: y(top), y2: y(top) }));
  for (const value of [0, top]) group.append(svg("text", { class: "chart-label", x: x(0) - 6, y: y(value) + 4, "text-anchor": "end" }, label(value)));
  const days = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
  for (let hour = 0; hour < hours; hour += 1) {
    const at = new Date(start + hour * HOUR_MS);
    if (at.getHours() !== 0) continue;
    group.append(svg("line", { class: "chart-tick", x1: x(hour), x2: x(hour), y1: y(0), y2: y(0) + 4 }));
    group.append(svg("text", { class: "chart-label", x: x(hour) + 2, y: y(0) + 16 }, days.format(at)));
  }
  return group;
}

// A limit's bound as a dashed line, and the sum it bounds as a line.
function limitLines(limit, index, { x, y, hours }) {
  const group = svg("g", { class: `chart-limit chart-limit-${index % 3}` });
  group.dataset.kind = limit.kind;
  const bound = svg("line", { class: "chart-bound", x1: x(0), x2: x(hours), y1: y(limit.bound), y2: y(limit.bound) });
  bound.append(svg("title", {}, `${limit.label}`));
  group.append(bound);
  if (limit.running) {
    const points = limit.running.map((value, hour) => (value === null ? null : `${x(hour + 1)},${y(value)}`)).filter(Boolean);
    const line = svg("polyline", { class: "chart-running", points: points.join(" ") });
    line.append(svg("title", {}, `${limit.runningLabel} (${limit.label})`));
    group.append(line);
  }
  return group;
}

function legend(panel) {
  const list = element("ul", "chart-legend");
  const item = (className, text) => {
    const entry = element("li");
    entry.append(element("span", `chart-key ${className}`), " ", text);
    return entry;
  };
  list.append(item("chart-key-bar", `${panel.unit} per hour`));
  panel.limits.forEach((limit, index) => {
    list.append(item(`chart-key-bound chart-limit-${index % 3}`, limit.label));
    if (limit.running) list.append(item(`chart-key-running chart-limit-${index % 3}`, limit.runningLabel));
  });
  return list;
}

// The numbers of the chart: one row for each hour with use.
function table(panel, start, hourName) {
  const details = element("details", "chart-table");
  const used = panel.values.map((value, hour) => ({ value, hour })).filter(({ value }) => value);
  details.append(element("summary", "", used.length === 0 ? "No use in these hours" : `As a table: ${used.length} hour${used.length === 1 ? "" : "s"} with use`));
  if (used.length === 0) return details;
  const grid = element("table");
  grid.append(element("caption", "visually-hidden", `${panel.title}, per hour`));
  const head = element("tr");
  const withRunning = panel.limits.filter((limit) => limit.running);
  for (const name of ["Hour", panel.unit, ...withRunning.map((limit) => `${limit.runningLabel} (${limit.label})`)]) {
    head.append(Object.assign(element("th", "", name), { scope: "col" }));
  }
  const body = element("tbody");
  for (const { hour } of [...used].reverse()) {
    const row = element("tr");
    row.append(Object.assign(element("th", "", hourName(start + hour * HOUR_MS)), { scope: "row" }), element("td", "", panel.texts[hour]));
    for (const limit of withRunning) row.append(element("td", "", limit.runningTexts[hour]));
    body.append(row);
  }
  const thead = element("thead");
  thead.append(head);
  grid.append(thead, body);
  details.append(grid);
  return details;
}
