// Runs one Tailer per collect entry and polls them all from one loop. It does
// not know where entries come from (etcd or the INI): whoever owns the list
// calls `apply` with the whole new list, and the server starts, stops or
// re-targets tailers to match. It also owns what tailers share: the slots of
// max_open_files, which entry reads which file, and the folder watchers.
//
// The loop sleeps until the earliest tailer is due (every poll_interval_ms at
// most while a file is busy, up to idle_poll_max_ms when all are quiet), so a
// thousand quiet files cost a few wake-ups a second, not ten passes over all of
// them. A folder watcher's hint wakes it at once (see folder-watch.ts).
import type { Output } from "../discovery/entry-output";
import type { ResolvedEntry } from "../discovery/resolve-entries";
import type { LineQueue } from "../pipeline/line-queue";
import { flowMeter } from "../telemetry/agent-metrics";
import type { Logger } from "../telemetry/logger";
import type { LineSink } from "./file-reader";
import type { TailSettings } from "./tail-settings";
import { identityKey, type FileIdentity } from "./file-identity";
import { FolderWatch, type WatchFolder } from "./folder-watch";
import { OpenFiles } from "./open-files";
import { Tailer, type Claims, type EntryDescription, type FileDescription, type PositionBook } from "./tailer";

export interface FileServerOptions {
  pollIntervalMs: number;
  idlePollMaxMs: number;
  rotateWaitMs: number;
  rescanIntervalMs: number;
  maxOpenFiles: number;
  positions: PositionBook;
  /** Called when `generation` moves (the agent's status is written on it). */
  onChange?: () => void;
  /** Folder watching (default: Bun's fs.watch); false polls only. A test may pass a watcher that fails. */
  watch?: WatchFolder | false;
}

export class FileServer {
  private tailers = new Map<string, Tailer>();
  /** The tailers as an array, rebuilt when the list changes rather than on every pass. */
  private order: Tailer[] = [];
  /** Topics Kafka refuses for now (see KafkaSink); their tailers do not read until the topic is back. */
  private blocked = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** When the timer fires (performance.now() ms). */
  private timerAt = Infinity;
  private running = false;
  private readonly watch: FolderWatch | null;
  private waitingForRoom = false;
  private passes = 0;
  /** Counts changes that describe() shows other than by counters (see `generation`). */
  private changes = 0;
  private readonly changed = () => {
    this.changes++;
    this.options.onChange?.();
  };
  private readonly openSlots: OpenFiles;
  /** Which entry reads each file (by identity key). */
  private readonly owners = new Map<string, string>();
  private readonly claims: Claims = {
    claim: (identity: FileIdentity, entry: string) => {
      const key = identityKey(identity);
      const owner = this.owners.get(key);
      if (owner !== undefined && owner !== entry) return owner;
      this.owners.set(key, entry);
      return null;
    },
    release: (identity: FileIdentity, entry: string) => {
      const key = identityKey(identity);
      if (this.owners.get(key) === entry) this.owners.delete(key);
    },
  };

  constructor(
    private readonly options: FileServerOptions,
    private readonly queue: LineQueue,
    private readonly log: Logger,
  ) {
    this.openSlots = new OpenFiles(options.maxOpenFiles);
    this.watch = options.watch === false ? null : new FolderWatch(log.child("watch"), () => this.hinted(), options.watch);
  }

  /** Makes the running tailers match `entries`: start the new, stop the removed, re-target a changed output. */
  apply(entries: ResolvedEntry[]): void {
    const wanted = new Map(entries.map((e) => [e.entry.path, e]));
    for (const [path, tailer] of this.tailers) {
      if (wanted.has(path)) continue;
      tailer.stop();
      this.tailers.delete(path);
      this.log.info("Stopped collecting file; it is closed.", { path, topic: tailer.output.topic });
    }
    for (const { entry, output, tail } of entries) {
      const tailer = this.tailers.get(entry.path);
      if (tailer && tailer.settings.signature !== tail.signature) {
        this.log.info("Reading settings changed; later lines use them.", { path: entry.path });
        tailer.settings = tail;
      }
      if (!tailer) {
        this.tailers.set(entry.path, this.createTailer(entry.path, output, tail));
        this.log.info("Started collecting file.", { path: entry.path, topic: output.topic });
      } else if (tailer.output.topic !== output.topic) {
        this.log.info("Topic changed; later lines go to the new topic.", { path: entry.path, from: tailer.output.topic, to: output.topic });
        tailer.output = output;
        tailer.meter = flowMeter(entry.path, output.topic);
      } else if (JSON.stringify(tailer.output) !== JSON.stringify(output)) {
        this.log.info("Output settings changed; later lines use them.", { path: entry.path, topic: output.topic });
        tailer.output = output;
      }
    }
    this.order = [...this.tailers.values()];
    this.changed();
    if (this.running) this.schedule(0);
  }

