import { expect, test } from "bun:test";
import { DeliveryTracker } from "../../src/pipeline/delivery-tracker";

test("the position moves only over a run of acknowledged lines from the start", () => {
  const t = new DeliveryTracker(100);
  const [a, b, c] = [t.issue(110), t.issue(120), t.issue(130)];
  t.settle(c);
  expect(t.acked).toBe(100); // a and b still wait: moving to 130 would skip them after a crash
  t.settle(a);
  expect(t.acked).toBe(110);
  t.settle(b);
  expect(t.acked).toBe(130);
  expect(t.outstanding).toBe(0);
});

test("unknown or repeated tickets change nothing", () => {
  const t = new DeliveryTracker(0);
  const a = t.issue(5);
  t.settle(a);
  t.settle(a);
  t.settle(999);
  expect(t.acked).toBe(5);
});

test("many lines in order, with compaction, end at the last offset", () => {
  const t = new DeliveryTracker(0);
  const tickets = Array.from({ length: 20_000 }, (_, i) => t.issue((i + 1) * 10));
  for (const k of tickets) t.settle(k);
  expect(t.acked).toBe(200_000);
  const late = t.issue(200_010);
  t.settle(late);
  expect(t.acked).toBe(200_010);
});

test("reachWith: where a transaction's tickets would take the position, over lines already settled (filtered), changing nothing", () => {
  const t = new DeliveryTracker(0);
  const [a, skipped, b, c, d] = [t.issue(10), t.issue(15), t.issue(25), t.issue(40), t.issue(50)];
  t.settle(skipped); // a filtered line: settled at once, but after `a`
  expect(t.reachWith([a])).toBe(15);
  expect(t.reachWith([a, b, d])).toBe(25); // `c` is not in it: the position stops before it
  expect(t.reachWith([b, c])).toBe(0); // `a` is not in it
  expect(t.reachWith([])).toBe(0);
  expect(t.acked).toBe(0);
  expect(t.outstanding).toBe(5); // the filtered one stays counted until the line before it is settled
  // After the commit the tickets are settled: the same position.
  for (const x of [a, b, d]) t.settle(x);
  expect(t.acked).toBe(25);
});

test("reachWith counts tickets after the tracker dropped its settled head", () => {
  const t = new DeliveryTracker(0);
  for (let i = 1; i <= 5000; i++) t.settle(t.issue(i)); // past the compaction threshold
  const e = t.issue(5010);
  expect(t.reachWith([e])).toBe(5010);
});
