// A Logger that keeps what is logged, at every level, instead of writing it:
// for tests that count how often something is said.
import { Logger, type Fields, type LogLevel } from "../../src/telemetry/logger";

export interface Logged {
  level: LogLevel;
  message: string;
  fields: Fields;
}

export class LogCapture extends Logger {
  readonly entries: Logged[] = [];

  constructor() {
    super("test");
  }

  override child(): Logger {
    return this;
  }

  override log(level: LogLevel, message: string, fields: Fields = {}): void {
    this.entries.push({ level, message, fields });
  }

  /** Entries at `level` whose message contains `text`. */
  said(level: LogLevel, text: string): Logged[] {
    return this.entries.filter((e) => e.level === level && e.message.includes(text));
  }

  /** Every entry at `level`. */
  at(level: LogLevel): Logged[] {
    return this.entries.filter((e) => e.level === level);
  }
}
