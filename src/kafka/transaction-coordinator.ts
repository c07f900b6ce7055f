// The requests a transactional producer sends to its transaction coordinator
// (the broker FindCoordinator with key type 1 names for the transactional id):
// InitProducerId, AddPartitionsToTxn, EndTxn. kafkajs encodes them (versions
// 0-1, which Kafka 4 still serves); what is ours is when each is retried.
//
// Everything here is safe to send again with the same arguments, so a request
// that failed in passing (the coordinator moved or is loading, a connection
// dropped, the previous transaction's markers still being written:
// CONCURRENT_TRANSACTIONS) is retried until it is answered. kafkajs sends EndTxn
// once and then refuses every call (tulios/kafkajs#1275); retrying it is what
// Kafka's own producer does: a commit the coordinator already completed is
// answered "done" again. Two answers end the retries: the producer is fenced
// (`ProducerFenced`: another agent took the transactional id, or the
// coordinator expired the transaction), or anything else it will not take
// (thrown as it came, for the sink to abort and start again).
import { Backoff, sleep } from "../util/backoff";
import type { KafkaClient } from "./kafka-client";

/** The broker says another producer owns the transactional id now (or it expired this one's transaction). */
export class ProducerFenced extends Error {
  override name = "ProducerFenced" as const;
  constructor(
    readonly transactionalId: string,
    cause: string,
  ) {
    super(`transactional_id ${JSON.stringify(transactionalId)} was taken over by another producer, or its transaction expired (${cause})`);
  }
}

/** kafkajs's error types (and its name for codes it does not know: 90 is PRODUCER_FENCED) that mean fenced. */
export function isFencing(err: unknown): boolean {
  const e = err as { type?: string; message?: string };
  return e?.type === "INVALID_PRODUCER_EPOCH" || e?.type === "PRODUCER_FENCED" || /\bUnknown error code 90\b/.test(String(e?.message));
}

/** Answers that mean "ask again (perhaps another broker)", not "no". */
const RETRIED = new Set(["CONCURRENT_TRANSACTIONS", "COORDINATOR_LOAD_IN_PROGRESS", "COORDINATOR_NOT_AVAILABLE", "NOT_COORDINATOR", "GROUP_COORDINATOR_NOT_AVAILABLE", "NOT_COORDINATOR_FOR_GROUP", "GROUP_LOAD_IN_PROGRESS", "REQUEST_TIMED_OUT"]);

export function retriedAnswer(err: unknown): boolean {
  const e = err as { type?: string; retriable?: boolean; name?: string };
  if (typeof e?.type === "string") return RETRIED.has(e.type) || (e.retriable === true && !isFencing(err));
  return true; // no Kafka answer at all: a connection or a timeout
}

export interface ProducerId {
  producerId: bigint;
  producerEpoch: number;
}

export class TransactionCoordinator {
  constructor(
    private readonly client: KafkaClient,
    readonly transactionalId: string,
    /** How long the coordinator lets a transaction stay open before it aborts it. */
    private readonly transactionTimeoutMs: number,
    /** Whether to keep trying (the sink is running). */
    private readonly running: () => boolean,
    /** A failure retried (said once per outage by the caller); `expected`: CONCURRENT_TRANSACTIONS, the usual answer just after a commit. */
    private readonly onRetry: (what: string, err: unknown, expected: boolean) => void,
  ) {}

  /**
   * InitProducerId with the transactional id: a new epoch, which fences any older producer with the
   * id and has the coordinator finish its open transaction (aborted, or rolled forward if its commit
   * was already decided) before answering.
   */
  async initProducerId(): Promise<ProducerId> {
    return this.retried("InitProducerId", async () => {
      const broker = await this.client.transactionCoordinator(this.transactionalId);
      const r = await broker.initProducerId({ transactionalId: this.transactionalId, transactionTimeout: this.transactionTimeoutMs });
      return { producerId: BigInt(r.producerId), producerEpoch: r.producerEpoch };
    });
  }

  /** Adds partitions to the open transaction (which the first one opens); before a batch goes to them. */
  async addPartitions(producer: ProducerId, topics: { topic: string; partitions: number[] }[]): Promise<void> {
    // A topic that does not exist (auto-creation off) is the asking lane's wait (it retries), not the coordinator's.
    await this.retried("AddPartitionsToTxn", async () => {
      const broker = await this.client.transactionCoordinator(this.transactionalId);
      await broker.addPartitionsToTxn({ transactionalId: this.transactionalId, producerId: String(producer.producerId), producerEpoch: producer.producerEpoch, topics });
    }, (err) => (err as { type?: string }).type === "UNKNOWN_TOPIC_OR_PARTITION");
  }

  /** EndTxn: commits (or aborts) the open transaction; resolved once the coordinator has decided it. */
  async endTransaction(producer: ProducerId, commit: boolean): Promise<void> {
    await this.retried(commit ? "EndTxn(commit)" : "EndTxn(abort)", async () => {
      const broker = await this.client.transactionCoordinator(this.transactionalId);
      await broker.endTxn({ transactionalId: this.transactionalId, producerId: String(producer.producerId), producerEpoch: producer.producerEpoch, transactionResult: commit });
    });
  }

  private async retried<T>(what: string, request: () => Promise<T>, notRetried: (err: unknown) => boolean = () => false): Promise<T> {
    let backoff = new Backoff(20, 2000);
    for (;;) {
      try {
        return await request();
      } catch (err) {
        const cause = innermost(err);
        if (isFencing(cause)) throw new ProducerFenced(this.transactionalId, `${what}: ${(cause as Error).message}`);
        if (!retriedAnswer(cause) || notRetried(cause) || !this.running()) throw cause;
        this.onRetry(what, cause, (cause as { type?: string }).type === "CONCURRENT_TRANSACTIONS");
        await sleep(backoff.delayMs());
        backoff = backoff.next();
        // A coordinator that moved: fresh metadata before asking again.
        await this.client.refreshMetadata().catch(() => {});
      }
    }
  }
}

/** kafkajs wraps a protocol error in its retrier's errors; the Kafka answer is the innermost one with a `type`. */
function innermost(err: unknown): unknown {
  let e = err as { type?: string; originalError?: unknown; cause?: unknown };
  for (let i = 0; i < 10 && e && typeof e === "object"; i++) {
    if (typeof e.type === "string" && e.type !== "KAFKAJS_UNKNOWN_ERROR_CODE" ? true : isFencing(e)) return e;
    const inner = (e.originalError ?? e.cause) as typeof e | undefined;
    if (!inner) return e;
    e = inner;
  }
  return e;
}
