// Files that cannot be opened (permission denied, a directory where a file
// should be): said once when it starts and once when it ends, retried quietly
// with backoff, never holding up the other files, and read from where they
// were once they can be. Real files in a temp folder, a hand-driven clock.
//
// Permission denied needs an account that file modes apply to: root reads a
// file whatever its mode. When the tests run as root, the steps that touch
// the files run with the process's effective uid and gid set to nobody's
// (seteuid; the kernel checks permissions against the effective ids, as it
// does for an agent run as a service account), in a folder given to nobody.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { appendFileSync, chmodSync, chownSync, mkdirSync, mkdtempSync, renameSync, rmSync, rmdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AgentConfig } from "../../src/config/load-ini";
import type { Output, OutputOptions } from "../../src/discovery/entry-output";
import { resolveEntries } from "../../src/discovery/resolve-entries";
import { eachLine } from "../support/lines";
import { OpenFiles } from "../../src/tail/open-files";
import { resolveTailSettings, tailDefaults, type TailOptions } from "../../src/tail/tail-settings";
import { Tailer, type Claims } from "../../src/tail/tailer";
import { causeOf } from "../../src/tail/unreadable";
import { LogCapture } from "../support/log-capture";
import { MemoryBook } from "../support/memory-book";

const NOBODY = 65534;
const AS_ROOT = process.getuid?.() === 0;
/** The tailer's retry cap in these tests: idle_poll_max_ms's default. */
const IDLE_MAX_MS = 2000;
const POLL_MS = 100;

let dir: string;
let clock = 0;
/** Lines sent, as `file-basename: line`. */
let out: string[];
const sink = eachLine((line, file) => void out.push(`${path.basename(file)}: ${new TextDecoder().decode(line)}`));
const noClaims: Claims = { claim: () => null, release: () => {} };
let book: MemoryBook;
let log: LogCapture;

function tailer(pattern: string, from: "beginning" | "end" = "beginning", overrides: Partial<TailOptions> = {}): Tailer {
  const { settings, problems } = resolveTailSettings({ path: pattern, topic: "t", options: overrides }, tailDefaults(), from);
  if (!settings) throw new Error(problems.join("; "));
  const options = { rotateWaitMs: 500, positions: book, baseIntervalMs: POLL_MS, idleMaxMs: IDLE_MAX_MS, rescanIntervalMs: 500, settings, openFiles: new OpenFiles(100), claims: noClaims, releaseRotated: false };
  return new Tailer(pattern, { topic: "t" } as Output, options, log);
}
/** Polls as the file server does, every POLL_MS of the test's clock. */
const poll = (t: Tailer, times = 1) => {
  for (let i = 0; i < times; i++) t.poll((clock += POLL_MS), { lines: 1_000_000, bytes: 1 << 30 }, sink);
};

/** Runs `fn` as an account that file modes apply to (see the header). */
function unprivileged(fn: () => void): void {
  if (!AS_ROOT) return fn();
  chownSync(dir, NOBODY, NOBODY);
  process.setegid!(NOBODY);
  process.seteuid!(NOBODY);
  try {
    fn();
  } finally {
    process.seteuid!(0);
    process.setegid!(0);
  }
}

const warnings = () => log.at("warn").map((e) => `${e.message} ${path.basename(String(e.fields.file ?? e.fields.path))}`);

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "tailer-unreadable-"));
  out = [];
  book = new MemoryBook();
  log = new LogCapture();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test(
  "a file without read permission: one WARN naming the file, the cause and the account, then 60 s of quiet retries " +
    "backing off to one every 1-2 s (idle_poll_max_ms), one INFO when it can be read, and every line read from the start",
  () => {
    unprivileged(() => {
      const file = path.join(dir, "app.log");
      writeFileSync(file, "a1\na2\n");
      chmodSync(file, 0o200); // its writer may write; the agent's account may not read
      const t = tailer(file);
      for (let s = 0; s < 60; s++) {
        if (s % 10 === 0) appendFileSync(file, `b${s / 10}\n`);
        poll(t, 1000 / POLL_MS);
      }
      expect(out).toEqual([]);
      expect(warnings()).toEqual(["Cannot open file; trying again until it can be, without saying so each time. Nothing is lost: it is read from where it was. app.log"]);
      const warn = log.at("warn")[0]!;
      expect(warn.fields).toMatchObject({ path: file, file, code: "EACCES" });
      expect(String(warn.fields.cause)).toStartWith("permission denied: the account logagent runs as (");
      expect(String(warn.fields.cause)).toContain(`uid ${process.geteuid!()}`);
      // 600 polls; the tries back off from 100 ms to a ceiling of 2 s (each wait jittered into [1 s, 2 s]).
      const retries = log.said("debug", "Still cannot open file.").length;
      expect(retries).toBeGreaterThanOrEqual(25);
      expect(retries).toBeLessThanOrEqual(70);

      chmodSync(file, 0o644);
      poll(t, IDLE_MAX_MS / POLL_MS + 1); // longer than the longest wait between tries
      expect(out).toEqual(["a1", "a2", "b0", "b1", "b2", "b3", "b4", "b5"].map((l) => `app.log: ${l}`));
      expect(log.said("info", "File can be read now").map((e) => e.fields)).toEqual([expect.objectContaining({ file, offset: 0, because: "from = beginning" })]);
      // The INFO stands for "Following file." here: one line says it opened.
      expect(log.said("info", "Following file.")).toEqual([]);
      expect(log.at("warn")).toHaveLength(1);
      expect(log.at("error")).toEqual([]);
      t.stop();
    });
  },
);

