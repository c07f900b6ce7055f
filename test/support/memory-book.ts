// Saved positions kept in memory, as the Checkpointer keeps them between saves, for Tailer tests.
import type { SavedPosition } from "../../src/checkpoint/saved-position";
import { sameFile, type FileIdentity } from "../../src/tail/file-identity";
import type { TrackedFile } from "../../src/checkpoint/tracked-file";
import type { PositionBook } from "../../src/tail/tailer";

export class MemoryBook implements PositionBook {
  readers: TrackedFile[] = [];
  saved: SavedPosition[] = [];
  find = (id: FileIdentity) => this.saved.find((p) => sameFile(p.identity, id));
  under = (p: string) => this.saved.filter((s) => s.path === p);
  track = (r: TrackedFile) => void this.readers.push(r);
  /** What a checkpoint would hold now. */
  snapshot(): SavedPosition[] {
    return this.readers.map((r) => ({ identity: r.identity, fingerprint: r.refreshFingerprint(), offset: r.offset, path: r.entryPath, file: r.path, seenAt: 0 }));
  }
}
