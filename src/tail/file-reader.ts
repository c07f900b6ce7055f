// One file and how far into it lines have been taken.
//
// The read loop keeps no partial-line buffer: `offset` is always the start of
// the first line not yet handed out, and each read starts there with a
// positioned read. A partial last line is simply read again once the file has
// grown. Offsets therefore always fall on line boundaries, which is what a
// saved position must be. (A multiline event still being gathered is the one
// exception: its lines are past `offset` but not yet handed out, so the saved
// position, which only follows acknowledged lines, stays before them.)
//
// The handle can be let go and taken back (close_inactive): the reader, with
// its offset and acknowledgements, outlives it.
import type { BigIntStats } from "node:fs";
import { FINGERPRINT_BYTES, fingerprintMatches, fingerprintOf, type FileIdentity, type Fingerprint } from "./file-identity";
import { DeliveryTracker } from "../pipeline/delivery-tracker";
import type { Room } from "../pipeline/line-queue";
import { cutPoint, sniffBom, type Encoding } from "../lines/encoding";
import { LineProcessor, type Emit, type LineOptions, type Skip } from "../lines/line-processor";
import { findLF, splitLines, trimCR } from "./line-splitter";
import type { TailHandle } from "./open-file";

/** Bytes read in one step; a longer line grows the read up to `maxLineBytes`. */
const CHUNK_BYTES = 256 * 1024;
/** Slack beyond max_line_bytes for the line's end: CR LF in UTF-16 is four bytes. */
const EOL_SLACK = 4;

/** Receives each line with its start offset and the offset just after it (where reading resumes once it is delivered). */
export type LineSink = (line: Uint8Array, source: FileReader, start: number, end: number) => void;

export interface ReadResult {
  lines: number;
  /** The file holds more complete lines than were taken (the room ran out or the chunk ended). */
  more: boolean;
  /** The file shrank below the offset and reading restarted at 0. */
  truncated: boolean;
  /** The file's size when it was read. */
  size: number;
}

/** How bytes become lines: the entry's encoding, line limit and line processing. */
export interface ReaderFormat {
  maxLineBytes: number;
  longLines: "split" | "truncate";
  lines: LineOptions;
}

export class FileReader {
  /**
   * Which lines Kafka has acknowledged. Replaced on truncation: a line read before it holds the old
   * tracker, so its late acknowledgement cannot move the position over content that replaced it.
   */
  tracker: DeliveryTracker;
  fingerprint: Fingerprint;
  /** Where the next line to hand out starts. */
  offset: number;
  /** Lines longer than max_line_bytes seen so far (split or truncated). */
  longLines = 0;
  /** Bytes up to here have been looked at and hold no complete line after `offset`. */
  private scannedTo: number;
  private handle: TailHandle | null;
  private isFinished = false;
  /** The file's encoding: the entry's, unless a byte-order mark says otherwise. */
  private encoding: Encoding;
  private bomBytes = 0;
  private processor: LineProcessor;
  /** With long_lines = truncate: the rest of a cut line is being passed over up to its end. */
  private skippingRest = false;

  constructor(
    handle: TailHandle,
    readonly identity: FileIdentity,
    /** The file's name when it was found: the `path` header and key of its lines, even after a rotation renames it. */
    readonly path: string,
    /** The collect entry's path (or glob) it was found under: saved positions are looked up by it. */
    readonly entryPath: string,
    private format: ReaderFormat,
  ) {
    this.handle = handle;
    this.offset = 0;
    this.tracker = new DeliveryTracker(0);
    this.scannedTo = 0;
    const head = this.pread(0, FINGERPRINT_BYTES);
    this.fingerprint = fingerprintOf(head);
    this.encoding = format.lines.encoding;
    this.sniff(head);
    this.processor = new LineProcessor({ ...format.lines, encoding: this.encoding });
  }

  /** Whether the file still begins with the bytes `saved` was taken from (so it is the same file, not a reused inode). */
  startsWith(saved: Fingerprint): boolean {
    return fingerprintMatches(saved, this.pread(0, saved.bytes));
  }

  /** Every line before this offset is acknowledged by Kafka: the position to save. */
  get acked(): number {
    return this.tracker.acked;
  }

  /** Sets where reading starts; only before the first read. A byte-order mark is never sent. */
  seek(offset: number): void {
    this.offset = this.scannedTo = Math.max(offset, this.bomBytes);
    this.tracker = new DeliveryTracker(this.offset);
  }

