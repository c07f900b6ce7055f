// `logagent service install | uninstall | start | stop | status`: runs the agent under the
// machine's own service manager (Windows SCM, systemd, launchd). The INI is checked before
// anything is installed, so a service is never set up to fail at boot.
import path from "node:path";
import { ConfigError } from "../config/config-error";
import { loadIni } from "../config/load-ini";
import { COMMIT } from "../version";
import { SERVICE_EXIT, ServiceError, type ServiceDefinition, type ServiceManager } from "./service-manager";

export const SERVICE_VERBS = ["install", "uninstall", "start", "stop", "status"] as const;
export type ServiceVerb = (typeof SERVICE_VERBS)[number];
export const MANAGERS = ["windows", "systemd", "launchd"] as const;
export type ManagerKind = (typeof MANAGERS)[number];

export const DEFAULT_SERVICE_NAME = "logagent";

export interface ServiceArgs {
  verb: ServiceVerb;
  name: string;
  displayName?: string;
  /** The INI, as given (made absolute by install). */
  config?: string;
  dryRun: boolean;
  /** Which manager to write for; another platform's only with --dry-run (to look at its files). */
  manager: ManagerKind;
}

export function platformManager(platform: NodeJS.Platform = process.platform): ManagerKind {
  return platform === "win32" ? "windows" : platform === "darwin" ? "launchd" : "systemd";
}

export const SERVICE_USAGE = [
  "  logagent service install -c <conf.ini> [--name NAME] [--display-name TEXT] [--dry-run]",
  "  logagent service uninstall | start | stop | status [--name NAME] [--dry-run]",
  "      Runs the agent as a Windows service, a systemd unit or a launchd daemon (needs administrator/root).",
  "      --name defaults to logagent; use another for a second instance. --dry-run prints what would be done.",
  "      Exit codes: 0 done (status: running), 1 failed, 2 usage or configuration error, 3 (status) not running,",
  "      4 not installed, 5 already installed, 6 needs administrator or root.",
];

/** Parses what follows `service`; a ServiceError with exit code 2 says what is wrong. */
export function parseServiceArgs(argv: string[]): ServiceArgs {
  const usage = (message: string) => new ServiceError(`${message}\nUsage:\n${SERVICE_USAGE.join("\n")}`, SERVICE_EXIT.usage);
  const [verb, ...rest] = argv;
  if (!verb || !(SERVICE_VERBS as readonly string[]).includes(verb)) throw usage(`service needs one of ${SERVICE_VERBS.join(", ")}${verb ? `, not ${JSON.stringify(verb)}` : ""}`);
  const args: ServiceArgs = { verb: verb as ServiceVerb, name: DEFAULT_SERVICE_NAME, dryRun: false, manager: platformManager() };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const value = () => {
      const v = rest[++i];
      if (v === undefined || v === "") throw usage(`${a} needs a value`);
      return v;
    };
    if (a === "--dry-run") args.dryRun = true;
    else if (a === "--name") args.name = value();
    else if (a === "--display-name") args.displayName = value();
    else if (a === "-c" || a === "--config") args.config = value();
    else if (a === "--manager") {
      const m = value();
      if (!(MANAGERS as readonly string[]).includes(m)) throw usage(`--manager must be one of ${MANAGERS.join(", ")}, not ${JSON.stringify(m)}`);
      args.manager = m as ManagerKind;
    } else throw usage(`unknown argument ${JSON.stringify(a)}`);
  }
  // Service names end up in file names, unit names and registry keys.
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$/.test(args.name)) {
    throw usage(`--name ${JSON.stringify(args.name)}: use letters, digits, '.', '_' and '-' (at most 80, starting with a letter or digit)`);
  }
  if (args.verb === "install" && !args.config) throw usage("service install needs -c <conf.ini>");
  if (args.verb !== "install" && (args.config || args.displayName)) throw usage(`-c and --display-name only go with install`);
  if (args.manager !== platformManager() && !args.dryRun) throw usage(`--manager ${args.manager} is for looking at another platform's files: add --dry-run`);
  return args;
}

async function managerFor(kind: ManagerKind): Promise<ServiceManager> {
  switch (kind) {
    case "windows":
      return new (await import("./windows/windows-manager")).WindowsServiceManager();
    case "systemd":
      return new (await import("./systemd")).SystemdManager();
    case "launchd":
      return new (await import("./launchd")).LaunchdManager();
  }
}

/** The service definition for install: the INI is loaded (and must be valid) to learn its shutdown timeout. */
export function definitionFor(args: ServiceArgs, executable = process.execPath): ServiceDefinition {
  const configFile = path.resolve(args.config!);
  const config = loadIni(configFile); // a ConfigError goes up: nothing is installed
  return {
    name: args.name,
    displayName: args.displayName ?? (args.name === DEFAULT_SERVICE_NAME ? "logagent" : `logagent (${args.name})`),
    description: "Ships log files to Kafka, steered by etcd; every line at least once.",
    executable,
    configFile,
    shutdownTimeoutMs: config.agent.shutdownTimeoutMs,
    maxOpenFiles: config.agent.maxOpenFiles,
  };
}

export async function runServiceCommand(args: ServiceArgs, say: (line: string) => void = (l) => console.log(l)): Promise<number> {
  try {
    const manager = await managerFor(args.manager);
    switch (args.verb) {
      case "install":
        // From source, process.execPath is bun itself: the service would run `bun -c conf.ini`.
        if (COMMIT === undefined && !args.dryRun) throw new ServiceError("service install needs the release binary (logagent or logagent.exe); it was run from source", SERVICE_EXIT.usage);
        await manager.install(definitionFor(args), say, args.dryRun);
        return SERVICE_EXIT.ok;
      case "uninstall":
        await manager.uninstall(args.name, say, args.dryRun);
        return SERVICE_EXIT.ok;
      case "start":
        await manager.start(args.name, say, args.dryRun);
        return SERVICE_EXIT.ok;
      case "stop":
        await manager.stop(args.name, say, args.dryRun);
        return SERVICE_EXIT.ok;
      case "status": {
        const s = await manager.status(args.name);
        say(`${args.name}: ${s.state}`);
        for (const d of s.details) say(`  ${d}`);
        return s.state === "running" ? SERVICE_EXIT.ok : s.state === "not-installed" ? SERVICE_EXIT.notInstalled : SERVICE_EXIT.notRunning;
      }
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err; // main reports it like any configuration error (exit 2)
    if (err instanceof ServiceError) {
      process.stderr.write(`logagent: service ${args.verb}: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}
