// A file is identified by (device, inode), never by its path: after a rename
// rotation the same path names another file, and the old file lives on under
// a new name. Numbers are bigints because NTFS file ids exceed 2^53.
import type { BigIntStats } from "node:fs";

export interface FileIdentity {
  dev: bigint;
  ino: bigint;
}

export function identityOf(stats: BigIntStats): FileIdentity {
  return { dev: stats.dev, ino: stats.ino };
}

export function sameFile(a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

export function identityKey(id: FileIdentity): string {
  return `${id.dev}:${id.ino}`;
}
