// Test-only entry module: the real Worker (build/index.js), with its KV
// binding wrapped so that a request can ask for storage calls to fail or to
// take longer, and its Durable Object binding wrapped so that a request can
// make a tree's object fail. The header `x-test-fail` names what fails:
// `put:<key prefix>`, `get`, `delete` or `list`, comma-separated, or `tree`
// (the object is sent a message it cannot read, so it fails the call);
// `x-test-delay` names what is slowed and by how many milliseconds:
// `put:<key prefix>=<ms>`, also comma-separated. Never deployed.
import Entry, { TokenTree } from "./index.js";

export { TokenTree };

export default {
  fetch(request, env, ctx) {
    const faults = rules(request.headers.get("x-test-fail"));
    const delays = rules(request.headers.get("x-test-delay"));
    const TOKENS = faults.length || delays.length ? wrapped(env.TOKENS, faults, delays) : env.TOKENS;
    const TOKEN_TREES = faults.some((rule) => rule.operation === "tree") ? unreadable(env.TOKEN_TREES) : env.TOKEN_TREES;
    return Entry.prototype.fetch.call({ env: { ...env, TOKENS, TOKEN_TREES }, ctx }, request);
  },
};

/** `operation:prefix=value` rules from a header. */
function rules(header) {
  return (header ?? "")
    .split(",")
    .filter(Boolean)
    .map((rule) => {
      const [what, value] = rule.split("=");
      const [operation, prefix = ""] = what.split(":");
      return { operation, prefix, value: Number(value) };
    });
}

function wrapped(kv, faults, delays) {
  const matching = (list, operation, key) =>
    list.find((rule) => rule.operation === operation && String(key).startsWith(rule.prefix));
  return new Proxy(kv, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (typeof value !== "function") return value;
      return async (key, ...rest) => {
        if (matching(faults, property, key)) throw new Error(`injected ${property} failure`);
        const delay = matching(delays, property, key);
        if (delay) await new Promise((resolve) => setTimeout(resolve, delay.value));
        return value.call(target, key, ...rest);
      };
    },
  });
}

/** `trees`, whose objects are sent a body that is not JSON, whatever the Worker posts. */
function unreadable(trees) {
  return {
    idFromName: (name) => trees.idFromName(name),
    get: (id) => {
      const stub = trees.get(id);
      return { fetch: (url, init) => stub.fetch(url, { ...init, body: "{" }) };
    },
  };
}
