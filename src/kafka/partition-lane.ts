// One partition of one output profile (topic, acks, compression): its lines
// waiting for a batch, its batches on the wire (in-flight-window.ts decides
// which may go), and what happens when one fails. Several batches are on the
// wire at once, so encoding the next overlaps the broker appending the last;
// answers settle lines as they come (the delivery tracker only moves a file's
// position over an unbroken run of acknowledged lines, whatever the order).
//
// A failure stops the partition's sends until every batch on the wire is
// answered; then, after a backoff, the lane acts on the failure's kind
// (errors.ts): a batch too large is built again in halves, a record too large
// alone is cut smaller; a lost producer id is renewed and the batches numbered
// again; and the failed batches go again, oldest first, on a fresh connection
// to the partition's leader (metadata fetched again). It never gives up: a
// line waits as long as Kafka does. The one exception is a batch Kafka refuses
// for good (errors.ts, `refused`) when there is a dead-letter topic: it is
// taken out of the window (the later ones numbered again) and handed to the
// sink for the dead-letter topic, at once rather than after a backoff; a batch
// refused for one of its records is first halved until that record is alone.
import type { Compression } from "../discovery/entry-output";
import type { LineBlock } from "../pipeline/line-block";
import { type KafkaMeter, kafkaMeter } from "../telemetry/agent-metrics";
import { Backoff } from "../util/backoff";
import { type KafkaConnection, sendFrame } from "./broker-link";
import { classify, DUPLICATE_SEQUENCE_NUMBER, errorFromCode, type FailureKind, recordRefusal } from "./errors";
import { InFlightWindow } from "./in-flight-window";
import { topicRefusal } from "./transaction";
import type { KafkaClient } from "./kafka-client";
import type { ProduceResponse } from "./produce-request";
import { type BatchIdentity, restamp } from "./record-batch";
import { type LineBatch, PendingLines, type RequestBuilder } from "./request-builder";

export interface LaneSettings {
  maxInFlight: number;
  batchMaxMessages: number;
  batchMaxBytes: number;
  lingerMs: number;
  maxMessageBytes: number;
  /** How long the broker may wait for replicas before it answers (acks = all). */
  requestTimeoutMs: number;
  /** Number batches for the idempotent producer. */
  sequenced: boolean;
  /** A transactional producer's id, written in every request; null for none. */
  transactionalId: string | null;
}

/** Who batches are from now: the producer id and epoch (or none), and a version that changes when they do. */
export interface ProducerStamp {
  identity: Omit<BatchIdentity, "baseSequence">;
  version: number;
}

/** What a lane needs from the sink that owns it. */
export interface LaneOwner {
  readonly client: KafkaClient;
  readonly builder: RequestBuilder;
  readonly settings: LaneSettings;
  /** A dead-letter topic is configured: batches refused for good go there (`deadLetter`) instead of waiting. */
  readonly deadLetters: boolean;
  running(): boolean;
  producer(): ProducerStamp;
  /** The producer id is no longer good (the broker lost it, or a gap in sequences): get a new one. */
  renewProducer(seen: number): Promise<void>;
  /** Kafka acknowledged every line of these blocks. */
  delivered(blocks: LineBlock[]): void;
  /**
   * A batch failed (or the leader could not be reached); said once per outage or per topic. `lines`:
   * in the failed batch; `onWire`: batches of the partition on the wire when it failed, itself included.
   */
  failed(lane: PartitionLane, kind: FailureKind, cause: string, lines: number, onWire: number): void;
  /** A batch of this lane was acknowledged. */
  succeeded(lane: PartitionLane): void;
  /** Kafka refused `batch` for good (`cause`); it is no longer the lane's: send it to the dead-letter topic. */
  deadLetter(lane: PartitionLane, batch: LineBatch, cause: string): void;
  /** A batch or a record was too large for the broker and was made smaller. */
  shrank(lane: PartitionLane, what: { batchBytes?: number; recordBytes?: number; block?: LineBlock; line?: number; truncated?: boolean }): void;
  /** Metadata was fetched again: the topic's partitions may have changed. */
  metadataChanged(topic: string): void;
  /**
   * exactly_once: resolved with true once the partition is in the open transaction, false when it may
   * not join now (the lane is woken later); null when it already is. Rejected with Kafka's refusal of
   * the topic (not authorized, unknown): the lane treats it as its next batch's.
   */
  enlist(lane: PartitionLane): Promise<boolean> | null;
  /** exactly_once: the lane may put a batch on the wire now (its partition is in the transaction, no commit leaves it out). */
  mayPublish(lane: PartitionLane): boolean;
}

