// How one collect entry's files are found and read: its path or glob, the
// files it leaves out, and how bytes become lines. Resolved once when a
// collect list is applied (like the entry's Kafka output), so that the read
// loop only looks values up.
//
// It is also where a plain path that names a directory is refused: the one
// check here that looks at the disk, because only the disk tells. It can only
// see what exists when the list is applied; a directory that appears later
// under the name is reported by the tailer instead.
import { statSync } from "node:fs";
import path from "node:path";
import { ENTRY_OPTIONS, parseOptionValue } from "../config/options";
import type { CollectEntry, StartFrom } from "../discovery/collect-entry";
import type { Encoding } from "../lines/encoding";
import type { LineOptions } from "../lines/line-processor";
import { compileUserPattern } from "../lines/user-pattern";
import { compileExcludes, compileGlob, isGlob, type Glob } from "./glob";
import type { Confinement } from "./open-file";

/** The [agent] options a collect entry may override, as parsed from the INI (snake_case, like the keys). */
export interface TailOptions {
  exclude: string[];
  ignore_older_s: number;
  close_inactive_s: number;
  encoding: Encoding;
  max_line_bytes: number;
  long_lines: "split" | "truncate";
  include_lines: string[];
  exclude_lines: string[];
  "multiline.start": string;
  "multiline.continuation": string;
  "multiline.max_lines": number;
  "multiline.timeout_ms": number;
}

export interface TailSettings {
  /** A glob when the path has glob characters; null for a plain path. */
  glob: Glob | null;
  excluded: (file: string) => boolean;
  from: StartFrom;
  /** 0: never skip. */
  ignoreOlderMs: number;
  /** 0: keep files open. */
  closeInactiveMs: number;
  maxLineBytes: number;
  longLines: "split" | "truncate";
  lines: LineOptions;
  /** Compares settings: a changed entry is re-applied only when this differs. */
  signature: string;
  /** Set for an entry from etcd under [agent] allow_paths: each file's real path is checked when it is opened. */
  confine?: Confinement;
}

/** Resolves an entry's tail settings over the INI's defaults, or says what is wrong (naming the field). */
export function resolveTailSettings(entry: CollectEntry, defaults: TailOptions, from: StartFrom): { settings?: TailSettings; problems: string[] } {
  const o = { ...defaults, ...(entry.options as Partial<TailOptions> | undefined) };
  const problems: string[] = [];
  const start = o["multiline.start"];
  const continuation = o["multiline.continuation"];
  if (start && continuation) problems.push('fields "multiline.start" and "multiline.continuation" are both set; an event is described by one of them');
  let glob: Glob | null = null;
  try {
    if (isGlob(entry.path)) glob = compileGlob(entry.path);
  } catch (err) {
    problems.push(`field "path" = ${JSON.stringify(entry.path)}: ${(err as Error).message}`);
  }
  if (!glob && isDirectory(entry.path)) {
    const hint = path.join(entry.path, "*.log");
    problems.push(`field "path" = ${JSON.stringify(entry.path)} is a directory; a path without glob characters names one file (to collect the files in this folder, use a glob such as ${JSON.stringify(hint)})`);
  }
  if (problems.length) return { problems };
  const signature = JSON.stringify([o, entry.from ?? from]);
  // Plain paths with the same options share one (immutable) settings object: a thousand entries
  // differing only in their path would otherwise each hold their own compiled patterns.
  const reused = glob ? undefined : shared.get(signature);
  if (reused) return { settings: reused, problems };
  const patterns = (sources: string[]) => sources.map((s) => compileUserPattern(s)); // validated when parsed
  const pattern = start || continuation;
  const settings: TailSettings = {
    glob,
    excluded: compileExcludes(o.exclude),
    from: entry.from ?? from,
    ignoreOlderMs: o.ignore_older_s * 1000,
    closeInactiveMs: o.close_inactive_s * 1000,
    maxLineBytes: o.max_line_bytes,
    longLines: o.long_lines,
    lines: {
      encoding: o.encoding,
      include: patterns(o.include_lines),
      exclude: patterns(o.exclude_lines),
      ...(pattern
        ? {
            multiline: {
              ...(start ? { start: compileUserPattern(start) } : { continuation: compileUserPattern(continuation) }),
              maxLines: o["multiline.max_lines"],
              timeoutMs: o["multiline.timeout_ms"],
            },
          }
        : {}),
    },
    signature,
  };
  if (!glob) {
    if (shared.size >= MAX_SHARED) shared.clear();
    shared.set(signature, settings);
  }
  return { settings, problems };
}

/** Settings of plain-path entries by signature (see resolveTailSettings); cleared rather than grown past MAX_SHARED. */
const shared = new Map<string, TailSettings>();
const MAX_SHARED = 1000;

/** The option table's defaults for the [agent] options an entry may override. */
export function tailDefaults(): TailOptions {
  const agent = ENTRY_OPTIONS.filter((o) => o.section === "agent");
  return Object.fromEntries(agent.map((o) => [o.key, parseOptionValue(o, o.default).value])) as unknown as TailOptions;
}

/** Whether `file` is a directory now; anything else (missing, unreadable) is for the tailer to find out. */
function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}
