// exactly_once: at start the positions committed in Kafka (the offsets topic) are merged into
// state_dir's. A committed position further on wins (state_dir lags a commit when the agent died
// between the commit and its journal, or state_dir was lost); a saved one further on is kept (it
// moved past lines that send nothing).
import { expect, test } from "bun:test";
import { Checkpointer } from "../../src/checkpoint/checkpointer";
import type { PositionStore, SavedPosition } from "../../src/checkpoint/saved-position";
import { rootLogger } from "../../src/telemetry/logger";

/** state_dir's content, in memory: what the checkpointer loads and saves. */
class MemoryStore implements PositionStore {
  readonly description = "memory";
  saved: SavedPosition[] = [];
  constructor(private readonly initial: SavedPosition[]) {}
  async load(): Promise<SavedPosition[]> {
    return this.initial;
  }
  async save(positions: SavedPosition[]): Promise<void> {
    this.saved = positions.map((p) => ({ ...p }));
  }
}

const at = (ino: bigint, offset: number): SavedPosition => ({ identity: { dev: 1n, ino }, fingerprint: { bytes: 10, hash: "h" }, offset, path: "/logs/*.log", file: `/logs/${ino}.log`, seenAt: Date.now() });

test("committed positions further on replace state_dir's, new files are added, state_dir's further on are kept", async () => {
  const store = new MemoryStore([at(1n, 100), at(2n, 500), at(3n, 70)]);
  const c = new Checkpointer(store, { intervalMs: 60_000, forgetAfterMs: 86_400_000 }, rootLogger);
  await c.load();
  expect(c.adopt([at(1n, 300), at(2n, 400), at(4n, 9)])).toBe(2);
  expect(c.find({ dev: 1n, ino: 1n })?.offset).toBe(300);
  expect(c.find({ dev: 1n, ino: 2n })?.offset).toBe(500);
  expect(c.find({ dev: 1n, ino: 3n })?.offset).toBe(70);
  expect(c.find({ dev: 1n, ino: 4n })?.offset).toBe(9);
  await c.stop(); // written to state_dir at once
  expect(store.saved.map((p) => [p.identity.ino, p.offset]).sort()).toEqual([[1n, 300], [2n, 500], [3n, 70], [4n, 9]]);
});

test("a file forgotten (not seen for forget_after_s) is reported, so that exactly_once deletes its committed position too", async () => {
  const old = { ...at(5n, 42), seenAt: Date.now() - 10_000 };
  const forgotten: string[] = [];
  const c = new Checkpointer(new MemoryStore([old, at(6n, 1)]), { intervalMs: 60_000, forgetAfterMs: 5_000, onForget: (keys) => forgotten.push(...keys) }, rootLogger);
  await c.load();
  await c.flush();
  expect(forgotten).toEqual(["1:5"]);
  expect(c.find({ dev: 1n, ino: 5n })).toBeUndefined();
});
