// The capabilities the create form offers, as the service describes them:
// grouped by area, each with its one-line summary and the node routes it
// opens (from `GET /api/v3/gateway`), found by a search, and the service's
// presets. Pure, so that it runs (and is tested) in Node.js as well.

/**
 * One capability the form offers.
 * @typedef {object} Choice
 * @property {string} endpoint its name
 * @property {number} [max] the holder's calls limit on it: the child's must be no larger
 * @property {{ max: number, period: number }} [every] the holder's calls limit per period on it:
 *   the child's must be no larger, over no shorter a period
 * @property {string} summary what it allows, in one line ("" when the service does not say)
 * @property {string[]} routes the node routes it opens, as "METHOD /path"
 * @property {"routes" | "service" | "none" | "unknown"} use "routes": it opens
 *   node routes; "service": this service uses it itself (the tokens area);
 *   "none": no route of this gateway uses it (a token may still carry it for
 *   other services that read tokens); "unknown": the gateway's table could
 *   not be read
 * @property {string[]} conditions the limit types its routes take besides
 *   `calls` ("spend", "targets", "listen"); empty when unknown
 * @property {string[]} currencies the currencies a spend budget on it may be in
 * @property {import("./conditions.js").Budget[]} [spend] the holder's own spend budgets on it
 * @property {import("./conditions.js").PeriodicBudget[]} [spendEvery] the holder's own spend budgets per period on it
 * @property {string[]} [targets] the holder's own targets on it
 * @property {string[]} [listen] the holder's own listen ranges on it
 */

/**
 * One group of the form: an area of the catalogue, or the capabilities that
 * nothing here uses.
 * @typedef {{ key: string, title: string, about: string, choices: Choice[] }} ChoiceGroup
 */

/** The area of the capabilities this service enforces itself. */
export const SERVICE_AREA = "tokens";
/** The key of the group of capabilities that no route uses. */
export const UNUSED_GROUP = "unused";

/**
 * The form's groups: the capabilities `offers` holds, by area in the
 * service's order (capabilities of an area the service does not describe
 * last), and after them those that no route of the gateway uses.
 * @param {import("./rules.js").Offer[]} offers what the holder may grant (rules.js `offers`)
 * @param {{ capabilities: import("./api.js").CapabilityInfo[],
 *   routes: { method: string, path: string, capability: string | null }[] } | undefined} gateway
 *   the gateway's table; undefined when it could not be read: one group, nothing claimed
 * @param {{ name: string, about: string }[]} areas the service's areas, in order
 * @returns {ChoiceGroup[]}
 */
export function choiceGroups(offers, gateway, areas) {
  if (!gateway) {
    const choices = offers.map((offer) => ({ ...offer, summary: "", routes: [], use: "unknown", conditions: [], currencies: [] }));
    return [{ key: "all", title: "Capabilities", about: "What each one opens is unknown: the gateway's table could not be read.", choices }];
  }
  const described = new Map(gateway.capabilities.map((info) => [info.name, info]));
  const opened = new Map();
  for (const route of gateway.routes) {
    if (route.capability === null) continue;
    if (!opened.has(route.capability)) opened.set(route.capability, []);
    opened.get(route.capability).push(`${route.method} ${route.path}`);
  }
  const groups = new Map(areas.map((area) => [area.name, { key: area.name, title: title(area.name), about: area.about, choices: [] }]));
  const other = { key: "other", title: "Other", about: "Capabilities the service does not describe.", choices: [] };
  const unused = {
    key: UNUSED_GROUP,
    title: "Used by no route here",
    about: "No route of this gateway needs these, and this service does not use them: a token may carry them for "
      + "other services that read its capabilities, but here they allow nothing.",
    choices: [],
  };
  for (const offer of offers) {
    const info = described.get(offer.endpoint);
    const routes = opened.get(offer.endpoint) ?? [];
    const area = info?.area;
    const use = routes.length > 0 ? "routes" : area === SERVICE_AREA ? "service" : "none";
    const choice = { ...offer, summary: info?.summary ?? "", routes, use, conditions: info?.conditions ?? [], currencies: info?.currencies ?? [] };
    if (use === "none") unused.choices.push(choice);
    else if (area !== undefined && groups.has(area)) groups.get(area).choices.push(choice);
    else other.choices.push(choice);
  }
  return [...groups.values(), other, unused].filter((group) => group.choices.length > 0);
}

/**
 * Whether a capability is found by `query`: its name, summary, area or one
 * of its routes contains it, letter case aside. An empty query finds all.
 * @param {Choice} choice
 * @param {string} area its group's title
 * @param {string} query
 * @returns {boolean}
 */
export function choiceMatches(choice, area, query) {
  return [choice.endpoint, choice.summary, area, ...choice.routes].some((text) => textMatches(text, query));
}

// Whether `text` contains `query`, letter case and surrounding spaces
// aside. An empty query is found everywhere.
function textMatches(text, query) {
  const needle = query.trim().toLocaleLowerCase();
  return needle === "" || text.toLocaleLowerCase().includes(needle);
}

/**
 * The service's presets as the form offers them: each with the
 * capabilities it ticks, and those the holder may not grant (a preset with
 * any is offered, but cannot be applied).
 * @param {{ name: string, summary: string, capabilities: string[] }[]} presets
 * @param {{ endpoint: string }[]} offers what the holder may grant
 * @returns {{ name: string, summary: string, capabilities: string[], missing: string[] }[]}
 */
export function presetChoices(presets, offers) {
  const grantable = new Set(offers.map((offer) => offer.endpoint));
  return presets.map(({ name, summary, capabilities }) => ({
    name, summary, capabilities, missing: capabilities.filter((capability) => !grantable.has(capability)),
  }));
}

/**
 * What a choice does, in words, under its name.
 * @param {Choice} choice
 * @returns {string}
 */
export function choiceUse({ use, routes }) {
  if (use === "service") return "Used by this token service itself.";
  if (use === "none") return "No route here uses it.";
  if (use === "unknown") return "";
  return `Opens ${routes.length} node route${routes.length === 1 ? "" : "s"}:`;
}

function title(name) {
  return name.charAt(0).toLocaleUpperCase() + name.slice(1);
}

/**
 * A request to show how a new token is used: a call of a node route it
 * opens (a read-only one with a fixed path where it has one), or else the
 * listing of tokens, which any token may read. The secret itself is left
 * out: it is shown once, above.
 * @param {string} origin where the service is, e.g. "https://tokens.example.com"
 * @param {{ endpoint: string }[]} granted
 * @param {{ method: string, path: string, capability: string | null, websocket: boolean }[]} routes the gateway's
 * @returns {string} a curl command line
 */
export function exampleRequest(origin, granted, routes) {
  const held = new Set(granted.map((capability) => capability.endpoint));
  const usable = routes.filter((route) => route.capability !== null && held.has(route.capability) && !route.websocket);
  const route = usable.find((candidate) => candidate.method === "GET" && !candidate.path.includes("{"))
    ?? usable[0] ?? { method: "GET", path: "/api/v3/tokens" };
  const method = route.method === "GET" ? "" : `-X ${route.method} `;
  return `curl ${method}-H "x-auth-token: <the secret>" ${origin}${route.path}`;
}
