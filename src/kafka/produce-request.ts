// The Produce request (version 7, what kafkajs speaks and Kafka 4 still
// serves) around one partition's record batch, written as one frame ready for
// the socket: size, request header, then the body. Only the correlation id is
// filled in when the frame is sent (a resend gets a new one), so a frame is
// built once and sent as often as it takes.
//
//   frame          => size int32, api_key int16 (0), api_version int16 (7), correlation_id int32,
//                     client_id nullable-string, body
//   Produce v7 body => transactional_id nullable-string, acks int16, timeout int32,
//                     [topic string, [partition int32, records bytes]]
//   Produce v7 response => [topic string, [partition int32, error_code int16, base_offset int64,
//                     log_append_time int64, log_start_offset int64]], throttle_time_ms int32
export const PRODUCE_API_KEY = 0;
export const PRODUCE_API_VERSION = 7;
export const CORRELATION_ID_AT = 8;

/** Where one batch goes and how the broker is to take it. */
export interface ProduceTarget {
  topic: string;
  partition: number;
  acks: -1 | 0 | 1;
  /** How long the broker may wait for replicas (acks = all) before it answers REQUEST_TIMED_OUT. */
  timeoutMs: number;
  /** Set by a transactional producer; null otherwise. */
  transactionalId: string | null;
}

function nullableString(s: string | null): Buffer {
  if (s === null) return Buffer.from([0xff, 0xff]);
  const bytes = Buffer.from(s, "utf8");
  const out = Buffer.allocUnsafe(2 + bytes.length);
  out.writeInt16BE(bytes.length, 0);
  bytes.copy(out, 2);
  return out;
}

/** Everything before the batch, up to and including the record set's size (filled in by `finishFrame`). */
export function framePrefix(clientId: string, target: ProduceTarget): Buffer {
  const head = Buffer.alloc(8);
  head.writeInt16BE(PRODUCE_API_KEY, 4);
  head.writeInt16BE(PRODUCE_API_VERSION, 6);
  const correlation = Buffer.alloc(4);
  const settings = Buffer.alloc(10);
  settings.writeInt16BE(target.acks, 0);
  settings.writeInt32BE(target.timeoutMs, 2);
  settings.writeInt32BE(1, 6); // one topic
  const partition = Buffer.alloc(12);
  partition.writeInt32BE(1, 0); // one partition
  partition.writeInt32BE(target.partition, 4);
  return Buffer.concat([head, correlation, nullableString(clientId), nullableString(target.transactionalId), settings, nullableString(target.topic), partition]);
}

/** Fills in the frame's size and the record set's size once the batch (from `batchAt` to `end`) is written. */
export function finishFrame(frame: Buffer, batchAt: number, end: number): void {
  frame.writeInt32BE(end - 4, 0);
  frame.writeInt32BE(end - batchAt, batchAt - 4);
}

export interface PartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
  baseOffset: bigint;
}

export interface ProduceResponse {
  partitions: PartitionResult[];
  throttleTimeMs: number;
}

/** Decodes a Produce v7 response body (after the correlation id). */
export function decodeProduceResponse(payload: Buffer): ProduceResponse {
  let o = 0;
  const partitions: PartitionResult[] = [];
  const topics = payload.readInt32BE(o);
  o += 4;
  for (let t = 0; t < topics; t++) {
    const len = payload.readInt16BE(o);
    const topic = payload.toString("utf8", o + 2, o + 2 + len);
    o += 2 + len;
    const count = payload.readInt32BE(o);
    o += 4;
    for (let p = 0; p < count; p++) {
      partitions.push({ topic, partition: payload.readInt32BE(o), errorCode: payload.readInt16BE(o + 4), baseOffset: payload.readBigInt64BE(o + 6) });
      o += 4 + 2 + 8 + 8 + 8;
    }
  }
  return { partitions, throttleTimeMs: payload.readInt32BE(o) };
}
