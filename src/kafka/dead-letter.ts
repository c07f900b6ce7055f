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
// (KafkaClient.produce) rather than the lanes. A dead-letter topic that is
// itself refused, or away, is retried for ever, as any line is: the lines
// wait, and the sink says so; nothing is dropped.
import murmur2 from "kafkajs/src/producer/partitioners/default/murmur2";
import { Backoff } from "../util/backoff";
import { deadLetterRecords, type DeadLetterRecord } from "./dead-letter-records";
import { classify, type FailureKind } from "./errors";
import type { KafkaClient } from "./kafka-client";
import type { Range } from "./request-builder";

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
  running(): boolean;
  nap(ms: number): Promise<void>;
  /** The dead-letter topic did not take a request: `topics` are the refused topics whose lines now wait. */
  deadLetterFailed(kind: FailureKind, cause: string, topics: Set<string>): void;
  /** The dead-letter topic took a request after failing. */
  deadLetterAccepted(): void;
}

export class DeadLetterSender {
  private readonly jobs: DeadLetterJob[] = [];
  private sending = false;
  /** Records of the first job already acknowledged (after a failure, the rest goes again). */
  private sent = 0;
  private records: DeadLetterRecord[] | null = null;

  constructor(
    readonly topic: string,
    private readonly hostname: string,
    private readonly owner: DeadLetterOwner,
  ) {}

  add(job: DeadLetterJob): void {
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
          while (this.sent < this.records.length) {
            const chunk = take(this.records, this.sent);
            await this.owner.client.produce(this.topic, partition, chunk);
            this.sent += chunk.length;
          }
        } catch (err) {
          const { kind, cause } = classify(err);
          failing = true;
          this.owner.deadLetterFailed(kind, cause, new Set(this.jobs.map((j) => j.topic)));
          await this.owner.client.refreshMetadata().catch(() => {});
          await this.owner.nap(backoff.delayMs());
          backoff = backoff.next();
          continue;
        }
        this.jobs.shift();
        this.records = null;
        this.sent = 0;
        backoff = backoff.reset();
        if (failing) this.owner.deadLetterAccepted();
        failing = false;
        job.done();
      }
    } finally {
      this.sending = false;
    }
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
