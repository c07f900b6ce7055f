// What the systemd and launchd managers share: the root check, the figures both derive from the
// INI (how long to wait for a stop, how many files may be open), and the steps of an operation
// (write a file, run a command), which a dry run prints instead of doing. Every step is said as it
// happens, so an admin sees the same commands in a dry run and in the real one.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { DEFAULT_SERVICE_NAME } from "./service-command";
import { SERVICE_EXIT, ServiceError, type Say } from "./service-manager";

/** Seconds a manager waits after SIGTERM before it kills: the agent's own shutdown timeout, plus time to save positions and exit. */
export function stopTimeoutSeconds(shutdownTimeoutMs: number): number {
  return Math.ceil(shutdownTimeoutMs / 1000) + 10;
}

/** Open-file limit: the files the agent may hold (max_open_files) plus its sockets and state files, and never below 65536. */
export function openFilesLimit(maxOpenFiles = 1024): number {
  return Math.max(65_536, maxOpenFiles + 4096);
}

export const isRootUser = (): boolean => process.getuid?.() === 0;

export function requireRoot(isRoot: () => boolean, verb: string): void {
  if (!isRoot()) throw new ServiceError(`${verb} needs root: run it with sudo (or add --dry-run to see what it would do)`, SERVICE_EXIT.notAdministrator);
}

/** Install refuses to write over a service of the same name: exit 5, saying how to remove it. */
export function refuseIfInstalled(name: string, file: string): void {
  if (existsSync(file)) {
    throw new ServiceError(`${name} is already installed (${file}); remove it first with: sudo logagent service uninstall${nameOption(name)}`, SERVICE_EXIT.alreadyInstalled);
  }
}

/** The other verbs need the service's file: exit 4 without it, saying how to install. */
export function requireInstalled(name: string, file: string): void {
  if (!existsSync(file)) {
    throw new ServiceError(`${name} is not installed (no ${file}); install it with: sudo logagent service install -c <conf.ini>${nameOption(name)}`, SERVICE_EXIT.notInstalled);
  }
}

/** A command as a shell would need it typed: arguments with spaces or quotes in single quotes. */
export function shellLine(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(" ");
}

/** `--name X` as typed after a verb, or nothing for the default name. */
export function nameOption(name: string): string {
  return name === DEFAULT_SERVICE_NAME ? "" : ` --name ${name}`;
}

/** Refuses what a service file cannot carry faithfully: control characters (a newline would end a unit setting). */
export function noControlChars(what: string, value: string): void {
  if (/[\x00-\x1f\x7f]/.test(value)) throw new ServiceError(`${what} ${JSON.stringify(value)} holds a control character`, SERVICE_EXIT.usage);
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command and returns what it said; a command that cannot be started is a ServiceError. */
export function query(argv: string[]): CommandResult {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8" });
  if (r.error) throw new ServiceError(`cannot run ${argv[0]}: ${r.error.message}`);
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The changing steps of an operation; in a dry run each is said and nothing is done. */
export class Steps {
  constructor(
    private readonly say: Say,
    readonly dryRun: boolean,
  ) {
    if (dryRun) say("Dry run: nothing is changed.");
  }

  /** Runs a command; a non-zero exit (other than those in `ok`) is a ServiceError carrying its output. */
  run(argv: string[], ok: number[] = [0]): CommandResult {
    this.say(`${this.dryRun ? "would run" : "running"}: ${shellLine(argv)}`);
    if (this.dryRun) return { code: 0, stdout: "", stderr: "" };
    const r = query(argv);
    if (!ok.includes(r.code)) {
      const said = (r.stderr.trim() || r.stdout.trim()).split("\n").slice(-5).join("\n  ");
      throw new ServiceError(`${shellLine(argv)} failed (exit ${r.code})${said ? `:\n  ${said}` : ""}`);
    }
    return r;
  }

  /** Writes a new file (never over an existing one), readable by all and writable by its owner. */
  write(file: string, text: string): void {
    this.say(this.dryRun ? `would write ${file}:` : `writing ${file}`);
    if (this.dryRun) {
      this.say(text.replace(/\n$/, ""));
      this.say("");
      return;
    }
    writeFileSync(file, text, { flag: "wx", mode: 0o644 });
    chmodSync(file, 0o644); // the umask may have taken bits away; managers refuse group- or world-writable files, and need them readable
  }

  /** Runs `then` after `file` was written; if it fails, the file is removed again, so that nothing is half installed and a retry is not refused. */
  afterWriting(file: string, then: () => void): void {
    try {
      then();
    } catch (err) {
      if (this.dryRun || !(err instanceof ServiceError)) throw err;
      rmSync(file, { force: true });
      throw new ServiceError(`${err.message}\nRemoved ${file} again: nothing is installed.`, err.exitCode);
    }
  }

  mkdir(dir: string): void {
    this.say(`${this.dryRun ? "would create" : "creating"} ${dir}/ (if missing)`);
    if (!this.dryRun) mkdirSync(dir, { recursive: true, mode: 0o755 });
  }

  remove(file: string): void {
    this.say(`${this.dryRun ? "would remove" : "removing"} ${file}`);
    if (!this.dryRun) rmSync(file, { force: true });
  }
}
