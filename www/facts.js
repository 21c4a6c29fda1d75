// What the console must know of the token service, read from its OpenAPI
// document: the capability catalogue and every bound the service enforces.
// The console holds no copy of any of them. Pure, so that it runs (and is
// tested) in Node.js as well; api.js fetches the document.

import { LISTEN, TARGETS } from "./conditions.js";

/**
 * The service's catalogue and bounds.
 * @typedef {object} ServiceFacts
 * @property {string[]} catalogue every capability name
 * @property {number} maxCapabilities the most capabilities one token may hold
 * @property {number} maxDescription the longest description, in characters
 * @property {number} maxLifetime the longest lifetime, in seconds
 * @property {number} minCalls the smallest calls limit
 * @property {number} maxCalls the largest calls limit
 * @property {number} maxDepth the most tokens above an issued token (delegation depth)
 * @property {number} maxBodyBytes the largest request body, in bytes
 * @property {{ minLength: number, maxLength: number, pattern: RegExp }} tokenId the form of a token id
 * @property {number} pageLimit the most tokens one page of `GET /tokens` may hold
 * @property {number} maxGrace the longest grace period of a rotation, in seconds
 * @property {{ name: string, about: string }[]} areas what part of a node each
 *   capability concerns, in the service's order, each with its description
 * @property {number} maxLimits the most limits one capability may carry
 * @property {RegExp} amountPattern the form of a spend budget's amount with its currency
 * @property {number} maxAmountChars the longest amount with its currency, in characters
 * @property {RegExp} addressPattern the form of a target address
 * @property {number} maxTargets the most addresses of a targets condition
 * @property {number} maxListen the most ranges of a listen condition
 * @property {number} minPeriod the shortest period of a periodic limit, in seconds
 * @property {number} maxPeriod the longest period of a periodic limit, in seconds
 * @property {number} eventsPageLimit the most events one page of `GET /tokens/{id}/events` may hold
 */

/**
 * Reads the facts from the service's OpenAPI document.
 * @param {any} document the parsed `GET /api/v3/openapi.json`
 * @returns {ServiceFacts}
 * @throws {Error} naming every fact the document lacks
 */
export function readFacts(document) {
  const schemas = document?.components?.schemas ?? {};
  const create = schemas.CreateTokenRequest?.properties ?? {};
  const max = schemas.CallsConditions?.properties?.max ?? {};
  const id = schemas.TokenId ?? {};
  const pageLimit = (path) => document?.paths?.[path]?.get?.parameters?.find?.((parameter) => parameter?.name === "limit")?.schema ?? {};
  const listLimit = pageLimit("/tokens");
  const period = schemas.CallsConditions?.properties?.period ?? {};
  const grace = schemas.RotateRequest?.properties?.grace ?? {};
  const amount = schemas.SpendConditions?.properties?.max ?? {};
  const allowed = (type) => (schemas.RequestedLimit?.oneOf ?? [])
    .find((variant) => variant?.properties?.type?.const === type)?.properties?.conditions?.properties?.allow ?? {};
  const missing = [];
  const count = (value, where) => {
    if (Number.isSafeInteger(value) && value >= 0) return value;
    missing.push(where);
    return undefined;
  };
  const catalogue = schemas.CapabilityName?.enum;
  if (!Array.isArray(catalogue) || catalogue.length === 0 || !catalogue.every((name) => typeof name === "string")) {
    missing.push("the capability catalogue");
  }
  const facts = {
    catalogue,
    maxCapabilities: count(create.capabilities?.maxItems, "the most capabilities"),
    maxDescription: count(create.description?.maxLength, "the longest description"),
    maxLifetime: count(create.lifetime?.maximum, "the longest lifetime"),
    minCalls: count(max.minimum, "the smallest calls limit"),
    maxCalls: count(max.maximum, "the largest calls limit"),
    maxDepth: count(document?.info?.["x-max-delegation-depth"], "the delegation depth"),
    maxBodyBytes: count(document?.info?.["x-max-body-bytes"], "the largest body"),
    tokenId: {
      minLength: count(id.minLength, "the length of a token id"),
      maxLength: count(id.maxLength, "the length of a token id"),
      pattern: pattern(id.pattern, missing, "the form of a token id"),
    },
    pageLimit: count(listLimit.maximum, "the largest page of tokens"),
    maxGrace: count(grace.maximum, "the longest grace period"),
    areas: areas(schemas.Area, missing),
    maxLimits: count(schemas.RequestedCapability?.properties?.limits?.maxItems, "the most limits of a capability"),
    amountPattern: pattern(amount.pattern, missing, "the form of an amount"),
    maxAmountChars: count(amount.maxLength, "the longest amount"),
    addressPattern: pattern(allowed(TARGETS).items?.pattern, missing, "the form of a target address"),
    maxTargets: count(allowed(TARGETS).maxItems, "the most target addresses"),
    maxListen: count(allowed(LISTEN).maxItems, "the most listen ranges"),
    minPeriod: count(period.minimum, "the shortest period"),
    maxPeriod: count(period.maximum, "the longest period"),
    eventsPageLimit: count(pageLimit("/tokens/{id}/events").maximum, "the largest page of events"),
  };
  if (missing.length > 0) throw new Error(`the OpenAPI document does not give ${[...new Set(missing)].join(", ")}`);
  return facts;
}

function areas(schema, missing) {
  const listed = Array.isArray(schema?.oneOf) ? schema.oneOf : [];
  const found = listed
    .filter((area) => typeof area?.const === "string")
    .map((area) => ({ name: area.const, about: typeof area.description === "string" ? area.description : "" }));
  if (found.length === 0) missing.push("the areas of the catalogue");
  return found;
}

function pattern(source, missing, what) {
  try {
    if (typeof source === "string") return new RegExp(source, "u");
  } catch {
    // Not a pattern JavaScript reads: reported below.
  }
  missing.push(what);
  return undefined;
}

/**
 * Whether `id` has the form of a token id.
 * @param {string} id
 * @param {ServiceFacts["tokenId"]} form
 * @returns {boolean}
 */
export function isTokenId(id, { minLength, maxLength, pattern }) {
  return id.length >= minLength && id.length <= maxLength && pattern.test(id);
}
