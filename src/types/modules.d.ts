// Type declarations for untyped modules logagent uses: kafkajs's murmur2, embedded native libraries.
// kafkajs's murmur2 (Java-compatible), not part of its typed API.
declare module "kafkajs/src/producer/partitioners/default/murmur2" {
  const murmur2: (key: string | Buffer) => number;
  export default murmur2;
}

// A native library embedded in the executable (`with { type: "file" }`): its path at run time.
declare module "*.dll" {
  const file: string;
  export default file;
}
