// The file server against real files and a small queue drained like the Kafka side would.
import { afterAll, expect, test } from "bun:test";
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Output } from "../../src/discovery/entry-output";
import { LineQueue } from "../../src/pipeline/line-queue";
import { FileServer, type FileServerOptions } from "../../src/tail/file-server";
import type { WatchFolder } from "../../src/tail/folder-watch";
import { resolveTailSettings, tailDefaults } from "../../src/tail/tail-settings";
import { Logger, setLogLevel } from "../../src/telemetry/logger";
import { LogCapture } from "../support/log-capture";

setLogLevel("error");
const dir = mkdtempSync(path.join(os.tmpdir(), "file-server-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("every file makes progress while the queue is full: a busy file does not starve the others", async () => {
  const files = [0, 1, 2, 3].map((i) => path.join(dir, `f${i}.log`));
  files.forEach((f, i) => writeFileSync(f, Array.from({ length: 3000 }, (_, j) => `f${i}-${j}\n`).join("")));
  const queue = new LineQueue(50, 1 << 20); // far smaller than one file
  const positions = { find: () => undefined, under: () => [], track: () => {} };
  const server = new FileServer({ pollIntervalMs: 10, idlePollMaxMs: 10, rotateWaitMs: 100, rescanIntervalMs: 100, maxOpenFiles: 100, positions }, queue, new Logger("test"));
  server.apply(
    files.map((f, i) => {
      const entry = { path: f, topic: `t${i}` };
      return { entry, output: { topic: `t${i}` } as Output, tail: resolveTailSettings(entry, tailDefaults(), "beginning").settings! };
    }),
  );
  server.start();
  const got = new Map<string, string[]>();
  const deadline = Date.now() + 20_000;
  let total = 0;
  let atHalf: number[] = [];
  while (total < 12_000 && Date.now() < deadline) {
    if (total >= 6000 && atHalf.length === 0) atHalf = [0, 1, 2, 3].map((i) => got.get(`t${i}`)?.length ?? 0);
    await queue.whenItems();
    // A slow consumer: the queue stays full most of the time.
    for (const block of queue.takeAll()) {
      const list = got.get(block.output.topic) ?? [];
      for (let i = 0; i < block.count; i++) list.push(new TextDecoder().decode(block.value(i)));
      got.set(block.output.topic, list);
      total += block.count;
      queue.settle(block);
    }
    await Bun.sleep(1);
  }
  server.stop();
  // Half-way through, every file has had a fair share, not just the first one polled.
  for (const n of atHalf) expect(n).toBeGreaterThan(750);
  for (let i = 0; i < 4; i++) expect(got.get(`t${i}`)).toEqual(Array.from({ length: 3000 }, (_, j) => `f${i}-${j}`));
}, 30_000);

// ---------------------------------------------------------------- folder watching

const noPositions = { find: () => undefined, under: () => [], track: () => {} };

/** A server following `files` (from the beginning), its queue drained into `got` as the Kafka side would. */
function serve(files: string[], options: Partial<FileServerOptions>, log: Logger = new Logger("test")) {
  const queue = new LineQueue(10_000, 1 << 24);
  const server = new FileServer({ pollIntervalMs: 20, idlePollMaxMs: 200, rotateWaitMs: 300, rescanIntervalMs: 200, maxOpenFiles: 100, positions: noPositions, ...options }, queue, log);
  server.apply(
    files.map((f) => {
      const entry = { path: f, topic: "t" };
      return { entry, output: { topic: "t" } as Output, tail: resolveTailSettings(entry, tailDefaults(), "beginning").settings! };
    }),
  );
  const got: string[] = [];
  let stopped = false;
  void (async () => {
    while (!stopped) {
      await Promise.race([queue.whenItems(), Bun.sleep(50)]);
      for (const block of queue.takeAll()) {
        for (let i = 0; i < block.count; i++) got.push(new TextDecoder().decode(block.value(i)));
        queue.settle(block);
      }
    }
  })();
  server.start();
  return {
    got,
    /** Waits until `n` lines arrived or `ms` passed; returns the lines. */
    async until(n: number, ms: number): Promise<string[]> {
      for (const deadline = Date.now() + ms; got.length < n && Date.now() < deadline; ) await Bun.sleep(20);
      return got;
    },
    stop() {
      stopped = true;
      server.stop();
    },
  };
}

