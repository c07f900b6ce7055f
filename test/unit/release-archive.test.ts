// The release archive writers (scripts/release/archive.ts), read back by the tools an admin uses:
// GNU tar for .tar.gz, Info-ZIP's unzip for .zip (scripts/test.sh installs it when missing).
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { tarGz, zip, type Entry } from "../../scripts/release/archive";

const MTIME = 1_796_000_000; // 2026-11-30T00:53:20Z
const entries: Entry[] = [
  { name: "logagent", data: new Uint8Array(70_000).map((_, i) => (i * 7919) % 251), mode: 0o755 },
  { name: "conf.ini.example", data: Buffer.from("; every option\n[kafka]\n;address = k:9092\n"), mode: 0o644 },
  { name: "INSTALL.txt", data: Buffer.from(""), mode: 0o644 },
];

function run(argv: string[], cwd?: string): string {
  const r = Bun.spawnSync(argv, { cwd, stdout: "pipe", stderr: "pipe", env: { ...process.env, TZ: "UTC", LC_ALL: "C" } });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} failed: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

const tmp = () => mkdtempSync(path.join(os.tmpdir(), "logagent-archive-"));

describe("tarGz", () => {
  const dir = tmp();
  const file = path.join(dir, "a.tar.gz");
  writeFileSync(file, tarGz("logagent-1.2.3-linux-x64", entries, MTIME));

  test("tar lists the folder and the three files, owned by root, dated MTIME, the binary executable", () => {
    const listing = run(["tar", "-tzvf", file, "--full-time"]).trim().split("\n");
    expect(listing).toEqual([
      "drwxr-xr-x root/root         0 2026-11-30 00:53:20 logagent-1.2.3-linux-x64/",
      "-rwxr-xr-x root/root     70000 2026-11-30 00:53:20 logagent-1.2.3-linux-x64/logagent",
      "-rw-r--r-- root/root        41 2026-11-30 00:53:20 logagent-1.2.3-linux-x64/conf.ini.example",
      "-rw-r--r-- root/root         0 2026-11-30 00:53:20 logagent-1.2.3-linux-x64/INSTALL.txt",
    ]);
  });

  test("extracted, every file has its bytes and mode", () => {
    const out = tmp();
    run(["tar", "-xzf", file, "-C", out]);
    for (const e of entries) {
      const f = path.join(out, "logagent-1.2.3-linux-x64", e.name);
      expect(readFileSync(f).equals(e.data)).toBe(true);
      expect(statSync(f).mode & 0o777).toBe(e.mode);
    }
  });

  test("the same inputs give the same bytes (a reproducible archive)", () => {
    expect(Buffer.from(tarGz("logagent-1.2.3-linux-x64", entries, MTIME)).equals(readFileSync(file))).toBe(true);
  });
});

describe("zip", () => {
  const dir = tmp();
  const file = path.join(dir, "a.zip");
  writeFileSync(file, zip(entries, MTIME));

  test("unzip tests it clean and lists the three files at the top level, dated MTIME", () => {
    expect(run(["unzip", "-t", file])).toContain("No errors detected");
    const listing = run(["unzip", "-Z", "-T", file]).split("\n").filter((l) => /^[-d]r/.test(l));
    expect(listing.map((l) => l.split(/\s+/).slice(-2).join(" "))).toEqual(["20261130.005320 logagent", "20261130.005320 conf.ini.example", "20261130.005320 INSTALL.txt"]);
    expect(listing[0]).toMatch(/^-rwxr-xr-x .* defN /);
  });

  test("extracted, every file has its bytes", () => {
    const out = tmp();
    run(["unzip", "-q", file, "-d", out]);
    for (const e of entries) expect(readFileSync(path.join(out, e.name)).equals(e.data)).toBe(true);
  });

  test("the same inputs give the same bytes (a reproducible archive)", () => {
    expect(Buffer.from(zip(entries, MTIME)).equals(readFileSync(file))).toBe(true);
  });
});
