// CPU time used by the workerd processes this process started (Miniflare
// runs one per instance), read from /proc: unlike wall time, it does not grow
// while the machine runs something else. Null where /proc is not available.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

let clockTicks;

/** Milliseconds of CPU (user + system) used so far by our workerd processes, or null. */
export function runtimeCpuMs() {
  try {
    clockTicks ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    let ticks = 0;
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
      ticks += Number(fields[11]) + Number(fields[12]);
      found = true;
    }
    return found ? (ticks * 1000) / clockTicks : null;
  } catch {
    return null;
  }
}
