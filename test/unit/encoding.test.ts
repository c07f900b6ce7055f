import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cutPoint, ENCODINGS, isEncoding, sniffBom, toUtf8, type Encoding } from "../../src/lines/encoding";

const bytes = (...b: number[]) => Uint8Array.from(b);
const utf8 = (s: string) => new TextEncoder().encode(s);
// `ignoreBOM` so that the test sees a U+FEFF that toUtf8 kept.
const text = (b: Uint8Array) => new TextDecoder("utf-8", { ignoreBOM: true }).decode(b);
const utf16 = (s: string, le: boolean) => {
  const out = new Uint8Array(s.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < s.length; i++) view.setUint16(2 * i, s.charCodeAt(i), le);
  return out;
};
const fixture = (name: string) => new Uint8Array(readFileSync(join(import.meta.dir, "../fixtures/lines", name)));

test("names the six encodings, and only those", () => {
  expect([...ENCODINGS]).toEqual(["utf-8", "utf-16le", "utf-16be", "gbk", "gb18030", "latin1"]);
  expect(isEncoding("gbk")).toBe(true);
  expect(isEncoding("GBK")).toBe(false);
  expect(isEncoding("windows-1252")).toBe(false);
});

test("sniffBom recognises the UTF-8 and UTF-16 marks", () => {
  expect(sniffBom(bytes(0xef, 0xbb, 0xbf, 0x61))).toEqual({ encoding: "utf-8", bytes: 3 });
  expect(sniffBom(bytes(0xff, 0xfe, 0x61, 0x00))).toEqual({ encoding: "utf-16le", bytes: 2 });
  expect(sniffBom(bytes(0xfe, 0xff, 0x00, 0x61))).toEqual({ encoding: "utf-16be", bytes: 2 });
});

test("sniffBom finds no mark in plain text, an empty head, or part of a mark", () => {
  expect(sniffBom(utf8("plain"))).toBeNull();
  expect(sniffBom(bytes())).toBeNull();
  expect(sniffBom(bytes(0xef, 0xbb))).toBeNull();
  expect(sniffBom(bytes(0xff))).toBeNull();
});

test("valid UTF-8 is returned as the same bytes, not a copy", () => {
  const line = utf8("héllo 世界 🎉");
  expect(toUtf8(line, "utf-8")).toBe(line);
});

test("invalid UTF-8 has each maximal invalid subpart replaced by U+FFFD", () => {
  expect(text(toUtf8(bytes(0x61, 0x80, 0x62), "utf-8"))).toBe("a\uFFFDb");
  expect(text(toUtf8(bytes(0xe4, 0xb8, 0x61), "utf-8"))).toBe("\uFFFDa");
  expect(text(toUtf8(bytes(0xc0, 0xaf), "utf-8"))).toBe("\uFFFD\uFFFD");
  expect(text(toUtf8(bytes(0xed, 0xa0, 0x80), "utf-8"))).toBe("\uFFFD\uFFFD\uFFFD");
});

test("UTF-16 in either byte order becomes UTF-8; a broken surrogate or odd byte is replaced", () => {
  expect(text(toUtf8(utf16("上海 🎉", true), "utf-16le"))).toBe("上海 🎉");
  expect(text(toUtf8(utf16("上海 🎉", false), "utf-16be"))).toBe("上海 🎉");
  expect(text(toUtf8(utf16("x\uD800y", true), "utf-16le"))).toBe("x\uFFFDy");
  expect(text(toUtf8(bytes(0x61, 0x00, 0x62), "utf-16le"))).toBe("a\uFFFD");
});

test("a U+FEFF inside a line is content, not a mark to drop", () => {
  expect(text(toUtf8(bytes(0xff, 0xfe, 0x41, 0x00), "utf-16le"))).toBe("\uFEFFA");
  expect(text(toUtf8(bytes(0xef, 0xbb, 0xbf, 0x41), "utf-8"))).toBe("\uFEFFA");
});

