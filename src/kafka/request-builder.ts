// Turns one partition's waiting lines into produce requests: each line a
// record (its key, the `host`, `path` and `offset` headers, the line or its
// JSON envelope as the value), as many as the batch limits take, counted by
// their encoded size, in one frame ready for the socket. Lines come as ranges
// of blocks (pipeline/line-block.ts) and their bytes are copied straight from
// the buffer they were read into. Building is kept apart from sending
// (partition-lane.ts): a frame is built once and sent as often as it takes.
//
// A line longer than max_message_bytes becomes several records (`split`, each
// with a `part` header "i/n") or one cut record (`truncate`); its pieces may
// span batches, so a line counts as acknowledged only when its last piece is.
// A batch remembers its lines as ranges, and which piece of a line a record is
// (`Range.cut`), so that it can be built again in smaller parts when the
// broker finds it too large (`rebuild`, `halve`).
import type { Compression, Output } from "../discovery/entry-output";
import { BufferPool } from "../pipeline/buffer-pool";
import type { LineBlock } from "../pipeline/line-block";
import { compress } from "./codecs";
import { finishFrame, framePrefix, type ProduceTarget } from "./produce-request";
import { BATCH_HEADER_BYTES, BatchBuilder, type BatchIdentity, encodeHeaders, sealCompressed, varintBytes } from "./record-batch";
import { envelope, keyFor } from "./record-fields";

/** A record that is a piece of its line: bytes [from, to) of the line, and its `part` header (null when truncated). */
export interface Cut {
  from: number;
  to: number;
  part: string | null;
}

/** Lines [from, to) of a block; a piece of one line (`to = from + 1`) has its `cut`. */
export interface Range {
  block: LineBlock;
  from: number;
  to: number;
  cut: Cut | null;
}

/** A sealed batch in its request frame, and the lines it carries. */
export interface LineBatch {
  /** The whole request: size, header, body with the batch. */
  frame: Buffer;
  /** Where the record batch lies in `frame`. */
  batchAt: number;
  batchEnd: number;
  /** Records in the batch. */
  count: number;
  /** Its records, in order, as ranges of lines. */
  ranges: Range[];
  /** The pooled buffer `frame` lies in, given back once the request is answered; null when the frame is its own. */
  pooled: Buffer | null;
}

/** One partition's lines waiting for a batch, oldest first, and how far into a split line the next record starts. */
export class PendingLines {
  private ranges: Range[] = [];
  private head = 0;
  /** Lines waiting. */
  length = 0;
  /** The first line is being split: where its next piece starts, which piece it is, of how many, of what size. */
  cut: { at: number; piece: number; pieces: number; size: number } | null = null;

  push(block: LineBlock, from: number, to: number): void {
    this.ranges.push({ block, from, to, cut: null });
    this.length += to - from;
  }

  /** The range holding the first waiting line (its `from`). */
  first(): Range | undefined {
    return this.ranges[this.head];
  }

  /** The first line is done with (taken whole, or its last piece taken). */
  next(): void {
    const r = this.ranges[this.head]!;
    this.cut = null;
    this.length--;
    if (++r.from < r.to) return;
    this.ranges[this.head++] = undefined as unknown as Range; // let the block go
    if (this.head > 1024 && this.head * 2 > this.ranges.length) {
      this.ranges = this.ranges.slice(this.head);
      this.head = 0;
    }
  }

  /** Takes every waiting range out (given up at shutdown). */
  takeAll(): Range[] {
    const all = this.ranges.slice(this.head);
    this.ranges = [];
    this.head = 0;
    this.length = 0;
    this.cut = null;
    return all;
  }
}

export interface BatchLimits {
  maxRecords: number;
  /** The batch's encoded size, header included (before compression). */
  maxBytes: number;
  /** The longest record value (max_message_bytes, or less once the broker refused one that size). */
  maxValueBytes: number;
}

export interface BuilderSettings {
  clientId: string;
  /** batch_max_bytes: frames up to this size (and their request header) are built in reused buffers. */
  batchMaxBytes: number;
  /** The `host` header. */
  hostname: string;
  oversize: "split" | "truncate";
}

