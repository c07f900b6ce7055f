// The INI file as text: bytes -> characters -> lines -> sections and keys, each
// with its line number. Pure: it knows nothing of the option table, so every
// line it sees is either kept (with its line) or reported, never dropped.
//
// Shaped around what Windows tools write: a UTF-8 or UTF-16 byte-order mark,
// CRLF or CR-only line ends (each counts as one line, so line numbers stay
// right). Values stay text; the option table converts them later.
//
// A value is read so:
// - `"..."` or `'...'`: the quotes go, the rest is kept exactly (backslashes
//   are literal: `"C:\Program Files\x"`). Only whitespace and a comment may
//   follow the closing quote; when two quotes could close it, that is an error
//   rather than a guess.
// - otherwise: a `;` or `#` that starts the value or follows a space or tab
//   starts a comment (so `a#b`, `^#`, `http://h/#x` keep theirs); `\;` and `\#`
//   are a literal `;` and `#`; every other backslash is literal.
import type { ConfigProblem } from "./config-error";

export interface IniValue {
  line: number;
  /** After quotes and escapes are removed; `${NAME}` is not yet replaced. */
  text: string;
}

export interface IniKey {
  name: string;
  /** The first line that sets it. */
  line: number;
  /** Written as `name[] = ...`: one value per line. */
  list: boolean;
  values: IniValue[];
  /** The line has a problem already reported; the key is present but its value is not to be used. */
  broken: boolean;
}

export interface IniSection {
  name: string;
  line: number;
  /** A Map, so that `__proto__` or `toString` are names like any other. */
  keys: Map<string, IniKey>;
}

export interface IniDocument {
  sections: Map<string, IniSection>;
  lineCount: number;
  problems: ConfigProblem[];
}

// Control characters (but tab), line and paragraph separators, and invisible format characters
// (byte-order mark, zero-width space, bidirectional overrides) except the zero-width (non-)joiners
// that scripts and emoji need. None of them can be seen in an editor, and each has been seen to split
// or hide a line; a value holding one would silently be another value.
const REFUSED = /(?![\t\u200c\u200d])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const REFUSED_ALL = new RegExp(REFUSED.source, "gu");

const NAMES: Record<number, string> = {
  0x00: "NUL",
  0x0b: "vertical tab",
  0x0c: "form feed",
  0x1b: "escape",
  0x7f: "delete",
  0x85: "next line",
  0xad: "soft hyphen",
  0x200b: "zero-width space",
  0x200e: "left-to-right mark",
  0x200f: "right-to-left mark",
  0x2028: "line separator",
  0x2029: "paragraph separator",
  0x202e: "right-to-left override",
  0x2060: "word joiner",
  0xfeff: "byte-order mark",
};

/** `U+2028 (line separator)`. */
export function describeCodePoint(cp: number): string {
  const hex = cp.toString(16).toUpperCase().padStart(4, "0");
  return `U+${hex} (${NAMES[cp] ?? (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ? "control character" : "invisible character")})`;
}

/** The first character a configuration value may not hold, with its 1-based column; undefined when none. */
export function findRefusedCharacter(text: string): { column: number; codePoint: number } | undefined {
  const m = REFUSED.exec(text);
  return m ? { column: m.index + 1, codePoint: m[0].codePointAt(0)! } : undefined;
}

export function refusedCharacterMessage(found: { column: number; codePoint: number }): string {
  return `character ${describeCodePoint(found.codePoint)} at column ${found.column}: control and invisible characters are not allowed; delete it`;
}

type Encoding = "utf-8" | "utf-16le" | "utf-16be";

/** Decodes the file: a BOM picks UTF-8 or UTF-16LE/BE, no BOM means UTF-8. Invalid bytes are an error naming the line. */
export function decodeIni(bytes: Uint8Array, file: string): { text: string } | { problem: ConfigProblem } {
  let encoding: Encoding = "utf-8";
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  else if (bytes[0] === 0xff && bytes[1] === 0xfe) [encoding, start] = ["utf-16le", 2];
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) [encoding, start] = ["utf-16be", 2];
  const body = bytes.subarray(start);
  const name = encoding.toUpperCase();
  const nul = start === 0 ? body.indexOf(0) : -1;
  if (nul >= 0) {
    const line = 1 + body.subarray(0, nul).reduce((n, b, i, a) => n + (b === 0x0a || (b === 0x0d && a[i + 1] !== 0x0a) ? 1 : 0), 0);
    return { problem: { file, line, message: "holds NUL bytes: is it UTF-16 without a byte-order mark? Save it as UTF-8, or as UTF-16 with one" } };
  }
  if (encoding !== "utf-8" && body.length % 2 === 1) {
    return { problem: { file, message: `has a ${name} byte-order mark but an odd number of bytes; save it again as UTF-8 or ${name}` } };
  }
  try {
    return { text: new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(body) };
  } catch {
    const line = firstBadLine(body, encoding);
    const hint = start === 0 ? " (saved as ANSI or GBK?); save the file as UTF-8" : "";
    return { problem: { file, line, message: `not valid ${name}${hint}` } };
  }
}

