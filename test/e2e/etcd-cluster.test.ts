// Issue 13 item 1: several etcd endpoints fail over, and no change is lost.
// A 3-member etcd cluster on loopback ports (scripts/services.sh). The release
// binary watches a key while the test changes the list every second; the
// member the agent watches from is stopped, then the leader. Every revision
// written is applied, in order, and a file's lines ship throughout. Then an
// agent that knows one member only loses it, the list changes and etcd
// compacts past the agent's revision: the agent re-reads the key and goes on,
// logging one WARN for the outage and one INFO with its length.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { AgentProcess, iniFor, sandbox } from "../support/agent-process";
import { services, unique } from "../support/env";
import { type EtcdctlAccess, type ExtraEtcd, clusterStatus, etcdctl, removeEtcd, startCluster, startEtcd, stopEtcd } from "../support/etcd";
import { appendNumbered, literal, numbered } from "../support/files";
import { TopicReader, createTopics } from "../support/kafka";

const MEMBERS: ExtraEtcd[] = ["etcd-m1", "etcd-m2", "etcd-m3"];
let urls: string[];
let cluster: EtcdctlAccess;
let reader: TopicReader;
const [steady, added, late] = [unique("cl-steady"), unique("cl-added"), unique("cl-late")];

/** Puts `value`, retrying while the cluster elects a leader; returns the revision of the put. */
async function put(access: EtcdctlAccess, key: string, value: string): Promise<bigint> {
  for (let attempt = 0; ; attempt++) {
    try {
      return BigInt(/"revision":(\d+)/.exec(etcdctl(access, "put", key, value, "-w", "json"))![1]!);
    } catch (err) {
      if (attempt >= 20) throw err;
      await Bun.sleep(250);
    }
  }
}

/** The revisions the agent applied for `key`, in the order it applied them. */
function appliedRevisions(agent: AgentProcess, key: string): bigint[] {
  const re = new RegExp(`Applying collect list\\. from="etcd key ${literal(key)} at revision (\\d+)"`, "g");
  return [...agent.log.matchAll(re)].map((m) => BigInt(m[1]!));
}

beforeAll(async () => {
  for (const m of MEMBERS) removeEtcd(m);
  urls = startCluster();
  cluster = { endpoints: urls.join(",") };
  await createTopics([steady, added, late]);
  reader = await TopicReader.start([steady, added, late]);
}, 60_000);

afterAll(async () => {
  await reader?.stop();
  for (const m of MEMBERS) removeEtcd(m);
});

test("the member the agent watches from is stopped, then the leader: every change is applied in order and lines never stop", async () => {
  const box = sandbox();
  const key = `/logagent/${unique("cluster")}/collect_config`;
  const steadyLog = path.join(box.dir, "steady.log");
  writeFileSync(steadyLog, "");
  const file = (i: number) => path.join(box.dir, `added-${i}.log`);
  // Version i of the list adds added-i.log, which holds one line: the line reaches Kafka once version i applies.
  const list = (i: number) => JSON.stringify([{ path: steadyLog, topic: steady }, ...Array.from({ length: i + 1 }, (_, k) => ({ path: file(k), topic: added }))]);
  writeFileSync(file(0), "added-0\n");
  const written = [await put(cluster, key, list(0))];

  const agent = new AgentProcess(box.dir, box.bin, iniFor({ kafka: services.kafka, etcd: urls.join(", "), key, extra: "from = beginning" }));
  let version = 0;
  let lines = 0;
  let running = true;
  const changes = (async () => {
    while (running) {
      await Bun.sleep(1000);
      version++;
      writeFileSync(file(version), `added-${version}\n`);
      written.push(await put(cluster, key, list(version)));
    }
  })();
  const appender = setInterval(() => appendNumbered(steadyLog, "steady", lines, ++lines), 100);
  /** Lines written from now on reach Kafka while the cluster is missing a member. */
  const stillShipping = async () => {
    const target = lines + 20;
    expect((await reader.waitFor(steady, target, 15_000, 0)).length).toBeGreaterThanOrEqual(target);
  };
  try {
    const watching = await agent.waitForLog(/Watching the collect list in etcd\. .*/);
    const first = /member=([0-9a-f]+)/.exec(watching)![1]!;
    await Bun.sleep(3000);

    const connected = clusterStatus(cluster).find((m) => m.id === first)!;
    const mark = agent.log.length;
    stopEtcd(connected.name as ExtraEtcd);
    const moved = await agent.waitForLog(/The etcd watch moved to another member; .*/, 15_000, mark);
    expect(moved).toContain(`previous_member=${first}`);
    await stillShipping();
    startEtcd(connected.name as ExtraEtcd); // it rejoins, so that stopping the leader leaves a quorum
    await Bun.sleep(2000);

    const leader = clusterStatus(cluster).find((m) => m.leader)!;
    stopEtcd(leader.name as ExtraEtcd);
    await Bun.sleep(3000);
    await stillShipping();
    startEtcd(leader.name as ExtraEtcd);
    await Bun.sleep(2000);
  } finally {
    running = false;
    await changes;
    clearInterval(appender);
  }
  try {
    const last = written.at(-1)!;
    const deadline = Date.now() + 20_000;
    while (!appliedRevisions(agent, key).includes(last) && Date.now() < deadline) await Bun.sleep(100);
    // Every revision written, in the order written; the first through the agent's read, the rest through watches.
    expect(appliedRevisions(agent, key)).toEqual(written);
    expect(written.length).toBeGreaterThanOrEqual(10);
    const got = await reader.waitFor(added, version + 1);
    expect([...got].sort()).toEqual(Array.from({ length: version + 1 }, (_, i) => `added-${i}`).sort());
    expect(await reader.waitFor(steady, lines)).toEqual(numbered("steady", 0, lines));
  } finally {
    await agent.stop();
  }
}, 120_000);

