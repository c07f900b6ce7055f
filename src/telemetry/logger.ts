// Human-readable log lines on stderr: `time LEVEL scope: Sentence. key=value ...`.
// `error` means data may be lost or an operator must act; `warn` means
// something unexpected happened but nothing was lost.
import { coloursFor } from "./colour";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type Fields = Record<string, unknown>;

const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const colors = coloursFor(process.stderr);
const paint: Record<LogLevel, (s: string) => string> = {
  debug: colors.gray,
  info: colors.cyan,
  warn: colors.yellow,
  error: colors.red,
};

let threshold: LogLevel = "info";
export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === "string") return /^[\w./:@\\-]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === "bigint") return value.toString();
  return JSON.stringify(value) ?? String(value);
}

export class Logger {
  constructor(readonly scope: string) {}

  child(scope: string): Logger {
    return new Logger(`${this.scope}.${scope}`);
  }

  enabled(level: LogLevel): boolean {
    return rank[level] >= rank[threshold];
  }

  log(level: LogLevel, message: string, fields: Fields = {}): void {
    if (!this.enabled(level)) return;
    const parts = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${colors.dim(k + "=")}${formatValue(v)}`);
    const head = `${colors.dim(new Date().toISOString())} ${paint[level](level.toUpperCase().padEnd(5))} ${colors.bold(this.scope)}:`;
    process.stderr.write(`${head} ${message}${parts.length ? " " + parts.join(" ") : ""}\n`);
  }

  debug(message: string, fields?: Fields): void {
    this.log("debug", message, fields);
  }
  info(message: string, fields?: Fields): void {
    this.log("info", message, fields);
  }
  warn(message: string, fields?: Fields): void {
    this.log("warn", message, fields);
  }
  error(message: string, fields?: Fields): void {
    this.log("error", message, fields);
  }
}

export const rootLogger = new Logger("logagent");
