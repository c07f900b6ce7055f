// Issue 13 item 4: `logagent collect get | put | edit --host HOST -c conf.ini`,
// run as the release binary against the real etcd (and Kafka, for the agent
// that picks a list up). What a test claims about etcd it reads back from etcd
// with its own client: the value and the mod revision, before and after.
//
// The operator's INI names hosts by `{hostname}` and each test names its own
// host with --host, so each has its own key. Concurrent edits use an EDITOR
// script that says when it has the file open and waits for a signal file
// before saving, so that both edits have read the same revision.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { AgentProcess, bareEnv, iniFor, sandbox } from "../support/agent-process";
import { services, unique } from "../support/env";
import { type EtcdctlAccess, etcdClient, etcdctl, putList, removeEtcd, startEtcd } from "../support/etcd";
import { appendNumbered, numbered } from "../support/files";
import { TopicReader, createTopics } from "../support/kafka";

const box = sandbox();
const logs = path.join(box.dir, "logs");
const signals = path.join(box.dir, "signals");
mkdirSync(logs);
mkdirSync(signals);
const conf = path.join(box.dir, "operator.ini");
writeFileSync(
  conf,
  `[kafka]\naddress = ${services.kafka}\n[etcd]\naddress = ${services.etcd}\ntimeout = 5\ncollect_log_key = /logagent/{hostname}/collect_config\n[agent]\nallow_paths = ${logs}/**\n`,
);
const etcd = etcdClient();
/** Folders where an edit kept an operator's text (a refused or conflicting edit): removed at the end. */
const keptDirs: string[] = [];
afterAll(() => {
  etcd.close();
  for (const d of keptDirs) rmSync(d, { recursive: true, force: true });
});

