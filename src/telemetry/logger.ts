// Log calls and where their records go. Call sites hold a Logger (`log.child("kafka")`,
// `log.info("Sentence.", { key: value })`, optionally a third argument naming an event, see
// events.ts); the destinations are set for the whole process by configureLogging, which the
// service host calls more than once (a default file before the INI is read, then the INI's).
// `error` means data may be lost or an operator must act; `warn` means something unexpected
// happened but nothing was lost.
//
// Until configureLogging is called, records go to stderr as text at level info.
import { ConsoleSink, type LogFormat } from "./console-sink";
import type { EventName } from "./events";
import { FileSink, type FileSinkOptions } from "./file-sink";
import { type Fields, LOG_LEVELS, type LogLevel, type LogRecord, newRecord } from "./log-record";

export { LOG_LEVELS, type Fields, type LogLevel, type LogRecord };

export interface LoggingOptions {
  level: LogLevel;
  /** Write to stderr. */
  console: boolean;
  /** Format of stderr lines; the file has its own. @default "text" */
  consoleFormat?: LogFormat;
  /** Also write to this file (rotated by size). */
  file?: FileSinkOptions;
}

/** Receives records that carry an event name, and every `error` record, whatever the level. */
export type EventSink = (record: LogRecord) => void;

const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

interface Routing {
  threshold: number;
  console: ConsoleSink | null;
  file: FileSink | null;
  consoleFormat: LogFormat;
}

let routing: Routing = { threshold: rank.info, console: new ConsoleSink(), file: null, consoleFormat: "text" };
let eventSink: EventSink | null = null;
let inEventSink = false;
/** Where records go when the file fails and stderr is not already in use. Made on first need. */
let fallback: ConsoleSink | null = null;

/**
 * Sets where the log goes, replacing the previous setting (its file is closed first). Never
 * throws: a file that cannot be opened is reported on stderr and to the event sink, and its
 * records go to stderr until it can be written.
 */
export function configureLogging(options: LoggingOptions): void {
  routing.file?.close();
  const fileOnly = Boolean(options.file) && !options.console;
  routing = {
    threshold: rank[options.level],
    console: options.console ? new ConsoleSink(options.consoleFormat) : null,
    file: null,
    consoleFormat: options.consoleFormat ?? "text",
  };
  fallback = null;
  if (options.file) {
    // Someone who starts the agent from a terminal and sees nothing needs to know where to look.
    if (fileOnly && process.stderr.isTTY) new ConsoleSink().write(newRecord("info", "logagent", "Logging to a file from now on.", { file: options.file.path }));
    routing.file = new FileSink(options.file, (failure) => {
      stderrSink().write(failure);
      toEventSink(failure);
    });
  }
}

/** Sets (or with null, removes) the event sink; configureLogging leaves it as it is. */
export function setEventSink(sink: EventSink | null): void {
  eventSink = sink;
}

/** Changes only the level. */
export function setLogLevel(level: LogLevel): void {
  routing.threshold = rank[level];
}

/** stderr: the configured console sink, or (file only) the fallback for when the file fails. */
function stderrSink(): ConsoleSink {
  if (routing.console) return routing.console;
  fallback ??= new ConsoleSink(routing.consoleFormat);
  return fallback;
}

function dispatch(r: LogRecord): void {
  if (rank[r.level] >= routing.threshold) {
    routing.console?.write(r);
    if (routing.file && !routing.file.write(r) && !routing.console) stderrSink().write(r);
  }
  if (r.event !== undefined || r.level === "error") toEventSink(r);
}

function toEventSink(r: LogRecord): void {
  // The sink may log about its own trouble; that record must not come back to it.
  if (!eventSink || inEventSink) return;
  inEventSink = true;
  try {
    eventSink(r);
  } catch {
    // The Event Log is a second copy of what the file or stderr already has; losing it is not
    // worth stopping the agent.
  } finally {
    inEventSink = false;
  }
}

export class Logger {
  constructor(readonly scope: string) {}

  child(scope: string): Logger {
    return new Logger(`${this.scope}.${scope}`);
  }

  enabled(level: LogLevel): boolean {
    return rank[level] >= routing.threshold;
  }

  log(level: LogLevel, message: string, fields: Fields = {}, event?: EventName): void {
    // A named event reaches the event sink even below the level (an admin filtering the file to
    // warnings still sees the agent start in the Event Log).
    if (!this.enabled(level) && !(event !== undefined && eventSink)) return;
    dispatch(newRecord(level, this.scope, message, fields, event));
  }

  debug(message: string, fields?: Fields, event?: EventName): void {
    this.log("debug", message, fields, event);
  }
  info(message: string, fields?: Fields, event?: EventName): void {
    this.log("info", message, fields, event);
  }
  warn(message: string, fields?: Fields, event?: EventName): void {
    this.log("warn", message, fields, event);
  }
  error(message: string, fields?: Fields, event?: EventName): void {
    this.log("error", message, fields, event);
  }
}

export const rootLogger = new Logger("logagent");

/** Whether the log goes to stderr (a console run without log_file): then what main prints there is already seen. */
export function loggingToConsole(): boolean {
  return routing.console !== null;
}
