// A stand-in for the HOPR node behind the gateway that does no work of its
// own: a call with the node's token is answered 200 `{}`, any other 401, so
// that a 200 through the gateway shows the gateway put the node's token in.
// The body is read, as the node reads it, before the answer.
export default {
  async fetch(request, env) {
    await request.arrayBuffer();
    if (request.headers.get("x-auth-token") !== env.NODE_TOKEN) return new Response("{}", { status: 401 });
    return new Response("{}", { headers: { "content-type": "application/json" } });
  },
};
