// The benchmark's own plumbing: progress lines on stderr, sleeping, and running a command to its end.
// Every part of the benchmark uses these; nothing here knows about a tool or a measurement.
import { spawnSync } from "node:child_process";

const T0 = performance.now();

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A progress line on stderr, stamped with the seconds since the benchmark started (stdout gets the report). */
export const say = (msg: string) => console.error(`[${((performance.now() - T0) / 1000).toFixed(0).padStart(4)} s] ${msg}`);

/** Runs `cmd` to its end and returns its stdout; throws with the end of its stderr when it fails. */
export function run(cmd: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): string {
  const r = spawnSync(cmd[0]!, cmd.slice(1), {
    encoding: "utf8",
    env: { ...process.env, ...opts.env },
    timeout: opts.timeoutMs ?? 600_000,
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) {
    throw new Error(`${cmd.join(" ")} failed (${r.error?.message ?? `exit ${r.status}`}):\n${(r.stderr ?? "").slice(-3000)}`);
  }
  return r.stdout;
}

/** `run` for questions (a version, whether a command exists): "" when it fails. */
export function tryRun(cmd: string[]): string {
  try {
    return run(cmd, { timeoutMs: 20_000 }).trim();
  } catch {
    return "";
  }
}
