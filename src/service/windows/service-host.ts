// The agent as a Windows service: the Service Control Manager's protocol, spoken from the one exe.
//
//   Worker:  la_dispatch() blocks in StartServiceCtrlDispatcherW until the service is STOPPED.
//   helper:  ServiceMain registers the control handler and reports START_PENDING at once;
//            HandlerEx answers STOP / SHUTDOWN / PRESHUTDOWN with STOP_PENDING at once and records
//            the control (helper.c says why these must be native code).
//   here:    polls la_events() on the main thread; loads the INI, starts the agent, reports
//            RUNNING; on a stop control stops reading, reports STOP_PENDING with a fresh checkpoint
//            every second while lines in flight are acknowledged, saves positions, reports STOPPED
//            (exit code 0), and the process exits once the dispatcher returns.
//
// A configuration error or another fatal error ends in STOPPED with ERROR_SERVICE_SPECIFIC_ERROR
// and the agent's exit code (2 configuration, 1 other), which `sc query` shows, with the reason in
// the log file and the Event Log.
import { ConfigError } from "../../config/config-error";
import type { AgentConfig } from "../../config/load-ini";
import { EXIT, startAgent, type Started } from "../../lifecycle";
import { eventId } from "../../telemetry/events";
import { defaultServiceLogFile, loggingFromConfig } from "../../telemetry/log-destination";
import { configureLogging, type LogRecord, rootLogger, setEventSink } from "../../telemetry/logger";
import { fromWide, helper, helperPath, wide } from "./helper";
import { ERROR } from "./win-errors";
import { ptr } from "bun:ffi";

const STOPPED = 1;
const STOP_PENDING = 3;
const RUNNING = 4;
const EV_SERVICE_STARTED = 0x1;
const EV_REGISTER_FAILED = 0x2;
const CONTROL_NAMES: Record<number, string> = { 1: "STOP", 5: "SHUTDOWN", 15: "PRESHUTDOWN" };

/** Whether the SCM started this process (its parent is services.exe). */
export function startedByServiceManager(): boolean {
  return helper().la_started_by_scm() !== 0;
}

const EVENT_TYPES = { error: 1, warn: 2, info: 4, debug: 4 } as const;

