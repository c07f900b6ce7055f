import { expect, test } from "bun:test";
import { splitLines, trimCR } from "../../src/tail/line-splitter";

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
