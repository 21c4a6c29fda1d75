// Test-only entry module: the real Worker (build/index.js), with its KV
// binding wrapped so that a request can ask for storage calls to fail. The
// header `x-test-fail` names what fails: `put:<key prefix>`, `get`, `delete`
// or `list`, comma-separated. Used by faults.test.mjs only; never deployed.
import Entry, { TokenTree } from "./index.js";

export { TokenTree };

export default {
  fetch(request, env, ctx) {
    const faults = (request.headers.get("x-test-fail") ?? "").split(",").filter(Boolean);
    const TOKENS = faults.length ? failing(env.TOKENS, faults) : env.TOKENS;
    return Entry.prototype.fetch.call({ env: { ...env, TOKENS }, ctx }, request);
  },
};

function failing(kv, faults) {
  const fails = (operation, key) =>
    faults.some((fault) => {
      const [name, prefix = ""] = fault.split(":");
      return name === operation && String(key).startsWith(prefix);
    });
  return new Proxy(kv, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (typeof value !== "function") return value;
      return (key, ...rest) =>
        fails(property, key) ? Promise.reject(new Error(`injected ${property} failure`)) : value.call(target, key, ...rest);
    },
  });
}
