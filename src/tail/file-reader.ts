// One open file and how far into it lines have been taken.
//
// The read loop keeps no partial-line buffer: `offset` is always the start of
// the first line not yet handed out, and each read starts there with a
// positioned read. A partial last line is simply read again once the file has
// grown. Offsets therefore always fall on line boundaries, which is what a
// saved position must be.
import { closeSync, fstatSync, readSync } from "node:fs";
import type { FileIdentity } from "./file-identity";
import { splitLines, trimCR } from "./line-splitter";

/** Bytes read in one step; a longer line grows the read up to `MAX_LINE_BYTES`. */
const CHUNK_BYTES = 256 * 1024;
/** A line longer than this is cut into pieces of this size, so that memory stays bounded. */
export const MAX_LINE_BYTES = 1024 * 1024;

/** Receives each line with the offset just after it (where reading resumes once it is delivered). */
export type LineSink = (line: Uint8Array, source: FileReader, endOffset: number) => void;

export interface ReadResult {
  lines: number;
  /** The file holds more complete lines than were taken (the `room` ran out or the chunk ended). */
  more: boolean;
  /** The file shrank below the offset and reading restarted at 0. */
  truncated: boolean;
  /** The file's size when it was read. */
  size: number;
}

export class FileReader {
  /** Highest end offset Kafka has acknowledged; maintained by the delivery path. */
  acked: number;
  /** Bytes up to here have been looked at and hold no complete line after `offset`. */
  private scannedTo: number;
  private closed = false;

  constructor(
    private readonly fd: number,
    readonly identity: FileIdentity,
    /** The path this file had when it was opened; after a rotation it may have another name. */
    readonly openedAs: string,
    public offset: number,
  ) {
    this.acked = offset;
    this.scannedTo = offset;
  }

  size(): number {
    return fstatSync(this.fd).size;
  }

  /** Hands out up to `room` complete lines appended since the last read. */
  read(room: number, sink: LineSink): ReadResult {
    if (this.closed) return { lines: 0, more: false, truncated: false, size: this.offset };
    const size = this.size();
    if (room <= 0) return { lines: 0, more: size > this.scannedTo, truncated: false, size };
    let truncated = false;
    if (size < this.offset) {
      // copytruncate or `> file`: the content we were reading is gone; what is there now is new.
      this.offset = this.acked = this.scannedTo = 0;
      truncated = true;
    }
    if (size <= this.scannedTo) return { lines: 0, more: false, truncated, size };

    let want = Math.min(size - this.offset, CHUNK_BYTES);
    let buf = this.pread(this.offset, want);
    let spans = splitLines(buf, room);
    // No newline in a whole chunk: one long line. Grow the read until it ends or reaches the line limit.
    while (spans.length === 0 && buf.length === want && want < MAX_LINE_BYTES && this.offset + want < size) {
      want = Math.min(size - this.offset, want * 2, MAX_LINE_BYTES);
      buf = this.pread(this.offset, want);
      spans = splitLines(buf, room);
    }
    if (spans.length === 0 && buf.length >= MAX_LINE_BYTES) {
      spans = [{ start: 0, end: MAX_LINE_BYTES, next: MAX_LINE_BYTES }];
    }

    const base = this.offset;
    for (const s of spans) sink(buf.subarray(s.start, s.end), this, base + s.next);
    const consumed = spans.length ? spans[spans.length - 1]!.next : 0;
    this.offset = base + consumed;
    const limitedByRoom = spans.length === room && buf.indexOf(0x0a, consumed) >= 0;
    // Only a trailing partial line is left in what was read: remember not to read it again until the file grows.
    this.scannedTo = limitedByRoom ? this.offset : base + buf.length;
    return { lines: spans.length, more: limitedByRoom || this.scannedTo < size, truncated, size };
  }

  /** Hands out the bytes after the last newline as a final line: the file is finished and will not complete it. */
  flushPartial(sink: LineSink): number {
    const size = this.size();
    if (this.closed || size <= this.offset) return 0;
    const buf = this.pread(this.offset, Math.min(size - this.offset, MAX_LINE_BYTES));
    this.offset += buf.length;
    this.scannedTo = this.offset;
    sink(trimCR(buf), this, this.offset);
    return 1;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
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
