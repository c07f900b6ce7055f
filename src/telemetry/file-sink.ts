// Log lines to a size-rotated file (`[agent] log_file`), in text (never coloured) or json. The log
// must never take the agent down: when the file cannot be opened or written, the sink says why
// once (through onFailed, which the logger sends to stderr and the event sink), reports `false`
// for every record so the logger can write them to stderr, and tries the file again every 30 s.
import { formatJson, formatText } from "./log-format";
import type { LogFormat } from "./console-sink";
import { type Fields, type LogLevel, type LogRecord, type LogSink, newRecord } from "./log-record";
import { RotatingFile, type RotationOptions } from "./rotating-file";

export interface FileSinkOptions extends RotationOptions {
  format: LogFormat;
}

export const FILE_RETRY_MS = 30_000;
const SCOPE = "logagent.log";

export class FileSink implements LogSink {
  private file: RotatingFile | null = null;
  private failing = false;
  private retryAt = 0;

  constructor(
    readonly options: FileSinkOptions,
    private readonly onFailed: (record: LogRecord) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.reopen();
  }

  /** False when the record could not be written (the file is broken); it is then the caller's to place. */
  write(record: LogRecord): boolean {
    if (!this.file && (this.now() < this.retryAt || !this.reopen())) return false;
    try {
      this.file!.append(this.format(record));
      return true;
    } catch (err) {
      this.fail(err);
      return false;
    }
  }

  close(): void {
    const file = this.file;
    this.file = null;
    try {
      file?.close();
    } catch {
      // Closing an fd that failed to write can fail again; there is nothing left to do with it.
    }
  }

  private format(record: LogRecord): string {
    return this.options.format === "json" ? formatJson(record) : formatText(record);
  }

  private reopen(): boolean {
    try {
      this.file = new RotatingFile(this.options, (error) =>
        this.note("warn", "Cannot rotate the log file; it grows past log_max_bytes until it can.", { file: this.options.path, error }),
      );
      // Back from a failure only once a line is written: a file that opens but cannot be written
      // (a full disk) must not be reported as failed again every 30 s.
      if (this.failing) this.file.append(this.format(newRecord("info", SCOPE, "The log file is writable again; the lines logged meanwhile went to stderr.", { file: this.options.path })));
    } catch (err) {
      this.fail(err);
      return false;
    }
    this.failing = false;
    return true;
  }

  private fail(error: unknown): void {
    this.close();
    this.retryAt = this.now() + FILE_RETRY_MS;
    if (!this.failing) {
      this.failing = true;
      this.onFailed(newRecord("error", SCOPE, "Cannot write the log file; logging to stderr instead, and trying the file again every 30 s.", { file: this.options.path, error }, "LogFileFailed"));
    }
  }

  /** A line about the file itself, written into it. */
  private note(level: LogLevel, message: string, fields: Fields): void {
    try {
      this.file?.append(this.format(newRecord(level, SCOPE, message, fields)));
    } catch (err) {
      this.fail(err);
    }
  }
}
