// Reading must never stop the writing application from renaming or deleting
// its file: the most common Windows complaint about the peers. Under Wine, a
// Windows writer (test/support/win-writer.ts: kernel32 calls the way .NET
// loggers make them) rotates its log while logagent.exe holds it open, and
// reports every MoveFileExW / DeleteFileW. Each must succeed on the first try,
// and every line must reach Kafka exactly once, in order within its file.
//
// Share modes are only checked between Windows processes (Wine's server checks
// them; a Linux process is not seen), so both sides run under Wine. Whether
// logagent holds a file is read from /proc: a Wine process keeps a Unix
// descriptor for each file handle it has used.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Subprocess } from "bun";
import { iniFor, sandbox } from "../support/agent-process";
import { services, unique } from "../support/env";
import { TopicReader, createTopics } from "../support/kafka";
import { compare } from "../support/scenario";
import { WINE_RUN, buildWinWriter, winPath } from "../support/wine";

const box = sandbox("windows-x64");
const writerExe = path.join(box.dir, "win-writer.exe");
/** Rollovers per scenario, and lines per file generation. */
const ROLLOVERS = 6;
const LINES = 300;

type Scenario = "log4net" | "reuse";
const runs: Record<Scenario, { dir: string; topic: string }> = {
  log4net: { dir: path.join(box.dir, "log4net"), topic: unique("win-share") },
  reuse: { dir: path.join(box.dir, "reuse"), topic: unique("win-share") },
};

interface Op {
  op: string;
  ok?: boolean;
  /** Win32 error code of a failed call. */
  error?: number;
  file?: string;
  from?: string;
  to?: string;
}

/** A failed call as one line: `move app.log.1 -> app.log.2: Win32 error 183`. */
const failures = (ops: Op[]) =>
  ops.filter((o) => o.ok === false).map((o) => `${o.op} ${path.win32.basename(o.from ?? o.file ?? "")}${o.to ? ` -> ${path.win32.basename(o.to)}` : ""}: Win32 error ${o.error}`);

let agent: Subprocess<"ignore", "ignore", "pipe">;
let agentLog = "";
let reader: TopicReader;

beforeAll(async () => {
  buildWinWriter(writerExe);
  for (const r of Object.values(runs)) mkdirSync(r.dir);
  await createTopics(Object.values(runs).map((r) => r.topic));
  reader = await TopicReader.start(Object.values(runs).map((r) => r.topic));
  // Default rotate_wait_ms (5 s): a rotated file stays open while the writer rotates it again.
  const sections = Object.entries(runs).map(([name, r]) => `[collect.${name}]\npath = ${winPath(path.join(r.dir, "app.log"))}\ntopic = ${r.topic}\n`);
  const ini = iniFor({ kafka: services.kafka }).replace("rotate_wait_ms = 1000\n", "") + "from = beginning\n\n" + sections.join("\n");
  writeFileSync(path.join(box.dir, "conf.ini"), ini);
  agent = Bun.spawn([WINE_RUN, box.bin, "-c", path.join(box.dir, "conf.ini")], { cwd: box.dir, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of agent.stderr) agentLog += decoder.decode(chunk, { stream: true });
  })();
  const deadline = Date.now() + 60_000;
  while ((agentLog.match(/File does not exist yet/g)?.length ?? 0) < 2 && Date.now() < deadline) {
    if (agent.exitCode !== null) throw new Error(`logagent.exe exited with ${agent.exitCode}:\n${agentLog}`);
    await Bun.sleep(100);
  }
  if ((agentLog.match(/File does not exist yet/g)?.length ?? 0) < 2) throw new Error(`logagent.exe did not start both entries:\n${agentLog}`);
}, 120_000);

afterAll(async () => {
  agent?.kill("SIGKILL");
  await agent?.exited;
  await reader?.stop();
  // Two 110 MB executables: not left behind in /tmp.
  rmSync(box.dir, { recursive: true, force: true });
}, 60_000);

/** The files in `dir` that logagent.exe holds open now (its Wine process keeps a Unix descriptor per used handle). */
function heldBy(pid: number, dir: string): string[] {
  const held: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (path.dirname(target) === dir) held.push(path.basename(target));
    } catch {
      // closed meanwhile
    }
  }
  return held.sort();
}

/**
 * Runs the writer. Once a generation has reached Kafka (logagent has opened and read it), notes which
 * files of the folder logagent holds and lets the writer roll over (or, after the last, purge).
 */
