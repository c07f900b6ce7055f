// exactly_once delivery: the lines the sink takes go out in Kafka
// transactions, each committed with the new positions of their files (records
// of the offsets topic, offsets-topic.ts), as Kafka Connect's exactly-once
// source tasks do (KIP-618). Lines count as sent, and positions move, only
// once the commit is acknowledged; so after any crash the positions read back
// from the offsets topic (read_committed) are exactly where the last committed
// lines end, and a read_committed consumer sees each line once.
//
// One transaction at a time. It opens with the first block the sink takes and
// is committed transaction_max_ms later, or sooner once it holds
// transaction_max_bytes (or half the queue's room: its lines are held until
// the commit). Committing: blocks the sink takes meanwhile wait (`held`); the
// lanes send what they have at once; when every line of the transaction is
// acknowledged, the positions are written to the offsets topic and EndTxn
// commits. Each partition joins the transaction (AddPartitionsToTxn) before its
// first batch in it.
//
// A topic Kafka refuses (not authorized, a policy; or one that does not exist
// yet) does not hold up the others: the commit leaves its blocks out (the host
// says which topics wait, `stuck`), and they stay in their lanes for the next
// transaction, their files' positions before them. So that none of their lines
// lands in a transaction that does not count them, a refused topic's lanes send
// nothing while a commit runs, and once a commit is decided no partition joins
// the transaction (a lane asking is told to wait: `enlist` answers false and the
// lanes are woken after the commit). A file's position in a commit only covers
// its lines acknowledged in this transaction or an earlier one
// (DeliveryTracker.reachWith stops at the first line not acknowledged).
// Dead letters are written in the transaction too (`write`), and a commit
// waits for them as for the lines they stand for.
//
// When anything in a transaction fails beyond what a retry mends (the broker
// lost the producer's state, a request it refuses), the lanes and what they
// hold are dropped, InitProducerId is asked again (a new epoch, which aborts the
// open transaction, or completes a commit already decided), and the lines of the
// transaction are sent again in a new one. A commit whose answer never came is
// in doubt: the offsets topic says whether it happened (each transaction's
// records name it). Fencing (another agent with the same transactional id) is
// not retried: the agent stops.
import type { SavedPosition } from "../checkpoint/saved-position";
import type { DeliveryTracker } from "../pipeline/delivery-tracker";
import type { LineBlock } from "../pipeline/line-block";
import { costOf } from "../pipeline/line-queue";
import type { Logger } from "../telemetry/logger";
import { Backoff, sleep } from "../util/backoff";
import { sendFrame } from "./broker-link";
import { classify, DUPLICATE_SEQUENCE_NUMBER, errorFromCode } from "./errors";
import type { KafkaClient } from "./kafka-client";
import { commitRecord, encodePosition, OffsetsTopic, offsetsFrame, offsetsKey } from "./offsets-topic";
import { type FrameRecord, transactionalFrame } from "./transactional-frame";
import { isFencing, ProducerFenced, type ProducerId, retriedAnswer, TransactionCoordinator } from "./transaction-coordinator";

/**
 * A commit that waits this long for its lines' acknowledgements (a broker away; a refused topic is left out, not waited for)
 * is given up and its lines sent again in a new transaction, before the coordinator expires it: an
 * expired transaction fences the producer, which would read as another agent taking over.
 */
const COMMIT_WAIT_MS = 30_000;
/**
 * How long the coordinator lets a transaction stay open (transaction_max_ms and the commit's wait
 * are less): well above a broker restart, well below the broker's transaction.max.timeout.ms (15 min).
 */
const transactionTimeoutMs = (maxMs: number) => maxMs + 2 * COMMIT_WAIT_MS;

export interface TransactionSettings {
  transactionalId: string;
  offsetsTopic: string;
  clientId: string;
  hostname: string;
  maxMs: number;
  /** transaction_max_bytes: of the lines' bytes. */
  maxBytes: number;
  /** Half the queue's bounds (chan_max_size, max_buffer_bytes with each line's overhead): the other half is read during the commit. */
  maxLines: number;
  maxCost: number;
}

