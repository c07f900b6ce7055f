// Test 4 of issue 2: a bad INI gives exit code 2 and messages that name the
// file, the line and the key, all problems at once. Run on the release binary.
import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { runOnce, sandbox } from "../support/agent-process";

const box = sandbox();

function runWith(ini: string, args = ["-c", "conf.ini"]) {
  writeFileSync(path.join(box.dir, "conf.ini"), ini);
  return runOnce(box.bin, args, box.dir);
}

const conf = path.join(box.dir, "conf.ini");

test("a missing configuration file: exit 2, naming the file", () => {
  const r = runOnce(box.bin, ["-c", "nope.ini"], box.dir);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`${path.join(box.dir, "nope.ini")}: cannot read configuration: file not found`);
});

test("an unknown key: exit 2, naming file, line, section and key", () => {
  const r = runWith("[kafka]\naddress = 127.0.0.1:1\nbatchsize = 10\n\n[collect.a]\npath = /tmp/a.log\ntopic = a\n");
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`${conf}:3: [kafka] batchsize: unknown key`);
});

test("a bad value: exit 2, echoing the value and what is allowed", () => {
  const r = runWith("[kafka]\naddress = 127.0.0.1:1\nacks = 2\nchan_max_size = lots\n\n[collect.a]\npath = /tmp/a.log\ntopic = a\n");
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`${conf}:3: [kafka] acks = "2": must be one of 0, 1, all`);
  expect(r.stderr).toContain(`${conf}:4: [kafka] chan_max_size = "lots": must be an integer`);
});

test("a missing required key: exit 2, naming the section's line and the key", () => {
  const r = runWith("[kafka]\nacks = 1\n\n[etcd]\ntimeout = 5\n");
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`${conf}:1: [kafka] address: missing required key`);
  expect(r.stderr).toContain(`${conf}:4: [etcd] address: missing required key`);
});

test("an unknown section and a bad collect entry are reported together with the rest", () => {
  const r = runWith("[kafka]\naddress = 127.0.0.1:1\n[kafak]\nx = 1\n[collect.web]\npath = relative.log\ntopic = web\n");
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`${conf}:3: [kafak]: unknown section`);
  expect(r.stderr).toContain(`${conf}:6: [collect.web] path: must be an absolute path, got "relative.log"`);
});

test("check on a valid INI with a static list: exit 0 and prints what it would collect", () => {
  const r = runWith("[kafka]\naddress = 127.0.0.1:1\n\n[collect.web]\npath = /var/log/nginx/access.log\ntopic = web_log\n", ["check", "-c", "conf.ini"]);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("/var/log/nginx/access.log -> topic web_log (from end, acks all, key path, none, raw)");
});

test("check on a bad INI: exit 2", () => {
  const r = runWith("[kafka]\naddress = 127.0.0.1:1\nacks = most\n", ["check", "-c", "conf.ini"]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`${conf}:3: [kafka] acks`);
});

test("--version and --help answer without a configuration", () => {
  const v = runOnce(box.bin, ["--version"], box.dir);
  expect(v.code).toBe(0);
  expect(v.stdout).toMatch(/^logagent \d+\.\d+\.\d+/);
  const h = runOnce(box.bin, ["--help"], box.dir);
  expect(h.code).toBe(0);
  expect(h.stdout).toContain("chan_max_size");
});
