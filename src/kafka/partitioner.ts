// Kafka's default partitioner (as kafkajs implements it: explicit partition, else murmur2 of the
// key, else round robin) with the key's hash remembered. Keys are mostly a file's path or the host
// name, the same for every line, and kafkajs's murmur2 works on 64-bit Long objects: hashing every
// message took a fifth of the agent's CPU under load.
import { Partitioners, type ICustomPartitioner } from "kafkajs";
import murmur2 from "kafkajs/src/producer/partitioners/default/murmur2";

const MAX_CACHED_KEYS = 10_000; // pattern keys can be many; the cache is cleared rather than grown

export const cachingDefaultPartitioner: ICustomPartitioner = () => {
  const fallback = Partitioners.DefaultPartitioner();
  const hashes = new Map<string, number>();
  return (args) => {
    const { message, partitionMetadata } = args;
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    if (typeof message.key !== "string") return fallback(args);
    let hash = hashes.get(message.key);
    if (hash === undefined) {
      if (hashes.size >= MAX_CACHED_KEYS) hashes.clear();
      hash = murmur2(message.key) & 0x7fffffff;
      hashes.set(message.key, hash);
    }
    return hash % partitionMetadata.length;
  };
};
