// The only module that talks to the token service: through the edge-tokens
// client package for tokens and node calls, and a plain fetch for the
// OpenAPI document (the one source of the capability catalogue and of every
// bound the console shows or checks: see facts.js) and the gateway's route
// table. Failures reject with the package's error classes, so format.js can
// word every one of them.

import {
  TokensClient,
  TokensApiError,
  TokensNetworkError,
  isWellFormedSecret,
} from "./vendor/edge-tokens/index.js";
import { readFacts } from "./facts.js";

/** The prefix of every issued secret; the admin token has another form. */
export const SECRET_PREFIX = "etk_";

/**
 * How long a node call may take. Longer than the gateway's own wait for the
 * node (ORIGIN_TIMEOUT_MS, 30 s by default), so that a silent node is
 * reported by the gateway (504) rather than cut short here.
 */
export const NODE_TIMEOUT_MS = 35_000;

/**
 * A limit as the API shows it: `calls` (`conditions.max` calls, `used` so
 * far), `spend` (`conditions.max` and `used` are amounts such as
 * "0.9 wxHOPR"), `targets` and `listen` (`conditions.allow`, no use).
 * A periodic `calls` or `spend` limit has `conditions.period` (seconds): then
 * `used` is the use in the current span, and `returnsAt` (seconds since the
 * Unix epoch, absent when nothing is used in the span) when capacity next
 * returns.
 * @typedef {{ type: "calls", conditions: { max: number, period?: number }, used: number, returnsAt?: number }
 *   | { type: "spend", conditions: { max: string, period?: number }, used: string, returnsAt?: number }
 *   | { type: "targets" | "listen", conditions: { allow: string[] } }} Limit
 */

/**
 * A token as the management routes show it, in the console's (and the
 * client package's) camelCase: the token model with each limit's use, its
 * place in the delegation tree and when it was made.
 * @typedef {object} TokenInfo
 * @property {string} id
 * @property {string} description
 * @property {{ endpoint: string, limits: Limit[] }[]} capabilities
 * @property {number} [validUntil] seconds since the Unix epoch; absent: it does not expire
 * @property {string} [parent] the id of the token that made it; absent: the admin made it
 * @property {number} [createdAt] seconds since the Unix epoch
 * @property {number} [descendants] how many tokens are below it (only an inspection says)
 * @property {number} [lastUsedAt] seconds since the Unix epoch; absent: never used
 */

/**
 * A connection to the service as the holder of `secret`.
 * @typedef {object} Session
 * @property {boolean} issuedForm whether the secret has the form of an issued secret (`etk_` and its checksum)
 * @property {(page?: { limit?: number, cursor?: string, parent?: string }) => Promise<{ tokens: TokenInfo[], cursor?: string }>} listTokens
 *   one page of the tokens the holder may see (no capability, no call counted)
 * @property {(id: string, page?: { limit?: number, cursor?: string }) => Promise<{ events: import("./usage.js").TokenEvent[], cursor?: string }>} listEvents
 *   one page of what token `id` and the tokens below it did, newest first (no capability, no call counted)
 * @property {(id: string) => Promise<TokenInfo>} inspectToken
 *   one token the holder may see, with its count of descendants (no capability, no call counted)
 * @property {(id: string, grace: number) => Promise<import("./vendor/edge-tokens/index.js").CreatedToken>} rotateToken
 *   a new secret for token `id`; the old one keeps working `grace` seconds
 * @property {(request: import("./vendor/edge-tokens/index.js").CreateTokenRequest) => Promise<import("./vendor/edge-tokens/index.js").CreatedToken>} createToken
 * @property {(id: string) => Promise<void>} deleteToken
 * @property {(method: "GET" | "POST" | "DELETE", path: string) => Promise<unknown>} request
 *   calls the node behind the gateway; resolves to its JSON, its text, or null
 */

/**
 * Opens a session for `secret` on this page's origin, where the Worker
 * serves the API next to the console.
 *
 * A token's events are read with the package's `listEvents`. The other
 * management routes (list, inspect, rotate) go through the client's
 * `request()`, which answers the API's JSON as it is (snake_case); they are
 * turned into the client's camelCase here, so that switching to the
 * package's own methods changes only these functions.
 * @param {string} secret
 * @returns {Session}
 */
export function connect(secret) {
  const client = new TokensClient(location.origin, { token: secret });
  let node;
  return {
    issuedForm: isWellFormedSecret(secret),
    listTokens: (page = {}) => listTokens(client, page),
    listEvents: (id, page = {}) => listEvents(client, id, page),
    inspectToken: (id) => inspectToken(client, id),
    rotateToken: (id, grace) => rotateToken(client, id, grace),
    createToken: (request) => client.createToken(request),
    deleteToken: (id) => client.deleteToken(id),
    request: (method, path) => {
      node ??= new TokensClient(location.origin, { token: secret, timeoutMs: NODE_TIMEOUT_MS });
      return node.request(method, path);
    },
  };
}

const TOKENS_PATH = "/api/v3/tokens";

