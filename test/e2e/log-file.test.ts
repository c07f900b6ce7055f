// Issue "Windows servers", part 3 (logs an admin can read), with the release binary on Linux:
// `[agent] log_file` rotates by log_max_bytes and keeps log_keep files; with a file nothing goes
// to stderr; a closed or broken stderr neither stops the agent nor its shipping; json lines
// parse; `check > file` has no colour codes. The same rotation under Wine: windows-log-file.test.ts.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { AgentProcess, bareEnv, iniFor, sandbox } from "../support/agent-process";
import { services, unique } from "../support/env";
import { appendNumbered, numbered } from "../support/files";
import { TopicReader, createTopics } from "../support/kafka";
import { expectCheckColourRule, expectRotatedLog, waitForLogFile } from "../support/log-folder";

const box = sandbox();
const topics = { rotation: unique("logfile-rot"), closed: unique("logfile-closed"), broken: unique("logfile-epipe"), json: unique("logfile-json") };
let reader: TopicReader;

beforeAll(async () => {
  await createTopics(Object.values(topics));
  reader = await TopicReader.start(Object.values(topics));
});
afterAll(async () => {
  await reader?.stop();
});

/** A folder of its own for one test: `in/` holds the files collected by the glob `in/*.log`. */
function workdir(name: string): { dir: string; input: string } {
  const dir = path.join(box.dir, name);
  mkdirSync(path.join(dir, "in"), { recursive: true });
  return { dir, input: path.join(dir, "in") };
}

/** log_level = debug (from iniFor); files found by a glob, read from the beginning. */
function ini(input: string, topic: string, agent: string): string {
  return iniFor({
    kafka: services.kafka,
    extra: `${agent}\nfrom = beginning\nrescan_interval_ms = 200\n\n[collect.files]\npath = ${input}/*.log\ntopic = ${topic}`,
  });
}

/** Writes `count` files with one line each (`prefix-i`); each new file is one "Following file." log line. */
function writeFiles(input: string, prefix: string, from: number, to: number): void {
  for (let i = from; i < to; i++) writeFileSync(path.join(input, `${prefix}${i}.log`), `${prefix}-${i}\n`);
}

const sorted = (values: string[]) => [...values].sort();

test("log_file with log_max_bytes = 10240 and log_keep = 2: the log rotates, only 2 rotated files remain, stderr stays empty", async () => {
  const { dir, input } = workdir("rotation");
  const N = 300; // ~230 bytes of "Following file." each: ~70 KB of log, six or more rotations
  writeFiles(input, "rot", 0, N);
  const agent = new AgentProcess(dir, box.bin, ini(input, topics.rotation, "log_file = logs/agent.log\nlog_max_bytes = 10240\nlog_keep = 2"));
  expect(sorted(await reader.waitFor(topics.rotation, N, 60_000))).toEqual(sorted(numbered("rot", 0, N)));
  expect(await agent.stop("SIGTERM")).toBe(0);
  // The relative log_file is resolved against the INI's folder.
  const log = expectRotatedLog(path.join(dir, "logs", "agent.log"), { maxBytes: 10240, keep: 2, followed: N });
  expect(log.text).toMatch(/INFO  logagent: Stopped; every line read was acknowledged by Kafka and positions are saved\.\n$/);
  expect(agent.log).toBe("");
}, 90_000);

test("with stderr closed, the agent logs to its file, ships lines and stops with exit code 0", async () => {
  const { dir, input } = workdir("closed");
  const file = path.join(dir, "agent.log");
  writeFileSync(path.join(dir, "conf.ini"), ini(input, topics.closed, `log_file = ${file}`));
  writeFileSync(path.join(input, "app.log"), "");
  const proc = Bun.spawn(["sh", "-c", `exec 2>&-; exec "${box.bin}" -c conf.ini`], { cwd: dir, env: bareEnv(), stdin: "ignore", stdout: "pipe", stderr: "ignore" });
  try {
    await waitForLogFile(file, /Following file\. .*app\.log/);
    appendNumbered(path.join(input, "app.log"), "closed", 0, 1000);
    expect(await reader.waitFor(topics.closed, 1000)).toEqual(numbered("closed", 0, 1000));
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    expect(readFileSync(file, "utf8")).toContain("Stopped; every line read was acknowledged");
    expect(await new Response(proc.stdout).text()).toBe("");
  } finally {
    proc.kill("SIGKILL");
  }
}, 60_000);

