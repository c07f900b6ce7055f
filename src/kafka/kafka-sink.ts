// Takes lines from the queue and produces them to Kafka.
//
// Each line goes to a partition (partitioner.ts) and waits in that
// partition's lane (partition-lane.ts), which builds requests straight from
// the lines (request-builder.ts) and keeps up to max_in_flight of them on the
// wire. Lanes are per output profile (topic, acks, compression) and partition,
// so a topic Kafka refuses does not hold up the others, and a file's lines,
// which go to one partition (except with round_robin), stay in order. A
// request is retried until Kafka acknowledges it, however long that takes:
// dropping by time is how peers lose data. Only then are its lines settled in
// the queue (freeing room for tailers) and their files' delivery trackers
// advanced, which is what makes saved positions delivery-gated.
//
// This file owns what concerns all lanes: metadata per topic, the idempotent
// producer's id, the dead-letter topic (dead-letter.ts) for lines Kafka
// refuses for good, and saying an outage, a refused topic or refused
// credentials once when it starts and once when it ends; a refused topic's
// waiting lines are also counted in the log every minute (waiting-topics.ts).
// With delivery = exactly_once, lines go through a Kafka transaction
// (transaction.ts) between being taken and being settled: it decides when
// they are routed and when they count; a refused topic's lines are left out of
// its commits and wait (`stuck`: the topics in `waits`), and dead letters are
// written in it.
import type { SavedPosition } from "../checkpoint/saved-position";
import type { AgentConfig } from "../config/load-ini";
import type { Output } from "../discovery/entry-output";
import type { DeliveryTracker } from "../pipeline/delivery-tracker";
import type { LineBlock } from "../pipeline/line-block";
import type { LineQueue } from "../pipeline/line-queue";
import { countKafkaError } from "../telemetry/agent-metrics";
import type { KafkaHealth } from "../telemetry/health";
import type { Logger } from "../telemetry/logger";
import { Backoff, sleep } from "../util/backoff";
import { DeadLetterSender } from "./dead-letter";
import type { DeadLetterRecord } from "./dead-letter-records";
import { classify, type FailureKind } from "./errors";
import { KafkaClient } from "./kafka-client";
import { type LaneOwner, type LaneSettings, PartitionLane, type ProducerStamp } from "./partition-lane";
import { type PartitionInfo, Partitioner } from "./partitioner";
import { PLAIN_PRODUCER } from "./record-batch";
import { type LineBatch, RequestBuilder } from "./request-builder";
import { WaitingTopics, waitedSeconds } from "./waiting-topics";
import { Transaction } from "./transaction";
import type { ProducerId } from "./transaction-coordinator";

/** Causes that a topic being auto-created gives until it has leaders. */
const BEING_CREATED = /UNKNOWN_TOPIC_OR_PARTITION|LEADER_NOT_AVAILABLE|metadata not loaded/i;
/** How long such a refusal may last before it is an ERROR. */
const TOPIC_CREATION_GRACE_MS = 5_000;
/** How often the lines of a refused topic are counted in the log while they wait. */
const WAIT_REPORT_EVERY_MS = 60_000;

export interface SinkEvents {
  /** Kafka refuses a topic (unknown and not creatable, not authorized, ...), or accepts it again. */
  topicBlocked(topic: string, blocked: boolean): void;
  /** Acknowledgements moved these files' positions (the checkpointer journals them at once). */
  positionsMoved(trackers: Set<DeliveryTracker>): void;
  /** exactly_once: the position a file would have at `offset` (committed with its lines); undefined when it is not followed. */
  positionAt?(fileKey: string, offset: number): SavedPosition | undefined;
  /** The sink cannot go on (exactly_once: another agent took the transactional id): the agent stops. */
  fatal?(err: Error): void;
}

/** The lines of one output profile: its topic's partitions (once known) and a lane per partition. */
interface Route {
  output: Output;
  partitions: PartitionInfo[] | null;
  /** Blocks that came before the topic's partitions were known. */
  waiting: LineBlock[];
  lanes: Map<number, PartitionLane>;
  fetching: boolean;
  backoff: Backoff;
}

