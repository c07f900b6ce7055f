// Issue 3: never lose a line. Each test runs the compiled binary in its own
// folder over a real Kafka, with faults: kill -9, restarts, downtime with a
// rotation, a corrupt checkpoint, SIGTERM under load.
import { afterEach, expect, test } from "bun:test";
import { appendFileSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { appendNumbered, numbered } from "../support/files";
import { Scenario, compare } from "../support/scenario";

let scenario: Scenario | null = null;
afterEach(async () => {
  await scenario?.close();
  scenario = null;
});

const collect = (...files: string[]) => (s: Scenario) =>
  ["from = beginning", "checkpoint_interval_ms = 500", ...files.map((f, i) => `\n[collect.f${i}]\npath = ${s.file(f)}\ntopic = ${s.topic}`)].join("\n");

test("a restart with nothing written in between sends nothing again (after SIGTERM and after kill -9)", async () => {
  const s = (scenario = await new Scenario(collect("app.log")).open());
  writeFileSync(s.file("app.log"), "");
  s.start();
  await s.agent!.waitForLog(/Following file/);
  appendNumbered(s.file("app.log"), "a", 0, 1000);
  await s.reader.waitFor(s.topic, 1000, 30_000, 0);
  expect(await s.stop()).toBe(0);
  s.start();
  await s.agent!.waitForLog(/Following file.*because="saved position"/);
  await Bun.sleep(1500); // positions are saved every 500 ms: after this they cover every acknowledged line
  await s.crash();
  s.start();
  await s.agent!.waitForLog(/Following file.*because="saved position"/);
  await Bun.sleep(2000);
  expect(s.received()).toEqual(numbered("a", 0, 1000));
});

test("lines written while the agent is stopped, with a rename rotation in the downtime, all arrive in order", async () => {
  const s = (scenario = await new Scenario(collect("app.log", "other.log")).open());
  const app = s.file("app.log");
  const other = s.file("other.log");
  writeFileSync(app, "");
  writeFileSync(other, "");
  s.start();
  await s.agent!.waitForLog(/Following file.*other\.log/);
  appendNumbered(app, "app", 0, 1000);
  appendNumbered(other, "other", 0, 1000);
  await s.reader.waitFor(s.topic, 2000, 30_000, 0);
  expect(await s.stop()).toBe(0);
  // Downtime: more lines, then logrotate's rename and create, then lines in the new file.
  appendNumbered(app, "app", 1000, 1500);
  renameSync(app, app + ".1");
  appendNumbered(app, "app", 1500, 2000);
  appendNumbered(other, "other", 1000, 2000);
  s.start();
  await s.agent!.waitForLog(/Found a file rotated while the agent was down/);
  const got = await s.reader.waitFor(s.topic, 4000, 30_000);
  const c = compare(got, { app: 2000, other: 2000 });
  expect(c).toMatchObject({ missing: 0, duplicates: 0, outOfOrder: 0 });
});

test("a corrupt and a truncated checkpoint file: the agent warns, naming the file, and runs", async () => {
  const s = (scenario = await new Scenario(collect("app.log")).open());
  writeFileSync(s.file("app.log"), "");
  s.start();
  await s.agent!.waitForLog(/Following file/);
  appendNumbered(s.file("app.log"), "a", 0, 100);
  await s.reader.waitFor(s.topic, 100, 30_000, 0);
  expect(await s.stop()).toBe(0);
  const checkpoint = path.join(s.dir, "logagent-state", "checkpoints.json");
  const good = readFileSync(checkpoint, "utf8");

  writeFileSync(checkpoint, good.slice(0, Math.floor(good.length / 2)));
  s.start();
  await s.agent!.waitForLog(new RegExp(`WARN .*Checkpoint file is corrupt or truncated.*file=${checkpoint.replaceAll("/", "\\/")}`));
  appendNumbered(s.file("app.log"), "a", 100, 200);
  // No position: the file starts by `from = beginning`, so its first lines come again; none is lost.
  expect(compare(await s.reader.waitFor(s.topic, 300), { a: 200 }).missing).toBe(0);
  expect(await s.stop()).toBe(0);

  writeFileSync(checkpoint, "\u0000\u0001 not json at all");
  s.start();
  await s.agent!.waitForLog(/WARN .*Checkpoint file is corrupt or truncated/);
  appendNumbered(s.file("app.log"), "a", 200, 300);
  expect(compare(await s.reader.waitFor(s.topic, 600), { a: 300 }).missing).toBe(0);
});

test("SIGTERM under load: exit 0 within the shutdown timeout, and the restart re-sends nothing", async () => {
  const s = (scenario = await new Scenario(collect("busy.log")).open());
  const busy = s.file("busy.log");
  writeFileSync(busy, "");
  s.start();
  await s.agent!.waitForLog(/Following file/);
  let written = 0;
  let writing = true;
  const writer = (async () => {
    while (writing) {
      appendNumbered(busy, "busy", written, written + 2000);
      written += 2000;
      await Bun.sleep(10);
    }
  })();
  await Bun.sleep(1500);
  const t0 = Date.now();
  expect(await s.stop()).toBe(0);
  const stopMs = Date.now() - t0;
  writing = false;
  await writer;
  expect(stopMs).toBeLessThan(10_000); // shutdown_timeout_ms defaults to 10 s
  s.start();
  const got = await s.reader.waitFor(s.topic, written, 60_000);
  const c = compare(got, { busy: written });
  console.log(`SIGTERM under load: ${written} lines written, stopped in ${stopMs} ms, ${c.duplicates} duplicates`);
  expect(c).toMatchObject({ missing: 0, duplicates: 0, outOfOrder: 0 });
}, 120_000);
