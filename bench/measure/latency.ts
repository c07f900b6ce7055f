// Latency: 10,000 lines/s written to one growing file, each line carrying its write time; a kafkajs
// consumer records arrival - write time, and the topic's LogAppendTime gives a second, consumer-free
// figure. Each tool runs with its defaults, started before the first line is written.
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { FILLER } from "../lib/data";
import { fmt, fmtInt } from "../lib/format";
import { consumer as kafkaConsumer, createTopic, deleteTopic, freshAdmin, topicName } from "../lib/kafka";
import { sumUsage } from "../lib/proc";
import { followTopic } from "../lib/timing-consumer";
import { SETTINGS } from "../lib/settings";
import { say, sleep } from "../lib/shell";
import { exitedEarly, type ToolUnderTest } from "../tools/tool";
import type { LatencyResult } from "./results";

const percentile = (sorted: Float64Array, p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]! : NaN);

async function latencyRun(tool: ToolUnderTest, runDir: string): Promise<LatencyResult> {
  const { latencyRate: rate, latencySeconds: seconds } = SETTINGS;
  const total = rate * seconds;
  const topic = topicName(`latency-${tool.name}`);
  // The broker stamps each record with its append time, which gives a second, consumer-free figure.
  await freshAdmin();
  await createTopic(topic, [{ name: "message.timestamp.type", value: "LogAppendTime" }]);
  const dir = path.join(runDir, "runs", topic);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "growing.log");
  writeFileSync(file, "");

  const arrival = new Float64Array(total).fill(NaN);
  const appended = new Float64Array(total).fill(NaN);
  let received = 0;
  const consumer = kafkaConsumer({ groupId: `bench-${topic}`, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  const joined = await followTopic(consumer, topic, (m, now) => {
    const v = m.value;
    if (!v || v.length < 28) return;
    const seq = Number(v.toString("latin1", 4, 14));
    const ts = Number(v.toString("latin1", 15, 28));
    if (!(seq >= 0 && seq < total) || !Number.isNaN(arrival[seq]!)) return;
    arrival[seq] = now - ts;
    appended[seq] = Number(m.timestamp) - ts;
    received++;
  });
  if (!joined) throw new Error("latency: the consumer did not join its group in 30 s");

  const procs = tool.launch({ dir, files: [file], topic, follow: true });
  let result: LatencyResult;
  try {
    // Wait until the tool holds the file open, then a little longer for its Kafka connection.
    for (let i = 0; i < 150 && !procs[0]!.hasOpen(file); i++) await sleep(100);
    await sleep(2_000);
    const cpu0 = sumUsage(procs).cpuSeconds;
    const fd = openSync(file, "a");
    const fill = 100 - 30; // "f00 SEQ TS FILLER\n" is 100 bytes
    const start = performance.now();
    // After the measured lines, the same rate goes on with padding lines (which the consumer ignores)
    // until every measured line has arrived, up to 30 s: a tool that holds back its last partial block
    // of input (kcat reading a pipe does) is then measured on the lines, not on the stream's end.
    const deadline = start + seconds * 1000 + 30_000;
    let written = 0;
    let wroteFor = 0;
    let cpu1 = NaN;
    for (let tick = 0; tick < 1_000_000 && performance.now() < deadline; tick++) {
      const due = Math.floor(((performance.now() - start) / 1000) * rate);
      if (due > written) {
        const ts = Date.now();
        const parts: string[] = [];
        for (; written < due; written++) parts.push(`f00 ${String(written).padStart(10, "0")} ${ts} ${FILLER.slice(written % 97, (written % 97) + fill)}\n`);
        writeSync(fd, parts.join(""));
      }
      if (written >= total && !wroteFor) {
        wroteFor = (performance.now() - start) / 1000;
        cpu1 = sumUsage(procs).cpuSeconds;
      }
      if (written >= total && received >= total) break;
      await sleep(2);
    }
    closeSync(fd);
    written = Math.min(written, total);
    const lat = Float64Array.from(arrival.filter((x) => !Number.isNaN(x))).sort();
    const app = Float64Array.from(appended.filter((x) => !Number.isNaN(x))).sort();
    result = {
      tool: tool.name,
      how: tool.latencyHow(),
      written,
      received,
      p50: percentile(lat, 0.5),
      p99: percentile(lat, 0.99),
      p999: percentile(lat, 0.999),
      max: lat.length ? lat[lat.length - 1]! : NaN,
      brokerP50: percentile(app, 0.5),
      brokerP99: percentile(app, 0.99),
      brokerP999: percentile(app, 0.999),
      cpuShare: (cpu1 - cpu0) / wroteFor,
      peakRss: sumUsage(procs).peakRss,
      note: exitedEarly(tool, procs),
    };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await consumer.disconnect().catch(() => {});
  }
  await deleteTopic(topic);
  const r = result;
  say(
    `latency ${tool.name.padEnd(8)} ${fmtInt(r.received)}/${fmtInt(r.written)} lines; p50 ${fmt(r.p50, 0)} ms, p99 ${fmt(r.p99, 0)} ms, ` +
      `p99.9 ${fmt(r.p999, 0)} ms, max ${fmt(r.max, 0)} ms; CPU ${fmt(r.cpuShare * 100)}% of a core at ${fmtInt(rate)} lines/s${r.note ? ` (${r.note})` : ""}`,
  );
  return r;
}

export async function measureLatency(tools: ToolUnderTest[], runDir: string): Promise<LatencyResult[]> {
  say(`latency: ${fmtInt(SETTINGS.latencyRate)} lines/s for ${SETTINGS.latencySeconds} s per tool`);
  const results: LatencyResult[] = [];
  for (const tool of tools) results.push(await latencyRun(tool, runDir));
  return results;
}
