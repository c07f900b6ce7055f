// Where and how one entry's lines are produced: its topic (placeholders
// replaced), acks, compression, partition choice and message format. Resolved
// once when a collect list is applied, so the per-line path only reads it.
import type { HostIdentity } from "../config/host";
import type { AgentConfig } from "../config/load-ini";
import { type CollectEntry, entryLabel } from "../discovery/collect-entry";
import { compileUserPattern, type UserPattern } from "../lines/user-pattern";
import { resolveTailSettings, type TailSettings } from "../tail/tail-settings";

export type Acks = -1 | 0 | 1;
export type Compression = "none" | "gzip" | "snappy" | "lz4" | "zstd";

/** The [kafka] options a collect entry may override, as parsed from the INI (snake_case, like the INI keys). */
export interface OutputOptions {
  acks: "0" | "1" | "all";
  partitioner: "key" | "round_robin" | "partition";
  key: "path" | "host" | "pattern";
  key_pattern: string;
  partition: number;
  compression: Compression;
  format: "raw" | "json";
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

const TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

export interface OutputContext {
  defaults: OutputOptions;
  fields: Record<string, string>;
  host: HostIdentity;
  idempotent: boolean;
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
  if (problems.length === 0 && !TOPIC.test(topic)) {
    problems.push(`field "topic" becomes ${JSON.stringify(topic)}, not a legal Kafka topic name (letters, digits, '.', '_', '-', at most 249)`);
  }

  let keyPattern: UserPattern | null = null;
  if (o.partitioner === "key" && o.key === "pattern") {
    if (!o.key_pattern) problems.push('field "key_pattern" is needed with key = pattern');
    else keyPattern = compileUserPattern(o.key_pattern); // validated when parsed
  }
  if (o.partitioner === "partition" && o.partition < 0) problems.push('field "partition" (a partition number, 0 or more) is needed with partitioner = partition');
  const acks: Acks = o.acks === "all" ? -1 : o.acks === "1" ? 1 : 0;
  if (ctx.idempotent && acks !== -1) problems.push(`field "acks" = ${o.acks}: the idempotent producer ([kafka] idempotent = true) needs acks = all`);
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

/** A collect entry with its output and the way its files are read resolved. */
export interface ResolvedEntry {
  entry: CollectEntry;
  output: Output;
  tail: TailSettings;
}

/** Resolves every entry's output and tail settings; problems name the entry and field. */
export function resolveEntries(entries: CollectEntry[], config: AgentConfig, host: HostIdentity): { resolved: ResolvedEntry[]; problems: string[] } {
  const ctx = { defaults: config.kafka.output, fields: config.fields, host, idempotent: config.kafka.idempotent };
  const resolved: ResolvedEntry[] = [];
  const problems: string[] = [];
  for (const entry of entries) {
    const r = resolveOutput(entry, ctx);
    const t = resolveTailSettings(entry, config.agent.tail, config.agent.from);
    if (r.output && t.settings) resolved.push({ entry, output: r.output, tail: t.settings });
    else problems.push(...[...r.problems, ...t.problems].map((p) => `${entryLabel(entry)}: ${p}`));
  }
  return { resolved, problems };
}

/** The message key for a line, or null for no key. */
export function keyFor(output: Output, line: Uint8Array, path: string, hostname: string): string | Buffer | null {
  if (output.partitioner !== "key") return null;
  if (output.key === "path") return path;
  if (output.key === "host") return hostname;
  const m = output.keyPattern!.exec(Buffer.from(line.buffer, line.byteOffset, line.byteLength).toString("utf8"));
  return m ? (m[1] ?? m[0]) : null;
}

const decoder = new TextDecoder("utf-8"); // invalid bytes become U+FFFD; the envelope is always valid UTF-8

/** The JSON envelope for `format = json`. */
export function envelope(output: Output, line: Uint8Array, meta: { host: string; path: string; offset: number; time: number }): string {
  return JSON.stringify({
    message: decoder.decode(line),
    host: meta.host,
    path: meta.path,
    offset: meta.offset,
    timestamp: new Date(meta.time).toISOString(),
    fields: output.fields,
  });
}