/** Reports named events (and every error) to the Windows Event Log under the source `service install` registered. */
function eventLogSink(source: string): (record: LogRecord) => void {
  const src = wide(source);
  return (r) => {
    const fields = Object.entries(r.fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${v instanceof Error ? v.message : typeof v === "string" ? v : JSON.stringify(v)}`);
    const text = wide([r.message, ...fields].join("\r\n"));
    helper().la_event_report(ptr(src), EVENT_TYPES[r.level], eventId(r.event), ptr(text));
  };
}

/** The dispatcher must block on a thread of its own; a Worker is one, and needs only the DLL's path. */
function startDispatcher(dll: string): Promise<number> {
  const code = `import { dlopen } from "bun:ffi";
self.onmessage = (e) => { postMessage(dlopen(e.data, { la_dispatch: { args: [], returns: "u32" } }).symbols.la_dispatch()); };`;
  const worker = new Worker(URL.createObjectURL(new Blob([code], { type: "application/javascript" })));
  return new Promise((resolve) => {
    worker.onmessage = (e: MessageEvent<number>) => resolve(e.data);
    worker.postMessage(dll);
  });
}

async function waitFor(condition: () => boolean, timeoutMs: number, stepMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await Bun.sleep(stepMs);
  }
  return true;
}

/** Runs the agent under the SCM; resolves with the process exit code once the service is STOPPED. */
export async function runAsWindowsService(configPath: string): Promise<number> {
  const h = helper();
  const dispatcherDone = startDispatcher(helperPath());
  let dispatcherResult: number | null = null;
  void dispatcherDone.then((r) => (dispatcherResult = r));

  const started = await waitFor(() => (h.la_events() & (EV_SERVICE_STARTED | EV_REGISTER_FAILED)) !== 0 || dispatcherResult !== null, 30_000);
  if (!started || dispatcherResult !== null || h.la_events() & EV_REGISTER_FAILED) {
    // Nothing to report STOPPED to: say so where a console would see it, if there is one.
    process.stderr.write(`logagent: started by the service manager, but could not connect to it (${dispatcherResult ?? "no ServiceMain"}).\n`);
    return EXIT.fatal;
  }
  const nameBuffer = Buffer.alloc(514);
  const name = fromWide(nameBuffer, h.la_service_name(ptr(nameBuffer), 257)) || "logagent";
  h.la_console_install(1); // a user logging off must not end the service

  // Before the INI is read, and when it cannot be: the default file. Then wherever the INI says.
  const defaultFile = defaultServiceLogFile(name);
  setEventSink(eventLogSink(name));
  configureLogging({ level: "info", console: false, file: { path: defaultFile, maxBytes: 10 << 20, keep: 5, format: "text" } });
  const logTo = (config: AgentConfig) => configureLogging(loggingFromConfig(config.agent, defaultFile));
  const log = rootLogger.child("service");

  const report = (state: number, exitCode = 0, waitHint = 0) => {
    const win32 = exitCode === 0 ? 0 : ERROR.SERVICE_SPECIFIC_ERROR;
    const error = h.la_set_status(state, win32, exitCode, waitHint);
    if (error) log.warn("The service manager did not take a status report.", { state, error });
  };
  const finish = async (exitCode: number): Promise<number> => {
    report(STOPPED, exitCode);
    // The dispatcher returns once STOPPED is in; do not wait for ever if it does not.
    await Promise.race([dispatcherDone, Bun.sleep(3000)]);
    return exitCode;
  };
  const failed = (err: unknown): Promise<number> => {
    const config = err instanceof ConfigError;
    log.error(config ? "Cannot start: the configuration is invalid." : "Fatal error; the service stops.", { problems: config ? err.message : undefined, error: config ? undefined : err, stack: config ? undefined : (err as Error)?.stack }, "FatalError");
    return finish(config ? EXIT.config : EXIT.fatal);
  };

  let run: Started;
  let uncaught: ((err: unknown) => void) | null = null;
  const fatal = new Promise<unknown>((resolve) => (uncaught = resolve));
  process.on("uncaughtException", (err) => uncaught?.(err));
  process.on("unhandledRejection", (err) => uncaught?.(err));
  log.info("Service starting.", { service: name, config: configPath, pid: process.pid });
  try {
    run = await startAgent(configPath, logTo);
  } catch (err) {
    return failed(err);
  }
  // A stop that came while starting is honoured now; otherwise say RUNNING.
  if (((h.la_events() >> 8) & 0xff) === 0) report(RUNNING);
  log.info("Service running.", { service: name });

  const control = await Promise.race([
    new Promise<number>((resolve) => {
      const timer = setInterval(() => {
        const c = (h.la_events() >> 8) & 0xff;
        if (c) {
          clearInterval(timer);
          resolve(c);
        }
      }, 200);
    }),
    fatal.then((err) => ({ err })),
    run.agent.fatal.catch((err: unknown) => ({ err })), // exactly_once: fenced by another agent
  ]);
  if (typeof control !== "number") {
    return failed(control.err);
  }

  const budgetMs = run.config.agent.shutdownTimeoutMs;
  log.info("Service stop requested; stopping.", { control: CONTROL_NAMES[control] ?? control, timeout_ms: budgetMs });
  const began = Date.now();
  // While lines in flight are acknowledged: a new checkpoint every second, and a wait hint that
  // covers what is left of the budget, so the SCM sees progress and does not give up on us.
  report(STOP_PENDING, 0, budgetMs + 5000);
  const progress = setInterval(() => report(STOP_PENDING, 0, Math.max(budgetMs - (Date.now() - began), 0) + 5000), 1000);
  try {
    await run.agent.stop(budgetMs);
  } catch (err) {
    clearInterval(progress);
    return failed(err);
  }
  clearInterval(progress);
  log.info("Service stopped.", { service: name, after_ms: Date.now() - began });
  return finish(EXIT.ok);
}

