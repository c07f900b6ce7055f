// FileServer.describe(), the files part of the agent's status, against real files: what it shows,
// and that only what an operator acts on moves its generation (the status compares that every second).
import { afterAll, expect, test } from "bun:test";
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Output } from "../../src/discovery/entry-output";
import { LineQueue } from "../../src/pipeline/line-queue";
import { FileServer } from "../../src/tail/file-server";
import { resolveTailSettings, tailDefaults } from "../../src/tail/tail-settings";
import { Logger, setLogLevel } from "../../src/telemetry/logger";

setLogLevel("error");
const dir = mkdtempSync(path.join(os.tmpdir(), "file-server-describe-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const noPositions = { find: () => undefined, under: () => [], track: () => {} };
const resolved = (file: string, topic: string) => {
  const entry = { path: file, topic };
  return { entry, output: { topic } as Output, tail: resolveTailSettings(entry, tailDefaults(), "beginning").settings! };
};

async function until(what: () => boolean, ms = 10_000): Promise<void> {
  for (const deadline = Date.now() + ms; !what() && Date.now() < deadline; ) await Bun.sleep(20);
  expect(what()).toBe(true);
}

test("describe() shows each entry and file with offset, size and lag; only a change of files or errors moves the generation", async () => {
  const a = path.join(dir, "a.log");
  const b = path.join(dir, "b.log");
  const gone = path.join(dir, "later");
  writeFileSync(a, "one\ntwo\n");
  writeFileSync(b, "");
  const queue = new LineQueue(10_000, 1 << 24);
  const server = new FileServer({ pollIntervalMs: 20, idlePollMaxMs: 100, rotateWaitMs: 300, rescanIntervalMs: 100, maxOpenFiles: 100, positions: noPositions, watch: false }, queue, new Logger("test"));
  server.apply([resolved(a, "ta")]);
  server.start();
  try {
    await until(() => server.describe().files[0]?.offset === 8);
    expect(server.describe()).toEqual({
      entries: [{ path: a, topic: "ta", files: 1, error: null, blocked: false }],
      // Nothing acknowledged these lines (no Kafka here): all 8 bytes are lag.
      files: [{ path: a, entry: a, topic: "ta", offset: 8, acked: 0, size: 8, lagBytes: 8, linesPerSecond: expect.any(Number), rotated: false, lastError: null }],
    });

    // Lines read are counters: the generation stays where it was.
    const quiet = server.generation;
    appendFileSync(a, "three\n");
    await until(() => server.describe().files[0]?.size === 14);
    expect(server.generation).toBe(quiet);

    // A new entry, a file rotated away, a path that turns into a folder: each moves it.
    server.apply([resolved(a, "ta"), resolved(b, "tb"), resolved(gone, "tg")]);
    const listed = server.generation;
    expect(listed).toBeGreaterThan(quiet);
    await until(() => server.describe().files.length === 2);
    renameSync(a, a + ".1");
    writeFileSync(a, "new\n");
    // The old file is read to its end under the name it had (rotated), beside the new one.
    await until(() => server.describe().files.filter((f) => f.path === a).map((f) => f.rotated).sort().join() === "false,true");
    expect(server.generation).toBeGreaterThan(listed);
    const rotated = server.generation;
    mkdirSync(gone);
    await until(() => server.describe().entries[2]!.error === "the path names a directory, not a file");
    expect(server.generation).toBeGreaterThan(rotated);

    // Kafka refusing a topic shows on its entry.
    server.setBlocked("tb", true);
    expect(server.describe().entries[1]!.blocked).toBe(true);
  } finally {
    server.stop();
  }
}, 30_000);
