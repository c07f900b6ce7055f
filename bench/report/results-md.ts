// RESULTS.md: what was run, on what machine and how busy it was, the targets, and one section per
// measurement with the method written beside the table, so that the file stands alone.
import { fmt, fmtInt, memRatio, mib, pct, ratio } from "../lib/format";
import { CLK_TCK, SETTINGS, argv } from "../lib/settings";
import { agentDefaults } from "../tools/logagent";
import type { ToolUnderTest } from "../tools/tool";
import { caseLabel, epollRate, idleCaseLabel, idleStateLabel, linesPerSecond, syscallRate, type IdleResult, type LatencyResult, type ThroughputResult } from "../measure/results";
import { targetTable, targets } from "./targets";

/** The defaults that shape idle work, shown with the idle table. */
const IDLE_DEFAULT_KEYS = ["poll_interval_ms", "idle_poll_max_ms", "rescan_interval_ms", "close_inactive_s", "max_open_files"];

export interface RunFacts {
  /** The tools in the list's order; the first is the reference the others are compared with. */
  tools: ToolUnderTest[];
  machine: Record<string, string>;
  kafka: string;
  load: { loadAvg: string; others: string; othersShare: number };
  minutes: number;
}

function throughputTable(ref: string, results: ThroughputResult[]): string {
  const rows = [
    `| case | tool | arrived / lines | wall s | lines/s | MB/s | CPU s | CPU µs/line | peak RSS MiB | broker CPU s | ${ref} / tool: lines/s | CPU s | peak RSS |`,
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of results) {
    const la = results.find((x) => x.tool === ref && x.dataset === r.dataset && x.acks === r.acks);
    const lps = linesPerSecond(r);
    const peer = la && r.tool !== ref;
    rows.push(
      `| ${caseLabel(r)} | ${r.tool} | ${r.complete ? "" : "**incomplete** "}${fmtInt(r.arrived)} / ${fmtInt(r.dataset.lines)}${r.note ? ` (${r.note})` : ""} | ` +
        `${fmt(r.seconds, 2)} | ${fmtInt(lps)} | ${fmt((r.arrived * r.dataset.lineSize) / r.seconds / 1e6)} | ${fmt(r.usage.cpuSeconds, 2)} | ` +
        `${fmt((r.usage.cpuSeconds * 1e6) / Math.max(1, r.arrived), 2)} | ${mib(r.usage.peakRss)} | ${fmt(r.brokerCpu, 2)} | ` +
        (peer ? `${ratio(linesPerSecond(la), lps)} | ${ratio(la.usage.cpuSeconds, r.usage.cpuSeconds)} | ${memRatio(la.usage.peakRss, r.usage.peakRss)} |` : "| | |"),
    );
  }
  return rows.join("\n");
}

function latencyTable(ref: string, results: LatencyResult[]): string {
  const rows = [
    `| tool | how | received / written | p50 ms | p99 ms | p99.9 ms | max ms | broker append p50 / p99 / p99.9 ms | CPU % of a core | peak RSS MiB | ${ref} / tool: p50 | p99 | CPU |`,
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  const la = results.find((r) => r.tool === ref);
  for (const r of results) {
    const vs = la && r !== la ? `${ratio(la.p50, r.p50)} | ${ratio(la.p99, r.p99)} | ${ratio(la.cpuShare, r.cpuShare)} |` : "| | |";
    rows.push(
      `| ${r.tool} | ${r.how.replaceAll("|", "\\|")} | ${r.received < r.written ? "**incomplete** " : ""}${fmtInt(r.received)} / ${fmtInt(r.written)}${r.note ? ` (${r.note})` : ""} | ${fmt(r.p50, 0)} | ${fmt(r.p99, 0)} | ${fmt(r.p999, 0)} | ${fmt(r.max, 0)} | ` +
        `${fmt(r.brokerP50, 0)} / ${fmt(r.brokerP99, 0)} / ${fmt(r.brokerP999, 0)} | ${fmt(r.cpuShare * 100)} | ${fmt(r.peakRss / 2 ** 20)} | ${vs}`,
    );
  }
  return rows.join("\n");
}

/** The busiest system calls of a strace window, "name rate/s", or why strace gave none. */
function busiest(r: IdleResult, n = 4): string {
  if (typeof r.syscalls === "string") return r.syscalls;
  return [...r.syscalls.perSecond].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, rate]) => `${name} ${fmt(rate, 0)}`).join(", ");
}

