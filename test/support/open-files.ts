// Samples which files the agent holds open (Linux /proc), to check limits
// that only hold over time, such as max_open_files.
import type { AgentProcess } from "./agent-process";

export class OpenFileSampler {
  /** The most matching files seen open in one sample. */
  peak = 0;
  /** The sample that reached the peak. */
  peakPaths: string[] = [];
  samples = 0;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly agent: AgentProcess,
    private readonly matches: (path: string) => boolean,
    everyMs = 20,
  ) {
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    if (!this.agent.running) return;
    let open: string[];
    try {
      open = this.agent.openPaths().filter(this.matches);
    } catch {
      return; // the process exited between the check and the read
    }
    this.samples++;
    if (open.length > this.peak) {
      this.peak = open.length;
      this.peakPaths = open;
    }
  }
}
