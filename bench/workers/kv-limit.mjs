// The limit of a Worker that reads KV: one read of a fixed key, its text as
// the answer, nothing else.
export default {
  async fetch(request, env) {
    return new Response(await env.TOKENS.get("bench:limit"));
  },
};
