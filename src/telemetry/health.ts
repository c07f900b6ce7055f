// What /healthz answers, decided from the Kafka sink's state: a pure function, so the rule can be
// read (and tested) in one place.
//
// An agent is healthy while lines flow, or while nothing waits: an outage is only noticed when a
// request fails, and a request is only made when there is something to send. It is unhealthy when
// the brokers have been unreachable (or have refused the credentials), or a topic refused, for at
// least `[http] unhealthy_after_s`: a shorter blip (a broker restarting, a topic being created) is
// what retries are for, and a probe that flapped with it would page someone for nothing.

export interface KafkaHealth {
  /** False from the first failed request of an outage until a request succeeds again. */
  reachable: boolean;
  /** Since when `reachable` has had its value, in ms since the epoch (the sink's start at first). */
  since: number;
  /** The last failure of the outage, while unreachable. */
  cause: string | null;
  /** Topics Kafka refuses now (unknown, not authorized, ...): their lines wait. */
  refused: { topic: string; since: number; reason: string }[];
}

export interface Verdict {
  healthy: boolean;
  /** Why not, one sentence each; empty when healthy. */
  reasons: string[];
}

const seconds = (ms: number) => Math.floor(ms / 1000);

export function judgeHealth(kafka: KafkaHealth, nowMs: number, unhealthyAfterMs: number): Verdict {
  const reasons: string[] = [];
  if (!kafka.reachable && nowMs - kafka.since >= unhealthyAfterMs) {
    reasons.push(`Kafka unreachable for ${seconds(nowMs - kafka.since)} s (since ${new Date(kafka.since).toISOString()}): ${kafka.cause ?? "unknown cause"}`);
  }
  for (const r of kafka.refused) {
    if (nowMs - r.since >= unhealthyAfterMs) reasons.push(`Kafka refuses topic ${r.topic} for ${seconds(nowMs - r.since)} s (since ${new Date(r.since).toISOString()}): ${r.reason}`);
  }
  return { healthy: reasons.length === 0, reasons };
}
