// Scripted file scenarios against the Tailer, on real files in a temp folder.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { appendFileSync, closeSync, mkdtempSync, openSync, renameSync, rmSync, truncateSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Output } from "../../src/discovery/entry-output";
import { OpenFiles } from "../../src/tail/open-files";
import { resolveTailSettings, tailDefaults, type TailOptions } from "../../src/tail/tail-settings";
import { Tailer, type Claims } from "../../src/tail/tailer";
import { eachLine } from "../support/lines";
import { MemoryBook } from "../support/memory-book";
import { Logger, setLogLevel } from "../../src/telemetry/logger";

setLogLevel("error");
let dir: string;
let file: string;
let clock = 0;
const out: string[] = [];
const offsets: number[] = [];
let room = { lines: 0, bytes: 0 };
// The reader counts `room` down itself.
const sink = eachLine((line, _file, _start, end) => {
  out.push(new TextDecoder().decode(line));
  offsets.push(end);
});

let book: MemoryBook;
const noClaims: Claims = { claim: () => null, release: () => {} };

function options(from: "end" | "beginning", rotateWaitMs: number, idleMaxMs: number, overrides: Partial<TailOptions> = {}) {
  const settings = resolveTailSettings({ path: file, topic: "t", options: overrides }, tailDefaults(), from).settings!;
  return { rotateWaitMs, positions: book, baseIntervalMs: 100, idleMaxMs, rescanIntervalMs: 100, settings, openFiles: new OpenFiles(1000), claims: noClaims };
}

function tailer(from: "end" | "beginning" = "beginning", rotateWaitMs = 1000, overrides: Partial<TailOptions> = {}): Tailer {
  return new Tailer(file, { topic: "t" } as Output, options(from, rotateWaitMs, 100, overrides), new Logger("test"));
}
const poll = (t: Tailer, lines = 1_000_000) => t.poll((clock += 100), (room = { lines, bytes: 1 << 30 }), sink);

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "tailer-"));
  file = path.join(dir, "app.log");
  out.length = 0;
  offsets.length = 0;
  book = new MemoryBook();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("from end skips what the file held at start; from beginning reads it", () => {
  writeFileSync(file, "old\n");
  const t = tailer("end");
  poll(t);
  appendFileSync(file, "new\n");
  poll(t);
  expect(out).toEqual(["new"]);
  t.stop();
  out.length = 0;
  const t2 = tailer("beginning");
  poll(t2);
  expect(out).toEqual(["old", "new"]);
  t2.stop();
});

test("a partial line is held until its newline arrives; offsets fall on line ends", () => {
  writeFileSync(file, "");
  const t = tailer();
  poll(t);
  appendFileSync(file, "hel");
  poll(t);
  expect(out).toEqual([]);
  appendFileSync(file, "lo\r\nwor");
  poll(t);
  appendFileSync(file, "ld\n");
  poll(t);
  expect(out).toEqual(["hello", "world"]);
  expect(offsets).toEqual([7, 13]);
  t.stop();
});

test("a file that appears after the entry started is read from its start, whatever `from` says", () => {
  const t = tailer("end");
  poll(t);
  writeFileSync(file, "first\nsecond\n");
  poll(t);
  expect(out).toEqual(["first", "second"]);
  t.stop();
});

test("rename rotation: the old file is drained, including lines written after the rename, before it is closed", () => {
  writeFileSync(file, "");
  const t = tailer("beginning", 250);
  poll(t);
  const fd = openSync(file, "a");
  writeSync(fd, "a1\na2\n");
  poll(t);
  renameSync(file, file + ".1");
  writeFileSync(file, "b1\n");
  poll(t); // sees the new file; the old one is draining
  writeSync(fd, "a3\n"); // the writer has not reopened yet
  writeSync(fd, "a4-no-newline");
  closeSync(fd);
  expect(t.openFiles()).toBe(2);
  for (let i = 0; i < 5; i++) poll(t);
  expect(t.openFiles()).toBe(1);
  expect(out.filter((l) => l.startsWith("a"))).toEqual(["a1", "a2", "a3", "a4-no-newline"]);
  expect(out.filter((l) => l.startsWith("b"))).toEqual(["b1"]);
  t.stop();
});

