// Follows one path through rotations. The path is only a name: what is read
// are FileReaders, one per file (identity) that has had this name.
//
// Rotation order matters for "no line lost": when the path starts naming a
// new file (rename + create) or nothing (delete), the old file is not closed
// at once. It keeps being read, before the new one, until it has not grown for
// `rotateWaitMs`, because a writer may still append to the handle it holds.
import { closeSync, fstatSync, openSync, readdirSync, statSync, type BigIntStats } from "node:fs";
import path from "node:path";
import type { SavedPosition } from "../checkpoint/saved-position";
import type { StartFrom } from "../discovery/collect-entry";
import type { Output } from "../kafka/output";
import type { Logger } from "../telemetry/logger";
import { identityOf, sameFile, type FileIdentity } from "./file-identity";
import { FileReader, type LineSink, type Room } from "./file-reader";

/** What the tailer needs from saved positions (the Checkpointer). */
export interface PositionBook {
  find(identity: FileIdentity): SavedPosition | undefined;
  /** Saved positions of files last read under a path. */
  under(path: string): SavedPosition[];
  /** A reader was opened: save its position from now on. */
  track(reader: FileReader): void;
}

/** Checks without news before an idle file starts to be polled less often. */
const IDLE_CHECKS_AT_BASE_RATE = 8;

export interface TailerOptions {
  rotateWaitMs: number;
  /** The file server's poll interval, the rate a busy file is checked at. */
  baseIntervalMs: number;
  /** The longest an idle file goes unchecked. */
  idleMaxMs: number;
  /** Where a file found at the path when the entry starts is read from, if nothing was saved about the path. */
  from: StartFrom;
  positions: PositionBook;
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
  private idleChecks = 0;
  private nextPollAt = 0;

  constructor(
    readonly path: string,
    /** Changing it sends later lines to the new topic (or settings); lines already read keep theirs. */
    public output: Output,
    private readonly options: TailerOptions,
    private readonly log: Logger,
  ) {}

  /** Reads what is new, as much as `room` allows. `now` is a monotonic clock in ms. */
  /** Whether poll() would look at the file now (an idle file is looked at less often). */
  due(now: number): boolean {
    return !this.stopped && now >= this.nextPollAt;
  }

  poll(now: number, room: Room, sink: LineSink): PollResult {
    if (!this.due(now)) return { lines: 0, more: false };
    const result = this.pollNow(now, room, sink);
    // An idle file is looked at less and less often, down to every idleMaxMs: with a thousand quiet
    // files, polling each at the base rate would cost several percent of a core. Any change (new
    // bytes, a rotation, a file still draining) brings it back to the base rate.
    const busy = result.lines > 0 || result.more || this.draining.length > 0 || this.current === null;
    this.idleChecks = busy ? 0 : this.idleChecks + 1;
    const interval = this.idleChecks <= IDLE_CHECKS_AT_BASE_RATE ? 0 : Math.min(this.options.idleMaxMs, this.options.baseIntervalMs * 2 ** (this.idleChecks - IDLE_CHECKS_AT_BASE_RATE));
    this.nextPollAt = now + interval;
    return result;
  }