export class KafkaSink implements LaneOwner {
  readonly client: KafkaClient;
  readonly builder: RequestBuilder;
  readonly settings: LaneSettings;
  private readonly partitioner: Partitioner;
  private readonly routes = new Map<string, Route>();
  private isRunning = false;
  private loop: Promise<void> | null = null;
  private outageSince: number | null = null;
  private authFailing = false;
  /** Refused topics: since when (ms since the epoch) and why. */
  private blocked = new Map<string, { since: number; reason: string }>();
  /** When the brokers last became reachable or unreachable (ms since the epoch), and the outage's last cause. */
  private reachabilityChanged = Date.now();
  private outageCause = "";
  /** Refused topics not said yet: refused as unknown (being created, perhaps), since when. */
  private creating = new Map<string, number>();
  private wakeSleepers: (() => void)[] = [];
  /** Resolved by `stop`: the loop waits on it beside the queue, rather than on a timer per turn. */
  private stopping!: Promise<void>;
  private stopNow: () => void = () => {};
  private stampNow: ProducerStamp = { identity: PLAIN_PRODUCER, version: 0 };
  private renewing: Promise<void> | null = null;
  /** Lines longer than max_message_bytes (or than the broker takes), split or truncated so far. */
  oversized = 0;
  private readonly deadLetterSender: DeadLetterSender | null;
  readonly waits = new WaitingTopics();
  private waitTimer: ReturnType<typeof setInterval> | null = null;
  /** exactly_once delivery; null for at_least_once. */
  private readonly transaction: Transaction | null = null;

  constructor(
    private readonly config: AgentConfig["kafka"],
    /** Sent in every message's `host` header. */
    private readonly hostname: string,
    private readonly queue: LineQueue,
    private readonly log: Logger,
    private readonly events: SinkEvents,
  ) {
    this.client = new KafkaClient({ brokers: config.brokers, clientId: config.clientId, autoCreateTopics: config.autoCreateTopics, security: config.security }, log);
    this.builder = new RequestBuilder({ clientId: config.clientId, hostname, oversize: config.oversize, batchMaxBytes: config.batchMaxBytes }, (block, line, pieces, limit) => this.oversize(block, line, pieces, limit));
    this.partitioner = new Partitioner(hostname);
    this.settings = {
      maxInFlight: config.maxInFlight,
      batchMaxMessages: config.batchMaxMessages,
      batchMaxBytes: config.batchMaxBytes,
      lingerMs: config.lingerMs,
      maxMessageBytes: config.maxMessageBytes,
      requestTimeoutMs: 30_000,
      sequenced: config.idempotent,
      transactionalId: config.delivery === "exactly_once" ? config.transactionalId : null,
    };
    this.deadLetterSender = config.deadLetterTopic ? new DeadLetterSender(config.deadLetterTopic, hostname, this, log) : null;
    if (config.delivery === "exactly_once") {
      const { transactionalId, offsetsTopic, clientId, transactionMaxMs, transactionMaxBytes } = config;
      // Its lines are held until it commits: a transaction takes at most half of what the queue holds.
      const maxLines = Math.max(1, Math.floor(queue.maxLines / 2));
      const maxCost = Math.max(1, Math.floor(queue.maxBytes / 2));
      this.transaction = new Transaction({ transactionalId, offsetsTopic, clientId, hostname, maxMs: transactionMaxMs, maxBytes: transactionMaxBytes, maxLines, maxCost }, this.transactionHost(), log.child("transaction"));
    }
  }

  /**
   * exactly_once: before any file is read, a producer id for the transactional id (which ends an
   * earlier run's open transaction) and the positions committed in Kafka; [] for at_least_once.
   */
  async prepare(): Promise<SavedPosition[]> {
    this.isRunning = true;
    return this.transaction ? this.transaction.start() : [];
  }

  /** exactly_once: dead letters go in the transaction (see dead-letter.ts). */
  get inTransaction() {
    const t = this.transaction;
    return t ? (topic: string, partition: number, records: DeadLetterRecord[], forTopic: string) => t.write(topic, partition, records, forTopic) : null;
  }

  get deadLetters(): boolean {
    return this.deadLetterSender !== null;
  }

  /** Lines (records, for split lines) the dead-letter topic acknowledged so far. */
  get deadLettered(): number {
    return this.deadLetterSender?.delivered ?? 0;
  }