test("truncation (size below offset) restarts at 0", () => {
  writeFileSync(file, "one\ntwo\n");
  const t = tailer();
  poll(t);
  truncateSync(file, 0);
  appendFileSync(file, "x\n");
  poll(t);
  expect(out).toEqual(["one", "two", "x"]);
  t.stop();
});

test("a deleted file is read to its end, closed, and a recreated one followed from 0", () => {
  writeFileSync(file, "");
  const t = tailer("beginning", 200);
  poll(t);
  appendFileSync(file, "last words\n");
  unlinkSync(file);
  for (let i = 0; i < 4; i++) poll(t);
  expect(out).toEqual(["last words"]);
  expect(t.openFiles()).toBe(0);
  writeFileSync(file, "reborn\n");
  poll(t);
  expect(out).toEqual(["last words", "reborn"]);
  t.stop();
});

test("room limits the lines taken; the rest come on the next poll, in order", () => {
  writeFileSync(file, Array.from({ length: 10 }, (_, i) => `l${i}\n`).join(""));
  const t = tailer();
  expect(poll(t, 4)).toEqual({ lines: 4, more: true });
  expect(poll(t, 0).lines).toBe(0);
  poll(t, 100);
  expect(out).toEqual(Array.from({ length: 10 }, (_, i) => `l${i}`));
  t.stop();
});

test("a line longer than max_line_bytes is cut into pieces, never held forever (long_lines = split)", () => {
  writeFileSync(file, "x".repeat(4096 + 10) + "\nshort\n");
  const t = tailer("beginning", 1000, { max_line_bytes: 4096 });
  for (let i = 0; i < 5; i++) poll(t);
  expect(out.map((l) => l.length)).toEqual([4096, 10, 5]);
  expect(offsets.at(-1)).toBe(4096 + 10 + 1 + 6);
  t.stop();
});

test("long_lines = truncate sends the first max_line_bytes and drops the rest, also when the line ends later", () => {
  writeFileSync(file, "y".repeat(5000));
  const t = tailer("beginning", 1000, { max_line_bytes: 1024, long_lines: "truncate" });
  poll(t);
  appendFileSync(file, "y".repeat(3000) + "\nnext\n");
  for (let i = 0; i < 4; i++) poll(t);
  expect(out.map((l) => l.length)).toEqual([1024, 4]);
  // The first part ends at the cut; the dropped rest is passed over, so "next" ends after it.
  expect(offsets).toEqual([1024, 8000 + 1 + 5]);
  t.stop();
});

describe("resuming from saved positions", () => {
  test("a known file resumes at its saved offset, whatever `from` says", () => {
    writeFileSync(file, "a\nb\n");
    const t = tailer("beginning");
    poll(t, 1);
    t.stop();
    book.saved = book.snapshot(); // offset after "a"
    book.readers = [];
    out.length = 0;
    appendFileSync(file, "c\n");
    const t2 = tailer("end");
    poll(t2);
    expect(out).toEqual(["b", "c"]);
    t2.stop();
  });

  test("an inode reused by a file with other first bytes is a new file, read from 0 (elastic/beats#1341)", () => {
    writeFileSync(file, "first file\n");
    const t = tailer();
    poll(t);
    t.stop();
    book.saved = book.snapshot();
    // Same identity, other content: forge it by rewriting the file in place.
    writeFileSync(file, "other file, longer than the first\n");
    out.length = 0;
    const t2 = tailer("end");
    poll(t2);
    expect(out).toEqual(["other file, longer than the first"]);
    t2.stop();
  });

  test("a file rotated while the agent was down is drained from its saved offset before the new file", () => {
    writeFileSync(file, "old-1\n");
    const t = tailer();
    poll(t);
    t.stop();
    book.saved = book.snapshot();
    book.readers = [];
    // While down: more lines, a rename rotation, and lines in the new file.
    appendFileSync(file, "old-2\nold-3\n");
    renameSync(file, file + ".1");
    writeFileSync(file, "new-1\n");
    out.length = 0;
    const t2 = tailer("end", 100);
    poll(t2);
    poll(t2);
    expect(out).toEqual(["old-2", "old-3", "new-1"]);
    t2.stop();
  });

  test("`from = end` applies only to a path never read before: a new file under a known path starts at 0", () => {
    writeFileSync(file, "x\n");
    const t = tailer();
    poll(t);
    t.stop();
    book.saved = book.snapshot();
    unlinkSync(file);
    writeFileSync(file, "written while down\n");
    out.length = 0;
    const t2 = tailer("end");
    poll(t2);
    expect(out).toEqual(["written while down"]);
    t2.stop();
  });
});

