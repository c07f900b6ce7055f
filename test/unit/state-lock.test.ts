import { afterEach, beforeEach, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LOCK_FILE, lockStateDir, StateDirInUse } from "../../src/checkpoint/state-lock";

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), "state-lock-"))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lockOf = (pid: number, since = new Date().toISOString()) => writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid, since }));

test("the lock names this process while held and is gone once released", () => {
  const release = lockStateDir(dir);
  expect(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), "utf8")).pid).toBe(process.pid);
  release();
  expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
});

test("a running agent's lock refuses a second one, naming its pid", async () => {
  // Another process of this same program (on Linux the lock checks the pid runs the same executable).
  const other = Bun.spawn([process.execPath, "-e", "setTimeout(() => {}, 20000)"], { stdout: "ignore", stderr: "ignore" });
  try {
    lockOf(other.pid);
    expect(() => lockStateDir(dir)).toThrow(StateDirInUse);
    expect(() => lockStateDir(dir)).toThrow(`pid ${other.pid}`);
  } finally {
    other.kill();
    await other.exited;
  }
});

test("a lock left by a process that is gone, by another program on a reused pid, or from before the last boot is taken over", async () => {
  const gone = Bun.spawn(["true"]);
  await gone.exited;
  const sleeper = Bun.spawn(["sleep", "20"]);
  try {
    for (const [pid, since] of [
      [gone.pid, new Date().toISOString()], // not running
      [sleeper.pid, new Date().toISOString()], // running, but another program, as a pid reused after a crash
      [process.ppid, new Date(Date.now() - os.uptime() * 1000 - 3_600_000).toISOString()], // written before the machine booted
    ] as const) {
      lockOf(pid, since);
      const release = lockStateDir(dir);
      expect(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), "utf8")).pid).toBe(process.pid);
      release();
    }
  } finally {
    sleeper.kill();
  }
});

test("a torn lock file (a crash while it was written) is stale", () => {
  writeFileSync(path.join(dir, LOCK_FILE), '{"pid":');
  lockStateDir(dir)();
});

test("on Windows (pids reused soon) the lock's pid counts as its writer only if that process started before the lock was written", () => {
  const since = new Date(Date.now() - 60_000).toISOString();
  const startedAt = (answer: number | null | undefined) => (pid: number) => (pid === 4242 ? answer : null);
  for (const [answer, held] of [
    [Date.parse(since) - 500, true], // the writer, started before it took the lock
    [undefined, true], // Windows will not say (another account's process): assumed the writer
    [Date.parse(since) + 5_000, false], // a process started later on the reused pid
    [null, false], // no such process
  ] as const) {
    lockOf(4242, since);
    if (held) expect(() => lockStateDir(dir, startedAt(answer))).toThrow("pid 4242");
    else lockStateDir(dir, startedAt(answer))();
  }
});
