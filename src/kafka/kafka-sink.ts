// Takes batches of lines from the queue and produces them to Kafka, one
// request per batch (grouped by topic), never one round trip per line.
//
// A batch is retried until Kafka acknowledges it, however long that takes:
// dropping by time is how peers lose data. Only after the acknowledgement are
// the lines settled in the queue (freeing room for tailers) and reported as
// delivered, which is what lets saved positions be delivery-gated.
import { Kafka, logLevel as KafkaLogLevel, Partitioners, type Message, type Producer } from "kafkajs";
import type { AgentConfig } from "../config/load-ini";
import type { LineQueue, LineRecord } from "../pipeline/line-queue";
import type { Logger } from "../telemetry/logger";
import { Backoff, sleep } from "../util/backoff";

export type DeliveredHandler = (batch: LineRecord[]) => void;

export class KafkaSink {
  private readonly producer: Producer;
  private connected = false;
  private running = false;
  private loop: Promise<void> | null = null;
  private outageSince: number | null = null;
  private wakeSleep: (() => void) | null = null;

  constructor(
    private readonly config: AgentConfig["kafka"],
    /** Sent in every message's `host` header. */
    private readonly hostname: string,
    private readonly queue: LineQueue,
    private readonly log: Logger,
    private readonly onDelivered: DeliveredHandler,
  ) {
    const kafkaLog = log.child("kafkajs");
    const kafka = new Kafka({
      clientId: config.clientId,
      brokers: config.brokers,
      connectionTimeout: 3000,
      // kafkajs retries a request a few times itself; our loop retries forever on top of that.
      retry: { initialRetryTime: 100, maxRetryTime: 2000, retries: 2 },
      logLevel: KafkaLogLevel.WARN,
      // kafkajs's own messages are detail of what our sink reports in one sentence; keep them at debug.
      logCreator: () => ({ namespace, log }) => kafkaLog.debug(log.message, { namespace, broker: log.broker, error: log.error }),
    });
    this.producer = kafka.producer({ allowAutoTopicCreation: true, createPartitioner: Partitioners.DefaultPartitioner });
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /**
   * Waits until every queued line is acknowledged or `timeoutMs` passes, then stops and disconnects.
   * Returns the number of lines that were not acknowledged.
   */
  async stop(timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (this.queue.pending + this.queue.unsettled > 0 && performance.now() < deadline) await sleep(20);
    this.running = false;
    this.wakeSleep?.();
    const left = this.queue.pending + this.queue.unsettled;
    // The loop may be blocked in a send that Kafka never answers; do not wait past the deadline for it.
    await Promise.race([this.loop, sleep(Math.max(0, deadline - performance.now()))]);
    if (this.connected) await this.producer.disconnect().catch(() => {});
    return left;
  }

  private async run(): Promise<void> {
    while (this.running) {
      await Promise.race([this.queue.whenItems(), this.stopped()]);
      if (!this.running) break;
      if (this.config.lingerMs > 0 && this.queue.pending < this.config.batchMaxMessages) await sleep(this.config.lingerMs);
      const batch = this.queue.take(this.config.batchMaxMessages, this.config.batchMaxBytes);
      if (batch.length === 0) continue;
      const delivered = await this.sendUntilAcknowledged(batch);
      if (!delivered) break; // stopping; the lines stay unacknowledged and their positions do not advance
      this.queue.settle(batch);
      this.onDelivered(batch);
    }
  }

  private async sendUntilAcknowledged(batch: LineRecord[]): Promise<boolean> {
    let backoff = new Backoff(200, 10_000);
    while (this.running) {
      try {
        if (!this.connected) {
          await this.producer.connect();
          this.connected = true;
        }
        await this.producer.sendBatch({ topicMessages: toTopicMessages(batch, this.hostname), acks: this.config.acks, timeout: 30_000 });
        this.endOutage();
        return true;
      } catch (err) {
        this.beginOutage(err as Error, batch.length);
        // Start the next try by connecting: while Kafka is away a connect fails cheaply, whereas a
        // send would encode the whole batch again each time and fill memory with garbage.
        if (this.connected) {
          this.connected = false;
          await this.producer.disconnect().catch(() => {});
        }
        const delay = backoff.delayMs();
        backoff = backoff.next();
        await this.interruptibleSleep(delay);
      }
    }
    return false;
  }

  private beginOutage(err: Error & { retriable?: boolean; type?: string }, lines: number): void {
    if (this.outageSince === null) {
      this.outageSince = performance.now();
      // Said once per outage, not once per retry.
      this.log.warn("Kafka did not accept a batch; retrying until it does. Nothing is dropped.", {
        brokers: this.config.brokers.join(","),
        lines,
        error: err.message,
        type: err.type,
      });
    } else {
      this.log.debug("Kafka still not accepting; retrying.", { error: err.message });
    }
  }

  private endOutage(): void {
    if (this.outageSince === null) return;
    const seconds = ((performance.now() - this.outageSince) / 1000).toFixed(1);
    this.outageSince = null;
    this.log.info("Kafka accepts batches again.", {
      outage_s: seconds,
      waiting_lines: this.queue.pending + this.queue.unsettled,
      waiting_bytes: this.queue.bytes,
    });
  }

  private stopped(): Promise<void> {
    return new Promise((resolve) => {
      this.wakeSleep = resolve;
    });
  }

  private interruptibleSleep(ms: number): Promise<void> {
    return Promise.race([sleep(ms), this.stopped()]);
  }
}

/**
 * One message per line, grouped by topic. Headers let a consumer drop duplicates and spot gaps:
 * `host`, `path` (the collect entry's path) and `offset` (where the line starts in its file).
 */
export function toTopicMessages(batch: LineRecord[], hostname: string): { topic: string; messages: Message[] }[] {
  const byTopic = new Map<string, Message[]>();
  for (const r of batch) {
    let messages = byTopic.get(r.topic);
    if (!messages) byTopic.set(r.topic, (messages = []));
    messages.push({ value: r.value as Buffer, headers: { host: hostname, path: r.source.path, offset: String(r.start) } });
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
