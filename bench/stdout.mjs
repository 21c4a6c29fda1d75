// workerd's standard output into a file, for the benchmarks.
//
// Miniflare gives workerd a socket for its stdout and reads it in this
// process. workerd writes each console.log line to it at once, and when the
// reader has fallen asleep between two lines (a request loop, not a burst)
// the write wakes it: perf of workerd under bench/isolate.mjs put 18% of its
// CPU samples in that write(2), 15% in the kernel's wake-up alone, some
// 30 µs per line, against 2.5 µs for the same line written in a burst. On
// Cloudflare no process reads a Worker's output line by line, so the
// benchmarks send it to a file instead, as a log shipper would take it:
// Miniflare starts workerd through a wrapper (MINIFLARE_WORKERD_PATH,
// bench/workerd-stdout-to-file) that appends its stdout to the file, and the
// lines are read back from the file every 50 ms. stderr stays with Miniflare.
import { closeSync, openSync, readSync, truncateSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { fileURLToPath } from "node:url";

/** The workerd binary that Miniflare would start: its own dependency's. */
const WORKERD = createRequire(import.meta.resolve("miniflare"))("workerd").default;
/** The wrapper that starts it with its stdout appended to a file. */
const WRAPPER = fileURLToPath(new URL("workerd-stdout-to-file", import.meta.url));

const POLL_MS = 50;
/**
 * Read this far, the file is emptied (workerd appends, so its next line
 * starts it again): a full run logs some hundreds of MB. A line written
 * between the last read and the truncation is lost, which only thins the
 * listing's sample of KV operations.
 */
const KEEP_BYTES = 64 << 20;

/**
 * From now on, every workerd that Miniflare starts in this process appends
 * its stdout to `dir`/workerd-stdout.log; each complete line is passed to
 * `onLine` in order, within POLL_MS. Gives `flush()`, which passes the lines
 * written so far at once, and `stop()`, which flushes and stops reading.
 * @param {string} dir a directory of this run's own
 * @param {(line: string) => void} onLine
 */
export function workerdStdoutToFile(dir, onLine) {
  const file = join(dir, "workerd-stdout.log");
  writeFileSync(file, "");
  Object.assign(process.env, { MINIFLARE_WORKERD_PATH: WRAPPER, BENCH_WORKERD: WORKERD, BENCH_WORKERD_STDOUT: file });
  const fd = openSync(file, "r");
  const chunk = Buffer.alloc(1 << 20);
  let position = 0;
  const decoder = new StringDecoder("utf8");
  let partial = "";
  const readNew = () => {
    for (;;) {
      const read = readSync(fd, chunk, 0, chunk.length, position);
      if (read === 0) {
        if (position > KEEP_BYTES) {
          truncateSync(file, 0);
          position = 0;
        }
        return;
      }
      position += read;
      const lines = (partial + decoder.write(chunk.subarray(0, read))).split("\n");
      partial = lines.pop();
      for (const line of lines) onLine(line);
    }
  };
  const timer = setInterval(readNew, POLL_MS);
  timer.unref();
  return {
    flush: readNew,
    stop() {
      clearInterval(timer);
      readNew();
      closeSync(fd);
    },
  };
}
