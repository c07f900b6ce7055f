// Compiles a collect entry's path glob (and its exclude patterns) to regular
// expressions, once per collect list: matches() runs for every directory entry
// at every rescan, so it must be a single RegExp test.
//
// Braces are expanded first, so that `**` and the scan base are decided for
// each alternative as if it were written out: `/var/{a,b/**}/*.log` is
// `/var/a/*.log` or `/var/b/**/*.log`. The alternatives then become the
// branches of one RegExp.
//
// The agent matches in its own platform's flavour (HOST_FLAVOUR), but every
// function takes the flavour, so that Windows patterns are tested on Linux.
//
// Choices worth knowing:
// - `*`, `?` and classes match a leading "." too: a log named `.app.log` is
//   rare, and silently not shipping it would be worse than shipping it.
// - `**` is special only as a whole segment; `a**b` is `a*b`.
// - posix: a backslash escapes the next character, but only inside a glob
//   (isGlob decides, from unescaped characters, whether a path is a glob at
//   all). win32: backslash is a separator, so a literal `[` is written `[[]`.
// - win32 matching is case-insensitive (as NTFS is), including the drive.
// - Repeated separators collapse; literal `.` and `..` segments are resolved,
//   because the scanner's path joins resolve them too.

export type PathFlavour = "posix" | "win32";

export const HOST_FLAVOUR: PathFlavour = process.platform === "win32" ? "win32" : "posix";

export interface Glob {
  readonly source: string;
  /** The longest leading directory with no glob characters: where a scan starts. */
  readonly base: string;
  /** Whether `**` appears (the scan descends any depth); otherwise the scan descends exactly as deep as the pattern. */
  readonly recursive: boolean;
  /** Whether a full path matches. */
  matches(file: string): boolean;
  /** Whether a directory (full path) could hold matches below it: lets the scan prune. */
  mayContain(dir: string): boolean;
}

/** Brace alternatives multiply (`{a,b}{c,d}` is four); past this a pattern is a mistake, and each costs a RegExp branch. */
const MAX_ALTERNATIVES = 1024;

/** Whether `pattern` has a glob character (`*`, `?`, `[`, `{`; on posix one not escaped by a backslash). */
export function isGlob(pattern: string, flavour: PathFlavour = HOST_FLAVOUR): boolean {
  // `\\?\C:\` and `\\?\Volume{...}\` hold glob characters but are plain roots.
  const start = flavour === "win32" ? (DEVICE_ROOT.exec(pattern)?.[0].length ?? 0) : 0;
  for (let i = start; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\" && flavour === "posix") i++;
    else if (c === "*" || c === "?" || c === "[" || c === "{") return true;
  }
  return false;
}

export function compileGlob(pattern: string, flavour: PathFlavour = HOST_FLAVOUR): Glob {
  const { root, alternatives } = parsePattern(pattern, flavour);
  const r = regexParts(flavour);
  const sep = flavour === "win32" ? "\\" : "/";

  const rootSrc = escapeLiteral(root.text, flavour);
  const full = new RegExp(`^${rootSrc}(?:${alternatives.map((segs) => bodySource(segs, r)).join("|")})$`, r.flags);

  const heads = `(?:${alternatives.map((segs) => dirPrefixSource(segs, r)).join("|")})`;
  const stemSrc = escapeLiteral(root.stem, flavour);
  let containSrc: string;
  if (root.kind === "relative") containSrc = `^(?:\\.|${heads})$`;
  else if (root.text === root.stem) containSrc = `^${stemSrc}${heads}$`; // drive-relative `C:`
  else containSrc = `^${stemSrc}(?:${r.sep}${heads})?$`;
  const contain = new RegExp(containSrc, r.flags);

  // The scan starts at the deepest directory every alternative shares literally.
  const dirs = alternatives.map(literalDirs);
  const common: string[] = [];
  for (let i = 0; dirs.every((d) => i < d.length && d[i] === dirs[0]![i]); i++) common.push(dirs[0]![i]!);
  let base: string;
  if (root.kind === "relative") base = common.length ? common.join(sep) : ".";
  else if (common.length) base = root.text + common.join(sep);
  // `\\srv\share` names the share; a drive root keeps its separator, as `C:` alone means the drive's working directory.
  else base = root.kind === "unc" ? root.stem : root.text;

  return {
    source: pattern,
    base,
    recursive: alternatives.some((segs) => segs.some((s) => s.kind === "globstar")),
    matches: (file) => full.test(file),
    mayContain: (dir) => contain.test(dir),
  };
}