function idleTable(results: IdleResult[]): string {
  return [
    "| case | state | fds open | etcd | Kafka connections | lines in Kafka (expected) | the line in Kafka after s | window s | CPU % of a core | wake-ups/s | epoll waits/s | syscalls/s | busiest syscalls, per s | RSS at end MiB | RSS max MiB | VmHWM MiB |",
    "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |",
    ...results.map(
      (r) =>
        `| ${idleCaseLabel(r.case, r.files)} | ${idleStateLabel(r.state)} | ${fmtInt(r.openFds)} | ${r.etcdConnected ? "connected" : "**not connected**"} | ${r.kafkaConnections} | ` +
        `${r.inTopic === r.expectedInTopic ? "" : "**"}${fmtInt(r.inTopic)} (${r.expectedInTopic})${r.inTopic === r.expectedInTopic ? "" : "**"} | ${fmt(r.shippedAfter, 1)} | ${fmt(r.seconds, 0)} | ${pct(r.cpuShare)} | ` +
        `${fmt(r.wakeups, 0)} | ${fmt(epollRate(r), 0)} | ${fmt(syscallRate(r), 0)} | ${busiest(r)} | ${fmt(r.rssEnd / 2 ** 20)} | ${fmt(r.rssMax / 2 ** 20)} | ${fmt(r.hwm / 2 ** 20)} |`,
    ),
  ].join("\n");
}