async function listTokens(client, { limit, cursor, parent }) {
  const query = new URLSearchParams();
  if (limit !== undefined) query.set("limit", String(limit));
  if (cursor !== undefined) query.set("cursor", cursor);
  if (parent !== undefined) query.set("parent", parent);
  const search = query.toString();
  const body = await client.request("GET", search ? `${TOKENS_PATH}?${search}` : TOKENS_PATH);
  if (!Array.isArray(body?.tokens)) throw unexpected("the list of tokens");
  const page = { tokens: body.tokens.map(tokenInfo) };
  if (typeof body.cursor === "string") page.cursor = body.cursor;
  return page;
}

// One page of the package's `listEvents` (awaited: one page; its events'
// names are one word, the same in either case).
async function listEvents(client, id, { limit, cursor }) {
  const options = {};
  if (limit !== undefined) options.limit = limit;
  if (cursor !== undefined) options.cursor = cursor;
  const body = await client.listEvents(id, options);
  if (!Array.isArray(body?.events)) throw unexpected("the events");
  const page = { events: body.events.filter(isEvent) };
  if (typeof body.cursor === "string") page.cursor = body.cursor;
  return page;
}

function isEvent(event) {
  return Number.isSafeInteger(event?.at) && Number.isSafeInteger(event.status)
    && ["token", "actor", "operation", "method", "path"].every((key) => typeof event[key] === "string");
}

async function inspectToken(client, id) {
  const body = await client.request("GET", `${TOKENS_PATH}/${encodeURIComponent(id)}`);
  if (typeof body?.id !== "string") throw unexpected("the token");
  return tokenInfo(body);
}

async function rotateToken(client, id, grace) {
  const body = await client.request("POST", `${TOKENS_PATH}/${encodeURIComponent(id)}/rotate`, { grace });
  if (typeof body?.token !== "string" || typeof body?.id !== "string") throw unexpected("the new secret");
  const rotated = { token: body.token, id: body.id };
  if (Number.isSafeInteger(body.valid_until)) rotated.validUntil = body.valid_until;
  return rotated;
}

/**
 * A TokenInfo of the API (snake_case) as the console holds it (camelCase).
 * An unlimited capability comes without `limits` (the original API's
 * schema); the console holds it with an empty list.
 * @param {any} wire
 * @returns {TokenInfo}
 */
export function tokenInfo(wire) {
  const info = {
    id: String(wire?.id ?? ""),
    description: typeof wire?.description === "string" ? wire.description : "",
    capabilities: Array.isArray(wire?.capabilities)
      ? wire.capabilities.map((capability) => ({ ...capability, limits: (capability?.limits ?? []).map(limitInfo) }))
      : [],
  };
  if (Number.isSafeInteger(wire?.valid_until)) info.validUntil = wire.valid_until;
  if (typeof wire?.parent === "string") info.parent = wire.parent;
  if (Number.isSafeInteger(wire?.created_at)) info.createdAt = wire.created_at;
  if (Number.isSafeInteger(wire?.descendants)) info.descendants = wire.descendants;
  if (Number.isSafeInteger(wire?.last_used_at)) info.lastUsedAt = wire.last_used_at;
  return info;
}

// A limit of the API as the console holds it: `returns_at` as `returnsAt`.
function limitInfo({ returns_at: returnsAt, ...limit }) {
  return Number.isSafeInteger(returnsAt) ? { ...limit, returnsAt } : limit;
}

function unexpected(what) {
  return new TokensApiError(200, "UNEXPECTED_RESPONSE", `${what} could not be read`);
}

/**
 * Whether `input` is obviously a mistyped issued secret: it has the `etk_`
 * prefix but not the form or checksum. Decided offline, without a request.
 * @param {string} input
 * @returns {boolean}
 */
export function isMistypedSecret(input) {
  return input.startsWith(SECRET_PREFIX) && !isWellFormedSecret(input);
}

/**
 * Finds out what `session`'s secret is, without spending a call and
 * without a request the service answers with an error. An issued secret
 * has the `etk_` form: the token reads itself as the first entry of its own
 * listing (free, whatever it holds). Any other secret the service accepts
 * can only be the admin token: every issued secret has that form, so one
 * page of the listing (free too) that the service answers is enough. (Not
 * `GET /token`, which answers the admin token 404: a browser reports every
 * error answer in its console.) Anything else rejects: a 401 for a secret
 * the service does not accept.
 * @param {Session} session
 * @returns {Promise<{ kind: "issued", token: TokenInfo } | { kind: "admin" }>}
 */
export async function identify(session) {
  if (session.issuedForm) return { kind: "issued", token: await ownToken(session) };
  await session.listTokens({ limit: 1 });
  return { kind: "admin" };
}

// An issued token's listing starts with itself. A page may come empty and
// still have a next one: follow it until the first token.
async function ownToken(session) {
  let cursor;
  for (;;) {
    const page = await session.listTokens({ limit: 1, cursor });
    if (page.tokens.length > 0) return page.tokens[0];
    if (page.cursor === undefined) throw unexpected("the token's own listing");
    cursor = page.cursor;
  }
}