/** Exclude patterns: one without a path separator matches the base name (like "*.gz"), one with a separator matches the whole path. */
export function compileExcludes(patterns: string[], flavour: PathFlavour = HOST_FLAVOUR): (file: string) => boolean {
  const r = regexParts(flavour);
  const names: string[] = [];
  const paths: string[] = [];
  for (const pattern of patterns) {
    const { root, alternatives } = parsePattern(pattern, flavour);
    const bodies = alternatives.map((segs) => bodySource(segs, r)).join("|");
    const hasSep = flavour === "win32" ? /[\\/]/.test(pattern) : pattern.includes("/");
    if (!hasSep) names.push(bodies);
    // A relative pattern with a separator (`old/*.log`) matches the end of the path, from a separator on:
    // anchored at the start it could never match the absolute paths a scan yields, and would exclude nothing.
    else if (root.kind === "relative") paths.push(`(?:^|${r.sep})(?:${bodies})$`);
    else paths.push(`^${escapeLiteral(root.text, flavour)}(?:${bodies})$`);
  }
  const name = names.length ? new RegExp(`^(?:${names.join("|")})$`, r.flags) : null;
  const path = paths.length ? new RegExp(paths.map((s) => `(?:${s})`).join("|"), r.flags) : null;
  const baseName =
    flavour === "win32"
      ? (file: string) => file.slice(Math.max(file.lastIndexOf("\\"), file.lastIndexOf("/")) + 1)
      : (file: string) => file.slice(file.lastIndexOf("/") + 1);
  if (!name && !path) return () => false;
  return (file) => (name !== null && name.test(baseName(file))) || (path !== null && path.test(file));
}

/**
 * What a glob can match, as structure rather than a RegExp, for reasoning about globs
 * (glob-within.ts): its root and the segments of each brace alternative. A final `**` (one or more
 * segments) is given as `**` then `*`, so that every `**` in a shape means "zero or more segments".
 */
export interface GlobShape {
  rootKind: RootKind;
  /** The root as written, separators normalised: `/`, `C:\`, `\\srv\share\`; "" when relative. */
  root: string;
  alternatives: Segment[][];
  /** The flags of the patterns' RegExp sources ("iu" on win32: names compare case-insensitively). */
  flags: string;
}

/** The shape of a glob; throws what compileGlob throws for a bad one. */
export function globShape(pattern: string, flavour: PathFlavour = HOST_FLAVOUR): GlobShape {
  const { root, alternatives } = parsePattern(pattern, flavour);
  const r = regexParts(flavour);
  const anyName: Segment = { kind: "pattern", src: `${r.notSep}*`, tokens: [{ t: "star", double: false }] };
  const shaped = alternatives.map((segs) => (segs[segs.length - 1]?.kind === "globstar" ? [...segs, anyName] : segs));
  return { rootKind: root.kind, root: root.text, alternatives: shaped, flags: r.flags };
}

/**
 * The shape of one concrete path (no glob characters: `*` or `\` are part of names), with `.`,
 * `..` and repeated separators resolved the way the file system resolves them when no link is in
 * the way (above the root is the root).
 */
export function pathShape(file: string, flavour: PathFlavour = HOST_FLAVOUR): GlobShape {
  const { root, rest } = splitRoot(file, flavour);
  const segs: Segment[] = [];
  for (const text of rest.split(flavour === "win32" ? /[\\/]+/ : /\/+/)) {
    if (text === "" || text === ".") continue;
    const last = segs[segs.length - 1];
    if (text !== "..") segs.push({ kind: "literal", text });
    else if (last && !(last.kind === "literal" && last.text === "..")) segs.pop();
    else if (root.kind === "relative") segs.push({ kind: "literal", text });
  }
  return { rootKind: root.kind, root: root.text, alternatives: [segs], flags: regexParts(flavour).flags };
}

