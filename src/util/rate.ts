// A per-second rate read from a running total, for the status (lines per second of a file). The
// hot path only adds to the total; the rate is worked out when someone looks, over the time since
// the previous look, so nothing runs on a timer for a thousand quiet files.

/** Looks closer together than this keep the last rate: a window of a few milliseconds says nothing. */
const MIN_WINDOW_MS = 1000;

export class RateMeter {
  private markAt: number;
  private markTotal = 0;
  private last = 0;

  constructor(now: number) {
    this.markAt = now;
  }

  /** The rate of `total` per second between the previous look (at least MIN_WINDOW_MS ago) and `now` (ms). */
  perSecond(total: number, now: number): number {
    const elapsed = now - this.markAt;
    if (elapsed < MIN_WINDOW_MS) return this.last;
    this.last = Math.max(0, ((total - this.markTotal) * 1000) / elapsed);
    this.markAt = now;
    this.markTotal = total;
    return this.last;
  }
}
