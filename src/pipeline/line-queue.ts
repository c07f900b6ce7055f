// The bounded hand-over between tailers (producers) and the Kafka sink
// (consumer). Its bounds count every line read and not yet acknowledged,
// including those in a request on the wire, so that memory stays bounded
// while Kafka is away: tailers ask for `room()` and stop reading at zero.
import type { Output } from "../discovery/entry-output";
import type { DeliveryTracker } from "./delivery-tracker";

/**
 * One line on its way to Kafka: a plain record, not a handle on the file it came from, so that the
 * Kafka side needs nothing from the tailers. Acknowledging it means settling `ticket` on `tracker`.
 */
export interface LineRecord {
  output: Output;
  value: Uint8Array;
  /** The file's name (the `path` header), and where the line starts (the `offset` header) and ends in it. */
  path: string;
  start: number;
  end: number;
  /** Settling `ticket` on `tracker` when Kafka acknowledges the line lets the file's position move. */
  tracker: DeliveryTracker;
  ticket: number;
  /** When the line was read, in ms since the epoch (the JSON envelope's timestamp). */
  time: number;
}

/**
 * Memory a queued line costs beyond its bytes: the record and its byte view, the Kafka message,
 * key and header objects once it is sent, and the allocator's share. Measured on Bun 1.4.5 as
 * resident memory per held line while Kafka was away (test/e2e/kafka-outage.test.ts): 320 to 450
 * bytes; counted with a margin so that max_buffer_bytes bounds resident memory, not just the bytes
 * of the lines.
 */
export const RECORD_OVERHEAD_BYTES = 512;

/** How much the queue can still take. A tailer decrements it for each line it hands over. */
export interface Room {
  lines: number;
  bytes: number;
}

export class LineQueue {
  private items: LineRecord[] = [];
  private head = 0;
  private inFlight = 0;
  private bytesHeld = 0;
  private itemWaiters: (() => void)[] = [];
  private roomWaiters: (() => void)[] = [];
  private itemsReady: Promise<void> | null = null;

  constructor(
    readonly maxLines: number,
    readonly maxBytes: number,
  ) {}

  /** Lines waiting to be taken by the sink. */
  get pending(): number {
    return this.items.length - this.head;
  }

  /** Lines taken by the sink and not yet settled. */
  get unsettled(): number {
    return this.inFlight;
  }

  /** Bytes held by lines queued or in flight, with their overhead. */
  get bytes(): number {
    return this.bytesHeld;
  }

  room(): Room {
    return { lines: Math.max(0, this.maxLines - this.pending - this.inFlight), bytes: Math.max(0, this.maxBytes - this.bytesHeld) };
  }

  full(): boolean {
    const r = this.room();
    return r.lines === 0 || r.bytes === 0;
  }

  /** Queues a line; returns the bytes it counts against the bound. */
  push(record: LineRecord): number {
    const cost = record.value.length + RECORD_OVERHEAD_BYTES;
    this.items.push(record);
    this.bytesHeld += cost;
    if (this.itemWaiters.length) this.wake("itemWaiters");
    return cost;
  }

  /** Moves up to `max` lines, oldest first, to the in-flight set: they still count against the bounds until settled. */
  take(max: number): LineRecord[] {
    const end = Math.min(this.items.length, this.head + Math.max(0, max));
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

  /** The sink is done with these taken lines (acknowledged by Kafka, or given up at shutdown). */
  settle(batch: LineRecord[]): void {
    this.inFlight -= batch.length;
    for (const r of batch) this.bytesHeld -= r.value.length + RECORD_OVERHEAD_BYTES;
    if (this.roomWaiters.length && !this.full()) this.wake("roomWaiters");
  }

  /** Resolves when there is at least one line to take. */
  whenItems(): Promise<void> {
    if (this.pending > 0) return Promise.resolve();
    // One shared promise: a caller that also waits on a timer and gives up does not leave a waiter behind.
    this.itemsReady ??= new Promise<void>((resolve) => this.itemWaiters.push(resolve)).finally(() => (this.itemsReady = null));
    return this.itemsReady;
  }

  /** Resolves when a tailer may read again. */
  whenRoom(): Promise<void> {
    return !this.full() ? Promise.resolve() : new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  private wake(which: "itemWaiters" | "roomWaiters"): void {
    const waiters = this[which];
    this[which] = [];
    for (const w of waiters) w();
  }
}
