// The DOM of what a token did, on its page (with chart.js, view.js,
// tokens-view.js, limits-view.js, choices-view.js and field-errors.js, the
// only modules that touch it): its recent events as a table, newest first, with more on
// request, and the charts of its use over time (drawn by chart.js). It shows
// what app.js tells it to and hands the request for more back through
// bindEvents. Token data is written with textContent only.

import { usageChart } from "./chart.js";
import { $, element } from "./dom.js";
import { tokenHash } from "./routes.js";

/**
 * Starts the events and charts of a token's page, while they are read.
 */
export function showEventsReading() {
  $("detail-events-summary").textContent = "Reading what it did…";
  $("detail-events").hidden = true;
  $("detail-events-rows").replaceChildren();
  $("detail-events-more").hidden = true;
  $("detail-charts-caption").textContent = "";
  $("detail-charts").replaceChildren();
}

/**
 * Shows the events read so far, newest first.
 * @param {{ rows: import("./usage.js").EventRow[], more: boolean, summary: string }} events
 *   `more`: there are more to show
 */
export function showEvents({ rows, more, summary }) {
  $("detail-events-summary").textContent = summary;
  $("detail-events").hidden = rows.length === 0;
  $("detail-events-rows").replaceChildren(...rows.map(eventRow));
  $("detail-events-more").hidden = !more;
}

const when = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const hours = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });

function eventRow({ at, who, operation, request, subject, outcome, details }) {
  const row = element("tr", `event event-${outcome.tone}`);
  const time = element("time", "", when.format(new Date(at)));
  time.dateTime = new Date(at).toISOString();
  const whoCell = element("td", "event-who");
  if (who.id) {
    const link = element("a", "", who.text);
    link.href = tokenHash(who.id);
    whoCell.append(link);
  } else {
    whoCell.append(who.text);
  }
  const what = element("td", "event-what");
  what.append(element("code", "", operation), " ", element("span", "hint event-request", request));
  if (subject) {
    const link = element("a", "", `token ${subject}`);
    link.href = tokenHash(subject);
    what.append(" ", element("span", "hint", "on "), link);
  }
  const timeCell = element("td", "event-when");
  timeCell.append(time);
  row.append(timeCell, whoCell, what, element("td", "event-outcome", outcome.text), element("td", "event-details", details.join(", ")));
  return row;
}

/**
 * Shows the charts of a token's use.
 * @param {{ caption: string, charts: { start: number, hours: number, panels: import("./usage.js").Panel[] } }} use
 */
export function showCharts({ caption, charts }) {
  const hourName = (ms) => hours.format(new Date(ms));
  $("detail-charts-caption").textContent = caption;
  $("detail-charts").replaceChildren(...charts.panels.map((panel) => usageChart(panel, charts, hourName)));
}

/**
 * Calls `more()` when the user asks for more events.
 * @param {() => void} more
 */
export function bindEvents(more) {
  $("detail-events-more").addEventListener("click", () => more());
}
