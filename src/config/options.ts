// Every INI option, declared once. Parsing, validation, `--help` and the README
// table are all driven from this table, so an option cannot exist in one and
// be missing from another.
import { ENCODINGS } from "../lines/encoding";
import { compileUserPattern } from "../lines/user-pattern";
import { compileGlob } from "../tail/glob";
import { LOG_LEVELS } from "../telemetry/logger";

export type OptionType =
  | { kind: "string" }
  | { kind: "list" } // comma-separated, blanks ignored
  | { kind: "int"; min: number; max: number }
  | { kind: "enum"; values: readonly string[] }
  | { kind: "regex" } // one regular expression (JavaScript syntax, run in linear time: src/lines/user-pattern.ts); empty means none
  | { kind: "regexes" } // several: a JSON array, or in the INI one value or repeated `key[] = ...`
  | { kind: "globs" }; // file name patterns, given like `regexes`

export interface OptionSpec {
  section: string;
  key: string;
  type: OptionType;
  /** Also accepted in a collect entry (etcd or [collect.NAME]), where it overrides this default for that entry. */
  entry?: true;
  /** As it would be written in the INI; absent means the option is required (or, for [etcd], required when the section is present). */
  default?: string;
  description: string;
}

export const SECTIONS = {
  kafka: "Where to send lines, and how. Required. Keys marked per entry can be overridden in a collect entry.",
  fields: "Free-form `name = value` pairs: static fields for the JSON envelope and for `{name}` in topic templates. Optional.",
  etcd: "Where this host's collect list lives. Optional: without it the list comes from [collect.NAME] sections.",
  agent: "How the agent itself behaves, and how files are read. Optional. Keys marked per entry can be overridden in a collect entry.",
  http: "The metrics and health server (/metrics, /healthz, /status). Optional: off unless address is set.",
} as const;

