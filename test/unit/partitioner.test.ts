// The partition a line goes to is the one Kafka's default partitioner (kafkajs's) would choose.
import { expect, test } from "bun:test";
import { Partitioners } from "kafkajs";
import type { Output } from "../../src/discovery/entry-output";
import { LineBlock } from "../../src/pipeline/line-block";
import { DeliveryTracker } from "../../src/pipeline/delivery-tracker";
import { Partitioner } from "../../src/kafka/partitioner";
import { compileUserPattern } from "../../src/lines/user-pattern";

const output = (o: Partial<Output>): Output => ({ topic: "t", acks: -1, compression: "none", partitioner: "key", key: "path", keyPattern: null, partition: -1, format: "raw", fields: {}, profile: "t", ...o });
/** A block of one line. */
const line = (path: string, value = "x"): LineBlock => {
  const b = new LineBlock(Buffer.from(value), path, new DeliveryTracker(0));
  b.add(0, value.length, 0);
  return b;
};
const partitions = Array.from({ length: 7 }, (_, i) => ({ partitionId: i, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));

test("a keyed line goes where kafkajs's default partitioner sends its key (path, host, pattern)", () => {
  const ours = new Partitioner("web-7");
  const theirs = Partitioners.DefaultPartitioner();
  const pick = (key: string) => theirs({ topic: "t", partitionMetadata: partitions, message: { key, value: "x" } });
  for (const path of ["/var/log/app.log", "/a", "", "/ünï/✓.log", "/var/log/app.log"]) expect(ours.choose(output({}), line(path), 0, partitions)).toBe(pick(path));
  expect(ours.choose(output({ key: "host" }), line("/a"), 0, partitions)).toBe(pick("web-7"));
  const users = output({ key: "pattern", keyPattern: compileUserPattern("user=(\\w+)") });
  expect(ours.choose(users, line("/a", "GET / user=ann"), 0, partitions)).toBe(pick("ann"));
  expect(ours.choose(users, line("/a", "GET / user=bob"), 0, partitions)).toBe(pick("bob"));
});

test("a whole block goes to one partition when the key is the path or the host, or the partition is fixed; else line by line", () => {
  const p = new Partitioner("web-7");
  const b = line("/var/log/app.log");
  expect(p.forBlock(output({}), b, partitions)).toBe(p.choose(output({}), b, 0, partitions));
  expect(p.forBlock(output({ key: "host" }), b, partitions)).toBe(p.choose(output({ key: "host" }), b, 0, partitions));
  expect(p.forBlock(output({ partitioner: "partition", partition: 3 }), b, partitions)).toBe(3);
  expect(p.forBlock(output({ partitioner: "round_robin" }), b, partitions)).toBeNull();
  expect(p.forBlock(output({ key: "pattern", keyPattern: compileUserPattern("x") }), b, partitions)).toBeNull();
});

test("an explicit partition is taken as given", () => {
  expect(new Partitioner("h").choose(output({ partitioner: "partition", partition: 5 }), line("/a"), 0, partitions)).toBe(5);
});

test("round robin (and a pattern key that does not match) cycles over the partitions that have a leader", () => {
  const p = new Partitioner("h");
  const some = [{ partitionId: 0, leader: 1 }, { partitionId: 1, leader: -1 }, { partitionId: 2, leader: 2 }];
  const seen = Array.from({ length: 6 }, () => p.choose(output({ partitioner: "round_robin" }), line("/a"), 0, some));
  expect(new Set(seen)).toEqual(new Set([0, 2]));
  expect(seen[0]).not.toBe(seen[1]);
  const unmatched = output({ key: "pattern", keyPattern: compileUserPattern("user=(\\w+)") });
  expect(new Set(Array.from({ length: 14 }, () => p.choose(unmatched, line("/a", "no user"), 0, partitions))).size).toBe(7);
});
