// The JavaScript peer of `GET /api/v3/token`: the same logic as the Rust
// Worker's, written as a plain JavaScript Worker the way a competent developer
// would. Same credentials (x-auth-token, Bearer, Basic), same secret format
// and checksum, same admin check in constant time, same storage key (a
// domain-separated SHA-256 of the secret, hex), one bulk KV read of the
// record `t:<hex>` and the client address's lock-out `l:<address>`, the same
// JSON answer, the same CORS headers and the same one-line JSON log.
//
// A token with a `calls` limit costs one round trip to its tree's Durable
// Object (`PeerTree`, a SQLite-backed object named after the tree's root, as
// the Rust Worker's `TokenTree`): the same message (`/charge`, the caller's
// path, its charges, its tree's expiry and the call's audit event), the same
// reads (the counters and the periodic limits' slots of the tokens charged
// and of the caller, the revocations of its path, the tree's expiry fact),
// the same check, and the same writes in one `transactionSync`: the counters
// upserted, and the event recorded in the audit trail's table as the Rust
// Worker's src/server/events.rs records it (its lineage, the event as JSON
// text, the trail cut to its bound). Like ours, it notes a token's last use
// (`u:<id>` in KV) at most once a minute per isolate, after the answer has
// left, and removes it again when the token's tombstone is there. It exists
// to be measured against the Rust Worker.
import { DurableObject } from "cloudflare:workers";

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

async function getToken(request, env, ctx, url, nowMs, log) {
  const now = Math.floor(nowMs / 1000);
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
    log.kv_ops++;
    notLockedOut(await env.TOKENS.get(`l:${address}`).catch(() => null), now);
    throw new Refusal(404, "NOT_FOUND", "the admin token has no token record");
  }
  let record;
  try {
    const recordKey = `t:${await storageKey(presented)}`;
    log.kv_ops++;
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
    log.kv_ops++;
    const found = await env.TOKENS.get(record.ancestors.map((id) => `i:${id}`));
    if (record.ancestors.some((id) => found.get(`i:${id}`) == null)) throw unauthenticated();
  }
  log.token_id = record.id;
  log.actor = record.id;
  noteUse(ctx, env, record, now);
  const grant = record.grants.find((g) => g.endpoint === OPERATION);
  if (!grant) {
    throw new Refusal(403, "UNAUTHORIZED", `authorization failed: the token does not hold the ${OPERATION} capability`, {}, null, "missing_capability");
  }
  if (record.grants.some((g) => g.spend?.length)) {
    throw new Refusal(501, "UNAVAILABLE", "the JavaScript peer does not serve tokens with spend budgets");
  }
  const used = record.grants.some((g) => g.max_calls !== undefined) ? await charge(env, record, grant, request, url, nowMs) : {};
  const token = {
    id: record.id,
    description: record.description,
    capabilities: record.grants.map((g) => capability(g, used)),
  };
  if (record.valid_until !== undefined) token.valid_until = record.valid_until;
  return token;
}

/** A capability as the API shows it: `limits` only when it has one, with its use. */
function capability(grant, used) {
  if (grant.max_calls === undefined) return { endpoint: grant.endpoint };
  const calls = { type: "calls", conditions: { max: grant.max_calls }, used: Number(used[grant.endpoint] ?? 0) };
  return { endpoint: grant.endpoint, limits: [calls] };
}

/** When this isolate last noted each token's use (seconds). */
const noted = new Map();
/**
 * Writes `u:<id>` after the answer, at most once a minute per token, then reads the token's
 * tombstone and removes the note again if a delete landed first, as ours does
 * (src/service/usage/last_use.rs, TokenStore::note_use).
 */
function noteUse(ctx, env, record, now) {
  const last = noted.get(record.id);
  if (last !== undefined && now < last + 60) return;
  if (noted.size >= 10_000) noted.clear();
  noted.set(record.id, now);
  const until = record.valid_until === undefined ? undefined : Math.max(record.valid_until, now + 60 + 10);
  const key = `u:${record.id}`;
  const note = async () => {
    await env.TOKENS.put(key, String(now), until === undefined ? {} : { expiration: until });
    if ((await env.TOKENS.get(`x:${record.id}`)) !== null) await env.TOKENS.delete(key);
  };
  ctx.waitUntil(note().catch(() => {}));
}

