// Idle cost, as a user meets it: the agent with its collect list in etcd (connected to etcd the whole
// time), watching 1,000 files where nothing is written, in two cases (1,000 entries, one file each; one
// glob entry over the same files) and two states each (nothing sent yet; after one line was shipped,
// since the first send is what wakes some of the Kafka client's machinery). One agent per case,
// measured in both states in turn.
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { makeLine } from "../lib/data";
import { deleteKey } from "../lib/etcd";
import { fmt, pct } from "../lib/format";
import { createTopic, deleteTopic, endOffset, freshAdmin, topicName } from "../lib/kafka";
import type { Proc } from "../lib/proc";
import { PORTS, SETTINGS } from "../lib/settings";
import { say, sleep } from "../lib/shell";
import { countSyscalls } from "../lib/strace";
import type { AgentTool } from "../tools/logagent";
import { epollRate, idleCaseLabel, idleStateLabel, type IdleCase, type IdleResult } from "./results";

const IDLE_CASES: IdleCase[] = ["entries", "glob"];

/** The idle files, written once and shared by both cases: one old line each, in a folder of their own. */
function writeIdleFiles(runDir: string): { dir: string; files: string[] } {
  const dir = path.join(runDir, "data", "idle");
  mkdirSync(dir, { recursive: true });
  const files = Array.from({ length: SETTINGS.idleFiles }, (_, i) => {
    const f = path.join(dir, `f${i}.log`);
    writeFileSync(f, makeLine(i % 100, 0, 100)); // one old line each; `from = end` (default) skips it
    return f;
  });
  return { dir, files };
}

/** Prometheus's default scrape interval: the idle cost includes being scraped, as an operator runs the agent. */
const SCRAPE_EVERY_S = 15;

/** The /metrics URL the agent logged (it listens on a port of its choosing), or null when it serves none. */
function metricsUrl(log: string): string | null {
  const m = /Serving \/metrics.*url="?([^"\s]+)/.exec(log);
  return m ? new URL("/metrics", m[1]!).href : null;
}

/**
 * One state's window: CPU and wake-ups from /proc over idleSeconds, RSS every second, then a strace
 * window. /metrics is scraped every SCRAPE_EVERY_S meanwhile; the status the agent keeps in etcd is
 * written on its own schedule (status_interval_s).
 */
