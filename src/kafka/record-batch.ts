// Kafka's RecordBatch v2 (magic 2, the only record format Kafka 4 takes),
// written straight into one reused buffer: no object per record, varints
// written in place, the batch checksum by slice-by-8 CRC-32C. kafkajs built
// each record from several zero-filled encoders and copied them together four
// times; that was most of the agent's CPU (bench/results, produce-path-limits).
//
// Who the batch is from (producer id, epoch, base sequence, transactional) is
// a parameter of `seal` and can be stamped again later (`restamp`): the
// idempotent producer numbers batches when they are sealed and renumbers them
// after it gets a new producer id, and a transactional producer marks them.
// test/unit/record-batch.test.ts checks the bytes against kafkajs's encoder.
//
//   RecordBatch => baseOffset int64, length int32, partitionLeaderEpoch int32, magic int8, crc uint32,
//                  attributes int16, lastOffsetDelta int32, firstTimestamp int64, maxTimestamp int64,
//                  producerId int64, producerEpoch int16, baseSequence int32, records [Record]
//   Record      => length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
//                  key varint-bytes, value varint-bytes, headers [key varint-string, value varint-bytes]
import { crc32c } from "./crc32c";

export const BATCH_HEADER_BYTES = 61;
const LENGTH_AT = 8;
const CRC_AT = 17;
const ATTRIBUTES_AT = 21;
const PRODUCER_ID_AT = 43;
const PRODUCER_EPOCH_AT = 51;
const BASE_SEQUENCE_AT = 53;
const RECORD_COUNT_AT = 57;
/** The record count and the records; what a codec compresses is what follows it. */
const RECORDS_AT = 61;
const TRANSACTIONAL = 0x10;

/** Kafka's codec numbers, as the low bits of a batch's attributes. */
export const CODEC_IDS = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CodecName = keyof typeof CODEC_IDS;

/** Who a batch is from. kafkajs's values for a plain producer: no id (-1), epoch 0, sequence 0. */
export interface BatchIdentity {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  transactional: boolean;
}
export const PLAIN_PRODUCER: BatchIdentity = { producerId: -1n, producerEpoch: 0, baseSequence: 0, transactional: false };

/** Bytes of the unsigned varint `u` (u < 2^53). */
export function uvarintSize(u: number): number {
  if (u < 0x80) return 1;
  if (u < 0x4000) return 2;
  if (u < 0x200000) return 3;
  if (u < 0x10000000) return 4;
  let n = 5;
  for (u = Math.floor(u / 0x800000000); u > 0; u = Math.floor(u / 128)) n++;
  return n;
}

/** Writes the unsigned varint `u` at `pos`; returns the position after it. */
export function putUvarint(buf: Uint8Array, pos: number, u: number): number {
  if (u < 0x80000000) {
    // Below 2^31, as every length and delta of a record is: integer shifts.
    while (u >= 0x80) {
      buf[pos++] = (u & 0x7f) | 0x80;
      u >>>= 7;
    }
    buf[pos++] = u;
    return pos;
  }
  while (u >= 0x80) {
    buf[pos++] = (u % 128) | 0x80;
    u = Math.floor(u / 128);
  }
  buf[pos++] = u;
  return pos;
}

/** A length as a record writes it: zigzag, so -1 (null) is 1. */
export const zigzag = (n: number): number => (n >= 0 ? n * 2 : -n * 2 - 1);

/** `[varint length][bytes]`, or the null marker: how keys, values and header fields are written. */
export function varintBytes(bytes: Uint8Array | string | null): Uint8Array {
  if (bytes === null) return Uint8Array.of(1);
  const b = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes;
  const out = Buffer.allocUnsafe(uvarintSize(zigzag(b.length)) + b.length);
  out.set(b, putUvarint(out, 0, zigzag(b.length)));
  return out;
}

/** Headers as a record writes them: the count, then each key and value. */
export function encodeHeaders(headers: [string, Uint8Array | string | null][]): Uint8Array {
  const parts = [Buffer.from(varintCount(headers.length))];
  for (const [k, v] of headers) parts.push(Buffer.from(varintBytes(k)), Buffer.from(varintBytes(v)));
  return Buffer.concat(parts);
}

