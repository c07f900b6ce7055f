// Cost per line of users' patterns, the old way (Bun's built-in RegExp for
// every pattern) against the new (src/lines/user-pattern.ts: re2js, or the
// built-in engine where its backtracking is provably linear), and re2js for
// every pattern for reference. It is a script that prints figures, not a test.
//
// Three parts: single patterns over synthetic log lines (what one test or exec
// costs); the line-filter and multiline fixtures run through LineProcessor
// (decoding, joining and filtering, as the agent does per line); and lines
// built to make a backtracking engine stall, where only a few are timed the
// old way because each takes about half a second.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { sniffBom, type Encoding } from "../src/lines/encoding";
import { LineProcessor, type LineOptions } from "../src/lines/line-processor";
import { compileUserPattern, type Match, type UserPattern } from "../src/lines/user-pattern";
import { splitLines } from "../src/tail/line-splitter";

type Way = "old" | "new" | "re2";
const WAYS: Way[] = ["old", "new", "re2"];

/** The old way: what tail-settings.ts and output.ts did before, `new RegExp(source)`. */
function compile(source: string, way: Way): UserPattern {
  if (way === "new") return compileUserPattern(source);
  if (way === "re2") return compileUserPattern(source, "re2");
  const r = new RegExp(source);
  return { source, engine: "builtin", test: (t) => r.test(t), exec: (t) => r.exec(t) as Match | null };
}

/** Median of `runs` timings of `f`, after one warm-up, in ns per item. */
function nsPer(items: number, f: () => void, runs = 5): number {
  f();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = Bun.nanoseconds();
    f();
    times.push((Bun.nanoseconds() - t) / items);
  }
  return times.sort((a, b) => a - b)[runs >> 1]!;
}

const fmt = (ns: number) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(0)} ms` : ns >= 10_000 ? `${(ns / 1000).toFixed(0)} µs` : `${ns.toFixed(0)} ns`);
/** A Markdown table; the columns from `firstNumber` on are right-aligned. */
const table = (head: string[], firstNumber: number, rows: string[][]) =>
  [`| ${head.join(" | ")} |`, `| ${head.map((_, i) => (i < firstNumber ? "---" : "---:")).join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");

// ---- 1. single patterns over synthetic lines ----------------------------------------------------

function syntheticLines(n: number): string[] {
  const levels = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"];
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 7 === 3) lines.push(`    at com.example.service.Handler${i % 13}.process(Handler.java:${i % 500})`);
    else {
      const day = String(1 + (i % 28)).padStart(2, "0");
      lines.push(`2024-05-${day} 12:${String(i % 60).padStart(2, "0")}:07.123 ${levels[i % 6]} [worker-${i % 8}] com.example.Service - handled GET /api/items/${i} user=u${i % 97} took ${i % 1000}ms`);
    }
  }
  return lines;
}

const SINGLE: [string, "test" | "exec", string][] = [
  ["ERROR|WARN", "test", "include_lines"],
  ["healthcheck", "test", "exclude_lines"],
  ["^\\d{4}-\\d{2}-\\d{2}", "test", "multiline.start"],
  ["^\\s+at ", "test", "multiline.continuation"],
  ["^\\S+ \\S+ ERROR", "test", "include_lines (fixture)"],
  ["^(?:$|\\s|Traceback \\(most recent call last\\):|During handling of the above exception|The above exception was|\\w+(?:\\.\\w+)*(?:Error|Exception)\\b)", "test", "multiline.continuation (fixture)"],
  ["user=(\\w+)", "exec", "key_pattern"],
  ["GET (/api/\\w+)", "exec", "key_pattern"],
  [".*ERROR", "test", "include_lines"],
];

function singlePatterns(): string {
  const lines = syntheticLines(300_000);
  const rows = SINGLE.map(([source, op, use]) => {
    const cost = WAYS.map((way) => {
      const p = compile(source, way);
      return nsPer(lines.length, op === "test" ? () => lines.forEach((l) => p.test(l)) : () => lines.forEach((l) => p.exec(l)), 3);
    });
    const shown = source.length > 40 ? source.slice(0, 37) + "..." : source;
    return [`\`${shown.replace(/\|/g, "\\|")}\``, use, op, compileUserPattern(source).engine, ...cost.map(fmt)];
  });
  return table(["pattern", "used as", "op", "new engine", "old", "new", "re2js only"], 4, rows);
}

