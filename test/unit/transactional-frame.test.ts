// exactly_once's dead letters go in the transaction as a request of our own: with headers, it must be
// byte for byte kafkajs's produce v7 request of a transactional producer.
import { expect, test } from "bun:test";
import { createRequire } from "node:module";
import { type FrameRecord, transactionalFrame } from "../../src/kafka/transactional-frame";

const require = createRequire(import.meta.url);
const produceV7 = require("kafkajs/src/protocol/requests/produce/v7/request") as (o: object) => { encode(): Promise<unknown> };
const createRequest = require("kafkajs/src/protocol/request") as (o: object) => Promise<{ buffer: Buffer }>;

test("records with headers (dead letters) in a transactional request are kafkajs's produce v7 request, byte for byte", async () => {
  const T = 1_700_000_000_123;
  const records: FrameRecord[] = [
    { key: "web-1", value: "line one", headers: { host: "web-1", "logagent.topic": "denied", "logagent.offset": "0", "logagent.error": "TOPIC_AUTHORIZATION_FAILED: no" } },
    { key: null, value: "line two", headers: { host: "web-1", "logagent.offset": "9" } },
    { key: null, value: "no headers" },
  ];
  const ours = transactionalFrame("logagent", "tx-1", "dead", 2, records, { producerId: 55n, producerEpoch: 3, baseSequence: 12, transactional: true }, T);
  ours.writeInt32BE(9, 8); // the correlation id, set when sent
  const request = produceV7({
    acks: -1,
    timeout: 30_000,
    transactionalId: "tx-1",
    producerId: "55",
    producerEpoch: 3,
    compression: 0,
    topicData: [{ topic: "dead", partitions: [{ partition: 2, firstSequence: 12, messages: records.map((r) => ({ key: r.key, value: r.value, headers: r.headers ?? {}, timestamp: T })) }] }],
  });
  const theirs = await createRequest({ correlationId: 9, clientId: "logagent", request });
  expect(Buffer.compare(ours, theirs.buffer)).toBe(0);
});
