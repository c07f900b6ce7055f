import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { sniffBom, type Encoding } from "../../src/lines/encoding";
import { LineProcessor, type LineOptions } from "../../src/lines/line-processor";
import { splitLines, trimCR } from "../../src/tail/line-splitter";
import { compileUserPattern as re } from "../../src/lines/user-pattern";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder("utf-8", { ignoreBOM: true }).decode(b);

type Out = { sent: [string, number, number][]; skipped: [number, number][]; order: [number, number][] };

function recorder() {
  const out: Out = { sent: [], skipped: [], order: [] };
  const emit = (value: Uint8Array, start: number, end: number) => {
    out.sent.push([dec(value), start, end]);
    out.order.push([start, end]);
  };
  const skip = (start: number, end: number) => {
    out.skipped.push([start, end]);
    out.order.push([start, end]);
  };
  return { out, emit, skip };
}

/** Feeds each string as one LF-terminated UTF-8 line at time `now`. */
function feed(p: LineProcessor, lines: string[], r: ReturnType<typeof recorder>, now = 0): void {
  let offset = 0;
  for (const l of lines) {
    const raw = enc(l);
    p.line(raw, offset, offset + raw.length + 1, now, r.emit, r.skip);
    offset += raw.length + 1;
  }
}

const plain: LineOptions = { encoding: "utf-8", include: [], exclude: [] };

test("the default hands on the very bytes read, with their offsets", () => {
  const p = new LineProcessor(plain);
  const raw = enc("héllo");
  let got: Uint8Array | null = null;
  p.line(raw, 10, 17, 0, (v, s, e) => ((got = v), expect([s, e]).toEqual([10, 17])), () => {});
  expect(got!).toBe(raw);
  expect(p.pending).toBe(false);
  expect(p.pendingStart).toBe(-1);
});

test("other encodings and invalid UTF-8 are sent as UTF-8", () => {
  const r = recorder();
  new LineProcessor(plain).line(Uint8Array.of(0x61, 0xff), 0, 3, 0, r.emit, r.skip);
  new LineProcessor({ ...plain, encoding: "gbk" }).line(Uint8Array.of(0xc4, 0xe3), 3, 6, 0, r.emit, r.skip);
  new LineProcessor({ ...plain, encoding: "latin1" }).line(Uint8Array.of(0x80), 6, 8, 0, r.emit, r.skip);
  expect(r.out.sent).toEqual([["a\uFFFD", 0, 3], ["你", 3, 6], ["€", 6, 8]]);
});

test("filtered lines are skipped, in order with the sent ones", () => {
  const r = recorder();
  const p = new LineProcessor({ ...plain, include: [re("ERROR|WARN")], exclude: [re("health")] });
  feed(p, ["INFO a", "ERROR b", "WARN health", "WARN c"], r);
  expect(r.out.sent).toEqual([["ERROR b", 7, 15], ["WARN c", 27, 34]]);
  expect(r.out.skipped).toEqual([[0, 7], [15, 27]]);
  expect(r.out.order.map(([s]) => s)).toEqual([0, 7, 15, 27]);
});

test("with a filter, valid UTF-8 that is kept is still sent as the bytes read", () => {
  const p = new LineProcessor({ ...plain, exclude: [re("DEBUG")] });
  const raw = enc("kept");
  let got: Uint8Array | null = null;
  p.line(raw, 0, 5, 0, (v) => (got = v), () => {});
  expect(got!).toBe(raw);
});

test("multiline holds the pending event back and says where it starts", () => {
  const r = recorder();
  const p = new LineProcessor({ ...plain, multiline: { start: re("^\\d{4}-"), maxLines: 500, timeoutMs: 1000 } });
  feed(p, ["2024-01 boom", "\tat a", "2024-02 ok"], r);
  expect(r.out.sent).toEqual([["2024-01 boom\n\tat a", 0, 19]]);
  expect(p.pending).toBe(true);
  expect(p.pendingStart).toBe(19);
  expect(p.flush(r.emit, r.skip)).toBe(1);
  expect(r.out.sent[1]).toEqual(["2024-02 ok", 19, 30]);
  expect(p.pending).toBe(false);
  expect(p.pendingStart).toBe(-1);
  expect(p.flush(r.emit, r.skip)).toBe(0);
});

test("flushDue hands out the pending event only once its timeout has passed since its last line", () => {
  const r = recorder();
  const p = new LineProcessor({ ...plain, multiline: { continuation: re("^\\s"), maxLines: 500, timeoutMs: 1000 } });
  feed(p, ["Error: x"], r, 0);
  p.line(enc("  at a"), 9, 16, 500, r.emit, r.skip);
  expect(p.flushDue(1000, r.emit, r.skip)).toBe(0);
  expect(p.flushDue(1500, r.emit, r.skip)).toBe(1);
  expect(r.out.sent).toEqual([["Error: x\n  at a", 0, 16]]);
  expect(p.flushDue(9999, r.emit, r.skip)).toBe(0);
});

