// The bounded hand-over between tailers (producers) and the Kafka sink
// (consumer). Its bound counts every line read and not yet acknowledged,
// including those in a request on the wire, so that memory stays bounded
// while Kafka is away: tailers ask for `room()` and stop reading at zero.
import type { FileReader } from "../tail/file-reader";

export interface LineRecord {
  topic: string;
  value: Uint8Array;
  /** The file the line came from, and the offset just after it, for delivery-gated positions. */
  source: FileReader;
  end: number;
}

export class LineQueue {
  private items: LineRecord[] = [];
  private head = 0;
  private inFlight = 0;
  private itemWaiters: (() => void)[] = [];
  private roomWaiters: (() => void)[] = [];

  constructor(readonly maxLines: number) {}

  /** Lines waiting to be taken by the sink. */
  get pending(): number {
    return this.items.length - this.head;
  }

  /** Lines taken by the sink and not yet settled. */
  get unsettled(): number {
    return this.inFlight;
  }

  room(): number {
    return Math.max(0, this.maxLines - this.pending - this.inFlight);
  }

  push(record: LineRecord): void {
    this.items.push(record);
    if (this.itemWaiters.length) this.wake("itemWaiters");
  }

  /** Moves up to `maxMessages` lines and about `maxBytes` bytes (at least one line) to the in-flight set. */
  take(maxMessages: number, maxBytes: number): LineRecord[] {
    let end = this.head;
    let bytes = 0;
    while (end < this.items.length && end - this.head < maxMessages) {
      const size = this.items[end]!.value.length;
      if (end > this.head && bytes + size > maxBytes) break;
      bytes += size;
      end++;
    }
    const batch = this.items.slice(this.head, end);
    this.head = end;
    // Compact now and then rather than shift() per line, which is O(n).
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.inFlight += batch.length;
    return batch;
  }

  /** The sink is done with `count` taken lines (acknowledged by Kafka, or given up at shutdown). */
  settle(count: number): void {
    this.inFlight -= count;
    if (this.roomWaiters.length && this.room() > 0) this.wake("roomWaiters");
  }

  /** Resolves when there is at least one line to take. */
  whenItems(): Promise<void> {
    return this.pending > 0 ? Promise.resolve() : new Promise((resolve) => this.itemWaiters.push(resolve));
  }

  /** Resolves when a tailer may read again. */
  whenRoom(): Promise<void> {
    return this.room() > 0 ? Promise.resolve() : new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  private wake(which: "itemWaiters" | "roomWaiters"): void {
    const waiters = this[which];
    this[which] = [];
    for (const w of waiters) w();
  }
}
