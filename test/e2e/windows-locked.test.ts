// What Windows admins meet: an application that holds its log open without
// sharing it (share mode 0), so that no other program can open it to read.
// logagent.exe's open fails with a sharing violation (EBUSY) for as long as
// that lasts. It must say so once, naming the file and the cause, retry
// quietly, say once when it can read the file, and then ship every line, from
// the start, once each.
//
// Share modes are only checked between Windows processes (Wine's server checks
// them), so the writer is a Windows program too: test/support/win-writer.ts,
// scenario `exclusive`.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Subprocess } from "bun";
import { iniFor, sandbox } from "../support/agent-process";
import { services, unique } from "../support/env";
import { TopicReader, createTopics } from "../support/kafka";
import { compare } from "../support/scenario";
import { WINE_RUN, buildWinWriter, winPath } from "../support/wine";

const box = sandbox("windows-x64");
const writerExe = path.join(box.dir, "win-writer.exe");
const dir = path.join(box.dir, "app");
const file = path.join(dir, "app.log");
const topic = unique("win-locked");
const LINES = 300;
/** How long the writer holds the file unshared after it has been seen: several of the agent's retries (they back off to idle_poll_max_ms, 2 s). */
const HELD_FOR_MS = 10_000;

let agent: Subprocess<"ignore", "ignore", "pipe">;
let agentLog = "";
let reader: TopicReader;

/** logagent.exe's log lines at `level` (as it prints them) that mention `text`. */
const logged = (level: "WARN" | "ERROR" | "INFO" | "DEBUG", text = "") => agentLog.split("\n").filter((l) => new RegExp(`\\s${level}\\s`).test(l) && l.includes(text));

async function until(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms; logagent.exe's log:\n${agentLog}`);
    if (agent.exitCode !== null) throw new Error(`logagent.exe exited with ${agent.exitCode}:\n${agentLog}`);
    await Bun.sleep(50);
  }
}

beforeAll(async () => {
  buildWinWriter(writerExe);
  mkdirSync(dir);
  await createTopics([topic]);
  reader = await TopicReader.start([topic]);
  const ini = iniFor({ kafka: services.kafka }) + `from = beginning\n\n[collect.app]\npath = ${winPath(file)}\ntopic = ${topic}\n`;
  writeFileSync(path.join(box.dir, "conf.ini"), ini);
  agent = Bun.spawn([WINE_RUN, box.bin, "-c", path.join(box.dir, "conf.ini")], { cwd: box.dir, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of agent.stderr) agentLog += decoder.decode(chunk, { stream: true });
  })();
  await until("logagent.exe starting the entry", () => agentLog.includes("File does not exist yet"), 60_000);
}, 120_000);

afterAll(async () => {
  agent?.kill("SIGKILL");
  await agent?.exited;
  await reader?.stop();
  rmSync(box.dir, { recursive: true, force: true }); // two 110 MB executables
}, 60_000);

test(
  `a log held open with share mode 0 for ${HELD_FOR_MS / 1000} s: one WARN naming the file and the sharing violation, ` +
    "no line read meanwhile; once shared, one INFO and every line arrives once, in order",
  async () => {
    const writer = Bun.spawn([WINE_RUN, writerExe, "exclusive", dir, "1", String(LINES)], { stdout: "pipe", stderr: "pipe" });
    let said = "";
    const reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of writer.stdout) said += decoder.decode(chunk, { stream: true });
    })();
    try {
      await until("the writer holding app.log unshared with generation 0 written", () => said.includes('"op":"wrote","gen":0'), 60_000);
      expect(said).toContain('"op":"open"');
      expect(said).toContain('"share":"0","ok":true');
      await until("logagent.exe warning that it cannot open app.log", () => logged("WARN", "Cannot open file").length > 0, 20_000);
      await Bun.sleep(HELD_FOR_MS);

      expect(reader.values(topic)).toEqual([]);
      const warns = logged("WARN");
      expect(warns).toHaveLength(1);
      expect(warns[0]).toContain("code=EBUSY");
      expect(warns[0]).toContain("another program holds it open without sharing it for reading (a sharing violation)");
      expect(warns[0]).toContain(`file=${winPath(file)}`);
      expect(logged("ERROR")).toEqual([]);
      // Tried again all along, quietly: debug lines (log_level = debug here).
      expect(logged("DEBUG", "Still cannot open file").length).toBeGreaterThanOrEqual(HELD_FOR_MS / 2000);

      writeFileSync(path.join(dir, "go-0"), ""); // the writer closes the file and reopens it shared, then writes generation 1
      await until("generation 1 written", () => said.includes('"op":"wrote","gen":1'), 30_000);
      const got = await reader.waitFor(topic, 2 * LINES, 30_000, 1500);
      const c = compare(got, { "exclusive-g0": LINES, "exclusive-g1": LINES });
      expect({ missing: c.missing, duplicates: c.duplicates, outOfOrder: c.outOfOrder }).toEqual({ missing: 0, duplicates: 0, outOfOrder: 0 });
      expect(c.received).toBe(2 * LINES);
      expect(logged("INFO", "File can be read now")).toHaveLength(1);
      expect(logged("INFO", "File can be read now")[0]).toContain("offset=0");
      expect(logged("WARN")).toHaveLength(1);
      expect(logged("ERROR")).toEqual([]);

      writeFileSync(path.join(dir, "go-1"), "");
      expect(await Promise.race([writer.exited, Bun.sleep(30_000).then(() => "timeout")])).toBe(0);
      const failed = said.trim().split("\n").filter((l) => l.includes('"ok":false'));
      expect(failed).toEqual([]);
    } finally {
      writer.kill("SIGKILL");
      await reading;
    }
  },
  180_000,
);
