// Lists the files a glob matches, for the tailer's rescans (every
// rescan_interval_ms, over possibly thousands of files). It only lists: the
// tailer stats each name and decides what is new, rotated or gone.
//
// The cost is one readdir per directory that may hold matches and one RegExp
// test per entry: entry types come with the listing, so nothing is stat'ed
// except a symlink the walk might descend through.
import { lstatSync, readdirSync, statSync, type Dirent, type Stats } from "node:fs";
import { posix, win32 } from "node:path";
import { HOST_FLAVOUR, type Glob, type PathFlavour } from "./glob";

export interface ScanResult {
  /** Matching files and symlinks, sorted so that every scan lists them in the same order. */
  files: string[];
  /** Directories that could not be read (not ENOENT of the base), with the error: the caller logs them once. */
  errors: { dir: string; error: Error }[];
}

type Kind = "file" | "dir" | "link" | "other";

/**
 * Walks from `glob.base`, descending only where `glob.mayContain`.
 *
 * A symlink whose name matches is listed without looking at its target: the
 * tailer stats it and follows it to its file, so that a link switched to a new
 * target is seen as a rotation. A symlinked directory is descended only when
 * the pattern is not recursive, where the pattern's depth bounds the walk; under
 * `**` a link back up the tree would loop.
 */
export function scanGlob(glob: Glob, isExcluded: (file: string) => boolean, flavour: PathFlavour = HOST_FLAVOUR): ScanResult {
  const join = flavour === "win32" ? win32.join : posix.join;
  const files: string[] = [];
  const errors: ScanResult["errors"] = [];
  const pending = [glob.base];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      // The base may not exist yet (its files appear later), and a directory below it may be deleted or
      // replaced between its parent's listing and its own (old logs being cleaned up): neither is a fault.
      // A file where the base should be is a mistake in the path, though.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || (code === "ENOTDIR" && dir !== glob.base)) continue;
      errors.push({ dir, error: err as Error });
      continue;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const kind = kindOf(entry, path);
      if (kind === "file" || kind === "link") {
        if (glob.matches(path) && !isExcluded(path)) files.push(path);
        if (kind === "link" && !glob.recursive && glob.mayContain(path) && statQuietly(path)?.isDirectory()) pending.push(path);
      } else if (kind === "dir" && glob.mayContain(path)) pending.push(path);
    }
  }
  files.sort();
  return { files, errors };
}

function kindOf(entry: Dirent, path: string): Kind {
  if (entry.isFile()) return "file";
  if (entry.isDirectory()) return "dir";
  if (entry.isSymbolicLink()) return "link";
  if (entry.isFIFO() || entry.isSocket() || entry.isBlockDevice() || entry.isCharacterDevice()) return "other";
  // Some file systems (older XFS, some network mounts) do not report types in the listing.
  const stats = lstatQuietly(path);
  if (stats?.isFile()) return "file";
  if (stats?.isDirectory()) return "dir";
  if (stats?.isSymbolicLink()) return "link";
  return "other";
}

/** A dangling or unreadable link is not a directory to descend; the tailer reports files it cannot open. */
function statQuietly(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function lstatQuietly(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
