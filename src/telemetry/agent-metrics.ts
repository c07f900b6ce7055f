// The agent's metrics: every family /metrics shows, declared in one place so that the README's
// list and the code cannot drift apart.
//
// Counting happens where the work is already done in bulk, never per line: a block of lines read
// or delivered adds its count once (the block carries its entry's FlowMeter), a file read adds
// what it filtered or cut once per read, a produce request counts itself once. Everything that
// already lives elsewhere (queue, open files, lag per file, etcd, the process) is a collected
// family read when /metrics is scraped, so an idle agent does no metrics work at all: no timer,
// no copy on change. The agent hands those sources over with `collectFrom`.
import type { Counter, Histogram } from "./metrics";
import { Registry } from "./metrics";
import { COMMIT, VERSION } from "../version";

export const METRICS = new Registry();

const ENTRY_TOPIC = ["entry", "topic"] as const;
const LINES_READ = METRICS.counter("logagent_lines_read_total", "Lines (multiline events, pieces of split lines) read from files and queued for Kafka; filtered lines are not among them.", ENTRY_TOPIC);
const BYTES_READ = METRICS.counter("logagent_bytes_read_total", "Bytes of the lines counted in logagent_lines_read_total, as sent (UTF-8, no line end).", ENTRY_TOPIC);
const LINES_SENT = METRICS.counter("logagent_lines_sent_total", "Lines Kafka acknowledged.", ENTRY_TOPIC);
const BYTES_SENT = METRICS.counter("logagent_bytes_sent_total", "Bytes of the lines Kafka acknowledged.", ENTRY_TOPIC);
const LINES_FILTERED = METRICS.counter("logagent_lines_filtered_total", "Lines (or multiline events) not sent because of include_lines or exclude_lines.", ENTRY_TOPIC);
const BYTES_FILTERED = METRICS.counter("logagent_bytes_filtered_total", "File bytes of the filtered lines.", ENTRY_TOPIC);
const LINES_SPLIT = METRICS.counter("logagent_lines_split_total", "Lines longer than max_line_bytes or max_message_bytes that were split into several.", ENTRY_TOPIC);
const LINES_TRUNCATED = METRICS.counter("logagent_lines_truncated_total", "Lines longer than max_line_bytes or max_message_bytes that were truncated.", ENTRY_TOPIC);