// ---- 2. fixtures through LineProcessor ------------------------------------------------------------

interface FixtureOptions {
  encoding?: Encoding;
  multiline?: { start?: string; continuation?: string; max_lines?: number; timeout_ms?: number };
  include_lines?: string[];
  exclude_lines?: string[];
}

function lineOptions(json: FixtureOptions, way: Way): LineOptions {
  const m = json.multiline;
  return {
    encoding: json.encoding ?? "utf-8",
    multiline: m && {
      start: m.start === undefined ? undefined : compile(m.start, way),
      continuation: m.continuation === undefined ? undefined : compile(m.continuation, way),
      maxLines: m.max_lines ?? 500,
      timeoutMs: m.timeout_ms ?? 5000,
    },
    include: (json.include_lines ?? []).map((s) => compile(s, way)),
    exclude: (json.exclude_lines ?? []).map((s) => compile(s, way)),
  };
}

function fixtures(): string {
  const dir = join(import.meta.dir, "../test/fixtures/lines");
  const rows: string[][] = [];
  for (const name of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
    const json = JSON.parse(readFileSync(join(dir, name), "utf8")) as FixtureOptions;
    if (!json.multiline && !json.include_lines && !json.exclude_lines) continue; // no pattern: nothing to compare
    const file = readFileSync(join(dir, name.replace(/\.json$/, ".log")));
    const bom = sniffBom(file);
    const encoding = bom?.encoding ?? json.encoding ?? "utf-8";
    const body = file.subarray(bom?.bytes ?? 0);
    const one = splitLines(body, Infinity, encoding).map((s) => body.subarray(s.start, s.end));
    const lines = Array.from({ length: Math.ceil(200_000 / one.length) }, () => one).flat();
    const cost = WAYS.map((way) => {
      const options = { ...lineOptions(json, way), encoding };
      let sent = 0;
      const emit = () => void sent++;
      const skip = () => {};
      const ns = nsPer(lines.length, () => {
        const p = new LineProcessor(options);
        let offset = 0;
        for (const raw of lines) p.line(raw, offset, (offset += raw.length + 1), 0, emit, skip);
        p.flush(emit, skip);
      });
      return ns;
    });
    const opts = lineOptions(json, "new");
    const engines = [opts.multiline?.start, opts.multiline?.continuation, ...opts.include, ...opts.exclude].filter((p) => p).map((p) => p!.engine);
    rows.push([name.replace(/\.json$/, ""), lines.length.toLocaleString("en-US"), engines.join(", "), ...cost.map(fmt)]);
  }
  return table(["fixture", "lines", "new engines", "old", "new", "re2js only"], 3, rows);
}

// ---- 3. lines built to trigger backtracking -------------------------------------------------------

function hostile(): string {
  const cases: [string, string][] = [
    ["(a+)+$", "a".repeat(25) + "!"],
    ["(a|a)*b", "a".repeat(25) + "!"],
    ["(x+x+)+y", "x".repeat(25) + "!"],
    ["\\s+at ", " ".repeat(20_000)],
  ];
  const rows = cases.map(([source, line]) => {
    const old = compile(source, "old");
    const t = Bun.nanoseconds();
    const oldAnswer = old.test(line); // one line only: each takes about half a second
    const oldNs = Bun.nanoseconds() - t;
    const p = compile(source, "new");
    const newNs = nsPer(100, () => {
      for (let i = 0; i < 100; i++) p.test(line);
    });
    return [`\`${source.replace(/\|/g, "\\|")}\``, `${line.length} chars`, fmt(oldNs), String(oldAnswer), fmt(newNs), String(p.test(line))];
  });
  return table(["pattern", "line", "old, per line", "old answer", "new, per line", "new answer"], 2, rows);
}

console.log(`# Pattern cost per line (Bun ${Bun.version}, ${new Date().toISOString()})\n`);
console.log("old: Bun's RegExp for every pattern; new: src/lines/user-pattern.ts; re2js only: every pattern on re2js.\n");
console.log("## One pattern, 300,000 synthetic log lines (about 130 bytes)\n");
console.log(singlePatterns() + "\n");
console.log("## Fixtures with patterns, through LineProcessor (decode, join, filter), repeated to about 200,000 lines\n");
console.log(fixtures() + "\n");
console.log("## Lines built to trigger backtracking\n");
console.log(hostile());
