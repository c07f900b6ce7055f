// Issue 13 item 6 and issue 12 item 5: `logagent check` never crashes and
// says "valid" only when nothing is wrong. Exit codes: 0 valid, 2 invalid
// (every problem on stderr, with file and line, before any verdict), 3 etcd
// did not answer. Issue 9 item 5: a UTF-16LE INI, and a `${VAR}` secret that
// check shows as its source and the agent uses without ever printing it.
// Run on the release binary against the real etcd and Kafka.
import { afterAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { AgentProcess, bareEnv, iniFor, sandbox } from "../support/agent-process";
import { services, unique } from "../support/env";
import { etcdClient, putList } from "../support/etcd";
import { appendNumbered, numbered } from "../support/files";
import { TopicReader, createTopics } from "../support/kafka";

const box = sandbox();
const conf = path.join(box.dir, "conf.ini");
const etcd = etcdClient();
afterAll(() => etcd.close());

function check(ini: string | Buffer, env: Record<string, string> = {}) {
  writeFileSync(conf, ini);
  const r = Bun.spawnSync([box.bin, "check", "-c", "conf.ini"], { cwd: box.dir, env: { ...bareEnv(), ...env }, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

const noStack = (s: string) => expect(s).not.toMatch(/^\s+at |TypeError|Fatal error/m);

test("a valid INI: exit 0, the verdict on stdout, nothing on stderr", () => {
  const r = check("[kafka]\naddress = 127.0.0.1:1\n[collect.web]\npath = /var/log/web.log\ntopic = web\n");
  expect(r).toMatchObject({ code: 0, stderr: "" });
  expect(r.stdout).toContain(`ok ${conf} is valid.`);
});

test("problems found only when entries are resolved come before any verdict: exit 2, each on stderr with file, line, section and key, no 'valid'", () => {
  const r = check(
    "[kafka]\naddress = 127.0.0.1:1\nidempotent = true\nacks = 1\n[collect.glob]\npath = /var/log/{a,b\ntopic = a\n[collect.env]\npath = /var/log/e.log\ntopic = logs-{env}\n",
  );
  expect(r.code).toBe(2);
  expect(r.stdout).not.toContain("valid");
  expect(r.stderr).toContain(`${conf}:4: [kafka] acks = 1: the idempotent producer ([kafka] idempotent = true) needs acks = all (for [collect.glob], [collect.env])`);
  expect(r.stderr).toContain(`${conf}:6: [collect.glob] path = "/var/log/{a,b": glob`);
  expect(r.stderr).toContain(`${conf}:10: [collect.env] topic: unknown placeholder {env}`);
  noStack(r.stderr);
});

test("CR-only line ends keep every line number", () => {
  const r = check("[kafka]\raddress = 127.0.0.1:1\racks = 2\r[collect.x]\rpath = relative.log\rtopic = x\r");
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`${conf}:3: [kafka] acks = "2"`);
  expect(r.stderr).toContain(`${conf}:5: [collect.x] path: must be an absolute path`);
});

test("U+2028 after a value: exit 2 naming line and code point (it used to print 'valid' and then crash)", () => {
  const r = check("[kafka]\naddress = h:1\u2028\n\n[collect.x]\npath = /var/log/x.log\ntopic = x\n");
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr).toContain(`${conf}:2: [kafka] address: character U+2028 (line separator) at column 14`);
  noStack(r.stderr);
});

test("mixed http:// and https:// etcd endpoints: exit 2 naming [etcd] address and the values, no stack trace", () => {
  const r = check("[kafka]\naddress = 127.0.0.1:1\n[etcd]\naddress = http://127.0.0.1:1, https://127.0.0.1:2\n");
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`${conf}:4: [etcd] address = "http://127.0.0.1:1,https://127.0.0.1:2": mixes http and https endpoints`);
  noStack(r.stderr);
});

test("a bare host:port (http) beside an https:// endpoint is mixed too: exit 2", () => {
  const r = check("[kafka]\naddress = 127.0.0.1:1\n[etcd]\naddress = 127.0.0.1:1, https://127.0.0.1:2\n");
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`${conf}:4: [etcd] address = "127.0.0.1:1,https://127.0.0.1:2": mixes http and https endpoints (a bare host:port is http)`);
  noStack(r.stderr);
});

test("etcd TLS files with http:// endpoints: exit 2 naming the key, before etcd is asked", () => {
  const ca = path.join(box.dir, "ca.pem");
  writeFileSync(ca, "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
  const r = check(`[kafka]\naddress = 127.0.0.1:1\n[etcd]\naddress = 127.0.0.1:1\ntls_ca_file = ${ca}\n`);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`${conf}:5: [etcd] tls_ca_file: is set, but [etcd] address has no https:// endpoint`);
  expect(r.stderr).not.toContain("did not answer");
});

test("several endpoints, none answering, over TLS: exit 3 (an outage, not a TLS problem), naming every endpoint", () => {
  const r = check(`[kafka]\naddress = 127.0.0.1:1\n[etcd]\naddress = https://127.0.0.1:1, https://127.0.0.1:2\ntls_ca_file = ${process.env.ETCD_TLS_CA}\ntimeout = 1\n`);
  expect(r.code).toBe(3);
  expect(r.stderr).toMatch(/^logagent: etcd at https:\/\/127\.0\.0\.1:1, https:\/\/127\.0\.0\.1:2 did not answer \(connect ECONNREFUSED 127\.0\.0\.1:[12]\): the INI has no errors/);
  noStack(r.stderr);
});

