// `logagent service ...` on Windows, through the Service Control Manager (helper.c does the
// calls). install registers the exe as an own-process service that starts automatically (delayed,
// so it does not slow the boot), restarts after a failure, and has an Event Log source of the
// same name for its start, stop, fatal and outage events.
import { ptr } from "bun:ffi";
import { defaultServiceLogFile } from "../../telemetry/log-destination";
import { SERVICE_EXIT, ServiceError, type Say, type ServiceDefinition, type ServiceManager, type ServiceState, type ServiceStatus } from "../service-manager";
import { helper, wide } from "./helper";
import { ERROR, describeWindowsError, scmError } from "./win-errors";

/** EventCreate.exe carries a message table whose ids 1..1000 print their one string as is (as Go's eventlog.InstallAsEventCreate uses it). */
export const EVENT_MESSAGE_FILE = "%SystemRoot%\\System32\\EventCreate.exe";
/** Restart after 10 s, 30 s, then 60 s; the count of failures resets after a day without one. */
const RESTART_DELAYS_MS = [10_000, 30_000, 60_000] as const;
const RESET_AFTER_S = 86_400;

const STATES: Record<number, ServiceState> = { 1: "stopped", 2: "starting", 3: "stopping", 4: "running" };
const START_TYPES: Record<number, string> = { 0: "boot", 1: "system", 2: "automatic", 3: "manual", 4: "disabled" };

/** A command line the SCM splits the way the C runtime does: every argument quoted. */
export function serviceCommandLine(def: Pick<ServiceDefinition, "executable" | "configFile">): string {
  const quote = (s: string) => `"${s.replace(/(\\*)$/, "$1$1")}"`; // a trailing backslash would escape the quote
  return `${quote(def.executable)} -c ${quote(def.configFile)}`;
}

interface Query {
  state: number;
  win32Exit: number;
  specificExit: number;
  pid: number;
  startType: number;
  /** 1 delayed, 0 not, UNKNOWN when neither the SCM nor the registry says. */
  delayed: number;
  failure: { resetSeconds: number; restartDelaysMs: number[]; onNonCrash: number } | null;
}

const UNKNOWN = 0xffffffff;

function query(name: string): Query | null {
  const out = new Uint32Array(12);
  const n = wide(name);
  const error = helper().la_query(ptr(n), ptr(out));
  if (error === ERROR.SERVICE_DOES_NOT_EXIST) return null;
  if (error) throw scmError("Cannot query service", name, error);
  const v = [...out];
  const actions = v[7]!;
  return {
    state: v[0]!,
    win32Exit: v[1]!,
    specificExit: v[2]!,
    pid: v[3]!,
    startType: v[4]!,
    delayed: v[5]!,
    failure: v[6] === UNKNOWN ? null : { resetSeconds: v[6]!, restartDelaysMs: v.slice(8, 8 + Math.min(actions, 3)), onNonCrash: v[11]! },
  };
}

/** Polls until the service leaves the pending states (or `timeoutMs` passes); returns the last query. */
async function settle(name: string, timeoutMs: number): Promise<Query | null> {
  const deadline = Date.now() + timeoutMs;
  let q = query(name);
  while (q && (q.state === 2 || q.state === 3) && Date.now() < deadline) {
    await Bun.sleep(250);
    q = query(name);
  }
  return q;
}

function exitText(q: Query): string {
  if (q.win32Exit === ERROR.SERVICE_SPECIFIC_ERROR) return `exit code ${q.specificExit} (${q.specificExit === 2 ? "configuration error" : "fatal error"})`;
  if (q.win32Exit === ERROR.SERVICE_NEVER_STARTED) return "it has not run since it was installed";
  return q.win32Exit === 0 ? "exit code 0" : describeWindowsError(q.win32Exit);
}

export class WindowsServiceManager implements ServiceManager {
  readonly kind = "windows" as const;

