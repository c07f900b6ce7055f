// The prepared files every tool ships, and the check that reads a topic back: each line once, byte for
// byte. A line carries its file and sequence number at both ends around a deterministic filler, so a
// cut, a merge or an added prefix is noticed without keeping the files' contents in memory.
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import path from "node:path";
import { BROKER, CHILD_ENV } from "./settings";

/** Deterministic filler; a line takes a slice starting at `seq % 97`. */
export const FILLER = (() => {
  let x = 12345;
  const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  let s = "";
  for (let i = 0; i < 2048; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    s += chars[x % chars.length];
  }
  return s;
})();
const FILLER_BUF = Buffer.from(FILLER, "latin1");

/**
 * One line of exactly `size` bytes with its newline: `fNN SEQ FILLER SEQ\n`. The sequence number at both
 * ends and the filler let the read-back check notice a cut, a merge or an added prefix.
 */
export function makeLine(file: number, seq: number, size: number): string {
  const s = String(seq).padStart(10, "0");
  const fill = size - 27;
  const off = seq % 97;
  return `f${String(file).padStart(2, "0")} ${s} ${FILLER.slice(off, off + fill)} ${s}\n`;
}

export interface Dataset {
  label: string;
  files: string[];
  linesPerFile: number;
  lineSize: number;
  lines: number;
  bytes: number;
}

export function writeDataset(dir: string, fileCount: number, lines: number, lineSize: number): Dataset {
  mkdirSync(dir, { recursive: true });
  const linesPerFile = Math.floor(lines / fileCount);
  const files: string[] = [];
  for (let f = 0; f < fileCount; f++) {
    const file = path.join(dir, `f${f}.log`);
    const fd = openSync(file, "w");
    const batch = Math.max(1, Math.floor((4 << 20) / lineSize));
    for (let start = 0; start < linesPerFile; start += batch) {
      const parts: string[] = [];
      for (let seq = start; seq < Math.min(linesPerFile, start + batch); seq++) parts.push(makeLine(f, seq, lineSize));
      writeSync(fd, Buffer.from(parts.join(""), "latin1"));
    }
    closeSync(fd);
    files.push(file);
  }
  const total = linesPerFile * fileCount;
  return { label: `${fileCount} file${fileCount > 1 ? "s" : ""} × ${lineSize === 1024 ? "1 KiB" : `${lineSize} B`}`, files, linesPerFile, lineSize, lines: total, bytes: total * lineSize };
}

export interface Check {
  /** Distinct expected lines found. */
  distinct: number;
  duplicates: number;
  malformed: number;
  missing: number;
  /** The first few missing lines, as fFILE:SEQ. */
  missingExamples: string[];
  seconds: number;
}

/** Reads the whole topic back with kcat and checks that each expected line is there once, byte for byte. */
export async function verifyTopic(topic: string, ds: Dataset, logFile: string): Promise<Check> {
  const t = performance.now();
  const seen = Array.from({ length: ds.files.length }, () => new Uint8Array(ds.linesPerFile));
  const check: Check = { distinct: 0, duplicates: 0, malformed: 0, missing: 0, missingExamples: [], seconds: 0 };
  const L = ds.lineSize - 1;
  const fill = ds.lineSize - 27;
  const onLine = (b: Buffer) => {
    if (b.length !== L || b[0] !== 0x66 || b[3] !== 0x20 || b[14] !== 0x20 || b[L - 11] !== 0x20) return void check.malformed++;
    const file = (b[1]! - 48) * 10 + (b[2]! - 48);
    let seq = 0;
    for (let i = 4; i < 14; i++) seq = seq * 10 + (b[i]! - 48);
    const off = seq % 97;
    if (
      file < 0 || file >= ds.files.length || seq < 0 || seq >= ds.linesPerFile ||
      Buffer.compare(b.subarray(4, 14), b.subarray(L - 10, L)) !== 0 ||
      Buffer.compare(b.subarray(15, 15 + fill), FILLER_BUF.subarray(off, off + fill)) !== 0
    ) return void check.malformed++;
    if (seen[file]![seq]) check.duplicates++;
    else {
      seen[file]![seq] = 1;
      check.distinct++;
    }
  };
  const fd = openSync(logFile, "a");
  const kc = Bun.spawn(["kcat", "-C", "-b", BROKER, "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q", "-c", String(ds.lines + 1000), "-f", "%s\\n"], {
    env: CHILD_ENV,
    stdin: "ignore",
    stdout: "pipe",
    stderr: fd,
  });
  closeSync(fd);
  const timer = setTimeout(() => kc.kill("SIGKILL"), 60_000 + ds.bytes / 10_000); // at least 10 MB/s
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of kc.stdout) {
    const buf: Buffer = rest.length ? Buffer.concat([rest, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
      onLine(buf.subarray(start, nl));
      start = nl + 1;
    }
    rest = Buffer.from(buf.subarray(start)); // copy: the chunk's memory may be reused
  }
  clearTimeout(timer);
  await kc.exited;
  if (rest.length) onLine(rest);
  check.missing = ds.lines - check.distinct;
  for (let f = 0; f < seen.length && check.missingExamples.length < 5; f++) {
    for (let q = seen[f]!.indexOf(0); q >= 0 && check.missingExamples.length < 5; q = seen[f]!.indexOf(0, q + 1)) {
      check.missingExamples.push(`f${f}:${q}${q === ds.linesPerFile - 1 ? " (last line)" : ""}`);
    }
  }
  check.seconds = (performance.now() - t) / 1000;
  return check;
}