  private pollNow(now: number, room: Room, sink: LineSink): PollResult {
    let lines = 0;
    let more = false;
    const stats = this.statPath();
    if (this.firstPoll) this.resumeRotatedWhileDown(stats, now);

    // Older files first: their lines were written before the new file's.
    for (const d of [...this.draining]) {
      const r = this.safeRead(d.reader, room, sink);
      lines += r.lines;
      more ||= r.more;
      if (r.size !== d.lastSize || r.lines > 0) {
        d.lastSize = r.size;
        d.lastGrowthAt = now;
      } else if (!r.more && now - d.lastGrowthAt >= this.options.rotateWaitMs && room.lines > 0) {
        lines += d.reader.flushPartial(sink);
        d.reader.close();
        this.draining = this.draining.filter((x) => x !== d);
        this.log.info("Closed rotated file after reading it to the end.", { path: this.path, offset: d.reader.offset });
      }
    }

    if (this.current && (!stats || !sameFile(identityOf(stats), this.current.identity))) {
      this.log.info(stats ? "File was rotated; finishing the old file before following the new one." : "File was removed or renamed; finishing what is left of it.", { path: this.path });
      this.draining.push({ reader: this.current, lastGrowthAt: now, lastSize: -1 });
      this.current = null;
    }
    if (!this.current && stats) this.current = this.open(this.path, this.firstPoll);
    else if (!stats && !this.current && !this.missingLogged) {
      this.missingLogged = true;
      this.log.info("File does not exist yet; waiting for it to appear.", { path: this.path });
    }
    this.firstPoll = false;

    if (this.current) {
      const r = this.safeRead(this.current, room, sink);
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

  /**
   * A file read under this path before a restart, but no longer at the path (rotated while the agent
   * was down), still has unsent lines after its saved position. Look for it by identity beside the
   * path (app.log.1, app-2026-11-25.log, ...) and drain it before the file now at the path.
   */
  private resumeRotatedWhileDown(stats: BigIntStats | null, now: number): void {
    const lost = this.options.positions
      .under(this.path)
      .filter((p) => !stats || !sameFile(p.identity, identityOf(stats)));
    if (lost.length === 0) return;
    const dir = path.dirname(this.path);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const candidate = path.join(dir, name);
      let s: BigIntStats;
      try {
        s = statSync(candidate, { bigint: true });
      } catch {
        continue;
      }
      if (!s.isFile() || !lost.some((p) => sameFile(p.identity, identityOf(s)))) continue;
      const reader = this.open(candidate, false, true);
      if (!reader) continue;
      if (reader.offset >= reader.size()) {
        reader.close(); // read to its end before; its position stays saved until it is forgotten
        continue;
      }
      this.log.info("Found a file rotated while the agent was down; sending what was left of it first.", { path: this.path, file: candidate, offset: reader.offset });
      this.draining.push({ reader, lastGrowthAt: now, lastSize: -1 });
    }
  }

  /**
   * Opens `file` and decides where to start: at its saved position if this very file (identity and
   * fingerprint) was read before; by the `from` policy if it is found at the path when the entry
   * starts and nothing was ever read under this path; otherwise (a new file after a rotation, a
   * file that appeared later, a reused inode) at 0.
   */
  private open(file: string, firstSight: boolean, onlyIfSaved = false): FileReader | null {
    let fd: number;
    let stats: BigIntStats;
    try {
      fd = openSync(file, "r");
    } catch (err) {
      this.log.error("Cannot open file; will retry on the next poll.", { path: file, error: err });
      return null;
    }
    try {
      stats = fstatSync(fd, { bigint: true });
    } catch (err) {
      closeSync(fd);
      this.log.error("Cannot stat opened file; will retry.", { path: file, error: err });
      return null;
    }
    // Identity comes from the open handle, not an earlier path stat: if the path was switched in
    // between, the next poll sees that the path names another file and drains this one.
    const identity = identityOf(stats);
    const size = Number(stats.size);
    const reader = new FileReader(fd, identity, this.path, 0);
    const saved = this.options.positions.find(identity);
    let offset = 0;
    let because = "new file";
    if (saved && reader.startsWith(saved.fingerprint)) {
      offset = saved.offset <= size ? saved.offset : 0;
      because = saved.offset <= size ? "saved position" : "saved position is past the end (truncated while down)";
    } else if (saved) {
      because = "inode reused by a different file";
    } else if (firstSight && this.options.positions.under(this.path).length === 0) {
      offset = this.options.from === "end" ? size : 0;
      because = `from = ${this.options.from}`;
    }
    if (onlyIfSaved && because !== "saved position") {
      reader.close(); // the same inode now holds another file: not ours to drain
      return null;
    }
    reader.seek(offset);
    this.options.positions.track(reader);
    if (file === this.path) {
      this.missingLogged = false;
      this.log.info("Following file.", { path: this.path, topic: this.output.topic, offset, size, because });
    }
    return reader;
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

  private safeRead(reader: FileReader, room: Room, sink: LineSink): PollResult & { size: number } {
    try {
      const r = reader.read(room, sink);
      if (r.truncated) this.log.warn("File was truncated; reading it again from the start.", { path: this.path });
      return r;
    } catch (err) {
      this.log.error("Cannot read file; will retry.", { path: this.path, error: err });
      return { lines: 0, more: false, size: -1 };
    }
  }
}
