// The composition root: builds the pipeline
//   collect list (etcd or INI) -> FileServer/Tailers -> LineQueue -> KafkaSink -> Checkpointer
// and owns its start and stop order. Everything runs on one event loop.
import { Checkpointer } from "./checkpoint/checkpointer";
import { FilePositionStore } from "./checkpoint/file-position-store";
import type { AgentConfig } from "./config/load-ini";
import { expandKey, type HostIdentity } from "./config/host";
import type { CollectEntry } from "./discovery/collect-entry";
import { EtcdCollectSource } from "./discovery/etcd-source";
import { KafkaSink } from "./kafka/kafka-sink";
import { LineQueue, type LineRecord } from "./pipeline/line-queue";
import { FileServer } from "./tail/file-server";
import type { Logger } from "./telemetry/logger";

export class Agent {
  private readonly queue: LineQueue;
  private readonly files: FileServer;
  private readonly sink: KafkaSink;
  private readonly checkpointer: Checkpointer;
  private etcd: EtcdCollectSource | null = null;

  constructor(
    private readonly config: AgentConfig,
    private readonly host: HostIdentity,
    private readonly log: Logger,
  ) {
    const { agent, kafka } = config;
    this.queue = new LineQueue(kafka.chanMaxSize, agent.maxBufferBytes);
    this.sink = new KafkaSink(kafka, host.hostname, this.queue, log.child("kafka"), (batch) => this.delivered(batch));
    this.checkpointer = new Checkpointer(
      new FilePositionStore(agent.stateDir, log.child("checkpoint")),
      { intervalMs: agent.checkpointIntervalMs, forgetAfterMs: agent.forgetAfterMs },
      log.child("checkpoint"),
    );
    this.files = new FileServer(
      { pollIntervalMs: agent.pollIntervalMs, rotateWaitMs: agent.rotateWaitMs, from: agent.from, positions: this.checkpointer },
      this.queue,
      log.child("files"),
    );
  }

  async start(): Promise<void> {
    const { config } = this;
    this.log.info("Starting.", { config: config.file, kafka: config.kafka.brokers.join(","), host: this.host.hostname, ip: this.host.ip });
    if (config.kafka.acks === 0) this.log.warn("acks = 0: Kafka does not confirm writes, so delivery is at-most-once; lines can be lost.");
    // Positions first (tailers need them to resume), then the sink so that lines have somewhere to
    // go, then the list source, which starts the tailers.
    await this.checkpointer.load();
    this.checkpointer.start();
    this.sink.start();
    this.files.start();
    if (config.etcd) {
      const key = expandKey(config.etcd.collectKeyTemplate, this.host);
      this.etcd = new EtcdCollectSource(
        { endpoints: config.etcd.endpoints, timeoutMs: config.etcd.timeoutMs, key, stateDir: config.agent.stateDir },
        this.log.child("etcd"),
        (entries, origin) => this.apply(entries, origin),
      );
      this.etcd.start();
    } else {
      this.apply(config.collect, `[collect.*] sections of ${config.file}`);
    }
  }

  /**
   * Stops reading, waits for lines in flight up to shutdown_timeout_ms, then saves positions.
   * Lines not acknowledged by then are not counted as sent: their files resume before them.
   */
  async stop(): Promise<void> {
    this.log.info("Stopping: no more reading; waiting for lines in flight.", { timeout_ms: this.config.agent.shutdownTimeoutMs });
    await this.etcd?.stop();
    this.files.stop();
    const left = await this.sink.stop(this.config.agent.shutdownTimeoutMs);
    await this.checkpointer.stop();
    if (left > 0) this.log.warn("Stopped before Kafka acknowledged every line read; they are sent again on the next start.", { lines: left });
    else this.log.info("Stopped; every line read was acknowledged by Kafka and positions are saved.");
  }

  private apply(entries: CollectEntry[], origin: string): void {
    this.log.info("Applying collect list.", { from: origin, entries: entries.length });
    this.files.apply(entries);
  }

  private delivered(batch: LineRecord[]): void {
    // Batches are acknowledged in the order they were read, so a file's last line in the batch is its
    // new position; a line read before a truncation (older epoch) no longer says anything about it.
    for (const r of batch) if (r.epoch === r.source.epoch && r.end > r.source.acked) r.source.acked = r.end;
  }
}
