// max_open_files: the slots for open files, shared by every tailer. A file
// that finds no free slot waits (found, not read yet); while files wait,
// tailers close their idle files to give slots back (see Tailer.shouldRest).
export class OpenFiles {
  private open = 0;
  /** Files found and not opened for want of a slot. */
  private waitingFiles = 0;

  constructor(readonly max: number) {}

  get count(): number {
    return this.open;
  }

  /** Takes a slot for a file about to be opened; false when none is free. */
  take(): boolean {
    if (this.open >= this.max) return false;
    this.open++;
    return true;
  }

  /** A file starts or stops waiting for a slot. */
  wait(waiting: boolean): void {
    this.waitingFiles = Math.max(0, this.waitingFiles + (waiting ? 1 : -1));
  }

  give(): void {
    this.open = Math.max(0, this.open - 1);
  }

  /** Whether a file waits for a slot: open idle files then give theirs. */
  wanted(): boolean {
    return this.waitingFiles > 0;
  }
}
