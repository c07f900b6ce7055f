// Runs one Tailer per collect entry and polls them all from one loop. It does
// not know where entries come from (etcd or the INI): whoever owns the list
// calls `apply` with the whole new list, and the server starts, stops or
// re-targets tailers to match.
import type { CollectEntry, StartFrom } from "../discovery/collect-entry";
import type { LineQueue } from "../pipeline/line-queue";
import type { Logger } from "../telemetry/logger";
import type { LineSink } from "./file-reader";
import { Tailer, type PositionBook } from "./tailer";

export interface FileServerOptions {
  pollIntervalMs: number;
  rotateWaitMs: number;
  from: StartFrom;
  positions: PositionBook;
}

export class FileServer {
  private tailers = new Map<string, Tailer>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  private waitingForRoom = false;

  constructor(
    private readonly options: FileServerOptions,
    private readonly queue: LineQueue,
    private readonly log: Logger,
  ) {}

  /** Makes the running tailers match `entries`: start the new, stop the removed, re-target a changed topic. */
  apply(entries: CollectEntry[]): void {
    const wanted = new Map(entries.map((e) => [e.path, e]));
    for (const [path, tailer] of this.tailers) {
      if (wanted.has(path)) continue;
      tailer.stop();
      this.tailers.delete(path);
      this.log.info("Stopped collecting file; it is closed.", { path, topic: tailer.topic });
    }
    for (const entry of entries) {
      const tailer = this.tailers.get(entry.path);
      if (!tailer) {
        this.tailers.set(entry.path, this.createTailer(entry));
        this.log.info("Started collecting file.", { path: entry.path, topic: entry.topic });
      } else if (tailer.topic !== entry.topic) {
        this.log.info("Topic changed; later lines go to the new topic.", { path: entry.path, from: tailer.topic, to: entry.topic });
        tailer.topic = entry.topic;
      }
    }
    if (this.running) this.schedule(0);
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
  }

  openFiles(): number {
    let n = 0;
    for (const t of this.tailers.values()) n += t.openFiles();
    return n;
  }

  private createTailer(entry: CollectEntry): Tailer {
    return new Tailer(
      entry.path,
      entry.topic,
      { rotateWaitMs: this.options.rotateWaitMs, from: entry.from ?? this.options.from, positions: this.options.positions },
      this.log.child("tail"),
    );
  }

  private schedule(delayMs: number): void {
    if (!this.running || this.waitingForRoom) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.pass(), delayMs);
  }

  /** One pass over every tailer. Runs again at once while files have more to read and the queue has room. */
  private pass(): void {
    this.timer = null;
    if (!this.running) return;
    const now = performance.now();
    let more = false;
    const room = this.queue.room();
    for (const tailer of this.tailers.values()) {
      const sink: LineSink = (value, source, start, end) => {
        room.bytes -= this.queue.push({ topic: tailer.topic, value, source, start, end, epoch: source.epoch });
        room.lines--;
      };
      more ||= tailer.poll(now, room, sink).more;
    }
    if (this.queue.full()) {
      // Back-pressure: Kafka is slow or away. Sleep until the sink settles lines, not on a timer.
      this.waitingForRoom = true;
      this.queue.whenRoom().then(() => {
        this.waitingForRoom = false;
        this.schedule(0);
      });
    } else {
      this.schedule(more ? 0 : this.options.pollIntervalMs);
    }
  }
}
