// Reads back what reached Kafka, with a real kafkajs consumer.
import { Kafka, logLevel, type Consumer } from "kafkajs";
import { services, unique } from "./env";

export interface Received {
  value: string;
  partition: number;
  offset: string;
  headers: Record<string, string>;
  /** The record's timestamp, ms: the producer's CreateTime, or the broker's LogAppendTime when the topic uses it. */
  timestamp: number;
}

/** A client of the services' broker, or of `brokers` (comma-separated), e.g. a cluster a test started. */
export function client(brokers = services.kafka): Kafka {
  return new Kafka({ clientId: "logagent-tests", brokers: brokers.split(","), logLevel: logLevel.NOTHING });
}

/** `config`: topic settings, e.g. {"message.timestamp.type": "LogAppendTime"}. */
export async function createTopics(topics: string[], partitions = 1, config: Record<string, string> = {}, brokers?: string): Promise<void> {
  const admin = client(brokers).admin();
  await admin.connect();
  try {
    const configEntries = Object.entries(config).map(([name, value]) => ({ name, value }));
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: partitions, configEntries })), waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** Consumes `topics` from the beginning in the background; `received[topic]` grows as messages arrive. */
export class TopicReader {
  readonly received = new Map<string, Received[]>();
  private constructor(private readonly consumer: Consumer) {}

  /** Reads with isolation level read_committed (kafkajs's default); `readUncommitted` sees aborted transactions' records too. */
  static async start(topics: string[], brokers?: string, readUncommitted = false): Promise<TopicReader> {
    const consumer = client(brokers).consumer({ groupId: unique("reader"), maxWaitTimeInMs: 100, readUncommitted });
    const reader = new TopicReader(consumer);
    for (const t of topics) reader.received.set(t, []);
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    let ready!: () => void;
    const joined = new Promise<void>((r) => (ready = r));
    consumer.on(consumer.events.GROUP_JOIN, () => ready());
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        reader.received.get(topic)!.push({ value: message.value?.toString("utf8") ?? "", partition, offset: message.offset, headers, timestamp: Number(message.timestamp) });
      },
    });
    await joined;
    return reader;
  }

  values(topic: string): string[] {
    return (this.received.get(topic) ?? []).map((m) => m.value);
  }

  /** Waits until `topic` holds at least `count` messages, then a little longer so that duplicates would show. */
  async waitFor(topic: string, count: number, timeoutMs = 30_000, settleMs = 1500): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.values(topic).length < count && Date.now() < deadline) await Bun.sleep(50);
    await Bun.sleep(settleMs);
    return this.values(topic);
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