  /**
   * The topics whose lines wait because Kafka refuses them (or the dead-letter topic refuses them
   * too): how many lines wait (records, for split lines), since when (ms since the epoch), and why.
   */
  waiting(): { topic: string; lines: number; sinceMs: number; reason: string }[] {
    return this.waits.list().map((w) => ({ topic: w.topic, lines: this.linesFor(w.topic), sinceMs: w.sinceMs, reason: w.reason }));
  }

  start(): void {
    this.isRunning = true;
    this.waitTimer = setInterval(() => this.sayWaits(), Math.min(WAIT_REPORT_EVERY_MS, 5_000));
    this.waitTimer.unref?.();
    this.stopping = new Promise((resolve) => (this.stopNow = resolve));
    this.loop = this.run();
  }

  /**
   * Waits until every queued line is acknowledged or `timeoutMs` passes, then stops and disconnects.
   * Returns the number of lines that were not acknowledged.
   */
  async stop(timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    this.transaction?.finish();
    while (this.queue.pending + this.queue.unsettled > 0 && performance.now() < deadline) await sleep(20);
    this.isRunning = false;
    if (this.waitTimer) clearInterval(this.waitTimer);
    this.stopNow();
    for (const wake of this.wakeSleepers.splice(0)) wake();
    const left = this.queue.pending + this.queue.unsettled;
    for (const route of this.routes.values()) for (const lane of route.lanes.values()) lane.giveUp();
    // Lines given up are not settled: their files' positions stay before them, and they are read again.
    // A request Kafka never answers must not hold the stop past the deadline.
    await Promise.race([this.loop, sleep(Math.max(0, deadline - performance.now()))]);
    // A transaction left open would hold read_committed consumers back until Kafka expires it.
    if (this.transaction) await Promise.race([this.transaction.abandon(), sleep(Math.max(100, deadline - performance.now()))]);
    await Promise.race([this.client.disconnect().catch(() => {}), sleep(Math.max(100, deadline - performance.now()))]);
    return left;
  }

  running(): boolean {
    return this.isRunning;
  }

  /** Whether the brokers take requests, and which topics they refuse, each since when and why (/healthz, status). */
  health(): KafkaHealth {
    const reachable = this.outageSince === null;
    return {
      reachable,
      since: this.reachabilityChanged,
      cause: reachable ? null : this.outageCause,
      refused: [...this.blocked].map(([topic, { since, reason }]) => ({ topic, since, reason })),
    };
  }

  producer(): ProducerStamp {
    return this.stampNow;
  }

  /** Takes what the tailers queued and hands each line to its partition's lane. */
  private async run(): Promise<void> {
    if (this.config.idempotent && !this.transaction) await this.renewProducer(this.stampNow.version);
    while (this.isRunning) {
      await Promise.race([this.queue.whenItems(), this.stopping]);
      if (!this.isRunning) break;
      for (const block of this.queue.takeAll()) {
        block.unacked = block.count;
        if (this.transaction && !this.transaction.admit(block)) continue; // it waits for the commit under way
        this.route(block);
      }
    }
  }

  private route(block: LineBlock): void {
    const output = block.output;
    let route = this.routes.get(output.profile);
    if (!route) {
      route = { output, partitions: null, waiting: [], lanes: new Map(), fetching: false, backoff: new Backoff(200, 10_000) };
      this.routes.set(output.profile, route);
    }
    const partitions = route.partitions;
    if (partitions === null) {
      route.waiting.push(block);
      if (!route.fetching) void this.fetchPartitions(route);
      return;
    }
    const whole = this.partitioner.forBlock(output, block, partitions);
    if (whole !== null) {
      this.lane(route, whole).add(block, 0, block.count);
      return;
    }
    // Round robin or a key pattern: runs of lines that go to the same partition.
    let from = 0;
    let partition = this.partitioner.choose(output, block, 0, partitions);
    for (let i = 1; i <= block.count; i++) {
      const next = i < block.count ? this.partitioner.choose(output, block, i, partitions) : -1;
      if (next === partition) continue;
      this.lane(route, partition).add(block, from, i);
      from = i;
      partition = next;
    }
  }

  private lane(route: Route, partition: number): PartitionLane {
    let lane = route.lanes.get(partition);
    if (!lane) {
      lane = new PartitionLane(route.output.topic, partition, route.output.acks, route.output.compression, this);
      route.lanes.set(partition, lane);
    }
    return lane;
  }

