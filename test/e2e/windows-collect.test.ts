// `logagent collect` with the Windows exe, under Wine, against the real etcd:
// `edit` runs %EDITOR% through cmd (a .cmd script saves the list as Notepad
// does: a UTF-8 byte order mark and CRLF, which are not part of the value
// written), and `put` refuses a Windows path outside allow_paths, named in
// Windows form. Wine's own prefix comes from $WINEPREFIX (scripts/wine/lib.sh).
import { afterAll, expect, test } from "bun:test";
import { readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { sandbox } from "../support/agent-process";
import { services, unique } from "../support/env";
import { etcdClient, putList } from "../support/etcd";
import { WINE_PREFIX, WINE_RUN, winPath } from "../support/wine";

const box = sandbox("windows-x64");
const conf = path.join(box.dir, "conf.ini");
writeFileSync(
  conf,
  `[kafka]\r\naddress = ${services.kafka}\r\n[etcd]\r\naddress = ${services.etcd}\r\ntimeout = 10\r\ncollect_log_key = /logagent/{hostname}/collect_config\r\n[agent]\r\nallow_paths = C:\\logs\\**\r\n`,
);
const etcd = etcdClient();
afterAll(() => etcd.close());

/** The edit folders in the prefix's Windows temp folders (%TEMP% is C:\users\NAME\Temp). */
function editFolders(): string[] {
  const users = path.join(WINE_PREFIX, "drive_c/users");
  return readdirSync(users).flatMap((u) => {
    try {
      return readdirSync(path.join(users, u, "Temp")).filter((f) => f.startsWith("logagent-edit-")).map((f) => `${u}/${f}`);
    } catch {
      return [];
    }
  });
}

function wine(args: string[], env: Record<string, string> = {}) {
  const r = Bun.spawnSync([WINE_RUN, box.bin, "collect", ...args, "-c", winPath(conf)], {
    cwd: box.dir,
    env: { ...process.env, VISUAL: "", ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

test("edit with a .cmd editor saving as Notepad does: the list without its BOM is written, and the edit's temp folder removed", async () => {
  const host = unique("win-edit");
  const key = `/logagent/${host}/collect_config`;
  await putList(etcd, key, [{ path: "C:\\logs\\a.log", topic: "a" }]);
  const list = '[\r\n  {"path": "C:\\\\logs\\\\b.log", "topic": "b"}\r\n]\r\n';
  writeFileSync(path.join(box.dir, "saved.json"), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(list)]));
  writeFileSync(path.join(box.dir, "save.cmd"), `@echo off\r\ncopy /y "${winPath(path.join(box.dir, "saved.json"))}" %1 >nul\r\n`);
  const tempBefore = editFolders();
  const r = wine(["edit", "--host", host], { EDITOR: winPath(path.join(box.dir, "save.cmd")) });
  expect(r.stderr).toMatch(new RegExp(`logagent: wrote etcd key ${key} \\(host ${host}\\): mod revision \\d+ \\(was \\d+\\)\\.`));
  expect(r.code).toBe(0);
  expect((await etcd.get(key).string())).toBe(list);
  expect(editFolders().filter((f) => !tempBefore.includes(f))).toEqual([]);
});

test("put of a path outside allow_paths: exit 2 naming the entry and the rule, nothing written", async () => {
  const host = unique("win-put");
  const key = `/logagent/${host}/collect_config`;
  const file = path.join(box.dir, "sam.json");
  writeFileSync(file, JSON.stringify([{ path: "C:\\Windows\\System32\\config\\SAM", topic: "x" }, { path: "c:\\LOGS\\..\\Windows\\win.ini", topic: "y" }]));
  const r = wine(["put", winPath(file), "--host", host]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`for etcd key ${key}: entry "C:\\\\Windows\\\\System32\\\\config\\\\SAM": field "path" = "C:\\\\Windows\\\\System32\\\\config\\\\SAM" is outside [agent] allow_paths ("C:\\\\logs\\\\**")`);
  expect(r.stderr).toContain(`(that is "c:\\\\Windows\\\\win.ini") is outside`);
  expect(await etcd.get(key).string()).toBeNull();
});