/** A line over the value limit, as it is about to be sent in `pieces` records (1 when truncated). */
export type OversizeListener = (block: LineBlock, line: number, pieces: number, limit: number) => void;

const NULL_KEY = Uint8Array.of(1);
const MAX_CACHED_PATHS = 10_000; // bounded like any per-path cache: cleared rather than grown
/** The JSON envelope adds its own bytes around a line: a split leaves room for them. */
const ENVELOPE_ROOM = 4096;

/** Pre-encoded key and headers of one file's records: all but the offset's digits are the same for every line. */
interface FileParts {
  /** The file's path as a key. */
  pathKey: Uint8Array;
  /** Header count 3 (host, path, offset) through the `offset` key. */
  headers: Uint8Array;
  /** The same with count 4: a `part` header follows the offset. */
  headersWithPart: Uint8Array;
}

/** Room for the request around a batch: header, client id, topic name. */
const FRAME_SLACK = 64 * 1024;
/** Frames kept for reuse: enough for several partitions' windows. */
const FRAMES_KEPT = 8;

export class RequestBuilder {
  private readonly batch = new BatchBuilder(0);
  private readonly frames: BufferPool;
  private readonly files = new Map<string, FileParts>();
  private readonly hostKey: Uint8Array;
  /** Pieces not yet acknowledged of lines split over several records, by block and line. */
  private readonly piecesLeft = new Map<LineBlock, Map<number, number>>();
  /** The last block's parts, looked up once per block rather than per line. */
  private lastBlock: LineBlock | null = null;
  private lastParts!: FileParts;
  /** The last block's key when it is the same for all its lines; null when it is per line (key = pattern). */
  private lastKey: Uint8Array | null = null;

  constructor(
    private readonly settings: BuilderSettings,
    private readonly onOversize: OversizeListener,
  ) {
    this.hostKey = varintBytes(settings.hostname);
    this.frames = new BufferPool(settings.batchMaxBytes + FRAME_SLACK, FRAMES_KEPT);
  }

  /** `batch` was answered: its frame's buffer may be built into again. */
  recycle(batch: LineBatch): void {
    if (batch.pooled !== null) this.frames.give(batch.pooled);
    batch.pooled = null;
  }

  /** The bytes before a batch, for one partition (see produce-request.ts). */
  prefix(target: ProduceTarget): Buffer {
    return framePrefix(this.settings.clientId, target);
  }

  /** Builds the next frame from `pending` (at least one record), up to `limits`. `identity` says who the batch is from. */
  build(prefix: Buffer, compression: Compression, pending: PendingLines, limits: BatchLimits, identity: BatchIdentity): Promise<LineBatch> {
    // The broker refuses an empty batch (INVALID_RECORD); asking for one is a bug of the caller's.
    if (pending.length === 0) throw new Error("build: no lines are waiting");
    this.begin(prefix);
    const ranges: Range[] = [];
    let records = 0;
    for (let r = pending.first(); r !== undefined && records < limits.maxRecords; r = pending.first()) {
      const block = r.block;
      const i = r.from;
      const len = block.ends[i]! - block.starts[i]!;
      const limit = block.output.format === "json" ? Math.max(1024, limits.maxValueBytes - ENVELOPE_ROOM) : limits.maxValueBytes;
      if (pending.cut === null && len <= limit) {
        if (!this.append(block, i, null, limits.maxBytes)) break;
        addRecord(ranges, block, i, null);
        pending.next();
        records++;
        continue;
      }
      // A line over the limit: its pieces, one record each, from where the last batch stopped.
      if (pending.cut === null) {
        const pieces = this.settings.oversize === "truncate" ? 1 : Math.ceil(len / limit);
        this.onOversize(block, i, pieces, limit);
        if (pieces > 1) this.addPieces(block, i, pieces - 1);
        pending.cut = { at: 0, piece: 0, pieces, size: limit };
      }
      const c = pending.cut;
      const cut: Cut = { from: c.at, to: Math.min(len, c.at + c.size), part: c.pieces > 1 ? `${c.piece + 1}/${c.pieces}` : null };
      if (!this.append(block, i, cut, limits.maxBytes)) break;
      addRecord(ranges, block, i, cut);
      records++;
      c.at = cut.to;
      if (++c.piece === c.pieces) pending.next();
    }
    return this.seal(prefix.length, compression, ranges, records, identity);
  }

