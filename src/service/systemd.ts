// `logagent service` on Linux: a systemd unit in /etc/systemd/system, enabled for boot. The unit
// text is a pure function of the service definition (unit-tested, and checked with
// `systemd-analyze verify` in the e2e tests); the manager only writes it and drives systemctl.
// Install enables and does not start, so that an admin starts it when ready, as with the other verbs.
import { existsSync } from "node:fs";
import path from "node:path";
import { SERVICE_EXIT, ServiceError, type Say, type ServiceDefinition, type ServiceManager, type ServiceState, type ServiceStatus } from "./service-manager";
import { Steps, isRootUser, nameOption, noControlChars, openFilesLimit, query, refuseIfInstalled, requireInstalled, requireRoot, shellLine, stopTimeoutSeconds } from "./unix-service";

/** The agent's exit code for a configuration error (src/main.ts): restarting will not fix it. */
const EXIT_CONFIG = 2;

/** `%` starts a specifier in every unit setting; `%%` is a literal one. */
const specifierSafe = (text: string) => text.replaceAll("%", "%%");

/**
 * ExecStart= for `executable args...`: a word is as it is when it needs no quotes, else double-quoted
 * with C escapes. `%` (specifiers) is expanded everywhere and `$` (environment variables) in the
 * arguments, even inside quotes, so they are doubled. systemd refuses quotes and backslashes in the
 * executable's path whatever the quoting, and does not expand `$` there (both checked with
 * `systemd-analyze verify`, systemd 252).
 */
