// Log lines to stderr. The agent must outlive its console: a closed terminal, a reader that went
// away (EPIPE), a descriptor that is not open (EBADF) or a Windows service's invalid handle. The
// first write that fails that way turns the sink off for good, silently: there is nowhere left to
// say it, and trying again on every line would only cost time.
import { coloursFor } from "./colour";
import { formatJson, formatText } from "./log-format";
import type { LogRecord, LogSink } from "./log-record";
import { errorCode, writeFully } from "./write-fully";

export type LogFormat = "text" | "json";

export class ConsoleSink implements LogSink {
  private off = false;
  private readonly colours;

  constructor(
    readonly format: LogFormat = "text",
    private readonly fd = 2,
    stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.colours = format === "text" ? coloursFor(stream) : undefined;
  }

  get enabled(): boolean {
    return !this.off;
  }

  write(record: LogRecord): void {
    if (this.off) return;
    try {
      writeFully(this.fd, this.format === "json" ? formatJson(record) : formatText(record, this.colours));
    } catch (err) {
      // A pipe that stays full loses this line only; anything else means the console is gone.
      if (errorCode(err) !== "EAGAIN") this.off = true;
    }
  }

  close(): void {}
}
