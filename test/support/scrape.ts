// Reading /metrics in tests: one sample's value, and Prometheus's own checker (promtool) on the text.
import path from "node:path";
import { ROOT } from "./env";

/** The value of the sample `name{labels}` (labels in the order rendered), or undefined when it is absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(",");
  const line = text.split("\n").find((l) => l.startsWith(want ? `${name}{${want}} ` : `${name} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

let tool: string | null = null;

/**
 * promtool from $PROMTOOL (scripts/test.sh sets it), else fetched into the cache by
 * scripts/ensure-promtool.sh, as scripts/test.sh does: running one test file needs no set-up.
 */
export function promtool(): string {
  if (tool) return tool;
  const r = Bun.spawnSync([path.join(ROOT, "scripts/ensure-promtool.sh")], { stdout: "pipe", stderr: "pipe", env: process.env });
  if (r.exitCode !== 0) throw new Error(`scripts/ensure-promtool.sh failed (exit ${r.exitCode}): ${r.stderr}`);
  tool = r.stdout.toString().trim();
  return tool;
}

/** `promtool check metrics` on a scrape: its exit code and what it said (lint problems, one a line). */
export function checkMetrics(text: string): { code: number; output: string } {
  const r = Bun.spawnSync([promtool(), "check", "metrics"], { stdin: Buffer.from(text), stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, output: r.stdout.toString() + r.stderr.toString() };
}
