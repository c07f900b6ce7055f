// The status's significant part: what makes an etcd write before the interval, and what does not.
import { expect, test } from "bun:test";
import { AgentStatusBuilder, type EtcdState, type EntryStatus, MAX_LISTED, significant, type StatusSources } from "../../src/telemetry/agent-status";
import type { FileDescription } from "../../src/tail/tailer";
import { RateMeter } from "../../src/util/rate";

const file = (over: Partial<FileDescription> = {}): FileDescription => ({
  path: "/var/log/app.log",
  entry: "/var/log/app.log",
  topic: "app",
  offset: 100,
  acked: 90,
  size: 120,
  lagBytes: 30,
  linesPerSecond: 4.5,
  rotated: false,
  lastError: null,
  ...over,
});
const entry = (over: Partial<EntryStatus> = {}): EntryStatus => ({ path: "/var/log/app.log", topic: "app", files: 1, error: null, blocked: false, ...over });

/** Sources whose parts a test changes one at a time. */
function sources() {
  const state = {
    generation: 0,
    entries: [entry()],
    files: [file()],
    kafka: { brokers: ["k:9092"], queuedLines: 0, blockedTopics: [] as string[] } as unknown,
    etcd: { connected: true, lastRevision: "7" } as EtcdState | null,
    revision: "7" as string | null,
  };
  const s: StatusSources = {
    version: "1.2.3",
    host: { hostname: "web-1", ip: "10.0.0.1" },
    startedAt: new Date("2026-11-30T08:00:00Z"),
    intervalS: 30,
    collect: () => ({ from: "etcd", key: "/logagent/web-1/collect_config", revision: state.revision }),
    files: () => ({ entries: state.entries, files: state.files }),
    generation: () => state.generation,
    kafka: () => state.kafka,
    etcd: () => state.etcd,
  };
  return { state, builder: new AgentStatusBuilder(s) };
}

test("the status names the agent, its list, every entry and file, Kafka and etcd", () => {
  const { builder } = sources();
  const status = builder.build(new Date("2026-11-30T08:00:30Z"));
  expect(status).toEqual({
    version: "1.2.3",
    host: "web-1",
    ip: "10.0.0.1",
    pid: process.pid,
    startedAt: "2026-11-30T08:00:00.000Z",
    writtenAt: "2026-11-30T08:00:30.000Z",
    intervalS: 30,
    collect: { from: "etcd", key: "/logagent/web-1/collect_config", revision: "7" },
    entries: [entry()],
    files: [file()],
    entriesTotal: 1,
    filesTotal: 1,
    lagBytesTotal: 30,
    kafka: { brokers: ["k:9092"], queuedLines: 0, blockedTopics: [] },
    etcd: { connected: true, lastRevision: "7" },
  });
});

test("counters and the write time alone are not a significant change", () => {
  const { state, builder } = sources();
  const before = significant(builder.build(new Date(1000)));
  state.files = [file({ offset: 5000, acked: 4000, size: 9000, lagBytes: 5000, linesPerSecond: 812.3 })];
  state.entries = [entry({ files: 1 })];
  state.kafka = { brokers: ["k:9092"], queuedLines: 5123, blockedTopics: [] };
  expect(significant(builder.build(new Date(60_000)))).toBe(before);
});

test("an entry, a file, an error, a rotation and a state are significant changes", () => {
  const changes: [string, (s: ReturnType<typeof sources>["state"]) => void][] = [
    ["an entry added", (s) => (s.entries = [entry(), entry({ path: "/var/log/b.log", topic: "b" })])],
    ["a topic changed", (s) => (s.entries = [entry({ topic: "other" })])],
    ["an entry's error", (s) => (s.entries = [entry({ error: "the path names a directory, not a file" })])],
    ["a topic refused by Kafka", (s) => (s.entries = [entry({ blocked: true })])],
    ["a file found", (s) => (s.files = [file(), file({ path: "/var/log/app.log.1", rotated: true })])],
    ["a file rotated", (s) => (s.files = [file({ rotated: true })])],
    ["a file's error", (s) => (s.files = [file({ lastError: "permission denied" })])],
    ["etcd lost", (s) => (s.etcd = { connected: false, lastRevision: "7" })],
    ["a new list applied", (s) => (s.revision = "9")],
    ["Kafka's state", (s) => (s.kafka = { brokers: ["k:9092"], queuedLines: 0, blockedTopics: ["app"] })],
  ];
  for (const [what, change] of changes) {
    const { state, builder } = sources();
    const before = significant(builder.build());
    change(state);
    expect({ what, changed: significant(builder.build()) !== before }).toEqual({ what, changed: true });
  }
});

test("signal() moves with the file server's generation and with Kafka's and etcd's states, not with counters", () => {
  const { state, builder } = sources();
  const first = builder.signal();
  state.kafka = { brokers: ["k:9092"], queuedLines: 99, blockedTopics: [] };
  state.files = [file({ offset: 1, lagBytes: 2 })];
  expect(builder.signal()).toBe(first);
  state.generation++;
  const second = builder.signal();
  expect(second).not.toBe(first);
  state.etcd = { connected: false, lastRevision: "7" };
  expect(builder.signal()).not.toBe(second);
});

test(`a status lists at most ${MAX_LISTED} entries and files, those with an error first, in an order no counter changes; the totals cover all`, () => {
  const { state, builder } = sources();
  state.entries = Array.from({ length: 150 }, (_, i) => entry({ path: `/var/log/e${i}`, blocked: i === 120 }));
  state.files = Array.from({ length: 250 }, (_, i) => file({ path: `/var/log/f${String(i).padStart(3, "0")}.log`, lagBytes: i, lastError: i === 200 ? "permission denied" : null }));
  const status = builder.build();
  expect(status.files.length).toBe(MAX_LISTED);
  expect(status.files[0]!.path).toBe("/var/log/f200.log");
  expect(status.files[1]!.path).toBe("/var/log/f000.log");
  expect(status.files.at(-1)!.path).toBe(`/var/log/f${String(MAX_LISTED - 2).padStart(3, "0")}.log`);
  expect({ filesTotal: status.filesTotal, lagBytesTotal: status.lagBytesTotal }).toEqual({ filesTotal: 250, lagBytesTotal: (249 * 250) / 2 });
  expect(status.entries.length).toBe(MAX_LISTED);
  expect(status.entries.slice(0, 2).map((e) => e.path)).toEqual(["/var/log/e120", "/var/log/e0"]);
  expect(status.entriesTotal).toBe(150);
  expect(JSON.stringify(status).length).toBeLessThan(40_000);
});

test("lines per second: over the time since the last look, kept for looks less than a second apart", () => {
  const rate = new RateMeter(0);
  expect(rate.perSecond(0, 500)).toBe(0);
  expect(rate.perSecond(100, 2000)).toBe(50); // 100 lines in 2 s
  expect(rate.perSecond(150, 2500)).toBe(50); // 0.5 s later: too soon, the last rate
  expect(rate.perSecond(400, 7000)).toBe(60); // 300 lines in 5 s
  expect(rate.perSecond(400, 17_000)).toBe(0);
});
