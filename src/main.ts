// Command line: `logagent -c conf.ini`, `logagent check -c conf.ini`, `logagent fleet -c conf.ini`,
// `logagent collect ...`, `logagent service ...`, --help, --version. Exit codes: 0 after a requested
// stop, 2 configuration error, 1 any other fatal error; `check`, `fleet` and `collect` add 3 for etcd
// not answering and 4 for etcd refusing (src/discovery/etcd-problem.ts), `collect` 5 for a key changed
// since it was read (src/collect/collect-args.ts), `service` has its own.
import { existsSync } from "node:fs";
import path from "node:path";
import { check } from "./check";
import { COLLECT_USAGE, type CollectArgs, parseCollectArgs } from "./collect/collect-args";
import { ConfigError } from "./config/config-error";
import { fleet } from "./fleet";
import type { AgentConfig } from "./config/load-ini";
import { OPTIONS, SECTIONS, describeType } from "./config/options";
import { EXIT, startAgent } from "./lifecycle";
import { SERVICE_USAGE, type ServiceArgs, parseServiceArgs, runServiceCommand } from "./service/service-command";
import { ServiceError } from "./service/service-manager";
import { loggingFromConfig } from "./telemetry/log-destination";
import { configureLogging, loggingToConsole, rootLogger } from "./telemetry/logger";
import { VERSION, versionLine } from "./version";

