// The launchd plist that `logagent service install` writes on macOS, and how `launchctl print` is
// read back; the e2e test (service-unix.test.ts) parses the same text as a plist.
import { describe, expect, test } from "bun:test";
import { launchdLabel, launchdPlist, parseLaunchctlPrint } from "../../src/service/launchd";
import type { ServiceDefinition } from "../../src/service/service-manager";

const def: ServiceDefinition = {
  name: "logagent",
  displayName: "logagent",
  description: "Ships log files to Kafka.",
  executable: "/usr/local/bin/logagent",
  configFile: "/usr/local/etc/logagent/conf.ini",
  shutdownTimeoutMs: 10_000,
};

/** The value element that follows `<key>KEY</key>` at the plist's top level (one tab of indentation). */
function value(plist: string, key: string): string {
  const m = new RegExp(`^\\t<key>${key}</key>\\n([\\s\\S]*?)(?=^\\t<key>|^</dict>)`, "m").exec(plist);
  if (!m) throw new Error(`no ${key} in\n${plist}`);
  return m[1]!.replace(/\s+/g, "");
}

describe("launchdPlist", () => {
  test("a daemon labelled io.logagent.NAME that runs the binary on the INI at load, restarted after a failure only", () => {
    const p = launchdPlist(def);
    expect(p.startsWith(`<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC`)).toBe(true);
    expect(value(p, "Label")).toBe("<string>io.logagent.logagent</string>");
    expect(value(p, "ProgramArguments")).toBe("<array><string>/usr/local/bin/logagent</string><string>-c</string><string>/usr/local/etc/logagent/conf.ini</string></array>");
    expect(value(p, "RunAtLoad")).toBe("<true/>");
    expect(value(p, "KeepAlive")).toBe("<dict><key>SuccessfulExit</key><false/></dict>");
    expect(value(p, "WorkingDirectory")).toBe("<string>/usr/local/etc/logagent</string>");
    expect(value(p, "StandardOutPath")).toBe("<string>/Library/Logs/logagent/logagent.log</string>");
    expect(value(p, "StandardErrorPath")).toBe("<string>/Library/Logs/logagent/logagent.log</string>");
    expect(value(p, "SoftResourceLimits")).toBe("<dict><key>NumberOfFiles</key><integer>65536</integer></dict>");
    expect(p.endsWith("</dict>\n</plist>\n")).toBe(true);
  });

  test("ExitTimeOut is shutdown_timeout_ms plus 10 s, in whole seconds", () => {
    expect(value(launchdPlist(def), "ExitTimeOut")).toBe("<integer>20</integer>");
    expect(value(launchdPlist({ ...def, shutdownTimeoutMs: 61_001 }), "ExitTimeOut")).toBe("<integer>72</integer>");
  });

  test("paths are XML-escaped, spaces kept as they are", () => {
    const p = launchdPlist({ ...def, executable: "/Applications/Log & <Agent>/logagent", configFile: "/Users/a b/conf's.ini" });
    expect(value(p, "ProgramArguments")).toBe("<array><string>/Applications/Log&amp;&lt;Agent&gt;/logagent</string><string>-c</string><string>/Users/ab/conf's.ini</string></array>");
    expect(p).toContain("<string>/Users/a b/conf's.ini</string>");
    expect(() => launchdPlist({ ...def, configFile: "/a\u0001b.ini" })).toThrow(/control character/);
  });

  test("--name changes the label and the log file; the XML comment holds no '--'", () => {
    const p = launchdPlist({ ...def, name: "web-2" }, "/var/tmp/logs");
    expect(launchdLabel("web-2")).toBe("io.logagent.web-2");
    expect(value(p, "Label")).toBe("<string>io.logagent.web-2</string>");
    expect(value(p, "StandardErrorPath")).toBe("<string>/var/tmp/logs/web-2.log</string>");
    for (const c of p.matchAll(/<!--([\s\S]*?)-->/g)) expect(c[1]).not.toContain("--");
  });
});

describe("parseLaunchctlPrint", () => {
  const print = (state: string, extra = "") =>
    [
      "system/io.logagent.logagent = {",
      "\tactive count = 1",
      "\tpath = /Library/LaunchDaemons/io.logagent.logagent.plist",
      "\ttype = LaunchDaemon",
      `\tstate = ${state}`,
      "",
      "\tprogram = /usr/local/bin/logagent",
      "\targuments = {",
      "\t\t/usr/local/bin/logagent",
      "\t}",
      "\tendpoints = {",
      "\t\tstate = active",
      "\t}",
      "\truns = 2",
      extra,
      "}",
    ].join("\n");

  test("running: pid and runs; nested blocks do not count", () => {
    const s = parseLaunchctlPrint(print("running", "\tpid = 812\n\tlast exit code = (never exited)"));
    expect(s.state).toBe("running");
    expect(s.details).toEqual(["launchd: running", "pid 812", "started 2 time(s) since loaded"]);
  });

  test("loaded but not running: stopped, with the last exit code", () => {
    const s = parseLaunchctlPrint(print("not running", "\tlast exit code = 2"));
    expect(s.state).toBe("stopped");
    expect(s.details).toContain("last exit: 2");
  });
});
