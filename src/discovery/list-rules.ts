// The rules a collect list from etcd passes before it is applied, in one
// place: the agent (Agent.apply), `logagent check` and `logagent collect
// put|edit` all call these, so a list that the command writes is one the
// agent applies, and one it refuses is one the agent would refuse.
//
// A list is parsed as etcd-source parses the key's value (parseCollectList;
// when the value is not a list of well-formed entries, nothing else is looked
// at), then screened against [agent] allow_paths, then resolved against the
// INI's defaults and this host's identity (topic placeholders). Entries that
// pass are confined to allow_paths when their files are opened.
import type { HostIdentity } from "../config/host";
import { type AllowPaths, confine, screenEntries } from "./allow-paths";
import { type CollectEntry, parseCollectList } from "./collect-entry";
import { type EntryDefaults, type ResolvedEntry, resolveEntries } from "./resolve-entries";

/** What a list is checked against: an AgentConfig has it. */
export interface ListRules extends EntryDefaults {
  agent: EntryDefaults["agent"] & { allowPaths: AllowPaths | null };
}

export interface Admitted {
  /** Ready to apply (confined to allow_paths); meaningful only when there are no problems. */
  resolved: ResolvedEntry[];
  /** Each names the entry (by index and path, or by path) and the field or rule at fault. */
  problems: string[];
}

/** Entries already parsed (etcd-source parses the value): allow_paths, then each entry's output and tail settings. */
export function admitEntries(entries: readonly CollectEntry[], rules: ListRules, host: HostIdentity): Admitted {
  const allow = rules.agent.allowPaths;
  const screened = screenEntries(entries, allow);
  const { resolved, problems } = resolveEntries(screened.inside, rules, host);
  problems.push(...screened.problems);
  return { resolved: confine(resolved, allow), problems };
}

/** The text of a key's value, as the agent would take it. */
export function admitList(text: string, rules: ListRules, host: HostIdentity): Admitted {
  const list = parseCollectList(text);
  if (list.problems.length) return { resolved: [], problems: list.problems };
  return admitEntries(list.entries, rules, host);
}
