// The part of kafkajs the agent keeps: the cluster (bootstrap, metadata,
// which broker leads which partition), broker connections with TLS and SASL,
// and the control requests (InitProducerId). Produce requests are the agent's
// own (request-builder.ts), sent on these connections by broker-link.ts.
//
// kafkajs builds its Cluster inside `new Kafka(...).producer()` and keeps it
// private; it is built here the same way from kafkajs's own modules, with one
// change: sockets have Nagle's algorithm off, because several small requests
// on the wire at once would otherwise wait for the broker's delayed ACK.
import "./request-queue-patch"; // before any connection exists: idle connections must not spin (see the file)
import Cluster from "kafkajs/src/cluster";
import { createLogger } from "kafkajs/src/loggers";
import defaultSocketFactory from "kafkajs/src/network/socketFactory";
import { type Cluster as ClusterApi, type ISocketFactory, logLevel as KafkaLogLevel, type Message, type SASLOptions } from "kafkajs";
import type { KafkaSecurity } from "../config/load-ini";
import type { Logger } from "../telemetry/logger";
import type { KafkaConnection } from "./broker-link";
import { errorFromCode, UnknownPartition } from "./errors";
import type { PartitionInfo } from "./partitioner";
import { PRODUCE_API_KEY, PRODUCE_API_VERSION } from "./produce-request";

export interface ClientSettings {
  brokers: string[];
  clientId: string;
  autoCreateTopics: boolean;
  security: KafkaSecurity;
}

/** What the agent uses of a kafkajs Broker (kafkajs/src/broker). */
interface KafkaBroker {
  versions: Record<number, { minVersion: number; maxVersion: number }> | null;
  connectionPool: { getConnection(index?: number): Promise<KafkaConnection> };
  initProducerId(request: { transactionalId?: string; transactionTimeout: number }): Promise<{ producerId: string; producerEpoch: number }>;
  produce(request: { topicData: { topic: string; partitions: { partition: number; messages: Message[] }[] }[]; acks: number; timeout: number }): Promise<unknown>;
}

/** What a transactional producer uses of its coordinator, a kafkajs Broker (errors are thrown as kafkajs's, with `type`). */
export interface CoordinatorBroker extends KafkaBroker {
  addPartitionsToTxn(request: { transactionalId: string; producerId: string; producerEpoch: number; topics: { topic: string; partitions: number[] }[] }): Promise<unknown>;
  endTxn(request: { transactionalId: string; producerId: string; producerEpoch: number; transactionResult: boolean }): Promise<unknown>;
}

/** What reading a partition back uses of its leader, a kafkajs Broker. */
export interface FetchBroker {
  listOffsets(request: { replicaId: number; isolationLevel: number; topics: { topic: string; partitions: { partition: number; timestamp: number }[] }[] }): Promise<{ responses: { partitions: { offset: string }[] }[] }>;
  fetch(request: { replicaId: number; isolationLevel: number; maxWaitTime: number; minBytes: number; maxBytes: number; topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[] }): Promise<{ responses: { topicName: string; partitions: Record<string, unknown>[] }[] }>;
}

const LEADER_NOT_AVAILABLE = 5;

export class KafkaClient {
  private readonly cluster: ClusterApi;

