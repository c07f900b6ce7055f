// Follows one collect entry: a path, or a glob of paths. Names are only how
// files are found: what is followed are files (identities), each read by one
// FileReader, whatever they are called later.
//
// Rotation order matters for "no line lost": when a name stops naming the
// file that was read under it (rename + create, delete, a symlink switched),
// the old file is not closed at once. It keeps being read, before any newer
// file, until it has not grown for `rotateWaitMs`, because a writer may still
// append to the handle it holds. A file renamed to another name the entry also
// matches is the same file, still followed, never read again from its start.
//
// A file that cannot be opened or read (permission denied, held by another
// program without sharing, ...) stays followed: its position is kept, it is
// tried again with a capped backoff, and the trouble is said once when it
// starts and once when it ends (see unreadable.ts), so one such file neither
// floods the log nor holds up the others.
import { existsSync, readdirSync, statSync, type BigIntStats } from "node:fs";
import path from "node:path";
import type { SavedPosition } from "../checkpoint/saved-position";
import type { TrackedFile } from "../checkpoint/tracked-file";
import type { Output } from "../discovery/entry-output";
import type { Logger } from "../telemetry/logger";
import { flowMeter, type FlowMeter } from "../telemetry/agent-metrics";
import { Backoff } from "../util/backoff";
import { RateMeter } from "../util/rate";
import { identityKey, identityOf, sameFile, type FileIdentity } from "./file-identity";
import type { Room } from "../pipeline/line-queue";
import { FileReader, type LineSink, type ReaderFormat } from "./file-reader";
import { OutsideAllowedPaths, openTailHandle, type TailHandle } from "./open-file";
import type { FolderWatch, HintTarget, Wanted } from "./folder-watch";
import type { OpenFiles } from "./open-files";
import { scanGlob } from "./path-scanner";
import type { TailSettings } from "./tail-settings";
import { causeOf } from "./unreadable";

/** What the tailer needs from saved positions (the Checkpointer). */
export interface PositionBook {
  find(identity: FileIdentity): SavedPosition | undefined;
  /** Saved positions of files last read under an entry's path. */
  under(path: string): SavedPosition[];
  /** A reader was opened: save its position from now on. */
  track(file: TrackedFile): void;
}

/** Which entry reads a file: one file goes to one entry, the first to find it. */
export interface Claims {
  /** Claims the file for `entry`; returns the entry that holds it already, or null. */
  claim(identity: FileIdentity, entry: string): string | null;
  release(identity: FileIdentity, entry: string): void;
}

/**
 * On Windows a file we hold keeps its name after it is deleted ("delete pending") until we close
 * it, so a writer that deletes its oldest backup and renames the next one onto that name fails
 * (grafana/loki#3668, fluent/fluentd#3365). There a rotated file read to its end is closed at once
 * and watched by name and identity instead; it is reopened if it grows within rotate_wait_ms.
 * Elsewhere it stays open: a deleted file can then still be read through the handle.
 */
const RELEASE_ROTATED = process.platform === "win32";

/** Paths compare as the file system does: normalized (a hint's path is joined), without case on Windows. */
const nameKey = process.platform === "win32" ? (name: string) => path.normalize(name).toLowerCase() : (name: string) => path.normalize(name);

/** Checks without news before an idle file starts to be polled less often. */
const IDLE_CHECKS_AT_BASE_RATE = 8;

export interface TailerOptions {
  rotateWaitMs: number;
  /** The file server's poll interval, the rate a busy file is checked at. */
  baseIntervalMs: number;
  /** The longest an idle file goes unchecked. */
  idleMaxMs: number;
  /** How often a glob is expanded again. */
  rescanIntervalMs: number;
  settings: TailSettings;
  positions: PositionBook;
  openFiles: OpenFiles;
  claims: Claims;
  /** Close a rotated file once read to its end instead of holding it for rotate_wait_ms; the default is true on Windows only. */
  releaseRotated?: boolean;
  /** Where the tailer asks for hints (fs.watch) about its folders; without it, it only polls. */
  watch?: Pick<FolderWatch, "want" | "drop">;
  /** Called when what `describe()` shows changes other than by counters: a file found or gone, an error, a rotation. */
  changed?: () => void;
}

/** A followed file, as the agent's status shows it (see telemetry/agent-status.ts). */
export interface FileDescription {
  /** The file's name now. */
  path: string;
  /** The collect entry's path (or glob). */
  entry: string;
  topic: string;
  /** Read up to here (bytes). */
  offset: number;
  /** Kafka has acknowledged every line before this offset. */
  acked: number;
  /** The size last seen by the tailer's own looks (no stat of its own). */
  size: number;
  /** Bytes not yet acknowledged by Kafka: size - acked. */
  lagBytes: number;
  linesPerSecond: number;
  /** Rotated away from the entry's names: read to its end, then closed. */
  rotated: boolean;
  /** Why it cannot be opened or read now; null when it can. */
  lastError: string | null;
}

/** A collect entry, as the status shows it. */
export interface EntryDescription {
  path: string;
  topic: string;
  files: number;
  /** Why the entry collects nothing (or not everything) now; null when nothing is wrong. */
  error: string | null;
}