  /** The batch made of records [from, to) of `batch`, exactly as they were (a too-large batch, halved). */
  rebuild(prefix: Buffer, compression: Compression, batch: LineBatch, from: number, to: number, identity: BatchIdentity): Promise<LineBatch> {
    this.begin(prefix);
    const ranges: Range[] = [];
    let k = 0;
    for (const r of batch.ranges) {
      for (let i = r.from; i < r.to; i++, k++) {
        if (k < from || k >= to) continue;
        this.append(r.block, i, r.cut, Infinity);
        addRecord(ranges, r.block, i, r.cut);
      }
    }
    return this.seal(prefix.length, compression, ranges, to - from, identity);
  }

  /**
   * The one record of `batch`, too large for the broker even alone, made smaller: cut in two records
   * (split: a piece `i/n` becomes `i.1/n` and `i.2/n`, a whole line `1/2` and `2/2`), or to its first
   * half (truncate). Returns the new batches, one record each, and the size tried.
   */
  async halve(prefix: Buffer, compression: Compression, batch: LineBatch, identity: BatchIdentity): Promise<{ batches: LineBatch[]; bytes: number }> {
    const { block, from: i, cut: was } = batch.ranges[0]!;
    const cut = was ?? { from: 0, to: block.length(i), part: null };
    const half = Math.max(1, Math.floor((cut.to - cut.from) / 2));
    const mid = cut.from + half;
    const halves: Cut[] =
      this.settings.oversize === "truncate"
        ? [{ from: cut.from, to: mid, part: cut.part }]
        : cut.part === null
          ? [{ from: cut.from, to: mid, part: "1/2" }, { from: mid, to: cut.to, part: "2/2" }]
          : [1, 2].map((k) => ({ from: k === 1 ? cut.from : mid, to: k === 1 ? mid : cut.to, part: cut.part!.replace("/", `.${k}/`) }));
    if (halves.length === 2) this.addPieces(block, i, 1);
    const batches: LineBatch[] = [];
    for (const h of halves) {
      this.begin(prefix);
      this.append(block, i, h, Infinity);
      batches.push(await this.seal(prefix.length, compression, [{ block, from: i, to: i + 1, cut: h }], 1, identity));
    }
    return { batches, bytes: half };
  }

  /**
   * A batch was acknowledged: counts its lines down on their blocks (a split line once its last piece
   * is in) and returns the blocks it completed.
   */
  acknowledged(batch: LineBatch): LineBlock[] {
    const done: LineBlock[] = [];
    for (const r of batch.ranges) {
      const block = r.block;
      if (r.cut === null) block.unacked -= r.to - r.from;
      else {
        const lines = this.piecesLeft.get(block);
        const left = lines?.get(r.from);
        if (left === undefined || left <= 1) {
          lines?.delete(r.from);
          if (lines?.size === 0) this.piecesLeft.delete(block);
          block.unacked--;
        } else lines!.set(r.from, left - 1);
      }
      if (block.unacked === 0) done.push(block);
    }
    return done;
  }

  /** Blocks of batches and ranges given up (shutdown), each once; their pieces are forgotten. */
  givenUp(ranges: Range[]): LineBlock[] {
    const blocks = new Set<LineBlock>();
    for (const r of ranges) blocks.add(r.block);
    for (const b of blocks) this.piecesLeft.delete(b);
    return [...blocks];
  }

  /** Line `i` of `block` goes out in `extra` records more than it did (it counts as acknowledged when all are). */
  private addPieces(block: LineBlock, i: number, extra: number): void {
    let lines = this.piecesLeft.get(block);
    if (!lines) this.piecesLeft.set(block, (lines = new Map()));
    lines.set(i, (lines.get(i) ?? 1) + extra);
  }

