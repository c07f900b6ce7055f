// Benchmark: logagent against kcat (librdkafka) and rsyslog (imfile + omkafka), on one local
// Kafka broker, in one run, on the same prepared files. It prints figures; it is not a test.
//
//   bun bench/run.ts            full run (about 7-8 minutes on 2 cores)
//   bun bench/run.ts --quick    a much smaller run for development (under 2 minutes)
//   npm run bench:tail          latency + both idle cases, logagent only (about 3 minutes), into bench/results/tail
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
//   1. installs kcat and rsyslog-kafka with apt-get when missing, builds dist/logagent-linux-x64 when
//      missing, starts etcd + Kafka with scripts/services.sh in a fresh folder on its own ports;
//   2. throughput: for 1 and 8 files, 100-byte and 1 KiB lines, acks=1 and acks=all, each tool ships
//      the same files to a fresh 1-partition topic; the clock runs from the tool's start until the
//      topic's end offset reaches the line count (polled with kafkajs admin fetchTopicOffsets); then
//      every message is read back and checked (each line exactly once, byte for byte);
//   3. latency: 10,000 lines/s for 30 s written to a file, each carrying its write time; a kafkajs
//      consumer records arrival time - write time;
//   4. idle: logagent watching 1,000 files where nothing is written, CPU share and resident memory, twice:
//      one [collect.fN] entry per file, then one glob entry (path = DIR/*.log) matching the same files;
//   5. writes bench/results/RESULTS.md and throughput.svg, prints the tables, stops everything
//      (also on failure or Ctrl+C).
import { spawnSync } from "node:child_process";
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { Kafka, logLevel, type Admin, type Consumer } from "kafkajs";

// kafkajs schedules some timers with a negative delay, and Bun prints a warning for each; clamp them to 0.
const setTimeoutOriginal = globalThis.setTimeout;
globalThis.setTimeout = Object.assign(
  (fn: (...a: unknown[]) => void, ms?: number, ...rest: unknown[]) => setTimeoutOriginal(fn, Math.max(0, ms ?? 0), ...rest),
  setTimeoutOriginal,
) as typeof setTimeout;

// ============================================================================ settings

const ROOT = path.resolve(import.meta.dir, "..");
const BUN = path.join(ROOT, "node_modules/.bin/bun");
const AGENT_BINARY = path.join(ROOT, "dist/logagent-linux-x64");

type Tool = "logagent" | "kcat" | "rsyslog";
type Acks = "1" | "all";
const TOOLS: Tool[] = ["logagent", "kcat", "rsyslog"];

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const option = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
for (const a of argv) {
  if (!/^--(quick|build|no-verify|keep|help|(only|tools|cases|out)=.+)$/.test(a)) {
    console.error(`bench: unknown argument ${a}; see the header of bench/run.ts`);
    process.exit(2);
  }
}
if (flag("help")) {
  const lines = readFileSync(import.meta.path, "utf8").split("\n");
  console.log(lines.slice(0, lines.findIndex((l) => !l.startsWith("//"))).join("\n"));
  process.exit(0);
}

const QUICK = flag("quick");
const SETTINGS = {
  quick: QUICK,
  /** Lines per throughput case (spread over the files of the case). */
  shortLines: QUICK ? 200_000 : 2_000_000,
  longLines: QUICK ? 50_000 : 500_000,
  shortSize: 100,
  longSize: 1024,
  latencyRate: 10_000,
  latencySeconds: QUICK ? 10 : 30,
  idleFiles: 1_000,
  idleSettleSeconds: 5,
  idleSeconds: QUICK ? 15 : 60,
  /** How often the topic's end offset is polled during a throughput run. */
  pollMs: 25,
  verify: !flag("no-verify"),
  only: new Set((option("only") ?? "throughput,latency,idle").split(",")),
  tools: (option("tools") ?? TOOLS.join(",")).split(",") as Tool[],
  /** Throughput cases as FILESxLINESIZE, e.g. 1x100,8x1024. */
  cases: new Set((option("cases") ?? "1x100,1x1024,8x100,8x1024").split(",")),
  keep: flag("keep"),
  out: path.resolve(option("out") ?? path.join(ROOT, QUICK ? "bench/results/quick" : "bench/results")),
};
for (const t of SETTINGS.tools) if (!TOOLS.includes(t)) throw new Error(`--tools: unknown tool ${t}`);

const PORTS = {
  ETCD_PORT: process.env.ETCD_PORT ?? "43790",
  ETCD_PEER_PORT: process.env.ETCD_PEER_PORT ?? "43800",
  KAFKA_PORT: process.env.KAFKA_PORT ?? "49092",
  KAFKA_CONTROLLER_PORT: process.env.KAFKA_CONTROLLER_PORT ?? "49093",
  KAFKA_SASL_PORT: process.env.KAFKA_SASL_PORT ?? "49094",
  KAFKA_SSL_PORT: process.env.KAFKA_SSL_PORT ?? "49095",
};
const BROKER = `127.0.0.1:${PORTS.KAFKA_PORT}`;
const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;
/** Children get only this environment, as from a service manager. */
const CHILD_ENV = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", HOME: process.env.HOME ?? "/root", LANG: "C.UTF-8" };

// ============================================================================ small helpers

const T0 = performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const say = (msg: string) => console.error(`[${((performance.now() - T0) / 1000).toFixed(0).padStart(4)} s] ${msg}`);
const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US");
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "–");
const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a) && Number.isFinite(b) ? `${(a / b).toFixed(2)}×` : "–");
/** MiB; "–" when unknown (0: a process that exited before its memory was read). */
const mib = (bytes: number) => (bytes > 0 ? fmt(bytes / 2 ** 20) : "–");
const memRatio = (a: number, b: number) => (a > 0 ? ratio(a, b) : "–");

