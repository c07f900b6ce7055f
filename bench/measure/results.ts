// What each measurement yields, and the names and derived figures the report and the progress lines
// share. Kept apart from the measurements, which start processes and talk to Kafka, so that the report
// (and its unit test) depends on the figures only.
import type { Check, Dataset } from "../lib/data";
import { fmtInt } from "../lib/format";
import type { Usage } from "../lib/proc";
import type { Acks } from "../lib/settings";

export interface ThroughputResult {
  dataset: Dataset;
  acks: Acks;
  tool: string;
  arrived: number;
  complete: boolean;
  seconds: number;
  usage: Usage;
  brokerCpu: number;
  check: Check | null;
  note: string;
}

export const caseLabel = (r: ThroughputResult) => `${r.dataset.label}, acks=${r.acks}`;
export const linesPerSecond = (r: ThroughputResult) => r.arrived / r.seconds;

export interface LatencyResult {
  tool: string;
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

export type IdleCase = "entries" | "glob";
export type IdleState = "connected" | "shipped";
export const idleCaseLabel = (c: IdleCase, n: number) => (c === "entries" ? `${fmtInt(n)} entries, one file each` : `one glob entry over ${fmtInt(n)} files`);
export const idleStateLabel = (s: IdleState) => (s === "connected" ? "etcd connected, nothing sent yet" : "after one line was shipped");

export interface IdleResult {
  case: IdleCase;
  state: IdleState;
  files: number;
  openFds: number;
  /** An established TCP connection to the benchmark's etcd at the end of the window. */
  etcdConnected: boolean;
  kafkaConnections: number;
  /** Lines in the topic at the end of the window: 0 expected before the send, 1 after. */
  inTopic: number;
  expectedInTopic: number;
  /** After the send: seconds from writing the line to seeing it in Kafka (polled every 100 ms); NaN before. */
  shippedAfter: number;
  seconds: number;
  cpuShare: number;
  /** Voluntary context switches of all the agent's threads per second over the window. */
  wakeups: number;
  rssEnd: number;
  rssMax: number;
  hwm: number;
  /** Calls per second by system call over the strace window, or why there are none. */
  syscalls: { seconds: number; perSecond: Map<string, number> } | string;
}

const EPOLL = /^epoll_(p?wait2?)$/;
/** epoll waits per second in a strace window (each is one return of the event loop or a helper thread's poll). */
export const epollRate = (r: IdleResult) => (typeof r.syscalls === "string" ? NaN : [...r.syscalls.perSecond].filter(([n]) => EPOLL.test(n)).reduce((s, [, v]) => s + v, 0));
export const syscallRate = (r: IdleResult) => (typeof r.syscalls === "string" ? NaN : [...r.syscalls.perSecond.values()].reduce((s, v) => s + v, 0));
