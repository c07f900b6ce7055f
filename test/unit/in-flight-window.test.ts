// The ordering rules of the produce path, without a broker: several batches on the wire per
// partition, a failure stops new sends until every answer is in, failed batches go again oldest
// first and one at a time until one is acknowledged, a batch marked `alone` never shares the wire,
// and the idempotent producer's sequence numbers follow the records.
import { describe, expect, test } from "bun:test";
import { InFlightWindow } from "../../src/kafka/in-flight-window";

const drain = <B>(w: InFlightWindow<B>): B[] => {
  const out: B[] = [];
  for (let b = w.next(); b !== null; b = w.next()) out.push(b);
  return out;
};

test("at most `max` batches on the wire, handed out oldest first; an acknowledgement makes room", () => {
  const w = new InFlightWindow<string>(3, false);
  for (const b of ["b1", "b2", "b3", "b4", "b5"]) w.add(b, 10);
  expect(drain(w)).toEqual(["b1", "b2", "b3"]);
  expect(w.inFlight).toBe(3);
  w.acked("b2"); // answers may come in any order; room is room
  expect(drain(w)).toEqual(["b4"]);
  w.acked("b1");
  w.acked("b3");
  w.acked("b4");
  expect(drain(w)).toEqual(["b5"]);
  w.acked("b5");
  expect(w.size).toBe(0);
});

test("a failure stops new sends until every batch on the wire is answered; then the failed go again, oldest first, before new ones", () => {
  const w = new InFlightWindow<string>(3, false);
  for (const b of ["b1", "b2", "b3", "b4", "b5"]) w.add(b, 1);
  expect(drain(w)).toEqual(["b1", "b2", "b3"]);
  w.acked("b1");
  w.failed("b2");
  expect(w.failing).toBe(true);
  expect(w.next()).toBeNull(); // room on the wire, but b2 must go before anything newer
  expect(w.settled).toBe(false);
  expect(() => w.retry()).toThrow(/still on the wire/);
  w.failed("b3");
  expect(w.settled).toBe(true);
  w.add("b6", 1);
  w.retry();
  // One at a time until one is acknowledged: a retried batch refused again cannot be overtaken.
  expect(drain(w)).toEqual(["b2"]);
  w.acked("b2");
  expect(drain(w)).toEqual(["b3", "b4", "b5"]);
  w.acked("b3");
  w.acked("b4");
  expect(drain(w)).toEqual(["b6"]);
});

test("after a retried batch fails again, the next still waits for it", () => {
  const w = new InFlightWindow<string>(5, false);
  for (const b of ["a", "b"]) w.add(b, 1);
  drain(w);
  w.failed("a");
  w.failed("b");
  w.retry();
  expect(drain(w)).toEqual(["a"]);
  w.failed("a");
  w.retry();
  expect(drain(w)).toEqual(["a"]);
  w.acked("a");
  expect(drain(w)).toEqual(["b"]);
});

test("a batch marked alone waits for the wire to empty, and nothing follows it until it is answered", () => {
  const w = new InFlightWindow<string>(5, false);
  w.add("a", 1);
  w.add("big", 1, true);
  w.add("c", 1);
  expect(drain(w)).toEqual(["a"]);
  w.acked("a");
  expect(drain(w)).toEqual(["big"]);
  w.acked("big");
  expect(drain(w)).toEqual(["c"]);
  w.add("big2", 1, true);
  w.acked("c");
  expect(drain(w)).toEqual(["big2"]);
  w.failed("big2");
  expect(w.settled).toBe(true);
});

test("a later batch acknowledged while an earlier one failed is done; only the failed one goes again", () => {
  const w = new InFlightWindow<string>(5, false);
  for (const b of ["b1", "b2", "b3"]) w.add(b, 1);
  drain(w);
  w.failed("b1");
  w.acked("b2");
  w.failed("b3");
  w.retry();
  expect(drain(w)).toEqual(["b1"]);
  w.acked("b1");
  expect(drain(w)).toEqual(["b3"]);
});