/** A pathShape written out again: the path normalised, for messages. */
export function pathText(shape: GlobShape, flavour: PathFlavour = HOST_FLAVOUR): string {
  const names = (shape.alternatives[0] ?? []).map((s) => (s.kind === "literal" ? s.text : ""));
  return shape.root + names.join(flavour === "win32" ? "\\" : "/");
}

// ---- Parsing: root, then tokens, then brace expansion, then segments.

export type RootKind = "relative" | "absolute" | "drive" | "unc" | "device";

interface Root {
  kind: RootKind;
  /** As written, with separators normalised (`/` on posix, `\` on win32): ends with a separator unless relative or `C:`. */
  text: string;
  /** `text` without its trailing separator. */
  stem: string;
}

type Token =
  | { t: "lit"; c: string }
  | { t: "sep" }
  | { t: "star"; double: boolean }
  | { t: "one" }
  | { t: "class"; src: string }
  | { t: "alt"; options: Token[][] };

/** A character-level piece of a segment that holds glob characters. */
export type PatternToken = { t: "lit"; c: string } | { t: "star"; double: boolean } | { t: "one" } | { t: "class"; src: string };

/** One path segment: `**`, a name without glob characters, or a pattern (`src` is its RegExp source). */
export type Segment = { kind: "globstar" } | { kind: "literal"; text: string } | { kind: "pattern"; src: string; tokens: PatternToken[] };

interface Parsed {
  root: Root;
  /** One list of segments per brace alternative, after the root. */
  alternatives: Segment[][];
}

/** `\\?\C:\`, `\\.\PhysicalDrive0\`, `\\?\UNC\`, `\\?\Volume{guid}\`: parsed raw, as they may hold `?` and braces. */
const DEVICE_ROOT = /^[\\/]{2}[?.][\\/][^\\/]+(?:[\\/]+|$)/;
const UNC_ROOT = /^[\\/]{2}[^\\/]+[\\/]+[^\\/]+(?:[\\/]+|$)/;
const DRIVE_ROOT = /^[A-Za-z]:(?:[\\/]+)?/;

