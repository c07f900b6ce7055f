import { expect, test } from "bun:test";
import { compileUserPattern, PatternError } from "../../src/lines/user-pattern";

const both = (source: string) => [compileUserPattern(source), compileUserPattern(source, "re2")];

/** Runs `f` and returns how long it took, in ms. */
function timed<T>(f: () => T): [T, number] {
  const t = performance.now();
  const value = f();
  return [value, performance.now() - t];
}

// The examples. On Bun's own engine `(a+)+$` takes 147 ms on a line of 24 `a`s and a `!`,
// and each further `a` doubles it until the engine gives up and says "no match". A line of 100,000
// is beyond any backtracking engine; a limit of 1 s only says "not exponential, not quadratic".
test("catastrophic patterns run in linear time on re2js, with the right answer", () => {
  const n = 100_000;
  const cases: [string, string, boolean][] = [
    ["(a+)+$", "a".repeat(n) + "!", false],
    ["(a+)+$", "!" + "a".repeat(n), true],
    ["(a|a)*b", "a".repeat(n) + "!", false],
    ["(a|a)*b", "a".repeat(n) + "b", true],
    ["(x+x+)+y", "x".repeat(n) + "!", false],
    ["(x+x+)+y", "x".repeat(n) + "y", true],
    // Bun's engine gives up on the left branch and wrongly answers false here from about 26 `a`s.
    ["(a+)+b|c$", "a".repeat(n) + "!c", true],
  ];
  for (const [source, line, expected] of cases) {
    const p = compileUserPattern(source);
    expect(p.engine).toBe("re2");
    const [answer, ms] = timed(() => p.test(line));
    expect([source, answer]).toEqual([source, expected]);
    expect(ms).toBeLessThan(1000);
  }
});

test("the three catastrophic examples answer right on lines built to trigger backtracking", () => {
  for (let n = 20; n <= 30; n++) {
    expect(compileUserPattern("(a+)+$").test("a".repeat(n) + "!")).toBe(false);
    expect(compileUserPattern("(a|a)*b").test("a".repeat(n) + "!")).toBe(false);
    expect(compileUserPattern("(x+x+)+y").test("x".repeat(n) + "!")).toBe(false);
    expect(compileUserPattern("(a+)+b|c$").test("a".repeat(n) + "!c")).toBe(true);
  }
});

// Ordinary patterns are quadratic on a backtracking engine when a line is long enough: `\s+at ` takes
// 7 s on Bun's engine for one line of 100,000 spaces. Those run on re2js; those left on the built-in
// engine are linear by construction (see backtrackingIsLinear), checked here on 1 MiB lines, which take
// minutes when quadratic.
test("patterns left on the built-in engine stay linear on long hostile lines; quadratic ones go to re2js", () => {
  const M = 1 << 20;
  const cases: [string, string, "builtin" | "re2"][] = [
    ["^\\s+at ", " ".repeat(M), "builtin"],
    ["user=(\\w+)", "user".repeat(M / 4), "builtin"],
    ["ERROR|WARN", "ERRO".repeat(M / 4), "builtin"],
    ["^.*ERROR", "ERRO".repeat(M / 4), "builtin"],
    ["^(?:a|aa)(?:a|aa)[a-z]*aaaaaaab", "a".repeat(M), "builtin"],
    ["\\s+at ", " ".repeat(M), "re2"],
    [".*ERROR", "ERRO".repeat(M / 4), "re2"],
    ["\\d+$", "1".repeat(M) + "x", "re2"],
    ["^\\S+ \\S+ ERROR", "x ".repeat(M / 2), "re2"],
  ];
  for (const [source, line, engine] of cases) {
    const p = compileUserPattern(source);
    expect([source, p.engine]).toEqual([source, engine]);
    const [answer, ms] = timed(() => p.test(line));
    expect([source, answer]).toEqual([source, false]);
    expect(ms).toBeLessThan(1000);
  }
});

test("typical filter, multiline and key patterns run on the built-in engine", () => {
  for (const source of ["ERROR|WARN", "healthcheck", "^\\d{4}-\\d{2}-\\d{2}", "^\\d{4}-", "^\\s+at ", "^\\s", "user=(\\w+)", "\\d+", "^.*ERROR", "^\\[\\d+\\]", "(?<level>ERROR|WARN)"]) {
    expect([source, compileUserPattern(source).engine]).toEqual([source, "builtin"]);
  }
  for (const source of ["^\\S+ \\S+ ERROR", "(a+)+$", "\\s+at ", "(\\d+)\\s*ms", "^(?:[a-z]+\\.)+[A-Z]\\w*Exception", "(?:(a)|b)+"]) {
    expect([source, compileUserPattern(source).engine]).toEqual([source, "re2"]);
  }
});

