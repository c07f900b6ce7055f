// Issue 10: idle costs nothing. The release binary follows 300 quiet files
// listed in etcd; once one line has been shipped (so that its Kafka
// connections exist and have had a response), how often are its threads woken?
// kafkajs's request queue used to re-arm a 1 ms timer forever after the first
// response (kafkajs#1556, patched in src/kafka/request-queue-patch.ts): about
// 700-850 wake-ups a second, where the patched agent measures 15-40 (its poll
// loop, the checkpointer, the broker and etcd connections). Not a benchmark:
// the bound is far from both, and bench/idle.ts gives the figures.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, writeFileSync, appendFileSync } from "node:fs";
import path from "node:path";
import { AgentProcess, iniFor, sandbox } from "../support/agent-process";
import { services, unique } from "../support/env";
import { etcdClient, putList } from "../support/etcd";
import { TopicReader, createTopics } from "../support/kafka";
import { usageOver } from "../support/proc-stats";

const FILES = 300;
const WAKEUPS_PER_S = 200;

const box = sandbox();
const topic = unique("idle");
const key = `/logagent/${unique("idle")}/collect_config`;
const data = path.join(box.dir, "data");
const files = Array.from({ length: FILES }, (_, i) => path.join(data, `f${i}.log`));
const etcd = etcdClient();
let agent: AgentProcess;
let reader: TopicReader;

beforeAll(async () => {
  mkdirSync(data);
  for (const f of files) writeFileSync(f, "an old line, before the agent started\n");
  await createTopics([topic]);
  reader = await TopicReader.start([topic]);
  await putList(etcd, key, files.map((f) => ({ path: f, topic })));
  // Default poll settings: iniFor's poll_interval_ms = 100 is the default too.
  agent = new AgentProcess(box.dir, box.bin, iniFor({ kafka: services.kafka, etcd: services.etcd, key }).replace("log_level = debug", "log_level = info"));
  for (let i = 0; i < 300 && agent.openPaths().filter((p) => p.startsWith(data)).length < FILES; i++) await Bun.sleep(100);
  expect(agent.openPaths().filter((p) => p.startsWith(data)).length).toBe(FILES);
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await reader?.stop();
  etcd.close();
}, 120_000);

test(`after one line was shipped, the agent following ${FILES} quiet files is woken less than ${WAKEUPS_PER_S} times a second`, async () => {
  appendFileSync(files[0]!, "the one line\n");
  expect(await reader.waitFor(topic, 1, 30_000, 0)).toEqual(["the one line"]);
  // A few seconds for the files' polling to back off to idle_poll_max_ms (2 s) and the sink to settle.
  await Bun.sleep(5000);
  const usage = await usageOver(agent.pid, 10);
  console.log(`idle after one line: ${usage.wakeups.toFixed(0)} wake-ups/s (main thread ${usage.mainWakeups.toFixed(0)}/s), CPU ${(usage.cpu * 100).toFixed(2)}% of a core, RSS max ${(usage.rssMax / 2 ** 20).toFixed(1)} MiB`);
  expect(usage.wakeups).toBeLessThan(WAKEUPS_PER_S);
  // Nothing else was written: the one line arrived once.
  expect(reader.values(topic)).toEqual(["the one line"]);
}, 120_000);
