// Issue 13 items 3 and 4: each agent keeps its status in etcd under a lease, and `logagent fleet`
// lists them. Two agents of the release binary (two state folders, two [agent] hostname values)
// against one etcd and Kafka; the status is read from etcd as the fleet command and an operator
// would read it. The page reading itself is checked against the same etcd from the source.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { readPrefix } from "../../src/discovery/prefix-pages";
import { AgentProcess, bareEnv, iniFor, sandbox } from "../support/agent-process";
import { services, unique } from "../support/env";
import { etcdClient, putList } from "../support/etcd";
import { appendNumbered, numbered } from "../support/files";
import { TopicReader, createTopics } from "../support/kafka";

const etcd = etcdClient();
const box = sandbox();
const base = `/logagent/${unique("fleet")}`;
const prefix = `${base}/status/`;
const TTL_S = 4;
const [ta, tb, tc] = [unique("fleet-a"), unique("fleet-b"), unique("fleet-c")];
const dirA = path.join(box.dir, "a");
const dirB = path.join(box.dir, "b");
const fileA = path.join(dirA, "a.log");
const fileA2 = path.join(dirA, "a2.log");
const fileB = path.join(dirB, "b.log");
const collectKey = (host: string) => `${base}/${host}/collect_config`;
let a: AgentProcess;
let b: AgentProcess;
let reader: TopicReader;

/** host-a writes its status every 30 s (so a rewrite within seconds is a change's), host-b every 2 s. */
function ini(host: string, intervalS: number): string {
  return iniFor({
    kafka: services.kafka,
    etcd: services.etcd,
    key: `${base}/{hostname}/collect_config`,
    etcdExtra: `status_key = ${prefix}{hostname}\nstatus_interval_s = ${intervalS}\nstatus_lease_ttl_s = ${TTL_S}`,
    extra: `hostname = ${host}\nallow_paths = ${box.dir}/**\nfrom = beginning`,
  });
}

function fleet(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = Bun.spawnSync([box.bin, "fleet", "-c", "conf.ini", ...args], { cwd: dirA, env: bareEnv(), stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

interface Listed {
  key: string;
  status: {
    host: string;
    pid: number;
    version: string;
    writtenAt: string;
    collect: { key: string; revision: string };
    entries: { path: string; topic: string; files: number; error: string | null }[];
    files: { path: string; topic: string; offset: number; acked: number; size: number; lagBytes: number; lastError: string | null }[];
    etcd: { connected: boolean };
  };
}

function listed(): Listed[] {
  const r = fleet("--json");
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
  const out = JSON.parse(r.stdout) as { prefix: string; agents: Listed[] };
  expect(out.prefix).toBe(prefix);
  return out.agents;
}

async function statusOf(host: string): Promise<{ status: Listed["status"]; modRevision: string } | null> {
  const res = await etcd.get(`${prefix}${host}`).exec();
  const kv = res.kvs[0];
  return kv ? { status: JSON.parse(kv.value.toString()), modRevision: kv.mod_revision } : null;
}

/** Polls until `ok` holds (returns the value and how long it took) or fails after `ms`. */
async function until<T>(what: string, get: () => Promise<T> | T, ok: (v: T) => boolean, ms = 20_000): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  let value = await get();
  while (!ok(value)) {
    if (performance.now() - start > ms) throw new Error(`${what}: not within ${ms} ms; last seen ${JSON.stringify(value)}`);
    await Bun.sleep(100);
    value = await get();
  }
  return { value, ms: performance.now() - start };
}

beforeAll(async () => {
  mkdirSync(dirA);
  mkdirSync(dirB);
  writeFileSync(fileA, "");
  writeFileSync(fileA2, "");
  writeFileSync(fileB, "");
  await createTopics([ta, tb, tc]);
  reader = await TopicReader.start([ta, tb, tc]);
  await putList(etcd, collectKey("host-a"), [{ path: fileA, topic: ta }]);
  await putList(etcd, collectKey("host-b"), [{ path: fileB, topic: tb }]);
  a = new AgentProcess(dirA, box.bin, ini("host-a", 30));
  b = new AgentProcess(dirB, box.bin, ini("host-b", 2));
  await a.waitForLog(/Keeping the agent status in etcd\./);
  await b.waitForLog(/Keeping the agent status in etcd\./);
}, 60_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await reader?.stop();
  await etcd.delete().prefix(base);
  etcd.close();
});

describe("agent status and the fleet view", () => {
  test("fleet --json lists both agents with their list, entries and files", async () => {
    const { value: agents } = await until("both agents listed, watching etcd", listed, (l) => l.length === 2 && l.every((x) => x.status.etcd.connected));
    expect(agents.map((x) => x.key)).toEqual([`${prefix}host-a`, `${prefix}host-b`]);
    const [sa, sb] = agents.map((x) => x.status);
    expect(sa).toMatchObject({ host: "host-a", pid: a.pid, collect: { key: collectKey("host-a") }, entries: [{ path: fileA, topic: ta, files: 1, error: null }] });
    expect(sb).toMatchObject({ host: "host-b", pid: b.pid, collect: { key: collectKey("host-b") }, entries: [{ path: fileB, topic: tb, files: 1, error: null }] });
    expect(sa!.files).toMatchObject([{ path: fileA, topic: ta, lastError: null }]);
    expect(sb!.files).toMatchObject([{ path: fileB, topic: tb, lastError: null }]);
    expect(sa!.version).toMatch(/^\d+\.\d+\.\d+/);
  }, 30_000);

  test("lag: once Kafka has a file's lines, its status shows them acknowledged, with no lag; the table sums it", async () => {
    appendNumbered(fileB, "b", 0, 200);
    expect(await reader.waitFor(tb, 200)).toEqual(numbered("b", 0, 200));
    const size = statSync(fileB).size;
    // host-b rewrites every 2 s; the counters it shows are from its last write.
    const { value } = await until("host-b's status shows the file shipped", () => statusOf("host-b"), (s) => s?.status.files[0]?.acked === size);
    expect(value!.status.files[0]).toMatchObject({ offset: size, acked: size, size, lagBytes: 0 });

    const table = fleet();
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^HOST\s+VERSION\s+UPTIME\s+ENTRIES\s+FILES\s+LAG\s+ERRORS\s+LAST SEEN$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/).slice(0, 1).concat(l.split(/\s{2,}/).slice(3, 7)))).toEqual([
      ["host-a", "1", "1", "0 B", "0"],
      ["host-b", "1", "1", "0 B", "0"],
    ]);
    expect(table.stdout).not.toContain("\x1b["); // not a terminal: no colour
  }, 60_000);

  test("host-a's status: rewritten at once when an entry is added, not when only its counters move (interval 30 s)", async () => {
    const before = (await statusOf("host-a"))!;
    // Lines move offsets and lag only: the status compares its significant part every second;
    // 5 s of silence is five of those comparisons.
    appendNumbered(fileA, "a", 0, 100);
    expect(await reader.waitFor(ta, 100)).toEqual(numbered("a", 0, 100));
    await Bun.sleep(5000);
    const counters = (await statusOf("host-a"))!;
    expect(counters.modRevision).toBe(before.modRevision);

    const sinceWrite = Date.now() - Date.parse(before.status.writtenAt);
    await putList(etcd, collectKey("host-a"), [{ path: fileA, topic: ta }, { path: fileA2, topic: tc }]);
    const { value, ms } = await until("host-a's status shows the second entry", () => statusOf("host-a"), (s) => s?.status.entries.length === 2, 10_000);
    // Well before its 30 s interval came round again.
    expect(sinceWrite + ms).toBeLessThan(25_000);
    expect(value!.status.entries.map((e) => [e.path, e.topic])).toEqual([[fileA, ta], [fileA2, tc]]);
    expect(value!.status.files.map((f) => f.path).sort()).toEqual([fileA, fileA2].sort());
  }, 60_000);

  test("a clean stop deletes the status at once", async () => {
    expect(await statusOf("host-a")).not.toBeNull();
    expect(await a.stop("SIGTERM")).toBe(0);
    expect(await statusOf("host-a")).toBeNull();
    expect(listed().map((x) => x.status.host)).toEqual(["host-b"]);
  }, 30_000);

  test(`after kill -9 the status disappears within the lease's TTL (${TTL_S} s, and up to 2 s for etcd's expiry sweep and this poll)`, async () => {
    expect(await statusOf("host-b")).not.toBeNull();
    await b.stop("SIGKILL");
    // The last keep-alive came at most a third of the TTL before the kill; etcd expires the lease TTL
    // after it, in a sweep every 500 ms; the poll looks every 100 ms (slower on a loaded machine).
    const { ms } = await until("host-b's status gone", () => statusOf("host-b"), (s) => s === null, (TTL_S + 10) * 1000);
    expect(ms).toBeLessThan((TTL_S + 2) * 1000);
    expect(listed()).toEqual([]);
    expect(fleet().stdout).toBe("No agent status in etcd.\n");
  }, 30_000);
});

