// Keeps the collect list in step with this host's etcd key.
//
// The source reads the key, then watches it from the revision after that read,
// applying each change in revision order and remembering the revision of the
// last one. When the watch breaks (its member went away, or all of etcd did),
// a new watch starts from that revision + 1 on whichever member answers, so
// every change made meanwhile is replayed in order and none is missed. Each new
// watch is preceded by a read of the key: that call goes through etcd3's
// failover and retries, renews an expired auth token, and fails with a clear
// reason when the user or the TLS settings are refused (a watch would only be
// canceled). If etcd has compacted the revision away, the key is read again and
// watched from there.
//
// The log: a watch that moves to another member is one INFO line; when the
// retry fails too, the outage is one WARN (an ERROR when an operator must act:
// credentials, TLS, a permission), and one INFO with its length when a watch
// runs again. Retries in between log at debug, or again when the problem changes.
//
// Only valid lists reach `onList`: a broken value is logged and the last good
// list keeps running. The last good list is also saved in state_dir, so an
// agent restarted while etcd is down goes on collecting what it collected.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { IKeyValue } from "etcd3";
import type { EtcdSettings } from "../config/load-ini";
import type { Logger } from "../telemetry/logger";
import { Backoff, sleep } from "../util/backoff";
import { type CollectEntry, parseCollectList } from "./collect-entry";
import type { EtcdConnection } from "./etcd-client";
import { type EtcdProblem, errorDetail, etcdProblem, isSetAside } from "./etcd-problem";
import { type KeyWatch, openKeyWatch } from "./key-watch";

export type EtcdClientSettings = Pick<EtcdSettings, "endpoints" | "timeoutMs" | "tls" | "auth">;

export interface EtcdSourceOptions {
  etcd: EtcdClientSettings;
  key: string;
  stateDir: string;
}

/** Applies a list; returns false when the agent rejects it (then it is not remembered as the last good one). */
export type ListHandler = (entries: CollectEntry[], origin: string) => boolean;

enum State {
  Idle,
  /** Reading the key before a watch (also the probe that finds a live member). */
  Reading,
  Watching,
  /** After a failure, until the next try. */
  Waiting,
  Stopped,
}

/** A watch that ran this long was healthy: the next failure starts the backoff from its shortest wait. */
const HEALTHY_WATCH_MS = 30_000;

/** etcd3 reads .proto files and loads `long` lazily; `etcd-client` makes both work inside a compiled binary. */
export async function createEtcdClient(settings: EtcdClientSettings): Promise<EtcdConnection> {
  const { openEtcd } = await import("./etcd-client");
  return openEtcd(settings);
}

export class EtcdCollectSource {
  private state = State.Idle;
  private connection: EtcdConnection | null = null;
  private connecting: Promise<EtcdConnection> | null = null;
  /** The revision of the list applied now (null before one from etcd is). */
  private appliedRevision: bigint | null = null;
  private watch: KeyWatch | null = null;
  /** The revision of the last change applied, or of the read that gave the list; null until the key is read. */
  private revision: bigint | null = null;
  private lastGood: string | null = null;
  private wake: (() => void) | null = null;
  private readonly cacheFile: string;

  constructor(
    private readonly options: EtcdSourceOptions,
    private readonly log: Logger,
    private readonly onList: ListHandler,
  ) {
    this.cacheFile = path.join(options.stateDir, "collect-list.json");
  }

  /** Applies the cached list (if any) at once, then keeps following etcd in the background. */
  start(): void {
    if (this.state !== State.Idle) throw new Error(`EtcdCollectSource.start() called in state ${State[this.state]}`);
    const cached = this.readCache();
    if (cached) this.onList(cached, `the last good list saved in ${this.cacheFile}`);
    void this.run();
  }

  async stop(): Promise<void> {
    this.state = State.Stopped;
    this.wake?.();
    this.watch?.stop();
    this.connection?.client.close();
  }

  /** The client, made once and shared with the status publisher: one connection per agent. */
  connect(): Promise<EtcdConnection> {
    this.connecting ??= createEtcdClient(this.options.etcd).then((c) => (this.connection = c));
    return this.connecting;
  }

  /** For the status: whether a watch runs, the last revision seen and that of the list applied. */
  status(): { connected: boolean; lastRevision: string | null; appliedRevision: string | null } {
    return {
      connected: this.state === State.Watching,
      lastRevision: this.revision === null ? null : String(this.revision),
      appliedRevision: this.appliedRevision === null ? null : String(this.appliedRevision),
    };
  }

  /** A method, not an inline comparison: `stop()` changes the state while `run()` awaits. */
  private stopped(): boolean {
    return this.state === State.Stopped;
  }

