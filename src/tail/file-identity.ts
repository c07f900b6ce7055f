// A file is identified by (device, inode), never by its path: after a rename
// rotation the same path names another file, and the old file lives on under
// a new name. Numbers are bigints because NTFS file ids exceed 2^53.
//
// An inode number is reused once its file is deleted, so a saved position is
// only trusted when the file's first bytes (up to 1 KiB, however many exist)
// still hash to the fingerprint saved with it.
import type { BigIntStats } from "node:fs";

export interface FileIdentity {
  dev: bigint;
  ino: bigint;
}

export const FINGERPRINT_BYTES = 1024;

export interface Fingerprint {
  /** How many leading bytes the hash covers: fewer than FINGERPRINT_BYTES while the file is smaller. */
  bytes: number;
  hash: string;
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

export function fingerprintOf(head: Uint8Array): Fingerprint {
  return { bytes: head.length, hash: Bun.hash.wyhash(head).toString(16) };
}

/** Whether `head` (the file's first bytes now) begins with the bytes `saved` was taken from. */
export function fingerprintMatches(saved: Fingerprint, head: Uint8Array): boolean {
  return head.length >= saved.bytes && fingerprintOf(head.subarray(0, saved.bytes)).hash === saved.hash;
}
