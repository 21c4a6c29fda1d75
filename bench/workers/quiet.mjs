// Our Worker with its one-line log dropped, for bench/run.mjs to show what
// the line costs under load beside the limits that write none (the one-KV-read
// Worker, the JavaScript proxy). bench/run.mjs copies this module next to the
// build it measures (./index.js), so the Worker is that build, unchanged:
// only console.log does nothing in this Worker's isolate. The contract wants
// the line (one per request); this variant exists only here.
import Worker, { TokenTree } from "./index.js";

export { TokenTree };

console.log = () => {};

export default Worker;