function usage(): string {
  const lines = [
    `logagent ${VERSION}: tails the files named in etcd (or the INI) and ships every line to Kafka.`,
    "",
    "Usage:",
    "  logagent -c <conf.ini>          run the agent (in a console, or as the service the service manager started)",
    "  logagent check -c <conf.ini>    validate the INI and the collect list, print what would be collected",
    "  logagent fleet -c <conf.ini> [--json]",
    "                                  list every agent whose status is in etcd (under [etcd] status_key's prefix):",
    "                                  host, version, uptime, entries, files, lag, errors, last seen; --json for scripts",
    ...SERVICE_USAGE,
    ...COLLECT_USAGE,
    "  logagent --help | -h | /? | --version",
    "",
    "Exit codes: 0 after a requested stop (Ctrl+C, SIGTERM, a service stop), 2 configuration error, 1 other fatal error.",
    "  check: 0 valid, 2 configuration error (each on stderr with file, line, section and key),",
    "         3 etcd did not answer (the INI is valid; the collect list was not checked),",
    "         4 etcd refused the agent: TLS, user name or password, or the permission to read the key.",
    "  fleet: 0 listed (also when no agent is), 2 configuration error, 3 etcd did not answer,",
    "         4 etcd refused: TLS, user name or password, or the permission to read the status keys.",
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

type Args =
  | { command: "help" | "version" }
  | { command: "run" | "check"; config: string }
  | { command: "fleet"; config: string; json: boolean }
  | { command: "service"; service: ServiceArgs }
  | { command: "collect"; collect: CollectArgs };

const HELP_FLAGS = ["-h", "--help", "/?", "-?", "/h", "/help"];

function parseArgs(argv: string[]): Args {
  if (argv.some((a) => HELP_FLAGS.includes(a.toLowerCase()))) return { command: "help" };
  if (argv.includes("-V") || argv.includes("--version")) return { command: "version" };
  if (argv[0] === "service") {
    return { command: "service", service: parseServiceArgs(argv.slice(1)) };
  }
  if (argv[0] === "collect") return { command: "collect", collect: parseCollectArgs(argv.slice(1)) };
  let command: "run" | "check" | "fleet" = "run";
  let config: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if ((a === "check" || a === "fleet") && i === 0) command = a;
    else if (a === "--json" && command === "fleet") json = true;
    else if (a === "-c" || a === "--config") {
      const v = argv[++i];
      if (!v) throw new ConfigError([{ file: "(command line)", message: `${a} needs a file name` }]);
      config = v;
    } else if (a.startsWith("--config=")) config = a.slice("--config=".length);
    else throw new ConfigError([{ file: "(command line)", message: `unknown argument ${JSON.stringify(a)}; see --help` }]);
  }
  if (!config) throw new ConfigError([{ file: "(command line)", message: "no configuration given; use -c <conf.ini> (see --help)" }]);
  return command === "fleet" ? { command, config, json } : { command, config };
}

/** Logging for a console run: stderr, or the INI's log_file. */
function consoleLogging(config: AgentConfig): void {
  configureLogging(loggingFromConfig(config.agent));
}

/** Console close, logoff and shutdown leave Windows' few seconds, not shutdown_timeout_ms. */
const CONSOLE_EVENT_BUDGET_MS = 3000;

/**
 * Runs the agent until a stop is asked for: SIGINT, SIGTERM and SIGHUP everywhere (a closed
 * terminal must not kill it mid-flight), SIGBREAK and the console's close, logoff and shutdown
 * events on Windows. A second request exits at once, which is still safe: positions only count
 * acknowledged lines.
 */
async function runInConsole(configPath: string): Promise<number> {
  const windowsConsole = process.platform === "win32" ? await import("./service/windows/console-control") : null;
  let stopRequest: ((why: { reason: string; budgetMs?: number }) => void) | null = null;
  const requested = new Promise<{ reason: string; budgetMs?: number }>((resolve) => (stopRequest = resolve));
  let stopping = false;
  const request = (reason: string, budgetMs?: number) => {
    if (stopping) {
      rootLogger.warn("Second stop request; exiting at once.", { signal: reason });
      process.exit(EXIT.ok);
    }
    stopping = true;
    stopRequest!({ reason, budgetMs });
  };
  const signals = ["SIGINT", "SIGTERM", "SIGHUP", ...(process.platform === "win32" ? ["SIGBREAK"] : [])];
  for (const s of signals) process.on(s, () => request(s));
  const control = windowsConsole?.watchConsoleEvents((event) => request(`console ${event}`, CONSOLE_EVENT_BUDGET_MS));

  // exactly_once waits for Kafka before it reads anything; a stop meanwhile ends the run (nothing was sent).
  const started = await Promise.race([startAgent(configPath, consoleLogging), requested.then(() => null)]);
  if (started === null) {
    rootLogger.info("Stop requested before the agent started; nothing was read.", {});
    control?.done();
    return EXIT.ok;
  }
  const { agent, config } = started;
  const why = await Promise.race([requested, agent.fatal]).catch((err: Error) => err);
  if (why instanceof Error) {
    // Said by the part that failed; what was not delivered is not counted as sent, so stop at once.
    await agent.stop(0).catch(() => {});
    control?.done();
    return EXIT.fatal;
  }
  rootLogger.info("Stop requested; shutting down.", { signal: why.reason });
  try {
    await agent.stop(Math.min(why.budgetMs ?? Infinity, config.agent.shutdownTimeoutMs));
    return EXIT.ok;
  } catch (err) {
    rootLogger.error("Shutdown failed.", { error: err }, "FatalError");
    return EXIT.fatal;
  } finally {
    control?.done();
  }
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  switch (args.command) {
    case "help":
      console.log(usage());
      return 0;
    case "version":
      console.log(versionLine());
      return 0;
    case "service":
      return runServiceCommand(args.service);
    case "check":
      return check(resolveConfigPath(args.config));
    case "collect":
      return (await import("./collect/collect-command")).runCollect(args.collect, resolveConfigPath(args.collect.config));
    case "fleet":
      return fleet(resolveConfigPath(args.config), args.json);
    case "run": {
      const configPath = resolveConfigPath(args.config);
      if (process.platform === "win32") {
        const host = await import("./service/windows/service-host");
        if (host.startedByServiceManager()) return host.runAsWindowsService(configPath);
      }
      return runInConsole(configPath);
    }
  }
}

// Runtime warnings go to the agent's log, not only to stderr (a service's stderr goes nowhere).
process.removeAllListeners("warning");
process.on("warning", (w) => rootLogger.warn("Runtime warning.", { name: w.name, warning: w.message }));

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof ConfigError) {
      // Also into the log file when one is configured: a service's stderr goes nowhere.
      for (const p of err.message.split("\n")) process.stderr.write(`logagent: configuration error: ${p}\n`);
      if (!loggingToConsole()) rootLogger.error("Cannot start: the configuration is invalid.", { problems: err.message }, "FatalError");
      process.exit(EXIT.config);
    }
    if (err instanceof ServiceError) {
      process.stderr.write(`logagent: ${err.message}\n`);
      process.exit(err.exitCode);
    }
    rootLogger.error("Fatal error.", { error: err, stack: (err as Error)?.stack }, "FatalError");
    process.exit(EXIT.fatal);
  },
);
