// Counts a process's system calls for a few seconds with `strace -c -f -p PID` (every thread of the
// process). Tracing stops the process at every system call, so it costs the process far more CPU than
// it would spend otherwise: the benchmark never traces during a CPU window, only after it.
import { readFileSync } from "node:fs";
import { CHILD_ENV } from "./settings";
import { commandExists, type Package } from "./services";
import { sleep } from "./shell";

export const STRACE_PACKAGE: Package = { deb: "strace", present: () => commandExists("strace") };

export interface SyscallCounts {
  seconds: number;
  /** Calls per system call name, over `seconds`. */
  calls: Map<string, number>;
}

/** `strace -c` summary lines: % time, seconds, usecs/call, calls, [errors,] syscall. */
export function parseStraceSummary(text: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || !/^[\d.]+$/.test(f[0]!) || !/^\d+$/.test(f[3]!)) continue;
    const name = f[f.length - 1]!;
    if (name !== "total") calls.set(name, (calls.get(name) ?? 0) + Number(f[3]));
  }
  return calls;
}

/** Traces `pid` for `seconds`; the counts, or the reason there are none (strace refused, say). */
export async function countSyscalls(pid: number, seconds: number, outFile: string): Promise<SyscallCounts | string> {
  const child = Bun.spawn(["strace", "-c", "-f", "-p", String(pid), "-o", outFile], { env: CHILD_ENV, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  const t0 = performance.now();
  await Promise.race([child.exited, sleep(seconds * 1000)]);
  const traced = (performance.now() - t0) / 1000;
  child.kill("SIGINT"); // strace detaches and writes its summary
  await Promise.race([child.exited, sleep(10_000)]);
  if (child.exitCode === null) child.kill("SIGKILL");
  const stderr = await new Response(child.stderr).text();
  try {
    const calls = parseStraceSummary(readFileSync(outFile, "utf8"));
    if (calls.size) return { seconds: traced, calls };
  } catch {
    /* no summary written */
  }
  return `strace gave no counts: ${stderr.trim().split("\n").slice(-2).join(" ") || `exit ${child.exitCode}`}`;
}
