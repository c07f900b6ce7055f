// Issue 13 item 1: a secured etcd. The release binary against a real etcd
// started with TLS (the run's CA, a server certificate whose subject
// alternative names hold IP 127.0.0.1, made with openssl by services.sh) and
// `auth enable` with a user whose role reads only this host's key; and against
// an etcd that requires client certificates, where the certificate's common
// name is the user whose role reads that key. The agent and `check` use the
// same settings; each refusal is one clear sentence naming the settings, and
// the agent keeps its cached list meanwhile. The password never shows. The
// Windows build makes the same TLS check, under Wine.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { AgentProcess, bareEnv, iniFor, sandbox } from "../support/agent-process";
import { services, unique } from "../support/env";
import { type EtcdctlAccess, etcdctl, removeEtcd, startEtcd } from "../support/etcd";
import { appendNumbered, literal, numbered } from "../support/files";
import { TopicReader, createTopics } from "../support/kafka";
import { WINE_RUN, winPath } from "../support/wine";

const pki = services.etcdTls;
const box = sandbox();
const host = unique("web");
const key = `/logagent/${host}/collect_config`;
/** The agent writes its status here (README: the role may write it). */
const statusKey = `/logagent/status/${host}`;
const otherKey = `/logagent/${unique("other")}/collect_config`;
const user = `logagent-${host}`;
const password = randomBytes(12).toString("hex");
const rootPassword = randomBytes(12).toString("hex");
const [t1, t2, t3] = [unique("sec-1"), unique("sec-2"), unique("sec-3")];
const a = path.join(box.dir, "a.log");
const b = path.join(box.dir, "b.log");
// The sandboxes' folder is what etcd may name: without allow_paths the agent warns at start (allow-paths
// tests), and these tests count the agent's WARN lines.
const agentExtra = `from = beginning\nallow_paths = ${path.dirname(box.dir)}/**`;
let tlsUrl: string;
let mtlsUrl: string;
let root: EtcdctlAccess;
let reader: TopicReader;

