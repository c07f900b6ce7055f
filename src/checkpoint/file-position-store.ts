// Positions in state_dir: a snapshot and a journal.
//
// The snapshot, checkpoints.json, is versioned JSON written to a temporary
// file, fsynced, then renamed over the old one, every checkpoint_interval_ms.
// On start the temporary file is read first: if a crash came after its fsync
// but before the rename, it is the newest complete state; if it is torn, the
// previous file is still whole.
//
// Between snapshots, every position Kafka's acknowledgements move is appended
// to a journal (positions.N.journal, one JSON line per position) with a plain
// write, no fsync: the page cache outlives a killed process, so after kill -9
// the agent resumes exactly where Kafka's last acknowledgement left each file
// and sends again only what was in flight. (After a machine crash the
// unsynced journal may be lost or torn: the snapshot, fsynced at every
// interval, is what is left, as before the journal existed.)
//
// Each snapshot names the last journal generation it contains. Taking a
// snapshot first starts a new generation (in the same tick as the positions
// are read, so no record falls between), and the older journals are deleted
// once the snapshot is durable. A crash between the two leaves journals the
// snapshot already contains; they are skipped on start by their generation,
// so an older record never overrides a newer snapshot.
import { closeSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { mkdir, open, rename } from "node:fs/promises";
import path from "node:path";
import { identityKey } from "../tail/file-identity";
import type { Logger } from "../telemetry/logger";
import type { PositionStore, SavedPosition } from "./saved-position";

const VERSION = 1;

/** One file's position as the snapshot and the journal write it. */
interface FileEntry {
  dev: string;
  ino: string;
  fingerprint: { bytes: number; hash: string };
  offset: number;
  path: string;
  /** Added with globs; older files lack it. */
  file?: string;
  seen_at: number;
}

interface FileFormat {
  version: number;
  /** The last journal generation the snapshot contains; absent in snapshots written before the journal. */
  journal?: number;
  files: FileEntry[];
}

/** A position from its JSON form; throws when it is malformed. */
function decodeEntry(f: FileEntry, where: string): SavedPosition {
  if (typeof f?.offset !== "number" || typeof f.path !== "string" || typeof f.fingerprint?.hash !== "string") {
    throw new Error(`${where} is malformed`);
  }
  return {
    identity: { dev: BigInt(f.dev), ino: BigInt(f.ino) },
    fingerprint: { bytes: f.fingerprint.bytes, hash: f.fingerprint.hash },
    offset: f.offset,
    path: f.path,
    ...(typeof f.file === "string" ? { file: f.file } : {}),
    seenAt: f.seen_at,
  };
}

/** A position in its JSON form (the snapshot's and the journal's). */
function encodeEntry(p: SavedPosition): FileEntry {
  return {
    dev: p.identity.dev.toString(),
    ino: p.identity.ino.toString(),
    fingerprint: p.fingerprint,
    offset: p.offset,
    path: p.path,
    ...(p.file !== undefined ? { file: p.file } : {}),
    seen_at: p.seenAt,
  };
}

function decode(text: string): { positions: SavedPosition[]; journal: number } {
  const data = JSON.parse(text) as FileFormat;
  if (data?.version !== VERSION || !Array.isArray(data.files)) throw new Error(`not a version ${VERSION} checkpoint file`);
  return { positions: data.files.map((f, i) => decodeEntry(f, `entry ${i}`)), journal: typeof data.journal === "number" ? data.journal : 0 };
}

function encode(positions: SavedPosition[], journal: number): string {
  const data: FileFormat = { version: VERSION, journal, files: positions.map(encodeEntry) };
  return JSON.stringify(data, null, 1) + "\n";
}

const JOURNAL_NAME = /^positions\.(\d+)\.journal$/;

export class FilePositionStore implements PositionStore {
  readonly file: string;
  private readonly tmp: string;
  /** The journal generation being written, and its descriptor (opened at the first record). */
  private generation = 1;
  private fd: number | null = null;
  private journalFailing = false;

  constructor(
    private readonly stateDir: string,
    private readonly log: Logger,
  ) {
    this.file = path.join(stateDir, "checkpoints.json");
    this.tmp = this.file + ".tmp";
  }

  get description(): string {
    return this.file;
  }

  /** The snapshot, with the journals written after it replayed over it (a later record of a file wins). */
  async load(): Promise<SavedPosition[]> {
    const snapshot = this.loadSnapshot();
    const byKey = new Map(snapshot.positions.map((p) => [identityKey(p.identity), p]));
    const journals = this.journals();
    let replayed = 0;
    for (const [gen, file] of journals) {
      if (gen <= snapshot.journal) continue; // already in the snapshot (a crash came before it was deleted)
      for (const p of this.readJournal(file)) {
        byKey.set(identityKey(p.identity), p);
        replayed++;
      }
    }
    if (replayed > 0) this.log.info("Positions acknowledged after the last checkpoint were recovered from the journal.", { records: replayed });
    // New records go to a generation after every one found, so that none is named by an older snapshot.
    this.generation = Math.max(snapshot.journal, ...journals.map(([g]) => g)) + 1;
    return [...byKey.values()];
  }

  /**
   * Appends positions Kafka's acknowledgements just moved: one write, no fsync (see the header).
   * A failure is said once and otherwise ignored: the next snapshot has the positions anyway. The
   * journal is opened again at the next record, which starts on a new line: a write cut short (a
   * full disk) leaves a torn record that must not swallow the next one.
   */
  record(positions: SavedPosition[]): void {
    if (positions.length === 0) return;
    let text = this.journalFailing ? "\n" : "";
    for (const p of positions) text += JSON.stringify(encodeEntry(p)) + "\n";
    try {
      this.fd ??= openSync(this.journalFile(this.generation), "a");
      const bytes = Buffer.from(text);
      for (let done = 0; done < bytes.length; ) done += writeSync(this.fd, bytes, done);
      this.journalFailing = false;
    } catch (err) {
      if (!this.journalFailing) this.log.warn("Cannot write the positions journal; after a crash, lines acknowledged since the last checkpoint would be sent again.", { file: this.journalFile(this.generation), error: err });
      this.journalFailing = true;
      try {
        this.close();
      } catch {
        // the descriptor is unusable anyway
      }
    }
  }

  // Asynchronous on purpose: an fsync can take long on a busy disk, and the event loop also polls files.
  async save(positions: SavedPosition[]): Promise<void> {
    // A new generation before anything is awaited: `positions` were read in this same tick, so they
    // hold every record of the generations up to `done`, and none after.
    const done = this.roll();
    await mkdir(this.stateDir, { recursive: true });
    const file = await open(this.tmp, "w");
    try {
      await file.writeFile(encode(positions, done));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(this.tmp, this.file);
    // The rename itself is durable only once the folder is synced (not possible, nor needed, on Windows).
    if (process.platform !== "win32") {
      const dir = await open(this.stateDir, "r");
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    }
    for (const [gen, f] of this.journals()) {
      if (gen > done) continue;
      try {
        unlinkSync(f);
      } catch {
        // gone already, or not deletable now: skipped on start by its generation anyway
      }
    }
  }

  /** Closes the journal being written (at shutdown, after the last snapshot). */
  close(): void {
    const fd = this.fd;
    this.fd = null;
    if (fd !== null) closeSync(fd);
  }

  /** Starts the next journal generation; returns the one that was being written. */
  private roll(): number {
    this.close();
    return this.generation++;
  }

  private journalFile(gen: number): string {
    return path.join(this.stateDir, `positions.${gen}.journal`);
  }

  /** The journals in state_dir, oldest generation first. */
  private journals(): [number, string][] {
    let names: string[];
    try {
      names = readdirSync(this.stateDir);
    } catch {
      return [];
    }
    return names
      .flatMap((n): [number, string][] => {
        const m = JOURNAL_NAME.exec(n);
        return m ? [[Number(m[1]), path.join(this.stateDir, n)]] : [];
      })
      .sort((a, b) => a[0] - b[0]);
  }

  /** A journal's records; a torn or unreadable line (a machine crash mid-write) is passed over. */
  private readJournal(file: string): SavedPosition[] {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      this.log.warn("Cannot read a positions journal; positions acknowledged since the last checkpoint may be sent again.", { file, error: err });
      return [];
    }
    const out: SavedPosition[] = [];
    for (const line of text.split("\n")) {
      if (!line) continue;
      try {
        out.push(decodeEntry(JSON.parse(line) as FileEntry, "journal record"));
      } catch {
        // torn by a crash of the machine; the records before it count
      }
    }
    return out;
  }

  private loadSnapshot(): { positions: SavedPosition[]; journal: number } {
    for (const [file, isTmp] of [[this.tmp, true], [this.file, false]] as const) {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
        this.log.warn("Cannot read the checkpoint file; files without a saved position start by the `from` policy.", { file, error: err });
        continue;
      }
      try {
        const snapshot = decode(text);
        if (isTmp) this.log.info("Recovered positions from a checkpoint write that was interrupted.", { file });
        return snapshot;
      } catch (err) {
        if (isTmp) continue; // a torn temporary file: the previous complete file is what counts
        this.log.warn("Checkpoint file is corrupt or truncated; ignoring it. Files start by the `from` policy.", { file, error: err });
      }
    }
    return { positions: [], journal: 0 };
  }
}
