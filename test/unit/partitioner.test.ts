// The partition a line goes to is the one Kafka's default partitioner (kafkajs's) would choose.
import { expect, test } from "bun:test";
import { Partitioners } from "kafkajs";
import type { Output } from "../../src/discovery/entry-output";
import type { LineRecord } from "../../src/pipeline/line-queue";
import { Partitioner } from "../../src/kafka/partitioner";
import { compileUserPattern } from "../../src/lines/user-pattern";

const output = (o: Partial<Output>): Output => ({ topic: "t", acks: -1, compression: "none", partitioner: "key", key: "path", keyPattern: null, partition: -1, format: "raw", fields: {}, profile: "t", ...o });
const line = (path: string, value = "x"): LineRecord => ({ output: null as never, value: Buffer.from(value), path, start: 0, end: 1, tracker: null as never, ticket: 0, time: 0 });
const partitions = Array.from({ length: 7 }, (_, i) => ({ partitionId: i, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));

test("a keyed line goes where kafkajs's default partitioner sends its key (path, host, pattern)", () => {
  const ours = new Partitioner("web-7");
  const theirs = Partitioners.DefaultPartitioner();
  const pick = (key: string) => theirs({ topic: "t", partitionMetadata: partitions, message: { key, value: "x" } });
  for (const path of ["/var/log/app.log", "/a", "", "/ünï/✓.log", "/var/log/app.log"]) expect(ours.choose(output({}), line(path), partitions)).toBe(pick(path));
  expect(ours.choose(output({ key: "host" }), line("/a"), partitions)).toBe(pick("web-7"));
  const users = output({ key: "pattern", keyPattern: compileUserPattern("user=(\\w+)") });
  expect(ours.choose(users, line("/a", "GET / user=ann"), partitions)).toBe(pick("ann"));
  expect(ours.choose(users, line("/a", "GET / user=bob"), partitions)).toBe(pick("bob"));
});

test("an explicit partition is taken as given", () => {
  expect(new Partitioner("h").choose(output({ partitioner: "partition", partition: 5 }), line("/a"), partitions)).toBe(5);
});

test("round robin (and a pattern key that does not match) cycles over the partitions that have a leader", () => {
  const p = new Partitioner("h");
  const some = [{ partitionId: 0, leader: 1 }, { partitionId: 1, leader: -1 }, { partitionId: 2, leader: 2 }];
  const seen = Array.from({ length: 6 }, () => p.choose(output({ partitioner: "round_robin" }), line("/a"), some));
  expect(new Set(seen)).toEqual(new Set([0, 2]));
  expect(seen[0]).not.toBe(seen[1]);
  const unmatched = output({ key: "pattern", keyPattern: compileUserPattern("user=(\\w+)") });
  expect(new Set(Array.from({ length: 14 }, () => p.choose(unmatched, line("/a", "no user"), partitions))).size).toBe(7);
});
