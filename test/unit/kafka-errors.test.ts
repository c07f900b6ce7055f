// Every produce failure comes down to one kind, and the sink acts on the kind (src/kafka/errors.ts).
import { expect, test } from "bun:test";
import { classify, errorFromCode } from "../../src/kafka/errors";

test("errors are classified: a topic's own, too large, credentials, the idempotent producer's, or Kafka unavailable", () => {
  expect(classify({ name: "KafkaJSProtocolError", type: "TOPIC_AUTHORIZATION_FAILED", message: "no" }).kind).toBe("topic");
  expect(classify({ name: "KafkaJSNumberOfRetriesExceeded", message: "x", cause: { type: "UNKNOWN_TOPIC_OR_PARTITION", message: "unknown" } }).kind).toBe("topic");
  expect(classify({ name: "KafkaJSMetadataNotLoaded", message: "no metadata" }).kind).toBe("topic");
  expect(classify({ name: "KafkaJSSASLAuthenticationError", message: "SASL SCRAM SHA512 authentication failed" }).kind).toBe("auth");
  expect(classify({ name: "KafkaJSConnectionError", message: "Connection error: connect ECONNREFUSED" })).toEqual({
    kind: "unavailable",
    cause: "Connection error: connect ECONNREFUSED",
  });
});

test("produce error codes, as kafkajs names them, map to their kinds", () => {
  const kind = (code: number) => classify(errorFromCode(code)).kind;
  expect(kind(10)).toBe("too-large"); // MESSAGE_TOO_LARGE
  expect(kind(18)).toBe("too-large"); // RECORD_LIST_TOO_LARGE
  expect(kind(3)).toBe("topic"); // UNKNOWN_TOPIC_OR_PARTITION
  expect(kind(29)).toBe("topic"); // TOPIC_AUTHORIZATION_FAILED
  expect(kind(45)).toBe("sequence"); // OUT_OF_ORDER_SEQUENCE_NUMBER
  expect(kind(59)).toBe("producer"); // UNKNOWN_PRODUCER_ID
  expect(kind(47)).toBe("producer"); // INVALID_PRODUCER_EPOCH
  expect(kind(6)).toBe("unavailable"); // NOT_LEADER_FOR_PARTITION: fresh metadata, then again
  expect(kind(19)).toBe("unavailable"); // NOT_ENOUGH_REPLICAS
  expect(kind(7)).toBe("unavailable"); // REQUEST_TIMED_OUT
  expect(errorFromCode(10).type).toBe("MESSAGE_TOO_LARGE");
});

test("a too-large refusal wrapped in a retry error is still too large, not an outage", () => {
  const wrapped = { name: "KafkaJSNumberOfRetriesExceeded", message: "retries", cause: errorFromCode(10) };
  expect(classify(wrapped).kind).toBe("too-large");
});
