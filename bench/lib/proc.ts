// The processes the benchmark starts and what /proc says about them: CPU time, resident memory,
// open files, context switches, TCP connections. Read from /proc rather than from rusage because most
// of the tools run until they are stopped, and their figures are wanted while they run.
import { closeSync, openSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { CHILD_ENV, CLK_TCK } from "./settings";
import { sleep } from "./shell";

export interface Usage {
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
export function cpuTicks(pid: number): number | null {
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

/** Usage of several processes counted as one tool: CPU summed, peak memory summed (an upper bound when they ran in parallel). */
export function sumUsage(procs: Proc[]): Usage {
  const u = procs.map((p) => p.usage());
  return { cpuSeconds: u.reduce((s, x) => s + x.cpuSeconds, 0), peakRss: u.reduce((s, x) => s + x.peakRss, 0) };
}

/** One child process of the benchmark, with its output in a log file and its CPU and memory read from /proc. */
export class Proc {
  static readonly live = new Set<Proc>();
  private readonly child: ReturnType<typeof Bun.spawn>;
  private peakKb = 0;
  private readonly sampler: ReturnType<typeof setInterval>;
  readonly exited: Promise<number>;

  /** `sampleMs`: how often to read the memory high-water mark, which is gone once the process exits. */
  constructor(
    readonly name: string,
    cmd: string[],
    readonly opts: { cwd: string; log: string; sampleMs: number },
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

  /**
   * Voluntary context switches of every thread of the process (not its children): each is a thread
   * going to sleep, so over an idle window their rate is the rate of wake-ups. Threads that exit
   * during a window take their count with them, which can only make the figure lower.
   */
  voluntarySwitches(): number {
    let sum = 0;
    try {
      for (const task of readdirSync(`/proc/${this.pid}/task`)) {
        try {
          const m = /voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${this.pid}/task/${task}/status`, "utf8"));
          sum += m ? Number(m[1]) : 0;
        } catch {
          /* the thread exited meanwhile */
        }
      }
    } catch {
      /* the process exited */
    }
    return sum;
  }

  private fdTargets(pid: number): string[] {
    try {
      return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
        try {
          return [readlinkSync(`/proc/${pid}/fd/${fd}`)];
        } catch {
          return [];
        }
      });
    } catch {
      return [];
    }
  }

  /** Whether some process of the tree holds `file` open. */
  hasOpen(file: string): boolean {
    return processTree(this.pid).some((p) => this.fdTargets(p).includes(file));
  }

  openFileCount(): number {
    return this.fdTargets(this.pid).length;
  }

  /** The remote ports of the process's established TCP connections over loopback (IPv4 or IPv6). */
  tcpPeerPorts(): number[] {
    const sockets = new Set(this.fdTargets(this.pid).flatMap((t) => /^socket:\[(\d+)\]$/.exec(t)?.[1] ?? []));
    const ports: number[] = [];
    for (const table of ["tcp", "tcp6"]) {
      let text = "";
      try {
        text = readFileSync(`/proc/${this.pid}/net/${table}`, "utf8");
      } catch {
        continue;
      }
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...; st 01 = ESTABLISHED
      for (const row of text.split("\n").slice(1)) {
        const f = row.trim().split(/\s+/);
        if (f.length > 9 && f[3] === "01" && sockets.has(f[9]!)) ports.push(parseInt(f[2]!.split(":")[1]!, 16));
      }
    }
    return ports;
  }

  /** The last lines of the process's log, for a tool that stopped when it should not have. */
  logTail(lines = 15): string {
    try {
      return readFileSync(this.opts.log, "utf8").trimEnd().split("\n").slice(-lines).map((l) => `    ${l.slice(0, 400)}`).join("\n");
    } catch {
      return "    (no log)";
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
