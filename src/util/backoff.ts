/** Capped exponential backoff with full jitter, immutable: `backoff = backoff.next()`. */
export class Backoff {
  constructor(
    readonly baseMs = 200,
    readonly capMs = 30_000,
    readonly attempt = 0,
  ) {}

  /** The ceiling of the current wait, before jitter. */
  get ceilingMs(): number {
    return Math.min(this.capMs, this.baseMs * 2 ** this.attempt);
  }

  /** The wait before the next try: uniform in [ceiling/2, ceiling], so many agents do not retry in step. */
  delayMs(random = Math.random): number {
    const c = this.ceilingMs;
    return Math.round(c / 2 + random() * (c / 2));
  }

  next(): Backoff {
    return this.ceilingMs >= this.capMs ? this : new Backoff(this.baseMs, this.capMs, this.attempt + 1);
  }

  reset(): Backoff {
    return new Backoff(this.baseMs, this.capMs, 0);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
