// Issue "Windows servers", part 3, under Wine with the windows-x64 build: `[agent] log_file`
// rotates by log_max_bytes and keeps log_keep files (on Windows a file must be closed before it
// is renamed), nothing is written to stderr, and lines are shipped meanwhile. As FACTS.md says,
// wine's output goes to files, not pipes; paths are absolute.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { iniFor, sandbox } from "../support/agent-process";
import { ROOT, services, unique } from "../support/env";
import { numbered } from "../support/files";
import { TopicReader, createTopics } from "../support/kafka";
import { expectCheckColourRule, expectRotatedLog } from "../support/log-folder";
import { winPath } from "../support/wine";

const WINE_RUN = path.join(ROOT, "scripts/wine/run.sh");
const box = sandbox("windows-x64");
const topic = unique("win-logfile");
let reader: TopicReader;

beforeAll(async () => {
  await createTopics([topic]);
  reader = await TopicReader.start([topic]);
});
afterAll(async () => {
  await reader?.stop();
});

test("logagent.exe under Wine: log_file rotates at log_max_bytes = 10240, only log_keep = 2 rotated files remain, stderr stays empty", async () => {
  const input = path.join(box.dir, "in");
  const file = path.join(box.dir, "logs", "agent.log");
  const conf = path.join(box.dir, "conf.ini");
  mkdirSync(input);
  const N = 300; // ~230 bytes of "Following file." each: ~70 KB of log, six or more rotations
  for (let i = 0; i < N; i++) writeFileSync(path.join(input, `w${i}.log`), `w-${i}\n`);
  writeFileSync(
    conf,
    iniFor({
      kafka: services.kafka,
      extra: `log_file = ${file}\nlog_max_bytes = 10240\nlog_keep = 2\nfrom = beginning\nrescan_interval_ms = 200\n\n[collect.files]\npath = ${winPath(input)}\\*.log\ntopic = ${topic}`,
    }),
  );
  const stdout = path.join(box.dir, "stdout.txt");
  const stderr = path.join(box.dir, "stderr.txt");
  const proc = Bun.spawn([WINE_RUN, box.bin, "-c", conf], { cwd: box.dir, stdin: "ignore", stdout: Bun.file(stdout), stderr: Bun.file(stderr) });
  try {
    expect([...(await reader.waitFor(topic, N, 90_000))].sort()).toEqual(numbered("w", 0, N).sort());
    // Each file is logged as followed before its line is read, so every "Following file." is written by now.
  } finally {
    proc.kill("SIGKILL");
    await proc.exited;
  }
  const log = expectRotatedLog(file, { maxBytes: 10240, keep: 2, followed: N });
  expect(log.text.match(/Following file\./g)!.length).toBeGreaterThan(50);
  expect(readFileSync(stderr, "utf8")).toBe("");
  expect(readFileSync(stdout, "utf8")).toBe("");
}, 150_000);

test("logagent.exe under Wine with stderr closed (an invalid handle, EBADF) and no log_file: it keeps running and ships lines", async () => {
  const dir = path.join(box.dir, "closed");
  const input = path.join(dir, "in");
  const conf = path.join(dir, "conf.ini");
  const closedTopic = unique("win-closed");
  mkdirSync(input, { recursive: true });
  await createTopics([closedTopic]);
  const closedReader = await TopicReader.start([closedTopic]);
  for (let i = 0; i < 20; i++) writeFileSync(path.join(input, `c${i}.log`), `c-${i}\n`);
  writeFileSync(conf, iniFor({ kafka: services.kafka, extra: `from = beginning\n\n[collect.files]\npath = ${winPath(input)}\\*.log\ntopic = ${closedTopic}` }));
  const stdout = path.join(dir, "stdout.txt");
  const proc = Bun.spawn(["sh", "-c", `exec 2>&-; exec "${WINE_RUN}" "${box.bin}" -c "${conf}"`], { cwd: dir, stdin: "ignore", stdout: Bun.file(stdout), stderr: "ignore" });
  try {
    expect([...(await closedReader.waitFor(closedTopic, 20, 60_000))].sort()).toEqual(numbered("c", 0, 20).sort());
    expect(proc.exitCode).toBe(null); // still running
  } finally {
    proc.kill("SIGKILL");
    await proc.exited;
    await closedReader.stop();
  }
}, 120_000);

test("logagent.exe check -c conf.ini > file under Wine: no colour codes unless FORCE_COLOR (picocolors alone colours every stream on Windows)", () => {
  const dir = path.join(box.dir, "check");
  mkdirSync(dir, { recursive: true });
  const conf = path.join(dir, "conf.ini");
  writeFileSync(conf, iniFor({ kafka: services.kafka, extra: `\n[collect.app]\npath = ${winPath(dir)}\\app.log\ntopic = check_topic` }));
  const check = (env: Record<string, string>) => {
    const out = path.join(dir, "out.txt");
    const r = Bun.spawnSync(["sh", "-c", `"${WINE_RUN}" "${box.bin}" check -c "${conf}" > "${out}" 2>&1`], {
      cwd: dir,
      env: { ...withoutColourVariables(process.env), TERM: "xterm-256color", ...env },
    });
    expect(r.exitCode).toBe(0);
    return readFileSync(out, "utf8");
  };
  expectCheckColourRule(check);
}, 60_000);

/** The test's own environment (WINEPREFIX and all) without NO_COLOR and FORCE_COLOR. */
function withoutColourVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[0] !== "NO_COLOR" && e[0] !== "FORCE_COLOR"));
}
