// One entry of a collect list: which files to tail and where their lines go.
// The same schema serves the JSON value in etcd and the INI's [collect.NAME]
// sections, so both sources accept exactly the same fields. Besides its own
// fields (path, topic, from, fields), an entry may override any [kafka] or
// [agent] option marked `entry` in src/config/options.ts, validated by that
// same table. In JSON the multiline options may also be nested:
// `"multiline": {"start": "^\\d{4}-"}` is `multiline.start`.
import path from "node:path";
import { ENTRY_OPTIONS, parseOptionValue } from "../config/options";

export type StartFrom = "end" | "beginning";

export interface CollectEntry {
  /** Absolute path of the file to tail, or a glob. Entries are identified by it: two entries may not name the same path. */
  path: string;
  /** Kafka topic its lines go to; may hold `{hostname}`, `{ip}` and `{field}` placeholders. */
  topic: string;
  /** Where the file is read from when it is seen for the first time; defaults to `[agent] from`. */
  from?: StartFrom;
  /** Static fields for the JSON envelope and topic placeholders, added to the INI's [fields]. */
  fields?: Record<string, string>;
  /** [kafka] and [agent] options overridden for this entry, parsed (e.g. `{acks: "1", partition: 3, encoding: "gbk"}`). */
  options?: Record<string, unknown>;
}

type FieldCheck = (value: unknown) => string | undefined; // a problem, or undefined when valid

const nonEmptyString: FieldCheck = (v) =>
  typeof v === "string" && v.trim() !== "" ? undefined : "must be a non-empty string";

const OWN_FIELDS: Record<"path" | "topic" | "from" | "fields", { required: boolean; check: FieldCheck; description: string }> = {
  path: {
    required: true,
    check: (v) => nonEmptyString(v) ?? (path.isAbsolute(v as string) ? undefined : "must be an absolute path"),
    description: "Absolute path of the file to tail, or a glob (`*`, `?`, `**`, `{a,b}`, `[ab]`) of files.",
  },
  topic: {
    required: true,
    check: (v) => nonEmptyString(v) ?? (/^[\w.{}-]+$/.test(v as string) ? undefined : "may only hold letters, digits, '.', '_', '-' and {placeholders}"),
    description: "Kafka topic the file's lines are sent to; `{hostname}`, `{ip}` and `{field}` are replaced.",
  },
  from: {
    required: false,
    check: (v) => (v === "end" || v === "beginning" ? undefined : 'must be "end" or "beginning"'),
    description: "Where a file seen for the first time is read from (`end` or `beginning`); defaults to `[agent] from`.",
  },
  fields: {
    required: false,
    check: (v) =>
      typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === "string" || typeof x === "number" || typeof x === "boolean")
        ? undefined
        : 'must be an object of names to strings, like {"env": "prod"}',
    description: "Static fields (JSON only, not in [collect.NAME]), added to [fields].",
  },
};

/** Every field a collect entry accepts, for messages and docs. */
export const ENTRY_FIELD_NAMES: string[] = [...Object.keys(OWN_FIELDS), ...ENTRY_OPTIONS.map((o) => o.key)];

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
    const before = problems.length;
    const fields = flattenMultiline(item as Record<string, unknown>, (p) => problems.push(`${label}: ${p}`));
    for (const name of Object.keys(fields)) {
      if (!ENTRY_FIELD_NAMES.includes(name)) problems.push(`${label}: unknown field "${name}" (known: ${ENTRY_FIELD_NAMES.join(", ")})`);
    }
    for (const [name, spec] of Object.entries(OWN_FIELDS)) {
      const value = fields[name];
      if (value === undefined) {
        if (spec.required) problems.push(`${label}: missing field "${name}"`);
        continue;
      }
      const problem = spec.check(value);
      if (problem) problems.push(`${label}: field "${name}" ${problem}, got ${show(value)}`);
    }
    const options: Record<string, unknown> = {};
    for (const spec of ENTRY_OPTIONS) {
      if (fields[spec.key] === undefined) continue;
      // etcd's JSON may say 1 or "1"; the INI always says text. Both go through the option's own parser.
      const { value, problem } = parseOptionValue(spec, fields[spec.key]);
      if (problem) problems.push(`${label}: field "${spec.key}" ${problem}`);
      else options[spec.key] = value;
    }
    if (problems.length > before) return;
    const entry = fields as { path: string; topic: string; from?: StartFrom; fields?: Record<string, unknown> };
    const other = seen.get(entry.path);
    if (other !== undefined) {
      problems.push(`${label}: path ${show(entry.path)} is already collected by ${other}; one file goes to one topic`);
      return;
    }
    seen.set(entry.path, label);
    entries.push({
      path: entry.path,
      topic: entry.topic,
      ...(entry.from ? { from: entry.from } : {}),
      ...(entry.fields ? { fields: Object.fromEntries(Object.entries(entry.fields).map(([k, v]) => [k, String(v)])) } : {}),
      ...(Object.keys(options).length ? { options } : {}),
    });
  });
  return { entries, problems };
}

const MULTILINE_KEYS = ENTRY_OPTIONS.filter((o) => o.key.startsWith("multiline.")).map((o) => o.key.slice("multiline.".length));

/** `"multiline": {"start": ...}` in JSON is the same as `"multiline.start": ...`. */
function flattenMultiline(fields: Record<string, unknown>, problem: (p: string) => void): Record<string, unknown> {
  if (!("multiline" in fields)) return fields;
  const { multiline, ...rest } = fields;
  if (typeof multiline !== "object" || multiline === null || Array.isArray(multiline)) {
    problem(`field "multiline" must be an object like {"start": "^\\d{4}-"}, got ${show(multiline)}`);
    return rest;
  }
  for (const [key, value] of Object.entries(multiline)) {
    if (MULTILINE_KEYS.includes(key)) rest[`multiline.${key}`] = value;
    else problem(`unknown field "multiline.${key}" (known: ${MULTILINE_KEYS.join(", ")})`);
  }
  return rest;
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

/** Labels for entries in messages: the path, which identifies an entry. */
export function entryLabel(entry: CollectEntry): string {
  return `entry ${show(entry.path)}`;
}
