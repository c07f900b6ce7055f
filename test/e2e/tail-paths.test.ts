// Issue 5, test 4: which files an entry collects. Globs (`*`, `?`, `**`,
// `{a,b}`, `[ab]`) expanded again every rescan_interval_ms, `exclude`, a file
// renamed to another name the glob matches (the same file: not read again),
// ignore_older_s, close_inactive_s, max_open_files, and an invalid glob entry
// in etcd. Most tests share one agent configured by the INI, each with its own
// [collect.NAME] entry, folder and topic; max_open_files (an [agent] limit) and
// etcd run their own.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, renameSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { AgentProcess, iniFor, sandbox } from "../support/agent-process";
import { services, unique } from "../support/env";
import { etcdClient, putList } from "../support/etcd";
import { appendNumbered, numbered, numberedText } from "../support/files";
import { TopicReader, createTopics, type Received } from "../support/kafka";
import { OpenFileSampler } from "../support/open-files";
import { compare } from "../support/scenario";

const RESCAN_MS = 500;
const box = sandbox();
const dir = (...parts: string[]) => path.join(box.dir, ...parts);
const cases = ["dated", "recursive", "braces", "classes", "exclude", "exclude_list", "renamed", "older", "inactive"] as const;
type Case = (typeof cases)[number];
const topics = Object.fromEntries(cases.map((c) => [c, unique(`paths-${c}`)])) as Record<Case, string>;
let agent: AgentProcess;
let reader: TopicReader;

/** The INI section of each case: its path (often a glob) and options. */
const sections: Record<Case, string> = {
  dated: `path = ${dir("dated", "app-*.log")}`,
  recursive: `path = ${dir("tree", "**", "*.log")}`,
  braces: `path = ${dir("braces", "{web,api}.log")}`,
  classes: `path = ${dir("classes", "worker-[ab]-?.log")}`,
  exclude: `path = ${dir("exclude", "*")}\nexclude = *.gz`,
  // Repeated `exclude[]`: a name pattern, and one with a separator, matched against the whole path.
  exclude_list: `path = ${dir("exclude_list", "*")}\nexclude[] = *.gz\nexclude[] = *.[0-9]\nexclude[] = ${dir("exclude_list", "skip-*")}`,
  renamed: `path = ${dir("renamed", "*.log")}`,
  older: `path = ${dir("older", "*.log")}\nignore_older_s = 3600`,
  inactive: `path = ${dir("inactive", "idle.log")}\nclose_inactive_s = 1`,
};

/** Files that exist before the agent starts (read from the beginning): path -> text. */
function prepare(): void {
  const write = (file: string, text: string | Uint8Array) => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  };
  write(dir("dated", "app-2026-11-25.log"), numberedText("d25", 0, 100));
  write(dir("tree", "a", "x.log"), numberedText("x", 0, 50));
  write(dir("tree", "a", "b", "c", "y.log"), numberedText("y", 0, 50));
  write(dir("tree", "a", "notes.txt"), numberedText("notes", 0, 10));
  for (const n of ["web", "api", "db"]) write(dir("braces", `${n}.log`), numberedText(n, 0, 20));
  for (const n of ["worker-a-1", "worker-b-2", "worker-c-1", "worker-a-10"]) write(dir("classes", `${n}.log`), numberedText(n, 0, 20));
  write(dir("exclude", "app.log"), numberedText("app", 0, 30));
  write(dir("exclude", "app.log.1"), numberedText("rotated", 0, 30));
  write(dir("exclude", "app.log.2.gz"), Bun.gzipSync(numberedText("gz", 0, 30)));
  write(dir("exclude_list", "app.log"), numberedText("app", 0, 30));
  write(dir("exclude_list", "app.txt"), numberedText("txt", 0, 30));
  write(dir("exclude_list", "app.log.1"), numberedText("rotated", 0, 30));
  write(dir("exclude_list", "app.log.2.gz"), Bun.gzipSync(numberedText("gz", 0, 30)));
  write(dir("exclude_list", "skip-me.log"), numberedText("skip", 0, 30));
  write(dir("renamed", "a.log"), numberedText("ren", 0, 100));
  write(dir("renamed", "incoming.tmp"), numberedText("incoming", 0, 30));
  write(dir("older", "fresh.log"), numberedText("fresh", 0, 50));
  write(dir("older", "stale.log"), numberedText("stale", 0, 50));
  const twoDaysAgo = new Date(Date.now() - 2 * 86400_000);
  utimesSync(dir("older", "stale.log"), twoDaysAgo, twoDaysAgo);
  write(dir("inactive", "idle.log"), numberedText("idle", 0, 10));
}