/** One file followed by the entry. */
interface Followed {
  identity: FileIdentity;
  /** The name it was last seen under. */
  name: string;
  /** Null until it is opened: waiting for a free slot (max_open_files), or skipped by ignore_older. */
  reader: FileReader | null;
  /** No name of the entry names it any more: read it to its end, then close it. */
  draining: boolean;
  /** Found by the entry's first scan: `from` applies to it. */
  firstSight: boolean;
  /** ignore_older: where to start if it grows (its size when it was skipped). */
  startAt?: number;
  /** Its size when it was found: with from = end, reading starts here, however late it could be opened. */
  sizeAtSight: number;
  /** Rotated while the agent was down: opened only to resume from its saved position. */
  savedOnly?: boolean;
  /** It cannot be opened or read: the cause said, and when to try again. */
  trouble?: Trouble;
  /** Size and mtime when its handle was let go (or it was skipped): it is reopened when either changes. */
  restSize: bigint;
  restMtime: bigint;
  lastGrowthAt: number;
  lastSize: number;
  idleChecks: number;
  nextPollAt: number;
  /** The tailer poll that last read it. */
  polledIn: number;
  /** Counted in OpenFiles as waiting for a slot. */
  waiting?: boolean;
  /** Lines handed out from it, and their rate as the status last looked. */
  lines: number;
  rate: RateMeter;
}

/** Why a plain path names no file to read: nothing there, a directory, a pipe or device, or it cannot be looked at. */
type Absence = "missing" | "directory" | "special" | "unstattable";

interface Trouble {
  /** The error code logged: another code is logged again. */
  code: string;
  /** The cause in words, for the status. */
  words: string;
  backoff: Backoff;
  retryAt: number;
}

/** A file just found under `name`, not opened yet. */
function followed(name: string, stats: BigIntStats, now: number, how: { draining: boolean; firstSight: boolean }): Followed {
  const size = stats.size;
  const f: Followed = { identity: identityOf(stats), name, reader: null, ...how, sizeAtSight: Number(size), restSize: size, restMtime: stats.mtimeMs, lastGrowthAt: now, lastSize: -1, idleChecks: 0, nextPollAt: 0, polledIn: 0, lines: 0, rate: new RateMeter(now) };
  return f;
}

export interface PollResult {
  lines: number;
  more: boolean;
}

export class Tailer implements HintTarget {
  private files = new Map<string, Followed>();
  /** Files another entry reads, by identity key: not looked at again. */
  private refused = new Set<string>();
  private firstScan = true;
  /** Nothing was ever read under this entry when it started: `from` applies to the files found then. */
  private freshEntry = false;
  /** What was last said about a plain path that names no file to read (missing, a directory, ...); null once it does. */
  private absence: Absence | null = null;
  /** Names whose stat fails for a reason other than not existing, with the code logged. */
  private unstattable = new Map<string, string>();
  private stopped = false;
  private nextScanAt = 0;
  private scanChecks = 0;
  /** Earliest time anything of this tailer needs a look. */
  private nextDueAt = 0;
  private reformatPending = false;
  /** Folders a glob covers that cannot be listed, with the code logged. */
  private failedDirs = new Map<string, string>();
  private lastLongLineLog = 0;
  /** The entry's counters (/metrics); the file server gives it a new one when the topic changes. */
  meter: FlowMeter;
  /** Counts polls, so that a file is read at most once in each. */
  private polls = 0;
  /** A hint named something the entry may match but does not follow: look at the names again soon. */
  private rescanHinted = false;
  private lastScanAt = -Infinity;
  /** The names the last glob scan listed: a hint about one of them that is not followed is not news. */
  private listed = new Set<string>();
  /** Followed files by name (see nameKey), for hints; rebuilt when null. */
  private byName: Map<string, Followed> | null = null;
  /** The folders (and names) to ask hints for changed; said to `watch` after the poll. */
  private watchChanged = true;
  private watched = "";

  constructor(
    readonly path: string,
    /** Changing it sends later lines to the new topic (or settings); lines already read keep theirs. */
    public output: Output,
    private options: TailerOptions,
    private readonly log: Logger,
  ) {
    this.meter = flowMeter(path, output.topic);
  }

  /** New tail settings for the same entry: they apply from the next line of each file. */
  set settings(settings: TailSettings) {
    if (settings.signature === this.options.settings.signature) return;
    this.options = { ...this.options, settings };
    this.reformatPending = true;
    this.nextDueAt = 0;
  }

  get settings(): TailSettings {
    return this.options.settings;
  }

  /** Whether poll() would look at anything now (an idle file is looked at less often). */
  due(now: number): boolean {
    return !this.stopped && now >= this.nextDueAt;
  }

  /** When poll() next has something to look at (the earliest due file or rescan). */
  get dueAt(): number {
    return this.stopped ? Infinity : this.nextDueAt;
  }

