// The Tailer with globs and the path options (exclude, ignore_older_s,
// close_inactive_s, max_open_files), on real files in a temp folder, with a
// hand-driven clock.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Output } from "../../src/discovery/entry-output";
import { identityKey } from "../../src/tail/file-identity";
import { eachLine } from "../support/lines";
import { OpenFiles } from "../../src/tail/open-files";
import { resolveTailSettings, tailDefaults, type TailOptions } from "../../src/tail/tail-settings";
import { Tailer, type Claims } from "../../src/tail/tailer";
import { MemoryBook } from "../support/memory-book";
import { Logger, setLogLevel } from "../../src/telemetry/logger";

setLogLevel("error");
let dir: string;
let clock = 0;
/** What each file sent, by the reader's `path` (the file's name when found). */
let sent: Map<string, string[]>;
const sink = eachLine((line, file) => {
  const list = sent.get(file) ?? [];
  list.push(new TextDecoder().decode(line));
  sent.set(file, list);
});
const all = () => [...sent.values()].flat().sort();

let book: MemoryBook;
let slots: OpenFiles;

function claimsBook(): Claims {
  const owners = new Map<string, string>();
  return {
    claim: (id, entry) => {
      const owner = owners.get(identityKey(id));
      if (owner && owner !== entry) return owner;
      owners.set(identityKey(id), entry);
      return null;
    },
    release: (id, entry) => {
      if (owners.get(identityKey(id)) === entry) owners.delete(identityKey(id));
    },
  };
}
let claims: Claims;

function tailer(pattern: string, overrides: Partial<TailOptions> = {}, rotateWaitMs = 300, releaseRotated = false, from: "beginning" | "end" = "beginning"): Tailer {
  const { settings, problems } = resolveTailSettings({ path: pattern, topic: "t", options: overrides }, tailDefaults(), from);
  if (!settings) throw new Error(problems.join("; "));
  const options = { rotateWaitMs, positions: book, baseIntervalMs: 100, idleMaxMs: 100, rescanIntervalMs: 500, settings, openFiles: slots, claims, releaseRotated };
  return new Tailer(pattern, { topic: "t" } as Output, options, new Logger("test"));
}
const poll = (t: Tailer, times = 1) => {
  for (let i = 0; i < times; i++) t.poll((clock += 100), { lines: 1_000_000, bytes: 1 << 30 }, sink);
};

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "tailer-paths-"));
  sent = new Map();
  book = new MemoryBook();
  slots = new OpenFiles(1000);
  claims = claimsBook();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("a glob follows every matching file, and a date-named file that appears later within the rescan interval, from its start", () => {
  const f = (name: string) => path.join(dir, name);
  writeFileSync(f("app-2026-11-24.log"), "day1-a\n");
  writeFileSync(f("other.txt"), "not matched\n");
  const t = tailer(path.join(dir, "app-*.log"));
  poll(t);
  expect(all()).toEqual(["day1-a"]);
  writeFileSync(f("app-2026-11-25.log"), "day2-a\nday2-b\n");
  poll(t, 6); // 600 ms > rescan_interval_ms
  expect(sent.get(f("app-2026-11-25.log"))).toEqual(["day2-a", "day2-b"]);
  expect(all()).not.toContain("not matched");
  t.stop();
});

test("** and {a,b} reach nested folders; exclude leaves out what it names", () => {
  mkdirSync(path.join(dir, "a/b"), { recursive: true });
  mkdirSync(path.join(dir, "c"), { recursive: true });
  writeFileSync(path.join(dir, "a/b/x.log"), "deep\n");
  writeFileSync(path.join(dir, "c/y.log"), "shallow\n");
  writeFileSync(path.join(dir, "c/y.log.gz"), "gz\n");
  writeFileSync(path.join(dir, "c/skip.log"), "skipped\n");
  const t = tailer(path.join(dir, "{a,c}/**/*.{log,gz}"), { exclude: ["*.gz", path.join(dir, "c/skip.log")] });
  poll(t);
  expect(all()).toEqual(["deep", "shallow"]);
  t.stop();
});

test("a file renamed to another name the glob matches is the same file: not read again, and its later lines still come", () => {
  const a = path.join(dir, "app.log");
  writeFileSync(a, "l1\nl2\n");
  const t = tailer(path.join(dir, "app*.log"));
  poll(t);
  renameSync(a, path.join(dir, "app-2026-11-25.log"));
  appendFileSync(path.join(dir, "app-2026-11-25.log"), "l3\n");
  poll(t, 8);
  expect(all()).toEqual(["l1", "l2", "l3"]);
  expect(t.openFiles()).toBe(1);
  t.stop();
});

test("a symlink switched to a new target: the old target is drained, the new one read from its start", () => {
  const link = path.join(dir, "current.log");
  writeFileSync(path.join(dir, "v1.log"), "v1-a\n");
  writeFileSync(path.join(dir, "v2.log"), "v2-a\n");
  symlinkSync(path.join(dir, "v1.log"), link);
  const t = tailer(link);
  poll(t);
  appendFileSync(path.join(dir, "v1.log"), "v1-b\n");
  unlinkSync(link);
  symlinkSync(path.join(dir, "v2.log"), link);
  appendFileSync(path.join(dir, "v1.log"), "v1-c\n"); // the writer still had the old file open
  poll(t, 6);
  expect(sent.get(link)).toEqual(["v1-a", "v1-b", "v1-c", "v2-a"]);
  t.stop();
});

