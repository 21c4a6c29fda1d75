// The JavaScript peer of `GET /api/v3/token`: the same logic as the Rust
// Worker's, written as a plain JavaScript Worker the way a competent developer
// would. Same credentials (x-auth-token, Bearer, Basic), same secret format
// and checksum, same admin check in constant time, same storage key (a
// domain-separated SHA-256 of the secret, hex), one bulk KV read of the
// record `t:<hex>` and the client address's lock-out `l:<address>`, the same
// JSON answer, the same CORS headers and the same one-line JSON log.
// It serves tokens without `calls` limits only (those need the Durable
// Object); it exists to be measured against the Rust Worker.

const PREFIX = "etk_";
const BODY_LEN = 32;
const CHECKSUM_LEN = 6;
const SECRET_LEN = PREFIX.length + BODY_LEN + CHECKSUM_LEN;
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const DOMAIN = "edge-tokens/v1/secret\0";
const CHALLENGE = 'Bearer realm="edge-tokens"';
const encoder = new TextEncoder();

const sha256 = async (text) => new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));

/** The admin token's digest, computed once per isolate (and again if the secret changes). */
let adminDigest = { token: undefined, digest: undefined };
async function adminDigestOf(token) {
  if (adminDigest.token !== token) adminDigest = { token, digest: await sha256(token) };
  return adminDigest.digest;
}

function presentedToken(request) {
  const key = request.headers.get("x-auth-token")?.trim();
  if (key) return key;
  const authorization = request.headers.get("authorization")?.trim();
  if (!authorization) return undefined;
  const space = authorization.indexOf(" ");
  if (space < 0) return undefined;
  const scheme = authorization.slice(0, space).toLowerCase();
  const value = authorization.slice(space + 1).trim();
  let token;
  if (scheme === "bearer") token = value;
  else if (scheme === "basic") {
    try {
      const bytes = Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
      const decoded = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      const colon = decoded.indexOf(":");
      token = colon < 0 ? decoded : decoded.slice(0, colon);
    } catch {
      return undefined;
    }
  } else return undefined;
  return token || undefined;
}

async function isWellFormed(secret) {
  if (secret.length !== SECRET_LEN || !secret.startsWith(PREFIX) || !/^[0-9A-Za-z]+$/.test(secret.slice(PREFIX.length))) {
    return false;
  }
  const head = secret.slice(0, SECRET_LEN - CHECKSUM_LEN);
  const digest = await sha256(head);
  let n = ((digest[0] << 24) | (digest[1] << 16) | (digest[2] << 8) | digest[3]) >>> 0;
  let sum = "";
  for (let i = 0; i < CHECKSUM_LEN; i++) {
    sum = BASE62[n % 62] + sum;
    n = Math.floor(n / 62);
  }
  return sum === secret.slice(SECRET_LEN - CHECKSUM_LEN);
}

