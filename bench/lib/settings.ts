// The benchmark's settings, read once from the command line and the environment: sizes of each
// measurement (smaller with --quick), which parts and tools run, where results go, the services' ports.
// The command line is documented in the header of bench/run.ts, which --help prints.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dir, "../..");
export const BUN = path.join(ROOT, "node_modules/.bin/bun");
export const AGENT_BINARY = path.join(ROOT, "dist/logagent-linux-x64");

export type Acks = "1" | "all";
export type Part = "throughput" | "latency" | "idle";
const PARTS: Part[] = ["throughput", "latency", "idle"];

/** The command line when the benchmark runs (bench/run.ts is the entry point); the defaults when a unit test imports this. */
export const argv = Bun.main === path.join(ROOT, "bench/run.ts") ? process.argv.slice(2) : [];
const flag = (name: string) => argv.includes(`--${name}`);
const option = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
for (const a of argv) {
  if (!/^--(quick|build|no-verify|keep|help|(only|tools|cases|out)=.+)$/.test(a)) {
    console.error(`bench: unknown argument ${a}; see the header of bench/run.ts`);
    process.exit(2);
  }
}
if (flag("help")) {
  const lines = readFileSync(path.join(ROOT, "bench/run.ts"), "utf8").split("\n");
  console.log(lines.slice(0, lines.findIndex((l) => !l.startsWith("//"))).join("\n"));
  process.exit(0);
}

const QUICK = flag("quick");
export const SETTINGS = {
  quick: QUICK,
  build: flag("build"),
  /** Lines per throughput case (spread over the files of the case). */
  shortLines: QUICK ? 200_000 : 2_000_000,
  longLines: QUICK ? 50_000 : 500_000,
  shortSize: 100,
  longSize: 1024,
  latencyRate: 10_000,
  latencySeconds: QUICK ? 10 : 30,
  idleFiles: 1_000,
  /** After the files are open, or after the first line arrived, before a window starts. */
  idleSettleSeconds: 5,
  /** The CPU and memory window of each idle state. */
  idleSeconds: QUICK ? 15 : 60,
  /** The strace window of each idle state, after the CPU window (tracing slows the process, so never during it). */
  straceSeconds: QUICK ? 5 : 10,
  /** How often the topic's end offset is polled during a throughput run. */
  pollMs: 25,
  verify: !flag("no-verify"),
  only: new Set((option("only") ?? PARTS.join(",")).split(",")) as Set<Part>,
  /** Names from the tools list (bench/tools/index.ts); checked there. */
  tools: (option("tools") ?? "").split(",").filter(Boolean),
  /** Throughput cases as FILESxLINESIZE, e.g. 1x100,8x1024. */
  cases: new Set((option("cases") ?? "1x100,1x1024,8x100,8x1024").split(",")),
  keep: flag("keep"),
  out: path.resolve(option("out") ?? path.join(ROOT, QUICK ? "bench/results/quick" : "bench/results")),
};
for (const p of SETTINGS.only) {
  if (!PARTS.includes(p)) {
    console.error(`bench: --only: unknown part ${p} (known: ${PARTS.join(", ")})`);
    process.exit(2);
  }
}

export const PORTS = {
  ETCD_PORT: process.env.ETCD_PORT ?? "43790",
  ETCD_PEER_PORT: process.env.ETCD_PEER_PORT ?? "43800",
  KAFKA_PORT: process.env.KAFKA_PORT ?? "49092",
  KAFKA_CONTROLLER_PORT: process.env.KAFKA_CONTROLLER_PORT ?? "49093",
  KAFKA_SASL_PORT: process.env.KAFKA_SASL_PORT ?? "49094",
  KAFKA_SSL_PORT: process.env.KAFKA_SSL_PORT ?? "49095",
};
export const BROKER = `127.0.0.1:${PORTS.KAFKA_PORT}`;
export const ETCD = `127.0.0.1:${PORTS.ETCD_PORT}`;

export const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;
/** Children get only this environment, as from a service manager. */
export const CHILD_ENV = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", HOME: process.env.HOME ?? "/root", LANG: "C.UTF-8" };
