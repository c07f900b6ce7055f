// What `logagent service ...` asks of the machine's service manager: the Windows Service Control
// Manager, systemd or launchd. Each is one implementation of ServiceManager; the command
// (service-command.ts) validates the arguments and the configuration first, so an implementation
// only talks to its manager.

/** Everything a service manager needs to run the agent at boot. Paths are absolute. */
export interface ServiceDefinition {
  /** The service's name (Windows service name, systemd unit name without `.service`, launchd label suffix). */
  name: string;
  displayName: string;
  description: string;
  /** The logagent binary that is running this command (process.execPath). */
  executable: string;
  /** The INI file, made absolute. */
  configFile: string;
  /** `[agent] shutdown_timeout_ms` of that INI: a manager must wait longer than this before it kills the agent. */
  shutdownTimeoutMs: number;
  /** `[agent] max_open_files` of that INI, for the open-file limit a manager sets (systemd, launchd). */
  maxOpenFiles?: number;
}

export type ServiceState = "running" | "stopped" | "starting" | "stopping" | "not-installed" | "unknown";

export interface ServiceStatus {
  state: ServiceState;
  /** Lines for a person: pid, start type, exit code, where the logs are, ... */
  details: string[];
}

/** Where a manager writes what it does (stdout); a dry run writes what it would do, and does nothing. */
export type Say = (line: string) => void;

export interface ServiceManager {
  readonly kind: "windows" | "systemd" | "launchd";
  install(def: ServiceDefinition, say: Say, dryRun: boolean): Promise<void>;
  uninstall(name: string, say: Say, dryRun: boolean): Promise<void>;
  start(name: string, say: Say, dryRun: boolean): Promise<void>;
  stop(name: string, say: Say, dryRun: boolean): Promise<void>;
  status(name: string): Promise<ServiceStatus>;
}

/** `logagent service` exit codes, documented in --help and the README. */
export const SERVICE_EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  /** `status`: installed but not running. */
  notRunning: 3,
  notInstalled: 4,
  alreadyInstalled: 5,
  notAdministrator: 6,
} as const;

/** A service operation that failed; the message says what to do about it. */
export class ServiceError extends Error {
  override readonly name = "ServiceError" as const;
  constructor(
    message: string,
    readonly exitCode: number = SERVICE_EXIT.failed,
  ) {
    super(message);
  }
}
