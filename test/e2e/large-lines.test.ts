// Issue 10, item 5: no request the broker must refuse, and no topic stuck behind one line.
// Before, a line of exactly max_line_bytes (1 MiB, the default) was split into a 1,000,000-byte and a
// 48,576-byte message that went in one request; the broker (default message.max.bytes, 1 MiB + 12)
// refused it with MESSAGE_TOO_LARGE, and the entry retried it for ever with every later line behind it.
import { afterAll, expect, test } from "bun:test";
import { appendFileSync, writeFileSync } from "node:fs";
import { AgentProcess, iniFor, sandbox } from "../support/agent-process";
import { services, unique } from "../support/env";
import { numbered, numberedText } from "../support/files";
import { TopicReader, createTopics } from "../support/kafka";

const running: AgentProcess[] = [];
const readers: TopicReader[] = [];
afterAll(async () => {
  for (const a of running) if (a.running) await a.stop();
  for (const r of readers) await r.stop();
});

async function start(topic: string): Promise<{ agent: AgentProcess; file: string }> {
  const box = sandbox();
  const file = `${box.dir}/big.log`;
  writeFileSync(file, "");
  // Default settings: only where to send and what to read.
  const agent = new AgentProcess(box.dir, box.bin, iniFor({ kafka: services.kafka, extra: `\n[collect.big]\npath = ${file}\ntopic = ${topic}` }));
  running.push(agent);
  await agent.waitForLog(/Following file/);
  return { agent, file };
}

test("a line of exactly max_line_bytes (1 MiB) with default settings ships, in two messages, and the lines after it go on", async () => {
  const topic = unique("mib-line");
  await createTopics([topic]); // the broker's defaults: message.max.bytes 1 MiB + 12
  const reader = await TopicReader.start([topic]);
  readers.push(reader);
  const { agent, file } = await start(topic);
  const big = "M".repeat(1 << 20);
  appendFileSync(file, `before\n${big}\n` + numberedText("after", 0, 100));
  const got = await reader.waitFor(topic, 103, 60_000);
  expect(got.length).toBe(103);
  expect(got[0]).toBe("before");
  expect([got[1]!.length, got[2]!.length]).toEqual([1_000_000, 48_576]);
  expect(got[1]! + got[2]!).toBe(big);
  expect(reader.received.get(topic)!.slice(1, 3).map((m) => m.headers.part)).toEqual(["1/2", "2/2"]);
  expect(got.slice(3)).toEqual(numbered("after", 0, 100));
  expect(agent.log).toMatch(/WARN .*Line longer than max_message_bytes was split into 2 messages.*bytes=1048576/);
  expect(agent.log).not.toMatch(/MESSAGE_TOO_LARGE|Kafka refuses this topic/);
}, 90_000);

test("a topic whose max.message.bytes is below the agent's limits: batches and a long line are cut until the broker takes them, counted and logged, and the topic goes on", async () => {
  const topic = unique("small-limit");
  await createTopics([topic], 1, { "max.message.bytes": "100000" });
  const reader = await TopicReader.start([topic]);
  readers.push(reader);
  const { agent, file } = await start(topic);
  // 20,000 lines of about 100 bytes: far over 100,000 bytes a batch at the default batch_max_bytes.
  const pad = " " + "p".repeat(90);
  appendFileSync(file, numberedText("small", 0, 20_000, pad));
  const long = Array.from({ length: 30_000 }, (_, i) => String(i % 10)).join("").repeat(10); // 300,000 bytes
  appendFileSync(file, `${long}\n` + numberedText("after", 0, 100));
  const deadline = Date.now() + 90_000;
  let values: string[] = [];
  while (Date.now() < deadline) {
    values = reader.values(topic);
    if (values.at(-1) === "after-99") break;
    await Bun.sleep(200);
  }
  expect(values.slice(0, 20_000).map((v) => v.split(" ", 1)[0])).toEqual(numbered("small", 0, 20_000));
  const pieces = reader.received.get(topic)!.slice(20_000, values.length - 100);
  expect(pieces.map((m) => m.value).join("")).toBe(long);
  expect(pieces.every((m) => m.value.length < 100_000 && m.headers.offset === pieces[0]!.headers.offset)).toBe(true);
  expect(new Set(pieces.map((m) => m.headers.part)).size).toBe(pieces.length); // each piece labelled
  expect(values.slice(-100)).toEqual(numbered("after", 0, 100));
  expect(agent.log).toMatch(/WARN .*Kafka refused a batch as too large; it is sent again in halves/);
  expect(agent.log).toMatch(/WARN .*Kafka refused a message as too large; it was split in two\..*oversized_lines=1/);
  expect(agent.log).not.toMatch(/Kafka refuses this topic/);
}, 120_000);