test("ignore_older_s skips a file untouched for longer; when it grows only the new lines are read", () => {
  const old = path.join(dir, "old.log");
  writeFileSync(old, "ancient\n");
  const past = new Date(Date.now() - 3 * 86400_000);
  utimesSync(old, past, past);
  writeFileSync(path.join(dir, "fresh.log"), "fresh\n");
  const t = tailer(path.join(dir, "*.log"), { ignore_older_s: 86400 });
  poll(t, 3);
  expect(all()).toEqual(["fresh"]);
  expect(t.openFiles()).toBe(1);
  appendFileSync(old, "news\n");
  poll(t, 3);
  expect(sent.get(old)).toEqual(["news"]);
  t.stop();
});

test("close_inactive_s closes an idle file and reopens it when it grows, neither losing nor repeating lines", () => {
  const f = path.join(dir, "quiet.log");
  writeFileSync(f, "one\n");
  const t = tailer(f, { close_inactive_s: 1 });
  poll(t, 3);
  expect(t.openFiles()).toBe(1);
  poll(t, 15); // more than a second without growth
  expect(t.openFiles()).toBe(0);
  appendFileSync(f, "two\n");
  poll(t, 3);
  expect(t.openFiles()).toBe(1);
  expect(sent.get(f)).toEqual(["one", "two"]);
  t.stop();
});

test("a file closed as inactive and then rotated away: its last lines are found under the new name and sent", () => {
  const f = path.join(dir, "app.log");
  writeFileSync(f, "one\n");
  const t = tailer(f, { close_inactive_s: 1 });
  poll(t, 15);
  expect(t.openFiles()).toBe(0);
  appendFileSync(f, "two\n"); // written while closed, then rotated before the next look
  renameSync(f, f + ".1");
  writeFileSync(f, "new\n");
  poll(t, 8);
  expect(sent.get(f)).toEqual(["one", "two", "new"]);
  t.stop();
});

test("max_open_files: more files than slots all get read, never more open than allowed", () => {
  slots = new OpenFiles(2);
  for (let i = 0; i < 6; i++) writeFileSync(path.join(dir, `f${i}.log`), `f${i}-a\nf${i}-b\n`);
  const t = tailer(path.join(dir, "*.log"));
  let most = 0;
  for (let i = 0; i < 80 && all().length < 12; i++) {
    poll(t);
    most = Math.max(most, slots.count, t.openFiles());
  }
  expect(all()).toEqual([0, 1, 2, 3, 4, 5].flatMap((i) => [`f${i}-a`, `f${i}-b`]).sort());
  expect(most).toBeLessThanOrEqual(2);
  t.stop();
});

test("a file two entries match is read by the first only", () => {
  writeFileSync(path.join(dir, "shared.log"), "once\n");
  const t1 = tailer(path.join(dir, "*.log"));
  const t2 = tailer(path.join(dir, "shared.*"));
  poll(t1);
  poll(t2);
  expect(all()).toEqual(["once"]);
  t1.stop();
  t2.stop();
});

test("encoding and multiline apply through the tailer: UTF-16LE with a BOM, a stack trace joined, flushed after its timeout", () => {
  const f = path.join(dir, "win.log");
  const text = "2026-11-25 ERROR boom\r\n\tat A.b(A.java:1)\r\n\tat C.d(C.java:2)\r\n2026-11-25 INFO ok\r\n";
  writeFileSync(f, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]));
  const t = tailer(f, { encoding: "utf-8", "multiline.start": "^\\d{4}-", "multiline.timeout_ms": 300 });
  poll(t);
  expect(sent.get(f)).toEqual(["2026-11-25 ERROR boom\n\tat A.b(A.java:1)\n\tat C.d(C.java:2)"]);
  poll(t, 4); // the last event has no successor: sent when its timeout passes
  expect(sent.get(f)).toEqual(["2026-11-25 ERROR boom\n\tat A.b(A.java:1)\n\tat C.d(C.java:2)", "2026-11-25 INFO ok"]);
  t.stop();
});

test("as on Windows, a rotated file read to its end is let go at once, followed by identity through a second rename, and its late lines still read", () => {
  const f = path.join(dir, "app.log");
  writeFileSync(f, "a1\n");
  const t = tailer(f, {}, 2000, true);
  poll(t);
  renameSync(f, f + ".1");
  writeFileSync(f, "b1\n");
  poll(t, 2);
  // Nothing holds app.log.1 now, so the writer may rename or delete it (its name is not kept "delete pending").
  expect(t.openFiles()).toBe(1);
  renameSync(f + ".1", f + ".2");
  appendFileSync(f + ".2", "a2\n"); // a late line through the writer's old handle
  poll(t, 3);
  expect(sent.get(f)).toEqual(["a1", "b1", "a2"]);
  unlinkSync(f + ".2");
  poll(t, 25);
  expect(t.openFiles()).toBe(1);
  t.stop();
});

test("from = end applies to every file a new glob entry finds when it starts, not only the first one opened", () => {
  for (let i = 0; i < 5; i++) writeFileSync(path.join(dir, `f${i}.log`), `old-${i}\n`);
  // As the Checkpointer does: a file opened is saved under its entry at once.
  book.track = (r) => void book.saved.push({ identity: r.identity, fingerprint: r.refreshFingerprint(), offset: r.offset, path: r.entryPath, seenAt: 0 });
  const t = tailer(path.join(dir, "*.log"), {}, 300, false, "end");
  poll(t, 2);
  for (let i = 0; i < 5; i++) appendFileSync(path.join(dir, `f${i}.log`), `new-${i}\n`);
  poll(t, 2);
  expect(all()).toEqual([0, 1, 2, 3, 4].map((i) => `new-${i}`));
  t.stop();
});
