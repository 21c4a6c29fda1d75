// Rewrites two spots of the glue that worker-build wrote (build/index.js),
// for speed. Each is found by its shape and must be there exactly once, so
// that a new worker-build or wasm-bindgen fails the build here rather than
// running slower, or differently, unseen.
//
// 1. The futures queue (js-sys's, which wasm-bindgen-futures runs) wakes its
//    tasks with queueMicrotask when the global has it, else with a resolved
//    Promise's then, in the same order. In workerd queueMicrotask is a
//    runtime API (a C++ call that wraps each callback for async context); a
//    resolved Promise's then is V8's own microtask. The glue reads the global
//    through one import, `__wbg_queueMicrotask_<hash>`, made here to answer
//    `undefined`.
// 2. worker-build exports the entrypoint class wrapped in a Proxy that, on
//    every request, builds a Proxy of the instance and an async Proxy of each
//    method looked up, so that the wasm is reinitialised after a trap. A
//    subclass does the same for fetch, the class's only method: the
//    reinitialisation check first, a failure reported to the same handler
//    (thrown, or rejecting the answer's promise: the handler answers with a
//    Response when it had nothing to await, src/server/task.rs). The
//    handler watches the promise beside the runtime rather than in front of
//    it, which would cost the answer one more promise and microtask.
//    The Durable Object classes keep their Proxy: their instances outlive a
//    reinitialisation. wasm-bindgen's own check (its terminated flag, read
//    before every call into the wasm) reinitialises too, whatever wakes the
//    tasks. tests/e2e/recovery.test.mjs holds both to it.
import { readFileSync, writeFileSync } from "node:fs";

const file = process.argv[2] ?? "build/index.js";
let glue = readFileSync(file, "utf8");

/** The one match of `pattern` in the glue; the build stops if there is none, or more. */
function only(pattern, what) {
  const found = [...glue.matchAll(new RegExp(pattern.source, "g"))];
  if (found.length !== 1) {
    console.error(`worker-glue: expected one ${what} in ${file}, found ${found.length}: has worker-build or wasm-bindgen changed?`);
    process.exit(1);
  }
  return found[0];
}

// An identifier of the minified glue (esbuild names some `$`), and one found, for a pattern.
const NAME = String.raw`[\w$]+`;
const escaped = (name) => name.replaceAll("$", "\\$");

const getter = only(new RegExp(String.raw`(__wbg_queueMicrotask_[0-9a-f]+:function\((${NAME})\)\{)return \2\.queueMicrotask(\})`), "queueMicrotask getter");
glue = glue.replace(getter[0], () => `${getter[1]}return void 0${getter[3]}`);

const [, reinit] = only(new RegExp(String.raw`function (${NAME})\(\)\{${NAME}\.criticalError&&\(console\.log\("Reinitializing Wasm application"\)`), "reinitialisation check");
const [, critical] = only(new RegExp(String.raw`function (${NAME})\((${NAME})\)\{\2 instanceof WebAssembly\.RuntimeError&&`), "critical error handler");
const [, entrypoint] = only(new RegExp(String.raw`export\{[^}]*?(?<![\w$])(${NAME}) as default\}`), "default export");
const wrapped = only(new RegExp(String.raw`(?<![\w$])${escaped(entrypoint)}=new Proxy\((${NAME}),${NAME}\)`), "entrypoint Proxy");
const [, method] = only(new RegExp(String.raw`(?<![\w$])${escaped(wrapped[1])}\.prototype\.(${NAME})=`), "method of the entrypoint class");
if (method !== "fetch") {
  console.error(`worker-glue: the entrypoint class's one method is ${method}, not fetch: has worker-build changed?`);
  process.exit(1);
}
// Parameter names longer than any the minifier gives a top-level function.
glue = glue.replace(wrapped[0], () => `${entrypoint}=class extends ${wrapped[1]}{fetch(request){${reinit}();` +
  `try{const answer=super.fetch(request);` +
  `if(answer instanceof Promise)answer.catch(${critical});return answer}` +
  `catch(error){throw ${critical}(error),error}}}`);

writeFileSync(file, glue);
console.log("worker-glue: tasks woken with Promise.then; the entrypoint is a subclass, not a Proxy");