test("a file read, closed as inactive, then unreadable when it grows: read again from where it was once it can be, nothing lost or repeated", () => {
  unprivileged(() => {
    const file = path.join(dir, "app.log");
    writeFileSync(file, "");
    const t = tailer(file, "beginning", { close_inactive_s: 1 });
    poll(t);
    appendFileSync(file, "a1\n");
    poll(t, 20); // read, then closed after 1 s without growth
    expect(out).toEqual(["app.log: a1"]);
    expect(t.openFiles()).toBe(0);
    chmodSync(file, 0o200);
    appendFileSync(file, "a2\na3\n");
    poll(t, 100); // 10 s of retries
    expect(out).toEqual(["app.log: a1"]);
    expect(log.at("warn").map((e) => e.fields)).toEqual([expect.objectContaining({ file, code: "EACCES", offset: 3 })]);
    chmodSync(file, 0o644);
    poll(t, IDLE_MAX_MS / POLL_MS + 1);
    expect(out).toEqual(["app.log: a1", "app.log: a2", "app.log: a3"]);
    expect(log.said("info", "File can be read now").map((e) => e.fields)).toEqual([{ path: file, file, offset: 3 }]);
    expect(log.at("warn")).toHaveLength(1);
    t.stop();
  });
});

test("a glob with one unreadable file: each line of the others is read within idle_poll_max_ms meanwhile, and the unreadable one is read in full once it can be", () => {
  unprivileged(() => {
    const f = (name: string) => path.join(dir, name);
    writeFileSync(f("good.log"), "g0\n");
    writeFileSync(f("locked.log"), "l0\n");
    chmodSync(f("locked.log"), 0o200);
    const t = tailer(path.join(dir, "*.log"));
    poll(t);
    expect(out).toEqual(["good.log: g0"]);
    // 20 s: a line to each file every 2 s; good.log's is read before the next one is written.
    for (let i = 1; i <= 10; i++) {
      appendFileSync(f("good.log"), `g${i}\n`);
      appendFileSync(f("locked.log"), `l${i}\n`);
      poll(t, IDLE_MAX_MS / POLL_MS);
      expect(out.at(-1)).toBe(`good.log: g${i}`);
    }
    expect(out.filter((l) => l.startsWith("locked"))).toEqual([]);
    expect(warnings()).toEqual(["Cannot open file; trying again until it can be, without saying so each time. Nothing is lost: it is read from where it was. locked.log"]);
    chmodSync(f("locked.log"), 0o644);
    poll(t, IDLE_MAX_MS / POLL_MS + 1);
    expect(out.filter((l) => l.startsWith("locked"))).toEqual(Array.from({ length: 11 }, (_, i) => `locked.log: l${i}`));
    expect(out.filter((l) => l.startsWith("good"))).toEqual(Array.from({ length: 11 }, (_, i) => `good.log: g${i}`));
    expect(log.said("info", "File can be read now")).toHaveLength(1);
    expect(log.at("warn")).toHaveLength(1);
    t.stop();
  });
});

test("from = end, and a file that cannot be opened when the entry starts: what it held then is skipped, what was written until it could be opened is read", () => {
  unprivileged(() => {
    const file = path.join(dir, "app.log");
    writeFileSync(file, "before-start\n");
    chmodSync(file, 0o200);
    const t = tailer(file, "end");
    poll(t, 10);
    appendFileSync(file, "while-locked\n");
    poll(t, 10);
    chmodSync(file, 0o644);
    poll(t, IDLE_MAX_MS / POLL_MS + 1);
    appendFileSync(file, "after\n");
    poll(t, IDLE_MAX_MS / POLL_MS + 1);
    expect(out).toEqual(["app.log: while-locked", "app.log: after"]);
    expect(log.said("info", "File can be read now").map((e) => e.fields.offset)).toEqual(["before-start\n".length]);
    t.stop();
  });
});