/** What the transaction needs from the sink. */
export interface TransactionHost {
  readonly client: KafkaClient;
  running(): boolean;
  /** Hands a block to its partitions' lanes. */
  route(block: LineBlock): void;
  /** Every lane sends what waits now, without lingering. */
  hurry(): void;
  /** Lanes told to wait by `enlist` (or `mayPublish`) during a commit may go on. */
  wake(): void;
  /** Kafka refuses `topic` (or the dead-letter topic refuses its lines): its lines wait, a commit leaves them out. */
  stuck(topic: string): boolean;
  /** Batches of `topic` on the wire. */
  onWire(topic: string): number;
  /** Drops every lane and what it holds, answers still to come included. */
  dropLanes(blocks: LineBlock[]): void;
  /** Batches are from this producer from now on (new lanes number them from 0). */
  useProducer(producer: ProducerId): void;
  /** These blocks are committed: they count as sent. */
  settle(blocks: LineBlock[]): void;
  /** The position a file would have at `offset`, to commit; undefined when it is not followed. */
  positionAt(fileKey: string, offset: number): SavedPosition | undefined;
  /** The agent must stop. */
  fatal(err: Error): void;
}

type State = "idle" | "open" | "committing" | "recovering" | "fenced";

/** A partition waiting for AddPartitionsToTxn, and its lane's promise. */
interface Enlisting {
  topic: string;
  partition: number;
  resolve: (ok: boolean) => void;
  reject: (e: unknown) => void;
}

/** Kafka's answer to AddPartitionsToTxn refuses a topic, not the transaction (the lane's matter): not authorized, unknown, or not attempted because another topic was. */
export function topicRefusal(err: unknown): boolean {
  const { kind } = classify(err);
  return kind === "refused" || kind === "topic" || /OPERATION_NOT_ATTEMPTED/.test(String((err as { type?: string })?.type));
}

export class Transaction {
  private readonly coordinator: TransactionCoordinator;
  readonly offsets: OffsetsTopic;
  private state: State = "idle";
  private producer: ProducerId = { producerId: -1n, producerEpoch: 0 };
  /** Blocks of the open transaction, in the order they were taken. */
  private blocks: LineBlock[] = [];
  /** Blocks [0, acked) of the transaction have every line acknowledged (see `ready`). */
  private acked = 0;
  /** The commit has decided what it commits: no partition joins the transaction until it ends. */
  private sealed = false;
  /** `write`s under way: a commit waits for them. */
  private writing = 0;
  /** Per partition written by `write`: the next base sequence for this producer id and epoch. */
  private readonly sequences = new Map<string, number>();
  /** The blocks the commit under way commits (the others are left out). */
  private decided: LineBlock[] = [];
  private bytes = 0;
  private lines = 0;
  private cost = 0;
  /** Blocks taken while a commit or a recovery runs: the next transaction's. */
  private held: LineBlock[] = [];
  private enlisted = new Set<string>();
  private enlisting = new Map<string, Promise<boolean>>();
  private toEnlist = new Map<string, Enlisting>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private whenAcked: (() => void) | null = null;
  /** Changes when a recovery starts: a commit that awaited something stops there. */
  private generation = 0;
  private commits = 0;
  private offsetsSequence = 0;
  /** Files forgotten (checkpointer): a tombstone for each goes in the next transaction. */
  private forgotten = new Set<string>();
  /** Commit at once (the sink is stopping). */
  private hurrying = false;
  private retrySaid = false;

  constructor(
    private readonly settings: TransactionSettings,
    private readonly host: TransactionHost,
    private readonly log: Logger,
  ) {
    this.coordinator = new TransactionCoordinator(host.client, settings.transactionalId, transactionTimeoutMs(settings.maxMs), () => host.running(), (what, err, expected) => {
      // The previous transaction's markers still being written: the usual answer right after a commit.
      if (expected) return log.debug("Kafka is still completing the previous transaction; asking again.", { request: what });
      if (!this.retrySaid) log.warn("Kafka's transaction coordinator did not answer; retrying.", { request: what, error: String((err as Error)?.message ?? err), transactional_id: settings.transactionalId });
      this.retrySaid = true;
    });
    this.offsets = new OffsetsTopic(host.client, settings.offsetsTopic, settings.hostname);
  }