  /** Starts a batch in a buffer from the pool (it becomes the frame, or is given back if the batch is compressed). */
  private begin(prefix: Buffer): void {
    this.batch.begin(prefix.length, Date.now(), this.frames.take());
    prefix.copy(this.batch.buf, 0);
  }

  /** Appends line `i` of `block` (or the piece `cut` of it) unless the batch would pass `maxBytes`. */
  private append(block: LineBlock, i: number, cut: Cut | null, maxBytes: number): boolean {
    if (block !== this.lastBlock) this.use(block);
    const parts = this.lastParts;
    const o = block.output;
    const key = this.lastKey ?? this.patternKey(o, block, i);
    let src = block.bytes;
    let from = block.starts[i]!;
    let to = block.ends[i]!;
    if (cut !== null) {
      to = from + cut.to;
      from += cut.from;
    }
    if (o.format === "json") {
      src = Buffer.from(envelope(o, block.bytes.subarray(from, to), { host: this.settings.hostname, path: block.path, offset: block.offsets[i]!, time: block.time }));
      from = 0;
      to = src.length;
    }
    if (cut === null || cut.part === null) return this.batch.appendLine(key, src, from, to, parts.headers, block.offsets[i]!, null, maxBytes);
    return this.batch.appendLine(key, src, from, to, parts.headersWithPart, block.offsets[i]!, encodeHeaders([["part", cut.part]]).subarray(1), maxBytes);
  }

  /** Looks up what every line of `block` shares: the file's headers, and the key unless it is per line. */
  private use(block: LineBlock): void {
    let parts = this.files.get(block.path);
    if (!parts) {
      if (this.files.size >= MAX_CACHED_PATHS) this.files.clear();
      const headers = encodeHeaders([["host", this.settings.hostname], ["path", block.path], ["offset", null]]).subarray(0, -1); // through the offset key
      const headersWithPart = Buffer.from(headers);
      headersWithPart[0] = 8; // zigzag(4)
      parts = { pathKey: varintBytes(block.path), headers, headersWithPart };
      this.files.set(block.path, parts);
    }
    const o = block.output;
    this.lastBlock = block;
    this.lastParts = parts;
    this.lastKey = o.partitioner !== "key" ? NULL_KEY : o.key === "path" ? parts.pathKey : o.key === "host" ? this.hostKey : null;
  }

  private patternKey(output: Output, block: LineBlock, i: number): Uint8Array {
    const key = keyFor(output, block.value(i), block.path, this.settings.hostname);
    return key === null ? NULL_KEY : varintBytes(key);
  }

  private async seal(at: number, compression: Compression, ranges: Range[], count: number, identity: BatchIdentity): Promise<LineBatch> {
    const b = this.batch;
    if (compression === "none") {
      const end = b.seal(identity);
      finishFrame(b.buf, at, end);
      // The batch was built in its own pooled buffer (`begin`): it is the frame, no copy.
      return { frame: b.buf.subarray(0, end), batchAt: at, batchEnd: end, count, ranges, pooled: b.buf };
    }
    const { stamp } = b;
    const head = Buffer.from(b.buf.subarray(0, at));
    // Copied before compressing: gzip and zstd read it off the main thread while the next batch is built.
    const records = Buffer.from(b.recordBytes());
    this.frames.give(b.buf);
    const compressed = await compress(compression, records);
    const frame = Buffer.allocUnsafe(at + BATCH_HEADER_BYTES + compressed.length);
    head.copy(frame, 0);
    const end = sealCompressed(frame, at, compression, compressed, count, stamp, identity);
    finishFrame(frame, at, end);
    return { frame, batchAt: at, batchEnd: end, count, ranges, pooled: null };
  }
}

/** Adds record `i` of `block` to `ranges`, extending the last range when it is the line before. */
function addRecord(ranges: Range[], block: LineBlock, i: number, cut: Cut | null): void {
  const last = ranges[ranges.length - 1];
  if (cut === null && last !== undefined && last.block === block && last.to === i && last.cut === null) last.to++;
  else ranges.push({ block, from: i, to: i + 1, cut });
}