export function resultsMarkdown(run: RunFacts, tp: ThroughputResult[], lat: LatencyResult[], idle: IdleResult[]): string {
  const s = SETTINGS;
  const ref = run.tools[0]!.name;
  const ran = (t: ToolUnderTest) => tp.some((r) => r.tool === t.name) || lat.some((r) => r.tool === t.name) || (t.name === ref && idle.length > 0);
  const shared = run.load.othersShare >= 0.05;
  const parts = [
    `# logagent benchmark${s.quick ? " (--quick)" : ""}`,
    "",
    `Written by \`${["bun bench/run.ts", ...argv].join(" ")}\` on ${run.machine.date} in ${fmt(run.minutes)} minutes. One local Kafka broker, the same prepared files for every tool, one run.`,
    "",
    "## Machine and versions",
    "",
    "| | |",
    "| --- | --- |",
    ...Object.entries(run.machine).map(([k, v]) => `| ${k} | ${v} |`),
    `| load during the run | ${run.load.loadAvg} |`,
    `| other processes' CPU during the run | ${run.load.others} (the machine's busy time from /proc/stat less the benchmark, its tools and its etcd and Kafka) |`,
    `| Kafka | ${run.kafka} |`,
    ...run.tools.filter(ran).map((t) => `| ${t.name} | ${t.version()} |`),
    "",
    shared
      ? `**The machine was shared with other work during this run** (see the load above): absolute figures are noisier and lower than on a quiet machine; ratios within the run are steadier, since the tools take turns.`
      : "The machine had no other significant work during this run.",
    "",
    "## Targets",
    "",
    targetTable(targets(ref, tp, lat, idle)),
  ];
  if (tp.length) {
    parts.push(
      "",
      "## Throughput",
      "",
      `Lines per case: ${fmtInt(s.shortLines)} of ${s.shortSize} bytes, or ${fmtInt(s.longLines)} of 1 KiB (fewer, to keep the run short), spread evenly over the case's files ` +
        `(sizes include the newline; MB = 10^6 bytes of file data). Each run gets a fresh topic with 1 partition; before the first case, every tool ships that case's files once, untimed, so that no tool meets a broker whose JVM has not yet compiled its produce path for that tool's requests. Wall time runs from the tool's start until ` +
        `the topic's end offset (kafkajs admin \`fetchTopicOffsets\`, polled every ${s.pollMs} ms) equals the line count. ` +
        (s.verify ? "Afterwards every message is read back (kcat -C) and checked: each line once, byte for byte; otherwise the run counts as incomplete. " : "") +
        `CPU s = utime + stime (/proc/PID/stat, ${CLK_TCK} ticks/s; rusage for kcat, which exits); peak RSS = VmHWM (/proc/PID/status; read every 10 ms for kcat, ` +
        "whose rusage maxRSS would be wrong: Linux carries the spawning process's high-water mark over exec). " +
        `For 8 files, kcat runs as 8 processes in parallel (one \`kcat -P -l FILE\` each, \`kcat -l\` takes one file): CPU and peak RSS are their sums. ` +
        `The ratio columns are ${ref} / the row's tool: above 1× lines/s, below 1× CPU and RSS favour ${ref}. Broker CPU is the Kafka JVM's CPU during the run.`,
      "",
      throughputTable(ref, tp),
      "",
      "![lines/s](throughput.svg)",
      "",
      "How each tool was run:",
      "",
      ...run.tools.filter((t) => tp.some((r) => r.tool === t.name)).map((t) => `- ${t.howRun}`),
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
      latencyTable(ref, lat),
    );
  }
  if (idle.length) {
    parts.push(
      "",
      "## Idle",
      "",
      `${ref} watching ${fmtInt(s.idleFiles)} files (one old line each), with its collect list in etcd as a deployment has it: the INI gives \`[kafka] address\`, ` +
        "`[etcd] address` and `collect_log_key`, `[agent] state_dir`, `[http] address`, and the list at that key is either one entry per file or one entry whose `path` is the glob `DIR/*.log` " +
        `over the same files; everything else default (${agentDefaults(IDLE_DEFAULT_KEYS)}). Each case is measured in two states of one agent process: ` +
        `**${idleStateLabel("connected")}** (every file open, then ${s.idleSettleSeconds} s), and **${idleStateLabel("shipped")}** (one line appended to one file, ` +
        `measured from ${s.idleSettleSeconds} s after it reached Kafka; the time it took to get there, polled every 100 ms, is shown too: the file had been quiet since the agent started). "etcd" and "Kafka connections" are the agent's established TCP connections at the end of the window ` +
        "(/proc/PID/net/tcp against its sockets); the log confirms that the list it applied came from the etcd key. " +
        "As an operator runs it, the agent also serves `[http] address` (`/metrics` is fetched every 15 s during each window, as Prometheus scrapes) " +
        "and keeps its status in etcd under a lease (`[etcd] status_key`, written every `status_interval_s` and kept alive), so both are in these figures.",
      "",
      `Per state: CPU = (utime + stime) from /proc/PID/stat over a window of ${s.idleSeconds} s, as a share of one core (target < 1%); wake-ups/s = voluntary context switches ` +
        `of all its threads (/proc/PID/task/*/status) over the same window, i.e. how often a thread went to sleep and was woken; RSS = VmRSS read every second, ` +
        `at the end and the highest (target < 60 MB); VmHWM = the process's high-water mark since its start (reading the files at start included). ` +
        `Then, after the CPU window, \`strace -c -f -p PID\` counts the system calls of all threads for ${s.straceSeconds} s: epoll waits/s (epoll_wait, epoll_pwait, epoll_pwait2: ` +
        "each is one turn of an event loop), all syscalls/s, and the busiest ones. Tracing slows every system call, so it runs apart from the CPU window; its rates are those of a slightly slowed process.",
      "",
      idleTable(idle),
    );
  }
  parts.push("");
  return parts.join("\n");
}
