// A produce request of a few records in a Kafka transaction, encoded whole:
// what the transaction writes itself beside the lanes' batches (the offsets
// topic's positions, and with exactly_once the dead letters, which must be
// committed or aborted with the lines they stand for). Uncompressed, one batch,
// stamped with the transactional producer's id, epoch and base sequence.
import { finishFrame, framePrefix } from "./produce-request";
import { BatchBuilder, type BatchIdentity, encodeHeaders } from "./record-batch";

export interface FrameRecord {
  key: Uint8Array | string | null;
  value: Uint8Array | string | null;
  headers?: Record<string, string>;
}

export function transactionalFrame(clientId: string, transactionalId: string, topic: string, partition: number, records: FrameRecord[], identity: BatchIdentity, timestamp = Date.now()): Buffer {
  const prefix = framePrefix(clientId, { topic, partition, acks: -1, timeoutMs: 30_000, transactionalId });
  const b = new BatchBuilder(64 * 1024);
  b.begin(prefix.length, timestamp);
  prefix.copy(b.buf, 0);
  const noHeaders = encodeHeaders([]);
  for (const r of records) b.appendRecord(r.key, r.value, r.headers ? encodeHeaders(Object.entries(r.headers)) : noHeaders);
  const end = b.seal(identity);
  finishFrame(b.buf, prefix.length, end);
  return Buffer.from(b.buf.subarray(0, end));
}
