// One entry of a collect list: which file to tail and where its lines go.
// The same schema serves the JSON value in etcd and the INI's [collect.NAME]
// sections, so both sources accept exactly the same fields.
import path from "node:path";

export type StartFrom = "end" | "beginning";

export interface CollectEntry {
  /** Absolute path of the file to tail. Entries are identified by it: two entries may not name the same path. */
  path: string;
  /** Kafka topic its lines go to. */
  topic: string;
  /** Where the file is read from when it is seen for the first time; defaults to `[agent] from`. */
  from?: StartFrom;
}

type FieldCheck = (value: unknown) => string | undefined; // a problem, or undefined when valid

const nonEmptyString: FieldCheck = (v) =>
  typeof v === "string" && v.trim() !== "" ? undefined : "must be a non-empty string";

export const ENTRY_FIELDS: Record<keyof CollectEntry, { required: boolean; check: FieldCheck; description: string }> = {
  path: {
    required: true,
    check: (v) => nonEmptyString(v) ?? (path.isAbsolute(v as string) ? undefined : "must be an absolute path"),
    description: "Absolute path of the file to tail.",
  },
  topic: { required: true, check: nonEmptyString, description: "Kafka topic the file's lines are sent to." },
  from: {
    required: false,
    check: (v) => (v === "end" || v === "beginning" ? undefined : 'must be "end" or "beginning"'),
    description: "Where a file seen for the first time is read from (`end` or `beginning`); defaults to `[agent] from`.",
  },
};

export interface EntryResult {
  entries: CollectEntry[];
  /** Each names the entry and field at fault; an empty list means the entries are valid. */
  problems: string[];
}

function show(value: unknown): string {
  const s = JSON.stringify(value);
  return s === undefined ? String(value) : s.length > 80 ? s.slice(0, 77) + "..." : s;
}

/** Validates raw entries; `labels[i]` names entry i in messages (an index in etcd, a section in the INI). */
export function validateEntries(raw: unknown[], labels: string[]): EntryResult {
  const problems: string[] = [];
  const entries: CollectEntry[] = [];
  const seen = new Map<string, string>();
  raw.forEach((item, i) => {
    const label = labels[i] ?? `entry ${i}`;
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      problems.push(`${label}: must be an object like {"path": ..., "topic": ...}, got ${show(item)}`);
      return;
    }
    const fields = item as Record<string, unknown>;
    const before = problems.length;
    for (const name of Object.keys(fields)) {
      if (!(name in ENTRY_FIELDS)) {
        problems.push(`${label}: unknown field "${name}" (known: ${Object.keys(ENTRY_FIELDS).join(", ")})`);
      }
    }
    for (const [name, spec] of Object.entries(ENTRY_FIELDS)) {
      const value = fields[name];
      if (value === undefined) {
        if (spec.required) problems.push(`${label}: missing field "${name}"`);
        continue;
      }
      const problem = spec.check(value);
      if (problem) problems.push(`${label}: field "${name}" ${problem}, got ${show(value)}`);
    }
    if (problems.length > before) return;
    const entry = fields as unknown as CollectEntry;
    const other = seen.get(entry.path);
    if (other !== undefined) {
      problems.push(`${label}: path ${show(entry.path)} is already collected by ${other}; one file goes to one topic`);
      return;
    }
    seen.set(entry.path, label);
    entries.push({ path: entry.path, topic: entry.topic, ...(entry.from ? { from: entry.from } : {}) });
  });
  return { entries, problems };
}

/** Parses the etcd value: a JSON array of entries, as the tutorial project wrote it. */
export function parseCollectList(text: string): EntryResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { entries: [], problems: [`value is not valid JSON: ${(err as Error).message}`] };
  }
  if (!Array.isArray(raw)) {
    return { entries: [], problems: [`value must be a JSON array of entries, got ${show(raw)}`] };
  }
  return validateEntries(
    raw,
    raw.map((item, i) => {
      const p = (item as { path?: unknown } | null)?.path;
      return typeof p === "string" ? `entry ${i} (${show(p)})` : `entry ${i}`;
    }),
  );
}

export function sameEntry(a: CollectEntry, b: CollectEntry): boolean {
  return a.path === b.path && a.topic === b.topic && a.from === b.from;
}
