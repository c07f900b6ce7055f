// Command line: `logagent -c conf.ini`, `logagent check -c conf.ini`, --help, --version.
// Exit codes: 0 after a requested stop, 2 configuration error, 1 any other fatal error;
// `check` adds 3 for etcd not answering (src/check.ts).
import { existsSync } from "node:fs";
import path from "node:path";
import { Agent } from "./agent";
import { check } from "./check";
import { ConfigError } from "./config/config-error";
import { detectHost } from "./config/host";
import { loadIni } from "./config/load-ini";
import { OPTIONS, SECTIONS, describeType } from "./config/options";
import { rootLogger, setLogLevel } from "./telemetry/logger";
import { VERSION } from "./version";

const EXIT_CONFIG = 2;
const EXIT_FATAL = 1;

function usage(): string {
  const lines = [
    `logagent ${VERSION}: tails the files named in etcd (or the INI) and ships every line to Kafka.`,
    "",
    "Usage:",
    "  logagent -c <conf.ini>          run the agent",
    "  logagent check -c <conf.ini>    validate the INI and the collect list, print what would be collected",
    "  logagent --help | --version",
    "",
    "Exit codes: 0 after a requested stop (SIGINT/SIGTERM), 2 configuration error, 1 other fatal error.",
    "  check: 0 valid, 2 configuration error (each on stderr with file, line, section and key),",
    "         3 etcd did not answer (the INI is valid; the collect list was not checked).",
    "",
    "INI options:",
  ];
  for (const [section, about] of Object.entries(SECTIONS)) {
    lines.push(`  [${section}]  ${about}`);
    for (const o of OPTIONS.filter((o) => o.section === section)) {
      const def = o.default === undefined ? "required" : `default ${JSON.stringify(o.default)}`;
      lines.push(`    ${o.key} (${describeType(o.type)}; ${def})`, `        ${o.description.replaceAll("`", "")}`);
    }
  }
  lines.push("  [collect.NAME]  One file to collect when there is no [etcd]: path = /abs/file.log, topic = name, from = end|beginning");
  return lines.join("\n");
}

/** A relative -c path is tried against the working directory, then the executable's folder (a Windows service starts in System32). */
function resolveConfigPath(given: string): string {
  if (path.isAbsolute(given)) return given;
  const fromCwd = path.resolve(given);
  if (existsSync(fromCwd)) return fromCwd;
  const fromExe = path.resolve(path.dirname(process.execPath), given);
  return existsSync(fromExe) ? fromExe : fromCwd;
}

interface Args {
  command: "run" | "check" | "help" | "version";
  config?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { command: "run" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-h" || a === "--help") return { command: "help" };
    if (a === "-V" || a === "--version") return { command: "version" };
    if (a === "check" && i === 0) args.command = "check";
    else if (a === "-c" || a === "--config") {
      const v = argv[++i];
      if (!v) throw new ConfigError([{ file: "(command line)", message: `${a} needs a file name` }]);
      args.config = v;
    } else if (a.startsWith("--config=")) args.config = a.slice("--config=".length);
    else throw new ConfigError([{ file: "(command line)", message: `unknown argument ${JSON.stringify(a)}; see --help` }]);
  }
  if (!args.config) throw new ConfigError([{ file: "(command line)", message: "no configuration given; use -c <conf.ini> (see --help)" }]);
  return args;
}

async function run(configPath: string): Promise<number> {
  const config = loadIni(configPath);
  setLogLevel(config.agent.logLevel);
  const agent = new Agent(config, detectHost(config.agent.ip), rootLogger);
  await agent.start();

  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: string) => {
      if (stopping) {
        // A second signal means "now". Nothing read-but-unacknowledged is counted as sent.
        rootLogger.warn("Second signal; exiting at once.", { signal });
        process.exit(0);
      }
      stopping = true;
      rootLogger.info("Received signal; shutting down.", { signal });
      agent.stop().then(
        () => resolve(0),
        (err) => {
          rootLogger.error("Shutdown failed.", { error: err });
          resolve(EXIT_FATAL);
        },
      );
    };
    const signals = ["SIGINT", "SIGTERM", ...(process.platform === "win32" ? ["SIGBREAK"] : [])];
    for (const s of signals) process.on(s, () => onSignal(s));
  });
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.command === "help") {
    console.log(usage());
    return 0;
  }
  if (args.command === "version") {
    console.log(`logagent ${VERSION}`);
    return 0;
  }
  const configPath = resolveConfigPath(args.config!);
  return args.command === "check" ? check(configPath) : run(configPath);
}

// kafkajs schedules `setTimeout(fn, throttledUntil - Date.now())` with throttledUntil = 0, which
// Bun reports as a TimeoutNegativeWarning on every response; the timer is clamped and harmless.
process.removeAllListeners("warning");
process.on("warning", (w) => {
  if (w.name !== "TimeoutNegativeWarning") rootLogger.warn("Runtime warning.", { name: w.name, warning: w.message });
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof ConfigError) {
      for (const p of err.message.split("\n")) process.stderr.write(`logagent: configuration error: ${p}\n`);
      process.exit(EXIT_CONFIG);
    }
    rootLogger.error("Fatal error.", { error: err, stack: (err as Error)?.stack });
    process.exit(EXIT_FATAL);
  },
);
