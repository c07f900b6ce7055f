// One agent per state_dir. Two agents sharing it would overwrite each other's
// positions (each resuming from the other's), and in exactly_once delivery
// they would share a transactional id (by default derived from state_dir) and
// fence each other in turn. So a run holds state_dir/logagent.lock, a small
// file naming its pid, created exclusively; a second agent is refused with the
// owner's pid until it stops.
//
// A lock left by a process that is gone (kill -9, a crash, a power cut) is
// taken over: it was written before the machine last booted, or its pid is not
// running, or (Linux) is running another program, as a reused pid would be.
// There is no portable flock in Bun; this is the pid-file scheme service
// managers use, with the pid checked rather than trusted.
import { closeSync, openSync, readFileSync, readlinkSync, unlinkSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export const LOCK_FILE = "logagent.lock";

interface LockContent {
  pid: number;
  since: string;
  host?: string;
}

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

/** Whether the lock's writer still runs: since before the last boot it cannot; else its pid runs (on Linux, this same program). */
function holderAlive(owner: LockContent): boolean {
  const { pid } = owner;
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  const bootedAt = Date.now() - os.uptime() * 1000;
  if (Date.parse(owner.since) < bootedAt - 60_000) return false; // a minute's slack for clock steps at boot
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

/**
 * Takes state_dir for this process. Throws StateDirInUse when a running agent holds it; a stale
 * lock is replaced. Returns the release function (also run at exit).
 */
export function lockStateDir(dir: string, host = ""): () => void {
  const file = path.join(dir, LOCK_FILE);
  const content = JSON.stringify({ pid: process.pid, since: new Date().toISOString(), host } satisfies LockContent) + "\n";
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
      let owner: LockContent | null = null;
      try {
        owner = JSON.parse(readFileSync(file, "utf8")) as LockContent;
      } catch {
        // torn or empty (a crash while it was written): stale
      }
      // A second EEXIST: another agent took the stale lock at the same moment.
      if (owner && (attempt > 0 || holderAlive(owner))) throw new StateDirInUse(dir, owner);
      if (attempt > 0) throw err;
      unlinkSync(file);
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
