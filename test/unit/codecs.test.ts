// The compression codecs, called as kafkajs calls them, and checked against other implementations:
// bytes written by Kafka's Java client and by the gzip/lz4/zstd command-line tools (VECTORS below).
import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { CompressionCodecs, CompressionTypes } from "kafkajs";
import * as snappyjs from "snappyjs";
import { COMPRESSIONS, compressionType, lz4Compress, registerCodecs, snappyCompress, snappyDecompress, type Compression } from "../../src/kafka/codecs";

const require = createRequire(import.meta.url);
const Encoder = require("kafkajs/src/protocol/encoder") as new () => { writeBuffer(b: Buffer): unknown; buffer: Buffer };

registerCodecs();
type Codec = { compress(e: unknown): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> };
/** The codec kafkajs would use for `c`. */
const codec = (c: Compression): Codec => (CompressionCodecs as Record<number, () => Codec>)[compressionType(c)]!();
const compressed = COMPRESSIONS.filter((c) => c !== "none");

/** What kafkajs hands to `compress`: an Encoder holding the batch's records. */
function encoderOf(bytes: Buffer) {
  const e = new Encoder();
  e.writeBuffer(bytes);
  return e;
}

/** The text the vectors were made from: `lines` lines, repeating every 50. */
function payload(lines: number): Buffer {
  let s = "";
  for (let i = 0; i < lines; i++) s += `2026-01-01T00:00:00Z INFO logagent known-answer line ${i % 50}\n`;
  return Buffer.from(s);
}

function logLike(bytes: number): Buffer {
  let s = "";
  for (let i = 0; s.length < bytes; i++) s += `2026-01-01T00:00:${String(i % 60).padStart(2, "0")}Z INFO request ${(i * 7919) % 100003} took ${i % 977} ms\n`;
  return Buffer.from(s.slice(0, bytes));
}

const INPUTS: [string, () => Buffer][] = [
  ["one byte", () => Buffer.from("x")],
  ["a short line", () => Buffer.from("hello, wörld\n")],
  ["exactly 64 KiB", () => logLike(64 * 1024)],
  ["64 KiB + 1", () => logLike(64 * 1024 + 1)],
  ["300 KB of log lines", () => logLike(300_000)],
  ["1 MB of random bytes (incompressible)", () => randomBytes(1_000_000)],
  ["6 MB of one repeated line", () => Buffer.alloc(6_000_000, "the same line again\n")],
];

test("compressionType maps every name to kafkajs's enum", () => {
  expect(COMPRESSIONS.map(compressionType)).toEqual([
    CompressionTypes.None,
    CompressionTypes.GZIP,
    CompressionTypes.Snappy,
    CompressionTypes.LZ4,
    CompressionTypes.ZSTD,
  ]);
});

test("registerCodecs can be called again", () => {
  const before = compressed.map(codec);
  registerCodecs();
  expect(compressed.map(codec)).toEqual(before);
});

describe.each(compressed)("%s round trip through the kafkajs codec", (c) => {
  test.each(INPUTS)("%s", async (_, make) => {
    const input = make();
    const out = await codec(c).compress(encoderOf(input));
    expect(Buffer.isBuffer(out)).toBe(true);
    const back = await codec(c).decompress(out);
    expect(Buffer.isBuffer(back)).toBe(true);
    expect(back.equals(input)).toBe(true);
  });
});

describe("reads what other implementations wrote", () => {
  const big = payload(1200); // 67 KB: several snappy chunks and two LZ4 blocks in Kafka's Java framing
  const small = payload(20);
  test.each([
    ["gzip", "java.gzip", big],
    ["gzip", "cli.gz", small],
    ["snappy", "java.snappy", big],
    ["snappy", "javaraw.snappy", small],
    ["lz4", "java.lz4", big],
    ["lz4", "cli.lz4", small],
    ["zstd", "java.zstd", big],
    ["zstd", "cli.zst", small],
  ] as [Compression, keyof typeof VECTORS, Buffer][])("%s: %s", async (c, vector, expected) => {
    const back = await codec(c).decompress(Buffer.from(VECTORS[vector], "base64"));
    expect(back.length).toBe(expected.length);
    expect(back.equals(expected)).toBe(true);
  });
});