/** Line ends (LF, CR) are single code units in all three encodings, so each line can be decoded alone. */
function firstBadLine(body: Uint8Array, encoding: Encoding): number {
  const unit = encoding === "utf-8" ? 1 : 2;
  const at = (i: number) => (unit === 1 ? body[i]! : encoding === "utf-16le" ? body[i]! | (body[i + 1]! << 8) : (body[i]! << 8) | body[i + 1]!);
  const decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  let line = 1;
  let from = 0;
  for (let i = 0; i <= body.length; i += unit) {
    const c = i < body.length ? at(i) : 0x0a;
    if (c !== 0x0a && c !== 0x0d) continue;
    try {
      decoder.decode(body.subarray(from, i));
    } catch {
      return line;
    }
    if (c === 0x0d && i + unit < body.length && at(i + unit) === 0x0a) i += unit;
    from = i + unit;
    line++;
  }
  return line - 1;
}

const isBlank = (c: string | undefined) => c === " " || c === "\t";
const trim = (s: string) => s.replace(/^[ \t]+/, "").replace(/[ \t]+$/, "");

/** Everything from `i` on is blanks, then nothing or a comment. */
function onlyCommentFrom(s: string, i: number): boolean {
  while (isBlank(s[i])) i++;
  return i >= s.length || s[i] === ";" || s[i] === "#";
}

/** One value as written after `=` (already trimmed), to its text; see the file's header for the rules. */
export function readValue(v: string): { text: string } | { problem: string } {
  const q = v[0];
  if (q === '"' || q === "'") {
    const ends: number[] = [];
    for (let j = v.indexOf(q, 1); j > 0; j = v.indexOf(q, j + 1)) if (onlyCommentFrom(v, j + 1)) ends.push(j);
    if (ends.length === 0) return { problem: `starts with ${q} but has no closing ${q} (only a comment may follow the closing quote)` };
    if (ends.length > 1) {
      return { problem: `could end at either ${q} (a comment follows the first): take the ${q} out of the comment, or write the value without quotes` };
    }
    return { text: v.slice(1, ends[0]) };
  }
  let out = "";
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === "\\" && (v[i + 1] === ";" || v[i + 1] === "#")) {
      out += v[++i];
    } else if ((c === ";" || c === "#") && (i === 0 || isBlank(v[i - 1]))) {
      break;
    } else out += c;
  }
  return { text: out.replace(/[ \t]+$/, "") };
}

/** Splits the text into sections and keys. Every problem names the file and the line. */
export function parseIniText(text: string, file: string): IniDocument {
  const sections = new Map<string, IniSection>();
  const problems: ConfigProblem[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  // null before the first header; "broken" after a header that was reported (its keys are not checked again).
  let section: IniSection | null | "broken" = null;
  lines.forEach((raw, i) => {
    const line = i + 1;
    const where = section !== null && section !== "broken" ? { section: section.name } : {};
    const bad = findRefusedCharacter(raw);
    // The line's shape is read without refused characters (reported below), so that one stray
    // character does not turn a header into a key and every key after it into noise.
    const body = trim(bad ? raw.replace(REFUSED_ALL, "") : raw);
    if (body === "" || body[0] === ";" || body[0] === "#") {
      if (bad) problems.push({ file, line, ...where, message: refusedCharacterMessage(bad) });
      return;
    }
    if (body[0] === "[") {
      const close = body.indexOf("]");
      const name = close > 0 ? trim(body.slice(1, close)) : "";
      const problem = close < 0
          ? `section header ${JSON.stringify(body)} has no closing ]`
          : name === ""
            ? "section header has no name"
            : !onlyCommentFrom(body, close + 1)
              ? `text after the section header's ]: ${JSON.stringify(body.slice(close + 1))}`
              : sections.has(name)
                ? `section repeated: it is already at line ${sections.get(name)!.line}; write each section once`
                : undefined;
      if (problem) {
        problems.push({ file, line, ...(name ? { section: name } : {}), message: problem });
        section = "broken";
        return;
      }
      if (bad) problems.push({ file, line, section: name, message: refusedCharacterMessage(bad) });
      section = { name, line, keys: new Map() };
      sections.set(name, section);
      return;
    }
    const eq = body.indexOf("=");
    let name = eq < 0 ? body : trim(body.slice(0, eq));
    const list = name.endsWith("[]");
    if (list) name = trim(name.slice(0, -2));
    if (section === "broken") {
      // The header's problem stands for its keys; a refused character is still worth saying now.
      if (bad) problems.push({ file, line, message: refusedCharacterMessage(bad) });
      return;
    }
    if (eq < 0 || name === "") {
      const message = eq < 0 ? `expected "key = value" or a [section], got ${JSON.stringify(body)}` : "no key before =";
      problems.push({ file, line, ...where, message: bad ? refusedCharacterMessage(bad) : message });
      return;
    }
    const at = { file, line, ...where, key: name };
    if (section === null) {
      const message = `key ${JSON.stringify(name)} is outside any section; put it under [kafka], [etcd], [agent], [fields] or [collect.NAME]`;
      problems.push({ ...at, message: bad ? refusedCharacterMessage(bad) : message });
      return;
    }
    const value = bad ? { problem: refusedCharacterMessage(bad) } : readValue(trim(body.slice(eq + 1)));
    if ("problem" in value) problems.push({ ...at, message: value.problem });
    const existing = section.keys.get(name);
    if (existing && !(existing.list && list)) {
      const how = existing.list || list ? `write "${name}[] = ..." on every line of a list` : "a key appears once in a section";
      problems.push({ ...at, message: `set again: it is already set at line ${existing.line}; ${how}` });
      return;
    }
    const key = existing ?? { name, line, list, values: [], broken: false };
    if ("problem" in value) key.broken = true;
    else key.values.push({ line, text: value.text });
    section.keys.set(name, key);
  });
  return { sections, lineCount: lines.length, problems };
}