function run(cmd: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): string {
  const r = spawnSync(cmd[0]!, cmd.slice(1), {
    encoding: "utf8",
    env: { ...process.env, ...opts.env },
    timeout: opts.timeoutMs ?? 600_000,
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) {
    throw new Error(`${cmd.join(" ")} failed (${r.error?.message ?? `exit ${r.status}`}):\n${(r.stderr ?? "").slice(-3000)}`);
  }
  return r.stdout;
}
const tryRun = (cmd: string[]) => {
  try {
    return run(cmd, { timeoutMs: 20_000 }).trim();
  } catch {
    return "";
  }
};

// ============================================================================ measured processes

interface Usage {
  /** utime + stime, seconds. */
  cpuSeconds: number;
  /** Peak resident memory, bytes: VmHWM, read while the process lives (0 if never read). */
  peakRss: number;
}

/** Every live process in the tree rooted at `pid` (a shell pipeline's children included). */
function processTree(pid: number): number[] {
  const out: number[] = [];
  const stack = [pid];
  for (let guard = 0; stack.length && guard < 1000; guard++) {
    const p = stack.pop()!;
    out.push(p);
    try {
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const kids = readFileSync(`/proc/${p}/task/${task}/children`, "utf8").trim();
        if (kids) stack.push(...kids.split(/\s+/).map(Number));
      }
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** utime + stime of one process (all its threads), in clock ticks; null when it is gone. */
function cpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields[0] is field 3 (state)
    return Number(fields[11]) + Number(fields[12]); // fields 14 (utime) and 15 (stime)
  } catch {
    return null;
  }
}

function statusKb(pid: number, key: "VmHWM" | "VmRSS"): number {
  try {
    const m = new RegExp(`${key}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** One child process of the benchmark, with its output in a log file and its CPU and memory read from /proc. */
class Proc {
  static readonly live = new Set<Proc>();
  private readonly child: ReturnType<typeof Bun.spawn>;
  private peakKb = 0;
  private readonly sampler: ReturnType<typeof setInterval>;
  readonly exited: Promise<number>;

  /** `sampleMs`: how often to read the memory high-water mark, which is gone once the process exits. */
  constructor(
    readonly name: string,
    cmd: string[],
    opts: { cwd: string; log: string; sampleMs: number },
  ) {
    const fd = openSync(opts.log, "a");
    this.child = Bun.spawn(cmd, { cwd: opts.cwd, env: CHILD_ENV, stdin: "ignore", stdout: fd, stderr: fd });
    closeSync(fd);
    Proc.live.add(this);
    // VmHWM is gone once a process exits, and rusage's maxRSS is no substitute: Linux carries the
    // parent's (Bun's, ~200 MB) high-water mark into the child at fork + exec. So sample it.
    this.sampler = setInterval(() => (this.peakKb = Math.max(this.peakKb, statusKb(this.pid, "VmHWM"))), opts.sampleMs);
    this.exited = this.child.exited.then((code) => {
      clearInterval(this.sampler);
      Proc.live.delete(this);
      return code;
    });
  }

  get pid(): number {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get exitCode(): number | null {
    return this.child.exitCode;
  }

  /** Remembers the tree's high-water mark; call now and then while it runs (a shell's children leave no rusage). */
  sample(): void {
    if (!this.running) return;
    const kb = processTree(this.pid).reduce((sum, p) => sum + statusKb(p, "VmHWM"), 0);
    this.peakKb = Math.max(this.peakKb, kb);
  }

  /** CPU seconds so far and peak resident memory, for the whole process tree. */
  usage(): Usage {
    if (!this.running) {
      // CPU from rusage (the process and the children it reaped); memory from the samples (see the constructor).
      const ru = this.child.resourceUsage();
      return { cpuSeconds: ru ? Number(ru.cpuTime.total) / 1e6 : NaN, peakRss: this.peakKb * 1024 };
    }
    this.sample();
    const ticks = processTree(this.pid).reduce((sum, p) => sum + (cpuTicks(p) ?? 0), 0);
    return { cpuSeconds: ticks / CLK_TCK, peakRss: this.peakKb * 1024 };
  }

  rssBytes(): number {
    return processTree(this.pid).reduce((sum, p) => sum + statusKb(p, "VmRSS"), 0) * 1024;
  }

  /** Whether some process of the tree holds `file` open. */
  hasOpen(file: string): boolean {
    return processTree(this.pid).some((p) => {
      try {
        return readdirSync(`/proc/${p}/fd`).some((fd) => {
          try {
            return readlinkSync(`/proc/${p}/fd/${fd}`) === file;
          } catch {
            return false;
          }
        });
      } catch {
        return false;
      }
    });
  }

  openFileCount(): number {
    try {
      return readdirSync(`/proc/${this.pid}/fd`).length;
    } catch {
      return 0;
    }
  }

  /** SIGTERM to the whole tree, SIGKILL after `graceMs`. Only ever signals processes this benchmark started. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    const tree = processTree(this.pid);
    for (const p of tree.reverse()) {
      try {
        process.kill(p, "SIGTERM");
      } catch {
        /* gone */
      }
    }
    const killed = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!killed) {
      for (const p of processTree(this.pid)) {
        try {
          process.kill(p, "SIGKILL");
        } catch {
          /* gone */
        }
      }
      await Promise.race([this.exited, sleep(5_000)]);
    }
  }
}

/** The last lines of a run's log, for a tool that stopped when it should not have. */
function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).map((l) => `    ${l.slice(0, 400)}`).join("\n");
  } catch {
    return "    (no log)";
  }
}

/** A long-running tool (logagent, rsyslogd) that exited during a measurement: say so, with its log. */
function exitedEarly(tool: Tool, procs: Proc[], dir: string): string {
  const gone = procs.filter((p) => !p.running);
  if (tool === "kcat" && gone.length === procs.length && procs.every((p) => p.exitCode === 0)) return "";
  if (!gone.length) return "";
  say(`${tool} exited by itself (exit code ${gone.map((p) => p.exitCode).join(",")}); the end of its log:\n${logTail(path.join(dir, `${tool}.log`))}`);
  return `${tool} exited by itself (code ${gone.map((p) => p.exitCode).join(",")})`;
}

/** Usage of several processes counted as one tool: CPU summed, peak memory summed (an upper bound when they ran in parallel). */
function sumUsage(procs: Proc[]): Usage {
  const u = procs.map((p) => p.usage());
  return { cpuSeconds: u.reduce((s, x) => s + x.cpuSeconds, 0), peakRss: u.reduce((s, x) => s + x.peakRss, 0) };
}

// ============================================================================ setup: packages, binary, services

function ensurePackages(): void {
  const missing: string[] = [];
  // kcat also reads every throughput topic back; a logagent-only latency/idle run needs neither.
  const needKcat = SETTINGS.tools.includes("kcat") || (SETTINGS.only.has("throughput") && SETTINGS.verify);
  if (needKcat && !tryRun(["sh", "-c", "command -v kcat"])) missing.push("kcat");
  if (SETTINGS.tools.includes("rsyslog") && (!tryRun(["sh", "-c", "command -v rsyslogd"]) || !tryRun(["dpkg-query", "-W", "-f=${Status}", "rsyslog-kafka"]).includes("ok installed"))) {
    missing.push("rsyslog-kafka");
  }
  if (missing.length === 0) return;
  say(`installing ${missing.join(", ")} with apt-get`);
  const sudo = process.getuid?.() === 0 ? [] : ["sudo", "-n"];
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  run([...sudo, "apt-get", "update", "-q"], { env, timeoutMs: 300_000 });
  run([...sudo, "apt-get", "install", "-y", "-q", ...missing], { env, timeoutMs: 600_000 });
}

function ensureBinary(): void {
  if (existsSync(AGENT_BINARY) && !flag("build")) return;
  say("building dist/logagent-linux-x64");
  run([BUN, path.join(ROOT, "scripts/build.ts"), "linux-x64"], { timeoutMs: 300_000 });
}

interface Services {
  dir: string;
  kafkaPid: number;
  kafkaVersion: string;
}

function startServices(dir: string): Services {
  say(`starting etcd + Kafka in ${dir} (Kafka on ${BROKER})`);
  run(["bash", path.join(ROOT, "scripts/services.sh"), "start", dir], { env: PORTS, timeoutMs: 300_000 });
  const env = Object.fromEntries(
    readFileSync(path.join(dir, "services.env"), "utf8")
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  if (env.KAFKA_BROKERS !== BROKER) throw new Error(`services.env says Kafka is at ${env.KAFKA_BROKERS}, expected ${BROKER}`);
  const jar = readdirSync(env.KAFKA_LIBS!).find((f) => /^kafka_[\d.]+-[\d.]+\.jar$/.test(f)) ?? "";
  return {
    dir,
    kafkaPid: Number(readFileSync(path.join(dir, "kafka.pid"), "utf8").trim()),
    kafkaVersion: /-([\d.]+)\.jar$/.exec(jar)?.[1] ?? "?",
  };
}

function stopServices(dir: string, keepLogs: boolean): void {
  if (!existsSync(dir)) return;
  say("stopping etcd + Kafka");
  try {
    run(["bash", path.join(ROOT, "scripts/services.sh"), "stop", dir], { env: { ...PORTS, KEEP_LOGS: keepLogs ? "1" : "0" }, timeoutMs: 60_000 });
  } catch (e) {
    console.error(`bench: stopping the services failed: ${(e as Error).message}`);
  }
}

// ============================================================================ Kafka helpers

const kafka = new Kafka({ clientId: "logagent-bench", brokers: [BROKER], logLevel: logLevel.NOTHING, retry: { retries: 5 } });
let admin: Admin | null = null;

/**
 * A fresh admin client for each run. kafkajs's admin refreshes metadata for every topic it has ever
 * been asked about; one deleted since then fails the refresh ("This server does not host this
 * topic-partition"), which once broke the run after a topic deletion.
 */
async function freshAdmin(): Promise<void> {
  await admin?.disconnect().catch(() => {});
  admin = kafka.admin();
  await admin.connect();
}

async function createTopic(topic: string, configEntries: { name: string; value: string }[] = []): Promise<void> {
  await admin!.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1, configEntries }], waitForLeaders: true, timeout: 20_000 });
}

async function endOffset(topic: string): Promise<number> {
  const parts = await admin!.fetchTopicOffsets(topic);
  return parts.reduce((sum, p) => sum + Number(p.high), 0);
}

/** Frees the disk the topic took; a failure only costs disk space, so it is reported and the run goes on. */
async function deleteTopic(topic: string): Promise<void> {
  await admin!.deleteTopics({ topics: [topic], timeout: 20_000 }).catch((e) => say(`could not delete topic ${topic}: ${(e as Error).message}`));
}

let topicCounter = 0;
const topicName = (label: string) => `bench-${++topicCounter}-${label.replace(/[^a-zA-Z0-9]+/g, "-")}`;

// ============================================================================ data: the prepared files and their check

/** Deterministic filler; a line takes a slice starting at `seq % 97`. */
const FILLER = (() => {
  let x = 12345;
  const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  let s = "";
  for (let i = 0; i < 2048; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    s += chars[x % chars.length];
  }
  return s;
})();
const FILLER_BUF = Buffer.from(FILLER, "latin1");

/**
 * One line of exactly `size` bytes with its newline: `fNN SEQ FILLER SEQ\n`. The sequence number at both
 * ends and the filler let the read-back check notice a cut, a merge or an added prefix.
 */
function makeLine(file: number, seq: number, size: number): string {
  const s = String(seq).padStart(10, "0");
  const fill = size - 27;
  const off = seq % 97;
  return `f${String(file).padStart(2, "0")} ${s} ${FILLER.slice(off, off + fill)} ${s}\n`;
}

interface Dataset {
  label: string;
  files: string[];
  linesPerFile: number;
  lineSize: number;
  lines: number;
  bytes: number;
}

function writeDataset(dir: string, fileCount: number, lines: number, lineSize: number): Dataset {
  mkdirSync(dir, { recursive: true });
  const linesPerFile = Math.floor(lines / fileCount);
  const files: string[] = [];
  for (let f = 0; f < fileCount; f++) {
    const file = path.join(dir, `f${f}.log`);
    const fd = openSync(file, "w");
    const batch = Math.max(1, Math.floor((4 << 20) / lineSize));
    for (let start = 0; start < linesPerFile; start += batch) {
      const parts: string[] = [];
      for (let seq = start; seq < Math.min(linesPerFile, start + batch); seq++) parts.push(makeLine(f, seq, lineSize));
      writeSync(fd, Buffer.from(parts.join(""), "latin1"));
    }
    closeSync(fd);
    files.push(file);
  }
  const total = linesPerFile * fileCount;
  return { label: `${fileCount} file${fileCount > 1 ? "s" : ""} × ${lineSize === 1024 ? "1 KiB" : `${lineSize} B`}`, files, linesPerFile, lineSize, lines: total, bytes: total * lineSize };
}

interface Check {
  /** Distinct expected lines found. */
  distinct: number;
  duplicates: number;
  malformed: number;
  missing: number;
  /** The first few missing lines, as fFILE:SEQ. */
  missingExamples: string[];
  seconds: number;
}

/** Reads the whole topic back with kcat and checks that each expected line is there once, byte for byte. */
async function verifyTopic(topic: string, ds: Dataset, logFile: string): Promise<Check> {
  const t = performance.now();
  const seen = Array.from({ length: ds.files.length }, () => new Uint8Array(ds.linesPerFile));
  const check: Check = { distinct: 0, duplicates: 0, malformed: 0, missing: 0, missingExamples: [], seconds: 0 };
  const L = ds.lineSize - 1;
  const fill = ds.lineSize - 27;
  const onLine = (b: Buffer) => {
    if (b.length !== L || b[0] !== 0x66 || b[3] !== 0x20 || b[14] !== 0x20 || b[L - 11] !== 0x20) return void check.malformed++;
    const file = (b[1]! - 48) * 10 + (b[2]! - 48);
    let seq = 0;
    for (let i = 4; i < 14; i++) seq = seq * 10 + (b[i]! - 48);
    const off = seq % 97;
    if (
      file < 0 || file >= ds.files.length || seq < 0 || seq >= ds.linesPerFile ||
      Buffer.compare(b.subarray(4, 14), b.subarray(L - 10, L)) !== 0 ||
      Buffer.compare(b.subarray(15, 15 + fill), FILLER_BUF.subarray(off, off + fill)) !== 0
    ) return void check.malformed++;
    if (seen[file]![seq]) check.duplicates++;
    else {
      seen[file]![seq] = 1;
      check.distinct++;
    }
  };
  const fd = openSync(logFile, "a");
  const kc = Bun.spawn(["kcat", "-C", "-b", BROKER, "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q", "-c", String(ds.lines + 1000), "-f", "%s\\n"], {
    env: CHILD_ENV,
    stdin: "ignore",
    stdout: "pipe",
    stderr: fd,
  });
  closeSync(fd);
  const timer = setTimeout(() => kc.kill("SIGKILL"), 60_000 + ds.bytes / 10_000); // at least 10 MB/s
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of kc.stdout) {
    const buf: Buffer = rest.length ? Buffer.concat([rest, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
      onLine(buf.subarray(start, nl));
      start = nl + 1;
    }
    rest = Buffer.from(buf.subarray(start)); // copy: the chunk's memory may be reused
  }
  clearTimeout(timer);
  await kc.exited;
  if (rest.length) onLine(rest);
  check.missing = ds.lines - check.distinct;
  for (let f = 0; f < seen.length && check.missingExamples.length < 5; f++) {
    for (let q = seen[f]!.indexOf(0); q >= 0 && check.missingExamples.length < 5; q = seen[f]!.indexOf(0, q + 1)) {
      check.missingExamples.push(`f${f}:${q}${q === ds.linesPerFile - 1 ? " (last line)" : ""}`);
    }
  }
  check.seconds = (performance.now() - t) / 1000;
  return check;
}

// ============================================================================ the three tools

let AGENT_COPY = ""; // the binary, copied alone into an empty folder

/**
 * Only what each run needs: the broker, `acks` (throughput), `from = beginning` (throughput), the state
 * folder, and one `[collect.fN]` section per path (a path may be a glob). Polling, rescans, closing of
 * inactive files and everything else stay the agent's defaults.
 */
function iniFor(files: string[], topic: string, opts: { acks?: Acks; from?: "beginning" }): string {
  const lines = ["[kafka]", `address = ${BROKER}`];
  if (opts.acks) lines.push(`acks = ${opts.acks}`);
  lines.push("", "[agent]", "state_dir = state");
  if (opts.from) lines.push(`from = ${opts.from}`);
  files.forEach((file, i) => lines.push("", `[collect.f${i}]`, `path = ${file}`, `topic = ${topic}`));
  return lines.join("\n") + "\n";
}

function rsyslogConf(work: string, files: string[], topic: string, acks?: Acks): string {
  // omkafka gives each topic a fresh librdkafka topic configuration, so `acks` (a topic property) only
  // takes effect in topicConfParam; in confParam it lands in the unused default topic configuration.
  const acksParam = acks ? ` topicConfParam=["acks=${acks}"]` : "";
  return [
    `global(workDirectory="${work}")`,
    `module(load="imfile")`,
    `module(load="omkafka")`,
    `template(name="raw" type="string" string="%msg%")`,
    `ruleset(name="tokafka") {`,
    `  action(type="omkafka" broker=["${BROKER}"] topic="${topic}" template="raw"${acksParam} action.resumeRetryCount="-1")`,
    `}`,
    ...files.map((f, i) => `input(type="imfile" file="${f}" tag="f${i}" freshStartTail="off" ruleset="tokafka")`),
    "",
  ].join("\n");
}

/**
 * Starts `tool` shipping `files` to `topic`. Returns its processes. Unset options are the tool's defaults.
 * For logagent, an entry of `files` may be a glob (idle case "one glob entry").
 * `fromBeginning` (throughput): read the existing files whole; logagent's default is their end.
 * `follow` (latency): kcat cannot follow a growing file, so it reads `tail -F FILE` on stdin instead.
 */
function launch(tool: Tool, dir: string, files: string[], topic: string, opts: { acks?: Acks; fromBeginning?: boolean; follow?: boolean }): Proc[] {
  mkdirSync(dir, { recursive: true });
  const log = path.join(dir, `${tool}.log`);
  switch (tool) {
    case "logagent":
      writeFileSync(path.join(dir, "conf.ini"), iniFor(files, topic, { acks: opts.acks, from: opts.fromBeginning ? "beginning" : undefined }));
      return [new Proc("logagent", [AGENT_COPY, "-c", "conf.ini"], { cwd: dir, log, sampleMs: 200 })];
    case "kcat": {
      const acks = opts.acks ? ["-X", `acks=${opts.acks}`] : [];
      if (opts.follow) {
        const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
        return [new Proc("kcat", ["sh", "-c", `tail -n +1 -F ${q(files[0]!)} | kcat -P -q -b ${BROKER} -t ${q(topic)} ${acks.join(" ")}`], { cwd: dir, log, sampleMs: 200 })];
      }
      // One kcat per file, all in parallel (kcat -l takes one file).
      return files.map((f, i) => new Proc(`kcat#${i}`, ["kcat", "-P", "-q", "-b", BROKER, "-t", topic, ...acks, "-l", f], { cwd: dir, log, sampleMs: 10 }));
    }
    case "rsyslog": {
      const work = path.join(dir, "rsyslog-work");
      mkdirSync(work, { recursive: true });
      const conf = path.join(dir, "rsyslog.conf");
      writeFileSync(conf, rsyslogConf(work, files, topic, opts.acks));
      return [new Proc("rsyslogd", ["rsyslogd", "-n", "-f", conf, "-i", path.join(dir, "rsyslogd.pid")], { cwd: dir, log, sampleMs: 200 })];
    }
  }
}

/** The agent's defaults of `keys` (by default those that shape latency), from its own --help (they change with the code). */
function agentDefaults(keys = ["poll_interval_ms", "idle_poll_max_ms", "linger_ms", "batch_max_messages", "acks"]): string {
  const help = tryRun([AGENT_COPY || AGENT_BINARY, "--help"]);
  const found = keys.flatMap((k) => {
    const m = new RegExp(`^\\s+${k} \\([^)]*default "([^"]*)"\\)`, "m").exec(help);
    return m ? [`${k} ${m[1]}`] : [];
  });
  return found.length ? `defaults: ${found.join(", ")}` : "defaults";
}

function toolVersions(): Record<string, string> {
  const kcat = /Version (\S+) .*librdkafka (\S+)/.exec(tryRun(["kcat", "-V"]));
  return {
    logagent: tryRun([AGENT_COPY || AGENT_BINARY, "--version"]) || "?",
    git: tryRun(["git", "-C", ROOT, "log", "-1", "--format=%h %cs"]) + (tryRun(["git", "-C", ROOT, "status", "--porcelain", "--", "src"]) ? " (src/ has uncommitted changes)" : ""),
    bun: tryRun([BUN, "--version"]) || Bun.version,
    kcat: kcat ? `${kcat[1]} (librdkafka ${kcat[2]})` : "?",
    rsyslog: /rsyslogd\s+(\S+)/.exec(tryRun(["rsyslogd", "-v"]))?.[1] ?? "?",
    java: /version "([^"]+)"/.exec(spawnSync("java", ["-version"], { encoding: "utf8" }).stderr ?? "")?.[1] ?? "?",
  };
}

