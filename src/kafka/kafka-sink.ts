// Takes batches of lines from the queue and produces them to Kafka.
//
// Lines are grouped by profile (topic, acks, compression) and each profile has
// its own lane: one request at a time, in read order, so per-file order holds,
// while lanes run side by side, so a topic Kafka refuses does not hold up the
// others. A request is retried until Kafka acknowledges it, however long that
// takes: dropping by time is how peers lose data. Only then are its lines
// settled in the queue (freeing room for tailers) and their files' delivery
// trackers advanced, which is what makes saved positions delivery-gated.
import { CompressionTypes, Kafka, logLevel as KafkaLogLevel, type Message, type Producer, type SASLOptions } from "kafkajs";
import type { AgentConfig } from "../config/load-ini";
import type { LineQueue, LineRecord } from "../pipeline/line-queue";
import type { Logger } from "../telemetry/logger";
import { Backoff, sleep } from "../util/backoff";
import { compressionType, registerCodecs } from "./codecs";
import type { Output } from "../discovery/entry-output";
import { envelope, keyFor } from "./record-fields";
import { cachingDefaultPartitioner } from "./partitioner";

export interface SinkEvents {
  /** Kafka refuses a topic (unknown and not creatable, not authorized, ...), or accepts it again. */
  topicBlocked(topic: string, blocked: boolean): void;
}

type Failure = "topic" | "auth" | "unavailable";

/** Kafka error types that concern one topic: its entries wait while the others go on. */
const TOPIC_ERRORS = new Set([
  "UNKNOWN_TOPIC_OR_PARTITION",
  "TOPIC_AUTHORIZATION_FAILED",
  "INVALID_TOPIC_EXCEPTION",
  "MESSAGE_TOO_LARGE",
  "RECORD_LIST_TOO_LARGE",
  "INVALID_RECORD",
  "POLICY_VIOLATION",
]);
const AUTH_ERRORS = new Set(["SASL_AUTHENTICATION_FAILED", "ILLEGAL_SASL_STATE", "CLUSTER_AUTHORIZATION_FAILED", "UNSUPPORTED_SASL_MECHANISM"]);

/** The error and everything it wraps, as kafkajs nests them (cause, originalError, errors[]). */
function chain(err: unknown, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (!err || typeof err !== "object" || out.includes(err as Record<string, unknown>) || out.length > 20) return out;
  const e = err as Record<string, unknown>;
  out.push(e);
  for (const inner of [e.cause, e.originalError, ...(Array.isArray(e.errors) ? e.errors : [])]) chain(inner, out);
  return out;
}

export function classify(err: unknown): { kind: Failure; cause: string } {
  const errors = chain(err);
  for (const e of errors) {
    if (typeof e.type === "string" && TOPIC_ERRORS.has(e.type)) return { kind: "topic", cause: `${e.type}: ${e.message}` };
    if (e.name === "KafkaJSMetadataNotLoaded") return { kind: "topic", cause: `the topic has no metadata (it does not exist): ${e.message}` };
  }
  for (const e of errors) {
    if (e.name === "KafkaJSSASLAuthenticationError" || (typeof e.type === "string" && AUTH_ERRORS.has(e.type))) {
      return { kind: "auth", cause: String(e.message) };
    }
  }
  const deepest = errors[errors.length - 1] ?? {};
  return { kind: "unavailable", cause: String(deepest.message ?? err) };
}

export class KafkaSink {
  private readonly producer: Producer;
  private connecting: Promise<void> | null = null;
  private connected = false;
  private running = false;
  private loop: Promise<void> | null = null;
  private lanes = new Map<string, Promise<void>>();
  private outageSince: number | null = null;
  private authFailing = false;
  private blocked = new Set<string>();
  private wakeSleepers: (() => void)[] = [];
  /** Lines longer than max_message_bytes, split or truncated so far. */
  oversized = 0;

