// The offsets topic of exactly_once delivery: where each file's position is
// committed, in the same Kafka transaction as the file's lines, and read back
// at start. A record per file whose position a transaction moved:
//   key   = "HOST/DEV:INO"   (host name, then the file's identity, as the checkpoint keys it)
//   value = JSON of the saved position (offset, fingerprint, entry path, file name, when) and the
//           transaction that wrote it ("commit"); null (a tombstone) once the file is forgotten
// and one more per transaction, "HOST/commit" = {"commit": ...}: the host's last committed
// transaction, by which a commit whose answer never came is told apart (done or not).
// The topic is compacted, so the last record per key is what it keeps. A host's
// records all go to one partition (murmur2 of the host name, like a keyed
// message), so that an agent reads back only that partition: to its end, with
// isolation level read_committed (Fetch by kafkajs, whose `Batch` leaves out
// aborted transactions and control records).
import murmur2 from "kafkajs/src/producer/partitioners/default/murmur2";
import Batch from "kafkajs/src/consumer/batch";
import type { SavedPosition } from "../checkpoint/saved-position";
import type { KafkaClient } from "./kafka-client";
import type { BatchIdentity } from "./record-batch";
import { transactionalFrame } from "./transactional-frame";

/** Partitions of an offsets topic the agent creates: a fleet's hosts spread over them. */
const PARTITIONS = 8;
const READ_COMMITTED = 1;
const LATEST = -1;

/** One record of the offsets topic, decoded. */
export interface CommittedPosition {
  position: SavedPosition;
  /** The transaction that wrote it. */
  commit: string;
}

/** The record key of a file's position: the host, then the file's identity key (`DEV:INO`). */
export function offsetsKey(hostname: string, fileKey: string): string {
  return `${hostname}/${fileKey}`;
}

/** The record naming the host's last committed transaction. */
export function commitRecord(hostname: string, commit: string): [string, string] {
  return [`${hostname}/commit`, JSON.stringify({ commit })];
}

/** What the offsets topic holds for a host: the last position per file, and the last transaction committed. */
export interface HostOffsets {
  positions: Map<string, CommittedPosition>;
  lastCommit: string | null;
}

export function encodePosition(p: SavedPosition, commit: string): string {
  return JSON.stringify({ dev: String(p.identity.dev), ino: String(p.identity.ino), offset: p.offset, fingerprint: p.fingerprint, path: p.path, file: p.file, seenAt: p.seenAt, commit });
}

/** A record's value back to a position; null when it is not one (another writer's, or damaged). */
export function decodePosition(value: string): CommittedPosition | null {
  try {
    const v = JSON.parse(value) as Record<string, unknown>;
    const fp = v.fingerprint as { bytes?: unknown; hash?: unknown } | undefined;
    if (typeof v.dev !== "string" || typeof v.ino !== "string" || typeof v.offset !== "number" || typeof v.path !== "string" || typeof fp?.hash !== "string" || typeof fp.bytes !== "number") return null;
    return {
      position: {
        identity: { dev: BigInt(v.dev), ino: BigInt(v.ino) },
        fingerprint: { bytes: fp.bytes, hash: fp.hash },
        offset: v.offset,
        path: v.path,
        file: typeof v.file === "string" ? v.file : undefined,
        seenAt: typeof v.seenAt === "number" ? v.seenAt : Date.now(),
      },
      commit: String(v.commit ?? ""),
    };
  } catch {
    return null;
  }
}

/**
 * The produce request writing `records` (key, JSON value or null: a tombstone) to `topic`/`partition` as one batch from
 * `identity` (transactional, with its sequence), in the transaction `transactionalId`.
 */
export function offsetsFrame(clientId: string, transactionalId: string, topic: string, partition: number, records: [string, string | null][], identity: BatchIdentity, timestamp = Date.now()): Buffer {
  return transactionalFrame(clientId, transactionalId, topic, partition, records.map(([key, value]) => ({ key, value })), identity, timestamp);
}

export class OffsetsTopic {
  /** The partition this host's records go to (known after `ensure`). */
  partition = 0;

  constructor(
    private readonly client: KafkaClient,
    readonly topic: string,
    private readonly hostname: string,
  ) {}

  /** Creates the topic (compacted) when missing, and finds this host's partition. */
  async ensure(): Promise<void> {
    await this.client.ensureTopic(this.topic, PARTITIONS, { "cleanup.policy": "compact" });
    const partitions = await this.client.partitions(this.topic);
    this.partition = (murmur2(this.hostname) & 0x7fffffff) % partitions.length;
  }

  /** This host's records, read to the end with read_committed: the last per file. */
  async read(): Promise<HostOffsets> {
    const broker = await this.client.leaderBroker(this.topic, this.partition);
    const listed = await broker.listOffsets({ replicaId: -1, isolationLevel: READ_COMMITTED, topics: [{ topic: this.topic, partitions: [{ partition: this.partition, timestamp: LATEST }] }] });
    const end = BigInt(listed.responses[0]!.partitions[0]!.offset);
    const prefix = `${this.hostname}/`;
    const commitKey = commitRecord(this.hostname, "")[0];
    const found = new Map<string, CommittedPosition>();
    let lastCommit: string | null = null;
    let at = 0n;
    while (at < end) {
      const r = await broker.fetch({
        replicaId: -1,
        isolationLevel: READ_COMMITTED,
        maxWaitTime: 100,
        minBytes: 1,
        maxBytes: 8 << 20,
        topics: [{ topic: this.topic, partitions: [{ partition: this.partition, fetchOffset: String(at), maxBytes: 8 << 20 }] }],
      });
      const data = r.responses[0]!.partitions[0]!;
      const batch = new Batch(this.topic, String(at), data);
      const seen = batch.messagesWithinOffset; // control records and aborted ones too: they are passed over
      if (seen.length === 0) break; // nothing more below the end (compacted away)
      for (const m of batch.messages) {
        const key = m.key?.toString("utf8") ?? "";
        if (!key.startsWith(prefix)) continue;
        if (key === commitKey) {
          lastCommit = m.value === null ? null : String((JSON.parse(m.value.toString("utf8")) as { commit?: unknown }).commit);
          continue;
        }
        const decoded = m.value === null ? null : decodePosition(m.value.toString("utf8"));
        if (decoded === null) found.delete(key);
        else found.set(key, decoded);
      }
      const next = BigInt(seen[seen.length - 1]!.offset) + 1n;
      if (next <= at) break;
      at = next;
    }
    return { positions: found, lastCommit };
  }
}
