import { expect, test } from "bun:test";
import { LINE_OVERHEAD_BYTES } from "../../src/pipeline/line-block";
import { costOf, LineQueue } from "../../src/pipeline/line-queue";
import { blockOf } from "../support/lines";

const lines = (n: number, bytes = 10) => Array.from({ length: n }, (_, i) => `${i}`.padEnd(bytes, "x"));

test("room counts lines queued and lines taken until their block is settled", async () => {
  const q = new LineQueue(5, 1 << 20);
  q.push(blockOf(lines(3)));
  q.push(blockOf(lines(2)));
  expect(q.room().lines).toBe(0);
  expect(q.full()).toBe(true);
  expect(q.pending).toBe(5);
  const [first, second] = q.takeAll();
  expect([first!.count, second!.count]).toEqual([3, 2]);
  expect(q.pending).toBe(0);
  expect(q.unsettled).toBe(5);
  expect(q.room().lines).toBe(0); // taken is not yet acknowledged
  let woke = false;
  const waiting = q.whenRoom().then(() => (woke = true));
  q.settle(first!);
  await waiting;
  expect(woke).toBe(true);
  expect(q.room().lines).toBe(3);
  expect(q.unsettled).toBe(2);
});

test("the byte bound counts each line's bytes plus its overhead, queued or in flight", () => {
  const b = () => blockOf(lines(2, 100));
  expect(costOf(b())).toBe(2 * (100 + LINE_OVERHEAD_BYTES));
  const q = new LineQueue(1000, 3 * costOf(b()));
  q.push(b());
  q.push(b());
  expect(q.room().bytes).toBe(costOf(b()));
  const taken = q.takeAll();
  q.push(b());
  expect(q.full()).toBe(true);
  for (const block of taken) q.settle(block);
  expect(q.bytes).toBe(costOf(b()));
});

test("blocks are taken in the order they were queued", () => {
  const q = new LineQueue(1_000_000, 1 << 30);
  for (let i = 0; i < 100; i++) q.push(blockOf([`b${i}`]));
  expect(q.takeAll().map((b) => b.value(0).toString())).toEqual(Array.from({ length: 100 }, (_, i) => `b${i}`));
  expect(q.takeAll()).toEqual([]);
});

test("whenItems resolves on the next push", async () => {
  const q = new LineQueue(10, 1 << 20);
  const p = q.whenItems();
  q.push(blockOf(["x"]));
  await p;
  expect(q.pending).toBe(1);
});
