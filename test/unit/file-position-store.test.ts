import { afterEach, beforeEach, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

test("positions recorded in the journal after the last checkpoint are recovered, the latest record of a file winning", async () => {
  await store.save([pos(1n, 10), pos(2n, 5)]);
  store.record([pos(1n, 20)]);
  store.record([pos(1n, 30), pos(3n, 7)]);
  // kill -9 here: no save, no close; a new process reads what the page cache kept
  const again = new FilePositionStore(dir, new Logger("test"));
  const got = new Map((await again.load()).map((p) => [p.identity.ino, p.offset]));
  expect(got).toEqual(new Map([[1n, 30], [2n, 5], [3n, 7]]));
});

test("a checkpoint takes in the journal: older journals are deleted, and a journal the checkpoint names is never replayed over it", async () => {
  store.record([pos(1n, 10)]);
  await store.save([pos(1n, 10)]);
  expect(readdirSync(dir).filter((n) => n.endsWith(".journal"))).toEqual([]);
  store.record([pos(1n, 20)]);
  const journal = readdirSync(dir).find((n) => n.endsWith(".journal"))!;
  const kept = readFileSync(path.join(dir, journal), "utf8");
  await store.save([pos(1n, 40)]); // the snapshot holds generation `journal` and more
  // A crash between the snapshot's rename and the journal's deletion leaves the journal behind.
  writeFileSync(path.join(dir, journal), kept);
  expect((await new FilePositionStore(dir, new Logger("test")).load())[0]!.offset).toBe(40);
});

test("a torn last journal line (a machine crash mid-write) is passed over; the records before it count", async () => {
  await store.save([]);
  store.record([pos(1n, 10), pos(2n, 20)]);
  const journal = path.join(dir, readdirSync(dir).find((n) => n.endsWith(".journal"))!);
  writeFileSync(journal, readFileSync(journal, "utf8") + '{"dev":"2049","ino":"1","finger');
  const got = await new FilePositionStore(dir, new Logger("test")).load();
  expect(got.map((p) => p.offset).sort()).toEqual([10, 20]);
});

test("records after a restart go to a new journal generation, named by the next checkpoint", async () => {
  store.record([pos(1n, 10)]);
  const again = new FilePositionStore(dir, new Logger("test"));
  await again.load();
  again.record([pos(1n, 20)]);
  expect(readdirSync(dir).filter((n) => n.endsWith(".journal")).length).toBe(2);
  await again.save([pos(1n, 20)]);
  expect(readdirSync(dir).filter((n) => n.endsWith(".journal"))).toEqual([]);
  again.record([pos(1n, 25)]);
  expect((await new FilePositionStore(dir, new Logger("test")).load())[0]!.offset).toBe(25);
});

test("after a journal write fails, the next record starts on a new line: a torn record does not swallow it", async () => {
  const sub = path.join(dir, "sub");
  const later = new FilePositionStore(sub, new Logger("test"));
  later.record([pos(1n, 10)]); // state_dir missing: the write fails (said once), nothing is thrown
  mkdirSync(sub);
  writeFileSync(path.join(sub, "positions.1.journal"), '{"dev":"2049","ino":"1","offs'); // as a write cut short by a full disk leaves it
  later.record([pos(2n, 20)]);
  const got = await new FilePositionStore(sub, new Logger("test")).load();
  expect(got.map((p) => [p.identity.ino, p.offset])).toEqual([[2n, 20]]);
});