test("without multiline there is never anything pending", () => {
  const p = new LineProcessor(plain);
  const r = recorder();
  expect(p.flushDue(1e9, r.emit, r.skip)).toBe(0);
  expect(p.flush(r.emit, r.skip)).toBe(0);
});

test("with multiline, filters see whole events, and a filtered event is skipped as a whole", () => {
  const r = recorder();
  const p = new LineProcessor({ ...plain, multiline: { start: re("^\\d{4}-"), maxLines: 500, timeoutMs: 1000 }, include: [re("^\\S+ ERROR")] });
  feed(p, ["2024-01 INFO a", "\tdetail", "2024-02 ERROR b", "\tat x"], r);
  p.flush(r.emit, r.skip);
  expect(r.out.skipped).toEqual([[0, 23]]);
  expect(r.out.sent).toEqual([["2024-02 ERROR b\n\tat x", 23, 45]]);
});

// ---- fixtures: every test/fixtures/lines/NAME.log against NAME.out ----------------------------

const fixtures = join(import.meta.dir, "../fixtures/lines");

interface FixtureOptions {
  encoding?: Encoding;
  multiline?: { start?: string; continuation?: string; max_lines?: number; timeout_ms?: number };
  include_lines?: string[];
  exclude_lines?: string[];
}

function lineOptions(json: FixtureOptions): LineOptions {
  const m = json.multiline;
  return {
    encoding: json.encoding ?? "utf-8",
    multiline: m && {
      start: m.start === undefined ? undefined : re(m.start),
      continuation: m.continuation === undefined ? undefined : re(m.continuation),
      maxLines: m.max_lines ?? 500,
      timeoutMs: m.timeout_ms ?? 5000,
    },
    include: (json.include_lines ?? []).map((s) => re(s)),
    exclude: (json.exclude_lines ?? []).map((s) => re(s)),
  };
}

/** Reads a whole file the way the reader does: BOM at offset 0, complete lines, then the end-of-file flush. */
function run(file: Uint8Array, options: LineOptions, chunkLimit = Infinity) {
  const bom = sniffBom(file);
  const encoding = bom?.encoding ?? options.encoding;
  const p = new LineProcessor({ ...options, encoding });
  const r = recorder();
  let offset = bom?.bytes ?? 0;
  for (;;) {
    const buf = file.subarray(offset);
    const spans = splitLines(buf, chunkLimit, encoding);
    if (spans.length === 0) break;
    for (const s of spans) p.line(buf.subarray(s.start, s.end), offset + s.start, offset + s.next, 0, r.emit, r.skip);
    offset += spans[spans.length - 1]!.next;
  }
  if (offset < file.length) p.line(trimCR(file.subarray(offset), encoding), offset, file.length, 0, r.emit, r.skip);
  p.flush(r.emit, r.skip);
  return { ...r.out, start: bom?.bytes ?? 0 };
}

const names = readdirSync(fixtures)
  .filter((f) => f.endsWith(".log"))
  .map((f) => f.slice(0, -4))
  .sort();

test("there is a fixture for every encoding, and for multiline and filters", () => {
  const used = new Set(names.map((n) => (JSON.parse(readFileSync(join(fixtures, `${n}.json`), "utf8")) as FixtureOptions).encoding));
  for (const e of ["utf-8", "utf-16le", "gbk", "gb18030", "latin1"] as const) expect(used.has(e)).toBe(true);
  expect(names).toContain("utf16be-bom");
  expect(names.length).toBeGreaterThanOrEqual(15);
});

for (const name of names) {
  test(`fixture ${name}: the messages match ${name}.out, and cover every byte once, in order`, () => {
    const file = new Uint8Array(readFileSync(join(fixtures, `${name}.log`)));
    const options = lineOptions(JSON.parse(readFileSync(join(fixtures, `${name}.json`), "utf8")));
    const expected = readFileSync(join(fixtures, `${name}.out`), "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as string);

    const got = run(file, options);
    expect(got.sent.map(([text]) => text)).toEqual(expected);

    // Sent and skipped ranges tile the file after the BOM, so the saved position can pass them all.
    let at = got.start;
    for (const [s, e] of got.order) {
      expect(s).toBe(at);
      expect(e).toBeGreaterThan(s);
      at = e;
    }
    expect(at).toBe(file.length);

    // Reading a few lines at a time gives the same result.
    expect(run(file, options, 2).sent).toEqual(got.sent);
  });
}
