// The two log line formats and the colour rule (https://no-color.org, https://force-color.org).
import { expect, test } from "bun:test";
import pc from "picocolors";
import { wantsColour } from "../../src/telemetry/colour";
import { formatJson, formatText } from "../../src/telemetry/log-format";
import type { LogRecord } from "../../src/telemetry/log-record";

const ESC = "\x1b";
const at = new Date("2026-11-30T10:00:00.000Z");
const rec = (over: Partial<LogRecord> = {}): LogRecord => ({
  time: at,
  level: "warn",
  scope: "logagent.kafka",
  message: "Kafka did not accept a batch; retrying until it does. Nothing is dropped.",
  fields: { brokers: "127.0.0.1:9092", lines: 12, error: new Error("Connection refused") },
  ...over,
});

test("text: time, level, scope, sentence, key=value; no escape codes without colours", () => {
  expect(formatText(rec())).toBe(
    '2026-11-30T10:00:00.000Z WARN  logagent.kafka: Kafka did not accept a batch; retrying until it does. Nothing is dropped. brokers=127.0.0.1:9092 lines=12 error="Connection refused"\n',
  );
});

test("text: values with spaces or newlines are quoted, so a record stays on one line", () => {
  const line = formatText(rec({ fields: { stack: "Error: x\n    at f (a.ts:1)", path: "C:\\logs\\a b.log", n: 10n, gone: undefined } }));
  expect(line).toEndWith(' stack="Error: x\\n    at f (a.ts:1)" path="C:\\\\logs\\\\a b.log" n=10\n');
  expect(line.split("\n").length).toBe(2);
});

test("text: with colours (a terminal), the level and scope are painted", () => {
  const line = formatText(rec(), pc.createColors(true));
  expect(line).toContain(`${ESC}[33mWARN ${ESC}[39m`);
  expect(line.replace(/\x1b\[\d+m/g, "")).toBe(formatText(rec()));
});

test("json: one parseable object per line with time, level, scope, message, the fields as keys, Errors as their message", () => {
  const line = formatJson(rec());
  expect(line.endsWith("\n")).toBe(true);
  expect(line.slice(0, -1)).not.toContain("\n");
  expect(JSON.parse(line)).toEqual({
    time: "2026-11-30T10:00:00.000Z",
    level: "warn",
    scope: "logagent.kafka",
    message: "Kafka did not accept a batch; retrying until it does. Nothing is dropped.",
    brokers: "127.0.0.1:9092",
    lines: 12,
    error: "Connection refused",
  });
});

test("json: the event name when the record has one; no event key when it has none", () => {
  expect(JSON.parse(formatJson(rec({ event: "KafkaOutageStarted" }))).event).toBe("KafkaOutageStarted");
  expect("event" in JSON.parse(formatJson(rec()))).toBe(false);
});

test("json: a field named like a record key does not overwrite it; bigints, nested errors and circular values do not throw", () => {
  const circular: Record<string, unknown> = { a: 1 };
  circular.self = circular;
  const parsed = JSON.parse(
    formatJson(rec({ event: "AgentStopped", fields: { message: "from a field", event: "x", ino: 2n ** 63n, nested: { cause: new Error("inner") }, circular, skip: undefined } })),
  );
  expect(parsed.message).toBe(rec().message);
  expect(parsed.event).toBe("AgentStopped");
  expect(parsed.field_message).toBe("from a field");
  expect(parsed.field_event).toBe("x");
  expect(parsed.ino).toBe("9223372036854775808");
  expect(parsed.nested).toEqual({ cause: "inner" });
  expect(parsed.circular).toBe("[object Object]");
  expect("skip" in parsed).toBe(false);
});

const tty = { isTTY: true } as NodeJS.WriteStream;
const pipe = { isTTY: false } as NodeJS.WriteStream;

test("colour: a terminal gets colour, a file or pipe does not", () => {
  expect(wantsColour(tty, {})).toBe(true);
  expect(wantsColour(pipe, {})).toBe(false);
  expect(wantsColour(pipe, { TERM: "xterm-256color" })).toBe(false);
});

test("colour: NO_COLOR (non-empty) turns it off, even on a terminal and even with FORCE_COLOR", () => {
  expect(wantsColour(tty, { NO_COLOR: "1" })).toBe(false);
  expect(wantsColour(tty, { NO_COLOR: "1", FORCE_COLOR: "1" })).toBe(false);
  expect(wantsColour(tty, { NO_COLOR: "" })).toBe(true);
});

test("colour: FORCE_COLOR (non-empty, not 0) turns it on for a file or pipe; FORCE_COLOR=0 or empty does not", () => {
  expect(wantsColour(pipe, { FORCE_COLOR: "1" })).toBe(true);
  expect(wantsColour(pipe, { FORCE_COLOR: "3" })).toBe(true);
  expect(wantsColour(pipe, { FORCE_COLOR: "0" })).toBe(false);
  expect(wantsColour(pipe, { FORCE_COLOR: "" })).toBe(false);
  expect(wantsColour(tty, { FORCE_COLOR: "0" })).toBe(true);
});