beforeAll(async () => {
  await createTopics(Object.values(topics));
  reader = await TopicReader.start(Object.values(topics));
  prepare();
  const collect = cases.map((c) => `\n[collect.${c}]\n${sections[c]}\ntopic = ${topics[c]}`);
  agent = new AgentProcess(box.dir, box.bin, iniFor({ kafka: services.kafka, extra: ["from = beginning", `rescan_interval_ms = ${RESCAN_MS}`, ...collect].join("\n") }));
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await reader?.stop();
});

const values = (c: Case) => reader.values(topics[c]);
const withPrefix = (c: Case, prefix: string) => values(c).filter((v) => v.startsWith(prefix + "-"));
const pathsOf = (msgs: Received[]) => [...new Set(msgs.map((m) => m.headers.path))].sort();

/** Waits for `count` messages on the case's topic; on a short count prints what the agent said about its folder. */
async function wait(c: Case, count: number, settleMs = 1500, timeoutMs = 20_000): Promise<string[]> {
  const got = await reader.waitFor(topics[c], count, timeoutMs, settleMs);
  if (got.length !== count) console.log(`${c}: ${got.length} of ${count} messages; agent log:\n${agent.log.split("\n").filter((l) => l.includes(`${box.dir}/`) || / (WARN|ERROR) /.test(l)).slice(-60).join("\n")}`);
  return got;
}

describe("globs", () => {
  test("app-*.log: a date-named file, then the next day's file found within the rescan interval; headers name each file", async () => {
    await wait("dated", 100, 0);
    expect(values("dated")).toEqual(numbered("d25", 0, 100));
    const next = dir("dated", "app-2026-11-26.log");
    const t0 = Date.now();
    writeFileSync(next, numberedText("d26", 0, 100));
    await wait("dated", 200, 0, 10_000);
    const latencyMs = Date.now() - t0;
    appendNumbered(dir("dated", "app-2026-11-25.log"), "d25", 100, 110); // yesterday's file is still followed
    await wait("dated", 210);
    expect(withPrefix("dated", "d26")).toEqual(numbered("d26", 0, 100));
    expect(withPrefix("dated", "d25")).toEqual(numbered("d25", 0, 110));
    expect(latencyMs).toBeLessThan(RESCAN_MS + 1500);
    const msgs = reader.received.get(topics.dated)!;
    expect(msgs.filter((m) => m.value.startsWith("d26-")).every((m) => m.headers.path === next)).toBe(true);
    expect(pathsOf(msgs)).toEqual([dir("dated", "app-2026-11-25.log"), next]);
  });

  test("**: files at any depth, including a folder created later; other names are not read", async () => {
    await wait("recursive", 100, 0);
    mkdirSync(dir("tree", "new", "deep"), { recursive: true });
    writeFileSync(dir("tree", "new", "deep", "z.log"), numberedText("z", 0, 50));
    writeFileSync(dir("tree", "new", "deep", "z.txt"), numberedText("notes", 10, 20));
    await wait("recursive", 150);
    expect(withPrefix("recursive", "x")).toEqual(numbered("x", 0, 50));
    expect(withPrefix("recursive", "y")).toEqual(numbered("y", 0, 50));
    expect(withPrefix("recursive", "z")).toEqual(numbered("z", 0, 50));
    expect(values("recursive").length).toBe(150);
  });

  test("{web,api}.log: both alternatives, nothing else", async () => {
    await wait("braces", 40);
    expect(withPrefix("braces", "web")).toEqual(numbered("web", 0, 20));
    expect(withPrefix("braces", "api")).toEqual(numbered("api", 0, 20));
    expect(values("braces").length).toBe(40);
  });

  test("worker-[ab]-?.log: a character class and a single-character wildcard", async () => {
    await wait("classes", 40);
    expect(withPrefix("classes", "worker-a-1")).toEqual(numbered("worker-a-1", 0, 20));
    expect(withPrefix("classes", "worker-b-2")).toEqual(numbered("worker-b-2", 0, 20));
    expect(values("classes").length).toBe(40); // not worker-c-1 ([ab]), not worker-a-10 (?)
  });
});

