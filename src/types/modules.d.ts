// Type declarations for untyped modules logagent uses: the `ini` package and kafkajs's murmur2.
// The `ini` package ships no type declarations; this is the part logagent uses.
declare module "ini" {
  export function parse(text: string): Record<string, unknown>;
  const ini: { parse: typeof parse };
  export default ini;
}

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
