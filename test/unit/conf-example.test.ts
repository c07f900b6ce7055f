// conf.ini.example is generated from the option table; these tests hold it to being a configuration
// the agent accepts: with the required keys uncommented (plus a [collect.x] section), and with every
// setting uncommented, when every default shown must be the default the agent applies.
import { describe, expect, test } from "bun:test";
import path from "node:path";
import { parseIni } from "../../src/config/load-ini";
import { OPTIONS, SECTIONS } from "../../src/config/options";
import { confExample, type Family } from "../../scripts/release/conf-example";

const FAMILIES: Family[] = ["linux", "darwin", "windows"];
const FILE = "/etc/logagent/conf.ini";

/** Removes the ';' of setting lines (";key = value", ";[section]") chosen by `keep`, which sees the section the line is in. */
function uncomment(text: string, keep: (section: string, key: string | undefined, live: boolean) => boolean): string {
  let section = "";
  let live = true;
  return text
    .split(/\r?\n/)
    .map((line) => {
      const header = /^(;?)\[(.+)\]$/.exec(line);
      if (header) {
        section = header[2]!;
        live = header[1] === "";
        return live || !keep(section, undefined, false) ? line : line.slice(1);
      }
      const setting = /^;([\w.]+) =/.exec(line);
      return setting && keep(section, setting[1], live) ? line.slice(1) : line;
    })
    .join("\n");
}

const isRequired = (section: string, key: string) => OPTIONS.some((o) => o.section === section && o.key === key && o.default === undefined);

describe("conf.ini.example", () => {
  for (const family of FAMILIES) {
    test(`${family}: with the required keys uncommented and a [collect.x] section, it parses, with every default`, () => {
      const text = uncomment(confExample("9.9.9", family), (section, key, live) => live && key !== undefined && isRequired(section, key)) + "\n[collect.x]\npath = /var/log/x.log\ntopic = x\n";
      const config = parseIni(text, FILE);
      expect(config.kafka.brokers).toEqual(["kafka1.example.com:9092", "kafka2.example.com:9092"]);
      expect(config.etcd).toBeUndefined(); // [etcd] stays commented out: the list comes from [collect.NAME]
      expect(config.collect.map((e) => e.path)).toEqual(["/var/log/x.log"]);
      const bare = parseIni("[kafka]\naddress = kafka1.example.com:9092,kafka2.example.com:9092\n[collect.x]\npath = /var/log/x.log\ntopic = x\n", FILE);
      expect(config).toEqual(bare);
    });

    test(`${family}: with everything uncommented it parses, and the values shown are the defaults the agent applies`, () => {
      let text = uncomment(confExample("9.9.9", family), () => true);
      expect(text).not.toMatch(/^;[\w.[]/m); // nothing left to uncomment
      // A Windows path is absolute only to the Windows build; this test runs on Linux.
      const collectPath = /^path = (.*)$/m.exec(text)![1]!.trim();
      expect(path.isAbsolute(collectPath) || path.win32.isAbsolute(collectPath)).toBe(true);
      text = text.replace(/^path = .*$/m, "path = /var/log/x.log");
      const config = parseIni(text, FILE);
      expect(config.etcd?.endpoints).toEqual(["etcd1.example.com:2379", "etcd2.example.com:2379"]);
      expect(config.fields).toEqual({ env: "production" });
      expect(config.collect).toHaveLength(1);
      const bare = parseIni("[kafka]\naddress = kafka1.example.com:9092,kafka2.example.com:9092\n[collect.x]\npath = /var/log/x.log\ntopic = x\n", FILE);
      expect(config.kafka).toEqual(bare.kafka);
      expect(config.agent).toEqual(bare.agent);
    });
  }

  test("every section and every option is there, each commented out once", () => {
    const text = confExample("9.9.9", "linux");
    for (const section of Object.keys(SECTIONS)) expect(text).toMatch(new RegExp(`^;?\\[${section}\\]$`, "m"));
    const sections = text.split(/^(?=;?\[)/m);
    for (const o of OPTIONS) {
      const body = sections.find((s) => s.startsWith(`[${o.section}]`) || s.startsWith(`;[${o.section}]`))!;
      const escaped = o.key.replaceAll(".", "\\.");
      expect(body.match(new RegExp(`^;${escaped} =`, "gm"))?.length, `[${o.section}] ${o.key}`).toBe(1);
    }
  });

  test("it names the version, explains ${VAR} for secrets and shows a [collect.NAME] example for the platform", () => {
    const linux = confExample("9.9.9", "linux");
    expect(linux).toContain("logagent 9.9.9");
    expect(linux).toContain("${NAME:-default}");
    expect(linux).toContain("sasl_password = ${KAFKA_PASSWORD}");
    expect(linux).toContain(";path = /var/log/nginx/access.log");
    const windows = confExample("9.9.9", "windows");
    expect(windows).toContain(";path = C:\\inetpub\\logs\\LogFiles\\W3SVC1\\*.log");
    expect(windows.split("\n").every((l) => l === "" || l.endsWith("\r"))).toBe(true); // CRLF, for Notepad on older Windows Server
  });

  test("lines are at most 100 characters, so the file reads well in a terminal", () => {
    for (const line of confExample("9.9.9", "linux").split("\n")) {
      if (line.startsWith("; ")) expect(line.length, line).toBeLessThanOrEqual(100);
    }
  });
});