function varintCount(n: number): Uint8Array {
  const out = new Uint8Array(uvarintSize(zigzag(n)));
  putUvarint(out, 0, zigzag(n));
  return out;
}

/** Decimal digits of a non-negative safe integer. */
export function digitCount(n: number): number {
  if (n < 100000) return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : 5;
  let digits = 6;
  for (let p = 1000000; n >= p && digits < 16; p *= 10) digits++;
  return digits;
}

/**
 * Builds one batch at a time in a reused scratch buffer, after a prefix the caller writes (the
 * produce request around the batch). Records are appended with their exact size known first, so
 * that the caller's byte limit counts what goes on the wire.
 */
export class BatchBuilder {
  buf: Buffer;
  /** Where the batch starts in `buf` (after the caller's prefix). */
  private at = 0;
  private pos = 0;
  private records = 0;
  private timestamp = 0;

  constructor(initialBytes = 1 << 20) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /**
   * Starts a batch at `at` (the prefix before it is the caller's); records are stamped with
   * `timestamp` (ms). `buf`, when given, is written into from now on.
   */
  begin(at: number, timestamp: number, buf?: Buffer): void {
    if (buf !== undefined) this.buf = buf;
    this.ensure(at + BATCH_HEADER_BYTES);
    this.at = at;
    this.pos = at + BATCH_HEADER_BYTES;
    this.records = 0;
    this.timestamp = timestamp;
  }

  get count(): number {
    return this.records;
  }

  /** The batch's size so far, header included. */
  get bytes(): number {
    return this.pos - this.at;
  }

  /**
   * Appends the record of one line, whose value is `src[from, to)`, unless it would take the batch
   * past `maxBytes` (a batch's first record always goes in). `key` and `headers` are pre-encoded:
   * `key` with its varint length (or the null marker), `headers` from the header count through the
   * key of the last header, whose value is `offset` in decimal; `extra` (pre-encoded headers) follows
   * it. Returns whether it was appended.
   */
  appendLine(key: Uint8Array, src: Buffer, from: number, to: number, headers: Uint8Array, offset: number, extra: Uint8Array | null, maxBytes: number): boolean {
    const vlen = to - from;
    const digits = digitCount(offset);
    const delta = this.records * 2; // zigzag of the offset delta
    const body = 2 + (delta < 0x80 ? 1 : uvarintSize(delta)) + key.length + uvarintSize(vlen * 2) + vlen + headers.length + 1 + digits + (extra === null ? 0 : extra.length);
    const size = uvarintSize(body * 2) + body;
    if (this.records > 0 && this.pos + size - this.at > maxBytes) return false;
    if (this.pos + size > this.buf.length) this.ensure(this.pos + size);
    const buf = this.buf;
    let o = putUvarint(buf, this.pos, body * 2);
    buf[o++] = 0; // attributes: none
    buf[o++] = 0; // timestampDelta: every record has the batch's timestamp
    o = putUvarint(buf, o, delta);
    o = copyShort(key, buf, o);
    o = putUvarint(buf, o, vlen * 2);
    src.copy(buf, o, from, to);
    o += vlen;
    o = copyShort(headers, buf, o);
    buf[o++] = digits * 2;
    if (offset < 0x80000000) {
      // Files under 2 GiB: integer division, several times faster than Math.floor on a double.
      for (let j = digits - 1, v = offset | 0; j >= 0; j--) {
        const q = (v / 10) | 0;
        buf[o + j] = 48 + v - q * 10;
        v = q;
      }
    } else {
      for (let j = digits - 1, v = offset; j >= 0; j--) {
        const q = Math.floor(v / 10);
        buf[o + j] = 48 + (v - q * 10);
        v = q;
      }
    }
    o += digits;
    if (extra !== null) o = copyShort(extra, buf, o);
    this.pos = o;
    this.records++;
    return true;
  }

