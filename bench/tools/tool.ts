// What the measurements need from a tool under test. A tool is one entry of the list in ./index.ts;
// a variant of a tool (logagent with another delivery mode, say) is one more entry, with its own name,
// and every measurement, table and chart picks it up from there.
import type { Package } from "../lib/services";
import type { Proc } from "../lib/proc";
import type { Acks } from "../lib/settings";
import { say } from "../lib/shell";

export interface LaunchOptions {
  /** This run's folder, made by the measurement: the tool's configuration, its log (TOOL.log) and any state go there. */
  dir: string;
  /** The files to ship; for logagent an entry may be a glob. */
  files: string[];
  topic: string;
  /** Unset: the tool's default. */
  acks?: Acks;
  /** Throughput: read the existing files whole (logagent's default is their end). */
  fromBeginning?: boolean;
  /** Latency: follow one growing file (kcat cannot, so it reads `tail -F FILE` on stdin). */
  follow?: boolean;
}

export interface ToolUnderTest {
  /** As in --tools= and in the tables. */
  readonly name: string;
  /** Its bars in throughput.svg. */
  readonly color: string;
  /** Debian packages it needs. */
  readonly packages: Package[];
  /** Exits by itself once its input is shipped (kcat -l), rather than running until it is stopped. */
  readonly exitsWhenDone: boolean;
  /** Once per benchmark run, before anything is launched: e.g. copy a binary into the run folder. */
  prepare(runDir: string): void;
  version(): string;
  /** Starts it; all its processes, which the measurement stops. */
  launch(o: LaunchOptions): Proc[];
  /** How it follows a growing file with its defaults, for the latency table. */
  latencyHow(): string;
  /** For RESULTS.md: exactly how it was run, one Markdown paragraph. */
  readonly howRun: string;
  /**
   * Writes in Kafka transactions (logagent's exactly_once): it needs acks=all, so it runs only the
   * acks=all throughput cases; and its topic's end offset counts a commit marker per transaction, so
   * the throughput clock stops when the end offset reaches the line count, at most one transaction
   * early, and the read-back check (read_committed) says whether every line came.
   */
  readonly transactional?: boolean;
  /** What its log says about a throughput run that lost lines (omkafka's dropped lines), or "". */
  incompleteNote(dir: string): string;
}

/**
 * A long-running tool (logagent, rsyslogd) that exited during a measurement: says so, with the end of
 * its log, and returns the note for the tables; "" when it is still running or exits by design.
 */
export function exitedEarly(tool: ToolUnderTest, procs: Proc[]): string {
  const gone = procs.filter((p) => !p.running);
  if (!gone.length) return "";
  if (tool.exitsWhenDone && gone.every((p) => p.exitCode === 0)) return "";
  const codes = gone.map((p) => p.exitCode).join(",");
  say(`${tool.name} exited by itself (exit code ${codes}); the end of its log:\n${gone[0]!.logTail()}`);
  return `${tool.name} exited by itself (code ${codes})`;
}