describe("snappy framing", () => {
  test("writes the xerial header and chunks of at most 32 KiB, like snappy-java", () => {
    const input = logLike(100_000);
    const out = snappyCompress(input);
    expect(out.subarray(0, 16).toString("hex")).toBe("82534e41505059000000000100000001");
    const sizes: number[] = [];
    for (let at = 16; at < out.length; ) {
      const n = out.readUInt32BE(at);
      sizes.push(snappyjs.uncompress(out.subarray(at + 4, at + 4 + n)).length);
      at += 4 + n;
    }
    expect(sizes).toEqual([32768, 32768, 32768, 100_000 - 3 * 32768]);
  });

  test("snappy-java's framing matches ours: same header, 32 KiB chunks", () => {
    const java = Buffer.from(VECTORS["java.snappy"], "base64");
    expect(java.subarray(0, 16).equals(snappyCompress(Buffer.alloc(0)))).toBe(true);
    const sizes: number[] = [];
    for (let at = 16; at < java.length; at += 4 + java.readUInt32BE(at)) {
      sizes.push(snappyjs.uncompress(java.subarray(at + 4, at + 4 + java.readUInt32BE(at))).length);
    }
    expect(sizes).toEqual([32768, 32768, payload(1200).length - 2 * 32768]);
  });

  test("reads raw (unframed) snappy, as kafkajs-snappy and librdkafka may write", () => {
    const input = logLike(50_000);
    expect(snappyDecompress(snappyjs.compress(input)).equals(input)).toBe(true);
  });

  test("a truncated chunk is an error, not short data", () => {
    const out = snappyCompress(logLike(50_000));
    expect(() => snappyDecompress(out.subarray(0, out.length - 10))).toThrow();
  });
});

describe("lz4 frame", () => {
  test("header is what the lz4 tool writes for independent blocks, 256 KiB max, no checksums", () => {
    // head -c 300000 /dev/zero | lz4 -B5 -BI --no-frame-crc | head -c 7 | xxd -p
    expect(lz4Compress(Buffer.from("x")).subarray(0, 7).toString("hex")).toBe("04224d186050fb");
  });

  test("blocks hold at most 64 KiB, below the frame's maximum, and end with the end mark", () => {
    const input = logLike(200_000);
    const out = lz4Compress(input);
    const sizes: number[] = [];
    let at = 7;
    for (;;) {
      const word = out.readUInt32LE(at);
      at += 4;
      if (word === 0) break;
      const stored = (word & 0x80000000) !== 0;
      const n = word & 0x7fffffff;
      sizes.push(stored ? n : decodedSize(out.subarray(at, at + n)));
      at += n;
    }
    expect(at).toBe(out.length);
    expect(sizes).toEqual([65536, 65536, 65536, 200_000 - 3 * 65536]);
  });

  test("incompressible data goes into stored blocks", () => {
    const input = randomBytes(70_000);
    const out = lz4Compress(input);
    expect(out.readUInt32LE(7)).toBe((0x80000000 | 65536) >>> 0);
    expect(out.length).toBe(7 + 4 + 65536 + 4 + (70_000 - 65536) + 4);
  });
});

describe("zstd", () => {
  test("writes a standard zstd frame", async () => {
    const out = await codec("zstd").compress(encoderOf(logLike(10_000)));
    expect(out.readUInt32LE(0)).toBe(0xfd2fb528);
  });
});

/** Decoded length of one LZ4 block (sum of literal and match lengths). */
function decodedSize(b: Buffer): number {
  let i = 0;
  let size = 0;
  const length = (n: number) => {
    if (n === 15) for (let x = 255; x === 255; n += x) x = b[i++]!;
    return n;
  };
  while (i < b.length) {
    const token = b[i++]!;
    const literals = length(token >> 4);
    i += literals;
    size += literals;
    if (i >= b.length) break;
    i += 2;
    size += length(token & 15) + 4;
  }
  return size;
}