function splitRoot(pattern: string, flavour: PathFlavour): { root: Root; rest: string } {
  const make = (kind: RootKind, raw: string): { root: Root; rest: string } => {
    const sep = flavour === "win32" ? "\\" : "/";
    let text = flavour === "win32" ? raw.replace(/[\\/]+/g, "\\") : "/";
    if (kind === "unc" || kind === "device") text = "\\\\" + text.replace(/^\\+/, "");
    if (kind !== "relative" && !text.endsWith(sep) && kind !== "drive") text += sep; // `\\srv\share` alone
    const stem = text.endsWith(sep) ? text.slice(0, -1) : text;
    return { root: { kind, text, stem }, rest: pattern.slice(raw.length) };
  };
  if (flavour === "posix") {
    const m = /^\/+/.exec(pattern);
    return m ? make("absolute", m[0]) : { root: { kind: "relative", text: "", stem: "" }, rest: pattern };
  }
  let m = DEVICE_ROOT.exec(pattern);
  if (m) return make("device", m[0]);
  m = UNC_ROOT.exec(pattern);
  if (m) {
    // The walker has to start somewhere: a share cannot be listed from above.
    if (/[*?[{]/.test(m[0])) throw globError(pattern, "the server and share of a UNC path cannot hold glob characters");
    return make("unc", m[0]);
  }
  m = DRIVE_ROOT.exec(pattern);
  if (m) return make("drive", m[0]);
  m = /^[\\/]+/.exec(pattern);
  if (m) return make("absolute", m[0]);
  return { root: { kind: "relative", text: "", stem: "" }, rest: pattern };
}

function globError(pattern: string, problem: string): Error {
  return new Error(`glob ${JSON.stringify(pattern)}: ${problem}`);
}

function parsePattern(pattern: string, flavour: PathFlavour): Parsed {
  const { root, rest } = splitRoot(pattern, flavour);
  const offset = pattern.length - rest.length;
  // Code points, so that `?` and classes treat an astral character as one.
  const chars = Array.from(rest);
  const isSep = flavour === "win32" ? (c: string) => c === "/" || c === "\\" : (c: string) => c === "/";
  const escapes = flavour === "posix";
  const r = regexParts(flavour);
  const fail = (problem: string, at?: number): never => {
    throw globError(pattern, at === undefined ? problem : `${problem} at character ${offset + charOffset(chars, at) + 1}`);
  };
  let i = 0;

  const sequence = (inBraces: boolean): Token[] => {
    const out: Token[] = [];
    while (i < chars.length) {
      const c = chars[i]!;
      if (inBraces && (c === "," || c === "}")) break;
      i++;
      if (c === "\\" && escapes) {
        const next = chars[i++];
        if (next === undefined) out.push({ t: "lit", c });
        else out.push(isSep(next) ? { t: "sep" } : { t: "lit", c: next });
      } else if (isSep(c)) out.push({ t: "sep" });
      else if (c === "*") {
        let n = 1;
        while (chars[i] === "*") (i++, n++);
        out.push({ t: "star", double: n > 1 });
      } else if (c === "?") out.push({ t: "one" });
      else if (c === "[") out.push(charClass(i - 1));
      else if (c === "{") out.push(braces(i - 1));
      else out.push({ t: "lit", c });
    }
    return out;
  };

  const braces = (start: number): Token => {
    const options: Token[][] = [];
    for (;;) {
      options.push(sequence(true));
      const c = chars[i++];
      if (c === undefined) return fail('unclosed "{"', start);
      if (c === "}") return { t: "alt", options };
    }
  };

  const charClass = (start: number): Token => {
    let negated = false;
    if (chars[i] === "!" || chars[i] === "^") (negated = true), i++;
    let items = "";
    const member = (): string => {
      let c = chars[i++];
      if (c === "\\" && escapes && i < chars.length) c = chars[i++];
      if (c === undefined) return fail('unclosed "["', start);
      // Matching works segment by segment: a class can never match a separator, so one inside is a mistake.
      if (isSep(c)) return fail('a path separator inside "[...]"', i - 1);
      return c;
    };
    for (let first = true; first || chars[i] !== "]"; first = false) {
      if (i >= chars.length) return fail('unclosed "["', start);
      const from = member();
      if (chars[i] === "-" && chars[i + 1] !== undefined && chars[i + 1] !== "]") {
        i++;
        const to = member();
        if (to.codePointAt(0)! < from.codePointAt(0)!) return fail(`range "${from}-${to}" is out of order`, i - 1);
        items += `${codePointEscape(from)}-${codePointEscape(to)}`;
      } else items += codePointEscape(from);
    }
    i++; // the closing "]"
    return { t: "class", src: negated ? `[^${items}${r.sepChars}]` : `[${items}]` };
  };

  const tokens = sequence(false);
  const expanded = expand(tokens, () => fail(`has more than ${MAX_ALTERNATIVES} brace alternatives`));
  const alternatives = expanded.map((seq) => segmentsOf(seq, root, r, fail));
  return { root, alternatives };
}

/** Offset in UTF-16 units of code point `index`, for error messages that match what an editor shows. */
function charOffset(chars: string[], index: number): number {
  let n = 0;
  for (let k = 0; k < index && k < chars.length; k++) n += chars[k]!.length;
  return n;
}

function expand(seq: Token[], tooMany: () => never): Token[][] {
  let results: Token[][] = [[]];
  for (const token of seq) {
    if (token.t !== "alt") {
      for (const r of results) r.push(token);
      continue;
    }
    const options = token.options.flatMap((o) => expand(o, tooMany));
    const next: Token[][] = [];
    for (const r of results) {
      for (const o of options) {
        next.push([...r, ...o]);
        if (next.length > MAX_ALTERNATIVES) tooMany();
      }
    }
    results = next;
  }
  return results;
}

function segmentsOf(seq: Token[], root: Root, r: RegexParts, fail: (problem: string) => never): Segment[] {
  const raw: Token[][] = [[]];
  for (const token of seq) {
    if (token.t === "sep") raw.push([]);
    else raw[raw.length - 1]!.push(token);
  }
  const out: Segment[] = [];
  for (const tokens of raw) {
    if (tokens.length === 0) continue; // `a//b`, a trailing separator
    const only = tokens[0]!;
    if (tokens.length === 1 && only.t === "star" && only.double) {
      if (out[out.length - 1]?.kind !== "globstar") out.push({ kind: "globstar" });
      continue;
    }
    if (tokens.every((t) => t.t === "lit")) {
      const text = tokens.map((t) => (t as { c: string }).c).join("");
      if (text === ".") continue;
      if (text === "..") {
        const last = out[out.length - 1];
        if (last === undefined) {
          if (root.kind === "relative") out.push({ kind: "literal", text });
          // Above the root is the root, as the file system has it.
          continue;
        }
        if (last.kind !== "literal") return fail('".." after a glob segment cannot be resolved');
        if (last.text === "..") out.push({ kind: "literal", text });
        else out.pop();
        continue;
      }
      out.push({ kind: "literal", text });
      continue;
    }
    out.push({ kind: "pattern", src: tokens.map(tokenSource).join(""), tokens: tokens as PatternToken[] });
  }
  return out;

  function tokenSource(t: Token): string {
    switch (t.t) {
      case "lit":
        return escapeChar(t.c);
      case "star":
        return `${r.notSep}*`;
      case "one":
        return r.notSep;
      case "class":
        return t.src;
      default:
        throw new Error(`glob segment holds a ${t.t} token`); // expansion and splitting removed them
    }
  }
}

// ---- Assembling RegExps.

interface RegexParts {
  /** A separator. */
  sep: string;
  /** One character that is not a separator. */
  notSep: string;
  /** The separators, to put inside a negated class. */
  sepChars: string;
  flags: string;
}

function regexParts(flavour: PathFlavour): RegexParts {
  // "u" so that `?` and classes see code points; "i" on win32 because NTFS compares names case-insensitively.
  return flavour === "win32"
    ? { sep: "[\\\\/]", notSep: "[^\\\\/]", sepChars: "\\\\\\/", flags: "iu" }
    : { sep: "\\/", notSep: "[^\\/]", sepChars: "\\/", flags: "u" };
}

function segmentSource(s: Segment): string {
  if (s.kind === "literal") return Array.from(s.text, escapeChar).join("");
  if (s.kind === "pattern") return s.src;
  throw new Error("globstar has no single-segment source");
}

/** The path after the root, as a RegExp source. */
function bodySource(segs: Segment[], r: RegexParts): string {
  let out = "";
  let needSep = false;
  segs.forEach((s, i) => {
    const sep = needSep ? r.sep : "";
    if (s.kind !== "globstar") {
      out += sep + segmentSource(s);
      needSep = true;
    } else if (i === segs.length - 1) {
      // A final `**`: any file at any depth below.
      out += `${sep}${r.notSep}+(?:${r.sep}${r.notSep}+)*`;
    } else {
      // Zero or more directories, each with its separator, so that `a/**/b` also matches `a/b`.
      out += `${sep}(?:${r.notSep}+${r.sep})*`;
      needSep = false;
    }
  });
  return out;
}

/**
 * Matches the directories (after the root) that could lead to a match: the
 * empty path and every prefix of the pattern's directory segments, as nested
 * optional groups; from a `**` on, any path.
 */
function dirPrefixSource(segs: Segment[], r: RegexParts): string {
  const star = segs.findIndex((s) => s.kind === "globstar");
  const last = star >= 0 ? star : segs.length - 2;
  if (last < 0) return "";
  let rest = "";
  for (let i = last; i >= 1; i--) {
    const s = segs[i]!;
    rest = s.kind === "globstar" ? `(?:${r.sep}[\\s\\S]*)?` : `(?:${r.sep}${segmentSource(s)}${rest})?`;
  }
  const first = segs[0]!;
  return first.kind === "globstar" ? "[\\s\\S]*" : `(?:${segmentSource(first)}${rest})?`;
}

/** The leading directory segments without glob characters. */
function literalDirs(segs: Segment[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < segs.length - 1; i++) {
    const s = segs[i]!;
    if (s.kind !== "literal") break;
    out.push(s.text);
  }
  return out;
}

function escapeLiteral(text: string, flavour: PathFlavour): string {
  const r = regexParts(flavour);
  const isSep = flavour === "win32" ? (c: string) => c === "/" || c === "\\" : (c: string) => c === "/";
  return Array.from(text, (c) => (isSep(c) ? r.sep : escapeChar(c))).join("");
}

function escapeChar(c: string): string {
  return "^$\\.*+?()[]{}|/".includes(c) ? `\\${c}` : c;
}

function codePointEscape(c: string): string {
  return `\\u{${c.codePointAt(0)!.toString(16)}}`;
}
