// An application writing numbered lines through a handle it keeps open, the
// way real programs write logs, so that rotation tests see what logrotate's
// writers really do: after a rename the handle still points at the old file
// until the program reopens its path; after copytruncate it appends at the
// new end. The writer remembers which line numbers went into which file, so a
// test can check order within each file even when the files are read side by side.
import { closeSync, copyFileSync, existsSync, openSync, renameSync, truncateSync, unlinkSync, writeSync } from "node:fs";

/** Line numbers [from, to) written to one file (one handle), in order. */
export interface Segment {
  from: number;
  to: number;
}

export class LogWriter {
  /** The number the next line gets. */
  next = 0;
  readonly segments: Segment[] = [];
  private fd: number | null = null;

  constructor(
    readonly file: string,
    readonly prefix: string,
    /** Padding after the number (starting with a space); support/scenario.ts's compare ignores it. */
    private readonly tail = "",
  ) {
    this.reopen();
  }

  /** Appends `count` lines in one write. */
  write(count: number): void {
    if (this.fd === null) throw new Error(`${this.file}: writer is closed`);
    let text = "";
    for (let i = 0; i < count; i++) text += `${this.prefix}-${this.next++}${this.tail}\n`;
    writeSync(this.fd, text);
    this.segments.at(-1)!.to = this.next;
  }

  /** Writes `total` lines, `perStep` at a time with `stepMs` between writes. */
  async writeFor(total: number, perStep: number, stepMs: number): Promise<void> {
    for (let done = 0; done < total; done += perStep) {
      this.write(Math.min(perStep, total - done));
      await Bun.sleep(stepMs);
    }
  }

  /** Closes the handle and opens the path again (creating it if it was renamed or deleted), as after logrotate's `postrotate`. */
  reopen(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = openSync(this.file, "a");
    this.segments.push({ from: this.next, to: this.next });
  }

  /**
   * logrotate's default (create) mode with `rotate keep`: file.N-1 becomes file.N, ..., the live file
   * becomes file.1. The handle still points at the renamed file; call reopen() when the program would.
   */
  rotateRename(keep = 1000): void {
    for (let n = keep - 1; n >= 1; n--) {
      if (existsSync(`${this.file}.${n}`)) renameSync(`${this.file}.${n}`, `${this.file}.${n + 1}`);
    }
    renameSync(this.file, `${this.file}.1`);
  }

  /**
   * logrotate's copytruncate: copy the file aside, then truncate it in place. The handle (O_APPEND)
   * goes on writing at the new end. Lines written between the copy and the truncate would be lost;
   * the caller pauses writing around this call, as the race cannot be closed from outside the writer.
   */
  copyTruncate(copy: string): void {
    copyFileSync(this.file, copy);
    truncateSync(this.file, 0);
  }

  /** Deletes the path; the handle goes on writing into the deleted file until closed or reopened. */
  unlink(): void {
    unlinkSync(this.file);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/**
 * Lines (values `${prefix}-${n}[ padding]`) whose first arrival came before a line written earlier to
 * the same file, judging files by the writer's segments. Repeats are judged by compare() instead.
 */
export function outOfOrderWithin(values: string[], prefix: string, segments: Segment[]): number {
  const last = new Map<Segment, number>();
  const seen = new Set<number>();
  let bad = 0;
  for (const v of values) {
    const head = v.split(" ", 1)[0]!;
    if (!head.startsWith(prefix + "-")) continue;
    const n = Number(head.slice(prefix.length + 1));
    if (seen.has(n)) continue;
    seen.add(n);
    const seg = segments.find((s) => n >= s.from && n < s.to);
    if (!seg) continue;
    if (n < (last.get(seg) ?? -1)) bad++;
    last.set(seg, Math.max(n, last.get(seg) ?? -1));
  }
  return bad;
}
