// The machine the figures come from, and how busy it was with other work while the benchmark ran:
// the load average, sampled, and the CPU time that processes other than the benchmark's used
// (the machine's busy time from /proc/stat minus the benchmark's own tree and its services).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import { fmt } from "./format";
import { cpuTicks } from "./proc";
import { CLK_TCK } from "./settings";
import { tryRun } from "./shell";

export function describeMachine(): Record<string, string> {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const meminfo = readFileSync("/proc/meminfo", "utf8");
  const osRelease = readFileSync("/etc/os-release", "utf8");
  return {
    CPU: /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? "?",
    cores: `${os.cpus().length} (nproc ${tryRun(["nproc"])})`,
    RAM: `${fmt(Number(/MemTotal:\s+(\d+)/.exec(meminfo)?.[1] ?? 0) / 2 ** 20)} GiB`,
    OS: /PRETTY_NAME="([^"]+)"/.exec(osRelease)?.[1] ?? "?",
    kernel: os.release(),
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  };
}

export const javaVersion = () => /version "([^"]+)"/.exec(spawnSync("java", ["-version"], { encoding: "utf8" }).stderr ?? "")?.[1] ?? "?";

/** Busy clock ticks of the whole machine, all cores (everything but idle and iowait). */
function machineBusyTicks(): number {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return user! + nice! + system! + irq! + softirq! + (steal ?? 0);
}

/** This process's CPU ticks, with those of the children it has reaped (every tool, once stopped). */
function ownTicks(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // f[0] is field 3
  return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]); // utime, stime, cutime, cstime
}

const loadAvg1 = () => Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);

/** Watches the machine from now on; `summary()` tells how busy it was meanwhile. */
export class LoadWatch {
  private readonly samples: number[] = [loadAvg1()];
  private readonly timer = setInterval(() => this.samples.push(loadAvg1()), 10_000);
  private readonly t0 = performance.now();
  private readonly busy0 = machineBusyTicks();
  private readonly own0 = ownTicks();
  private services0 = 0;
  private servicePids: number[] = [];

  constructor() {
    this.timer.unref();
  }

  /** The services (etcd, Kafka) run detached from this process: count their CPU as the benchmark's too. */
  addServices(pids: number[]): void {
    this.servicePids = pids;
    this.services0 = pids.reduce((s, p) => s + (cpuTicks(p) ?? 0), 0);
  }

  /** Call once every tool has been stopped: a tool still running has not been reaped, and its CPU would count as others'. */
  summary(): { loadAvg: string; others: string; othersShare: number } {
    this.samples.push(loadAvg1());
    const seconds = (performance.now() - this.t0) / 1000;
    const services = this.servicePids.reduce((s, p) => s + (cpuTicks(p) ?? 0), 0) - this.services0;
    const othersTicks = machineBusyTicks() - this.busy0 - (ownTicks() - this.own0) - services;
    const othersSeconds = Math.max(0, othersTicks / CLK_TCK);
    const share = othersSeconds / seconds / os.cpus().length;
    const sorted = [...this.samples].sort((a, b) => a - b);
    return {
      loadAvg: `1-minute load average ${fmt(sorted[0]!, 2)} to ${fmt(sorted[sorted.length - 1]!, 2)}, median ${fmt(sorted[Math.floor(sorted.length / 2)]!, 2)} (sampled every 10 s)`,
      others: `${fmt(othersSeconds, 0)} CPU s in ${fmt(seconds, 0)} s, ${fmt(share * 100, 0)}% of the machine's ${os.cpus().length} cores`,
      othersShare: share,
    };
  }
}
