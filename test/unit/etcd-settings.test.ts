// [etcd] TLS and user settings as the INI gives them (issue 13 item 1): the
// PEM files are read when the INI is loaded, TLS follows the endpoints'
// scheme, and a password never shows in a message or in `fromEnv`'s values.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConfigError } from "../../src/config/config-error";
import { parseIni, readIniText } from "../../src/config/load-ini";

const FILE = "/etc/logagent/conf.ini";
const tmp = mkdtempSync(path.join(os.tmpdir(), "etcd-settings-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const pem = (name: string, text: string) => {
  const file = path.join(tmp, name);
  writeFileSync(file, text);
  return file;
};
const CA = pem("ca.pem", "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n");
const CERT = pem("client.pem", "-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n");
const KEY = pem("client.key", "-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n");

function problems(text: string, env: Record<string, string> = {}): string[] {
  try {
    parseIni(text, FILE, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split("\n");
    throw err;
  }
  return [];
}

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