  /**
   * Something changed in `folder` (an fs.watch event about `name`, or about nothing in particular):
   * what it may concern is looked at in the next poll, not at its turn. Only a hint: polling goes on
   * regardless, so a hint lost or never given costs time, never lines.
   */
  hint(folder: string, name: string | null): void {
    if (this.stopped) return;
    if (name === null) {
      for (const f of this.files.values()) if (nameKey(path.dirname(f.name)) === nameKey(folder)) f.nextPollAt = 0;
      this.rescanHinted = true;
      this.nextDueAt = 0;
      return;
    }
    const file = path.join(folder, name);
    const f = this.followedAs(file);
    if (f) f.nextPollAt = 0;
    else {
      // A name not followed: news only if the entry would take it (a glob's new file, a plain path's file appearing).
      const glob = this.options.settings.glob;
      if (!(glob ? glob.matches(file) && !this.options.settings.excluded(file) && !this.listed.has(file) : nameKey(file) === nameKey(this.path))) return;
      this.rescanHinted = true;
    }
    this.nextDueAt = 0;
  }

  /** Reads what is new, as much as `room` allows. `now` is a monotonic clock in ms. */
  poll(now: number, room: Room, sink: LineSink): PollResult {
    if (!this.due(now)) return { lines: 0, more: false };
    if (this.reformatPending) this.reformat(sink);
    let lines = 0;
    let more = false;
    const poll = ++this.polls;
    if (this.rescanHinted) {
      // At most one hinted scan per poll interval: a glob's scan lists whole folders.
      this.rescanHinted = false;
      this.nextScanAt = Math.min(this.nextScanAt, Math.max(now, this.lastScanAt + this.options.baseIntervalMs));
    }
    if (now >= this.nextScanAt) this.scan(now);
    // Older files first: a file being drained was written before whatever replaced it.
    for (const pass of [true, false]) {
      for (const f of this.files.values()) {
        if (f.draining !== pass || now < f.nextPollAt) continue;
        f.polledIn = poll;
        const r = this.pollFile(f, now, room, sink);
        lines += r.lines;
        more ||= r.more;
      }
    }
    // A name stopped naming its file: look for what it names now (the new file of a rotation, or
    // the same file under another name the glob matches) in this same poll.
    if (now >= this.nextScanAt) {
      this.scan(now);
      for (const f of this.files.values()) {
        if (f.draining || now < f.nextPollAt || f.polledIn === poll) continue;
        f.polledIn = poll;
        const r = this.pollFile(f, now, room, sink);
        lines += r.lines;
        more ||= r.more;
      }
    }
    let next = this.nextScanAt;
    for (const f of this.files.values()) next = Math.min(next, f.nextPollAt);
    this.nextDueAt = next;
    if (this.watchChanged) this.askForHints();
    return { lines, more };
  }

  /** Closes every file this tailer holds. Lines already handed out are not affected. */
  stop(): void {
    this.stopped = true;
    for (const f of this.files.values()) this.drop(f);
    this.files.clear();
    this.options.watch?.drop(this);
  }

  /** How many files this tailer holds open (followed ones and rotated ones still being drained). */
  openFiles(): number {
    let n = 0;
    for (const f of this.files.values()) if (f.reader && !f.reader.closed) n++;
    return n;
  }

  /**
   * The files followed, from what the polls already know: no system call here, so a status of a
   * thousand files costs a walk over memory. `now` is performance.now().
   */
  describeFiles(now: number, out: FileDescription[]): void {
    for (const f of this.files.values()) {
      const saved = f.reader ? null : (this.options.positions.find(f.identity)?.offset ?? f.startAt ?? 0);
      const offset = f.reader?.offset ?? saved!;
      const acked = f.reader?.acked ?? saved!;
      const size = f.lastSize >= 0 ? f.lastSize : f.restSize >= 0n ? Number(f.restSize) : f.sizeAtSight;
      out.push({
        path: f.name,
        entry: this.path,
        topic: this.output.topic,
        offset,
        acked,
        size,
        lagBytes: Math.max(0, size - acked),
        linesPerSecond: Math.round(f.rate.perSecond(f.lines, now) * 10) / 10,
        rotated: f.draining,
        lastError: f.trouble ? f.trouble.words : null,
      });
    }
  }

  /** The entry, with why it collects nothing (or not every file) now. */
  describe(): EntryDescription {
    const errors: string[] = [];
    if (this.absence === "directory") errors.push("the path names a directory, not a file");
    else if (this.absence === "special") errors.push("the path names something that is not a regular file");
    for (const [name, code] of this.unstattable) errors.push(`cannot look at ${name} (${code})`);
    for (const [dir, code] of this.failedDirs) errors.push(`cannot list folder ${dir} (${code})`);
    return { path: this.path, topic: this.output.topic, files: this.files.size, error: errors.length ? errors.join("; ") : null };
  }

  // ---------------------------------------------------------------- hints (fs.watch)

  /** A file was added, forgotten, renamed or started draining: the name index and the folders to watch follow. */
  private filesChanged(): void {
    this.byName = null;
    this.watchChanged = true;
    this.options.changed?.();
  }

  /** The followed file named `file`: the one read under the name now rather than one draining under it. */
  private followedAs(file: string): Followed | undefined {
    if (this.byName === null) {
      this.byName = new Map();
      for (const f of this.files.values()) {
        const key = nameKey(f.name);
        if (!f.draining || !this.byName.has(key)) this.byName.set(key, f);
      }
    }
    return this.byName.get(nameKey(file));
  }

