// Issue item 7: the baseline x64 builds (for CPUs without AVX2, common in older hypervisors) run,
// each copied alone into an empty folder: the Linux one natively, the Windows one under Wine. Their
// --version names the commit they were built from, which is this checkout's (scripts/test.sh
// builds them just before the tests).
import { expect, test } from "bun:test";
import path from "node:path";
import { runOnce, sandbox } from "../support/agent-process";
import { ROOT } from "../support/env";

const WINE_RUN = path.join(ROOT, "scripts/wine/run.sh");
const VERSION_LINE = /^logagent (\d+\.\d+\.\d+) \(commit ([0-9a-f]{12})(-dirty)?\)$/;
const head = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { cwd: ROOT }).stdout.toString().trim();
const { version } = (await Bun.file(path.join(ROOT, "package.json")).json()) as { version: string };

test("logagent-linux-x64-baseline --version: the version and the commit", () => {
  const box = sandbox("linux-x64-baseline");
  const r = runOnce(box.bin, ["--version"], box.dir);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const m = VERSION_LINE.exec(r.stdout.trim());
  expect(m?.[1]).toBe(version);
  expect(m?.[2]).toBe(head);
});

test("logagent-windows-x64-baseline.exe --version under Wine: the version and the commit", () => {
  const box = sandbox("windows-x64-baseline");
  const r = Bun.spawnSync([WINE_RUN, box.bin, "--version"], { cwd: box.dir, stdout: "pipe", stderr: "pipe" });
  expect(r.stderr.toString()).toBe("");
  expect(r.exitCode).toBe(0);
  const m = VERSION_LINE.exec(r.stdout.toString().trim());
  expect(m?.[1]).toBe(version);
  expect(m?.[2]).toBe(head);
}, 60_000);