const KAFKA_REQUESTS = METRICS.counter("logagent_kafka_requests_total", "Produce requests sent (retries included).", ["topic"]);
const KAFKA_RETRIES = METRICS.counter("logagent_kafka_retries_total", "Produce requests sent again after a failure.", ["topic"]);
const KAFKA_ERRORS = METRICS.counter("logagent_kafka_errors_total", "Failures talking to Kafka, by cause: unavailable, topic, auth, too-large, producer, sequence.", ["topic", "cause"]);
const KAFKA_LATENCY = METRICS.histogram(
  "logagent_kafka_request_seconds",
  "Time from a produce request written to its answer (or its failure).",
  [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  ["topic"],
);

/** What one entry's lines add to; the entry (and its topic) asks for it once. */
export interface FlowMeter {
  readLines: Counter;
  readBytes: Counter;
  sentLines: Counter;
  sentBytes: Counter;
  filteredLines: Counter;
  filteredBytes: Counter;
  splitLines: Counter;
  truncatedLines: Counter;
}

export function flowMeter(entry: string, topic: string): FlowMeter {
  const labels = { entry, topic };
  return {
    readLines: LINES_READ.with(labels),
    readBytes: BYTES_READ.with(labels),
    sentLines: LINES_SENT.with(labels),
    sentBytes: BYTES_SENT.with(labels),
    filteredLines: LINES_FILTERED.with(labels),
    filteredBytes: BYTES_FILTERED.with(labels),
    splitLines: LINES_SPLIT.with(labels),
    truncatedLines: LINES_TRUNCATED.with(labels),
  };
}

/** What one topic's produce requests add to; each partition lane asks for it once. */
export interface KafkaMeter {
  requests: Counter;
  retries: Counter;
  latency: Histogram;
}

export function kafkaMeter(topic: string): KafkaMeter {
  return { requests: KAFKA_REQUESTS.with({ topic }), retries: KAFKA_RETRIES.with({ topic }), latency: KAFKA_LATENCY.with({ topic }) };
}

/** A failure is rare: its child is looked up when it happens. `topic` is empty for a failure of no one topic. */
export function countKafkaError(topic: string | null, cause: string): void {
  KAFKA_ERRORS.with({ topic: topic ?? "", cause }).inc();
}

/** One followed file, as the lag gauge needs it. */
export interface FileLag {
  path: string;
  entry: string;
  topic: string;
  lagBytes: number;
}

/** Where the collected families read from; set by the agent once its parts exist. */
export interface MetricSources {
  queue: { pending: number; unsettled: number; bytes: number };
  openFiles(): number;
  files(): Iterable<FileLag>;
  /** Null without [etcd]. */
  etcd(): { connected: boolean; revision: bigint | null } | null;
  /** Topics whose lines wait because Kafka refuses them (KafkaSink.waiting()). */
  waiting(): Iterable<{ topic: string; lines: number; sinceMs: number }>;
  /** Lines sent to [kafka] dead_letter_topic since start. */
  deadLettered(): number;
}

let sources: MetricSources | null = null;

export function collectFrom(s: MetricSources | null): void {
  sources = s;
}

/** A collected family with no labels: one sample, or none before the agent is wired. */
function one(read: (s: MetricSources) => number | null): () => { labels: Record<string, string>; value: number }[] {
  return () => {
    const value = sources ? read(sources) : null;
    return value === null ? [] : [{ labels: {}, value }];
  };
}

METRICS.collected("logagent_queue_lines", "Lines read and not yet acknowledged by Kafka (waiting or in flight).", "gauge", one((s) => s.queue.pending + s.queue.unsettled));
METRICS.collected("logagent_queue_bytes", "Bytes those lines hold, with their per-line overhead (bounded by max_buffer_bytes).", "gauge", one((s) => s.queue.bytes));
METRICS.collected("logagent_open_files", "Files held open.", "gauge", one((s) => s.openFiles()));
METRICS.collected("logagent_file_lag_bytes", "Bytes of a followed file not read yet (its size minus the offset read to).", "gauge", function* () {
  if (!sources) return;
  for (const f of sources.files()) yield { labels: { entry: f.entry, file: f.path, topic: f.topic }, value: f.lagBytes };
});
METRICS.collected("logagent_etcd_connected", "1 while a watch on the collect list's key runs, else 0 (absent without [etcd]).", "gauge", one((s) => {
  const e = s.etcd();
  return e === null ? null : e.connected ? 1 : 0;
}));
METRICS.collected("logagent_etcd_revision", "The etcd revision of the last collect list change applied (absent until the key is read).", "gauge", one((s) => {
  const r = s.etcd()?.revision;
  return r === undefined || r === null ? null : Number(r);
}));

METRICS.collected("logagent_waiting_lines", "Lines held because Kafka refuses their topic (no dead-letter topic, or it is refused too).", "gauge", function* () {
  if (!sources) return;
  for (const w of sources.waiting()) yield { labels: { topic: w.topic }, value: w.lines };
});
METRICS.collected("logagent_waiting_since_seconds", "When a topic's lines began to wait, in seconds since the epoch.", "gauge", function* () {
  if (!sources) return;
  for (const w of sources.waiting()) yield { labels: { topic: w.topic }, value: w.sinceMs / 1000 };
});
METRICS.collected("logagent_dead_lettered_lines_total", "Lines Kafka refused for good and sent to [kafka] dead_letter_topic instead.", "counter", one((s) => s.deadLettered()));

const startedAt = Date.now() / 1000 - process.uptime();
METRICS.collected("process_resident_memory_bytes", "Resident memory of the agent's process.", "gauge", () => [{ labels: {}, value: process.memoryUsage.rss() }]);
METRICS.collected("process_cpu_seconds_total", "CPU time the agent's process has used, user and system.", "counter", () => {
  const { user, system } = process.cpuUsage();
  return [{ labels: {}, value: (user + system) / 1e6 }];
});
METRICS.collected("process_start_time_seconds", "When the agent's process started, in seconds since the epoch.", "gauge", () => [{ labels: {}, value: Math.round(startedAt * 1000) / 1000 }]);
METRICS.collected("logagent_uptime_seconds", "Seconds since the agent's process started.", "gauge", () => [{ labels: {}, value: Math.round(process.uptime() * 1000) / 1000 }]);
METRICS.collected("logagent_build_info", "Always 1; the labels say which build runs.", "gauge", () => [{ labels: { version: VERSION, commit: COMMIT ?? "", platform: `${process.platform}-${process.arch}` }, value: 1 }]);
