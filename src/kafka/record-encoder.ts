// A drop-in for kafkajs's Record v0 encoder (src/protocol/recordBatch/record/v0),
// producing the same bytes. kafkajs builds each record from four or more
// zero-filled 512-byte encoders and copies them together; at a few thousand
// lines per request that is tens of MB of short-lived memory and most of the
// encoding time. This writes each record once into a buffer of exactly its size.
//
// scripts/build.ts swaps it in for kafkajs's module in the release binaries;
// test/unit/kafkajs-replacements.test.ts checks it byte for byte against kafkajs's own.

type Bytes = Buffer | string | null | undefined;

export interface RecordInput {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: Bytes;
  value?: Bytes;
  headers?: Record<string, Bytes | Bytes[]>;
}

/** What kafkajs's RecordBatch reads from an encoder: `buf` (checked to be a Buffer) and `buffer`. */
export interface EncodedRecord {
  buf: Buffer;
  buffer: Buffer;
}

const zigzag32 = (n: number) => ((n << 1) ^ (n >> 31)) >>> 0;

function sizeOfUVarInt(u: number): number {
  let bytes = 1;
  while (u >= 0x80) {
    u >>>= 7;
    bytes++;
  }
  return bytes;
}

/** 64-bit zigzag of a safe integer, as a non-negative number (exact below 2^53). */
const zigzag64 = (n: number) => (n >= 0 ? n * 2 : -n * 2 - 1);

function sizeOfUVarLong(u: number): number {
  let bytes = 1;
  while (u >= 0x80) {
    u = Math.floor(u / 128);
    bytes++;
  }
  return bytes;
}

function byteLength(v: Bytes): number {
  if (v == null) return -1;
  return Buffer.isBuffer(v) ? v.length : Buffer.byteLength(String(v), "utf8");
}

const sizeOfVarIntBytes = (len: number) => (len < 0 ? 1 : sizeOfUVarInt(zigzag32(len)) + len);

class Writer {
  offset = 0;
  constructor(readonly buf: Buffer) {}

  uvarint(u: number): void {
    while (u >= 0x80) {
      this.buf[this.offset++] = (u & 0x7f) | 0x80;
      u >>>= 7;
    }
    this.buf[this.offset++] = u;
  }

  uvarlong(u: number): void {
    while (u >= 0x80) {
      this.buf[this.offset++] = (u % 128) | 0x80;
      u = Math.floor(u / 128);
    }
    this.buf[this.offset++] = u;
  }

  bytes(v: Bytes, len: number): void {
    if (v == null) {
      this.uvarint(zigzag32(-1));
      return;
    }
    this.uvarint(zigzag32(len));
    if (Buffer.isBuffer(v)) v.copy(this.buf, this.offset);
    else this.buf.write(String(v), this.offset, len, "utf8");
    this.offset += len;
  }
}

// Records are carved out of shared 1 MiB slabs rather than allocated one by one: at 150,000 lines
// a second, one small ArrayBuffer per record was most of the agent's garbage. kafkajs copies each
// record into its batch as soon as the batch is built, and a full slab is never reused, only
// dropped, so a record's bytes are never overwritten while it is still referenced.
const SLAB_BYTES = 1 << 20;
let slab = Buffer.allocUnsafe(0);
let slabUsed = 0;
function carve(size: number): Buffer {
  if (size > SLAB_BYTES / 4) return Buffer.allocUnsafe(size);
  if (slabUsed + size > slab.length) {
    slab = Buffer.allocUnsafe(SLAB_BYTES);
    slabUsed = 0;
  }
  const piece = slab.subarray(slabUsed, slabUsed + size);
  slabUsed += size;
  return piece;
}

export function encodeRecord({ offsetDelta = 0, timestampDelta = 0, key, value, headers = {} }: RecordInput): EncodedRecord {
  const pairs: [string, Bytes][] = [];
  for (const k of Object.keys(headers)) {
    const v = headers[k];
    if (Array.isArray(v)) for (const item of v) pairs.push([k, item]);
    else pairs.push([k, v]);
  }
  const keyLen = byteLength(key);
  const valueLen = byteLength(value);
  const lens = pairs.map(([k, v]) => [Buffer.byteLength(k, "utf8"), byteLength(v)] as const);

  let headersSize = sizeOfUVarInt(zigzag32(pairs.length));
  for (const [kl, vl] of lens) headersSize += sizeOfVarIntBytes(kl) + sizeOfVarIntBytes(vl);
  const body =
    1 + // attributes
    sizeOfUVarLong(zigzag64(timestampDelta)) +
    sizeOfUVarInt(zigzag32(offsetDelta)) +
    sizeOfVarIntBytes(keyLen) +
    sizeOfVarIntBytes(valueLen) +
    headersSize;

  const w = new Writer(carve(sizeOfUVarInt(zigzag32(body)) + body));
  w.uvarint(zigzag32(body));
  w.buf[w.offset++] = 0; // attributes: none used
  w.uvarlong(zigzag64(timestampDelta));
  w.uvarint(zigzag32(offsetDelta));
  w.bytes(key, keyLen);
  w.bytes(value, valueLen);
  w.uvarint(zigzag32(pairs.length));
  pairs.forEach(([k, v], i) => {
    w.bytes(k, lens[i]![0]);
    w.bytes(v, lens[i]![1]);
  });
  return { buf: w.buf, buffer: w.buf };
}
