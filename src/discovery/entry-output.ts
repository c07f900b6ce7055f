// Where and how one entry's lines are produced: its topic (placeholders
// replaced), acks, compression, partition choice and message format. Resolved
// once when a collect list is applied, so the per-line path only reads it.
// It lives with discovery because it is a property of the entry, checked when
// the list is: the Kafka side only reads the result.
import type { HostIdentity } from "../config/host";
import type { OptionValues } from "../config/options";
import { type CollectEntry } from "./collect-entry";
import { compileUserPattern, type UserPattern } from "../lines/user-pattern";

export type Acks = -1 | 0 | 1;
export type Compression = OptionValues["kafka.compression"];

/** The [kafka] options a collect entry may override, as parsed from the INI (snake_case, like the INI keys). */
export interface OutputOptions {
  acks: OptionValues["kafka.acks"];
  partitioner: OptionValues["kafka.partitioner"];
  key: OptionValues["kafka.key"];
  key_pattern: string;
  partition: number;
  compression: Compression;
  format: OptionValues["kafka.format"];
}

export interface Output {
  topic: string;
  acks: Acks;
  compression: Compression;
  partitioner: OutputOptions["partitioner"];
  key: OutputOptions["key"];
  keyPattern: UserPattern | null;
  partition: number;
  format: OutputOptions["format"];
  fields: Record<string, string>;
  /** Lines with the same profile can share a produce request: same topic, acks and compression. */
  profile: string;
}

/** What Kafka takes as a topic name. */
export const LEGAL_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

export interface OutputContext {
  defaults: OutputOptions;
  fields: Record<string, string>;
  host: HostIdentity;
  idempotent: boolean;
  /** [kafka] delivery = exactly_once (which implies `idempotent`). */
  exactlyOnce?: boolean;
}

/** Resolves an entry's output, or says what is wrong with it (naming the field). */
export function resolveOutput(entry: CollectEntry, ctx: OutputContext): { output?: Output; problems: string[] } {
  const o = { ...ctx.defaults, ...(entry.options as Partial<OutputOptions> | undefined) };
  const fields = { ...ctx.fields, ...entry.fields };
  const problems: string[] = [];

  const values: Record<string, string> = { ...fields, hostname: ctx.host.hostname, ip: ctx.host.ip };
  const topic = entry.topic.replace(/\{(\w+)\}/g, (whole, name: string) => {
    if (name in values) return values[name]!;
    problems.push(`field "topic": unknown placeholder ${whole} (known: ${Object.keys(values).join(", ")})`);
    return whole;
  });
  if (problems.length === 0 && !LEGAL_TOPIC.test(topic)) {
    problems.push(`field "topic" becomes ${JSON.stringify(topic)}, not a legal Kafka topic name (letters, digits, '.', '_', '-', at most 249)`);
  }

  let keyPattern: UserPattern | null = null;
  if (o.partitioner === "key" && o.key === "pattern") {
    if (!o.key_pattern) problems.push('field "key_pattern" is needed with key = pattern');
    else keyPattern = compileUserPattern(o.key_pattern); // validated when parsed
  }
  if (o.partitioner === "partition" && o.partition < 0) problems.push('field "partition" (a partition number, 0 or more) is needed with partitioner = partition');
  const acks: Acks = o.acks === "all" ? -1 : o.acks === "1" ? 1 : 0;
  if (ctx.exactlyOnce && acks !== -1) problems.push(`field "acks" = ${o.acks}: exactly_once delivery ([kafka] delivery = exactly_once) needs acks = all`);
  else if (ctx.idempotent && acks !== -1) problems.push(`field "acks" = ${o.acks}: the idempotent producer ([kafka] idempotent = true) needs acks = all`);
  if (problems.length) return { problems };
  return {
    output: {
      topic,
      acks,
      compression: o.compression,
      partitioner: o.partitioner,
      key: o.key,
      keyPattern,
      partition: o.partition,
      format: o.format,
      fields,
      profile: `${topic}\0${acks}\0${o.compression}`,
    },
    problems,
  };
}
