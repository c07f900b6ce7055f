// Issue 10's second defect: a burst of size-based rotations right after a
// quiet spell. A file quiet for a few seconds is polled only every
// idle_poll_max_ms (2 s by default); a writer that fills and rotates its file
// three times inside that window used to leave whole rotated files never seen
// under a plain path, because nothing named them any more when the agent
// looked. The folder watcher (src/tail/folder-watch.ts) has the agent look
// when each rotation happens.
//
// The writer is a size-based rotating logger (Python's RotatingFileHandler,
// log4j's SizeBasedTriggeringPolicy): 4,000 lines, then app.log.N -> N+1,
// app.log -> app.log.1, reopen app.log; three times in about 0.7 s, well
// inside one idle poll interval, after 5 s without a line. Checked for a plain
// path and for a glob that also matches the rotated names.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { AgentProcess, iniFor, sandbox } from "../support/agent-process";
import { services, unique } from "../support/env";
import { TopicReader, createTopics } from "../support/kafka";
import { LogWriter, outOfOrderWithin } from "../support/log-writer";
import { compare } from "../support/scenario";

const LINES_PER_FILE = 4000;
const ROTATIONS = 3;
const QUIET_MS = 5000;

const box = sandbox();
const cases = {
  plain: { dir: path.join(box.dir, "plain"), topic: unique("quiet-plain"), path: (d: string) => path.join(d, "app.log") },
  glob: { dir: path.join(box.dir, "glob"), topic: unique("quiet-glob"), path: (d: string) => path.join(d, "app.log*") },
};
let agent: AgentProcess;
let reader: TopicReader;

beforeAll(async () => {
  const topics = Object.values(cases).map((c) => c.topic);
  await createTopics(topics);
  reader = await TopicReader.start(topics);
  for (const c of Object.values(cases)) mkdirSync(c.dir);
  // idle_poll_max_ms stays at its default (2000): the window the burst falls in.
  const sections = Object.entries(cases).map(([name, c]) => `[collect.${name}]\npath = ${c.path(c.dir)}\ntopic = ${c.topic}`);
  agent = new AgentProcess(box.dir, box.bin, iniFor({ kafka: services.kafka, extra: `from = beginning\n\n${sections.join("\n\n")}` }));
  await agent.waitForLog(/Started collecting file[^\n]*app\.log\*/);
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await reader?.stop();
}, 120_000);

describe.each(Object.keys(cases) as (keyof typeof cases)[])("%s", (name) => {
  test(`a burst of ${ROTATIONS} size-based rotations after ${QUIET_MS / 1000} s of quiet loses nothing`, async () => {
    const c = cases[name];
    const writer = new LogWriter(path.join(c.dir, "app.log"), "q", " ".repeat(60));
    writer.write(10);
    expect((await reader.waitFor(c.topic, 10, 30_000, 0)).length).toBe(10);
    await Bun.sleep(QUIET_MS);
    const burstStart = performance.now();
    for (let r = 0; r < ROTATIONS; r++) {
      // 4,000 lines in 20 writes 10 ms apart, then the rotation and the reopen.
      for (let i = 0; i < 20; i++) {
        writer.write(LINES_PER_FILE / 20);
        await Bun.sleep(10);
      }
      writer.rotateRename(10);
      writer.reopen();
    }
    writer.write(LINES_PER_FILE);
    const burstMs = performance.now() - burstStart;
    writer.close();
    const total = 10 + (ROTATIONS + 1) * LINES_PER_FILE;
    const got = await reader.waitFor(c.topic, total, 60_000);
    const { missing, duplicates, firstMissing } = compare(got, { q: total });
    // Order is promised within each file (the writer's segments), not across a rotated file and its successor.
    expect({ received: got.length, missing, duplicates, firstMissing, outOfOrderWithinFiles: outOfOrderWithin(got, "q", writer.segments) }).toEqual({
      received: total,
      missing: 0,
      duplicates: 0,
      firstMissing: [],
      outOfOrderWithinFiles: 0,
    });
    // The burst fit in one idle poll interval, as the defect needs (a slow machine may stretch it).
    console.log(`${name}: burst of ${ROTATIONS} rotations took ${Math.round(burstMs)} ms`);
  }, 120_000);
});
