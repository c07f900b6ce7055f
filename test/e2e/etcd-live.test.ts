// Test 2 of issue 2: live etcd edits while lines flow. Each step asserts what
// reaches Kafka, never a log line alone.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { AgentProcess, iniFor, sandbox } from "../support/agent-process";
import { services, unique } from "../support/env";
import { etcdClient, putList } from "../support/etcd";
import { appendNumbered, numbered } from "../support/files";
import { TopicReader, createTopics } from "../support/kafka";

const etcd = etcdClient();
const box = sandbox();
const key = `/logagent/${unique("host")}/collect_config`;
const [t1, t2, t3] = [unique("live-1"), unique("live-2"), unique("live-3")];
const a = path.join(box.dir, "a.log");
const b = path.join(box.dir, "b.log");
let agent: AgentProcess;
let reader: TopicReader;

const esc = (s: string) => s.replace(/[/.]/g, "\\$&");

beforeAll(async () => {
  await createTopics([t1, t2, t3]);
  reader = await TopicReader.start([t1, t2, t3]);
  writeFileSync(a, "");
  writeFileSync(b, "");
  await putList(etcd, key, [{ path: a, topic: t1 }]);
  agent = new AgentProcess(box.dir, box.bin, iniFor({ kafka: services.kafka, etcd: services.etcd, key }));
  await agent.waitForLog(new RegExp(`Following file\\. path=${esc(a)}`));
});

afterAll(async () => {
  await agent?.stop();
  await reader?.stop();
  etcd.close();
});

describe("live etcd edits", () => {
  test("adding an entry ships the new file's lines", async () => {
    appendNumbered(a, "a", 0, 100);
    await putList(etcd, key, [{ path: a, topic: t1 }, { path: b, topic: t2 }]);
    await agent.waitForLog(new RegExp(`Following file\\. path=${esc(b)}`));
    appendNumbered(b, "b", 0, 100);
    expect(await reader.waitFor(t2, 100)).toEqual(numbered("b", 0, 100));
    expect(await reader.waitFor(t1, 100)).toEqual(numbered("a", 0, 100));
  });

  test("changing a topic sends later lines to the new topic, none repeated or lost", async () => {
    appendNumbered(a, "a", 100, 200);
    await reader.waitFor(t1, 200, 30_000, 0);
    const mark = agent.log.length;
    await putList(etcd, key, [{ path: a, topic: t3 }, { path: b, topic: t2 }]);
    await agent.waitForLog(/Topic changed/, 20_000, mark);
    appendNumbered(a, "a", 200, 300);
    expect(await reader.waitFor(t3, 100)).toEqual(numbered("a", 200, 300));
    expect(reader.values(t1)).toEqual(numbered("a", 0, 200));
  });

  test("removing an entry stops its lines and closes its file", async () => {
    const mark = agent.log.length;
    await putList(etcd, key, [{ path: a, topic: t3 }]);
    await agent.waitForLog(new RegExp(`Stopped collecting file; it is closed\\. path=${esc(b)}`), 20_000, mark);
    expect(agent.openPaths()).not.toContain(b);
    expect(agent.openPaths()).toContain(a);
    appendNumbered(b, "b", 100, 200);
    appendNumbered(a, "a", 300, 310);
    await reader.waitFor(t3, 110);
    expect(reader.values(t2)).toEqual(numbered("b", 0, 100));
  });

  test("invalid JSON is logged with key and revision, and the previous list keeps running", async () => {
    const mark = agent.log.length;
    await putList(etcd, key, "[{not json");
    const line = await agent.waitForLog(/ERROR .*Collect list in etcd is invalid.*/, 20_000, mark);
    expect(line).toContain(`key=${key}`);
    expect(line).toMatch(/revision=\d+/);
    await putList(etcd, key, [{ path: a, topic: 42 }]);
    await agent.waitForLog(/field \\"topic\\" must be a non-empty string, got 42/, 20_000, mark);
    appendNumbered(a, "a", 310, 320);
    expect(await reader.waitFor(t3, 120)).toEqual(numbered("a", 200, 320));
  });

  test("deleting the key stops every entry", async () => {
    const mark = agent.log.length;
    await etcd.delete().key(key);
    await agent.waitForLog(new RegExp(`Stopped collecting file; it is closed\\. path=${esc(a)}`), 20_000, mark);
    expect(agent.openPaths()).not.toContain(a);
    appendNumbered(a, "a", 320, 330);
    await Bun.sleep(1500);
    expect(reader.values(t3)).toEqual(numbered("a", 200, 320));
  });
});
