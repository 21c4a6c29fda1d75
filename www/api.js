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
import { refusal } from "./format.js";

/** The prefix of every issued secret; the admin token has another form. */
export const SECRET_PREFIX = "etk_";

/**
 * How long a node call may take. Longer than the gateway's own wait for the
 * node (ORIGIN_TIMEOUT_MS, 30 s by default), so that a silent node is
 * reported by the gateway (504) rather than cut short here.
 */
export const NODE_TIMEOUT_MS = 35_000;

/**
 * A connection to the service as the holder of `secret`.
 * @typedef {object} Session
 * @property {() => Promise<import("./vendor/edge-tokens/index.js").Token>} getToken
 * @property {(request: import("./vendor/edge-tokens/index.js").CreateTokenRequest) => Promise<import("./vendor/edge-tokens/index.js").CreatedToken>} createToken
 * @property {(id: string) => Promise<void>} deleteToken
 * @property {(method: "GET" | "POST" | "DELETE", path: string) => Promise<unknown>} request
 *   calls the node behind the gateway; resolves to its JSON, its text, or null
 */

/**
 * Opens a session for `secret` on this page's origin, where the Worker
 * serves the API next to the console.
 * @param {string} secret
 * @returns {Session}
 */
export function connect(secret) {
  const client = new TokensClient(location.origin, { token: secret });
  let node;
  return {
    getToken: () => client.getToken(),
    createToken: (request) => client.createToken(request),
    deleteToken: (id) => client.deleteToken(id),
    request: (method, path) => {
      node ??= new TokensClient(location.origin, { token: secret, timeoutMs: NODE_TIMEOUT_MS });
      return node.request(method, path);
    },
  };
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
 * Finds out what `session`'s secret is. An issued token reads its record;
 * the admin token has none (404 NOT_FOUND); an issued token that may not
 * read itself (a 403 for want of tokensGetToken or of calls left on it) is
 * still valid, just unknown in detail. Anything else rejects.
 * @param {Session} session
 * @returns {Promise<{ kind: "issued", token: import("./vendor/edge-tokens/index.js").Token } | { kind: "admin" } | { kind: "unreadable" }>}
 */
export async function identify(session) {
  try {
    return { kind: "issued", token: await session.getToken() };
  } catch (error) {
    if (!(error instanceof TokensApiError)) throw error;
    if (error.httpStatus === 404 && error.status === "NOT_FOUND") return { kind: "admin" };
    if (refusal(error) === "call") return { kind: "unreadable" };
    throw error;
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
 * The gateway's route table, and whether a node is behind it (the Worker
 * has ORIGIN_URL). Needs no token. Fetched once; a failure is retried on
 * the next call.
 * @returns {Promise<{ enabled: boolean, routes: NodeRoute[] }>}
 */
export const loadGateway = keptUntilFailure(readGateway);

/**
 * The gateway's route table as it is now, read again: whether it still
 * forwards a route tells its own 404 from the node's.
 * @returns {Promise<{ enabled: boolean, routes: NodeRoute[] }>}
 */
export async function readGateway() {
  const { response, body } = await fetchJson("/api/v3/gateway", "the gateway's route table");
  if (typeof body?.enabled !== "boolean" || !Array.isArray(body.routes)) {
    throw new TokensApiError(response.status, "UNEXPECTED_RESPONSE", "the gateway's route table could not be read");
  }
  return { enabled: body.enabled, routes: body.routes };
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
