// Every compression against the real broker: the produce requests the agent writes itself
// (src/kafka/request-builder.ts, sent on kafkajs's connection by broker-link.ts) are accepted by the
// broker (which decompresses each batch to validate it), read back by a kafkajs consumer through our
// codecs, and read back by a different client, kcat (librdkafka). The other way round too: what kcat
// writes compressed, a kafkajs consumer reads through our codecs.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CompressionCodecs } from "kafkajs";
import type { Output } from "../../src/discovery/entry-output";
import { sendFrame } from "../../src/kafka/broker-link";
import { COMPRESSIONS, compressionType, registerCodecs, type Compression } from "../../src/kafka/codecs";
import { KafkaClient } from "../../src/kafka/kafka-client";
import { CODEC_IDS, PLAIN_PRODUCER } from "../../src/kafka/record-batch";
import { PendingLines, RequestBuilder } from "../../src/kafka/request-builder";
import { Logger } from "../../src/telemetry/logger";
import { services, unique } from "../support/env";
import { blockOf } from "../support/lines";
import { TopicReader, createTopics } from "../support/kafka";

const LINES = 1000;
const TIMEOUT = 60_000;

function kcatPath(): string {
  const kcat = Bun.which("kcat");
  if (!kcat) throw new Error("kcat (librdkafka's command-line client) is not installed: apt-get install -y kcat (scripts/test.sh installs it)");
  return kcat;
}

/** 1,000 distinct lines of 20 to ~900 bytes (about 400 KB): several LZ4 blocks and snappy chunks per batch. */
function lines(tag: string): string[] {
  return Array.from({ length: LINES }, (_, i) => `${tag} ${i} ünïcode ✓ ` + `level=INFO req=${(i * 7919) % 100003} `.repeat(i % 25));
}

/** Sends as the agent does, in four batches, one of them a single short record; returns the codec each batch says it holds. */
async function produce(topic: string, c: Compression, values: string[]): Promise<number[]> {
  const output = { topic, acks: -1, compression: c, partitioner: "partition", partition: 0, key: "path", keyPattern: null, format: "raw", fields: {}, profile: topic } satisfies Output;
  const prefix = builder.prefix({ topic, partition: 0, acks: -1, timeoutMs: 30_000, transactionalId: null });
  const codecs: number[] = [];
  for (const [from, to] of [[0, 1], [1, 100], [100, 500], [500, LINES]] as const) {
    const pending = new PendingLines();
    const block = blockOf(values.slice(from, to), "/var/log/x.log");
    block.output = output;
    pending.push(block, 0, block.count);
    const batch = await builder.build(prefix, c, pending, { maxRecords: Infinity, maxBytes: Infinity, maxValueBytes: 1_000_000 }, PLAIN_PRODUCER);
    expect(batch.count).toBe(to - from);
    codecs.push(batch.frame.readInt16BE(batch.batchAt + 21) & 7);
    const connection = await client.leaderConnection(topic, 0);
    if (!connection.isAuthenticated()) await connection.authenticate();
    const response = await sendFrame(connection, batch.frame, true, 30_000);
    expect(response?.partitions).toEqual([expect.objectContaining({ topic, partition: 0, errorCode: 0 })]);
  }
  return codecs;
}

async function kcat(args: string[], stdin?: string): Promise<string> {
  const proc = Bun.spawn([kcatPath(), "-b", services.kafka, ...args], { stdin: stdin === undefined ? "ignore" : Buffer.from(stdin), stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`kcat ${args.join(" ")} exited ${code}: ${err}`);
  return out;
}

/** Counts calls into the registered codecs, to show that batches really went through them. */
const calls = new Map<number, { compress: number; decompress: number }>();
function countCalls(): void {
  for (const c of COMPRESSIONS.filter((c) => c !== "none")) {
    const type = compressionType(c);
    const codecs = CompressionCodecs as Record<number, () => { compress(e: unknown): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> }>;
    const inner = codecs[type]!();
    const n = { compress: 0, decompress: 0 };
    calls.set(type, n);
    const counted = {
      compress: (e: unknown) => (n.compress++, inner.compress(e)),
      decompress: (b: Buffer) => (n.decompress++, inner.decompress(b)),
    };
    codecs[type] = () => counted;
  }
}
const callsOf = (c: Compression) => ({ ...(calls.get(compressionType(c)) ?? { compress: 0, decompress: 0 }) });

const topics = Object.fromEntries(COMPRESSIONS.map((c) => [c, { ours: unique(`compression-${c}`), kcat: unique(`compression-kcat-${c}`) }])) as Record<Compression, { ours: string; kcat: string }>;
const client = new KafkaClient({ brokers: services.kafka.split(","), clientId: "logagent-compression-test", autoCreateTopics: false, security: { sasl: null, tls: null } }, new Logger("test"));
const builder = new RequestBuilder({ clientId: "logagent-compression-test", hostname: "test-host", oversize: "split", batchMaxBytes: 1_000_000 }, () => {});
let reader: TopicReader;

beforeAll(async () => {
  kcatPath();
  registerCodecs();
  countCalls();
  const all = Object.values(topics).flatMap((t) => [t.ours, t.kcat]);
  await createTopics(all);
  await client.connect();
  reader = await TopicReader.start(all);
}, TIMEOUT);

afterAll(async () => {
  await client.disconnect();
  await reader?.stop();
});

describe.each(COMPRESSIONS)("%s", (c) => {
  test("the agent's encoder produces 1,000 lines; a kafkajs consumer and kcat (librdkafka) read them all back", async () => {
    const topic = topics[c].ours;
    const values = lines(`ours-${c}`);
    const before = callsOf(c);
    expect(await produce(topic, c, values)).toEqual([CODEC_IDS[c], CODEC_IDS[c], CODEC_IDS[c], CODEC_IDS[c]]);
    expect(await reader.waitFor(topic, LINES, 30_000, 500)).toEqual(values);
    if (c !== "none") expect(callsOf(c).decompress - before.decompress).toBeGreaterThan(0); // the broker kept our codec
    const viaKcat = await kcat(["-C", "-t", topic, "-e", "-q"]);
    expect(viaKcat.split("\n").slice(0, -1)).toEqual(values);
  }, TIMEOUT);

  test("kcat (librdkafka) produces 1,000 lines; a kafkajs consumer reads them through our codec", async () => {
    const topic = topics[c].kcat;
    const values = lines(`kcat-${c}`);
    const before = callsOf(c);
    await kcat(["-P", "-t", topic, "-z", c, "-X", "linger.ms=50"], values.join("\n") + "\n");
    expect(await reader.waitFor(topic, LINES, 30_000, 500)).toEqual(values);
    if (c !== "none") expect(callsOf(c).decompress - before.decompress).toBeGreaterThan(0);
  }, TIMEOUT);
});
