// Which topics wait, since when and why (src/kafka/waiting-topics.ts): said once when a wait starts,
// then once a minute while it lasts, and no more once it ends.
import { expect, test } from "bun:test";
import { WaitingTopics, waitedSeconds } from "../../src/kafka/waiting-topics";

const MINUTE = 60_000;

test("a wait starts once, is due every minute after that, and ends", () => {
  const w = new WaitingTopics();
  expect(w.begin("orders", "TOPIC_AUTHORIZATION_FAILED: no", 1_000)).toBe(true);
  expect(w.begin("orders", "TOPIC_AUTHORIZATION_FAILED: still no", 5_000)).toBe(false); // said already
  expect(w.list()).toEqual([{ topic: "orders", reason: "TOPIC_AUTHORIZATION_FAILED: still no", sinceMs: 1_000, saidMs: 1_000 }]);
  expect(w.due(1_000 + MINUTE - 1, MINUTE)).toEqual([]);
  expect(w.due(1_000 + MINUTE, MINUTE).map((x) => x.topic)).toEqual(["orders"]);
  expect(w.due(1_000 + MINUTE + 30_000, MINUTE)).toEqual([]); // said 30 s ago
  expect(w.due(1_000 + 2 * MINUTE, MINUTE).map((x) => x.topic)).toEqual(["orders"]);
  expect(waitedSeconds(w.list()[0], 1_000 + 2 * MINUTE + 400)).toBe("120.4");
  expect(w.end("orders")?.sinceMs).toBe(1_000);
  expect(w.has("orders")).toBe(false);
  expect(w.due(1_000 + 10 * MINUTE, MINUTE)).toEqual([]);
  expect(w.end("orders")).toBeUndefined();
  expect(waitedSeconds(undefined)).toBeUndefined();
  expect(w.begin("orders", "again", 20 * MINUTE)).toBe(true); // a new wait is said again
});

test("each topic has its own wait", () => {
  const w = new WaitingTopics();
  w.begin("a", "x", 0);
  w.begin("b", "y", 30_000);
  expect(w.due(MINUTE, MINUTE).map((x) => x.topic)).toEqual(["a"]);
  expect(w.due(MINUTE + 30_000, MINUTE).map((x) => x.topic)).toEqual(["b"]);
  w.end("a");
  expect(w.list().map((x) => x.topic)).toEqual(["b"]);
});
