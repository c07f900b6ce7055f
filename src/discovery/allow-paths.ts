// [agent] allow_paths: the files a collect list from etcd may name. Whoever
// can write a host's key steers an agent that usually runs as root or
// LocalSystem: without a limit, `{"path": "/etc/shadow"}` ships the shadow file
// to Kafka. The INI's [collect.*] sections are trusted (whoever writes the INI
// already runs the agent), so only lists from etcd are limited.
//
// A name is not a file, so there are two checks:
// - When a list is validated (by the agent before applying it, by `check`, and
//   by anything else that validates a list: call screenEntries): an entry's
//   path, normalised as the scanner and the file system see it (`.`, `..`,
//   repeated separators, `/` or `\` on Windows), must be matched by an allow
//   glob; a glob entry only when every path it can match is (glob-within.ts,
//   which answers "no" when it cannot tell, so doubt refuses). An entry's
//   `exclude` is not looked at: it only narrows, and an entry that reaches out
//   is refused whatever its exclude would leave out. Paths Windows does not
//   normalise (`\\?\`, `\\.\`) and names ending in a dot or space (Windows
//   drops those, so `C:\logs\.. \x` is not what it says) are refused too.
// - When a file is opened (tail/open-file.ts, through `confine`): its real
//   path, links resolved, must be allowed, so that a link inside an allowed
//   folder that points out, or a linked folder, is not followed. The real
//   path comes from the file system (realpathSync.native: Node's JS realpath
//   resolves `link/..` as text); on Windows it is the file's final path name,
//   links and junctions resolved, in long names as Windows documents it
//   (checked under Wine with links; 8.3 names untested). An allow glob's
//   fixed folder may itself be a link (`/var` is one on macOS; a deploy's
//   `current` link): its real path is looked up at that time, so a switched
//   link is followed.
// A hard link is the file itself: no path rule can tell it from the original.
import { realpathSync, statSync } from "node:fs";
import { type GlobShape, HOST_FLAVOUR, type PathFlavour, globShape, isGlob, pathShape, pathText } from "../tail/glob";
import { shapeWithin } from "../tail/glob-within";
import type { Confinement } from "../tail/open-file";
import type { TailSettings } from "../tail/tail-settings";
import { type CollectEntry, absolutePathProblem, entryLabel } from "./collect-entry";

const OPTION = "[agent] allow_paths";

/** Logged at start and printed by `check` when a list comes from etcd and nothing limits it. */
export const UNCONFINED_WARNING =
  "[agent] allow_paths is not set: whoever can write this host's etcd key can make it ship any file the agent's account can read. List the files etcd may name in allow_paths (for example /var/log/** or C:\\logs\\**).";

export class AllowPaths implements Confinement {
  readonly rule: string;

  private constructor(
    readonly patterns: readonly string[],
    private readonly shapes: readonly GlobShape[],
    private readonly flavour: PathFlavour,
  ) {
    this.rule = `${OPTION} (${patterns.map((p) => JSON.stringify(p)).join(", ")})`;
  }

  /**
   * The allowlist, or null when `patterns` is empty (nothing limits etcd). Each problem is in the
   * option table's form, `= "pattern": why`, for the INI loader to place on its line.
   */
  static compile(patterns: readonly string[], flavour: PathFlavour = HOST_FLAVOUR): { allow: AllowPaths | null; problems: string[] } {
    const problems: string[] = [];
    const shapes: GlobShape[] = [];
    for (const pattern of patterns) {
      const why = patternProblem(pattern, flavour);
      if (typeof why === "string") problems.push(`= ${JSON.stringify(pattern)}: ${why}`);
      else shapes.push(why);
    }
    return { allow: patterns.length && !problems.length ? new AllowPaths(patterns, shapes, flavour) : null, problems };
  }

  /** Why an entry's path may not be collected, naming the field and the rule; undefined when it may. */
  entryProblem(entryPath: string): string | undefined {
    const glob = isGlob(entryPath, this.flavour);
    let shape: GlobShape;
    try {
      shape = glob ? globShape(entryPath, this.flavour) : pathShape(entryPath, this.flavour);
    } catch {
      return undefined; // a glob that does not compile: resolving the entry reports it
    }
    const field = `field "path" = ${JSON.stringify(entryPath)}`;
    const bad = shapeProblem(shape, this.flavour);
    if (bad) return `${field}: ${bad}`;
    if (shapeWithin(shape, this.shapes)) return undefined;
    if (glob) {
      return `${field}: the glob can match files outside ${this.rule}. A glob is accepted only when every file it can match is allowed, and that could not be shown (when in doubt it is refused): narrow it to folders and names that allow_paths covers`;
    }
    const normal = pathText(shape, this.flavour);
    return `${field}${normal === entryPath ? "" : ` (that is ${JSON.stringify(normal)})`} is outside ${this.rule}: etcd may only name files there`;
  }

