// Runs scripts/services.sh on the services scripts/test.sh started (SERVICES_RUN_DIR), to take the
// broker away and bring it back, or on a cluster of its own.
import { readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./env";

/** `scripts/services.sh CMD ...ARGS`; throws with its stderr when it fails. Returns its stdout. */
export function servicesSh(cmd: string, args: string[], env: Record<string, string> = {}): string {
  const r = Bun.spawnSync([path.join(ROOT, "scripts/services.sh"), cmd, ...args], { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  if (r.exitCode !== 0) throw new Error(`services.sh ${cmd} ${args.join(" ")} failed (exit ${r.exitCode}): ${r.stderr}`);
  return r.stdout.toString();
}

/** Stops or restarts the broker of the services scripts/test.sh started (its data is kept). */
export function kafkaService(cmd: "stop-kafka" | "start-kafka"): void {
  const dir = process.env.SERVICES_RUN_DIR;
  if (!dir) throw new Error("SERVICES_RUN_DIR is not set: run the tests with scripts/test.sh");
  servicesSh(cmd, [dir]);
}

/** `scripts/services.sh CMD ...ARGS` without blocking the test's event loop (writers go on meanwhile). */
export async function servicesShAsync(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const proc = Bun.spawn([path.join(ROOT, "scripts/services.sh"), cmd, ...args], { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`services.sh ${cmd} ${args.join(" ")} failed (exit ${code}): ${err}`);
  return out;
}

/** The pid of the broker scripts/test.sh started. */
export function kafkaPid(): number {
  const dir = process.env.SERVICES_RUN_DIR;
  if (!dir) throw new Error("SERVICES_RUN_DIR is not set: run the tests with scripts/test.sh");
  return Number(readFileSync(path.join(dir, "kafka.pid"), "utf8").trim());
}
