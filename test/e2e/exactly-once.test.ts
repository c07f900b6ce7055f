// Issue 11, part 2: `[kafka] delivery = exactly_once`. Lines go out in Kafka
// transactions, each committed with the files' new positions (records of the
// offsets topic); a read_committed consumer (support/kafka.ts's TopicReader:
// kafkajs reads read_committed by default) must see every line exactly once,
// in order per file, whatever is killed, deleted or restarted.
import { afterAll, afterEach, expect, test } from "bun:test";
import { rmSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { AgentProcess, iniFor } from "../support/agent-process";
import { services } from "../support/env";
import { appendNumbered, numbered } from "../support/files";
import { ConfigResourceTypes } from "kafkajs";
import { TopicReader, client, createTopics } from "../support/kafka";
import { killRounds } from "../support/kill-rounds";
import { LogWriter, outOfOrderWithin } from "../support/log-writer";
import { Scenario, compare } from "../support/scenario";
import { kafkaPid, servicesShAsync } from "../support/services";

let scenario: Scenario | null = null;
afterEach(async () => {
  await scenario?.close();
  scenario = null;
});
afterAll(async () => {
  // Whatever happened, leave the broker running for the other tests.
  try {
    process.kill(kafkaPid(), "SIGCONT");
  } catch {}
  await servicesShAsync("start-kafka", [process.env.SERVICES_RUN_DIR!]).catch(() => {});
});

const EXACTLY_ONCE = "delivery = exactly_once";

/** The offsets topic's records (key, JSON value), read_committed, and its cleanup.policy. */
async function readOffsetsTopic(topic: string): Promise<{ records: { key: string; value: Record<string, unknown> }[]; cleanupPolicy: string }> {
  const kafka = client();
  const records: { key: string; value: Record<string, unknown> }[] = [];
  const consumer = kafka.consumer({ groupId: `offsets-check-${Date.now()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void records.push({ key: String(message.key), value: JSON.parse(String(message.value)) as Record<string, unknown> }) });
  for (let i = 0; i < 100 && records.length === 0; i++) await Bun.sleep(100);
  await Bun.sleep(1000);
  await consumer.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  const described = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ["cleanup.policy"] }], includeSynonyms: false });
  await admin.disconnect();
  return { records, cleanupPolicy: described.resources[0]?.configEntries[0]?.configValue ?? "" };
}

test("exactly_once: lines reach a read_committed consumer once each, and the file's position is committed with them to the offsets topic (created compacted, keyed by host and file identity)", async () => {
  const offsetsTopic = `offsets-${Date.now().toString(36)}`;
  const s = (scenario = new Scenario((sc) => `from = beginning\n\n[collect.app]\npath = ${sc.file("app.log")}\ntopic = ${sc.topic}`, `${EXACTLY_ONCE}\noffsets_topic = ${offsetsTopic}`));
  await s.open();
  writeFileSync(s.file("app.log"), "");
  s.start();
  await s.agent!.waitForLog(/Following file/);
  appendNumbered(s.file("app.log"), "a", 0, 5000);
  expect(await s.reader.waitFor(s.topic, 5000, 30_000)).toEqual(numbered("a", 0, 5000));
  const { records, cleanupPolicy } = await readOffsetsTopic(offsetsTopic);
  const bytes = numbered("a", 0, 5000).join("\n").length + 1;
  const { ino } = statSync(s.file("app.log"), { bigint: true });
  // Created compacted; keyed by host and file identity (and one record naming the host's last commit); the
  // last record of the file is where its committed lines end.
  expect(cleanupPolicy).toBe("compact");
  const files = records.filter((r) => r.key !== `${hostname()}/commit`);
  expect(files.length).toBeGreaterThan(0);
  expect(records.length - files.length).toBeGreaterThan(0);
  expect(files.every((r) => r.key.startsWith(`${hostname()}/`) && r.key.endsWith(`:${ino}`))).toBe(true);
  expect(files.at(-1)!.value).toMatchObject({ offset: bytes, ino: String(ino), path: s.file("app.log"), file: s.file("app.log") });
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
  // Kills at random moments within a run: some land mid-transaction, some between commits, some in a commit.
  const { backlogs, rotations } = await killRounds(s, writers, {
    kills: KILLS,
    stepsPerRun: STEPS_PER_RUN,
    perStep: STEP,
    maxKillDelayMs: 250, // as kill-in-flight.test.ts: most kills come while the round's lines are shipped, before their commit
    beforeStart: (run) => {
      if (run === STATE_LOST_AT) rmSync(path.join(s.dir, "logagent-state"), { recursive: true, force: true });
    },
  });
  const kills = backlogs.map((backlog) => ({ backlog }));
  const total = FILES * PER_FILE;
  await s.reader.waitFor(s.topic, total, 180_000, 0);
  // A duplicate would be a line committed twice: the last run commits within transaction_max_ms (1 s); waited 5 s.
  await Bun.sleep(5000);
  const values = s.received();
  const c = compare(values, Object.fromEntries(names.map((_, f) => [`p${f}`, PER_FILE])));
  // What the topic's log holds, aborted transactions included: the kills did leave lines written and not committed.
  const raw = await TopicReader.start([s.topic], undefined, true);
  const rawValues = await raw.waitFor(s.topic, c.received, 60_000, 1000);
  await raw.stop();
  const aborted = compare(rawValues, Object.fromEntries(names.map((_, f) => [`p${f}`, PER_FILE]))).duplicates;
  const outOfOrder = writers.reduce((n, w) => n + outOfOrderWithin(values, w.prefix, w.segments), 0);
  console.log(
    `exactly_once, kill -9 x${kills.length}, ${rotations} rotations: ${c.expected} lines written, ${c.received} received (read_committed), ` +
      `${c.missing} missing, ${c.duplicates} duplicates, ${outOfOrder} out of order within a file; ` +
      `the log also holds ${aborted} copies in aborted transactions (read_uncommitted)\n` +
      kills.map((k, i) => `  kill ${i + 1}: ${k.backlog} lines not yet seen by the read_committed consumer at the kill`).join("\n"),
  );
  if (c.missing > 0 || c.duplicates > 0 || outOfOrder > 0) console.log(s.logs.join("\n---- restart ----\n") + s.agent!.log);
  expect(kills.length).toBe(KILLS);
  expect(rotations).toBe(2 * FILES);
  expect(c.missing).toBe(0);
  expect(c.firstMissing).toEqual([]);
  expect(c.duplicates).toBe(0);
  expect(c.received).toBe(total);
  expect(outOfOrder).toBe(0);
  // The kills hit a moving agent: most came with lines not yet committed, and some with lines written in an open transaction.
  expect(kills.filter((k) => k.backlog > 0).length).toBeGreaterThanOrEqual(KILLS / 2);
  expect(aborted).toBeGreaterThan(0);
  expect(await s.stop()).toBe(0);
}, 400_000);

test("exactly_once: the broker frozen with a transaction's requests on the wire, stopped and restarted: 0 lost, 0 duplicates for read_committed", async () => {
  // batch_max_messages = 100: a burst is many requests, so the freeze catches some on the wire, in an open transaction.
  const s = (scenario = new Scenario((sc) => `from = beginning\n\n[collect.app]\npath = ${sc.file("app.log")}\ntopic = ${sc.topic}`, `${EXACTLY_ONCE}\nbatch_max_messages = 100\noffsets_topic = offsets-${Date.now().toString(36)}`));
  await s.open();
  const app = s.file("app.log");
  writeFileSync(app, "");
  s.start();
  await s.agent!.waitForLog(/Following file/);
  // Lines keep coming, 1,000 every 100 ms, through the outage.
  let written = 0;
  let writing = true;
  const writer = (async () => {
    for (; writing; await Bun.sleep(100)) {
      appendNumbered(app, "line", written, written + 1000, PAD);
      written += 1000;
    }
  })();
  const dir = process.env.SERVICES_RUN_DIR!;
  try {
    await s.reader.waitFor(s.topic, 1, 30_000, 0);
    await s.reader.stop(); // a Kafka client too; a new one reads everything after the outage
    await Bun.sleep(1000);
    // Frozen, the broker answers nothing: the open transaction's batches wait on the wire, its commit cannot happen.
    process.kill(kafkaPid(), "SIGSTOP");
    await Bun.sleep(1500);
    // Let go as it is stopped: it reads some of the waiting requests and goes away without answering the rest.
    const stopping = servicesShAsync("stop-kafka", [dir]);
    await Bun.sleep(200);
    process.kill(kafkaPid(), "SIGCONT");
    await stopping;
    await Bun.sleep(1500);
  } finally {
    await servicesShAsync("start-kafka", [dir]);
  }
  await Bun.sleep(2000);
  writing = false;
  await writer;
  s.reader = await TopicReader.start([s.topic]);
  await s.reader.waitFor(s.topic, written, 120_000, 0);
  // A duplicate would be a transaction's lines committed twice: waited 5 transaction_max_ms more.
  await Bun.sleep(5000);
  const c = compare(s.received(), { line: written });
  console.log(`exactly_once, broker frozen, stopped and restarted mid-transaction: ${c.expected} written, ${c.received} received (read_committed), ${c.missing} missing, ${c.duplicates} duplicates, ${c.outOfOrder} out of order`);
  console.log(s.agent!.log.split("\n").filter((l) => /WARN|ERROR/.test(l)).join("\n"));
  if (c.missing > 0 || c.duplicates > 0) console.log(s.agent!.log);
  // The outage did reach the agent in the middle of its work.
  expect(s.agent!.log).toMatch(/Kafka did not accept a batch|transaction coordinator did not answer/);
  expect(c.missing).toBe(0);
  expect(c.duplicates).toBe(0);
  expect(c.outOfOrder).toBe(0);
  expect(s.agent!.running).toBe(true);
  expect(await s.stop()).toBe(0);
}, 240_000);

test("exactly_once: a topic that does not exist yet (auto_create_topics = false) does not hold up the other entry's commits, and nothing is aborted; its lines wait and follow once it is created: 0 lost, 0 duplicates for read_committed", async () => {
  const late = `late-${Date.now().toString(36)}`;
  const s = (scenario = new Scenario(
    (sc) => `from = beginning\n\n[collect.a]\npath = ${sc.file("a.log")}\ntopic = ${sc.topic}\n\n[collect.b]\npath = ${sc.file("b.log")}\ntopic = ${late}`,
    `${EXACTLY_ONCE}\nauto_create_topics = false\noffsets_topic = offsets-${Date.now().toString(36)}`,
  ));
  await s.open();
  writeFileSync(s.file("a.log"), "");
  writeFileSync(s.file("b.log"), "");
  s.start();
  await s.agent!.waitForLog(/Following file.*b\.log/);
  appendNumbered(s.file("a.log"), "a", 0, 1000);
  appendNumbered(s.file("b.log"), "b", 0, 1000);
  // b's lines are left out of the commits (their position stays before them); a's are committed at once.
  expect(await s.reader.waitFor(s.topic, 1000, 10_000, 0)).toEqual(numbered("a", 0, 1000));
  await s.agent!.waitForLog(new RegExp(`ERROR .*Kafka refuses this topic.*topic=${late}`), 30_000);
  // 35 s: longer than the 30 s after which a commit waiting for its lines would be aborted.
  await Bun.sleep(35_000);
  expect(s.agent!.log).not.toMatch(/A transaction failed/);
  appendNumbered(s.file("a.log"), "a", 1000, 2000);
  await createTopics([late]);
  const lateReader = await TopicReader.start([late]);
  const a = await s.reader.waitFor(s.topic, 2000, 30_000, 0);
  const b = await lateReader.waitFor(late, 1000, 60_000, 0);
  // A duplicate would be a transaction committed twice: waited 5 transaction_max_ms more.
  await Bun.sleep(5000);
  await lateReader.stop();
  const raw = await TopicReader.start([s.topic], undefined, true);
  const rawA = await raw.waitFor(s.topic, 2000, 30_000, 1000);
  await raw.stop();
  console.log(`exactly_once, a topic created late: ${a.length} + ${b.length} lines read_committed; ${rawA.length - 2000} aborted copies of a's lines in the log (read_uncommitted)`);
  expect(s.received()).toEqual(numbered("a", 0, 2000));
  expect(lateReader.values(late)).toEqual(numbered("b", 0, 1000));
  expect(rawA.length).toBe(2000); // nothing was written twice, not even in an aborted transaction
  expect(s.agent!.log).not.toMatch(/A transaction failed|ProducerFenced|Another agent took over/);
  expect(await s.stop()).toBe(0);
}, 180_000);

test("exactly_once: a topic whose policy refuses every record (compacted, lines without a key) and no dead-letter topic: its partition is in each transaction but its lines are left out, the other entry commits, nothing is aborted; once the policy allows them they arrive once", async () => {
  const compacted = `compacted-${Date.now().toString(36)}`;
  await createTopics([compacted], 1, { "cleanup.policy": "compact" });
  const s = (scenario = new Scenario(
    (sc) => `from = beginning\n\n[collect.a]\npath = ${sc.file("a.log")}\ntopic = ${sc.topic}\n\n[collect.c]\npath = ${sc.file("c.log")}\ntopic = ${compacted}\nkey = pattern\nkey_pattern = ^id=(\\d+)`,
    `${EXACTLY_ONCE}\noffsets_topic = offsets-${Date.now().toString(36)}`,
  ));
  await s.open();
  writeFileSync(s.file("a.log"), "");
  writeFileSync(s.file("c.log"), "");
  s.start();
  await s.agent!.waitForLog(/Following file.*c\.log/);
  const cReader = await TopicReader.start([compacted]);
  try {
    appendNumbered(s.file("c.log"), "c", 0, 500);
    appendNumbered(s.file("a.log"), "a", 0, 1000);
    expect(await s.reader.waitFor(s.topic, 1000, 10_000, 0)).toEqual(numbered("a", 0, 1000));
    await s.agent!.waitForLog(new RegExp(`ERROR .*Kafka refuses this topic.*topic=${compacted}.*INVALID_RECORD`), 30_000);
    // 35 s: longer than the 30 s after which a commit waiting for its lines would be aborted.
    await Bun.sleep(35_000);
    appendNumbered(s.file("a.log"), "a", 1000, 2000);
    expect(await s.reader.waitFor(s.topic, 2000, 10_000, 0)).toEqual(numbered("a", 0, 2000));
    expect(s.agent!.log).not.toMatch(/A transaction failed/);
    expect(cReader.values(compacted)).toEqual([]);
    const admin = client().admin();
    await admin.connect();
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: compacted, configEntries: [{ name: "cleanup.policy", value: "delete" }] }] });
    await admin.disconnect();
    expect(await cReader.waitFor(compacted, 500, 60_000, 0)).toEqual(numbered("c", 0, 500));
    // A duplicate would be a transaction committed twice: waited 5 transaction_max_ms more.
    await Bun.sleep(5000);
    expect(cReader.values(compacted)).toEqual(numbered("c", 0, 500));
    expect(s.received()).toEqual(numbered("a", 0, 2000));
    expect(s.agent!.log).not.toMatch(/A transaction failed|ProducerFenced/);
  } finally {
    await cReader.stop();
  }
  expect(await s.stop()).toBe(0);
}, 180_000);