  /**
   * Asks for hints about the folders this entry's files are in: a plain path's folder for its name and
   * the names of the files it still reads; for a glob, every name in its base folder and in each folder
   * holding a file it follows (a glob with a wildcard folder finds its files below its base).
   */
  private askForHints(): void {
    this.watchChanged = false;
    const watch = this.options.watch;
    if (!watch) return;
    const wanted = new Map<string, Wanted>();
    const glob = this.options.settings.glob;
    const add = (file: string) => {
      const dir = path.dirname(path.normalize(file));
      if (glob) wanted.set(dir, "all");
      else {
        const names = wanted.get(dir);
        if (names instanceof Set) names.add(path.basename(file));
        else wanted.set(dir, new Set([path.basename(file)]));
      }
    };
    if (glob) wanted.set(path.normalize(glob.base), "all");
    else add(this.path);
    for (const f of this.files.values()) add(f.name);
    const signature = JSON.stringify([...wanted].map(([dir, names]) => [dir, names === "all" ? names : [...names]]));
    if (signature === this.watched) return;
    this.watched = signature;
    watch.want(this, wanted);
  }

  // ---------------------------------------------------------------- finding files

  /** Finds the files the entry names now: a glob is expanded, a plain path is looked at. */
  private scan(now: number): void {
    const { settings } = this.options;
    const glob = settings.glob;
    let names: string[];
    this.lastScanAt = now;
    if (glob) {
      const result = scanGlob(glob, settings.excluded);
      names = result.files;
      this.listed = new Set(names);
      this.reportFolders(result.errors);
      this.nextScanAt = now + this.options.rescanIntervalMs;
    } else {
      names = [this.path];
    }
    // Decided before any file is opened: each opened file is saved under the entry at once.
    if (this.firstScan) this.freshEntry = this.options.positions.under(this.path).length === 0;
    const byName = new Map<string, Followed>();
    for (const f of this.files.values()) if (!f.draining) byName.set(f.name, f);
    let found = 0;
    /** Why a plain path names no file to read, when it does not. */
    let absence: Absence | null = null;
    for (const name of names) {
      // A followed file still under its name is checked by its own poll; the scan only looks at news.
      if (glob && byName.has(name)) {
        found++;
        continue;
      }
      const stats = lookAt(name);
      if (stats instanceof Error) {
        this.sayUnstattable(name, stats);
        absence = "unstattable";
        continue;
      }
      if (this.unstattable.delete(name)) this.options.changed?.();
      if (!stats?.isFile()) {
        absence = !stats ? "missing" : stats.isDirectory() ? "directory" : "special";
        continue;
      }
      found++;
      this.found(name, stats, now);
    }
    if (this.firstScan) {
      this.firstScan = false;
      this.resumeRotatedWhileDown(now);
    }
    if (!glob) {
      // A plain path is looked at every poll while nothing is followed under it, backing off like an
      // idle file; while a file is followed, that file's own poll notices when the name moves on.
      const followed = [...this.files.values()].some((f) => !f.draining);
      this.scanChecks = followed ? 0 : this.scanChecks + 1;
      this.nextScanAt = followed ? Infinity : now + this.backoff(this.scanChecks);
      if (found === 0 && absence !== null) this.sayAbsent(absence);
    }
  }

  /**
   * Says once why a plain path names no file to read. A directory under a plain path is a mistake in
   * the entry (refused when the list is applied, see tail-settings.ts), but one may appear later.
   */
  private sayAbsent(absence: Absence): void {
    if (absence === this.absence) return;
    this.absence = absence;
    this.options.changed?.();
    const fields = { path: this.path };
    if (absence === "missing") this.log.info("File does not exist yet; waiting for it to appear.", fields);
    else if (absence === "directory") {
      const hint = path.join(this.path, "*.log");
      this.log.warn(`Path names a directory, not a file; nothing is collected under it until a file takes its place. A path without glob characters names one file: to collect the files in this folder, use a glob such as ${hint}.`, fields);
    } else if (absence === "special") this.log.warn("Path names something that is not a regular file (a pipe, socket or device); nothing is collected under it until a file takes its place.", fields);
    // "unstattable": sayUnstattable said why.
  }

  /** Says once per name (and cause) that a name the entry matches cannot be looked at. */
  private sayUnstattable(name: string, err: Error): void {
    const { code, words } = causeOf(err);
    if (this.unstattable.get(name) === code) return;
    this.unstattable.set(name, code);
    this.options.changed?.();
    this.log.warn("Cannot look at file (stat); trying again until it can be, without saying so each time.", { path: this.path, file: name, cause: words, code });
  }

