// How a tailed file is opened and read. Reading must never stop the writing
// application from renaming or deleting its file (on Windows this depends on
// the share mode the file is opened with), so every open goes through here.
//
// On Windows, Bun's openSync shares read, write and delete (libuv's fs__open:
// FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE), so a writer can
// rename and delete a file we hold; test/e2e/windows-sharing.test.ts checks it
// under Wine. What sharing cannot help: a file deleted while we hold it keeps
// its name ("delete pending") until we close it, so it must not stay open long
// after it has been read to its end. Nor can it help when the writer itself
// does not share its file (share mode 0): the open fails with EBUSY, and the
// tailer tries again until it can (tailer.ts, windows-locked.test.ts).
import { closeSync, fstatSync, openSync, readSync, type BigIntStats } from "node:fs";

export interface TailHandle {
  /** Positioned read into `buf[offset, offset + length)`; returns the bytes read, 0 at the end. */
  read(buf: Uint8Array, offset: number, length: number, position: number): number;
  /** The open file's status (size, identity, mtime), through the handle rather than the path. */
  stat(): BigIntStats;
  close(): void;
}

/** Opens `file` for reading; throws a Node-style error (with `code`) when it cannot. */
export function openTailHandle(file: string): TailHandle {
  const fd = openSync(file, "r");
  return {
    read: (buf, offset, length, position) => readSync(fd, buf, offset, length, position),
    stat: () => fstatSync(fd, { bigint: true }),
    close: () => closeSync(fd),
  };
}
