// Keeps the agent's status (agent-status.ts) in etcd under a lease, so that `logagent fleet`
// sees every live agent and a dead one drops out by itself.
//
// - The key is attached to a lease of status_lease_ttl_s, kept alive every third of it. A kill -9
//   stops the keep-alives and etcd deletes the key when the lease expires; a clean stop revokes
//   the lease, which deletes the key at once.
// - The status is written every status_interval_s, and sooner when its significant part changed:
//   an entry, a file, an error, a state. Counters alone (offsets, lag, rates) wait for the
//   interval: with 10,000 agents every write counts (see the README).
// - Nothing runs on a timer of its own between keep-alives: the file server and the list `poke()`
//   the publisher when they change, and a change is written a second later (a burst, such as a
//   glob finding many files, is one write). States that come without a poke (Kafka's) are compared
//   at each keep-alive. A comparison is of `signal()` (a counter and a few small fields) first,
//   never a look at files: with 1,000 idle files the status adds no measurable CPU (a wake-up of
//   a Bun process costs about 0.25 ms, so even a once-a-second check showed).
// - When etcd is away, the collect source has already said so (one WARN, one INFO with the
//   outage's length); the publisher only retries, quietly, with a backoff. If the lease expired
//   meanwhile, the next keep-alive says so and a new lease is granted. A failure while the source's
//   watch runs is the status's own (its key refused, say): one WARN per cause, one INFO when over.
import type { EtcdConnection } from "../discovery/etcd-client";
import { etcdProblem } from "../discovery/etcd-problem";
import { Backoff } from "../util/backoff";
import type { AgentStatusBuilder } from "./agent-status";
import { significant } from "./agent-status";
import type { Logger } from "./logger";

export interface StatusPublisherOptions {
  key: string;
  intervalMs: number;
  leaseTtlS: number;
  /** [etcd] timeout: the longest one call may take. */
  timeoutMs: number;
}

/** What the publisher needs from the collect source: its client, and whether its watch runs. */
export interface EtcdLink {
  connect(): Promise<EtcdConnection>;
  status(): { connected: boolean };
}

/** How long after a poke the status is compared and written: changes that come together are one write. */
const SETTLE_MS = 1000;
/** A clean stop deletes the key within this, or leaves it to the lease. */
const STOP_BUDGET_MS = 3000;

class LeaseExpired extends Error {
  override name = "LeaseExpired" as const;
}

export class StatusPublisher {
  private lease: string | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private pokeTimer: ReturnType<typeof setTimeout> | null = null;
  private busy = false;
  /** A poke came while a pass ran: run another right after it. */
  private again = false;
  private stopped = false;
  /** performance.now() times. */
  private writeAt = 0;
  private keepAliveAt = Infinity;
  private lastSignal = "";
  private lastSignificant = "";
  private backoff: Backoff;
  /** The summary of the status's own problem, said once; null while writes succeed. */
  private trouble: string | null = null;
  private written = false;

  constructor(
    private readonly options: StatusPublisherOptions,
    private readonly builder: AgentStatusBuilder,
    private readonly etcd: EtcdLink,
    private readonly log: Logger,
  ) {
    this.backoff = new Backoff(SETTLE_MS, this.keepAliveMs());
  }

  start(): void {
    this.schedule(0);
  }

  /** Something the status shows may have changed (cheap: one timer for any number of pokes). */
  poke(): void {
    if (this.pokeTimer || this.stopped) return;
    this.pokeTimer = setTimeout(() => {
      this.pokeTimer = null;
      void this.pass();
    }, SETTLE_MS);
    this.pokeTimer.unref?.();
  }

  /**
   * Deletes the status by revoking its lease. Bounded: with etcd away (the source knows) it is not
   * tried, and a revoke gets a few seconds; either way the lease expires on its own.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.pokeTimer) clearTimeout(this.pokeTimer);
    const lease = this.lease;
    this.lease = null;
    if (lease === null) return;
    if (!this.etcd.status().connected) {
      this.log.info("etcd is away: the agent status goes when its lease expires.", { key: this.options.key, ttl_s: this.options.leaseTtlS });
      return;
    }
    await this.revoke(lease);
  }

  private async revoke(lease: string): Promise<void> {
    try {
      const { client } = await this.etcd.connect();
      await client.leaseClient.leaseRevoke({ ID: lease }, { deadline: Date.now() + Math.min(this.options.timeoutMs, STOP_BUDGET_MS) });
      this.log.debug("Deleted the agent status from etcd.", { key: this.options.key });
    } catch (err) {
      this.log.warn("Could not delete the agent status from etcd; it goes when its lease expires.", { key: this.options.key, ttl_s: this.options.leaseTtlS, error: etcdProblem(err).detail });
    }
  }

  private keepAliveMs(): number {
    return (this.options.leaseTtlS * 1000) / 3;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.pass(), ms);
    // The agent's life is held by its other parts; a pending status write must not hold it up.
    this.timer.unref?.();
  }

  /** One pass at a time; the next is timed by what is due (a write, a keep-alive) or by the backoff. */
  private async pass(): Promise<void> {
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    let next: number | undefined;
    try {
      next = await this.tick();
    } finally {
      this.busy = false;
    }
    if (next === undefined) return;
    if (this.again) {
      this.again = false;
      next = 0;
    }
    this.schedule(next);
  }

