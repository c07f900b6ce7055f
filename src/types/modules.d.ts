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
