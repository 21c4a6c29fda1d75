// A small closed-loop HTTP load generator: `concurrency` lanes, each sending
// its next request as soon as the previous answer has been read, over
// keep-alive connections, for a fixed time. Reports requests per second and
// latency percentiles, and counts every answer with an unexpected status.
//
// A `Target` keeps its connections open between runs, so that a benchmark can
// measure several servers in short interleaved slices: each then sees the
// same conditions on a busy machine, and none pays for reconnecting.
import http from "node:http";

/**
 * A request to send: `next()` returns one for each call, or null when there
 * is nothing left to send (the lane stops).
 * @typedef {{ method: string, path: string, headers?: Record<string, string>, body?: string | Buffer }} Call
 */

/**
 * The raw outcome of one or more runs against one server.
 * @typedef {{ latencies: number[], errors: number, failures: string[], elapsedMs: number }} Tally
 */

export class Target {
  /** @param {string} url @param {number} concurrency */
  constructor(url, concurrency) {
    const { hostname, port } = new URL(url);
    Object.assign(this, { hostname, port, concurrency });
    // Idle connections are closed after 3 s, before the runtime's own idle timeout (about 5 s) can race a reuse.
    this.agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency, timeout: 3000 });
  }

  /**
   * Runs the closed loop for `durationMs`, adding to `tally` (a new one by default).
   * @param {{ next: () => Call | null, expect: (status: number) => boolean, durationMs: number,
   *           onBody?: (status: number, body: string, call: Call) => void, tally?: Tally }} options
   * @returns {Promise<Tally>}
   */
  async run({ next, expect, durationMs, onBody, tally = { latencies: [], errors: 0, failures: [], elapsedMs: 0 } }) {
    const started = performance.now();
    const deadline = started + durationMs;
    let lastEnd = started;
    const lane = async () => {
      while (performance.now() < deadline) {
        const call = next();
        if (call === null) return;
        const t0 = performance.now();
        let status;
        let body;
        try {
          ({ status, body } = await this.send(call));
        } catch (error) {
          tally.errors++;
          if (tally.failures.length < 5) tally.failures.push(`${call.method} ${call.path}: ${error.message} (${error.code ?? "no code"}, after ${Math.round(performance.now() - t0)} ms)`);
          continue;
        }
        const t1 = performance.now();
        lastEnd = Math.max(lastEnd, t1);
        if (!expect(status)) {
          tally.errors++;
          if (tally.failures.length < 5) tally.failures.push(`${call.method} ${call.path}: ${status} ${String(body).slice(0, 200)}`);
          continue;
        }
        tally.latencies.push(t1 - t0);
        onBody?.(status, body, call);
      }
    };
    await Promise.all(Array.from({ length: this.concurrency }, lane));
    tally.elapsedMs += Math.max(lastEnd - started, 1);
    return tally;
  }

  /**
   * Sends `call` and reads the whole answer. A kept-alive connection that the
   * server closed for being idle just as it was reused fails before the
   * request reached the server; as Node.js recommends, that one case is sent
   * again on a fresh connection (and counted in `retries`).
   * @param {Call} call
   */
  async send(call) {
    try {
      return await this.sendOnce(call);
    } catch (error) {
      if (!error.reusedSocket || error.code !== "ECONNRESET") throw error;
      this.retries = (this.retries ?? 0) + 1;
      return await this.sendOnce(call);
    }
  }

  /** @param {Call} call */
  sendOnce(call) {
    return new Promise((resolve, reject) => {
      let answered = false;
      const request = http.request(
        { hostname: this.hostname, port: this.port, agent: this.agent, method: call.method, path: call.path, headers: call.headers },
        (response) => {
          answered = true;
          const chunks = [];
          response.on("data", (chunk) => chunks.push(chunk));
          response.on("end", () => resolve({ status: response.statusCode, body: Buffer.concat(chunks).toString("utf8") }));
          response.on("error", reject);
        },
      );
      request.on("error", (error) => {
        // Only before any answer: then the server never saw the request.
        error.reusedSocket = request.reusedSocket && !answered;
        reject(error);
      });
      request.end(call.body);
    });
  }

  close() {
    this.agent.destroy();
  }
}

/** Requests per second and latency percentiles of a tally. */
export function summarize(tally) {
  const sorted = Float64Array.from(tally.latencies).sort();
  return {
    requests: sorted.length,
    errors: tally.errors,
    rps: round((sorted.length / tally.elapsedMs) * 1000),
    p50_ms: round(percentile(sorted, 0.5), 3),
    p99_ms: round(percentile(sorted, 0.99), 3),
  };
}

/**
 * One measurement on fresh connections: `warmupMs` untimed, then `durationMs`.
 * `cpu`, if given, returns the CPU time used so far (ms) by the processes
 * serving the requests; the result then says how much of it each request took.
 * @param {{ url: string, next: () => Call | null, expect: (status: number) => boolean,
 *           concurrency: number, durationMs: number, warmupMs?: number,
 *           onBody?: (status: number, body: string, call: Call) => void, cpu?: () => number | null }} options
 */
export async function measure({ url, next, expect, concurrency, durationMs, warmupMs = 0, onBody, cpu }) {
  const target = new Target(url, concurrency);
  try {
    const warmup = warmupMs > 0 ? await target.run({ next, expect, durationMs: warmupMs, onBody }) : null;
    const serverBefore = cpu?.() ?? null;
    const clientBefore = process.cpuUsage();
    const tally = await target.run({ next, expect, durationMs, onBody });
    const serverAfter = cpu?.() ?? null;
    const client = process.cpuUsage(clientBefore);
    if (warmup !== null) {
      // A wrong answer during warm-up is as wrong as any other.
      tally.errors += warmup.errors;
      tally.failures = [...warmup.failures, ...tally.failures].slice(0, 5);
    }
    const result = { ...summarize(tally), failures: tally.failures, elapsed_ms: round(tally.elapsedMs) };
    const perRequest = (ms) => (result.requests > 0 ? round((ms * 1000) / result.requests) : null);
    result.server_cpu_us = serverBefore === null || serverAfter === null ? null : perRequest(serverAfter - serverBefore);
    result.client_cpu_us = perRequest((client.user + client.system) / 1000);
    return result;
  } finally {
    target.close();
  }
}

function percentile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export function round(x, digits = 1) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
