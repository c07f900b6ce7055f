// Test 3 of issue 2: three rename rotations while lines are being written.
// The writer behaves like an application under logrotate: after the rename it
// still writes a few lines through its old handle before it reopens the path.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { closeSync, openSync, renameSync, writeSync } from "node:fs";
import path from "node:path";
import { AgentProcess, iniFor, sandbox } from "../support/agent-process";
import { services, unique } from "../support/env";
import { numbered } from "../support/files";
import { TopicReader, createTopics } from "../support/kafka";

const box = sandbox();
const topic = unique("rotate");
const file = path.join(box.dir, "app.log");
let agent: AgentProcess;
let reader: TopicReader;

beforeAll(async () => {
  await createTopics([topic]);
  reader = await TopicReader.start([topic]);
  const ini = iniFor({ kafka: services.kafka, extra: `from = beginning\n\n[collect.app]\npath = ${file}\ntopic = ${topic}` });
  agent = new AgentProcess(box.dir, box.bin, ini);
  await agent.waitForLog(/File does not exist yet|Following file/);
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await reader?.stop();
}, 120_000);

test("three rename rotations while writing: no line lost, none repeated, order kept", async () => {
  const TOTAL = 40_000;
  const rotateAt = new Set([10_000, 20_000, 30_000]);
  let fd = openSync(file, "a");
  let rotations = 0;
  for (let i = 0; i < TOTAL; i += 100) {
    let text = "";
    for (let j = i; j < i + 100; j++) text += `line-${j}\n`;
    writeSync(fd, text);
    if (rotateAt.has(i + 100)) {
      renameSync(file, `${file}.${++rotations}`);
      // Still writing through the old handle after the rename, as an application does until it reopens.
      await Bun.sleep(150);
      closeSync(fd);
      fd = openSync(file, "a");
    }
    // About two seconds between rotations: rotations far faster than polling could hide a whole file.
    if (i % 1000 === 0) await Bun.sleep(200);
  }
  closeSync(fd);
  expect(rotations).toBe(3);
  const got = await reader.waitFor(topic, TOTAL, 60_000, 2000);
  expect(got.length).toBe(TOTAL);
  expect(got).toEqual(numbered("line", 0, TOTAL));
  // Each rotation was seen as such: the path named another file, or (before the writer reopened it) none.
  expect(agent.log.match(/File was rotated|File was removed or renamed/g)?.length).toBe(3);
}, 120_000);
