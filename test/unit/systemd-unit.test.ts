// The systemd unit that `logagent service install` writes on Linux, and how `systemctl show` is
// read back; the e2e test (service-unix.test.ts) checks the same text with `systemd-analyze verify`.
import { describe, expect, test } from "bun:test";
import { parseSystemdShow, systemdExecStart, systemdUnit } from "../../src/service/systemd";
import type { ServiceDefinition } from "../../src/service/service-manager";

const def: ServiceDefinition = {
  name: "logagent",
  displayName: "logagent",
  description: "Ships log files to Kafka.",
  executable: "/usr/local/bin/logagent",
  configFile: "/etc/logagent/conf.ini",
  shutdownTimeoutMs: 10_000,
  maxOpenFiles: 1024,
};

const setting = (unit: string, key: string) => unit.split("\n").filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));

describe("systemdUnit", () => {
  test("runs the binary on the absolute INI, restarts on failure but not on a configuration error (exit 2), starts at boot", () => {
    const unit = systemdUnit(def);
    expect(setting(unit, "ExecStart")).toEqual(["/usr/local/bin/logagent -c /etc/logagent/conf.ini"]);
    expect(setting(unit, "Restart")).toEqual(["on-failure"]);
    expect(setting(unit, "RestartSec")).toEqual(["5s"]);
    expect(setting(unit, "RestartPreventExitStatus")).toEqual(["2"]);
    expect(setting(unit, "KillSignal")).toEqual(["SIGTERM"]);
    expect(setting(unit, "After")).toEqual(["network-online.target"]);
    expect(setting(unit, "Wants")).toEqual(["network-online.target"]);
    expect(setting(unit, "WantedBy")).toEqual(["multi-user.target"]);
    expect(setting(unit, "Description")).toEqual(["logagent: Ships log files to Kafka."]);
    expect(setting(unit, "Documentation")).toEqual(["file:///etc/logagent/conf.ini"]);
    expect(setting(unit, "SyslogIdentifier")).toEqual(["logagent"]);
    expect(setting(unit, "StandardError")).toEqual(["journal"]);
    expect(setting(unit, "EnvironmentFile")).toEqual(["-/etc/logagent/logagent.env"]);
    expect(unit).toMatch(/^\[Unit\]$[\s\S]*^\[Service\]$[\s\S]*^\[Install\]$/m);
  });

  test("the stop timeout is shutdown_timeout_ms plus 10 s, rounded up to whole seconds", () => {
    expect(setting(systemdUnit(def), "TimeoutStopSec")).toEqual(["20s"]);
    expect(setting(systemdUnit({ ...def, shutdownTimeoutMs: 0 }), "TimeoutStopSec")).toEqual(["10s"]);
    expect(setting(systemdUnit({ ...def, shutdownTimeoutMs: 15_500 }), "TimeoutStopSec")).toEqual(["26s"]);
    expect(setting(systemdUnit({ ...def, shutdownTimeoutMs: 3_600_000 }), "TimeoutStopSec")).toEqual(["3610s"]);
  });

  test("the open-file limit is 65536, or max_open_files plus room for sockets when that is more", () => {
    expect(setting(systemdUnit(def), "LimitNOFILE")).toEqual(["65536"]);
    expect(setting(systemdUnit({ ...def, maxOpenFiles: 200_000 }), "LimitNOFILE")).toEqual(["204096"]);
  });

  test("paths with spaces are quoted; % and $ are doubled where systemd would expand them", () => {
    const unit = systemdUnit({ ...def, executable: "/opt/log agent/logagent", configFile: "/etc/log agent/100% \"ok\" $HOME\\x.ini" });
    expect(setting(unit, "ExecStart")).toEqual([`"/opt/log agent/logagent" -c "/etc/log agent/100%% \\"ok\\" $$HOME\\\\x.ini"`]);
    expect(setting(unit, "Documentation")).toEqual(["file:///etc/log%%20agent/100%%25%%20%%22ok%%22%%20%%24HOME%%5Cx.ini"]);
    expect(setting(unit, "EnvironmentFile")).toEqual(["-/etc/log agent/logagent.env"]);
  });

  test("the executable's path keeps a $ as it is (systemd does not expand it there) and may not hold quotes or backslashes", () => {
    expect(systemdExecStart("/opt/a$b/logagent", ["-c", "/x$y"])).toBe(`"/opt/a$b/logagent" -c "/x$$y"`);
    for (const bad of [`/opt/"x"/logagent`, "/opt/it's/logagent", "/opt/a\\b/logagent"]) {
      expect(() => systemdExecStart(bad, [])).toThrow(/quotes or backslashes.*\/usr\/local\/bin\/logagent/);
    }
  });

  test("a control character in a path or the display name is refused (a newline would end the setting)", () => {
    expect(() => systemdUnit({ ...def, configFile: "/etc/a\nExecStartPre=/bin/rm" })).toThrow(/control character/);
    expect(() => systemdUnit({ ...def, displayName: "x\ny" })).toThrow(/control character/);
  });

  test("--name changes the identifier, the environment file and the uninstall hint", () => {
    const unit = systemdUnit({ ...def, name: "web-2", displayName: "logagent (web-2)" });
    expect(setting(unit, "SyslogIdentifier")).toEqual(["web-2"]);
    expect(setting(unit, "EnvironmentFile")).toEqual(["-/etc/logagent/web-2.env"]);
    expect(setting(unit, "Description")).toEqual(["logagent (web-2): Ships log files to Kafka."]);
    expect(unit).toContain("logagent service uninstall --name web-2");
    expect(unit).toContain("journalctl -u web-2.service");
  });
});

describe("parseSystemdShow", () => {
  test("a running service: pid, since when, enabled, logs", () => {
    const s = parseSystemdShow(
      "logagent",
      "LoadState=loaded\nActiveState=active\nSubState=running\nMainPID=4242\nActiveEnterTimestamp=Mon 2026-11-30 02:00:00 UTC\nExecMainStatus=0\nExecMainCode=0\nResult=success\nNRestarts=0\nUnitFileState=enabled\nFragmentPath=/etc/systemd/system/logagent.service\n",
    );
    expect(s.state).toBe("running");
    expect(s.details).toEqual([
      "systemd: active (running)",
      "pid 4242",
      "since Mon 2026-11-30 02:00:00 UTC",
      "at boot: enabled",
      "unit: /etc/systemd/system/logagent.service",
      "logs: journalctl -u logagent.service",
    ]);
  });

  test("a service that failed on a configuration error: stopped, with its exit status", () => {
    const s = parseSystemdShow("logagent", "LoadState=loaded\nActiveState=failed\nSubState=failed\nMainPID=0\nExecMainStatus=2\nExecMainCode=1\nResult=exit-code\nNRestarts=0\nUnitFileState=enabled\n");
    expect(s.state).toBe("stopped");
    expect(s.details).toContain("last exit: status 2 (exit-code)");
  });

  test("a service waiting to restart after a crash is starting, and says so", () => {
    const s = parseSystemdShow("logagent", "LoadState=loaded\nActiveState=activating\nSubState=auto-restart\nMainPID=0\nExecMainStatus=9\nExecMainCode=2\nResult=signal\nNRestarts=3\n");
    expect(s.state).toBe("starting");
    expect(s.details).toContain("waiting to restart after a failure");
    expect(s.details).toContain("last exit: signal 9 (signal)");
    expect(s.details).toContain("restarted 3 time(s) after failures");
  });

  test("an unknown unit is not installed", () => {
    expect(parseSystemdShow("x", "LoadState=not-found\nActiveState=inactive\n").state).toBe("not-installed");
  });
});