  private async run(): Promise<void> {
    let backoff = new Backoff(500, 30_000);
    /** Since when no watch runs, and why; null while one runs (or before the first failure). */
    let outage = null as { since: number; problem: EtcdProblem } | null;
    /** When the last watch broke: a new one on the first try is a move to another member, not an outage. */
    let lost = null as { at: number; member: string; error: Error } | null;
    const fields = () => ({ endpoints: this.options.etcd.endpoints.join(","), key: this.options.key });
    while (!this.stopped()) {
      try {
        const watch = await this.readThenWatch();
        const where = { ...fields(), revision: this.revision, member: watch.member };
        if (outage) {
          const seconds = ((performance.now() - outage.since) / 1000).toFixed(1);
          this.log.info("etcd answers again; the watch resumed after the last change applied.", { ...where, outage_s: seconds }, "EtcdOutageEnded");
        } else if (lost) {
          this.log.info("The etcd watch moved to another member; it resumed after the last change applied.", { ...where, previous_member: lost.member, error: errorDetail(lost.error.message) });
        } else {
          this.log.info("Watching the collect list in etcd.", where);
        }
        outage = lost = null;
        const since = performance.now();
        const end = await watch.ended;
        this.watch = null;
        if (end.kind === "stopped" || this.stopped()) break;
        if (performance.now() - since >= HEALTHY_WATCH_MS) backoff = backoff.reset();
        if (end.kind === "compacted") {
          this.log.info("etcd has compacted the revisions the watch was at; reading the key again.", { ...fields(), revision: this.revision, compact_revision: end.compactRevision });
          this.revision = null;
          continue;
        }
        this.log.debug("The etcd watch ended; opening another.", { ...fields(), member: watch.member, error: end.error });
        lost = { at: performance.now(), member: watch.member, error: end.error };
      } catch (err) {
        if (this.stopped()) break;
        // Right after a watch broke, its member is set aside and only says so: the break says more.
        const cause = isSetAside(err) && lost ? lost.error : err;
        const problem = this.connection?.describe(cause) ?? etcdProblem(cause);
        const detail = { ...fields(), ...(this.options.etcd.auth ? { user: this.options.etcd.auth.username } : {}), error: problem.detail };
        if (!outage || outage.problem.summary !== problem.summary) {
          const sentence = `${problem.summary}; collecting with the current list and retrying.`;
          // Unreachable is a warning (nothing is lost, it may pass); refused settings need an operator.
          if (problem.kind === "unreachable") this.log.warn(sentence, detail, outage ? undefined : "EtcdOutageStarted");
          else this.log.error(sentence, detail, outage ? undefined : "EtcdOutageStarted");
        } else {
          this.log.debug("Still the same etcd problem; retrying.", detail);
        }
        outage = { since: outage?.since ?? lost?.at ?? performance.now(), problem };
      }
      if (this.stopped()) break;
      this.state = State.Waiting;
      await Promise.race([sleep(backoff.delayMs()), new Promise<void>((r) => (this.wake = r))]);
      backoff = backoff.next();
    }
  }

  /** Reads the key (unless a watch is to resume), then watches it from the revision after the last change applied. */
  private async readThenWatch(): Promise<KeyWatch> {
    this.state = State.Reading;
    const { client } = await this.connect();
    const res = await client.get(this.options.key).exec();
    if (this.revision === null) {
      const kv = res.kvs[0] ?? null;
      this.revision = BigInt(res.header.revision);
      this.handle(kv, kv ? BigInt(kv.mod_revision) : this.revision);
    }
    const watch = await openKeyWatch(client, this.options.key, this.revision + 1n, this.options.etcd.timeoutMs, (kv, revision) => {
      this.handle(kv, revision);
      this.revision = revision;
    });
    if (this.stopped()) watch.stop();
    else this.state = State.Watching;
    this.watch = watch;
    return watch;
  }

  private handle(kv: IKeyValue | null, revision: bigint): void {
    const origin = `etcd key ${this.options.key} at revision ${revision}`;
    if (kv === null) {
      this.log.info("Collect list key is absent or was deleted; collecting nothing.", { key: this.options.key, revision });
      this.accept("[]", [], origin, revision);
      return;
    }
    const text = kv.value.toString("utf8");
    if (text === this.lastGood) return;
    const { entries, problems } = parseCollectList(text);
    if (problems.length > 0) {
      this.log.error("Collect list in etcd is invalid; the previous list keeps running.", {
        key: this.options.key,
        revision,
        problems: problems.join("; "),
      });
      return;
    }
    this.accept(text, entries, origin, revision);
  }

  private accept(text: string, entries: CollectEntry[], origin: string, revision: bigint): void {
    if (!this.onList(entries, origin)) return;
    this.lastGood = text;
    this.appliedRevision = revision;
    this.writeCache(entries);
  }

  private readCache(): CollectEntry[] | null {
    let text: string;
    try {
      text = readFileSync(this.cacheFile, "utf8");
    } catch {
      return null;
    }
    const { entries, problems } = parseCollectList(text);
    if (problems.length) {
      this.log.warn("Ignoring the saved collect list; it is not valid.", { file: this.cacheFile, problems: problems.join("; ") });
      return null;
    }
    return entries;
  }

  private writeCache(entries: CollectEntry[]): void {
    try {
      mkdirSync(this.options.stateDir, { recursive: true });
      const tmp = this.cacheFile + ".tmp";
      writeFileSync(tmp, JSON.stringify(entries, null, 2) + "\n");
      renameSync(tmp, this.cacheFile);
    } catch (err) {
      this.log.warn("Cannot save the collect list in state_dir; a restart while etcd is down would start with nothing.", {
        file: this.cacheFile,
        error: err,
      });
    }
  }
}
