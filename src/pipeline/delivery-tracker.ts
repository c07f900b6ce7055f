// Where a file's saved position may move to: the end of the longest run of
// lines, from the start, that Kafka has acknowledged. Lines of one file can be
// acknowledged out of order (a topic changed while lines were in flight, or
// one topic waits on an error while another goes on), so "the highest offset
// acknowledged" would skip lines still waiting; this never does.
//
// A tracker names its file (`fileKey`, the file's identity as the checkpoint
// keys it), so that whoever settles lines can say whose position moved without
// knowing the reader behind it: the positions journal records each move as it
// happens (checkpoint/file-position-store.ts).
export class DeliveryTracker {
  private ends: number[] = [];
  private done: boolean[] = [];
  private head = 0;
  /** Ticket number of ends[0]. */
  private base = 0;

  constructor(
    /** Every line before this offset is acknowledged. */
    public acked: number,
    /** The file's identity key (file-identity.ts `identityKey`); empty in tests that need none. */
    readonly fileKey = "",
  ) {}

  /** Registers a line ending at `end` (in read order); returns its ticket. */
  issue(end: number): number {
    this.ends.push(end);
    this.done.push(false);
    return this.base + this.ends.length - 1;
  }

  /** Kafka acknowledged the line with this ticket. Returns whether the position moved. */
  settle(ticket: number): boolean {
    const i = ticket - this.base;
    if (i < this.head || i >= this.ends.length) return false;
    this.done[i] = true;
    const before = this.acked;
    while (this.head < this.ends.length && this.done[this.head]) this.acked = this.ends[this.head++]!;
    if (this.head > 4096 && this.head * 2 > this.ends.length) {
      this.ends = this.ends.slice(this.head);
      this.done = this.done.slice(this.head);
      this.base += this.head;
      this.head = 0;
    }
    return this.acked !== before;
  }

  /**
   * Where `acked` would be if these tickets were settled too; nothing changes. A transaction commits
   * this position with its lines, before they are settled (only a commit settles them).
   */
  reachWith(tickets: Iterable<number>): number {
    const extra = new Set<number>();
    for (const t of tickets) extra.add(t - this.base);
    let acked = this.acked;
    for (let i = this.head; i < this.ends.length && (this.done[i] || extra.has(i)); i++) acked = this.ends[i]!;
    return acked;
  }

  /** Lines issued and not yet acknowledged. */
  get outstanding(): number {
    return this.ends.length - this.head;
  }
}