/** Bytes a waiting line is counted as towards a full batch, beyond its value: key, headers, varints. */
const RECORD_ESTIMATE = 120;

export class PartitionLane {
  readonly pending = new PendingLines();
  private readonly window: InFlightWindow<LineBatch>;
  private readonly prefix: Buffer;
  private pendingBytes = 0;
  private pendingSince = 0;
  private connection: KafkaConnection | null = null;
  private pumping = false;
  private again = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private backoff = new Backoff(200, 10_000);
  /** The failure the lane recovers from once the window is settled: the worst since the last success. */
  private failure: { kind: FailureKind; batch: LineBatch | null } | null = null;
  /** The producer version the window's batches are numbered and stamped for. */
  private stamped: number;
  /**
   * The largest batch the partition has taken. A larger one goes alone (in-flight-window.ts): if the
   * broker finds it too large, no smaller batch after it can be appended first.
   */
  private provenBytes = 0;
  /** Topic refusals since the last acknowledgement. */
  private topicStrikes = 0;
  /** Batches refused for good since the last recovery, and why. */
  private refused = new Map<LineBatch, string>();
  /** Batch and value sizes, lowered when the broker refuses one as too large. */
  private maxBatchBytes: number;
  private maxValueBytes: number;
  /** Batches handed to a socket: their frame is copied before it is changed (a dead socket may still hold it). */
  private readonly written = new WeakSet<LineBatch>();
  private readonly meter: KafkaMeter;
  private readonly sent = new WeakSet<LineBatch>();
  /** Dropped with what it holds (an aborted transaction): answers still to come are ignored. */
  private retired = false;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly acks: -1 | 0 | 1,
    readonly compression: Compression,
    private readonly owner: LaneOwner,
  ) {
    const s = owner.settings;
    this.window = new InFlightWindow(s.maxInFlight, s.sequenced);
    this.prefix = owner.builder.prefix({ topic, partition, acks, timeoutMs: s.requestTimeoutMs, transactionalId: s.transactionalId });
    this.stamped = owner.producer().version;
    this.maxBatchBytes = s.batchMaxBytes;
    this.maxValueBytes = s.maxMessageBytes;
    this.meter = kafkaMeter(topic);
  }

  /** Lines waiting or on the wire. */
  get busy(): boolean {
    return this.pending.length > 0 || this.window.size > 0;
  }

  /** Lines not yet acknowledged (records, for split lines): waiting for a batch, in one, or on the wire. */
  get lines(): number {
    return this.pending.length + this.window.batches().reduce((n, b) => n + b.count, 0);
  }

  /** Lines [from, to) of `block` go to this partition. */
  add(block: LineBlock, from: number, to: number): void {
    if (this.pending.length === 0) this.pendingSince = performance.now();
    this.pending.push(block, from, to);
    const lines = to - from;
    this.pendingBytes += (lines === block.count ? block.valueBytes : Math.round((block.valueBytes * lines) / block.count)) + lines * (block.path.length + RECORD_ESTIMATE);
    if (this.full()) {
      if (this.window.open && !this.pumping) void this.pump();
    } else if (this.timer === null && this.window.open) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.pump();
      }, this.owner.settings.lingerMs);
    }
  }

  /** Sends what waits now, without lingering (a transaction is about to commit). */
  hurry(): void {
    this.pendingSince = -Infinity;
    void this.pump();
  }

  /** Pumps again: a commit that made the lane wait has ended. */
  wake(): void {
    void this.pump();
  }

  /** Batches on the wire. */
  get onWire(): number {
    return this.window.inFlight;
  }

  /** The lane is dropped (its transaction aborted): nothing more is sent, answers still to come are ignored. */
  retire(): void {
    this.retired = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Everything not acknowledged, given up at shutdown: each block once. */
  giveUp(): LineBlock[] {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    return this.owner.builder.givenUp([...this.window.batches().flatMap((b) => b.ranges), ...this.pending.takeAll()]);
  }

  private full(): boolean {
    return this.pending.length >= this.owner.settings.batchMaxMessages || this.pendingBytes >= this.maxBatchBytes;
  }

  /** A partial batch waits for more lines until linger_ms after its first line came. */
  private lingered(): boolean {
    return performance.now() - this.pendingSince >= this.owner.settings.lingerMs;
  }

  /** Something may go on the wire now: a batch waiting (failed before, or built), or enough lines for one. */
  private work(): boolean {
    return this.window.ready || (this.pending.length > 0 && (this.full() || this.lingered()));
  }

  /** Puts batches on the wire while the window has room: failed ones first, then new ones built from waiting lines. */
  private async pump(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        if (this.retired || !this.owner.running() || !this.window.open || !this.restampedForProducer()) return;
        if (!this.work()) {
          if (this.pending.length > 0) this.lingerLater();
          return;
        }
        const connection = await this.connect();
        if (connection === null) return;
        const enlisted = this.owner.enlist(this);
        if (enlisted !== null) {
          // AddPartitionsToTxn before the partition's first batch in a transaction. Kafka refusing the
          // topic is this lane's failure, as if it had refused the next batch; any other is the transaction's.
          let refusal: unknown = null;
          const joined = await enlisted.then(
            (ok) => ok,
            (err) => void (refusal = topicRefusal(err) ? err : null),
          );
          if (this.retired) return;
          if (refusal !== null) return this.refusedBeforeSending(refusal);
          if (!joined) return;
        }
        while (this.window.open) {
          if (!this.restampedForProducer()) break; // the producer was renewed while a batch was built
          if (!this.owner.mayPublish(this)) {
            // Not in the transaction (a commit ended meanwhile): it joins first. In it, but a commit leaves it out: woken after.
            if (this.owner.enlist(this) !== null) this.again = true;
            break;
          }
          let batch = this.window.next();
          if (batch === null) {
            // A batch waiting its turn (to go alone, or one at a time after a failure) goes first.
            if (this.window.ready || this.pending.length === 0 || (!this.full() && !this.lingered())) break;
            await this.build();
            // A commit may have decided without this topic while the batch was compressed: it waits (woken after the commit).
            if (!this.owner.mayPublish(this)) break;
            batch = this.window.next();
            if (batch === null) break;
          }
          this.send(connection, batch);
        }
        if (this.pending.length > 0 && this.window.open) this.lingerLater();
      } while (this.again);
    } finally {
      this.pumping = false;
    }
  }

  /**
   * exactly_once: Kafka refused the partition's AddPartitionsToTxn (`err`): the next batch fails with
   * that cause without being sent, so that it waits or goes to the dead-letter topic as a batch the
   * broker refused would.
   */
  private async refusedBeforeSending(err: unknown): Promise<void> {
    let batch = this.window.next();
    if (batch === null && this.window.open && this.pending.length > 0) {
      await this.build();
      batch = this.window.next();
    }
    if (batch !== null) this.answered(batch, null, err);
    else {
      const { kind, cause } = classify(err);
      this.owner.failed(this, kind, cause, this.pending.length, 0);
      this.retryLater(async () => {});
    }
  }

  private lingerLater(): void {
    if (this.timer !== null) return;
    const wait = Math.max(0, this.owner.settings.lingerMs - (performance.now() - this.pendingSince));
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.pump();
    }, wait);
  }

  private async build(): Promise<LineBatch> {
    const s = this.owner.settings;
    const { identity, version } = this.owner.producer();
    const before = this.pending.length;
    const base = this.window.nextSequence;
    const batch = await this.owner.builder.build(
      this.prefix,
      this.compression,
      this.pending,
      { maxRecords: s.batchMaxMessages, maxBytes: this.maxBatchBytes, maxValueBytes: this.maxValueBytes },
      { ...identity, baseSequence: base },
    );
    const sequence = this.window.add(batch, batch.count, batch.batchEnd - batch.batchAt > this.provenBytes);
    // Compressing took a while: the batches may have been numbered again, or the producer renewed, meanwhile.
    const now = this.owner.producer();
    if (s.sequenced && (sequence !== base || now.version !== version)) this.stamp(batch, now.identity);
    // What is left waits from now: its lines came while this batch was being built.
    this.pendingBytes = this.pending.length === 0 ? 0 : Math.round((this.pendingBytes * this.pending.length) / Math.max(1, before));
    this.pendingSince = performance.now();
    return batch;
  }

  /** The leader's connection, authenticated; null (and a retry later) when it cannot be had now. */
  private async connect(): Promise<KafkaConnection | null> {
    if (this.connection) return this.connection;
    try {
      const connection = await this.owner.client.leaderConnection(this.topic, this.partition);
      if (!connection.isAuthenticated()) await connection.authenticate();
      this.connection = connection;
      return connection;
    } catch (err) {
      const { kind, cause } = classify(err);
      this.owner.failed(this, kind, cause, this.pending.length + this.window.size, 0);
      this.retryLater(() => this.owner.client.refreshMetadata().catch(() => {}));
      return null;
    }
  }

  /** Hands `batch` to the socket (in window order: nothing is awaited between `next` and here). */
  private send(connection: KafkaConnection, batch: LineBatch): void {
    if (this.written.has(batch)) this.ownFrame(batch); // its correlation id is about to change
    this.written.add(batch);
    // `written` forgets a batch that is stamped again; `sent` does not, so every retry is counted.
    if (this.sent.has(batch)) this.meter.retries.inc();
    else this.sent.add(batch);
    this.meter.requests.inc();
    const sentAt = performance.now();
    let answer: Promise<ProduceResponse | null>;
    try {
      answer = sendFrame(connection, batch.frame, this.acks !== 0, this.owner.settings.requestTimeoutMs + 5000);
    } catch (err) {
      answer = Promise.reject(err);
    }
    answer.then(
      (response) => {
        this.meter.latency.observe((performance.now() - sentAt) / 1000);
        this.answered(batch, response, null);
      },
      (err) => {
        this.meter.latency.observe((performance.now() - sentAt) / 1000);
        this.answered(batch, null, err);
      },
    );
  }

  private answered(batch: LineBatch, response: ProduceResponse | null, err: unknown): void {
    if (this.retired) return;
    const code = response?.partitions[0]?.errorCode ?? 0;
    if (err === null && code !== 0 && code !== DUPLICATE_SEQUENCE_NUMBER) err = errorFromCode(code);
    if (err !== null) {
      const oldest = this.window.batches()[0] === batch;
      this.window.failed(batch);
      let { kind, cause } = classify(err);
      // A partition a broker does not host yet (a new topic's metadata still spreading over a
      // cluster, a leader just moved) is refused once in passing; only a second refusal in a row,
      // after fresh metadata, says the topic is refused.
      if (kind === "topic" && ++this.topicStrikes < 2) kind = "unavailable";
      if (kind === "refused") this.refused.set(batch, cause);
      this.noteFailure(kind, batch, oldest);
      this.owner.failed(this, kind, cause, batch.count, this.window.inFlight + 1);
    } else {
      this.window.acked(batch);
      this.topicStrikes = 0;
      this.provenBytes = Math.max(this.provenBytes, batch.batchEnd - batch.batchAt);
      // Answered, so wholly written: the buffer may be built into again (not with acks = 0, where
      // "answered" only means handed to the socket, which may still be writing it).
      if (this.acks !== 0) this.owner.builder.recycle(batch);
      this.backoff = new Backoff(200, 10_000);
      this.owner.delivered(this.owner.builder.acknowledged(batch));
      this.owner.succeeded(this);
    }
    // Refused batches are acted on at once: waiting would not change Kafka's answer.
    if (this.window.settled) this.retryLater(() => this.recover(), this.owner.deadLetters && this.refused.size > 0);
    else void this.pump();
  }

  /** Keeps the failure that decides the recovery: a size or producer problem over a plain outage. */
  private noteFailure(kind: FailureKind, batch: LineBatch, oldest: boolean): void {
    // A gap in sequences is expected after an earlier batch failed; only on the oldest is it the broker's loss.
    const k: FailureKind = kind === "sequence" && !oldest ? "unavailable" : kind;
    const rank = (f: FailureKind) => ["too-large", "producer", "sequence", "refused", "topic", "auth", "unavailable"].indexOf(f);
    if (this.failure === null || rank(k) < rank(this.failure.kind)) this.failure = { kind: k, batch };
    this.connection = null;
  }

  /** Runs `then` after the backoff (or `now`), then pumps again. */
  private retryLater(then: () => Promise<void>, now = false): void {
    if (this.retired) return;
    if (this.timer) clearTimeout(this.timer);
    const delay = now ? 0 : this.backoff.delayMs();
    if (!now) this.backoff = this.backoff.next();
    this.timer = setTimeout(() => {
      this.timer = null;
      void then().then(() => this.pump());
    }, delay);
  }

  /** The window is settled after a failure: act on it, then send the failed batches again. */
  private async recover(): Promise<void> {
    const failure = this.failure;
    this.failure = null;
    const refused = this.refused;
    this.refused = new Map();
    try {
      if (failure?.kind === "too-large" && failure.batch) await this.shrink(failure.batch);
      if (this.owner.deadLetters) for (const [batch, cause] of refused) await this.setAside(batch, cause);
      if (failure?.kind === "producer" || failure?.kind === "sequence") await this.owner.renewProducer(this.stamped);
      await this.owner.client.refreshMetadata();
      this.owner.metadataChanged(this.topic);
    } catch (err) {
      // Kafka is still away: the batches stay failed, and this runs again after the next backoff.
      const { kind, cause } = classify(err);
      this.failure = failure ?? { kind, batch: null };
      this.owner.failed(this, kind, cause, this.window.size, 0);
      this.retryLater(() => this.recover());
      return;
    }
    this.window.retry();
  }

  /** A batch the broker found too large: in halves, or its one record cut smaller. */
  private async shrink(batch: LineBatch): Promise<void> {
    const { identity } = this.owner.producer();
    const plain = { ...identity, baseSequence: 0 };
    const records = batch.count;
    let parts: LineBatch[];
    if (records > 1) {
      const bytes = batch.batchEnd - batch.batchAt;
      this.maxBatchBytes = Math.max(1024, Math.min(this.maxBatchBytes, Math.floor(bytes / 2)));
      parts = await this.halves(batch, plain);
      this.owner.shrank(this, { batchBytes: bytes });
    } else {
      const { batches, bytes } = await this.owner.builder.halve(this.prefix, this.compression, batch, plain);
      this.maxValueBytes = Math.max(1, Math.min(this.maxValueBytes, bytes));
      parts = batches;
      const { block, from } = batch.ranges[0]!;
      this.owner.shrank(this, { recordBytes: bytes * 2, block, line: from, truncated: batches.length === 1 });
    }
    const changed = this.window.replace(batch, parts.map((b) => ({ batch: b, count: b.count })));
    for (const b of changed) this.stamp(b, identity);
  }

  /** The batch of the first half of `batch`'s records, and that of the rest. */
  private async halves(batch: LineBatch, identity: BatchIdentity): Promise<LineBatch[]> {
    const half = Math.ceil(batch.count / 2);
    return [
      await this.owner.builder.rebuild(this.prefix, this.compression, batch, 0, half, identity),
      await this.owner.builder.rebuild(this.prefix, this.compression, batch, half, batch.count, identity),
    ];
  }

  /**
   * A batch refused for good, with a dead-letter topic: out of the window, to the sink, and the later
   * batches numbered again (a refused batch took no sequence numbers). Refused for one of its records,
   * it is halved first, each half to be sent alone, until the refused record is alone.
   */
  private async setAside(batch: LineBatch, cause: string): Promise<void> {
    const { identity } = this.owner.producer();
    const parts = batch.count > 1 && recordRefusal(cause) ? await this.halves(batch, { ...identity, baseSequence: 0 }) : [];
    const changed = this.window.replace(batch, parts.map((b) => ({ batch: b, count: b.count })));
    for (const b of changed) this.stamp(b, identity);
    if (parts.length > 0) return;
    if (this.acks !== 0) this.owner.builder.recycle(batch);
    this.owner.deadLetter(this, batch, cause);
  }

  /**
   * The producer id changed (renewed by this lane or another): once nothing is on the wire, every
   * batch is numbered again from 0 and stamped with the new id. Returns whether the lane may send.
   */
  private restampedForProducer(): boolean {
    const { identity, version } = this.owner.producer();
    if (version === this.stamped) return true;
    if (this.window.inFlight > 0) return false; // their answers call pump again
    for (const b of this.window.renumber()) this.stamp(b, identity);
    this.stamped = version;
    return true;
  }

  /** A frame a socket may still hold is copied before it is changed; the old buffer is left to it (and the collector). */
  private ownFrame(batch: LineBatch): void {
    batch.frame = Buffer.from(batch.frame);
    batch.pooled = null;
  }

  private stamp(batch: LineBatch, identity: ProducerStamp["identity"]): void {
    if (!this.owner.settings.sequenced) return;
    if (this.written.has(batch)) {
      this.ownFrame(batch);
      this.written.delete(batch);
    }
    restamp(batch.frame, batch.batchAt, batch.batchEnd, { ...identity, baseSequence: this.window.sequenceOf(batch) });
  }
}