test("a file rotated while it cannot be read: the new file is read at once, the old one under its new name once it can be, nothing lost", () => {
  unprivileged(() => {
    const file = path.join(dir, "app.log");
    writeFileSync(file, "old1\nold2\n");
    chmodSync(file, 0o200);
    const t = tailer(file);
    poll(t, 10);
    renameSync(file, `${file}.1`);
    writeFileSync(file, "new1\n");
    poll(t, 10);
    expect(out).toEqual(["app.log: new1"]);
    chmodSync(`${file}.1`, 0o644);
    poll(t, IDLE_MAX_MS / POLL_MS + 1);
    // A plain path's lines carry its name, whichever file they came from.
    expect(out.sort()).toEqual(["app.log: new1", "app.log: old1", "app.log: old2"]);
    expect(log.said("info", "rotated before it could be read")).toHaveLength(1);
    expect(log.at("warn")).toHaveLength(1);
    expect(log.at("error")).toEqual([]);
    t.stop();
  });
});

test(
  "a directory that appears under a plain path while the entry runs: one WARN (not 'does not exist yet') over 20 s of polls, " +
    "and a file that takes its place later is followed",
  () => {
    const p = path.join(dir, "app.log");
    const t = tailer(p);
    poll(t, 10);
    expect(log.said("info", "File does not exist yet")).toHaveLength(1);
    mkdirSync(p);
    poll(t, 200);
    expect(log.at("warn").map((e) => e.message)).toEqual([
      `Path names a directory, not a file; nothing is collected under it until a file takes its place. A path without glob characters names one file: to collect the files in this folder, use a glob such as ${path.join(p, "*.log")}.`,
    ]);
    expect(log.said("info", "File does not exist yet")).toHaveLength(1);
    rmdirSync(p);
    writeFileSync(p, "x\n");
    poll(t, IDLE_MAX_MS / POLL_MS + 1);
    expect(out).toEqual(["app.log: x"]);
    expect(log.said("info", "Following file.")).toHaveLength(1);
    expect(log.at("warn")).toHaveLength(1);
    t.stop();
  },
);

test("a plain path that is a directory when the list is applied refuses the list, naming the entry, the path and a glob to use instead; a glob or a missing path does not", () => {
  const logs = path.join(dir, "logs");
  mkdirSync(logs);
  const r = resolveTailSettings({ path: logs, topic: "t" }, tailDefaults(), "end");
  expect(r.settings).toBeUndefined();
  expect(r.problems).toEqual([`field "path" = ${JSON.stringify(logs)} is a directory; a path without glob characters names one file (to collect the files in this folder, use a glob such as ${JSON.stringify(path.join(logs, "*.log"))})`]);

  const defaults: OutputOptions = { acks: "all", partitioner: "key", key: "path", key_pattern: "", partition: -1, compression: "none", format: "raw" };
  // Only what resolveEntries reads of the INI.
  const config = { kafka: { output: defaults, idempotent: false }, fields: {}, agent: { tail: tailDefaults(), from: "end" } } as unknown as AgentConfig;
  const host = { hostname: "h", ip: "10.0.0.1" };
  const entries = [
    { path: path.join(dir, "app.log"), topic: "t" },
    { path: logs, topic: "t" },
    { path: path.join(logs, "*.log"), topic: "t" },
  ];
  const { problems } = resolveEntries(entries, config, host);
  expect(problems).toHaveLength(1);
  expect(problems[0]).toStartWith(`entry ${JSON.stringify(logs)}: field "path" = ${JSON.stringify(logs)} is a directory;`);
});

test("causes are said in an admin's words: the account for permission denied, the sharing violation on Windows, the code otherwise", () => {
  const err = (code: string, message = `${code}: something`) => Object.assign(new Error(message), { code });
  expect(causeOf(err("EACCES")).words).toMatch(/^permission denied: the account logagent runs as \(.+\) may not read it$/);
  expect(causeOf(err("EPERM")).code).toBe("EPERM");
  expect(causeOf(err("EBUSY"), "win32").words).toContain("another program holds it open without sharing it for reading (a sharing violation)");
  expect(causeOf(err("EISDIR")).words).toBe("it is a directory, not a file");
  expect(causeOf(err("ELOOP")).words).toContain("symbolic links");
  expect(causeOf(err("EXDEV", "EXDEV: cross-device link"))).toEqual({ code: "EXDEV", words: "EXDEV: cross-device link" });
});