test("what cannot run in linear time is refused, naming the construct and where it is", () => {
  const refused: [string, RegExp][] = [
    ["foo(?=bar)", /the lookahead "\(\?=bar\)" at position 3 needs a backtracking engine/],
    ["foo(?!bar)", /the negative lookahead "\(\?!bar\)" at position 3/],
    ["(?<=a)b", /the lookbehind "\(\?<=a\)" at position 0/],
    ["(?<!a)b", /the negative lookbehind/],
    ["(a)\\1", /the backreference "\\\\1" at position 3/],
    ["(?<q>['\"]).*\\k<q>", /the backreference "\\\\k<q>"/],
  ];
  for (const [source, message] of refused) {
    expect(() => compileUserPattern(source)).toThrow(PatternError);
    expect(() => compileUserPattern(source)).toThrow(message);
  }
});

test("invalid patterns, and ones whose meaning would surprise, are refused with the reason", () => {
  expect(() => compileUserPattern("([")).toThrow("is not a valid regular expression (missing terminating ] for character class)");
  expect(() => compileUserPattern("a{2,1}")).toThrow("is not a valid regular expression (numbers out of order in {} quantifier)");
  // Without the u flag JavaScript reads \p{L} as the text "p{L}": a Go or Java habit that silently never matches.
  expect(() => compileUserPattern("\\p{L}+")).toThrow('"\\\\p" at position 0 means the letter "p" in JavaScript\'s syntax');
  expect(() => compileUserPattern("\\u{41}")).toThrow('means the letter "u"');
  expect(() => compileUserPattern("😀+")).toThrow("write it in a group, like (?:😀)+");
  expect(() => compileUserPattern("[😀]")).toThrow("is inside [...] or under a quantifier");
  // RE2 caps a repeat count at 1000.
  expect(() => compileUserPattern("a{1001}")).toThrow("cannot be run by the linear-time engine (error parsing regexp: invalid repeat count: `{1001}`)");
});

// JavaScript's syntax, with JavaScript's meaning, on both engines: the translation to RE2 spells out
// what RE2 reads differently.
test("JavaScript's meaning of \\s, \\S, . and classes holds on both engines, for every BMP character", () => {
  const sources = ["\\s", "\\S", "[\\s]", "[\\S]", "[^\\s]", "[\\s\\d]", "[^\\S]", ".", "\\w", "\\W", "\\d", "\\D", "[\\w-]", "[^a-c]", "\\b"];
  for (const source of sources) {
    const js = new RegExp(source);
    const [auto, re2] = both(source);
    const wrong: string[] = [];
    for (let cp = 0; cp <= 0xffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue; // halves of pairs: see the next test
      const c = String.fromCharCode(cp);
      const want = js.test(c);
      if (auto!.test(c) !== want || re2!.test(c) !== want) wrong.push(cp.toString(16));
    }
    expect([source, wrong]).toEqual([source, []]);
  }
});

test("syntax details keep JavaScript's meaning on both engines", () => {
  const cases: [string, string, boolean][] = [
    ["a\u00a0b", "a\u00a0b", true], // literal no-break space
    ["^a\\sb$", "a\u00a0b", true], // \s takes U+00A0 (RE2's own \s would not)
    ["^a\\sb$", "a\ufeffb", true],
    ["^a.b$", "a\rb", false], // . stops at \r and U+2028 as in JavaScript (RE2's only at \n)
    ["^a.b$", "a\u2028b", false],
    ["^a.b$", "a\nb", false],
    ["x$", "x\n", false], // $ is the end of the text, not before a final newline
    ["^b", "a\nb", false], // ^ is the start of the text (no m flag)
    ["[^]", "\n", true],
    ["[]", "anything", false],
    ["\\d", "\u0663", false], // Arabic-Indic three: \d is ASCII
    ["\\bé", " é", false], // \b is ASCII: é is not a word character
    ["a{", "a{", true], // a { that starts no count is literal
    ["]", "]", true],
    ["\\1", "\u0001", true], // with no group 1, \1 is the octal escape
    ["\\cJ", "\n", true],
    ["[\\b]", "\b", true], // in a class, \b is backspace
    ["\\x41\\u0042", "AB", true],
    ["(?:😀)+", "😀😀", true],
    ["^😀$", "😀", true],
  ];
  for (const [source, line, expected] of cases) {
    expect([source, line, new RegExp(source).test(line)]).toEqual([source, line, expected]);
    for (const p of both(source)) expect([source, line, p.engine, p.test(line)]).toEqual([source, line, p.engine, expected]);
  }
});

test("a character beyond U+FFFF is one character to re2js, two to JavaScript (a documented difference)", () => {
  const [auto, re2] = both("^.$");
  expect(auto!.engine).toBe("builtin");
  expect(auto!.test("😀")).toBe(false);
  expect(re2!.test("😀")).toBe(true);
});

