// The sealed batches of one partition, from sealing until Kafka acknowledges
// them, and which of them may be sent now. Pure bookkeeping, no I/O, so that
// the ordering rules below are unit-tested on their own.
//
// Up to `max` batches are on the wire at once, always sent oldest first on one
// connection, so the broker appends them in that order. When one fails,
// nothing more is sent until every batch on the wire has been answered; then
// the failed ones go again, oldest first, before any batch never sent. So a
// batch is never appended after a later one because it was retried, except
// when the broker refuses one and accepts a later one already on the wire (a
// leader moving, a replica set shrinking): Kafka's own producers share that
// limit, and the idempotent producer removes it, because the broker then
// refuses anything after a gap in the sequence numbers. Two rules keep such
// refusals rare without it: after a failure, batches go one at a time until
// one is acknowledged (a retried batch refused again cannot be overtaken by
// the next), and a batch the lane marks `alone` (larger than any the partition
// has taken, which the broker may find too large) goes only when nothing else
// is on the wire, and nothing after it until it is answered.
//
// With `sequenced` (the idempotent producer), each batch gets its base
// sequence when it is added: the count of records before it in this
// partition, as the broker checks them. Kafka keeps the last five batches of a
// producer per partition, which is why at most five may be on the wire.
export type SlotState = "ready" | "sent" | "failed";

interface Slot<B> {
  batch: B;
  /** Sent only with nothing else on the wire, and nothing after it until it is answered. */
  alone: boolean;
  /** Records in the batch: what the next batch's sequence moves by. */
  count: number;
  sequence: number;
  state: SlotState;
}

/** Sequence numbers are int32 and wrap to 0, as the broker expects. */
const SEQUENCE_WRAP = 2 ** 31;

export class InFlightWindow<B> {
  private slots: Slot<B>[] = [];
  private onWire = 0;
  private halted = false;
  /** A batch failed and none has been acknowledged since: one at a time. */
  private careful = false;
  /** A batch sent `alone` is on the wire. */
  private aloneOnWire = false;
  private nextSequence_ = 0;

  constructor(
    /** The most batches on the wire at once (1 to 5). */
    readonly max: number,
    /** Number batches for the idempotent producer. */
    readonly sequenced: boolean,
  ) {
    if (!(max >= 1 && max <= 5)) throw new RangeError(`in-flight window of ${max}: must be 1 to 5`);
  }

  /** Batches added and not yet acknowledged. */
  get size(): number {
    return this.slots.length;
  }

  /** Batches on the wire, waiting for their answer. */
  get inFlight(): number {
    return this.onWire;
  }

  /** A batch failed and has not been sent again yet. */
  get failing(): boolean {
    return this.halted;
  }

  /** After a failure, every batch on the wire has been answered: `retry` may send the failed ones again. */
  get settled(): boolean {
    return this.halted && this.onWire === 0;
  }

  /** A batch added but not on the wire waits to be sent (one never sent, or a failed one after `retry`). */
  get ready(): boolean {
    return this.slots.some((s) => s.state === "ready");
  }

  /** The base sequence the next batch added gets. */
  get nextSequence(): number {
    return this.sequenced ? this.nextSequence_ : 0;
  }

  /** There is room to put another batch on the wire (and nothing failed is waiting to go first). */
  get open(): boolean {
    return !this.halted && !this.aloneOnWire && this.onWire < (this.careful ? 1 : this.max);
  }

  /**
   * Adds a sealed batch of `count` records after the others; returns its base sequence (0 when not
   * sequenced). An `alone` batch is sent with nothing else on the wire.
   */
  add(batch: B, count: number, alone = false): number {
    const sequence = this.nextSequence;
    if (this.sequenced) this.nextSequence_ = (sequence + count) % SEQUENCE_WRAP;
    this.slots.push({ batch, alone, count, sequence, state: "ready" });
    return sequence;
  }

  /** The oldest batch not on the wire, now counted as sent; null when none may go now. */
  next(): B | null {
    if (!this.open) return null;
    for (const slot of this.slots) {
      if (slot.state !== "ready") continue;
      if (slot.alone && this.onWire > 0) return null;
      slot.state = "sent";
      this.onWire++;
      this.aloneOnWire = slot.alone;
      return slot.batch;
    }
    return null;
  }

  /** Kafka acknowledged `batch`. */
  acked(batch: B): void {
    const i = this.indexOf(batch, "sent");
    if (this.slots[i]!.alone) this.aloneOnWire = false;
    this.slots.splice(i, 1);
    this.onWire--;
    this.careful = false;
  }

  /** `batch` was not acknowledged (refused, or no answer): it goes again after the others are answered. */
  failed(batch: B): void {
    const slot = this.slots[this.indexOf(batch, "sent")]!;
    if (slot.alone) this.aloneOnWire = false;
    slot.state = "failed";
    this.onWire--;
    this.halted = true;
    this.careful = true;
  }

  /** Once `settled`: the failed batches become ready again; `next` hands them out oldest first. */
  retry(): void {
    if (!this.settled) throw new Error("retry: batches are still on the wire");
    for (const slot of this.slots) if (slot.state === "failed") slot.state = "ready";
    this.halted = false;
  }

  /** The base sequence of a batch added and not yet acknowledged. */
  sequenceOf(batch: B): number {
    return this.slots[this.indexOf(batch)]!.sequence;
  }

  /**
   * Once `settled`: a failed batch is replaced by `parts` (it was too large), in its place, still
   * failed, each to be sent alone. With sequences, the parts and every later batch are numbered again; returns them, to be
   * stamped again before they are sent.
   */
  replace(batch: B, parts: { batch: B; count: number }[]): B[] {
    if (!this.settled) throw new Error("replace: batches are still on the wire");
    const i = this.indexOf(batch, "failed");
    const first = this.slots[i]!.sequence;
    this.slots.splice(i, 1, ...parts.map((p) => ({ batch: p.batch, alone: true, count: p.count, sequence: 0, state: "failed" as SlotState })));
    return this.sequenced ? this.renumberFrom(i, first) : [];
  }

  /**
   * Once `settled` (or before anything was sent): the producer got a new id, whose sequences start at
   * 0. Every batch is numbered again, oldest first; returns them all, to be stamped again.
   */
  renumber(): B[] {
    if (this.onWire > 0) throw new Error("renumber: batches are still on the wire");
    return this.sequenced ? this.renumberFrom(0, 0) : [];
  }

  /** Every batch, oldest first (to give them up at shutdown, or to stamp them). */
  batches(): B[] {
    return this.slots.map((s) => s.batch);
  }

  private renumberFrom(i: number, sequence: number): B[] {
    const changed: B[] = [];
    for (let j = i; j < this.slots.length; j++) {
      const slot = this.slots[j]!;
      changed.push(slot.batch);
      slot.sequence = sequence;
      sequence = (sequence + slot.count) % SEQUENCE_WRAP;
    }
    this.nextSequence_ = sequence;
    return changed;
  }

  private indexOf(batch: B, state?: SlotState): number {
    const i = this.slots.findIndex((s) => s.batch === batch);
    if (i < 0 || (state && this.slots[i]!.state !== state)) throw new Error(`batch not ${state ?? "known"} in this window`);
    return i;
  }
}
