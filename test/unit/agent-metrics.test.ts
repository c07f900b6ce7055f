// The agent's metric families fed by the real file server and queue: counts land on the entry's
// labels, once per block or read, and the collected gauges read their sources at scrape time.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Output } from "../../src/discovery/entry-output";
import { LineQueue } from "../../src/pipeline/line-queue";
import { FileServer } from "../../src/tail/file-server";
import { resolveTailSettings, tailDefaults } from "../../src/tail/tail-settings";
import { METRICS, collectFrom, countKafkaError, kafkaMeter } from "../../src/telemetry/agent-metrics";
import { Logger, setLogLevel } from "../../src/telemetry/logger";
import { VERSION } from "../../src/version";
import { sample } from "../support/scrape";

setLogLevel("error");
const dir = mkdtempSync(path.join(os.tmpdir(), "agent-metrics-"));
afterAll(() => {
  collectFrom(null);
  rmSync(dir, { recursive: true, force: true });
});

test("read, filtered and split lines are counted per entry and topic; lag is what Kafka has not acknowledged", async () => {
  const file = path.join(dir, "app.log");
  const long = "L".repeat(2500); // max_line_bytes 1024: split into 3 pieces
  const lines = [...Array.from({ length: 100 }, (_, i) => (i % 10 === 0 ? `DEBUG ${i}` : `line ${i}`)), long];
  writeFileSync(file, lines.join("\n") + "\n");
  const queue = new LineQueue(10_000, 1 << 24);
  const positions = { find: () => undefined, under: () => [], track: () => {} };
  const server = new FileServer({ pollIntervalMs: 20, idlePollMaxMs: 100, rotateWaitMs: 100, rescanIntervalMs: 100, maxOpenFiles: 10, positions, watch: false }, queue, new Logger("test"));
  const entry = { path: file, topic: "web", options: { exclude_lines: ["^DEBUG"], max_line_bytes: 1024, long_lines: "split" } };
  server.apply([{ entry, output: { topic: "web" } as Output, tail: resolveTailSettings(entry, tailDefaults(), "beginning").settings! }]);
  collectFrom({ queue, openFiles: () => server.openFiles(), files: () => server.describe().files, etcd: () => null, waiting: () => [], deadLettered: () => 0 });
  server.start();
  const blocks = [];
  const deadline = Date.now() + 10_000;
  let got = 0;
  while (got < 93 && Date.now() < deadline) {
    await Promise.race([queue.whenItems(), Bun.sleep(50)]);
    for (const b of queue.takeAll()) {
      blocks.push(b);
      got += b.count;
    }
  }
  expect(got).toBe(90 + 3);
  const labels = { entry: file, topic: "web" };
  let text = METRICS.render();
  expect(sample(text, "logagent_lines_read_total", labels)).toBe(93);
  expect(sample(text, "logagent_bytes_read_total", labels)).toBe(lines.filter((l) => !l.startsWith("DEBUG")).join("").length);
  expect(sample(text, "logagent_lines_filtered_total", labels)).toBe(10);
  expect(sample(text, "logagent_bytes_filtered_total", labels)).toBe(lines.filter((l) => l.startsWith("DEBUG")).reduce((n, l) => n + l.length + 1, 0)); // with their line ends
  expect(sample(text, "logagent_lines_split_total", labels)).toBe(1);
  expect(sample(text, "logagent_lines_truncated_total", labels)).toBe(0); // every series of an entry shows from its start
  expect(sample(text, "logagent_queue_lines")).toBe(93);
  expect(sample(text, "logagent_open_files")).toBe(1);
  // Nothing acknowledged: the whole file lags but its first line, filtered, which nothing before holds back.
  const size = Buffer.byteLength(lines.join("\n") + "\n");
  expect(sample(text, "logagent_file_lag_bytes", { entry: file, file, topic: "web" })).toBe(size - "DEBUG 0\n".length);
  // Acknowledged, as the sink does it: the lag is gone and the queue empty.
  for (const b of blocks) {
    b.tracker.settle(b.ticket);
    b.meter!.sentLines.inc(b.count);
    queue.settle(b);
  }
  text = METRICS.render();
  expect(sample(text, "logagent_file_lag_bytes", { entry: file, file, topic: "web" })).toBe(0);
  expect(sample(text, "logagent_lines_sent_total", labels)).toBe(93);
  expect(sample(text, "logagent_queue_lines")).toBe(0);
  server.stop();
});

test("Kafka requests, retries, errors by cause and latency land on the topic's labels", () => {
  const m = kafkaMeter("k-topic");
  m.requests.inc();
  m.requests.inc();
  m.retries.inc();
  m.latency.observe(0.003);
  countKafkaError("k-topic", "unavailable");
  countKafkaError(null, "auth");
  const text = METRICS.render();
  expect(sample(text, "logagent_kafka_requests_total", { topic: "k-topic" })).toBe(2);
  expect(sample(text, "logagent_kafka_retries_total", { topic: "k-topic" })).toBe(1);
  expect(sample(text, "logagent_kafka_errors_total", { topic: "k-topic", cause: "unavailable" })).toBe(1);
  expect(sample(text, "logagent_kafka_errors_total", { topic: "", cause: "auth" })).toBe(1);
  expect(sample(text, "logagent_kafka_request_seconds_bucket", { topic: "k-topic", le: "0.005" })).toBe(1);
  expect(sample(text, "logagent_kafka_request_seconds_count", { topic: "k-topic" })).toBe(1);
});

test("etcd gauges only with [etcd]; process and build gauges always", () => {
  const queue = new LineQueue(10, 1 << 22);
  collectFrom({ queue, openFiles: () => 0, files: () => [], etcd: () => null, waiting: () => [], deadLettered: () => 0 });
  let text = METRICS.render();
  expect(sample(text, "logagent_etcd_connected")).toBeUndefined();
  collectFrom({ queue, openFiles: () => 0, files: () => [], etcd: () => ({ connected: true, revision: 42n }), waiting: () => [], deadLettered: () => 0 });
  text = METRICS.render();
  expect(sample(text, "logagent_etcd_connected")).toBe(1);
  expect(sample(text, "logagent_etcd_revision")).toBe(42);
  expect(sample(text, "process_resident_memory_bytes")).toBeGreaterThan(1 << 20);
  expect(sample(text, "logagent_dead_lettered_lines_total")).toBe(0);
  expect(sample(text, "process_cpu_seconds_total")).toBeGreaterThan(0);
  expect(sample(text, "logagent_uptime_seconds")).toBeGreaterThan(0);
  expect(text).toContain(`logagent_build_info{version="${VERSION}",commit="",platform="${process.platform}-${process.arch}"} 1`);
});

test("waiting topics: lines held and since when, per topic; dead-lettered lines counted", () => {
  const queue = new LineQueue(10, 1 << 22);
  collectFrom({ queue, openFiles: () => 0, files: () => [], etcd: () => null, waiting: () => [{ topic: "denied", lines: 7, sinceMs: 1_700_000_000_500 }], deadLettered: () => 3 });
  const text = METRICS.render();
  expect(sample(text, "logagent_waiting_lines", { topic: "denied" })).toBe(7);
  expect(sample(text, "logagent_waiting_since_seconds", { topic: "denied" })).toBe(1_700_000_000.5);
  expect(sample(text, "logagent_dead_lettered_lines_total")).toBe(3);
});
