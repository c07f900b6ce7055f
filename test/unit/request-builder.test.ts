// Building produce requests from blocks of lines: batches cut by their encoded size, a line over the
// message limit split into pieces (or truncated) that may span batches, a too-large batch rebuilt in
// halves and a too-large record cut in two, and lines counted as acknowledged only when every record
// of theirs is. Frames are read back with kafkajs's own batch decoder, and their checksums checked.
import { expect, test } from "bun:test";
import { createRequire } from "node:module";
import type { Output } from "../../src/discovery/entry-output";
import { crc32c } from "../../src/kafka/crc32c";
import { PLAIN_PRODUCER } from "../../src/kafka/record-batch";
import { type LineBatch, PendingLines, RequestBuilder } from "../../src/kafka/request-builder";
import { compileUserPattern } from "../../src/lines/user-pattern";
import type { LineBlock } from "../../src/pipeline/line-block";
import { blockOf } from "../support/lines";

const require = createRequire(import.meta.url);
const Decoder = require("kafkajs/src/protocol/decoder") as new (b: Buffer) => unknown;
const decodeBatch = require("kafkajs/src/protocol/recordBatch/v0/decoder") as (d: unknown) => Promise<{
  records: { key: Buffer | null; value: Buffer; headers: Record<string, Buffer> }[];
}>;

const output = (o: Partial<Output> = {}): Output => ({ topic: "t", acks: -1, compression: "none", partitioner: "key", key: "path", keyPattern: null, partition: -1, format: "raw", fields: {}, profile: "t", ...o });
const settings = { clientId: "test", hostname: "web-7", oversize: "split" as const, batchMaxBytes: 1 << 20 };
const prefix = new RequestBuilder(settings, () => {}).prefix({ topic: "t", partition: 0, acks: -1, timeoutMs: 30_000, transactionalId: null });
const unlimited = { maxRecords: Infinity, maxBytes: Infinity, maxValueBytes: 1_000_000 };

interface Seen {
  key: string | null;
  value: string;
  part?: string;
  offset: string;
}

/** The records of `batch`, as a consumer would see them; the frame's sizes and checksum are checked on the way. */
async function records(batch: LineBatch): Promise<Seen[]> {
  expect(batch.frame.readInt32BE(0)).toBe(batch.frame.length - 4);
  expect(batch.frame.readInt32BE(batch.batchAt - 4)).toBe(batch.batchEnd - batch.batchAt);
  expect(batch.frame.readUInt32BE(batch.batchAt + 17)).toBe(crc32c(batch.frame, batch.batchAt + 21, batch.batchEnd));
  const { records } = await decodeBatch(new Decoder(batch.frame.subarray(batch.batchAt, batch.batchEnd)));
  expect(records.length).toBe(batch.count);
  return records.map((r) => ({
    key: r.key === null ? null : r.key.toString(),
    value: r.value.toString(),
    offset: r.headers.offset!.toString(),
    ...(r.headers.part ? { part: r.headers.part.toString() } : {}),
  }));
}

function block(lines: string[], o: Partial<Output> = {}): LineBlock {
  const b = blockOf(lines, "/var/log/app.log");
  b.output = output(o);
  b.unacked = b.count;
  return b;
}

test("batches are cut by their encoded size: each within the limit, in order, the rest in the next", async () => {
  const builder = new RequestBuilder(settings, () => {});
  const lines = Array.from({ length: 100 }, (_, i) => `line ${i} `.padEnd(100, "x"));
  const pending = new PendingLines();
  pending.push(block(lines), 0, 100);
  const limits = { maxRecords: Infinity, maxBytes: 4000, maxValueBytes: 1_000_000 };
  const seen: string[] = [];
  while (pending.length > 0) {
    const batch = await builder.build(prefix, "none", pending, limits, PLAIN_PRODUCER);
    expect(batch.batchEnd - batch.batchAt).toBeLessThanOrEqual(4000);
    // Full unless it is the last: the next record (about 200 bytes) would not have fit.
    if (pending.length > 0) expect(batch.batchEnd - batch.batchAt).toBeGreaterThan(4000 - 250);
    seen.push(...(await records(batch)).map((r) => r.value));
  }
  expect(seen).toEqual(lines);
});