  /** Appends a record of any shape (kept for tests and unusual records); `headers` as encodeHeaders gives them. */
  appendRecord(key: Uint8Array | string | null, value: Uint8Array | string | null, headers: Uint8Array, timestampDelta = 0): void {
    const k = varintBytes(key);
    const v = varintBytes(value);
    const ts = zigzag(timestampDelta);
    const body = 1 + uvarintSize(ts) + uvarintSize(this.records * 2) + k.length + v.length + headers.length;
    this.ensure(this.pos + uvarintSize(body * 2) + body);
    let o = putUvarint(this.buf, this.pos, body * 2);
    this.buf[o++] = 0;
    o = putUvarint(this.buf, o, ts);
    o = putUvarint(this.buf, o, this.records * 2);
    for (const part of [k, v, headers]) {
      this.buf.set(part, o);
      o += part.length;
    }
    this.pos = o;
    this.records++;
  }

  /** When the batch's records were stamped (ms). */
  get stamp(): number {
    return this.timestamp;
  }

  /** The uncompressed records (what a codec compresses); a view of the scratch buffer, valid until the next `begin`. */
  recordBytes(): Buffer {
    return this.buf.subarray(this.at + RECORDS_AT, this.pos);
  }

  /**
   * Writes the header and checksum of an uncompressed batch; returns where it ends in `buf`. The
   * batch (and the caller's prefix) stay in `buf` until the next `begin`.
   */
  seal(identity: BatchIdentity): number {
    writeHeader(this.buf, this.at, this.pos - this.at, CODEC_IDS.none, this.records, this.timestamp, identity);
    stampCrc(this.buf, this.at, this.pos);
    return this.pos;
  }

  private ensure(size: number): void {
    if (size <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(size, this.buf.length * 2));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }
}

/** Copies `src` into `dst` at `o`; returns the position after it. (`set` beat a byte loop even for 60 bytes, measured.) */
function copyShort(src: Uint8Array, dst: Uint8Array, o: number): number {
  dst.set(src, o);
  return o + src.length;
}

/**
 * Writes a compressed batch at `at` of `out`: the header for `count` records stamped `timestamp`,
 * then the `compressed` records. Returns where it ends.
 */
export function sealCompressed(out: Buffer, at: number, codec: CodecName, compressed: Uint8Array, count: number, timestamp: number, identity: BatchIdentity): number {
  const end = at + BATCH_HEADER_BYTES + compressed.length;
  writeHeader(out, at, end - at, CODEC_IDS[codec], count, timestamp, identity);
  out.set(compressed, at + BATCH_HEADER_BYTES);
  stampCrc(out, at, end);
  return end;
}

function writeHeader(buf: Buffer, at: number, size: number, codec: number, count: number, timestamp: number, identity: BatchIdentity): void {
  buf.writeBigInt64BE(0n, at); // baseOffset: the broker assigns offsets
  buf.writeInt32BE(size - 12, at + LENGTH_AT); // what follows the baseOffset and length fields
  buf.writeInt32BE(0, at + 12); // partitionLeaderEpoch: kafkajs's 0; the broker sets it
  buf[at + 16] = 2; // magic
  buf.writeInt32BE(count - 1, at + 23); // lastOffsetDelta
  buf.writeBigInt64BE(BigInt(timestamp), at + 27); // firstTimestamp
  buf.writeBigInt64BE(BigInt(timestamp), at + 35); // maxTimestamp
  buf.writeInt32BE(count, at + RECORD_COUNT_AT);
  writeIdentity(buf, at, codec, identity);
}

function writeIdentity(buf: Buffer, at: number, codec: number, identity: BatchIdentity): void {
  buf.writeInt16BE(codec | (identity.transactional ? TRANSACTIONAL : 0), at + ATTRIBUTES_AT);
  buf.writeBigInt64BE(identity.producerId, at + PRODUCER_ID_AT);
  buf.writeInt16BE(identity.producerEpoch, at + PRODUCER_EPOCH_AT);
  buf.writeInt32BE(identity.baseSequence, at + BASE_SEQUENCE_AT);
}

function stampCrc(buf: Buffer, at: number, end: number): void {
  buf.writeUInt32BE(crc32c(buf, at + ATTRIBUTES_AT, end), at + CRC_AT);
}

/** Changes who a sealed batch (at `at`, ending at `end` in `buf`) is from, and its checksum with it. */
export function restamp(buf: Buffer, at: number, end: number, identity: BatchIdentity): void {
  writeIdentity(buf, at, buf.readInt16BE(at + ATTRIBUTES_AT) & 0x07, identity);
  stampCrc(buf, at, end);
}
