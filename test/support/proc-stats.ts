// What a running process costs, from Linux's /proc: CPU time, how often its
// threads were woken (context switches), resident memory. Shared by the idle
// test and bench/idle.ts.
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second of /proc/PID/stat's times (getconf CLK_TCK; 100 on Linux). */
export const CLK_TCK = 100;

/** utime + stime of the whole process (all threads), in clock ticks. */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/** Context switches (voluntary and not) of each thread, by thread id; `only` limits it to one thread. */
export function switchesByThread(pid: number, only?: number): Map<number, number> {
  const tids = only !== undefined ? [only] : readdirSync(`/proc/${pid}/task`).map(Number);
  const out = new Map<number, number>();
  for (const tid of tids) {
    try {
      const s = readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8");
      out.set(tid, Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(s)?.[1]) + Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(s)?.[1]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** Switches since `before`, over the threads alive now (one started meanwhile counts from 0; one ended is not counted). */
export function switchesSince(before: Map<number, number>, now: Map<number, number>): number {
  let n = 0;
  for (const [tid, count] of now) n += count - (before.get(tid) ?? 0);
  return n;
}

/** Resident memory (VmRSS), bytes. */
export function rssBytes(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
}

export interface Usage {
  /** Share of one core. */
  cpu: number;
  /** Context switches per second, all threads: each is a thread woken (or preempted). */
  wakeups: number;
  /** The same for the main (JavaScript) thread alone. */
  mainWakeups: number;
  rssAvg: number;
  rssMax: number;
}

/** Watches `pid` for `seconds`, sampling resident memory once a second. */
export async function usageOver(pid: number, seconds: number): Promise<Usage> {
  const c0 = cpuTicks(pid);
  const w0 = switchesByThread(pid);
  const m0 = switchesByThread(pid, pid);
  const t0 = performance.now();
  const rss: number[] = [];
  for (let i = 0; i < seconds; i++) {
    await Bun.sleep(Math.max(0, t0 + (i + 1) * 1000 - performance.now()));
    rss.push(rssBytes(pid));
  }
  const s = (performance.now() - t0) / 1000;
  return {
    cpu: (cpuTicks(pid) - c0) / CLK_TCK / s,
    wakeups: switchesSince(w0, switchesByThread(pid)) / s,
    mainWakeups: switchesSince(m0, switchesByThread(pid, pid)) / s,
    rssAvg: rss.reduce((a, b) => a + b, 0) / rss.length,
    rssMax: Math.max(...rss),
  };
}
