// Large buffers used over and over (the chunks files are read into, the
// produce requests built from them), kept for reuse instead of left to the
// garbage collector. At a million lines a second the agent goes through some
// 200 MB of read chunks and 400 MB of requests a second; freed only when the
// collector runs, that garbage was most of the agent's peak memory.
//
// A buffer is given back only by whoever knows nothing reads it any more (its
// lines acknowledged, its request answered); a buffer never given back is
// simply collected.
export class BufferPool {
  private free: Buffer[] = [];

  constructor(
    /** The size of every pooled buffer; others are not kept. */
    readonly size: number,
    /** The most buffers kept unused. */
    readonly keep: number,
  ) {}

  /** A buffer of `size` bytes, not zero-filled. */
  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafe(this.size);
  }

  /** `buf` (taken from this pool) is no longer used by anyone. */
  give(buf: Buffer): void {
    if (buf.length === this.size && this.free.length < this.keep) this.free.push(buf);
  }

  /** Buffers kept unused now. */
  get idle(): number {
    return this.free.length;
  }
}

/** A pooled buffer shared by the blocks whose lines are in it: back to its pool when the last one lets go. */
export class SharedBuffer {
  /** The reader holds it while it reads; each block handed over holds it until its lines are acknowledged. */
  private refs = 1;

  constructor(
    readonly buf: Buffer,
    private readonly pool: BufferPool,
  ) {}

  hold(): void {
    this.refs++;
  }

  release(): void {
    if (--this.refs === 0) this.pool.give(this.buf);
  }
}