  /** Whether no handle is held: finished for good, or let go until the file grows (see `release`). */
  get closed(): boolean {
    return this.handle === null;
  }

  /** Closed for good: read to its end, or its entry stopped. */
  get finished(): boolean {
    return this.isFinished;
  }

  /** A multiline event is being gathered: the file must be polled to send it on time. */
  get holding(): boolean {
    return this.processor.pending;
  }

  /** The file's status through the handle (identity, size, mtime). */
  stat(): BigIntStats {
    if (!this.handle) throw new Error(`stat: ${this.path} is not open`);
    return this.handle.stat();
  }

  size(): number {
    return this.handle ? Number(this.handle.stat().size) : this.offset;
  }

  /** New settings (the entry changed) apply from the next line; an event being gathered is sent first. */
  reformat(format: ReaderFormat, sink: LineSink): void {
    this.processor.flush(this.emitTo(sink), this.skip);
    this.format = format;
    if (format.lines.encoding !== this.encoding && this.bomBytes === 0) this.encoding = format.lines.encoding;
    this.processor = new LineProcessor({ ...format.lines, encoding: this.encoding });
  }

  /** The fingerprint grows with the file until it covers FINGERPRINT_BYTES; a file is never held back for being small. */
  refreshFingerprint(): Fingerprint {
    // `scannedTo` tells whether the file has grown past the fingerprint without a system call:
    // this runs for every open file at every checkpoint.
    if (this.handle && this.fingerprint.bytes < FINGERPRINT_BYTES && this.scannedTo > this.fingerprint.bytes) {
      this.fingerprint = fingerprintOf(this.pread(0, FINGERPRINT_BYTES));
    }
    return this.fingerprint;
  }

  /** Hands out the complete lines appended since the last read, as many as `room` allows. `now` is a monotonic clock in ms. */
  read(room: Room, sink: LineSink, now: number): ReadResult {
    if (!this.handle) return { lines: 0, more: false, truncated: false, size: this.offset };
    const size = this.size();
    const emit = this.emitTo(sink);
    let truncated = false;
    let lines = 0;
    if (size < this.offset) {
      // copytruncate or `> file`: the content we were reading is gone; what is there now is new.
      lines += this.processor.flush(emit, this.skip);
      this.skippingRest = false;
      this.sniff(this.pread(0, 4));
      this.seek(0);
      truncated = true;
    }
    lines += this.processor.flushDue(now, emit, this.skip);
    if (size <= this.scannedTo) return { lines, more: false, truncated, size };
    if (room.lines <= 0 || room.bytes <= 0) return { lines, more: true, truncated, size };
    if (this.skippingRest) return { lines, more: this.passOverRest(size), truncated, size };

    const { maxLineBytes } = this.format;
    let want = Math.min(size - this.offset, CHUNK_BYTES, Math.max(room.bytes, 1024));
    let buf = this.pread(this.offset, want);
    let spans = splitLines(buf, room.lines, this.encoding);
    // No line end in a whole read: one long line. Grow the read until it ends or passes the line limit.
    while (spans.length === 0 && buf.length === want && want < maxLineBytes + EOL_SLACK && this.offset + want < size) {
      want = Math.min(size - this.offset, want * 2, maxLineBytes + EOL_SLACK);
      buf = this.pread(this.offset, want);
      spans = splitLines(buf, room.lines, this.encoding);
    }

    const base = this.offset;
    let consumed = 0;
    if (spans.length === 0 && buf.length > maxLineBytes) {
      // A line longer than the limit and not finished yet: hand out its first part now.
      const cut = this.cut(buf, maxLineBytes);
      this.longLines++;
      this.processor.line(buf.subarray(0, cut), base, base + cut, now, emit, this.skip);
      lines++;
      consumed = cut;
      this.skippingRest = this.format.longLines === "truncate";
    }
    for (const s of spans) {
      if (room.lines <= 0 || room.bytes <= 0) break; // the sink's accounting says the queue is full
      if (s.end - s.start > maxLineBytes) lines += this.longLine(buf, s.start, s.end, base, base + s.next, now, emit);
      else {
        this.processor.line(buf.subarray(s.start, s.end), base + s.start, base + s.next, now, emit, this.skip);
        lines++;
      }
      consumed = s.next;
    }
    this.offset = base + consumed;
    const stoppedEarly = base + buf.length < size || findLF(buf, consumed, this.encoding) >= 0;
    // When only a partial line is left in what was read, do not read it again until the file grows.
    this.scannedTo = stoppedEarly || this.skippingRest ? this.offset : base + buf.length;
    return { lines, more: stoppedEarly || (this.skippingRest && this.offset < size), truncated, size };
  }

