// Where log records go: stderr, a file, the event sink; what happens when one of them fails;
// reconfiguring. Cases about stderr itself run in a child Bun process, whose stderr the test owns.
import { afterAll, afterEach, beforeEach, expect, test } from "bun:test";
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConsoleSink } from "../../src/telemetry/console-sink";
import { FILE_RETRY_MS, FileSink } from "../../src/telemetry/file-sink";
import { defaultServiceLogFile, loggingFromConfig } from "../../src/telemetry/log-destination";
import type { LogRecord } from "../../src/telemetry/log-record";
import { Logger, configureLogging, setEventSink } from "../../src/telemetry/logger";

const LOGGER = path.resolve(import.meta.dir, "../../src/telemetry/logger.ts");
const log = new Logger("test");
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "logger-sinks-"));
});
afterEach(() => {
  setEventSink(null);
  configureLogging({ level: "info", console: true });
  rmSync(dir, { recursive: true, force: true });
});
afterAll(() => configureLogging({ level: "info", console: true }));

const rec = (message: string): LogRecord => ({ time: new Date(), level: "info", scope: "test", message, fields: {} });

/** Runs `body` in a child Bun process with `configureLogging` etc. in scope; returns its output. */
function child(body: string, shell?: (cmd: string) => string[]): { code: number; stdout: string; stderr: string } {
  const script = path.join(dir, "child.ts");
  writeFileSync(script, `import { Logger, configureLogging, setEventSink } from ${JSON.stringify(LOGGER)};\nconst log = new Logger("child");\n${body}\n`);
  const cmd = shell ? shell(`"${process.execPath}" "${script}"`) : [process.execPath, script];
  const r = Bun.spawnSync(cmd, { cwd: dir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

function openPaths(): string[] {
  return readdirSync("/proc/self/fd").flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/self/fd/${fd}`)];
    } catch {
      return [];
    }
  });
}

test("a console sink whose descriptor cannot be written turns itself off without throwing", () => {
  const file = path.join(dir, "read-only");
  writeFileSync(file, "");
  const fd = openSync(file, "r"); // write() on it fails with EBADF, as on a closed or invalid stderr
  try {
    const sink = new ConsoleSink("text", fd);
    expect(() => sink.write(rec("one"))).not.toThrow();
    expect(sink.enabled).toBe(false);
    expect(() => sink.write(rec("two"))).not.toThrow();
  } finally {
    closeSync(fd);
  }
});

test("stderr whose reader went away (EPIPE): 2000 lines later the process is alive and exits 0", () => {
  // The reader (`true`) exits at once; the child waits 300 ms so that every write meets a closed pipe.
  const done = path.join(dir, "done");
  const r = child(
    `await Bun.sleep(300);\nfor (let i = 0; i < 2000; i++) log.info("Line.", { i });\nawait Bun.write(${JSON.stringify(done)}, "done");`,
    (cmd) => ["sh", "-c", `${cmd} 2>&1 >/dev/null | true; echo "exit $?"`],
  );
  expect(readFileSync(done, "utf8")).toBe("done");
  expect(r.stdout).toBe("exit 0\n");
});

test("with a file only, records go to the file and nothing to stderr (not a terminal: no notice either)", () => {
  const file = path.join(dir, "logs", "agent.log");
  const r = child(`configureLogging({ level: "debug", console: false, file: { path: ${JSON.stringify(file)}, maxBytes: 10240, keep: 2, format: "text" } });\nlog.debug("Hello.", { n: 1 });`);
  expect(r.code).toBe(0);
  expect(r.stderr).toBe("");
  expect(readFileSync(file, "utf8")).toMatch(/^\S+ DEBUG child: Hello\. n=1\n$/);
});

test("a log file that cannot be opened: one line on stderr says why, then the records go to stderr; nothing throws", () => {
  writeFileSync(path.join(dir, "not-a-folder"), "");
  const file = path.join(dir, "not-a-folder", "agent.log");
  const r = child(`configureLogging({ level: "info", console: false, file: { path: ${JSON.stringify(file)}, maxBytes: 10240, keep: 2, format: "text" } });\nlog.info("Still here.");`);
  expect(r.code).toBe(0);
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines.length).toBe(2);
  expect(lines[0]).toContain("ERROR logagent.log: Cannot write the log file; logging to stderr instead");
  expect(lines[0]).toContain(`file=${file}`);
  expect(lines[0]).toMatch(/ error="E[A-Z]+: .*not-a-folder/); // EEXIST from mkdir, the cause
  expect(lines[1]).toMatch(/INFO  child: Still here\.$/);
});

test("a file that cannot be opened is reported once, tried again every 30 s, and says when it is writable again", () => {
  let now = 1_000_000;
  const failures: LogRecord[] = [];
  const blocker = path.join(dir, "logs");
  writeFileSync(blocker, ""); // a file where the folder should be
  const sink = new FileSink({ path: path.join(blocker, "agent.log"), maxBytes: 10240, keep: 1, format: "json" }, (r) => failures.push(r), () => now);
  expect(sink.write(rec("lost 1"))).toBe(false);
  now += FILE_RETRY_MS - 1;
  expect(sink.write(rec("lost 2"))).toBe(false);
  now += 1;
  expect(sink.write(rec("lost 3"))).toBe(false); // tried again, failed again: not reported again
  expect(failures.map((f) => [f.level, f.event])).toEqual([["error", "LogFileFailed"]]);
  rmSync(blocker);
  expect(sink.write(rec("not yet"))).toBe(false); // 30 s have not passed since the last try
  now += FILE_RETRY_MS;
  expect(sink.write(rec("back"))).toBe(true);
  sink.close();
  const lines = readFileSync(path.join(blocker, "agent.log"), "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
  expect(lines.map((l) => l.message)).toEqual(["The log file is writable again; the lines logged meanwhile went to stderr.", "back"]);
});

test("a FIFO where the log file should be is not opened (that would wait for a reader for ever): the sink falls back at once", () => {
  const fifo = path.join(dir, "fifo.log");
  expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
  const failures: LogRecord[] = [];
  const began = Date.now();
  const sink = new FileSink({ path: fifo, maxBytes: 10240, keep: 1, format: "text" }, (r) => failures.push(r), () => began);
  expect(sink.write(rec("to stderr"))).toBe(false);
  expect(Date.now() - began).toBeLessThan(1000);
  // Without a reader, a non-blocking open for writing fails with ENXIO; with one, fstat says FIFO.
  expect(failures.map((f) => String(f.fields.error))).toEqual([expect.stringMatching(/ENXIO|is not a regular file/)]);
  sink.close();
});

test("reconfiguring closes the old file and writes to the new one", () => {
  const a = path.join(dir, "a.log");
  const b = path.join(dir, "b.log");
  configureLogging({ level: "info", console: false, file: { path: a, maxBytes: 10240, keep: 1, format: "text" } });
  log.info("To a.");
  expect(openPaths()).toContain(a);
  configureLogging({ level: "info", console: false, file: { path: b, maxBytes: 10240, keep: 1, format: "text" } });
  expect(openPaths()).not.toContain(a);
  log.info("To b.");
  expect(readFileSync(a, "utf8")).toMatch(/To a\.\n$/);
  expect(readFileSync(b, "utf8")).toMatch(/^\S+ INFO  test: To b\.\n$/);
  configureLogging({ level: "info", console: true });
  expect(openPaths()).not.toContain(b);
});

test("a text log file has no escape codes, even with FORCE_COLOR set", () => {
  const file = path.join(dir, "agent.log");
  const r = child(`configureLogging({ level: "info", console: false, file: { path: ${JSON.stringify(file)}, maxBytes: 10240, keep: 1, format: "text" } });\nlog.warn("Careful.", { a: "b c" });`, (cmd) => [
    "sh",
    "-c",
    `FORCE_COLOR=1 TERM=xterm-256color NO_COLOR= ${cmd}`,
  ]);
  expect(r.code).toBe(0);
  const text = readFileSync(file, "utf8");
  expect(text).toContain('WARN  child: Careful. a="b c"');
  expect(text).not.toContain("\x1b");
});

test("json lines in the file parse, with the event name", () => {
  const file = path.join(dir, "agent.log");
  configureLogging({ level: "info", console: false, file: { path: file, maxBytes: 10240, keep: 1, format: "json" } });
  log.info("Starting.", { config: "/etc/conf.ini" }, "AgentStarting");
  log.debug("Below the level.");
  const lines = readFileSync(file, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
  expect(lines).toEqual([{ time: expect.any(String), level: "info", scope: "test", message: "Starting.", config: "/etc/conf.ini", event: "AgentStarting" }]);
});

test("the event sink gets named events (even below the level) and every error, not other records", () => {
  const got: LogRecord[] = [];
  configureLogging({ level: "warn", console: false, file: { path: path.join(dir, "agent.log"), maxBytes: 10240, keep: 1, format: "text" } });
  setEventSink((r) => got.push(r));
  log.info("Starting.", {}, "AgentStarting");
  log.info("Plain.");
  log.warn("Kafka did not accept a batch.", { lines: 3 }, "KafkaOutageStarted");
  log.error("Something broke.", { error: new Error("x") });
  log.debug("Debug.");
  expect(got.map((r) => [r.level, r.message, r.event])).toEqual([
    ["info", "Starting.", "AgentStarting"],
    ["warn", "Kafka did not accept a batch.", "KafkaOutageStarted"],
    ["error", "Something broke.", undefined],
  ]);
  // The file keeps to its level: the info event is not in it.
  expect(readFileSync(path.join(dir, "agent.log"), "utf8")).not.toContain("Starting.");
});

test("an event sink that throws, or logs an error itself, neither breaks the caller nor loops", () => {
  let calls = 0;
  configureLogging({ level: "info", console: false, file: { path: path.join(dir, "agent.log"), maxBytes: 10240, keep: 1, format: "text" } });
  setEventSink(() => {
    calls++;
    log.error("Cannot report to the Event Log.");
    throw new Error("event log unavailable");
  });
  expect(() => log.error("Fatal error.", {}, "FatalError")).not.toThrow();
  expect(calls).toBe(1);
  const text = readFileSync(path.join(dir, "agent.log"), "utf8");
  expect(text).toContain("Fatal error.");
  expect(text).toContain("Cannot report to the Event Log.");
});

test("the INI's options: log_file means the file only; empty means the default file, or stderr without one", () => {
  const agent = { logLevel: "debug", logFile: "", logMaxBytes: 20000, logKeep: 3, logFormat: "json" } as const;
  expect(loggingFromConfig(agent)).toEqual({ level: "debug", console: true, consoleFormat: "json", file: undefined });
  expect(loggingFromConfig({ ...agent, logFile: "/var/log/la.log" }, "/default.log")).toEqual({
    level: "debug",
    console: false,
    consoleFormat: "json",
    file: { path: "/var/log/la.log", maxBytes: 20000, keep: 3, format: "json" },
  });
  expect(loggingFromConfig(agent, "/default.log").file?.path).toBe("/default.log");
});

test("the default service log file is %ProgramData%\\logagent\\logs\\NAME.log, C:\\ProgramData without the variable", () => {
  expect(defaultServiceLogFile("logagent", { ProgramData: "D:\\Data" })).toBe("D:\\Data\\logagent\\logs\\logagent.log");
  expect(defaultServiceLogFile("second", { PROGRAMDATA: "C:\\ProgramData" })).toBe("C:\\ProgramData\\logagent\\logs\\second.log");
  expect(defaultServiceLogFile("logagent", {})).toBe("C:\\ProgramData\\logagent\\logs\\logagent.log");
});