  /** Says once per folder (and cause) that a folder the glob covers cannot be listed, and once when it can again. */
  private reportFolders(errors: { dir: string; error: Error }[]): void {
    const failing = new Set<string>();
    for (const { dir, error } of errors) {
      failing.add(dir);
      const { code, words } = causeOf(error);
      if (this.failedDirs.get(dir) === code) continue;
      this.failedDirs.set(dir, code);
      this.options.changed?.();
      this.log.warn("Cannot list a folder the glob covers; its files are not collected until it can be listed. Trying again at every rescan, without saying so each time.", { path: this.path, folder: dir, cause: words, code });
    }
    for (const dir of this.failedDirs.keys()) {
      if (failing.has(dir)) continue;
      this.failedDirs.delete(dir);
      this.options.changed?.();
      // Not failing any more: listed, unless it is gone (then there is nothing to say).
      if (existsSync(dir)) this.log.info("Folder can be listed again; its files are collected.", { path: this.path, folder: dir });
    }
  }

  /** A name the entry matches names this file. */
  private found(name: string, stats: BigIntStats, now: number): void {
    const identity = identityOf(stats);
    const key = identityKey(identity);
    const known = this.files.get(key);
    if (known) {
      if (known.name !== name || known.draining) this.filesChanged();
      if (known.name !== name) {
        this.log.info("File was renamed to a name this entry also matches; it is the same file and is not read again.", { path: this.path, from: known.name, to: name });
        known.name = name;
      }
      known.draining = false;
      known.nextPollAt = 0;
      return;
    }
    if (this.refused.has(key)) return;
    const other = this.options.claims.claim(identity, this.path);
    if (other !== null) {
      this.refused.add(key);
      this.log.warn("File is already collected by another entry; one file goes to one entry.", { path: this.path, file: name, entry: other });
      return;
    }
    const f = followed(name, stats, now, { draining: false, firstSight: this.firstScan });
    const { ignoreOlderMs } = this.options.settings;
    if (ignoreOlderMs > 0 && Date.now() - Number(stats.mtimeMs) > ignoreOlderMs && !this.options.positions.find(identity)) {
      f.startAt = Number(stats.size);
      this.log.info("Skipping file untouched for longer than ignore_older_s; if it grows, its new lines are read.", { path: this.path, file: name });
    }
    this.files.set(key, f);
    this.filesChanged();
  }

  /**
   * A file read under this entry before a restart, but no longer under any of its names (rotated
   * while the agent was down), still has unsent lines after its saved position. Look for it by
   * identity in the folder it was last seen in (app.log.1, app-2026-11-25.log, ...) and drain it
   * before the files found now.
   */
  private resumeRotatedWhileDown(now: number): void {
    const lost = this.options.positions.under(this.path).filter((p) => !this.files.has(identityKey(p.identity)));
    const byDir = new Map<string, SavedPosition[]>();
    for (const p of lost) {
      const dir = path.dirname(p.file ?? this.path);
      byDir.set(dir, [...(byDir.get(dir) ?? []), p]);
    }
    for (const [dir, saved] of byDir) {
      for (const [name, stats] of filesIn(dir)) {
        const p = saved.find((s) => sameFile(s.identity, identityOf(stats)));
        if (!p || Number(stats.size) <= p.offset || this.options.claims.claim(p.identity, this.path) !== null) continue;
        const f = followed(name, stats, now, { draining: true, firstSight: false });
        f.savedOnly = true;
        // Not opened (no free slot, or it cannot be read now): followed all the same, and opened later.
        if (this.openFile(f, now) === "gone") continue;
        this.log.info("Found a file rotated while the agent was down; sending what was left of it first.", { path: this.path, file: name, offset: f.reader?.offset ?? p.offset });
        // Drained first: insert before the files found by the scan.
        const rest = [...this.files];
        this.files.clear();
        this.files.set(identityKey(p.identity), f);
        for (const [k, v] of rest) this.files.set(k, v);
        this.filesChanged();
      }
    }
  }

  // ---------------------------------------------------------------- reading one file

  private pollFile(f: Followed, now: number, room: Room, sink: LineSink): PollResult {
    let result: PollResult & { size: number } = { lines: 0, more: false, size: -1 };
    let busy = false;
    /** The file's size as the stat of its name just showed it, if it did. */
    let size: number | undefined;
    if (!f.draining) {
      const named = this.stillNamed(f, now);
      if (named === false) busy = true; // moved: drained from now on, looked at every poll
      else if (named !== null) size = Number(named.size);
    }
    if (f.reader === null || f.reader.closed) {
      const woke = this.wake(f, now);
      if (woke === "gone") return { lines: 0, more: false };
    }
    const reader = f.reader;
    if (reader && !reader.closed) {
      result = this.safeRead(f, reader, room, sink, now, size);
      f.lines += result.lines;
      if (result.size !== f.lastSize || result.lines > 0) {
        f.lastSize = result.size;
        f.lastGrowthAt = now;
      }
      busy ||= result.lines > 0 || result.more || reader.holding;
      if (f.draining) {
        busy = true;
        // A file that cannot be read now is not read to its end: it is kept until it can be.
        if (!f.trouble && !result.more && now - f.lastGrowthAt >= this.options.rotateWaitMs && room.lines > 0) {
          const [long, filtered, filteredBytes] = [reader.longLines, reader.filteredLines, reader.filteredBytes];
          result.lines += reader.flushPartial(sink, now);
          this.count(reader, long, filtered, filteredBytes);
          this.log.info("Closed rotated file after reading it to the end.", { path: this.path, file: f.name, offset: reader.offset });
          this.forget(f);
          return result;
        }
        if ((this.options.releaseRotated ?? RELEASE_ROTATED) && !result.more && result.size === reader.offset && !reader.holding) this.rest(f, reader);
      } else if (this.shouldRest(f, reader, now, result)) {
        this.rest(f, reader);
        this.log.debug("Closed inactive file; it is reopened when it grows.", { path: this.path, file: f.name });
      }
    }
    // An idle file is looked at less and less often, down to every idleMaxMs: with a thousand quiet
    // files, polling each at the base rate would cost several percent of a core. Any change (new
    // bytes, a rotation, a file still draining) brings it back to the base rate.
    f.idleChecks = busy ? 0 : f.idleChecks + 1;
    f.nextPollAt = f.trouble ? f.trouble.retryAt : now + this.backoff(f.idleChecks);
    return result;
  }

