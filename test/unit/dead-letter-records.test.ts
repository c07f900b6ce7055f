// What a line Kafka refused for good becomes in the dead-letter topic (src/kafka/dead-letter-records.ts):
// the record it would have been, with headers naming its topic, file, offset and Kafka's error.
import { expect, test } from "bun:test";
import type { Output } from "../../src/discovery/entry-output";
import { DEAD_LETTER_HEADERS, deadLetterRecords } from "../../src/kafka/dead-letter-records";
import { compileUserPattern } from "../../src/lines/user-pattern";
import { blockOf } from "../support/lines";

const output = (o: Partial<Output> = {}): Output => ({ topic: "t", acks: -1, compression: "none", partitioner: "key", key: "path", keyPattern: null, partition: -1, format: "raw", fields: {}, profile: "t", ...o });
const CAUSE = "TOPIC_AUTHORIZATION_FAILED: Not authorized to access topics: [Topic authorization failed]";

test("each line keeps its key and value and names its topic, file, offset and the error", () => {
  const block = blockOf(["alpha", "beta", "gamma"], "/var/log/app.log", 100);
  block.output = output();
  const got = deadLetterRecords([{ block, from: 1, to: 3, cut: null }], "orders", CAUSE, "web-7");
  expect(got.map((r) => [r.key?.toString(), r.value.toString()])).toEqual([
    ["/var/log/app.log", "beta"],
    ["/var/log/app.log", "gamma"],
  ]);
  expect(got[0]!.headers).toEqual({
    host: "web-7",
    "logagent.topic": "orders",
    "logagent.path": "/var/log/app.log",
    "logagent.offset": "106",
    "logagent.error": CAUSE,
  });
  expect(got[1]!.headers[DEAD_LETTER_HEADERS.offset]).toBe("111");
});

test("a piece of a split line is that piece, with its part; a key pattern still sees the whole line", () => {
  const block = blockOf(["id=42 " + "x".repeat(20)], "/a.log");
  block.output = output({ key: "pattern", keyPattern: compileUserPattern("id=(\\d+)") });
  const [r] = deadLetterRecords([{ block, from: 0, to: 1, cut: { from: 10, to: 20, part: "2/3" } }], "t", "INVALID_RECORD: x", "h");
  expect(r!.value.toString()).toBe("x".repeat(10));
  expect(r!.key?.toString()).toBe("42");
  expect(r!.headers.part).toBe("2/3");
  expect(r!.headers["logagent.offset"]).toBe("0");
});

test("with format = json the value is the envelope the topic would have had; round robin gives no key", () => {
  const block = blockOf(["hello"], "/b.log", 7);
  block.output = output({ format: "json", partitioner: "round_robin", fields: { env: "prod" } });
  block.time = Date.UTC(2026, 10, 30);
  const [r] = deadLetterRecords([{ block, from: 0, to: 1, cut: null }], "t", CAUSE, "h");
  expect(r!.key).toBeNull();
  expect(JSON.parse(r!.value.toString())).toEqual({ message: "hello", host: "h", path: "/b.log", offset: 7, timestamp: "2026-11-30T00:00:00.000Z", fields: { env: "prod" } });
  expect(r!.headers.part).toBeUndefined();
});
