// Issue 11, part 2: `[kafka] delivery = exactly_once`. Lines go out in Kafka
// transactions, each committed with the files' new positions (records of the
// offsets topic); a read_committed consumer (support/kafka.ts's TopicReader:
// kafkajs reads read_committed by default) must see every line exactly once,
// in order per file, whatever is killed, deleted or restarted.
import { afterEach, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { services } from "../support/env";
import { appendNumbered, numbered } from "../support/files";
import { TopicReader } from "../support/kafka";
import { LogWriter, outOfOrderWithin } from "../support/log-writer";
import { Scenario, compare } from "../support/scenario";

let scenario: Scenario | null = null;
afterEach(async () => {
  await scenario?.close();
  scenario = null;
});

const EXACTLY_ONCE = "delivery = exactly_once";

/** The offsets topic's records for `topic`'s test (keys "HOST/DEV:INO", JSON values), read_committed. */
async function offsetsRecords(offsetsTopic: string, settleMs = 1000): Promise<{ key: string; value: Record<string, unknown> }[]> {
  const reader = await TopicReader.start([offsetsTopic]);
  await Bun.sleep(settleMs);
  await reader.stop();
  return (reader.received.get(offsetsTopic) ?? []).map((m) => ({ key: "", value: JSON.parse(m.value) as Record<string, unknown> }));
}

test("exactly_once: lines reach a read_committed consumer once each, and the file's position is committed to the offsets topic with them", async () => {
  const offsetsTopic = `offsets-${Date.now().toString(36)}`;
  const s = (scenario = new Scenario((sc) => `from = beginning\n\n[collect.app]\npath = ${sc.file("app.log")}\ntopic = ${sc.topic}`, `${EXACTLY_ONCE}\noffsets_topic = ${offsetsTopic}`));
  await s.open();
  writeFileSync(s.file("app.log"), "");
  s.start();
  await s.agent!.waitForLog(/Following file/);
  appendNumbered(s.file("app.log"), "a", 0, 5000);
  expect(await s.reader.waitFor(s.topic, 5000, 30_000)).toEqual(numbered("a", 0, 5000));
  const records = await offsetsRecords(offsetsTopic);
  const bytes = numbered("a", 0, 5000).join("\n").length + 1;
  expect(records.at(-1)?.value.offset).toBe(bytes);
  expect(s.agent!.log).toMatch(/read the positions committed in Kafka/);
  expect(await s.stop()).toBe(0);
}, 90_000);
