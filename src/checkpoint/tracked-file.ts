// What the checkpointer needs from a file being read: its identity and names,
// and two offsets. A tailer's reader is one; the checkpointer never sees more
// of it, so saving positions depends on nothing in tail/ but file identity.
import type { FileIdentity, Fingerprint } from "../tail/file-identity";

export interface TrackedFile {
  readonly identity: FileIdentity;
  /** The file's own name when it was found. */
  readonly path: string;
  /** The collect entry's path (or glob) it was found under. */
  readonly entryPath: string;
  /** Every line before this offset is acknowledged by Kafka: the position to save. */
  readonly acked: number;
  /** Where the next line to hand out starts: an entry that takes the file over resumes here. */
  readonly offset: number;
  /** No handle is held; a closed file whose lines are all acknowledged is not followed any more. */
  readonly closed: boolean;
  /** The fingerprint of the file's first bytes, grown as the file grows (see file-identity.ts). */
  refreshFingerprint(): Fingerprint;
}