/**
 * Counts the call against the token's limit and every limited ancestor's in one round trip to
 * the tree's object, which also records the call in the audit trail; the caller's counters.
 */
async function charge(env, record, grant, request, url, nowMs) {
  const ancestors = record.ancestors ?? [];
  const path = [...ancestors, record.id];
  const maxes = grant.max_calls === undefined ? [] : [...(grant.shared_with ?? []), grant.max_calls];
  const limited = path.slice(path.length - maxes.length);
  const message = {
    path,
    charges: limited.map((token, i) => ({ token, counter: grant.endpoint, max: maxes[i], amount: 1 })),
    tree_valid_until: ancestors.length ? record.root_valid_until : record.valid_until,
    // The event as ours drafts it: with the status of a granted call, which the tree settles.
    event: {
      stored: {
        lineage: path.join("/"),
        event: { at: nowMs, token: record.id, actor: record.id, operation: OPERATION, method: request.method, path: url.pathname, status: 200 },
      },
      granted_known: true,
    },
  };
  let reply;
  try {
    const tree = env.PEER_TREES.get(env.PEER_TREES.idFromName(path[0]));
    const response = await tree.fetch("https://tree/charge", { method: "POST", body: JSON.stringify(message) });
    if (!response.ok) throw new Error(`the tree's budgets answered ${response.status}`);
    reply = JSON.parse(await response.text());
  } catch (error) {
    throw new Refusal(503, "UNAVAILABLE", "token storage is unavailable; try again", {}, `storage failed: Durable Object: ${error}`);
  }
  if (reply.refused === "Revoked") throw unauthenticated();
  if (reply.refused) {
    const { charge: spent, used } = reply.refused.UsedUp;
    const shared = spent.token !== record.id ? ", shared with an ancestor's subtree" : "";
    throw new Refusal(403, "UNAUTHORIZED", `authorization failed: calls limit of ${spent.counter} used up (${used} of ${spent.max}${shared})`, {}, null, "limit_exhausted");
  }
  return reply.used;
}

/**
 * One delegation tree's budgets, as the Rust Worker's `TokenTree` keeps them (src/server/tree.rs):
 * every event reads the rows it needs from SQLite, decides, and writes what changed in one
 * transaction, so that the answer leaves only once the write is durable. `/charge` also writes
 * the call's audit event in that transaction, as issue 22 will have the Rust Worker do.
 */
