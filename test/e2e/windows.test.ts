// Test 5 of issue 2: the windows-x64 build, under Debian's Wine (with the
// ProcessPrng shim that scripts/wine/setup.sh installs), answers --version and
// `check -c`, and ships lines from etcd's list to Kafka. Paths are absolute:
// Wine fails some relative file operations.
import { afterAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
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

test("logagent.exe --version under Wine", () => {
  const r = wine(["--version"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout.trim()).toMatch(/^logagent \d+\.\d+\.\d+ \(commit [0-9a-f]{12}(-dirty)?\)$/);
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
  const proc = Bun.spawn([WINE_RUN, box.bin, "-c", conf], { cwd: box.dir, stdout: "ignore", stderr: "pipe" });
  let output = "";
  void (async () => {
    for await (const chunk of proc.stderr) output += new TextDecoder().decode(chunk);
  })();
  try {
    const deadline = Date.now() + 30_000;
    while (!output.includes("Following file") && Date.now() < deadline) await Bun.sleep(100);
    expect(output).toContain("Following file");
    await body(log, reader, topic).catch((err: Error) => {
      throw new Error(`${err.message}\nthe agent's log:\n${output}`);
    });
  } finally {
    proc.kill("SIGKILL");
    await proc.exited;
    await reader.stop();
  }
}

test("logagent.exe under Wine ships appended lines from the etcd list to Kafka", async () => {
  await following("app.log", undefined, async (log, reader, topic) => {
    appendNumbered(log, "win", 0, 500);
    expect(await reader.waitFor(topic, 500, 30_000)).toEqual(numbered("win", 0, 500));
  });
}, 90_000);

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