// Made with Kafka's own client code (kafka-clients 4.1.2, Compression.<codec>().build().wrapForOutput:
// snappy-java 1.1.10.7, lz4-java 1.10.1, zstd-jni 1.5.6-10, java.util.zip) from payload(1200), plus
// raw snappy from snappy-java's Snappy.compress, and Debian 12's `lz4 --content-size` 1.9.4 (content
// size and content checksum set), `zstd` 1.5.4 and `gzip -n` 1.12 from payload(20). Base64.
const VECTORS = {
  "java.gzip": "H4sIAAAAAAAA/+3WPUpDQRiF4d5V3A0E7nwzxp8FCGm0sbJLcQlimIAK2b7iEk5l8cC0p5qXmafW2u/W9nte1/Xx77wth+enl+V8OR1P2/xePublOnfH+XXdPpfz+9yW9aaSWctmlc16NhvZ7Dab7bPZXTa7z2YP4XWnmYSdtDCUFpbSwlRa2EoLY2lhLS3MpYW9VNhLpe9K2EuFvVTYS4W9VNhLhb1U2EuFvfSwlx720tOPKOylh730sJce9tLDXnrYSw97GWEvI+xlhL2MVC5hLyPsZYS9jLCXEfYywl4ol3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3Ipl3L/hXJ/AJzQbc6QBQEA",
  "java.snappy": "glNOQVBQWQAAAAABAAAAAQAABrCAgAI0MjAyNi0wMS0wMVQwMDoFA5BaIElORk8gbG9nYWdlbnQga25vd24tYW5zd2VyIGxpbmUgMAoyzjcAADHWNwAAMtY3AAAz1jcAADTWNwAANdY3AAA21jcAADfWNwAAONY3AAA51jcABDEw2jgA2igCADHaKQIAMdoqAgAx2isCADHaLAIAMdotAgAx2i4CADHaLwIAMdowAgAy2jACADLaMAIAMtowAgAy2jACADLaMAIAMtowAgAy2jACADLaMAIAMtowAgAy2jACADPaMAIAM9owAgAz2jACADPaMAIAM9owAgAz2jACADPaMAIAM9owAgAz2jACADPaMAIANNowAgA02jACADTaMAIANNowAgA02jACADTaMAIANNowAgA02jACADTaMAIANNowAtovAtouAtotAt4sAtabCdoqAtopAtooAtonAtomAv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCv7mCvrmCgAABpqAgALgOjAwWiBJTkZPIGxvZ2FnZW50IGtub3duLWFuc3dlciBsaW5lIDM3CjIwMjYtMDEtMDFUMDA6MDA6kjgAADjaOAAAOdY4AAQ0MNo4AAAx2jgAADLaOAAAM9o4AAA02jgAADXaOAAANto4AAA32jgA2jACADTaMALaLwLaLgLaLQLeLALWgwHaKgLaKQLaKALaJwLaJgIAMd4nAtooAgAx2ikCADHaKgIAMdorAgAx2iwCADHaLQIAMdouAgAx2i8CADHaMAIAMtowAgAy2jACADLaMAIAMtowAgAy2jACADLaMAIAMtowAgAy2jACADLaMAIAMtowAgAz2jACADPaMAIAM9owAgAz2jACADPaMAIAM9owAgAz2jAC/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK/uYK0uYKAAAAupAL4G50IGtub3duLWFuc3dlciBsaW5lIDI0CjIwMjYtMDEtMDFUMDA6MDA6MDBaIElORk8gbG9nYWdlblI4AAA12jgAADbaOAAAN9o4AAA42jgAADnWOAAEMzDaOAAAMdo4AAAy2jgAADPaOADaMAIAM9owAgAz2jACADPaMAIAM9owAgAz2jACADTaMAIANNowAgA02jACADTaMAIANNowAgA02jACADTaMAIANNowAgA02jACCDQ5Cg==",
  "java.lz4": "BCJNGGBAglwCAADhMjAyNi0wMS0wMVQwMDoDAP8VWiBJTkZPIGxvZ2FnZW50IGtub3duLWFuc3dlciBsaW5lIDAKNwAiHzE3ACMfMjcAIx8zNwAjHzQ3ACMfNTcAIx82NwAjHzc3ACMfODcAIx85NwAjHzEnAiUPKAIkHzEpAiQfMSoCJB8xKwIkHzEsAiQfMS0CJB8xLgIkHzEvAiQfMTACJB8yMAIkHzIwAiQfMjACJB8yMAIkHzIwAiQfMjACJB8yMAIkHzIwAiQfMjACJB8yMAIkHzMwAiQfMzACJB8zMAIkHzMwAiQfMzACJB8zMAIkHzMwAiQfMzACJB8zMAIkHzMwAiQfNDACJB80MAIkHzQwAiQfNDACJB80MAIkHzQwAiQfNDACJB80MAIkHzQwAiQfNDACJA8vAiQPLgIkDy0CJA8sAiUP0wkjDyoCJA8pAiQPKAIkDycCJA8mAiQfMScCJQ8oAiQP5gr///////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////8qUG9nYWdluQAAAPEXbnQga25vd24tYW5zd2VyIGxpbmUgMjQKMjAyNi0wMS0wMVQwMDoDAN9aIElORk8gbG9nYWdlOAADHzU4ACQfNjgAJB83OAAkHzg4ACQfOTgAIy8zMDgAJB8xOAAkHzI4ACQfMzgAJA8wAiQfMzACJB8zMAIkHzMwAiQfMzACJB8zMAIkHzQwAiQfNDACJB80MAIkHzQwAiQfNDACJB80MAIkHzQwAiQfNDACJB80MAIiUGUgNDkKAAAAAA==",
  "java.zstd": "KLUv/QBYXAYAAggXG2BVkw4ArDrSaFO3d8WdWPD/7Zcyaf5AoirBEyRJkuT//2/btm1t27YtSZIk+f//27ZtKxAGiaB8gUJLajTosTwASUHS4yQHCkgLozBOgxSHBAIxDFWLFbJCkutcqIH0/dozgIOSYuMSSBD4///763e88XQxmYnEZFIyKYk0yURkIi7MhZi6iLmLNXkRsxdr+iLmL9YERsxgNJmJRERyEhkpCYnEJGIShzNIGWQMEgbxBemCbEGyoHAFq2K3t93ZwSiN8JWAqAYBAAA=",
  "javaraw.snappy": "1gg0MjAyNi0wMS0wMVQwMDoFA5BaIElORk8gbG9nYWdlbnQga25vd24tYW5zd2VyIGxpbmUgMAoyzjcAADHWNwAAMtY3AAAz1jcAADTWNwAANdY3AAA21jcAADfWNwAAONY3AAA51jcABDEw2jgA2igCADHaKQIAMdoqAgAx2isCADHaLAIAMdotAgAx2i4CADHaLwIIMTkK",
  "cli.lz4": "BCJNGGxAVgQAAAAAAADomQAAAOEyMDI2LTAxLTAxVDAwOgMA/xVaIElORk8gbG9nYWdlbnQga25vd24tYW5zd2VyIGxpbmUgMAo3ACIfMTcAIx8yNwAjHzM3ACMfNDcAIx81NwAjHzY3ACMfNzcAIx84NwAjHzk3ACMfMScCJQ8oAiQfMSkCJB8xKgIkHzErAiQfMSwCJB8xLQIkHzEuAiQfMS8CIlBlIDE5CgAAAABFk0n5",
  "cli.zst": "KLUv/QRYDQQAYoQQGIDVOQCkKLK22+mWFjN8gQ0WG8mtY7H2smj9//9/FYQahCAdOds2L58WAct0I1wnA9scc/ClciRIMoa93HqrSk4BFACUIU5hDHEeYYiT8YU4hS7EeWwhTkYW4hSuECdUhThv4GQDpwycN3CygVMGzhs42cApA+eltDqPglMCyvEKkg==",
  "cli.gz": "H4sIAAAAAAAAA53SMQrCQBRF0T6r+BsI/DeaMXEBgo02qexSDEEcfiAKs33FJVx47aneTZ5y7/ptdj//97Dr7XK3uq3LWuJjr9ha9Eu8W9mtPqOYd4kwMZYYOzB2ZGxgLDN2YmxkbIJ300xgJ4KhCJYimIpgK4KxCNYimIum7gvHOnAlVgQAAA==",
};
