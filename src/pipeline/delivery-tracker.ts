// Where a file's saved position may move to: the end of the longest run of
// lines, from the start, that Kafka has acknowledged. Lines of one file can be
// acknowledged out of order (a topic changed while lines were in flight, or
// one topic waits on an error while another goes on), so "the highest offset
// acknowledged" would skip lines still waiting; this never does.
export class DeliveryTracker {
  private ends: number[] = [];
  private done: boolean[] = [];
  private head = 0;
  /** Ticket number of ends[0]. */
  private base = 0;

  constructor(
    /** Every line before this offset is acknowledged. */
    public acked: number,
  ) {}

  /** Registers a line ending at `end` (in read order); returns its ticket. */
  issue(end: number): number {
    this.ends.push(end);
    this.done.push(false);
    return this.base + this.ends.length - 1;
  }

  /** Kafka acknowledged the line with this ticket. */
  settle(ticket: number): void {
    const i = ticket - this.base;
    if (i < this.head || i >= this.ends.length) return;
    this.done[i] = true;
    while (this.head < this.ends.length && this.done[this.head]) this.acked = this.ends[this.head++]!;
    if (this.head > 4096 && this.head * 2 > this.ends.length) {
      this.ends = this.ends.slice(this.head);
      this.done = this.done.slice(this.head);
      this.base += this.head;
      this.head = 0;
    }
  }

  /** Lines issued and not yet acknowledged. */
  get outstanding(): number {
    return this.ends.length - this.head;
  }
}
