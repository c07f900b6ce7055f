// logagent as a tool under test: the release binary copied alone into the run folder, started with an
// INI that says only what a run needs, everything else the agent's defaults. `logagent()` makes one
// entry of the tools list; a variant (another delivery mode, say) is another call with its own name
// and [kafka] options, e.g. logagent({ name: "logagent-eo", color: "#553c9a", kafka: { delivery: "exactly_once" } }).
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { putKey } from "../lib/etcd";
import { Proc } from "../lib/proc";
import { AGENT_BINARY, BROKER, BUN, ETCD, ROOT } from "../lib/settings";
import { tryRun } from "../lib/shell";
import type { LaunchOptions, ToolUnderTest } from "./tool";

/** The binary every logagent entry runs, copied alone into an empty folder by prepare(). */
let agentCopy = "";
const binary = () => agentCopy || AGENT_BINARY;

/** The agent's defaults of `keys`, from its own --help (they change with the code). */
export function agentDefaults(keys: string[]): string {
  const help = tryRun([binary(), "--help"]);
  const found = keys.flatMap((k) => {
    const m = new RegExp(`^\\s+${k} \\([^)]*default "([^"]*)"\\)`, "m").exec(help);
    return m ? [`${k} ${m[1]}`] : [];
  });
  return found.length ? `defaults: ${found.join(", ")}` : "defaults";
}

export interface AgentTool extends ToolUnderTest {
  /**
   * Starts the agent with its collect list in etcd, as a user's deployment has it: `o.files` (paths or
   * globs) are written as a JSON list at `key`, and the INI names etcd and that key, no [collect.*].
   */
  launchFromEtcd(o: LaunchOptions, key: string): Promise<Proc[]>;
}

export function logagent(variant: { name?: string; color?: string; kafka?: Record<string, string>; transactional?: boolean } = {}): AgentTool {
  const name = variant.name ?? "logagent";
  const extra = Object.entries(variant.kafka ?? {});

  /** [kafka] and [agent] as a run needs them: the broker, acks and `from` when asked, the state folder. */
  const ini = (o: LaunchOptions, rest: string[]) => {
    const lines = ["[kafka]", `address = ${BROKER}`];
    if (o.acks) lines.push(`acks = ${o.acks}`);
    for (const [k, v] of extra) lines.push(`${k} = ${v}`);
    // Positions committed in Kafka are the host's, whatever the state_dir: a fresh run needs its own offsets topic
    // (otherwise it resumes where the warm-up run's agent ended, at the end of the same files).
    if (variant.transactional) lines.push(`offsets_topic = ${o.topic}-offsets`);
    lines.push("", "[agent]", "state_dir = state");
    if (o.fromBeginning) lines.push("from = beginning");
    return [...lines, ...rest].join("\n") + "\n";
  };
  const start = (o: LaunchOptions, text: string) => {
    writeFileSync(path.join(o.dir, "conf.ini"), text);
    return [new Proc(name, [binary(), "-c", "conf.ini"], { cwd: o.dir, log: path.join(o.dir, `${name}.log`), sampleMs: 200 })];
  };

  return {
    name,
    color: variant.color ?? "#2b6cb0",
    packages: [],
    exitsWhenDone: false,
    transactional: variant.transactional,
    prepare(runDir) {
      const bin = path.join(runDir, "bin");
      agentCopy = path.join(bin, "logagent");
      if (existsSync(agentCopy)) return;
      mkdirSync(bin, { recursive: true });
      copyFileSync(AGENT_BINARY, agentCopy);
    },
    version() {
      // --version names the commit the binary was built from; say when the checkout has moved on since.
      const built = tryRun([binary(), "--version"]) || "?";
      const head = tryRun(["git", "-C", ROOT, "log", "-1", "--format=%h"]);
      const moved = head && !built.includes(head) ? `; the checkout is at ${head}` : "";
      const dirty = tryRun(["git", "-C", ROOT, "status", "--porcelain", "--", "src"]) ? "; src/ has uncommitted changes" : "";
      return `${built}, dist/logagent-linux-x64, Bun ${tryRun([BUN, "--version"]) || "?"}${moved}${dirty}`;
    },
    // One [collect.fN] section per path (a path may be a glob).
    launch: (o) => start(o, ini(o, o.files.flatMap((file, i) => ["", `[collect.f${i}]`, `path = ${file}`, `topic = ${o.topic}`]))),
    async launchFromEtcd(o, key) {
      await putKey(key, JSON.stringify(o.files.map((file) => ({ path: file, topic: o.topic }))));
      // /metrics on, as an operator runs it: the idle measurement scrapes it as Prometheus would.
      return start(o, ini(o, ["", "[etcd]", `address = ${ETCD}`, `collect_log_key = ${key}`, "", "[http]", "address = 127.0.0.1:0"]));
    },
    latencyHow: () => [agentDefaults(["poll_interval_ms", "idle_poll_max_ms", "linger_ms", "batch_max_messages", "acks"]), ...extra.map(([k, v]) => `${k} ${v}`)].join(", "),
    howRun:
      `${name}: the compiled binary copied alone into a temporary folder, \`logagent -c conf.ini\` with \`[kafka] address\`, \`acks\`` +
      extra.map(([k, v]) => `, \`${k} = ${v}\``).join("") +
      (variant.transactional ? ", `offsets_topic` (one per run)" : "") +
      "; `[agent] from = beginning`, `state_dir`; one `[collect.fN]` section (path, topic) per file; everything else default.",
    incompleteNote: () => "",
  };
}