test("exactly_once: a second agent with the same transactional_id fences the first, which stops with exit code 1 and an error naming the id", async () => {
  const txid = `logagent-test-${Date.now().toString(36)}`;
  const kafkaExtra = `${EXACTLY_ONCE}\ntransactional_id = ${txid}\noffsets_topic = offsets-${Date.now().toString(36)}`;
  const s = (scenario = new Scenario((sc) => `from = beginning\n\n[collect.app]\npath = ${sc.file("app.log")}\ntopic = ${sc.topic}`, kafkaExtra));
  await s.open();
  writeFileSync(s.file("app.log"), "");
  const first = s.start();
  await first.waitForLog(/Following file/);
  appendNumbered(s.file("app.log"), "a", 0, 1000);
  expect(await s.reader.waitFor(s.topic, 1000, 30_000, 0)).toEqual(numbered("a", 0, 1000));

  // Another agent (its own folder and state_dir) with the same transactional id: its InitProducerId fences the first.
  const other = new Scenario((sc) => `from = beginning\n\n[collect.other]\npath = ${sc.file("other.log")}\ntopic = ${s.topic}`, kafkaExtra);
  writeFileSync(other.file("other.log"), "");
  const second = new AgentProcess(other.dir, other.bin, iniFor({ kafka: services.kafka, extra: `from = beginning\n\n[collect.other]\npath = ${other.file("other.log")}\ntopic = ${s.topic}`, kafkaExtra }));
  try {
    await second.waitForLog(/Following file/, 30_000);
    // The first finds out when it next writes: its transaction's requests carry the old epoch.
    appendNumbered(s.file("app.log"), "a", 1000, 2000);
    const code = await Promise.race([first.exited, Bun.sleep(30_000).then(() => null)]);
    expect(code).toBe(1);
    expect(first.log).toMatch(new RegExp(`ERROR .*Another agent took over this agent's transactional id.*${txid}`));
    expect(first.log.match(/Another agent took over/g)?.length).toBe(1); // said once, no retry loop
    // The second goes on.
    appendNumbered(other.file("other.log"), "b", 0, 100);
    const got = await s.reader.waitFor(s.topic, 1100, 30_000, 0);
    expect(got.filter((v) => v.startsWith("b-"))).toEqual(numbered("b", 0, 100));
    expect(second.running).toBe(true);
  } finally {
    await second.stop("SIGTERM");
  }
}, 120_000);