  /**
   * Whether the file is still under its name: its status if so (null when that cannot be told); if not,
   * false, and it is drained from now on and the names are looked at again.
   */
  private stillNamed(f: Followed, now: number): BigIntStats | null | false {
    const stats = lookAt(f.name);
    // Cannot tell (the folder cannot be searched): an open file goes on being read; a closed one is
    // reported by wake() when it cannot be opened.
    if (stats instanceof Error) return null;
    if (stats && sameFile(identityOf(stats), f.identity)) return stats;
    if (f.reader && !f.reader.closed) {
      this.log.info(stats ? "File was rotated; finishing the old file before following the new one." : "File was removed or renamed; finishing what is left of it.", { path: this.path, file: f.name });
      f.draining = true;
      f.lastGrowthAt = now;
    } else if (f.reader || f.trouble) {
      // Closed while inactive (or not opened yet because it could not be) and then rotated: lines it
      // got before the rotation are in the file under its new name. Find it by identity beside its old name.
      const moved = findByIdentity(path.dirname(f.name), f.identity);
      if (moved) {
        f.name = moved[0];
        f.draining = true;
        f.lastGrowthAt = now;
        if (f.reader) this.log.info("File was rotated while closed as inactive; finishing what is left of it.", { path: this.path, file: f.name });
        else this.log.info("File was rotated before it could be read; it is read under its new name once it can be.", { path: this.path, file: f.name });
      } else {
        f.draining = true; // gone: wake() finds nothing to open and forgets it
      }
    } else {
      f.draining = true;
    }
    this.nextScanAt = Math.min(this.nextScanAt, now);
    if (!this.options.settings.glob) this.absence = null;
    this.filesChanged();
    return false;
  }

  /**
   * Opens a file that has no handle: one found but not opened yet, or one closed as inactive (or
   * skipped by ignore_older) that changed since, or one that could not be opened. Returns "gone"
   * when it is forgotten, "waiting" when no slot is free or it cannot be opened now.
   */
  private wake(f: Followed, now: number): "open" | "resting" | "waiting" | "gone" {
    let stats = lookAt(f.name);
    if (stats instanceof Error) {
      this.cannotRead(f, stats, now);
      return "waiting";
    }
    if ((!stats || !sameFile(identityOf(stats), f.identity)) && f.draining && (f.reader || f.trouble)) {
      // A rotated file let go of (or not opened yet): renamed again (app.log.1 -> app.log.2) or deleted. Find it by identity.
      const moved = findByIdentity(path.dirname(f.name), f.identity);
      if (moved) {
        [f.name, stats] = moved;
        this.filesChanged();
      }
    }
    if (!stats || !sameFile(identityOf(stats), f.identity)) return this.forget(f);
    if (!f.trouble && (f.reader !== null || f.startAt !== undefined) && f.restSize === stats.size && f.restMtime === stats.mtimeMs) {
      // Unchanged since it was read to its end: a rotated one is done once rotate_wait_ms has passed.
      return f.draining && now - f.lastGrowthAt >= this.options.rotateWaitMs ? this.forget(f) : "resting";
    }
    return this.openFile(f, now);
  }

  /** Lets go of the file's handle, remembering its size and mtime to see when it grows. */
  private rest(f: Followed, reader: FileReader): void {
    try {
      const stats = reader.stat();
      f.restSize = stats.size;
      f.restMtime = stats.mtimeMs;
    } catch {
      f.restSize = -1n; // unknown: the next look opens it again
    }
    reader.release();
    this.options.openFiles.give();
  }

  private forget(f: Followed): "gone" {
    if (f.trouble && f.trouble.code !== "EOUTSIDE") {
      const offset = f.reader?.offset ?? this.options.positions.find(f.identity)?.offset ?? 0;
      this.log.error("File is gone before it could be read again: removed, or moved out of its folder; anything it held after the offset was not collected.", { path: this.path, file: f.name, offset });
    }
    this.drop(f);
    this.files.delete(identityKey(f.identity));
    this.filesChanged();
    return "gone";
  }