// The rows keep their literal types (`as const`) so that OptionValues below is derived from them;
// OPTIONS is the same table, seen as plain OptionSpecs.
const TABLE = [
  { section: "kafka", key: "address", type: { kind: "list" }, description: "Kafka bootstrap brokers, `host:port`, comma-separated." },
  { section: "kafka", key: "chan_max_size", type: { kind: "int", min: 1, max: 10_000_000 }, default: "100000", description: "The most lines read from files and not yet acknowledged by Kafka; tailers pause reading at this bound." },
  { section: "kafka", key: "client_id", type: { kind: "string" }, default: "logagent", description: "Kafka client id, as brokers log and quota it." },
  { section: "kafka", key: "acks", entry: true, type: { kind: "enum", values: ["0", "1", "all"] }, default: "all", description: "Acknowledgements the producer waits for: `0` none (at-most-once), `1` the leader, `all` every in-sync replica." },
  { section: "kafka", key: "partitioner", entry: true, type: { kind: "enum", values: ["key", "round_robin", "partition"] }, default: "key", description: "How a line's partition is chosen: `key` hashes the `key` with Kafka's default partitioner (murmur2), so one file's lines stay in one partition, in order; `round_robin` spreads lines over all partitions (no per-file order); `partition` sends to the fixed `partition` (in order)." },
  { section: "kafka", key: "key", entry: true, type: { kind: "enum", values: ["path", "host", "pattern"] }, default: "path", description: "With `partitioner = key`, the message key: the entry's path, the host name, or the first capture group (else the whole match) of `key_pattern` applied to the line (a line that does not match gets no key)." },
  { section: "kafka", key: "key_pattern", entry: true, type: { kind: "regex" }, default: "", description: "Regular expression for `key = pattern` (JavaScript syntax, matched in linear time; see Line patterns)." },
  { section: "kafka", key: "partition", entry: true, type: { kind: "int", min: -1, max: 1_000_000 }, default: "-1", description: "The partition for `partitioner = partition`." },
  { section: "kafka", key: "compression", entry: true, type: { kind: "enum", values: ["none", "gzip", "snappy", "lz4", "zstd"] }, default: "none", description: "Compression of produce requests." },
  { section: "kafka", key: "format", entry: true, type: { kind: "enum", values: ["raw", "json"] }, default: "raw", description: "Message value: the raw line, or a JSON envelope `{message, host, path, offset, timestamp, fields}`." },
  { section: "kafka", key: "max_message_bytes", type: { kind: "int", min: 1024, max: 100_000_000 }, default: "1000000", description: "The largest message value sent; keep it below the topic's max.message.bytes. A longer line is handled by `oversize`." },
  { section: "kafka", key: "oversize", type: { kind: "enum", values: ["split", "truncate"] }, default: "split", description: "A line longer than `max_message_bytes`: `split` into several messages, or `truncate` it. Either way it is counted and logged." },
  { section: "kafka", key: "idempotent", type: { kind: "enum", values: ["false", "true"] }, default: "false", description: "Use Kafka's idempotent producer (no duplicates from producer retries); needs `acks = all` for every entry." },
  { section: "kafka", key: "dead_letter_topic", type: { kind: "string" }, default: "", description: "Topic for lines Kafka refuses for good (not authorized, a record the topic refuses: see Dead letters), with headers naming their topic, file, offset and the error; their entry goes on. With `delivery = exactly_once` they are written in the transaction of their lines (each once for read_committed). Empty: such an entry waits, logged, until Kafka takes its lines (with exactly_once the other entries' transactions commit meanwhile)." },
  { section: "kafka", key: "auto_create_topics", type: { kind: "enum", values: ["true", "false"] }, default: "true", description: "Let the broker create a missing topic on first use (if the broker allows it). With `false`, an entry whose topic does not exist waits, logged, without stopping the others." },
  { section: "kafka", key: "sasl_mechanism", type: { kind: "enum", values: ["none", "plain", "scram-sha-256", "scram-sha-512"] }, default: "none", description: "SASL authentication." },
  { section: "kafka", key: "sasl_username", type: { kind: "string" }, default: "", description: "SASL user name." },
  { section: "kafka", key: "sasl_password", type: { kind: "string" }, default: "", description: "SASL password. Never logged or printed." },
  { section: "kafka", key: "tls", type: { kind: "enum", values: ["false", "true"] }, default: "false", description: "Connect with TLS." },
  { section: "kafka", key: "tls_ca_file", type: { kind: "string" }, default: "", description: "PEM file of the CA(s) that signed the brokers' certificates; empty means the system's CAs." },
  { section: "kafka", key: "tls_cert_file", type: { kind: "string" }, default: "", description: "PEM client certificate, for brokers that authenticate clients by certificate." },
  { section: "kafka", key: "tls_key_file", type: { kind: "string" }, default: "", description: "PEM private key of `tls_cert_file`." },
  { section: "kafka", key: "batch_max_messages", type: { kind: "int", min: 1, max: 1_000_000 }, default: "5000", description: "The most lines in one produce request (one partition's batch). 5,000 lines of 100 bytes, with their key and headers, are about `batch_max_bytes`; fewer, larger requests cost the broker less." },
  { section: "kafka", key: "batch_max_bytes", type: { kind: "int", min: 1024, max: 1 << 30 }, default: "1000000", description: "The most bytes in one produce request's batch, counted as encoded (before compression). A line that does not fit in a shared batch goes alone. Keep it at or below the topic's max.message.bytes (1 MiB by default)." },
  { section: "kafka", key: "max_in_flight", type: { kind: "int", min: 1, max: 5 }, default: "5", description: "How many produce requests per partition may wait for Kafka's answer at once, so that the broker appends one while the next is built instead of the two taking turns. A failed request is sent again before any later one, so a file's lines stay in order; with `idempotent = true` Kafka also drops what a retry sends twice (it keeps order for at most 5)." },
  { section: "kafka", key: "linger_ms", type: { kind: "int", min: 0, max: 60_000 }, default: "5", description: "How long a batch waits for more lines before it is sent." },
  { section: "kafka", key: "delivery", type: { kind: "enum", values: ["at_least_once", "exactly_once"] }, default: "at_least_once", description: "`at_least_once`: every line reaches Kafka; a crash of the agent sends again what was in flight. `exactly_once`: lines and the files' new positions are written in one Kafka transaction, so a consumer with `isolation.level=read_committed` sees every line once, whatever crashes; needs `acks = all` for every entry and turns on `idempotent`; lines are visible to such consumers only once their transaction commits (see Exactly once)." },
  { section: "kafka", key: "transactional_id", type: { kind: "string" }, default: "", description: "With `delivery = exactly_once`, this agent's transactional id: another agent started with the same id takes over, and this one stops with an error naming the id (exit code 1). Empty: `logagent-HOSTNAME-` and 8 hex digits of a hash of state_dir's absolute path, so each agent of a host (each has its own state_dir) has its own, the same after a restart." },
  { section: "kafka", key: "offsets_topic", type: { kind: "string" }, default: "__logagent_offsets", description: "With `delivery = exactly_once`, the compacted topic the files' positions are committed to, in the same transaction as their lines, keyed by host name and file identity; read back (read_committed) at start. Created when missing (`cleanup.policy=compact`)." },
  { section: "kafka", key: "transaction_max_ms", type: { kind: "int", min: 10, max: 60_000 }, default: "1000", description: "With `delivery = exactly_once`, the longest a transaction stays open: its lines are committed this long after its first one at the latest (a read_committed consumer sees them then)." },
  { section: "kafka", key: "transaction_max_bytes", type: { kind: "int", min: 1024, max: 1 << 30 }, default: String(4 << 20), description: "With `delivery = exactly_once`, a transaction is committed once it holds this many bytes of lines, or half of chan_max_size lines or of max_buffer_bytes, whichever comes first (its lines are held until it commits)." },
  { section: "etcd", key: "address", type: { kind: "list" }, description: "etcd endpoints, `host:port` or URLs, comma-separated." },
  { section: "etcd", key: "timeout", type: { kind: "int", min: 1, max: 3600 }, default: "5", description: "Seconds to wait for etcd to answer a request." },
  { section: "etcd", key: "collect_log_key", type: { kind: "string" }, default: "/logagent/%s/collect_config", description: "Key holding this host's collect list. `%s` and `{ip}` become the host's IPv4 address, `{hostname}` its host name." },
  { section: "etcd", key: "tls_ca_file", type: { kind: "string" }, default: "", description: "PEM file of the CA(s) that signed the etcd members' certificates, for `https://` endpoints; empty means the system's CAs. A member addressed by IP needs that IP in its certificate's subject alternative names." },
  { section: "etcd", key: "tls_cert_file", type: { kind: "string" }, default: "", description: "PEM client certificate, for an etcd started with `--client-cert-auth`." },
  { section: "etcd", key: "tls_key_file", type: { kind: "string" }, default: "", description: "PEM private key of `tls_cert_file`." },
  { section: "etcd", key: "username", type: { kind: "string" }, default: "", description: "etcd user name, for an etcd with `auth enable`; give it a role that can only read this host's key (see Securing etcd)." },
  { section: "etcd", key: "password", type: { kind: "string" }, default: "", description: "Password of `username`; write it as `${NAME}` to keep it in the environment. Never logged or printed." },
  { section: "etcd", key: "status_key", type: { kind: "string" }, default: "/logagent/status/{hostname}", description: "Key where the agent keeps its status (a JSON object: version, entries, files with offset and lag, Kafka and etcd state) under a lease, for `logagent fleet`; deleted on a clean stop, gone within `status_lease_ttl_s` after a crash. `{hostname}`, `{ip}` and `%s` as in collect_log_key. `logagent fleet` lists every key that starts with the part before the first placeholder. Empty turns the status off. See Agent status and the fleet view." },
  { section: "etcd", key: "status_interval_s", type: { kind: "int", min: 1, max: 3600 }, default: "30", description: "How often the status is written when nothing an operator acts on changed (a change of entries, files, an error or a state is written at once). etcd's cost grows with agents / interval: see Agent status and the fleet view before lowering it." },
  { section: "etcd", key: "status_lease_ttl_s", type: { kind: "int", min: 2, max: 3600 }, default: "30", description: "Lease time to live of the status key: how long the status of an agent that died stays visible. The lease is kept alive every third of it. Use 60 above about 10,000 agents." },
  { section: "agent", key: "state_dir", type: { kind: "string" }, default: "logagent-state", description: "Folder for the agent's state (the last good collect list; saved positions). Relative paths are resolved against the INI file's folder." },
  { section: "agent", key: "log_level", type: { kind: "enum", values: LOG_LEVELS }, default: "info", description: "Least severe log level written." },
  { section: "agent", key: "log_file", type: { kind: "string" }, default: "", description: "File the agent logs to, rotated by size. Empty means stderr from a console, and under the Windows service manager `%ProgramData%\\logagent\\logs\\NAME.log` (NAME is the service name). Relative paths are resolved against the INI file's folder." },
  { section: "agent", key: "log_max_bytes", type: { kind: "int", min: 10_240, max: 1 << 30 }, default: String(10 << 20), description: "A log file is rotated when it would grow past this size: `NAME.log` becomes `NAME.log.1`, and so on." },
  { section: "agent", key: "log_keep", type: { kind: "int", min: 0, max: 1000 }, default: "5", description: "How many rotated log files are kept beside the current one; older ones are deleted." },
  { section: "agent", key: "log_format", type: { kind: "enum", values: ["text", "json"] }, default: "text", description: "Log line format: `text` (a sentence with key=value fields) or `json` (one object per line, for log collectors)." },
  { section: "agent", key: "from", type: { kind: "enum", values: ["end", "beginning"] }, default: "end", description: "Where a file seen for the first time is read from." },
  { section: "agent", key: "ip", type: { kind: "string" }, default: "", description: "This host's IPv4 address for the etcd key; empty means the first non-internal IPv4 of the machine's interfaces." },
  { section: "agent", key: "hostname", type: { kind: "string" }, default: "", description: "This host's name for `{hostname}` in etcd keys, the `host` of JSON envelopes and the status; empty means the machine's host name. Set it when several agents run on one machine, or when the machine's name is not the one operators know." },
  { section: "agent", key: "poll_interval_ms", type: { kind: "int", min: 10, max: 60_000 }, default: "100", description: "How often a file that is being written is checked for new lines and rotation; idle files back off (see idle_poll_max_ms)." },
  { section: "agent", key: "idle_poll_max_ms", type: { kind: "int", min: 10, max: 60_000 }, default: "2000", description: "A file without news is polled less and less often, down to this interval; a file that grows is polled every poll_interval_ms. Folder change notifications bring a quiet file's new line at once; where there are none (a network file system written by another host), the first line after a quiet spell can wait this long." },
  { section: "agent", key: "rotate_wait_ms", type: { kind: "int", min: 0, max: 3_600_000 }, default: "5000", description: "After a rotation, how long the old file is kept open and read so that a writer's last lines are not lost." },
  { section: "agent", key: "rescan_interval_ms", type: { kind: "int", min: 100, max: 3_600_000 }, default: "2000", description: "How often an entry whose path is a glob is expanded again to find new files (a file that the agent already follows is watched every poll_interval_ms)." },
  { section: "agent", key: "max_open_files", type: { kind: "int", min: 1, max: 1_000_000 }, default: "1024", description: "The most files held open at once. More files wait their turn, nothing lost: while files wait, a file that has not grown for idle_poll_max_ms is closed to give its place, and reopened when it grows." },
  { section: "agent", key: "allow_paths", type: { kind: "globs" }, default: "", description: "The files a collect list from etcd may name, as globs of absolute paths (`/var/log/**`, `C:\\logs\\**\\*.log`; case-insensitive on Windows). An entry whose path or glob can reach outside them is refused, and a file whose real path (links resolved) is outside is not opened. Empty: etcd may name any file the agent's account can read, and a warning says so. The INI's `[collect.*]` sections are not limited. See Limiting what etcd may name." },
  { section: "agent", key: "exclude", entry: true, type: { kind: "globs" }, default: "", description: "Files a glob path must not pick up, as globs: one without a path separator matches the file's name (`*.gz`), one with a separator its whole path." },
  { section: "agent", key: "ignore_older_s", entry: true, type: { kind: "int", min: 0, max: 10 * 365 * 86400 }, default: "0", description: "A file found untouched (by its modification time) for longer than this is skipped; if it grows later, only the new lines are read. 0 means never skip." },
  { section: "agent", key: "close_inactive_s", entry: true, type: { kind: "int", min: 0, max: 10 * 365 * 86400 }, default: "300", description: "A file that has not grown for this long is closed, so that nothing holds it (on Windows a held file cannot always be deleted and created again), and reopened when it grows. 0 means keep files open." },
  { section: "agent", key: "encoding", entry: true, type: { kind: "enum", values: ENCODINGS }, default: "utf-8", description: "The files' character encoding. A byte-order mark at the start of a file overrides it. Lines are always sent as UTF-8; invalid bytes become U+FFFD." },
  { section: "agent", key: "max_line_bytes", entry: true, type: { kind: "int", min: 1024, max: 100 << 20 }, default: String(1 << 20), description: "The longest line read, in the file's bytes; a longer line is handled by long_lines, counted and logged." },
  { section: "agent", key: "long_lines", entry: true, type: { kind: "enum", values: ["split", "truncate"] }, default: "split", description: "A line longer than max_line_bytes: `split` into lines of at most max_line_bytes, or `truncate` it (the rest of the line is dropped)." },
  { section: "agent", key: "include_lines", entry: true, type: { kind: "regexes" }, default: "", description: "Regular expressions (see Line patterns): when set, only lines (or multiline events) matching one of them are sent." },
  { section: "agent", key: "exclude_lines", entry: true, type: { kind: "regexes" }, default: "", description: "Regular expressions (see Line patterns): lines (or multiline events) matching one of them are not sent." },
  { section: "agent", key: "multiline.start", entry: true, type: { kind: "regex" }, default: "", description: "Multiline events (stack traces): a line matching this regular expression (see Line patterns) starts an event; the lines after it that do not match are joined to it with `\\n`. In JSON, `\"multiline\": {\"start\": ...}`." },
  { section: "agent", key: "multiline.continuation", entry: true, type: { kind: "regex" }, default: "", description: "Instead of multiline.start: a line matching this regular expression (see Line patterns) continues the event before it; any other line starts a new one." },
  { section: "agent", key: "multiline.max_lines", entry: true, type: { kind: "int", min: 1, max: 1_000_000 }, default: "500", description: "The most lines joined into one event; the next line starts a new event (nothing is dropped)." },
  { section: "agent", key: "multiline.timeout_ms", entry: true, type: { kind: "int", min: 1, max: 600_000 }, default: "1000", description: "An event is sent when no line has been added to it for this long (the end of a stack trace is only known when the next event starts)." },
  { section: "agent", key: "max_buffer_bytes", type: { kind: "int", min: 4 << 20, max: 1 << 30 }, default: String(8 << 20), description: "The most bytes of lines read and not yet acknowledged by Kafka (with a per-line overhead counted); at this bound tailers stop reading, and since positions are saved nothing is lost. The default bounds what the queue adds to the agent's memory at full load (see the Benchmark section for the figures)." },
  { section: "agent", key: "checkpoint_interval_ms", type: { kind: "int", min: 100, max: 600_000 }, default: "1000", description: "How often positions are saved durably (fsynced) to state_dir. Between saves each acknowledgement is journaled without fsync: after the agent is killed only the lines in flight are sent again; after the machine crashes, at most the lines acknowledged in this window." },
  { section: "agent", key: "forget_after_s", type: { kind: "int", min: 60, max: 10 * 365 * 86400 }, default: String(7 * 86400), description: "A file not seen for this long is dropped from the saved positions." },
  { section: "agent", key: "shutdown_timeout_ms", type: { kind: "int", min: 0, max: 3_600_000 }, default: "10000", description: "On SIGINT/SIGTERM, how long to wait for lines in flight to be acknowledged." },
  { section: "http", key: "address", type: { kind: "string" }, default: "", description: "Where the metrics and health server listens, `host:port`: `127.0.0.1:9700` for this host only, `:9700` for every interface, port 0 for any free port (logged). Empty: no server. It serves `/metrics` (Prometheus text format), `/healthz` and `/status` (see Metrics and health)." },
  { section: "http", key: "unhealthy_after_s", type: { kind: "int", min: 1, max: 86_400 }, default: "60", description: "`/healthz` answers 503 once Kafka has been unreachable (or has refused the credentials), or has refused a topic, for this many seconds; shorter outages are left to the retries." },
] as const satisfies readonly OptionSpec[];

