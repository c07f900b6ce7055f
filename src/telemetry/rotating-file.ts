// An append-only file that rotates by size: when a write would take NAME.log past max bytes,
// NAME.log becomes NAME.log.1, NAME.log.1 becomes NAME.log.2 and so on up to `keep`; older ones
// are deleted (also those left by an earlier run with a larger `keep`). keep = 0 truncates and
// starts again. The descriptor stays open and the size is counted, so a line costs one write and
// no stat. Rotation closes the file before renaming it: Windows refuses to rename a file that is
// open without FILE_SHARE_DELETE. If a rename still fails (a viewer holds the file open without
// sharing on Windows), the file keeps growing and rotation is tried again after another max bytes.
import { closeSync, constants, fstatSync, mkdirSync, openSync, readdirSync, renameSync, unlinkSync } from "node:fs";
import path from "node:path";
import { errorCode, writeFully } from "./write-fully";

export interface RotationOptions {
  path: string;
  /** Rotate when a write would take the file past this many bytes. */
  maxBytes: number;
  /** Rotated files kept beside the current one. */
  keep: number;
}

export class RotatingFile {
  private fd: number | null = null;
  private size = 0;
  /** Set after a failed rotation: no new try until the file has grown to this size. */
  private nextTryAt = 0;

  /** Opens (and creates, with its folder) the file; throws if it cannot. */
  constructor(
    readonly options: RotationOptions,
    /** Told when a rotation failed and the file goes on growing; called after the write. */
    private readonly onRotationFailed: (err: unknown) => void = () => {},
  ) {
    this.open("a");
  }

  get isOpen(): boolean {
    return this.fd !== null;
  }

  /** Appends text, rotating first when it would not fit. Throws when the file cannot be written. */
  append(text: string): void {
    const bytes = Buffer.from(text);
    let rotationError: unknown;
    if (this.fd === null) this.open("a");
    else if (this.size > 0 && this.size + bytes.length > this.options.maxBytes && this.size >= this.nextTryAt) {
      rotationError = this.rotate();
    }
    writeFully(this.fd!, bytes);
    this.size += bytes.length;
    if (rotationError !== undefined) this.onRotationFailed(rotationError);
  }

  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    closeSync(fd);
  }

  /** Names of the rotated files, `NAME.log.1` first. */
  rotatedName(n: number): string {
    return `${this.options.path}.${n}`;
  }

  private open(flags: "a" | "w"): void {
    mkdirSync(path.dirname(this.options.path), { recursive: true });
    // Non-blocking, then checked: opening a FIFO for writing would otherwise wait for a reader for ever.
    const { O_WRONLY, O_CREAT, O_APPEND, O_TRUNC, O_NONBLOCK } = constants;
    const fd = openSync(this.options.path, O_WRONLY | O_CREAT | (flags === "a" ? O_APPEND : O_TRUNC) | (O_NONBLOCK ?? 0));
    const stats = fstatSync(fd);
    if (!stats.isFile()) {
      closeSync(fd);
      throw new Error(`${this.options.path} is not a regular file`);
    }
    this.fd = fd;
    this.size = flags === "w" ? 0 : stats.size;
  }

  /** Returns the error when the files could not be shifted; the current file is open again either way. */
  private rotate(): unknown {
    this.close();
    const { keep } = this.options;
    try {
      this.deleteBeyond(keep);
      for (let n = keep - 1; n >= 1; n--) renameIfThere(this.rotatedName(n), this.rotatedName(n + 1));
      if (keep > 0) renameSync(this.options.path, this.rotatedName(1));
      this.open(keep > 0 ? "a" : "w");
      this.nextTryAt = 0;
      return undefined;
    } catch (err) {
      this.open("a");
      this.nextTryAt = this.size + this.options.maxBytes;
      return err;
    }
  }

  /** Deletes NAME.log.N for every N >= keep: the one about to be pushed out and strays. */
  private deleteBeyond(keep: number): void {
    const dir = path.dirname(this.options.path);
    const prefix = path.basename(this.options.path) + ".";
    for (const name of readdirSync(dir)) {
      if (!name.startsWith(prefix)) continue;
      const n = name.slice(prefix.length);
      if (/^[1-9]\d*$/.test(n) && Number(n) >= Math.max(keep, 1)) unlinkIfThere(path.join(dir, name));
    }
  }
}

function renameIfThere(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    if (errorCode(err) !== "ENOENT") throw err;
  }
}

function unlinkIfThere(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    if (errorCode(err) !== "ENOENT") throw err;
  }
}
