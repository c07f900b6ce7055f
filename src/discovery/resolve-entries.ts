// A collect list checked against the rest of the configuration: each entry's
// Kafka output and the way its files are read, resolved once when the list is
// applied. The INI loader (for [collect.NAME] sections), `logagent check` and
// the agent (for lists from etcd) all call this, so an entry means the same
// wherever it comes from.
import type { HostIdentity } from "../config/host";
import type { TailOptions } from "../tail/tail-settings";
import { resolveTailSettings, type TailSettings } from "../tail/tail-settings";
import { type CollectEntry, entryLabel, type StartFrom } from "./collect-entry";
import { type Output, type OutputOptions, resolveOutput } from "./entry-output";

/** A collect entry with its output and the way its files are read resolved. */
export interface ResolvedEntry {
  entry: CollectEntry;
  output: Output;
  tail: TailSettings;
}

/** What entries are resolved against: the [kafka], [agent] and [fields] defaults (an AgentConfig has them). */
export interface EntryDefaults {
  kafka: { output: OutputOptions; idempotent: boolean; delivery?: "at_least_once" | "exactly_once" };
  agent: { tail: TailOptions; from: StartFrom };
  fields: Record<string, string>;
}

/** Resolves every entry's output and tail settings; problems name the entry and field. */
export function resolveEntries(entries: CollectEntry[], config: EntryDefaults, host: HostIdentity): { resolved: ResolvedEntry[]; problems: string[] } {
  const ctx = { defaults: config.kafka.output, fields: config.fields, host, idempotent: config.kafka.idempotent, exactlyOnce: config.kafka.delivery === "exactly_once" };
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
