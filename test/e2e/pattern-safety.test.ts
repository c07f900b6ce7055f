// Issue item 6, "Patterns that stall the agent": catastrophic regular
// expressions in `include_lines`, sent through etcd to a running agent while
// its file receives a hundred lines built to make a backtracking engine stall.
// On Bun's own engine each such line costs about half a second to a second on
// the main thread (and answers "no match" when it gives up), so every tailer
// and the Kafka sender stop with it. Here they run in linear time: the bad
// entry ships exactly the lines that match, and the other entry's lines reach
// Kafka as fast as in a baseline run without the catastrophic patterns.
//
// Delays are measured as the broker's append time (the topics use
// LogAppendTime; broker and test share the clock) minus the write time each
// good line carries.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { appendFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { AgentProcess, iniFor, sandbox } from "../support/agent-process";
import { services, unique } from "../support/env";
import { etcdClient, putList } from "../support/etcd";
import { literal } from "../support/files";
import { TopicReader, createTopics } from "../support/kafka";

const etcd = etcdClient();
const box = sandbox();
const key = `/logagent/${unique("host")}/collect_config`;
const [goodTopic, badTopic] = [unique("patterns-good"), unique("patterns-bad")];
const good = path.join(box.dir, "good.log");
const bad = path.join(box.dir, "bad.log");
let agent: AgentProcess;
let reader: TopicReader;

const CATASTROPHIC = ["(a+)+$", "(a|a)*b", "(x+x+)+y"];
const list = (include_lines: string[]) => [
  { path: good, topic: goodTopic },
  { path: bad, topic: badTopic, include_lines },
];

/**
 * Line i of a run: five kinds of 30-character runs, each ruinous for a backtracking engine on at least
 * one of CATASTROPHIC. `ships` says whether one of CATASTROPHIC matches it (the right answer).
 */
function hostileLine(run: string, i: number): { text: string; ships: boolean } {
  const kinds = [
    { tail: "a".repeat(30) + "!", ships: false },
    { tail: "a".repeat(30), ships: true }, // (a+)+$
    { tail: "a".repeat(30) + "b", ships: true }, // (a|a)*b
    { tail: "x".repeat(30) + "!", ships: false },
    { tail: "x".repeat(30) + "y", ships: true }, // (x+x+)+y
  ];
  const kind = kinds[i % kinds.length]!;
  return { text: `${run}-${i} ${kind.tail}`, ships: kind.ships };
}

/**
 * Writes 100 good lines, one every 20 ms, each carrying its write time; before each, one hostile line to
 * the bad entry's file. Returns the good lines written.
 */
async function writeBoth(run: string): Promise<string[]> {
  const lines: string[] = [];
  for (let i = 0; i < 100; i++) {
    appendFileSync(bad, hostileLine(run, i).text + "\n");
    const line = `${run}-${i} written=${Date.now()}`;
    appendFileSync(good, line + "\n");
    lines.push(line);
    await Bun.sleep(20);
  }
  return lines;
}

