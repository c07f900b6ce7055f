// The /healthz rule (telemetry/health.ts): unhealthy only once an outage or a refused topic has lasted
// unhealthy_after_s, with the reason and since when.
import { expect, test } from "bun:test";
import { type KafkaHealth, judgeHealth } from "../../src/telemetry/health";

const T0 = Date.parse("2026-11-30T08:00:00Z");
const reachable: KafkaHealth = { reachable: true, since: T0, cause: null, refused: [] };

test("reachable brokers and no refused topic: healthy, whatever the time", () => {
  expect(judgeHealth(reachable, T0 + 86_400_000, 60_000)).toEqual({ healthy: true, reasons: [] });
});

test("an outage is healthy until it has lasted the threshold, then says for how long, since when and why", () => {
  const down: KafkaHealth = { reachable: false, since: T0, cause: "Connection error: connect ECONNREFUSED 127.0.0.1:9092", refused: [] };
  expect(judgeHealth(down, T0 + 59_999, 60_000).healthy).toBe(true);
  expect(judgeHealth(down, T0 + 75_000, 60_000)).toEqual({
    healthy: false,
    reasons: ["Kafka unreachable for 75 s (since 2026-11-30T08:00:00.000Z): Connection error: connect ECONNREFUSED 127.0.0.1:9092"],
  });
});

test("a refused topic counts from its own refusal; each one past the threshold is a reason", () => {
  const h: KafkaHealth = {
    ...reachable,
    refused: [
      { topic: "old", since: T0, reason: "TOPIC_AUTHORIZATION_FAILED: Not authorized to access topics" },
      { topic: "new", since: T0 + 50_000, reason: "UNKNOWN_TOPIC_OR_PARTITION: This server does not host this topic-partition" },
    ],
  };
  expect(judgeHealth(h, T0 + 61_000, 60_000)).toEqual({
    healthy: false,
    reasons: ["Kafka refuses topic old for 61 s (since 2026-11-30T08:00:00.000Z): TOPIC_AUTHORIZATION_FAILED: Not authorized to access topics"],
  });
  expect(judgeHealth(h, T0 + 110_000, 60_000).reasons).toHaveLength(2);
});