describe("fleet's exit codes", () => {
  test("etcd not answering: exit 3, one sentence naming the endpoints and the prefix", () => {
    writeFileSync(path.join(dirA, "conf.ini"), ini("host-a", 30).replace(`address = ${services.etcd}`, "address = 127.0.0.1:1"));
    const r = fleet();
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`^logagent: etcd at 127\\.0\\.0\\.1:1: etcd did not answer \\(.*\\)\\. The agents under ${prefix.replace(/[/.]/g, "\\$&")} were not listed\\.\\n$`));
  });

  test("no [etcd] section: exit 2 naming the file", () => {
    writeFileSync(path.join(dirA, "conf.ini"), `[kafka]\naddress = ${services.kafka}\n[collect.x]\npath = ${fileA}\ntopic = x\n`);
    const r = fleet();
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`logagent: configuration error: ${path.join(dirA, "conf.ini")}: fleet reads the agents' status from etcd, and this INI has no [etcd] section\n`);
  });
});

test("pages of a prefix are read at the first page's revision: keys put and deleted meanwhile do not show", async () => {
  const p = `${base}/pages/`;
  const keys = Array.from({ length: 10 }, (_, i) => `${p}k${String(i).padStart(2, "0")}`);
  for (const k of keys) await etcd.put(k).value("v");
  await etcd.put(`${base}/pages0`).value("outside the prefix");
  const { kvs, pages } = await readPrefix(etcd, p, {
    pageSize: 3,
    afterPage: async (page) => {
      if (page !== 1) return;
      await etcd.put(`${p}k99`).value("written after the first page");
      await etcd.delete().key(keys[9]!);
    },
  });
  expect(pages).toBe(4);
  expect(kvs.map((kv) => kv.key.toString())).toEqual(keys);
  // Without the pinned revision the same read sees the change.
  expect((await readPrefix(etcd, p, { pageSize: 3 })).kvs.map((kv) => kv.key.toString())).toEqual([...keys.slice(0, 9), `${p}k99`]);
});