test("without log_file, a stderr nobody reads any more (EPIPE) neither stops the agent nor its shipping; exit code 0", async () => {
  const { dir, input } = workdir("broken");
  writeFileSync(path.join(dir, "conf.ini"), ini(input, topics.broken, ""));
  writeFiles(input, "before", 0, 1);
  // The reader of stderr (`true`) exits at once: every later write to stderr fails with EPIPE.
  const proc = Bun.spawn(["bash", "-c", `exec 2> >(exec true); exec "${box.bin}" -c conf.ini`], { cwd: dir, env: bareEnv(), stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  try {
    expect(await reader.waitFor(topics.broken, 1, 30_000, 0)).toEqual(["before-0"]);
    await Bun.sleep(1000); // `true` is long gone: what follows is logged to a closed pipe
    writeFiles(input, "after", 0, 50); // 50 "Following file." lines, and debug lines for each batch
    expect(sorted(await reader.waitFor(topics.broken, 51))).toEqual(sorted(["before-0", ...numbered("after", 0, 50)]));
    proc.kill("SIGTERM"); // the stop is logged too
    expect(await proc.exited).toBe(0);
  } finally {
    proc.kill("SIGKILL");
  }
}, 60_000);

test("log_format = json: every line is one JSON object; start and stop carry their event names", async () => {
  const { dir, input } = workdir("json");
  const file = path.join(dir, "agent.json.log");
  writeFiles(input, "json", 0, 3);
  const agent = new AgentProcess(dir, box.bin, ini(input, topics.json, `log_file = ${file}\nlog_format = json`));
  expect(sorted(await reader.waitFor(topics.json, 3))).toEqual(numbered("json", 0, 3));
  expect(await agent.stop("SIGTERM")).toBe(0);
  expect(agent.log).toBe("");
  const lines = readFileSync(file, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
  for (const l of lines) {
    expect(Object.keys(l).slice(0, 4)).toEqual(["time", "level", "scope", "message"]);
    expect(new Date(l.time).toISOString()).toBe(l.time);
  }
  expect(lines[0]).toMatchObject({ level: "info", scope: "logagent", message: "Starting.", config: path.join(dir, "conf.ini"), event: "AgentStarting" });
  expect(lines.filter((l) => l.message === "Following file.").map((l) => path.basename(l.file)).sort()).toEqual(["json0.log", "json1.log", "json2.log"]);
  expect(lines.at(-1)).toMatchObject({ level: "info", message: "Stopped; every line read was acknowledged by Kafka and positions are saved.", event: "AgentStopped" });
}, 60_000);

test("started from a terminal with log_file, the agent says once where its log goes, and nothing else", () => {
  const { dir, input } = workdir("terminal");
  const file = path.join(dir, "agent.log");
  writeFileSync(path.join(dir, "conf.ini"), ini(input, unique("unused"), `log_file = ${file}`));
  // script(1) gives the agent a pseudo-terminal; timeout stops it with SIGTERM after 3 s.
  const r = Bun.spawnSync(["script", "-qefc", `timeout --preserve-status -s TERM 3 "${box.bin}" -c conf.ini`, "/dev/null"], { cwd: dir, env: { ...bareEnv(), TERM: "xterm" }, stdout: "pipe", stderr: "pipe" });
  expect(r.exitCode).toBe(0);
  const shown = r.stdout.toString().replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replaceAll("\r", "");
  expect(shown).toMatch(new RegExp(`^\\S+ INFO  logagent: Logging to a file from now on\\. file=${file.replaceAll("/", "\\/")}\\n$`));
  expect(readFileSync(file, "utf8")).toContain("Stopped; every line read was acknowledged");
}, 30_000);

test("`check > file` writes no colour codes, with TERM set and FORCE_COLOR unset; FORCE_COLOR=1 colours, NO_COLOR wins", () => {
  const { dir, input } = workdir("check");
  writeFileSync(path.join(dir, "conf.ini"), ini(input, "check_topic", ""));
  const check = (env: Record<string, string>) => {
    const out = path.join(dir, "out.txt");
    const r = Bun.spawnSync(["sh", "-c", `"${box.bin}" check -c conf.ini > out.txt 2>&1`], { cwd: dir, env: { ...bareEnv(), TERM: "xterm-256color", ...env }, stdout: "pipe", stderr: "pipe" });
    expect(r.exitCode).toBe(0);
    return readFileSync(out, "utf8");
  };
  expectCheckColourRule(check);
});
