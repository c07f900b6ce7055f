// The file server against real files and a small queue drained like the Kafka side would.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Output } from "../../src/discovery/entry-output";
import { LineQueue } from "../../src/pipeline/line-queue";
import { FileServer } from "../../src/tail/file-server";
import { resolveTailSettings, tailDefaults } from "../../src/tail/tail-settings";
import { Logger, setLogLevel } from "../../src/telemetry/logger";

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
