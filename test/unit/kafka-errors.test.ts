// Every produce failure comes down to one kind, and the sink acts on the kind (src/kafka/errors.ts).
import { expect, test } from "bun:test";
import { classify, errorFromCode, recordRefusal } from "../../src/kafka/errors";

test("errors are classified: a topic's own, refused for good, too large, credentials, the idempotent producer's, or Kafka unavailable", () => {
  expect(classify({ name: "KafkaJSProtocolError", type: "TOPIC_AUTHORIZATION_FAILED", message: "no" })).toEqual({ kind: "refused", cause: "TOPIC_AUTHORIZATION_FAILED: no" });
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
  expect(kind(29)).toBe("refused"); // TOPIC_AUTHORIZATION_FAILED
  expect(kind(17)).toBe("refused"); // INVALID_TOPIC_EXCEPTION
  expect(kind(44)).toBe("refused"); // POLICY_VIOLATION
  expect(kind(87)).toBe("refused"); // INVALID_RECORD (a compacted topic's record without a key)
  expect(kind(32)).toBe("refused"); // INVALID_TIMESTAMP
  expect(kind(2)).toBe("unavailable"); // CORRUPT_MESSAGE: retriable, as Kafka says
  expect(kind(31)).toBe("auth"); // CLUSTER_AUTHORIZATION_FAILED: every topic, not one: retried, said once
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

test("a refusal for good wrapped in a retry error is still a refusal; record refusals are told from topic refusals", () => {
  const wrapped = { name: "KafkaJSNumberOfRetriesExceeded", message: "retries", cause: errorFromCode(87) };
  const { kind, cause } = classify(wrapped);
  expect(kind).toBe("refused");
  expect(cause).toStartWith("INVALID_RECORD: ");
  expect(recordRefusal(cause)).toBe(true);
  expect(recordRefusal(classify(errorFromCode(32)).cause)).toBe(true); // INVALID_TIMESTAMP
  expect(recordRefusal(classify(errorFromCode(29)).cause)).toBe(false); // the whole topic
  expect(recordRefusal(classify(errorFromCode(44)).cause)).toBe(false);
  // A refusal outranks the unknown-topic kind it may come with (a retry error listing both).
  expect(classify({ name: "KafkaJSAggregateError", message: "x", errors: [errorFromCode(3), errorFromCode(29)] }).kind).toBe("refused");
});
