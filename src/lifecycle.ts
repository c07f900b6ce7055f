// How a run of the agent begins and ends, whoever asked for it: a console (signals, console
// events) or a service manager (the Windows SCM). Both load the INI, check that state_dir can be
// written (a service that cannot save positions must fail at start, not lose track later),
// start the Agent, and later stop it with a time budget.
import { closeSync, mkdirSync, openSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";
import { Agent } from "./agent";
import { lockStateDir, StateDirInUse } from "./checkpoint/state-lock";
import { ConfigError } from "./config/config-error";
import { detectHost } from "./config/host";
import { type AgentConfig, loadIni } from "./config/load-ini";
import { rootLogger } from "./telemetry/logger";

/** Exit codes of a run, for a console and (as service-specific exit codes) for the SCM. */
export const EXIT = { ok: 0, fatal: 1, config: 2 } as const;

/**
 * state_dir must exist, take a file, and not be another running agent's (state-lock.ts); reported
 * as a configuration error naming the option. The lock is held until the process exits.
 */
export async function ensureStateDir(config: AgentConfig): Promise<void> {
  const dir = config.agent.stateDir;
  const probe = path.join(dir, `.write-test-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    const fd = openSync(probe, "w");
    try {
      writeSync(fd, "ok");
    } finally {
      closeSync(fd);
    }
    unlinkSync(probe);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "EACCES" || code === "EPERM" ? "permission denied" : code === "EROFS" ? "read-only file system" : code === "ENOTDIR" ? "a part of it is a file" : ((err as Error).message ?? String(err));
    throw new ConfigError([{ file: config.file, section: "agent", key: "state_dir", message: `= ${JSON.stringify(dir)}: cannot write there (${why}); positions could not be saved` }]);
  }
  // Windows reuses pids soon: whether a lock's pid is still its writer takes the process's start time.
  const startedAt = process.platform === "win32" ? (await import("./service/windows/helper")).processStartedAt : undefined;
  try {
    lockStateDir(dir, startedAt);
  } catch (err) {
    if (!(err instanceof StateDirInUse)) throw err;
    throw new ConfigError([{ file: config.file, section: "agent", key: "state_dir", message: `= ${JSON.stringify(dir)}: ${err.message}` }]);
  }
}

export interface Started {
  agent: Agent;
  config: AgentConfig;
}

/**
 * Loads the INI and starts the agent. `configureLogging` runs as soon as the INI is read, so that
 * everything after it (including a state_dir problem) lands where the INI says logs go.
 * Throws ConfigError for anything the operator must fix in the configuration.
 */
export async function startAgent(configPath: string, configureLogging: (config: AgentConfig) => void): Promise<Started> {
  const config = loadIni(configPath);
  configureLogging(config);
  await ensureStateDir(config);
  const agent = new Agent(config, detectHost(config.agent.ip, config.agent.hostname), rootLogger);
  await agent.start();
  return { agent, config };
}
