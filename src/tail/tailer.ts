// Follows one path through rotations. The path is only a name: what is read
// are FileReaders, one per file (identity) that has had this name.
//
// Rotation order matters for "no line lost": when the path starts naming a
// new file (rename + create) or nothing (delete), the old file is not closed
// at once. It keeps being read, before the new one, until it has not grown for
// `rotateWaitMs`, because a writer may still append to the handle it holds.
import { closeSync, fstatSync, openSync, statSync, type BigIntStats } from "node:fs";
import type { Logger } from "../telemetry/logger";
import { identityOf, sameFile } from "./file-identity";
import { FileReader, type LineSink } from "./file-reader";

export interface TailerOptions {
  rotateWaitMs: number;
  /**
   * Where to start in a file just opened. `firstSight` is true for the file found at the path when
   * the entry started; files that appear later (after a rotation, or a missing file created) start at 0.
   */
  startOffset: (reader: { identity: FileReader["identity"]; size: number; firstSight: boolean }) => number;
}

interface Draining {
  reader: FileReader;
  lastGrowthAt: number;
  lastSize: number;
}

export interface PollResult {
  lines: number;
  more: boolean;
}

export class Tailer {
  private current: FileReader | null = null;
  private draining: Draining[] = [];
  private firstPoll = true;
  private missingLogged = false;
  private stopped = false;

  constructor(
    readonly path: string,
    /** Changing it sends later lines to the new topic; lines already read keep theirs. */
    public topic: string,
    private readonly options: TailerOptions,
    private readonly log: Logger,
  ) {}

  /** Reads what is new, at most `room` lines. `now` is a monotonic clock in ms. */
  poll(now: number, room: number, sink: LineSink): PollResult {
    if (this.stopped) return { lines: 0, more: false };
    let lines = 0;
    let more = false;

    // Older files first: their lines were written before the new file's.
    for (const d of [...this.draining]) {
      const r = this.safeRead(d.reader, room - lines, sink);
      lines += r.lines;
      more ||= r.more;
      const size = r.size ?? d.lastSize;
      if (size !== d.lastSize || r.lines > 0) {
        d.lastSize = size;
        d.lastGrowthAt = now;
      } else if (!r.more && now - d.lastGrowthAt >= this.options.rotateWaitMs && room - lines > 0) {
        lines += d.reader.flushPartial(sink);
        d.reader.close();
        this.draining = this.draining.filter((x) => x !== d);
        this.log.info("Closed rotated file after reading it to the end.", { path: this.path, was: d.reader.openedAs });
      }
    }

    const stats = this.statPath();
    if (this.current && (!stats || !sameFile(identityOf(stats), this.current.identity))) {
      this.log.info(stats ? "File was rotated; finishing the old file before following the new one." : "File was removed or renamed; finishing what is left of it.", { path: this.path });
      this.draining.push({ reader: this.current, lastGrowthAt: now, lastSize: -1 });
      this.current = null;
    }
    if (!this.current && stats) this.open();
    else if (!stats && !this.current && !this.missingLogged) {
      this.missingLogged = true;
      this.log.info("File does not exist yet; waiting for it to appear.", { path: this.path });
    }
    this.firstPoll = false;

    if (this.current) {
      const r = this.safeRead(this.current, room - lines, sink);
      lines += r.lines;
      more ||= r.more;
    }
    return { lines, more };
  }

  /** Closes every file this tailer holds. Lines already handed out are not affected. */
  stop(): void {
    this.stopped = true;
    this.current?.close();
    for (const d of this.draining) d.reader.close();
    this.current = null;
    this.draining = [];
  }

  /** How many files this tailer holds open (the current one and rotated ones still being drained). */
  openFiles(): number {
    return (this.current ? 1 : 0) + this.draining.length;
  }

  private statPath(): BigIntStats | null {
    try {
      return statSync(this.path, { bigint: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") this.log.warn("Cannot stat file; will retry.", { path: this.path, error: err });
      return null;
    }
  }

  private open(): void {
    let fd: number;
    let stats: BigIntStats;
    try {
      fd = openSync(this.path, "r");
    } catch (err) {
      this.log.error("Cannot open file; will retry on the next poll.", { path: this.path, error: err });
      return;
    }
    try {
      stats = fstatSync(fd, { bigint: true });
    } catch (err) {
      closeSync(fd);
      this.log.error("Cannot stat opened file; will retry.", { path: this.path, error: err });
      return;
    }
    // Identity comes from the open handle, not the earlier path stat: if the path was switched in
    // between, the next poll sees that the path names another file and drains this one.
    const identity = identityOf(stats);
    const size = Number(stats.size);
    const offset = Math.min(this.options.startOffset({ identity, size, firstSight: this.firstPoll }), size);
    this.current = new FileReader(fd, identity, this.path, offset);
    this.missingLogged = false;
    this.log.info("Following file.", { path: this.path, topic: this.topic, offset, size });
  }

  private safeRead(reader: FileReader, room: number, sink: LineSink): PollResult & { size?: number } {
    try {
      const r = reader.read(room, sink);
      if (r.truncated) this.log.warn("File was truncated; reading it again from the start.", { path: this.path });
      return r;
    } catch (err) {
      this.log.error("Cannot read file; will retry.", { path: this.path, error: err });
      return { lines: 0, more: false };
    }
  }
}