  /** Whether a followed file's handle should be let go: inactive for close_inactive, or its slot is wanted. */
  private shouldRest(f: Followed, reader: FileReader, now: number, r: PollResult & { size: number }): boolean {
    // A partial last line does not keep a file open: it is read again from `offset` when the file grows.
    if (r.more || reader.holding || r.size < 0) return false;
    const idleFor = now - f.lastGrowthAt;
    const { closeInactiveMs } = this.options.settings;
    if (closeInactiveMs > 0 && idleFor >= closeInactiveMs) return true;
    return this.options.openFiles.wanted() && idleFor >= this.options.idleMaxMs;
  }

  /**
   * Opens `f` and decides where to start: at its saved position if this very file (identity and
   * fingerprint) was read before; by the `from` policy if it was found when the entry started and
   * nothing was ever read under the entry; otherwise (a new file after a rotation, a file that
   * appeared later, a reused inode) at 0. A file closed as inactive is taken back where it was.
   * Returns "waiting" when it is not open now (no free slot, or it cannot be opened: see cannotRead).
   */
  private openFile(f: Followed, now: number): "open" | "waiting" | "gone" {
    if (!this.options.openFiles.take()) {
      this.setWaiting(f, true);
      return "waiting";
    }
    this.setWaiting(f, false);
    let handle: TailHandle | null = null;
    /** The reader `handle` was given to, which closes it from then on. */
    let holder: FileReader | null = null;
    try {
      handle = openTailHandle(f.name, this.options.settings.confine);
      const stats = handle.stat();
      // Identity comes from the open handle, not an earlier stat of the name: if the name was switched
      // in between, this is not the file that was found.
      if (!sameFile(identityOf(stats), f.identity)) {
        handle.close();
        this.options.openFiles.give();
        return "waiting";
      }
      if (f.reader) {
        f.reader.reattach(handle);
        holder = f.reader;
        if (!f.reader.startsWith(f.reader.fingerprint)) {
          // Same inode, other content: the file was deleted and its inode reused while closed. The
          // next look opens it as the new file it is.
          f.reader.close();
          f.reader = null;
          this.options.openFiles.give();
          return "waiting";
        }
        this.readable(f, { path: this.path, file: f.name, offset: f.reader.offset });
        this.options.positions.track(f.reader);
        return "open";
      }
      // A plain path keeps its name on every file it names, so a file's key and `path` header stay the
      // same across rotations (one partition, in order).
      const reader = new FileReader(handle, f.identity, this.options.settings.glob ? f.name : this.path, this.path, this.format());
      holder = reader;
      const start = this.startOf(f, reader, Number(stats.size));
      if (f.savedOnly && start.because !== "saved position") {
        reader.close(); // the same inode now holds another file: not ours to drain
        this.options.openFiles.give();
        f.trouble = undefined;
        return this.forget(f);
      }
      reader.seek(start.offset);
      f.reader = reader;
      this.options.positions.track(reader);
      const fields = { path: this.path, file: f.name, topic: this.output.topic, offset: start.offset, size: Number(stats.size), because: start.because };
      if (f.trouble) this.readable(f, fields);
      else if (!f.draining) this.log.info("Following file.", fields);
      if (!f.draining) this.absence = null;
      return "open";
    } catch (err) {
      if (holder) holder.release();
      else handle?.close();
      this.options.openFiles.give();
      this.cannotRead(f, err, now);
      return "waiting";
    }
  }

  /** Where a file opened for the first time starts, and why (see openFile). */
  private startOf(f: Followed, reader: FileReader, size: number): { offset: number; because: string } {
    const saved = this.options.positions.find(f.identity);
    if (saved && reader.startsWith(saved.fingerprint)) {
      return saved.offset <= size ? { offset: saved.offset, because: "saved position" } : { offset: 0, because: "saved position is past the end (truncated while down)" };
    }
    if (saved) return { offset: 0, because: "inode reused by a different file" };
    if (f.startAt !== undefined) return { offset: f.startAt <= size ? f.startAt : 0, because: "skipped by ignore_older_s, then grew" };
    if (f.firstSight && this.freshEntry) {
      // `end` is where the file ended when it was found: lines written while it waited for a slot or
      // could not be opened are new, and read.
      const offset = this.options.settings.from === "end" ? (f.sizeAtSight <= size ? f.sizeAtSight : 0) : 0;
      return { offset, because: `from = ${this.options.settings.from}` };
    }
    return { offset: 0, because: "new file" };
  }

  /**
   * `f` cannot be opened or read. The first failure, or one with another cause, is a warning naming
   * the file and the cause; later ones only move the next try back, up to idle_poll_max_ms: the
   * agent already promises to look at a quiet file that often, and a failed open costs no more than
   * the stat such a look costs. Nothing is lost: the position is kept.
   */
  private cannotRead(f: Followed, err: unknown, now: number): void {
    const { code, words } = causeOf(err);
    const opened = f.reader !== null && !f.reader.closed;
    if (code === "ENOENT" && !opened) return; // gone between the stat and the open: the next look at its name sees it
    if (f.trouble?.code !== code) {
      const offset = f.reader?.offset ?? this.options.positions.find(f.identity)?.offset;
      const fields = { path: this.path, file: f.name, cause: words, code, offset };
      if (err instanceof OutsideAllowedPaths) {
        this.log.warn("File is not read: a link, or a linked folder, in its path leads outside the allowed paths. Looked at again in case the link changes, without saying so each time.", { path: this.path, file: f.name, target: err.realPath, rule: this.options.settings.confine?.rule });
      } else if (opened) this.log.warn("Cannot read file; trying again until it can be, without saying so each time. Nothing is lost: it is read from where it was.", fields);
      else this.log.warn("Cannot open file; trying again until it can be, without saying so each time. Nothing is lost: it is read from where it was.", fields);
      f.trouble = { code, words, backoff: new Backoff(this.options.baseIntervalMs, this.options.idleMaxMs), retryAt: 0 };
      this.options.changed?.();
    } else {
      f.trouble.backoff = f.trouble.backoff.next();
      this.log.debug(opened ? "Still cannot read file." : "Still cannot open file.", { path: this.path, file: f.name, code });
    }
    f.trouble.retryAt = now + f.trouble.backoff.delayMs();
  }

