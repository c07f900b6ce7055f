// Turns the lines of one open file into the messages to send: decodes the
// file's encoding to UTF-8, joins multiline events, drops filtered lines.
//
// One per open file, owned by its reader and dropped with it: a pending
// multiline event belongs to one file. Everything it hands out carries the
// file bytes it covers, in increasing order, so the reader can advance the
// saved position over sent and filtered bytes alike.
//
// The default (UTF-8, no multiline, no filters) is the hot path: each line
// costs one `isUtf8` check and is sent as the very bytes that were read. Lines
// are decoded to strings only when a pattern has to look at them.
import { sharedDecoder, toUtf8, utf8Encoder, type Encoding } from "./encoding";
import { LineFilter } from "./line-filter";
import { MultilineJoiner, type MultilineEvent, type MultilineOptions } from "./multiline";
import type { UserPattern } from "./user-pattern";
import { isUtf8 } from "node:buffer";

export interface LineOptions {
  /** The file's encoding when it has no byte-order mark (a mark overrides it). */
  encoding: Encoding;
  multiline?: MultilineOptions;
  /** `include_lines`: when given, a line (or event) must match one of these to be sent. */
  include: UserPattern[];
  /** `exclude_lines`: a line (or event) matching any of these is not sent. */
  exclude: UserPattern[];
}

/** A line or event to send: its UTF-8 value, covering file bytes [start, end). */
export type Emit = (value: Uint8Array, start: number, end: number) => void;
/** File bytes [start, end) that send nothing (filtered out); the position may pass them once earlier lines are acknowledged. */
export type Skip = (start: number, end: number) => void;

export class LineProcessor {
  private readonly encoding: Encoding;
  private readonly joiner: MultilineJoiner | null;
  private readonly filter: LineFilter | null;
  private readonly decoder: TextDecoder;
  private readonly encoder = utf8Encoder;

  constructor(options: LineOptions) {
    this.encoding = options.encoding;
    this.joiner = options.multiline ? new MultilineJoiner(options.multiline) : null;
    const filter = new LineFilter(options.include, options.exclude);
    this.filter = filter.active ? filter : null;
    this.decoder = sharedDecoder(options.encoding);
  }

  /** One line's content in the file's encoding (no LF/CR, no BOM), covering [start, end). */
  line(raw: Uint8Array, start: number, end: number, now: number, emit: Emit, skip: Skip): void {
    if (this.joiner === null) {
      if (this.filter === null) {
        emit(toUtf8(raw, this.encoding), start, end);
        return;
      }
      const text = this.decoder.decode(raw);
      if (!this.filter.keep(text)) skip(start, end);
      // Valid UTF-8 is sent as read; re-encoding the decoded text would only copy it.
      else emit(this.encoding === "utf-8" && isUtf8(raw) ? raw : this.encoder.encode(text), start, end);
      return;
    }
    for (const event of this.joiner.push(this.decoder.decode(raw), start, end, now)) this.send(event, emit, skip);
  }

  /** Hands out a multiline event that has waited its timeout; returns how many events were emitted. */
  flushDue(now: number, emit: Emit, skip: Skip): number {
    if (this.joiner === null || !this.joiner.due(now)) return 0;
    return this.flush(emit, skip);
  }

  /** Hands out whatever is pending (end of file, rotation, shutdown); returns how many events were emitted. */
  flush(emit: Emit, skip: Skip): number {
    const event = this.joiner?.flush();
    if (!event) return 0;
    return this.send(event, emit, skip);
  }

  /** No multiline, no filter: every line goes out as it is, only made UTF-8 (the reader's fast path). */
  get plain(): boolean {
    return this.joiner === null && this.filter === null;
  }

  get pending(): boolean {
    return this.joiner?.pending ?? false;
  }

  /** Where the pending event starts (its bytes are not yet emitted), or -1. */
  get pendingStart(): number {
    return this.joiner?.pendingStart ?? -1;
  }

  /** Returns 1 when the event was emitted, 0 when it was filtered out. */
  private send(event: MultilineEvent, emit: Emit, skip: Skip): number {
    if (this.filter !== null && !this.filter.keep(event.text)) {
      skip(event.start, event.end);
      return 0;
    }
    emit(this.encoder.encode(event.text), event.start, event.end);
    return 1;
  }
}
