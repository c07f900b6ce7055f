// How the INI's values reach the AgentConfig: quotes, `${NAME}`, text that
// stays text, files named by options, and the hostile reproducers.
import { afterAll, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConfigError } from "../../src/config/config-error";
import { expandVariables } from "../../src/config/env-vars";
import { parseIni, readIniText } from "../../src/config/load-ini";
import { PEM_FILE_LIMIT, readOptionFile } from "../../src/config/option-file";
import { parseCollectList } from "../../src/discovery/collect-entry";

const FILE = "/etc/logagent/conf.ini";
const COLLECT = "[collect.x]\npath = /var/log/x.log\ntopic = x\n";
const tmp = mkdtempSync(path.join(os.tmpdir(), "config-values-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function problems(text: string, env: Record<string, string> = {}): string[] {
  try {
    parseIni(text, FILE, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split("\n");
    throw err;
  }
  return [];
}

test('a quoted state_dir loses its quotes; backslashes and spaces stay (so "C:\\Program Files\\..." is that folder)', () => {
  const c = parseIni(`[kafka]\naddress = k:1\n[agent]\nstate_dir = "/srv/Program Files/logagent/state" ; where positions live\n${COLLECT}`, FILE, {});
  expect(c.agent.stateDir).toBe("/srv/Program Files/logagent/state");
  const win = parseIni(`[kafka]\naddress = k:1\n[agent]\nstate_dir = "C:\\Program Files\\logagent\\state"\n${COLLECT}`, FILE, {});
  expect(win.agent.stateDir).not.toContain('"');
  expect(win.agent.stateDir.endsWith("C:\\Program Files\\logagent\\state")).toBe(true);
});

test("true, false and null stay text until the option table converts them", () => {
  const c = parseIni("[kafka]\naddress = k:1\n[agent]\ninclude_lines = true\nmultiline.start = null\n[collect.x]\npath = /a.log\ntopic = false\n", FILE, {});
  expect(c.agent.tail.include_lines).toEqual(["true"]);
  expect(c.agent.tail["multiline.start"]).toBe("null");
  expect(c.collect[0]!.topic).toBe("false");
});

test("inline comments and escapes in real options: a regex with # and a URL keep theirs", () => {
  const c = parseIni(
    "[kafka]\naddress = k:1 ; local broker\n[agent]\nexclude_lines[] = ^#\nexclude_lines[] = ^\\s+\\; skipped ; says why\n[fields]\nurl = http://h/#top\n" + COLLECT,
    FILE,
    {},
  );
  expect(c.kafka.brokers).toEqual(["k:1"]);
  expect(c.agent.tail.exclude_lines).toEqual(["^#", "^\\s+; skipped"]);
  expect(c.fields).toEqual({ url: "http://h/#top" });
});

test("key[] is only for list options", () => {
  expect(problems(`[kafka]\naddress = k:1\nacks[] = 1\n${COLLECT}`)).toEqual(['/etc/logagent/conf.ini:3: [kafka] acks: takes one value; "acks[] = ..." is for lists']);
  expect(parseIni(`[kafka]\naddress[] = a:1\naddress[] = b:2\n${COLLECT}`, FILE, {}).kafka.brokers).toEqual(["a:1", "b:2"]);
});

test("${NAME} and ${NAME:-default} come from the environment, in any value; $${ is a literal ${", () => {
  const env = { KAFKA: "k:9092", PW: "s3cret", EMPTY: "" };
  const r = readIniText(
    "[kafka]\naddress = ${KAFKA}\nsasl_mechanism = plain\nsasl_username = ${USER_NAME:-agent}\nsasl_password = ${PW}\n[fields]\nliteral = $${KAFKA}\nempty = ${EMPTY:-fallback}\n" +
      "[collect.x]\npath = /var/log/${APP:-app}.log\ntopic = x\n",
    FILE,
    env,
  );
  expect(r.config.kafka.brokers).toEqual(["k:9092"]);
  expect(r.config.kafka.security.sasl).toEqual({ mechanism: "plain", username: "agent", password: "s3cret" });
  expect(r.config.fields).toEqual({ literal: "${KAFKA}", empty: "fallback" });
  expect(r.config.collect[0]!.path).toBe("/var/log/app.log");
  expect(Object.fromEntries(r.fromEnv)).toEqual({
    "kafka\0address": "${KAFKA}",
    "kafka\0sasl_username": "${USER_NAME:-agent}",
    "kafka\0sasl_password": "${PW}",
    "fields\0empty": "${EMPTY:-fallback}",
    "collect.x\0path": "/var/log/${APP:-app}.log",
  });
});

test("a missing variable names file, line, section, key and the variable; bad references are errors too; a secret is never echoed", () => {
  expect(problems(`[kafka]\naddress = k:1\nsasl_mechanism = plain\nsasl_username = u\nsasl_password = \${KAFKA_PASSWORD}\n${COLLECT}`)).toEqual([
    "/etc/logagent/conf.ini:5: [kafka] sasl_password: environment variable KAFKA_PASSWORD is not set (write ${KAFKA_PASSWORD:-default} to give a default)",
  ]);
  expect(expandVariables("${1X}", {})).toEqual({ problem: expect.stringContaining('"${1X}" is not ${NAME} or ${NAME:-default}') });
  expect(expandVariables("a ${B", {})).toEqual({ problem: expect.stringContaining("has no closing") });
  expect(expandVariables("${A:-${B}}", { B: "x" })).toEqual({ problem: expect.stringContaining("no nesting") });
  const secret = "hunter2\nmore";
  const p = problems(`[kafka]\naddress = k:1\nsasl_mechanism = plain\nsasl_username = u\nsasl_password = \${PW}\n${COLLECT}`, { PW: secret });
  expect(p).toEqual([expect.stringContaining(":5: [kafka] sasl_password: environment variable PW holds U+000A (control character) at character 8")]);
  expect(p.join("\n")).not.toContain("hunter2");
});

test("mixed http:// and https:// etcd endpoints are a configuration error naming [etcd] address and the values", () => {
  expect(problems("[kafka]\naddress = k:1\n[etcd]\naddress = http://e1:2379, https://e2:2379\n")).toEqual([
    '/etc/logagent/conf.ini:4: [etcd] address = "http://e1:2379,https://e2:2379": mixes http and https endpoints (a bare host:port is http); use one scheme for every endpoint',
  ]);
  expect(problems("[kafka]\naddress = k:1\n[etcd]\naddress = e1:2379, https://e2:2379\n")[0]).toContain("mixes http and https");
  expect(problems("[kafka]\naddress = k:1\n[etcd]\naddress = grpc://e1:2379\n")[0]).toContain('"grpc://e1:2379" is not host:port');
  expect(parseIni("[kafka]\naddress = k:1\n[etcd]\naddress = https://e1:2379,https://e2:2379\n", FILE, {}).etcd!.endpoints).toHaveLength(2);
});

test("[fields] __proto__ is refused; [__proto__], [toString], [constructor] are unknown sections", () => {
  expect(problems(`[kafka]\naddress = k:1\n[fields]\n__proto__ = x\n${COLLECT}`)).toEqual(["/etc/logagent/conf.ini:4: [fields] __proto__: is not allowed as a field name"]);
  const p = problems(`[kafka]\naddress = k:1\n[__proto__]\nacks = 0\n[toString]\n[constructor]\n${COLLECT}`);
  expect(p.map((x) => x.split(": unknown section")[0])).toEqual(["/etc/logagent/conf.ini:3: [__proto__]", "/etc/logagent/conf.ini:5: [toString]", "/etc/logagent/conf.ini:6: [constructor]"]);
});

test("tls_ca_file = /dev/zero is refused at once, without reading it", () => {
  const t0 = performance.now();
  const p = problems(`[kafka]\naddress = k:1\ntls = true\ntls_ca_file = /dev/zero\n${COLLECT}`);
  expect(p).toEqual(['/etc/logagent/conf.ini:4: [kafka] tls_ca_file = "/dev/zero": is not a regular file (a character device)']);
  expect(performance.now() - t0).toBeLessThan(1000);
});

test("a FIFO as tls_ca_file, tls_cert_file or tls_key_file is refused without blocking (no writer ever opens it)", () => {
  const fifo = path.join(tmp, "ca.fifo");
  execFileSync("mkfifo", [fifo]);
  for (const key of ["tls_ca_file", "tls_cert_file", "tls_key_file"]) {
    const p = problems(`[kafka]\naddress = k:1\ntls = true\n${key} = ${fifo}\n${COLLECT}`);
    expect(p).toContain(`/etc/logagent/conf.ini:4: [kafka] ${key} = ${JSON.stringify(fifo)}: is not a regular file (a FIFO)`);
  }
});

test("option files: a folder, a file over the limit and a missing file are refused; a PEM file is read", () => {
  expect(readOptionFile(tmp, PEM_FILE_LIMIT)).toEqual({ problem: "is not a regular file (a folder)" });
  const big = path.join(tmp, "big.pem");
  writeFileSync(big, Buffer.alloc(PEM_FILE_LIMIT + 1, 0x41));
  expect(readOptionFile(big, PEM_FILE_LIMIT)).toEqual({ problem: `is ${PEM_FILE_LIMIT + 1} bytes, more than the ${PEM_FILE_LIMIT} allowed` });
  expect(readOptionFile(path.join(tmp, "none.pem"), PEM_FILE_LIMIT)).toEqual({ problem: "file not found" });
  const pem = path.join(tmp, "ca.pem");
  writeFileSync(pem, "-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n");
  const c = parseIni(`[kafka]\naddress = k:1\ntls = true\ntls_ca_file = ${pem}\n${COLLECT}`, FILE, {});
  expect(c.kafka.security.tls?.ca).toContain("BEGIN CERTIFICATE");
});

test("problems found when [collect.*] entries are resolved have file, line, section and key", () => {
  const p = problems("[kafka]\naddress = k:1\n[collect.x]\npath = /var/log/{a,b\ntopic = logs-{env}\n");
  expect(p).toEqual([
    '/etc/logagent/conf.ini:4: [collect.x] path = "/var/log/{a,b": glob "/var/log/{a,b": unclosed "{" at character 10',
    "/etc/logagent/conf.ini:5: [collect.x] topic: unknown placeholder {env} (known: hostname, ip)",
  ]);
});

test("etcd lists: __proto__ and toString are unknown fields; null, true and objects are refused, not turned into text or 'not set'", () => {
  const r = parseCollectList(
    '[{"path":"/a","topic":"t","__proto__":{"acks":"0"},"toString":1},' +
      '{"path":"/b","topic":"t","include_lines":null,"key_pattern":true,"acks":["1"]},' +
      '{"path":"/c","topic":"t","multiline":{"start":null}},' +
      '{"path":"/d\\u2028","topic":"t","fields":{"__proto__":"x"}}]',
  );
  expect(r.entries).toEqual([]);
  expect(r.problems).toEqual([
    expect.stringContaining('entry 0 ("/a"): unknown field "__proto__"'),
    expect.stringContaining('entry 0 ("/a"): unknown field "toString"'),
    'entry 1 ("/b"): field "acks" = ["1"]: must be a string',
    'entry 1 ("/b"): field "key_pattern" = true: must be a string',
    'entry 1 ("/b"): field "include_lines" = null: must be a string or a list of strings',
    'entry 2 ("/c"): field "multiline.start" = null: must be a string',
    'entry 3 ("/d\u2028"): field "path" holds U+2028 (line separator) at character 3; control and invisible characters are not allowed',
    'entry 3 ("/d\u2028"): field "fields" may not have a field named "__proto__", got {"__proto__":"x"}',
  ]);
});

test("etcd lists: a key given twice in one JSON object is left to JSON (the last wins)", () => {
  expect(parseCollectList('[{"path":"/a","topic":"x","topic":"y"}]').entries).toEqual([{ path: "/a", topic: "y" }]);
});

// [etcd] TLS and user settings (issue 13 item 1): the PEM files are read when the INI is loaded, TLS
// follows the endpoints' scheme, and a password never shows in a message or in `fromEnv`'s values.
const pem = (name: string, text: string) => {
  const file = path.join(tmp, name);
  writeFileSync(file, text);
  return file;
};
const CA = pem("etcd-ca.pem", "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n");
const CERT = pem("etcd-client.pem", "-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n");
const KEY = pem("etcd-client.key", "-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n");

test("https:// endpoints with a CA, a client certificate and a user: the PEM texts and the user reach the config", () => {
  const c = parseIni(
    `[kafka]\naddress = k:1\n[etcd]\naddress = https://10.0.0.1:2379, https://10.0.0.2:2379\ntls_ca_file = ${CA}\ntls_cert_file = ${CERT}\ntls_key_file = ${KEY}\nusername = web1\npassword = \${ETCD_PASSWORD}\n`,
    FILE,
    { ETCD_PASSWORD: "s3cret" },
  );
  expect(c.etcd!.tls).toEqual({ ca: `-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n`, cert: expect.stringContaining("client"), key: expect.stringContaining("PRIVATE KEY") });
  expect(c.etcd!.auth).toEqual({ username: "web1", password: "s3cret" });
});

test("https:// without TLS files uses the system's CAs (tls is set, empty); http:// has no TLS and no user", () => {
  expect(parseIni("[kafka]\naddress = k:1\n[etcd]\naddress = https://etcd.example.com:2379\n", FILE, {}).etcd).toMatchObject({ tls: { ca: undefined, cert: undefined, key: undefined }, auth: null });
  expect(parseIni("[kafka]\naddress = k:1\n[etcd]\naddress = 10.0.0.1:2379\n", FILE, {}).etcd).toMatchObject({ tls: null, auth: null });
});

test("TLS files with http:// endpoints are an error on each file's line: the agent would silently not use them", () => {
  expect(problems(`[kafka]\naddress = k:1\n[etcd]\naddress = 10.0.0.1:2379\ntls_ca_file = ${CA}\n`)).toEqual([
    `${FILE}:5: [etcd] tls_ca_file: is set, but [etcd] address has no https:// endpoint; write the endpoints as https://host:port to use TLS`,
  ]);
});

test("a client certificate without its key (and the reverse), a user without a password (and the reverse): each named", () => {
  expect(problems(`[kafka]\naddress = k:1\n[etcd]\naddress = https://e:2379\ntls_cert_file = ${CERT}\n`)).toEqual([
    `${FILE}:3: [etcd] tls_key_file: a client certificate needs both tls_cert_file and tls_key_file`,
  ]);
  expect(problems(`[kafka]\naddress = k:1\n[etcd]\naddress = https://e:2379\ntls_key_file = ${KEY}\n`)).toEqual([
    `${FILE}:3: [etcd] tls_cert_file: a client certificate needs both tls_cert_file and tls_key_file`,
  ]);
  expect(problems("[kafka]\naddress = k:1\n[etcd]\naddress = e:2379\nusername = web1\n")).toEqual([`${FILE}:3: [etcd] password: missing: needed with username`]);
  expect(problems("[kafka]\naddress = k:1\n[etcd]\naddress = e:2379\npassword = pw\n")).toEqual([`${FILE}:3: [etcd] username: missing: needed with password`]);
});

test("an unreadable or missing TLS file names its key and path; a device is refused without reading it", () => {
  expect(problems(`[kafka]\naddress = k:1\n[etcd]\naddress = https://e:2379\ntls_ca_file = ${tmp}/nope.pem\ntls_cert_file = /dev/zero\ntls_key_file = ${KEY}\n`)).toEqual([
    `${FILE}:5: [etcd] tls_ca_file = "${tmp}/nope.pem": file not found`,
    `${FILE}:6: [etcd] tls_cert_file = "/dev/zero": is not a regular file (a character device)`,
  ]);
});

test("a password from ${NAME} is shown as written, never as its value; an unset one is reported once, on its line", () => {
  const read = readIniText("[kafka]\naddress = k:1\n[etcd]\naddress = e:2379\nusername = web1\npassword = ${ETCD_PASSWORD}\n", FILE, { ETCD_PASSWORD: "s3cret" });
  expect(read.fromEnv.get("etcd\0password")).toBe("${ETCD_PASSWORD}");
  expect([...read.fromEnv.values()].join()).not.toContain("s3cret");
  expect(problems("[kafka]\naddress = k:1\n[etcd]\naddress = e:2379\nusername = web1\npassword = ${ETCD_PASSWORD}\n")).toEqual([
    `${FILE}:6: [etcd] password: environment variable ETCD_PASSWORD is not set (write \${ETCD_PASSWORD:-default} to give a default)`,
  ]);
});
