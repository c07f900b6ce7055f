// Joins lines into events, so that a stack trace reaches Kafka as one message.
//
// An event is complete only when the line after it arrives (it does not
// continue the event) or when nothing has arrived for a while: a trace's last
// line cannot be recognised on its own. Until then the event is pending, and
// its bytes are not handed out, so the file position saved for it stays at its
// first line; see LineProcessor.pendingStart.
import type { UserPattern } from "./user-pattern";

export interface MultilineOptions {
  /** A line matching this begins a new event; other lines join the pending one. Exclusive with `continuation`. */
  start?: UserPattern;
  /** A line matching this joins the pending event; other lines begin a new one. Exclusive with `start`. */
  continuation?: UserPattern;
  /**
   * An event is complete when it has this many lines, and the next line begins a new event.
   * Filebeat drops the lines past its `max_lines` instead; we never drop data, so a long trace
   * arrives as several messages.
   * @default 500 (set by the config layer)
   */
  maxLines: number;
  /**
   * A pending event is complete once this long has passed since its last line was added.
   * @default 5000 (set by the config layer)
   */
  timeoutMs: number;
}

export interface MultilineEvent {
  /** The event's lines joined with "\n". */
  text: string;
  /** File offset of the event's first line. */
  start: number;
  /** File offset after the event's last line terminator (that line's `next`). */
  end: number;
  /** How many lines were joined. */
  lines: number;
}

export class MultilineJoiner {
  private readonly start: UserPattern | undefined;
  private readonly continuation: UserPattern | undefined;
  private readonly maxLines: number;
  private readonly timeoutMs: number;

  private parts: string[] = [];
  private eventStart = -1;
  private eventEnd = -1;
  private lastAddedAt = 0;

  constructor(options: MultilineOptions) {
    const { start, continuation, maxLines, timeoutMs } = options;
    if ((start === undefined) === (continuation === undefined)) {
      throw new Error("multiline needs exactly one of a start pattern and a continuation pattern");
    }
    if (!Number.isInteger(maxLines) || maxLines < 1) {
      throw new RangeError(`multiline maxLines must be a whole number of at least 1, not ${maxLines}`);
    }
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
      throw new RangeError(`multiline timeoutMs must be a positive number of milliseconds, not ${timeoutMs}`);
    }
    this.start = start;
    this.continuation = continuation;
    this.maxLines = maxLines;
    this.timeoutMs = timeoutMs;
  }

  get pending(): boolean {
    return this.parts.length > 0;
  }

  /** File offset where the pending event begins, or -1 when none is pending. */
  get pendingStart(): number {
    return this.eventStart;
  }

  /**
   * Adds one line covering file bytes [start, end) read at time `now`; returns the events this line
   * completed, oldest first (none, one, or two when it also fills an event to `maxLines`).
   */
  push(text: string, start: number, end: number, now: number): MultilineEvent[] {
    const done: MultilineEvent[] = [];
    if (this.pending && !this.joinsPending(text)) done.push(this.take());
    if (!this.pending) this.eventStart = start;
    this.parts.push(text);
    this.eventEnd = end;
    this.lastAddedAt = now;
    if (this.parts.length >= this.maxLines) done.push(this.take());
    return done;
  }

  /**
   * Whether the pending event has waited `timeoutMs` since its last line was added. Measured from the
   * last line, as Filebeat does (its timeout restarts with every line read), so a trace that is still
   * being written is not cut; `maxLines` bounds how long one can grow. Fluent Bit instead flushes all
   * pending events on a fixed timer, which can cut a trace whose lines arrive slowly.
   */
  due(now: number): boolean {
    return this.pending && now - this.lastAddedAt >= this.timeoutMs;
  }

  /** Hands out the pending event (end of file, timeout, rotation, shutdown), or null when none is pending. */
  flush(): MultilineEvent | null {
    return this.pending ? this.take() : null;
  }

  private joinsPending(text: string): boolean {
    if (this.start !== undefined) return !this.start.test(text);
    return this.continuation!.test(text);
  }

  private take(): MultilineEvent {
    const event = { text: this.parts.join("\n"), start: this.eventStart, end: this.eventEnd, lines: this.parts.length };
    this.parts = [];
    this.eventStart = this.eventEnd = -1;
    return event;
  }
}
