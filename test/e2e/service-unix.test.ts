// Issue item 2, Linux and macOS: the release binary's `service install --dry-run` prints a systemd
// unit that `systemd-analyze verify` accepts without a word (Debian's systemd package; the binary
// in ExecStart must exist, so it runs from a sandbox folder whose name has a space, which the unit
// must quote), and a launchd plist that `plutil -lint` accepts where it exists, else Python's
// plistlib parses (scripts/test.sh installs systemd and python3 when missing). A bad INI or a bad
// --name exits 2 and installs nothing.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runOnce, sandbox } from "../support/agent-process";
import { unique } from "../support/env";

const box = sandbox();
const dir = path.join(box.dir, "log agent");
mkdirSync(dir);
const bin = path.join(dir, "logagent");
renameSync(box.bin, bin);
const conf = path.join(dir, "conf.ini");
writeFileSync(conf, "[kafka]\naddress = 127.0.0.1:9092\n\n[agent]\nshutdown_timeout_ms = 15000\nmax_open_files = 100000\n\n[collect.app]\npath = /var/log/app.log\ntopic = app\n");
const scratch = mkdtempSync(path.join(os.tmpdir(), "logagent-units-"));

/** A name no installed service has, for the runs that are not dry. */
const stranger = unique("logagent-e2e");
const strangerUnit = `/etc/systemd/system/${stranger}.service`;
afterAll(() => rmSync(strangerUnit, { force: true })); // only there if the refusal under test failed

/** The file a dry run would write, as printed between "would write FILE:" and the first command. */
function printedFile(stdout: string, file: string): string {
  const start = stdout.indexOf(`would write ${file}:\n`);
  if (start < 0) throw new Error(`no "would write ${file}:" in:\n${stdout}`);
  const body = stdout.slice(start + `would write ${file}:\n`.length);
  return body.slice(0, body.indexOf("\n\nwould run: ")) + "\n";
}

test("install --dry-run --manager systemd: a unit that systemd-analyze verify accepts, quoting the paths with a space", () => {
  const r = runOnce(bin, ["service", "install", "--dry-run", "--manager", "systemd", "-c", "conf.ini", "--name", "web-2"], dir);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("would run: systemctl daemon-reload\nwould run: systemctl enable web-2.service\n");
  const unit = printedFile(r.stdout, "/etc/systemd/system/web-2.service");
  expect(unit).toContain(`\nExecStart="${bin}" -c "${conf}"\n`);
  expect(unit).toContain("\nTimeoutStopSec=25s\n"); // shutdown_timeout_ms 15000 + 10 s
  expect(unit).toContain("\nLimitNOFILE=104096\n"); // max_open_files 100000 + 4096
  expect(unit).toContain("\nRestartPreventExitStatus=2\n");

  const file = path.join(scratch, "web-2.service");
  writeFileSync(file, unit);
  const verify = Bun.spawnSync(["systemd-analyze", "verify", file], { stdout: "pipe", stderr: "pipe" });
  expect(verify.stderr.toString() + verify.stdout.toString()).toBe("");
  expect(verify.exitCode).toBe(0);
});

test("systemd-analyze verify does complain when the ExecStart binary is missing (the check above is a real one)", () => {
  const r = runOnce(bin, ["service", "install", "--dry-run", "--manager", "systemd", "-c", "conf.ini"], dir);
  const file = path.join(scratch, "logagent.service");
  writeFileSync(file, printedFile(r.stdout, "/etc/systemd/system/logagent.service").replace(`"${bin}"`, `"${bin}-gone"`));
  const verify = Bun.spawnSync(["systemd-analyze", "verify", file], { stdout: "pipe", stderr: "pipe" });
  expect(verify.exitCode).not.toBe(0);
  expect(verify.stderr.toString()).toContain("is not executable");
});

test("install --dry-run --manager launchd: a plist that plutil (or plistlib) reads back with the same values", () => {
  const r = runOnce(bin, ["service", "install", "--dry-run", "--manager", "launchd", "-c", "conf.ini", "--name", "web-2"], dir);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("would create /Library/Logs/logagent/ (if missing)");
  const file = path.join(scratch, "io.logagent.web-2.plist");
  writeFileSync(file, printedFile(r.stdout, "/Library/LaunchDaemons/io.logagent.web-2.plist"));
  const plutil = Bun.which("plutil");
  if (plutil) {
    const lint = Bun.spawnSync([plutil, "-lint", file], { stdout: "pipe", stderr: "pipe" });
    expect(lint.stdout.toString().trim()).toBe(`${file}: OK`);
  }
  const python = Bun.which("python3");
  if (!python && !plutil) throw new Error("neither plutil nor python3 is installed: scripts/test.sh installs python3");
  if (python) {
    const read = Bun.spawnSync([python, "-c", "import json, plistlib, sys; print(json.dumps(plistlib.load(open(sys.argv[1], 'rb'))))", file], { stdout: "pipe", stderr: "pipe" });
    expect(read.stderr.toString()).toBe("");
    expect(JSON.parse(read.stdout.toString())).toEqual({
      Label: "io.logagent.web-2",
      ProgramArguments: [bin, "-c", conf],
      WorkingDirectory: dir,
      RunAtLoad: true,
      KeepAlive: { SuccessfulExit: false },
      ThrottleInterval: 10,
      ExitTimeOut: 25,
      SoftResourceLimits: { NumberOfFiles: 104096 },
      HardResourceLimits: { NumberOfFiles: 104096 },
      StandardOutPath: "/Library/Logs/logagent/web-2.log",
      StandardErrorPath: "/Library/Logs/logagent/web-2.log",
    });
  }
});

test("install with a bad INI: exit 2 naming the file, line and key, and nothing installed (not a dry run)", () => {
  writeFileSync(path.join(dir, "bad.ini"), "[kafka]\naddress = 127.0.0.1:9092\nacks = 2\n\n[collect.app]\npath = /var/log/app.log\ntopic = app\n");
  const r = runOnce(bin, ["service", "install", "-c", "bad.ini", "--name", stranger], dir);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`${path.join(dir, "bad.ini")}:3: [kafka] acks = "2": must be one of 0, 1, all`);
  expect(r.stdout).toBe("");
  expect(existsSync(strangerUnit)).toBe(false);
});

test("--name with a bad character: exit 2, saying what a name may hold", () => {
  const r = runOnce(bin, ["service", "install", "--dry-run", "-c", "conf.ini", "--name", "web/2"], dir);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`--name "web/2": use letters, digits, '.', '_' and '-'`);
  expect(r.stdout).toBe("");
});

test("status of a service that is not installed: exit 4, saying so", () => {
  const r = runOnce(bin, ["service", "status", "--name", stranger], dir);
  expect(r.code).toBe(4);
  expect(r.stdout).toContain(`${stranger}: not-installed`);
});
