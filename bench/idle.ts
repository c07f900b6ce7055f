// What logagent costs when nothing happens, and how fast one line gets through:
// a small script beside bench/run.ts for working on idle cost, not a test.
//
//   bun bench/idle.ts [--bin=dist/logagent-linux-x64] [--files=1000] [--seconds=30]
//                     [--cases=entries,glob] [--latency] [--latency-only]
//
// It needs a running etcd and Kafka: start them with scripts/services.sh and
// load RUN_DIR/services.env (ETCD_ENDPOINTS, KAFKA_BROKERS) into the environment.
//
// For each case the agent (the binary copied alone into a temp folder) gets its
// collect list from etcd: "entries" is one entry per file, "glob" one entry
// DIR/*.log over the same files, each holding one old line (from = end skips
// it). Measured twice over `seconds`, after every file is open and 5 s more:
// with nothing sent yet, and again after one line was appended to one file and
// reached Kafka (the broker connection is then up, as it stays in real life).
//   - CPU: utime + stime of the whole process (/proc/PID/stat), as a share of one core;
//   - wake-ups: context switches of all its threads (/proc/PID/task/*/status),
//     per second, and those of the main (JS) thread alone;
//   - RSS: /proc/PID/status VmRSS, average and maximum of one sample a second.
// --latency: 10,000 lines/s of 100 bytes for 20 s into one file, each holding
// its write time; a kafkajs consumer gives write-to-arrival p50/p99/max.
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Etcd3 } from "etcd3";
import { Kafka, logLevel } from "kafkajs";
import "../src/kafka/request-queue-patch"; // this script's own Kafka clients must not spin beside the agent
import { usageOver, type Usage } from "../test/support/proc-stats";
import { followTopic } from "./lib/timing-consumer";

const ROOT = path.resolve(import.meta.dir, "..");
const arg = (name: string, def: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? def;
const flag = (name: string) => process.argv.includes(`--${name}`);
const BIN = path.resolve(ROOT, arg("bin", "dist/logagent-linux-x64"));
const FILES = Number(arg("files", "1000"));
const SECONDS = Number(arg("seconds", "30"));
const CASES = arg("cases", "entries,glob").split(",") as ("entries" | "glob")[];
const ETCD = need("ETCD_ENDPOINTS");
const BROKERS = need("KAFKA_BROKERS");

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: start services with scripts/services.sh and load its services.env`);
  return v;
}

const kafka = new Kafka({ clientId: "bench-idle", brokers: BROKERS.split(","), logLevel: logLevel.NOTHING });
const etcd = new Etcd3({ hosts: ETCD.split(",").map((h) => `http://${h}`) });
const say = (s: string) => console.log(s);

function openIn(pid: number, dir: string): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(dir + "/")) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

const show = (f: Usage) =>
  `CPU ${(f.cpu * 100).toFixed(2)}% of a core, wake-ups ${f.wakeups.toFixed(0)}/s (main thread ${f.mainWakeups.toFixed(0)}/s), ` +
  `RSS avg ${(f.rssAvg / 2 ** 20).toFixed(1)} MiB, max ${(f.rssMax / 2 ** 20).toFixed(1)} MiB (${(f.rssMax / 1e6).toFixed(1)} MB)`;

function startAgent(dir: string, key: string): ReturnType<typeof Bun.spawn> {
  const bin = path.join(dir, "logagent");
  copyFileSync(BIN, bin);
  const ini = ["[kafka]", `address = ${BROKERS}`, "", "[etcd]", `address = ${ETCD}`, `collect_log_key = ${key}`, "", "[agent]", "state_dir = state", ""].join("\n");
  writeFileSync(path.join(dir, "conf.ini"), ini);
  const log = openSync(path.join(dir, "agent.log"), "a");
  const child = Bun.spawn([bin, "-c", "conf.ini"], { cwd: dir, env: { PATH: "/usr/bin:/bin", HOME: os.homedir() }, stdin: "ignore", stdout: log, stderr: log });
  closeSync(log);
  return child;
}

async function endOffset(topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const o = await admin.fetchTopicOffsets(topic);
    return o.reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

async function createTopic(topic: string, configEntries: { name: string; value: string }[] = []): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries }], waitForLeaders: true });
  await admin.disconnect();
}