async function storageKey(secret) {
  const digest = await sha256(DOMAIN + secret);
  let hex = "";
  for (const byte of digest) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

function corsHeaders(env, origin) {
  const list = (env.ALLOWED_ORIGINS ?? "").split(/[\s,]+/).filter(Boolean).map((o) => o.replace(/\/+$/, ""));
  if (list.length === 0 || list.includes("*")) {
    return { "access-control-allow-origin": "*", "access-control-expose-headers": "www-authenticate, allow, via" };
  }
  if (origin && list.includes(origin)) {
    return { "access-control-allow-origin": origin, vary: "Origin", "access-control-expose-headers": "www-authenticate, allow, via" };
  }
  return { vary: "Origin" };
}

class Refusal {
  constructor(httpStatus, status, error, headers = {}, cause = null, reason = undefined) {
    Object.assign(this, { httpStatus, status, error, headers, cause, reason });
  }
}

/** Refuses a locked-out address until its lock-out (`until`, seconds) has passed. */
function notLockedOut(until, now) {
  const end = Number(until);
  if (until != null && end > now) {
    const secs = end - now;
    throw new Refusal(429, "TOO_MANY_REQUESTS", `too many failed sign-ins from this address; retry in ${secs} seconds`, { "retry-after": String(secs) });
  }
}
const unauthenticated = () => new Refusal(401, "UNAUTHORIZED", "authentication failed", { "www-authenticate": CHALLENGE });

async function getToken(request, env, now, log) {
  const admin = env.API_TOKEN;
  if (!admin) throw new Refusal(503, "MISCONFIGURED", "the API_TOKEN secret is not configured");
  if ([...admin].length < 32 || admin.trim() === "") {
    throw new Refusal(503, "MISCONFIGURED", "the API_TOKEN secret must be at least 32 characters and not only whitespace");
  }
  const presented = presentedToken(request);
  if (presented === undefined) throw unauthenticated();
  const address = request.headers.get("cf-connecting-ip") ?? "unknown";
  if (!(await isWellFormed(presented))) {
    const [presentedDigest, expected] = await Promise.all([sha256(presented), adminDigestOf(admin)]);
    if (!crypto.subtle.timingSafeEqual(presentedDigest, expected)) throw unauthenticated();
    notLockedOut(await env.TOKENS.get(`l:${address}`).catch(() => null), now);
    throw new Refusal(404, "NOT_FOUND", "the admin token has no token record");
  }
  let record;
  try {
    const recordKey = `t:${await storageKey(presented)}`;
    const found = await env.TOKENS.get([recordKey, `l:${address}`]);
    notLockedOut(found.get(`l:${address}`), now);
    const text = found.get(recordKey);
    record = text == null ? null : JSON.parse(text);
  } catch (error) {
    if (error instanceof Refusal) throw error;
    throw new Refusal(503, "UNAVAILABLE", "token storage is unavailable; try again", {}, `storage failed: KV: ${error}`);
  }
  if (record === null || (record.valid_until !== undefined && now >= record.valid_until)) throw unauthenticated();
  if (record.ancestors?.length) {
    const found = await env.TOKENS.get(record.ancestors.map((id) => `i:${id}`));
    if (record.ancestors.some((id) => found.get(`i:${id}`) == null)) throw unauthenticated();
  }
  log.token_id = record.id;
  const grant = record.grants.find((g) => g.endpoint === "tokensGetToken");
  if (!grant) {
    throw new Refusal(403, "UNAUTHORIZED", "authorization failed: the token does not hold the tokensGetToken capability", {}, null, "missing_capability");
  }
  if (record.grants.some((g) => g.max_calls !== undefined)) {
    throw new Refusal(501, "UNAVAILABLE", "the JavaScript peer does not serve tokens with calls limits");
  }
  const token = {
    id: record.id,
    description: record.description,
    capabilities: record.grants.map((g) => ({ endpoint: g.endpoint })),
  };
  if (record.valid_until !== undefined) token.valid_until = record.valid_until;
  return token;
}

export default {
  async fetch(request, env) {
    const started = Date.now();
    const url = new URL(request.url);
    const log = { method: request.method, path: url.pathname, operation: null, status: 0, token_id: null, duration_ms: 0, kv_ops: 0, cause: null };
    let status = 200;
    let body;
    let headers = { "content-type": "application/json; charset=utf-8" };
    if (url.pathname !== "/api/v3/token") {
      status = 404;
      body = { status: "NOT_FOUND", error: "no such route" };
    } else if (request.method !== "GET") {
      status = 405;
      body = { status: "METHOD_NOT_ALLOWED", error: "method not allowed; use GET, OPTIONS" };
      headers.allow = "GET, OPTIONS";
    } else {
      log.operation = "tokensGetToken";
      try {
        body = await getToken(request, env, Math.floor(started / 1000), log);
      } catch (error) {
        if (!(error instanceof Refusal)) throw error;
        status = error.httpStatus;
        body = { status: error.status, error: error.error, ...(error.reason ? { reason: error.reason } : {}) };
        Object.assign(headers, error.headers);
        log.cause = error.cause;
      }
    }
    Object.assign(headers, corsHeaders(env, request.headers.get("origin")));
    log.status = status;
    log.duration_ms = Date.now() - started;
    console.log(JSON.stringify(log));
    return new Response(JSON.stringify(body), { status, headers });
  },
};