// ============================================================================ 1. throughput

interface ThroughputResult {
  dataset: Dataset;
  acks: Acks;
  tool: Tool;
  arrived: number;
  complete: boolean;
  seconds: number;
  usage: Usage;
  brokerCpu: number;
  check: Check | null;
  note: string;
}

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

async function throughputRun(tool: Tool, ds: Dataset, acks: Acks, runDir: string, kafkaPid: number): Promise<ThroughputResult> {
  const label = `${ds.label} acks=${acks} ${tool}`;
  const topic = topicName(`${ds.files.length}x${ds.lineSize}-acks${acks}-${tool}`);
  await freshAdmin();
  await createTopic(topic);
  const dir = path.join(runDir, "runs", topic);
  const limitMs = 30_000 + ds.bytes / 2_000; // at least 2 MB/s
  const broker0 = cpuTicks(kafkaPid) ?? 0;
  const t0 = performance.now();
  const procs = launch(tool, dir, ds.files, topic, { acks, fromBeginning: true });
  let result: ThroughputResult;
  try {
    const waited = await waitForOffset(topic, ds.lines, procs, limitMs, t0);
    const { arrived, seconds } = waited;
    const brokerCpu = ((cpuTicks(kafkaPid) ?? 0) - broker0) / CLK_TCK;
    const note = [tool === "kcat" ? "" : exitedEarly(tool, procs, dir), waited.note].filter(Boolean).join("; ");
    // kcat exits by itself once everything is acknowledged; count its CPU to the end (bounded wait).
    if (tool === "kcat") await Promise.race([Promise.all(procs.map((p) => p.exited)), sleep(10_000)]);
    const usage = sumUsage(procs);
    result = { dataset: ds, acks, tool, arrived, complete: arrived === ds.lines, seconds, usage, brokerCpu, check: null, note };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
  if (result.arrived > ds.lines) result.note = [result.note, `${result.arrived - ds.lines} more messages than lines`].filter(Boolean).join("; ");
  if (SETTINGS.verify && result.arrived > 0) {
    result.check = await verifyTopic(topic, ds, path.join(dir, "verify.log"));
    const c = result.check;
    if (c.missing || c.duplicates || c.malformed) {
      result.complete = false;
      result.note = [result.note, `read back: ${c.missing} missing${c.missingExamples.length ? ` (${c.missingExamples.join(", ")})` : ""}, ${c.duplicates} duplicated, ${c.malformed} malformed`].filter(Boolean).join("; ");
    }
  }
  await deleteTopic(topic);
  const r = result;
  if (!r.complete) keepLogs = true;
  if (tool === "rsyslog" && !r.complete) {
    // omkafka drops a message when librdkafka's local queue is full, unless resubmitOnFailure="on".
    const drops = (readFileSync(path.join(dir, "rsyslog.log"), "utf8").match(/Queue full/g) ?? []).length;
    if (drops) r.note = [r.note, `rsyslogd logged ${drops} "Failed to produce ... Local: Queue full" (omkafka drops such a line)`].join("; ");
  }
  say(
    `${label.padEnd(36)} ${r.complete ? "" : "INCOMPLETE "}${fmtInt(r.arrived)}/${fmtInt(ds.lines)} lines in ${fmt(r.seconds, 2)} s = ` +
      `${fmtInt(r.arrived / r.seconds)} lines/s, CPU ${fmt(r.usage.cpuSeconds, 2)} s, peak RSS ${mib(r.usage.peakRss)} MiB` +
      `${r.check ? `, checked in ${fmt(r.check.seconds)} s` : ""}${r.note ? ` (${r.note})` : ""}`,
  );
  return r;
}

// ============================================================================ 2. latency

interface LatencyResult {
  tool: Tool;
  how: string;
  written: number;
  received: number;
  /** Arrival at the consumer - write time, ms. */
  p50: number;
  p99: number;
  p999: number;
  max: number;
  /** Broker append time (LogAppendTime) - write time, ms. */
  brokerP50: number;
  brokerP99: number;
  brokerP999: number;
  cpuShare: number;
  peakRss: number;
  note: string;
}

const percentile = (sorted: Float64Array, p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]! : NaN);

