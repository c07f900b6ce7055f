// The composition root: builds the pipeline
//   collect list (etcd or INI) -> FileServer/Tailers -> LineQueue -> KafkaSink
// and owns its start and stop order. Everything runs on one event loop.
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
  private etcd: EtcdCollectSource | null = null;

  constructor(
    private readonly config: AgentConfig,
    private readonly host: HostIdentity,
    private readonly log: Logger,
  ) {
    this.queue = new LineQueue(config.kafka.chanMaxSize);
    this.sink = new KafkaSink(config.kafka, this.queue, log.child("kafka"), (batch) => this.delivered(batch));
    this.files = new FileServer(
      { pollIntervalMs: config.agent.pollIntervalMs, rotateWaitMs: config.agent.rotateWaitMs, from: config.agent.from },
      this.queue,
      log.child("files"),
    );
  }

  start(): void {
    const { config } = this;
    this.log.info("Starting.", { config: config.file, kafka: config.kafka.brokers.join(","), host: this.host.hostname, ip: this.host.ip });
    // The sink first, so that lines have somewhere to go; the list source last, as it starts the tailers.
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

  /** Stops reading, waits for lines in flight up to shutdown_timeout_ms, then closes connections. */
  async stop(): Promise<void> {
    this.log.info("Stopping: no more reading; waiting for lines in flight.", { timeout_ms: this.config.agent.shutdownTimeoutMs });
    await this.etcd?.stop();
    this.files.stop();
    const left = await this.sink.stop(this.config.agent.shutdownTimeoutMs);
    if (left > 0) this.log.warn("Stopped before Kafka acknowledged every line read.", { lines: left });
    else this.log.info("Stopped; every line read was acknowledged by Kafka.");
  }

  private apply(entries: CollectEntry[], origin: string): void {
    this.log.info("Applying collect list.", { from: origin, entries: entries.length });
    this.files.apply(entries);
  }

  private delivered(batch: LineRecord[]): void {
    // Batches are acknowledged in the order they were read, so the last line of a file in the batch is its new position.
    for (const r of batch) if (r.end > r.source.acked) r.source.acked = r.end;
  }
}
