import { expect, test } from "bun:test";
import { Registry } from "../../src/telemetry/metrics";

test("counters, gauges and collected gauges render in the Prometheus text format, labels escaped", () => {
  const r = new Registry();
  const sent = r.counter("logagent_lines_sent_total", "Lines Kafka acknowledged.", ["entry", "topic"]);
  sent.with({ entry: "/var/log/a.log", topic: "web" }).inc(3);
  sent.with({ topic: "web", entry: "/var/log/a.log" }).inc(); // same child whatever the key order
  sent.with({ entry: 'C:\\logs\\"q".log', topic: "x" }).inc(2);
  r.gauge("logagent_queue_lines", "Lines queued or in flight.").with().set(7);
  r.collected("logagent_file_lag_bytes", "Bytes not yet read.", "gauge", () => [{ labels: { file: "/a\nb" }, value: 12 }]);
  expect(r.render()).toBe(
    [
      "# HELP logagent_lines_sent_total Lines Kafka acknowledged.",
      "# TYPE logagent_lines_sent_total counter",
      'logagent_lines_sent_total{entry="/var/log/a.log",topic="web"} 4',
      'logagent_lines_sent_total{entry="C:\\\\logs\\\\\\"q\\".log",topic="x"} 2',
      "# HELP logagent_queue_lines Lines queued or in flight.",
      "# TYPE logagent_queue_lines gauge",
      "logagent_queue_lines 7",
      "# HELP logagent_file_lag_bytes Bytes not yet read.",
      "# TYPE logagent_file_lag_bytes gauge",
      'logagent_file_lag_bytes{file="/a\\nb"} 12',
      "",
    ].join("\n"),
  );
});

test("a histogram renders cumulative buckets, +Inf, sum and count", () => {
  const r = new Registry();
  const h = r.histogram("logagent_kafka_request_seconds", "Produce request latency.", [0.01, 0.1, 1]).with();
  for (const v of [0.005, 0.05, 0.05, 2]) h.observe(v);
  expect(r.render().split("\n").slice(2)).toEqual([
    'logagent_kafka_request_seconds_bucket{le="0.01"} 1',
    'logagent_kafka_request_seconds_bucket{le="0.1"} 3',
    'logagent_kafka_request_seconds_bucket{le="1"} 3',
    'logagent_kafka_request_seconds_bucket{le="+Inf"} 4',
    "logagent_kafka_request_seconds_sum 2.105",
    "logagent_kafka_request_seconds_count 4",
    "",
  ]);
});

test("mistakes are refused when a metric is declared, not when it is scraped", () => {
  const r = new Registry();
  expect(() => r.counter("lines_sent", "no _total")).toThrow("ends in _total");
  expect(() => r.gauge("bad-name", "x")).toThrow("not valid");
  expect(() => r.gauge("g", "x", ["le"])).toThrow("label name");
  r.gauge("g", "x");
  expect(() => r.gauge("g", "x")).toThrow("twice");
  const c = r.counter("c_total", "x", ["a"]);
  expect(() => c.with({ b: "1" })).toThrow("do not match");
});

test("a removed child no longer shows", () => {
  const r = new Registry();
  const g = r.gauge("logagent_open_files", "x", ["entry"]);
  g.with({ entry: "a" }).set(1);
  g.with({ entry: "b" }).set(2);
  g.remove({ entry: "a" });
  expect(r.render()).not.toContain('entry="a"');
  expect(r.render()).toContain('logagent_open_files{entry="b"} 2');
});