async function latencyRun(tool: Tool, runDir: string): Promise<LatencyResult> {
  const { latencyRate: rate, latencySeconds: seconds } = SETTINGS;
  const total = rate * seconds;
  const topic = topicName(`latency-${tool}`);
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
  const consumer: Consumer = kafka.consumer({ groupId: `bench-${topic}`, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => void (joined = true));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const m of batch.messages) {
        const v = m.value;
        if (!v || v.length < 28) continue;
        const seq = Number(v.toString("latin1", 4, 14));
        const ts = Number(v.toString("latin1", 15, 28));
        if (!(seq >= 0 && seq < total) || !Number.isNaN(arrival[seq]!)) continue;
        arrival[seq] = now - ts;
        appended[seq] = Number(m.timestamp) - ts;
        received++;
      }
    },
  });
  for (let i = 0; i < 300 && !joined; i++) await sleep(100);
  if (!joined) throw new Error("latency: the consumer did not join its group in 30 s");

  const procs = launch(tool, dir, [file], topic, { follow: true });
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
      tool,
      how: tool === "kcat" ? "tail -n +1 -F FILE | kcat -P, defaults" : tool === "rsyslog" ? "imfile (inotify) + omkafka, defaults" : agentDefaults(),
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
      note: exitedEarly(tool, procs, dir),
    };
    if (result.received < result.written) keepLogs = true;
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await consumer.disconnect().catch(() => {});
  }
  await deleteTopic(topic);
  const r = result;
  say(
    `latency ${tool.padEnd(8)} ${fmtInt(r.received)}/${fmtInt(r.written)} lines; p50 ${fmt(r.p50, 0)} ms, p99 ${fmt(r.p99, 0)} ms, ` +
      `p99.9 ${fmt(r.p999, 0)} ms, max ${fmt(r.max, 0)} ms; CPU ${fmt(r.cpuShare * 100)}% of a core at ${fmtInt(rate)} lines/s${r.note ? ` (${r.note})` : ""}`,
  );
  return r;
}

