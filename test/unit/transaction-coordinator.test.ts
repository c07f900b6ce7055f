// exactly_once: which answers of the transaction coordinator are asked again, which mean fenced
// (the agent stops), and which end a transaction (abort, a new epoch, send again).
import { expect, test } from "bun:test";
import { errorFromCode } from "../../src/kafka/errors";
import { isFencing, ProducerFenced, retriedAnswer } from "../../src/kafka/transaction-coordinator";
import { topicRefusal } from "../../src/kafka/transaction";

test("INVALID_PRODUCER_EPOCH (47) and PRODUCER_FENCED (90, unknown to kafkajs) mean fenced, and are not retried", () => {
  for (const code of [47, 90]) {
    expect(isFencing(errorFromCode(code))).toBe(true);
    expect(retriedAnswer(errorFromCode(code))).toBe(false);
  }
  expect(isFencing(errorFromCode(91))).toBe(false); // another unknown code
  expect(isFencing(new Error("connect ECONNREFUSED"))).toBe(false);
});

test("a coordinator moving or loading, the previous transaction still completing, or no answer at all: asked again", () => {
  for (const code of [14, 15, 16, 51, 7]) expect({ code, retried: retriedAnswer(errorFromCode(code)) }).toEqual({ code, retried: true });
  expect(retriedAnswer(Object.assign(new Error("Connection error: connect ECONNREFUSED 127.0.0.1:9092"), { name: "KafkaJSConnectionError" }))).toBe(true);
});

test("what the coordinator refuses for good (an invalid transaction state, an authorization) ends the transaction instead", () => {
  for (const code of [48, 53, 49]) expect({ code, retried: retriedAnswer(errorFromCode(code)) }).toEqual({ code, retried: false });
});

test("the fencing error names the transactional id and both ways it comes about", () => {
  const e = new ProducerFenced("logagent-web-1-0a1b2c3d", "EndTxn(commit): Producer attempted an operation with an old epoch");
  expect(e.message).toContain('transactional_id "logagent-web-1-0a1b2c3d" was taken over by another producer, or its transaction expired');
  expect(e.name).toBe("ProducerFenced");
});

test("AddPartitionsToTxn answers that refuse a topic (not authorized, unknown, not attempted beside one) are the lane's wait; others are the transaction's failure", () => {
  for (const code of [29, 3, 55]) expect({ code, topic: topicRefusal(errorFromCode(code)) }).toEqual({ code, topic: true });
  for (const code of [48, 47, 15, 53]) expect({ code, topic: topicRefusal(errorFromCode(code)) }).toEqual({ code, topic: false });
  expect(topicRefusal(new Error("Connection error: connect ECONNREFUSED 127.0.0.1:9092"))).toBe(false);
});
