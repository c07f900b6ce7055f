// Reads the agent's own log when it goes to a file (`[agent] log_file`): the current file and
// its rotated copies NAME.log.1 (newest) ... NAME.log.N (oldest).
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
