// One entry of a collect list: which files to tail and where their lines go.
// The same schema serves the JSON value in etcd and the INI's [collect.NAME]
// sections, so both sources accept exactly the same fields. Besides its own
// fields (path, topic, from, fields), an entry may override any [kafka] or
// [agent] option marked `entry` in src/config/options.ts, validated by that
// same table. In JSON the multiline options may also be nested:
// `"multiline": {"start": "^\\d{4}-"}` is `multiline.start`.
//
// A bad value refuses the whole list (the last good list keeps running), and
// so does a value of the wrong JSON type (`true`, `null`) or one holding a
// control or invisible character. Names are looked up as own properties only,
// so `__proto__` or `toString` are unknown fields like any other. A key given
// twice in one JSON object is left to JSON.parse: the last one wins.
import path from "node:path";
import { describeCodePoint, findRefusedCharacter } from "../config/ini-text";
import { ENTRY_OPTIONS, type OptionSpec, parseOptionValue } from "../config/options";

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

/**
 * A collect path must mean the same file however the agent was started. On Windows `\logs\a.log`
 * counts as absolute but names a file on the current drive, and a service starts on C: (in
 * System32) while a console may be elsewhere: so there a path needs its drive or a UNC root.
 */
export function absolutePathProblem(p: string, platform: NodeJS.Platform = process.platform): string | undefined {
  if (platform === "win32") {
    return /^[A-Za-z]:[\\/]/.test(p) || /^[\\/]{2}[^\\/]/.test(p)
      ? undefined
      : "must be an absolute path with its drive letter (C:\\logs\\app.log) or a UNC path (\\\\server\\share\\app.log)";
  }
  return path.isAbsolute(p) ? undefined : "must be an absolute path";
}

const nonEmptyString: FieldCheck = (v) =>
  typeof v === "string" && v.trim() !== "" ? undefined : "must be a non-empty string";

const OWN_FIELDS: Record<"path" | "topic" | "from" | "fields", { required: boolean; check: FieldCheck; description: string }> = {
  path: {
    required: true,
    check: (v) => nonEmptyString(v) ?? absolutePathProblem(v as string),
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
      typeof v !== "object" || v === null || Array.isArray(v) || !Object.values(v).every((x) => typeof x === "string" || typeof x === "number" || typeof x === "boolean")
        ? 'must be an object of names to strings, like {"env": "prod"}'
        : Object.hasOwn(v, "__proto__")
          ? 'may not have a field named "__proto__"'
          : undefined,
    description: "Static fields (JSON only, not in [collect.NAME]), added to [fields].",
  },
};

/** Every field a collect entry accepts, for messages and docs. */
export const ENTRY_FIELD_NAMES: string[] = [...Object.keys(OWN_FIELDS), ...ENTRY_OPTIONS.map((o) => o.key)];
const KNOWN_FIELDS = new Set(ENTRY_FIELD_NAMES);

/** One thing wrong with entry `index`; `text` follows the entry's label: `field "topic" must be a non-empty string, got ""`. */
export interface EntryProblem {
  /** Absent when the whole value is at fault (not JSON, not an array). */
  index?: number;
  /** The field at fault, when there is one. */
  field?: string;
  text: string;
}

export interface EntryResult {
  entries: CollectEntry[];
  /** Each names the entry and field at fault; an empty list means the entries are valid. */
  problems: string[];
  /** The same problems, by entry and field (the INI turns them into lines). */
  located: EntryProblem[];
  /** For each of `entries`, its index in the raw list (invalid entries are left out of `entries`). */
  sources: number[];
}

function show(value: unknown): string {
  const s = JSON.stringify(value);
  return s === undefined ? String(value) : s.length > 80 ? s.slice(0, 77) + "..." : s;
}

const own = (o: Record<string, unknown>, k: string): unknown => (Object.hasOwn(o, k) ? o[k] : undefined);

/**
 * JSON values must already be of the option's kind: text (a number for integers and choices, as
 * `"acks": 1`), or a list of texts for list options. `true`, `null` or an object is refused rather
 * than turned into the text "true" or into "not set".
 */
function shapeProblem(spec: OptionSpec, value: unknown): string | undefined {
  const kind = spec.type.kind;
  const listKind = kind === "list" || kind === "regexes" || kind === "globs";
  const scalar = (x: unknown) => typeof x === "string" || (typeof x === "number" && (kind === "int" || kind === "enum"));
  if (Array.isArray(value) ? listKind && value.every((x) => typeof x === "string") : scalar(value)) return undefined;
  return `= ${show(value)}: must be ${listKind ? "a string or a list of strings" : kind === "int" ? "an integer" : "a string"}`;
}

