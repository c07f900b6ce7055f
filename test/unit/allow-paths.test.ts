// [agent] allow_paths (src/discovery/allow-paths.ts): the patterns it accepts, the entries it
// refuses and why, and the real paths it lets a confined entry open (with links on disk).
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { AllowPaths, confine, screenEntries } from "../../src/discovery/allow-paths";
import type { CollectEntry } from "../../src/discovery/collect-entry";
import type { PathFlavour } from "../../src/tail/glob";
import { OutsideAllowedPaths, openTailHandle } from "../../src/tail/open-file";
import { tailDefaults, resolveTailSettings } from "../../src/tail/tail-settings";

const root = mkdtempSync(path.join(os.tmpdir(), "allow-paths-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function allow(patterns: string[], flavour: PathFlavour = "posix"): AllowPaths {
  const { allow, problems } = AllowPaths.compile(patterns, flavour);
  expect(problems).toEqual([]);
  return allow!;
}

describe("compile: the patterns allow_paths accepts", () => {
  test("empty: nothing limits etcd (null)", () => {
    expect(AllowPaths.compile([])).toEqual({ allow: null, problems: [] });
  });

  test.each([
    ["posix", "var/log/**", "must be an absolute path"],
    ["posix", "/var/log/", 'names a folder, and allow_paths names files: write "/var/log/**" to allow every file below it'],
    ["posix", "/", 'write "/**"'],
    ["win32", "\\logs\\**", "must be an absolute path with its drive letter"],
    ["win32", "logs\\*.log", "must be an absolute path with its drive letter"],
    ["win32", "C:\\logs\\", 'write "C:\\\\logs\\\\**"'],
    ["win32", "\\\\?\\C:\\logs\\**", "\\\\?\\C:\\ paths are not normalised by Windows"],
    ["win32", "\\\\.\\C:\\logs\\**", "paths are not normalised by Windows"],
    ["win32", "C:\\logs.\\**", 'the name "logs." ends with a dot or a space, which Windows drops'],
  ] as const)("%s %s: refused (%s)", (flavour, pattern, why) => {
    const { allow, problems } = AllowPaths.compile([pattern], flavour);
    expect(allow).toBeNull();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toStartWith(`= ${JSON.stringify(pattern)}: `);
    expect(problems[0]).toContain(why);
  });

  test("an existing folder named without a glob is refused with the glob to write", () => {
    const { problems } = AllowPaths.compile([root]);
    expect(problems).toEqual([`= ${JSON.stringify(root)}: names a folder, and allow_paths names files: write ${JSON.stringify(`${root}/**`)} to allow every file below it`]);
  });

  test("every bad pattern is reported, not only the first", () => {
    expect(AllowPaths.compile(["a", "/ok/**", "b/"]).problems).toHaveLength(2);
  });
});

describe("entryProblem: what an entry from etcd may name", () => {
  const a = allow(["/var/log/**", "/srv/*/logs/*.log"]);
  const rule = '[agent] allow_paths ("/var/log/**", "/srv/*/logs/*.log")';

  test.each(["/var/log/syslog", "/var/log/nginx/access.log", "/var/log/**/*.log", "/var/log/app-*.log", "/srv/web/logs/a.log", "/srv/*/logs/app-?.log", "/srv/{a,b}/logs/*.log"])(
    "inside: %s",
    (p) => expect(a.entryProblem(p)).toBeUndefined(),
  );

  test("a file outside: the field, the value and the rule", () => {
    expect(a.entryProblem("/etc/shadow")).toBe(`field "path" = "/etc/shadow" is outside ${rule}: etcd may only name files there`);
  });

  test("`..` and repeated separators are resolved first, and the message shows what the path is", () => {
    expect(a.entryProblem("/var/log/../../etc/shadow")).toBe(`field "path" = "/var/log/../../etc/shadow" (that is "/etc/shadow") is outside ${rule}: etcd may only name files there`);
    expect(a.entryProblem("/var/log/x/../../../etc//shadow")).toContain('(that is "/etc/shadow") is outside');
    expect(a.entryProblem("/var//log/./x/../app.log")).toBeUndefined();
  });

  test("a glob that reaches outside, even partly, is refused, saying that doubt refuses", () => {
    for (const p of ["/var/**/*.log", "/*/log/*.log", "/srv/**/*.log", "/var/{log,lib}/*.log", "/var/log/../../etc/*"]) {
      expect(a.entryProblem(p)).toBe(
        `field "path" = ${JSON.stringify(p)}: the glob can match files outside ${rule}. A glob is accepted only when every file it can match is allowed, and that could not be shown (when in doubt it is refused): narrow it to folders and names that allow_paths covers`,
      );
    }
  });

  test("a glob that does not compile is left to the entry's resolution, which reports it", () => {
    expect(a.entryProblem("/var/log/{a")).toBeUndefined();
  });

  test("screenEntries names each refused entry and lets the others through; exclude cannot widen or rescue an entry", () => {
    const entries: CollectEntry[] = [
      { path: "/var/log/a.log", topic: "a" },
      { path: "/var/**/*.log", topic: "b", options: { exclude: ["/var/lib/**", "/var/cache/**"] } },
      { path: "/var/log/*.log", topic: "c", options: { exclude: ["*.gz"] } },
      { path: "/root/.ssh/id_rsa", topic: "d" },
    ];
    const { inside, problems } = screenEntries(entries, a);
    expect(inside).toEqual([entries[0]!, entries[2]!]);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toStartWith('entry "/var/**/*.log": field "path" = "/var/**/*.log": the glob can match files outside');
    expect(problems[1]).toStartWith('entry "/root/.ssh/id_rsa": field "path" = "/root/.ssh/id_rsa" is outside');
    expect(screenEntries(entries, null)).toEqual({ inside: entries, problems: [] });
  });

  test("win32: case-insensitive, either separator, drive letters, `..`", () => {
    const w = allow(["C:\\logs\\**", "\\\\fs\\logs\\**\\*.log"], "win32");
    expect(w.entryProblem("c:\\LOGS\\App\\x.LOG")).toBeUndefined();
    expect(w.entryProblem("C:/logs/**/*.log")).toBeUndefined();
    expect(w.entryProblem("\\\\FS\\Logs\\web\\a.log")).toBeUndefined();
    expect(w.entryProblem("C:\\Windows\\System32\\config\\SAM")).toContain("is outside [agent] allow_paths");
    expect(w.entryProblem("C:\\logs\\..\\Windows\\System32\\config\\SAM")).toContain('(that is "C:\\\\Windows\\\\System32\\\\config\\\\SAM") is outside');
    expect(w.entryProblem("D:\\logs\\a.log")).toContain("is outside");
    expect(w.entryProblem("\\\\fs\\logs\\a.txt")).toContain("is outside");
  });

  test("win32: what Windows would read differently from how it is written is refused", () => {
    const w = allow(["C:\\logs\\**"], "win32");
    expect(w.entryProblem("\\\\?\\C:\\logs\\a.log")).toContain("paths are not normalised by Windows, so they cannot be checked against [agent] allow_paths");
    expect(w.entryProblem("//?/C:/logs/*.log")).toContain("paths are not normalised by Windows");
    expect(w.entryProblem("\\\\.\\C:\\logs\\a.log")).toContain("paths are not normalised by Windows");
    // Windows drops the trailing space: `.. ` is `..`, so this is C:\Windows\...
    expect(w.entryProblem("C:\\logs\\.. \\Windows\\win.ini")).toContain('the name ".. " ends with a dot or a space');
    expect(w.entryProblem("C:\\logs\\x.\\*.log")).toContain('the name "x." ends with a dot or a space');
  });
});

describe("allows: the real path of a file a confined entry opens", () => {
  test("posix: written rules", () => {
    const a = allow(["/var/log/**"]);
    expect(a.allows("/var/log/a.log")).toBe(true);
    expect(a.allows("/etc/shadow")).toBe(false);
  });

  test("win32: the forms realpath gives on Windows, case-insensitively", () => {
    const w = allow(["C:\\logs\\**", "\\\\fs\\share\\**"], "win32");
    expect(w.allows("\\\\?\\C:\\Logs\\a.log")).toBe(true);
    expect(w.allows("c:\\logs\\a.log")).toBe(true);
    expect(w.allows("\\\\?\\UNC\\fs\\share\\a.log")).toBe(true);
    expect(w.allows("\\\\?\\C:\\Windows\\System32\\config\\SAM")).toBe(false);
    expect(w.allows("\\\\.\\PhysicalDrive0")).toBe(false);
  });

  test("an allow glob's fixed folder may be a link: its real path is allowed, looked up again when the link switches", () => {
    const dir = path.join(root, "deploy");
    for (const d of ["releases/1/logs", "releases/2/logs"]) mkdirSync(path.join(dir, d), { recursive: true });
    const current = path.join(dir, "current");
    symlinkSync(path.join(dir, "releases/1"), current);
    const a = allow([`${current}/logs/*.log`]);
    expect(a.allows(path.join(dir, "releases/1/logs/a.log"))).toBe(true);
    expect(a.allows(path.join(dir, "releases/2/logs/a.log"))).toBe(false);
    expect(a.allows(path.join(dir, "releases/1/logs/a.txt"))).toBe(false); // the rest of the pattern still applies
    unlinkSync(current);
    symlinkSync(path.join(dir, "releases/2"), current);
    expect(a.allows(path.join(dir, "releases/2/logs/a.log"))).toBe(true);
    expect(a.allows(path.join(dir, "releases/1/logs/a.log"))).toBe(false);
  });
});

describe("confinement when a file is opened", () => {
  const dir = path.join(root, "open");
  const logs = path.join(dir, "logs");
  const secret = path.join(dir, "secret");
  mkdirSync(logs, { recursive: true });
  mkdirSync(secret);
  writeFileSync(path.join(logs, "a.log"), "a\n");
  writeFileSync(path.join(secret, "key"), "s\n");
  symlinkSync(path.join(secret, "key"), path.join(logs, "evil.log"));
  symlinkSync(path.join(logs, "a.log"), path.join(logs, "good.log"));
  symlinkSync(secret, path.join(logs, "linked"));
  const a = allow([`${logs}/**`]);

  test("a file inside opens", () => {
    openTailHandle(path.join(logs, "a.log"), a).close();
    openTailHandle(path.join(logs, "good.log"), a).close(); // a link whose target is inside
  });

  test("a link inside that points outside is refused before it is opened, naming its target", () => {
    const err = (() => {
      try {
        openTailHandle(path.join(logs, "evil.log"), a);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(OutsideAllowedPaths);
    expect(err).toMatchObject({ code: "EOUTSIDE", file: path.join(logs, "evil.log"), realPath: path.join(secret, "key") });
    expect((err as Error).message).toBe(`its real path ${path.join(secret, "key")} is outside [agent] allow_paths (${JSON.stringify(`${logs}/**`)})`);
  });

  test("a linked folder in the path is resolved too", () => {
    expect(() => openTailHandle(path.join(logs, "linked/key"), a)).toThrow(OutsideAllowedPaths);
  });

  test("`..` through a link goes where the file system goes, not where the text goes", () => {
    // Text: logs/linked/../a.log is logs/a.log. File system: secret/../a.log, which is dir/a.log.
    writeFileSync(path.join(dir, "a.log"), "outside\n");
    // (Node's realpathSync resolves `..` as text, as path.join does: the native one asks the file system.)
    expect(() => openTailHandle(`${logs}/linked/../a.log`, a)).toThrow(OutsideAllowedPaths);
  });

  test("not confined (the INI's own entries): links are followed as before", () => {
    openTailHandle(path.join(logs, "evil.log")).close();
  });

  test("confine() hands the allowlist to each resolved entry's tail settings; without one, nothing changes", () => {
    const { settings } = resolveTailSettings({ path: `${logs}/*.log`, topic: "t" }, tailDefaults(), "end");
    const resolved = [{ tail: settings! }];
    expect(confine(resolved, a)[0]!.tail.confine).toBe(a);
    expect(confine(resolved, null)).toBe(resolved);
  });
});
