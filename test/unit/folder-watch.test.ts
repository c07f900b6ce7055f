// The folder watcher against real folders (Bun's fs.watch), and against a
// watch function that fails the way the system refuses a watch.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { FolderWatch, type HintTarget, type WatchFolder } from "../../src/tail/folder-watch";
import { setLogLevel } from "../../src/telemetry/logger";
import { LogCapture } from "../support/log-capture";

setLogLevel("error");
let dir: string;
let watch: FolderWatch;
let log: LogCapture;
let passes = 0;

/** Records the hints it gets, as `name` (or `*` for an event that names nothing). */
class Recorder implements HintTarget {
  readonly hints: string[] = [];
  hint(folder: string, name: string | null): void {
    this.hints.push(`${path.relative(dir, folder) || "."}:${name ?? "*"}`);
  }
}

/** Waits until `check` holds, up to 5 s (an fs.watch event takes milliseconds); returns whether it did. */
async function until(check: () => boolean): Promise<boolean> {
  for (let i = 0; i < 100 && !check(); i++) await Bun.sleep(50);
  return check();
}

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "folder-watch-"));
  passes = 0;
  log = new LogCapture();
  watch = new FolderWatch(log, () => passes++);
});
afterEach(() => {
  watch.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a target wanting some names hears about those only; one wanting all hears every name", async () => {
  const one = new Recorder();
  const all = new Recorder();
  watch.want(one, new Map([[dir, new Set(["app.log"])]]));
  watch.want(all, new Map([[dir, "all"]]));
  expect(watch.watching).toBe(1); // one watcher for the folder, shared
  writeFileSync(path.join(dir, "other.log"), "x\n");
  appendFileSync(path.join(dir, "app.log"), "y\n");
  expect(await until(() => one.hints.length > 0 && all.hints.includes(".:app.log"))).toBe(true);
  expect(new Set(one.hints)).toEqual(new Set([".:app.log"]));
  expect(new Set(all.hints)).toEqual(new Set([".:other.log", ".:app.log"]));
  expect(passes).toBeGreaterThan(0);
});

test("a rename names both the old and the new name", async () => {
  const all = new Recorder();
  writeFileSync(path.join(dir, "app.log"), "x\n");
  watch.want(all, new Map([[dir, "all"]]));
  renameSync(path.join(dir, "app.log"), path.join(dir, "app.log.1"));
  expect(await until(() => all.hints.includes(".:app.log") && all.hints.includes(".:app.log.1"))).toBe(true);
});

test("a folder nobody wants any more is no longer watched", () => {
  const t = new Recorder();
  watch.want(t, new Map([[dir, new Set(["a.log"])]]));
  expect(watch.watching).toBe(1);
  watch.want(t, new Map([[dir, new Set(["b.log"])]]));
  expect(watch.watching).toBe(1);
  watch.drop(t);
  expect(watch.watching).toBe(0);
});

test("a folder that does not exist yet is watched once it does, without a warning", async () => {
  {
    const later = path.join(dir, "later");
    const t = new Recorder();
    watch.want(t, new Map([[later, "all"]]));
    expect(watch.watching).toBe(0);
    mkdirSync(later);
    // Retried at the pace of a missing file (2 s): the file server calls retry() at each pass.
    expect(await until(() => (watch.retry(), watch.watching === 1))).toBe(true);
    writeFileSync(path.join(later, "a.log"), "x\n");
    expect(await until(() => t.hints.includes("later:a.log"))).toBe(true);
    expect(log.at("warn")).toEqual([]);
  }
});

test("a watched folder that is deleted is let go of, its targets told, and watched again when it is back", async () => {
  const sub = path.join(dir, "logs");
  mkdirSync(sub);
  const t = new Recorder();
  watch.want(t, new Map([[sub, "all"]]));
  expect(watch.watching).toBe(1);
  rmSync(sub, { recursive: true });
  expect(await until(() => watch.watching === 0)).toBe(true);
  expect(t.hints).toContain("logs:*");
  mkdirSync(sub);
  expect(await until(() => (watch.retry(), watch.watching === 1))).toBe(true);
  t.hints.length = 0;
  writeFileSync(path.join(sub, "new.log"), "x\n");
  expect(await until(() => t.hints.includes("logs:new.log"))).toBe(true);
});

test("a refused watch (the inotify table full) is said once for all folders, and tried again later", () => {
  let calls = 0;
  let refuse = true;
  let now = 0;
  const refusing: WatchFolder = () => {
    calls++;
    if (refuse) throw Object.assign(new Error("ENOSPC: no space left on device, watch"), { code: "ENOSPC" });
    return { close() {} };
  };
  {
    const w = new FolderWatch(log, () => {}, refusing, () => now);
    const t = new Recorder();
    w.want(t, new Map([[path.join(dir, "a"), "all"], [path.join(dir, "b"), "all"]]));
    expect(w.watching).toBe(0);
    expect(log.at("warn").length).toBe(1);
    expect(log.at("warn")[0]!.message).toContain("Cannot watch a folder for changes; its files are polled instead");
    expect(String(log.at("warn")[0]!.fields.cause)).toContain("fs.inotify.max_user_watches");
    // Not tried again at every pass: only once the backoff (10 s at first) has passed.
    now = 4999; // the first wait is 5 to 10 s (jittered)
    w.retry();
    expect(calls).toBe(2);
    refuse = false;
    now = 10_001;
    w.retry();
    expect(calls).toBe(4);
    expect(w.watching).toBe(2);
    expect(log.at("warn").length).toBe(1);
    w.close();
  }
});