  /** Whether a file whose real path (links resolved, from realpath) is `realPath` may be read. */
  allows(realPath: string): boolean {
    let shape: GlobShape;
    try {
      shape = pathShape(fromRealPath(realPath, this.flavour), this.flavour);
    } catch {
      return false;
    }
    if (shape.rootKind === "device") return false;
    return shapeWithin(shape, this.shapes) || shapeWithin(shape, this.realFolders());
  }

  /**
   * The allow globs with their fixed leading folders replaced by those folders' real paths, where
   * these differ: looked up at each call (only when a file's real path is not allowed as written),
   * so that a folder link switched by a deploy is followed.
   */
  private realFolders(): GlobShape[] {
    const out: GlobShape[] = [];
    const sep = this.flavour === "win32" ? "\\" : "/";
    for (const shape of this.shapes) {
      for (const segs of shape.alternatives) {
        let n = 0;
        while (n < segs.length - 1 && segs[n]!.kind === "literal") n++;
        if (n === 0) continue;
        const folder = shape.root + segs.slice(0, n).map((s) => (s.kind === "literal" ? s.text : "")).join(sep);
        let real: GlobShape;
        try {
          real = pathShape(fromRealPath(realpathSync.native(folder), this.flavour), this.flavour);
        } catch {
          continue; // missing or unreadable: nothing below it can be opened either
        }
        if (pathText(real, this.flavour) === folder) continue;
        out.push({ ...real, alternatives: [[...real.alternatives[0]!, ...segs.slice(n)]], flags: shape.flags });
      }
    }
    return out;
  }
}

/**
 * Screens a list from etcd before it is resolved: the entries `allow` lets through, and a problem
 * for each other one, naming the entry, the field and the rule. A refused entry is not resolved,
 * so nothing about its path is looked up on disk (whether it is a folder, say) and told back.
 */
export function screenEntries(entries: readonly CollectEntry[], allow: AllowPaths | null): { inside: CollectEntry[]; problems: string[] } {
  const inside: CollectEntry[] = [];
  const problems: string[] = [];
  for (const entry of entries) {
    const problem = allow?.entryProblem(entry.path);
    if (problem) problems.push(`${entryLabel(entry)}: ${problem}`);
    else inside.push(entry);
  }
  return { inside, problems };
}

/** Resolved entries from etcd, confined to `allow` when files are opened. */
export function confine<T extends { tail: TailSettings }>(resolved: T[], allow: AllowPaths | null): T[] {
  return allow ? resolved.map((r) => ({ ...r, tail: { ...r.tail, confine: allow } })) : resolved;
}

/** An allow pattern's shape, or why it is refused. */
function patternProblem(pattern: string, flavour: PathFlavour): GlobShape | string {
  const relative = absolutePathProblem(pattern, flavour === "win32" ? "win32" : "linux");
  if (relative) return relative;
  let shape: GlobShape;
  try {
    shape = globShape(pattern, flavour);
  } catch (err) {
    return `is not a valid glob (${(err as Error).message.replace(/^glob ".*?": /, "")})`;
  }
  const bad = shapeProblem(shape, flavour);
  if (bad) return bad;
  const endsWithSeparator = flavour === "win32" ? /[\\/]$/.test(pattern) : pattern.endsWith("/");
  if (endsWithSeparator || (!isGlob(pattern, flavour) && isDirectory(pattern))) {
    const below = pattern.replace(flavour === "win32" ? /[\\/]*$/ : /\/*$/, flavour === "win32" ? "\\**" : "/**");
    return `names a folder, and allow_paths names files: write ${JSON.stringify(below)} to allow every file below it`;
  }
  return shape;
}

/** What in a shape cannot be checked against allow_paths, or undefined. */
function shapeProblem(shape: GlobShape, flavour: PathFlavour): string | undefined {
  if (shape.rootKind === "device") {
    return `${shape.root} paths are not normalised by Windows, so they cannot be checked against ${OPTION}; write the path with its drive letter (C:\\logs\\app.log) or as \\\\server\\share\\...`;
  }
  if (flavour !== "win32") return undefined;
  for (const segs of shape.alternatives) {
    for (const s of segs) {
      if (s.kind === "literal" && /[. ]$/.test(s.text)) {
        return `the name ${JSON.stringify(s.text)} ends with a dot or a space, which Windows drops, so the path would not name the file it shows`;
      }
    }
  }
  return undefined;
}

/** A real path as Windows may give it (`\\?\C:\...`, `\\?\UNC\srv\share\...`) in its usual form. */
function fromRealPath(p: string, flavour: PathFlavour): string {
  if (flavour !== "win32") return p;
  return p.replace(/^[\\/]{2}\?[\\/]UNC[\\/]/i, "\\\\").replace(/^[\\/]{2}\?[\\/](?=[A-Za-z]:)/, "");
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