  /** `f` was opened or read after it could not be: said once, with the offset reading goes on from. */
  private readable(f: Followed, fields: Record<string, unknown>): void {
    if (!f.trouble) return;
    f.trouble = undefined;
    this.options.changed?.();
    this.log.info("File can be read now; reading from where it was.", fields);
  }

  private safeRead(f: Followed, reader: FileReader, room: Room, sink: LineSink, now: number, size?: number): PollResult & { size: number } {
    try {
      const before = reader.longLines;
      const filtered = reader.filteredLines;
      const filteredBytes = reader.filteredBytes;
      const offset = reader.offset;
      const r = reader.read(room, sink, now, size);
      this.count(reader, before, filtered, filteredBytes);
      this.readable(f, { path: this.path, file: f.name, offset });
      if (r.truncated) this.log.warn("File was truncated; reading it again from the start.", { path: this.path, file: f.name });
      if (reader.longLines !== before && now - this.lastLongLineLog >= 10_000) {
        this.lastLongLineLog = now;
        const { maxLineBytes, longLines } = this.options.settings;
        this.log.warn(`Lines longer than max_line_bytes were ${longLines === "split" ? "split" : "truncated"}.`, { path: this.path, file: f.name, max_line_bytes: maxLineBytes, lines_so_far: reader.longLines });
      }
      return r;
    } catch (err) {
      // The handle is kept: a region locked by the writer (Windows LockFileEx) can be read through it
      // once unlocked.
      this.cannotRead(f, err, now);
      return { lines: 0, more: false, size: -1 };
    }
  }

  /** What a read filtered out or cut, added to the entry's counters once per read rather than per line. */
  private count(reader: FileReader, longBefore: number, filteredBefore: number, filteredBytesBefore: number): void {
    if (reader.filteredLines !== filteredBefore) {
      this.meter.filteredLines.inc(reader.filteredLines - filteredBefore);
      this.meter.filteredBytes.inc(reader.filteredBytes - filteredBytesBefore);
    }
    if (reader.longLines !== longBefore) (this.options.settings.longLines === "split" ? this.meter.splitLines : this.meter.truncatedLines).inc(reader.longLines - longBefore);
  }

  private reformat(sink: LineSink): void {
    this.reformatPending = false;
    const format = this.format();
    for (const f of this.files.values()) f.reader?.reformat(format, sink);
  }

  private format(): ReaderFormat {
    const { maxLineBytes, longLines, lines } = this.options.settings;
    return { maxLineBytes, longLines, lines };
  }

  private setWaiting(f: Followed, waiting: boolean): void {
    if (Boolean(f.waiting) === waiting) return;
    f.waiting = waiting;
    this.options.openFiles.wait(waiting);
  }

  /** Closes the file (if open) and gives its slot and claim back. */
  private drop(f: Followed): void {
    this.setWaiting(f, false);
    if (f.reader && !f.reader.closed) this.options.openFiles.give();
    f.reader?.close();
    this.options.claims.release(f.identity, this.path);
  }

  private backoff(idleChecks: number): number {
    return idleChecks <= IDLE_CHECKS_AT_BASE_RATE ? 0 : Math.min(this.options.idleMaxMs, this.options.baseIntervalMs * 2 ** (idleChecks - IDLE_CHECKS_AT_BASE_RATE));
  }
}

/** The status of what `name` names: null when nothing is there, the error when it cannot be looked at. */
function lookAt(name: string): BigIntStats | null | Error {
  try {
    return statSync(name, { bigint: true, throwIfNoEntry: false }) ?? null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === "ENOENT" || code === "ENOTDIR" ? null : (err as Error);
  }
}

/** The file in `dir` that is `identity`, under whatever name it has now. */
function findByIdentity(dir: string, identity: FileIdentity): [string, BigIntStats] | undefined {
  return filesIn(dir).find(([, s]) => sameFile(identityOf(s), identity));
}

/** The regular files in `dir` with their status; an unreadable folder has none. */
function filesIn(dir: string): [string, BigIntStats][] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: [string, BigIntStats][] = [];
  for (const name of names) {
    const full = path.join(dir, name);
    try {
      const s = statSync(full, { bigint: true });
      if (s.isFile()) out.push([full, s]);
    } catch {
      // vanished between readdir and stat
    }
  }
  return out;
}
