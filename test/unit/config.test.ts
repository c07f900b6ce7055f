import { expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConfigError } from "../../src/config/config-error";
import { expandKey } from "../../src/config/host";
import { optionsTable, parseIni } from "../../src/config/load-ini";
import { OPTIONS } from "../../src/config/options";

const TUTORIAL = `[kafka]
address = 127.0.0.1:9092
chan_max_size = 100000

[etcd]
address = 127.0.0.1:2379
timeout = 5
collect_log_key = /logagent/%s/collect_config
`;

function problems(text: string): string[] {
  try {
    parseIni(text, "/etc/logagent/conf.ini");
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split("\n");
    throw err;
  }
  return [];
}

test("the tutorial project's INI works unchanged, with defaults for the rest", () => {
  const c = parseIni(TUTORIAL, "/etc/logagent/conf.ini");
  expect(c.kafka).toMatchObject({ brokers: ["127.0.0.1:9092"], chanMaxSize: 100000, clientId: "logagent" });
  expect(c.kafka.output).toMatchObject({ acks: "all", partitioner: "key", key: "path", compression: "none", format: "raw" });
  expect(c.kafka.security).toEqual({ sasl: null, tls: null });
  expect(c.etcd).toEqual({ endpoints: ["127.0.0.1:2379"], timeoutMs: 5000, collectKeyTemplate: "/logagent/%s/collect_config", statusKeyTemplate: "/logagent/status/{hostname}", statusIntervalMs: 30_000, statusLeaseTtlS: 30, tls: null, auth: null });
  expect(c.agent).toMatchObject({ from: "end", logLevel: "info", stateDir: "/etc/logagent/logagent-state" });
});

test("several endpoints, acks and an absolute state_dir", () => {
  const c = parseIni(
    "[kafka]\naddress = a:1, b:2 ,c:3\nacks = 1\n[etcd]\naddress=e1:2379,e2:2379\n[agent]\nstate_dir = /var/lib/logagent\nfrom = beginning\n",
    "/x/conf.ini",
  );
  expect(c.kafka.brokers).toEqual(["a:1", "b:2", "c:3"]);
  expect(c.kafka.output.acks).toBe("1");
  expect(c.etcd?.endpoints).toEqual(["e1:2379", "e2:2379"]);
  expect(c.agent.stateDir).toBe("/var/lib/logagent");
  expect(c.agent.from).toBe("beginning");
});

test("every problem is reported at once, in line order, naming file, line, section, key and value", () => {
  const p = problems("[kafka]\naddress = k:9092\nacks = 2\nlinger = 5\n[etcd]\ntimeout = soon\n[agnet]\nx=1\n");
  expect(p).toEqual([
    '/etc/logagent/conf.ini:3: [kafka] acks = "2": must be one of 0, 1, all',
    expect.stringContaining("/etc/logagent/conf.ini:4: [kafka] linger: unknown key (known: address,"),
    expect.stringContaining("/etc/logagent/conf.ini:5: [etcd] address: missing required key"),
    '/etc/logagent/conf.ini:6: [etcd] timeout = "soon": must be an integer from 1 to 3600',
    expect.stringContaining("/etc/logagent/conf.ini:7: [agnet]: unknown section"),
  ]);
});

test("a key outside any section is an error", () => {
  expect(problems("debug = 1\n[kafka]\naddress=k:1\n[collect.a]\npath=/a\ntopic=t\n")[0]).toContain(':1: key "debug" is outside any section');
});

test("without [etcd], the collect list comes from [collect.NAME] sections", () => {
  const c = parseIni("[kafka]\naddress=k:1\n[collect.web]\npath = /var/log/nginx/access.log\ntopic = web_log\n[collect.app]\npath=/srv/app.log\ntopic=app\nfrom=beginning\n", "/c.ini");
  expect(c.etcd).toBeUndefined();
  expect(c.collect).toEqual([
    { path: "/var/log/nginx/access.log", topic: "web_log" },
    { path: "/srv/app.log", topic: "app", from: "beginning" },
  ]);
});

test("a collect section with an unknown or missing field names the section and line", () => {
  const p = problems("[kafka]\naddress=k:1\n[collect.web]\npath = /a.log\ntopik = web\n");
  expect(p.find((x) => x.startsWith("/etc/logagent/conf.ini:5: [collect.web] topik: unknown key (known: path, topic, from, fields, acks,"))).toContain("encoding, max_line_bytes");
  expect(p).toContain("/etc/logagent/conf.ini:3: [collect.web] topic: missing required key");
});

test("with neither etcd nor collect sections there is nothing to do, which is an error", () => {
  expect(problems("[kafka]\naddress=k:1\n")[0]).toContain("nothing to collect");
});

test("the key template takes the IPv4 address and host name", () => {
  const host = { ip: "10.1.2.3", hostname: "web-7" };
  expect(expandKey("/logagent/%s/collect_config", host)).toBe("/logagent/10.1.2.3/collect_config");
  expect(expandKey("/la/{hostname}/{ip}", host)).toBe("/la/web-7/10.1.2.3");
});

test("every option has a description, and the README table lists each one", () => {
  const table = optionsTable();
  for (const o of OPTIONS) {
    expect(o.description.length).toBeGreaterThan(10);
    expect(table).toContain(`| \`[${o.section}]\` | \`${o.key}\` |`);
  }
});

test("the README's option table is the one generated from the option table", async () => {
  const { renderReadme } = await import("../../scripts/readme-options");
  const readme = await Bun.file(`${import.meta.dir}/../../README.md`).text();
  expect(renderReadme(readme)).toBe(readme);
});

