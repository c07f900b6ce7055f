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

// TEMPORARY (replaced by the logging work being merged): a plain file sink and an event hook.
import { appendFileSync, mkdirSync } from "node:fs";
import nodePath from "node:path";
export interface LogRecord { time: Date; level: LogLevel; scope: string; message: string; fields: Fields; event?: string }
let sinkConsole = true;
let sinkFile: string | null = null;
let sinkEvent: ((r: LogRecord) => void) | null = null;
export function loggingToConsole(): boolean { return sinkConsole; }
export function configureLogging(o: { level: LogLevel; console: boolean; file?: { path: string; maxBytes: number; keep: number; format: "text" | "json" }; onEvent?: (r: LogRecord) => void }): void {
  threshold = o.level;
  sinkConsole = o.console;
  sinkFile = o.file?.path ?? null;
  if (sinkFile) mkdirSync(nodePath.dirname(sinkFile), { recursive: true });
  sinkEvent = o.onEvent ?? null;
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

  log(level: LogLevel, message: string, fields: Fields = {}, event?: string): void {
    if (sinkEvent && (event || level === "error")) sinkEvent({ time: new Date(), level, scope: this.scope, message, fields, event });
    if (!this.enabled(level)) return;
    const parts = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${colors.dim(k + "=")}${formatValue(v)}`);
    const head = `${colors.dim(new Date().toISOString())} ${paint[level](level.toUpperCase().padEnd(5))} ${colors.bold(this.scope)}:`;
    if (sinkConsole) process.stderr.write(`${head} ${message}${parts.length ? " " + parts.join(" ") : ""}\n`);
    if (sinkFile) appendFileSync(sinkFile, `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${this.scope}: ${message} ${Object.entries(fields).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${formatValue(v)}`).join(" ")}\n`);
  }

  debug(message: string, fields?: Fields, event?: string): void {
    this.log("debug", message, fields, event);
  }
  info(message: string, fields?: Fields, event?: string): void {
    this.log("info", message, fields, event);
  }
  warn(message: string, fields?: Fields, event?: string): void {
    this.log("warn", message, fields, event);
  }
  error(message: string, fields?: Fields, event?: string): void {
    this.log("error", message, fields, event);
  }
}

export const rootLogger = new Logger("logagent");
