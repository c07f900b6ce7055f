// Synchronous writes for the log. A log line must be out before a crash that follows it, and
// process.stderr.write is asynchronous: on a broken pipe it fails later, where no caller can catch
// it, and the process exits 1 (seen with Bun 1.4.5). fs.writeSync throws here and now instead.
import { writeSync } from "node:fs";

const pause = new Int32Array(new SharedArrayBuffer(4));
const AGAIN_TRIES = 100;

/** Writes every byte or throws. EAGAIN (a full non-blocking pipe) is retried for about 100 ms. */
export function writeFully(fd: number, text: string | Uint8Array): void {
  const bytes = typeof text === "string" ? Buffer.from(text) : text;
  let done = 0;
  let tries = 0;
  while (done < bytes.length) {
    try {
      done += writeSync(fd, bytes, done, bytes.length - done);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EAGAIN" || ++tries > AGAIN_TRIES) throw err;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

export function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}
