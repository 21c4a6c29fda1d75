// The limit of a Worker that pages through KV: what a page of the token
// listing cannot do without, one listing of PAGE index keys (`i:<id>`) and
// one bulk read of them, with their values as the answer.
export default {
  async fetch(request, env) {
    const { keys } = await env.TOKENS.list({ prefix: "i:", limit: Number(env.PAGE) });
    const values = await env.TOKENS.get(keys.map((key) => key.name), "text");
    return new Response(JSON.stringify([...values.values()]));
  },
};
