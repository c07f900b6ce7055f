import { expect, test } from "bun:test";
import { MultilineJoiner, type MultilineEvent, type MultilineOptions } from "../../src/lines/multiline";
import { compileUserPattern as re } from "../../src/lines/user-pattern";

/** Feeds lines as if each were followed by "\n", at time 0; returns the event texts, the pending one flushed last. */
function join(options: MultilineOptions, lines: string[]): MultilineEvent[] {
  const j = new MultilineJoiner(options);
  const events: MultilineEvent[] = [];
  let offset = 0;
  for (const l of lines) {
    const next = offset + l.length + 1;
    events.push(...j.push(l, offset, next, 0));
    offset = next;
  }
  const last = j.flush();
  if (last) events.push(last);
  return events;
}

const start = (extra: Partial<MultilineOptions> = {}): MultilineOptions => ({ start: re("^\\d{4}-"), maxLines: 500, timeoutMs: 1000, ...extra });
const continuation = (extra: Partial<MultilineOptions> = {}): MultilineOptions => ({ continuation: re("^\\s"), maxLines: 500, timeoutMs: 1000, ...extra });

test("start pattern: a matching line begins an event, the others join it", () => {
  const events = join(start(), ["2024-01 boom", "\tat a", "\tat b", "2024-02 ok"]);
  expect(events.map((e) => e.text)).toEqual(["2024-01 boom\n\tat a\n\tat b", "2024-02 ok"]);
  expect(events.map((e) => e.lines)).toEqual([3, 1]);
});

test("start pattern: lines before the first start are an event of their own", () => {
  const events = join(start(), ["preamble", "more preamble", "2024-01 first"]);
  expect(events.map((e) => e.text)).toEqual(["preamble\nmore preamble", "2024-01 first"]);
});

test("continuation pattern: a matching line joins, any other begins a new event", () => {
  const events = join(continuation(), ["  orphan continuation", "Error: x", "  at a", "  at b", "next", "last"]);
  expect(events.map((e) => e.text)).toEqual(["  orphan continuation", "Error: x\n  at a\n  at b", "next", "last"]);
});

test("an event covers the bytes from its first line's start to its last line's end", () => {
  const events = join(start(), ["2024-01 a", "x", "2024-02 b"]);
  expect(events.map((e) => [e.start, e.end])).toEqual([[0, 12], [12, 22]]);
});

test("push returns the events a line completes, and holds the rest back", () => {
  const j = new MultilineJoiner(start());
  expect(j.push("2024-01 a", 0, 10, 0)).toEqual([]);
  expect(j.pending).toBe(true);
  expect(j.pendingStart).toBe(0);
  expect(j.push("x", 10, 12, 0)).toEqual([]);
  expect(j.push("2024-02 b", 12, 22, 0)).toEqual([{ text: "2024-01 a\nx", start: 0, end: 12, lines: 2 }]);
  expect(j.pendingStart).toBe(12);
  expect(j.flush()).toEqual({ text: "2024-02 b", start: 12, end: 22, lines: 1 });
  expect(j.pending).toBe(false);
  expect(j.pendingStart).toBe(-1);
  expect(j.flush()).toBeNull();
});

test("an event is complete at maxLines, and the next line begins a new event: nothing is dropped", () => {
  const events = join(start({ maxLines: 3 }), ["2024-e", "1", "2", "3", "4", "5", "6", "2024-f"]);
  expect(events.map((e) => e.text)).toEqual(["2024-e\n1\n2", "3\n4\n5", "6", "2024-f"]);
});

test("a line can both complete the pending event and fill its own", () => {
  const j = new MultilineJoiner(start({ maxLines: 1 }));
  expect(j.push("2024-a", 0, 7, 0).map((e) => e.text)).toEqual(["2024-a"]);
  expect(j.pending).toBe(false);
  const two = new MultilineJoiner(continuation({ maxLines: 2 }));
  two.push("a", 0, 2, 0);
  expect(two.push(" b", 2, 5, 0).map((e) => e.text)).toEqual(["a\n b"]);
});

test("the timeout runs from the last line added, not the first", () => {
  const j = new MultilineJoiner(start({ timeoutMs: 1000 }));
  expect(j.due(5000)).toBe(false); // nothing pending
  j.push("2024-a", 0, 7, 0);
  j.push("x", 7, 9, 800);
  expect(j.due(1000)).toBe(false);
  expect(j.due(1799)).toBe(false);
  expect(j.due(1800)).toBe(true);
});

test("the options are checked, naming what is wrong", () => {
  expect(() => new MultilineJoiner({ maxLines: 5, timeoutMs: 1 })).toThrow(/exactly one of/);
  expect(() => new MultilineJoiner({ start: re("a"), continuation: re("b"), maxLines: 5, timeoutMs: 1 })).toThrow(/exactly one of/);
  expect(() => new MultilineJoiner(start({ maxLines: 0 }))).toThrow(/maxLines .* not 0/);
  expect(() => new MultilineJoiner(start({ timeoutMs: Number.NaN }))).toThrow(/timeoutMs .* not NaN/);
});

test("a start pattern matches the same way on every line, on either engine", () => {
  for (const engine of ["auto", "re2"] as const) {
    const events = join(start({ start: re("^\\d{4}-", engine) }), ["2024-01 a", "2024-02 b", "2024-03 c"]);
    expect(events.map((e) => e.text)).toEqual(["2024-01 a", "2024-02 b", "2024-03 c"]);
  }
});