  /** Learns a topic's partitions (creating the topic when allowed), then routes the lines that waited for them. */
  private async fetchPartitions(route: Route): Promise<void> {
    route.fetching = true;
    while (this.isRunning) {
      try {
        route.partitions = await this.client.partitions(route.output.topic);
        break;
      } catch (err) {
        const { kind, cause } = classify(err);
        if (kind === "refused" && this.deadLetterSender !== null) {
          // Kafka refuses even the topic's metadata (no DESCRIBE): its lines go to the dead-letter topic whole.
          for (const block of route.waiting.splice(0)) this.deadLetterBlock(route.output.topic, block, cause);
        } else this.report(route.output.topic, kind, cause);
        const delay = route.backoff.delayMs();
        route.backoff = route.backoff.next();
        await this.nap(delay);
      }
    }
    route.fetching = false;
    route.backoff = new Backoff(200, 10_000);
    if (route.partitions === null) return;
    this.recovered(route.output.topic);
    const waiting = route.waiting;
    route.waiting = [];
    for (const block of waiting) this.route(block);
  }

  async renewProducer(seen: number): Promise<void> {
    if (!this.config.idempotent) return;
    if (this.transaction) return this.transaction.producerLost("the broker lost the producer's state (or a gap in its sequence numbers)");
    if (this.stampNow.version !== seen) return; // another lane renewed it already
    this.renewing ??= (async () => {
      let backoff = new Backoff(200, 10_000);
      while (this.isRunning) {
        try {
          const { producerId, producerEpoch } = await this.client.newProducerId();
          this.stampNow = { identity: { producerId, producerEpoch, transactional: false }, version: this.stampNow.version + 1 };
          this.log.debug("Idempotent producer id assigned.", { producer_id: String(producerId), epoch: producerEpoch });
          return;
        } catch (err) {
          const { kind, cause } = classify(err);
          this.report(null, kind, cause);
          await this.nap(backoff.delayMs());
          backoff = backoff.next();
        }
      }
    })().finally(() => (this.renewing = null));
    await this.renewing;
  }

  delivered(blocks: LineBlock[]): void {
    if (this.transaction) this.transaction.acknowledged();
    else this.settle(blocks);
  }

  /** exactly_once: files the checkpointer forgot; their records in the offsets topic are deleted with the next commit. */
  forget(fileKeys: string[]): void {
    this.transaction?.forget(fileKeys);
  }

  /** Before a lane's batch goes in a transaction: its partition joins the transaction (null: it has; false: not now). */
  enlist(lane: PartitionLane): Promise<boolean> | null {
    return this.transaction ? this.transaction.enlist(lane.topic, lane.partition) : null;
  }

  mayPublish(lane: PartitionLane): boolean {
    return this.transaction ? this.transaction.mayPublish(lane.topic, lane.partition) : true;
  }

  /** Lines count as sent: settled in the queue, their files' positions moved. */
  private settle(blocks: LineBlock[]): void {
    const moved = new Set<DeliveryTracker>();
    for (const block of blocks) {
      if (block.tracker.settle(block.ticket)) moved.add(block.tracker);
      block.meter?.sentLines.inc(block.count);
      block.meter?.sentBytes.inc(block.valueBytes);
      block.release();
      this.queue.settle(block);
    }
    if (moved.size > 0) this.events.positionsMoved(moved);
  }

  failed(lane: PartitionLane, kind: FailureKind, cause: string, lines: number, onWire: number): void {
    if (kind === "refused" && this.deadLetterSender !== null) return; // the lane sets the batch aside for the dead-letter topic
    if (kind === "producer") this.transaction?.refused(cause);
    this.report(lane.topic, kind, cause, lines, onWire);
    this.transaction?.acknowledged(); // a commit under way may leave a refused topic's lines out now
  }

  deadLetter(lane: PartitionLane, batch: LineBatch, cause: string): void {
    const done = () => this.delivered(this.builder.acknowledged(batch));
    this.deadLetterSender!.add({ topic: lane.topic, ranges: batch.ranges, cause, lines: batch.count, done });
  }

  /** A whole block of a topic whose metadata Kafka refuses, for the dead-letter topic. */
  private deadLetterBlock(topic: string, block: LineBlock, cause: string): void {
    const done = () => {
      block.unacked = 0;
      this.delivered([block]);
    };
    this.deadLetterSender!.add({ topic, ranges: [{ block, from: 0, to: block.count, cut: null }], cause, lines: block.count, done });
  }

