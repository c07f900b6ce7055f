import { expect, test } from "bun:test";
import { LineQueue, RECORD_OVERHEAD_BYTES, type LineRecord } from "../../src/pipeline/line-queue";

const rec = (n: number, bytes = 10): LineRecord => ({
  output: null as never,
  value: new Uint8Array(bytes),
  path: "/a",
  start: 0,
  end: n,
  tracker: null as never,
  ticket: 0,
  time: 0,
});

test("room counts lines queued and lines in flight until they are settled", async () => {
  const q = new LineQueue(5, 1 << 20);
  for (let i = 0; i < 5; i++) q.push(rec(i));
  expect(q.room().lines).toBe(0);
  expect(q.full()).toBe(true);
  const batch = q.take(3);
  expect(batch.map((r) => r.end)).toEqual([0, 1, 2]);
  expect(q.room().lines).toBe(0); // taken is not yet acknowledged
  let woke = false;
  const waiting = q.whenRoom().then(() => (woke = true));
  q.settle(batch);
  await waiting;
  expect(woke).toBe(true);
  expect(q.room().lines).toBe(3);
});

test("the byte bound counts each line's bytes plus its overhead, queued or in flight", () => {
  const q = new LineQueue(1000, 3 * (100 + RECORD_OVERHEAD_BYTES));
  q.push(rec(0, 100));
  q.push(rec(1, 100));
  expect(q.room().bytes).toBe(100 + RECORD_OVERHEAD_BYTES);
  const batch = q.take(10);
  q.push(rec(2, 100));
  expect(q.full()).toBe(true);
  q.settle(batch);
  expect(q.bytes).toBe(100 + RECORD_OVERHEAD_BYTES);
});

test("take moves at most the lines asked for, and no more than there are", () => {
  const q = new LineQueue(100, 1 << 20);
  for (let i = 0; i < 3; i++) q.push(rec(i));
  expect(q.take(2).map((r) => r.end)).toEqual([0, 1]);
  expect(q.take(10).map((r) => r.end)).toEqual([2]);
  expect(q.take(10)).toEqual([]);
  expect(q.unsettled).toBe(3);
});

test("order is kept across compaction", () => {
  const q = new LineQueue(1_000_000, 1 << 30);
  for (let i = 0; i < 20_000; i++) q.push(rec(i));
  const seen: number[] = [];
  while (q.pending) {
    const b = q.take(777);
    seen.push(...b.map((r) => r.end));
    q.settle(b);
  }
  expect(seen).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
});

test("whenItems resolves on the next push", async () => {
  const q = new LineQueue(10, 1 << 20);
  const p = q.whenItems();
  q.push(rec(1));
  await p;
  expect(q.pending).toBe(1);
});
