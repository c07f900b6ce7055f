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
// Lines are handed out in blocks (pipeline/line-block.ts): positions in the
// buffer they were read into, one block per read. The common case (UTF-8, no
// multiline, no filter, a chunk that is valid UTF-8) makes no object per
// line: one `isUtf8` over the chunk, then `indexOf` and three array slots a
// line. Other lines go through the LineProcessor; what it hands back as a view
// of the chunk is still a position, anything it made (re-encoded, joined)
// goes into a block of its own bytes.
//
// The handle can be let go and taken back (close_inactive): the reader, with
// its offset and acknowledgements, outlives it.
import { isUtf8 } from "node:buffer";
import type { BigIntStats } from "node:fs";
import { FINGERPRINT_BYTES, fingerprintMatches, fingerprintOf, identityKey, type FileIdentity, type Fingerprint } from "./file-identity";
import { DeliveryTracker } from "../pipeline/delivery-tracker";
import { BufferPool, SharedBuffer } from "../pipeline/buffer-pool";
import { LINE_OVERHEAD_BYTES, LineBlock } from "../pipeline/line-block";
import type { Room } from "../pipeline/line-queue";
import { cutPoint, sniffBom, type Encoding } from "../lines/encoding";
import { LineProcessor, type Emit, type LineOptions, type Skip } from "../lines/line-processor";
import { findLF, splitLines, trimCR } from "./line-splitter";
import type { TailHandle } from "./open-file";

/** Bytes read in one step; a longer line grows the read up to `maxLineBytes`. */
const CHUNK_BYTES = 256 * 1024;
/** The most chunks one `read` takes from a file before the others have their turn. */
const CHUNKS_PER_READ = 4;
/** Read chunks are reused once every line in them is acknowledged; all readers share them. */
const chunks = new BufferPool(CHUNK_BYTES, 16);
/** Slack beyond max_line_bytes for the line's end: CR LF in UTF-16 is four bytes. */
const EOL_SLACK = 4;

