// A file the agent's account may not read, beside one it may: the release
// binary against a real Kafka. The readable file ships while the other cannot
// be opened; the unreadable one is reported once (not once a second, as it
// was), retried quietly, and shipped in full, from where it was, once its
// permissions are fixed. A plain path that names a directory is refused as a
// configuration error.
//
// Root reads any file whatever its mode, so when the tests run as root the
// agent is started as nobody through setpriv (util-linux), the way a service
// account runs it; its folder is given to nobody, and the unreadable file is
// root's with mode 0600.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, chownSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { AgentProcess, iniFor, runOnce, sandbox } from "../support/agent-process";
import { services, unique } from "../support/env";
import { appendNumbered, numbered } from "../support/files";
import { TopicReader, createTopics } from "../support/kafka";

const NOBODY = 65534;
const AS_ROOT = process.getuid?.() === 0;
/** How long the file stays unreadable while both files are written: several of the agent's retries (they back off to idle_poll_max_ms, 2 s). */
const LOCKED_FOR_S = 12;
const LINES_PER_S = 50;

const box = sandbox();
const readable = path.join(box.dir, "readable.log");
const locked = path.join(box.dir, "locked.log");
const topicReadable = unique("unreadable-ok");
const topicLocked = unique("unreadable-locked");
let agent: AgentProcess;
let reader: TopicReader;

/** The agent's log lines at `level` that mention `text`. */
const logged = (level: "WARN" | "ERROR" | "INFO" | "DEBUG", text = "") => agent.log.split("\n").filter((l) => new RegExp(`\\s${level}\\s`).test(l) && l.includes(text));

beforeAll(async () => {
  await createTopics([topicReadable, topicLocked]);
  reader = await TopicReader.start([topicReadable, topicLocked]);
  writeFileSync(readable, "");
  writeFileSync(locked, numbered("before", 0, 100).join("\n") + "\n");
  // Readable by its owner only: root's when the agent runs as nobody; as another user, mode 0 does it.
  chmodSync(locked, AS_ROOT ? 0o600 : 0o200);
  if (AS_ROOT) chownSync(box.dir, NOBODY, NOBODY); // the agent writes its state there
  const sections = [
    `[collect.readable]\npath = ${readable}\ntopic = ${topicReadable}\n`,
    `[collect.locked]\npath = ${locked}\ntopic = ${topicLocked}\n`,
  ];
  const ini = iniFor({ kafka: services.kafka, extra: "from = beginning\n" }) + "\n" + sections.join("\n");
  const wrap = AS_ROOT ? ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups"] : [];
  agent = new AgentProcess(box.dir, box.bin, ini, wrap);
  await agent.waitForLog(new RegExp(`Following file\\. path=${readable.replaceAll("/", "\\/")}`));
  await agent.waitForLog(/WARN .*Cannot open file/);
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await reader?.stop();
  rmSync(box.dir, { recursive: true, force: true }); // a 110 MB executable
});

test(
  `while one file cannot be opened for ${LOCKED_FOR_S} s, the other ships every line before it is readable; ` +
    "the unreadable one is warned about once, naming the file, the cause and the account, with no ERROR",
  async () => {
    for (let s = 0; s < LOCKED_FOR_S; s++) {
      appendNumbered(readable, "r", s * LINES_PER_S, (s + 1) * LINES_PER_S);
      appendNumbered(locked, "l", s * LINES_PER_S, (s + 1) * LINES_PER_S);
      await Bun.sleep(1000);
    }
    const total = LOCKED_FOR_S * LINES_PER_S;
    // Before the other file is made readable: every line of this one is in Kafka.
    expect(await reader.waitFor(topicReadable, total, 10_000, 0)).toEqual(numbered("r", 0, total));
    expect(reader.values(topicLocked)).toEqual([]);

    const warns = logged("WARN");
    expect(warns).toHaveLength(1);
    expect(warns[0]).toContain("Cannot open file");
    expect(warns[0]).toContain(`file=${locked}`);
    expect(warns[0]).toContain("code=EACCES");
    expect(warns[0]).toContain(`permission denied: the account logagent runs as (${AS_ROOT ? `nobody, uid ${NOBODY}` : ""}`);
    expect(logged("ERROR")).toEqual([]);
    // It was tried again all along, quietly: the retries are debug lines (this test runs at log_level = debug).
    expect(logged("DEBUG", "Still cannot open file").length).toBeGreaterThanOrEqual(LOCKED_FOR_S / 2);
  },
  60_000,
);

test("once it can be read: one INFO, and every line it held and was given meanwhile arrives once, in order", async () => {
  chmodSync(locked, 0o644);
  await agent.waitForLog(/INFO .*File can be read now/, 10_000);
  const expected = [...numbered("before", 0, 100), ...numbered("l", 0, LOCKED_FOR_S * LINES_PER_S)];
  expect(await reader.waitFor(topicLocked, expected.length, 15_000)).toEqual(expected);
  expect(logged("INFO", "File can be read now")).toHaveLength(1);
  expect(logged("INFO", "File can be read now")[0]).toContain("offset=0");
  expect(logged("WARN")).toHaveLength(1);
  expect(logged("ERROR")).toEqual([]);
  expect(await agent.stop("SIGTERM")).toBe(0);
}, 60_000);

test("a plain path that names a directory is a configuration error: check and the agent both exit 2, naming the entry and the path", () => {
  const dir = path.join(box.dir, "logs");
  mkdirSync(dir);
  writeFileSync(path.join(box.dir, "dir.ini"), `[kafka]\naddress = 127.0.0.1:1\n\n[collect.logs]\npath = ${dir}\ntopic = t\n`);
  for (const args of [["check", "-c", "dir.ini"], ["-c", "dir.ini"]]) {
    const r = runOnce(box.bin, args, box.dir);
    expect({ args, code: r.code }).toEqual({ args, code: 2 });
    expect(r.stdout + r.stderr).toContain(`[collect.logs] path = ${JSON.stringify(dir)} is a directory`);
    expect(r.stdout + r.stderr).toContain(JSON.stringify(path.join(dir, "*.log")));
  }
});
