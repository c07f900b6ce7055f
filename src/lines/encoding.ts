// The character encodings a log file may be written in, and turning a line of
// one into the UTF-8 that goes to Kafka. Pure: the reader hands in bytes.
import { isUtf8 } from "node:buffer";

export const ENCODINGS = ["utf-8", "utf-16le", "utf-16be", "gbk", "gb18030", "latin1"] as const;
export type Encoding = (typeof ENCODINGS)[number];

export function isEncoding(name: string): name is Encoding {
  return (ENCODINGS as readonly string[]).includes(name);
}

/** Whether a line's LF and CR are two-byte code units. */
export function isUtf16(encoding: Encoding): encoding is "utf-16le" | "utf-16be" {
  return encoding === "utf-16le" || encoding === "utf-16be";
}

/**
 * The encoding a byte-order mark at the start of a file names, and the mark's length, or null when
 * `head` begins with none. The caller strips it at offset 0 and lets it override the configured
 * encoding, as .NET's StreamReader does: Windows PowerShell's `Out-File` writes UTF-16LE with a mark
 * whatever the operator expected. UTF-32 marks are not recognised (FF FE 00 00 reads as UTF-16LE
 * FF FE then a NUL), because nothing that writes logs uses UTF-32.
 */
export function sniffBom(head: Uint8Array): { encoding: Encoding; bytes: number } | null {
  if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: "utf-8", bytes: 3 };
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return { encoding: "utf-16le", bytes: 2 };
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return { encoding: "utf-16be", bytes: 2 };
  return null;
}

/**
 * The WHATWG decoder behind each encoding. "latin1" is decoded as windows-1252, which is what the
 * WHATWG Encoding Standard (and so Bun, browsers and Rust's encoding_rs) means by that label. It
 * differs from ISO-8859-1 only in 0x80-0x9F: ISO-8859-1 puts C1 control characters there, which no
 * program writes as text, while Windows programs in Western locales write "ANSI" (code page 1252)
 * and put € ‘ ’ “ ” – — there. The five bytes 1252 leaves undefined (81 8D 8F 90 9D) still map to
 * their C1 code points, so every byte decodes to one character and nothing is replaced or lost.
 * Multi-line content is decoded with `ignoreBOM` so that a U+FEFF inside a file is kept, as the
 * UTF-8 fast path keeps it; only the caller strips the mark at offset 0.
 */
export function decoderFor(encoding: Encoding): TextDecoder {
  return new TextDecoder(encoding === "latin1" ? "windows-1252" : encoding, { ignoreBOM: true });
}

const decoders = new Map<Encoding, TextDecoder>();
/** One TextEncoder for everything: it keeps no state between calls. */
export const utf8Encoder = new TextEncoder();
const encoder = utf8Encoder;

/**
 * The decoder of `encoding`, shared: without `stream` a decode keeps no state between calls, and a
 * thousand files each with their own decoder cost a few MB for nothing.
 */
export function sharedDecoder(encoding: Encoding): TextDecoder {
  let decoder = decoders.get(encoding);
  if (decoder === undefined) {
    decoder = decoderFor(encoding);
    decoders.set(encoding, decoder);
  }
  return decoder;
}

/**
 * The line's bytes re-encoded as UTF-8, each invalid sequence replaced by U+FFFD (the WHATWG
 * "maximal subpart" rule, as browsers do). Valid UTF-8 comes back as the same bytes, not a copy:
 * that is the common case and `isUtf8` checks it at memory speed.
 */
export function toUtf8(line: Uint8Array, encoding: Encoding): Uint8Array {
  if (encoding === "utf-8" && isUtf8(line)) return line;
  return encoder.encode(sharedDecoder(encoding).decode(line));
}

/**
 * Where to cut `buf`, a line too long to send whole, so that the first piece is at most `max` bytes
 * and does not end inside a character. `buf[0]` must be at a character boundary. Returns
 * `buf.length` when it fits; never returns 0 for a non-empty `buf` and `max >= 1`, so that cutting
 * always makes progress (a character split only when `max` is smaller than one character).
 */
export function cutPoint(buf: Uint8Array, max: number, encoding: Encoding): number {
  if (buf.length <= max) return buf.length;
  if (max <= 0) return 0;
  let cut: number;
  switch (encoding) {
    case "utf-8":
      cut = utf8Cut(buf, max);
      break;
    case "utf-16le":
    case "utf-16be":
      cut = utf16Cut(buf, max, encoding === "utf-16le");
      break;
    case "gbk":
    case "gb18030":
      cut = gbCut(buf, max);
      break;
    case "latin1":
      cut = max;
      break;
  }
  return cut > 0 ? cut : max;
}

/** Backs off over at most three continuation bytes (10xxxxxx); more than that is invalid anyway. */
function utf8Cut(buf: Uint8Array, max: number): number {
  let cut = max;
  while (cut > max - 3 && cut > 0 && ((buf[cut] ?? 0) & 0xc0) === 0x80) cut--;
  return ((buf[cut] ?? 0) & 0xc0) === 0x80 ? max : cut;
}

/** An even offset, and not between the two halves of a surrogate pair. */
function utf16Cut(buf: Uint8Array, max: number, littleEndian: boolean): number {
  const cut = max & ~1;
  if (cut < 2) return cut;
  const high = littleEndian ? (buf[cut - 1] ?? 0) : (buf[cut - 2] ?? 0);
  const isHighSurrogate = (high & 0xfc) === 0xd8;
  return isHighSurrogate ? cut - 2 : cut;
}

/**
 * GBK and GB18030 cannot be walked backwards: trail bytes (0x40-0xFE, and 0x30-0x39 in GB18030's
 * four-byte form) overlap both ASCII and lead bytes, so the byte before `max` does not say whether
 * it ends a character. But a byte below 0x30 (controls, space, punctuation) is never a trail byte,
 * so the position after one is always a boundary. Find the last such byte before `max` and walk
 * forward from there; in real text one is a few bytes away, and at worst the walk starts at 0, which
 * is a boundary by contract. Linear in the worst case, but this runs only on lines over the limit.
 */
function gbCut(buf: Uint8Array, max: number): number {
  let at = max - 1;
  while (at >= 0 && (buf[at] ?? 0) >= 0x30) at--;
  let pos = at + 1;
  for (;;) {
    const width = gbCharWidth(buf, pos);
    if (pos + width > max) return pos;
    pos += width;
  }
}

/**
 * The byte length of the GB18030 character at `pos` (GBK is its two-byte subset). A byte that does
 * not start a well-formed sequence counts as one, as the decoder replaces it and reads on after it.
 */
function gbCharWidth(buf: Uint8Array, pos: number): number {
  const lead = buf[pos] ?? 0;
  if (lead < 0x81 || lead === 0xff) return 1;
  const second = buf[pos + 1] ?? 0;
  if ((second >= 0x40 && second <= 0x7e) || (second >= 0x80 && second <= 0xfe)) return 2;
  const third = buf[pos + 2] ?? 0;
  const fourth = buf[pos + 3] ?? 0;
  const fourByte = second >= 0x30 && second <= 0x39 && third >= 0x81 && third <= 0xfe && fourth >= 0x30 && fourth <= 0x39;
  return fourByte ? 4 : 1;
}
