// What one log call produces, before any sink turns it into bytes: the sinks (console, file,
// the event hook) each format the same record their own way.
import type { EventName } from "./events";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type Fields = Record<string, unknown>;

export interface LogRecord {
  time: Date;
  level: LogLevel;
  /** Dotted logger name, e.g. `logagent.kafka`. */
  scope: string;
  /** A sentence. */
  message: string;
  fields: Fields;
  /** Set on the records an operator looks for: start, stop, fatal errors, outages (see events.ts). */
  event?: EventName;
}

export function newRecord(level: LogLevel, scope: string, message: string, fields: Fields = {}, event?: EventName): LogRecord {
  return { time: new Date(), level, scope, message, fields, event };
}

/** A destination for records. `write` never throws: a sink that cannot write handles it itself. */
export interface LogSink {
  write(record: LogRecord): void;
  close(): void;
}
