// Compiles a regular expression from a user (include_lines, exclude_lines,
// multiline.start, multiline.continuation, key_pattern): the only way such a
// pattern is compiled, so that none runs on an engine that can stall.
//
// Why: patterns run on the main thread, on every line. Bun's built-in engine
// backtracks: `(a+)+$` takes ~0.4 s per line of 25 `a`s and then gives up with
// a wrong "no match", and even an ordinary `\s+at ` is quadratic (7 s on one
// line of 100,000 spaces). So every pattern is translated to RE2 syntax and
// compiled by re2js (RE2 in plain JavaScript: no native addon, so it works in
// every compiled binary), which matches in time linear in the line. re2js costs
// 2-13x more per line than the built-in engine (bench/patterns.ts), so a
// pattern whose backtracking is bounded by the rule in `backtrackingIsLinear`
// runs on the built-in engine instead. The two engines give the same answers:
// the translation keeps JavaScript's meaning (`\s`, `.`), and the constructs
// whose captures differ (a group inside a repetition, a repeated body that can
// match nothing) never pass that rule, so they always run on re2js. The one
// difference left, a character beyond U+FFFF counted as one character by re2js
// and two by JavaScript, is documented in the README.
//
// The syntax is JavaScript's (RegExp without flags), parsed by regjsparser,
// which implements the standard's grammar including its web-compatibility
// quirks. What RE2 cannot do in linear time (lookaround, backreferences) is
// refused with the construct named; see README, "Line patterns".
import { RE2JS } from "re2js";
import { parse, type CharacterClassBody, type Quantifier as Q, type RootNode as R, type Value } from "regjsparser";

type Features = { namedGroups: true; lookbehind: true };
type RootNode = R<Features>;
type Quantifier = Q<Features>;

export interface UserPattern {
  /** The pattern as the user wrote it. */
  readonly source: string;
  /** `builtin` when its backtracking is proven linear (cheaper per line), else `re2`. */
  readonly engine: "builtin" | "re2";
  /** Whether the pattern matches anywhere in `text`. */
  test(text: string): boolean;
  /** The first match, or null when none. */
  exec(text: string): Match | null;
}

/** [whole match, group 1, ...]; undefined for a group that took no part. */
export type Match = readonly [string, ...(string | undefined)[]];

/** A pattern that is not valid, or cannot run in linear time. The message completes "the pattern ...". */
export class PatternError extends Error {
  override name = "PatternError" as const;
}

/**
 * Compiles `source` (JavaScript syntax, no flags). Throws PatternError for an invalid or refused
 * pattern. `engine: "re2"` skips the built-in engine even for a pattern it could run (tests, bench).
 */
export function compileUserPattern(source: string, engine: "auto" | "re2" = "auto"): UserPattern {
  try {
    new RegExp(source); // JavaScript's own verdict and message for a syntax error
  } catch (err) {
    throw new PatternError(`is not a valid regular expression (${(err as Error).message.replace(/^Invalid regular expression: /, "")})`);
  }
  let ast: RootNode;
  try {
    ast = parse(source, "", { namedGroups: true, lookbehind: true });
  } catch (err) {
    throw new PatternError(`is refused: its syntax is not supported here (${(err as Error).message.split("\n")[0]})`);
  }
  const re2Source = toRe2(ast);
  let re2: RE2JS;
  try {
    re2 = RE2JS.compile(re2Source);
  } catch (err) {
    throw new PatternError(`cannot be run by the linear-time engine (${(err as Error).message})`);
  }
  if (engine === "auto" && backtrackingIsLinear(ast)) {
    const builtin = new RegExp(source); // no flags: stateless, so one object serves every line
    return { source, engine: "builtin", test: (text) => builtin.test(text), exec: (text) => builtin.exec(text) as Match | null };
  }
  return { source, engine: "re2", test: (text) => re2.test(text), exec: (text) => re2.exec(text) as Match | null };
}

// ---- Translation to RE2 syntax, keeping JavaScript's meaning ------------------------------------

/** JavaScript's `\s`: WhiteSpace and LineTerminator (ECMA-262), as code point ranges. RE2's `\s` is only [\t\n\f\r ]. */
const JS_SPACE: readonly [number, number][] = [
  [0x09, 0x0d], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200a],
  [0x2028, 0x2029], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff],
];
const ranges = (rs: readonly [number, number][]) => rs.map(([a, b]) => (a === b ? lit(a) : `${lit(a)}-${lit(b)}`)).join("");
const SPACE = ranges(JS_SPACE);
/** Everything but JS_SPACE, for `\S` inside a class (where `[^...]` cannot be nested). */
const NOT_SPACE = ranges(
  JS_SPACE.map(([a], i): [number, number] => [i === 0 ? 0 : JS_SPACE[i - 1]![1] + 1, a - 1]).concat([[JS_SPACE.at(-1)![1] + 1, 0x10ffff]]),
);

