// Keeps the saved position of every file: each move is recorded as Kafka's
// acknowledgements make it (`moved`, appended to the store's journal, no
// fsync), and every position is written durably on an interval and at
// shutdown. Nothing of this runs per line: a move is recorded per batch of
// acknowledgements.
//
// A position is a tracked file's `acked` offset: it only moves when Kafka has
// acknowledged every line before it. So after a crash of the process the agent
// re-reads only what was in flight, and after a crash of the machine at most
// what was acknowledged since the last interval; it never skips a line.
import type { DeliveryTracker } from "../pipeline/delivery-tracker";
import { identityKey, type FileIdentity } from "../tail/file-identity";
import type { Logger } from "../telemetry/logger";
import type { PositionStore, SavedPosition } from "./saved-position";
import type { TrackedFile } from "./tracked-file";

export interface CheckpointerOptions {
  intervalMs: number;
  /** A file not seen open for this long is forgotten. */
  forgetAfterMs: number;
  /** Files just forgotten, by identity key (exactly_once deletes their positions from Kafka too). */
  onForget?: (fileKeys: string[]) => void;
}

export class Checkpointer {
  private known = new Map<string, SavedPosition>();
  /** Files whose positions are still moving: open, or closed with lines not yet acknowledged. */
  private live = new Map<string, TrackedFile>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastHour = -1;
  /** Set when a reader is tracked: its position must be saved even if it looks like the saved one. */
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();
  private failing = false;
  private flushSoon = false;

  constructor(
    private readonly store: PositionStore,
    private readonly options: CheckpointerOptions,
    private readonly log: Logger,
  ) {}

  async load(): Promise<void> {
    for (const p of await this.store.load()) this.known.set(identityKey(p.identity), p);
    this.log.info("Loaded saved positions.", { store: this.store.description, files: this.known.size });
  }

  /**
   * Kafka's acknowledgements moved these files' positions: recorded at once in the store's journal,
   * so that a crash of the process re-sends only what was in flight after them.
   */
  moved(trackers: Iterable<DeliveryTracker>): void {
    if (!this.store.record) return;
    const now = Date.now();
    const positions: SavedPosition[] = [];
    for (const t of trackers) {
      const reader = this.live.get(t.fileKey);
      if (!reader) continue;
      const position = this.positionOf(reader, now);
      this.known.set(t.fileKey, position);
      positions.push(position);
    }
    // The next interval writes them durably (for a crash of the machine, which the journal does not survive).
    if (positions.length > 0) this.dirty = true;
    this.store.record(positions);
  }

  /**
   * Where this file was: a reader still following it (its entry was just replaced by another that
   * names the same file) gives its read position, so the new reader neither repeats nor skips lines.
   */
  find(identity: FileIdentity): SavedPosition | undefined {
    const key = identityKey(identity);
    const live = this.live.get(key);
    if (live) return { ...this.positionOf(live, Date.now()), offset: live.offset };
    return this.known.get(key);
  }

  /**
   * The position the file `fileKey` would have at `offset`: what an exactly_once transaction commits
   * with its lines. Undefined when the file is not followed any more.
   */
  preview(fileKey: string, offset: number): SavedPosition | undefined {
    const reader = this.live.get(fileKey);
    return reader ? { ...this.positionOf(reader, Date.now()), offset } : undefined;
  }

  /**
   * Positions committed in Kafka (exactly_once), read at start before any file is opened: each one
   * replaces the saved position of its file when it is further on, or when none is saved (state_dir
   * lost). A saved position further on is kept: it moved past lines that send nothing (filtered).
   * Returns how many were taken.
   */
  adopt(committed: Iterable<SavedPosition>): number {
    let taken = 0;
    for (const p of committed) {
      const key = identityKey(p.identity);
      const saved = this.known.get(key);
      if (saved && saved.offset >= p.offset) continue;
      this.known.set(key, p);
      taken++;
    }
    if (taken > 0) this.dirty = true;
    return taken;
  }

  /** Saved positions of files last read under `path`. */
  under(path: string): SavedPosition[] {
    return [...this.known.values()].filter((p) => p.path === path);
  }

  /**
   * Starts saving the position of a newly opened reader, and saves soon rather than at the next
   * interval: if this file is rotated away while the agent is down, the saved identity is the only
   * way to find it again.
   */
  track(reader: TrackedFile): void {
    const key = identityKey(reader.identity);
    this.live.set(key, reader);
    const position = this.positionOf(reader, Date.now());
    this.known.set(key, position);
    this.store.record?.([position]);
    this.dirty = true;
    if (!this.flushSoon) {
      this.flushSoon = true;
      setImmediate(() => {
        this.flushSoon = false;
        void this.flush();
      });
    }
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.intervalMs);
  }

  /** Writes the final positions; called after the Kafka side has stopped. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
    this.store.close?.();
  }

  /** Brings every position up to date and writes them if anything changed. Writes never overlap. */
  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.write());
    return this.writing;
  }

  private async write(): Promise<void> {
    const now = Date.now();
    // Only what changed is rebuilt: with a thousand idle files this runs every interval for nothing.
    let changed = this.dirty;
    this.dirty = false;
    for (const [key, reader] of this.live) {
      const saved = this.known.get(key);
      const fingerprint = reader.refreshFingerprint();
      if (!saved || saved.offset !== reader.acked || saved.fingerprint !== fingerprint) {
        this.known.set(key, this.positionOf(reader, now));
        changed = true;
      } else saved.seenAt = now;
      if (reader.closed && reader.acked >= reader.offset) this.live.delete(key);
    }
    const forgotten: string[] = [];
    for (const [key, p] of this.known) {
      if (!this.live.has(key) && now - p.seenAt > this.options.forgetAfterMs) {
        this.known.delete(key);
        forgotten.push(key);
        changed = true;
      }
    }
    if (forgotten.length > 0) this.options.onForget?.(forgotten);
    // seenAt alone does not make a write, except once an hour, so that the saved seenAt of an idle
    // open file stays recent enough not to be forgotten after a restart.
    const hour = Math.floor(now / 3_600_000);
    if (hour !== this.lastHour) changed = true;
    if (!changed) return;
    const positions = [...this.known.values()];
    try {
      await this.store.save(positions);
      this.lastHour = hour;
      if (this.failing) this.log.info("Positions are saved again.", { store: this.store.description });
      this.failing = false;
    } catch (err) {
      if (!this.failing) {
        this.log.error("Cannot save positions; after a restart, lines acknowledged since the last save would be sent again.", {
          store: this.store.description,
          error: err,
        });
      }
      this.failing = true;
      this.dirty = true; // try again at the next interval
    }
  }

  private positionOf(reader: TrackedFile, now: number): SavedPosition {
    return {
      identity: reader.identity,
      fingerprint: reader.refreshFingerprint(),
      offset: reader.acked,
      path: reader.entryPath,
      file: reader.path,
      seenAt: now,
    };
  }
}
