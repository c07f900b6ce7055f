// Every compression against the real broker: what kafkajs writes with our codecs is accepted by the
// broker (which decompresses each batch to validate it), read back by a kafkajs consumer through our
// codecs, and read back by a different client, kcat (librdkafka). The other way round too: what kcat
// writes compressed, a kafkajs consumer reads through our codecs.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CompressionCodecs, Kafka, logLevel, type Producer } from "kafkajs";
import { COMPRESSIONS, compressionType, registerCodecs, type Compression } from "../../src/kafka/codecs";
import { services, unique } from "../support/env";
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

/** Sends in four batches, one of them a single short record. */
async function produce(producer: Producer, topic: string, c: Compression, values: string[]): Promise<void> {
  for (const [from, to] of [[0, 1], [1, 100], [100, 500], [500, LINES]] as const) {
    await producer.send({ topic, compression: compressionType(c), messages: values.slice(from, to).map((value) => ({ value })) });
  }
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
let producer: Producer;
let reader: TopicReader;

beforeAll(async () => {
  kcatPath();
  registerCodecs();
  countCalls();
  const all = Object.values(topics).flatMap((t) => [t.ours, t.kcat]);
  await createTopics(all);
  producer = new Kafka({ clientId: "logagent-compression-test", brokers: services.kafka.split(","), logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  reader = await TopicReader.start(all);
}, TIMEOUT);

afterAll(async () => {
  await producer?.disconnect();
  await reader?.stop();
});

describe.each(COMPRESSIONS)("%s", (c) => {
  test("kafkajs produces 1,000 lines; a kafkajs consumer and kcat (librdkafka) read them all back", async () => {
    const topic = topics[c].ours;
    const values = lines(`ours-${c}`);
    const before = callsOf(c);
    await produce(producer, topic, c, values);
    expect(await reader.waitFor(topic, LINES, 30_000, 500)).toEqual(values);
    if (c !== "none") {
      expect(callsOf(c).compress - before.compress).toBe(4);
      expect(callsOf(c).decompress - before.decompress).toBeGreaterThan(0); // the broker kept our codec
    }
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
