// An entry from etcd confined to [agent] allow_paths, in the tailer: a link in
// the allowed folder that points outside is not opened and is said once (WARN,
// naming the entry, the link and its target), while the entry's other files
// are read; a link switched back inside is read; a link removed is not "lost
// data". Real files in a temp folder, a hand-driven clock.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { AllowPaths, confine } from "../../src/discovery/allow-paths";
import type { Output } from "../../src/discovery/entry-output";
import { OpenFiles } from "../../src/tail/open-files";
import { resolveTailSettings, tailDefaults } from "../../src/tail/tail-settings";
import { Tailer, type Claims } from "../../src/tail/tailer";
import { eachLine } from "../support/lines";
import { LogCapture } from "../support/log-capture";
import { MemoryBook } from "../support/memory-book";

const POLL_MS = 100;
const IDLE_MAX_MS = 2000;
let dir: string;
let logs: string;
let clock = 0;
let out: string[];
let log: LogCapture;
const sink = eachLine((line, file) => void out.push(`${path.basename(file)}: ${new TextDecoder().decode(line)}`));
const noClaims: Claims = { claim: () => null, release: () => {} };

function confinedTailer(pattern: string): Tailer {
  const { allow } = AllowPaths.compile([`${logs}/**`]);
  const { settings } = resolveTailSettings({ path: pattern, topic: "t" }, tailDefaults(), "beginning");
  const { tail } = confine([{ tail: settings! }], allow)[0]!;
  const options = { rotateWaitMs: 500, positions: new MemoryBook(), baseIntervalMs: POLL_MS, idleMaxMs: IDLE_MAX_MS, rescanIntervalMs: 500, settings: tail, openFiles: new OpenFiles(100), claims: noClaims };
  return new Tailer(pattern, { topic: "t" } as Output, options, log);
}
const poll = (t: Tailer, times = 1) => {
  for (let i = 0; i < times; i++) t.poll((clock += POLL_MS), { lines: 1_000_000, bytes: 1 << 30 }, sink);
};

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "tailer-allow-"));
  logs = path.join(dir, "logs");
  mkdirSync(logs);
  mkdirSync(path.join(dir, "secret"));
  writeFileSync(path.join(dir, "secret", "key"), "SECRET\n");
  out = [];
  log = new LogCapture();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("a glob: a link pointing outside is refused at open time, said once in 60 s, while the entry's other file ships", () => {
  writeFileSync(path.join(logs, "app.log"), "a0\n");
  symlinkSync(path.join(dir, "secret", "key"), path.join(logs, "evil.log"));
  const t = confinedTailer(`${logs}/*.log`);
  for (let s = 0; s < 60; s++) {
    if (s % 10 === 0) appendFileSync(path.join(logs, "app.log"), `a${s / 10 + 1}\n`);
    poll(t, 1000 / POLL_MS);
  }
  expect(out).toEqual(["a0", "a1", "a2", "a3", "a4", "a5", "a6"].map((l) => `app.log: ${l}`));
  const warns = log.at("warn");
  expect(warns).toHaveLength(1);
  expect(warns[0]!.message).toBe("File is not read: a link, or a linked folder, in its path leads outside the allowed paths. Looked at again in case the link changes, without saying so each time.");
  expect(warns[0]!.fields).toEqual({ path: `${logs}/*.log`, file: path.join(logs, "evil.log"), target: path.join(dir, "secret", "key"), rule: `[agent] allow_paths (${JSON.stringify(`${logs}/**`)})` });
  expect(t.openFiles()).toBe(1);

  // Switched to a file inside: a new file for the entry, read from its start.
  writeFileSync(path.join(logs, "inside.txt"), "i0\n");
  unlinkSync(path.join(logs, "evil.log"));
  symlinkSync(path.join(logs, "inside.txt"), path.join(logs, "evil.log"));
  poll(t, IDLE_MAX_MS / POLL_MS + 10);
  expect(out).toContain("evil.log: i0");
  expect(log.at("error")).toEqual([]); // the refused target was not "lost data"
  expect(log.at("warn")).toHaveLength(1);
  t.stop();
});

test("a plain path that is a link outside, or goes through a linked folder: refused once each; removing the link is not an error", () => {
  symlinkSync(path.join(dir, "secret"), path.join(logs, "linked"));
  const t = confinedTailer(path.join(logs, "linked", "key"));
  poll(t, 300);
  expect(out).toEqual([]);
  expect(log.at("warn").map((e) => e.fields.target)).toEqual([path.join(dir, "secret", "key")]);
  unlinkSync(path.join(logs, "linked"));
  poll(t, 300);
  expect(log.at("error")).toEqual([]);
  expect(log.at("warn")).toHaveLength(1);
  t.stop();
});