/** One code point as RE2 source: letters and digits as they are, anything else as \x{...}. */
function lit(cp: number): string {
  return /^[A-Za-z0-9_ ]$/.test(String.fromCodePoint(cp)) ? String.fromCodePoint(cp) : `\\x{${cp.toString(16)}}`;
}

const isSurrogate = (cp: number) => cp >= 0xd800 && cp <= 0xdfff;

/** Refuses a construct that needs a backtracking engine. */
function refuse(node: { raw: string; range: [number, number] }, what: string): never {
  throw new PatternError(`is refused: ${what} ${JSON.stringify(node.raw)} at position ${node.range[0]} needs a backtracking engine, and patterns must run in linear time (see README, "Line patterns")`);
}

function value(v: Value): string {
  // Without the u flag JavaScript reads `\p{L}` as "p{L}" and `\u{41}` as 41 "u"s: never what was meant.
  if (v.kind === "identifier" && /^\\[A-Za-z]$/.test(v.raw)) {
    throw new PatternError(`is refused: ${JSON.stringify(v.raw)} at position ${v.range[0]} means the letter ${JSON.stringify(v.raw[1])} in JavaScript's syntax, which is never what was meant`);
  }
  if (isSurrogate(v.codePoint)) {
    throw new PatternError(`is refused: the character beyond U+FFFF at position ${v.range[0]} is inside [...] or under a quantifier, where JavaScript would see half of it; write it in a group, like (?:😀)+`);
  }
  return lit(v.codePoint);
}

function classItem(item: CharacterClassBody): string {
  switch (item.type) {
    case "value":
      return value(item);
    case "characterClassRange":
      return `${value(item.min)}-${value(item.max)}`;
    case "characterClassEscape":
      return item.value === "s" ? SPACE : item.value === "S" ? NOT_SPACE : `\\${item.value}`;
    default:
      return refuse(item, "the construct");
  }
}

function toRe2(node: RootNode): string {
  switch (node.type) {
    case "disjunction":
      return node.body.map(toRe2).join("|");
    case "alternative":
      return sequence(node.body);
    case "value":
      return value(node);
    case "dot":
      return "[^\\n\\r\\x{2028}\\x{2029}]"; // JavaScript's `.`; RE2's excludes only \n
    case "characterClassEscape":
      return node.value === "s" ? `[${SPACE}]` : node.value === "S" ? `[^${SPACE}]` : `\\${node.value}`; // \d \w: ASCII in both
    case "characterClass":
      // `[]` matches nothing and `[^]` anything in JavaScript; RE2 has no empty class.
      if (node.body.length === 0) return node.negative ? "[\\x{0}-\\x{10ffff}]" : "[^\\x{0}-\\x{10ffff}]";
      return `[${node.negative ? "^" : ""}${node.body.map(classItem).join("")}]`;
    case "anchor":
      // Without flags both read ^ and $ as the start and end of the whole text; \b \B are ASCII in both.
      return { start: "^", end: "$", boundary: "\\b", "not-boundary": "\\B" }[node.kind];
    case "group":
      if (node.behavior === "normal") return `(${node.name ? `?P<${node.name.value}>` : ""}${sequence(node.body)})`;
      if (node.behavior === "ignore") return `(?:${sequence(node.body)})`;
      return refuse(node, `the ${node.behavior.replace(/[A-Z]/, (c) => " " + c.toLowerCase())}`);
    case "quantifier": {
      const { min, max } = node;
      const count = node.symbol ?? (max === min ? `{${min}}` : `{${min},${max ?? ""}}`);
      return `(?:${toRe2(node.body[0])})${count}${node.greedy ? "" : "?"}`;
    }
    case "reference":
      return refuse(node, "the backreference");
    default:
      return refuse(node, "the construct");
  }
}

/** A sequence, with a literal character beyond U+FFFF (two UTF-16 halves in JavaScript) as one code point. */
function sequence(body: RootNode[]): string {
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const a = body[i]!;
    const b = body[i + 1];
    if (a.type === "value" && b?.type === "value" && a.codePoint >= 0xd800 && a.codePoint <= 0xdbff && b.codePoint >= 0xdc00 && b.codePoint <= 0xdfff) {
      out += lit(0x10000 + ((a.codePoint - 0xd800) << 10) + (b.codePoint - 0xdc00));
      i++;
    } else out += toRe2(a);
  }
  return out;
}

