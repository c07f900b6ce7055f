// Issue 3, test 1: while 200,000 lines are written across 4 files with
// rotations, the agent is killed with SIGKILL at 10 random moments and
// restarted each time. Every written line must be in Kafka; duplicates (what
// was in flight at each kill) are counted and printed.
import { afterAll, expect, test } from "bun:test";
import { appendFileSync, renameSync, writeFileSync } from "node:fs";
import { Scenario, compare } from "../support/scenario";

const FILES = 4;
const PER_FILE = 50_000;
const STEP = 250; // lines per file per step
const names = Array.from({ length: FILES }, (_, i) => `f${i}.log`);
const s = new Scenario((sc) =>
  ["from = beginning", "checkpoint_interval_ms = 500", ...names.map((n, i) => `\n[collect.f${i}]\npath = ${sc.file(n)}\ntopic = ${sc.topic}`)].join("\n"),
);

afterAll(() => s.close());

test("kill -9 at 10 random moments while writing 200,000 lines with rotations: none lost", async () => {
  await s.open();
  for (const n of names) writeFileSync(s.file(n), "");
  s.start();
  await s.agent!.waitForLog(/Following file.*f3\.log/);

  const steps = PER_FILE / STEP;
  let rotations = 0;
  const writer = (async () => {
    for (let step = 0; step < steps; step++) {
      for (let f = 0; f < FILES; f++) {
        let text = "";
        for (let j = step * STEP; j < (step + 1) * STEP; j++) text += `p${f}-${j}\n`;
        appendFileSync(s.file(names[f]!), text);
        // Each file is rotated twice, at different moments: logrotate's rename, then the writer creates a new file.
        if (step === 50 + 20 * f || step === 130 + 15 * f) {
          renameSync(s.file(names[f]!), s.file(`${names[f]}.${step}`));
          rotations++;
        }
      }
      await Bun.sleep(60);
    }
  })();

  let kills = 0;
  const killer = (async () => {
    for (let k = 0; k < 10; k++) {
      await Bun.sleep(500 + Math.random() * 800);
      await s.crash();
      kills++;
      await Bun.sleep(Math.random() * 300);
      s.start();
    }
  })();
  await Promise.all([writer, killer]);

  const got = await s.reader.waitFor(s.topic, FILES * PER_FILE, 90_000, 3000);
  const c = compare(got, Object.fromEntries(names.map((_, f) => [`p${f}`, PER_FILE])));
  console.log(
    `crash test: ${kills} kills, ${rotations} rotations, ${c.expected} lines written, ${c.received} received, ` +
      `${c.missing} missing, ${c.duplicates} duplicates`,
  );
  expect(kills).toBe(10);
  expect(rotations).toBe(8);
  if (c.missing > 0) console.log(s.logs.join("\n---- restart ----\n") + s.agent!.log);
  expect(c.missing).toBe(0);
  expect(c.firstMissing).toEqual([]);
}, 180_000);
