// Reusable fault scenarios: an agent in its own folder that can be started,
// killed and restarted over the same state_dir, files written by numbered
// lines, and a comparison of what Kafka holds with what was written.
import path from "node:path";
import { AgentProcess, iniFor, sandbox } from "./agent-process";
import { services, unique } from "./env";
import { TopicReader, createTopics } from "./kafka";

export interface Comparison {
  expected: number;
  received: number;
  missing: number;
  duplicates: number;
  /** Lines whose first arrival came before a line written earlier in the same file. */
  outOfOrder: number;
  firstMissing: string[];
}

/**
 * Compares received values with what was written: `written` maps a file's line prefix to its line count;
 * lines are `${prefix}-${i}`, optionally followed by a space and padding (see support/files.ts).
 */
export function compare(receivedLines: string[], written: Record<string, number>): Comparison {
  const received = receivedLines.map((v) => v.split(" ", 1)[0]!);
  const seen = new Map<string, number>();
  for (const v of received) seen.set(v, (seen.get(v) ?? 0) + 1);
  let expected = 0;
  let missing = 0;
  let duplicates = 0;
  const firstMissing: string[] = [];
  for (const [prefix, count] of Object.entries(written)) {
    expected += count;
    for (let i = 0; i < count; i++) {
      const n = seen.get(`${prefix}-${i}`) ?? 0;
      if (n === 0) {
        missing++;
        if (firstMissing.length < 5) firstMissing.push(`${prefix}-${i}`);
      } else duplicates += n - 1;
    }
  }
  let outOfOrder = 0;
  const last = new Map<string, number>();
  const first = new Set<string>();
  for (const v of received) {
    if (first.has(v)) continue; // a re-sent line may come after later ones; order is judged on first arrivals
    first.add(v);
    const dash = v.lastIndexOf("-");
    const prefix = v.slice(0, dash);
    const i = Number(v.slice(dash + 1));
    if (i < (last.get(prefix) ?? -1)) outOfOrder++;
    last.set(prefix, Math.max(i, last.get(prefix) ?? -1));
  }
  return { expected, received: received.length, missing, duplicates, outOfOrder, firstMissing };
}

export class Scenario {
  readonly dir: string;
  readonly bin: string;
  readonly topic = unique("scenario");
  agent: AgentProcess | null = null;
  reader!: TopicReader;
  /** Every agent run's log, oldest first, for failure messages. */
  readonly logs: string[] = [];

  constructor(
    /** INI lines added to [agent] and after, e.g. collect sections. */
    private readonly extra: (s: Scenario) => string,
    /** INI lines added to [kafka], e.g. `delivery = exactly_once`. */
    private readonly kafkaExtra?: string,
  ) {
    ({ dir: this.dir, bin: this.bin } = sandbox());
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  async open(): Promise<this> {
    await createTopics([this.topic]);
    this.reader = await TopicReader.start([this.topic]);
    return this;
  }

  start(): AgentProcess {
    if (this.agent?.running) throw new Error("agent already running");
    this.agent = new AgentProcess(this.dir, this.bin, iniFor({ kafka: services.kafka, extra: this.extra(this), kafkaExtra: this.kafkaExtra }));
    return this.agent;
  }

  /** kill -9: no shutdown code runs. */
  async crash(): Promise<void> {
    if (!this.agent) return;
    await this.agent.stop("SIGKILL");
    this.logs.push(this.agent.log);
  }

  async stop(): Promise<number> {
    const code = await this.agent!.stop("SIGTERM");
    this.logs.push(this.agent!.log);
    return code;
  }

  received(): string[] {
    return this.reader.values(this.topic);
  }

  async close(): Promise<void> {
    if (this.agent?.running) await this.stop();
    await this.reader?.stop();
  }
}
