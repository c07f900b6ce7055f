// Sends the lines Kafka refused for good to `[kafka] dead_letter_topic`, one
// job (a refused batch, or blocks whose topic's metadata is refused) at a
// time, oldest first, and settles a job's lines only once the dead-letter
// topic acknowledged every one of them: that is when their files' positions
// may pass them. A job goes in requests of at most CHUNK_BYTES (a refused
// batch of 1 MB plus the dead-letter headers would be over the dead-letter
// topic's own size limit); after a failure only the requests not yet
// acknowledged go again.
//
// Dead letters are rare and small, so they take kafkajs's own encoder
// (KafkaClient.produce) rather than the lanes; with exactly_once they are
// written in the open transaction instead (Transaction.write), so that they are
// committed with the positions that pass their lines, or aborted with them (an
// aborted transaction drops the jobs: its lines go again from the start). A dead-letter topic that is
// itself refused, or away, is retried for ever, as any line is: the lines
// wait, their topics' entries stop reading (as for a refused topic), and it
// is said once when it starts and once when it ends; nothing is dropped.
import murmur2 from "kafkajs/src/producer/partitioners/default/murmur2";
import { Backoff } from "../util/backoff";
import { deadLetterRecords, type DeadLetterRecord } from "./dead-letter-records";
import { classify, type FailureKind } from "./errors";
import type { Logger } from "../telemetry/logger";
import type { KafkaClient } from "./kafka-client";
import type { Range } from "./request-builder";
import { type WaitingTopics, waitedSeconds } from "./waiting-topics";

/** The most bytes of values and headers in one request to the dead-letter topic (its limit is 1 MiB by default). */
const CHUNK_BYTES = 256 * 1024;

export interface DeadLetterJob {
  /** The topic that refused the lines. */
  topic: string;
  ranges: Range[];
  /** Kafka's refusal, "TYPE: message". */
  cause: string;
  /** Lines in `ranges`: what waits while the job does. */
  lines: number;
  /** Every line is in the dead-letter topic. */
  done(): void;
}

/** What the sender needs from the sink. */
export interface DeadLetterOwner {
  readonly client: KafkaClient;
  /** The topics whose lines wait, shared with the sink (`KafkaSink.waiting()`). */
  readonly waits: WaitingTopics;
  running(): boolean;
  nap(ms: number): Promise<void>;
  /** Stop or resume reading the entries of `topic`. */
  blockTopic(topic: string, blocked: boolean): void;
  /** Lines of `topic` not yet acknowledged, for the log. */
  linesFor(topic: string): number;
  /** The dead-letter topic failed for a reason that is no refusal (Kafka away): said as an outage. */
  outage(kind: FailureKind, cause: string): void;
  /**
   * exactly_once: writes dead letters in the open transaction (Transaction.write); false when they
   * may not go now. Null: they go on their own, acknowledged as they come.
   */
  readonly inTransaction: ((topic: string, partition: number, records: DeadLetterRecord[], forTopic: string) => Promise<boolean>) | null;
}

export class DeadLetterSender {
  /** Lines (records, for split lines) the dead-letter topic acknowledged so far. */
  delivered = 0;
  private readonly jobs: DeadLetterJob[] = [];
  private sending = false;
  /** Records of the first job already acknowledged (after a failure, the rest goes again). */
  private sent = 0;
  private records: DeadLetterRecord[] | null = null;
  /** Refused topics whose dead letters have been said (once per topic). */
  private readonly said = new Set<string>();
  /** Topics whose lines wait because the dead-letter topic refuses them too. */
  private readonly blocked = new Set<string>();

  constructor(
    readonly topic: string,
    private readonly hostname: string,
    private readonly owner: DeadLetterOwner,
    private readonly log: Logger,
  ) {}

  add(job: DeadLetterJob): void {
    if (!this.said.has(job.topic)) {
      this.said.add(job.topic);
      this.log.warn("Kafka refuses records of this topic for good; they go to the dead-letter topic, and the entry goes on.", { topic: job.topic, dead_letter_topic: this.topic, cause: job.cause, lines: job.lines }, "KafkaDeadLettered");
    } else this.log.debug("Records refused for good go to the dead-letter topic.", { topic: job.topic, cause: job.cause, lines: job.lines });
    this.jobs.push(job);
    if (!this.sending) void this.drain();
  }