export class PeerTree extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
  }

  async fetch(request) {
    const body = await request.text();
    const path = new URL(request.url).pathname;
    if (path === "/events") return Response.json(this.sql.exec("SELECT seq, lineage, event FROM events ORDER BY seq").raw().toArray());
    if (path !== "/charge") return new Response("not found", { status: 404 });
    const message = JSON.parse(body);
    const reply = this.charge(message);
    if (reply.recorded) await this.scheduleSweep();
    if (message.tree_valid_until !== undefined) await this.rememberExpiry(message.tree_valid_until);
    return new Response(JSON.stringify(reply, (_, value) => (typeof value === "bigint" ? Number(value) : value)));
  }

  /** Counts `charges` for `path` if none of it was revoked and each has room; records the event. */
  charge({ path, charges = [], event }) {
    const caller = path.at(-1);
    const used = new Map();
    const read = [...charges.map((c) => c.token), caller];
    for (const [token, counter, amount] of this.sql.exec(`SELECT token, counter, amount FROM used WHERE token IN (${marks(read.length)})`, ...read).raw()) {
      used.set(`${token}\0${counter}`, BigInt(amount));
    }
    // The periodic limits' slots, which ours reads with the counters (none for a lifetime limit).
    const slots = this.sql.exec(`SELECT token, counter, slot, amount FROM slots WHERE token IN (${marks(read.length)})`, ...read).raw().toArray();
    if (slots.length > 0) throw new Error("the JavaScript peer does not serve periodic limits");
    const revoked = this.sql.exec(`SELECT token, at_ms FROM revoked WHERE token IN (${marks(path.length)})`, ...path).toArray().length > 0;
    const usedOf = (token, counter) => used.get(`${token}\0${counter}`) ?? 0n;
    let refused;
    if (revoked) refused = "Revoked";
    else {
      const full = charges.find((c) => usedOf(c.token, c.counter) + BigInt(c.amount) > BigInt(c.max));
      if (full) refused = { UsedUp: { charge: full, used: usedOf(full.token, full.counter) } };
    }
    if (!refused) for (const c of charges) used.set(`${c.token}\0${c.counter}`, usedOf(c.token, c.counter) + BigInt(c.amount));
    // The event settled as ours settles it: a granted call's as drafted, a refusal by the
    // counters as 403 with its reason, none for a revoked path (that call fails to sign in).
    let recorded;
    if (event && refused === undefined && event.granted_known) recorded = event.stored;
    else if (event && refused?.UsedUp) recorded = { ...event.stored, event: { ...event.stored.event, status: 403, reason: "limit_exhausted" } };
    this.ctx.storage.transactionSync(() => {
      if (!refused && charges.length > 0) {
        const rows = charges.map((c) => [c.token, c.counter, String(usedOf(c.token, c.counter))]);
        this.sql.exec(`INSERT INTO used (token, counter, amount) VALUES ${rows.map(() => "(?, ?, ?)").join(", ")} ` +
          "ON CONFLICT (token, counter) DO UPDATE SET amount = excluded.amount", ...rows.flat());
      }
      if (recorded) {
        this.sql.exec("INSERT INTO events (at_ms, lineage, event) VALUES (?, ?, ?)", recorded.event.at, recorded.lineage, JSON.stringify(recorded.event));
        this.sql.exec("DELETE FROM events WHERE seq <= (SELECT max(seq) FROM events) - ?", MAX_EVENTS);
      }
    });
    const callerUsed = {};
    for (const [key, amount] of used) {
      const [token, counter] = key.split("\0");
      if (token === caller) callerUsed[counter] = amount;
    }
    const reply = refused === undefined ? { used: callerUsed } : { refused, used: callerUsed };
    if (recorded) reply.recorded = true;
    return reply;
  }

  /** Makes sure an alarm will sweep the events, once per instance, as ours does. */
  async scheduleSweep() {
    if (this.sweepScheduled) return;
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + EVENTS_KEPT_MS);
    this.sweepScheduled = true;
  }

  /** Remembers when the tree's root expires, the first time a charge says (the Rust Worker's alarm follows it). */
  async rememberExpiry(until) {
    if (this.sql.exec("SELECT value FROM facts WHERE name = 'expires'").toArray().length > 0) return;
    this.sql.exec("INSERT OR REPLACE INTO facts (name, value) VALUES ('expires', ?)", until);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm((until + 60) * 1000);
  }

  async alarm() {}
}

const OPERATION = "tokensGetToken";
/** The trail's bounds, as ours has them (src/contract/bounds.rs). */
const MAX_EVENTS = 1_000_000;
const EVENTS_KEPT_MS = 30 * 86_400 * 1000;
const marks = (n) => Array(n).fill("?").join(", ");
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS used (token TEXT NOT NULL, counter TEXT NOT NULL, amount TEXT NOT NULL,
    PRIMARY KEY (token, counter)) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS revoked (token TEXT PRIMARY KEY, at_ms INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS facts (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS slots (token TEXT NOT NULL, counter TEXT NOT NULL,
    slot INTEGER NOT NULL, amount TEXT NOT NULL, PRIMARY KEY (token, counter, slot)) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL,
    lineage TEXT NOT NULL, event TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS events_by_lineage ON events (lineage, seq);`;

export default {
  async fetch(request, env, ctx) {
    const started = Date.now();
    const url = new URL(request.url);
    // Our line's fields in our line's order (issue 22 added actor, amount, reason and target).
    const log = { actor: null, amount: null, cause: null, duration_ms: 0, kv_ops: 0, method: request.method,
      operation: null, path: url.pathname, reason: null, status: 0, target: null, token_id: null };
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
        body = await getToken(request, env, ctx, url, started, log);
      } catch (error) {
        if (!(error instanceof Refusal)) throw error;
        status = error.httpStatus;
        body = { status: error.status, error: error.error, ...(error.reason ? { reason: error.reason } : {}) };
        Object.assign(headers, error.headers);
        log.cause = error.cause;
        log.reason = error.reason ?? null;
      }
    }
    Object.assign(headers, corsHeaders(env, request.headers.get("origin")));
    log.status = status;
    log.duration_ms = Date.now() - started;
    console.log(JSON.stringify(log));
    return new Response(JSON.stringify(body), { status, headers });
  },
};