describe("exclude", () => {
  test("exclude = *.gz: compressed rotations are not read", async () => {
    await wait("exclude", 60);
    expect(withPrefix("exclude", "app")).toEqual(numbered("app", 0, 30));
    expect(withPrefix("exclude", "rotated")).toEqual(numbered("rotated", 0, 30));
    expect(values("exclude").length).toBe(60);
  });

  test("repeated exclude[]: by name (*.gz, *.[0-9]) and by whole path; a .gz created later is not read either", async () => {
    await wait("exclude_list", 60, 0);
    writeFileSync(dir("exclude_list", "app.log.3.gz"), Bun.gzipSync(numberedText("gz", 0, 30)));
    await Bun.sleep(3 * RESCAN_MS);
    await wait("exclude_list", 60);
    expect(withPrefix("exclude_list", "app")).toEqual(numbered("app", 0, 30));
    expect(withPrefix("exclude_list", "txt")).toEqual(numbered("txt", 0, 30));
    expect(values("exclude_list").length).toBe(60);
  });
});

describe("identity, not name", () => {
  test("a file renamed to another name the glob matches is not read again; a file renamed into the glob is read from its start", async () => {
    await wait("renamed", 100, 0);
    renameSync(dir("renamed", "a.log"), dir("renamed", "a-2026-11-25.log"));
    await Bun.sleep(3 * RESCAN_MS); // several rescans see the new name
    appendNumbered(dir("renamed", "a-2026-11-25.log"), "ren", 100, 150);
    renameSync(dir("renamed", "incoming.tmp"), dir("renamed", "b.log"));
    const got = await wait("renamed", 180, 3 * RESCAN_MS);
    expect(compare(withPrefix("renamed", "ren"), { ren: 150 })).toMatchObject({ missing: 0, duplicates: 0, outOfOrder: 0 });
    expect(withPrefix("renamed", "incoming")).toEqual(numbered("incoming", 0, 30));
    expect(got.length).toBe(180);
  });
});

describe("ignore_older_s and close_inactive_s", () => {
  test("ignore_older_s: a file untouched for longer is skipped; when it grows, only its new lines are read", async () => {
    await wait("older", 50, 3 * RESCAN_MS);
    expect(values("older")).toEqual(numbered("fresh", 0, 50));
    appendNumbered(dir("older", "stale.log"), "stale", 50, 60);
    await wait("older", 60);
    expect(withPrefix("older", "stale")).toEqual(numbered("stale", 50, 60));
    expect(values("older").length).toBe(60);
  });

  test("close_inactive_s = 1: the quiet file is closed (no descriptor held), and reopened when it grows", async () => {
    const file = dir("inactive", "idle.log");
    await wait("inactive", 10, 0);
    const t0 = Date.now();
    while (agent.openPaths().includes(file) && Date.now() - t0 < 10_000) await Bun.sleep(100);
    expect(agent.openPaths()).not.toContain(file);
    appendNumbered(file, "idle", 10, 20);
    await wait("inactive", 20);
    expect(values("inactive")).toEqual(numbered("idle", 0, 20));
  });
});

