// Finds complete lines in a chunk of bytes. Pure, so that its edge cases are
// unit-tested without files.

const LF = 0x0a;
const CR = 0x0d;

export interface LineSpan {
  /** First byte of the line. */
  start: number;
  /** End of the line's content, excluding `\n` and a trailing `\r`. */
  end: number;
  /** First byte after the line's `\n`: where the next line starts. */
  next: number;
}

/** The complete (`\n`-terminated) lines of `buf`, at most `limit` of them. A partial last line is left out. */
export function splitLines(buf: Uint8Array, limit: number): LineSpan[] {
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

/** Strips one trailing `\r` from a line that ended without `\n` (the last line of a finished file). */
export function trimCR(buf: Uint8Array): Uint8Array {
  return buf.length > 0 && buf[buf.length - 1] === CR ? buf.subarray(0, buf.length - 1) : buf;
}