test("an endpoint that accepts connections and never replies: exit 3 once [etcd] timeout has passed", async () => {
  const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  try {
    writeFileSync(conf, `[kafka]\naddress = 127.0.0.1:1\n[etcd]\naddress = 127.0.0.1:${silent.port}\ntimeout = 2\n`);
    const started = Date.now();
    // Spawned, not spawnSync: this process keeps serving the listener meanwhile.
    const r = Bun.spawn([box.bin, "check", "-c", "conf.ini"], { cwd: box.dir, env: bareEnv(), stdout: "pipe", stderr: "pipe" });
    const code = await r.exited;
    const stderr = await new Response(r.stderr).text();
    expect(code).toBe(3);
    expect(stderr).toContain(`logagent: etcd at 127.0.0.1:${silent.port} did not answer (no answer within 2000 ms)`);
    expect(Date.now() - started).toBeLessThan(10_000);
  } finally {
    silent.stop(true);
  }
});

test("etcd does not answer: exit 3 with its own message, and no 'valid' verdict", () => {
  const r = check("[kafka]\naddress = 127.0.0.1:1\n[etcd]\naddress = 127.0.0.1:1\ntimeout = 1\n");
  expect(r.code).toBe(3);
  expect(r.stdout).not.toContain("valid");
  expect(r.stderr).toContain("logagent: etcd at 127.0.0.1:1 did not answer");
  expect(r.stderr).toContain("the collect list at /logagent/");
  noStack(r.stderr);
});

test("a bad list in etcd: exit 2, naming the key, revision, entry and field, before any verdict", async () => {
  const key = `/logagent/${unique("check")}/collect_config`;
  await putList(etcd, key, [{ path: "/var/log/a.log", topic: "a" }, { path: "/var/log/b.log", topic: "b", include_lines: null, __proto__x: 1 }]);
  const r = check(iniFor({ kafka: services.kafka, etcd: services.etcd, key }));
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr).toMatch(new RegExp(`etcd key ${key} \\(revision \\d+\\): entry 1 \\("/var/log/b.log"\\): unknown field "__proto__x"`));
  expect(r.stderr).toContain('field "include_lines" = null: must be a string or a list of strings');
  await putList(etcd, key, [{ path: "/var/log/a.log", topic: "a" }]);
  const ok = check(iniFor({ kafka: services.kafka, etcd: services.etcd, key }));
  expect(ok.code).toBe(0);
  expect(ok.stdout).toContain("/var/log/a.log -> topic a");
});

test("a UTF-16LE INI with a BOM and CRLF (PowerShell's Out-File) is read, and its errors have the right lines", () => {
  const utf16 = (s: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s.replaceAll("\n", "\r\n"), "utf16le")]);
  const r = check(utf16('[kafka]\naddress = 127.0.0.1:1\n[agent]\nstate_dir = "state dir"\n[collect.web]\npath = /var/log/web.log\ntopic = web\n'));
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`state: ${path.join(box.dir, "state dir")}`);
  const bad = check(utf16("[kafka]\naddress = 127.0.0.1:1\nacks = 1\nacks = all\n[collect.web]\npath = /var/log/web.log\ntopic = web\n"));
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain(`${conf}:4: [kafka] acks: set again: it is already set at line 3`);
});

test("${KAFKA_PASSWORD}: check shows the source, the agent authenticates with the secret, and neither ever prints it", async () => {
  const secret = process.env.KAFKA_SASL_PLAIN_PASSWORD!;
  const user = process.env.KAFKA_SASL_PLAIN_USER!;
  const topic = unique("envsecret");
  await createTopics([topic]);
  const reader = await TopicReader.start([topic]);
  const own = sandbox();
  const log = path.join(own.dir, "app.log");
  writeFileSync(log, "");
  const ini = iniFor({
    kafka: process.env.KAFKA_SASL_BROKERS!,
    kafkaExtra: "sasl_mechanism = plain\nsasl_username = ${KAFKA_USER:-nobody}\nsasl_password = ${KAFKA_PASSWORD}",
    extra: `from = beginning\n[collect.app]\npath = ${log}\ntopic = ${topic}`,
  });
  const r = check(ini, { KAFKA_PASSWORD: secret, KAFKA_USER: user });
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("SASL plain as ${KAFKA_USER:-nobody}");
  expect(r.stdout).toContain("[kafka] sasl_password = ${KAFKA_PASSWORD}");
  expect(r.stdout + r.stderr).not.toContain(secret);
  const missing = check(ini, { KAFKA_USER: user });
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain(`${conf}:6: [kafka] sasl_password: environment variable KAFKA_PASSWORD is not set`);

  const a = new AgentProcess(own.dir, own.bin, ini, [], { KAFKA_PASSWORD: secret, KAFKA_USER: user });
  try {
    await a.waitForLog(/Following file/);
    appendNumbered(log, "sec", 0, 50);
    expect(await reader.waitFor(topic, 50)).toEqual(numbered("sec", 0, 50));
    expect(a.log).not.toContain(secret);
  } finally {
    await a.stop();
    await reader.stop();
  }
}, 60_000);
