// The limit of a Worker that reads KV as GET /api/v3/token must: one bulk
// read of a fixed key and of a client address's lock-out key (absent), the
// key's text as the answer, nothing else.
export default {
  async fetch(request, env) {
    const found = await env.TOKENS.get(["bench:limit", "l:bench"]);
    return new Response(found.get("bench:limit"));
  },
};
