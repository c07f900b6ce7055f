// The agent writes produce requests itself; they must be exactly what kafkajs's own encoder writes
// for the same records (kafkajs's bytes are known good against every broker since 0.11), and the
// checksum must be CRC-32C's.
import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { COMPRESSIONS, compress, registerCodecs } from "../../src/kafka/codecs";
import { crc32c } from "../../src/kafka/crc32c";
import { finishFrame, framePrefix, type ProduceTarget } from "../../src/kafka/produce-request";
import { BatchBuilder, type BatchIdentity, encodeHeaders, PLAIN_PRODUCER, restamp, sealCompressed, varintBytes } from "../../src/kafka/record-batch";

const require = createRequire(import.meta.url);
const kafkajsCrc = require("kafkajs/src/protocol/recordBatch/crc32C") as (b: Buffer) => number;
const kafkajsRecord = require("kafkajs/src/protocol/recordBatch/record/v0") as (r: object) => unknown;
const { RecordBatch } = require("kafkajs/src/protocol/recordBatch/v0") as { RecordBatch: (o: object) => Promise<{ buffer: Buffer }> };
const produceV7 = require("kafkajs/src/protocol/requests/produce/v7/request") as (o: object) => { encode(): Promise<unknown> };
const createRequest = require("kafkajs/src/protocol/request") as (o: object) => Promise<{ buffer: Buffer }>;
const { Types } = require("kafkajs/src/protocol/message/compression") as { Types: Record<string, number> };
const KAFKAJS_CODEC: Record<string, number> = { none: Types.None!, gzip: Types.GZIP!, snappy: Types.Snappy!, lz4: Types.LZ4!, zstd: Types.ZSTD! };
registerCodecs();

describe("CRC-32C", () => {
  test("known answers: '123456789' and the iSCSI vectors of RFC 3720 B.4", () => {
    expect(crc32c(Buffer.from("123456789")).toString(16)).toBe("e3069283");
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)))).toBe(0x113fdb5c);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  test("the same as kafkajs's for every length up to 40 and any start, and on 1 MiB", () => {
    const data = randomBytes(1 << 20);
    for (let start = 0; start < 9; start++) {
      for (let len = 0; len <= 40; len++) expect(crc32c(data, start, start + len)).toBe(kafkajsCrc(data.subarray(start, start + len)));
    }
    expect(crc32c(data)).toBe(kafkajsCrc(data));
  });
});

const T = 1_767_225_600_123; // a fixed timestamp: kafkajs would otherwise take Date.now()
const HOST = "web-7";
const PATH = "/var/log/app.log";

interface Line {
  key: string | null;
  value: Buffer;
  offset: number;
  part?: string;
}

/** Our batch of `lines`, as the sink writes them (pre-encoded key and headers, the offset in place). */
function ours(lines: Line[], identity: BatchIdentity = PLAIN_PRODUCER, prefix = 0): { builder: BatchBuilder; end: number } {
  const builder = new BatchBuilder(64); // small, so that growing is exercised
  builder.begin(prefix, T);
  const headers = encodeHeaders([["host", HOST], ["path", PATH], ["offset", null]]).subarray(0, -1); // up to the offset key
  const withPart = Buffer.from(headers);
  withPart[0] = 8; // four headers
  for (const l of lines) {
    const extra = l.part === undefined ? null : encodeHeaders([["part", l.part]]).subarray(1);
    expect(builder.appendLine(varintBytes(l.key), l.value, 0, l.value.length, l.part === undefined ? headers : withPart, l.offset, extra, Infinity)).toBe(true);
  }
  return { builder, end: builder.seal(identity) };
}

function kafkajsMessage(l: Line) {
  const headers: Record<string, string> = { host: HOST, path: PATH, offset: String(l.offset) };
  if (l.part !== undefined) headers.part = l.part;
  return { key: l.key, value: l.value, headers, timestamp: T };
}

async function theirs(lines: Line[], codec = "none", identity: BatchIdentity = PLAIN_PRODUCER): Promise<Buffer> {
  const records = lines.map((l, i) => kafkajsRecord({ ...kafkajsMessage(l), offsetDelta: i, timestampDelta: 0 }));
  const batch = await RecordBatch({
    compression: KAFKAJS_CODEC[codec],
    records,
    firstTimestamp: T,
    maxTimestamp: T,
    producerId: identity.producerId.toString(),
    producerEpoch: identity.producerEpoch,
    firstSequence: identity.baseSequence,
    transactional: identity.transactional,
    lastOffsetDelta: records.length - 1,
  });
  return batch.buffer;
}

const numbered = (n: number, bytes = 100): Line[] =>
  Array.from({ length: n }, (_, i) => ({ key: PATH, value: Buffer.from(`line ${i} `.padEnd(bytes, "x")), offset: i * (bytes + 1) }));

const CASES: [string, Line[]][] = [
  ["one plain line, no key", [{ key: null, value: Buffer.from("hello"), offset: 0 }]],
  ["an empty line", [{ key: null, value: Buffer.alloc(0), offset: 7 }]],
  ["keyed lines", numbered(3)],
  ["200 lines (offset deltas past one varint byte)", numbered(200)],
  ["offsets of every digit count", [0, 9, 10, 99, 100, 12345, 2 ** 31, 2 ** 40 + 5, Number.MAX_SAFE_INTEGER].map((offset) => ({ key: "k", value: Buffer.from("v"), offset }))],
  ["a long value (three-byte varint)", [{ key: PATH, value: Buffer.alloc(300_000, 0x61), offset: 5 }]],
  ["a value with every byte and UTF-8", [{ key: "ünï", value: Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from("✓ näive")]), offset: 1 }]],
  ["split pieces with a part header", [{ key: PATH, value: Buffer.from("aaa"), offset: 10, part: "1/2" }, { key: PATH, value: Buffer.from("bb"), offset: 10, part: "2/2" }]],
];

