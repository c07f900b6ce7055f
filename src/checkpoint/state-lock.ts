// One agent per state_dir. Two agents sharing it would overwrite each other's
// positions, each resuming from the other's and sending lines twice or never.
// So a run holds state_dir/logagent.lock, a small file naming its pid, created
// exclusively; a second agent is refused with the owner's pid until it stops.
//
// A lock left by a process that is gone (kill -9, a crash, a power cut) is
// taken over, so that a restart is never stopped by it: it was written before
// the machine last booted, or its pid is not running, or the pid has been
// handed to another process since: on Linux one running another program; on
// Windows, which reuses pids soon, one started after the lock was written
// (its start time, from the native helper). There is no portable flock in
// Bun; this is the pid-file scheme service managers use, with the pid checked
// rather than trusted. The host is not part of the check: a container's host
// name changes at each restart while its state_dir volume stays.
import { closeSync, openSync, readFileSync, readlinkSync, unlinkSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export const LOCK_FILE = "logagent.lock";

interface LockContent {
  pid: number;
  /** When the lock was taken (ISO 8601). */
  since: string;
}

/** When a running process started (ms since the epoch); null when no process has the pid; undefined when that cannot be told. */
export type ProcessStart = (pid: number) => number | null | undefined;

/** Why state_dir cannot be taken: another agent holds it. */
export class StateDirInUse extends Error {
  override name = "StateDirInUse" as const;
  constructor(
    readonly dir: string,
    readonly owner: LockContent,
  ) {
    super(`is used by another logagent (pid ${owner.pid}, since ${owner.since}); give each agent its own state_dir`);
  }
}

/** Whether the lock's writer still runs (see the header). `startedAt`: Windows' answer, from the native helper. */
function holderAlive(owner: LockContent, startedAt?: ProcessStart): boolean {
  const { pid } = owner;
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  const since = Date.parse(owner.since);
  const bootedAt = Date.now() - os.uptime() * 1000;
  if (since < bootedAt - 60_000) return false; // a minute's slack for clock steps at boot
  if (startedAt) {
    const started = startedAt(pid);
    // The writer started before it wrote the lock; a process on a reused pid started after the writer died.
    return started === undefined || (started !== null && started <= since);
  }
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // it exists, under another account
  }
  if (process.platform !== "linux") return true;
  try {
    return path.basename(readlinkSync(`/proc/${pid}/exe`)).replace(/ \(deleted\)$/, "") === path.basename(process.execPath);
  } catch {
    return true; // cannot tell (another account's process): assume it is the owner
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/**
 * Takes state_dir for this process. Throws StateDirInUse when a running agent holds it; a stale
 * lock is replaced. Returns the release function (also run at exit). `startedAt` is given on Windows.
 */
export function lockStateDir(dir: string, startedAt?: ProcessStart): () => void {
  const file = path.join(dir, LOCK_FILE);
  const content = JSON.stringify({ pid: process.pid, since: new Date().toISOString() } satisfies LockContent) + "\n";
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, "wx");
      try {
        writeSync(fd, content);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const text = readText(file);
      let owner: LockContent | null = null;
      try {
        owner = JSON.parse(text) as LockContent;
      } catch {
        // torn or empty (a crash while it was written): stale
      }
      // A second EEXIST: another agent took the stale lock at the same moment.
      if (owner && (attempt > 0 || holderAlive(owner, startedAt))) throw new StateDirInUse(dir, owner);
      if (attempt > 0) throw err;
      // Only the lock judged stale is removed, not one another agent has put in its place meanwhile.
      if (readText(file) === text) unlinkSync(file);
    }
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    try {
      if ((JSON.parse(readFileSync(file, "utf8")) as LockContent).pid === process.pid) unlinkSync(file);
    } catch {
      // already gone
    }
  };
  process.once("exit", release);
  return release;
}
