// The modules scripts/build.ts swaps into kafkajs must give exactly what kafkajs's own give.
import { expect, test } from "bun:test";
import { createRequire } from "node:module";
import { encodeRecord, type RecordInput } from "../../src/kafka/record-encoder";

const require = createRequire(import.meta.url);
const kafkajsRecord = require("kafkajs/src/protocol/recordBatch/record/v0") as (r: RecordInput) => { buffer: Buffer };

const cases: [string, RecordInput][] = [
  ["a plain line", { value: Buffer.from("hello world") }],
  ["an empty line", { value: Buffer.alloc(0) }],
  ["a null value and key", { key: null, value: null }],
  ["a string key and value", { key: "host-1", value: "näive ünïcode ✓" }],
  ["our headers", { value: Buffer.from("x"), headers: { host: "vm", path: "/var/log/app.log", offset: "1234567890123" }, offsetDelta: 1999, timestampDelta: 5 }],
  ["a header with several values", { value: Buffer.from("x"), headers: { tag: ["a", "bb"], empty: "" } }],
  ["a long value (multi-byte varint)", { value: Buffer.alloc(300_000, 0x61), offsetDelta: 70_000 }],
  ["negative and large timestamp deltas", { value: Buffer.from("t"), timestampDelta: -1 }],
  ["a timestamp delta past 2^32", { value: Buffer.from("t"), timestampDelta: 2 ** 40 + 3 }],
];

for (const [name, input] of cases) {
  test(`same bytes as kafkajs: ${name}`, () => {
    expect(Buffer.compare(encodeRecord(input).buffer, kafkajsRecord(input).buffer)).toBe(0);
  });
}

test("the result passes kafkajs's encoder check (a Buffer in `buf`)", () => {
  const r = encodeRecord({ value: Buffer.from("x") });
  expect(Buffer.isBuffer(r.buf)).toBe(true);
  expect(r.buffer.length).toBe(r.buf.length);
});

test("grouping by partition gives kafkajs's result: same partitions, same order, partitioner called in order", () => {
  const { groupMessagesPerPartition } = require("../../src/kafka/group-by-partition");
  const kafkajsGroup = require("kafkajs/src/producer/groupMessagesPerPartition");
  const messages = Array.from({ length: 50 }, (_, i) => ({ value: `m${i}` }));
  const partitionMetadata = [{ partitionId: 0 }, { partitionId: 1 }, { partitionId: 2 }];
  const calls: string[][] = [[], []];
  const partitioner = (k: number) => ({ message }: { message: { value: string } }) => {
    calls[k]!.push(message.value);
    return Number(message.value.slice(1)) % 3;
  };
  const ours = groupMessagesPerPartition({ topic: "t", partitionMetadata, messages, partitioner: partitioner(0) });
  const theirs = kafkajsGroup({ topic: "t", partitionMetadata, messages, partitioner: partitioner(1) });
  expect(ours).toEqual(theirs);
  expect(calls[0]).toEqual(calls[1]!);
  expect(groupMessagesPerPartition({ topic: "t", partitionMetadata: [], messages, partitioner: partitioner(0) })).toEqual({});
});

test("the caching partitioner chooses exactly what kafkajs's default partitioner chooses", () => {
  const { cachingDefaultPartitioner } = require("../../src/kafka/partitioner");
  const { Partitioners } = require("kafkajs");
  const ours = cachingDefaultPartitioner();
  const theirs = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: 7 }, (_, i) => ({ partitionId: i, leader: 1 }));
  const keys = ["/var/log/app.log", "web-7", "ann", "bob", "", "ünï", "/var/log/app.log"];
  for (const key of keys) {
    const message = { key, value: "x" };
    expect(ours({ topic: "t", partitionMetadata, message })).toBe(theirs({ topic: "t", partitionMetadata, message }));
  }
  expect(ours({ topic: "t", partitionMetadata, message: { partition: 5, key: "k", value: "x" } })).toBe(5);
  const roundRobin = new Set(Array.from({ length: 14 }, () => ours({ topic: "t", partitionMetadata, message: { value: "x" } })));
  expect(roundRobin.size).toBe(7);
});
