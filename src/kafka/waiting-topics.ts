// Which topics' lines wait because Kafka refuses them (or, with a dead-letter
// topic, because that refuses them too), since when and why: what the sink
// says once when a wait starts, repeats with a count every minute while it
// lasts, says again when it ends, and answers `KafkaSink.waiting()` from.
// Pure bookkeeping with the clock passed in, so that the once-then-every-
// minute rule is unit-tested without waiting a minute.

export interface TopicWait {
  topic: string;
  /** Why its lines wait: Kafka's error ("TYPE: message"). */
  reason: string;
  /** When the wait started, ms since the epoch. */
  sinceMs: number;
  /** When it was last said in the log. */
  saidMs: number;
}

export class WaitingTopics {
  private readonly waits = new Map<string, TopicWait>();

  /** `topic` waits (again) for `reason`; returns true when its wait starts now (say so then). */
  begin(topic: string, reason: string, nowMs: number): boolean {
    const wait = this.waits.get(topic);
    if (wait) {
      wait.reason = reason;
      return false;
    }
    this.waits.set(topic, { topic, reason, sinceMs: nowMs, saidMs: nowMs });
    return true;
  }

  /** `topic`'s lines go on; returns its wait, if it had one. */
  end(topic: string): TopicWait | undefined {
    const wait = this.waits.get(topic);
    this.waits.delete(topic);
    return wait;
  }

  has(topic: string): boolean {
    return this.waits.has(topic);
  }

  /** The waits last said `everyMs` or longer ago, marked as said at `nowMs`. */
  due(nowMs: number, everyMs: number): TopicWait[] {
    const due = [...this.waits.values()].filter((w) => nowMs - w.saidMs >= everyMs);
    for (const w of due) w.saidMs = nowMs;
    return due;
  }

  list(): TopicWait[] {
    return [...this.waits.values()];
  }
}

/** How long a wait has lasted, in seconds with one decimal, for the log; undefined for no wait. */
export function waitedSeconds(wait: TopicWait | undefined, nowMs = Date.now()): string | undefined {
  return wait === undefined ? undefined : ((nowMs - wait.sinceMs) / 1000).toFixed(1);
}