test("a line too long to share a batch goes alone; the batch limit counts records, too", async () => {
  const builder = new RequestBuilder(settings, () => {});
  const pending = new PendingLines();
  pending.push(block(["a", "B".repeat(5000), "c", "d", "e"]), 0, 5);
  const limits = { maxRecords: 2, maxBytes: 1000, maxValueBytes: 1_000_000 };
  const batches: string[][] = [];
  while (pending.length > 0) batches.push((await records(await builder.build(prefix, "none", pending, limits, PLAIN_PRODUCER))).map((r) => r.value.slice(0, 3)));
  expect(batches).toEqual([["a"], ["BBB"], ["c", "d"], ["e"]]);
});

test("every record carries the key, host, path and offset; a line over the message limit is split into parts that span batches", async () => {
  const oversized: number[] = [];
  const builder = new RequestBuilder(settings, (_b, line, pieces) => oversized.push(line, pieces));
  const b = block(["before", "L".repeat(2500), "after"]);
  const pending = new PendingLines();
  pending.push(b, 0, b.count);
  const limits = { maxRecords: Infinity, maxBytes: 2000, maxValueBytes: 1000 };
  const batches: LineBatch[] = [];
  while (pending.length > 0) batches.push(await builder.build(prefix, "none", pending, limits, PLAIN_PRODUCER));
  const all = (await Promise.all(batches.map(records))).flat();
  expect(all.map((r) => [r.value.length, r.part ?? null, r.offset])).toEqual([
    [6, null, "0"],
    [1000, "1/3", "7"],
    [1000, "2/3", "7"],
    [500, "3/3", "7"],
    [5, null, "2508"],
  ]);
  expect(all.every((r) => r.key === "/var/log/app.log")).toBe(true);
  expect(oversized).toEqual([1, 3]);
  expect((await Promise.all(batches.map(records))).map((rs) => rs.map((r) => r.part ?? r.value))).toEqual([["before", "1/3"], ["2/3", "3/3", "after"]]);
  // The block is acknowledged only once every record of the split line is, whatever the order.
  const done = batches.reverse().map((batch) => builder.acknowledged(batch).length);
  expect(done.slice(0, -1).every((n) => n === 0)).toBe(true);
  expect(done.at(-1)).toBe(1);
  expect(b.unacked).toBe(0);
});

test("with oversize = truncate a long line is one record, cut, without a part header", async () => {
  const builder = new RequestBuilder({ ...settings, oversize: "truncate" }, () => {});
  const b = block(["T".repeat(3000), "next"]);
  const pending = new PendingLines();
  pending.push(b, 0, 2);
  const batch = await builder.build(prefix, "none", pending, { ...unlimited, maxValueBytes: 1024 }, PLAIN_PRODUCER);
  expect((await records(batch)).map((r) => [r.value.length, r.part])).toEqual([[1024, undefined], [4, undefined]]);
  expect(builder.acknowledged(batch)).toEqual([b]);
});

test("a batch too large is rebuilt in halves holding exactly its records", async () => {
  const builder = new RequestBuilder(settings, () => {});
  const b = block(["one", "P".repeat(2500), "three", "four"]);
  const pending = new PendingLines();
  pending.push(b, 0, b.count);
  const batch = await builder.build(prefix, "none", pending, { ...unlimited, maxValueBytes: 1000 }, PLAIN_PRODUCER);
  const whole = await records(batch);
  const halves = [await builder.rebuild(prefix, "none", batch, 0, 3, PLAIN_PRODUCER), await builder.rebuild(prefix, "none", batch, 3, batch.count, PLAIN_PRODUCER)];
  expect([...(await records(halves[0]!)), ...(await records(halves[1]!))]).toEqual(whole);
  expect(builder.acknowledged(halves[1]!)).toEqual([]);
  expect(builder.acknowledged(halves[0]!)).toEqual([b]);
});