  /**
   * At start, before any file is read: the offsets topic (created when missing), then a producer id
   * for the transactional id, FIRST, because it aborts the open transaction of an earlier run (a
   * read_committed read would wait behind it), then the positions committed for this host.
   */
  async start(): Promise<SavedPosition[]> {
    let backoff = new Backoff(200, 5000);
    const since = performance.now();
    for (let said = false; ; ) {
      try {
        await this.offsets.ensure();
        await this.newProducer();
        const { positions } = await this.offsets.read();
        this.log.info("Exactly-once delivery: read the positions committed in Kafka.", { transactional_id: this.settings.transactionalId, offsets_topic: this.settings.offsetsTopic, partition: this.offsets.partition, files: positions.size, producer_id: String(this.producer.producerId), epoch: this.producer.producerEpoch });
        return [...positions.values()].map((c) => c.position);
      } catch (err) {
        if (err instanceof ProducerFenced) throw err;
        // A topic just created is refused for a moment, until it has a leader: said only if it lasts.
        const error = String((err as Error)?.message ?? err);
        if (said || performance.now() - since < 5000) this.log.debug("Exactly-once delivery waits for Kafka.", { error });
        else this.log.warn("Exactly-once delivery cannot start until Kafka answers; retrying.", { transactional_id: this.settings.transactionalId, error });
        said ||= performance.now() - since >= 5000;
        await sleep(backoff.delayMs());
        backoff = backoff.next();
      }
    }
  }

  /** The sink took `block`: true when it joins the open transaction (to be routed now), false when it waits. */
  admit(block: LineBlock): boolean {
    if (this.state === "committing" || this.state === "recovering" || this.state === "fenced") {
      this.held.push(block);
      return false;
    }
    if (this.state === "idle") {
      this.state = "open";
      this.timer = setTimeout(() => void this.commit(), this.hurrying ? 0 : this.settings.maxMs);
    }
    this.blocks.push(block);
    this.count(block);
    return true;
  }

  /** A block counts towards the transaction's size (blocks carried over from a commit that left them out do not). */
  private count(block: LineBlock): void {
    this.bytes += block.valueBytes;
    this.lines += block.count;
    this.cost += costOf(block);
    if (this.bytes >= this.settings.maxBytes || this.lines >= this.settings.maxLines || this.cost >= this.settings.maxCost) this.commitSoon();
  }

  /** Lanes acknowledged every line of some blocks (they count as sent only once committed), or a topic became stuck. */
  acknowledged(): void {
    if (this.whenAcked && this.ready()) this.whenAcked();
  }

  /**
   * Whether a lane of `topic` may put a batch of the open transaction on the wire: its partition is in
   * the transaction, and no commit is deciding without it (a refused topic's lines are left out).
   */
  mayPublish(topic: string, partition: number): boolean {
    if (!this.enlisted.has(`${topic}\0${partition}`)) return false;
    return this.state !== "committing" || (!this.sealed && !this.host.stuck(topic));
  }

  /**
   * Resolved with true once `topic`/`partition` is in the open transaction, with false when it may
   * not join now (a commit is under way: asked again after it, the lanes are woken); null when it
   * already is. Rejected with Kafka's refusal when Kafka refuses the topic (not authorized, unknown):
   * the lane's failure, not the transaction's. The partitions asked for in one turn of the event loop
   * (a commit's lanes all start at once) go in one AddPartitionsToTxn: the coordinator takes one
   * change of a transaction at a time.
   */
  enlist(topic: string, partition: number, always = false): Promise<boolean> | null {
    const key = `${topic}\0${partition}`;
    if (this.enlisted.has(key)) return null;
    if (!always && this.state === "committing" && (this.sealed || this.host.stuck(topic))) return Promise.resolve(false);
    const pending = this.enlisting.get(key);
    if (pending) return pending;
    if (this.toEnlist.size === 0) queueMicrotask(() => this.enlistNow());
    let done!: { resolve: (ok: boolean) => void; reject: (e: unknown) => void };
    const promise = new Promise<boolean>((resolve, reject) => (done = { resolve, reject }));
    promise.catch(() => {}); // the transaction handles the failure; a lane only learns it should stop
    this.toEnlist.set(key, { topic, partition, ...done });
    this.enlisting.set(key, promise);
    return promise;
  }

  private enlistNow(): void {
    const asked = [...this.toEnlist.entries()];
    this.toEnlist.clear();
    const topics = new Map<string, [string, Enlisting][]>();
    for (const entry of asked) topics.set(entry[1].topic, [...(topics.get(entry[1].topic) ?? []), entry]);
    void this.addPartitions([...topics.values()], this.generation);
  }

