// How both latency measurements (bench/measure/latency.ts and bench/idle.ts) read their topic: from its
// start, every message handed over with the time its batch arrived, the clock started only once the
// consumer has joined its group (a join takes seconds, and would count as latency otherwise).
import type { Consumer, KafkaMessage } from "kafkajs";

/** Subscribes `consumer` to `topic` from its start and passes each message to `seen`; waits up to 30 s for the group join and says whether it came. */
export async function followTopic(consumer: Consumer, topic: string, seen: (message: KafkaMessage, arrivedAt: number) => void): Promise<boolean> {
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => void (joined = true));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const m of batch.messages) seen(m, now);
    },
  });
  for (let i = 0; i < 300 && !joined; i++) await Bun.sleep(100);
  return joined;
}