/** Receives the blocks of lines read, in file order, each with its delivery ticket issued. */
export type LineSink = (block: LineBlock) => void;
/** A block's own bytes start this big and double (re-encoded or joined lines are copied in). */
const OWN_BYTES = 16 * 1024;
const LF = 0x0a;
const CR = 0x0d;

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
  /** Lines (or multiline events) include_lines/exclude_lines kept from Kafka so far, and their file bytes. */
  filteredLines = 0;
  filteredBytes = 0;
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
  /** The block being filled during a read, and where it goes when it is handed over. */
  private block: LineBlock | null = null;
  private sink: LineSink | null = null;
  private room: Room | null = null;
  /** The chunk being read: lines that are views of it are added to a block as positions. */
  private chunk: Buffer | null = null;
  /** The pooled buffer the chunk lies in, if it is one. */
  private shared: SharedBuffer | null = null;
  /** About how long the file's lines are (with their line end), to size blocks. */
  private lineBytes = 100;

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
    this.tracker = new DeliveryTracker(0, identityKey(identity));
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

  /** Sets where reading starts (before the first read, or after a truncation). A byte-order mark is never sent. */
  seek(offset: number): void {
    this.handOver(); // lines read before belong to the tracker being replaced
    this.offset = this.scannedTo = Math.max(offset, this.bomBytes);
    this.tracker = new DeliveryTracker(this.offset, this.tracker.fileKey);
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
    this.begin(sink, null, null);
    this.processor.flush(this.emit, this.filtered);
    this.end();
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

  /**
   * Hands out the complete lines appended since the last read, as many as `room` allows. `now` is a
   * monotonic clock in ms. `size`: the file's size, when the caller has just seen it (a stat of its
   * name that found this very file), which saves a system call on every look at a quiet file.
   */
  read(room: Room, sink: LineSink, now: number, size = this.size()): ReadResult {
    if (!this.handle) return { lines: 0, more: false, truncated: false, size: this.offset };
    // Nothing new, nothing gathered: the common case of a quiet file, without allocating.
    if (size >= this.offset && size <= this.scannedTo && !this.processor.pending) return { lines: 0, more: false, truncated: false, size };
    this.begin(sink, room, null);
    try {
      // Up to a few chunks in one go while the file has more: long lines fill a chunk with few of
      // them, and a file server pass per chunk would cap a file at a few hundred lines a pass.
      const result = this.readLines(room, now, size);
      for (let chunks = 1; chunks < CHUNKS_PER_READ && result.more && room.lines > 0 && room.bytes > 0 && !this.skippingRest; chunks++) {
        this.handOver();
        this.shared?.release();
        this.shared = null;
        const next = this.readLines(room, now, this.size());
        result.lines += next.lines;
        result.more = next.more;
        result.size = next.size;
        result.truncated ||= next.truncated;
      }
      return result;
    } finally {
      this.end();
    }
  }

  private readLines(room: Room, now: number, size: number): ReadResult {
    let truncated = false;
    let lines = 0;
    if (size < this.offset) {
      // copytruncate or `> file`: the content we were reading is gone; what is there now is new.
      lines += this.processor.flush(this.emit, this.filtered);
      this.skippingRest = false;
      this.sniff(this.pread(0, 4));
      this.seek(0);
      truncated = true;
    }
    lines += this.processor.flushDue(now, this.emit, this.filtered);
    if (size <= this.scannedTo) return { lines, more: false, truncated, size };
    if (room.lines <= 0 || room.bytes <= 0) return { lines, more: true, truncated, size };
    if (this.skippingRest) return { lines, more: this.passOverRest(size), truncated, size };

    const { maxLineBytes } = this.format;
    let want = Math.min(size - this.offset, CHUNK_BYTES, Math.max(room.bytes, 1024));
    this.shared = new SharedBuffer(chunks.take(), chunks);
    let buf = this.preadInto(this.shared.buf, this.offset, want);
    // No line end in a whole read: one long line. Grow the read until it ends or passes the line limit.
    while (findLF(buf, 0, this.encoding) < 0 && buf.length === want && want < maxLineBytes + EOL_SLACK && this.offset + want < size) {
      want = Math.min(size - this.offset, want * 2, maxLineBytes + EOL_SLACK);
      buf = this.pread(this.offset, want);
    }
    this.chunk = buf;

    const base = this.offset;
    let consumed = 0;
    if (findLF(buf, 0, this.encoding) < 0 && buf.length > maxLineBytes) {
      // A line longer than the limit and not finished yet: hand out its first part now.
      const cut = this.cut(buf, maxLineBytes);
      this.longLines++;
      this.processor.line(buf.subarray(0, cut), base, base + cut, now, this.emit, this.filtered);
      lines++;
      consumed = cut;
      this.skippingRest = this.format.longLines === "truncate";
    } else if (this.processor.plain && this.encoding === "utf-8" && isUtf8(buf.subarray(0, buf.lastIndexOf(LF) + 1))) {
      // The fast path: every complete line of the chunk is valid UTF-8 and goes out as read.
      for (let start = 0; room.lines > 0 && room.bytes > 0; ) {
        const lf = buf.indexOf(LF, start);
        if (lf < 0) break;
        const end = lf > start && buf[lf - 1] === CR ? lf - 1 : lf;
        if (end - start > maxLineBytes) lines += this.longLine(buf, start, end, base, base + lf + 1, now);
        else {
          this.add(start, end, base + start, base + lf + 1);
          lines++;
        }
        start = consumed = lf + 1;
      }
    } else {
      for (const s of splitLines(buf, room.lines, this.encoding)) {
        if (room.lines <= 0 || room.bytes <= 0) break; // the queue's bound is reached
        if (s.end - s.start > maxLineBytes) lines += this.longLine(buf, s.start, s.end, base, base + s.next, now);
        else {
          this.processor.line(buf.subarray(s.start, s.end), base + s.start, base + s.next, now, this.emit, this.filtered);
          lines++;
        }
        consumed = s.next;
      }
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
    this.begin(sink, null, null);
    try {
      return this.flushRest(now);
    } finally {
      this.end();
    }
  }

  private flushRest(now: number): number {
    let lines = 0;
    const size = this.size();
    if (this.handle && size > this.offset) {
      const start = this.offset;
      const buf = this.pread(start, Math.min(size - start, this.format.maxLineBytes));
      this.offset += buf.length;
      this.scannedTo = this.offset;
      if (this.skippingRest) this.skip(start, this.offset);
      else {
        this.processor.line(trimCR(buf, this.encoding), start, this.offset, now, this.emit, this.filtered);
        lines++;
      }
      this.skippingRest = false;
    }
    return lines + this.processor.flush(this.emit, this.filtered);
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
  private longLine(buf: Buffer, start: number, end: number, base: number, next: number, now: number): number {
    this.longLines++;
    let lines = 0;
    let at = start;
    while (at < end) {
      const piece = this.cut(buf.subarray(at, end), this.format.maxLineBytes);
      const last = at + piece >= end || this.format.longLines === "truncate";
      this.processor.line(buf.subarray(at, at + piece), base + at, last ? next : base + at + piece, now, this.emit, this.filtered);
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

  /** Starts a read or flush: lines go into blocks handed to `sink`; `room` (if any) is counted down per line. */
  private begin(sink: LineSink, room: Room | null, chunk: Buffer | null): void {
    this.sink = sink;
    this.room = room;
    this.chunk = chunk;
  }

  /** Ends a read or flush: the block being filled is handed over. */
  private end(): void {
    this.handOver();
    this.shared?.release(); // the reader's hold; blocks in it hold it on
    this.sink = this.room = this.chunk = this.shared = null;
  }

  /** What the LineProcessor hands back: a view of the chunk stays a position in it; anything else is copied into a block's own bytes. */
  private readonly emit: Emit = (value, start, end) => {
    const chunk = this.chunk;
    if (chunk !== null && value.buffer === chunk.buffer && value.byteOffset >= chunk.byteOffset && value.byteOffset + value.length <= chunk.byteOffset + chunk.length) {
      const at = value.byteOffset - chunk.byteOffset;
      this.add(at, at + value.length, start, end);
      return;
    }
    let block = this.block;
    if (block === null || block.bytes === chunk) {
      this.handOver();
      block = this.block = new LineBlock(Buffer.allocUnsafe(Math.max(OWN_BYTES, value.length)), this.path, this.tracker);
    }
    const used = block.count === 0 ? 0 : block.ends[block.count - 1]!;
    if (used + value.length > block.bytes.length) {
      const bigger = Buffer.allocUnsafe(Math.max(block.bytes.length * 2, used + value.length));
      block.bytes.copy(bigger, 0, 0, used);
      block.bytes = bigger;
    }
    block.bytes.set(value, used);
    this.count(block, used, used + value.length, start, end);
  };

  /** Adds the chunk's bytes [from, to) as a line covering file bytes [start, end). */
  private add(from: number, to: number, start: number, end: number): void {
    let block = this.block;
    if (block === null || block.bytes !== this.chunk) {
      this.handOver();
      // Sized for the chunk at the file's usual line length, so that the block's arrays rarely grow.
      const lines = Math.ceil((this.chunk!.length - from) / Math.max(16, this.lineBytes));
      block = this.block = new LineBlock(this.chunk!, this.path, this.tracker, Math.min(Math.max(lines, 16), this.room?.lines ?? lines, 1 << 16));
    }
    this.count(block, from, to, start, end);
  }

  private count(block: LineBlock, from: number, to: number, start: number, end: number): void {
    block.add(from, to, start);
    this.lineBytes += (end - start - this.lineBytes) / 64; // a running mean of the file's line length
    block.end = end;
    if (this.room !== null) {
      this.room.lines--;
      this.room.bytes -= to - from + LINE_OVERHEAD_BYTES;
    }
  }

  /** The block being filled goes to the sink, with its delivery ticket. */
  private handOver(): void {
    const block = this.block;
    this.block = null;
    if (block === null || block.count === 0) return;
    if (block.compact() && block.bytes === this.chunk && this.shared !== null && this.chunk.buffer === this.shared.buf.buffer) {
      block.shared = this.shared;
      this.shared.hold();
    }
    block.ticket = block.tracker.issue(block.end);
    this.sink!(block);
  }

  /** The LineProcessor's skip: a line filtered out, counted, then passed over like any bytes that send nothing. */
  private readonly filtered: Skip = (start, end) => {
    this.filteredLines++;
    this.filteredBytes += end - start;
    this.skip(start, end);
  };

  /** Bytes that send nothing (a filtered line, the rest of a truncated line): settled at once, in order. */
  private readonly skip: Skip = (_start, end) => {
    this.handOver(); // lines before it are issued first
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
    return this.preadInto(Buffer.allocUnsafe(length), position, length);
  }

  /** Reads `length` bytes at `position` into the start of `buf` (grown if too small); returns the bytes read. */
  private preadInto(buf: Buffer, position: number, length: number): Buffer {
    if (buf.length < length) buf = Buffer.allocUnsafe(length);
    if (!this.handle) return buf.subarray(0, 0);
    let got = 0;
    while (got < length) {
      const n = this.handle.read(buf, got, length - got, position + got);
      if (n === 0) break;
      got += n;
    }
    return got === buf.length ? buf : buf.subarray(0, got);
  }
}