describe("a record batch is byte for byte kafkajs's", () => {
  for (const [name, lines] of CASES) {
    test(name, async () => {
      const { builder, end } = ours(lines);
      expect(Buffer.compare(builder.buf.subarray(0, end), await theirs(lines))).toBe(0);
    });
  }

  test("records of any shape (appendRecord): null key and value, a repeated header key, a timestamp delta", async () => {
    const builder = new BatchBuilder(16);
    builder.begin(0, T);
    builder.appendRecord(null, null, encodeHeaders([]));
    builder.appendRecord("k", Buffer.from("v"), encodeHeaders([["a", "1"], ["a", "2"], ["b", "x"]]), 5);
    const end = builder.seal(PLAIN_PRODUCER);
    const records = [
      kafkajsRecord({ key: null, value: null, offsetDelta: 0, timestampDelta: 0 }),
      kafkajsRecord({ key: "k", value: Buffer.from("v"), headers: { a: ["1", "2"], b: "x" }, offsetDelta: 1, timestampDelta: 5 }),
    ];
    const kj = await RecordBatch({ records, firstTimestamp: T, maxTimestamp: T, lastOffsetDelta: 1 });
    expect(Buffer.compare(builder.buf.subarray(0, end), kj.buffer)).toBe(0);
  });

  test("the producer id, epoch, base sequence and transactional flag are the batch's parameters", async () => {
    const lines = numbered(5);
    const idempotent: BatchIdentity = { producerId: 4242n, producerEpoch: 3, baseSequence: 1000, transactional: false };
    const transactional: BatchIdentity = { producerId: 2n ** 40n + 1n, producerEpoch: 7, baseSequence: 2 ** 31 - 5, transactional: true };
    for (const identity of [idempotent, transactional]) {
      const { builder, end } = ours(lines, identity);
      expect(Buffer.compare(builder.buf.subarray(0, end), await theirs(lines, "none", identity))).toBe(0);
    }
  });

  test("restamping a sealed batch gives what sealing with the new identity gives", () => {
    const lines = numbered(20);
    const later: BatchIdentity = { producerId: 99n, producerEpoch: 1, baseSequence: 40, transactional: true };
    const { builder, end } = ours(lines);
    const stamped = Buffer.from(builder.buf.subarray(0, end));
    restamp(stamped, 0, end, later);
    const fresh = ours(lines, later);
    expect(Buffer.compare(stamped, fresh.builder.buf.subarray(0, fresh.end))).toBe(0);
  });

  for (const codec of COMPRESSIONS.filter((c) => c !== "none")) {
    test(`compressed with ${codec}`, async () => {
      const lines = numbered(300, 120);
      const { builder } = ours(lines);
      const compressed = await compress(codec, builder.recordBytes());
      const out = Buffer.alloc(61 + compressed.length + 10);
      const end = sealCompressed(out, 5, codec, compressed, builder.count, builder.stamp, PLAIN_PRODUCER);
      expect(Buffer.compare(out.subarray(5, end), await theirs(lines, codec))).toBe(0);
    });
  }
});

test("a produce request frame is byte for byte kafkajs's produce v7 request", async () => {
  const lines = numbered(50);
  for (const target of [
    { topic: "logs", partition: 3, acks: -1, timeoutMs: 30_000, transactionalId: null },
    { topic: "t.ü-1", partition: 0, acks: 1, timeoutMs: 5000, transactionalId: "agent-7" },
  ] satisfies ProduceTarget[]) {
    const prefix = framePrefix("logagent", target);
    // kafkajs marks a transactional producer's batches as such.
    const { builder, end } = ours(lines, { ...PLAIN_PRODUCER, transactional: target.transactionalId !== null }, prefix.length);
    prefix.copy(builder.buf, 0);
    finishFrame(builder.buf, prefix.length, end);
    builder.buf.writeInt32BE(77, 8); // the correlation id, set when sent
    const request = produceV7({
      acks: target.acks,
      timeout: target.timeoutMs,
      transactionalId: target.transactionalId,
      producerId: "-1",
      producerEpoch: 0,
      compression: Types.None,
      topicData: [{ topic: target.topic, partitions: [{ partition: target.partition, firstSequence: 0, messages: lines.map(kafkajsMessage) }] }],
    });
    const frame = await createRequest({ correlationId: 77, clientId: "logagent", request });
    expect(Buffer.compare(builder.buf.subarray(0, end), frame.buffer)).toBe(0);
  }
});

test("appendLine refuses a record that would take the batch past the limit, counting its exact size, but never the first", () => {
  const b = new BatchBuilder();
  b.begin(0, T);
  const key = varintBytes(PATH);
  const headers = encodeHeaders([["host", HOST], ["path", PATH], ["offset", null]]).subarray(0, -1);
  expect(b.appendLine(key, Buffer.alloc(5000), 0, 5000, headers, 0, null, 1000)).toBe(true); // alone, over the limit
  b.begin(0, T);
  expect(b.appendLine(key, Buffer.alloc(100), 0, 100, headers, 0, null, 10_000)).toBe(true);
  const one = b.bytes;
  // Another record of the same shape (offset delta 1, same digit count) takes the batch to exactly:
  const exact = one + (one - 61);
  expect(b.appendLine(key, Buffer.alloc(100), 0, 100, headers, 5, null, exact - 1)).toBe(false);
  expect(b.bytes).toBe(one);
  expect(b.appendLine(key, Buffer.alloc(100), 0, 100, headers, 5, null, exact)).toBe(true);
  expect(b.bytes).toBe(exact);
});