test("GBK and GB18030 decode, including GB18030's four-byte form", () => {
  expect(text(toUtf8(bytes(0xc4, 0xe3, 0xba, 0xc3), "gbk"))).toBe("你好");
  expect(text(toUtf8(bytes(0x95, 0x32, 0x82, 0x36), "gb18030"))).toBe("𠀀");
  expect(text(toUtf8(bytes(0x61, 0xff, 0x62), "gbk"))).toBe("a\uFFFDb");
});

test("latin1 is read as windows-1252: 0x80-0x9F are printable, and no byte is replaced", () => {
  expect(text(toUtf8(bytes(0x63, 0x61, 0x66, 0xe9), "latin1"))).toBe("café");
  expect(text(toUtf8(bytes(0x80, 0x93, 0x94, 0x96), "latin1"))).toBe("€“”–");
  expect(text(toUtf8(bytes(0x81, 0x8d, 0x8f, 0x90, 0x9d), "latin1"))).toBe("\u0081\u008D\u008F\u0090\u009D");
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  expect([...text(toUtf8(all, "latin1"))]).toHaveLength(256);
});

test("cutPoint leaves a line that fits whole", () => {
  for (const e of ENCODINGS) expect(cutPoint(utf8("abc"), 3, e)).toBe(3);
});

/**
 * Every cut at every limit keeps the text intact: decoding the two pieces gives the decoded whole.
 * Limits start at 4, the longest character in any of the encodings; below that a split can be forced.
 */
function expectCleanCuts(buf: Uint8Array, encoding: Encoding): void {
  const whole = text(toUtf8(buf, encoding));
  for (let max = 4; max < buf.length; max++) {
    const cut = cutPoint(buf, max, encoding);
    expect(cut).toBeGreaterThan(0);
    expect(cut).toBeLessThanOrEqual(max);
    const pieces = text(toUtf8(buf.subarray(0, cut), encoding)) + text(toUtf8(buf.subarray(cut), encoding));
    if (pieces !== whole) throw new Error(`${encoding}: cutting at ${cut} (max ${max}) split a character`);
  }
}

const mixed = "a é 世 🎉 b ab 日本語🎉🎉x";

test("cutPoint never splits a UTF-8 character", () => {
  expectCleanCuts(utf8(mixed), "utf-8");
  // 世 is E4 B8 96: a limit inside it backs off to its lead byte.
  expect(cutPoint(utf8("ab世"), 3, "utf-8")).toBe(2);
  expect(cutPoint(utf8("ab世"), 4, "utf-8")).toBe(2);
});

test("cutPoint keeps UTF-16 code units and surrogate pairs whole", () => {
  expectCleanCuts(utf16(mixed, true), "utf-16le");
  expectCleanCuts(utf16(mixed, false), "utf-16be");
  // "a🎉" is a, high surrogate, low surrogate: a limit of 5 bytes would fall between the pair.
  expect(cutPoint(utf16("a🎉", true), 5, "utf-16le")).toBe(2);
  expect(cutPoint(utf16("a🎉", false), 4, "utf-16be")).toBe(2);
});

test("cutPoint keeps GBK and GB18030 characters whole, with or without ASCII nearby", () => {
  expectCleanCuts(fixture("gbk.log").subarray(0, 120), "gbk");
  expectCleanCuts(fixture("gb18030.log"), "gb18030");
  // No byte below 0x30 to resynchronise on: the walk starts from the line start.
  const allChinese = bytes(0xc4, 0xe3, 0xba, 0xc3, 0xd6, 0xd0, 0xce, 0xc4, 0x81, 0x40);
  expectCleanCuts(allChinese, "gbk");
  expect(cutPoint(allChinese, 5, "gbk")).toBe(4);
});

test("cutPoint for latin1 cuts anywhere; a limit smaller than one character still makes progress", () => {
  expect(cutPoint(bytes(1, 2, 3, 4), 2, "latin1")).toBe(2);
  expect(cutPoint(utf8("🎉"), 2, "utf-8")).toBe(2);
  expect(cutPoint(bytes(0x95, 0x32, 0x82, 0x36, 0x61), 3, "gb18030")).toBe(3);
});
