// The benchmark's own Kafka client (kafkajs): fresh topics for every run, their end offsets (the clock
// of a throughput run), consumers for the latency run.
import { Kafka, logLevel, type Admin, type Consumer, type ConsumerConfig } from "kafkajs";
import { BROKER } from "./settings";
import { say, sleep } from "./shell";

// kafkajs schedules some timers with a negative delay, and Bun prints a warning for each; clamp them to 0.
const setTimeoutOriginal = globalThis.setTimeout;
globalThis.setTimeout = Object.assign(
  (fn: (...a: unknown[]) => void, ms?: number, ...rest: unknown[]) => setTimeoutOriginal(fn, Math.max(0, ms ?? 0), ...rest),
  setTimeoutOriginal,
) as typeof setTimeout;

const kafka = new Kafka({ clientId: "logagent-bench", brokers: [BROKER], logLevel: logLevel.NOTHING, retry: { retries: 5 } });
let admin: Admin | null = null;
let topicCounter = 0;

/** A topic name of its own for each run, numbered in the order of the run. */
export const topicName = (label: string) => `bench-${++topicCounter}-${label.replace(/[^a-zA-Z0-9]+/g, "-")}`;

/**
 * Retries `fn` for about 10 s. A topic deleted by the previous run can still be listed, with an error,
 * in the broker's metadata for a while ("This server does not host this topic-partition"), and kafkajs
 * fails the whole metadata request on it; on a busy machine the deletion takes seconds.
 */
async function retrying<T>(what: string, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= 10) throw e;
      say(`${what} failed (${(e as Error).message}); trying again in 1 s`);
      await sleep(1_000);
    }
  }
}

/**
 * A fresh admin client for each run. kafkajs's admin refreshes metadata for every topic it has ever
 * been asked about; one deleted since then fails every later refresh, which once broke the run after
 * a topic deletion.
 */
export async function freshAdmin(): Promise<void> {
  await closeAdmin();
  await retrying("connecting the Kafka admin client", async () => {
    admin = kafka.admin();
    await admin.connect();
  });
}

export async function closeAdmin(): Promise<void> {
  await admin?.disconnect().catch(() => {});
  admin = null;
}

function connected(): Admin {
  if (!admin) throw new Error("bench: Kafka admin used before freshAdmin()");
  return admin;
}

export async function createTopic(topic: string, configEntries: { name: string; value: string }[] = []): Promise<void> {
  await retrying(`creating topic ${topic}`, () => connected().createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1, configEntries }], waitForLeaders: true, timeout: 20_000 }));
}

export async function endOffset(topic: string): Promise<number> {
  const parts = await connected().fetchTopicOffsets(topic);
  return parts.reduce((sum, p) => sum + Number(p.high), 0);
}

/** Frees the disk the topic took; a failure only costs disk space, so it is reported and the run goes on. */
export async function deleteTopic(topic: string): Promise<void> {
  await connected().deleteTopics({ topics: [topic], timeout: 20_000 }).catch((e) => say(`could not delete topic ${topic}: ${(e as Error).message}`));
}

export const consumer = (config: ConsumerConfig): Consumer => kafka.consumer(config);
