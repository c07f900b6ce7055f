// Issue 5, test 5: every line-processing fixture in test/fixtures/lines (see
// its README) goes through the compiled agent and Kafka: NAME.log is the file,
// NAME.json the collect entry's options, NAME.out (JSON Lines, one JSON string
// per message) exactly what its topic must hold, in order. One agent reads
// them all, each through its own etcd entry and topic; the entry is NAME.json
// itself plus path, topic and `from`, so fixtures and the etcd schema agree.
//
// Fixtures are found when the tests load, so a new pair of files is a new test.
// LOGAGENT_LINE_FIXTURES points at another folder of the same format.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { AgentProcess, iniFor, sandbox } from "../support/agent-process";
import { ROOT, services, unique } from "../support/env";
import { etcdClient, putList } from "../support/etcd";
import { TopicReader, createTopics } from "../support/kafka";

const FIXTURES = process.env.LOGAGENT_LINE_FIXTURES ?? path.join(ROOT, "test", "fixtures", "lines");

interface Fixture {
  name: string;
  log: string;
  options: Record<string, unknown>;
  expected: string[];
  topic: string;
}

function loadFixture(name: string): Fixture {
  const base = path.join(FIXTURES, name);
  const options = existsSync(`${base}.json`) ? (JSON.parse(readFileSync(`${base}.json`, "utf8")) as Record<string, unknown>) : {};
  const expected = readFileSync(`${base}.out`, "utf8")
    .split("\n")
    .filter((line) => line !== "") // the file's last newline; an empty message is `""`, never an empty line
    .map((line, i) => {
      const value: unknown = JSON.parse(line);
      if (typeof value !== "string") throw new Error(`${base}.out:${i + 1}: each line must be a JSON string, got ${line}`);
      return value;
    });
  return { name, log: `${base}.log`, options, expected, topic: unique(`lines-${name.replace(/[^\w.-]/g, "_")}`) };
}

const fixtures: Fixture[] = existsSync(FIXTURES)
  ? readdirSync(FIXTURES)
      .filter((f) => f.endsWith(".log") && existsSync(path.join(FIXTURES, f.replace(/\.log$/, ".out"))))
      .map((f) => f.replace(/\.log$/, ""))
      .sort()
      .map(loadFixture)
  : [];

const etcd = etcdClient();
const box = sandbox();
const key = `/logagent/${unique("host")}/collect_config`;
let agent: AgentProcess;
let reader: TopicReader;
/** Resolves once every topic holds its count (or 30 s have passed), plus the longest pending wait. */
let settled: Promise<void>;

/** How long a fixture's last multiline event may wait before it is sent. */
function pendingMs(f: Fixture): number {
  const m = f.options.multiline as { timeout_ms?: number } | undefined;
  return m ? (m.timeout_ms ?? 5000) : 0;
}

beforeAll(async () => {
  if (fixtures.length === 0) return;
  await createTopics(fixtures.map((f) => f.topic));
  reader = await TopicReader.start(fixtures.map((f) => f.topic));
  const entries = fixtures.map((f) => {
    const file = path.join(box.dir, `${f.name}.log`);
    copyFileSync(f.log, file);
    return { ...f.options, path: file, topic: f.topic, from: "beginning" };
  });
  await putList(etcd, key, entries);
  agent = new AgentProcess(box.dir, box.bin, iniFor({ kafka: services.kafka, etcd: services.etcd, key }));
  settled = (async () => {
    const deadline = Date.now() + 30_000;
    for (const f of fixtures) await reader.waitFor(f.topic, f.expected.length, Math.max(0, deadline - Date.now()), 0);
    // The last multiline event of a fixture is sent only after its timeout; wait that long past the
    // counts, so that an extra message would show too.
    await Bun.sleep(1500 + Math.max(...fixtures.map(pendingMs)));
  })();
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await reader?.stop();
  etcd.close();
});

describe(`line fixtures in ${path.relative(ROOT, FIXTURES) || FIXTURES}`, () => {
  test("the fixture folder holds NAME.log + NAME.out pairs", () => {
    expect(fixtures.map((f) => f.name).length).toBeGreaterThan(0);
  });

  for (const f of fixtures) {
    test(`${f.name}: the topic holds exactly NAME.out`, async () => {
      await settled;
      const got = reader.values(f.topic);
      if (JSON.stringify(got) !== JSON.stringify(f.expected)) {
        console.log(`${f.name}: options ${JSON.stringify(f.options)}\nagent warnings and errors:\n${agent.log.split("\n").filter((l) => / (WARN|ERROR) /.test(l)).join("\n")}`);
      }
      expect(got).toEqual(f.expected);
    }, 60_000);
  }
});
