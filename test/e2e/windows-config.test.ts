// Issue 9 item 5 under Wine, with the Windows exe: conf.ini as Windows tools
// write it (Notepad's UTF-8 with BOM, PowerShell's UTF-16LE with BOM, CRLF),
// a quoted state_dir with spaces that the agent really creates and keeps its
// positions in, `${VAR}` secrets from the environment of the wine process
// (Wine passes Unix variables through), and errors with their line numbers.
import { expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { winPath } from "../support/wine";
import { sandbox } from "../support/agent-process";
import { ROOT, unique } from "../support/env";
import { appendNumbered, numbered } from "../support/files";
import { TopicReader, createTopics } from "../support/kafka";

const WINE_RUN = path.join(ROOT, "scripts/wine/run.sh");
const box = sandbox("windows-x64");
const conf = path.join(box.dir, "conf.ini");
/** What the exe sees for a Unix path: Wine maps / to drive Z:. */

const notepad = (text: string) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text.replaceAll("\n", "\r\n"))]);
const powershell = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.replaceAll("\n", "\r\n"), "utf16le")]);

function wine(args: string[], env: Record<string, string> = {}) {
  const r = Bun.spawnSync([WINE_RUN, box.bin, ...args], { cwd: box.dir, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

const SECRET = "s3cret with spaces; and # too";
const INI = (stateDir: string) =>
  [
    "; conf.ini as a Windows admin writes it",
    "[kafka]",
    "address = 127.0.0.1:1",
    "sasl_mechanism = plain",
    "sasl_username = logagent",
    "sasl_password = ${KAFKA_PASSWORD}",
    "",
    "[agent]",
    `state_dir = "${stateDir}"   ; quoted: the path has spaces`,
    "",
    "[collect.app]",
    "path = C:\\logs\\app.log",
    "topic = app",
    "",
  ].join("\n");

for (const [name, encode] of [
  ["UTF-8 with BOM and CRLF (Notepad)", notepad],
  ["UTF-16LE with BOM and CRLF (PowerShell Out-File)", powershell],
] as const) {
  test(`logagent.exe check reads conf.ini in ${name}; a quoted state_dir keeps its spaces and backslashes; \${KAFKA_PASSWORD} shows as its source`, () => {
    writeFileSync(conf, encode(INI("C:\\Program Files\\logagent\\state")));
    const r = wine(["check", "-c", conf], { KAFKA_PASSWORD: SECRET });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("is valid.");
    expect(r.stdout).toMatch(/state: C:\\Program Files\\logagent\\state\r?\n/);
    expect(r.stdout).toContain("[kafka] sasl_password = ${KAFKA_PASSWORD}");
    expect(r.stdout).toContain("C:\\logs\\app.log -> topic app");
    expect(r.stdout).not.toContain("s3cret");
  }, 60_000);
}

test("logagent.exe check: bad forms in a UTF-16LE conf.ini give exit 2 and errors with their line numbers", () => {
  writeFileSync(conf, powershell(INI("C:\\state") + "[collect.app]\npath = C:\\b.log\ntopic = b\n[kafka]\nacks = 1\u2028\n"));
  const r = wine(["check", "-c", conf]);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr).toContain(":6: [kafka] sasl_password: environment variable KAFKA_PASSWORD is not set");
  expect(r.stderr).toContain(":14: [collect.app]: section repeated: it is already at line 11");
  expect(r.stderr).toContain(":17: [kafka]: section repeated: it is already at line 2");
  expect(r.stderr).toContain(":18: character U+2028 (line separator) at column 9");
  const quote = wine(["check", "-c", (writeFileSync(conf, notepad(INI("C:\\Program Files\\x").replace('\\x"', "\\x"))), conf)], { KAFKA_PASSWORD: SECRET });
  expect(quote.code).toBe(2);
  expect(quote.stderr).toContain(":9: [agent] state_dir: starts with \" but has no closing \"");
}, 60_000);

test("logagent.exe creates the quoted state_dir with spaces and keeps positions there, authenticated by a password from the environment", async () => {
  const topic = unique("winconf");
  await createTopics([topic]);
  const reader = await TopicReader.start([topic]);
  const log = path.join(box.dir, "app.log");
  writeFileSync(log, "");
  const stateDir = path.join(box.dir, "Program Files", "logagent state");
  const ini = [
    "[kafka]",
    `address = ${process.env.KAFKA_SASL_BROKERS}`,
    "sasl_mechanism = plain",
    "sasl_username = ${KAFKA_USER}",
    "sasl_password = ${KAFKA_PASSWORD}",
    "[agent]",
    `state_dir = "${winPath(stateDir)}"`,
    "from = beginning",
    "checkpoint_interval_ms = 500",
    "log_level = debug",
    "[collect.app]",
    `path = ${winPath(log)}`,
    `topic = ${topic}`,
    "",
  ].join("\n");
  writeFileSync(conf, powershell(ini));
  const env = { KAFKA_USER: process.env.KAFKA_SASL_PLAIN_USER!, KAFKA_PASSWORD: process.env.KAFKA_SASL_PLAIN_PASSWORD! };
  const proc = Bun.spawn([WINE_RUN, box.bin, "-c", conf], { cwd: box.dir, env: { ...process.env, ...env }, stdout: "ignore", stderr: "pipe" });
  let output = "";
  void (async () => {
    for await (const chunk of proc.stderr) output += new TextDecoder().decode(chunk);
  })();
  try {
    const deadline = Date.now() + 40_000;
    while (!output.includes("Following file") && Date.now() < deadline) await Bun.sleep(100);
    expect(output).toContain("Following file");
    appendNumbered(log, "winconf", 0, 200);
    expect(await reader.waitFor(topic, 200, 30_000)).toEqual(numbered("winconf", 0, 200));
    // Positions are saved every checkpoint_interval_ms (500 ms); wait for one that covers all 200 lines.
    const positions = path.join(stateDir, "checkpoints.json");
    const saved = Date.now() + 10_000;
    while (Date.now() < saved && !(existsSync(positions) && readFileSync(positions, "utf8").includes(String(readFileSync(log).length)))) await Bun.sleep(100);
    expect(readFileSync(positions, "utf8")).toContain("app.log");
    expect(readFileSync(positions, "utf8")).toContain(String(readFileSync(log).length));
    expect(output).not.toContain(env.KAFKA_PASSWORD);
  } finally {
    proc.kill("SIGKILL");
    await proc.exited;
    await reader.stop();
  }
}, 120_000);
