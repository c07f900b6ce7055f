// The composition root: builds the pipeline
//   collect list (etcd or INI) -> FileServer/Tailers -> LineQueue -> KafkaSink -> Checkpointer
// and owns its start and stop order. Everything runs on one event loop.
import { Checkpointer } from "./checkpoint/checkpointer";
import { FilePositionStore } from "./checkpoint/file-position-store";
import { ConfigError } from "./config/config-error";
import type { AgentConfig } from "./config/load-ini";
import { expandKey, type HostIdentity } from "./config/host";
import { UNCONFINED_WARNING } from "./discovery/allow-paths";
import type { CollectEntry } from "./discovery/collect-entry";
import { EtcdCollectSource } from "./discovery/etcd-source";
import { KafkaSink } from "./kafka/kafka-sink";
import { admitEntries } from "./discovery/list-rules";
import { type ResolvedEntry, resolveEntries } from "./discovery/resolve-entries";
import { LineQueue } from "./pipeline/line-queue";
import { FileServer } from "./tail/file-server";
import { account } from "./tail/unreadable";
import { METRICS, collectFrom } from "./telemetry/agent-metrics";
import { type AgentStatus, AgentStatusBuilder } from "./telemetry/agent-status";
import { judgeHealth } from "./telemetry/health";
import { HttpServer, ListenError } from "./telemetry/http-server";
import type { Logger } from "./telemetry/logger";
import { StatusPublisher } from "./telemetry/status-publisher";
import { VERSION } from "./version";

export class Agent {
  private readonly queue: LineQueue;
  private readonly files: FileServer;
  private readonly sink: KafkaSink;
  private readonly checkpointer: Checkpointer;
  private etcd: EtcdCollectSource | null = null;
  private http: HttpServer | null = null;
  private publisher: StatusPublisher | null = null;
  private readonly statusBuilder: AgentStatusBuilder;
  private warnedAcks0 = false;
  /** Rejected when the agent cannot go on by itself (exactly_once: fenced by another agent); the caller stops it. */
  readonly fatal: Promise<never>;
  private failFatal: (err: Error) => void = () => {};

  constructor(
    private readonly config: AgentConfig,
    private readonly host: HostIdentity,
    private readonly log: Logger,
  ) {
    const { agent, kafka } = config;
    this.queue = new LineQueue(kafka.chanMaxSize, agent.maxBufferBytes);
    this.sink = new KafkaSink(kafka, host.hostname, this.queue, log.child("kafka"), {
      topicBlocked: (topic, blocked) => this.files.setBlocked(topic, blocked),
      positionsMoved: (trackers) => this.checkpointer.moved(trackers),
      positionAt: (fileKey, offset) => this.checkpointer.preview(fileKey, offset),
      fatal: (err) => this.failFatal(err),
    });
    this.fatal = new Promise<never>((_, reject) => (this.failFatal = reject));
    this.fatal.catch(() => {}); // awaited by whoever runs the agent
    this.checkpointer = new Checkpointer(
      new FilePositionStore(agent.stateDir, log.child("checkpoint")),
      { intervalMs: agent.checkpointIntervalMs, forgetAfterMs: agent.forgetAfterMs, onForget: (fileKeys) => this.sink.forget(fileKeys) },
      log.child("checkpoint"),
    );
    this.files = new FileServer(
      {
        pollIntervalMs: agent.pollIntervalMs,
        idlePollMaxMs: agent.idlePollMaxMs,
        rotateWaitMs: agent.rotateWaitMs,
        rescanIntervalMs: agent.rescanIntervalMs,
        maxOpenFiles: agent.maxOpenFiles,
        positions: this.checkpointer,
        onChange: () => this.publisher?.poke(),
      },
      this.queue,
      log.child("files"),
    );
    this.statusBuilder = new AgentStatusBuilder({
      version: VERSION,
      host,
      startedAt: new Date(),
      intervalS: config.etcd?.statusKeyTemplate ? config.etcd.statusIntervalMs / 1000 : null,
      collect: () => {
        if (!this.etcd) return { from: "ini", key: null, revision: null };
        return { from: "etcd", key: expandKey(config.etcd!.collectKeyTemplate, host), revision: this.etcd.status().appliedRevision };
      },
      files: () => this.files.describe(),
      generation: () => this.files.generation,
      kafka: () => this.kafkaState(),
      etcd: () => {
        if (!this.etcd) return null;
        const { connected, lastRevision } = this.etcd.status();
        return { connected, lastRevision };
      },
    });
  }

  /** The status that etcd's status key holds (and /status serves). */
  status(): AgentStatus {
    return this.statusBuilder.build();
  }

  /** Kafka's part of the status: reachable, refused topics, lines waiting on them, dead letters. */
  private kafkaState() {
    return { ...this.sink.health(), waiting: this.sink.waiting(), deadLettered: this.sink.deadLettered };
  }

