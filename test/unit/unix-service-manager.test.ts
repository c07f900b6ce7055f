// The checks the systemd and launchd managers make before they touch the machine: root, already
// installed, not installed; that a dry run prints everything and changes nothing; and that an
// install whose manager command fails leaves nothing behind. The managers write into a temporary
// folder here; the service manager's command is `false` where a failing one is wanted.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LaunchdManager } from "../../src/service/launchd";
import { SERVICE_EXIT, ServiceError, type ServiceDefinition, type ServiceManager } from "../../src/service/service-manager";
import { SystemdManager } from "../../src/service/systemd";

const def: ServiceDefinition = {
  name: "web-2",
  displayName: "logagent (web-2)",
  description: "Ships log files to Kafka.",
  executable: "/usr/local/bin/logagent",
  configFile: "/etc/logagent/conf.ini",
  shutdownTimeoutMs: 10_000,
};

const FALSE = Bun.which("false")!;

const kinds: { kind: string; file: string; make: (dir: string, root: boolean) => ServiceManager }[] = [
  { kind: "systemd", file: "web-2.service", make: (dir, root) => new SystemdManager({ unitDir: dir, isRoot: () => root, systemctl: FALSE }) },
  { kind: "launchd", file: "io.logagent.web-2.plist", make: (dir, root) => new LaunchdManager({ daemonDir: dir, logDir: path.join(dir, "logs"), isRoot: () => root, launchctl: FALSE }) },
];

async function failure(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ServiceError) return err;
    throw err;
  }
  throw new Error("expected a ServiceError");
}

for (const { kind, file, make } of kinds) {
  describe(kind, () => {
    const fresh = () => mkdtempSync(path.join(os.tmpdir(), `logagent-${kind}-`));
    const said: string[] = [];
    const say = (l: string) => said.push(l);

    test("install without root: exit 6, saying to use sudo, and nothing written", async () => {
      const dir = fresh();
      const err = await failure(make(dir, false).install(def, say, false));
      expect(err.exitCode).toBe(SERVICE_EXIT.notAdministrator);
      expect(err.message).toContain("sudo");
      expect(readdirSync(dir)).toEqual([]);
    });

    test("every changing verb needs root", async () => {
      const m = make(fresh(), false);
      for (const p of [m.uninstall("web-2", say, false), m.start("web-2", say, false), m.stop("web-2", say, false)]) {
        expect((await failure(p)).exitCode).toBe(SERVICE_EXIT.notAdministrator);
      }
    });

    test("install over an installed one: exit 5, naming the file and how to uninstall; the file is left alone", async () => {
      const dir = fresh();
      writeFileSync(path.join(dir, file), "mine");
      const err = await failure(make(dir, true).install(def, say, false));
      expect(err.exitCode).toBe(SERVICE_EXIT.alreadyInstalled);
      expect(err.message).toContain(path.join(dir, file));
      expect(err.message).toContain("service uninstall --name web-2");
      expect(readFileSync(path.join(dir, file), "utf8")).toBe("mine");
    });

    test("uninstall, start and stop of one not installed: exit 4, naming the file; status says not-installed", async () => {
      const dir = fresh();
      const m = make(dir, true);
      for (const p of [m.uninstall("web-2", say, false), m.start("web-2", say, false), m.stop("web-2", say, false)]) {
        const err = await failure(p);
        expect(err.exitCode).toBe(SERVICE_EXIT.notInstalled);
        expect(err.message).toContain(path.join(dir, file));
      }
      expect((await m.status("web-2")).state).toBe("not-installed");
    });

    test("a dry run needs no root, prints the file and the commands, and changes nothing", async () => {
      const dir = fresh();
      const lines: string[] = [];
      await make(dir, false).install(def, (l) => lines.push(l), true);
      const out = lines.join("\n");
      expect(out).toContain("Dry run: nothing is changed.");
      expect(out).toContain(`would write ${path.join(dir, file)}:`);
      expect(out).toContain("/usr/local/bin/logagent");
      expect(out).toMatch(/^would run: /m);
      expect(readdirSync(dir)).toEqual([]);
    });

    test("an install whose manager command fails: exit 1 with the command, and the file removed again", async () => {
      const dir = fresh();
      const err = await failure(make(dir, true).install(def, say, false));
      expect(err.exitCode).toBe(SERVICE_EXIT.failed);
      expect(err.message).toMatch(/false .* failed \(exit 1\)/);
      expect(err.message).toContain(`Removed ${path.join(dir, file)} again: nothing is installed.`);
      expect(existsSync(path.join(dir, file))).toBe(false);
    });
  });
}
