// Finds complete lines in a chunk of bytes. Pure, so that its edge cases are
// unit-tested without files.
//
// In every supported encoding but UTF-16 the byte 0x0A is a line feed and
// nothing else: UTF-8 continuation bytes are 0x80-0xBF, and GBK/GB18030 trail
// bytes are 0x30-0x39 and 0x40-0xFE. So those share the plain byte search. In
// UTF-16 an LF is a two-byte code unit, and 0x0A also turns up inside other
// characters (上 is U+4E0A, bytes 0A 4E in little-endian), so a 0x0A found by
// the same fast search is checked for alignment and its partner byte.
import type { Encoding } from "../lines/encoding";

const LF = 0x0a;
const CR = 0x0d;

export interface LineSpan {
  /** First byte of the line. */
  start: number;
  /** End of the line's content, excluding the LF and one CR before it (code units of the encoding). */
  end: number;
  /** First byte after the line's LF: where the next line starts. */
  next: number;
}

/**
 * The complete (LF-terminated) lines of `buf`, at most `limit` of them. A partial last line is left
 * out. `buf[0]` must be at a line start, which for UTF-16 also means at a code-unit boundary.
 */
export function splitLines(buf: Uint8Array, limit: number, encoding: Encoding = "utf-8"): LineSpan[] {
  if (encoding === "utf-16le" || encoding === "utf-16be") return splitUtf16(buf, limit, encoding);
  const spans: LineSpan[] = [];
  let start = 0;
  while (spans.length < limit) {
    const nl = buf.indexOf(LF, start);
    if (nl < 0) break;
    const end = nl > start && buf[nl - 1] === CR ? nl - 1 : nl;
    spans.push({ start, end, next: nl + 1 });
    start = nl + 1;
  }
  return spans;
}

/**
 * Where the first LF at or after `from` begins (its first byte; for UTF-16 the code unit's), or -1.
 * `from` must be at a code-unit boundary. Lets the reader ask "is there another complete line?".
 */
export function findLF(buf: Uint8Array, from: number, encoding: Encoding = "utf-8"): number {
  if (encoding === "utf-16le") return findUtf16LF(buf, from, true);
  if (encoding === "utf-16be") return findUtf16LF(buf, from, false);
  return buf.indexOf(LF, from);
}

/** Strips one trailing CR from a line that ended without LF (the last line of a finished file). */
export function trimCR(buf: Uint8Array, encoding: Encoding = "utf-8"): Uint8Array {
  const n = buf.length;
  if (encoding === "utf-16le" || encoding === "utf-16be") {
    // An odd length means the last code unit is incomplete, so there is no CR to take off.
    if (n < 2 || n % 2 !== 0) return buf;
    const [lo, hi] = encoding === "utf-16le" ? [buf[n - 2], buf[n - 1]] : [buf[n - 1], buf[n - 2]];
    return lo === CR && hi === 0 ? buf.subarray(0, n - 2) : buf;
  }
  return n > 0 && buf[n - 1] === CR ? buf.subarray(0, n - 1) : buf;
}

function splitUtf16(buf: Uint8Array, limit: number, encoding: "utf-16le" | "utf-16be"): LineSpan[] {
  const le = encoding === "utf-16le";
  const spans: LineSpan[] = [];
  let start = 0;
  while (spans.length < limit) {
    const lf = findUtf16LF(buf, start, le);
    if (lf < 0) break;
    const cr = lf - 2;
    const hasCR = cr >= start && (le ? buf[cr] === CR && buf[cr + 1] === 0 : buf[cr] === 0 && buf[cr + 1] === CR);
    spans.push({ start, end: hasCR ? cr : lf, next: lf + 2 });
    start = lf + 2;
  }
  return spans;
}

/** The even offset of the next `0A 00` (little-endian) or `00 0A` (big-endian) code unit, or -1. */
function findUtf16LF(buf: Uint8Array, from: number, le: boolean): number {
  let search = from;
  for (;;) {
    const at = buf.indexOf(LF, search);
    if (at < 0) return -1;
    const unit = le ? at : at - 1;
    // In little-endian the partner byte may not have been read yet: then this is not (yet) a line end.
    const partner = le ? buf[at + 1] : buf[at - 1];
    if (unit >= from && unit % 2 === 0 && partner === 0) return unit;
    search = at + 1;
  }
}