  constructor(settings: ClientSettings, log: Logger) {
    const kafkaLog = log.child("kafkajs");
    const { sasl, tls } = settings.security;
    const sockets = defaultSocketFactory();
    const socketFactory: ISocketFactory = (options) => {
      const socket = sockets(options);
      socket.setNoDelay(true);
      return socket;
    };
    this.cluster = new Cluster({
      // kafkajs's own messages are detail of what the sink reports in one sentence; keep them at debug.
      logger: createLogger({
        level: KafkaLogLevel.WARN,
        logCreator: () => ({ namespace, log }) => kafkaLog.debug(log.message, { namespace, broker: log.broker, error: log.error }),
      }),
      // kafkajs retries a metadata or connect request a couple of times itself; the sink retries
      // for ever on top of that.
      retry: { initialRetryTime: 100, maxRetryTime: 2000, retries: 2 },
      socketFactory,
      brokers: settings.brokers,
      ssl: tls ? (tls.ca || tls.cert ? { ca: tls.ca ? [tls.ca] : undefined, cert: tls.cert, key: tls.key } : true) : undefined,
      sasl: sasl ? ({ mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as SASLOptions) : undefined,
      clientId: settings.clientId,
      connectionTimeout: 3000,
      requestTimeout: 30_000,
      enforceRequestTimeout: true,
      metadataMaxAge: 300_000,
      allowAutoTopicCreation: settings.autoCreateTopics,
      maxInFlightRequests: null, // the sink's windows bound what is on the wire
      offsets: new Map(),
    });
  }

  async connect(): Promise<void> {
    if (!this.cluster.isConnected()) await this.cluster.connect();
  }

  async disconnect(): Promise<void> {
    await this.cluster.disconnect();
  }

  /**
   * The partitions of `topic` (never empty): its metadata is fetched the first time (which may
   * create the topic, when the broker and auto_create_topics allow) and kept up to date after.
   */
  async partitions(topic: string): Promise<PartitionInfo[]> {
    await this.connect();
    await this.cluster.addMultipleTargetTopics([topic]);
    await this.cluster.refreshMetadataIfNecessary();
    const partitions = this.cluster.findTopicPartitionMetadata(topic);
    if (partitions.length === 0) throw Object.assign(new Error(`Kafka has no metadata for topic ${topic}`), { name: "KafkaJSMetadataNotLoaded" });
    return partitions;
  }

  /** The partitions of `topic` as the last metadata has them, or null when it has none. */
  knownPartitions(topic: string): PartitionInfo[] | null {
    try {
      const partitions = this.cluster.findTopicPartitionMetadata(topic);
      return partitions.length ? partitions : null;
    } catch {
      return null;
    }
  }

  /** Fetches metadata again (a leader moved, a broker went away). */
  async refreshMetadata(): Promise<void> {
    await this.connect();
    await this.cluster.refreshMetadata();
  }

  /** A connection to the broker that leads `topic`/`partition` now. */
  async leaderConnection(topic: string, partition: number): Promise<KafkaConnection> {
    return (await this.leader(topic, partition)).connectionPool.getConnection();
  }

  /**
   * Produces `messages` to `topic`/`partition` with kafkajs's own encoder, acks = all: for the few
   * dead letters (dead-letter.ts), not the lines' fast path. Throws kafkajs's error for a refusal.
   */
  async produce(topic: string, partition: number, messages: Message[]): Promise<void> {
    const broker = await this.leader(topic, partition);
    await broker.produce({ topicData: [{ topic, partitions: [{ partition, messages }] }], acks: -1, timeout: 30_000 });
  }

  private async leader(topic: string, partition: number): Promise<KafkaBroker> {
    const partitions = await this.partitions(topic);
    const meta = partitions.find((p) => p.partitionId === partition);
    if (!meta) throw new UnknownPartition(topic, partition, partitions.length);
    if (meta.leader === null || meta.leader === undefined || meta.leader < 0) throw errorFromCode(LEADER_NOT_AVAILABLE);
    const broker = (await this.cluster.findBroker({ nodeId: String(meta.leader) })) as unknown as KafkaBroker;
    const produce = broker.versions?.[PRODUCE_API_KEY];
    if (produce && (produce.maxVersion < PRODUCE_API_VERSION || produce.minVersion > PRODUCE_API_VERSION)) {
      throw new Error(`broker ${meta.leader} takes produce requests of versions ${produce.minVersion} to ${produce.maxVersion}; logagent writes version ${PRODUCE_API_VERSION} (Kafka 2.1 and later)`);
    }
    return broker;
  }

  /** The transaction coordinator of `transactionalId` (FindCoordinator, key type 1), asked again each time. */
  async transactionCoordinator(transactionalId: string): Promise<CoordinatorBroker> {
    await this.connect();
    return (await this.cluster.findGroupCoordinator({ groupId: transactionalId, coordinatorType: 1 } as never)) as unknown as CoordinatorBroker;
  }

  /** The broker that leads `topic`/`partition` now, to read from it. */
  async leaderBroker(topic: string, partition: number): Promise<FetchBroker> {
    const partitions = await this.partitions(topic);
    const meta = partitions.find((p) => p.partitionId === partition);
    if (!meta) throw new UnknownPartition(topic, partition, partitions.length);
    if (meta.leader === null || meta.leader === undefined || meta.leader < 0) throw errorFromCode(LEADER_NOT_AVAILABLE);
    return (await this.cluster.findBroker({ nodeId: String(meta.leader) })) as unknown as FetchBroker;
  }

  /**
   * Creates `topic` unless it exists, with `configs` (cleanup.policy, ...): `partitions`, and as many
   * replicas as there are brokers, up to 3. Asked with CreateTopics, not metadata, so that a broker
   * that auto-creates topics does not create it first without the configs. Returns whether it was
   * created here; a user not allowed to create topics goes on (the topic may exist).
   */
  async ensureTopic(topic: string, partitions: number, configs: Record<string, string>): Promise<boolean> {
    await this.refreshMetadata();
    const brokers = (this.cluster as unknown as { brokerPool: { metadata: { brokers: unknown[] } } }).brokerPool.metadata.brokers.length;
    const controller = (await this.cluster.findControllerBroker()) as unknown as { createTopics(r: { topics: unknown[]; timeout: number }): Promise<unknown> };
    try {
      await controller.createTopics({
        topics: [{ topic, numPartitions: partitions, replicationFactor: Math.max(1, Math.min(3, brokers)), configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
        timeout: 10_000,
      });
    } catch (err) {
      // kafkajs wraps each topic's error in an aggregate.
      const types = [err, ...((err as { errors?: unknown[] }).errors ?? [])].map((e) => String((e as { type?: string }).type ?? ""));
      if (types.some((t) => t === "TOPIC_ALREADY_EXISTS" || /AUTHORIZATION_FAILED/.test(t))) return false;
      throw err;
    }
    return true;
  }

  /** A new producer id and epoch for the idempotent producer (InitProducerId without a transactional id). */
  async newProducerId(): Promise<{ producerId: bigint; producerEpoch: number }> {
    await this.refreshMetadata();
    const broker = (await this.cluster.findControllerBroker()) as unknown as KafkaBroker;
    const r = await broker.initProducerId({ transactionTimeout: 60_000 });
    return { producerId: BigInt(r.producerId), producerEpoch: r.producerEpoch };
  }
}
