// How a reader hands lines over: in blocks of positions in the buffer they were read into (no
// copy, no object per line) when the file is plain UTF-8, in blocks of their own bytes when a line
// had to be re-encoded, and always in file order with one delivery ticket per block, so that
// acknowledging every block moves the position to the end of what was read.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { LineBlock } from "../../src/pipeline/line-block";
import { FileReader } from "../../src/tail/file-reader";
import { identityOf } from "../../src/tail/file-identity";
import { openTailHandle } from "../../src/tail/open-file";
import { compileUserPattern } from "../../src/lines/user-pattern";
import type { LineOptions } from "../../src/lines/line-processor";

const dir = mkdtempSync(path.join(os.tmpdir(), "reader-blocks-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function reader(name: string, content: Buffer | string, lines: Partial<LineOptions> = {}, maxLineBytes = 1 << 20): FileReader {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  const format = { maxLineBytes, longLines: "split" as const, lines: { encoding: "utf-8" as const, include: [], exclude: [], ...lines } };
  return new FileReader(openTailHandle(file), identityOf(statSync(file, { bigint: true })), file, file, format);
}

function readAll(r: FileReader): LineBlock[] {
  const blocks: LineBlock[] = [];
  const room = { lines: 1_000_000, bytes: 1 << 30 };
  while (r.read(room, (b) => blocks.push(b), 0).more);
  return blocks;
}

const text = (blocks: LineBlock[]) => blocks.flatMap((b) => Array.from({ length: b.count }, (_, i) => b.value(i).toString("utf8")));

test("a plain UTF-8 file: one block, its lines positions in the one buffer they were read into", () => {
  const lines = Array.from({ length: 500 }, (_, i) => `line ${i} ${"x".repeat(i % 40)}`);
  const r = reader("plain.log", lines.join("\n") + "\r\n" + "partial");
  const blocks = readAll(r);
  expect(blocks.length).toBe(1);
  const [b] = blocks as [LineBlock];
  expect(text(blocks)).toEqual(lines);
  for (let i = 0; i < b.count; i++) expect(b.value(i).buffer).toBe(b.bytes.buffer); // no copy per line
  expect(Array.from(b.offsets.subarray(0, 3))).toEqual([0, lines[0]!.length + 1, lines[0]!.length + lines[1]!.length + 2]);
  const size = Buffer.byteLength(lines.join("\n") + "\r\n");
  expect(b.end).toBe(size); // the partial last line is not handed out
  expect(r.offset).toBe(size);
  b.tracker.settle(b.ticket);
  expect(r.acked).toBe(size);
});

test("an invalid UTF-8 line goes in a block of its own bytes, between the blocks of positions, all in file order", () => {
  const bad = Buffer.from([0x62, 0x61, 0x64, 0xff, 0x21]); // "bad\xff!"
  const content = Buffer.concat([Buffer.from("a1\na2\n"), bad, Buffer.from("\nb1\nb2\n")]);
  const r = reader("mixed.log", content);
  const blocks = readAll(r);
  expect(text(blocks)).toEqual(["a1", "a2", "bad\uFFFD!", "b1", "b2"]);
  expect(blocks.map((b) => b.count)).toEqual([2, 1, 2]);
  expect(blocks[1]!.bytes.buffer).not.toBe(blocks[0]!.bytes.buffer);
  // Tickets in file order; the position moves only over an unbroken run of acknowledged blocks.
  blocks[2]!.tracker.settle(blocks[2]!.ticket);
  blocks[0]!.tracker.settle(blocks[0]!.ticket);
  expect(r.acked).toBe(6);
  blocks[1]!.tracker.settle(blocks[1]!.ticket);
  expect(r.acked).toBe(content.length);
});

test("a filtered line ends a block; it is settled at once, so the blocks around it are all that hold the position", () => {
  const r = reader("filtered.log", "keep 1\nkeep 2\ndrop this\nkeep 3\n", { exclude: [compileUserPattern("drop")] });
  const blocks = readAll(r);
  expect(text(blocks)).toEqual(["keep 1", "keep 2", "keep 3"]);
  expect(blocks.map((b) => b.count)).toEqual([2, 1]);
  blocks[0]!.tracker.settle(blocks[0]!.ticket);
  expect(r.acked).toBe("keep 1\nkeep 2\ndrop this\n".length);
  blocks[1]!.tracker.settle(blocks[1]!.ticket);
  expect(r.acked).toBe("keep 1\nkeep 2\ndrop this\nkeep 3\n".length);
});

test("the room is counted down per line and stops the read; the next read goes on from there", () => {
  const r = reader("room.log", Array.from({ length: 10 }, (_, i) => `l${i}\n`).join(""));
  const blocks: LineBlock[] = [];
  const room = { lines: 4, bytes: 1 << 30 };
  expect(r.read(room, (b) => blocks.push(b), 0).more).toBe(true);
  expect(room.lines).toBe(0);
  expect(text(blocks)).toEqual(["l0", "l1", "l2", "l3"]);
  r.read({ lines: 100, bytes: 1 << 30 }, (b) => blocks.push(b), 0);
  expect(text(blocks)).toEqual(Array.from({ length: 10 }, (_, i) => `l${i}`));
});

test("a few lines of a large read are copied out, so that a queued block does not hold the whole read buffer", () => {
  const r = reader("few.log", "a\nb\n" + "x".repeat(300_000)); // one big partial line after two short ones
  const [b] = readAll(r) as [LineBlock];
  expect(text([b])).toEqual(["a", "b"]);
  expect(b.bytes.length).toBeLessThan(16);
});

test("a multiline event is joined into the block's own bytes", () => {
  const r = reader("multi.log", "2026 start\n  at x\n  at y\n2026 next\n", { multiline: { start: compileUserPattern("^\\d{4}"), maxLines: 500, timeoutMs: 1000 } });
  const blocks = readAll(r);
  expect(text(blocks)).toEqual(["2026 start\n  at x\n  at y"]);
  expect(blocks[0]!.end).toBe("2026 start\n  at x\n  at y\n".length);
});