async function measureWindow(agent: Proc, topic: string, base: Pick<IdleResult, "case" | "state" | "files" | "expectedInTopic" | "shippedAfter">, traceFile: string, scrape: string | null): Promise<IdleResult> {
  if (!agent.running) throw new Error(`idle (${base.case}, ${base.state}): logagent exited; the end of its log:\n${agent.logTail()}`);
  const cpu0 = agent.usage().cpuSeconds;
  const switches0 = agent.voluntarySwitches();
  const t0 = performance.now();
  const rss: number[] = [];
  for (let i = 0; i < SETTINGS.idleSeconds; i++) {
    await sleep(Math.max(0, t0 + (i + 1) * 1000 - performance.now()));
    rss.push(agent.rssBytes());
    if (scrape && i % SCRAPE_EVERY_S === 0) await fetch(scrape).then((r) => r.text());
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = agent.usage().cpuSeconds;
  const switches1 = agent.voluntarySwitches();
  const peers = agent.tcpPeerPorts();
  const r: IdleResult = {
    ...base,
    openFds: agent.openFileCount(),
    etcdConnected: peers.includes(Number(PORTS.ETCD_PORT)),
    kafkaConnections: peers.filter((p) => p === Number(PORTS.KAFKA_PORT)).length,
    inTopic: await endOffset(topic),
    seconds,
    cpuShare: (cpu1 - cpu0) / seconds,
    wakeups: (switches1 - switches0) / seconds,
    rssEnd: rss[rss.length - 1]!,
    rssMax: Math.max(...rss),
    hwm: agent.usage().peakRss,
    syscalls: "",
  };
  const counts = await countSyscalls(agent.pid, SETTINGS.straceSeconds, traceFile);
  r.syscalls = typeof counts === "string" ? counts : { seconds: counts.seconds, perSecond: new Map([...counts.calls].map(([n, c]) => [n, c / counts.seconds])) };
  if (!r.etcdConnected) say(`idle (${r.case}, ${r.state}): no TCP connection to etcd at the end of the window`);
  if (r.inTopic !== r.expectedInTopic) say(`idle (${r.case}, ${r.state}): ${r.inTopic} lines in Kafka, expected ${r.expectedInTopic}`);
  say(
    `idle, ${idleCaseLabel(r.case, r.files)}, ${idleStateLabel(r.state)}: CPU ${pct(r.cpuShare)}% of a core, ` +
      `${fmt(r.wakeups, 0)} wake-ups/s, epoll ${fmt(epollRate(r), 0)}/s, RSS end ${fmt(r.rssEnd / 2 ** 20)} MiB, max ${fmt(r.rssMax / 2 ** 20)} MiB, ` +
      `${r.openFds} fds, etcd ${r.etcdConnected ? "connected" : "NOT connected"}, ${r.kafkaConnections} Kafka connections`,
  );
  return r;
}

async function idleRun(agentTool: AgentTool, runDir: string, idle: { dir: string; files: string[] }, mode: IdleCase): Promise<IdleResult[]> {
  const n = idle.files.length;
  const topic = topicName(`idle-${mode}`);
  await freshAdmin();
  await createTopic(topic);
  const dir = path.join(runDir, "runs", topic);
  mkdirSync(dir, { recursive: true });
  const key = `/logagent-bench/${topic}/collect_config`;
  const paths = mode === "entries" ? idle.files : [path.join(idle.dir, "*.log")];
  const [agent] = await agentTool.launchFromEtcd({ dir, files: paths, topic }, key);
  const base = { case: mode, files: n };
  try {
    for (let i = 0; i < 300 && agent!.openFileCount() < n; i++) await sleep(100);
    // The list must have come from etcd: the agent says where each list it applies comes from.
    const log = readFileSync(path.join(dir, `${agentTool.name}.log`), "utf8");
    if (!/Applying collect list.*etcd key/.test(log)) throw new Error(`idle (${mode}): the agent did not apply a collect list from etcd; the end of its log:\n${agent!.logTail()}`);
    const scrape = metricsUrl(log);
    if (!scrape) say(`idle (${mode}): the agent serves no /metrics; measuring without scrapes`);
    if (agent!.openFileCount() < n) say(`idle (${mode}): only ${agent!.openFileCount()} fds open after 30 s, measuring anyway`);
    await sleep(SETTINGS.idleSettleSeconds * 1000);
    const results = [await measureWindow(agent!, topic, { ...base, state: "connected", expectedInTopic: 0, shippedAfter: NaN }, path.join(dir, "strace-connected.txt"), scrape)];

    appendFileSync(idle.files[0]!, makeLine(0, 1, 100));
    const t0 = performance.now();
    for (let i = 0; i < 300 && (await endOffset(topic)) < 1; i++) await sleep(100);
    const shippedIn = (performance.now() - t0) / 1000;
    if ((await endOffset(topic)) < 1) throw new Error(`idle (${mode}): the line written to ${idle.files[0]} did not reach Kafka in 30 s`);
    say(`idle (${mode}): one line written and in Kafka after ${fmt(shippedIn, 2)} s`);
    await sleep(SETTINGS.idleSettleSeconds * 1000);
    results.push(await measureWindow(agent!, topic, { ...base, state: "shipped", expectedInTopic: 1, shippedAfter: shippedIn }, path.join(dir, "strace-shipped.txt"), scrape));
    return results;
  } finally {
    await agent!.stop();
    await deleteTopic(topic);
    await deleteKey(key).catch(() => {});
  }
}

export async function measureIdle(agentTool: AgentTool, runDir: string): Promise<IdleResult[]> {
  const idle = writeIdleFiles(runDir);
  const results: IdleResult[] = [];
  for (const mode of IDLE_CASES) {
    say(`idle: ${agentTool.name} watching ${idleCaseLabel(mode, SETTINGS.idleFiles)}, list from etcd, ${SETTINGS.idleSeconds} s per state`);
    results.push(...(await idleRun(agentTool, runDir, idle, mode)));
  }
  return results;
}