  /**
   * AddPartitionsToTxn for these topics' partitions. Kafka answers a request with one refused topic by
   * refusing it and not attempting the others (kafkajs throws the first error): then each topic is
   * asked alone, so that only the refused one's lanes learn it.
   */
  private async addPartitions(topics: [string, Enlisting][][], generation: number): Promise<void> {
    const partitions = topics.map((asked) => ({ topic: asked[0]![1].topic, partitions: asked.map(([, p]) => p.partition) }));
    try {
      await this.coordinator.addPartitions(this.producer, partitions);
    } catch (err) {
      const refusal = topicRefusal(err);
      if (refusal && topics.length > 1) {
        for (const one of topics) await this.addPartitions([one], generation);
        return;
      }
      for (const [key, p] of topics.flat()) {
        this.enlisting.delete(key);
        p.reject(err);
      }
      if (!refusal && generation === this.generation) this.failed(err);
      return;
    }
    for (const [key, p] of topics.flat()) {
      if (generation === this.generation) this.enlisted.add(key);
      this.enlisting.delete(key);
      p.resolve(true);
    }
  }

  /**
   * Records of another topic in the open transaction (the dead letters of lines refused for good, so
   * that they are committed or aborted with those lines' positions): the partition joins the
   * transaction first, and they are numbered in its sequence for this producer. False when they may
   * not go now (no transaction open, or a commit deciding without `forTopic`'s lines): asked again a
   * moment later. Kafka's refusal is thrown, as kafkajs's errors are.
   */
  async write(topic: string, partition: number, records: FrameRecord[], forTopic: string): Promise<boolean> {
    const blocked = () => (this.state !== "open" && this.state !== "committing") || (this.state === "committing" && (this.sealed || this.host.stuck(forTopic)));
    if (blocked()) return false;
    const generation = this.generation;
    this.writing++;
    try {
      const joined = this.enlist(topic, partition, true);
      if (joined !== null && !(await joined)) return false;
      if (generation !== this.generation || !this.enlisted.has(`${topic}\0${partition}`)) return false;
      const key = `${topic}\0${partition}`;
      const sequence = this.sequences.get(key) ?? 0;
      const { clientId, transactionalId } = this.settings;
      const frame = transactionalFrame(clientId, transactionalId, topic, partition, records, { ...this.producer, baseSequence: sequence, transactional: true });
      const connection = await this.host.client.leaderConnection(topic, partition);
      if (!connection.isAuthenticated()) await connection.authenticate();
      const response = await sendFrame(connection, frame, true, 35_000);
      const code = response?.partitions[0]?.errorCode ?? 0;
      if (code !== 0 && code !== DUPLICATE_SEQUENCE_NUMBER) throw errorFromCode(code);
      if (generation !== this.generation) return false; // aborted meanwhile: the lines go again
      this.sequences.set(key, sequence + records.length);
      return true;
    } finally {
      this.writing--;
    }
  }

  /** Files the checkpointer forgot: their records are deleted (tombstones) with the next commit, so that the topic does not keep every file ever read. */
  forget(fileKeys: string[]): void {
    for (const key of fileKeys) this.forgotten.add(key);
  }

  /** A lane's batch failed in a way only a new producer mends (the broker lost the producer's state). */
  producerLost(cause: string): void {
    this.failed(new Error(cause));
  }

  /** A lane's batch was refused with this cause: fencing stops the agent. */
  refused(cause: string): void {
    if (/INVALID_PRODUCER_EPOCH|PRODUCER_FENCED|Unknown error code 90\b/.test(cause)) this.failed(new ProducerFenced(this.settings.transactionalId, cause));
  }

  /** The sink is stopping: the open transaction commits now, and any after it at once. */
  finish(): void {
    this.hurrying = true;
    if (this.state === "open") this.commitSoon();
  }

  /** At shutdown, lines given up: the open transaction is aborted (best effort) rather than left to expire. */
  async abandon(): Promise<void> {
    if (this.state !== "open" && this.state !== "committing") return;
    this.generation++;
    this.state = "idle";
    if (this.timer) clearTimeout(this.timer);
    await this.coordinator.endTransaction(this.producer, false).catch(() => {});
  }

