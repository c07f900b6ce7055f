// Throughput: for 1 and 8 files, 100-byte and 1 KiB lines, acks=1 and acks=all, each tool ships the same
// prepared files to a fresh 1-partition topic. The clock runs from the tool's start until the topic's
// end offset reaches the line count; then every message is read back and checked.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { verifyTopic, writeDataset, type Dataset } from "../lib/data";
import { fmt, fmtInt, mib } from "../lib/format";
import { createTopic, deleteTopic, endOffset, freshAdmin, topicName } from "../lib/kafka";
import { cpuTicks, sumUsage, type Proc } from "../lib/proc";
import { CLK_TCK, SETTINGS, type Acks } from "../lib/settings";
import { say, sleep } from "../lib/shell";
import { exitedEarly, type ToolUnderTest } from "../tools/tool";
import { linesPerSecond, type ThroughputResult } from "./results";

/** Polls the topic's end offset until it reaches `expected`, the time limit passes, or progress stops. */
async function waitForOffset(topic: string, expected: number, procs: Proc[], limitMs: number, t0: number) {
  let arrived = 0;
  let lastProgress = performance.now();
  // An incomplete run is timed to its last progress, so its lines/s is not diluted by the wait for the rest.
  let pollError = "";
  const gaveUp = (why: string) => ({
    arrived,
    seconds: (lastProgress - t0) / 1000,
    note: `${why}; timed to the last line that arrived${pollError ? `; last offset poll error: ${pollError}` : ""}`,
  });
  for (let i = 0; i < 1_000_000; i++) {
    const polledAt = performance.now();
    const now = await endOffset(topic).catch((e) => {
      pollError = (e as Error).message;
      return arrived;
    });
    const at = performance.now();
    if (now >= expected) return { arrived: now, seconds: (at - t0) / 1000, note: "" };
    if (now !== arrived) lastProgress = at;
    arrived = now;
    const allExited = procs.every((p) => !p.running);
    if (at - t0 > limitMs) return gaveUp(`time limit ${Math.round(limitMs / 1000)} s`);
    if (at - lastProgress > (allExited ? 5_000 : 30_000)) {
      return gaveUp(allExited ? `exited (${procs.map((p) => p.exitCode).join(",")}) without delivering everything` : "no progress for 30 s");
    }
    await sleep(Math.max(0, SETTINGS.pollMs - (performance.now() - polledAt)));
  }
  throw new Error("unreachable: the poll loop is bounded by its time limit");
}

/** A fresh topic named after `name`, a folder for the run's configuration and logs, and the run's time limit. */
async function prepareRun(name: string, ds: Dataset, runDir: string): Promise<{ topic: string; dir: string; limitMs: number }> {
  const topic = topicName(name);
  await freshAdmin();
  await createTopic(topic);
  const dir = path.join(runDir, "runs", topic);
  mkdirSync(dir, { recursive: true });
  return { topic, dir, limitMs: 30_000 + ds.bytes / 2_000 }; // at least 2 MB/s
}