async function runWriter(name: Scenario): Promise<{ ops: Op[]; held: string[][] }> {
  const { dir, topic } = runs[name];
  const proc = Bun.spawn([WINE_RUN, writerExe, name, dir, String(ROLLOVERS), String(LINES)], { stdout: "pipe", stderr: "pipe" });
  let out = "";
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout) out += decoder.decode(chunk, { stream: true });
  })();
  const held: string[][] = [];
  try {
    for (let gen = 0; gen <= ROLLOVERS; gen++) {
      const prefix = `${name}-g${gen}-`;
      const deadline = Date.now() + 30_000;
      while (reader.values(topic).filter((v) => v.startsWith(prefix)).length < LINES) {
        if (Date.now() > deadline) throw new Error(`generation ${gen} did not reach Kafka; writer said:\n${out}\nagent log:\n${agentLog}`);
        if (proc.exitCode !== null) throw new Error(`win-writer.exe exited with ${proc.exitCode}:\n${out}${await new Response(proc.stderr).text()}`);
        await Bun.sleep(20);
      }
      held.push(heldBy(agent.pid, dir));
      writeFileSync(path.join(dir, `go-${gen}`), "");
    }
    const code = await Promise.race([proc.exited, Bun.sleep(60_000).then(() => "timeout")]);
    if (code !== 0) throw new Error(`win-writer.exe: ${code}\n${out}${await new Response(proc.stderr).text()}`);
  } finally {
    proc.kill("SIGKILL");
    await reading;
  }
  const ops = out.trim().split("\n").map((l) => JSON.parse(l) as Op);
  return { ops, held };
}

/** Every generation's lines `${name}-g${k}-${i}` arrived exactly once, in order within each file. */
async function expectEveryLineOnce(name: Scenario): Promise<void> {
  const written: Record<string, number> = {};
  for (let gen = 0; gen <= ROLLOVERS; gen++) written[`${name}-g${gen}`] = LINES;
  const total = (ROLLOVERS + 1) * LINES;
  const got = await reader.waitFor(runs[name].topic, total, 30_000, 1500);
  const c = compare(got, written);
  expect({ missing: c.missing, duplicates: c.duplicates, outOfOrder: c.outOfOrder, firstMissing: c.firstMissing }).toEqual({ missing: 0, duplicates: 0, outOfOrder: 0, firstMissing: [] });
  expect(c.received).toBe(total);
}

test(
  "log4net rolling (rename + create, oldest backup deleted) and a final purge, while logagent.exe holds the files: " +
    "every rename and delete succeeds first time, no line lost or repeated (elastic/beats#34814, fluent/fluent-bit#4523)",
  async () => {
    const { ops, held } = await runWriter("log4net");
    // logagent held the live file at every rollover and at the purge: each was done to a file it had open.
    for (const h of held) expect(h).toContain("app.log");

    expect(failures(ops)).toEqual([]);
    // Rollover k renames app.log; from k = 1 on app.log.1 too; from k = 2 on app.log.2 is moved aside
    // and deleted. The purge deletes app.log, app.log.1 and app.log.2.
    expect(ops.filter((o) => o.op === "move").length).toBe(ROLLOVERS + (ROLLOVERS - 1) + (ROLLOVERS - 2));
    const deletes = ops.filter((o) => o.op === "delete").map((o) => path.win32.basename(o.file!).replace(/\.\d+\.DeletePending$/, ".DeletePending"));
    expect(deletes).toEqual([...Array<string>(ROLLOVERS - 2).fill("app.log.2.DeletePending"), "app.log", "app.log.1", "app.log.2"]);
    await expectEveryLineOnce("log4net");
  },
  180_000,
);

test(
  "rolling backups whose oldest is deleted and its name taken at once by the next (the scheme Filebeat's docs " +
    "warn about), while logagent.exe reads them: every rename and delete succeeds first time, no line lost or repeated " +
    "(fluent/fluentd#3365, grafana/loki#3668)",
  async () => {
    const { ops, held } = await runWriter("reuse");
    for (const h of held) expect(h).toContain("app.log");

    expect(failures(ops)).toEqual([]);
    expect(ops.filter((o) => o.op === "move").length).toBe(ROLLOVERS + (ROLLOVERS - 1));
    const deletes = ops.filter((o) => o.op === "delete").map((o) => path.win32.basename(o.file!));
    expect(deletes).toEqual([...Array<string>(ROLLOVERS - 2).fill("app.log.2"), "app.log", "app.log.1", "app.log.2"]);
    await expectEveryLineOnce("reuse");
  },
  180_000,
);