  /** Lines waiting for the dead-letter topic, by the topic that refused them. */
  waiting(): Map<string, number> {
    const lines = new Map<string, number>();
    for (const job of this.jobs) lines.set(job.topic, (lines.get(job.topic) ?? 0) + job.lines);
    return lines;
  }

  private async drain(): Promise<void> {
    this.sending = true;
    let backoff = new Backoff(200, 30_000);
    let failing = false;
    try {
      while (this.jobs.length > 0 && this.owner.running()) {
        const job = this.jobs[0]!;
        this.records ??= deadLetterRecords(job.ranges, job.topic, job.cause, this.hostname);
        try {
          const partitions = await this.owner.client.partitions(this.topic);
          // One file's dead letters in one partition, in order.
          const partition = partitions[(murmur2(job.ranges[0]!.block.path) & 0x7fffffff) % partitions.length]!.partitionId;
          while (this.sent < this.records.length && this.jobs[0] === job && this.owner.running()) {
            const chunk = take(this.records, this.sent);
            if (this.owner.inTransaction) {
              // Not now (a commit is deciding): asked again a moment later.
              if (!(await this.owner.inTransaction(this.topic, partition, chunk, job.topic))) await this.owner.nap(50);
              else if (this.jobs[0] === job) this.sent += chunk.length;
            } else {
              await this.owner.client.produce(this.topic, partition, chunk);
              this.sent += chunk.length;
            }
          }
          if (this.jobs[0] !== job || this.sent < this.records.length) continue; // dropped (an aborted transaction), or stopping
        } catch (err) {
          const { kind, cause } = classify(err);
          failing = true;
          this.failed(kind, cause);
          await this.owner.client.refreshMetadata().catch(() => {});
          await this.owner.nap(backoff.delayMs());
          backoff = backoff.next();
          continue;
        }
        this.jobs.shift();
        this.records = null;
        this.sent = 0;
        backoff = backoff.reset();
        if (failing) this.accepted();
        failing = false;
        this.delivered += job.lines;
        job.done();
      }
    } finally {
      this.sending = false;
    }
  }

  /** A refusal makes the refused topics' lines wait: said once per topic, and their entries stop reading. */
  private failed(kind: FailureKind, cause: string): void {
    if (kind !== "refused" && kind !== "topic") return this.owner.outage(kind, cause);
    const now = Date.now();
    for (const topic of new Set(this.jobs.map((j) => j.topic))) {
      if (this.blocked.has(topic)) continue;
      this.blocked.add(topic);
      this.owner.waits.begin(topic, `dead-letter topic ${this.topic}: ${cause}`, now);
      this.owner.blockTopic(topic, true);
      this.log.error("The dead-letter topic refuses records too; this topic's refused lines wait, none is dropped.", { topic, dead_letter_topic: this.topic, cause, lines: this.owner.linesFor(topic) }, "KafkaDeadLetterRefused");
    }
  }

  private accepted(): void {
    for (const topic of this.blocked) {
      const wait = this.owner.waits.end(topic);
      this.owner.blockTopic(topic, false);
      this.log.info("The dead-letter topic accepts records again; this topic's refused lines go there.", { topic, dead_letter_topic: this.topic, waited_s: waitedSeconds(wait) }, "KafkaDeadLetterAccepted");
    }
    this.blocked.clear();
  }

  /** exactly_once: the transaction was aborted; its lines, these jobs' included, are sent again from the start. */
  dropAll(): void {
    this.jobs.length = 0;
    this.records = null;
    this.sent = 0;
  }

  /** `topic`'s lines wait for the dead-letter topic (not for their own). */
  waitsFor(topic: string): boolean {
    return this.blocked.has(topic);
  }
}

/** Records from `from` on, up to CHUNK_BYTES (at least one). */
function take(records: DeadLetterRecord[], from: number): DeadLetterRecord[] {
  let bytes = 0;
  let to = from;
  while (to < records.length && (to === from || bytes + size(records[to]!) <= CHUNK_BYTES)) bytes += size(records[to++]!);
  return records.slice(from, to);
}

function size(r: DeadLetterRecord): number {
  let n = r.value.length + (r.key?.length ?? 0);
  for (const [k, v] of Object.entries(r.headers)) n += k.length + v.length;
  return n;
}
