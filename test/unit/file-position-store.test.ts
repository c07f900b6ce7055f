import { afterEach, beforeEach, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { FilePositionStore } from "../../src/checkpoint/file-position-store";
import type { SavedPosition } from "../../src/checkpoint/saved-position";
import { Logger, setLogLevel } from "../../src/telemetry/logger";

setLogLevel("error");
let dir: string;
let store: FilePositionStore;
const pos = (ino: bigint, offset: number): SavedPosition => ({
  identity: { dev: 2049n, ino },
  fingerprint: { bytes: 1024, hash: "abc" },
  offset,
  path: "/var/log/app.log",
  seenAt: 1_700_000_000_000,
});

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "positions-"));
  store = new FilePositionStore(dir, new Logger("test"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("positions round-trip, with inode numbers beyond 2^53 kept exact", async () => {
  const big = 2n ** 63n - 25n;
  await store.save([pos(big, 10), pos(7n, 99)]);
  expect(await store.load()).toEqual([pos(big, 10), pos(7n, 99)]);
  expect(existsSync(store.file + ".tmp")).toBe(false);
  expect(JSON.parse(readFileSync(store.file, "utf8")).version).toBe(1);
});

test("no file yet: nothing saved, no error", async () => {
  expect(await store.load()).toEqual([]);
});

test("a complete temporary file left by a crash before the rename is the newest state", async () => {
  await store.save([pos(1n, 10)]);
  const older = readFileSync(store.file, "utf8");
  await store.save([pos(1n, 20)]);
  writeFileSync(store.file + ".tmp", readFileSync(store.file, "utf8"));
  writeFileSync(store.file, older);
  expect((await store.load())[0]!.offset).toBe(20);
});

test("a torn temporary file is ignored and the previous file is used", async () => {
  await store.save([pos(1n, 10)]);
  writeFileSync(store.file + ".tmp", '{"version":1,"files":[{"dev":"1","in');
  expect((await store.load())[0]!.offset).toBe(10);
});

test("a corrupt or truncated checkpoint file gives no positions and no error", async () => {
  writeFileSync(store.file, "garbage{");
  expect(await store.load()).toEqual([]);
  await store.save([pos(1n, 10)]);
  const text = readFileSync(store.file, "utf8");
  writeFileSync(store.file, text.slice(0, text.length / 2));
  expect(await store.load()).toEqual([]);
  writeFileSync(store.file, '{"version":99,"files":[]}');
  expect(await store.load()).toEqual([]);
});