  /**
   * The file is finished (rotated away and quiet, or its entry stopped): the bytes after the last
   * line end are handed out as a last line, and an event being gathered is sent.
   */
  flushPartial(sink: LineSink, now: number): number {
    const emit = this.emitTo(sink);
    let lines = 0;
    const size = this.size();
    if (this.handle && size > this.offset) {
      const start = this.offset;
      const buf = this.pread(start, Math.min(size - start, this.format.maxLineBytes));
      this.offset += buf.length;
      this.scannedTo = this.offset;
      if (this.skippingRest) this.skip(start, this.offset);
      else {
        this.processor.line(trimCR(buf, this.encoding), start, this.offset, now, emit, this.skip);
        lines++;
      }
      this.skippingRest = false;
    }
    return lines + this.processor.flush(emit, this.skip);
  }

  /** Lets go of the handle (close_inactive); `reattach` takes the file back when it grows. */
  release(): void {
    this.handle?.close();
    this.handle = null;
  }

  /** Takes back a handle to this same file (the caller checked its identity and fingerprint). */
  reattach(handle: TailHandle): void {
    if (this.isFinished) throw new Error(`reattach: ${this.path} is finished`);
    this.handle?.close();
    this.handle = handle;
  }

  /** Closes the file for good. Lines already handed out are not affected. */
  close(): void {
    this.isFinished = true;
    this.release();
  }

  /** A line longer than max_line_bytes whose end is in `buf`: split into pieces, or its first piece only. */
  private longLine(buf: Buffer, start: number, end: number, base: number, next: number, now: number, emit: Emit): number {
    this.longLines++;
    let lines = 0;
    let at = start;
    while (at < end) {
      const piece = this.cut(buf.subarray(at, end), this.format.maxLineBytes);
      const last = at + piece >= end || this.format.longLines === "truncate";
      this.processor.line(buf.subarray(at, at + piece), base + at, last ? next : base + at + piece, now, emit, this.skip);
      lines++;
      if (last) break;
      at += piece;
    }
    return lines;
  }

  /** Where to cut a too-long line: at most `max` bytes, on a character boundary where the encoding allows. */
  private cut(buf: Uint8Array, max: number): number {
    if (buf.length <= max) return buf.length;
    return Math.max(cutPoint(buf, max, this.encoding), 1);
  }

  /** long_lines = truncate: passes over the rest of a cut line up to its end. Returns whether there is more to read. */
  private passOverRest(size: number): boolean {
    const start = this.offset;
    const buf = this.pread(start, Math.min(size - start, CHUNK_BYTES));
    const [span] = splitLines(buf, 1, this.encoding);
    const end = span ? start + span.next : start + (this.encoding.startsWith("utf-16") ? buf.length & ~1 : buf.length);
    if (span) this.skippingRest = false;
    this.skip(start, end);
    this.offset = this.scannedTo = end;
    return end < size;
  }

  private emitTo(sink: LineSink): Emit {
    // kafkajs takes a Buffer or a string; a re-encoded line is a plain Uint8Array, viewed as a Buffer without a copy.
    return (value, start, end) => sink(Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength), this, start, end);
  }

  /** Bytes that send nothing (a filtered line, the rest of a truncated line): settled at once, in order. */
  private readonly skip: Skip = (_start, end) => {
    this.tracker.settle(this.tracker.issue(end));
  };

  /** A byte-order mark at the start sets the encoding and is passed over. */
  private sniff(head: Uint8Array): void {
    const bom = sniffBom(head);
    this.bomBytes = bom?.bytes ?? 0;
    if (bom) this.encoding = bom.encoding;
    else this.encoding = this.format.lines.encoding;
    if (this.processor) this.processor = new LineProcessor({ ...this.format.lines, encoding: this.encoding });
  }

  private pread(position: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    if (!this.handle) return buf.subarray(0, 0);
    let got = 0;
    while (got < length) {
      const n = this.handle.read(buf, got, length - got, position + got);
      if (n === 0) break;
      got += n;
    }
    return got === length ? buf : buf.subarray(0, got);
  }
}