test("with a window of one, batches go strictly one after the other", () => {
  const w = new InFlightWindow<number>(1, false);
  for (let i = 0; i < 4; i++) w.add(i, 1);
  const order: number[] = [];
  for (let b = w.next(); b !== null; b = w.next()) {
    expect(w.next()).toBeNull();
    order.push(b);
    w.acked(b);
  }
  expect(order).toEqual([0, 1, 2, 3]);
});

test("the window is 1 to 5", () => {
  expect(() => new InFlightWindow(0, false)).toThrow(RangeError);
  expect(() => new InFlightWindow(6, true)).toThrow(RangeError);
});

test("an unknown batch, or one answered twice, is a bug and says so", () => {
  const w = new InFlightWindow<string>(2, false);
  w.add("a", 1);
  expect(() => w.acked("a")).toThrow(/not sent/);
  w.next();
  w.acked("a");
  expect(() => w.acked("a")).toThrow(/not sent/);
});

describe("sequence numbers (idempotent producer)", () => {
  test("each batch's base sequence is the count of records added before it in the partition", () => {
    const w = new InFlightWindow<string>(5, true);
    expect(w.add("a", 100)).toBe(0);
    expect(w.add("b", 1)).toBe(100);
    expect(w.add("c", 5000)).toBe(101);
    expect(w.add("d", 1)).toBe(5101);
    expect(w.sequenceOf("c")).toBe(101);
  });

  test("a resent batch keeps its sequence, so the broker drops it if it already has it", () => {
    const w = new InFlightWindow<string>(5, true);
    w.add("a", 10);
    w.add("b", 10);
    drain(w);
    w.failed("a");
    w.failed("b");
    w.retry();
    expect(drain(w)).toEqual(["a"]);
    w.acked("a");
    expect(drain(w)).toEqual(["b"]);
    expect(w.sequenceOf("b")).toBe(10);
  });

  test("sequences wrap to 0 after 2^31 - 1, as the broker counts them", () => {
    const w = new InFlightWindow<string>(5, true);
    w.add("a", 2 ** 31 - 3);
    expect(w.add("b", 5)).toBe(2 ** 31 - 3);
    expect(w.add("c", 1)).toBe(2);
  });

  test("a batch split in parts (too large): the parts take its sequences, later batches follow on", () => {
    const w = new InFlightWindow<string>(5, true);
    w.add("a", 10);
    w.add("big", 4);
    w.add("c", 3);
    drain(w);
    w.acked("a");
    w.failed("big");
    w.failed("c");
    // A line split into more pieces than it had: the count grows, and "c" moves on.
    expect(w.replace("big", [{ batch: "big1", count: 2 }, { batch: "big2", count: 3 }])).toEqual(["big1", "big2", "c"]);
    expect([w.sequenceOf("big1"), w.sequenceOf("big2"), w.sequenceOf("c")]).toEqual([10, 12, 15]);
    expect(w.add("d", 1)).toBe(18);
    w.retry();
    // The parts go alone: the broker may find them too large still, and nothing may overtake them.
    expect(drain(w)).toEqual(["big1"]);
    w.acked("big1");
    expect(drain(w)).toEqual(["big2"]);
    w.acked("big2");
    expect(drain(w)).toEqual(["c", "d"]);
  });

  test("a new producer id numbers every batch again from 0, oldest first", () => {
    const w = new InFlightWindow<string>(5, true);
    w.add("x", 7);
    drain(w);
    w.acked("x");
    w.add("a", 10);
    w.add("b", 20);
    drain(w);
    w.failed("a");
    w.failed("b");
    expect(w.renumber()).toEqual(["a", "b"]);
    expect([w.sequenceOf("a"), w.sequenceOf("b")]).toEqual([0, 10]);
    expect(w.add("c", 1)).toBe(30);
  });

  test("without sequences every base sequence is 0 (kafkajs's value for a plain producer)", () => {
    const w = new InFlightWindow<string>(5, false);
    expect(w.add("a", 10)).toBe(0);
    expect(w.add("b", 10)).toBe(0);
    expect(w.renumber()).toEqual([]);
  });
});