/** Each good line's write-to-Kafka delay, ms, from the messages of `run`. */
function delays(run: string): number[] {
  return (reader.received.get(goodTopic) ?? [])
    .filter((m) => m.value.startsWith(`${run}-`))
    .map((m) => m.timestamp - Number(/written=(\d+)$/.exec(m.value)![1]));
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const summary = (xs: number[]) => ({ p50: quantile(xs, 0.5), p90: quantile(xs, 0.9), max: Math.max(...xs) });

beforeAll(async () => {
  await createTopics([goodTopic, badTopic], 1, { "message.timestamp.type": "LogAppendTime" });
  reader = await TopicReader.start([goodTopic, badTopic]);
  writeFileSync(good, "");
  writeFileSync(bad, "");
  await putList(etcd, key, list(["b$"]));
  // Files polled every 10 ms and never backed off, so that the delay measures the agent, not its polling.
  const ini = iniFor({ kafka: services.kafka, etcd: services.etcd, key }).replace("poll_interval_ms = 100", "poll_interval_ms = 10\nidle_poll_max_ms = 10");
  agent = new AgentProcess(box.dir, box.bin, ini);
  await agent.waitForLog(new RegExp(`Following file\\. path=${literal(bad)}`));
  await agent.waitForLog(new RegExp(`Following file\\. path=${literal(good)}`));
  // Warm up both topics (metadata, connections) so that the baseline measures steady shipping.
  appendFileSync(good, "warm-up\n");
  appendFileSync(bad, "warm-up b\n");
  expect(await reader.waitFor(goodTopic, 1, 30_000, 0)).toEqual(["warm-up"]);
  expect(await reader.waitFor(badTopic, 1, 30_000, 500)).toEqual(["warm-up b"]);
});

afterAll(async () => {
  await agent?.stop();
  await reader?.stop();
  etcd.close();
});

describe("catastrophic patterns from etcd", () => {
  let baseline: ReturnType<typeof summary>;

  test("baseline: with a plain include_lines, both entries ship while the hostile lines are written", async () => {
    const lines = await writeBoth("base");
    expect((await reader.waitFor(goodTopic, 101, 30_000, 0)).slice(1)).toEqual(lines);
    // `b$` keeps the lines of kind 2 only: 20 of 100.
    const expected = Array.from({ length: 100 }, (_, i) => hostileLine("base", i).text).filter((t) => t.endsWith("b"));
    expect((await reader.waitFor(badTopic, 21, 30_000, 0)).slice(1)).toEqual(expected);
    baseline = summary(delays("base"));
    console.log("baseline delay, ms:", baseline);
  });

  test("catastrophic include_lines run in linear time: right answers, and the other entry is not delayed", async () => {
    const mark = agent.log.length;
    await putList(etcd, key, list(CATASTROPHIC));
    await agent.waitForLog(new RegExp(`Reading settings changed; later lines use them\\. path=${literal(bad)}`), 20_000, mark);
    const lines = await writeBoth("hostile");
    expect((await reader.waitFor(goodTopic, 201, 30_000, 0)).slice(101)).toEqual(lines);
    // Exactly the lines one of the patterns matches: 60 of 100, in order.
    const expected = Array.from({ length: 100 }, (_, i) => hostileLine("hostile", i)).filter((l) => l.ships).map((l) => l.text);
    const shipped = await reader.waitFor(badTopic, 21 + 60, 30_000);
    expect(shipped.slice(21)).toEqual(expected);
    const now = summary(delays("hostile"));
    console.log("delay with catastrophic patterns, ms:", now);
    // A backtracking engine holds the main thread 0.4-1 s per hostile line, so good lines written
    // meanwhile wait that long (the agent built before this change shipped none of them within 30 s).
    // Linear matching costs microseconds a line: the median delay stays within 5 ms of the baseline's,
    // the 90th percentile within 20 ms, and the slowest line far from a stalled one's 400 ms.
    expect(now.p50).toBeLessThanOrEqual(baseline.p50 + 5);
    expect(now.p90).toBeLessThanOrEqual(baseline.p90 + 20);
    expect(now.max).toBeLessThanOrEqual(baseline.max + 150);
    expect(agent.log.slice(mark)).not.toMatch(/ERROR/);
  });

  test("a pattern that needs backtracking is refused with entry, field and pattern named; the last good list keeps running", async () => {
    const mark = agent.log.length;
    await putList(etcd, key, list(["(?=a)a+$"]));
    const line = await agent.waitForLog(/ERROR .*Collect list in etcd is invalid.*/, 20_000, mark);
    expect(line).toContain(`entry 1 (\\"${bad}\\"): field \\"include_lines\\" = \\"(?=a)a+$\\": is refused: the lookahead \\"(?=a)\\" at position 0 needs a backtracking engine`);
    // Still the catastrophic list, in linear time: of these five, the three that match ship.
    const before = reader.values(badTopic).length;
    for (let i = 0; i < 5; i++) appendFileSync(bad, hostileLine("after", i).text + "\n");
    appendFileSync(good, "after-refusal\n");
    expect((await reader.waitFor(goodTopic, 202, 30_000, 0)).at(-1)).toBe("after-refusal");
    const expected = Array.from({ length: 5 }, (_, i) => hostileLine("after", i)).filter((l) => l.ships).map((l) => l.text);
    expect((await reader.waitFor(badTopic, before + 3, 30_000)).slice(before)).toEqual(expected);
  });
});
