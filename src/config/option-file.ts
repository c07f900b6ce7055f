// A file named by the configuration (conf.ini itself, TLS PEM files; etcd's
// TLS files next), read defensively: the name may point anywhere. It must be a
// regular file no larger than a limit. It is opened without blocking (a FIFO
// would otherwise wait for a writer forever), checked with fstat on that same
// descriptor (so a rename in between changes nothing), and read up to
// limit + 1 bytes (a device such as /dev/zero reports size 0 and never ends).
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";

/** PEM certificates and keys are a few kilobytes; a bundle of every public CA is about 250 KB. */
export const PEM_FILE_LIMIT = 1 << 20;

/** On failure, `problem` completes a sentence about the file: `/dev/zero: is not a regular file (a character device)`. */
export function readOptionFile(file: string, limitBytes: number): { data: Buffer } | { problem: string } {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)); // O_NONBLOCK is undefined on Windows
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { problem: code === "ENOENT" ? "file not found" : code === "EACCES" || code === "EPERM" ? "permission denied" : `cannot open it (${code ?? (err as Error).message})` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { problem: `is not a regular file (${kindOf(st)})` };
    if (st.size > limitBytes) return { problem: `is ${st.size} bytes, more than the ${limitBytes} allowed` };
    const buf = Buffer.alloc(limitBytes + 1);
    let n = 0;
    while (n < buf.length) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
    }
    if (n > limitBytes) return { problem: `grew past the ${limitBytes} bytes allowed while it was read` };
    return { data: buf.subarray(0, n) };
  } catch (err) {
    return { problem: `cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  } finally {
    closeSync(fd);
  }
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return "a folder";
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a plain file";
}