  /** Throws a ConfigError when the INI's own [collect.*] list does not resolve (a bad topic template, ...). */
  async start(): Promise<void> {
    const { config } = this;
    let staticList: ResolvedEntry[] = [];
    if (!config.etcd) {
      const { resolved, problems } = resolveEntries(config.collect, config, this.host);
      if (problems.length) throw new ConfigError(problems.map((message) => ({ file: config.file, message })));
      staticList = resolved;
    }
    this.log.info("Starting.", { config: config.file, kafka: config.kafka.brokers.join(","), host: this.host.hostname, ip: this.host.ip }, "AgentStarting");
    // First: an address that cannot be listened on stops the start before anything is read.
    if (config.http.address) this.serveHttp(config.http.address);
    // Positions first (tailers need them to resume), then the sink so that lines have somewhere to
    // go, then the list source, which starts the tailers.
    await this.checkpointer.load();
    if (config.kafka.delivery === "exactly_once") {
      // Positions committed in Kafka win over state_dir's when further on (or when state_dir was lost).
      const taken = this.checkpointer.adopt(await this.sink.prepare());
      this.log.info("Positions committed in Kafka are used where they are further on than state_dir's.", { files: taken });
    }
    this.checkpointer.start();
    this.sink.start();
    this.files.start();
    if (config.etcd) {
      const key = expandKey(config.etcd.collectKeyTemplate, this.host);
      if (!config.agent.allowPaths) this.log.warn(UNCONFINED_WARNING, { key, account: account() });
      this.etcd = new EtcdCollectSource(
        { etcd: config.etcd, key, stateDir: config.agent.stateDir },
        this.log.child("etcd"),
        (entries, origin) => this.apply(entries, origin),
      );
      this.etcd.start();
      const { statusKeyTemplate, statusIntervalMs, statusLeaseTtlS, timeoutMs } = config.etcd;
      if (statusKeyTemplate) {
        const statusKey = expandKey(statusKeyTemplate, this.host);
        this.publisher = new StatusPublisher({ key: statusKey, intervalMs: statusIntervalMs, leaseTtlS: statusLeaseTtlS, timeoutMs }, this.statusBuilder, this.etcd, this.log.child("status"));
        this.publisher.start();
      }
    } else {
      this.applyResolved(staticList, `[collect.*] sections of ${config.file}`);
    }
  }

  /**
   * Stops reading, waits for lines in flight up to `timeoutMs` (shutdown_timeout_ms unless the
   * caller has less time, as on a console close), then saves positions.
   * Lines not acknowledged by then are not counted as sent: their files resume before them.
   */
  async stop(timeoutMs = this.config.agent.shutdownTimeoutMs): Promise<void> {
    this.log.info("Stopping: no more reading; waiting for lines in flight.", { timeout_ms: timeoutMs }, "AgentStopping");
    // The status goes first, while the etcd client is still open: a stopped agent is not listed.
    await this.publisher?.stop();
    await this.etcd?.stop();
    this.files.stop();
    const left = await this.sink.stop(timeoutMs);
    await this.checkpointer.stop();
    this.http?.stop();
    collectFrom(null);
    if (left > 0) this.log.warn("Stopped before Kafka acknowledged every line read; they are sent again on the next start.", { lines: left }, "AgentStopped");
    else this.log.info("Stopped; every line read was acknowledged by Kafka and positions are saved.", {}, "AgentStopped");
  }

  /**
   * A list from etcd: entries that do not resolve, or that name files outside [agent] allow_paths,
   * reject the whole list, so the last good one keeps running. The rules are `logagent collect`'s
   * too (list-rules.ts).
   */
  private apply(entries: CollectEntry[], origin: string): boolean {
    const { resolved, problems } = admitEntries(entries, this.config, this.host);
    if (problems.length) {
      this.log.error("Collect list is invalid; the previous list keeps running.", { from: origin, problems: problems.join("; ") });
      return false;
    }
    this.applyResolved(resolved, origin);
    return true;
  }

  private serveHttp(address: NonNullable<AgentConfig["http"]["address"]>): void {
    const { config } = this;
    collectFrom({
      queue: this.queue,
      openFiles: () => this.files.openFiles(),
      files: () => this.files.describe().files,
      etcd: () => {
        const e = this.etcd?.status();
        return e ? { connected: e.connected, revision: e.appliedRevision === null ? null : BigInt(e.appliedRevision) } : null;
      },
      waiting: () => this.sink.waiting(),
      deadLettered: () => this.sink.deadLettered,
    });
    try {
      this.http = HttpServer.start(
        address,
        {
          metrics: () => METRICS.render(),
          health: () => judgeHealth(this.sink.health(), Date.now(), config.http.unhealthyAfterMs),
          status: () => this.status(),
        },
        this.log.child("http"),
      );
    } catch (err) {
      if (!(err instanceof ListenError)) throw err;
      throw new ConfigError([{ file: config.file, section: "http", key: "address", message: `= ${JSON.stringify(`${address.hostname}:${address.port}`)}: ${err.message}` }]);
    }
    this.log.info("Serving /metrics, /healthz and /status.", { url: this.http.url });
  }

  private applyResolved(entries: ResolvedEntry[], origin: string): void {
    this.log.info("Applying collect list.", { from: origin, entries: entries.length });
    if (!this.warnedAcks0 && entries.some((e) => e.output.acks === 0)) {
      this.warnedAcks0 = true;
      this.log.warn("acks = 0: Kafka does not confirm writes, so delivery is at-most-once; lines can be lost.");
    }
    this.files.apply(entries);
  }
}
