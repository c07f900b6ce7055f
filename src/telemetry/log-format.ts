// The two line formats. `text` is for people: `time LEVEL scope: Sentence. key=value ...`, coloured
// only when the caller passes colours (a terminal). `json` is for log collectors: one object per
// line with `time`, `level`, `scope`, `message`, the fields as keys of their own and `event` when
// the record has one. Neither may throw: a field that cannot be serialised is written as text.
import type { LogLevel, LogRecord } from "./log-record";

const identity = (s: string) => s;
/** Formatting without colour, for files and for streams that are not terminals. */
const PLAIN = { dim: identity, bold: identity, gray: identity, cyan: identity, yellow: identity, red: identity };
/** The part of picocolors' Colours that the text format uses. */
export type Paint = Record<keyof typeof PLAIN, (s: string) => string>;

const LEVEL_COLOUR: Record<LogLevel, keyof Paint> = { debug: "gray", info: "cyan", warn: "yellow", error: "red" };

function textValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === "string") return /^[\w./:@\\-]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === "bigint") return value.toString();
  try {
    return JSON.stringify(value, jsonReplacer) ?? String(value);
  } catch {
    return JSON.stringify(String(value));
  }
}

export function formatText(record: LogRecord, colours: Paint = PLAIN): string {
  const parts = Object.entries(record.fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${colours.dim(k + "=")}${textValue(v)}`);
  const level = colours[LEVEL_COLOUR[record.level]](record.level.toUpperCase().padEnd(5));
  const head = `${colours.dim(record.time.toISOString())} ${level} ${colours.bold(record.scope)}:`;
  return `${head} ${record.message}${parts.length ? " " + parts.join(" ") : ""}\n`;
}

/** Errors become their message and bigints their digits, at any depth. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return value.message;
  if (typeof value === "bigint") return value.toString();
  return value;
}

const RESERVED = new Set(["time", "level", "scope", "message", "event"]);

export function formatJson(record: LogRecord): string {
  const line: Record<string, unknown> = {
    time: record.time.toISOString(),
    level: record.level,
    scope: record.scope,
    message: record.message,
  };
  for (const [k, v] of Object.entries(record.fields)) {
    // A field may not overwrite the record's own keys; it keeps its value under another name.
    if (v !== undefined) line[RESERVED.has(k) ? `field_${k}` : k] = v;
  }
  if (record.event) line.event = record.event;
  try {
    return JSON.stringify(line, jsonReplacer) + "\n";
  } catch {
    // A circular (or otherwise unserialisable) field is written as its String() form.
    for (const [k, v] of Object.entries(line)) {
      try {
        JSON.stringify(v, jsonReplacer);
      } catch {
        line[k] = String(v);
      }
    }
    return JSON.stringify(line, jsonReplacer) + "\n";
  }
}
