// What the benchmark needs before it measures: the Debian packages of the tools under test, the agent's
// release binary, and its own etcd + Kafka (scripts/services.sh, on the benchmark's ports, in a fresh
// folder), stopped again at the end whatever happened.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { AGENT_BINARY, BROKER, BUN, ETCD, PORTS, ROOT, SETTINGS } from "./settings";
import { run, say, sleep, tryRun } from "./shell";

/** A Debian package and how to tell that it is there. */
export interface Package {
  deb: string;
  present: () => boolean;
}

export const commandExists = (cmd: string) => tryRun(["sh", "-c", `command -v ${cmd}`]) !== "";
export const debInstalled = (deb: string) => tryRun(["dpkg-query", "-W", "-f=${Status}", deb]).includes("ok installed");

/** Installs with apt-get the packages that are missing (each once, however many parts need it). */
export function ensurePackages(packages: Package[]): void {
  const missing = [...new Map(packages.map((p) => [p.deb, p])).values()].filter((p) => !p.present()).map((p) => p.deb);
  if (missing.length === 0) return;
  say(`installing ${missing.join(", ")} with apt-get`);
  const sudo = process.getuid?.() === 0 ? [] : ["sudo", "-n"];
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  run([...sudo, "apt-get", "update", "-q"], { env, timeoutMs: 300_000 });
  run([...sudo, "apt-get", "install", "-y", "-q", ...missing], { env, timeoutMs: 600_000 });
}

export function ensureBinary(): void {
  if (existsSync(AGENT_BINARY) && !SETTINGS.build) return;
  say("building dist/logagent-linux-x64");
  run([BUN, path.join(ROOT, "scripts/build.ts"), "linux-x64"], { timeoutMs: 300_000 });
}

export interface Services {
  dir: string;
  kafkaPid: number;
  etcdPid: number;
  kafkaVersion: string;
}

/** Folders scripts/services.sh was started in: each is stopped at the end, whatever happened. */
const started: string[] = [];

function startIn(dir: string): Services {
  started.push(dir);
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
    etcdPid: Number(readFileSync(path.join(dir, "etcd.pid"), "utf8").trim()),
    kafkaVersion: /-([\d.]+)\.jar$/.exec(jar)?.[1] ?? "?",
  };
}

/**
 * Starts etcd + Kafka in a fresh folder under `runDir`. Tries up to three times when a port is taken:
 * the benchmark's ports lie in Linux's ephemeral range (32768-60999), so any outgoing connection on
 * the machine can hold one for a while (a minute in TIME-WAIT); the next attempt gets a new folder.
 */
export async function startServices(runDir: string): Promise<Services> {
  for (let attempt = 1; ; attempt++) {
    const dir = path.join(runDir, attempt === 1 ? "services" : `services-${attempt}`);
    say(`starting etcd + Kafka in ${dir} (etcd on ${ETCD}, Kafka on ${BROKER})`);
    try {
      return startIn(dir);
    } catch (e) {
      if (attempt >= 3 || !/address already in use/i.test((e as Error).message)) throw e;
      say("a port was in use; trying again in 20 s");
      await sleep(20_000);
    }
  }
}

/** Stops every etcd + Kafka started, keeping their logs when asked. */
export function stopServices(keepLogs: boolean): void {
  for (const dir of started.splice(0)) {
    if (!existsSync(dir)) continue;
    say(`stopping etcd + Kafka (${path.basename(dir)})`);
    try {
      run(["bash", path.join(ROOT, "scripts/services.sh"), "stop", dir], { env: { ...PORTS, KEEP_LOGS: keepLogs ? "1" : "0" }, timeoutMs: 60_000 });
    } catch (e) {
      console.error(`bench: stopping the services failed: ${(e as Error).message}`);
    }
  }
}
