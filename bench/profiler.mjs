// V8 CPU profiles of a Worker's isolate in workerd, through Miniflare's
// inspector, and a summary of where the time went: by kind (our wasm, the
// wasm-bindgen glue, the runtime's built-ins, ...) and by function. Used by
// bench/isolate.mjs (a Worker's own work, without HTTP or storage) and
// bench/profile.mjs (a Worker under load).
import WebSocket from "ws";

/**
 * Records a profile of the isolate of the Worker whose inspector target's id contains `target`
 * while `work` runs, sampling every `intervalUs` microseconds.
 */
export async function cpuProfile(mf, target, work, intervalUs = 50) {
  const inspector = await mf.getInspectorURL();
  const targets = await fetch(`http://${inspector.host}/json`).then((r) => r.json());
  const found = targets.find((t) => t.id.includes(target));
  if (!found) throw new Error(`no inspector target for ${target} among ${targets.map((t) => t.id).join(", ")}`);
  const socket = new WebSocket(found.webSocketDebuggerUrl);
  await new Promise((ok, fail) => socket.once("open", ok).once("error", fail));
  let id = 0;
  const waiting = new Map();
  socket.on("message", (data) => {
    const message = JSON.parse(data);
    waiting.get(message.id)?.(message.result);
    waiting.delete(message.id);
  });
  const send = (method, params = {}) =>
    new Promise((ok) => {
      waiting.set(++id, ok);
      socket.send(JSON.stringify({ id, method, params }));
    });
  try {
    await send("Profiler.enable");
    await send("Profiler.setSamplingInterval", { interval: intervalUs });
    await send("Profiler.start");
    await work();
    return (await send("Profiler.stop")).profile;
  } finally {
    socket.close();
  }
}

/** What kind of code a profile node ran: our wasm, the glue around it, the runtime, ... */
function kindOf({ functionName, url }) {
  if (url.includes(".wasm")) return "wasm (our Rust code and its crates)";
  if (url.endsWith("index.js")) return "wasm-bindgen / worker-build glue (index.js)";
  if (url.endsWith(".mjs")) return "JavaScript modules of the bench (harness, peer)";
  if (/^(wasm-to-js|js-to-wasm)/.test(functionName)) return "wasm <-> JavaScript transitions";
  if (functionName === "(garbage collector)") return "garbage collection";
  if (functionName === "(program)") return "(program): the runtime outside JavaScript (C++: I/O, KV, SQLite, HTTP)";
  return "runtime built-ins (Request, Response, Headers, console, ...)";
}

/**
 * Self time by kind and by function, in per cent of the busy samples (idle left out), and the
 * busy samples' share of all samples.
 */
export function summarize(profile, top = 25) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const hits = new Map();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const busy = [...hits].filter(([id]) => nodes.get(id).callFrame.functionName !== "(idle)");
  const total = busy.reduce((sum, [, n]) => sum + n, 0);
  const kinds = new Map();
  const functions = new Map();
  for (const [id, n] of busy) {
    const { functionName, url } = nodes.get(id).callFrame;
    const kind = kindOf({ functionName, url });
    kinds.set(kind, (kinds.get(kind) ?? 0) + n);
    const name = `${functionName || "(anonymous)"}${url ? ` ${url.split("/").pop()}` : ""}`;
    functions.set(name, (functions.get(name) ?? 0) + n);
  }
  const share = (n) => Math.round((1000 * n) / total) / 10;
  // Each sample stands for the time since the one before it.
  let busyUs = 0;
  profile.samples.forEach((id, i) => {
    if (nodes.get(id).callFrame.functionName !== "(idle)") busyUs += profile.timeDeltas[i] ?? 0;
  });
  return {
    busy_ms: Math.round(busyUs / 100) / 10,
    busy_share: Math.round((1000 * total) / profile.samples.length) / 10,
    kinds: [...kinds].sort((a, b) => b[1] - a[1]).map(([kind, n]) => ({ kind, pct: share(n) })),
    functions: [...functions].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, n]) => ({ name, pct: share(n) })),
  };
}

/** Prints a summary, each line starting with `prefix`. */
export function report(summary, prefix) {
  const pct = (x) => `${x.toFixed(1).padStart(5)}%`;
  const perRequest = summary.requests ? `, ${Math.round((summary.busy_ms * 1000) / summary.requests)} µs a request` : "";
  console.log(`${prefix} busy ${summary.busy_share}% of the samples (${summary.busy_ms} ms of wall time${perRequest}, preemption included); busy time by kind:`);
  for (const { kind, pct: p } of summary.kinds) console.log(`${prefix}   ${pct(p)}  ${kind}`);
  console.log(`${prefix} by function (self time), top ${summary.functions.length}:`);
  for (const { name, pct: p } of summary.functions) {
    console.log(`${prefix}   ${pct(p)}  ${name.length > 110 ? `${name.slice(0, 107)}...` : name}`);
  }
}
