// What a produce failure means for the agent, decided in one place. kafkajs's
// errors (and the protocol errors of a produce response, made by kafkajs's own
// `createErrorFromCode`) carry a `type` and nest their causes; each comes down
// to one kind, and the sink acts on the kind:
//   topic        Kafka does not know this topic (yet): its entries wait and
//                retry, the others go on.
//   refused      Kafka refuses these records for good: no retry of the same
//                request can succeed until an operator changes something (an
//                ACL, a topic's policy or config). Sent to the dead-letter
//                topic when there is one (dead-letter.ts), else they wait like
//                `topic`. Some refusals are of the whole topic (not authorized,
//                an invalid name), others of one record in the batch
//                (`recordRefusal`), which the lane finds by halving the batch.
//   too-large    the batch, or a record alone, is over the broker's size limit:
//                the batch is split, a record cut smaller (item 5 of issue 10).
//   auth         the credentials are refused: said once, retried.
//   sequence     the broker saw a gap in the idempotent producer's sequence
//                numbers: expected after an earlier batch failed; on the oldest
//                batch it means the broker lost the producer's state.
//   producer     the producer id or epoch is unknown or stale: a new id, and the
//                waiting batches numbered again.
//   unavailable  anything else (broker away, leader moving, timeouts): retried
//                after fresh metadata, for as long as it takes.
import { createErrorFromCode } from "kafkajs/src/protocol/error";

export type FailureKind = "topic" | "refused" | "too-large" | "auth" | "sequence" | "producer" | "unavailable";

const KIND_OF_TYPE: Record<string, FailureKind> = {
  UNKNOWN_TOPIC_OR_PARTITION: "topic",
  TOPIC_AUTHORIZATION_FAILED: "refused",
  INVALID_TOPIC_EXCEPTION: "refused",
  POLICY_VIOLATION: "refused",
  INVALID_RECORD: "refused",
  INVALID_TIMESTAMP: "refused",
  MESSAGE_TOO_LARGE: "too-large",
  RECORD_LIST_TOO_LARGE: "too-large",
  SASL_AUTHENTICATION_FAILED: "auth",
  ILLEGAL_SASL_STATE: "auth",
  CLUSTER_AUTHORIZATION_FAILED: "auth",
  UNSUPPORTED_SASL_MECHANISM: "auth",
  OUT_OF_ORDER_SEQUENCE_NUMBER: "sequence",
  UNKNOWN_PRODUCER_ID: "producer",
  INVALID_PRODUCER_EPOCH: "producer",
  INVALID_PRODUCER_ID_MAPPING: "producer",
};

/** Kafka error codes that mean the batch is already written: the broker had it from an earlier try. */
export const DUPLICATE_SEQUENCE_NUMBER = 46;

/** The error and everything it wraps, as kafkajs nests them (cause, originalError, errors[]). */
function chain(err: unknown, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (!err || typeof err !== "object" || out.includes(err as Record<string, unknown>) || out.length > 20) return out;
  const e = err as Record<string, unknown>;
  out.push(e);
  for (const inner of [e.cause, e.originalError, ...(Array.isArray(e.errors) ? e.errors : [])]) chain(inner, out);
  return out;
}

/**
 * Refusals of one record of a batch, not of the topic (a compacted topic's record without a key, a
 * timestamp out of the topic's range): the rest of the batch may be good. Produce v7 does not say
 * which record, so the lane halves the batch until the refused record is alone.
 */
const RECORD_REFUSALS = /^(INVALID_RECORD|INVALID_TIMESTAMP):/;

export function recordRefusal(cause: string): boolean {
  return RECORD_REFUSALS.test(cause);
}

export function classify(err: unknown): { kind: FailureKind; cause: string } {
  const errors = chain(err);
  // The most specific kinds first: a topic's own refusal says more than the retry that wrapped it.
  for (const wanted of ["too-large", "refused", "topic", "producer", "sequence"] as const) {
    for (const e of errors) {
      if (typeof e.type === "string" && KIND_OF_TYPE[e.type] === wanted) return { kind: wanted, cause: `${e.type}: ${e.message}` };
      if (wanted === "topic" && (e.name === "KafkaJSMetadataNotLoaded" || e.name === "UnknownPartition")) {
        return { kind: "topic", cause: `${e.message}` };
      }
    }
  }
  for (const e of errors) {
    if (e.name === "KafkaJSSASLAuthenticationError" || (typeof e.type === "string" && KIND_OF_TYPE[e.type] === "auth")) {
      return { kind: "auth", cause: String(e.message) };
    }
  }
  const deepest = errors[errors.length - 1] ?? {};
  return { kind: "unavailable", cause: String(deepest.message ?? err) };
}

/** kafkajs's error for a Kafka error code (its `type` names it: NOT_LEADER_FOR_PARTITION, ...). */
export function errorFromCode(code: number): Error & { type: string; retriable: boolean } {
  return createErrorFromCode(code);
}

/** A partition the topic does not have (partitioner = partition, or the topic has fewer). */
export class UnknownPartition extends Error {
  override name = "UnknownPartition" as const;
  constructor(topic: string, partition: number, partitions: number) {
    super(`topic ${topic} has no partition ${partition} (it has ${partitions})`);
  }
}