// ============================================================================ 3. idle

type IdleCase = "entries" | "glob";
const IDLE_CASES: IdleCase[] = ["entries", "glob"];
const idleCaseLabel = (c: IdleCase, n: number) => (c === "entries" ? `${fmtInt(n)} entries, one per file` : "one glob entry (DIR/*.log)");
/** The defaults that shape idle work, shown with the idle table. */
const IDLE_DEFAULT_KEYS = ["poll_interval_ms", "idle_poll_max_ms", "rescan_interval_ms", "close_inactive_s", "max_open_files"];

interface IdleResult {
  case: IdleCase;
  files: number;
  openFds: number;
  /** Lines that reached Kafka; nothing is written, and `from = end` (default) skips the old line, so 0 is expected. */
  sent: number;
  seconds: number;
  cpuShare: number;
  rssAvg: number;
  rssMax: number;
  hwm: number;
}

/** The idle files, written once and shared by both idle cases: one old line each, in a folder of their own. */
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

/**
 * logagent with default settings watching `files`, nothing written: "entries" gives it one collect entry
 * per file, "glob" one entry whose path is the glob `DIR/*.log` matching the same files (each matched file
 * followed with its own idle backoff, the glob expanded again every rescan_interval_ms).
 */
async function idleRun(runDir: string, idle: { dir: string; files: string[] }, mode: IdleCase): Promise<IdleResult> {
  const n = idle.files.length;
  const topic = topicName(`idle-${mode}`);
  await freshAdmin();
  await createTopic(topic);
  const paths = mode === "entries" ? idle.files : [path.join(idle.dir, "*.log")];
  const [agent] = launch("logagent", path.join(runDir, "runs", topic), paths, topic, {});
  try {
    for (let i = 0; i < 300 && agent!.openFileCount() < n; i++) await sleep(100);
    await sleep(SETTINGS.idleSettleSeconds * 1000);
    if (!agent!.running) throw new Error(`idle (${mode}): logagent exited; see its log in the run folder`);
    if (agent!.openFileCount() < n) say(`idle (${mode}): only ${agent!.openFileCount()} fds open after ${30 + SETTINGS.idleSettleSeconds} s, measuring anyway`);
    const cpu0 = agent!.usage().cpuSeconds;
    const t0 = performance.now();
    const rss: number[] = [];
    for (let i = 0; i < SETTINGS.idleSeconds; i++) {
      await sleep(Math.max(0, t0 + (i + 1) * 1000 - performance.now()));
      rss.push(agent!.rssBytes());
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = agent!.usage().cpuSeconds;
    const r: IdleResult = {
      case: mode,
      files: n,
      openFds: agent!.openFileCount(),
      sent: await endOffset(topic),
      seconds,
      cpuShare: (cpu1 - cpu0) / seconds,
      rssAvg: rss.reduce((a, b) => a + b, 0) / rss.length,
      rssMax: Math.max(...rss),
      hwm: agent!.usage().peakRss,
    };
    if (r.sent !== 0) say(`idle (${mode}): ${r.sent} lines reached Kafka, although each file's one line was there before the agent started and from = end`);
    say(
      `idle ${n} files, ${idleCaseLabel(mode, n)}: CPU ${fmt(r.cpuShare * 100, 2)}% of a core, ` +
        `RSS avg ${fmt(r.rssAvg / 2 ** 20)} MiB, max ${fmt(r.rssMax / 2 ** 20)} MiB, ${r.openFds} fds open`,
    );
    return r;
  } finally {
    await agent!.stop();
    await deleteTopic(topic);
  }
}

// ============================================================================ report

interface Target {
  what: string;
  figure: string;
  pass: boolean | null;
}

function machine(services: Services | null): Record<string, string> {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const meminfo = readFileSync("/proc/meminfo", "utf8");
  const osRelease = readFileSync("/etc/os-release", "utf8");
  return {
    CPU: /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? "?",
    cores: `${os.cpus().length} (nproc ${tryRun(["nproc"])})`,
    RAM: `${fmt(Number(/MemTotal:\s+(\d+)/.exec(meminfo)?.[1] ?? 0) / 2 ** 20)} GiB`,
    OS: /PRETTY_NAME="([^"]+)"/.exec(osRelease)?.[1] ?? "?",
    kernel: os.release(),
    Kafka: `${services?.kafkaVersion ?? "?"} (KRaft, one broker on loopback, Java ${toolVersions().java})`,
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  };
}

