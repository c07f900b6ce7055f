// exactly_once's offsets topic: the produce request that writes positions in a transaction must be
// byte for byte what kafkajs's own encoder writes for a transactional producer (and carry the
// transactional flag, producer id, epoch and sequence), and a position must come back as it went.
import { expect, test } from "bun:test";
import { createRequire } from "node:module";
import type { SavedPosition } from "../../src/checkpoint/saved-position";
import { commitRecord, decodePosition, encodePosition, offsetsFrame, offsetsKey } from "../../src/kafka/offsets-topic";

const require = createRequire(import.meta.url);
const produceV7 = require("kafkajs/src/protocol/requests/produce/v7/request") as (o: object) => { encode(): Promise<unknown> };
const createRequest = require("kafkajs/src/protocol/request") as (o: object) => Promise<{ buffer: Buffer }>;
const Decoder = require("kafkajs/src/protocol/decoder") as new (b: Buffer) => unknown;
const decodeBatch = require("kafkajs/src/protocol/recordBatch/v0/decoder") as (d: unknown) => Promise<Record<string, unknown> & { records: { key: Buffer; value: Buffer | null }[] }>;

const T = 1_700_000_000_123;
const position: SavedPosition = {
  identity: { dev: 2049n, ino: 2n ** 60n + 7n },
  fingerprint: { bytes: 1024, hash: "9f86d081884c7d65" },
  offset: 123_456_789,
  path: "/var/log/app/*.log",
  file: "/var/log/app/a.log",
  seenAt: T,
};

test("a position goes into an offsets record and comes back the same, 64-bit inode included", () => {
  const back = decodePosition(encodePosition(position, "1001.3.17"));
  expect(back).toEqual({ position, commit: "1001.3.17" });
  expect(offsetsKey("web-1", "2049:7")).toBe("web-1/2049:7");
});

test("a record that is not a position (another writer's, damaged) decodes to null, not an error", () => {
  for (const v of ["", "{", "null", "[]", '{"offset":"1"}', JSON.stringify({ dev: "1", ino: "2", offset: 3, path: "p" })]) expect(decodePosition(v)).toBeNull();
});

test("the offsets request is kafkajs's produce v7 request of a transactional producer, byte for byte, and carries the transaction's flag and numbers", async () => {
  const records: [string, string | null][] = [
    ["web-1/2049:7", encodePosition(position, "c1")],
    ["web-1/2049:8", encodePosition({ ...position, offset: 0 }, "c1")],
    ["web-1/2049:9", null], // a forgotten file's tombstone
    commitRecord("web-1", "c1"),
  ];
  const identity = { producerId: 1001n, producerEpoch: 4, baseSequence: 37, transactional: true };
  const ours = offsetsFrame("logagent", "logagent-web-1-0a1b2c3d", "__logagent_offsets", 5, records, identity, T);
  ours.writeInt32BE(77, 8); // the correlation id, set when sent
  const request = produceV7({
    acks: -1,
    timeout: 30_000,
    transactionalId: "logagent-web-1-0a1b2c3d",
    producerId: "1001",
    producerEpoch: 4,
    compression: 0,
    topicData: [{ topic: "__logagent_offsets", partitions: [{ partition: 5, firstSequence: 37, messages: records.map(([key, value]) => ({ key, value, headers: {}, timestamp: T })) }] }],
  });
  const theirs = await createRequest({ correlationId: 77, clientId: "logagent", request });
  expect(Buffer.compare(ours, theirs.buffer)).toBe(0);

  // The record batch starts after the frame's header, the transactional id, acks, timeout, topic, partition and size.
  const batchAt = 4 + 2 + 2 + 4 + (2 + "logagent".length) + (2 + "logagent-web-1-0a1b2c3d".length) + 2 + 4 + 4 + (2 + "__logagent_offsets".length) + 4 + 4 + 4;
  const batch = await decodeBatch(new Decoder(ours.subarray(batchAt)));
  expect({ inTransaction: batch.inTransaction, producerId: String(batch.producerId), producerEpoch: batch.producerEpoch, firstSequence: batch.firstSequence }).toEqual({ inTransaction: true, producerId: "1001", producerEpoch: 4, firstSequence: 37 });
  expect(batch.records.map((r) => [r.key.toString(), r.value === null ? null : r.value.toString()])).toEqual(records);
});
