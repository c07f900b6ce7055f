// The two etcd v3 calls the agent makes (read one key, watch it from a
// revision) over etcd's JSON gateway: plain HTTP + JSON, served on the client
// port by etcd 3.4 and later (`/v3/kv/range`, `/v3/watch`), through Bun's own
// fetch. It replaces the etcd3 package (gRPC over HTTP/2, protobufjs and the
// parsed .proto files), which by itself took about 35 MB of resident memory,
// more than a third of an idle agent's, for these two calls.
//
// Endpoints are tried in turn: a call that cannot reach one moves on to the
// next, and the one that answered is tried first next time. A watch is one
// long HTTP response of JSON messages, one per line; when it ends (etcd
// restarted, the connection dropped, the revision compacted) the caller reads
// the key again and watches anew, so no change is missed in between.
//
// Keys and values travel base64-encoded; revisions are 64-bit integers sent as
// decimal strings, and kept as such (or as bigint) to stay exact.

export interface KeyValue {
  key: string;
  value: Buffer;
  /** The revision of the change that wrote it, decimal. */
  modRevision: string;
}

export interface RangeResult {
  /** The store's revision when it answered: a watch from revision + 1 misses nothing after this read. */
  revision: bigint;
  kv: KeyValue | null;
}

export interface WatchHandlers {
  put(kv: KeyValue): void;
  delete(kv: KeyValue): void;
}

export interface Watch {
  /** Settles when the watch ends: resolves when cancelled or closed by etcd, rejects on an error. */
  readonly ended: Promise<void>;
  cancel(): void;
}

/** What etcd's gateway sends: a subset of etcdserverpb's messages in proto3 JSON (zero values left out). */
interface GatewayKv {
  key?: string;
  value?: string;
  mod_revision?: string;
}
interface WatchMessage {
  result?: {
    header?: { revision?: string };
    created?: boolean;
    canceled?: boolean;
    cancel_reason?: string;
    compact_revision?: string;
    events?: { type?: "PUT" | "DELETE"; kv?: GatewayKv }[];
  };
  error?: { message?: string; grpc_code?: number };
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

function keyValue(kv: GatewayKv | undefined): KeyValue {
  return {
    key: Buffer.from(kv?.key ?? "", "base64").toString("utf8"),
    value: Buffer.from(kv?.value ?? "", "base64"),
    modRevision: kv?.mod_revision ?? "0",
  };
}

export class EtcdClient {
  private readonly urls: string[];
  /** The endpoint that answered last: tried first. */
  private current = 0;
  private readonly open = new Set<AbortController>();

  constructor(
    endpoints: string[],
    private readonly timeoutMs: number,
  ) {
    // A bare host:port is http, as the INI says (load-ini.ts refuses a mix of schemes).
    this.urls = endpoints.map((e) => (e.includes("://") ? e : `http://${e}`).replace(/\/+$/, ""));
  }

  /** Reads `key`. Throws when no endpoint answers, each within the timeout. */
  async get(key: string): Promise<RangeResult> {
    const res = await this.call("/v3/kv/range", { key: b64(key) }, AbortSignal.timeout(this.timeoutMs * (this.urls.length + 1)));
    const body = (await res.json()) as { header?: { revision?: string }; kvs?: GatewayKv[] };
    return { revision: BigInt(body.header?.revision ?? "0"), kv: body.kvs?.length ? keyValue(body.kvs[0]) : null };
  }

  /**
   * Watches `key` from `startRevision` on. Resolves once etcd confirms the watch (within the timeout);
   * then each change calls `on`, until the watch ends (see Watch).
   */
  async watch(key: string, startRevision: bigint, on: WatchHandlers): Promise<Watch> {
    const abort = new AbortController();
    this.open.add(abort);
    const confirmDeadline = setTimeout(() => abort.abort(new Error(`etcd did not confirm the watch within ${this.timeoutMs} ms`)), this.timeoutMs);
    try {
      const res = await this.call("/v3/watch", { create_request: { key: b64(key), start_revision: String(startRevision) } }, abort.signal);
      const messages = lines(res.body!)[Symbol.asyncIterator]();
      const first = await messages.next();
      const created = first.done ? undefined : (JSON.parse(first.value) as WatchMessage);
      if (!created?.result?.created) throw new Error(`etcd refused the watch: ${created?.error?.message ?? created?.result?.cancel_reason ?? "the stream ended"}`);
      clearTimeout(confirmDeadline);
      const ended = (async () => {
        try {
          for (let m = await messages.next(); !m.done; m = await messages.next()) {
            const msg = JSON.parse(m.value) as WatchMessage;
            if (msg.error) throw new Error(`etcd watch failed: ${msg.error.message ?? JSON.stringify(msg.error)}`);
            for (const e of msg.result?.events ?? []) (e.type === "DELETE" ? on.delete : on.put)(keyValue(e.kv));
            if (msg.result?.canceled) {
              const why = msg.result.compact_revision ? `revision ${startRevision} was compacted (oldest kept ${msg.result.compact_revision})` : (msg.result.cancel_reason ?? "cancelled by etcd");
              throw new Error(`etcd ended the watch: ${why}`);
            }
          }
        } catch (err) {
          if (abort.signal.aborted && abort.signal.reason === CANCELLED) return;
          throw err;
        } finally {
          this.open.delete(abort);
        }
      })();
      return { ended, cancel: () => abort.abort(CANCELLED) };
    } catch (err) {
      this.open.delete(abort);
      abort.abort(CANCELLED);
      throw abort.signal.reason instanceof Error && abort.signal.reason !== CANCELLED ? abort.signal.reason : err;
    } finally {
      clearTimeout(confirmDeadline);
    }
  }

  /** Ends every watch. */
  close(): void {
    for (const a of this.open) a.abort(CANCELLED);
    this.open.clear();
  }

  /**
   * POSTs `body` to `path` on the endpoints in turn, from the one that answered last, each given
   * timeoutMs to answer. The response's body stays tied to `outer`: aborting it ends a watch.
   */
  private async call(path: string, body: unknown, outer: AbortSignal): Promise<Response> {
    let lastError: unknown;
    const first = this.current;
    for (let i = 0; i < this.urls.length; i++) {
      const at = (first + i) % this.urls.length;
      const url = this.urls[at] + path;
      const attempt = new AbortController();
      const follow = () => attempt.abort(outer.reason);
      outer.addEventListener("abort", follow, { once: true });
      const timer = setTimeout(() => attempt.abort(new Error(`no answer from ${this.urls[at]} within ${this.timeoutMs} ms`)), this.timeoutMs);
      try {
        const res = await fetch(url, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" }, signal: attempt.signal });
        if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
        this.current = at;
        return res;
      } catch (err) {
        outer.removeEventListener("abort", follow);
        if (outer.aborted) throw outer.reason;
        lastError = attempt.signal.aborted ? attempt.signal.reason : err;
        this.current = (at + 1) % this.urls.length;
      } finally {
        clearTimeout(timer);
      }
    }
    throw lastError;
  }
}

/** The reason a watch was aborted on purpose (cancel, close): its end is not an error. */
const CANCELLED = new Error("cancelled");

/** The lines of a byte stream, decoded as UTF-8, without their line ends; empty lines skipped. */
async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of stream) {
    rest += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = rest.indexOf("\n")) >= 0) {
      const line = rest.slice(0, nl).trim();
      rest = rest.slice(nl + 1);
      if (line) yield line;
    }
  }
  if (rest.trim()) yield rest.trim();
}