  async install(def: ServiceDefinition, say: Say, dryRun: boolean): Promise<void> {
    const command = serviceCommandLine(def);
    const plan = [
      `create service ${def.name} ("${def.displayName}"), running as LocalSystem: ${command}`,
      `start: automatic (delayed start) at boot`,
      `on failure: restart after ${RESTART_DELAYS_MS.map((ms) => `${ms / 1000} s`).join(", then ")}; the failure count resets after a day`,
      `Event Log source ${def.name} in the Application log (start, stop, fatal errors, outages)`,
      `logs: ${defaultServiceLogFile(def.name)} unless [agent] log_file says otherwise`,
    ];
    if (dryRun) {
      for (const line of plan) say(`would ${line}`);
      return;
    }
    const h = helper();
    const [n, d, c] = [wide(def.name), wide(def.displayName), wide(command)];
    const created = h.la_install(ptr(n), ptr(d), ptr(c));
    if (created) throw scmError("Cannot install service", def.name, created);
    const desc = wide(def.description);
    const errors = new Uint32Array(4);
    const [r1, r2, r3] = RESTART_DELAYS_MS;
    const opened = h.la_configure(ptr(n), ptr(desc), RESET_AFTER_S, r1, r2, r3, ptr(errors));
    // Wine's service manager does not know these two levels; Windows keeps them as values of the
    // service's registry key, so where the level is refused the value is written there instead.
    if (errors[1] === ERROR.INVALID_LEVEL) errors[1] = h.la_service_dword(ptr(n), ptr(wide("DelayedAutostart")), 1);
    if (errors[3] === ERROR.INVALID_LEVEL) errors[3] = h.la_service_dword(ptr(n), ptr(wide("FailureActionsOnNonCrashFailures")), 1);
    const failedStep = opened ? -1 : errors.findIndex((e) => e !== 0);
    if (opened || failedStep >= 0) {
      // Half a service is worse than none: take it away again, and say what failed.
      h.la_delete(ptr(n));
      const what = ["its description", "delayed automatic start", "its recovery actions", "recovery on non-crash failures"][failedStep] ?? "its settings";
      throw new ServiceError(`Cannot set ${what} of service ${def.name}: ${describeWindowsError(opened || errors[failedStep]!)}. Nothing was installed.`, SERVICE_EXIT.failed);
    }
    const source = h.la_event_source_install(ptr(n), ptr(wide(EVENT_MESSAGE_FILE)));
    for (const line of plan) say(`${line.charAt(0).toUpperCase()}${line.slice(1)}`);
    if (source) say(`warning: the Event Log source could not be registered (${describeWindowsError(source)}); events still go to the log file.`);
    say(`Installed. Start it now with: logagent service start${def.name === "logagent" ? "" : ` --name ${def.name}`}  (or: sc start ${def.name})`);
  }

  async uninstall(name: string, say: Say, dryRun: boolean): Promise<void> {
    const q = query(name);
    if (!q) throw scmError("Cannot uninstall service", name, ERROR.SERVICE_DOES_NOT_EXIST);
    if (dryRun) {
      if (q.state !== 1) say(`would stop service ${name} and wait for it to save its positions`);
      say(`would delete service ${name} and its Event Log source`);
      return;
    }
    if (q.state !== 1) await this.stop(name, say, false);
    const n = wide(name);
    const deleted = helper().la_delete(ptr(n));
    if (deleted) throw scmError("Cannot delete service", name, deleted);
    const source = helper().la_event_source_uninstall(ptr(n));
    say(`Deleted service ${name}${source && source !== ERROR.FILE_NOT_FOUND ? ` (its Event Log source stays: ${describeWindowsError(source)})` : " and its Event Log source"}. Its logs and state stay where they are.`);
  }

  async start(name: string, say: Say, dryRun: boolean): Promise<void> {
    if (dryRun) return say(`would start service ${name}`);
    const started = helper().la_start(ptr(wide(name)));
    if (started === ERROR.SERVICE_ALREADY_RUNNING) return say(`Service ${name} is already running.`);
    if (started) throw scmError("Cannot start service", name, started);
    const q = await settle(name, 30_000);
    if (q?.state === 4) return say(`Service ${name} is running (pid ${q.pid}).`);
    if (q?.state === 1) throw new ServiceError(`Service ${name} stopped right after starting: ${exitText(q)}. The reason is in ${defaultServiceLogFile(name)} (or the log_file its INI names) and the Application event log.`);
    throw new ServiceError(`Service ${name} did not report running within 30 s (state ${q ? STATES[q.state] ?? q.state : "gone"}).`);
  }

  async stop(name: string, say: Say, dryRun: boolean): Promise<void> {
    if (dryRun) return say(`would stop service ${name}`);
    const stopped = helper().la_stop(ptr(wide(name)));
    if (stopped === ERROR.SERVICE_NOT_ACTIVE) return say(`Service ${name} is not running.`);
    if (stopped) throw scmError("Cannot stop service", name, stopped);
    // The agent waits up to shutdown_timeout_ms for lines in flight; give it that and more.
    say(`Stopping service ${name}: it finishes sending what it has read and saves its positions.`);
    const q = await settle(name, 5 * 60_000);
    if (q?.state !== 1) throw new ServiceError(`Service ${name} has not stopped after 5 minutes (state ${q ? STATES[q.state] ?? q.state : "gone"}).`);
    say(`Service ${name} stopped (${exitText(q)}).`);
  }

  async status(name: string): Promise<ServiceStatus> {
    const q = query(name);
    if (!q) return { state: "not-installed", details: [] };
    const start = START_TYPES[q.startType] ?? "unknown";
    const f = q.failure;
    const details = [
      `start type: ${start}${q.startType === 2 && q.delayed === 1 ? " (delayed start)" : ""}`,
      `on failure: ${f ? `${f.restartDelaysMs.map((ms) => (ms === 0xfffffffe ? "no restart" : `restart after ${ms / 1000} s`)).join(", then ") || "nothing"}; reset after ${f.resetSeconds} s${f.onNonCrash === 1 ? "; also when it stops with an error" : ""}` : "unknown"}`,
      ...(q.state === 4 ? [`pid: ${q.pid}`] : q.state === 1 ? [`last exit: ${exitText(q)}`] : []),
      `logs: ${defaultServiceLogFile(name)} (unless [agent] log_file says otherwise)`,
    ];
    return { state: STATES[q.state] ?? "unknown", details };
  }
}