  blockTopic(topic: string, blocked: boolean): void {
    this.events.topicBlocked(topic, blocked);
    this.transaction?.acknowledged();
  }

  outage(kind: FailureKind, cause: string): void {
    this.report(null, kind, cause);
  }

  /** Lines of `topic` not yet acknowledged: before its partitions were known, in its lanes, for the dead-letter topic. */
  linesFor(topic: string): number {
    let lines = this.deadLetterSender?.waiting().get(topic) ?? 0;
    for (const route of this.routes.values()) {
      if (route.output.topic !== topic) continue;
      for (const block of route.waiting) lines += block.count;
      for (const lane of route.lanes.values()) lines += lane.lines;
    }
    return lines;
  }

  /** Every minute of a wait, how many lines wait. */
  private sayWaits(): void {
    for (const w of this.waits.due(Date.now(), WAIT_REPORT_EVERY_MS)) {
      this.log.warn("Lines still wait for a topic Kafka refuses.", { topic: w.topic, lines: this.linesFor(w.topic), waiting_s: waitedSeconds(w), cause: w.reason });
    }
  }

  succeeded(lane: PartitionLane): void {
    this.recovered(lane.topic);
  }

  metadataChanged(topic: string): void {
    for (const route of this.routes.values()) {
      if (route.output.topic !== topic || route.partitions === null) continue;
      route.partitions = this.client.knownPartitions(topic) ?? route.partitions;
    }
  }

  shrank(lane: PartitionLane, what: { batchBytes?: number; recordBytes?: number; block?: LineBlock; line?: number; truncated?: boolean }): void {
    if (what.batchBytes !== undefined) {
      this.log.warn("Kafka refused a batch as too large; it is sent again in halves, and later batches for this partition are smaller.", {
        topic: lane.topic,
        partition: lane.partition,
        batch_bytes: what.batchBytes,
        batch_max_bytes: this.config.batchMaxBytes,
      });
      return;
    }
    this.oversized++;
    if (what.block?.meter) (what.truncated ? what.block.meter.truncatedLines : what.block.meter.splitLines).inc();
    this.log.warn(`Kafka refused a message as too large; it was ${what.truncated ? "truncated to half" : "split in two"}.`, {
      topic: lane.topic,
      path: what.block?.path,
      offset: what.block?.offsets[what.line ?? 0],
      bytes: what.recordBytes,
      max_message_bytes: this.config.maxMessageBytes,
      oversized_lines: this.oversized,
    });
  }

  /** Says a failure once: per refused topic, per credentials problem, per outage. */
  private report(topic: string | null, kind: FailureKind, cause: string, lines = 0, onWire = 0): void {
    countKafkaError(topic, kind);
    if (kind === "too-large") return; // handled by the lane, and said by `shrank`
    if ((kind === "topic" || kind === "refused") && topic !== null) {
      const now = performance.now();
      this.waits.begin(topic, cause, Date.now());
      if (!this.blocked.has(topic)) {
        this.blocked.set(topic, { since: Date.now(), reason: cause });
        this.events.topicBlocked(topic, true);
        if (kind === "topic" && this.config.autoCreateTopics && BEING_CREATED.test(cause)) {
          // A topic the broker creates on first use is refused until its partitions have leaders, for
          // a second or so: an ERROR only if that lasts.
          this.creating.set(topic, now);
          this.log.debug("Kafka does not know this topic yet; retrying (auto-created topics take a moment).", { topic, cause, lines });
          return;
        }
      } else {
        const since = this.creating.get(topic);
        if (since === undefined || now - since < TOPIC_CREATION_GRACE_MS) return;
        this.creating.delete(topic);
      }
      const advice = this.deadLetterSender === null && kind === "refused" ? " Set [kafka] dead_letter_topic to send such lines there instead." : "";
      this.log.error(`Kafka refuses this topic; its entries wait and retry, the others go on.${advice}`, { topic, cause, lines: this.linesFor(topic) }, "KafkaTopicRefused");
      return;
    }
    if (this.outageSince === null) this.reachabilityChanged = Date.now();
    this.outageCause = kind === "auth" ? `credentials rejected: ${cause}` : cause;
    if (kind === "auth") {
      if (!this.authFailing) this.log.error("Kafka rejected the agent's credentials; retrying. Check sasl_username and sasl_password.", { brokers: this.config.brokers.join(","), cause }, "KafkaCredentialsRejected");
      this.authFailing = true;
    } else if (this.outageSince === null) {
      // Said once per outage, not once per retry.
      this.log.warn(
        "Kafka did not accept a batch; retrying until it does. Nothing is dropped.",
        { brokers: this.config.brokers.join(","), topic: topic ?? undefined, lines, requests_in_flight: onWire || undefined, error: cause },
        "KafkaOutageStarted",
      );
    } else {
      this.log.debug("Kafka still not accepting; retrying.", { topic: topic ?? undefined, error: cause });
    }
    this.outageSince ??= performance.now();
  }

