// Inode reuse on demand. Once a file is deleted and no process holds it open,
// ext4 (and most Unix filesystems) hands its inode number to the next file
// created nearby: the situation behind elastic/beats#1341 and
// fluent/fluent-bit#4895, where a new file looked like an old one that grew.
import { renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

export function inodeOf(file: string): bigint {
  return statSync(file, { bigint: true }).ino;
}

/**
 * Creates `file` holding `content` on inode `ino` (a deleted file's), then returns.
 *
 * New files are probed beside `file` under dot-names no test glob matches; each probe that gets
 * another inode is held, so the next probe gets the next free one, until one lands on `ino`. That one
 * is filled and renamed to `file`, so the path never names a probe with the wrong inode. Retries until
 * `timeoutMs`: while the agent still holds the deleted file open (draining it), its inode is not free.
 * Any process creating a file in the same block group once it is free may take it first, so the
 * probes run every few milliseconds, and callers avoid creating files nearby meanwhile.
 */
export async function createWithInode(file: string, ino: bigint, content: string | Uint8Array, timeoutMs = 20_000): Promise<void> {
  const dir = path.dirname(file);
  const deadline = Date.now() + timeoutMs;
  let n = 0;
  let tries = 0;
  let last = 0n;
  while (Date.now() < deadline) {
    tries++;
    const held: string[] = [];
    try {
      for (let i = 0; i < 200; i++) {
        const probe = path.join(dir, `.inode-probe-${n++}`);
        writeFileSync(probe, "");
        const got = (last = inodeOf(probe));
        if (got === ino) {
          writeFileSync(probe, content); // O_TRUNC: same inode
          renameSync(probe, file);
          return;
        }
        held.push(probe);
        // Free inodes are handed out lowest first within a block group: past `ino`, it is not free yet.
        if (got > ino && got - ino < 100_000n) break;
      }
    } finally {
      for (const p of held) rmSync(p, { force: true });
    }
    await Bun.sleep(2);
  }
  throw new Error(`could not create ${file} on inode ${ino} within ${timeoutMs} ms (${tries} rounds of probes, the last got inode ${last}); is the old file still open, or the filesystem not one that reuses inodes?`);
}
