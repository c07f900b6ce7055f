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

const FILES = 4;
const PER_FILE = 50_000;
const STEP = 250; // lines per file per write
const KILLS = 10;
const STEPS_PER_RUN = PER_FILE / STEP / KILLS;
const PAD = " " + "x".repeat(60);
/** state_dir is deleted before this restart: positions then come from the offsets topic alone. */
const STATE_LOST_AT = 5;

test(`exactly_once: kill -9 ${KILLS} times while 200,000 lines are written at full speed over 4 files with rename rotations (state_dir deleted before restart ${STATE_LOST_AT}): a read_committed consumer sees every line exactly once, in order per file`, async () => {
  const names = Array.from({ length: FILES }, (_, f) => `f${f}.log`);
  // As kill-in-flight.test.ts: globs that match the rotated names too; checkpoint_interval_ms = 600000 so that
  // state_dir alone would not know where the last commits ended (the offsets topic must, after the deletion).
  const s = (scenario = new Scenario(
    (sc) => ["from = beginning", "checkpoint_interval_ms = 600000", ...names.map((n, f) => `\n[collect.f${f}]\npath = ${sc.file(n)}*\ntopic = ${sc.topic}`)].join("\n"),
    `${EXACTLY_ONCE}\noffsets_topic = offsets-${Date.now().toString(36)}`,
  ));
  await s.open();
  const writers = names.map((n, f) => new LogWriter(s.file(n), `p${f}`, PAD));
  const kills: { backlog: number }[] = [];
  let rotations = 0;
  let step = 0;
  for (let run = 0; run <= KILLS; run++) {
    if (run === STATE_LOST_AT) rmSync(path.join(s.dir, "logagent-state"), { recursive: true, force: true });
    s.start();
    await s.agent!.waitForLog(/Following file.*f3\.log/, 60_000);
    if (run === KILLS) break;
    for (const end = step + STEPS_PER_RUN; step < end; step++) {
      for (let f = 0; f < FILES; f++) {
        writers[f]!.write(STEP);
        if (step === 50 + 20 * f || step === 130 + 15 * f) {
          writers[f]!.rotateRename();
          writers[f]!.reopen();
          rotations++;
        }
      }
    }
    // Random moments within a run: some kills land mid-transaction, some between commits, some in a commit.
    await Bun.sleep(Math.random() * 1500);
    if (!s.agent!.running) throw new Error(`run ${run} of the agent exited by itself:\n${s.agent!.log}`);
    kills.push({ backlog: writers.reduce((n, w) => n + w.next, 0) - new Set(s.received()).size });
    await s.crash();
  }
  for (const w of writers) w.close();
  const total = FILES * PER_FILE;
  await s.reader.waitFor(s.topic, total, 180_000, 0);
  // A duplicate would be a line committed twice: the last run commits within transaction_max_ms (1 s); waited 5 s.
  await Bun.sleep(5000);
  const values = s.received();
  const c = compare(values, Object.fromEntries(names.map((_, f) => [`p${f}`, PER_FILE])));
  const outOfOrder = writers.reduce((n, w) => n + outOfOrderWithin(values, w.prefix, w.segments), 0);
  console.log(
    `exactly_once, kill -9 x${kills.length}, ${rotations} rotations: ${c.expected} lines written, ${c.received} received (read_committed), ` +
      `${c.missing} missing, ${c.duplicates} duplicates, ${outOfOrder} out of order within a file\n` +
      kills.map((k, i) => `  kill ${i + 1}: ${k.backlog} lines not yet committed at the kill`).join("\n"),
  );
  if (c.missing > 0 || c.duplicates > 0 || outOfOrder > 0) console.log(s.logs.join("\n---- restart ----\n") + s.agent!.log);
  expect(kills.length).toBe(KILLS);
  expect(rotations).toBe(2 * FILES);
  expect(c.missing).toBe(0);
  expect(c.firstMissing).toEqual([]);
  expect(c.duplicates).toBe(0);
  expect(c.received).toBe(total);
  expect(outOfOrder).toBe(0);
  // The kills hit a moving agent: most came with lines not yet committed.
  expect(kills.filter((k) => k.backlog > 0).length).toBeGreaterThanOrEqual(KILLS / 2);
  expect(await s.stop()).toBe(0);
}, 400_000);