// ---- When the built-in engine is safe -----------------------------------------------------------

/**
 * The most paths through the pattern's loop-free part times the longest of them. It bounds the built-in
 * engine's work at one start position (and, with the loop below, at one loop length); 64 admits
 * alternatives of words (`ERROR|WARN|FATAL`) and timestamps (`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}`).
 */
const BRANCH_BUDGET = 64;

interface Shape {
  paths: number;
  length: number;
  /** The unbounded quantifiers (`*`, `+`, `{n,}`), with whether nothing can follow them in a match. */
  loops: { node: Quantifier; tail: boolean; nested: boolean }[];
  /** A capture group inside a quantifier: JavaScript resets it on each repetition, RE2 does not. */
  repeatedCapture: boolean;
}

/**
 * Whether a backtracking engine matches this pattern in time linear in the line, by a rule simple
 * enough to check by eye. A backtracking engine tries each start position and, from it, each path
 * through the pattern. With no unbounded quantifier, a start position costs at most paths x length,
 * a constant. With exactly one, over a single character (`\s+`, `.*`, `[^ ]+`) and inside no other
 * quantifier, each loop length costs at most that constant, so one start position is linear; then the
 * whole match is linear if there is only one start position (the pattern begins with `^`) or if
 * nothing follows the loop (`user=(\w+)`: once the loop is reached the match has succeeded). Anything
 * else (two loops, `\d+$`, `(a+)+`) can be quadratic or exponential and runs on re2js.
 */
function backtrackingIsLinear(ast: RootNode): boolean {
  const s = shape(ast, true, false);
  if (s.repeatedCapture || s.paths * s.length > BRANCH_BUDGET) return false;
  if (s.loops.length === 0) return true;
  if (s.loops.length > 1) return false;
  const [loop] = s.loops as [Shape["loops"][number]];
  if (loop.nested || !isOneCharacter(loop.node.body[0])) return false;
  const first = ast.type === "alternative" ? ast.body[0] : ast;
  const anchored = first?.type === "anchor" && first.kind === "start";
  return anchored || loop.tail;
}

function isOneCharacter(node: RootNode): boolean {
  return node.type === "value" || node.type === "dot" || node.type === "characterClass" || node.type === "characterClassEscape";
}

const CAP = 1e9; // paths multiply; past this the answer is "too many" anyway

function shape(node: RootNode, tail: boolean, inQuantifier: boolean): Shape {
  const one: Shape = { paths: 1, length: 1, loops: [], repeatedCapture: false };
  switch (node.type) {
    case "alternative":
      return seq(node.body, tail, inQuantifier);
    case "group": {
      const s = seq(node.body, tail, inQuantifier);
      return node.behavior === "normal" && inQuantifier ? { ...s, repeatedCapture: true } : s;
    }
    case "disjunction": {
      const parts = node.body.map((b) => shape(b, tail, inQuantifier));
      return {
        paths: Math.min(CAP, parts.reduce((n, p) => n + p.paths, 0)),
        length: Math.max(...parts.map((p) => p.length)),
        loops: parts.flatMap((p) => p.loops),
        repeatedCapture: parts.some((p) => p.repeatedCapture),
      };
    }
    case "quantifier": {
      const body = shape(node.body[0], false, true);
      if (node.max === undefined) {
        return { ...one, loops: [{ node, tail, nested: inQuantifier }, ...body.loops], repeatedCapture: body.repeatedCapture };
      }
      let paths = 0;
      for (let k = node.min; k <= node.max && paths < CAP; k++) paths += body.paths ** k;
      return { paths: Math.min(CAP, paths), length: Math.min(CAP, node.max * body.length), loops: body.loops, repeatedCapture: body.repeatedCapture };
    }
    default:
      return one;
  }
}

function seq(body: RootNode[], tail: boolean, inQuantifier: boolean): Shape {
  const parts = body.map((b, i) => shape(b, tail && i === body.length - 1, inQuantifier));
  return {
    paths: Math.min(CAP, parts.reduce((n, p) => n * p.paths, 1)),
    length: Math.min(CAP, parts.reduce((n, p) => n + p.length, 0)),
    loops: parts.flatMap((p) => p.loops),
    repeatedCapture: parts.some((p) => p.repeatedCapture),
  };
}
