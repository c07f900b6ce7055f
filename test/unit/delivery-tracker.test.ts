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
