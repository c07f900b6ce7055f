// The log file's rotation by size: names, sizes, how many are kept, keep = 0, strays from an
// earlier run with a larger log_keep, and a rotation that cannot rename.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { RotatingFile } from "../../src/telemetry/rotating-file";

let dir: string;
let file: string;
let open: RotatingFile[] = [];

function rotating(maxBytes: number, keep: number, onRotationFailed?: (err: unknown) => void): RotatingFile {
  const f = new RotatingFile({ path: file, maxBytes, keep }, onRotationFailed);
  open.push(f);
  return f;
}

/** Lines of exactly 100 bytes: `line 00001 xxx...\n`. */
function line(n: number): string {
  const head = `line ${String(n).padStart(5, "0")} `;
  return head + "x".repeat(99 - head.length) + "\n";
}

const names = () => readdirSync(dir).sort();

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "logger-rotation-"));
  file = path.join(dir, "logs", "agent.log");
});
afterEach(() => {
  for (const f of open) f.close();
  open = [];
  rmSync(dir, { recursive: true, force: true });
});

test("the file and its folder are created; lines are appended to what is there", () => {
  mkdirSync(path.dirname(file));
  writeFileSync(file, line(0));
  const f = rotating(1000, 2);
  f.append(line(1));
  expect(readFileSync(file, "utf8")).toBe(line(0) + line(1));
});

test("a write that would pass max bytes rotates first: agent.log -> .1 -> .2, never more than keep, oldest deleted", () => {
  const f = rotating(1000, 2);
  for (let n = 0; n < 45; n++) f.append(line(n)); // 10 lines a file: 4 full rotations, 5 on the last file
  const logs = path.dirname(file);
  expect(readdirSync(logs).sort()).toEqual(["agent.log", "agent.log.1", "agent.log.2"]);
  // Each file is filled up to max bytes exactly, never past it.
  expect(statSync(`${file}.2`).size).toBe(1000);
  expect(statSync(`${file}.1`).size).toBe(1000);
  expect(readFileSync(`${file}.2`, "utf8")).toBe([20, 21, 22, 23, 24, 25, 26, 27, 28, 29].map(line).join(""));
  expect(readFileSync(`${file}.1`, "utf8").startsWith(line(30))).toBe(true);
  expect(readFileSync(file, "utf8")).toBe([40, 41, 42, 43, 44].map(line).join(""));
});

test("log_keep = 0 truncates the file and starts again; no rotated file is left", () => {
  const f = rotating(1000, 0);
  for (let n = 0; n < 25; n++) f.append(line(n));
  expect(readdirSync(path.dirname(file))).toEqual(["agent.log"]);
  expect(readFileSync(file, "utf8")).toBe([20, 21, 22, 23, 24].map(line).join(""));
});

test("rotated files beyond log_keep, left by an earlier run with a larger log_keep, are deleted at the next rotation", () => {
  mkdirSync(path.dirname(file));
  for (const n of [1, 2, 3, 4, 7]) writeFileSync(`${file}.${n}`, `old ${n}\n`);
  writeFileSync(`${file}.backup`, "not ours\n");
  writeFileSync(path.join(path.dirname(file), "other.log.9"), "not ours\n");
  const f = rotating(1000, 2);
  for (let n = 0; n < 11; n++) f.append(line(n));
  expect(readdirSync(path.dirname(file)).sort()).toEqual(["agent.log", "agent.log.1", "agent.log.2", "agent.log.backup", "other.log.9"]);
  expect(readFileSync(`${file}.2`, "utf8")).toBe("old 1\n");
});

test("a file already over max bytes (a smaller log_max_bytes than last run) rotates at the first write", () => {
  mkdirSync(path.dirname(file));
  writeFileSync(file, "y".repeat(5000));
  const f = rotating(1000, 1);
  f.append(line(0));
  expect(statSync(`${file}.1`).size).toBe(5000);
  expect(readFileSync(file, "utf8")).toBe(line(0));
});

test("one line longer than max bytes goes whole into a fresh file", () => {
  const f = rotating(1000, 1);
  f.append(line(0));
  f.append("z".repeat(3000) + "\n");
  expect(readFileSync(`${file}.1`, "utf8")).toBe(line(0));
  expect(statSync(file).size).toBe(3001);
});

test("ten 100-byte lines fill a 1000-byte file exactly; the eleventh rotates it", () => {
  const f = rotating(1000, 1);
  for (let n = 0; n < 10; n++) f.append(line(n));
  expect(existsSync(`${file}.1`)).toBe(false);
  f.append(line(10));
  expect(statSync(`${file}.1`).size).toBe(1000);
});

test("a rotation that fails keeps writing to the same file, says so, and tries again only after another max bytes", () => {
  const failures: unknown[] = [];
  const f = rotating(1000, 1, (err) => failures.push(err));
  for (let n = 0; n < 10; n++) f.append(line(n));
  // A folder where agent.log.1 should go cannot be deleted like a file: the rotation fails (as a
  // rename does on Windows while a viewer holds the file open without sharing).
  mkdirSync(`${file}.1`);
  writeFileSync(path.join(`${file}.1`, "inside"), "");
  for (let n = 10; n < 20; n++) f.append(line(n));
  expect(failures.length).toBe(1);
  expect(statSync(file).size).toBe(2000);
  rmSync(`${file}.1`, { recursive: true });
  f.append(line(20)); // at 2000 bytes (1000 + another 1000) the next try comes, and succeeds
  expect(failures.length).toBe(1);
  expect(statSync(`${file}.1`).size).toBe(2000);
  expect(readFileSync(file, "utf8")).toBe(line(20));
});
