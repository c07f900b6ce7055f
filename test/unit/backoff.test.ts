import { expect, test } from "bun:test";
import { Backoff } from "../../src/util/backoff";

test("doubles up to the cap and stays there; the original is not changed", () => {
  const b0 = new Backoff(100, 1000);
  const ceilings: number[] = [];
  let b = b0;
  for (let i = 0; i < 6; i++) {
    ceilings.push(b.ceilingMs);
    b = b.next();
  }
  expect(ceilings).toEqual([100, 200, 400, 800, 1000, 1000]);
  expect(b0.ceilingMs).toBe(100);
  expect(b.reset().ceilingMs).toBe(100);
});

test("the jittered delay lies between half the ceiling and the ceiling", () => {
  const b = new Backoff(100, 1000).next().next();
  expect(b.delayMs(() => 0)).toBe(200);
  expect(b.delayMs(() => 1)).toBe(400);
});