test("capture groups: the first group, else the whole match, is the same on both engines", () => {
  const cases: [string, string, (string | undefined)[] | null][] = [
    ["user=(\\w+)", "GET / user=ann id=1", ["user=ann", "ann"]],
    ["\\d+", "id 42 and 7", ["42"]],
    ["(a)?b", "xb", ["b", undefined]],
    ["(?<id>\\d+)-(\\w+)", "ref 12-ab", ["12-ab", "12", "ab"]],
    ["(ERROR|WARN) (\\S+)", "2024 WARN disk full", ["WARN disk", "WARN", "disk"]],
    ["^(\\S+) (\\S+)", "host1 GET /x", ["host1 GET", "host1", "GET"]],
    ["(a|ab)(c|bcd)", "abcd", ["abcd", "a", "bcd"]], // leftmost-first, as a backtracking engine picks,
    ["(a|ab)", "abc", ["a", "a"]], // not leftmost-longest (POSIX), which would take "ab"
    ["x*", "yyy", [""]],
    ["nope(\\d)", "none", null],
  ];
  for (const [source, line, expected] of cases) {
    expect<(string | undefined)[] | null>(new RegExp(source).exec(line)?.slice() ?? null).toEqual(expected);
    for (const p of both(source)) expect([source, p.engine, p.exec(line)?.slice() ?? null]).toEqual([source, p.engine, expected]);
  }
});

test("a group inside a repetition keeps its last value on re2js, where JavaScript resets it (such patterns always run on re2js)", () => {
  const p = compileUserPattern("(?:(a)|b)+");
  expect(p.engine).toBe("re2");
  expect(p.exec("ab")?.slice()).toEqual(["ab", "a"]);
  expect<(string | undefined)[] | undefined>(/(?:(a)|b)+/.exec("ab")?.slice()).toEqual(["ab", undefined]);
});

test("a repetition whose body prefers to match nothing matches less on re2js; whether a line matches does not change", () => {
  for (const [source, line, js] of [["(?:a??)*", "aa", "aa"], ["(?:|a)*", "aa", "aa"], ["(?:\\b|a)+", "aa", "aa"]]) {
    const p = compileUserPattern(source!);
    expect([source, p.engine]).toEqual([source, "re2"]);
    expect(new RegExp(source!).exec(line!)?.[0]).toBe(js!);
    expect(p.exec(line!)?.[0]).toBe("");
  }
  expect(compileUserPattern("^(?:a??)*b").test("aab")).toBe(true);
});

// Generated patterns over a small alphabet of atoms, against generated lines: the RE2 translation must
// answer as JavaScript does. Lines leave out characters beyond U+FFFF, and what is matched is compared
// only where no group is repeated (the two differences pinned above); whether a line matches, always.
test("generated patterns answer the same on re2js as on JavaScript's engine", () => {
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
  const atoms = ["a", "b", " ", "\\s", "\\S", ".", "\\d", "\\w", "\\W", "[ab]", "[^a]", "[\\s\\S]", "[\\S]", "\\b", "\\B", "^", "$", "1", "é", "\\u00a0", "\\n", "[a-c\\s]", "[^\\s]", "\\.", "-"];
  const quantifiable = atoms.filter((a) => !["^", "$", "\\b", "\\B"].includes(a));
  const quantifiers = ["*", "+", "?", "{2}", "{1,3}", "{2,}", "*?", "+?", "??"];
  const gen = (depth: number): string => {
    const k = rnd(depth > 3 ? 3 : 7);
    if (k <= 1) return atoms[rnd(atoms.length)]!;
    if (k === 2) return quantifiable[rnd(quantifiable.length)]! + quantifiers[rnd(quantifiers.length)];
    if (k === 3) return gen(depth + 1) + gen(depth + 1);
    if (k === 4) return gen(depth + 1) + "|" + gen(depth + 1);
    if (k === 5) return "(" + gen(depth + 1) + ")";
    return "(?:" + gen(depth + 1) + ")" + quantifiers[rnd(quantifiers.length)];
  };
  const chars = ["a", "b", " ", "\n", "\r", "\u00a0", "\u2028", "é", "1", "x", "\t", "\ufeff", "_", "."];
  let compared = 0;
  const differ: string[] = [];
  for (let i = 0; i < 600; i++) {
    const source = gen(0);
    const js = new RegExp(source);
    const re2 = compileUserPattern(source, "re2");
    const matchComparable = !/\)[*+?{]/.test(source);
    for (let j = 0; j < 12; j++) {
      let line = "";
      for (let k = rnd(9); k > 0; k--) line += chars[rnd(chars.length)];
      const a = js.exec(line)?.slice() ?? null;
      const b = re2.exec(line)?.slice() ?? null;
      if ((matchComparable && JSON.stringify(a) !== JSON.stringify(b)) || js.test(line) !== re2.test(line)) differ.push(`${JSON.stringify(source)} on ${JSON.stringify(line)}`);
      compared++;
    }
  }
  expect(compared).toBe(7200);
  expect(differ).toEqual([]);
});
