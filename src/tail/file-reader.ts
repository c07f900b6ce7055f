// One open file and how far into it lines have been taken.
//
// The read loop keeps no partial-line buffer: `offset` is always the start of
// the first line not yet handed out, and each read starts there with a
// positioned read. A partial last line is simply read again once the file has
// grown. Offsets therefore always fall on line boundaries, which is what a
// saved position must be.
import { closeSync, fstatSync, readSync } from "node:fs";
import { FINGERPRINT_BYTES, fingerprintMatches, fingerprintOf, type FileIdentity, type Fingerprint } from "./file-identity";
import { DeliveryTracker } from "../pipeline/delivery-tracker";
import { splitLines, trimCR } from "./line-splitter";

/** Bytes read in one step; a longer line grows the read up to `MAX_LINE_BYTES`. */
const CHUNK_BYTES = 256 * 1024;
/**
 * A line longer than this is cut into pieces of this size, so that memory stays bounded and each
 * piece, with its record overhead, fits Kafka's default message size limit (1,048,588 bytes).
 */
export const MAX_LINE_BYTES = 1_000_000;

/** How much the queue can still take. The sink decrements it for each line it takes. */
export interface Room {
  lines: number;
  bytes: number;
}

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

export class FileReader {
  /**
   * Which lines Kafka has acknowledged. Replaced on truncation: a line read before it holds the old
   * tracker, so its late acknowledgement cannot move the position over content that replaced it.
   */
  tracker: DeliveryTracker;
  fingerprint: Fingerprint;
  /** Bytes up to here have been looked at and hold no complete line after `offset`. */
  private scannedTo: number;
  private isClosed = false;

  constructor(
    private readonly fd: number,
    readonly identity: FileIdentity,
    /** The path of the collect entry this file was found under; after a rotation its own name may differ. */
    readonly path: string,
    public offset: number,
  ) {
    this.tracker = new DeliveryTracker(offset);
    this.scannedTo = offset;
    this.fingerprint = fingerprintOf(this.pread(0, FINGERPRINT_BYTES));
  }

  /** Whether the file still begins with the bytes `saved` was taken from (so it is the same file, not a reused inode). */
  startsWith(saved: Fingerprint): boolean {
    return fingerprintMatches(saved, this.pread(0, saved.bytes));
  }

  /** Every line before this offset is acknowledged by Kafka: the position to save. */
  get acked(): number {
    return this.tracker.acked;
  }

  /** Sets where reading starts; only before the first read. */
  seek(offset: number): void {
    this.offset = this.scannedTo = offset;
    this.tracker = new DeliveryTracker(offset);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  size(): number {
    return fstatSync(this.fd).size;
  }

  /** The fingerprint grows with the file until it covers FINGERPRINT_BYTES; a file is never held back for being small. */
  refreshFingerprint(): Fingerprint {
    // `scannedTo` tells whether the file has grown past the fingerprint without a system call:
    // this runs for every open file at every checkpoint.
    if (!this.isClosed && this.fingerprint.bytes < FINGERPRINT_BYTES && this.scannedTo > this.fingerprint.bytes) {
      this.fingerprint = fingerprintOf(this.pread(0, FINGERPRINT_BYTES));
    }
    return this.fingerprint;
  }

  /** Hands out the complete lines appended since the last read, as many as `room` allows. */
  read(room: Room, sink: LineSink): ReadResult {
    if (this.isClosed) return { lines: 0, more: false, truncated: false, size: this.offset };
    const size = this.size();
    let truncated = false;
    if (size < this.offset) {
      // copytruncate or `> file`: the content we were reading is gone; what is there now is new.
      this.offset = this.scannedTo = 0;
      this.tracker = new DeliveryTracker(0);
      truncated = true;
    }
    if (size <= this.scannedTo) return { lines: 0, more: false, truncated, size };
    if (room.lines <= 0 || room.bytes <= 0) return { lines: 0, more: true, truncated, size };

    let want = Math.min(size - this.offset, CHUNK_BYTES, Math.max(room.bytes, 1024));
    let buf = this.pread(this.offset, want);
    let spans = splitLines(buf, room.lines);
    // No newline in a whole read: one long line. Grow the read until it ends or reaches the line limit.
    while (spans.length === 0 && buf.length === want && want < MAX_LINE_BYTES && this.offset + want < size) {
      want = Math.min(size - this.offset, want * 2, MAX_LINE_BYTES);
      buf = this.pread(this.offset, want);
      spans = splitLines(buf, room.lines);
    }
    if (spans.length === 0 && buf.length >= MAX_LINE_BYTES) {
      spans = [{ start: 0, end: MAX_LINE_BYTES, next: MAX_LINE_BYTES }];
    }

    const base = this.offset;
    let consumed = 0;
    let lines = 0;
    for (const s of spans) {
      if (room.lines <= 0 || room.bytes <= 0) break; // the sink's accounting says the queue is full
      sink(buf.subarray(s.start, s.end), this, base + s.start, base + s.next);
      consumed = s.next;
      lines++;
    }
    this.offset = base + consumed;
    const stoppedEarly = buf.indexOf(0x0a, consumed) >= 0 || base + buf.length < size;
    // When only a partial line is left in what was read, do not read it again until the file grows.
    this.scannedTo = stoppedEarly ? this.offset : base + buf.length;
    return { lines, more: stoppedEarly, truncated, size };
  }

  /** Hands out the bytes after the last newline as a final line: the file is finished and will not complete it. */
  flushPartial(sink: LineSink): number {
    const size = this.size();
    if (this.isClosed || size <= this.offset) return 0;
    const start = this.offset;
    const buf = this.pread(start, Math.min(size - start, MAX_LINE_BYTES));
    this.offset += buf.length;
    this.scannedTo = this.offset;
    sink(trimCR(buf), this, start, this.offset);
    return 1;
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    closeSync(this.fd);
  }

  private pread(position: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = readSync(this.fd, buf, got, length - got, position + got);
      if (n === 0) break;
      got += n;
    }
    return got === length ? buf : buf.subarray(0, got);
  }
}
