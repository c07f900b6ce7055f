// Why a file (or a folder a glob covers) cannot be opened, read or looked at,
// in words an administrator can act on. The tailer says it once when the
// trouble starts or its cause changes, and once when it ends; retries in
// between are quiet (debug), because an admin needs to know that a file is
// not collected and why, not that it still is not, every second.
//
// Error codes are Node's: on Windows, Bun maps a sharing violation (a writer
// holds the file without FILE_SHARE_READ) to EBUSY, checked under Wine.
import { readFileSync } from "node:fs";
import os from "node:os";

export interface Cause {
  /** The error code (EACCES, EBUSY, ...): a changed code is a new trouble, said again. */
  code: string;
  /** What it means for this file, as a phrase. */
  words: string;
}

/** Names the trouble behind a failed open, read or stat. */
export function causeOf(err: unknown, platform: NodeJS.Platform = process.platform): Cause {
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === "string" ? e.code : "UNKNOWN";
  return { code, words: wordsFor(code, e, platform) };
}

function wordsFor(code: string, e: NodeJS.ErrnoException, platform: NodeJS.Platform): string {
  switch (code) {
    case "EACCES":
    case "EPERM":
      return `permission denied: the account logagent runs as (${account()}) may not read it`;
    case "EBUSY":
      return platform === "win32"
        ? "another program holds it open without sharing it for reading (a sharing violation); it is read once that program lets go of it"
        : "the file is busy (EBUSY)";
    case "EISDIR":
      return "it is a directory, not a file";
    case "ELOOP":
      return "too many symbolic links: a link points, directly or not, to itself";
    case "EMFILE":
    case "ENFILE":
      return `too many open files: ${code === "EMFILE" ? "logagent's" : "the system's"} limit is reached (raise it, or lower max_open_files)`;
    case "EIO":
      return "input/output error from the disk or network share";
    case "ENAMETOOLONG":
      return "the path is too long";
    default:
      return e instanceof Error ? e.message : String(e);
  }
}

/**
 * The account this process runs as, the way an admin grants it access: `name, uid N` on Unix (the
 * effective uid, the one permissions are checked against), the user name on Windows. Not
 * os.userInfo() on Unix: Bun takes the name from $USER there, which a service manager may not set.
 */
export function account(): string {
  if (process.platform === "win32") return os.userInfo().username;
  const uid = process.geteuid?.() ?? -1;
  const name = userName(uid);
  return name ? `${name}, uid ${uid}` : `uid ${uid}`;
}

/** The name /etc/passwd gives `uid`; undefined when it lists none (a container's arbitrary uid, macOS's directory service). */
function userName(uid: number): string | undefined {
  try {
    for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const [name, , id] = line.split(":");
      if (id !== undefined && id !== "" && Number(id) === uid) return name;
    }
  } catch {
    // no passwd file
  }
  return undefined;
}
