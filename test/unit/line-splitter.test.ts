import { expect, test } from "bun:test";
import { findLF, splitLines, trimCR } from "../../src/tail/line-splitter";

const enc = (s: string) => new TextEncoder().encode(s);
const texts = (s: string, limit = 100) => {
  const buf = enc(s);
  return splitLines(buf, limit).map((l) => new TextDecoder().decode(buf.subarray(l.start, l.end)));
};

test("splits on \\n and removes a trailing \\r", () => {
  expect(texts("a\nbb\r\n\nccc\n")).toEqual(["a", "bb", "", "ccc"]);
});

test("a partial last line is held back", () => {
  const spans = splitLines(enc("one\ntw"), 100);
  expect(spans).toEqual([{ start: 0, end: 3, next: 4 }]);
});

test("stops at the limit, and `next` says where to resume", () => {
  const spans = splitLines(enc("a\nb\nc\n"), 2);
  expect(spans.map((s) => s.next)).toEqual([2, 4]);
});

test("a lone \\r inside a line is kept; only the one before \\n goes", () => {
  expect(texts("a\rb\r\n")).toEqual(["a\rb"]);
  expect(new TextDecoder().decode(trimCR(enc("end\r")))).toBe("end");
});

const utf16 = (s: string, le: boolean) => {
  const out = new Uint8Array(s.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < s.length; i++) view.setUint16(2 * i, s.charCodeAt(i), le);
  return out;
};
const utf16Texts = (s: string, le: boolean, limit = 100) => {
  const buf = utf16(s, le);
  const decoder = new TextDecoder(le ? "utf-16le" : "utf-16be");
  return splitLines(buf, limit, le ? "utf-16le" : "utf-16be").map((l) => decoder.decode(buf.subarray(l.start, l.end)));
};

test("the encoding defaults to UTF-8, and GBK/GB18030/latin1 split the same way", () => {
  const buf = enc("a\r\nb\n");
  const spans = splitLines(buf, 100);
  for (const e of ["utf-8", "gbk", "gb18030", "latin1"] as const) expect(splitLines(buf, 100, e)).toEqual(spans);
});

test("UTF-16 splits on the two-byte LF and removes a two-byte CR before it", () => {
  for (const le of [true, false]) {
    expect(utf16Texts("a\nbb\r\n\nccc\n", le)).toEqual(["a", "bb", "", "ccc"]);
  }
  expect(splitLines(utf16("ab\r\ncd\n", true), 100, "utf-16le")).toEqual([
    { start: 0, end: 4, next: 8 },
    { start: 8, end: 12, next: 14 },
  ]);
});

test("a 0x0A byte inside a UTF-16 character is not a line end", () => {
  // 上 U+4E0A (LE 0A 4E: even offset, wrong partner), ਮ U+0A2E (LE 2E 0A: odd offset),
  // ഊ U+0D0A (LE 0A 0D; BE 0D 0A: a byte-level "\r\n" that is one character).
  for (const le of [true, false]) {
    expect(utf16Texts("上海\nਮ ഊ\r\nend ഊ\n", le)).toEqual(["上海", "ਮ ഊ", "end ഊ"]);
  }
});

test("UTF-16: a partial last line is held back, including an LF whose second byte is not read yet", () => {
  const le = utf16("one\ntwo\n", true);
  expect(splitLines(le.subarray(0, le.length - 1), 100, "utf-16le")).toEqual([{ start: 0, end: 6, next: 8 }]);
  const be = utf16("one\ntwo\n", false);
  expect(splitLines(be.subarray(0, be.length - 1), 100, "utf-16be")).toEqual([{ start: 0, end: 6, next: 8 }]);
});

test("UTF-16: stops at the limit, and `next` says where to resume", () => {
  expect(splitLines(utf16("a\nb\nc\n", false), 2, "utf-16be").map((s) => s.next)).toEqual([4, 8]);
});

test("trimCR removes one CR code unit in UTF-16, and nothing from an incomplete unit", () => {
  expect(trimCR(utf16("end\r", true), "utf-16le")).toEqual(utf16("end", true));
  expect(trimCR(utf16("end\r", false), "utf-16be")).toEqual(utf16("end", false));
  expect(trimCR(utf16("ഊ", true), "utf-16le")).toEqual(utf16("ഊ", true)); // bytes 0A 0D: not a CR unit
  expect(trimCR(Uint8Array.of(0x61, 0x00, 0x0d), "utf-16le")).toHaveLength(3);
  expect(trimCR(enc("end\r"), "gbk")).toEqual(enc("end"));
});

test("findLF finds the next real line end, or -1", () => {
  expect(findLF(enc("ab\ncd\n"), 3)).toBe(5);
  expect(findLF(utf16("上\nx", true), 0, "utf-16le")).toBe(2);
  expect(findLF(utf16("上ਮഊ", true), 0, "utf-16le")).toBe(-1);
  expect(findLF(utf16("上ਮഊ", false), 0, "utf-16be")).toBe(-1);
  expect(findLF(utf16("a\nb\n", false), 4, "utf-16be")).toBe(6);
});
