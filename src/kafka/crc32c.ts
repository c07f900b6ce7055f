// CRC-32C (Castagnoli), the checksum of a Kafka record batch. Bun has no
// native CRC-32C (`Bun.hash.crc32` and zlib's `crc32` use the other
// polynomial), and kafkajs's goes a byte at a time (~450 MB/s). This is the
// table-driven slice-by-16 form: sixteen bytes per step through sixteen
// 256-entry tables (16 KiB, within the L1 cache). Measured here it ran 35-45%
// faster than slice-by-8 (1.5-1.6 GB/s against 1.1-1.3 on a quiet core), and
// a WebAssembly slice-by-8 no faster than the JavaScript one. It is still the
// agent's largest cost for long lines (about 0.7 µs for 1 KiB).
const POLY = 0x82f63b78; // reflected Castagnoli polynomial
const SLICES = 16;

const T = new Int32Array(SLICES * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  T[n] = c;
}
for (let n = 0; n < 256; n++) {
  let c = T[n]!;
  for (let t = 1; t < SLICES; t++) {
    c = T[c & 0xff]! ^ (c >>> 8);
    T[t * 256 + n] = c;
  }
}
// Table t gives the CRC contribution of a byte followed by t zero bytes.
const [T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15] = Array.from({ length: SLICES }, (_, t) => T.subarray(t * 256, t * 256 + 256)) as Int32Array[] as [
  Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array,
  Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array,
];

/** CRC-32C of `buf[start, end)`, as an unsigned 32-bit number. */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = -1;
  let i = start;
  const stop16 = end - 16;
  for (; i <= stop16; i += 16) {
    const a = crc ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24));
    crc =
      T15[a & 0xff]! ^ T14[(a >>> 8) & 0xff]! ^ T13[(a >>> 16) & 0xff]! ^ T12[a >>> 24]! ^
      T11[buf[i + 4]!]! ^ T10[buf[i + 5]!]! ^ T9[buf[i + 6]!]! ^ T8[buf[i + 7]!]! ^
      T7[buf[i + 8]!]! ^ T6[buf[i + 9]!]! ^ T5[buf[i + 10]!]! ^ T4[buf[i + 11]!]! ^
      T3[buf[i + 12]!]! ^ T2[buf[i + 13]!]! ^ T1[buf[i + 14]!]! ^ T0[buf[i + 15]!]!;
  }
  for (; i < end; i++) crc = T0[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
