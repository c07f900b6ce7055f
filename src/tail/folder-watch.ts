// Hints from the operating system that something changed in a folder (Bun's
// fs.watch: inotify on Linux, ReadDirectoryChangesW on Windows, kqueue on
// macOS), so that the tailer concerned polls at once instead of at its next
// turn: a new line is read in milliseconds, and a rotation is seen when it
// happens, not up to idle_poll_max_ms later (when a burst of rotations could
// already have moved a whole file out of the name's reach).
//
// A hint is never the only signal. Events get lost (queue overflow), network
// file systems deliver none for other hosts' writes, and the system may refuse
// a watch (inotify's max_user_watches, too many open files): polling goes on
// at its usual cadence as the safety net, and a folder that cannot be watched
// is simply polled, said once per cause. A watched folder that is deleted is
// let go of quietly and watched again when it is back (tried again at the
// pace of idle_poll_max_ms, like a missing file is looked for).
//
// One watcher per folder, shared by every tailer that wants it: a tailer says
// which folders it wants and, in each, which names (a plain path: its file's
// name and those of the files it still reads) or every name (a glob).
import { statSync, watch, type FSWatcher } from "node:fs";
import path from "node:path";
import type { Logger } from "../telemetry/logger";
import { Backoff } from "../util/backoff";
import { causeOf } from "./unreadable";

/** Receives the hints: `name` is the changed entry's name in `folder`, or null when the event names none. */
export interface HintTarget {
  hint(folder: string, name: string | null): void;
}

/** The names a target wants hints about in one folder, or every name. */
export type Wanted = Set<string> | "all";

/** Starts watching a folder: `on` gets each event's entry name. Throws (with `code`) when it cannot. */
export type WatchFolder = (folder: string, on: (name: string | null) => void, failed: (err: Error) => void) => { close(): void };

/** Bun's fs.watch, not recursive: a glob watches its base and the folders of the files it follows. */
export const watchFolder: WatchFolder = (folder, on, failed) => {
  const watcher: FSWatcher = watch(folder, { persistent: false }, (_event, name) => on(typeof name === "string" ? name : null));
  watcher.on("error", failed);
  return watcher;
};

/** Names compare as the file system does: without case on Windows. */
const nameKey = process.platform === "win32" ? (name: string) => name.toLowerCase() : (name: string) => name;

/** How soon a folder that could not be watched is tried again: a missing one like a missing file, a refused one less often. */
const RETRY_MISSING = new Backoff(2000, 2000);
const RETRY_REFUSED = new Backoff(10_000, 300_000);

interface Folder {
  path: string;
  watcher: { close(): void } | null;
  /** Targets that want every name. */
  all: Set<HintTarget>;
  /** Targets that want some names, by name (see nameKey). */
  named: Map<string, Set<HintTarget>>;
  /** The folder's own name: an event under it may say the folder itself went away. */
  ownName: string;
  /** The watched folder's inode: another one under the same path is a new folder, to watch anew. */
  ino: bigint | null;
  retry: Backoff;
  retryAt: number;
  /** The cause it could not be watched for, said once (see FolderWatch.said). */
  code?: string;
}

export class FolderWatch {
  private readonly folders = new Map<string, Folder>();
  /** What each target asked for last, to undo it. */
  private readonly wants = new Map<HintTarget, Map<string, Wanted>>();
  /** Folders not watched now (missing, refused), tried again at their retryAt. */
  private readonly waiting = new Set<Folder>();
  private nextRetryAt = Infinity;
  /** Causes already said: one warning per cause (a full inotify table refuses every folder alike). */
  private readonly said = new Set<string>();

