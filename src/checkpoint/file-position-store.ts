// Positions in state_dir/checkpoints.json: versioned JSON, written to a
// temporary file, fsynced, then renamed over the old one. On start the
// temporary file is read first: if a crash came after its fsync but before
// the rename, it is the newest complete state; if it is torn, the previous
// file is still whole.
import { readFileSync } from "node:fs";
import { mkdir, open, rename } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../telemetry/logger";
import type { PositionStore, SavedPosition } from "./saved-position";

const VERSION = 1;

interface FileFormat {
  version: number;
  files: {
    dev: string;
    ino: string;
    fingerprint: { bytes: number; hash: string };
    offset: number;
    path: string;
    /** Added with globs; older files lack it. */
    file?: string;
    seen_at: number;
  }[];
}

function decode(text: string): SavedPosition[] {
  const data = JSON.parse(text) as FileFormat;
  if (data?.version !== VERSION || !Array.isArray(data.files)) throw new Error(`not a version ${VERSION} checkpoint file`);
  return data.files.map((f, i) => {
    if (typeof f.offset !== "number" || typeof f.path !== "string" || typeof f.fingerprint?.hash !== "string") {
      throw new Error(`entry ${i} is malformed`);
    }
    return {
      identity: { dev: BigInt(f.dev), ino: BigInt(f.ino) },
      fingerprint: { bytes: f.fingerprint.bytes, hash: f.fingerprint.hash },
      offset: f.offset,
      path: f.path,
      ...(typeof f.file === "string" ? { file: f.file } : {}),
      seenAt: f.seen_at,
    };
  });
}

function encode(positions: SavedPosition[]): string {
  const data: FileFormat = {
    version: VERSION,
    files: positions.map((p) => ({
      dev: p.identity.dev.toString(),
      ino: p.identity.ino.toString(),
      fingerprint: p.fingerprint,
      offset: p.offset,
      path: p.path,
      ...(p.file !== undefined ? { file: p.file } : {}),
      seen_at: p.seenAt,
    })),
  };
  return JSON.stringify(data, null, 1) + "\n";
}

export class FilePositionStore implements PositionStore {
  readonly file: string;
  private readonly tmp: string;

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

  async load(): Promise<SavedPosition[]> {
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
        const positions = decode(text);
        if (isTmp) this.log.info("Recovered positions from a checkpoint write that was interrupted.", { file });
        return positions;
      } catch (err) {
        if (isTmp) continue; // a torn temporary file: the previous complete file is what counts
        this.log.warn("Checkpoint file is corrupt or truncated; ignoring it. Files start by the `from` policy.", { file, error: err });
      }
    }
    return [];
  }

  // Asynchronous on purpose: an fsync can take long on a busy disk, and the event loop also polls files.
  async save(positions: SavedPosition[]): Promise<void> {
    await mkdir(this.stateDir, { recursive: true });
    const file = await open(this.tmp, "w");
    try {
      await file.writeFile(encode(positions));
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
  }
}