function check(ini: string, env: Record<string, string> = {}) {
  const dir = sandbox().dir; // its own state_dir: check never reads the agent's
  writeFileSync(path.join(dir, "conf.ini"), ini);
  const r = Bun.spawnSync([box.bin, "check", "-c", "conf.ini"], { cwd: dir, env: { ...bareEnv(), ...env }, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}
const noStack = (s: string) => expect(s).not.toMatch(/^\s+at |TypeError|Fatal error/m);

/** The [etcd] lines for the TLS etcd as this host's user; `over` replaces some. */
function tlsIni(over: { address?: string; ca?: string | null; password?: string; key?: string; extra?: string; statusKey?: string } = {}): string {
  const etcdExtra = [over.ca === null ? "" : `tls_ca_file = ${over.ca ?? pki.ca}`, `status_key = ${over.statusKey ?? statusKey}`, `username = ${user}`, `password = ${over.password ?? "${ETCD_PASSWORD}"}`].filter(Boolean).join("\n");
  return iniFor({ kafka: services.kafka, etcd: over.address ?? tlsUrl, key: over.key ?? key, etcdExtra, extra: over.extra ?? agentExtra });
}
const secretEnv = { ETCD_PASSWORD: password };

beforeAll(async () => {
  // Fresh etcds, even after an interrupted run.
  removeEtcd("etcd-tls");
  removeEtcd("etcd-mtls");
  tlsUrl = startEtcd("etcd-tls");
  mtlsUrl = startEtcd("etcd-mtls");
  // What README "Securing etcd" tells an operator to run: a role that can read only this host's key.
  const admin: EtcdctlAccess = { endpoints: tlsUrl, ca: pki.ca };
  etcdctl(admin, "user", "add", "root", `--new-user-password=${rootPassword}`);
  etcdctl(admin, "user", "grant-role", "root", "root");
  etcdctl(admin, "role", "add", user);
  etcdctl(admin, "role", "grant-permission", user, "read", key);
  etcdctl(admin, "role", "grant-permission", user, "readwrite", statusKey);
  etcdctl(admin, "user", "add", user, `--new-user-password=${password}`);
  etcdctl(admin, "user", "grant-role", user, user);
  etcdctl(admin, "auth", "enable");
  root = { ...admin, user: `root:${rootPassword}` };
  etcdctl(root, "put", otherKey, "[]");
  await createTopics([t1, t2, t3]);
  reader = await TopicReader.start([t1, t2, t3]);
  writeFileSync(a, "");
  writeFileSync(b, "");
}, 60_000);

afterAll(async () => {
  await reader?.stop();
  removeEtcd("etcd-tls");
  removeEtcd("etcd-mtls");
});

describe("etcd over TLS by IP, with a user whose role reads only this host's key", () => {
  test("the agent gets the list and watches it: lines ship, a change applies live, and the password never shows", async () => {
    etcdctl(root, "put", key, JSON.stringify([{ path: a, topic: t1 }]));
    const agent = new AgentProcess(box.dir, box.bin, tlsIni(), [], secretEnv);
    try {
      await agent.waitForLog(new RegExp(`Following file\\. path=${literal(a)}`));
      await agent.waitForLog(new RegExp(`Watching the collect list in etcd\\. endpoints=${literal(tlsUrl)} key=${literal(key)}`));
      appendNumbered(a, "a", 0, 50);
      expect(await reader.waitFor(t1, 50)).toEqual(numbered("a", 0, 50));
      etcdctl(root, "put", key, JSON.stringify([{ path: a, topic: t1 }, { path: b, topic: t2 }]));
      await agent.waitForLog(new RegExp(`Following file\\. path=${literal(b)}`));
      appendNumbered(b, "b", 0, 50);
      expect(await reader.waitFor(t2, 50)).toEqual(numbered("b", 0, 50));
      // Its status too, under a lease (a lease needs no permission of its own).
      await agent.waitForLog(/Keeping the agent status in etcd\./);
      expect(JSON.parse(etcdctl(root, "get", statusKey, "--print-value-only"))).toMatchObject({ pid: agent.pid, collect: { key } });
      expect(agent.log).not.toMatch(/WARN|ERROR/);
      expect(agent.log).not.toContain(password);
    } finally {
      await agent.stop();
    }
  }, 60_000);

  test("a status key outside the role: one WARN naming the grant it needs; the list is still followed", async () => {
    const refused = `/logagent/status/${host}-elsewhere`;
    const agent = new AgentProcess(box.dir, box.bin, tlsIni({ statusKey: refused }), [], secretEnv);
    try {
      await agent.waitForLog(/Watching the collect list in etcd\./);
      const warn = await agent.waitForLog(/WARN .*Cannot write the agent status to etcd.*/);
      expect(warn).toContain("grant its role write access to it (etcdctl role grant-permission ROLE readwrite KEY)");
      expect(warn).toContain(`key=${refused}`);
      await agent.waitForLog(new RegExp(`Following file\\. path=${literal(a)}`));
      // Retries come 1, 2, 4 ... s apart (up to a third of the lease's 30 s): in 8 s there are several, each a debug line.
      await Bun.sleep(8000);
      expect(agent.log.match(/ (WARN|ERROR) /g)).toEqual([" WARN "]);
      expect(agent.log.match(/Still cannot write the agent status to etcd/g)!.length).toBeGreaterThanOrEqual(2);
    } finally {
      await agent.stop();
    }
  }, 60_000);

  test("check reaches it with the same settings: valid, names TLS and the user, shows ${ETCD_PASSWORD} and never the password", () => {
    const r = check(tlsIni(), secretEnv);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toContain(`etcd: ${tlsUrl}, key ${key} (host `);
    expect(r.stdout).toContain(`, TLS, user ${user})`);
    expect(r.stdout).toContain("[etcd] password = ${ETCD_PASSWORD}");
    expect(r.stdout).toContain(`${a} -> topic ${t1}`);
    expect(r.stdout).not.toContain(password);
  });

  test("the certificate is checked against the address: 127.0.0.2 (not in its IP SANs) is refused, localhost (a DNS SAN) is accepted", () => {
    const other = tlsUrl.replace("127.0.0.1", "127.0.0.2"); // the same etcd listens there too
    const r = check(tlsIni({ address: other }), secretEnv);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `logagent: etcd at ${other} as user ${user}: etcd's certificate does not name the address in [etcd] address: its subject alternative names must list that IP or host name ` +
        `(Hostname/IP does not match certificate's altnames: IP: 127.0.0.2 is not in the cert's list: 127.0.0.1). The collect list at ${key} was not checked.\n`,
    );
    expect(check(tlsIni({ address: tlsUrl.replace("127.0.0.1", "localhost") }), secretEnv).code).toBe(0);
  });

  test("without tls_ca_file the private CA is not trusted: exit 4 naming tls_ca_file", () => {
    const r = check(tlsIni({ ca: null }), secretEnv);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("etcd's certificate is not signed by a CA the agent trusts ([etcd] tls_ca_file)");
    noStack(r.stderr);
  });

  test("a key outside the user's role: exit 4, saying the role needs read access", () => {
    const r = check(tlsIni({ key: otherKey }), secretEnv);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("etcd refused to let this user read the collect list key: grant its role read access to the key");
    expect(r.stderr).toContain(`The collect list at ${otherKey} was not checked.`);
  });

  test("wrong password: check says so in one line (exit 4); the agent logs one ERROR and keeps shipping with its cached list", async () => {
    const wrong = "not-" + password;
    const r = check(tlsIni({ password: wrong }));
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(
      `logagent: etcd at ${tlsUrl} as user ${user}: etcd refused the user name or password ([etcd] username, password) ` +
        `(etcdserver: authentication failed, invalid user ID or password). The collect list at ${key} was not checked.\n`,
    );
    expect(r.stderr).not.toContain(wrong);

    // Same state_dir as the first test's agent: it saved the list [a -> t1, b -> t2] there.
    const agent = new AgentProcess(box.dir, box.bin, tlsIni({ password: wrong }));
    try {
      await agent.waitForLog(/Applying collect list\. from="the last good list saved in /);
      const error = await agent.waitForLog(/ERROR .*etcd refused the user name or password.*/);
      expect(error).toContain(`user=${user}`);
      expect(error).toContain("collecting with the current list and retrying");
      appendNumbered(a, "a", 50, 100);
      expect(await reader.waitFor(t1, 100)).toEqual(numbered("a", 0, 100));
      // After the ERROR, retries come 0.25-0.5, 0.5-1, 1-2 and 2-4 s apart: within 9 s there are at least
      // four, each of which used to log again. One ERROR stays one ERROR; the retries are debug lines.
      await Bun.sleep(9000);
      expect(agent.log.match(/ (WARN|ERROR) /g)).toEqual([" ERROR "]);
      expect(agent.log.match(/Still the same etcd problem; retrying\./g)!.length).toBeGreaterThanOrEqual(4);
      expect(agent.log).not.toContain(wrong);
    } finally {
      await agent.stop();
    }
  }, 60_000);
});

describe("etcd that requires client certificates", () => {
  test("without a client certificate: exit 4 naming tls_cert_file and tls_key_file", () => {
    const r = check(iniFor({ kafka: services.kafka, etcd: mtlsUrl, key, etcdExtra: `tls_ca_file = ${pki.ca}` }));
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`logagent: etcd at ${mtlsUrl}: etcd refused the TLS connection: it wants a client certificate signed by a CA it trusts ([etcd] tls_cert_file, tls_key_file)`);
    noStack(r.stderr);
  });

  test("with one, whose common name is an etcd user with a role for this key only: the agent gets and watches the list; another key is refused", async () => {
    // With auth on, etcd takes the user from the certificate's common name (services.sh: CN=logagent-client).
    const access: EtcdctlAccess = { endpoints: mtlsUrl, ca: pki.ca, cert: pki.cert, key: pki.key };
    etcdctl(access, "user", "add", "root", `--new-user-password=${rootPassword}`);
    etcdctl(access, "user", "grant-role", "root", "root");
    etcdctl(access, "role", "add", "logagent-client");
    etcdctl(access, "role", "grant-permission", "logagent-client", "read", key);
    etcdctl(access, "role", "grant-permission", "logagent-client", "readwrite", statusKey);
    etcdctl(access, "user", "add", "logagent-client", `--new-user-password=${randomBytes(12).toString("hex")}`);
    etcdctl(access, "user", "grant-role", "logagent-client", "logagent-client");
    etcdctl(access, "auth", "enable");
    const writer = { ...access, user: `root:${rootPassword}` };
    etcdctl(writer, "put", key, "[]");
    etcdctl(writer, "put", otherKey, "[]");
    const own = sandbox();
    const c = path.join(own.dir, "c.log");
    writeFileSync(c, "");
    const ini = (k: string) =>
      iniFor({ kafka: services.kafka, etcd: mtlsUrl, key: k, etcdExtra: `tls_ca_file = ${pki.ca}\ntls_cert_file = ${pki.cert}\ntls_key_file = ${pki.key}\nstatus_key = ${statusKey}`, extra: agentExtra });
    expect(check(ini(key)).stdout).toContain(", TLS with a client certificate)");
    const refused = check(ini(otherKey));
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain("etcd refused to let this user read the collect list key");
    const agent = new AgentProcess(own.dir, own.bin, ini(key));
    try {
      await agent.waitForLog(/Watching the collect list in etcd\./);
      etcdctl(writer, "put", key, JSON.stringify([{ path: c, topic: t3 }]));
      await agent.waitForLog(new RegExp(`Following file\\. path=${literal(c)}`));
      appendNumbered(c, "c", 0, 20);
      expect(await reader.waitFor(t3, 20)).toEqual(numbered("c", 0, 20));
      expect(agent.log).not.toMatch(/WARN|ERROR/);
    } finally {
      await agent.stop();
    }
  }, 60_000);
});

test("logagent.exe under Wine: TLS by IP with the user is valid; 127.0.0.2, which the certificate does not list, is refused (exit 4)", () => {
  const win = sandbox("windows-x64");
  const conf = path.join(win.dir, "conf.ini");
  const wine = (ini: string) => {
    writeFileSync(conf, ini);
    const r = Bun.spawnSync([WINE_RUN, win.bin, "check", "-c", conf], { cwd: win.dir, env: { ...process.env, ...secretEnv }, stdout: "pipe", stderr: "pipe" });
    return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  };
  etcdctl(root, "put", key, JSON.stringify([{ path: "C:\\logs\\app.log", topic: t1 }]));
  const winExtra = "from = beginning\nallow_paths = C:\\logs\\**"; // the exe takes Windows paths only
  const ok = wine(tlsIni({ ca: winPath(pki.ca), extra: winExtra }));
  expect(ok.stderr).toBe("");
  expect(ok.code).toBe(0);
  expect(ok.stdout).toContain(`, TLS, user ${user})`);
  expect(ok.stdout).toContain(`C:\\logs\\app.log -> topic ${t1}`);
  const other = tlsUrl.replace("127.0.0.1", "127.0.0.2");
  const refused = wine(tlsIni({ ca: winPath(pki.ca), address: other, extra: winExtra }));
  expect(refused.code).toBe(4);
  expect(refused.stderr).toContain("IP: 127.0.0.2 is not in the cert's list: 127.0.0.1");
});

test("https:// to an etcd serving plain http: exit 4, suggesting http://", () => {
  const r = check(iniFor({ kafka: services.kafka, etcd: `https://${services.etcd}`, key }));
  expect(r.code).toBe(4);
  expect(r.stderr).toContain("etcd did not complete a TLS handshake: is it serving plain http? (then use http:// endpoints)");
});
