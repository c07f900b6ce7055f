// Turns one partition's waiting lines into produce requests: each line a
// record (its key, the `host`, `path` and `offset` headers, the line or its
// JSON envelope as the value), as many as the batch limits take, counted by
// their encoded size, in one frame ready for the socket. Building is kept
// apart from sending (partition-lane.ts): a frame is built once and sent as
// often as it takes.
//
// A line longer than max_message_bytes becomes several records (`split`, each
// with a `part` header "i/n") or one cut record (`truncate`); its pieces may
// span batches, so a line is settled only when its last piece is acknowledged.
// A batch remembers which piece of which line each record is (`cuts`), so that
// it can be built again in smaller parts when the broker finds it too large
// (`rebuild`, `halve`).
import type { Compression, Output } from "../discovery/entry-output";
import type { LineRecord } from "../pipeline/line-queue";
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

/** A sealed batch in its request frame, and the lines it carries. */
export interface LineBatch {
  /** The whole request: size, header, body with the batch. */
  frame: Buffer;
  /** Where the record batch lies in `frame`. */
  batchAt: number;
  batchEnd: number;
  /** One line per record, in order (a split line once per piece in this batch). */
  lines: LineRecord[];
  /** For records that are pieces of their line, by index in `lines`; null when every record is a whole line. */
  cuts: Map<number, Cut> | null;
}

/** One partition's lines waiting for a batch, oldest first, and how far into a split line the next record starts. */
export class PendingLines {
  private items: LineRecord[] = [];
  private head = 0;
  /** The first line is being split: where its next piece starts, which piece it is, of how many, of what size. */
  cut: { at: number; piece: number; pieces: number; size: number } | null = null;

  get length(): number {
    return this.items.length - this.head;
  }

  push(r: LineRecord): void {
    this.items.push(r);
  }

  peek(): LineRecord | undefined {
    return this.items[this.head];
  }

