// `logagent service` on macOS: a launchd daemon, /Library/LaunchDaemons/io.logagent.NAME.plist.
// The plist is a pure function of the service definition (unit-tested; checked with plutil or
// Python's plistlib in the e2e tests). Like the systemd unit, install puts it in place (launchd
// loads it at every boot) without starting it; start loads it (bootstrap) or kicks it, and stop
// unloads it (bootout), which sends SIGTERM and waits ExitTimeOut, so KeepAlive cannot bring the
// agent back until the next start or boot.
import { existsSync } from "node:fs";
import path from "node:path";
import type { Say, ServiceDefinition, ServiceManager, ServiceState, ServiceStatus } from "./service-manager";
import { Steps, isRootUser, nameOption, noControlChars, openFilesLimit, query, refuseIfInstalled, requireInstalled, requireRoot, shellLine, stopTimeoutSeconds } from "./unix-service";

export const launchdLabel = (name: string) => `io.logagent.${name}`;

const xmlText = (s: string) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

type PlistValue = string | number | boolean | PlistValue[] | { [key: string]: PlistValue };

/** A value as plist XML, indented by `depth` tabs (the layout plutil writes). */
function plistXml(value: PlistValue, depth: number): string {
  const pad = "\t".repeat(depth);
  if (typeof value === "string") return `${pad}<string>${xmlText(value)}</string>`;
  if (typeof value === "number") return `${pad}<integer>${value}</integer>`;
  if (typeof value === "boolean") return `${pad}<${value}/>`;
  if (Array.isArray(value)) return [`${pad}<array>`, ...value.map((v) => plistXml(v, depth + 1)), `${pad}</array>`].join("\n");
  const entries = Object.entries(value).flatMap(([k, v]) => [`${pad}\t<key>${xmlText(k)}</key>`, plistXml(v, depth + 1)]);
  return [`${pad}<dict>`, ...entries, `${pad}</dict>`].join("\n");
}

/** The daemon's plist for `def`; its agent logs (stderr) go to `logDir`/NAME.log. */
export function launchdPlist(def: ServiceDefinition, logDir = "/Library/Logs/logagent"): string {
  noControlChars("the executable", def.executable);
  noControlChars("the configuration file", def.configFile);
  const log = path.join(logDir, `${def.name}.log`);
  const files = openFilesLimit(def.maxOpenFiles);
  const plist: PlistValue = {
    Label: launchdLabel(def.name),
    ProgramArguments: [def.executable, "-c", def.configFile],
    // Relative paths in the INI are resolved against its folder anyway; this keeps anything else out of /.
    WorkingDirectory: path.dirname(def.configFile),
    RunAtLoad: true,
    // Restarted after a crash or an error exit, not after a requested stop (exit 0). launchd has no
    // way to exempt exit code 2 (configuration error); ThrottleInterval spaces the attempts.
    KeepAlive: { SuccessfulExit: false },
    ThrottleInterval: 10,
    // After SIGTERM the agent waits up to shutdown_timeout_ms for Kafka, then saves positions.
    ExitTimeOut: stopTimeoutSeconds(def.shutdownTimeoutMs),
    SoftResourceLimits: { NumberOfFiles: files },
    HardResourceLimits: { NumberOfFiles: files },
    StandardOutPath: log,
    StandardErrorPath: log,
  };
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">`,
    // An XML comment may not hold "--", so the uninstall command is not spelt out with its options.
    `<!-- Written by "logagent service install"; remove it with "logagent service uninstall" and the same name. -->`,
    `<plist version="1.0">`,
    plistXml(plist, 0),
    `</plist>`,
    "",
  ].join("\n");
}

/** Reads `launchctl print system/LABEL` output: only the service's own (one-tab) lines, not nested blocks. */
export function parseLaunchctlPrint(output: string): { state: ServiceState; details: string[] } {
  const p = new Map<string, string>();
  for (const m of output.matchAll(/^\t([a-z][a-z ]*?) = (.*)$/gm)) p.set(m[1]!, m[2]!.trim());
  const s = p.get("state");
  const state: ServiceState = s === "running" ? "running" : s === "not running" || s === "waiting" ? "stopped" : "unknown";
  const details = [`launchd: ${s ?? "?"}`];
  if (p.get("pid")) details.push(`pid ${p.get("pid")}`);
  if (p.get("runs")) details.push(`started ${p.get("runs")} time(s) since loaded`);
  const last = p.get("last exit code");
  if (last && last !== "(never exited)") details.push(`last exit: ${last}`);
  return { state, details };
}