  constructor(
    private readonly log: Logger,
    /** Called after hints were given: the file server polls soon. */
    private readonly onHint: () => void,
    private readonly watchFn: WatchFolder = watchFolder,
    /** Monotonic clock, ms. */
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Sets what `target` wants hints about, per folder; replaces what it wanted before. */
  want(target: HintTarget, wanted: Map<string, Wanted>): void {
    const before = this.wants.get(target);
    if (before) for (const [folder, names] of before) this.unsubscribe(target, folder, names);
    if (wanted.size === 0) this.wants.delete(target);
    else this.wants.set(target, wanted);
    for (const [folder, names] of wanted) {
      const f = this.folders.get(folder) ?? this.open(folder);
      if (names === "all") f.all.add(target);
      else for (const n of names) addTo(f.named, nameKey(n), target);
    }
  }

  /** `target` wants nothing any more (its entry was removed). */
  drop(target: HintTarget): void {
    this.want(target, new Map());
  }

  /** Tries again to watch folders that could not be watched, when their time has come. Cheap when none is due. */
  retry(): void {
    const now = this.clock();
    if (now < this.nextRetryAt) return;
    this.nextRetryAt = Infinity;
    for (const f of [...this.waiting]) {
      if (now >= f.retryAt) this.start(f);
      if (this.waiting.has(f)) this.nextRetryAt = Math.min(this.nextRetryAt, f.retryAt);
    }
  }

  /** How many folders are watched now. */
  get watching(): number {
    let n = 0;
    for (const f of this.folders.values()) if (f.watcher) n++;
    return n;
  }

  close(): void {
    for (const f of this.folders.values()) f.watcher?.close();
    this.folders.clear();
    this.wants.clear();
    this.waiting.clear();
  }

  private open(folder: string): Folder {
    const f: Folder = { path: folder, watcher: null, all: new Set(), named: new Map(), ownName: nameKey(path.basename(folder)), ino: null, retry: RETRY_MISSING, retryAt: 0 };
    this.folders.set(folder, f);
    this.start(f);
    return f;
  }

  private start(f: Folder): void {
    try {
      f.ino = inodeOf(f.path);
      f.watcher = this.watchFn(f.path, (name) => this.event(f, name), (err) => this.failed(f, err));
      this.waiting.delete(f);
      if (f.code) this.log.debug("Watching folder for changes again.", { folder: f.path });
      f.code = undefined;
      f.retry = RETRY_MISSING;
    } catch (err) {
      this.failed(f, err as Error);
    }
  }

  /** The folder cannot be watched (now): it is polled only, and tried again later. */
  private failed(f: Folder, err: Error): void {
    f.watcher?.close();
    f.watcher = null;
    const { code, words } = causeOf(err);
    const missing = code === "ENOENT" || code === "ENOTDIR";
    f.retry = missing ? RETRY_MISSING : f.code === code ? f.retry.next() : RETRY_REFUSED;
    f.code = code;
    f.retryAt = this.clock() + f.retry.delayMs();
    this.waiting.add(f);
    this.nextRetryAt = Math.min(this.nextRetryAt, f.retryAt);
    // A folder that does not exist (yet, or any more) is the tailer's to report, as a missing file.
    if (missing) return this.log.debug("Folder is not there to watch; its files are polled.", { folder: f.path });
    const fields = { folder: f.path, code, cause: watchWords(code, words) };
    if (this.said.has(code)) return this.log.debug("Cannot watch folder for changes; its files are polled.", fields);
    this.said.add(code);
    this.log.warn("Cannot watch a folder for changes; its files are polled instead (new lines can wait up to idle_poll_max_ms). Nothing is lost. Said once for this cause; tried again now and then.", fields);
  }

  private event(f: Folder, name: string | null): void {
    if (name === null || name === "") {
      for (const t of f.all) t.hint(f.path, null);
      for (const targets of f.named.values()) for (const t of targets) t.hint(f.path, null);
    } else {
      for (const t of f.all) t.hint(f.path, name);
      const key = nameKey(name);
      const named = f.named.get(key);
      if (named) for (const t of named) t.hint(f.path, name);
      // inotify names a watched folder that is deleted by its own name, and then says nothing more.
      if (key === f.ownName) this.checkStillThere(f);
    }
    this.onHint();
  }

  /** After an event under the folder's own name: a folder deleted (or replaced) leaves a dead watcher; watch again when it is back. */
  private checkStillThere(f: Folder): void {
    const ino = inodeOf(f.path);
    if (ino !== null && ino === f.ino) return;
    if (ino === null) {
      const err = Object.assign(new Error(`${f.path} is gone`), { code: "ENOENT" });
      this.failed(f, err);
    } else {
      f.watcher?.close();
      f.watcher = null;
      this.start(f);
    }
    for (const t of f.all) t.hint(f.path, null);
    for (const targets of f.named.values()) for (const t of targets) t.hint(f.path, null);
  }

  private unsubscribe(target: HintTarget, folder: string, names: Wanted): void {
    const f = this.folders.get(folder);
    if (!f) return;
    if (names === "all") f.all.delete(target);
    else {
      for (const n of names) {
        const set = f.named.get(nameKey(n));
        set?.delete(target);
        if (set?.size === 0) f.named.delete(nameKey(n));
      }
    }
    if (f.all.size === 0 && f.named.size === 0) {
      f.watcher?.close();
      this.folders.delete(folder);
      this.waiting.delete(f);
    }
  }
}

function inodeOf(folder: string): bigint | null {
  try {
    return statSync(folder, { bigint: true, throwIfNoEntry: false })?.ino ?? null;
  } catch {
    return null;
  }
}

function addTo(map: Map<string, Set<HintTarget>>, key: string, target: HintTarget): void {
  const set = map.get(key);
  if (set) set.add(target);
  else map.set(key, new Set([target]));
}

/** What a refused watch means, in the terms an admin tunes. */
function watchWords(code: string, words: string): string {
  if (code === "ENOSPC") return "the system's limit of inotify watches is reached (sysctl fs.inotify.max_user_watches)";
  if (code === "EMFILE") return "the limit of inotify instances or open files is reached (sysctl fs.inotify.max_user_instances, or ulimit -n)";
  return words;
}
