// Our Worker with the audit trail's recording on or off (binding TRAIL, "on"
// or "off"), for bench/run.mjs to measure what recording costs side by side.
// bench/run.mjs copies this module next to the build it measures (./index.js),
// so the Worker is that build, unchanged: only its TOKEN_TREES binding is
// wrapped, and the same way in both variants.
//
// Through the wrapper, each message to a tree's Durable Object is read and
// written anew (a `/charge` and its answer parsed and serialized again), in
// both variants alike. With TRAIL "off" the wrapper also does what a
// Worker without the trail would skip: a `/charge` loses the event it
// carries and its answer says the event was recorded (as the tree would
// have said), so that the Worker does not send it on its own; a `/record`
// (a node call's event, sent once the node has answered) is answered at
// once, without reaching the tree. The Worker still drafts each event and
// hands `/record` to the wrapper, a few µs inside the isolate, so "off"
// understates what recording costs by that much. Only tokens with `calls`
// limits are sent through it: a spend budget's amounts, past 2^53, would not
// survive the parse.
import Worker, { TokenTree } from "./index.js";

export { TokenTree };

// Named so: the worker crate accepts a binding as a Durable Object namespace by its class's name.
class DurableObjectNamespace {
  constructor(trees, recording) {
    this.trees = trees;
    this.recording = recording;
  }

  idFromName(name) {
    return this.trees.idFromName(name);
  }

  get(id) {
    const stub = this.trees.get(id);
    return { fetch: (input, init) => this.send(stub, new Request(input, init)) };
  }

  async send(stub, request) {
    const path = new URL(request.url).pathname;
    if (path === "/record" && !this.recording) return new Response(null);
    if (path !== "/charge") return stub.fetch(request);
    const message = JSON.parse(await request.text());
    const event = message.event;
    if (!this.recording) delete message.event;
    const answer = await stub.fetch(request.url, { method: "POST", body: JSON.stringify(message) });
    if (!answer.ok) return answer;
    const reply = JSON.parse(await answer.text());
    // What the tree decides for a carried event (PendingEvent::settle): a refused call is
    // recorded unless its token was revoked; a granted one when its answer is known.
    if (!this.recording && event) reply.recorded = reply.refused ? reply.refused !== "Revoked" : Boolean(event.granted_known);
    return new Response(JSON.stringify(reply));
  }
}

const wrapped = new WeakMap();
function withTrail(env) {
  let found = wrapped.get(env);
  if (found === undefined) {
    found = { ...env, TOKEN_TREES: new DurableObjectNamespace(env.TOKEN_TREES, env.TRAIL !== "off") };
    wrapped.set(env, found);
  }
  return found;
}

export default class extends Worker {
  constructor(ctx, env) {
    super(ctx, withTrail(env));
  }
}