  constructor(
    private readonly config: AgentConfig["kafka"],
    /** Sent in every message's `host` header. */
    private readonly hostname: string,
    private readonly queue: LineQueue,
    private readonly log: Logger,
    private readonly events: SinkEvents,
  ) {
    registerCodecs();
    const kafkaLog = log.child("kafkajs");
    const { sasl, tls } = config.security;
    const kafka = new Kafka({
      clientId: config.clientId,
      brokers: config.brokers,
      connectionTimeout: 3000,
      ssl: tls ? (tls.ca || tls.cert ? { ca: tls.ca ? [tls.ca] : undefined, cert: tls.cert, key: tls.key } : true) : undefined,
      sasl: sasl ? ({ mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as SASLOptions) : undefined,
      // kafkajs retries a request a couple of times itself (metadata changes, a new topic's leader);
      // our lanes retry forever on top of that.
      retry: { initialRetryTime: 100, maxRetryTime: 2000, retries: 2 },
      logLevel: KafkaLogLevel.WARN,
      // kafkajs's own messages are detail of what the sink reports in one sentence; keep them at debug.
      logCreator: () => ({ namespace, log }) => kafkaLog.debug(log.message, { namespace, broker: log.broker, error: log.error }),
    });
    this.producer = kafka.producer({
      allowAutoTopicCreation: config.autoCreateTopics,
      idempotent: config.idempotent,
      ...(config.idempotent ? { maxInFlightRequests: 1 } : {}),
      createPartitioner: cachingDefaultPartitioner,
    });
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
    for (const wake of this.wakeSleepers.splice(0)) wake();
    const left = this.queue.pending + this.queue.unsettled;
    // A lane may be blocked in a request Kafka never answers; do not wait past the deadline for it.
    await Promise.race([Promise.all([this.loop, ...this.lanes.values()]), sleep(Math.max(0, deadline - performance.now()))]);
    if (this.connected) await this.producer.disconnect().catch(() => {});
    return left;
  }

  private async run(): Promise<void> {
    while (this.running) {
      await Promise.race([this.queue.whenItems(), this.nap(60_000)]);
      if (!this.running) break;
      if (this.queue.pending === 0) continue;
      if (this.config.lingerMs > 0 && this.queue.pending < this.config.batchMaxMessages) await sleep(this.config.lingerMs);
      const batch = this.queue.take(this.config.batchMaxMessages, this.config.batchMaxBytes);
      const groups = new Map<string, LineRecord[]>();
      for (const r of batch) {
        let g = groups.get(r.output.profile);
        if (!g) groups.set(r.output.profile, (g = []));
        g.push(r);
      }
      for (const [profile, records] of groups) {
        const previous = this.lanes.get(profile) ?? Promise.resolve();
        const next = previous.then(() => this.deliver(records));
        this.lanes.set(profile, next);
        void next.then(() => {
          if (this.lanes.get(profile) === next) this.lanes.delete(profile);
        });
      }
    }
  }

  /** Sends one group until Kafka acknowledges it, then settles its lines. */
  private async deliver(records: LineRecord[]): Promise<void> {
    const output = records[0]!.output;
    const messages = this.toMessages(records);
    let backoff = new Backoff(200, 10_000);
    while (this.running) {
      try {
        await this.connect();
        await this.producer.send({
          topic: output.topic,
          messages,
          acks: output.acks,
          compression: compressionType(output.compression) as CompressionTypes,
          timeout: 30_000,
        });
        this.recovered(output.topic);
        for (const r of records) r.tracker.settle(r.ticket);
        this.queue.settle(records);
        return;
      } catch (err) {
        await this.failed(err, output, records.length);
        const delay = backoff.delayMs();
        backoff = backoff.next();
        await this.nap(delay);
      }
    }
  }

  private async connect(): Promise<void> {
    if (this.connected) return;
    this.connecting ??= this.producer.connect().then(
      () => {
        this.connected = true;
        this.connecting = null;
      },
      (err) => {
        this.connecting = null;
        throw err;
      },
    );
    await this.connecting;
  }

  private async failed(err: unknown, output: Output, lines: number): Promise<void> {
    const { kind, cause } = classify(err);
    if (kind === "topic") {
      if (!this.blocked.has(output.topic)) {
        this.blocked.add(output.topic);
        this.log.error("Kafka refuses this topic; its entries wait and retry, the others go on.", { topic: output.topic, cause, lines }, "KafkaTopicRefused");
        this.events.topicBlocked(output.topic, true);
      }
      return;
    }
    if (kind === "auth") {
      if (!this.authFailing) this.log.error("Kafka rejected the agent's credentials; retrying. Check sasl_username and sasl_password.", { brokers: this.config.brokers.join(","), cause }, "KafkaCredentialsRejected");
      this.authFailing = true;
    } else if (this.outageSince === null) {
      // Said once per outage, not once per retry.
      this.log.warn("Kafka did not accept a batch; retrying until it does. Nothing is dropped.", { brokers: this.config.brokers.join(","), topic: output.topic, lines, error: cause }, "KafkaOutageStarted");
    } else {
      this.log.debug("Kafka still not accepting; retrying.", { topic: output.topic, error: cause });
    }
    this.outageSince ??= performance.now();
    // Start the next try by connecting: while Kafka is away a connect fails cheaply, whereas a
    // request would be encoded and sent again each time.
    if (this.connected) {
      this.connected = false;
      await this.producer.disconnect().catch(() => {});
    }
  }

  private recovered(topic: string): void {
    if (this.blocked.delete(topic)) {
      this.log.info("Kafka accepts this topic again; its entries go on.", { topic }, "KafkaTopicAccepted");
      this.events.topicBlocked(topic, false);
    }
    if (this.authFailing) this.log.info("Kafka accepts the agent's credentials again.", {}, "KafkaCredentialsAccepted");
    this.authFailing = false;
    if (this.outageSince === null) return;
    const seconds = ((performance.now() - this.outageSince) / 1000).toFixed(1);
    this.outageSince = null;
    this.log.info(
      "Kafka accepts batches again.",
      { outage_s: seconds, waiting_lines: this.queue.pending + this.queue.unsettled, waiting_bytes: this.queue.bytes },
      "KafkaOutageEnded",
    );
  }

  /**
   * One message per line (more for a line over max_message_bytes with oversize = split). Headers let
   * a consumer drop duplicates and spot gaps: `host`, `path` (the entry's path) and `offset` (where
   * the line starts in its file); a split line's pieces also carry `part` ("1/3", ...).
   */
  private toMessages(records: LineRecord[]): Message[] {
    const { maxMessageBytes, oversize } = this.config;
    const messages: Message[] = [];
    for (const r of records) {
      const { output } = r;
      const path = r.path;
      const headers = { host: this.hostname, path, offset: String(r.start) };
      const key = keyFor(output, r.value, path, this.hostname);
      const base = { ...(key !== null ? { key } : {}), ...(output.partitioner === "partition" ? { partition: output.partition } : {}) };
      // The JSON envelope adds its own bytes around the line: leave room for them.
      const limit = output.format === "json" ? Math.max(1024, maxMessageBytes - 4096) : maxMessageBytes;
      let pieces: Uint8Array[] = [r.value];
      if (r.value.length > limit) {
        this.oversized++;
        pieces = oversize === "truncate" ? [r.value.subarray(0, limit)] : [];
        if (oversize === "split") for (let i = 0; i < r.value.length; i += limit) pieces.push(r.value.subarray(i, i + limit));
        this.log.warn(`Line longer than max_message_bytes was ${oversize === "split" ? `split into ${pieces.length} messages` : "truncated"}.`, {
          path,
          offset: r.start,
          bytes: r.value.length,
          max_message_bytes: maxMessageBytes,
          oversized_lines: this.oversized,
        });
      }
      pieces.forEach((piece, i) => {
        const value = output.format === "json" ? envelope(output, piece, { host: this.hostname, path, offset: r.start, time: r.time }) : (piece as Buffer);
        messages.push({ ...base, value, headers: pieces.length > 1 ? { ...headers, part: `${i + 1}/${pieces.length}` } : headers });
      });
    }
    return messages;
  }

  /** Sleeps `ms`, or less if the sink is stopped meanwhile. */
  private nap(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakeSleepers = this.wakeSleepers.filter((w) => w !== wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakeSleepers.push(wake);
    });
  }
}