  private recovered(topic: string): void {
    if (this.blocked.delete(topic)) {
      const wait = this.deadLetterSender?.waitsFor(topic) ? undefined : this.waits.end(topic);
      if (this.creating.delete(topic)) this.log.debug("Kafka knows this topic now.", { topic });
      else this.log.info("Kafka accepts this topic again; its entries go on.", { topic, waited_s: waitedSeconds(wait) }, "KafkaTopicAccepted");
      this.events.topicBlocked(topic, false);
    }
    if (this.authFailing) this.log.info("Kafka accepts the agent's credentials again.", {}, "KafkaCredentialsAccepted");
    this.authFailing = false;
    if (this.outageSince === null) return;
    this.reachabilityChanged = Date.now();
    const seconds = ((performance.now() - this.outageSince) / 1000).toFixed(1);
    this.outageSince = null;
    this.log.info(
      "Kafka accepts batches again.",
      { outage_s: seconds, waiting_lines: this.queue.pending + this.queue.unsettled, waiting_bytes: this.queue.bytes },
      "KafkaOutageEnded",
    );
  }

  private oversize(block: LineBlock, line: number, pieces: number, limit: number): void {
    this.oversized++;
    block.meter?.[this.config.oversize === "split" ? "splitLines" : "truncatedLines"].inc();
    this.log.warn(`Line longer than max_message_bytes was ${this.config.oversize === "split" ? `split into ${pieces} messages` : "truncated"}.`, {
      path: block.path,
      offset: block.offsets[line],
      bytes: block.length(line),
      max_message_bytes: limit === this.config.maxMessageBytes ? limit : this.config.maxMessageBytes,
      oversized_lines: this.oversized,
    });
  }

  /** What the exactly_once transaction steers: routing, the lanes, the producer, settling. */
  private transactionHost() {
    return {
      client: this.client,
      running: () => this.isRunning,
      route: (block: LineBlock) => this.route(block),
      hurry: () => {
        for (const route of this.routes.values()) for (const lane of route.lanes.values()) lane.hurry();
      },
      wake: () => {
        for (const route of this.routes.values()) for (const lane of route.lanes.values()) lane.wake();
      },
      stuck: (topic: string) => this.waits.has(topic),
      onWire: (topic: string) => {
        let n = 0;
        for (const route of this.routes.values()) if (route.output.topic === topic) for (const lane of route.lanes.values()) n += lane.onWire;
        return n;
      },
      dropLanes: (blocks: LineBlock[]) => {
        for (const route of this.routes.values()) {
          for (const lane of route.lanes.values()) lane.retire();
          route.lanes.clear();
          route.waiting = [];
        }
        this.builder.givenUp(blocks.map((block) => ({ block, from: 0, to: block.count, cut: null })));
        this.deadLetterSender?.dropAll();
      },
      useProducer: ({ producerId, producerEpoch }: ProducerId) => {
        this.stampNow = { identity: { producerId, producerEpoch, transactional: true }, version: this.stampNow.version + 1 };
      },
      settle: (blocks: LineBlock[]) => this.settle(blocks),
      positionAt: (fileKey: string, offset: number) => this.events.positionAt?.(fileKey, offset),
      fatal: (err: Error) => {
        this.log.error("Another agent took over this agent's transactional id (or Kafka expired its transaction); stopping. Lines not committed are sent again by whichever agent reads these files next.", { transactional_id: this.config.transactionalId, error: err.message }, "ProducerFenced");
        this.events.fatal?.(err);
      },
    };
  }

  /** Sleeps `ms`, or less if the sink is stopped meanwhile. */
  nap(ms: number): Promise<void> {
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
