// Type declarations for untyped modules logagent uses: kafkajs internals, embedded native libraries.
// kafkajs's murmur2 (Java-compatible), not part of its typed API.
declare module "kafkajs/src/producer/partitioners/default/murmur2" {
  const murmur2: (key: string | Buffer) => number;
  export default murmur2;
}

// kafkajs's per-connection request queue (a class); src/kafka/request-queue-patch.ts patches it.
declare module "kafkajs/src/network/requestQueue" {
  const RequestQueue: new (options: Record<string, unknown>) => object;
  export default RequestQueue;
}

// A native library embedded in the executable (`with { type: "file" }`): its path at run time.
declare module "*.dll" {
  const file: string;
  export default file;
}

// kafkajs internals the produce path uses (kafkajs is pinned to 2.2.4 in package.json; these are its
// src/ modules, untyped). See src/kafka/kafka-client.ts and broker-link.ts for why each is needed.
declare module "kafkajs/src/protocol/error" {
  export function createErrorFromCode(code: number): Error & { type: string; retriable: boolean };
}
declare module "kafkajs/src/loggers" {
  export function createLogger(options: { level: number; logCreator: import("kafkajs").logCreator }): unknown;
}
declare module "kafkajs/src/network/socketFactory" {
  const socketFactory: () => import("kafkajs").ISocketFactory;
  export default socketFactory;
}
declare module "kafkajs/src/cluster" {
  import type { Cluster as ClusterApi, RetryOptions } from "kafkajs";
  const Cluster: new (options: {
    logger: unknown;
    retry?: RetryOptions;
    socketFactory: import("kafkajs").ISocketFactory;
    brokers: string[];
    ssl?: import("node:tls").ConnectionOptions | boolean;
    sasl?: import("kafkajs").SASLOptions;
    clientId: string;
    connectionTimeout?: number;
    requestTimeout?: number;
    enforceRequestTimeout?: boolean;
    metadataMaxAge?: number;
    allowAutoTopicCreation?: boolean;
    maxInFlightRequests?: number | null;
    offsets?: Map<unknown, unknown>;
  }) => ClusterApi;
  export default Cluster;
}
// kafkajs's fetched batch: drops aborted transactions' records and control records (read_committed).
declare module "kafkajs/src/consumer/batch" {
  export default class Batch {
    constructor(topic: string, fetchedOffset: string, partitionData: Record<string, unknown>);
    messages: { key: Buffer | null; value: Buffer | null; offset: string }[];
    messagesWithinOffset: { offset: string }[];
  }
}