test("a record too large alone is cut in two (a piece i/n into i.1/n and i.2/n); its line waits for both", async () => {
  const builder = new RequestBuilder(settings, () => {});
  const b = block(["W".repeat(1000), "Q".repeat(2000)]);
  const pending = new PendingLines();
  pending.push(b, 0, b.count);
  const limits = { maxRecords: 1, maxBytes: Infinity, maxValueBytes: 1500 };
  const whole = await builder.build(prefix, "none", pending, limits, PLAIN_PRODUCER);
  const piece1 = await builder.build(prefix, "none", pending, limits, PLAIN_PRODUCER);
  const piece2 = await builder.build(prefix, "none", pending, limits, PLAIN_PRODUCER);
  expect((await records(piece1))[0]!.part).toBe("1/2");
  const a = await builder.halve(prefix, "none", whole, PLAIN_PRODUCER);
  expect(a.bytes).toBe(500);
  expect((await Promise.all(a.batches.map(records))).flat().map((r) => [r.value.length, r.part])).toEqual([[500, "1/2"], [500, "2/2"]]);
  const c = await builder.halve(prefix, "none", piece1, PLAIN_PRODUCER);
  expect((await Promise.all(c.batches.map(records))).flat().map((r) => [r.value, r.part])).toEqual([["Q".repeat(750), "1.1/2"], ["Q".repeat(750), "1.2/2"]]);
  // Line 0 in two halves, line 1 in three records now (1.1, 1.2, 2): the block completes with the last of the five.
  const order = [a.batches[0]!, c.batches[1]!, piece2, a.batches[1]!, c.batches[0]!];
  expect(order.map((batch) => builder.acknowledged(batch).length)).toEqual([0, 0, 0, 0, 1]);
});

test("keys: the host, a pattern's group (none when it does not match), none for round robin; JSON envelopes as values", async () => {
  const builder = new RequestBuilder(settings, () => {});
  const cases: [Partial<Output>, string[], (string | null)[]][] = [
    [{ key: "host" }, ["x"], ["web-7"]],
    [{ key: "pattern", keyPattern: compileUserPattern("user=(\\w+)") }, ["a user=ann", "no user", "user=bob"], ["ann", null, "bob"]],
    [{ partitioner: "round_robin" }, ["x"], [null]],
  ];
  for (const [o, lines, keys] of cases) {
    const pending = new PendingLines();
    pending.push(block(lines, o), 0, lines.length);
    expect((await records(await builder.build(prefix, "none", pending, unlimited, PLAIN_PRODUCER))).map((r) => r.key)).toEqual(keys);
  }
  const json = block(["hello"], { format: "json", fields: { env: "prod" } });
  json.time = Date.UTC(2026, 0, 1);
  const pending = new PendingLines();
  pending.push(json, 0, 1);
  const [r] = await records(await builder.build(prefix, "none", pending, unlimited, PLAIN_PRODUCER));
  expect(JSON.parse(r!.value)).toEqual({ message: "hello", host: "web-7", path: "/var/log/app.log", offset: 0, timestamp: "2026-01-01T00:00:00.000Z", fields: { env: "prod" } });
});

test("a batch built in a pooled buffer gives it back once recycled, and the next batch is built in it", async () => {
  const builder = new RequestBuilder(settings, () => {});
  const p = () => {
    const pending = new PendingLines();
    pending.push(block(["a", "b"]), 0, 2);
    return pending;
  };
  const first = await builder.build(prefix, "none", p(), unlimited, PLAIN_PRODUCER);
  const buffer = first.frame.buffer;
  builder.recycle(first);
  expect(first.pooled).toBeNull();
  const second = await builder.build(prefix, "none", p(), unlimited, PLAIN_PRODUCER);
  expect(second.frame.buffer).toBe(buffer);
  const third = await builder.build(prefix, "none", p(), unlimited, PLAIN_PRODUCER);
  expect(third.frame.buffer).not.toBe(buffer); // the second still holds it
});