test("tail options in the INI: defaults in [agent], per entry in [collect.NAME]; pattern lists as repeated key[] lines", () => {
  const c = parseIni(
    [
      "[kafka]",
      "address = k:1",
      "[agent]",
      "encoding = gbk",
      "exclude = *.gz",
      "[collect.java]",
      "path = /var/log/app/**/*.log",
      "topic = java",
      "multiline.start = ^\\d{4}-\\d{2}-\\d{2}",
      "multiline.timeout_ms = 2000",
      "include_lines[] = ERROR",
      "include_lines[] = WARN, or worse",
      "encoding = utf-16le",
    ].join("\n"),
    "/etc/logagent/conf.ini",
  );
  expect(c.agent.tail.encoding).toBe("gbk");
  expect(c.agent.tail.exclude).toEqual(["*.gz"]);
  expect(c.collect[0]!.options).toEqual({
    "multiline.start": "^\\d{4}-\\d{2}-\\d{2}",
    "multiline.timeout_ms": 2000,
    include_lines: ["ERROR", "WARN, or worse"],
    encoding: "utf-16le",
  });
});

test("a bad tail option in a [collect.NAME] section names the file, line, key and value", () => {
  const p = problems("[kafka]\naddress=k:1\n[collect.web]\npath = /a.log\ntopic = web\nmultiline.start = ([\n");
  expect(p).toEqual(['/etc/logagent/conf.ini:6: [collect.web] multiline.start = "([": is not a valid regular expression (missing terminating ] for character class)']);
});

test("a refused pattern in a [collect.NAME] section names the file, line, key and pattern", () => {
  const p = problems("[kafka]\naddress=k:1\n[collect.web]\npath = /a.log\ntopic = web\nexclude_lines[] = ok\nexclude_lines[] = (?=x)y\n");
  expect(p).toEqual(['/etc/logagent/conf.ini:7: [collect.web] exclude_lines = "(?=x)y": is refused: the lookahead "(?=x)" at position 0 needs a backtracking engine, and patterns must run in linear time (see README, "Line patterns")']);
});

test("a log_file that is a FIFO or a directory is refused: writing to it would block or fail", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "logagent-logfile-"));
  const fifo = path.join(dir, "fifo");
  expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
  const ini = (f: string) => `[kafka]\naddress = k:1\n[agent]\nlog_file = ${f}\n[collect.a]\npath = /a.log\ntopic = t\n`;
  expect(problems(ini(fifo))).toEqual([`/etc/logagent/conf.ini:4: [agent] log_file = ${JSON.stringify(fifo)}: is a FIFO; it must be a regular file, or not exist yet`]);
  expect(problems(ini(dir))).toEqual([`/etc/logagent/conf.ini:4: [agent] log_file = ${JSON.stringify(dir)}: is a directory; it must be a regular file, or not exist yet`]);
  expect(problems(ini(path.join(dir, "agent.log")))).toEqual([]);
});

test("[agent] allow_paths: globs as repeated key[] lines; a bad one names its own line, the value and the fix; unset is null", () => {
  const c = parseIni(`${TUTORIAL}[agent]\nallow_paths[] = /var/log/**\nallow_paths[] = /srv/*/logs/*.log\n`, "/etc/logagent/conf.ini");
  expect(c.agent.allowPaths?.patterns).toEqual(["/var/log/**", "/srv/*/logs/*.log"]);
  expect(parseIni(TUTORIAL, "/etc/logagent/conf.ini").agent.allowPaths).toBeNull();
  expect(problems(`${TUTORIAL}[agent]\nallow_paths[] = /var/log/**\nallow_paths[] = srv/logs/*.log\nallow_paths[] = /var/lib/\n`)).toEqual([
    '/etc/logagent/conf.ini:11: [agent] allow_paths = "srv/logs/*.log": must be an absolute path',
    '/etc/logagent/conf.ini:12: [agent] allow_paths = "/var/lib/": names a folder, and allow_paths names files: write "/var/lib/**" to allow every file below it',
  ]);
  expect(problems(`${TUTORIAL}[agent]\nallow_paths[] = /var/log/**\nallow_paths[] = /var/{a\n`)).toEqual(['/etc/logagent/conf.ini:11: [agent] allow_paths = "/var/{a": is not a valid glob (unclosed "{" at character 6)']);
});

const HTTP_BASE = "[kafka]\naddress = 127.0.0.1:9092\n\n[collect.app]\npath = /var/log/app.log\ntopic = app\n";

test("without [http] there is no server; unhealthy_after_s defaults to 60 s", () => {
  const c = parseIni(HTTP_BASE, "/etc/logagent/conf.ini");
  expect(c.http).toEqual({ address: null, unhealthyAfterMs: 60_000 });
});

test("[http] address and unhealthy_after_s are read", () => {
  const c = parseIni(`${HTTP_BASE}\n[http]\naddress = 127.0.0.1:9700\nunhealthy_after_s = 5\n`, "/etc/logagent/conf.ini");
  expect(c.http).toEqual({ address: { hostname: "127.0.0.1", port: 9700 }, unhealthyAfterMs: 5000 });
});

test("a bad [http] address names the file, line, section, key and value", () => {
  expect(problems(`${HTTP_BASE}\n[http]\naddress = 127.0.0.1\nunhealthy_after_s = 0\n`)).toEqual([
    '/etc/logagent/conf.ini:9: [http] address = "127.0.0.1": must be host:port, e.g. 127.0.0.1:9700 (or [::1]:9700, or :9700 for every interface)',
    '/etc/logagent/conf.ini:10: [http] unhealthy_after_s = "0": must be an integer from 1 to 86400',
  ]);
});
