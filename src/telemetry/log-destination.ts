// Where the log goes, decided from the INI's [agent] options: `log_file` when set; else the
// default the caller passes (the Windows service host passes defaultServiceLogFile(name), since a
// service's stderr is the null device); else stderr. With a file the log goes to the file only,
// so nothing is written to a console that may be closed.
import path from "node:path";
import type { LogFormat } from "./console-sink";
import type { LoggingOptions, LogLevel } from "./logger";

/** The [agent] options that steer the log (as typed in AgentConfig["agent"]). */
export interface AgentLogOptions {
  logLevel: LogLevel;
  /** Absolute path, or "" for the default. */
  logFile: string;
  logMaxBytes: number;
  logKeep: number;
  logFormat: LogFormat;
}

export function loggingFromConfig(agent: AgentLogOptions, defaultFile = ""): LoggingOptions {
  const file = agent.logFile || defaultFile;
  return {
    level: agent.logLevel,
    console: !file,
    consoleFormat: agent.logFormat,
    file: file ? { path: file, maxBytes: agent.logMaxBytes, keep: agent.logKeep, format: agent.logFormat } : undefined,
  };
}

/**
 * `%ProgramData%\logagent\logs\<serviceName>.log`: one file per service, so two instances never
 * share one. Windows paths whatever the platform this runs on (tests run it on Linux).
 */
export function defaultServiceLogFile(serviceName: string, env: NodeJS.ProcessEnv = process.env): string {
  // process.env ignores case on Windows; a plain object passed by a test does not.
  const programData = env.ProgramData || env.PROGRAMDATA || "C:\\ProgramData";
  return path.win32.join(programData, "logagent", "logs", `${serviceName}.log`);
}
