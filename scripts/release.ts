// `npm run release [-- [--no-build] [--out DIR] [target ...]]`: builds the targets (all by
// default; --no-build takes the binaries already in dist/), then writes one archive per target
// into dist/release/ (zip for Windows, tar.gz elsewhere) holding the binary, conf.ini.example and
// INSTALL.txt, and SHA256SUMS over the archives. Files are dated by the commit
// (SOURCE_DATE_EPOCH when set), so rebuilding a commit gives the same archives.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import pkg from "../package.json" with { type: "json" };
import { binaryPath, build, wantedTargets, type Target } from "./build";
import { tarGz, zip } from "./release/archive";
import { confExample } from "./release/conf-example";
import { familyOf, installText } from "./release/install-text";

const ROOT = path.resolve(import.meta.dir, "..");

/** The date every archived file carries: SOURCE_DATE_EPOCH, else the commit's time. */
function archiveTime(): number {
  const fromEnv = process.env.SOURCE_DATE_EPOCH;
  if (fromEnv) {
    if (!/^\d+$/.test(fromEnv)) throw new Error(`SOURCE_DATE_EPOCH = ${JSON.stringify(fromEnv)}: must be seconds since 1970`);
    return Number(fromEnv);
  }
  const r = spawnSync("git", ["log", "-1", "--format=%ct"], { cwd: ROOT, encoding: "utf8" });
  const t = Number(r.stdout?.trim());
  if (r.status !== 0 || !Number.isInteger(t)) throw new Error("cannot date the archives: not a git checkout; set SOURCE_DATE_EPOCH");
  return t;
}

/** The archive for one target, from its binary in dist/; returns the archive's file name. */
export function archiveTarget(target: Target, outDir: string, version: string, mtime: number): string {
  const windows = familyOf(target) === "windows";
  const entries = [
    { name: windows ? "logagent.exe" : "logagent", data: readFileSync(binaryPath(target)), mode: 0o755 },
    { name: "conf.ini.example", data: Buffer.from(confExample(version, familyOf(target))), mode: 0o644 },
    { name: "INSTALL.txt", data: Buffer.from(installText(version, target)), mode: 0o644 },
  ];
  const base = `logagent-${version}-${target}`;
  const file = `${base}${windows ? ".zip" : ".tar.gz"}`;
  writeFileSync(path.join(outDir, file), windows ? zip(entries, mtime) : tarGz(base, entries, mtime));
  return file;
}

async function main(argv: string[]): Promise<void> {
  let noBuild = false;
  let outDir = path.join(ROOT, "dist/release");
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--no-build") noBuild = true;
    else if (a === "--out") outDir = path.resolve(argv[++i] ?? "");
    else if (a.startsWith("-")) throw new Error(`unknown option ${a}; usage: bun scripts/release.ts [--no-build] [--out DIR] [target ...]`);
    else names.push(a);
  }
  const targets = wantedTargets(names);
  if (!noBuild) await build(targets);
  const mtime = archiveTime();
  mkdirSync(outDir, { recursive: true });
  const sums: string[] = [];
  for (const t of targets) {
    const started = performance.now();
    const file = archiveTarget(t, outDir, pkg.version, mtime);
    const bytes = readFileSync(path.join(outDir, file));
    sums.push(`${createHash("sha256").update(bytes).digest("hex")}  ${file}`);
    console.log(`wrote ${path.join(path.relative(ROOT, outDir), file)} (${(bytes.length / 1e6).toFixed(1)} MB, ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
  writeFileSync(path.join(outDir, "SHA256SUMS"), sums.join("\n") + "\n");
  console.log(`wrote ${path.join(path.relative(ROOT, outDir), "SHA256SUMS")}`);
}

if (import.meta.main) await main(process.argv.slice(2));
