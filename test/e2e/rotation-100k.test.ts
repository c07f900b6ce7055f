// Issue 5, test 3: 100,000 lines written continuously through 20 rename
// rotations, as logrotate's create mode does them (app.log.N-1 -> app.log.N,
// ..., app.log -> app.log.1; the program writes a few more lines through its
// old handle, then reopens app.log). No line may be lost or repeated, and each
// file's lines arrive in order. Once with the literal path `app.log`, once
// with a glob that also matches every rotated name: a renamed file is the
// same file (device and inode), so it must not be read again.
import { afterEach, expect, test } from "bun:test";
import path from "node:path";
import { AgentProcess, iniFor, sandbox } from "../support/agent-process";
import { services, unique } from "../support/env";
import { TopicReader, createTopics } from "../support/kafka";
import { LogWriter, outOfOrderWithin } from "../support/log-writer";
import { compare } from "../support/scenario";

const TOTAL = 100_000;
const ROTATIONS = 20;
const ROTATE_EVERY = 4_750; // 20 rotations, the last at line 95,000; 21 files in all
const PER_WRITE = 100;
const WRITE_EVERY_MS = 20; // about 5,000 lines/s: a rotation a second, ten times the poll interval
const LINES_AFTER_RENAME = 25;
const PAD = " " + "x".repeat(60); // lines of a realistic length

let agent: AgentProcess | null = null;
let reader: TopicReader | null = null;
afterEach(async () => {
  if (agent?.running) await agent.stop();
  await reader?.stop();
  agent = reader = null;
});

async function run(entryPath: (dir: string) => string) {
  const box = sandbox();
  const topic = unique("rotate100k");
  const file = path.join(box.dir, "app.log");
  await createTopics([topic]);
  reader = await TopicReader.start([topic]);
  const w = new LogWriter(file, "line", PAD);
  agent = new AgentProcess(box.dir, box.bin, iniFor({ kafka: services.kafka, extra: `from = beginning\n\n[collect.app]\npath = ${entryPath(box.dir)}\ntopic = ${topic}` }));
  // The first line in Kafka says the agent follows the file; everything after it is written live.
  w.write(1);
  await reader.waitFor(topic, 1, 30_000, 0);
  if (reader.values(topic).length === 0) throw new Error(`the agent did not ship the first line; its log:\n${agent.log}`);

  let rotations = 0;
  const t0 = Date.now();
  while (w.next < TOTAL) {
    const before = w.next;
    w.write(Math.min(PER_WRITE, TOTAL - w.next));
    if (Math.floor(w.next / ROTATE_EVERY) > Math.floor(before / ROTATE_EVERY) && rotations < ROTATIONS) {
      w.rotateRename(30);
      rotations++;
      // The program has not noticed yet: a few more lines go to the renamed file through its handle.
      await Bun.sleep(100);
      w.write(LINES_AFTER_RENAME);
      w.reopen();
    }
    await Bun.sleep(WRITE_EVERY_MS);
  }
  w.close();
  const writeMs = Date.now() - t0;

  const got = await reader.waitFor(topic, TOTAL, 60_000, 2000);
  const c = compare(got, { line: TOTAL });
  const perFile = outOfOrderWithin(got, "line", w.segments);
  console.log(`${rotations} rotations, ${TOTAL} lines written in ${writeMs} ms over ${w.segments.length} files: ${JSON.stringify(c)}, out of order within a file: ${perFile}`);
  if (c.missing || c.duplicates || perFile) console.log(agent.log.split("\n").filter((l) => !l.includes(" DEBUG ")).slice(-200).join("\n"));
  expect(rotations).toBe(ROTATIONS);
  expect(w.segments.length).toBe(ROTATIONS + 1);
  expect(c).toMatchObject({ expected: TOTAL, missing: 0, duplicates: 0 });
  expect(c.received).toBe(TOTAL);
  expect(perFile).toBe(0);
  return c;
}

test("literal path app.log: 100,000 lines through 20 rename rotations, none lost, none repeated, in order", async () => {
  const c = await run((dir) => path.join(dir, "app.log"));
  // One path, rotated files finished before the new one is read: the order holds across files too.
  expect(c.outOfOrder).toBe(0);
}, 120_000);

test("glob app.log* matching the rotated names too: 100,000 lines through 20 rotations, renamed files not read again", async () => {
  // app.log.1 .. app.log.20 are renamed again at each rotation; each is a file already being read.
  await run((dir) => path.join(dir, "app.log*"));
}, 120_000);
