// Scripted file scenarios against the Tailer, on real files in a temp folder.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { appendFileSync, closeSync, mkdtempSync, openSync, renameSync, rmSync, truncateSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { SavedPosition } from "../../src/checkpoint/saved-position";
import type { Output } from "../../src/kafka/output";
import { sameFile, type FileIdentity } from "../../src/tail/file-identity";
import { MAX_LINE_BYTES, type FileReader } from "../../src/tail/file-reader";
import { Tailer, type PositionBook } from "../../src/tail/tailer";
import { Logger, setLogLevel } from "../../src/telemetry/logger";

setLogLevel("error");
let dir: string;
let file: string;
let clock = 0;
const out: string[] = [];
const offsets: number[] = [];
let room = { lines: 0, bytes: 0 };
const sink = (line: Uint8Array, _src: unknown, _start: number, end: number) => {
  out.push(new TextDecoder().decode(line));
  offsets.push(end);
  room.lines--;
  room.bytes -= line.length;
};

/** Positions kept in memory, as the Checkpointer keeps them between saves. */
class MemoryBook implements PositionBook {
  readers: FileReader[] = [];
  saved: SavedPosition[] = [];
  find = (id: FileIdentity) => this.saved.find((p) => sameFile(p.identity, id));
  under = (p: string) => this.saved.filter((s) => s.path === p);
  track = (r: FileReader) => void this.readers.push(r);
  /** What a checkpoint would hold now. */
  snapshot(): SavedPosition[] {
    return this.readers.map((r) => ({ identity: r.identity, fingerprint: r.refreshFingerprint(), offset: r.offset, path: r.path, seenAt: 0 }));
  }
}
let book: MemoryBook;

function tailer(from: "end" | "beginning" = "beginning", rotateWaitMs = 1000): Tailer {
  return new Tailer(file, { topic: "t" } as Output, { rotateWaitMs, from, positions: book, baseIntervalMs: 100, idleMaxMs: 100 }, new Logger("test"));
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

test("a line longer than the limit is cut into pieces, never held forever", () => {
  writeFileSync(file, "x".repeat(MAX_LINE_BYTES + 10) + "\nshort\n");
  const t = tailer();
  for (let i = 0; i < 5; i++) poll(t);
  expect(out.map((l) => l.length)).toEqual([MAX_LINE_BYTES, 10, 5]);
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
  const t = new Tailer(file, { topic: "t" } as Output, { rotateWaitMs: 100, from: "beginning", positions: book, baseIntervalMs: 100, idleMaxMs: 400 }, new Logger("test"));
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
