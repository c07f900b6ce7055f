// Issue item 7: `npm run release` on the targets scripts/test.sh has built (--no-build): one archive
// per target holding the binary (byte for byte the one in dist/), conf.ini.example and INSTALL.txt,
// dated by the commit rather than by the run, with SHA256SUMS over the archives. The archives are
// read back with GNU tar, Info-ZIP's unzip and sha256sum, as an admin would.
import { beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, releaseBinary } from "../support/env";

const out = mkdtempSync(path.join(os.tmpdir(), "logagent-release-"));
const { version } = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };
const commitTime = Number(Bun.spawnSync(["git", "log", "-1", "--format=%ct"], { cwd: ROOT }).stdout.toString().trim());
const TAR = `logagent-${version}-linux-x64.tar.gz`;
const ZIP = `logagent-${version}-windows-x64.zip`;

function run(argv: string[], cwd = out): { code: number; stdout: string; stderr: string } {
  const r = Bun.spawnSync(argv, { cwd, stdout: "pipe", stderr: "pipe", env: { ...process.env, TZ: "UTC", LC_ALL: "C" } });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

beforeAll(() => {
  const env = { ...process.env };
  delete env.SOURCE_DATE_EPOCH; // the commit's time is what is checked below
  const r = Bun.spawnSync([process.execPath, "scripts/release.ts", "--no-build", "--out", out, "linux-x64", "windows-x64"], { cwd: ROOT, env, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`release failed (exit ${r.exitCode}):\n${r.stdout}\n${r.stderr}`);
}, 120_000);

test("dist/release holds one archive per target and SHA256SUMS, which sha256sum accepts", () => {
  expect(readdirSync(out).sort()).toEqual(["SHA256SUMS", TAR, ZIP].sort());
  const sums = readFileSync(path.join(out, "SHA256SUMS"), "utf8");
  expect(sums.trim().split("\n").map((l) => l.split(/\s+/)[1])).toEqual([TAR, ZIP]);
  const check = run(["sha256sum", "-c", "SHA256SUMS"]);
  expect(check.code).toBe(0);
  expect(check.stdout).toBe(`${TAR}: OK\n${ZIP}: OK\n`);
});

test("the tar.gz: a folder with the executable binary, conf.ini.example and INSTALL.txt, dated by the commit", () => {
  const list = run(["tar", "-tzvf", TAR, "--full-time"]);
  expect(list.code).toBe(0);
  const rows = list.stdout.trim().split("\n").map((l) => l.split(/\s+/));
  const dir = `logagent-${version}-linux-x64/`;
  expect(rows.map((r) => r[5])).toEqual([dir, `${dir}logagent`, `${dir}conf.ini.example`, `${dir}INSTALL.txt`]);
  expect(rows.map((r) => r[0])).toEqual(["drwxr-xr-x", "-rwxr-xr-x", "-rw-r--r--", "-rw-r--r--"]);
  const date = iso(commitTime).slice(0, 19).replace("T", " ");
  for (const r of rows) expect(`${r[3]} ${r[4]}`).toBe(date);

  expect(run(["tar", "-xzf", TAR]).code).toBe(0);
  const bin = path.join(out, dir, "logagent");
  expect(readFileSync(bin).equals(readFileSync(releaseBinary("linux-x64")))).toBe(true);
  expect(readFileSync(path.join(out, dir, "conf.ini.example"), "utf8")).toStartWith(`; logagent ${version}: example configuration`);
  expect(readFileSync(path.join(out, dir, "INSTALL.txt"), "utf8")).toContain("sudo /usr/local/bin/logagent service install -c /etc/logagent/conf.ini");
  // The extracted binary runs (the executable bit survived).
  const v = run([bin, "--version"]);
  expect(v.code).toBe(0);
  expect(v.stdout).toStartWith(`logagent ${version} (commit `);
}, 60_000);

test("the zip: logagent.exe, conf.ini.example and INSTALL.txt at the top level, dated by the commit", () => {
  expect(run(["unzip", "-t", ZIP]).stdout).toContain("No errors detected");
  const rows = run(["unzip", "-Z", "-T", ZIP]).stdout.split("\n").filter((l) => /^-/.test(l)).map((l) => l.split(/\s+/));
  expect(rows.map((r) => r.at(-1))).toEqual(["logagent.exe", "conf.ini.example", "INSTALL.txt"]);
  // zip keeps local time in 2-second steps; the writer stores the commit's UTC time.
  const t = iso(commitTime - (commitTime % 2));
  for (const r of rows) expect(r.at(-2)).toBe(`${t.slice(0, 4)}${t.slice(5, 7)}${t.slice(8, 10)}.${t.slice(11, 13)}${t.slice(14, 16)}${t.slice(17, 19)}`);

  const unzipped = path.join(out, "unzipped");
  expect(run(["unzip", "-q", ZIP, "-d", unzipped]).code).toBe(0);
  expect(readFileSync(path.join(unzipped, "logagent.exe")).equals(readFileSync(releaseBinary("windows-x64")))).toBe(true);
  const install = readFileSync(path.join(unzipped, "INSTALL.txt"), "utf8");
  expect(install).toContain('service install -c "C:\\Program Files\\logagent\\conf.ini"');
  expect(install).toContain("%ProgramData%\\logagent\\logs\\");
  expect(install.split("\n").slice(0, -1).every((l) => l.endsWith("\r"))).toBe(true); // CRLF for Notepad
}, 60_000);
