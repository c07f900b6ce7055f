// Test 1 of issue 2: the compiled binary, alone in an empty folder, ships three
// files to two topics; every line arrives exactly once and in order per file.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { AgentProcess, iniFor, sandbox } from "../support/agent-process";
import { services, unique } from "../support/env";
import { etcdClient, putList } from "../support/etcd";
import { appendNumbered, numbered } from "../support/files";
import { TopicReader, createTopics } from "../support/kafka";

const etcd = etcdClient();
let agent: AgentProcess;
let reader: TopicReader;
const topicA = unique("ship-a");
const topicB = unique("ship-b");
const key = `/logagent/${unique("host")}/collect_config`;
const box = sandbox();
const files = ["one.log", "two.log", "three.log"].map((f) => path.join(box.dir, f));

beforeAll(async () => {
  await createTopics([topicA, topicB]);
  reader = await TopicReader.start([topicA, topicB]);
  for (const f of files) writeFileSync(f, "old line written before the agent started\n");
  await putList(etcd, key, [
    { path: files[0], topic: topicA },
    { path: files[1], topic: topicA },
    { path: files[2], topic: topicB },
  ]);
  agent = new AgentProcess(box.dir, box.bin, iniFor({ kafka: services.kafka, etcd: services.etcd, key }));
  for (const f of files) await agent.waitForLog(new RegExp(`Following file\\. path=${f.replaceAll("/", "\\/")}`));
});

afterAll(async () => {
  await agent?.stop();
  await reader?.stop();
  etcd.close();
});

test("lines appended to three files arrive in Kafka exactly once, in order per file, on the entry's topic", async () => {
  const N = 5000;
  for (let round = 0; round < 5; round++) {
    files.forEach((f, i) => appendNumbered(f, `f${i}`, (round * N) / 5, ((round + 1) * N) / 5));
    await Bun.sleep(100);
  }
  const a = await reader.waitFor(topicA, 2 * N);
  const b = await reader.waitFor(topicB, N);
  // from = end: the line written before the agent started is not shipped.
  expect(a.filter((v) => v.startsWith("f0-"))).toEqual(numbered("f0", 0, N));
  expect(a.filter((v) => v.startsWith("f1-"))).toEqual(numbered("f1", 0, N));
  expect(a.length).toBe(2 * N);
  expect(b).toEqual(numbered("f2", 0, N));
});

test("every message carries host, path and byte-offset headers, so consumers can drop duplicates and spot gaps", () => {
  const messages = reader.received.get(topicB)!.slice(0, 3);
  const oldLine = "old line written before the agent started\n";
  expect(messages.map((m) => m.headers)).toEqual(
    ["f2-0", "f2-1", "f2-2"].map((_, i) => ({
      host: expect.any(String),
      path: files[2]!,
      // from = end: the first shipped line starts right after the line that was already there
      offset: String(oldLine.length + ["f2-0\n", "f2-1\n"].slice(0, i).join("").length),
    })),
  );
  expect(messages[0]!.headers.host!.length).toBeGreaterThan(0);
});

test("SIGTERM stops the agent with exit code 0, every line it read acknowledged and in Kafka", async () => {
  appendNumbered(files[2]!, "last", 0, 100);
  // The file has been quiet, so it is polled only every idle_poll_max_ms (2 s): give it that long to be read.
  await Bun.sleep(2500);
  expect(await agent.stop("SIGTERM")).toBe(0);
  expect(agent.log).toContain("Stopped; every line read was acknowledged by Kafka");
  expect(await reader.waitFor(topicB, 5100)).toEqual([...numbered("f2", 0, 5000), ...numbered("last", 0, 100)]);
});
