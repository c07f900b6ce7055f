// Issue 3, test 3: the broker is stopped for 30 s while 100,000 lines are
// written, then restarted. Nothing is lost, and while Kafka is away the
// agent's resident memory stays under its buffer bound plus its idle baseline.
import { afterAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { appendNumbered } from "../support/files";
import { TopicReader } from "../support/kafka";
import { Scenario, compare } from "../support/scenario";
import { kafkaService as services } from "../support/services";

const BOUND = 8 << 20;
// Lines of about 120 bytes, a common size for application logs.
const PAD = " " + "x".repeat(110);
const s = new Scenario((sc) => `max_buffer_bytes = ${BOUND}\n\n[collect.app]\npath = ${sc.file("app.log")}\ntopic = ${sc.topic}`);

afterAll(async () => {
  await s.close();
});

test("Kafka away for 30 s while 100,000 lines are written: zero lost, memory bounded", async () => {
  await s.open();
  const app = s.file("app.log");
  writeFileSync(app, "");
  s.start();
  await s.agent!.waitForLog(/Following file/);
  // Warm up first: the first burst of lines makes the JIT compile the read path, a one-time cost of
  // tens of MB that is not the buffer's. The baseline is a running agent at rest.
  appendNumbered(app, "line", 0, 100_000, PAD);
  await s.reader.waitFor(s.topic, 100_000, 60_000, 0);
  await s.reader.stop(); // the reader is a Kafka client too; it comes back after the outage
  await Bun.sleep(3000);
  let baseline = 0;
  for (let i = 0; i < 5; i++, await Bun.sleep(100)) baseline = Math.max(baseline, s.agent!.rss());

  services("stop-kafka");
  const outageStart = Date.now();
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, s.agent!.rss())), 100);
  try {
    for (let i = 100_000; i < 200_000; i += 5000) {
      appendNumbered(app, "line", i, i + 5000, PAD);
      await Bun.sleep(500);
    }
    await Bun.sleep(Math.max(0, 30_000 - (Date.now() - outageStart)));
  } finally {
    clearInterval(sampler);
    services("start-kafka");
  }
  await s.agent!.waitForLog(/Kafka accepts batches again/, 60_000);
  s.reader = await TopicReader.start([s.topic]);
  const got = await s.reader.waitFor(s.topic, 200_000, 90_000, 2000);
  const c = compare(got, { line: 200_000 });
  const mb = (n: number) => (n / 2 ** 20).toFixed(1);
  console.log(
    `Kafka outage: idle RSS ${mb(baseline)} MB, peak RSS during outage ${mb(peak)} MB, buffer bound ${mb(BOUND)} MB; ` +
      `${c.received} received, ${c.missing} missing, ${c.duplicates} duplicates`,
  );
  expect(s.agent!.log).toMatch(/WARN .*Kafka did not accept a batch; retrying until it does/);
  expect(s.agent!.log.match(/Kafka did not accept a batch/g)?.length).toBe(1); // said once, not per retry
  expect(c.missing).toBe(0);
  expect(peak).toBeLessThan(baseline + BOUND);
}, 240_000);
