// The composition root: builds the pipeline
//   collect list (etcd or INI) -> FileServer/Tailers -> LineQueue -> KafkaSink -> Checkpointer
// and owns its start and stop order. Everything runs on one event loop.
import { Checkpointer } from "./checkpoint/checkpointer";
import { FilePositionStore } from "./checkpoint/file-position-store";
import { ConfigError } from "./config/config-error";
import type { AgentConfig } from "./config/load-ini";
import { expandKey, type HostIdentity } from "./config/host";
import { UNCONFINED_WARNING, confine, screenEntries } from "./discovery/allow-paths";
import type { CollectEntry } from "./discovery/collect-entry";
import { EtcdCollectSource } from "./discovery/etcd-source";
import { KafkaSink } from "./kafka/kafka-sink";
import { type ResolvedEntry, resolveEntries } from "./discovery/resolve-entries";
import { LineQueue } from "./pipeline/line-queue";
import { FileServer } from "./tail/file-server";
import { account } from "./tail/unreadable";
import { type AgentStatus, AgentStatusBuilder } from "./telemetry/agent-status";
import type { Logger } from "./telemetry/logger";
import { StatusPublisher } from "./telemetry/status-publisher";
import { VERSION } from "./version";

export class Agent {
  private readonly queue: LineQueue;
  private readonly files: FileServer;
  private readonly sink: KafkaSink;
  private readonly checkpointer: Checkpointer;
  private etcd: EtcdCollectSource | null = null;
  private publisher: StatusPublisher | null = null;
  private readonly statusBuilder: AgentStatusBuilder;
  private warnedAcks0 = false;

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
    });
    this.checkpointer = new Checkpointer(
      new FilePositionStore(agent.stateDir, log.child("checkpoint")),
      { intervalMs: agent.checkpointIntervalMs, forgetAfterMs: agent.forgetAfterMs },
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

  /** Kafka's part of the status. A stand-in until KafkaSink.health() is wired here. */
  private kafkaState(): unknown {
    return { brokers: this.config.kafka.brokers, queuedLines: this.queue.pending + this.queue.unsettled, blockedTopics: this.files.blockedTopics() };
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
    // Positions first (tailers need them to resume), then the sink so that lines have somewhere to
    // go, then the list source, which starts the tailers.
    await this.checkpointer.load();
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
    if (left > 0) this.log.warn("Stopped before Kafka acknowledged every line read; they are sent again on the next start.", { lines: left }, "AgentStopped");
    else this.log.info("Stopped; every line read was acknowledged by Kafka and positions are saved.", {}, "AgentStopped");
  }

  /**
   * A list from etcd: entries that do not resolve, or that name files outside [agent] allow_paths,
   * reject the whole list, so the last good one keeps running.
   */
  private apply(entries: CollectEntry[], origin: string): boolean {
    const allow = this.config.agent.allowPaths;
    const screened = screenEntries(entries, allow);
    const { resolved, problems } = resolveEntries(screened.inside, this.config, this.host);
    problems.push(...screened.problems);
    if (problems.length) {
      this.log.error("Collect list is invalid; the previous list keeps running.", { from: origin, problems: problems.join("; ") });
      return false;
    }
    this.applyResolved(confine(resolved, allow), origin);
    return true;
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
