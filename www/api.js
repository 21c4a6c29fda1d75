// The only module that talks to the token service: through the edge-tokens
// client package for tokens, and a plain fetch for the OpenAPI document (the
// one source of the capability catalogue). Failures reject with the
// package's error classes, so format.js can word every one of them.

import {
  TokensClient,
  TokensApiError,
  TokensNetworkError,
  isWellFormedSecret,
} from "./vendor/edge-tokens/index.js";

/** The prefix of every issued secret; the admin token has another form. */
export const SECRET_PREFIX = "etk_";

/**
 * A connection to the service as the holder of `secret`.
 * @typedef {object} Session
 * @property {() => Promise<import("./vendor/edge-tokens/index.js").Token>} getToken
 * @property {(request: import("./vendor/edge-tokens/index.js").CreateTokenRequest) => Promise<import("./vendor/edge-tokens/index.js").CreatedToken>} createToken
 * @property {(id: string) => Promise<void>} deleteToken
 */

/**
 * Opens a session for `secret` on this page's origin, where the Worker
 * serves the API next to the console.
 * @param {string} secret
 * @returns {Session}
 */
export function connect(secret) {
  const client = new TokensClient(location.origin, { token: secret });
  return {
    getToken: () => client.getToken(),
    createToken: (request) => client.createToken(request),
    deleteToken: (id) => client.deleteToken(id),
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
 * read itself (403 UNAUTHORIZED: no tokensGetToken, or its limit is used
 * up) is still valid, just unknown in detail. Anything else rejects.
 * @param {Session} session
 * @returns {Promise<{ kind: "issued", token: import("./vendor/edge-tokens/index.js").Token } | { kind: "admin" } | { kind: "unreadable" }>}
 */
export async function identify(session) {
  try {
    return { kind: "issued", token: await session.getToken() };
  } catch (error) {
    if (!(error instanceof TokensApiError)) throw error;
    if (error.httpStatus === 404 && error.status === "NOT_FOUND") return { kind: "admin" };
    if (error.httpStatus === 403 && error.status === "UNAUTHORIZED") return { kind: "unreadable" };
    throw error;
  }
}

let catalogue;

/**
 * Every capability name, from `components.schemas.CapabilityName.enum` of
 * the service's OpenAPI document. Fetched once; a failure is retried on the
 * next call.
 * @returns {Promise<string[]>}
 */
export function loadCatalogue() {
  catalogue ??= fetchCatalogue().catch((error) => {
    catalogue = undefined;
    throw error;
  });
  return catalogue;
}

async function fetchCatalogue() {
  let response;
  try {
    response = await fetch("/api/v3/openapi.json", { headers: { accept: "application/json" } });
  } catch (error) {
    throw new TokensNetworkError("the OpenAPI document could not be fetched", error);
  }
  const names = response.ok ? (await response.json().catch(() => null))?.components?.schemas?.CapabilityName?.enum : null;
  if (!Array.isArray(names)) {
    throw new TokensApiError(response.status, "UNEXPECTED_RESPONSE", "the OpenAPI document has no capability catalogue");
  }
  return names;
}
