// Keeps the collect list in step with this host's etcd key.
//
// Start: get the key, then watch from the revision after that get, so no
// change in between is missed. etcd3's watcher reconnects by itself and
// resumes from the last revision it saw. If the watch is cancelled (for
// example because that revision was compacted) or etcd cannot be reached at
// all, the source starts again from a fresh get, with capped backoff.
//
// Only valid lists reach `onList`: a broken value is logged and the last good
// list keeps running. The last good list is also saved in state_dir, so an
// agent restarted while etcd is down goes on collecting what it collected.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Etcd3, IKeyValue, Watcher } from "etcd3";
import type { Logger } from "../telemetry/logger";
import { Backoff, sleep } from "../util/backoff";
import { type CollectEntry, parseCollectList } from "./collect-entry";

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

/** etcd3 reads .proto files and loads `long` lazily; `etcd-client` makes both work inside a compiled binary. */
export async function createEtcdClient(endpoints: string[], timeoutMs: number): Promise<Etcd3> {
  const { Etcd3 } = await import("./etcd-client");
  return new Etcd3({
    hosts: endpoints.map((e) => (e.includes("://") ? e : `http://${e}`)),
    dialTimeout: timeoutMs,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeoutMs }),
  });
}

export class EtcdCollectSource {
  private state = State.Idle;
  private client: Etcd3 | null = null;
  private watcher: Watcher | null = null;
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
    await this.watcher?.cancel().catch(() => {});
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
        this.client ??= await createEtcdClient(this.options.endpoints, this.options.timeoutMs);
        const ended = await this.getThenWatch();
        if (failing) this.log.info("etcd is reachable again.", { endpoints: this.options.endpoints.join(",") }, "EtcdOutageEnded");
        failing = false;
        backoff = backoff.reset();
        await ended; // resolves when the watch was cancelled by etcd or the source is stopping
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

  /** Gets the key and starts a watch right after its revision. Returns a promise that settles when the watch ends. */
  private async getThenWatch(): Promise<Promise<void>> {
    const client = this.client!;
    const res = await client.get(this.options.key).exec();
    const revision = BigInt(res.header.revision);
    this.handle(res.kvs[0] ?? null, String(revision));

    const watcher = await client.watch().key(this.options.key).startRevision(String(revision + 1n)).create();
    this.watcher = watcher;
    this.state = State.Watching;
    this.log.info("Watching the collect list in etcd.", { key: this.options.key, revision });
    return new Promise<void>((resolve, reject) => {
      watcher.on("put", (kv) => this.handle(kv, kv.mod_revision));
      watcher.on("delete", (kv) => this.handle(null, kv.mod_revision));
      watcher.on("disconnected", (err: Error) =>
        this.log.warn("Lost the etcd watch; collecting with the current list while it reconnects.", { key: this.options.key, error: err }),
      );
      watcher.on("connected", () => this.log.debug("etcd watch (re)connected.", { key: this.options.key }));
      watcher.on("error", (err: Error) => {
        this.watcher = null;
        reject(err);
      });
      watcher.on("end", () => resolve());
      this.wake = () => resolve();
    });
  }

  private handle(kv: IKeyValue | null, revision: string): void {
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
