// Keeps the collect list in step with this host's etcd key.
//
// Start: get the key, then watch from the revision after that get, so no
// change in between is missed. When the watch ends (etcd restarted, the
// connection dropped, the revision compacted) the source starts again from a
// fresh get, at once, then with capped backoff while etcd cannot be reached.
//
// Only valid lists reach `onList`: a broken value is logged and the last good
// list keeps running. The last good list is also saved in state_dir, so an
// agent restarted while etcd is down goes on collecting what it collected.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Logger } from "../telemetry/logger";
import { Backoff, sleep } from "../util/backoff";
import { type CollectEntry, parseCollectList } from "./collect-entry";
import { EtcdClient, type KeyValue, type Watch } from "./etcd-client";

export interface EtcdSourceOptions {
  endpoints: string[];
  timeoutMs: number;
  key: string;
  stateDir: string;
}

/** Applies a list; returns false when the agent rejects it (then it is not remembered as the last good one). */
export type ListHandler = (entries: CollectEntry[], origin: string) => boolean;

enum State {
  Idle,
  Connecting,
  Watching,
  Stopped,
}

export class EtcdCollectSource {
  private state = State.Idle;
  private client: EtcdClient | null = null;
  private watcher: Watch | null = null;
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
    this.watcher?.cancel();
    this.client?.close();
  }

  /** A method, not an inline comparison: `stop()` changes the state while `run()` awaits. */
  private stopped(): boolean {
    return this.state === State.Stopped;
  }

  private async run(): Promise<void> {
    let backoff = new Backoff(500, 30_000);
    let failing = false;
    while (!this.stopped()) {
      this.state = State.Connecting;
      try {
        this.client ??= new EtcdClient(this.options.endpoints, this.options.timeoutMs);
        const watch = await this.getThenWatch();
        if (failing) this.log.info("etcd is reachable again.", { endpoints: this.options.endpoints.join(",") }, "EtcdOutageEnded");
        failing = false;
        const since = performance.now();
        const lost = await watch.ended.then(
          () => null,
          (err: Error) => err,
        );
        this.watcher = null;
        if (this.stopped()) break;
        // The list keeps running meanwhile, and the next get misses no change. A watch that ended soon
        // after it started (etcd refusing it again and again) backs off like an unreachable etcd.
        if (performance.now() - since > 10_000) backoff = backoff.reset();
        this.log.warn("Lost the etcd watch; collecting with the current list while it reconnects.", { key: this.options.key, error: lost ?? "etcd closed it" });
      } catch (err) {
        if (this.stopped()) break;
        const fields = { endpoints: this.options.endpoints.join(","), key: this.options.key, error: err };
        if (!failing) this.log.error("Cannot read the collect list from etcd; collecting with the last good list and retrying.", fields, "EtcdOutageStarted");
        else this.log.debug("etcd still unreachable; retrying.", fields);
        failing = true;
      }
      if (this.stopped()) break;
      await Promise.race([sleep(backoff.delayMs()), new Promise<void>((r) => (this.wake = r))]);
      backoff = backoff.next();
    }
  }

  /** Gets the key and starts a watch right after its revision. */
  private async getThenWatch(): Promise<Watch> {
    const client = this.client!;
    const { revision, kv } = await client.get(this.options.key);
    this.handle(kv, String(revision));
    const watch = await client.watch(this.options.key, revision + 1n, {
      put: (kv) => this.handle(kv, kv.modRevision),
      delete: (kv) => this.handle(null, kv.modRevision),
    });
    this.watcher = watch;
    // stop() while the watch was being made: end it here, as stop() could not.
    if (this.stopped()) watch.cancel();
    else {
      this.state = State.Watching;
      this.log.info("Watching the collect list in etcd.", { key: this.options.key, revision });
    }
    return watch;
  }

  private handle(kv: KeyValue | null, revision: string): void {
    const origin = `etcd key ${this.options.key} at revision ${revision}`;
    if (kv === null) {
      this.log.info("Collect list key is absent or was deleted; collecting nothing.", { key: this.options.key, revision });
      this.accept("[]", [], origin);
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
    this.accept(text, entries, origin);
  }

  private accept(text: string, entries: CollectEntry[], origin: string): void {
    if (!this.onList(entries, origin)) return;
    this.lastGood = text;
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