test("an idle file is polled less and less often, up to idleMaxMs, and at the base rate again once it grows", () => {
  writeFileSync(file, "");
  const t = new Tailer(file, { topic: "t" } as Output, options("beginning", 100, 400), new Logger("test"));
  let now = 0;
  const at = (ms: number) => t.poll((now = ms), { lines: 1000, bytes: 1 << 20 }, sink);
  for (let i = 0; i <= 8; i++) at(i * 100); // nine checks without news: the next is due 200 ms later
  appendFileSync(file, "late\n");
  at(900);
  expect(out).toEqual([]); // not due yet
  at(1000);
  expect(out).toEqual(["late"]);
  appendFileSync(file, "prompt\n");
  at(1100); // news resets the backoff: due again at the base rate
  expect(out).toEqual(["late", "prompt"]);
  // Long idle: never more than idleMaxMs between checks.
  for (let ms = 1300; ms < 5000; ms += 100) at(ms);
  appendFileSync(file, "capped\n");
  let seenAt = -1;
  for (let ms = 5000; ms <= 5400 && seenAt < 0; ms += 100) {
    at(ms);
    if (out.includes("capped")) seenAt = ms;
  }
  expect(seenAt).toBeGreaterThan(-1);
  void now;
  t.stop();
});

test("a hint about the file's name makes a quiet file due at once; a hint about another name does not", () => {
  writeFileSync(file, "a\n");
  // Quiet files back off to one look a minute: only the hint can bring "b" within the next 100 ms.
  const t = new Tailer(file, { topic: "t" } as Output, options("beginning", 1000, 60_000), new Logger("test"));
  for (let i = 0; i < 20; i++) poll(t);
  expect(out).toEqual(["a"]);
  appendFileSync(file, "b\n");
  t.hint(dir, "other.log");
  poll(t);
  expect(out).toEqual(["a"]);
  t.hint(dir, "app.log");
  poll(t);
  expect(out).toEqual(["a", "b"]);
  t.stop();
});

test("a hint about a new name a glob matches makes it scan at once; a name it does not match does not", () => {
  writeFileSync(path.join(dir, "a.log"), "a\n");
  const settings = resolveTailSettings({ path: path.join(dir, "*.log"), topic: "t" }, tailDefaults(), "beginning").settings!;
  const t = new Tailer(path.join(dir, "*.log"), { topic: "t" } as Output, { ...options("beginning", 1000, 60_000), settings, rescanIntervalMs: 60_000 }, new Logger("test"));
  poll(t);
  expect(out).toEqual(["a"]);
  writeFileSync(path.join(dir, "b.log"), "b\n");
  writeFileSync(path.join(dir, "b.txt"), "not matched\n");
  t.hint(dir, "b.txt");
  poll(t);
  expect(out).toEqual(["a"]); // the next rescan is a minute away
  t.hint(dir, "b.log");
  poll(t);
  expect(out).toEqual(["a", "b"]);
  t.stop();
});
