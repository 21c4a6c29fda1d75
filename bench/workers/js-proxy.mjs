// The JavaScript baseline of a gateway call: a Worker that reads one KV key
// (a bulk read of a copy of the calling token's record and of the client
// address's lock-out key, the one read the gateway makes for a token without
// limits), and forwards the call to the node at NODE_URL as the gateway
// does: the same method, path and query, only the headers the gateway lets
// through, the node's own token in place of the caller's, redirects not
// followed; the node's answer streams back with a Via entry and the CORS
// header. It checks nothing else: what a JavaScript Worker pays at the least
// for the same hop through the same stand-in node.
const FORWARDED = ["accept", "content-type", "content-length"];

export default {
  async fetch(request, env) {
    const found = await env.TOKENS.get(["bench:proxy", `l:${request.headers.get("cf-connecting-ip") ?? "unknown"}`]);
    if (found.get("bench:proxy") == null) return new Response('{"status":"UNAUTHORIZED"}', { status: 401 });
    const url = new URL(request.url);
    const headers = new Headers();
    for (const name of FORWARDED) {
      const value = request.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    headers.set("x-auth-token", env.NODE_TOKEN);
    const bodiless = request.method === "GET" || request.method === "HEAD";
    const answer = await fetch(`${env.NODE_URL}${url.pathname}${url.search}`, {
      method: request.method,
      headers,
      body: bodiless ? null : request.body,
      redirect: "manual",
    });
    const response = new Response(answer.body, answer);
    response.headers.append("via", "1.1 edge-tokens");
    response.headers.set("access-control-allow-origin", "*");
    return response;
  },
};
