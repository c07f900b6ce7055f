import type { FileIdentity, Fingerprint } from "../tail/file-identity";

/** What is remembered about one file: where its next unacknowledged line starts. */
export interface SavedPosition {
  identity: FileIdentity;
  fingerprint: Fingerprint;
  /** Every line before this byte offset has been acknowledged by Kafka. */
  offset: number;
  /** The collect entry's path (or glob) the file was read under. */
  path: string;
  /** The file's own name when it was found; a file rotated while the agent was down is looked for beside it. Absent in positions saved by 0.x before globs. */
  file?: string;
  /** When the file was last seen open, in ms since the epoch; old entries are forgotten. */
  seenAt: number;
}

/**
 * Where positions are kept. The file store is the default; an exactly-once mode
 * can keep them in Kafka instead, committed with the records.
 */
export interface PositionStore {
  /** Names the store in log lines, e.g. its file. */
  readonly description: string;
  /** The saved positions; unreadable or corrupt content gives a warning and an empty list, never an error. */
  load(): Promise<SavedPosition[]>;
  /** Writes every position, durably (the checkpoint). */
  save(positions: SavedPosition[]): Promise<void>;
  /** Notes positions just moved, cheaply and at once (a journal), so that a crash before the next `save` keeps them. */
  record?(positions: SavedPosition[]): void;
  /** No more records (after the last `save`). */
  close?(): void;
}