async function idleCase(mode: "entries" | "glob"): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `bench-idle-${mode}-`));
  const data = path.join(dir, "data");
  mkdirSync(data);
  const files = Array.from({ length: FILES }, (_, i) => {
    const f = path.join(data, `f${i}.log`);
    writeFileSync(f, `old line ${i}\n`);
    return f;
  });
  const topic = `bench-idle-${mode}-${Date.now().toString(36)}`;
  await createTopic(topic);
  const key = `/bench-idle/${topic}`;
  const paths = mode === "entries" ? files : [path.join(data, "*.log")];
  await etcd.put(key).value(JSON.stringify(paths.map((p) => ({ path: p, topic }))));
  const agent = startAgent(dir, key);
  try {
    for (let i = 0; i < 600 && openIn(agent.pid, data) < FILES; i++) await Bun.sleep(100);
    if (openIn(agent.pid, data) < FILES) say(`  only ${openIn(agent.pid, data)} of ${FILES} files open after 60 s; measuring anyway`);
    await Bun.sleep(5000);
    say(`idle, ${FILES} files, ${mode === "entries" ? `${FILES} entries` : "one glob entry"}, etcd connected, nothing sent: ${show(await usageOver(agent.pid, SECONDS))}`);
    writeFileSync(files[0]!, "one new line\n", { flag: "a" });
    for (let i = 0; i < 200 && (await endOffset(topic)) < 1; i++) await Bun.sleep(100);
    const sent = await endOffset(topic);
    if (sent !== 1) say(`  ${sent} lines reached Kafka, not 1`);
    await Bun.sleep(5000);
    say(`idle, ${FILES} files, ${mode === "entries" ? `${FILES} entries` : "one glob entry"}, after one line was shipped: ${show(await usageOver(agent.pid, SECONDS))}`);
  } catch (err) {
    // Say why before the folder goes: an agent that exited has left its reasons in its log.
    if (agent.exitCode !== null || agent.signalCode !== null) say(`  the agent exited (${agent.exitCode ?? agent.signalCode}); the end of its log:\n${tail(path.join(dir, "agent.log"))}`);
    throw err;
  } finally {
    agent.kill("SIGTERM");
    await agent.exited;
    await etcd.delete().key(key);
    rmSync(dir, { recursive: true, force: true });
  }
}

function tail(file: string, lines = 20): string {
  return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;

async function latency(rate = 10_000, seconds = 20): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "bench-latency-"));
  const file = path.join(dir, "growing.log");
  writeFileSync(file, "");
  const topic = `bench-latency-${Date.now().toString(36)}`;
  // The broker stamps each record with its append time: a figure the consumer's own delays do not touch.
  await createTopic(topic, [{ name: "message.timestamp.type", value: "LogAppendTime" }]);
  const key = `/bench-idle/${topic}`;
  await etcd.put(key).value(JSON.stringify([{ path: file, topic }]));
  const total = rate * seconds;
  const lat: number[] = [];
  /** Lines written 2 s or more after the start: what the first burst after the quiet spell does not touch. */
  const steady: number[] = [];
  const appended: number[] = [];
  const consumer = kafka.consumer({ groupId: `bench-${topic}`, maxWaitTimeInMs: 20 });
  await followTopic(consumer, topic, (m, now) => {
    const ts = Number(m.value!.toString("latin1", 11, 24));
    const ms = now - ts;
    lat.push(ms);
    appended.push(Number(m.timestamp) - ts);
    if (Number(m.value!.toString("latin1", 0, 10)) >= 2 * rate && Number(m.value!.toString("latin1", 0, 10)) < total) steady.push(ms);
  });
  const agent = startAgent(dir, key);
  try {
    for (let i = 0; i < 300 && openIn(agent.pid, dir) < 1; i++) await Bun.sleep(100);
    // One line first, so that the agent's broker connection is up before the clock starts.
    const fd = openSync(file, "a");
    writeSync(fd, `${"9".repeat(10)} ${Date.now()} warm-up\n`);
    for (let i = 0; i < 300 && lat.length < 1; i++) await Bun.sleep(100);
    await Bun.sleep(1000);
    lat.length = 0;
    steady.length = 0;
    appended.length = 0;
    const start = performance.now();
    let written = 0;
    while (written < total) {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
      if (due > written) {
        const ts = Date.now();
        let text = "";
        for (; written < due; written++) text += `${String(written).padStart(10, "0")} ${ts} ${"x".repeat(100 - 26)}\n`;
        writeSync(fd, text);
      }
      await Bun.sleep(2);
    }
    closeSync(fd);
    for (let i = 0; i < 300 && lat.length < total; i++) await Bun.sleep(100);
    const s = [...lat].sort((a, b) => a - b);
    const t = [...steady].sort((a, b) => a - b);
    const a = [...appended].sort((x, y) => x - y);
    say(
      `latency at ${rate} lines/s for ${seconds} s after 1 s of quiet: ${lat.length}/${total} arrived; p50 ${percentile(s, 0.5)} ms, p99 ${percentile(s, 0.99)} ms, max ${s.at(-1)} ms; ` +
        `lines written after the first 2 s: p50 ${percentile(t, 0.5)} ms, p99 ${percentile(t, 0.99)} ms, max ${t.at(-1)} ms; ` +
        `broker append time: p50 ${percentile(a, 0.5)} ms, p99 ${percentile(a, 0.99)} ms, max ${a.at(-1)} ms`,
    );
  } finally {
    agent.kill("SIGTERM");
    await agent.exited;
    await consumer.disconnect();
    await etcd.delete().key(key);
    rmSync(dir, { recursive: true, force: true });
  }
}

say(`binary ${BIN}`);
if (!flag("latency-only")) for (const c of CASES) await idleCase(c);
if (flag("latency") || flag("latency-only")) await latency();
etcd.close();
process.exit(0);