export function systemdExecStart(executable: string, args: string[]): string {
  if (/["'\\]/.test(executable)) {
    throw new ServiceError(`systemd cannot run a program whose path holds quotes or backslashes (${JSON.stringify(executable)}); move logagent to a plain path such as /usr/local/bin/logagent`, SERVICE_EXIT.usage);
  }
  const word = (arg: string) => specifierSafe(/^[\w/.:,+=@-]+$/.test(arg) ? arg : `"${arg.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`);
  return [word(executable), ...args.map((a) => word(a).replaceAll("$", () => "$$"))].join(" ");
}

/** A file: URI that Documentation= accepts: everything but unreserved characters percent-encoded, then `%` doubled. */
function documentationUri(file: string): string {
  const encoded = file.split("/").map((part) => encodeURIComponent(part).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`));
  return specifierSafe(`file://${encoded.join("/")}`);
}

export const unitName = (name: string) => `${name}.service`;

/** The unit file for `def`. */
export function systemdUnit(def: ServiceDefinition): string {
  noControlChars("the executable", def.executable);
  noControlChars("the configuration file", def.configFile);
  noControlChars("the display name", def.displayName);
  const stopSeconds = stopTimeoutSeconds(def.shutdownTimeoutMs);
  const envFile = path.join(path.dirname(def.configFile), `${def.name}.env`);
  return [
    `# ${def.displayName} as a systemd service, written by \`logagent service install\`.`,
    `# Remove it with \`logagent service uninstall${nameOption(def.name)}\`; override settings with \`systemctl edit ${unitName(def.name)}\`.`,
    "[Unit]",
    `Description=${specifierSafe(`${def.displayName}: ${def.description}`)}`,
    // The INI, made from conf.ini.example, documents every option. Spaces are %20 in a URI.
    `Documentation=${documentationUri(def.configFile)}`,
    // Kafka and etcd are remote: wait for the network (the agent retries anyway).
    "After=network-online.target",
    "Wants=network-online.target",
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${systemdExecStart(def.executable, ["-c", def.configFile])}`,
    "# Optional NAME=value lines, e.g. secrets that the INI names as ${NAME}.",
    `EnvironmentFile=-${specifierSafe(envFile)}`,
    `# Exit code ${EXIT_CONFIG} is a configuration error: restarting would not fix it.`,
    "Restart=on-failure",
    "RestartSec=5s",
    `RestartPreventExitStatus=${EXIT_CONFIG}`,
    `# SIGTERM: the agent waits up to shutdown_timeout_ms (${def.shutdownTimeoutMs} ms) for Kafka, saves positions and exits 0.`,
    "KillSignal=SIGTERM",
    `TimeoutStopSec=${stopSeconds}s`,
    `# max_open_files (${def.maxOpenFiles ?? "default"}) plus sockets and state files.`,
    `LimitNOFILE=${openFilesLimit(def.maxOpenFiles)}`,
    `# Logs go to the journal: journalctl -u ${unitName(def.name)} (unless the INI sets log_file).`,
    "StandardOutput=journal",
    "StandardError=journal",
    `SyslogIdentifier=${def.name}`,
    "NoNewPrivileges=yes",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

const SHOW_PROPERTIES = ["LoadState", "ActiveState", "SubState", "MainPID", "ActiveEnterTimestamp", "ExecMainStatus", "ExecMainCode", "Result", "NRestarts", "UnitFileState", "FragmentPath"];

/** Reads `systemctl show -p ...` output (Key=Value lines) as a status. */
export function parseSystemdShow(name: string, output: string): ServiceStatus {
  const p = new Map<string, string>();
  for (const line of output.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) p.set(line.slice(0, eq), line.slice(eq + 1).trim());
  }
  if (p.get("LoadState") === "not-found") return { state: "not-installed", details: [`no unit ${unitName(name)}`] };
  const active = p.get("ActiveState") ?? "";
  const sub = p.get("SubState") ?? "";
  const state: ServiceState =
    active === "active" ? "running" : active === "activating" ? "starting" : active === "deactivating" ? "stopping" : active === "inactive" || active === "failed" ? "stopped" : "unknown";
  const details = [`systemd: ${active || "?"} (${sub || "?"})`];
  const pid = p.get("MainPID");
  if (pid && pid !== "0") details.push(`pid ${pid}`);
  if (state === "running" && p.get("ActiveEnterTimestamp")) details.push(`since ${p.get("ActiveEnterTimestamp")}`);
  if (sub === "auto-restart") details.push("waiting to restart after a failure");
  // ExecMainCode 1 is "exited" (a status code); 2 and 3 are "killed"/"dumped" (a signal number).
  const code = p.get("ExecMainCode");
  if (state !== "running" && code && code !== "0") {
    details.push(`last exit: ${code === "1" ? `status ${p.get("ExecMainStatus")}` : `signal ${p.get("ExecMainStatus")}`}${p.get("Result") && p.get("Result") !== "success" ? ` (${p.get("Result")})` : ""}`);
  }
  const restarts = Number(p.get("NRestarts") ?? 0);
  if (restarts > 0) details.push(`restarted ${restarts} time(s) after failures`);
  if (p.get("UnitFileState")) details.push(`at boot: ${p.get("UnitFileState")}`);
  if (p.get("FragmentPath")) details.push(`unit: ${p.get("FragmentPath")}`);
  details.push(`logs: journalctl -u ${unitName(name)}`);
  return { state, details };
}

export interface SystemdOptions {
  /** Where units are written; /etc/systemd/system. */
  unitDir?: string;
  isRoot?: () => boolean;
  /** The systemctl command; tests give one that fails. */
  systemctl?: string;
}

export class SystemdManager implements ServiceManager {
  readonly kind = "systemd" as const;
  private readonly unitDir: string;
  private readonly isRoot: () => boolean;
  private readonly systemctl: string;

  constructor(options: SystemdOptions = {}) {
    this.unitDir = options.unitDir ?? "/etc/systemd/system";
    this.isRoot = options.isRoot ?? isRootUser;
    this.systemctl = options.systemctl ?? "systemctl";
  }

  unitFile(name: string): string {
    return path.join(this.unitDir, unitName(name));
  }

  async install(def: ServiceDefinition, say: Say, dryRun: boolean): Promise<void> {
    const unit = systemdUnit(def);
    if (!dryRun) requireRoot(this.isRoot, "service install");
    const file = this.unitFile(def.name);
    refuseIfInstalled(def.name, file);
    const steps = new Steps(say, dryRun);
    steps.write(file, unit);
    steps.afterWriting(file, () => {
      steps.run([this.systemctl, "daemon-reload"]);
      steps.run([this.systemctl, "enable", unitName(def.name)]);
    });
    say(`${dryRun ? "Would be installed" : "Installed"}; it starts at boot. Start it now with: sudo ${shellLine([def.executable])} service start${nameOption(def.name)}`);
  }

  async uninstall(name: string, say: Say, dryRun: boolean): Promise<void> {
    const file = this.installedUnit(name, dryRun, "uninstall");
    const steps = new Steps(say, dryRun);
    steps.run([this.systemctl, "stop", unitName(name)]);
    steps.run([this.systemctl, "disable", unitName(name)]);
    steps.remove(file);
    steps.run([this.systemctl, "daemon-reload"]);
    // A unit that failed before stays listed as failed until this.
    steps.run([this.systemctl, "reset-failed", unitName(name)], [0, 1]);
    say(`${dryRun ? "Would be uninstalled" : "Uninstalled"}. Its journal stays: journalctl -u ${unitName(name)}`);
  }

  async start(name: string, say: Say, dryRun: boolean): Promise<void> {
    this.installedUnit(name, dryRun, "start");
    new Steps(say, dryRun).run([this.systemctl, "start", unitName(name)]);
    say(`Started. Check it with: logagent service status${nameOption(name)}; logs: journalctl -u ${unitName(name)} -f`);
  }

  async stop(name: string, say: Say, dryRun: boolean): Promise<void> {
    this.installedUnit(name, dryRun, "stop");
    // systemctl waits for the agent to exit (up to TimeoutStopSec), so when this returns, positions are saved.
    new Steps(say, dryRun).run([this.systemctl, "stop", unitName(name)]);
    say(dryRun ? "Would be stopped." : "Stopped.");
  }

  async status(name: string): Promise<ServiceStatus> {
    if (!existsSync(this.unitFile(name))) return { state: "not-installed", details: [`no ${this.unitFile(name)}`] };
    const r = query([this.systemctl, "show", unitName(name), ...SHOW_PROPERTIES.map((p) => `--property=${p}`)]);
    if (r.code !== 0) throw new ServiceError(`systemctl show ${unitName(name)} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
    return parseSystemdShow(name, r.stdout);
  }

  /** The unit file of an installed service, after the root check; a ServiceError when it is not there. */
  private installedUnit(name: string, dryRun: boolean, verb: string): string {
    if (!dryRun) requireRoot(this.isRoot, `service ${verb}`);
    const file = this.unitFile(name);
    requireInstalled(name, file);
    return file;
  }
}
