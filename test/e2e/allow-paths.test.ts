// Issue 13 item 2: [agent] allow_paths, with the release binary against the
// real etcd and Kafka. Entries outside it are refused with an error naming the
// entry and the rule while the previous list keeps shipping; `..` tricks and
// globs that reach partly outside are refused; a link inside the allowed
// folder that points outside (a file, or a linked folder) is refused when it
// would be opened, said once, while the entry's other files ship; `check`
// refuses the same list. Without allow_paths, the agent and `check` warn once.
//
// The agent logs JSON here (log_format = json), so that assertions read
// fields rather than escaped text.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { AgentProcess, bareEnv, iniFor, sandbox } from "../support/agent-process";
import { services, unique } from "../support/env";
import { etcdClient, putList } from "../support/etcd";
import { appendNumbered, numbered } from "../support/files";
import { TopicReader, createTopics } from "../support/kafka";

const etcd = etcdClient();
const box = sandbox();
const allowed = path.join(box.dir, "allowed");
const secret = path.join(box.dir, "secret");
const key = `/logagent/${unique("allow")}/collect_config`;
const [tApp, tLinks, tBad] = [unique("allow-app"), unique("allow-links"), unique("allow-bad")];
const app = path.join(allowed, "app.log");
const rule = `[agent] allow_paths (${JSON.stringify(`${allowed}/**`)})`;
let agent: AgentProcess;
let reader: TopicReader;

interface Line {
  level: string;
  message: string;
  [field: string]: unknown;
}

/** The agent's JSON log lines from character `from` on. */
function lines(a: AgentProcess, from = 0): Line[] {
  return a.log
    .slice(from)
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Line);
}

async function waitForLine(a: AgentProcess, match: (l: Line) => boolean, from = 0, timeoutMs = 20_000): Promise<Line> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = lines(a, from).find(match);
    if (found) return found;
    await Bun.sleep(50);
  }
  throw new Error(`no matching log line within ${timeoutMs} ms; the log:\n${a.log.slice(from)}`);
}

const invalidList = (l: Line) => l.level === "error" && l.message === "Collect list is invalid; the previous list keeps running.";

