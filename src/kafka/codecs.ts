// Kafka compression codecs: what the agent's record batches are compressed
// with (`compress`), and the same codecs for kafkajs, which has only gzip
// built in, so that a kafkajs consumer (the tests') reads what the agent wrote.
//
// The agent ships as `bun build --compile` binaries for five targets, so a codec must be plain
// JavaScript or come with Bun itself: native addons (snappy, lz4, lz4-napi, kafkajs-lz4) are out.
//   gzip    node:zlib's gzip at its default level, as kafkajs's own codec.
//   snappy  snappyjs. Written like Kafka's Java client (snappy-java's SnappyOutputStream): the
//           xerial framing, "\x82SNAPPY\0", version 1, compatible version 1, then chunks of at
//           most 32 KiB input, each [int32 BE length][raw snappy block]. Reads framed and raw.
//   lz4     lz4js's block compressor inside our own standard LZ4 frame (header checksum as in
//           KIP-57). Not lz4js.compress: its frames declare linked blocks, which the broker refuses
//           ("Dependent block stream is unsupported"), and lz4js may start a block's last match 10
//           bytes before its end where the spec asks for 12, which liblz4 and lz4-java reject in a
//           block as large as the frame's maximum. So: independent blocks of at most 64 KiB (as
//           Kafka's Java client writes) in a frame whose maximum is 256 KiB. Reads any LZ4 frame.
//   zstd    a standard zstd frame from Bun's node:zlib.
import { promisify } from "node:util";
import zlib from "node:zlib";
import { CompressionCodecs, CompressionTypes } from "kafkajs";
import * as snappyjs from "snappyjs";

export const COMPRESSIONS = ["none", "gzip", "snappy", "lz4", "zstd"] as const;
export type Compression = (typeof COMPRESSIONS)[number];

const TYPES: Record<Compression, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

export function compressionType(c: Compression): CompressionTypes {
  return TYPES[c];
}

/** What kafkajs calls: `compress` gets the records' Encoder, `decompress` the batch's records bytes. */
export interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

const asBuffer = (u8: Uint8Array): Buffer => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);

// ---------------------------------------------------------------- snappy
const XERIAL_MAGIC = Buffer.from("\x82SNAPPY\0", "latin1");
const XERIAL_HEADER = Buffer.concat([XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])]);
const XERIAL_CHUNK = 32 * 1024;

export function snappyCompress(data: Buffer): Buffer {
  const parts: Buffer[] = [XERIAL_HEADER];
  for (let at = 0; at < data.length; at += XERIAL_CHUNK) {
    const block = snappyjs.compress(data.subarray(at, at + XERIAL_CHUNK));
    const length = Buffer.alloc(4);
    length.writeUInt32BE(block.length);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

export function snappyDecompress(data: Buffer): Buffer {
  if (!data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) return asBuffer(snappyjs.uncompress(data));
  const parts: Buffer[] = [];
  for (let at = XERIAL_HEADER.length; at < data.length; ) {
    const length = data.readUInt32BE(at);
    const block = data.subarray(at + 4, at + 4 + length);
    if (block.length !== length) throw new Error("snappy: truncated xerial chunk");
    parts.push(asBuffer(snappyjs.uncompress(block)));
    at += 4 + length;
  }
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------- lz4
// Magic 0x184D2204 (LE), FLG 0x60 (version 01, independent blocks, no checksums), BD 0x50
// (max block 256 KiB), header checksum = (xxh32(FLG BD) >> 8) & 0xff.
const LZ4_HEADER = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x50, 0xfb]);
const LZ4_BLOCK = 64 * 1024;
const LZ4_UNCOMPRESSED = 0x80000000;

// lz4js allocates about 5 MiB of tables when it loads: load it only when an entry uses lz4.
let lz4State: { lib: typeof import("lz4js"); hash: Uint32Array; out: Uint8Array } | null = null;
function lz4() {
  if (!lz4State) {
    const lib = require("lz4js") as typeof import("lz4js");
    lz4State = { lib, hash: new Uint32Array(1 << 16), out: new Uint8Array(lib.compressBound(LZ4_BLOCK)) };
  }
  return lz4State;
}

export function lz4Compress(data: Buffer): Buffer {
  const { lib: lz4js, hash: lz4Hash, out: lz4Out } = lz4();
  const parts: Buffer[] = [LZ4_HEADER];
  for (let at = 0; at < data.length; at += LZ4_BLOCK) {
    const chunk = data.subarray(at, at + LZ4_BLOCK);
    lz4Hash.fill(0);
    const n = lz4js.compressBlock(chunk, lz4Out, 0, chunk.length, lz4Hash); // 0: found nothing to compress
    const stored = n === 0 || n >= chunk.length;
    const size = Buffer.alloc(4);
    size.writeUInt32LE(stored ? (LZ4_UNCOMPRESSED | chunk.length) >>> 0 : n);
    parts.push(size, stored ? chunk : Buffer.from(lz4Out.subarray(0, n)));
  }
  parts.push(Buffer.alloc(4)); // end mark
  return Buffer.concat(parts);
}

export function lz4Decompress(data: Buffer): Buffer {
  return asBuffer(lz4().lib.decompress(data));
}

// ---------------------------------------------------------------- zstd
const zstdCompress = promisify(zlib.zstdCompress);
const zstdDecompress = promisify(zlib.zstdDecompress);
const gzipCompress = promisify(zlib.gzip);

/** A batch's records compressed with `codec`. gzip and zstd run off the main thread. */
export async function compress(codec: Exclude<Compression, "none">, records: Buffer): Promise<Buffer> {
  switch (codec) {
    case "gzip":
      return gzipCompress(records);
    case "snappy":
      return snappyCompress(records);
    case "lz4":
      return lz4Compress(records);
    case "zstd":
      return zstdCompress(records);
  }
}

// ---------------------------------------------------------------- kafkajs
const CODECS = {
  [CompressionTypes.Snappy]: {
    compress: async (encoder) => snappyCompress(encoder.buffer),
    decompress: async (buffer) => snappyDecompress(buffer),
  },
  [CompressionTypes.LZ4]: {
    compress: async (encoder) => lz4Compress(encoder.buffer),
    decompress: async (buffer) => lz4Decompress(buffer),
  },
  [CompressionTypes.ZSTD]: {
    compress: (encoder) => zstdCompress(encoder.buffer),
    decompress: (buffer) => zstdDecompress(buffer),
  },
} satisfies Record<number, Codec>;

/** Makes kafkajs able to write and read snappy, lz4 and zstd batches. Safe to call more than once. */
export function registerCodecs(): void {
  CompressionCodecs[CompressionTypes.Snappy] = () => CODECS[CompressionTypes.Snappy];
  CompressionCodecs[CompressionTypes.LZ4] = () => CODECS[CompressionTypes.LZ4];
  CompressionCodecs[CompressionTypes.ZSTD] = () => CODECS[CompressionTypes.ZSTD];
}
