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
//
// A file an entry from etcd names may be a link, or lie below a linked folder,
// that points out of [agent] allow_paths: such an entry is confined, and its
// file's real path is resolved and checked here, before it is opened (opening
// a device or a FIFO can block or have effects), then the opened file is
// checked to be the one that was resolved, so that a link switched in between
// cannot slip another file in.
import { closeSync, fstatSync, openSync, readSync, realpathSync, statSync, type BigIntStats } from "node:fs";

export interface TailHandle {
  /** Positioned read into `buf[offset, offset + length)`; returns the bytes read, 0 at the end. */
  read(buf: Uint8Array, offset: number, length: number, position: number): number;
  /** The open file's status (size, identity, mtime), through the handle rather than the path. */
  stat(): BigIntStats;
  close(): void;
}

/** Which real paths a confined entry may open (discovery/allow-paths.ts). */
export interface Confinement {
  /** Whether the file whose real path (links resolved) is `realPath` may be read. */
  allows(realPath: string): boolean;
  /** The rule, as the log names it: `[agent] allow_paths ("/var/log/**")`. */
  readonly rule: string;
}

/** A confined file's real path is outside what it may read. */
export class OutsideAllowedPaths extends Error {
  override readonly name = "OutsideAllowedPaths" as const;
  readonly code = "EOUTSIDE";
  constructor(
    readonly file: string,
    readonly realPath: string,
    rule: string,
  ) {
    super(`its real path ${realPath} is outside ${rule}`);
  }
}

/**
 * Opens `file` for reading; throws a Node-style error (with `code`) when it cannot, and an
 * OutsideAllowedPaths when `confine` refuses its real path.
 */
export function openTailHandle(file: string, confine?: Confinement): TailHandle {
  const real = confine ? realpathSync.native(file) : "";
  if (confine && !confine.allows(real)) throw new OutsideAllowedPaths(file, real, confine.rule);
  const fd = openSync(file, "r");
  if (confine) {
    // The name may have been switched between realpath and open: then what is open is not what was checked.
    // ENOENT, as for a file gone between a stat and an open: the tailer looks at the name again, quietly.
    const opened = fstatSync(fd, { bigint: true });
    const checked = statSync(real, { bigint: true, throwIfNoEntry: false });
    if (!checked || checked.dev !== opened.dev || checked.ino !== opened.ino) {
      closeSync(fd);
      throw Object.assign(new Error(`${file} changed while it was opened`), { code: "ENOENT" });
    }
  }
  return {
    read: (buf, offset, length, position) => readSync(fd, buf, offset, length, position),
    stat: () => fstatSync(fd, { bigint: true }),
    close: () => closeSync(fd),
  };
}