export const OPTIONS: readonly OptionSpec[] = TABLE;


/** What parseOptionValue makes of a value of this type. */
type ValueOf<T extends OptionType> = T extends { kind: "int" }
  ? number
  : T extends { kind: "enum"; values: readonly (infer V)[] }
    ? V
    : T extends { kind: "list" | "regexes" | "globs" }
      ? string[]
      : string;

/** Each option's parsed value, typed from its row: `OptionValues["kafka.acks"]` is `"0" | "1" | "all"`. */
export type OptionValues = { [O in (typeof TABLE)[number] as `${O["section"]}.${O["key"]}`]: ValueOf<O["type"]> };

/** `"kafka.acks"`, one for each row of the table. */
export type OptionId = keyof OptionValues;

export function findOption(section: string, key: string): OptionSpec | undefined {
  return OPTIONS.find((o) => o.section === section && o.key === key);
}

/** Options whose INI value may be written as repeated `key[] = ...` lines. */
export function isListOption(spec: OptionSpec): boolean {
  return spec.type.kind === "list" || spec.type.kind === "regexes" || spec.type.kind === "globs";
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
    case "regex":
      return "regular expression";
    case "regexes":
      return "regular expressions";
    case "globs":
      return "globs";
  }
}

export const ENTRY_OPTIONS: readonly OptionSpec[] = OPTIONS.filter((o) => o.entry);

