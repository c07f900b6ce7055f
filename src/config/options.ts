// Every INI option, declared once. Parsing, validation, `--help` and the README
// table are all driven from this table, so an option cannot exist in one and
// be missing from another.
import { LOG_LEVELS } from "../telemetry/logger";

export type OptionType =
  | { kind: "string" }
  | { kind: "list" } // comma-separated, blanks ignored
  | { kind: "int"; min: number; max: number }
  | { kind: "enum"; values: readonly string[] };

export interface OptionSpec {
  section: string;
  key: string;
  type: OptionType;
  /** As it would be written in the INI; absent means the option is required (or, for [etcd], required when the section is present). */
  default?: string;
  description: string;
}

export const SECTIONS = {
  kafka: "Where to send lines. Required.",
  etcd: "Where this host's collect list lives. Optional: without it the list comes from [collect.NAME] sections.",
  agent: "How the agent itself behaves. Optional.",
} as const;

export const OPTIONS: readonly OptionSpec[] = [
  { section: "kafka", key: "address", type: { kind: "list" }, description: "Kafka bootstrap brokers, `host:port`, comma-separated." },
  { section: "kafka", key: "chan_max_size", type: { kind: "int", min: 1, max: 10_000_000 }, default: "100000", description: "The most lines read from files and not yet acknowledged by Kafka; tailers pause reading at this bound." },
  { section: "kafka", key: "client_id", type: { kind: "string" }, default: "logagent", description: "Kafka client id, as brokers log and quota it." },
  { section: "kafka", key: "acks", type: { kind: "enum", values: ["0", "1", "all"] }, default: "all", description: "Acknowledgements the producer waits for: `0` none (at-most-once), `1` the leader, `all` every in-sync replica." },
  { section: "kafka", key: "batch_max_messages", type: { kind: "int", min: 1, max: 1_000_000 }, default: "1000", description: "The most lines sent in one produce request. Measured here, 1,000 lines of 120 bytes per request ship fastest; kafkajs needs about 10 MB of working memory for such a request and grows worse than linearly beyond it." },
  { section: "kafka", key: "batch_max_bytes", type: { kind: "int", min: 1024, max: 1 << 30 }, default: "524288", description: "The most bytes, as records on the wire, sent in one produce request; keep it below the topic's max.message.bytes (1 MB by default)." },
  { section: "kafka", key: "linger_ms", type: { kind: "int", min: 0, max: 60_000 }, default: "5", description: "How long a batch waits for more lines before it is sent." },
  { section: "etcd", key: "address", type: { kind: "list" }, description: "etcd endpoints, `host:port` or URLs, comma-separated." },
  { section: "etcd", key: "timeout", type: { kind: "int", min: 1, max: 3600 }, default: "5", description: "Seconds to wait for etcd to answer a request." },
  { section: "etcd", key: "collect_log_key", type: { kind: "string" }, default: "/logagent/%s/collect_config", description: "Key holding this host's collect list. `%s` and `{ip}` become the host's IPv4 address, `{hostname}` its host name." },
  { section: "agent", key: "state_dir", type: { kind: "string" }, default: "logagent-state", description: "Folder for the agent's state (the last good collect list; saved positions). Relative paths are resolved against the INI file's folder." },
  { section: "agent", key: "log_level", type: { kind: "enum", values: LOG_LEVELS }, default: "info", description: "Least severe log level written to stderr." },
  { section: "agent", key: "from", type: { kind: "enum", values: ["end", "beginning"] }, default: "end", description: "Where a file seen for the first time is read from." },
  { section: "agent", key: "ip", type: { kind: "string" }, default: "", description: "This host's IPv4 address for the etcd key; empty means the first non-internal IPv4 of the machine's interfaces." },
  { section: "agent", key: "poll_interval_ms", type: { kind: "int", min: 10, max: 60_000 }, default: "250", description: "How often files are checked for new lines and rotation." },
  { section: "agent", key: "rotate_wait_ms", type: { kind: "int", min: 0, max: 3_600_000 }, default: "5000", description: "After a rotation, how long the old file is kept open and read so that a writer's last lines are not lost." },
  { section: "agent", key: "max_buffer_bytes", type: { kind: "int", min: 4 << 20, max: 1 << 30 }, default: String(32 << 20), description: "The most bytes of lines read and not yet acknowledged by Kafka (with a per-line overhead counted); at this bound tailers stop reading, and since positions are saved nothing is lost." },
  { section: "agent", key: "checkpoint_interval_ms", type: { kind: "int", min: 100, max: 600_000 }, default: "1000", description: "How often acknowledged positions are saved to state_dir. After a crash, at most the lines acknowledged in this window are sent again." },
  { section: "agent", key: "forget_after_s", type: { kind: "int", min: 60, max: 10 * 365 * 86400 }, default: String(7 * 86400), description: "A file not seen for this long is dropped from the saved positions." },
  { section: "agent", key: "shutdown_timeout_ms", type: { kind: "int", min: 0, max: 3_600_000 }, default: "10000", description: "On SIGINT/SIGTERM, how long to wait for lines in flight to be acknowledged." },
];

export function findOption(section: string, key: string): OptionSpec | undefined {
  return OPTIONS.find((o) => o.section === section && o.key === key);
}

export function describeType(type: OptionType): string {
  switch (type.kind) {
    case "string":
      return "text";
    case "list":
      return "list";
    case "int":
      return `integer ${type.min}..${type.max}`;
    case "enum":
      return `one of ${type.values.join(", ")}`;
  }
}
