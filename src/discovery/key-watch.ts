// One etcd watch on one key, from a given revision, on a gRPC stream of its own.
//
// etcd3's Watcher reconnects by itself, silently and forever, and resumes from
// the revision in the last response header. That header is the store's
// revision, not the last event delivered: etcd sends a watcher that is catching
// up its events in batches, each stamped with the current revision, so a
// reconnect between two batches would skip the rest. The collect source needs
// the opposite: to know when the watch breaks, and to resume from the last
// revision it applied. So this is a plain watch stream that ends at the first
// problem and says why (`ended`); etcd-source.ts decides what comes next.
import { castGrpcErrorMessage, type Etcd3, type IKeyValue, type IWatchResponse } from "etcd3";

export type WatchEnd =
  /** The start revision is no longer in etcd's history: read the key again. */
  | { kind: "compacted"; compactRevision: bigint }
  /** etcd canceled the watch (a missing permission, ...). */
  | { kind: "canceled"; error: Error }
  /** The stream failed or ended: the member went away, or did not confirm the watch in time. */
  | { kind: "broken"; error: Error }
  | { kind: "stopped" };

export interface KeyWatch {
  /** etcd's id (hex) of the member that confirmed the watch. */
  readonly member: string;
  /** Settles once, when the watch is over. */
  readonly ended: Promise<WatchEnd>;
  stop(): void;
}

/** A change to the key: its new value, or null when it was deleted, and the change's revision. */
export type KeyChange = (kv: IKeyValue | null, revision: bigint) => void;

/**
 * Resolves when etcd confirms the watch; rejects with the reason when the watch ends before that
 * (no answer within `timeoutMs` included). Changes reach `onChange` in revision order.
 */
export async function openKeyWatch(client: Etcd3, key: string, fromRevision: bigint, timeoutMs: number, onChange: KeyChange): Promise<KeyWatch> {
  const stream = await client.watchClient.watch();
  return new Promise<KeyWatch>((resolveCreated, rejectCreated) => {
    let created = false;
    let finished = false;
    let finish!: (end: WatchEnd) => void;
    const ended = new Promise<WatchEnd>((resolve) => {
      finish = (end) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        // etcd3 counts an error on a stream that is still writable against its member (which it then
        // sets aside for a while): right for a member that broke the stream or never confirmed the
        // watch, wrong when the watch is merely over, so then the stream is ended first.
        if (end.kind !== "broken") stream.end();
        stream.cancel();
        resolve(end);
        if (!created) rejectCreated("error" in end ? end.error : new Error(`the watch ended before etcd confirmed it (${end.kind})`));
      };
    });
    const timer = setTimeout(() => finish({ kind: "broken", error: new Error(`etcd did not confirm the watch within ${timeoutMs} ms`) }), timeoutMs);

    stream.on("data", (res: IWatchResponse) => {
      if (finished) return;
      if (res.created && !created) {
        created = true;
        clearTimeout(timer);
        resolveCreated({ member: BigInt(res.header.member_id).toString(16), ended, stop: () => finish({ kind: "stopped" }) });
      }
      // The typings say "Put" / "Delete"; with the enums-as-strings loading etcd3 uses, etcd sends "PUT" / "DELETE".
      for (const event of res.events) onChange(String(event.type).toUpperCase() === "DELETE" ? null : event.kv, BigInt(event.kv.mod_revision));
      if (!res.canceled) return;
      const compacted = BigInt(res.compact_revision || "0");
      if (compacted > 0n) finish({ kind: "compacted", compactRevision: compacted });
      else finish({ kind: "canceled", error: castGrpcErrorMessage(res.cancel_reason || "etcdserver: watch canceled") });
    });
    stream.on("error", (error: Error) => finish({ kind: "broken", error }));
    stream.on("end", () => finish({ kind: "broken", error: new Error("etcd closed the watch stream") }));
    stream.write({ create_request: { key: Buffer.from(key), start_revision: fromRevision.toString() } });
  });
}