  /** Kafka refuses `topic` (or accepts it again): pause or resume reading the files that go there. */
  setBlocked(topic: string, blocked: boolean): void {
    if (blocked) {
      if (!this.blocked.has(topic)) this.changed();
      this.blocked.add(topic);
    } else if (this.blocked.delete(topic)) {
      this.changed();
      if (this.running) this.schedule(0);
    }
  }

  start(): void {
    this.running = true;
    this.schedule(0);
  }

  /** Stops reading and closes every file. Lines already queued stay queued. */
  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const tailer of this.tailers.values()) tailer.stop();
    this.tailers.clear();
    this.order = [];
    this.watch?.close();
  }

  /**
   * A number that moves whenever describe() would show more than moved counters: the list, a file
   * found or gone, an error, a topic blocked (onChange is called as it moves). The status compares
   * it instead of describing a thousand files.
   */
  get generation(): number {
    return this.changes;
  }

  /** Every entry and every followed file, from memory (see Tailer.describeFiles). */
  describe(now = performance.now()): { entries: (EntryDescription & { blocked: boolean })[]; files: FileDescription[] } {
    const entries: (EntryDescription & { blocked: boolean })[] = [];
    const files: FileDescription[] = [];
    for (const tailer of this.order) {
      entries.push({ ...tailer.describe(), blocked: this.blocked.has(tailer.output.topic) });
      tailer.describeFiles(now, files);
    }
    return { entries, files };
  }

  /** Topics Kafka refuses for now. */
  blockedTopics(): string[] {
    return [...this.blocked];
  }

  openFiles(): number {
    let n = 0;
    for (const t of this.tailers.values()) n += t.openFiles();
    return n;
  }

  private createTailer(path: string, output: Output, settings: TailSettings): Tailer {
    return new Tailer(
      path,
      output,
      {
        rotateWaitMs: this.options.rotateWaitMs,
        baseIntervalMs: this.options.pollIntervalMs,
        idleMaxMs: this.options.idlePollMaxMs,
        rescanIntervalMs: this.options.rescanIntervalMs,
        settings,
        positions: this.options.positions,
        openFiles: this.openSlots,
        claims: this.claims,
        changed: this.changed,
        ...(this.watch ? { watch: this.watch } : {}),
      },
      this.log.child("tail"),
    );
  }

  private schedule(delayMs: number): void {
    if (!this.running || this.waitingForRoom) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = performance.now() + delayMs;
    this.timer = setTimeout(() => this.pass(), delayMs);
  }

  /** A folder watcher gave hints: pass at once, unless a pass is already about to run. */
  private hinted(): void {
    if (this.timer && this.timerAt <= performance.now()) return;
    this.schedule(0);
  }

  /** One pass over every tailer. Runs again at once while files have more to read and the queue has room. */
  private pass(): void {
    this.timer = null;
    if (!this.running) return;
    const now = performance.now();
    const time = Date.now();
    let more = false;
    const room = this.queue.room();
    // Start each pass at the next tailer: when the queue is nearly full, the first tailers polled
    // take the room, and a fixed order would starve the last ones.
    const tailers = this.order;
    const first = tailers.length ? this.passes++ % tailers.length : 0;
    let dueAt = Infinity;
    for (let i = 0; i < tailers.length; i++) {
      const tailer = tailers[(first + i) % tailers.length]!;
      // A blocked topic's tailers are passed over until setBlocked lets them go (and schedules a pass).
      if (this.blocked.has(tailer.output.topic)) continue;
      if (!tailer.due(now)) {
        dueAt = Math.min(dueAt, tailer.dueAt);
        continue;
      }
      const output = tailer.output;
      const meter = tailer.meter;
      // The reader counts `room` down as it reads; each block it hands over is queued whole.
      const sink: LineSink = (block) => {
        block.output = output;
        block.time = time;
        block.meter = meter;
        meter.readLines.inc(block.count);
        meter.readBytes.inc(block.valueBytes);
        this.queue.push(block);
      };
      // Not `more ||= tailer.poll(...)`: that would skip polling every tailer after the first busy one.
      if (tailer.poll(now, room, sink).more) more = true;
      dueAt = Math.min(dueAt, tailer.dueAt);
    }
    this.watch?.retry();
    if (this.queue.full()) {
      // Back-pressure: Kafka is slow or away. Sleep until the sink settles lines, not on a timer.
      this.waitingForRoom = true;
      this.queue.whenRoom().then(() => {
        this.waitingForRoom = false;
        this.schedule(0);
      });
    } else {
      // Busy files are due again at once and polled every poll_interval_ms; quiet ones later, and the
      // loop sleeps until then (idle_poll_max_ms at most, also with nothing to follow).
      const { pollIntervalMs, idlePollMaxMs } = this.options;
      this.schedule(more ? 0 : Math.min(Math.max(dueAt - now, pollIntervalMs), Math.max(idlePollMaxMs, pollIntervalMs)));
    }
  }
}