async function throughputRun(tool: ToolUnderTest, ds: Dataset, acks: Acks, runDir: string, kafkaPid: number): Promise<ThroughputResult> {
  const label = `${ds.label} acks=${acks} ${tool.name}`;
  const { topic, dir, limitMs } = await prepareRun(`${ds.files.length}x${ds.lineSize}-acks${acks}-${tool.name}`, ds, runDir);
  const broker0 = cpuTicks(kafkaPid) ?? 0;
  const t0 = performance.now();
  const procs = tool.launch({ dir, files: ds.files, topic, acks, fromBeginning: true });
  let result: ThroughputResult;
  try {
    const waited = await waitForOffset(topic, ds.lines, procs, limitMs, t0);
    const { arrived, seconds } = waited;
    const brokerCpu = ((cpuTicks(kafkaPid) ?? 0) - broker0) / CLK_TCK;
    // A tool that exits once everything is acknowledged: count its CPU to the end (bounded wait).
    if (tool.exitsWhenDone) await Promise.race([Promise.all(procs.map((p) => p.exited)), sleep(10_000)]);
    const note = [exitedEarly(tool, procs), waited.note, tool.transactional ? "end offset counts commit markers; lines checked by the read-back" : ""].filter(Boolean).join("; ");
    const usage = sumUsage(procs);
    // Transactions' commit markers take offsets too: the lines are at most the end offset.
    const lines = tool.transactional ? Math.min(arrived, ds.lines) : arrived;
    result = { dataset: ds, acks, tool: tool.name, arrived: lines, complete: lines === ds.lines, seconds, usage, brokerCpu, check: null, note };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
  const r = result;
  const addNote = (note: string) => (r.note = [r.note, note].filter(Boolean).join("; "));
  if (r.arrived > ds.lines) addNote(`${r.arrived - ds.lines} more messages than lines`);
  if (SETTINGS.verify && r.arrived > 0) {
    const c = (r.check = await verifyTopic(topic, ds, path.join(dir, "verify.log")));
    if (c.missing || c.duplicates || c.malformed) {
      r.complete = false;
      addNote(`read back: ${c.missing} missing${c.missingExamples.length ? ` (${c.missingExamples.join(", ")})` : ""}, ${c.duplicates} duplicated, ${c.malformed} malformed`);
    }
  }
  await deleteTopic(topic);
  if (!r.complete) addNote(tool.incompleteNote(dir));
  say(
    `${label.padEnd(36)} ${r.complete ? "" : "INCOMPLETE "}${fmtInt(r.arrived)}/${fmtInt(ds.lines)} lines in ${fmt(r.seconds, 2)} s = ` +
      `${fmtInt(linesPerSecond(r))} lines/s, CPU ${fmt(r.usage.cpuSeconds, 2)} s, peak RSS ${mib(r.usage.peakRss)} MiB` +
      `${r.check ? `, checked in ${fmt(r.check.seconds)} s` : ""}${r.note ? ` (${r.note})` : ""}`,
  );
  return r;
}

/**
 * The broker's JVM compiles its produce path during the first seconds of traffic, and what it compiles
 * depends on what it is sent: whichever tool ran first was measured against a slower broker (seen here:
 * logagent's first run at 0.6 of its later rate with 1.5 to 2.2 times the broker CPU, even after a kcat
 * warm-up with plain records, or with keyed records with headers). So every tool ships the first case's
 * files once, untimed, before anything is measured.
 */
async function warmBroker(tools: ToolUnderTest[], ds: Dataset | undefined, runDir: string): Promise<void> {
  if (!ds) return;
  say(`warming the broker up: each tool ships ${ds.label} once, untimed`);
  for (const tool of tools) {
    const { topic, dir, limitMs } = await prepareRun(`warm-up-${tool.name}`, ds, runDir);
    const procs = tool.launch({ dir, files: ds.files, topic, acks: tool.transactional ? "all" : "1", fromBeginning: true });
    try {
      await waitForOffset(topic, ds.lines, procs, limitMs, performance.now());
    } finally {
      await Promise.all(procs.map((p) => p.stop()));
    }
    await deleteTopic(topic);
  }
}

/** Every selected case, each tool in turn within a case, so that a slow drift of the machine favours none of them. */
export async function measureThroughput(tools: ToolUnderTest[], runDir: string, kafkaPid: number): Promise<ThroughputResult[]> {
  const s = SETTINGS;
  say(`preparing files (${fmtInt(s.shortLines)} × ${s.shortSize} B and ${fmtInt(s.longLines)} × 1 KiB, for 1 and 8 files)`);
  const datasets: Dataset[] = [];
  for (const files of [1, 8]) {
    for (const [lines, size] of [[s.shortLines, s.shortSize], [s.longLines, s.longSize]] as const) {
      if (s.cases.has(`${files}x${size}`)) datasets.push(writeDataset(path.join(runDir, "data", `${files}x${size}`), files, lines, size));
    }
  }
  await warmBroker(tools, datasets[0], runDir);
  const results: ThroughputResult[] = [];
  for (const ds of datasets) {
    for (const acks of ["1", "all"] as const) {
      for (const tool of tools) if (acks === "all" || !tool.transactional) results.push(await throughputRun(tool, ds, acks, runDir, kafkaPid));
    }
  }
  return results;
}
