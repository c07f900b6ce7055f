// Issue 10: a 3-broker cluster on loopback (replication factor 3, min.insync.replicas=2, acks=all):
// the partition's leader is killed (-9) while lines are written and shipped. The agent must find the
// new leader, lose nothing and keep each file's order. The cluster is this file's own
// (scripts/services.sh start-cluster on KAFKA_CLUSTER_PORT, default 29100), stopped at the end.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { AgentProcess, iniFor, sandbox } from "../support/agent-process";
import { unique } from "../support/env";
import { appendNumbered } from "../support/files";
import { TopicReader, client, createTopics } from "../support/kafka";
import { compare } from "../support/scenario";
import { servicesShAsync } from "../support/services";

const FILES = ["a", "b"];
const BURST = 1000; // lines per file per burst, every 250 ms
const PAD = " " + "x".repeat(80);
let runDir = "";
let brokers = "";
let agent: AgentProcess | null = null;

beforeAll(async () => {
  runDir = mkdtempSync(path.join(os.tmpdir(), "logagent-cluster-"));
  rmdirSync(runDir); // services.sh creates it, and only wipes folders it made
  await servicesShAsync("start-cluster", [runDir], { KAFKA_CLUSTER_PORT: process.env.KAFKA_CLUSTER_PORT ?? "29100" });
  brokers = /KAFKA_CLUSTER_BROKERS=(.*)/.exec(readFileSync(path.join(runDir, "services.env"), "utf8"))![1]!;
}, 180_000);

afterAll(async () => {
  if (agent?.running) await agent.stop();
  if (runDir) await servicesShAsync("stop", [runDir]);
}, 60_000);

async function leaderOf(topic: string): Promise<number> {
  const admin = client(brokers).admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0]!.partitions[0]!.leader;
  } finally {
    await admin.disconnect();
  }
}

test("the partition leader killed under load: nothing lost, every file in order", async () => {
  const topic = unique("cluster");
  await createTopics([topic], 1, {}, brokers); // replication factor 3, min.insync.replicas=2: the cluster's defaults
  const box = sandbox();
  for (const f of FILES) writeFileSync(`${box.dir}/${f}.log`, "");
  const sections = FILES.map((f) => `\n[collect.${f}]\npath = ${box.dir}/${f}.log\ntopic = ${topic}`).join("");
  agent = new AgentProcess(box.dir, box.bin, iniFor({ kafka: brokers, kafkaExtra: "acks = all\nbatch_max_messages = 200", extra: sections }));
  await agent.waitForLog(/Following file[^\n]*b\.log/);

  const written = new Map(FILES.map((f) => [f, 0]));
  let writing = true;
  const writer = (async () => {
    while (writing) {
      for (const f of FILES) {
        appendNumbered(`${box.dir}/${f}.log`, f, written.get(f)!, written.get(f)! + BURST, PAD);
        written.set(f, written.get(f)! + BURST);
      }
      await Bun.sleep(250);
    }
  })();

  await Bun.sleep(3000);
  const leader = await leaderOf(topic);
  await servicesShAsync("stop-node", [runDir, String(leader)]);
  // The dead node is fenced after 3 s and another in-sync replica leads; lines keep coming meanwhile.
  await agent.waitForLog(/Kafka accepts batches again/, 60_000);
  const newLeader = await leaderOf(topic);
  await Bun.sleep(3000);
  writing = false;
  await writer;

  const reader = await TopicReader.start([topic], brokers);
  const total = [...written.values()].reduce((a, b) => a + b, 0);
  const got = await reader.waitFor(topic, total, 120_000, 3000);
  await reader.stop();
  const c = compare(got, Object.fromEntries(written));
  console.log(`cluster: leader ${leader} killed, ${newLeader} leads now; ${total} lines written, ${c.received} received, ${c.missing} missing, ${c.duplicates} duplicates, ${c.outOfOrder} out of order`);
  expect(newLeader).not.toBe(leader);
  expect(agent.log).toMatch(/WARN .*Kafka did not accept a batch; retrying until it does/);
  expect(agent.log).not.toMatch(/Kafka refuses this topic/);
  expect(c.missing).toBe(0);
  expect(c.outOfOrder).toBe(0);
}, 240_000);