const caseLabel = (r: ThroughputResult) => `${r.dataset.label}, acks=${r.acks}`;

function throughputTable(results: ThroughputResult[]): string {
  const rows = [
    "| case | tool | arrived / lines | wall s | lines/s | MB/s | CPU s | CPU µs/line | peak RSS MiB | broker CPU s | logagent / tool: lines/s | CPU s | peak RSS |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of results) {
    const la = results.find((x) => x.tool === "logagent" && x.dataset === r.dataset && x.acks === r.acks);
    const lps = r.arrived / r.seconds;
    const peer = la && r.tool !== "logagent";
    rows.push(
      `| ${caseLabel(r)} | ${r.tool} | ${r.complete ? "" : "**incomplete** "}${fmtInt(r.arrived)} / ${fmtInt(r.dataset.lines)}${r.note ? ` (${r.note})` : ""} | ` +
        `${fmt(r.seconds, 2)} | ${fmtInt(lps)} | ${fmt((r.arrived * r.dataset.lineSize) / r.seconds / 1e6)} | ${fmt(r.usage.cpuSeconds, 2)} | ` +
        `${fmt((r.usage.cpuSeconds * 1e6) / Math.max(1, r.arrived), 2)} | ${mib(r.usage.peakRss)} | ${fmt(r.brokerCpu, 2)} | ` +
        (peer ? `${ratio(la.arrived / la.seconds, lps)} | ${ratio(la.usage.cpuSeconds, r.usage.cpuSeconds)} | ${memRatio(la.usage.peakRss, r.usage.peakRss)} |` : "| | |"),
    );
  }
  return rows.join("\n");
}

function latencyTable(results: LatencyResult[]): string {
  const rows = [
    "| tool | how | received / written | p50 ms | p99 ms | p99.9 ms | max ms | broker append p50 / p99 / p99.9 ms | CPU % of a core | peak RSS MiB | logagent / tool: p50 | p99 | CPU |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  const la = results.find((r) => r.tool === "logagent");
  for (const r of results) {
    const vs = la && r !== la ? `${ratio(la.p50, r.p50)} | ${ratio(la.p99, r.p99)} | ${ratio(la.cpuShare, r.cpuShare)} |` : "| | |";
    rows.push(
      `| ${r.tool} | ${r.how.replaceAll("|", "\\|")} | ${r.received < r.written ? "**incomplete** " : ""}${fmtInt(r.received)} / ${fmtInt(r.written)}${r.note ? ` (${r.note})` : ""} | ${fmt(r.p50, 0)} | ${fmt(r.p99, 0)} | ${fmt(r.p999, 0)} | ${fmt(r.max, 0)} | ` +
        `${fmt(r.brokerP50, 0)} / ${fmt(r.brokerP99, 0)} / ${fmt(r.brokerP999, 0)} | ${fmt(r.cpuShare * 100)} | ${fmt(r.peakRss / 2 ** 20)} | ${vs}`,
    );
  }
  return rows.join("\n");
}

function idleTable(results: IdleResult[]): string {
  return [
    "| case | files watched | fds open | lines sent (expect 0) | window s | CPU % of a core | target < 1% | RSS avg MiB | RSS max MiB | VmHWM MiB |",
    "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |",
    ...results.map(
      (r) =>
        `| ${idleCaseLabel(r.case, r.files)} | ${fmtInt(r.files)} | ${fmtInt(r.openFds)} | ${fmtInt(r.sent)} | ${fmt(r.seconds, 0)} | ${fmt(r.cpuShare * 100, 2)} | ` +
        `${r.cpuShare < 0.01 ? "PASS" : "**FAIL**"} | ${fmt(r.rssAvg / 2 ** 20)} | ${fmt(r.rssMax / 2 ** 20)} | ${fmt(r.hwm / 2 ** 20)} |`,
    ),
  ].join("\n");
}

function targets(tp: ThroughputResult[], lat: LatencyResult[], idle: IdleResult[]): Target[] {
  const out: Target[] = [];
  const lps = (r: ThroughputResult) => r.arrived / r.seconds;
  const pairs = (peer: Tool) =>
    tp
      .filter((r) => r.tool === peer)
      .map((p) => ({ p, la: tp.find((x) => x.tool === "logagent" && x.dataset === p.dataset && x.acks === p.acks)! }))
      .filter((x) => x.la);
  const kcat = pairs("kcat").filter(({ p }) => p.dataset.lineSize === SETTINGS.shortSize && p.acks === "1");
  if (kcat.length) {
    out.push({
      what: "throughput ≥ kcat, 100-byte lines, acks=1",
      figure: kcat.map(({ p, la }) => `${p.dataset.label}: ${ratio(lps(la), lps(p))}`).join("; "),
      pass: kcat.every(({ p, la }) => la.complete && lps(la) >= lps(p)),
    });
  }
  const rs = pairs("rsyslog");
  if (rs.length) {
    const worst = rs.reduce((a, b) => (lps(a.la) / lps(a.p) <= lps(b.la) / lps(b.p) ? a : b));
    out.push({
      what: "throughput ahead of rsyslog in every case",
      figure: `lowest ratio ${ratio(lps(worst.la), lps(worst.p))} (${caseLabel(worst.p)})`,
      pass: rs.every(({ p, la }) => la.complete && lps(la) > lps(p)),
    });
  }
  const incomplete = tp.filter((r) => r.tool === "logagent" && !r.complete);
  if (tp.length) out.push({ what: "logagent delivers every line, once, in every throughput case", figure: incomplete.length ? `${incomplete.length} incomplete` : "all complete", pass: incomplete.length === 0 });
  const la = lat.find((r) => r.tool === "logagent");
  if (la) {
    const lost = la.received < la.written ? ` (incomplete: ${fmtInt(la.received)} / ${fmtInt(la.written)} lines arrived)` : "";
    out.push({ what: "p50 latency < 300 ms (default settings)", figure: `${fmt(la.p50, 0)} ms${lost}`, pass: la.p50 < 300 && !lost });
    out.push({ what: "p99 latency < 250 ms (default settings)", figure: `${fmt(la.p99, 0)} ms${lost}`, pass: la.p99 < 250 && !lost });
  }
  for (const r of idle) {
    const which = `${fmtInt(r.files)} files, ${idleCaseLabel(r.case, r.files)}`;
    out.push({ what: `idle CPU < 1% of a core (${which})`, figure: `${fmt(r.cpuShare * 100, 2)}%`, pass: r.cpuShare < 0.01 });
    out.push({ what: `idle RSS < 60 MB (${which})`, figure: `max ${fmt(r.rssMax / 1e6)} MB (${fmt(r.rssMax / 2 ** 20)} MiB)`, pass: r.rssMax < 60e6 });
  }
  return out;
}

function targetTable(t: Target[]): string {
  return ["| target | figure | result |", "| --- | --- | --- |", ...t.map((x) => `| ${x.what} | ${x.figure} | ${x.pass === null ? "–" : x.pass ? "PASS" : "**FAIL**"} |`)].join("\n");
}

const escapeXml = (s: string) => s.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]!);