export interface LaunchdOptions {
  /** Where daemon plists go; /Library/LaunchDaemons. */
  daemonDir?: string;
  /** Where the agent's stdout/stderr go; /Library/Logs/logagent. */
  logDir?: string;
  isRoot?: () => boolean;
  /** The launchctl command; tests give one that fails. */
  launchctl?: string;
}

export class LaunchdManager implements ServiceManager {
  readonly kind = "launchd" as const;
  private readonly daemonDir: string;
  private readonly logDir: string;
  private readonly isRoot: () => boolean;
  private readonly launchctl: string;

  constructor(options: LaunchdOptions = {}) {
    this.launchctl = options.launchctl ?? "launchctl";
    this.daemonDir = options.daemonDir ?? "/Library/LaunchDaemons";
    this.logDir = options.logDir ?? "/Library/Logs/logagent";
    this.isRoot = options.isRoot ?? isRootUser;
  }

  plistFile(name: string): string {
    return path.join(this.daemonDir, `${launchdLabel(name)}.plist`);
  }

  async install(def: ServiceDefinition, say: Say, dryRun: boolean): Promise<void> {
    const plist = launchdPlist(def, this.logDir);
    if (!dryRun) requireRoot(this.isRoot, "service install");
    const file = this.plistFile(def.name);
    refuseIfInstalled(def.name, file);
    const steps = new Steps(say, dryRun);
    steps.mkdir(this.logDir); // launchd does not create the folder of StandardErrorPath
    steps.write(file, plist);
    // Clears a `launchctl disable` left from an earlier install, which would keep it from loading at boot.
    steps.afterWriting(file, () => steps.run([this.launchctl, "enable", `system/${launchdLabel(def.name)}`]));
    say(`${dryRun ? "Would be installed" : "Installed"}; it starts at boot. Start it now with: sudo ${shellLine([def.executable])} service start${nameOption(def.name)}`);
  }

  async uninstall(name: string, say: Say, dryRun: boolean): Promise<void> {
    const file = this.installedPlist(name, dryRun, "uninstall");
    const steps = new Steps(say, dryRun);
    if (dryRun || this.loaded(name)) steps.run([this.launchctl, "bootout", `system/${launchdLabel(name)}`]);
    steps.remove(file);
    say(`${dryRun ? "Would be uninstalled" : "Uninstalled"}. Its log stays: ${path.join(this.logDir, `${name}.log`)}`);
  }

  async start(name: string, say: Say, dryRun: boolean): Promise<void> {
    const file = this.installedPlist(name, dryRun, "start");
    const steps = new Steps(say, dryRun);
    const target = `system/${launchdLabel(name)}`;
    if (dryRun) say(`(if launchd has it loaded already, it would run instead: ${shellLine([this.launchctl, "kickstart", target])})`);
    // Loading it starts it (RunAtLoad); a loaded, stopped one is kicked.
    if (!dryRun && this.loaded(name)) steps.run([this.launchctl, "kickstart", target]);
    else steps.run([this.launchctl, "bootstrap", "system", file]);
    say(`Started. Check it with: logagent service status${nameOption(name)}; log: ${path.join(this.logDir, `${name}.log`)}`);
  }

  async stop(name: string, say: Say, dryRun: boolean): Promise<void> {
    this.installedPlist(name, dryRun, "stop");
    if (!dryRun && !this.loaded(name)) {
      say(`${name} is not running.`);
      return;
    }
    // bootout sends SIGTERM and waits up to ExitTimeOut: when it returns, positions are saved.
    new Steps(say, dryRun).run([this.launchctl, "bootout", `system/${launchdLabel(name)}`]);
    say(dryRun ? "Would be stopped." : "Stopped.");
  }

  async status(name: string): Promise<ServiceStatus> {
    const file = this.plistFile(name);
    if (!existsSync(file)) return { state: "not-installed", details: [`no ${file}`] };
    const r = query([this.launchctl, "print", `system/${launchdLabel(name)}`]);
    const log = `log: ${path.join(this.logDir, `${name}.log`)}`;
    if (r.code !== 0) return { state: "stopped", details: ["not loaded in launchd (stopped, or not started since install)", `plist: ${file}`, log] };
    const s = parseLaunchctlPrint(r.stdout);
    return { state: s.state, details: [...s.details, `plist: ${file}`, log] };
  }

  private loaded(name: string): boolean {
    return query([this.launchctl, "print", `system/${launchdLabel(name)}`]).code === 0;
  }

  /** The plist of an installed service, after the root check; a ServiceError when it is not there. */
  private installedPlist(name: string, dryRun: boolean, verb: string): string {
    if (!dryRun) requireRoot(this.isRoot, `service ${verb}`);
    const file = this.plistFile(name);
    requireInstalled(name, file);
    return file;
  }
}