const lines = (prefix: string, from: number, to: number) => Array.from({ length: to - from }, (_, i) => `${prefix}-${from + i}`);
const text = (prefix: string, from: number, to: number) => lines(prefix, from, to).map((l) => l + "\n").join("");

/** Writes, rotates (app.log -> app.log.1) and writes again: what polling alone must get right. */
async function writeAndRotate(file: string, s: ReturnType<typeof serve>): Promise<void> {
  appendFileSync(file, text("w", 0, 100));
  await s.until(100, 10_000);
  renameSync(file, file + ".1");
  appendFileSync(file + ".1", text("w", 100, 150)); // the writer's old handle, after the rename
  writeFileSync(file, text("w", 150, 300));
}

test("a hint brings a quiet file's new line at once: it does not wait for idle_poll_max_ms", async () => {
  const d = mkdtempSync(path.join(dir, "hint-"));
  const file = path.join(d, "app.log");
  writeFileSync(file, "first\n");
  // A quiet file is looked at 8 times at poll_interval_ms (20 ms), then after 40, 80, ... ms: at
  // 0.16, 0.2, 0.28, 0.44, 0.76, 1.4, 2.68, 5.24 and 10.36 s. Written at 6 s, a line has to wait until
  // 10.36 s for a poll: only a hint can bring it within the 2 s waited.
  const started = Date.now();
  const s = serve([file], { pollIntervalMs: 20, idlePollMaxMs: 60_000 });
  try {
    expect(await s.until(1, 5000)).toEqual(["first"]);
    await Bun.sleep(started + 6000 - Date.now());
    appendFileSync(file, "second\n");
    expect(await s.until(2, 2000)).toEqual(["first", "second"]);
  } finally {
    s.stop();
  }
}, 20_000);

test("with watching off, polling alone delivers every line, across a rotation", async () => {
  const d = mkdtempSync(path.join(dir, "off-"));
  const file = path.join(d, "app.log");
  writeFileSync(file, "");
  const s = serve([file], { watch: false });
  try {
    await writeAndRotate(file, s);
    expect(await s.until(300, 10_000)).toEqual(lines("w", 0, 300));
  } finally {
    s.stop();
  }
}, 20_000);

test("when the system refuses to watch, polling delivers every line, and the refusal is said once", async () => {
  const d = mkdtempSync(path.join(dir, "refused-"));
  const file = path.join(d, "app.log");
  const glob = path.join(d, "*.txt");
  writeFileSync(file, "");
  let tries = 0;
  const refusing: WatchFolder = () => {
    tries++;
    throw Object.assign(new Error("EMFILE: too many open files, watch"), { code: "EMFILE" });
  };
  const log = new LogCapture();
  const s = serve([file, glob], { watch: refusing }, log);
  try {
    await writeAndRotate(file, s);
    writeFileSync(path.join(d, "new.txt"), text("g", 0, 10));
    const got = await s.until(310, 10_000);
    expect(got.filter((l) => l.startsWith("w-"))).toEqual(lines("w", 0, 300));
    expect(got.filter((l) => l.startsWith("g-"))).toEqual(lines("g", 0, 10));
    expect(tries).toBeGreaterThan(0);
    expect(log.said("warn", "Cannot watch a folder for changes").length).toBe(1);
  } finally {
    s.stop();
  }
}, 20_000);

test("a watched folder deleted and made again: its new file is found and read", async () => {
  const d = path.join(dir, "recreated");
  mkdirSync(d);
  const file = path.join(d, "app.log");
  writeFileSync(file, text("a", 0, 10));
  const s = serve([path.join(d, "*.log")], {});
  try {
    expect(await s.until(10, 5000)).toEqual(lines("a", 0, 10));
    rmSync(d, { recursive: true });
    await Bun.sleep(300);
    mkdirSync(d);
    writeFileSync(file, text("b", 0, 10));
    expect(await s.until(20, 10_000)).toEqual([...lines("a", 0, 10), ...lines("b", 0, 10)]);
  } finally {
    s.stop();
  }
}, 20_000);
