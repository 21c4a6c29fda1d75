// The API's JSON names are snake_case (`valid_until`); JavaScript's are
// camelCase (`validUntil`). Every answer is read, and every request body
// written, through these two functions, so the client's objects use
// JavaScript's names throughout and its TypeScript declarations (generated
// from the OpenAPI document with the same renaming) match them.

const isPlainObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
const renamed = (object, rename) => Object.fromEntries(Object.entries(object).map(([key, value]) => [rename(key), value]));
const camel = (name) => name.replace(/_([a-z0-9])/g, (_, letter) => letter.toUpperCase());
const snake = (name) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/** Parses an answer of the API, with camelCase names. */
export function fromWire(text) {
  return JSON.parse(text, (_, value) => (isPlainObject(value) ? renamed(value, camel) : value));
}

/** A request body for the API, with its snake_case names; undefined when `value` cannot be written as JSON. */
export function toWire(value) {
  try {
    return JSON.stringify(value, (_, v) => (isPlainObject(v) ? renamed(v, snake) : v));
  } catch {
    return undefined;
  }
}