/** A control or invisible character anywhere in a value (strings, lists, objects), as the INI refuses them. */
function characterProblem(value: unknown): string | undefined {
  if (typeof value === "string") {
    const bad = findRefusedCharacter(value);
    return bad ? `holds ${describeCodePoint(bad.codePoint)} at character ${bad.column}; control and invisible characters are not allowed` : undefined;
  }
  if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      const p = characterProblem(k) ?? characterProblem(v);
      if (p) return p;
    }
  }
  return undefined;
}

/** Validates raw entries; `labels[i]` names entry i in messages (an index in etcd, a section in the INI). */
export function validateEntries(raw: unknown[], labels: string[]): EntryResult {
  const located: EntryProblem[] = [];
  const entries: CollectEntry[] = [];
  const sources: number[] = [];
  const seen = new Map<string, string>();
  raw.forEach((item, index) => {
    const label = labels[index] ?? `entry ${index}`;
    const problem = (text: string, field?: string) => located.push({ index, text, ...(field ? { field } : {}) });
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      problem(`must be an object like {"path": ..., "topic": ...}, got ${show(item)}`);
      return;
    }
    const before = located.length;
    const fields = flattenMultiline(item as Record<string, unknown>, problem);
    for (const name of Object.keys(fields)) {
      if (!KNOWN_FIELDS.has(name)) problem(`unknown field "${name}" (known: ${ENTRY_FIELD_NAMES.join(", ")})`, name);
      else {
        const bad = characterProblem(fields[name]);
        if (bad) problem(`field "${name}" ${bad}`, name);
      }
    }
    for (const [name, spec] of Object.entries(OWN_FIELDS)) {
      const value = own(fields, name);
      if (value === undefined) {
        if (spec.required) problem(`missing field "${name}"`, name);
        continue;
      }
      const bad = spec.check(value);
      if (bad) problem(`field "${name}" ${bad}, got ${show(value)}`, name);
    }
    const options: Record<string, unknown> = {};
    for (const spec of ENTRY_OPTIONS) {
      const raw = own(fields, spec.key);
      if (raw === undefined) continue;
      // etcd's JSON may say 1 or "1"; the INI always says text. Both go through the option's own parser.
      const shape = shapeProblem(spec, raw);
      const { value, problem: bad } = shape ? { value: undefined, problem: shape } : parseOptionValue(spec, raw);
      if (bad) problem(`field "${spec.key}" ${bad}`, spec.key);
      else options[spec.key] = value;
    }
    if (located.length > before) return;
    const entry = fields as { path: string; topic: string; from?: StartFrom; fields?: Record<string, unknown> };
    const other = seen.get(entry.path);
    if (other !== undefined) {
      problem(`path ${show(entry.path)} is already collected by ${other}; one file goes to one topic`, "path");
      return;
    }
    seen.set(entry.path, label);
    sources.push(index);
    entries.push({
      path: entry.path,
      topic: entry.topic,
      ...(entry.from ? { from: entry.from } : {}),
      ...(entry.fields ? { fields: Object.fromEntries(Object.entries(entry.fields).map(([k, v]) => [k, String(v)])) } : {}),
      ...(Object.keys(options).length ? { options } : {}),
    });
  });
  return { entries, problems: located.map((p) => `${labels[p.index!] ?? `entry ${p.index}`}: ${p.text}`), located, sources };
}

const MULTILINE_KEYS = ENTRY_OPTIONS.filter((o) => o.key.startsWith("multiline.")).map((o) => o.key.slice("multiline.".length));

/** `"multiline": {"start": ...}` in JSON is the same as `"multiline.start": ...`. */
function flattenMultiline(fields: Record<string, unknown>, problem: (text: string, field?: string) => void): Record<string, unknown> {
  if (!Object.hasOwn(fields, "multiline")) return fields;
  const { multiline, ...rest } = fields;
  if (typeof multiline !== "object" || multiline === null || Array.isArray(multiline)) {
    problem(`field "multiline" must be an object like {"start": "^\\d{4}-"}, got ${show(multiline)}`, "multiline");
    return rest;
  }
  for (const [key, value] of Object.entries(multiline)) {
    if (!MULTILINE_KEYS.includes(key)) problem(`unknown field "multiline.${key}" (known: ${MULTILINE_KEYS.join(", ")})`, `multiline.${key}`);
    else if (Object.hasOwn(rest, `multiline.${key}`)) problem(`field "multiline.${key}" is given twice, nested and as "multiline.${key}"`, `multiline.${key}`);
    else rest[`multiline.${key}`] = value;
  }
  return rest;
}

const whole = (text: string): EntryResult => ({ entries: [], problems: [text], located: [{ text }], sources: [] });

/** Parses the etcd value: a JSON array of entries, as the tutorial project wrote it. */
export function parseCollectList(text: string): EntryResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return whole(`value is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(raw)) {
    return whole(`value must be a JSON array of entries, got ${show(raw)}`);
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
