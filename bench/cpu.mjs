// CPU time used by the workerd processes this process started (Miniflare
// runs one per instance), read from /proc: unlike wall time, it does not grow
// while the machine runs something else. Read from each thread's schedstat
// (nanoseconds) where the kernel keeps it, else from the process's stat, in
// clock ticks of 10 ms: too coarse for a sample of a few hundred ms. Null
// where /proc is not available.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

let clockTicks;

/** Milliseconds of CPU (user + system) used so far by our workerd processes, or null. */
export function runtimeCpuMs() {
  try {
    let ms = 0;
    let found = false;
    for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
      let stat;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      } catch {
        continue;
      }
      const close = stat.lastIndexOf(")");
      const command = stat.slice(stat.indexOf("(") + 1, close);
      const fields = stat.slice(close + 2).split(" ");
      if (command !== "workerd" || Number(fields[1]) !== process.pid) continue;
      ms += threadsCpuMs(pid) ?? ticksMs(Number(fields[11]) + Number(fields[12]));
      found = true;
    }
    return found ? ms : null;
  } catch {
    return null;
  }
}

/** The CPU time of the process's threads, from their schedstat (nanoseconds on the CPU first); null without it. */
function threadsCpuMs(pid) {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      } catch {
        // The thread ended between the listing and the read.
      }
    }
    return ns / 1e6;
  } catch {
    return null;
  }
}

function ticksMs(ticks) {
  clockTicks ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  return (ticks * 1000) / clockTicks;
}