/** A grouped bar chart of lines/s, one group per case, one bar per tool; hand-written SVG. */
function throughputSvg(results: ThroughputResult[], machineName: string): string {
  const cases = [...new Map(results.map((r) => [caseLabel(r), r])).keys()];
  const tools = TOOLS.filter((t) => results.some((r) => r.tool === t));
  const title = `${tools.join(" vs ")}: throughput to one local Kafka broker (${machineName})`;
  const colors: Record<Tool, string> = { logagent: "#2b6cb0", kcat: "#dd6b20", rsyslog: "#718096" };
  const W = 1000, H = 470, left = 80, right = 20, top = 60, bottom = 110;
  const plotW = W - left - right, plotH = H - top - bottom;
  const max = Math.max(1, ...results.map((r) => r.arrived / r.seconds));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * 10 ** Math.floor(Math.log10(max / 5))).find((s) => max / s <= 6)!;
  const yMax = Math.ceil(max / step) * step;
  const y = (v: number) => top + plotH - (v / yMax) * plotH;
  const groupW = plotW / cases.length, barW = (groupW * 0.75) / tools.length;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#c53030" stroke-width="3"/></pattern></defs>`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${W / 2}" y="42" text-anchor="middle" fill="#555">lines per second until the last line is in Kafka (higher is better); hatched = incomplete</text>`,
  ];
  for (let v = 0; v <= yMax + 1e-9; v += step) {
    out.push(`<line x1="${left}" x2="${W - right}" y1="${y(v)}" y2="${y(v)}" stroke="#e2e8f0"/>`);
    out.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v >= 1e6 ? `${+(v / 1e6).toFixed(2)}M` : v >= 1e3 ? `${+(v / 1e3).toFixed(1)}k` : v}</text>`);
  }
  cases.forEach((c, gi) => {
    const gx = left + gi * groupW + groupW * 0.125;
    tools.forEach((t, ti) => {
      const r = results.find((x) => caseLabel(x) === c && x.tool === t);
      if (!r) return;
      const v = r.arrived / r.seconds;
      const x = gx + ti * barW;
      out.push(`<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(top + plotH - y(v)).toFixed(1)}" fill="${r.complete ? colors[t] : "url(#hatch)"}" stroke="${colors[t]}"><title>${escapeXml(`${c} ${t}: ${fmtInt(v)} lines/s`)}</title></rect>`);
      out.push(`<text x="${(x + barW / 2 - 1).toFixed(1)}" y="${(y(v) - 4).toFixed(1)}" text-anchor="middle" font-size="9">${v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : v >= 1e3 ? `${Math.round(v / 1e3)}k` : Math.round(v)}</text>`);
    });
    const [files, acks] = c.split(", ");
    out.push(`<text x="${(left + gi * groupW + groupW / 2).toFixed(1)}" y="${top + plotH + 18}" text-anchor="middle">${escapeXml(files!)}</text>`);
    out.push(`<text x="${(left + gi * groupW + groupW / 2).toFixed(1)}" y="${top + plotH + 34}" text-anchor="middle">${escapeXml(acks!)}</text>`);
  });
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#333"/><line x1="${left}" x2="${W - right}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`);
  tools.forEach((t, i) => {
    const x = left + i * 150;
    out.push(`<rect x="${x}" y="${H - 40}" width="14" height="14" fill="${colors[t]}"/><text x="${x + 20}" y="${H - 28}">${t}</text>`);
  });
  out.push("</svg>");
  return out.join("\n");
}

