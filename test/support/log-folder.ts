// Reads the agent's own log when it goes to a file (`[agent] log_file`): the current file and
// its rotated copies NAME.log.1 (newest) ... NAME.log.N (oldest).
import { expect } from "bun:test";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

export interface LogFolder {
  /** Every file in the log's folder, sorted. */
  names: string[];
  /** Rotated copies' numbers, ascending. */
  rotated: number[];
  /** The whole log, oldest file first. */
  text: string;
  sizes: Map<string, number>;
}

export function readLogFolder(file: string): LogFolder {
  const dir = path.dirname(file);
  const base = path.basename(file);
  const names = existsSync(dir) ? readdirSync(dir).sort() : [];
  const rotated = names
    .filter((n) => n.startsWith(base + "."))
    .map((n) => Number(n.slice(base.length + 1)))
    .filter((n) => Number.isInteger(n) && n > 0)
    .sort((a, b) => a - b);
  const ordered = [...rotated.map((n) => `${file}.${n}`).reverse(), ...(names.includes(base) ? [file] : [])];
  return {
    names,
    rotated,
    text: ordered.map((f) => readFileSync(f, "utf8")).join(""),
    sizes: new Map(ordered.map((f) => [path.basename(f), statSync(f).size])),
  };
}

/** Waits until the log (all its files) matches `pattern`; throws with the log if it does not in time. */
export async function waitForLogFile(file: string, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = "";
  while (Date.now() < deadline) {
    try {
      text = readLogFolder(file).text;
    } catch (err) {
      // A rotation renamed a file between the listing and the read: look again.
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    const m = pattern.exec(text);
    if (m) return m[0];
    await Bun.sleep(100);
  }
  throw new Error(`the log file ${file} did not match ${pattern} within ${timeoutMs} ms; it holds:\n${text.slice(-4000)}`);
}

/**
 * What a rotated log must look like after the agent logged `followed` "Following file." lines into
 * a log_max_bytes / log_keep file: the file and exactly `keep` rotated copies, each filled up to
 * max bytes and never past it (no line here is 400 bytes long), the oldest deleted (the "Starting."
 * line with them, and some "Following file." lines), and the files in time order when read oldest
 * first (the names shift the right way).
 */
export function expectRotatedLog(file: string, o: { maxBytes: number; keep: number; followed: number }): LogFolder {
  const log = readLogFolder(file);
  const base = path.basename(file);
  expect(log.names).toEqual([base, ...Array.from({ length: o.keep }, (_, i) => `${base}.${i + 1}`)]);
  for (let n = 1; n <= o.keep; n++) {
    expect(log.sizes.get(`${base}.${n}`)!).toBeLessThanOrEqual(o.maxBytes);
    expect(log.sizes.get(`${base}.${n}`)!).toBeGreaterThan(o.maxBytes - 400);
  }
  expect(log.text).not.toContain("INFO  logagent: Starting.");
  expect(log.text.match(/Following file\./g)!.length).toBeLessThan(o.followed);
  const times = log.text.trimEnd().split("\n").map((l) => l.slice(0, 24));
  expect(times).toEqual([...times].sort());
  return log;
}

/**
 * `check` runs `logagent check -c conf.ini > file` with TERM set, the given colour variables and
 * no others, and returns the file. Plain text unless FORCE_COLOR says otherwise, and NO_COLOR wins;
 * the FORCE_COLOR case shows that the first check would have seen codes had there been any.
 */
export function expectCheckColourRule(check: (env: Record<string, string>) => string): void {
  const plain = check({});
  expect(plain).toContain("conf.ini is valid.");
  expect(plain).not.toContain("\x1b");
  expect(check({ FORCE_COLOR: "1" })).toContain("\x1b[32mok\x1b[39m");
  expect(check({ FORCE_COLOR: "1", NO_COLOR: "1" })).toBe(plain);
}
