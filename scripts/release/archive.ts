// The two archive formats of a release, written here rather than by system tools: a build machine
// has no `zip` by default, and GNU and BSD tar differ in flags and output. Both are pure functions
// of their entries and one timestamp, so the same inputs give the same bytes on any machine
// (reproducible archives). zip: deflated entries, CRC-32 from node:zlib (the zip polynomial), no
// zip64 (every release file is far below 4 GiB). tar: ustar headers, owner root, then gzip.
import { crc32, deflateRawSync, gzipSync } from "node:zlib";

export interface Entry {
  /** Path inside the archive, with `/` separators. */
  name: string;
  data: Uint8Array;
  /** Unix permission bits, e.g. 0o755 for the binary. */
  mode: number;
}

/** A `.tar.gz` of `entries` under the folder `root`/, every file dated `mtime` (seconds since 1970). */
export function tarGz(root: string, entries: Entry[], mtime: number): Uint8Array {
  const blocks: Uint8Array[] = [tarHeader(`${root}/`, 0, 0o755, mtime, "5")];
  for (const e of entries) {
    blocks.push(tarHeader(`${root}/${e.name}`, e.data.length, e.mode, mtime, "0"), e.data, new Uint8Array((512 - (e.data.length % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024)); // two zero blocks end the archive
  const gz = gzipSync(Buffer.concat(blocks));
  gz[9] = 3; // the header's OS byte: Unix, whichever system zlib was built for
  return gz;
}

function tarHeader(name: string, size: number, mode: number, mtime: number, type: "0" | "5"): Uint8Array {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar: ${name} is longer than 100 bytes`);
  const h = Buffer.alloc(512);
  const field = (offset: number, length: number, text: string) => h.write(text, offset, length, "utf8");
  const octal = (offset: number, length: number, n: number) => field(offset, length, n.toString(8).padStart(length - 1, "0"));
  field(0, 100, name);
  octal(100, 8, mode);
  octal(108, 8, 0); // uid
  octal(116, 8, 0); // gid
  octal(124, 12, size);
  octal(136, 12, mtime);
  field(148, 8, "        "); // the checksum counts its own field as spaces
  field(156, 1, type);
  field(257, 8, "ustar\x0000");
  field(265, 32, "root");
  field(297, 32, "root");
  const sum = h.reduce((a, b) => a + b, 0);
  field(148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}

/** A `.zip` of `entries` at its top level (as a Windows "Extract All" expects), every file dated `mtime` (UTC). */
export function zip(entries: Entry[], mtime: number): Uint8Array {
  const d = new Date(mtime * 1000);
  // MS-DOS date and time, 2-second resolution, 1980 at the earliest.
  const dosTime = (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1);
  const dosDate = (Math.max(0, d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate();
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, "utf8");
    const packed = deflateRawSync(e.data);
    const crc = crc32(e.data);
    // Fields shared by the local header (from "version needed") and the central one (from its offset 6).
    const common = Buffer.alloc(26);
    common.writeUInt16LE(20, 0); // version needed: 2.0 (deflate)
    common.writeUInt16LE(0x0800, 2); // flags: names are UTF-8
    common.writeUInt16LE(8, 4); // deflate
    common.writeUInt16LE(dosTime, 6);
    common.writeUInt16LE(dosDate, 8);
    common.writeUInt32LE(crc, 10);
    common.writeUInt32LE(packed.length, 14);
    common.writeUInt32LE(e.data.length, 18);
    common.writeUInt16LE(name.length, 22);
    common.writeUInt16LE(0, 24); // extra field length
    const local = Buffer.concat([u32(0x04034b50), common, name]);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix (so the mode below is read), zip 2.0
    common.copy(central, 6);
    // comment length, disk, internal attributes: 0
    central.writeUInt32LE(((0o100000 | e.mode) << 16) >>> 0, 38); // external attributes: a regular file and its mode
    central.writeUInt32LE(offset, 42);
    locals.push(local, packed);
    centrals.push(central, name);
    offset += local.length + packed.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n, 0);
  return b;
}
