// Which partition a line goes to, chosen as Kafka's default partitioner does
// (kafkajs's, after Java's 0.10.2 one): the entry's fixed partition; else
// murmur2 of the key over all partitions; else round robin over the partitions
// that have a leader. The key's hash is remembered: keys are mostly a file's
// path or the host name, the same for every line, and kafkajs's murmur2 works
// on 64-bit Long objects (hashing every line took a fifth of the agent's CPU).
import murmur2 from "kafkajs/src/producer/partitioners/default/murmur2";
import type { Output } from "../discovery/entry-output";
import type { LineBlock } from "../pipeline/line-block";
import { keyFor } from "./record-fields";

/** A partition as metadata gives it: its number and its leader's node id (-1 while there is none). */
export interface PartitionInfo {
  partitionId: number;
  leader: number;
}

const MAX_CACHED_KEYS = 10_000; // pattern keys can be many; the cache is cleared rather than grown

export class Partitioner {
  private readonly hashes = new Map<string, number>();
  private readonly counters = new Map<string, number>();
  /** The partitions with a leader, per metadata snapshot (a topic's partition list is replaced when metadata is). */
  private readonly led = new WeakMap<PartitionInfo[], PartitionInfo[]>();

  constructor(private readonly hostname: string) {}

  /** The partition all lines of `block` go to, or null when it is chosen line by line (round robin, a key pattern). */
  forBlock(output: Output, block: LineBlock, partitions: PartitionInfo[]): number | null {
    if (output.partitioner === "partition") return output.partition;
    if (output.partitioner !== "key" || output.key === "pattern") return null;
    return this.hash(output.key === "path" ? block.path : this.hostname) % partitions.length;
  }

  /** The partition for line `i` of `block`, among the topic's `partitions` (not empty). */
  choose(output: Output, block: LineBlock, i: number, partitions: PartitionInfo[]): number {
    const whole = this.forBlock(output, block, partitions);
    if (whole !== null) return whole;
    if (output.partitioner === "key") {
      const key = keyFor(output, block.value(i), block.path, this.hostname);
      if (key !== null) return this.hash(String(key)) % partitions.length;
    }
    let counter = this.counters.get(output.topic);
    // A random start, as kafkajs does, so that agents started together do not all begin on partition 0.
    counter = counter === undefined ? Math.floor(Math.random() * 2 ** 31) : counter + 1;
    this.counters.set(output.topic, counter);
    let available = this.led.get(partitions);
    if (!available) this.led.set(partitions, (available = partitions.filter((p) => p.leader >= 0)));
    if (available.length === 0) return (counter & 0x7fffffff) % partitions.length;
    return available[(counter & 0x7fffffff) % available.length]!.partitionId;
  }

  private hash(key: string): number {
    let hash = this.hashes.get(key);
    if (hash === undefined) {
      if (this.hashes.size >= MAX_CACHED_KEYS) this.hashes.clear();
      hash = murmur2(key) & 0x7fffffff;
      this.hashes.set(key, hash);
    }
    return hash;
  }
}