/**
 * `load`, called once and its promise kept; after a failure the next call
 * tries again.
 * @template T
 * @param {() => Promise<T>} load
 * @returns {() => Promise<T>}
 */
function keptUntilFailure(load) {
  let kept;
  return () => {
    kept ??= load().catch((error) => {
      kept = undefined;
      throw error;
    });
    return kept;
  };
}

/**
 * The service's capability catalogue and bounds, from its OpenAPI document
 * (see facts.js). Fetched once; a failure is retried on the next call.
 * @returns {Promise<import("./facts.js").ServiceFacts>}
 */
export const loadFacts = keptUntilFailure(fetchFacts);

async function fetchFacts() {
  const { response, body } = await fetchJson("/api/v3/openapi.json", "the OpenAPI document");
  try {
    return readFacts(body);
  } catch (error) {
    throw new TokensApiError(response.status, "UNEXPECTED_RESPONSE", error.message);
  }
}

/**
 * A route of the node behind the gateway, as `GET /api/v3/gateway` lists it.
 * @typedef {object} NodeRoute
 * @property {"GET" | "POST" | "DELETE"} method
 * @property {string} path the node's path, with `{name}` for a path segment
 * @property {string | null} capability the capability it needs; null: none (public)
 * @property {boolean} websocket whether it is a WebSocket upgrade
 */

/**
 * One capability of the service's catalogue, as `GET /api/v3/gateway` describes it:
 * `conditions`, the limit types it may carry besides `calls` ("spend",
 * "targets", "listen"); `currencies`, those a spend budget on it may be in.
 * @typedef {{ name: string, area: string, summary: string, conditions: string[], currencies: string[] }} CapabilityInfo
 */

/**
 * A named set of capabilities for a common use.
 * @typedef {{ name: string, summary: string, capabilities: string[] }} Preset
 */

/**
 * A generation of the node's API: its routes' prefix, and which node
 * release they follow, in words.
 * @typedef {{ name: string, prefix: string, about: string }} Generation
 */

/**
 * The gateway's table: whether a node is behind it (the Worker has
 * ORIGIN_URL), its routes with the API generations they belong to, and the
 * catalogue described (each capability's area and summary) with its presets.
 * @typedef {{ enabled: boolean, routes: NodeRoute[], generations: Generation[], capabilities: CapabilityInfo[],
 *   presets: Preset[] }} GatewayTable
 */

/**
 * The gateway's table. Needs no token. Fetched once; a failure is retried
 * on the next call.
 * @returns {Promise<GatewayTable>}
 */
export const loadGateway = keptUntilFailure(readGateway);

/**
 * The gateway's route table as it is now, read again: whether it still
 * forwards a route tells its own 404 from the node's.
 * @returns {Promise<GatewayTable>}
 */
export async function readGateway() {
  const { response, body } = await fetchJson("/api/v3/gateway", "the gateway's route table");
  if (typeof body?.enabled !== "boolean" || !Array.isArray(body.routes)) {
    throw new TokensApiError(response.status, "UNEXPECTED_RESPONSE", "the gateway's route table could not be read");
  }
  // The catalogue's descriptions only help to choose: a table without them still lists the routes.
  const capabilities = Array.isArray(body.capabilities) ? body.capabilities.filter(isCapabilityInfo).map(capabilityInfo) : [];
  const presets = Array.isArray(body.presets) ? body.presets.filter(isPreset) : [];
  // Without them, the routes are still listed, in one group.
  const generations = Array.isArray(body.generations) ? body.generations.filter(isGeneration) : [];
  return { enabled: body.enabled, routes: body.routes, generations, capabilities, presets };
}

function isGeneration(generation) {
  return ["name", "prefix", "about"].every((key) => typeof generation?.[key] === "string");
}

function isCapabilityInfo(info) {
  return typeof info?.name === "string" && typeof info.area === "string" && typeof info.summary === "string";
}

// What a capability may carry helps to choose too: absent, it carries nothing beyond calls.
function capabilityInfo({ name, area, summary, conditions, currencies }) {
  return { name, area, summary, conditions: strings(conditions), currencies: strings(currencies) };
}

function strings(list) {
  return Array.isArray(list) ? list.filter((item) => typeof item === "string") : [];
}

function isPreset(preset) {
  return typeof preset?.name === "string" && typeof preset.summary === "string"
    && Array.isArray(preset.capabilities) && preset.capabilities.every((name) => typeof name === "string");
}

// A public JSON document of the service: its body, or null when it is not
// a successful JSON answer.
async function fetchJson(path, what) {
  let response;
  try {
    // Not from the HTTP cache: read again, it must say what the service says now.
    response = await fetch(path, { headers: { accept: "application/json" }, cache: "no-store" });
  } catch (error) {
    throw new TokensNetworkError(`${what} could not be fetched`, error);
  }
  const body = response.ok ? await response.json().catch(() => null) : null;
  return { response, body };
}