/** Parses one option's raw value (INI text, or a JSON value from etcd), echoing the bad value in the problem. */
export function parseOptionValue(spec: OptionSpec, raw: unknown): { value?: unknown; problem?: string } {
  if (spec.type.kind === "regex" || spec.type.kind === "regexes" || spec.type.kind === "globs") return parsePatterns(spec.type.kind, raw);
  // Text options keep their value exactly (the INI has already dropped unquoted blanks; quotes keep them on purpose).
  if (spec.type.kind === "string") return { value: Array.isArray(raw) ? raw.join(",") : String(raw) };
  const text = Array.isArray(raw) ? raw.join(",") : String(raw).trim();
  const shown = JSON.stringify(text);
  switch (spec.type.kind) {
    case "list": {
      const items = text.split(",").map((s) => s.trim()).filter(Boolean);
      return items.length ? { value: items } : { problem: `= ${shown}: must list at least one address` };
    }
    case "int": {
      const n = Number(text);
      if (!/^-?\d+$/.test(text) || n < spec.type.min || n > spec.type.max) {
        return { problem: `= ${shown}: must be an integer from ${spec.type.min} to ${spec.type.max}` };
      }
      return { value: n };
    }
    case "enum":
      return spec.type.values.includes(text)
        ? { value: text }
        : { problem: `= ${shown}: must be one of ${spec.type.values.join(", ")}` };
  }
}