test("an agent that knows one member: it goes away, the list changes and etcd compacts past the agent's revision; one WARN, one INFO with the outage length, the key is read again", async () => {
  const box = sandbox();
  const key = `/logagent/${unique("compact")}/collect_config`;
  const [c, d] = [path.join(box.dir, "c.log"), path.join(box.dir, "d.log")];
  writeFileSync(c, "");
  writeFileSync(d, "");
  await put(cluster, key, JSON.stringify([{ path: c, topic: late }]));
  const only = urls[0]!;
  const agent = new AgentProcess(box.dir, box.bin, iniFor({ kafka: services.kafka, etcd: only, key }));
  try {
    await agent.waitForLog(/Watching the collect list in etcd\./);
    const mark = agent.log.length;
    stopEtcd("etcd-m1");
    await agent.waitForLog(/WARN .*etcd did not answer; collecting with the current list and retrying\./, 15_000, mark);
    const others: EtcdctlAccess = { endpoints: urls.slice(1).join(",") };
    await put(others, key, JSON.stringify([]));
    await put(others, key, JSON.stringify([{ path: c, topic: late }]));
    const revision = await put(others, key, JSON.stringify([{ path: c, topic: late }, { path: d, topic: late }]));
    etcdctl(others, "compact", String(revision));
    // After the WARN, retries come 0.5-1, 1-2 and 2-4 s apart (then 4-8 s): 10 s of outage holds at
    // least three, each of which used to log "Lost the etcd watch" twice.
    await Bun.sleep(10_000);
    startEtcd("etcd-m1");
    const ended = await agent.waitForLog(/INFO .*etcd answers again; the watch resumed after the last change applied\..*/, 30_000, mark);
    expect(Number(/outage_s=([\d.]+)/.exec(ended)![1])).toBeGreaterThanOrEqual(10);
    await agent.waitForLog(/etcd has compacted the revisions the watch was at; reading the key again\./, 10_000, mark);
    await agent.waitForLog(new RegExp(`Applying collect list\\. from="etcd key ${literal(key)} at revision ${revision}"`), 10_000, mark);
    await agent.waitForLog(new RegExp(`Following file\\. path=${literal(d)}`), 10_000, mark);
    appendNumbered(d, "d", 0, 10);
    expect(await reader.waitFor(late, 10)).toEqual(numbered("d", 0, 10));
    const since = agent.log.slice(mark);
    expect(since.match(/ (WARN|ERROR) /g)).toEqual([" WARN "]);
    expect(since.match(/etcd answers again/g)).toHaveLength(1);
    expect(since.match(/Still the same etcd problem; retrying\./g)!.length).toBeGreaterThanOrEqual(3);
  } finally {
    await agent.stop();
  }
}, 90_000);