  /** Writes or keeps alive what is due; returns when to look again (undefined once stopped). */
  private async tick(): Promise<number | undefined> {
    try {
      const now = performance.now();
      if (this.lease === null || now >= this.writeAt || this.changed()) await this.write();
      // A put does not renew a lease: keep-alives go on however often the status is written.
      if (performance.now() >= this.keepAliveAt) await this.keepAlive();
      this.recovered();
      this.backoff = this.backoff.reset();
      return Math.max(0, Math.min(this.writeAt, this.keepAliveAt) - performance.now());
    } catch (err) {
      if (this.stopped) return undefined; // a call cut short by stop()'s revoke
      if (err instanceof LeaseExpired || /lease not found/i.test((err as Error)?.message ?? "")) {
        this.lease = null;
        this.log.info("The agent status's lease expired (no keep-alive reached etcd within its time to live); writing the status again under a new lease.", { key: this.options.key, ttl_s: this.options.leaseTtlS });
        return 0;
      }
      this.failed(err);
      const wait = this.backoff.delayMs();
      this.backoff = this.backoff.next();
      return wait;
    }
  }

  /** Whether the significant part moved since the last write; builds the status only when the cheap signal moved. */
  private changed(): boolean {
    const signal = this.builder.signal();
    if (signal === this.lastSignal) return false;
    this.lastSignal = signal;
    return significant(this.builder.build()) !== this.lastSignificant;
  }

  private async write(): Promise<void> {
    const { client } = await this.etcd.connect();
    const deadline = () => ({ deadline: Date.now() + this.options.timeoutMs });
    if (this.lease === null) {
      const granted = await client.leaseClient.leaseGrant({ TTL: this.options.leaseTtlS }, deadline());
      // Stopped while the grant was on its way: stop() saw no lease to revoke.
      if (this.stopped) return this.revoke(granted.ID);
      this.lease = granted.ID;
      this.keepAliveAt = performance.now() + this.keepAliveMs();
    }
    const signal = this.builder.signal();
    const status = this.builder.build();
    await client.kv.put({ key: Buffer.from(this.options.key), value: Buffer.from(JSON.stringify(status)), lease: this.lease }, deadline());
    this.lastSignal = signal;
    this.lastSignificant = significant(status);
    this.writeAt = performance.now() + this.options.intervalMs;
    if (!this.written) {
      this.written = true;
      this.log.info("Keeping the agent status in etcd.", { key: this.options.key, interval_s: this.options.intervalMs / 1000, lease_ttl_s: this.options.leaseTtlS });
    }
  }

  /** One keep-alive on a stream of its own (a stream held open would be one more thing to mend after an outage). */
  private async keepAlive(): Promise<void> {
    const { client } = await this.etcd.connect();
    const lease = this.lease!;
    const stream = await client.leaseClient.leaseKeepAlive({ deadline: Date.now() + this.options.timeoutMs });
    try {
      const ttl = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no keep-alive answer within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
        stream.on("data", (res) => (clearTimeout(timer), resolve(Number(res.TTL))));
        stream.on("error", (err) => (clearTimeout(timer), reject(err)));
        stream.write({ ID: lease });
      });
      if (ttl <= 0) throw new LeaseExpired(`lease ${lease} expired`);
      this.keepAliveAt = performance.now() + this.keepAliveMs();
    } finally {
      stream.end();
    }
  }

  private failed(err: unknown): void {
    const problem = etcdProblem(err);
    const detail = { key: this.options.key, error: problem.detail };
    // etcd away (or refusing the agent): the collect source says so, once; nothing to add on every
    // retry. A member that stops answering may fail a write before the source's watch notices.
    if (!this.etcd.status().connected || problem.kind === "unreachable") {
      this.log.debug("Cannot write the agent status to etcd now; retrying.", detail);
      return;
    }
    if (this.trouble === problem.summary) {
      this.log.debug("Still cannot write the agent status to etcd; retrying.", detail);
      return;
    }
    this.trouble = problem.summary;
    const why = problem.kind === "permission" ? "etcd refused to let this user write the status key: grant its role write access to it (etcdctl role grant-permission ROLE readwrite KEY)" : problem.summary;
    this.log.warn(`Cannot write the agent status to etcd (${why}); the fleet view misses this agent until it can. Retrying.`, detail);
  }

  private recovered(): void {
    if (this.trouble === null) return;
    this.trouble = null;
    this.log.info("The agent status is written to etcd again.", { key: this.options.key });
  }
}