/**
 * Patterns keep their commas (`{a,b}`, `\d{1,3}`), so a list is a JSON array or, in the INI, one
 * value or repeated `key[] = ...` lines, never a comma-separated text. Each is compiled now, so a bad
 * one is reported with the configuration rather than when the first line arrives; a regular expression
 * that cannot run in linear time is refused here too (src/lines/user-pattern.ts says which).
 */
function parsePatterns(kind: "regex" | "regexes" | "globs", raw: unknown): { value?: unknown; problem?: string } {
  const items = (Array.isArray(raw) ? raw : [raw]).filter((x) => x !== "" && x !== undefined && x !== null);
  if (kind === "regex" && items.length > 1) return { problem: `= ${JSON.stringify(raw)}: must be one regular expression` };
  const values: string[] = [];
  for (const item of items) {
    if (typeof item !== "string") return { problem: `= ${JSON.stringify(item)}: must be a string` };
    try {
      if (kind === "globs") compileGlob(item);
      else compileUserPattern(item);
    } catch (err) {
      if (kind !== "globs") return { problem: `= ${JSON.stringify(item)}: ${(err as Error).message}` };
      return { problem: `= ${JSON.stringify(item)}: is not a valid glob (${(err as Error).message.replace(/^glob ".*?": /, "")})` };
    }
    values.push(item);
  }
  return { value: kind === "regex" ? (values[0] ?? "") : values };
}
