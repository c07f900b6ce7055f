// Test 5 of issue 2: the windows-x64 build, under Debian's Wine (with the
// ProcessPrng shim that scripts/wine/setup.sh installs), answers --version and
// `check -c`, and ships lines from etcd's list to Kafka. Paths are absolute:
// Wine fails some relative file operations.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { iniFor, sandbox } from "../support/agent-process";
import { ROOT, services, unique } from "../support/env";
import { etcdClient, putList } from "../support/etcd";
import { appendNumbered, numbered } from "../support/files";
import { TopicReader, createTopics } from "../support/kafka";
import { winPath } from "../support/wine";

const WINE_RUN = path.join(ROOT, "scripts/wine/run.sh");
const box = sandbox("windows-x64");
const conf = path.join(box.dir, "conf.ini");
const etcd = etcdClient();

function wine(args: string[]) {
  const r = Bun.spawnSync([WINE_RUN, box.bin, ...args], { cwd: box.dir, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

afterAll(() => etcd.close());

/** logagent.exe -c conf.ini under Wine, its stderr (the log) collected as it comes. */
function startAgent(): { readonly output: string; kill(): Promise<void> } {
  const proc = Bun.spawn([WINE_RUN, box.bin, "-c", conf], { cwd: box.dir, stdout: "ignore", stderr: "pipe" });
  let output = "";
  void (async () => {
    for await (const chunk of proc.stderr) output += new TextDecoder().decode(chunk);
  })();
  return {
    get output() {
      return output;
    },
    async kill() {
      proc.kill("SIGKILL");
      await proc.exited;
    },
  };
}

test("logagent.exe --version under Wine", () => {
  const r = wine(["--version"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout.trim()).toMatch(/^logagent \d+\.\d+\.\d+ \(commit [0-9a-f]{12}(-dirty)?\)$/);
});

test("logagent.exe /?, -h and --help print the help and exit 0, as Windows users type it", () => {
  for (const flag of ["/?", "-h", "--help"]) {
    const r = wine([flag]);
    expect({ flag, code: r.code }).toEqual({ flag, code: 0 });
    expect(r.stdout).toContain("logagent service install -c <conf.ini>");
    expect(r.stdout).toContain("shutdown_timeout_ms");
  }
});

test("logagent.exe check -c on a sample config: valid, and lists what it would collect from etcd", async () => {
  const key = `/logagent/${unique("win")}/collect_config`;
  await putList(etcd, key, [{ path: "C:\\logs\\app.log", topic: "win_app" }]);
  writeFileSync(conf, iniFor({ kafka: services.kafka, etcd: services.etcd, key }));
  const r = wine(["check", "-c", conf]);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("is valid");
  expect(r.stdout).toContain("C:\\logs\\app.log -> topic win_app");
});

test("logagent.exe check -c on a bad config exits 2 naming the line and key", () => {
  writeFileSync(conf, "[kafka]\naddress = 127.0.0.1:1\nacks = 3\n");
  const r = wine(["check", "-c", conf]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(':3: [kafka] acks = "3": must be one of 0, 1, all');
});

/**
 * Runs logagent.exe under Wine on an etcd list naming one new file, `name`, shipped to a new topic; once
 * the agent follows the file, `body` writes to it and reads the topic back.
 */
async function following(name: string, agentExtra: string | undefined, body: (log: string, reader: TopicReader, topic: string) => Promise<void>): Promise<void> {
  const topic = unique("win");
  const key = `/logagent/${unique("win")}/collect_config`;
  const log = path.join(box.dir, name);
  writeFileSync(log, "");
  await createTopics([topic]);
  const reader = await TopicReader.start([topic]);
  await putList(etcd, key, [{ path: winPath(log), topic }]);
  writeFileSync(conf, iniFor({ kafka: services.kafka, etcd: services.etcd, key, extra: agentExtra }));
  const agent = startAgent();
  try {
    // This file's line, not any: the agent starts on the last good list an earlier test left in state_dir
    // (another file), and a line written before this file is found would be skipped by `from = end`.
    const following = `Following file. path=${winPath(log)} `;
    const deadline = Date.now() + 30_000;
    while (!agent.output.includes(following) && Date.now() < deadline) await Bun.sleep(100);
    expect(agent.output).toContain(following);
    await body(log, reader, topic).catch((err: Error) => {
      throw new Error(`${err.message}\nthe agent's log:\n${agent.output}`);
    });
  } finally {
    await agent.kill();
    await reader.stop();
  }
}

test("logagent.exe under Wine ships appended lines from the etcd list to Kafka", async () => {
  await following("app.log", undefined, async (log, reader, topic) => {
    appendNumbered(log, "win", 0, 500);
    expect(await reader.waitFor(topic, 500, 30_000)).toEqual(numbered("win", 0, 500));
  });
}, 90_000);

test("logagent.exe under Wine holds its state_dir: a second agent is refused, naming the first's pid; the lock the first leaves when killed does not stop the next start", async () => {
  const lock = path.join(box.dir, "logagent-state", "logagent.lock");
  const held = () => JSON.parse(readFileSync(lock, "utf8")) as { pid: number; since: string };
  let first = { pid: 0, since: "" };
  await following("locked.log", undefined, async () => {
    first = held();
    const second = wine(["-c", conf]);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain("[agent] state_dir = ");
    expect(second.stderr).toContain(`is used by another logagent (pid ${first.pid}, since `);
  });
  // following() ends the agent with SIGKILL: no exit code ran, the lock is left behind.
  expect(held()).toEqual(first);
  await following("relocked.log", undefined, async (log, reader, topic) => {
    expect(held().since).not.toBe(first.since); // taken over: Wine's answer says that pid no longer runs
    appendNumbered(log, "relocked", 0, 100);
    expect(await reader.waitFor(topic, 100, 30_000)).toEqual(numbered("relocked", 0, 100));
  });
}, 120_000);

test("logagent.exe under Wine reads a line written to a quiet file at once: folder change notifications (ReadDirectoryChangesW) reach it", async () => {
  // idle_poll_max_ms = 60000: after its first line, a quiet file is polled 0.8, 1.0, 1.4, 2.2, 3.8, 7.0,
  // 13.4 and 26.2 s later (poll_interval_ms = 100, doubling after 8 looks). A line written 14.5 s after the
  // first would wait until 26.2 s for a poll: only a change notification brings it within the 5 s waited.
  await following("quiet.log", "idle_poll_max_ms = 60000", async (log, reader, topic) => {
    appendNumbered(log, "first", 0, 1);
    expect(await reader.waitFor(topic, 1, 30_000, 0)).toEqual(["first-0"]);
    await Bun.sleep(14_500);
    appendNumbered(log, "second", 0, 1);
    expect(await reader.waitFor(topic, 2, 5000, 0)).toEqual(["first-0", "second-0"]);
  });
}, 90_000);

test("logagent.exe: allow_paths in Windows form, case-insensitive; `..` and \\\\?\\ entries refused by check; a link pointing outside refused when opened while the rest ships", async () => {
  const topic = unique("win-allow");
  const key = `/logagent/${unique("win-allow")}/collect_config`;
  const allowed = path.join(box.dir, "allowed");
  const secret = path.join(box.dir, "secret");
  mkdirSync(allowed);
  mkdirSync(secret);
  writeFileSync(path.join(secret, "key.txt"), "SECRET\n");
  writeFileSync(path.join(allowed, "app.log"), "");
  symlinkSync(path.join(secret, "key.txt"), path.join(allowed, "evil.log"));
  // The rule in upper case with a lower-case drive; entries as Wine shows the files (Z:\tmp\...).
  const rule = `z:${winPath(allowed).slice(2).toUpperCase()}\\**`;
  writeFileSync(conf, iniFor({ kafka: services.kafka, etcd: services.etcd, key, extra: `allow_paths = ${rule}` }));
  const dotdot = `${winPath(allowed)}\\..\\secret\\key.txt`;
  const device = `\\\\?\\${winPath(allowed)}\\app.log`;
  await putList(etcd, key, [{ path: `${winPath(allowed)}\\*.LOG`, topic }, { path: dotdot, topic }, { path: device, topic }]);
  const refused = wine(["check", "-c", conf]);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain(`entry ${JSON.stringify(dotdot)}: field "path" = ${JSON.stringify(dotdot)} (that is ${JSON.stringify(`${winPath(secret)}\\key.txt`)}) is outside [agent] allow_paths (${JSON.stringify(rule)})`);
  expect(refused.stderr).toContain(`entry ${JSON.stringify(device)}: field "path" = ${JSON.stringify(device)}: \\\\?\\Z:\\ paths are not normalised by Windows`);

  await createTopics([topic]);
  const reader = await TopicReader.start([topic]);
  await putList(etcd, key, [{ path: `${winPath(allowed)}\\*.LOG`, topic }]);
  expect(wine(["check", "-c", conf]).code).toBe(0);
  const agent = startAgent();
  try {
    const deadline = Date.now() + 30_000;
    const followed = /Following file\. .*file=Z:\\\S+\\allowed\\app\.log/;
    const refusedLink = /WARN .*File is not read: a link, or a linked folder, in its path leads outside the allowed paths\..* file=Z:\\\S+\\allowed\\evil\.log target=Z:\\\S+\\secret\\key\.txt/;
    while (!(followed.test(agent.output) && refusedLink.test(agent.output)) && Date.now() < deadline) await Bun.sleep(100);
    expect(agent.output).toMatch(followed);
    expect(agent.output).toMatch(refusedLink);
    appendNumbered(path.join(allowed, "app.log"), "win-allow", 0, 100);
    expect(await reader.waitFor(topic, 100, 30_000)).toEqual(numbered("win-allow", 0, 100));
  } finally {
    await agent.kill();
    await reader.stop();
  }
}, 120_000);