function report(services: Services | null, tp: ThroughputResult[], lat: LatencyResult[], idle: IdleResult[], versions: Record<string, string>, startedAt: number): string {
  const m = machine(services);
  const minutes = ((performance.now() - startedAt) / 60_000).toFixed(1);
  const s = SETTINGS;
  const parts = [
    `# logagent benchmark${s.quick ? " (--quick)" : ""}`,
    "",
    `Written by \`${["bun bench/run.ts", ...argv].join(" ")}\` on ${m.date} in ${minutes} minutes. One local Kafka broker, the same prepared files for every tool, one run.`,
    "",
    "## Machine and versions",
    "",
    "| | |",
    "| --- | --- |",
    ...Object.entries(m).map(([k, v]) => `| ${k} | ${v} |`),
    `| logagent | ${versions.logagent} (dist/logagent-linux-x64 from ${versions.git}), Bun ${versions.bun} |`,
    `| kcat | ${versions.kcat} |`,
    `| rsyslog | ${versions.rsyslog} (imfile + omkafka from Debian's rsyslog-kafka) |`,
    "",
    "## Targets",
    "",
    targetTable(targets(tp, lat, idle)),
  ];
  if (tp.length) {
    parts.push(
      "",
      "## Throughput",
      "",
      `Lines per case: ${fmtInt(s.shortLines)} of ${s.shortSize} bytes, or ${fmtInt(s.longLines)} of 1 KiB (fewer, to keep the run short), spread evenly over the case's files ` +
        `(sizes include the newline; MB = 10^6 bytes of file data). Each run gets a fresh topic with 1 partition. Wall time runs from the tool's start until ` +
        `the topic's end offset (kafkajs admin \`fetchTopicOffsets\`, polled every ${s.pollMs} ms) equals the line count. ` +
        (s.verify ? "Afterwards every message is read back (kcat -C) and checked: each line once, byte for byte; otherwise the run counts as incomplete. " : "") +
        `CPU s = utime + stime (/proc/PID/stat, ${CLK_TCK} ticks/s; rusage for kcat, which exits); peak RSS = VmHWM (/proc/PID/status; read every 10 ms for kcat, ` +
        "whose rusage maxRSS would be wrong: Linux carries the spawning process's high-water mark over exec). " +
        `For 8 files, kcat runs as 8 processes in parallel (one \`kcat -P -l FILE\` each, \`kcat -l\` takes one file): CPU and peak RSS are their sums. ` +
        `The ratio columns are logagent / the row's tool: above 1× lines/s, below 1× CPU and RSS favour logagent. Broker CPU is the Kafka JVM's CPU during the run.`,
      "",
      throughputTable(tp),
      "",
      "![lines/s](throughput.svg)",
      "",
      "How each tool was run:",
      "",
      "- logagent: the compiled binary copied alone into a temporary folder, `logagent -c conf.ini` with `[kafka] address`, `acks`; `[agent] from = beginning`, `state_dir`; one `[collect.fN]` section (path, topic) per file; everything else default.",
      "- kcat: `kcat -P -q -b BROKER -t TOPIC -X acks=1|all -l FILE` (`acks` is librdkafka's alias of `request.required.acks`; `kcat -X dump` shows it applied). Everything else librdkafka's defaults (linger 5 ms, batch.num.messages 10000, no compression).",
      "- rsyslog: a separate `rsyslogd -n -f CONF -i PIDFILE` with its own `global(workDirectory=...)` (fresh each run, so no imfile state), `imfile` (default inotify mode, `freshStartTail=\"off\"`) for each file, one `omkafka` action with `template` `%msg%`, `topicConfParam=[\"acks=1|all\"]` and `action.resumeRetryCount=\"-1\"`. " +
        "`acks` must go in **topicConfParam**: omkafka builds each topic from a fresh librdkafka topic configuration, so `confParam=[\"acks=1\"]` is accepted but silently ignored (librdkafka's default, acks=all, applies; seen with `debug=conf`). " +
        "With this configuration omkafka **drops** a line when librdkafka's local queue (100,000 messages) is full: rsyslogd logs `Failed to produce ... Local: Queue full` and goes on; " +
        "`action.resumeRetryCount` does not cover it, `resubmitOnFailure=\"on\"` would. The read-back check catches it (seen in about every second full run: 1 to 4 lines of 2,000,000, in one of the 100-byte cases).",
    );
  }
  if (lat.length) {
    parts.push(
      "",
      "## Latency",
      "",
      `${fmtInt(s.latencyRate)} lines/s for ${s.latencySeconds} s appended to one file (100-byte lines, each with its write time in ms, written in small bursts every ~2 ms), ` +
        "read back by a kafkajs consumer; latency = arrival at the consumer − write time. Each tool with its default settings, started before writing, the file empty. " +
        "The broker column uses the topic's LogAppendTime (broker clock = same machine) instead of the consumer's arrival time. " +
        "kcat cannot follow a growing file (`kcat -l` stops at its end), so it reads `tail -n +1 -F FILE` on stdin; its CPU and RSS include tail.",
      "",
      latencyTable(lat),
    );
  }
  if (idle.length) {
    parts.push(
      "",
      "## Idle",
      "",
      `logagent watching ${fmtInt(s.idleFiles)} files (one old line each, nothing written), in two cases: one \`[collect.fN]\` section per file, ` +
        "and one `[collect.f0]` section whose `path` is the glob `DIR/*.log` matching the same files (each matched file followed with its own idle backoff, " +
        `the glob expanded again every rescan_interval_ms). INI: \`[kafka] address\`, \`[agent] state_dir\`, the collect sections (path, topic); everything else default ` +
        `(${agentDefaults(IDLE_DEFAULT_KEYS)}; so during the window every file stays open). ` +
        `Measured over ${s.idleSeconds} s after every file was open and ${s.idleSettleSeconds} s more. CPU share = (utime + stime) / window, target < 1% of a core; RSS sampled every second.`,
      "",
      idleTable(idle),
    );
  }
  parts.push("");
  return parts.join("\n");
}

// ============================================================================ main

let servicesDir = "";
let runDir = "";
let failed = false;
/** Set when a run was incomplete: its logs are worth keeping. */
let keepLogs = false;
let cleanedUp = false;

async function cleanup(): Promise<void> {
  if (cleanedUp) return;
  cleanedUp = true;
  await Promise.all([...Proc.live].map((p) => p.stop(5_000)));
  await admin?.disconnect().catch(() => {});
  const keep = failed || keepLogs || SETTINGS.keep;
  if (servicesDir) stopServices(servicesDir, keep);
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

async function main(): Promise<void> {
  const startedAt = performance.now();
  ensurePackages();
  ensureBinary();
  runDir = mkdtempSync(path.join(os.tmpdir(), "logagent-bench-"));
  const binDir = path.join(runDir, "bin");
  mkdirSync(binDir);
  AGENT_COPY = path.join(binDir, "logagent");
  copyFileSync(AGENT_BINARY, AGENT_COPY);
  const versions = toolVersions();
  say(`logagent ${versions.logagent} (${versions.git}), kcat ${versions.kcat}, rsyslog ${versions.rsyslog}; run folder ${runDir}`);

  servicesDir = path.join(runDir, "services");
  const services = startServices(servicesDir);

  const tp: ThroughputResult[] = [];
  if (SETTINGS.only.has("throughput")) {
    say(`preparing files (${fmtInt(SETTINGS.shortLines)} × ${SETTINGS.shortSize} B and ${fmtInt(SETTINGS.longLines)} × 1 KiB, for 1 and 8 files)`);
    const datasets: Dataset[] = [];
    for (const files of [1, 8]) {
      for (const [lines, size] of [[SETTINGS.shortLines, SETTINGS.shortSize], [SETTINGS.longLines, SETTINGS.longSize]] as const) {
        if (SETTINGS.cases.has(`${files}x${size}`)) datasets.push(writeDataset(path.join(runDir, "data", `${files}x${size}`), files, lines, size));
      }
    }
    for (const ds of datasets) {
      for (const acks of ["1", "all"] as const) {
        // Tools take turns within a case, so that a slow drift of the machine does not favour one of them.
        for (const tool of SETTINGS.tools) tp.push(await throughputRun(tool, ds, acks, runDir, services.kafkaPid));
      }
    }
  }
  const lat: LatencyResult[] = [];
  if (SETTINGS.only.has("latency")) {
    say(`latency: ${fmtInt(SETTINGS.latencyRate)} lines/s for ${SETTINGS.latencySeconds} s per tool`);
    for (const tool of SETTINGS.tools) lat.push(await latencyRun(tool, runDir));
  }
  const idle: IdleResult[] = [];
  if (SETTINGS.only.has("idle")) {
    const files = writeIdleFiles(runDir);
    for (const mode of IDLE_CASES) {
      say(`idle: logagent watching ${SETTINGS.idleFiles} files through ${idleCaseLabel(mode, SETTINGS.idleFiles)} for ${SETTINGS.idleSeconds} s`);
      idle.push(await idleRun(runDir, files, mode));
    }
  }

  const md = report(services, tp, lat, idle, versions, startedAt);
  mkdirSync(SETTINGS.out, { recursive: true });
  writeFileSync(path.join(SETTINGS.out, "RESULTS.md"), md);
  if (tp.length) writeFileSync(path.join(SETTINGS.out, "throughput.svg"), throughputSvg(tp, `${machine(services).CPU}, ${os.cpus().length} cores${SETTINGS.quick ? ", --quick" : ""}`));
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