const keyOf = (host: string) => `/logagent/${host}/collect_config`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `logagent collect ...` with the operator's INI; spawned, so that two can run at once. */
async function collect(args: string[], opts: { stdin?: string; env?: Record<string, string>; ini?: string } = {}): Promise<Run> {
  const proc = Bun.spawn([box.bin, "collect", ...args, "-c", opts.ini ?? conf], {
    cwd: box.dir,
    env: { ...bareEnv(), ...opts.env },
    stdin: opts.stdin === undefined ? "ignore" : new Blob([opts.stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code, stdout, stderr };
}

/** The key as etcd holds it: value and mod revision (0 and null when absent). */
async function stored(key: string): Promise<{ value: string | null; modRevision: number }> {
  const kv = (await etcd.get(key).exec()).kvs[0];
  return kv ? { value: kv.value.toString("utf8"), modRevision: Number(kv.mod_revision) } : { value: null, modRevision: 0 };
}

async function waitUntil(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await Bun.sleep(50);
  }
}

/** The edited file without its `//` header. */
const withoutComments = (text: string) => text.replace(/^(\/\/.*\n)+/, "");
const noStack = (s: string) => expect(s).not.toMatch(/^\s+at |TypeError|Fatal error/m);

describe("get and put", () => {
  test("an absent key: get prints [] and says the key is absent (mod revision 0)", async () => {
    const host = unique("absent");
    const r = await collect(["get", "--host", host]);
    expect(r).toMatchObject({ code: 0, stdout: "[]\n" });
    expect(r.stderr).toBe(`logagent: etcd key ${keyOf(host)} (host ${host}) is absent: the agent collects nothing (mod revision 0).\n`);
  });

  test("round trip: put writes the file's text as it is; get prints it pretty, --json as stored, the mod revision on stderr", async () => {
    const host = unique("roundtrip");
    const text = JSON.stringify([{ path: `${logs}/a.log`, topic: "a" }, { path: `${logs}/*.txt`, topic: "txt-{hostname}", from: "beginning" }]);
    writeFileSync(path.join(box.dir, "list.json"), text);
    const put = await collect(["put", "list.json", "--host", host]);
    expect(put.code).toBe(0);
    const after = await stored(keyOf(host));
    expect(after.value).toBe(text);
    expect(put.stderr).toBe(`logagent: wrote etcd key ${keyOf(host)} (host ${host}): mod revision ${after.modRevision} (was absent).\n`);

    const get = await collect(["get", "--host", host]);
    expect(get.code).toBe(0);
    expect(get.stdout).toBe(JSON.stringify(JSON.parse(text), null, 2) + "\n");
    expect(get.stderr).toBe(`logagent: etcd key ${keyOf(host)} (host ${host}): mod revision ${after.modRevision}.\n`);
    const raw = await collect(["get", "--json", "--host", host]);
    expect(raw).toMatchObject({ code: 0, stdout: text });

    // What get printed goes back in through stdin; the compare is with the revision read just before.
    const again = await collect(["put", "-", "--host", host], { stdin: get.stdout });
    expect(again.code).toBe(0);
    const last = await stored(keyOf(host));
    expect(last.value).toBe(get.stdout);
    expect(last.modRevision).toBeGreaterThan(after.modRevision);
    expect(again.stderr).toContain(`mod revision ${last.modRevision} (was ${after.modRevision})`);
  });

  test("get of a list the agent refuses (written around collect): printed as stored, with the problems as warnings on stderr, exit 0", async () => {
    const host = unique("refused");
    await putList(etcd, keyOf(host), '[{"path": "/etc/shadow", "topic": "x"}, {"path": "/var/log/a"');
    const r = await collect(["get", "--host", host]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('[{"path": "/etc/shadow", "topic": "x"}, {"path": "/var/log/a"\n');
    expect(r.stderr).toContain("logagent: warning: the agent refuses this list and keeps its previous one: value is not valid JSON");
    await putList(etcd, keyOf(host), [{ path: "/etc/shadow", topic: "x" }]);
    const outside = await collect(["get", "--host", host]);
    expect(outside.stderr).toContain('logagent: warning: the agent refuses this list and keeps its previous one: entry "/etc/shadow": field "path" = "/etc/shadow" is outside [agent] allow_paths');
  });

  test("put --if-revision: written only while the key is at that revision (0: absent); otherwise exit 5 naming both revisions", async () => {
    const host = unique("ifrev");
    const key = keyOf(host);
    writeFileSync(path.join(box.dir, "one.json"), JSON.stringify([{ path: `${logs}/one.log`, topic: "one" }]));
    expect((await collect(["put", "one.json", "--host", host, "--if-revision", "0"])).code).toBe(0);
    const first = await stored(key);
    const again = await collect(["put", "one.json", "--host", host, "--if-revision", "0"]);
    expect(again.code).toBe(5);
    expect(again.stderr).toContain(`etcd key ${key} (host ${host}) was changed by someone else (--if-revision 0; mod revision ${first.modRevision} now): nothing was written.`);
    expect(again.stderr).toContain("The key already holds exactly this list");
    writeFileSync(path.join(box.dir, "two.json"), JSON.stringify([{ path: `${logs}/two.log`, topic: "two" }]));
    const stale = await collect(["put", "two.json", "--host", host, "--if-revision", String(first.modRevision - 1)]);
    expect(stale.code).toBe(5);
    expect(stale.stderr).not.toContain("already holds");
    expect(await stored(key)).toEqual(first);
    const current = await collect(["put", "two.json", "--host", host, "--if-revision", String(first.modRevision)]);
    expect(current.code).toBe(0);
    expect((await stored(key)).modRevision).toBeGreaterThan(first.modRevision);
  });
});

describe("put refuses an invalid list without writing: exit 2, the key and the entry named, value and revision unchanged", () => {
  const host = unique("invalid");
  const key = keyOf(host);
  const good = JSON.stringify([{ path: `${logs}/good.log`, topic: "good" }]);
  beforeAll(async () => {
    await putList(etcd, key, good);
  });

  test.each([
    ["bad JSON", '[{"path": "/x", ', ["value is not valid JSON"]],
    [
      "an entry outside allow_paths (and a .. that leads out)",
      JSON.stringify([{ path: `${logs}/ok.log`, topic: "ok" }, { path: "/etc/shadow", topic: "x" }, { path: `${logs}/../../../etc/passwd`, topic: "y" }]),
      [
        `entry "/etc/shadow": field "path" = "/etc/shadow" is outside [agent] allow_paths ("${logs}/**"): etcd may only name files there`,
        `entry "${logs}/../../../etc/passwd": field "path" = "${logs}/../../../etc/passwd" (that is "/etc/passwd") is outside [agent] allow_paths`,
      ],
    ],
    ["a bad topic template", JSON.stringify([{ path: `${logs}/t.log`, topic: "logs-{env}" }]), [`entry "${logs}/t.log": field "topic": unknown placeholder {env} (known: hostname, ip)`]],
  ])("%s", async (_what, text, problems) => {
    const before = await stored(key);
    const file = path.join(box.dir, "invalid.json");
    writeFileSync(file, text);
    for (const r of [await collect(["put", file, "--host", host]), await collect(["put", "-", "--host", host], { stdin: text })]) {
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      for (const p of problems as string[]) expect(r.stderr).toMatch(new RegExp(`logagent: (${file}|the list on stdin) for etcd key ${key}: ${RegExp.escape(p)}`));
      expect(r.stderr).toContain("the list is invalid (the agent would refuse it): nothing was written.");
      noStack(r.stderr);
    }
    expect(await stored(key)).toEqual(before);
    expect(before.value).toBe(good);
  });
});

describe("edit", () => {
  /** An editor that says it has `$1` open, waits for `$SIGNALS/$NAME.go`, then saves `$LIST` over it. */
  const editor = path.join(box.dir, "wait-then-save.sh");
  writeFileSync(
    editor,
    '#!/bin/sh\ncp "$1" "$SIGNALS/$NAME.seen"\ntouch "$SIGNALS/$NAME.opened"\nwhile [ ! -e "$SIGNALS/$NAME.go" ]; do sleep 0.05; done\ncp "$LIST" "$1"\n',
  );
  chmodSync(editor, 0o755);
  const editWith = (host: string, name: string, list: string) => {
    const listFile = path.join(signals, `${name}.list.json`);
    writeFileSync(listFile, list);
    return collect(["edit", "--host", host], { env: { EDITOR: editor, SIGNALS: signals, NAME: name, LIST: listFile } });
  };
  const opened = (name: string) => existsSync(path.join(signals, `${name}.opened`));
  const release = (name: string) => writeFileSync(path.join(signals, `${name}.go`), "");

  test("the editor gets the list pretty-printed under a header naming host, key and revision; the saved list is written", async () => {
    const host = unique("edit");
    await putList(etcd, keyOf(host), [{ path: `${logs}/a.log`, topic: "a" }]);
    const rev = (await stored(keyOf(host))).modRevision;
    const name = unique("single");
    release(name);
    const list = `[{"path": "${logs}/b.log", "topic": "b"}]\n`;
    const r = await editWith(host, name, list);
    expect(r.code).toBe(0);
    const seen = readFileSync(path.join(signals, `${name}.seen`), "utf8");
    expect(seen).toStartWith(`// logagent collect edit: the collect list of host ${host}, etcd key ${keyOf(host)} (mod revision ${rev}).\n`);
    expect(seen).toEndWith(`\n[\n  {\n    "path": "${logs}/a.log",\n    "topic": "a"\n  }\n]\n`);
    const now = await stored(keyOf(host));
    expect(now.value).toBe(list);
    expect(r.stderr).toBe(`logagent: wrote etcd key ${keyOf(host)} (host ${host}): mod revision ${now.modRevision} (was ${rev}).\n`);
  });

  test("an invalid edit off a terminal: the problems printed, exit 2, nothing written, the text kept in a file", async () => {
    const host = unique("edit-bad");
    await putList(etcd, keyOf(host), [{ path: `${logs}/a.log`, topic: "a" }]);
    const before = await stored(keyOf(host));
    const name = unique("bad");
    release(name);
    const list = `[{"path": "/etc/shadow", "topic": "a"}]`;
    const r = await editWith(host, name, list);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`logagent: the edited list for etcd key ${keyOf(host)}: entry "/etc/shadow": field "path" = "/etc/shadow" is outside [agent] allow_paths`);
    const kept = /Your list is kept in (\S+)\.$/m.exec(r.stderr)?.[1];
    expect(kept).toBeDefined();
    keptDirs.push(path.dirname(kept!));
    expect(readFileSync(kept!, "utf8")).toBe(list);
    expect(await stored(keyOf(host))).toEqual(before);
  });

  test("two concurrent edits from the same revision: the first is written; the second fails with exit 5 and the conflict message, its text kept", async () => {
    const host = unique("race");
    const key = keyOf(host);
    await putList(etcd, key, [{ path: `${logs}/start.log`, topic: "start" }]);
    const read = (await stored(key)).modRevision;
    const [a, b] = [unique("first"), unique("second")];
    const listA = `[{"path": "${logs}/first.log", "topic": "first"}]\n`;
    const listB = `[{"path": "${logs}/second.log", "topic": "second"}]\n`;
    const runA = editWith(host, a, listA);
    const runB = editWith(host, b, listB);
    // Both have read the key (at `read`) before either saves.
    await waitUntil("both editors open", () => opened(a) && opened(b));
    for (const n of [a, b]) expect(readFileSync(path.join(signals, `${n}.seen`), "utf8")).toContain(`(mod revision ${read})`);
    release(a);
    const first = await runA;
    expect(first.code).toBe(0);
    const won = await stored(key);
    expect(won.value).toBe(listA);
    release(b);
    const second = await runB;
    expect(second.code).toBe(5);
    expect(second.stderr).toContain(
      `logagent: etcd key ${key} (host ${host}) was changed by someone else since it was read (mod revision ${read} when read; mod revision ${won.modRevision} now): nothing was written.`,
    );
    const kept = /Your list is kept in (\S+)\. Run "logagent collect edit" again/.exec(second.stderr)?.[1];
    keptDirs.push(path.dirname(kept!));
    expect(readFileSync(kept!, "utf8")).toBe(listB);
    noStack(second.stderr);
    // The first edit's list is what etcd holds, at the revision it wrote.
    expect(await stored(key)).toEqual(won);
  });

  test("on a terminal, a refused list re-opens the editor with the problems above it; the fixed list is written", async () => {
    const host = unique("edit-tty");
    const key = keyOf(host);
    const state = path.join(signals, `${host}.count`);
    const seen = (n: number) => path.join(signals, `${host}.seen.${n}`);
    const bad = `[{"path": "/etc/shadow", "topic": "x"}]\n`;
    const good = `[{"path": "${logs}/fixed.log", "topic": "x"}]\n`;
    // Saves the bad list the first time, the good one the next.
    const twice = path.join(box.dir, "bad-then-good.sh");
    writeFileSync(twice, `#!/bin/sh\nn=$(cat "${state}" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "${state}"\ncp "$1" "${signals}/${host}.seen.$n"\nif [ $n = 1 ]; then printf '%s' '${bad}' > "$1"; else printf '%s' '${good}' > "$1"; fi\n`);
    chmodSync(twice, 0o755);
    // script(1) gives the command a pseudo-terminal, as an operator's shell would.
    const proc = Bun.spawn(["script", "-qec", `${box.bin} collect edit --host ${host} -c ${conf}`, "/dev/null"], {
      cwd: box.dir,
      env: { ...bareEnv(), EDITOR: twice },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const [code, output] = await Promise.all([proc.exited, new Response(proc.stdout).text()]);
    expect(code).toBe(0);
    expect(readFileSync(state, "utf8").trim()).toBe("2");
    const second = readFileSync(seen(2), "utf8");
    expect(second).toContain("// NOT WRITTEN: fix these problems (the agent would refuse the list):\n");
    expect(second).toContain(`//   entry "/etc/shadow": field "path" = "/etc/shadow" is outside [agent] allow_paths ("${logs}/**")`);
    expect(second).toEndWith(`\n${bad}`);
    expect(withoutComments(second)).toBe(bad);
    const now = await stored(key);
    expect(now.value).toBe(good);
    expect(output).toContain(`wrote etcd key ${key} (host ${host}): mod revision ${now.modRevision} (was absent).`);
  });

  test("saved unchanged, or emptied: nothing written, exit 0", async () => {
    const host = unique("noop");
    await putList(etcd, keyOf(host), [{ path: `${logs}/a.log`, topic: "a" }]);
    const before = await stored(keyOf(host));
    const same = await collect(["edit", "--host", host], { env: { EDITOR: "true" } });
    expect(same).toMatchObject({ code: 0, stderr: `logagent: no changes: nothing was written to etcd key ${keyOf(host)}.\n` });
    const name = unique("empty");
    release(name);
    const empty = await editWith(host, name, "");
    expect(empty).toMatchObject({ code: 0, stderr: "logagent: the list file was left empty: edit cancelled, nothing was written.\n" });
    expect(await stored(keyOf(host))).toEqual(before);
  });
});

test("etcd does not answer: exit 3, naming the endpoint and the key, no stack trace", async () => {
  const ini = path.join(box.dir, "down.ini");
  writeFileSync(ini, "[kafka]\naddress = 127.0.0.1:1\n[etcd]\naddress = 127.0.0.1:1\ntimeout = 1\ncollect_log_key = /logagent/{hostname}/c\n");
  const host = unique("down");
  const r = await collect(["get", "--host", host], { ini });
  expect(r.code).toBe(3);
  expect(r.stderr).toStartWith(`logagent: etcd at 127.0.0.1:1 did not answer (`);
  expect(r.stderr).toContain(`the collect list at /logagent/${host}/c was not read.`);
  writeFileSync(path.join(box.dir, "empty.json"), "[]");
  const put = await collect(["put", "empty.json", "--host", host], { ini });
  expect(put.code).toBe(3);
  noStack(put.stderr);
});

describe("a secured etcd (TLS to an IP address, auth enable): reached with the INI's settings as the agent reaches it", () => {
  const host = unique("secure");
  const key = keyOf(host);
  const [agentUser, operator] = [`agent-${host}`, `operator-${host}`];
  const passwords = { [agentUser]: `pw-${unique("a")}`, [operator]: `pw-${unique("o")}` };
  let url: string;
  let root: EtcdctlAccess;
  const iniAs = (user: string) => {
    const ini = path.join(box.dir, `${user}.ini`);
    writeFileSync(
      ini,
      `[kafka]\naddress = 127.0.0.1:1\n[etcd]\naddress = ${url}\ntimeout = 5\ncollect_log_key = /logagent/{hostname}/collect_config\ntls_ca_file = ${services.etcdTls.ca}\nusername = ${user}\npassword = \${ETCD_PASSWORD}\n[agent]\nallow_paths = ${logs}/**\n`,
    );
    return ini;
  };
  const as = (user: string, args: string[], password = passwords[user]!) => collect([...args, "--host", host], { ini: iniAs(user), env: { ETCD_PASSWORD: password } });

  beforeAll(() => {
    removeEtcd("etcd-tls");
    url = startEtcd("etcd-tls");
    const admin: EtcdctlAccess = { endpoints: url, ca: services.etcdTls.ca };
    const rootPassword = `pw-${unique("root")}`;
    etcdctl(admin, "user", "add", "root", `--new-user-password=${rootPassword}`);
    etcdctl(admin, "user", "grant-role", "root", "root");
    // The agent's role reads its key; the operator's may write it.
    for (const [user, permission] of [[agentUser, "read"], [operator, "readwrite"]] as const) {
      etcdctl(admin, "role", "add", user);
      etcdctl(admin, "role", "grant-permission", user, permission, key);
      etcdctl(admin, "user", "add", user, `--new-user-password=${passwords[user]}`);
      etcdctl(admin, "user", "grant-role", user, user);
    }
    etcdctl(admin, "auth", "enable");
    root = { ...admin, user: `root:${rootPassword}` };
  }, 60_000);
  afterAll(() => removeEtcd("etcd-tls"));

  test("the operator's user puts and gets; the agent's read-only user gets, and its put is refused: exit 4, nothing written", async () => {
    const list = JSON.stringify([{ path: `${logs}/secure.log`, topic: "secure" }]);
    writeFileSync(path.join(box.dir, "secure.json"), list);
    const put = await as(operator, ["put", "secure.json"]);
    expect(put.code).toBe(0);
    expect(etcdctl(root, "get", key, "--print-value-only").trim()).toBe(list);
    const get = await as(agentUser, ["get", "--json"]);
    expect(get).toMatchObject({ code: 0, stdout: list });

    writeFileSync(path.join(box.dir, "other.json"), "[]");
    const refused = await as(agentUser, ["put", "other.json"]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain(`logagent: etcd at ${url} as user ${agentUser}: etcd refused to let this user write the collect list key`);
    expect(refused.stderr).toContain(`Nothing was written to ${key}.`);
    expect(etcdctl(root, "get", key, "--print-value-only").trim()).toBe(list);
  });

  test("a wrong password: exit 4 naming [etcd] username and password, never printing either password", async () => {
    const r = await as(operator, ["get"], "wrong-password");
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("etcd refused the user name or password ([etcd] username, password)");
    expect(r.stderr).not.toContain("wrong-password");
    expect(r.stderr).not.toContain(passwords[operator]!);
  });
});

test("a running agent applies a list that collect put wrote, and ships its file", async () => {
  const host = unique("agent-host");
  const topic = unique("collect-put");
  await createTopics([topic]);
  const reader = await TopicReader.start([topic]);
  const own = sandbox();
  const file = path.join(logs, `${host}.log`);
  writeFileSync(file, "");
  // The agent's own INI names its key outright; the operator reaches it through {hostname} and --host.
  const agent = new AgentProcess(own.dir, own.bin, iniFor({ kafka: services.kafka, etcd: services.etcd, key: keyOf(host), extra: `allow_paths = ${logs}/**` }));
  try {
    await agent.waitForLog(/Watching the collect list in etcd\./);
    writeFileSync(path.join(box.dir, "ship.json"), JSON.stringify([{ path: file, topic, from: "beginning" }]));
    const put = await collect(["put", "ship.json", "--host", host]);
    expect(put.code).toBe(0);
    await agent.waitForLog(new RegExp(`Following file\\. path=${RegExp.escape(file)}`));
    appendNumbered(file, "put", 0, 50);
    expect(await reader.waitFor(topic, 50)).toEqual(numbered("put", 0, 50));
  } finally {
    await agent.stop();
    await reader.stop();
  }
});
