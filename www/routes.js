// The console's addresses: each view has one, in the page's fragment
// ("#/tokens", "#/tokens/<id>", "#/create", "#/node", "#/me"), so that it can
// be bookmarked, shared, reloaded and left with Back. A fragment is never
// sent to the server, and it only ever holds a token's public id, never a
// secret. Pure, so that it runs (and is tested) in Node.js as well.

/**
 * A view of the console.
 * @typedef {{ view: "tokens" } | { view: "token", id: string } | { view: "create" } | { view: "node" } | { view: "me" }} Route
 */

/** The views that have an address of one word. */
const PLAIN = ["tokens", "create", "node", "me"];

/** Where the console opens when the address names no view. */
export const HOME = { view: "tokens" };

/**
 * The view an address names.
 * @param {string} hash `location.hash`, e.g. "#/tokens/abc"
 * @returns {Route | undefined} undefined: the address names no view of the console
 */
export function readRoute(hash) {
  const path = hash.replace(/^#\/?/u, "");
  if (path === "") return HOME;
  const parts = path.split("/");
  if (parts.length === 1 && PLAIN.includes(parts[0])) return { view: parts[0] };
  if (parts.length === 2 && parts[0] === "tokens" && parts[1] !== "") {
    try {
      return { view: "token", id: decodeURIComponent(parts[1]) };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The address of a view.
 * @param {Route} route
 * @returns {string} e.g. "#/tokens/abc"
 */
export function routeHash(route) {
  return route.view === "token" ? `#/tokens/${encodeURIComponent(route.id)}` : `#/${route.view}`;
}

/**
 * The address of token `id`'s page.
 * @param {string} id
 * @returns {string}
 */
export function tokenHash(id) {
  return routeHash({ view: "token", id });
}