  private commitSoon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.commit(), 0);
  }

  /**
   * Whether the commit may be decided: every line of the transaction is acknowledged, except those of
   * topics Kafka refuses, which have nothing on the wire; and no partition is joining. Blocks are
   * counted down by the lanes; the acknowledged ones before the first that is not are passed once.
   */
  private ready(): boolean {
    while (this.acked < this.blocks.length && this.blocks[this.acked]!.unacked === 0) this.acked++;
    if (this.enlisting.size > 0 || this.writing > 0) return false;
    const stuck = new Set<string>();
    for (let i = this.acked; i < this.blocks.length; i++) {
      const b = this.blocks[i]!;
      if (b.unacked === 0 || stuck.has(b.output.topic)) continue;
      if (!this.host.stuck(b.output.topic)) return false;
      stuck.add(b.output.topic);
    }
    for (const topic of stuck) if (this.host.onWire(topic) > 0) return false;
    return true;
  }

  private async commit(): Promise<void> {
    if (this.state !== "open") return;
    this.timer = null;
    this.state = "committing";
    const generation = this.generation;
    const started = performance.now();
    let inDoubt: string | null = null;
    try {
      this.host.hurry();
      if (!this.ready()) {
        // Woken by acknowledgements; polled too, for a topic that becomes refused or a lane whose answer comes.
        const poll = setInterval(() => this.acknowledged(), 100);
        let timer: ReturnType<typeof setTimeout> | undefined;
        await new Promise<void>((resolve) => {
          this.whenAcked = resolve;
          timer = setTimeout(resolve, COMMIT_WAIT_MS);
        });
        clearTimeout(timer);
        clearInterval(poll);
      }
      this.whenAcked = null;
      if (generation !== this.generation) return;
      if (!this.ready()) throw new Error(`Kafka did not acknowledge every line of the transaction within ${COMMIT_WAIT_MS / 1000} s`);
      this.sealed = true;
      // The blocks of refused topics not acknowledged wait for the next transaction.
      const blocks = (this.decided = this.blocks.filter((b) => b.unacked === 0));
      const carried = this.blocks.filter((b) => b.unacked > 0);
      if (blocks.length === 0 && this.enlisted.size === 0 && this.forgotten.size === 0) return this.committed(blocks, carried); // nothing to commit
      const commit = `${this.producer.producerId}.${this.producer.producerEpoch}.${++this.commits}`;
      const tombstones = [...this.forgotten];
      const records = this.positionRecords(blocks, commit, tombstones);
      await this.enlist(this.settings.offsetsTopic, this.offsets.partition, true);
      if (generation !== this.generation) return;
      await this.writeOffsets(records);
      if (generation !== this.generation) return;
      inDoubt = commit;
      await this.coordinator.endTransaction(this.producer, true);
      if (generation !== this.generation) return;
      this.retrySaid = false;
      this.log.debug("Transaction committed.", { blocks: blocks.length, left_out: carried.length || undefined, records: records.length, commit_ms: Math.round(performance.now() - started) });
      for (const key of tombstones) this.forgotten.delete(key);
      this.committed(blocks, carried);
    } catch (err) {
      if (generation === this.generation) this.failed(err, inDoubt);
    }
  }

  /**
   * The offsets records of a transaction: each file's position once all its blocks are in, tombstones
   * of forgotten files, and the host's last commit.
   */
  private positionRecords(blocks: LineBlock[], commit: string, tombstones: string[]): [string, string | null][] {
    const tickets = new Map<DeliveryTracker, number[]>();
    for (const b of blocks) {
      const list = tickets.get(b.tracker);
      if (list) list.push(b.ticket);
      else tickets.set(b.tracker, [b.ticket]);
    }
    const records: [string, string | null][] = [];
    const written = new Set<string>();
    for (const [tracker, list] of tickets) {
      const position = this.host.positionAt(tracker.fileKey, tracker.reachWith(list));
      if (!position) continue;
      records.push([offsetsKey(this.settings.hostname, tracker.fileKey), encodePosition(position, commit)]);
      written.add(tracker.fileKey);
    }
    for (const key of tombstones) if (!written.has(key)) records.push([offsetsKey(this.settings.hostname, key), null]);
    records.push(commitRecord(this.settings.hostname, commit));
    return records;
  }

  /** Produces the offsets records in the transaction; a failure in passing is sent again (same sequence: written once). */
  private async writeOffsets(records: [string, string | null][]): Promise<void> {
    const { offsetsTopic, clientId, transactionalId } = this.settings;
    const identity = { ...this.producer, baseSequence: this.offsetsSequence, transactional: true };
    const frame = offsetsFrame(clientId, transactionalId, offsetsTopic, this.offsets.partition, records, identity);
    let backoff = new Backoff(50, 2000);
    for (;;) {
      try {
        const connection = await this.host.client.leaderConnection(offsetsTopic, this.offsets.partition);
        const response = await sendFrame(connection, frame, true, 35_000);
        const code = response?.partitions[0]?.errorCode ?? 0;
        if (code !== 0 && code !== DUPLICATE_SEQUENCE_NUMBER) throw errorFromCode(code);
        this.offsetsSequence += records.length;
        return;
      } catch (err) {
        if (isFencing(err) || !retriedAnswer(err) || !this.host.running()) throw err;
        await sleep(backoff.delayMs());
        backoff = backoff.next();
        await this.host.client.refreshMetadata().catch(() => {});
      }
    }
  }

  /**
   * The commit is acknowledged: its lines count as sent; the blocks it left out and what waited start
   * the next transaction (the former not counted in its size: they are not what makes it commit sooner).
   */
  private committed(blocks: LineBlock[], carried: LineBlock[]): void {
    this.reset();
    this.state = "idle";
    this.host.settle(blocks);
    if (carried.length > 0) {
      this.state = "open";
      this.blocks = carried;
      this.timer = setTimeout(() => void this.commit(), this.settings.maxMs);
    }
    this.release(this.takeHeld());
    this.host.wake();
  }

  private failed(err: unknown, inDoubt: string | null = null): void {
    if (this.state === "fenced") return;
    if (err instanceof ProducerFenced || isFencing(err)) {
      this.state = "fenced";
      this.generation++;
      if (this.timer) clearTimeout(this.timer);
      const fenced = err instanceof ProducerFenced ? err : new ProducerFenced(this.settings.transactionalId, String((err as Error).message));
      this.host.fatal(fenced);
      return;
    }
    if (this.state === "recovering") return;
    void this.recover(err, inDoubt);
  }

  /**
   * Drops the transaction's sends, aborts it, gets a new epoch (which aborts it too if the abort did
   * not get through, unless its commit was already decided), and sends its lines again in a new one. A commit in doubt is looked up in
   * the offsets topic first.
   */
  private async recover(err: unknown, inDoubt: string | null): Promise<void> {
    this.state = "recovering";
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.whenAcked = null;
    const blocks = this.blocks;
    const decided = this.decided;
    this.log.warn("A transaction failed; it is aborted and its lines are sent again in a new one (nothing is lost or committed twice).", {
      transactional_id: this.settings.transactionalId,
      lines: this.lines,
      commit_in_doubt: inDoubt !== null || undefined,
      error: String((err as Error)?.message ?? err),
    });
    this.host.dropLanes(blocks);
    if (inDoubt === null) {
      // Aborted now if the coordinator takes it; if not, the new epoch below aborts it anyway.
      try {
        await this.coordinator.endTransaction(this.producer, false);
      } catch (e) {
        if (e instanceof ProducerFenced) return this.failed(e);
      }
    }
    let backoff = new Backoff(200, 5000);
    for (;;) {
      if (!this.host.running()) return;
      try {
        await this.newProducer();
        let done = false;
        if (inDoubt !== null) {
          done = (await this.offsets.read()).lastCommit === inDoubt;
          this.log.info(done ? "The commit in doubt did happen; its lines count as sent." : "The commit in doubt did not happen; its lines are sent again.", { commit: inDoubt });
        }
        this.reset();
        this.state = "idle";
        const committed = done ? new Set(decided) : new Set<LineBlock>();
        if (done) this.host.settle(decided);
        this.release([...blocks.filter((b) => !committed.has(b)), ...this.takeHeld()]);
        return;
      } catch (e) {
        if (e instanceof ProducerFenced) return this.failed(e);
        await sleep(backoff.delayMs());
        backoff = backoff.next();
      }
    }
  }

  private async newProducer(): Promise<void> {
    this.producer = await this.coordinator.initProducerId();
    this.offsetsSequence = 0;
    this.sequences.clear();
    this.host.useProducer(this.producer);
  }

  private reset(): void {
    this.blocks = [];
    this.acked = 0;
    this.sealed = false;
    this.decided = [];
    this.bytes = 0;
    this.lines = 0;
    this.cost = 0;
    this.enlisted.clear();
    this.enlisting.clear();
    for (const p of this.toEnlist.values()) p.reject(new Error("the transaction ended"));
    this.toEnlist.clear();
  }

  private takeHeld(): LineBlock[] {
    const held = this.held;
    this.held = [];
    return held;
  }

  /** Routes blocks again (after a commit, the ones that waited; after an abort, the transaction's too). */
  private release(blocks: LineBlock[]): void {
    for (const block of blocks) {
      block.unacked = block.count;
      if (this.admit(block)) this.host.route(block);
    }
  }
}
