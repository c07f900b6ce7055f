// The agent's status: one JSON object that the etcd status key (status-publisher.ts), `/status`
// and `logagent fleet` all show, so an operator reads the same fields wherever they look.
//
// Building it walks memory only (the tailers' last looks, the sink's and the etcd source's
// state): it never stats a file. Two things decide when it is written:
// - `significant()`: the status without its counters (every number: offsets, sizes, lag, rates)
//   and without the time it was written. Only a change there (an entry, a file, an error, a state)
//   is worth an etcd write before the regular interval.
// - `signal()`: a cheap stand-in for that, read when the publisher is poked or keeps its lease
//   alive; while it does not move, neither does the significant part, and nothing is built.
// The status lists at most MAX_LISTED entries and as many files (those with an error first, then in
// the list's order, never by a counter, which would make the order itself a change): etcd's cost
// was measured with about 1 KB per agent, a value over 1.5 MiB is refused, and each write encodes
// the whole value. The totals cover every entry and file.
import type { EntryDescription, FileDescription } from "../tail/tailer";

export interface EtcdState {
  /** A watch of the collect list runs. */
  connected: boolean;
  /** The etcd revision of the last change seen on the collect list key. */
  lastRevision: string | null;
}

export interface CollectState {
  from: "etcd" | "ini";
  /** The etcd key of the collect list (null for the INI's [collect.*] sections). */
  key: string | null;
  /** The etcd revision of the list applied now (null before one is, or for the INI). */
  revision: string | null;
}

export type EntryStatus = EntryDescription & { blocked: boolean };

export interface AgentStatus {
  version: string;
  host: string;
  ip: string;
  pid: number;
  startedAt: string;
  writtenAt: string;
  /** status_interval_s: how old a status may get while its agent is fine (null without etcd). */
  intervalS: number | null;
  collect: CollectState;
  /** At most MAX_LISTED of the entries. */
  entries: EntryStatus[];
  /** At most MAX_LISTED of the files followed. */
  files: FileDescription[];
  /** Every entry and file followed, and their lag, including those not listed. */
  entriesTotal: number;
  filesTotal: number;
  lagBytesTotal: number;
  kafka: unknown;
  etcd: EtcdState | null;
}

/** Where each part of the status comes from; every function is cheap and synchronous. */
export interface StatusSources {
  version: string;
  host: { hostname: string; ip: string };
  startedAt: Date;
  intervalS: number | null;
  collect(): CollectState;
  files(): { entries: EntryStatus[]; files: FileDescription[] };
  /** Moves whenever files() would show more than moved counters (FileServer.generation). */
  generation(): number;
  kafka(): unknown;
  etcd(): EtcdState | null;
}

/** The most entries, and the most files, listed in a status (about 100 and 250 bytes each). */
export const MAX_LISTED = 100;

/** At most MAX_LISTED items, those with a problem first, otherwise in their own order. */
function listed<T>(items: T[], problem: (item: T) => unknown): T[] {
  if (items.length <= MAX_LISTED) return items;
  return [...items.filter((i) => problem(i)), ...items.filter((i) => !problem(i))].slice(0, MAX_LISTED);
}

/** Fields that change on every write by design. */
const VOLATILE = new Set(["writtenAt"]);

/** The value without numbers and volatile fields: what an operator acts on. */
function project(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => typeof v !== "number").map(project);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === "number" || typeof v === "bigint" || VOLATILE.has(k)) continue;
    out[k] = project(v);
  }
  return out;
}

/** The significant part of a status (or any part of one), as text to compare. */
export function significant(value: unknown): string {
  return JSON.stringify(project(value));
}

export class AgentStatusBuilder {
  constructor(private readonly sources: StatusSources) {}

  build(now = new Date()): AgentStatus {
    const s = this.sources;
    const { entries, files } = s.files();
    return {
      version: s.version,
      host: s.host.hostname,
      ip: s.host.ip,
      pid: process.pid,
      startedAt: s.startedAt.toISOString(),
      writtenAt: now.toISOString(),
      intervalS: s.intervalS,
      collect: s.collect(),
      entries: listed(entries, (e) => e.error || e.blocked),
      files: listed(files, (f) => f.lastError),
      entriesTotal: entries.length,
      filesTotal: files.length,
      lagBytesTotal: files.reduce((sum, f) => sum + f.lagBytes, 0),
      kafka: s.kafka(),
      etcd: s.etcd(),
    };
  }

  /** Changes whenever significant(build()) may have: compare it before building a thousand files' status. */
  signal(): string {
    const s = this.sources;
    return `${s.generation()}\n${significant([s.collect(), s.kafka(), s.etcd()])}`;
  }
}