function check(dir: string): { code: number | null; stdout: string; stderr: string } {
  const r = Bun.spawnSync([box.bin, "check", "-c", "conf.ini"], { cwd: dir, env: bareEnv(), stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

beforeAll(async () => {
  mkdirSync(path.join(allowed, "links"), { recursive: true });
  mkdirSync(secret);
  writeFileSync(path.join(secret, "key.txt"), "SECRET-1\nSECRET-2\n");
  writeFileSync(path.join(secret, "other.txt"), "SECRET-3\n"); // another file: a file refused for one entry is still claimed by it
  writeFileSync(app, "");
  writeFileSync(path.join(allowed, "links", "good.log"), "");
  symlinkSync(path.join(secret, "key.txt"), path.join(allowed, "links", "evil.log")); // a link inside, pointing out
  symlinkSync(secret, path.join(allowed, "linked")); // a linked folder inside, pointing out
  await createTopics([tApp, tLinks, tBad]);
  reader = await TopicReader.start([tApp, tLinks, tBad]);
  await putList(etcd, key, [{ path: app, topic: tApp }]);
  const extra = ["log_format = json", "from = beginning", `allow_paths = ${allowed}/**`].join("\n");
  agent = new AgentProcess(box.dir, box.bin, iniFor({ kafka: services.kafka, etcd: services.etcd, key, extra }));
  await waitForLine(agent, (l) => l.message === "Following file." && l.file === app);
});

afterAll(async () => {
  await agent?.stop();
  await reader?.stop();
  etcd.close();
});

describe("allow_paths", () => {
  test("an entry inside ships; with allow_paths set there is no warning about it", async () => {
    appendNumbered(app, "app", 0, 50);
    expect(await reader.waitFor(tApp, 50)).toEqual(numbered("app", 0, 50));
    expect(agent.log).not.toContain("allow_paths is not set");
  });

  test("entries outside are refused with an error naming each entry and the rule; the previous list keeps shipping", async () => {
    const mark = agent.log.length;
    const outside = path.join(secret, "key.txt");
    // The folder is refused as outside, and only so: a refused entry is not looked up on disk, so the
    // error does not tell whoever wrote it that the path is a folder.
    await putList(etcd, key, [{ path: app, topic: tApp }, { path: outside, topic: tBad }, { path: secret, topic: tBad }]);
    const line = await waitForLine(agent, invalidList, mark);
    expect(line.problems).toBe(
      [outside, secret].map((p) => `entry ${JSON.stringify(p)}: field "path" = ${JSON.stringify(p)} is outside ${rule}: etcd may only name files there`).join("; "),
    );
    expect(line.from).toMatch(new RegExp(`^etcd key ${key} at revision \\d+$`));
    appendNumbered(app, "app", 50, 100);
    expect(await reader.waitFor(tApp, 100)).toEqual(numbered("app", 0, 100));
  });

  test("`..` tricks and globs that reach partly outside are refused, each named; nothing of them is read", async () => {
    const mark = agent.log.length;
    const dotdot = `${allowed}/../secret/key.txt`;
    const deep = `${allowed}/links/../../secret//key.txt`;
    const globUp = `${allowed}/../*/key.txt`; // `..` resolved: every folder beside "allowed"
    const wide = `${box.dir}/**/*.txt`;
    await putList(etcd, key, [{ path: app, topic: tApp }, ...[dotdot, deep, globUp, wide].map((p) => ({ path: p, topic: tBad, from: "beginning" }))]);
    const line = await waitForLine(agent, invalidList, mark);
    const problems = String(line.problems).split("; entry ");
    expect(problems).toHaveLength(4);
    const normal = JSON.stringify(path.join(secret, "key.txt"));
    expect(problems[0]).toBe(`entry ${JSON.stringify(dotdot)}: field "path" = ${JSON.stringify(dotdot)} (that is ${normal}) is outside ${rule}: etcd may only name files there`);
    expect(problems[1]).toBe(`${JSON.stringify(deep)}: field "path" = ${JSON.stringify(deep)} (that is ${normal}) is outside ${rule}: etcd may only name files there`);
    for (const [i, p] of [[2, globUp], [3, wide]] as const) {
      expect(problems[i]).toStartWith(`${JSON.stringify(p)}: field "path" = ${JSON.stringify(p)}: the glob can match files outside ${rule}. A glob is accepted only when every file it can match is allowed, and that could not be shown (when in doubt it is refused)`);
    }
    appendNumbered(app, "app", 100, 120);
    expect(await reader.waitFor(tApp, 120)).toEqual(numbered("app", 0, 120));
    // Had the list been applied, key.txt would have been read from its start at the next poll (100 ms):
    // the 1.5 s waitFor settles above, and the 3 s here, are far longer.
    await Bun.sleep(3000);
    expect(reader.values(tBad)).toEqual([]);
  });

  test("a link inside pointing outside, and a file under a linked folder: refused when opened, said once each, while the entry's other files ship", async () => {
    const mark = agent.log.length;
    const links = `${allowed}/links/*.log`;
    const viaFolder = path.join(allowed, "linked", "other.txt");
    await putList(etcd, key, [{ path: app, topic: tApp }, { path: links, topic: tLinks }, { path: viaFolder, topic: tBad }]);
    await waitForLine(agent, (l) => l.message === "Applying collect list." && l.entries === 3, mark);
    const refused = (l: Line) => l.level === "warn" && String(l.message).startsWith("File is not read: a link, or a linked folder, in its path leads outside the allowed paths.");
    await waitForLine(agent, (l) => refused(l) && l.path === viaFolder, mark);
    await waitForLine(agent, (l) => refused(l) && l.path === links, mark);
    appendNumbered(path.join(allowed, "links", "good.log"), "good", 0, 30);
    appendNumbered(app, "app", 120, 140);
    expect(await reader.waitFor(tLinks, 30)).toEqual(numbered("good", 0, 30));
    expect(await reader.waitFor(tApp, 140)).toEqual(numbered("app", 0, 140));
    // Said once, though each is looked at again every 2 s at most (idle_poll_max_ms): 8 s is four rounds and more.
    await Bun.sleep(8000);
    const said = lines(agent, mark).filter(refused);
    expect(said.map((l) => ({ path: l.path, file: l.file, target: l.target, rule: l.rule }))).toEqual(
      expect.arrayContaining([
        { path: links, file: path.join(allowed, "links", "evil.log"), target: path.join(secret, "key.txt"), rule },
        { path: viaFolder, file: viaFolder, target: path.join(secret, "other.txt"), rule },
      ]),
    );
    expect(said).toHaveLength(2);
    expect(agent.openPaths().filter((p) => p.startsWith(secret))).toEqual([]);
    expect(reader.values(tBad)).toEqual([]);
    expect(reader.values(tLinks).filter((v) => v.startsWith("SECRET"))).toEqual([]);
  });

  test("check refuses the same list, naming the key, the entry and the rule (exit 2), and accepts one inside", async () => {
    const outside = `${allowed}/../secret/key.txt`;
    const other = `/logagent/${unique("allow-check")}/collect_config`;
    await putList(etcd, other, [{ path: app, topic: tApp }, { path: outside, topic: tBad }]);
    const dir = path.join(box.dir, "check");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "conf.ini"), iniFor({ kafka: services.kafka, etcd: services.etcd, key: other, extra: `allow_paths = ${allowed}/**` }));
    const bad = check(dir);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toMatch(new RegExp(`etcd key ${other} \\(revision \\d+\\): entry "${outside.replace(/[.*/]/g, "\\$&")}": field "path" = `));
    expect(bad.stderr).toContain(`(that is ${JSON.stringify(path.join(secret, "key.txt"))}) is outside ${rule}`);
    await putList(etcd, other, [{ path: app, topic: tApp }, { path: `${allowed}/links/*.log`, topic: tLinks }]);
    const ok = check(dir);
    expect(ok).toMatchObject({ code: 0, stderr: "" });
    expect(ok.stdout).toContain(`etcd may name: ${allowed}/**`);
    expect(ok.stdout).not.toContain("allow_paths is not set");
  });
});

describe("without allow_paths", () => {
  test("the agent warns once at start, naming the key and its account, and check warns once; [collect.*] alone does not warn", async () => {
    const other = `/logagent/${unique("allow-none")}/collect_config`;
    await putList(etcd, other, [{ path: app, topic: tApp }]);
    const dir = path.join(box.dir, "none");
    mkdirSync(dir);
    const ini = iniFor({ kafka: services.kafka, etcd: services.etcd, key: other, extra: "log_format = json" });
    const open = new AgentProcess(dir, box.bin, ini);
    try {
      await waitForLine(open, (l) => l.message === "Following file.");
      await putList(etcd, other, [{ path: app, topic: tApp }, { path: path.join(allowed, "links", "good.log"), topic: tLinks }]);
      await waitForLine(open, (l) => l.message === "Applying collect list." && l.entries === 2);
      const warned = lines(open).filter((l) => String(l.message).includes("allow_paths is not set"));
      expect(warned).toHaveLength(1);
      expect(warned[0]).toMatchObject({
        level: "warn",
        message: "[agent] allow_paths is not set: whoever can write this host's etcd key can make it ship any file the agent's account can read. List the files etcd may name in allow_paths (for example /var/log/** or C:\\logs\\**).",
        key: other,
      });
      expect(String(warned[0]!.account)).toContain(`uid ${process.geteuid!()}`);
    } finally {
      await open.stop();
    }
    const r = check(dir);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/allow_paths is not set/g)).toHaveLength(1);
    expect(r.stdout).toContain("warning [agent] allow_paths is not set: whoever can write this host's etcd key");

    const local = path.join(box.dir, "local");
    mkdirSync(local);
    writeFileSync(path.join(local, "conf.ini"), iniFor({ kafka: services.kafka }) + `[collect.app]\npath = ${app}\ntopic = ${tApp}\n`);
    const trusted = check(local);
    expect(trusted.code).toBe(0);
    expect(trusted.stdout + trusted.stderr).not.toContain("allow_paths");
  });
});