  shift(): void {
    this.items[this.head++] = undefined as unknown as LineRecord; // let the line's bytes go
    this.cut = null;
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** Takes every waiting line out (they are given up at shutdown). */
  takeAll(): LineRecord[] {
    const all = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
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
  /** The `host` header. */
  hostname: string;
  oversize: "split" | "truncate";
}

/** A line over the value limit, as it is about to be sent in `pieces` records (1 when truncated). */
export type OversizeListener = (line: LineRecord, pieces: number, limit: number) => void;

const NULL_KEY = Uint8Array.of(1);
const MAX_CACHED_PATHS = 10_000; // bounded like any per-path cache: cleared rather than grown
/** The JSON envelope adds its own bytes around a line: a split leaves room for them. */
const ENVELOPE_ROOM = 4096;

/** Pre-encoded key and headers of one file's records: all but the offset's digits are the same for every line. */
interface FileParts {
  key: Uint8Array;
  /** Header count 3 (host, path, offset) through the `offset` key. */
  headers: Uint8Array;
  /** The same with count 4: a `part` header follows the offset. */
  headersWithPart: Uint8Array;
}

export class RequestBuilder {
  private readonly batch = new BatchBuilder();
  private readonly files = new Map<string, FileParts>();
  private readonly hostKey: Uint8Array;
  /** Lines split over several records: pieces not yet acknowledged (see `acknowledged`). */
  private readonly piecesLeft = new Map<LineRecord, number>();

  constructor(
    private readonly settings: BuilderSettings,
    private readonly onOversize: OversizeListener,
  ) {
    this.hostKey = varintBytes(settings.hostname);
  }

  /** The bytes before a batch, for one partition (see produce-request.ts). */
  prefix(target: ProduceTarget): Buffer {
    return framePrefix(this.settings.clientId, target);
  }

  /** Builds the next frame from `pending` (at least one record), up to `limits`. `identity` says who the batch is from. */
  build(prefix: Buffer, compression: Compression, pending: PendingLines, limits: BatchLimits, identity: BatchIdentity): Promise<LineBatch> {
    const b = this.begin(prefix);
    const lines: LineRecord[] = [];
    let cuts: Map<number, Cut> | null = null;
    for (let r = pending.peek(); r !== undefined && b.count < limits.maxRecords; r = pending.peek()) {
      const limit = r.output.format === "json" ? Math.max(1024, limits.maxValueBytes - ENVELOPE_ROOM) : limits.maxValueBytes;
      if (pending.cut === null && r.value.length <= limit) {
        if (!this.append(r, r.value, null, limits.maxBytes)) break;
        lines.push(r);
        pending.shift();
        continue;
      }
      // A line over the limit: its pieces, one record each, from where the last batch stopped.
      if (pending.cut === null) {
        const pieces = this.settings.oversize === "truncate" ? 1 : Math.ceil(r.value.length / limit);
        this.onOversize(r, pieces, limit);
        if (pieces > 1) this.piecesLeft.set(r, (this.piecesLeft.get(r) ?? 0) + pieces);
        pending.cut = { at: 0, piece: 0, pieces, size: limit };
      }
      const c = pending.cut;
      const cut: Cut = { from: c.at, to: Math.min(r.value.length, c.at + c.size), part: c.pieces > 1 ? `${c.piece + 1}/${c.pieces}` : null };
      if (!this.append(r, r.value.subarray(cut.from, cut.to), cut.part, limits.maxBytes)) break;
      (cuts ??= new Map()).set(lines.length, cut);
      lines.push(r);
      c.at = cut.to;
      if (++c.piece === c.pieces) pending.shift();
    }
    return this.seal(prefix.length, compression, lines, cuts, identity);
  }

  /** The batch made of records [from, to) of `batch`, exactly as they were (a too-large batch, halved). */
  rebuild(prefix: Buffer, compression: Compression, batch: LineBatch, from: number, to: number, identity: BatchIdentity): Promise<LineBatch> {
    this.begin(prefix);
    const lines: LineRecord[] = [];
    let cuts: Map<number, Cut> | null = null;
    for (let i = from; i < to; i++) {
      const r = batch.lines[i]!;
      const cut = batch.cuts?.get(i);
      this.append(r, cut ? r.value.subarray(cut.from, cut.to) : r.value, cut?.part ?? null, Infinity);
      if (cut) (cuts ??= new Map()).set(lines.length, cut);
      lines.push(r);
    }
    return this.seal(prefix.length, compression, lines, cuts, identity);
  }

  /**
   * The one record of `batch`, too large for the broker even alone, made smaller: cut in two records
   * (split: a piece `i/n` becomes `i.1/n` and `i.2/n`, a whole line `1/2` and `2/2`), or to its first
   * half (truncate). Returns the new batches, one record each, and the size tried.
   */
  async halve(prefix: Buffer, compression: Compression, batch: LineBatch, identity: BatchIdentity): Promise<{ batches: LineBatch[]; bytes: number }> {
    const r = batch.lines[0]!;
    const cut = batch.cuts?.get(0) ?? { from: 0, to: r.value.length, part: null };
    const half = Math.max(1, Math.floor((cut.to - cut.from) / 2));
    const mid = cut.from + half;
    const halves: Cut[] =
      this.settings.oversize === "truncate"
        ? [{ from: cut.from, to: mid, part: cut.part }]
        : cut.part === null
          ? [{ from: cut.from, to: mid, part: "1/2" }, { from: mid, to: cut.to, part: "2/2" }]
          : [1, 2].map((k) => ({ from: k === 1 ? cut.from : mid, to: k === 1 ? mid : cut.to, part: cut.part!.replace("/", `.${k}/`) }));
    if (halves.length === 2) this.piecesLeft.set(r, (this.piecesLeft.get(r) ?? 1) + 1);
    const batches: LineBatch[] = [];
    for (const h of halves) {
      this.begin(prefix);
      this.append(r, r.value.subarray(h.from, h.to), h.part, Infinity);
      batches.push(await this.seal(prefix.length, compression, [r], new Map([[0, h]]), identity));
    }
    return { batches, bytes: half };
  }

  /**
   * A batch was acknowledged: the lines it completes, in order (a split line once its last piece is
   * in). Each line is returned once over all its batches.
   */
  acknowledged(batch: LineBatch): LineRecord[] {
    if (batch.cuts === null || this.piecesLeft.size === 0) return batch.lines;
    const done: LineRecord[] = [];
    for (const r of batch.lines) {
      const left = this.piecesLeft.get(r);
      if (left === undefined) done.push(r);
      else if (left > 1) this.piecesLeft.set(r, left - 1);
      else {
        this.piecesLeft.delete(r);
        done.push(r);
      }
    }
    return done;
  }

  /** Lines of batches given up (shutdown): forgets their pieces, returns each line once. */
  givenUp(batches: LineBatch[]): LineRecord[] {
    const seen = new Set<LineRecord>();
    for (const b of batches) for (const r of b.lines) seen.add(r);
    for (const r of seen) this.piecesLeft.delete(r);
    return [...seen];
  }

  private begin(prefix: Buffer): BatchBuilder {
    const b = this.batch;
    b.begin(prefix.length, Date.now());
    prefix.copy(b.buf, 0);
    return b;
  }

  /** Appends line `r`'s record with `value` (the line, a piece of it, or its envelope's source) unless over `maxBytes`. */
  private append(r: LineRecord, value: Uint8Array, part: string | null, maxBytes: number): boolean {
    const parts = this.partsOf(r.path);
    const o = r.output;
    const key = o.partitioner === "key" && o.key === "path" ? parts.key : this.keyOf(o, r, parts);
    const v = o.format === "json" ? Buffer.from(envelope(o, value, { host: this.settings.hostname, path: r.path, offset: r.start, time: r.time })) : value;
    if (part === null) return this.batch.appendLine(key, v, parts.headers, r.start, null, maxBytes);
    return this.batch.appendLine(key, v, parts.headersWithPart, r.start, encodeHeaders([["part", part]]).subarray(1), maxBytes);
  }

  private async seal(at: number, compression: Compression, lines: LineRecord[], cuts: Map<number, Cut> | null, identity: BatchIdentity): Promise<LineBatch> {
    const b = this.batch;
    if (compression === "none") {
      const end = b.seal(identity);
      finishFrame(b.buf, at, end);
      // The scratch buffer is reused for the next batch: the frame is a copy of exactly its size.
      return { frame: Buffer.from(b.buf.subarray(0, end)), batchAt: at, batchEnd: end, lines, cuts };
    }
    const { count, stamp } = b;
    const head = Buffer.from(b.buf.subarray(0, at));
    // Copied before compressing: gzip and zstd read it off the main thread while the next batch is built.
    const compressed = await compress(compression, Buffer.from(b.recordBytes()));
    const frame = Buffer.allocUnsafe(at + BATCH_HEADER_BYTES + compressed.length);
    head.copy(frame, 0);
    const end = sealCompressed(frame, at, compression, compressed, count, stamp, identity);
    finishFrame(frame, at, end);
    return { frame, batchAt: at, batchEnd: end, lines, cuts };
  }

  /** The key and headers of `path`'s records (the key as when it is the path, the default). */
  private partsOf(path: string): FileParts {
    let parts = this.files.get(path);
    if (!parts) {
      if (this.files.size >= MAX_CACHED_PATHS) this.files.clear();
      const headers = encodeHeaders([["host", this.settings.hostname], ["path", path], ["offset", null]]).subarray(0, -1); // through the offset key
      const headersWithPart = Buffer.from(headers);
      headersWithPart[0] = 8; // zigzag(4)
      parts = { key: varintBytes(path), headers, headersWithPart };
      this.files.set(path, parts);
    }
    return parts;
  }

  private keyOf(output: Output, r: LineRecord, parts: FileParts): Uint8Array {
    if (output.partitioner !== "key") return NULL_KEY;
    if (output.key === "path") return parts.key;
    if (output.key === "host") return this.hostKey;
    const key = keyFor(output, r.value, r.path, this.settings.hostname);
    return key === null ? NULL_KEY : varintBytes(key);
  }
}
