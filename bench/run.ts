// Benchmark: logagent against kcat (librdkafka) and rsyslog (imfile + omkafka), on one local
// Kafka broker, in one run, on the same prepared files. It prints figures; it is not a test.
//
//   bun bench/run.ts            full run (about 14 minutes on 2 cores)
//   bun bench/run.ts --quick    a much smaller run for development (about 4 minutes)
//   npm run bench:tail          latency + idle, logagent only (about 6 minutes), into bench/results/tail
//
// Options: --quick, --only=throughput,latency,idle, --tools=logagent,kcat,rsyslog, --cases=1x100,8x1024
// (throughput cases as FILESxLINEBYTES), --build (rebuild the agent first), --no-verify (skip reading
// every topic back), --keep (keep the run folder; it is kept anyway, without the data, when a run was
// incomplete or failed), --out=DIR (default bench/results, or bench/results/quick with --quick).
// Ports, as for scripts/services.sh, default to ones the tests and the demo do not use:
//   ETCD_PORT=43790 ETCD_PEER_PORT=43800 KAFKA_PORT=49092 KAFKA_CONTROLLER_PORT=49093
//   KAFKA_SASL_PORT=49094 KAFKA_SSL_PORT=49095
//
// What it does, in order:
//   1. installs kcat, rsyslog-kafka and strace with apt-get when missing, builds dist/logagent-linux-x64
//      when missing, starts etcd + Kafka with scripts/services.sh in a fresh folder on its own ports;
//   2. throughput (measure/throughput.ts): for 1 and 8 files, 100-byte and 1 KiB lines, acks=1 and
//      acks=all, each tool ships the same files to a fresh 1-partition topic; the clock runs from the
//      tool's start until the topic's end offset reaches the line count; then every message is read
//      back and checked (each line exactly once, byte for byte);
//   3. latency (measure/latency.ts): 10,000 lines/s for 30 s written to a file, each carrying its
//      write time; a kafkajs consumer records arrival time - write time;
//   4. idle (measure/idle.ts): logagent with its collect list in etcd watching 1,000 files where
//      nothing is written, as 1,000 entries and as one glob entry, each with nothing sent yet and again
//      after one line was shipped: CPU share, wake-ups, system calls (strace), resident memory;
//   5. writes bench/results/RESULTS.md and throughput.svg (report/), prints the tables, stops
//      everything (also on failure or Ctrl+C).
// The tools under test are the list in tools/index.ts; bench/README.md describes every part.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { closeEtcd } from "./lib/etcd";
import { closeAdmin } from "./lib/kafka";
import { LoadWatch, describeMachine, javaVersion } from "./lib/machine";
import { Proc } from "./lib/proc";
import { ensureBinary, ensurePackages, startServices, stopServices, type Package } from "./lib/services";
import { ROOT, SETTINGS } from "./lib/settings";
import { say } from "./lib/shell";
import { STRACE_PACKAGE } from "./lib/strace";
import { measureIdle } from "./measure/idle";
import { measureLatency } from "./measure/latency";
import type { IdleResult, LatencyResult, ThroughputResult } from "./measure/results";
import { measureThroughput } from "./measure/throughput";
import { resultsMarkdown } from "./report/results-md";
import { throughputSvg } from "./report/svg";
import { AGENT, TOOLS, selectedTools } from "./tools/index";
import { KCAT_PACKAGE } from "./tools/kcat";

let runDir = "";
let failed = false;
/** Set when a run was incomplete: its logs are worth keeping. */
let keepLogs = false;
let cleanedUp = false;

async function cleanup(): Promise<void> {
  if (cleanedUp) return;
  cleanedUp = true;
  await Promise.all([...Proc.live].map((p) => p.stop(5_000)));
  await closeAdmin();
  closeEtcd();
  const keep = failed || keepLogs || SETTINGS.keep;
  stopServices(keep);
  if (runDir && existsSync(runDir)) {
    rmSync(path.join(runDir, "data"), { recursive: true, force: true }); // the prepared files are large
    if (keep) say(`logs kept in ${runDir} (runs/TOPIC/ holds each run's config and logs)`);
    else rmSync(runDir, { recursive: true, force: true });
  }
}

for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    say(`${sig}: stopping`);
    failed = true;
    void cleanup().finally(() => process.exit(130));
  });
}

/** What the selected parts need installed: each tool's packages, kcat to read topics back, strace for idle. */
function neededPackages(tools: typeof TOOLS): Package[] {
  const only = SETTINGS.only;
  return [
    ...tools.flatMap((t) => t.packages),
    ...(only.has("throughput") && SETTINGS.verify ? [KCAT_PACKAGE] : []),
    ...(only.has("idle") ? [STRACE_PACKAGE] : []),
  ];
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const load = new LoadWatch();
  const tools = selectedTools();
  ensurePackages(neededPackages(tools));
  ensureBinary();
  runDir = mkdtempSync(path.join(os.tmpdir(), "logagent-bench-"));
  for (const t of new Set([...tools, AGENT])) t.prepare(runDir);
  say(`${tools.map((t) => `${t.name} ${t.version()}`).join("; ")}; run folder ${runDir}`);

  const services = await startServices(runDir);
  load.addServices([services.kafkaPid, services.etcdPid]);

  const only = SETTINGS.only;
  const tp: ThroughputResult[] = only.has("throughput") ? await measureThroughput(tools, runDir, services.kafkaPid) : [];
  const lat: LatencyResult[] = only.has("latency") ? await measureLatency(tools, runDir) : [];
  const idle: IdleResult[] = only.has("idle") ? await measureIdle(AGENT, runDir) : [];
  keepLogs = tp.some((r) => !r.complete) || lat.some((r) => r.received < r.written);

  const machine = describeMachine();
  const md = resultsMarkdown(
    {
      tools: TOOLS,
      machine,
      kafka: `${services.kafkaVersion} (KRaft, one broker on loopback, Java ${javaVersion()})`,
      load: load.summary(),
      minutes: (performance.now() - startedAt) / 60_000,
    },
    tp,
    lat,
    idle,
  );
  mkdirSync(SETTINGS.out, { recursive: true });
  writeFileSync(path.join(SETTINGS.out, "RESULTS.md"), md);
  if (tp.length) writeFileSync(path.join(SETTINGS.out, "throughput.svg"), throughputSvg(tp, TOOLS, `${machine.CPU}, ${os.cpus().length} cores${SETTINGS.quick ? ", --quick" : ""}`));
  console.log(md);
  say(`wrote ${path.relative(ROOT, path.join(SETTINGS.out, "RESULTS.md"))}${tp.length ? " and throughput.svg" : ""}`);
}

try {
  await main();
} catch (e) {
  failed = true;
  console.error(`bench: ${(e as Error).stack ?? e}`);
} finally {
  await cleanup();
}
process.exit(failed ? 1 : 0);
