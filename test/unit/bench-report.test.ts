// The benchmark's pure parts: reading strace's summary, and judging a run's figures against the targets.
// (The benchmark itself prints figures; these check only the arithmetic that turns them into PASS/FAIL.)
import { describe, expect, test } from "bun:test";
import type { Dataset } from "../../bench/lib/data";
import { parseStraceSummary } from "../../bench/lib/strace";
import type { IdleResult, ThroughputResult } from "../../bench/measure/results";
import { targets } from "../../bench/report/targets";

describe("parseStraceSummary", () => {
  test("reads calls per syscall from `strace -c` output, with and without an errors column, leaving out the total", () => {
    const text = [
      "% time     seconds  usecs/call     calls    errors syscall",
      "------ ----------- ----------- --------- --------- ----------------",
      " 41.43    0.000382          95         4         2 wait4",
      " 13.12    0.000121           1        65        20 newfstatat",
      "  0.00    0.000000           0        13           read",
      "  0.00    0.000000           0       847           epoll_pwait2",
      "------ ----------- ----------- --------- --------- ----------------",
      "100.00    0.000922           2       929        22 total",
      "",
    ].join("\n");
    expect([...parseStraceSummary(text)]).toEqual([
      ["wait4", 4],
      ["newfstatat", 65],
      ["read", 13],
      ["epoll_pwait2", 847],
    ]);
  });

  test("strace's own messages are not counted", () => {
    expect(parseStraceSummary("strace: Process 13168 attached\nstrace: Process 13168 detached\n").size).toBe(0);
  });
});

describe("targets", () => {
  const dataset = (files: number, lineSize: number): Dataset => ({ label: `${files}x${lineSize}`, files: Array(files).fill("f"), linesPerFile: 1000 / files, lineSize, lines: 1000, bytes: 1000 * lineSize });
  const d1 = dataset(1, 100);
  const d8 = dataset(8, 1024);
  const run = (tool: string, ds: Dataset, acks: "1" | "all", seconds: number, complete = true, peakMiB = 50, cpuSeconds = 0.0005): ThroughputResult => ({
    dataset: ds,
    acks,
    tool,
    arrived: complete ? 1000 : 900,
    complete,
    seconds,
    usage: { cpuSeconds, peakRss: peakMiB * 2 ** 20 },
    brokerCpu: 0,
    check: null,
    note: "",
  });
  const find = (t: ReturnType<typeof targets>, what: string) => t.find((x) => x.what.startsWith(what));

  test("the headline case needs at least kcat's rate; the others 0.8 of it; rsyslog must be beaten in every case", () => {
    const tp = [
      run("logagent", d1, "1", 1.0), // 1000 lines/s
      run("kcat", d1, "1", 1.0), // equal: 1.0x passes
      run("rsyslog", d1, "1", 1.1),
      run("logagent", d8, "all", 1.0),
      run("kcat", d8, "all", 0.8), // 0.8x passes
      run("rsyslog", d8, "all", 1.0), // equal: not ahead
    ];
    const t = targets("logagent", tp, [], []);
    expect(find(t, "lines/s ≥ 1.0× kcat")).toMatchObject({ figure: "1.00×", pass: true });
    expect(find(t, "lines/s ≥ 0.8× kcat")!.pass).toBe(true);
    expect(find(t, "lines/s ahead of rsyslog")).toMatchObject({ figure: "lowest 1.00× (8x1024, acks=all)", pass: false });
    expect(find(t, "CPU per line")).toMatchObject({ figure: "0.50 to 0.50 µs", pass: true });
  });

  test("an incomplete run of the agent fails its comparison however fast it was, and the delivery target", () => {
    const tp = [run("logagent", d1, "1", 0.1, false), run("kcat", d1, "1", 1.0)];
    const t = targets("logagent", tp, [], []);
    expect(find(t, "lines/s ≥ 1.0× kcat")!.pass).toBe(false);
    expect(find(t, "every line delivered")).toMatchObject({ figure: "1 incomplete", pass: false });
  });

  test("peak memory is judged on the agent's rows only", () => {
    const tp = [run("logagent", d1, "1", 1, true, 99), run("kcat", d1, "1", 1, true, 400)];
    expect(find(targets("logagent", tp, [], []), "peak RSS")!.pass).toBe(true);
    expect(find(targets("logagent", [run("logagent", d1, "1", 1, true, 100)], [], []), "peak RSS")!.pass).toBe(false);
  });

  test("each idle state is judged on its own: under 1% of a core and under 60 MB", () => {
    const idle = (state: "connected" | "shipped", cpuShare: number, rssMax: number): IdleResult => ({
      case: "glob", state, files: 1000, openFds: 1008, etcdConnected: true, kafkaConnections: 1, inTopic: 0, expectedInTopic: 0, shippedAfter: NaN,
      seconds: 60, cpuShare, wakeups: 10, rssEnd: rssMax, rssMax, hwm: rssMax, syscalls: "not traced",
    });
    const t = targets("logagent", [], [], [idle("connected", 0.009, 59e6), idle("shipped", 0.05, 61e6)]);
    expect(t.map((x) => x.pass)).toEqual([true, true, false, false]);
    expect(t[2]!.what).toBe("idle < 1% of a core, one glob entry over 1,000 files, after one line was shipped");
  });
});
