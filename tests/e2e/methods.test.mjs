// Every method on the console's files, an API path and an unknown path,
// served the `npm start` way (`wrangler dev`), with and without
// credentials, bodies on POST, PUT, PATCH and GET, one by one and then many
// at once: each gets its documented answer, none a 5xx, and `wrangler dev`
// keeps running (issue 19). Requests with a body that the static-assets
// layer answered itself (405 on a file) made wrangler 4.86.0's dev proxy
// lose connections and exit; the Worker now answers every request and
// reads every body. See docs/development.md, "Running locally".
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { rawClient } from "./harness.mjs";
import { READY_WITHIN_MS, startWranglerDev } from "./wrangler-dev.mjs";

const ADMIN = `methods-admin-${randomBytes(12).toString("hex")}`;
const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "PROPFIND", "FOO"];
// GET too: the assets layer answered a GET with a body without reading it.
const WITH_BODY = new Set(["POST", "PUT", "PATCH", "GET"]);
const PATHS = ["/", "/index.html", "/api/v3/token", "/no-such-page"];
const CREDENTIALS = {
  none: {},
  "wrong x-auth-token": { "x-auth-token": "not-a-token" },
  "wrong bearer": { authorization: "Bearer not-a-token" },
  admin: { "x-auth-token": ADMIN },
};
// The load: this many clients at once, for this long.
const CLIENTS = 8;
const LOAD_MS = 12_000;

let wrangler;
let send;

before(async () => {
  wrangler = await startWranglerDev({ API_TOKEN: ADMIN });
  send = rawClient(wrangler.origin);
}, { timeout: READY_WITHIN_MS + 30_000 });

after(() => wrangler?.stop());

/** Every request of one round: each method on each path with each credential. */
function round() {
  return PATHS.flatMap((path) => METHODS.flatMap((method) =>
    Object.entries(CREDENTIALS).map(([credential, headers]) => ({ method, path, credential, headers }))));
}

/**
 * The answers that `method` on `path` may get: each a status, with the
 * `Allow` header of a 405 and the JSON `status` of an error. `FOO` is no
 * HTTP method the runtime knows: its HTTP parser answers 501 (RFC 9110: the
 * server does not recognise the method) before any Worker sees the request.
 */
function expected(method, path, credential) {
  if (method === "FOO") return [{ status: 501 }];
  if (path === "/" || path === "/index.html") {
    if (method === "GET" || method === "HEAD") return [{ status: path === "/" ? 200 : 307 }];
    return [{ status: 405, allow: "GET, HEAD", code: "METHOD_NOT_ALLOWED" }];
  }
  if (path === "/api/v3/token") {
    if (method === "OPTIONS") return [{ status: 204 }];
    if (method !== "GET") return [{ status: 405, allow: "GET, OPTIONS", code: "METHOD_NOT_ALLOWED" }];
    // The admin has no token record; wrong or missing credentials are
    // refused. Past the limit of failed sign-ins, the address is locked
    // out, the admin too.
    const signedIn = credential === "admin" ? { status: 404, code: "NOT_FOUND" } : { status: 401, code: "UNAUTHORIZED" };
    return [signedIn, { status: 429, code: "TOO_MANY_REQUESTS" }];
  }
  return [{ status: 404, code: "NOT_FOUND" }];
}

/** What is wrong with `answer` as one of the `wanted` answers to `method`, or nothing. */
function mismatch(method, answer, wanted) {
  const want = wanted.find((candidate) => candidate.status === answer.status);
  if (!want) return `status ${answer.status}, not ${wanted.map((candidate) => candidate.status).join(" or ")}`;
  if (want.allow !== undefined && answer.headers.allow !== want.allow) return `Allow ${answer.headers.allow}, not ${want.allow}`;
  if (want.code === undefined || method === "HEAD") return undefined;
  const json = answer.headers["content-type"]?.startsWith("application/json");
  if (!json || JSON.parse(answer.text).status !== want.code) return `body ${JSON.stringify(answer.text.slice(0, 120))}, not a ${want.code} error`;
  return undefined;
}

/** Sends one request; gives what is wrong with its answer, or nothing. */
async function check({ method, path, credential, headers }) {
  const body = WITH_BODY.has(method) ? "{}" : undefined;
  const label = `${method} ${path} (${credential}${body ? ", body {}" : ""})`;
  let answer;
  try {
    // Node.js frames a GET's body only with an explicit Content-Length.
    const framed = body ? { ...headers, "content-type": "application/json", "content-length": String(body.length) } : headers;
    answer = await send(method, path, framed, body);
  } catch (error) {
    return `${label}: no answer (${error.code ?? error.message})`;
  }
  const problem = mismatch(method, answer, expected(method, path, credential));
  return problem && `${label}: ${problem}`;
}

function failures(problems) {
  return `${problems.length} wrong answers, first ones:\n${problems.slice(0, 15).join("\n")}\n-- wrangler dev output (end):\n${wrangler.output().slice(-4_000)}`;
}

test("each method gets its documented answer, one request at a time", async () => {
  const problems = [];
  for (const request of round()) {
    const problem = await check(request);
    if (problem) problems.push(problem);
  }
  assert.deepEqual(problems, [], failures(problems));
  assert.ok(wrangler.running(), `wrangler dev exited:\n${wrangler.output().slice(-4_000)}`);
});

test(`the same, ${CLIENTS} clients at once, and wrangler dev keeps running`, { timeout: LOAD_MS + 60_000 }, async () => {
  const problems = [];
  let sent = 0;
  const until = Date.now() + LOAD_MS;
  await Promise.all(Array.from({ length: CLIENTS }, async (_, client) => {
    // Each client goes through the rounds from another starting point.
    const requests = round();
    for (let i = client * 7; Date.now() < until && wrangler.running(); i++) {
      const problem = await check(requests[i % requests.length]);
      sent++;
      if (problem) problems.push(problem);
    }
  }));
  assert.deepEqual(problems, [], failures(problems));
  assert.ok(wrangler.running(), `wrangler dev exited after ${sent} requests:\n${wrangler.output().slice(-4_000)}`);
  assert.equal((await send("GET", "/")).status, 200, "the console is still served");
});
