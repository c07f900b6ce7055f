// The bounded hand-over between tailers (producers) and the Kafka sink
// (consumer), in blocks of lines (line-block.ts). Its bounds count every line
// read and not yet acknowledged, including those in a request on the wire, so
// that memory stays bounded while Kafka is away: tailers ask for `room()`,
// count it down as they read, and stop at zero.
import { LINE_OVERHEAD_BYTES, type LineBlock } from "./line-block";

/** How much the queue can still take. A reader counts it down for each line it hands over. */
export interface Room {
  lines: number;
  bytes: number;
}

/** What a block counts against max_buffer_bytes: its lines' bytes and their overhead. */
export const costOf = (block: LineBlock): number => block.valueBytes + block.count * LINE_OVERHEAD_BYTES;

export class LineQueue {
  private items: LineBlock[] = [];
  private pendingLines = 0;
  private inFlight = 0;
  private bytesHeld = 0;
  private itemWaiters: (() => void)[] = [];
  private roomWaiters: (() => void)[] = [];
  private itemsReady: Promise<void> | null = null;

  constructor(
    /** chan_max_size: the most lines held. */
    readonly maxLines: number,
    /** max_buffer_bytes: the most bytes held, overhead included. */
    readonly maxBytes: number,
  ) {}

  /** Lines waiting to be taken by the sink. */
  get pending(): number {
    return this.pendingLines;
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
    return { lines: Math.max(0, this.maxLines - this.pendingLines - this.inFlight), bytes: Math.max(0, this.maxBytes - this.bytesHeld) };
  }

  full(): boolean {
    const r = this.room();
    return r.lines === 0 || r.bytes === 0;
  }

  /** Queues a block of lines. */
  push(block: LineBlock): void {
    this.items.push(block);
    this.pendingLines += block.count;
    this.bytesHeld += costOf(block);
    if (this.itemWaiters.length) this.wake("itemWaiters");
  }

  /** Moves every waiting block, oldest first, to the in-flight set: they still count against the bounds until settled. */
  takeAll(): LineBlock[] {
    const taken = this.items;
    this.items = [];
    this.inFlight += this.pendingLines;
    this.pendingLines = 0;
    return taken;
  }

  /** Kafka acknowledged every line of `block` (or the sink gave it up at shutdown). */
  settle(block: LineBlock): void {
    this.inFlight -= block.count;
    this.bytesHeld -= costOf(block);
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