describe("max_open_files", () => {
  test("12 files, max_open_files = 3: every line of every file once, and never more than 3 of them open", async () => {
    const own = sandbox();
    const many = path.join(own.dir, "many");
    mkdirSync(many);
    const FILES = 12;
    const names = Array.from({ length: FILES }, (_, i) => `f${String(i).padStart(2, "0")}`);
    for (const n of names) writeFileSync(path.join(many, `${n}.log`), numberedText(n, 0, 1000));
    const topic = unique("paths-maxopen");
    await createTopics([topic]);
    const r = await TopicReader.start([topic]);
    const a = new AgentProcess(
      own.dir,
      own.bin,
      iniFor({ kafka: services.kafka, extra: `from = beginning\nrescan_interval_ms = ${RESCAN_MS}\nmax_open_files = 3\n\n[collect.many]\npath = ${many}/*.log\ntopic = ${topic}` }),
    );
    const sampler = new OpenFileSampler(a, (p) => p.startsWith(many + "/"), 10);
    try {
      // The files keep growing while they wait their turn.
      for (let round = 1; round <= 3; round++) {
        await Bun.sleep(1000);
        for (const n of names) appendNumbered(path.join(many, `${n}.log`), n, round * 1000, round * 1000 + 500);
      }
      const total = FILES * 2500;
      const got = await r.waitFor(topic, total, 60_000, 2000);
      // Each file: lines 0..999 before the start, then rounds 1000..1499, 2000..2499, 3000..3499.
      const expected = new Set(names.flatMap((n) => [...numbered(n, 0, 1000), ...numbered(n, 1000, 1500), ...numbered(n, 2000, 2500), ...numbered(n, 3000, 3500)]));
      const seen = new Map<string, number>();
      for (const v of got) seen.set(v, (seen.get(v) ?? 0) + 1);
      const missing = [...expected].filter((v) => !seen.has(v));
      const repeated = [...seen].filter(([, n]) => n > 1).map(([v]) => v);
      const unexpected = [...seen.keys()].filter((v) => !expected.has(v));
      const perFileOrder = names.every((n) => {
        const nums = got.filter((v) => v.startsWith(n + "-")).map((v) => Number(v.slice(n.length + 1)));
        return nums.every((x, i) => i === 0 || x > nums[i - 1]!);
      });
      console.log(`max_open_files: ${got.length} of ${total} lines, ${missing.length} missing, ${repeated.length} repeated; ${sampler.samples} samples, at most ${sampler.peak} open: ${sampler.peakPaths.join(" ")}`);
      if (missing.length || repeated.length) console.log(a.log.split("\n").filter((l) => !l.includes(" DEBUG ")).slice(-80).join("\n"));
      expect({ missing: missing.length, repeated: repeated.length, unexpected: unexpected.length, perFileOrder }).toEqual({ missing: 0, repeated: 0, unexpected: 0, perFileOrder: true });
      expect(got.length).toBe(total);
      expect(sampler.samples).toBeGreaterThan(100);
      expect(sampler.peak).toBeGreaterThan(0);
      expect(sampler.peak).toBeLessThanOrEqual(3);
    } finally {
      sampler.stop();
      if (a.running) await a.stop();
      await r.stop();
    }
  }, 120_000);
});

describe("etcd", () => {
  test("an invalid glob entry (bad encoding, misspelt field) is logged naming entry and field; the previous list keeps running", async () => {
    const own = sandbox();
    const logs = path.join(own.dir, "logs");
    mkdirSync(logs);
    writeFileSync(path.join(logs, "a.log"), numberedText("a", 0, 10));
    const topic = unique("paths-etcd");
    const key = `/logagent/${unique("host")}/collect_config`;
    const etcd = etcdClient();
    await createTopics([topic]);
    const r = await TopicReader.start([topic]);
    await putList(etcd, key, [{ path: `${logs}/*.log`, topic, from: "beginning" }]);
    const a = new AgentProcess(own.dir, own.bin, iniFor({ kafka: services.kafka, etcd: services.etcd, key, extra: `rescan_interval_ms = ${RESCAN_MS}` }));
    try {
      expect(await r.waitFor(topic, 10, 20_000, 0)).toEqual(numbered("a", 0, 10));
      const mark = a.log.length;
      await putList(etcd, key, [
        { path: `${logs}/*.log`, topic, from: "beginning", encoding: "ebcdic" },
        { path: `${own.dir}/other/**/*.log`, topic, multilne: { start: "^\\d{4}-" } },
      ]);
      const line = await a.waitForLog(/ERROR .*/, 20_000, mark);
      for (const part of ["encoding", "ebcdic", "multilne", `${logs}/*.log`, `${own.dir}/other/**/*.log`, key]) expect(line).toContain(part);
      // The previous list still runs: a new file and more lines in the old one are read.
      appendNumbered(path.join(logs, "a.log"), "a", 10, 20);
      writeFileSync(path.join(logs, "b.log"), numberedText("b", 0, 10));
      const got = await r.waitFor(topic, 30, 20_000);
      expect(got.filter((v) => v.startsWith("a-"))).toEqual(numbered("a", 0, 20));
      expect(got.filter((v) => v.startsWith("b-"))).toEqual(numbered("b", 0, 10));
      expect(got.length).toBe(30);
    } finally {
      if (a.running) await a.stop();
      await r.stop();
      etcd.close();
    }
  }, 90_000);
});
